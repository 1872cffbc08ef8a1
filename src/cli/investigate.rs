//! `trailhound investigate`.

use std::io::IsTerminal;

use anyhow::{bail, Result};

use crate::cli::args::{InvestigateArgs, InvestigateFormat};
use crate::cli::scan::write_output;
use crate::cli::{terminal_width, ExitCode, Inputs};
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
    let config = args.settings.load()?;
    let Some(mut inputs) = Inputs::open(&args.paths, args.threads, !args.quiet) else {
        return Ok(ExitCode::NoInput);
    };
    let files = std::mem::take(&mut inputs.files);
    let result = investigate::run(files, &inputs.opts, &config, &query);
    inputs.finish_progress();
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
    let output = crate::cli::scan::output_file(args.output.as_deref());
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        InvestigateFormat::Table
    } else {
        InvestigateFormat::Json
    });
    let text = match format {
        InvestigateFormat::Table => {
            let width = terminal_width();
            investigate::table(&inv, width)
        }
        InvestigateFormat::Json => {
            let mut s = serde_json::to_string_pretty(&inv)?;
            s.push('\n');
            s
        }
    };
    write_output(output, text.as_bytes())?;
    Ok(ExitCode::Ok)
}
