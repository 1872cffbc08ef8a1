//! The command line: flags → library calls → exit code.

pub mod args;
pub mod demo;
pub mod eval;
pub mod generate;
pub mod investigate;
pub mod progress;
pub mod rules;
pub mod scan;

use std::io::IsTerminal;

use clap::Parser;

use crate::ingest::{self, IngestOptions, InputFile};
use crate::summary::FileProblem;

/// Exit codes (DESIGN.md): 0 the run completed; 1 `--strict` saw a skip or `--fail-on` a
/// finding; 2 a usage or configuration error, or no input could be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Findings = 1,
    NoInput = 2,
    /// A record made a stage panic; the panic was contained and the run finished.
    InternalError = 3,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    crate::contain::install_hook();
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        args::Command::Scan(a) => scan::run(a),
        args::Command::Generate(a) => generate::run(a),
        args::Command::Eval(a) => eval::run(a),
        args::Command::Demo(a) => demo::run(a),
        args::Command::Baseline(a) => scan::baseline(a),
        args::Command::Rules(a) => rules::run(a),
        args::Command::Investigate(a) => investigate::run(a),
    };
    match result {
        Ok(code) => code as i32,
        Err(e) => {
            if is_broken_pipe(&e) {
                // The reader went away (`| head`): not an error.
                return 0;
            }
            eprintln!("trailhound: {e:#}");
            2
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// What a reading command reads: the files, the paths that could not be expanded (already
/// said on stderr), and ingest options with the thread count and, when asked for on a
/// terminal, a progress bar.
pub(crate) struct Inputs {
    pub files: Vec<InputFile>,
    pub problems: Vec<FileProblem>,
    pub opts: IngestOptions,
    pub bar: Option<progress::Bar>,
}

impl Inputs {
    /// Expands `paths`; `None` when there is nothing to read (said on stderr).
    pub fn open(paths: &[String], threads: Option<usize>, progress: bool) -> Option<Inputs> {
        let (files, path_errors) = ingest::expand_paths(paths);
        let problems: Vec<FileProblem> = path_errors
            .into_iter()
            .map(|e| FileProblem {
                file: e.path,
                error: e.error,
            })
            .collect();
        for p in &problems {
            eprintln!(
                "trailhound: {}: {}",
                crate::text::terminal(&p.file, 300),
                p.error
            );
        }
        if files.is_empty() {
            eprintln!("trailhound: no input files to read");
            return None;
        }
        let bar = (progress && std::io::stderr().is_terminal()).then(|| {
            let total_bytes: u64 = files.iter().map(|f| f.size).sum();
            progress::Bar::new(files.len(), total_bytes)
        });
        let mut opts = IngestOptions::default();
        if let Some(t) = threads {
            opts.threads = t.max(1);
        }
        if let Some(b) = bar.clone() {
            opts.progress = Some(Box::new(move |done, bytes| b.update(done, bytes)));
        }
        Some(Inputs {
            files,
            problems,
            opts,
            bar,
        })
    }

    /// Ends the progress bar, if there is one.
    pub fn finish_progress(&self) {
        if let Some(b) = &self.bar {
            b.finish();
        }
    }
}

/// The width tables and incident text wrap at: `COLUMNS`, else the terminal's, else 120.
pub(crate) fn terminal_width() -> usize {
    // COLUMNS first (a user's override; shells rarely export it), then the terminal itself:
    // text wrapped wider than the window is wrapped again by the terminal.
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, w)| w as usize)
        })
        .unwrap_or(120)
        .clamp(60, 240)
}
