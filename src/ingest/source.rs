//! Sources: files, directories (recursive, in a stable order) and `-` for standard input.

use std::io;
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// `None` is standard input.
    pub path: Option<PathBuf>,
    /// How reports name it.
    pub display: String,
    /// Size on disk (0 for stdin).
    pub size: u64,
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
