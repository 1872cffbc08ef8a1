//! Hostile *values* through every stage, not only hostile bytes through the parsers.
//!
//! Each case takes real records of every format (the corpus), puts attacker-chosen values into
//! their string and number fields (multi-byte characters around every length a stage might cut
//! at, combining marks, bidi overrides, NUL and control characters, ANSI escapes, lone
//! surrogates, markup, 1 MB strings, odd and malformed IPv4/IPv6 forms, 2^64, negative numbers,
//! years 0001 and 9999, leap seconds, offsets of ±14:00) and drives them through ingest,
//! compaction, rules, the engine, correlation, every report format, `investigate`, and state
//! saved and loaded again. Nothing may panic (a contained panic counts: `internal_error`),
//! JSON Lines must parse, HTML must hold no live markup, terminal text no control characters.
//!
//! The suite runs a few dozen cases; `scripts/fuzz` runs thousands (`PROPTEST_CASES`).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use trailhound::ingest::{expand_paths, IngestOptions};
use trailhound::pipeline::{scan_with_state, ScanConfig};
use trailhound::report::{html, json, ocsf, table};
use trailhound::state::StateDb;
use trailhound::summary::Summary;

use crate::common::corpus_dir;

/// Markup that must never reach the HTML report live.
const SCRIPT: &str = "<script>th_hostile()</script>";
const IMG: &str = "\"><img src=x onerror=th_hostile()>";
/// Stands for a lone UTF-16 surrogate: written into JSON text as `\ud800` (a Rust string
/// cannot hold one).
const LONE: &str = "\u{e000}LONE\u{e000}";

/// Attacker-chosen string values.
fn strings() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    // Around every power of two and the lengths stages cut at (agent family 64, titles,
    // table cells): two-, three- and four-byte characters after an ASCII lead.
    for n in [
        1usize, 2, 3, 15, 16, 17, 19, 20, 21, 29, 30, 31, 32, 33, 39, 40, 41, 43, 44, 45, 47, 48,
        49, 59, 60, 61, 63, 64, 65, 89, 90, 91, 119, 120, 121, 127, 128, 129, 159, 160, 161, 199,
        200, 201, 255, 256, 257, 299, 300, 301,
    ] {
        v.push(format!("x{}/1.0", "é".repeat(n)));
        v.push(format!("ab{}", "€".repeat(n)));
        v.push(format!("a{}", "😀".repeat(n)));
        v.push(format!("arn:aws:iam::111122223333:user/{}", "ü".repeat(n)));
    }
    for s in [
        "e\u{301}\u{302}\u{303}\u{304}",
        "\u{202e}gpj.exe",
        "\u{2066}admin\u{2069}",
        "\u{200f}\u{200e}",
        "\0",
        "a\0b",
        "\u{1b}[2J\u{1b}]0;pwned\u{7}",
        "\u{1b}[31mred\u{1b}[0m",
        "line\r\noverwrite\rX",
        "\t\u{b}\u{c}",
        "\u{85}\u{2028}\u{2029}",
        "\u{7f}\u{9b}",
        "\u{feff}bom",
        "\u{fffd}",
        "👩‍👩‍👧‍👦",
        SCRIPT,
        IMG,
        LONE,
        "' OR 1=1; DROP TABLE profiles; --",
        "${jndi:ldap://x/a}",
        "%00%ff%c3%28",
        "\\",
        "\"",
        "",
        " ",
        "*",
        "arn:aws:iam::*:role/*",
        "::",
        "::1",
        "::ffff:1.2.3.4",
        "::ffff:999.1.1.1",
        "fe80::1%eth0",
        "2001:db8::1/64",
        "1:2:3:4:5:6:7:8:9",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "1.2.3.4:8080",
        "[::1]:443",
        "0x7f.0.0.1",
        "999.1.1.1",
        "1.2.3",
        "01.02.03.04",
        "0.0.0.0",
        "255.255.255.255",
        "18446744073709551615",
        "18446744073709551616",
        "9999999999999999",
        "99999999999999999",
        "9223372036854775807",
        "-1",
        "-9223372036854775808",
        "1e308",
        "NaN",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "2016-12-31T23:59:60Z",
        "2025-01-01T00:00:00+14:00",
        "2025-01-01T00:00:00-14:00",
        "2262-04-11T23:47:16.854775807Z",
        "1677-09-21T00:12:43.145224192Z",
        "31/Dec/9999:23:59:59 -1400",
    ] {
        v.push(s.to_string());
    }
    v
}

