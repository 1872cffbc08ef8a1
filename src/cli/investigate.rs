//! `trailhound investigate`.

use std::io::IsTerminal;

use anyhow::{bail, Result};

use crate::cli::args::{InvestigateArgs, InvestigateFormat};
use crate::cli::scan::{load_config, write_output};
use crate::cli::{progress, ExitCode};
use crate::ingest::{self, IngestOptions};
use crate::investigate::{self, parse_time, Query};

pub fn run(args: &InvestigateArgs) -> Result<ExitCode> {
    let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>> {
        match v {
            None => Ok(None),
            Some(s) => match parse_time(s) {
                Some(t) => Ok(Some(t)),
                None => bail!(
                    "{flag} {s:?}: expected RFC 3339 (2026-02-07T02:00:00Z) or a date (2026-02-07)"
                ),
            },
        }
    };
    let query = Query {
        principal: args.principal.clone(),
        since: time("--since", &args.since)?,
        until: time("--until", &args.until)?,
    };
    let config = load_config(args.config.as_deref())?;
    let (files, path_errors) = ingest::expand_paths(&args.paths);
    for e in &path_errors {
        eprintln!(
            "trailhound: {}: {}",
            crate::report::sanitize::terminal(&e.path, 300),
            e.error
        );
    }
    if files.is_empty() {
        eprintln!("trailhound: no input files to read");
        return Ok(ExitCode::NoInput);
    }
    let total_bytes: u64 = files.iter().map(|f| f.size).sum();
    let bar = (!args.quiet && std::io::stderr().is_terminal())
        .then(|| progress::Bar::new(files.len(), total_bytes));
    let mut opts = IngestOptions::default();
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    if let Some(b) = bar.clone() {
        opts.progress = Some(Box::new(move |done, bytes| b.update(done, bytes)));
    }
    let result = investigate::run(files, &opts, &config, &query);
    if let Some(b) = &bar {
        b.finish();
    }
    let (inv, out) = match result {
        Ok(x) => x,
        Err(e) => {
            // Not a usage error as such, but nothing to report: the same status as no input.
            eprintln!("trailhound: {e}");
            return Ok(ExitCode::NoInput);
        }
    };
    if !out.ingest.any_readable() {
        eprintln!("trailhound: none of the inputs could be read");
        return Ok(ExitCode::NoInput);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        InvestigateFormat::Table
    } else {
        InvestigateFormat::Json
    });
    let text = match format {
        InvestigateFormat::Table => {
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(120usize)
                .clamp(60, 240);
            investigate::table(&inv, width)
        }
        InvestigateFormat::Json => {
            let mut s = serde_json::to_string_pretty(&inv)?;
            s.push('\n');
            s
        }
    };
    write_output(args.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::Ok)
}
