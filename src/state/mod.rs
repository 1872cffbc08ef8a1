//! State between runs (`--state FILE`): what the engine learned — every principal's profile,
//! the buckets known to be public, and findings still open — in an embedded SQLite database.
//!
//! A run opens the database with an exclusive transaction, reads the state, runs, writes the
//! new state and commits. So an interrupted run leaves the state as it was (the transaction
//! rolls back), and a second run on the same file fails at once with a clear message instead
//! of interleaving. Profiles are stored one row per principal, as deflated JSON: strings, not
//! this run's symbol numbers, so a file written by one run reads in any other.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection};

pub use crate::detect::baseline::state::ProfileState;
pub use crate::detect::snapshot::{EngineState, OpenFinding};

/// Version of the saved layout; a file of another version is refused with a message.
const VERSION: i64 = 1;

/// The state database, held exclusively for the length of a run.
pub struct StateDb {
    conn: Connection,
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

impl StateDb {
    /// Opens (or creates) the state file and takes the exclusive lock.
    pub fn open(path: &Path) -> Result<StateDb> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open state file {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_millis(2000))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS profiles (principal TEXT PRIMARY KEY, data BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS public_buckets (bucket TEXT PRIMARY KEY, data TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS open_findings (n INTEGER PRIMARY KEY, data TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS reported (id TEXT PRIMARY KEY, rule TEXT NOT NULL, principal TEXT NOT NULL,
                 first_seen TEXT NOT NULL, severity TEXT NOT NULL);",
        )
        .map_err(|e| busy_or(e, path))?;
        // The lock for the whole run: a second run waits 2 s, then stops with a message.
        conn.execute_batch("BEGIN EXCLUSIVE")
            .map_err(|e| busy_or(e, path))?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
                r.get(0)
            })
            .ok();
        if let Some(v) = version {
            if v != VERSION.to_string() {
                bail!(
                    "state file {} has layout version {v}; this trailhound reads version {VERSION}: use a new state file",
                    path.display()
                );
            }
        }
        Ok(StateDb { conn })
    }

    /// Reads the saved state (empty for a new file).
    pub fn load(&self) -> Result<EngineState> {
        let mut st = EngineState::default();
        let get = |k: &str| -> Option<i64> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| {
                    r.get::<_, String>(0)
                })
                .ok()
                .and_then(|v| v.parse().ok())
        };
        st.data_start = get("data_start");
        st.last_time = get("last_time");
        let mut q = self
            .conn
            .prepare("SELECT principal, data FROM profiles ORDER BY principal")?;
        let rows = q.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        for row in rows {
            let (principal, data) = row?;
            let json = inflate(&data)
                .with_context(|| format!("state: profile of {principal} is damaged"))?;
            st.profiles.push(
                serde_json::from_slice(&json)
                    .with_context(|| format!("state: profile of {principal} is damaged"))?,
            );
        }
        // Files written before detectors kept their own state kept this one in a table: read
        // as the state of the detector of that name.
        let mut q = self
            .conn
            .prepare("SELECT bucket, data FROM public_buckets ORDER BY bucket")?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut public = Vec::new();
        for row in rows {
            let (b, d) = row?;
            let seen: serde_json::Value = serde_json::from_str(&d)
                .with_context(|| format!("state: public bucket {b} is damaged"))?;
            public.push(serde_json::json!([b, seen]));
        }
        if !public.is_empty() {
            st.detectors.push((
                "public_buckets".to_string(),
                serde_json::Value::Array(public),
            ));
        }
        let mut q = self
            .conn
            .prepare("SELECT data FROM open_findings ORDER BY n")?;
        let rows = q.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            st.open_findings.push(serde_json::from_str(&row?)?);
        }
        let blob = |name: &str| -> Option<Vec<u8>> {
            self.conn
                .query_row("SELECT data FROM blobs WHERE name = ?1", [name], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .ok()
        };
        if let Some(data) = blob("known_before") {
            let json = inflate(&data).context("state: principals seen before are damaged")?;
            st.known_before = serde_json::from_slice(&json)
                .context("state: principals seen before are damaged")?;
        }
        // Every other blob is a detector's own state, under the detector's name.
        let mut q = self
            .conn
            .prepare("SELECT name, data FROM blobs WHERE name != 'known_before' ORDER BY name")?;
        let rows = q.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        for row in rows {
            let (name, data) = row?;
            let state = inflate(&data)
                .ok()
                .and_then(|json| serde_json::from_slice(&json).ok())
                .with_context(|| format!("state: the state of {name} is damaged"))?;
            st.detectors.retain(|(n, _)| *n != name);
            st.detectors.push((name, state));
        }
        Ok(st)
    }

    /// Writes the new state and the findings reported, and commits.
    pub fn save(
        self,
        st: &EngineState,
        reported: &[crate::detect::finding::Finding],
    ) -> Result<()> {
        let c = &self.conn;
        c.execute("DELETE FROM open_findings", [])?;
        c.execute("DELETE FROM public_buckets", [])?;
        let set_meta = |k: &str, v: String| {
            c.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )
        };
        set_meta("version", VERSION.to_string())?;
        if let Some(t) = st.data_start {
            set_meta("data_start", t.to_string())?;
        }
        if let Some(t) = st.last_time {
            set_meta("last_time", t.to_string())?;
        }
        {
            let mut ins =
                c.prepare("INSERT OR REPLACE INTO profiles (principal, data) VALUES (?1, ?2)")?;
            for p in &st.profiles {
                ins.execute(params![p.principal, deflate(&serde_json::to_vec(p)?)?])?;
            }
            let mut ins = c.prepare("INSERT OR REPLACE INTO blobs (name, data) VALUES (?1, ?2)")?;
            for (name, state) in &st.detectors {
                ins.execute(params![name, deflate(&serde_json::to_vec(state)?)?])?;
            }
            c.execute(
                "INSERT OR REPLACE INTO blobs (name, data) VALUES ('known_before', ?1)",
                params![deflate(&serde_json::to_vec(&st.known_before)?)?],
            )?;
            let mut del = c.prepare("DELETE FROM profiles WHERE principal = ?1")?;
            for p in &st.dropped_profiles {
                del.execute(params![p])?;
            }
            let mut ins = c.prepare("INSERT INTO open_findings (n, data) VALUES (?1, ?2)")?;
            for (n, f) in st.open_findings.iter().enumerate() {
                ins.execute(params![n as i64, serde_json::to_string(f)?])?;
            }
            let mut ins = c.prepare("INSERT OR REPLACE INTO reported (id, rule, principal, first_seen, severity) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for f in reported {
                ins.execute(params![
                    f.id,
                    f.rule,
                    f.principal,
                    f.first_seen,
                    f.severity.as_str()
                ])?;
            }
        }
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }
}

