//! Sources: files, directories (recursive, in a stable order) and `-` for standard input.

use std::io;
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Clone, Debug, Default)]
pub struct InputFile {
    /// `None` is standard input.
    pub path: Option<PathBuf>,
    /// How reports name it.
    pub display: String,
    /// Size on disk (0 for stdin).
    pub size: u64,
}

impl InputFile {
    /// [`time_hint`] of the file's path.
    pub fn time_hint(&self) -> Option<i64> {
        time_hint(&self.display)
    }
}

/// A path that could not be expanded.
#[derive(Clone, Debug)]
pub struct PathError {
    pub path: String,
    pub error: String,
}

/// Expands paths into files: directories recursively, sorted by path so runs are repeatable;
/// `-` once, as standard input. Hidden files are included (log exports use them rarely, and a
/// silent skip would lose data); symbolic links to directories are not followed, to avoid loops.
pub fn expand_paths(paths: &[String]) -> (Vec<InputFile>, Vec<PathError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut stdin_seen = false;
    for p in paths {
        if p == "-" {
            if !stdin_seen {
                files.push(InputFile {
                    path: None,
                    display: "<stdin>".to_string(),
                    size: 0,
                });
                stdin_seen = true;
            }
            continue;
        }
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                walk(path, &mut found, &mut errors);
                found.sort_by(|a, b| a.0.cmp(&b.0));
                files.extend(found.into_iter().map(|(path, size)| InputFile {
                    display: path.display().to_string(),
                    path: Some(path),
                    size,
                }));
            }
            Ok(m) => files.push(InputFile {
                path: Some(path.to_path_buf()),
                display: p.clone(),
                size: m.len(),
            }),
            Err(e) => errors.push(PathError {
                path: p.clone(),
                error: describe(&e),
            }),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64)>, errors: &mut Vec<PathError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(PathError {
                path: dir.display().to_string(),
                error: describe(&e),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, out, errors);
        } else if ft.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            out.push((path, size));
        } else if ft.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push((path, m.len())),
                Ok(_) => {}
                Err(e) => errors.push(PathError {
                    path: path.display().to_string(),
                    error: describe(&e),
                }),
            }
        }
    }
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn num(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn instant(y: u32, mo: u32, d: u32, h: u32, mi: u32) -> Option<i64> {
    let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z");
    crate::time::parse_rfc3339(text.as_bytes())
}

/// When a log file was written, read from its name where the clouds' delivery layouts put it:
/// CloudTrail `…_20251023T1205Z_…`, S3 access logs `2024-03-01-02-45-10-…`, Azure
/// `y=2024/m=03/d=01/h=02/m=00/PT1H.json`, Storage Analytics `blob/2024/03/01/0200/`, GCS
/// sinks `2024/03/01/02:00:00_02:59:59_S0.json`, else any `YYYY/MM/DD` directory. Files are
/// read in this order so events reach the detectors nearly sorted.
pub fn time_hint(path: &str) -> Option<i64> {
    let b = path.as_bytes();
    // CloudTrail: _YYYYMMDDTHHMMZ_
    for (i, w) in b.windows(15).enumerate() {
        if w[0] == b'_' && w[9] == b'T' && w[14] == b'Z' && b.get(i + 15) == Some(&b'_') {
            let (y, mo, d) = (num(&w[1..5])?, num(&w[5..7])?, num(&w[7..9])?);
            let (h, mi) = (num(&w[10..12])?, num(&w[12..14])?);
            return instant(y, mo, d, h, mi);
        }
    }
    // Azure resource logs: y=YYYY/m=MM/d=DD/h=HH/m=MM
    if let Some(p) = path.find("y=") {
        let rest = crate::text::from(path, p);
        let parts: Vec<&str> = rest.split('/').take(5).collect();
        if parts.len() == 5 {
            let get = |i: usize, k: &str| parts[i].strip_prefix(k).and_then(|v| num(v.as_bytes()));
            if let (Some(y), Some(mo), Some(d), Some(h), Some(mi)) = (
                get(0, "y="),
                get(1, "m="),
                get(2, "d="),
                get(3, "h="),
                get(4, "m="),
            ) {
                return instant(y, mo, d, h, mi);
            }
        }
    }
    let name = path.rsplit('/').next().unwrap_or(path).as_bytes();
    // S3 server access log object: YYYY-MM-DD-HH-MM-SS-<id>
    if name.len() >= 20
        && name[4] == b'-'
        && name[7] == b'-'
        && name[10] == b'-'
        && name[13] == b'-'
        && name[16] == b'-'
    {
        if let (Some(y), Some(mo), Some(d), Some(h), Some(mi)) = (
            num(&name[0..4]),
            num(&name[5..7]),
            num(&name[8..10]),
            num(&name[11..13]),
            num(&name[14..16]),
        ) {
            return instant(y, mo, d, h, mi);
        }
    }
    // Directory dates: YYYY/MM/DD[/hhmm | /HH:MM:SS_…]
    let parts: Vec<&str> = path.split('/').collect();
    for i in 0..parts.len().saturating_sub(2) {
        let (y, mo, d) = (parts[i], parts[i + 1], parts[i + 2]);
        if y.len() == 4 && mo.len() == 2 && d.len() == 2 {
            if let (Some(y), Some(mo), Some(d)) =
                (num(y.as_bytes()), num(mo.as_bytes()), num(d.as_bytes()))
            {
                let next = parts.get(i + 3).map(|s| s.as_bytes()).unwrap_or(b"");
                let (h, mi) = if next.len() == 4 {
                    (num(&next[0..2]).unwrap_or(0), num(&next[2..4]).unwrap_or(0))
                } else if next.len() >= 5 && next[2] == b':' {
                    (num(&next[0..2]).unwrap_or(0), num(&next[3..5]).unwrap_or(0))
                } else {
                    (0, 0)
                };
                if let Some(t) = instant(y, mo, d, h.min(23), mi.min(59)) {
                    return Some(t);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::rfc3339;

    #[test]
    fn delivery_layouts() {
        let t = |p: &str| time_hint(p).map(rfc3339);
        assert_eq!(
            t("AWSLogs/1/CloudTrail/eu-west-1/2025/10/23/1_CloudTrail_eu-west-1_20251023T1205Z_CvgrD5uYG6HIXlnT.json.gz").as_deref(),
            Some("2025-10-23T12:05:00.000Z")
        );
        assert_eq!(
            t("logs/2024-03-01-02-45-10-7A1B2C3D4E5F6A7B").as_deref(),
            Some("2024-03-01T02:45:00.000Z")
        );
        assert_eq!(
            t("insights-logs-storageread/resourceId=/SUBSCRIPTIONS/X/y=2024/m=03/d=01/h=02/m=00/PT1H.json").as_deref(),
            Some("2024-03-01T02:00:00.000Z")
        );
        assert_eq!(
            t("$logs/blob/2024/03/01/0200/000000.log").as_deref(),
            Some("2024-03-01T02:00:00.000Z")
        );
        assert_eq!(
            t("sink/cloudaudit.googleapis.com/data_access/2024/03/01/02:00:00_02:59:59_S0.json")
                .as_deref(),
            Some("2024-03-01T02:00:00.000Z")
        );
        assert_eq!(t("some/file.json"), None);
    }
}