/// Numbers as JSON text.
const NUMBERS: &[&str] = &[
    "18446744073709551615",
    "9999999999999999",
    "9223372036854775807",
    "18446744073709551616",
    "-1",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "0.5",
    "-0",
    "4294967296",
    "65536",
    "1e-308",
];

/// Fields that hold a record's event time.
const TIME_KEYS: &[&str] = &[
    "eventTime",
    "time",
    "timestamp",
    "@timestamp",
    "EventTime",
    "receiveTimestamp",
];

/// A small deterministic generator (the case's seed makes it reproducible).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

struct Mutator {
    rng: Rng,
    strings: Vec<String>,
    /// Chance (per mille) that a field is replaced.
    rate: u64,
}

impl Mutator {
    fn value(&mut self) -> String {
        // A 1 MB string now and then (bounded sizes are the point), else one of the pool.
        if self.rng.chance(3) {
            return if self.rng.chance(500) {
                "A".repeat(1 << 20)
            } else {
                format!("{}x", "é".repeat((1 << 19) + self.rng.below(3)))
            };
        }
        let i = self.rng.below(self.strings.len());
        self.strings[i].clone()
    }

    fn json(&mut self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if self.rng.chance(self.rate) {
                    *s = self.value();
                }
            }
            serde_json::Value::Number(n) => {
                if self.rng.chance(self.rate) {
                    let text = NUMBERS[self.rng.below(NUMBERS.len())];
                    *v = serde_json::from_str(text)
                        .unwrap_or_else(|_| serde_json::Value::String(text.into()));
                } else if self.rng.chance(self.rate / 4) {
                    *v = serde_json::Value::String(n.to_string() + &self.value());
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.json(x)),
            serde_json::Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    // The event time decides whether a record is read at all: spoiled rarely,
                    // so that most hostile records reach the stages after the parser.
                    if TIME_KEYS.contains(&k.as_str()) && !self.rng.chance(self.rate / 10) {
                        continue;
                    }
                    self.json(x);
                }
            }
            serde_json::Value::Bool(_) | serde_json::Value::Null => {
                if self.rng.chance(self.rate / 4) {
                    *v = serde_json::Value::String(self.value());
                }
            }
        }
    }

    /// A field of a text log line: quoted fields keep their quotes, plain ones lose the
    /// separator (a value that breaks the framing is the byte fuzzers' job).
    fn field(&mut self, quoted: bool, forbidden: &[char]) -> String {
        let mut s: String = self
            .value()
            .chars()
            .filter(|c| !forbidden.contains(c) && *c != '\n' && *c != '"')
            .collect();
        if s.is_empty() {
            s.push('-');
        }
        if quoted {
            format!("\"{s}\"")
        } else {
            s
        }
    }
}

/// Splits a line into fields: `sep`-separated, `"…"` and `[…]` kept whole.
fn fields(line: &str, sep: char) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut close: Option<char> = None;
    for c in line.chars() {
        match close {
            Some(end) => {
                cur.push(c);
                if c == end {
                    close = None;
                }
            }
            None if c == sep => out.push((std::mem::take(&mut cur), false)),
            None => {
                if cur.is_empty() && (c == '"' || c == '[') {
                    close = Some(if c == '"' { '"' } else { ']' });
                }
                cur.push(c);
            }
        }
    }
    out.push((cur, false));
    for f in &mut out {
        f.1 = f.0.starts_with('"');
    }
    out
}

/// `time_field`: the index of the field holding the event time, spoiled rarely.
fn mutate_line(m: &mut Mutator, line: &str, sep: char, time_field: usize) -> String {
    let parts: Vec<String> = fields(line, sep)
        .into_iter()
        .enumerate()
        .map(|(i, (text, quoted))| {
            let rate = if i == time_field { m.rate / 10 } else { m.rate };
            if text.starts_with('[') || !m.rng.chance(rate) {
                text
            } else {
                m.field(quoted, &[sep, '[', ']'])
            }
        })
        .collect();
    parts.join(&sep.to_string())
}

fn mutate_json_text(m: &mut Mutator, text: &str) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    m.json(&mut v);
    Some(serde_json::to_string(&v).ok()?.replace(LONE, "\\ud800"))
}