fn busy_or(e: rusqlite::Error, path: &Path) -> anyhow::Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::DatabaseBusy
            || f.code == rusqlite::ErrorCode::DatabaseLocked
        {
            return anyhow::anyhow!(
                "state file {} is in use by another trailhound run; wait for it to finish, or use another --state file",
                path.display()
            );
        }
    }
    anyhow::Error::new(e).context(format!("state file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::access::Symbols;
    use crate::detect::baseline::Seen;
    use crate::detect::engine::{DetectConfig, Engine};

    /// A file written before detectors kept their own state held the public buckets in a
    /// table of their own: it is read as that detector's state and restores.
    #[test]
    fn reads_public_buckets_of_an_older_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let db = StateDb::open(&path).unwrap();
            let seen = serde_json::to_string(&Seen::first(1_700_000_000_000_000_000)).unwrap();
            db.conn
                .execute(
                    "INSERT INTO public_buckets (bucket, data) VALUES ('www-site', ?1)",
                    params![seen],
                )
                .unwrap();
            db.conn.execute_batch("COMMIT").unwrap();
        }
        let db = StateDb::open(&path).unwrap();
        let st = db.load().unwrap();
        let (name, state) = &st.detectors[0];
        assert_eq!(name, "public_buckets");
        assert_eq!(state[0][0], "www-site");
        let syms = Symbols::new(1 << 20);
        let cfg = DetectConfig::default();
        let mut engine = Engine::new(&syms, &cfg);
        engine.import(st).unwrap();
    }

    /// A detector's damaged state is an error that names it, not an empty baseline.
    #[test]
    fn damaged_detector_state_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let db = StateDb::open(&path).unwrap();
            let mut st = EngineState::default();
            st.detectors
                .push(("insights".into(), serde_json::json!({"series": 7})));
            db.save(&st, &[]).unwrap();
        }
        let st = StateDb::open(&path).unwrap().load().unwrap();
        let syms = Symbols::new(1 << 20);
        let cfg = DetectConfig::default();
        let err = Engine::new(&syms, &cfg).import(st).unwrap_err();
        assert!(
            format!("{err:#}").contains("insights is damaged"),
            "{err:#}"
        );
        let mut garbage = StateDb::open(&path).unwrap();
        garbage
            .conn
            .execute(
                "INSERT OR REPLACE INTO blobs (name, data) VALUES ('streams', x'00ff')",
                [],
            )
            .unwrap();
        garbage.conn.execute_batch("COMMIT").unwrap();
        garbage = StateDb::open(&path).unwrap();
        let err = garbage.load().err().expect("a damaged blob");
        assert!(format!("{err:#}").contains("state of streams is damaged"));
    }
}
