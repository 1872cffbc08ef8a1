//! The command line: flags → library calls → exit code.

pub mod args;
pub mod demo;
pub mod eval;
pub mod generate;
pub mod investigate;
pub mod progress;
pub mod rules;
pub mod scan;

use clap::Parser;

/// Exit codes (DESIGN.md): 0 the run completed; 1 `--strict` saw a skip or `--fail-on` a
/// finding; 2 a usage or configuration error, or no input could be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Findings = 1,
    NoInput = 2,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
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