/// Writes the corpus with hostile values into `out`; returns how many files.
fn hostile_corpus(m: &mut Mutator, out: &Path) -> usize {
    let mut n = 0;
    let mut files: Vec<PathBuf> = walk(&corpus_dir());
    files.sort();
    for path in files {
        let kind = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".md") || name.ends_with(".tsv") || name.ends_with(".gz") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mutated = match kind.as_str() {
            "s3_access" => text
                .lines()
                .map(|l| mutate_line(m, l, ' ', 2))
                .collect::<Vec<_>>()
                .join("\n"),
            "gcs_usage" => {
                let mut lines = text.lines();
                let header = lines.next().unwrap_or_default().to_string();
                std::iter::once(header)
                    .chain(lines.map(|l| mutate_line(m, l, ',', 0)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            "azure_storage_analytics" => text
                .lines()
                .map(|l| mutate_line(m, l, ';', 1))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => match mutate_json_text(m, &text) {
                Some(t) => t,
                // JSON Lines.
                None => text
                    .lines()
                    .map(|l| mutate_json_text(m, l).unwrap_or_else(|| l.to_string()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
        };
        let dir = out.join(&kind);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&name), mutated).unwrap();
        n += 1;
    }
    n
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// No live markup: hostile tags only ever appear escaped.
fn check_html(html: &str) {
    assert!(
        !html.contains("<script>th_hostile"),
        "live script in the HTML report"
    );
    assert!(
        !html.contains("<img src=x onerror"),
        "live img in the HTML report"
    );
    assert!(!html.contains('\u{0}'), "NUL in the HTML report");
}

/// Terminal text: no control characters but newlines (colour off), no bidi overrides.
fn check_terminal(text: &str, what: &str) {
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    });
    assert!(bad.is_none(), "{what}: {:?} reached the terminal", bad);
}

fn check_jsonl(text: &str, what: &str) {
    for line in text.lines() {
        let v: Result<serde_json::Value, _> = serde_json::from_str(line);
        assert!(
            v.is_ok(),
            "{what}: not JSON: {}",
            line.chars().take(200).collect::<String>()
        );
    }
}

fn one_case(seed: u64, rate: u64) {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let mut m = Mutator {
        rng: Rng(seed | 1),
        strings: strings(),
        rate,
    };
    assert!(hostile_corpus(&mut m, &logs) > 40);
    let (files, _) = expand_paths(&[logs.display().to_string()]);
    let opts = IngestOptions {
        threads: 2,
        progress: None,
    };
    let cfg = ScanConfig::default();
    let state = dir.path().join("state.db");
    // Twice: the second run reads the first run's state back.
    for round in 0..2 {
        let db = StateDb::open(&state).unwrap();
        let prior = db.load().unwrap();
        let (out, new_state) =
            scan_with_state(files.clone(), &opts, &cfg, Some(prior), None).unwrap();
        let summary = Summary::new(&out.stats, &out.ingest, &[]).with_detection(&out);
        // The hostile records must get past the parsers, or later stages see nothing.
        assert!(
            summary.events > 100,
            "seed {seed}: only {} events read",
            summary.events
        );
        assert!(
            !out.findings.is_empty(),
            "seed {seed}: no findings to report"
        );
        assert!(
            !summary.skipped_by_reason.contains_key("internal_error"),
            "seed {seed} round {round}: a stage panicked: {:?}",
            summary
                .skipped_samples
                .iter()
                .filter(|s| s.reason == "internal_error")
                .collect::<Vec<_>>()
        );
        check_jsonl(&json::jsonl(&out, &summary).unwrap(), "jsonl");
        check_jsonl(&ocsf::lines(&out).unwrap(), "ocsf");
        serde_json::to_string(&json::document(&out, &summary)).unwrap();
        check_html(&html::render(&out, &summary));
        for width in [40, 80, 200] {
            let mut t = table::detections(&out, width, false);
            t.push_str(&table::summary(&summary, 1.0, 0));
            check_terminal(&t, "table");
        }
        // Investigate the principals behind findings, and a hostile name.
        let mut who: Vec<String> = out.findings.iter().map(|f| f.principal.clone()).collect();
        who.sort();
        who.dedup();
        who.truncate(2);
        who.push("é".repeat(33));
        for p in who {
            let q = trailhound::investigate::Query {
                principal: p,
                since: None,
                until: None,
            };
            if let Ok((inv, _)) = trailhound::investigate::run(files.clone(), &opts, &cfg, &q) {
                check_terminal(&trailhound::investigate::table(&inv, 80), "investigate");
                serde_json::to_string(&inv).unwrap();
            }
        }
        db.save(&new_state, &out.findings).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hostile_values_through_every_stage(seed in any::<u64>(), rate in 20u64..400) {
        one_case(seed, rate);
    }
}

/// Every hostile string at once, in every field: the densest case, run every time.
#[test]
fn every_field_hostile() {
    one_case(0x5eed, 1000);
}
