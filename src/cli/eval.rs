//! `trailhound eval`.

use std::io::{BufReader, Write};

use anyhow::{bail, Context, Result};

use crate::cli::args::{EvalArgs, EvalFormat};
use crate::cli::ExitCode;
use crate::eval::{evaluate, parse_labels, read_findings, table};

pub fn run(args: &EvalArgs) -> Result<ExitCode> {
    if let Some(r) = args.min_recall {
        if !(0.0..=1.0).contains(&r) {
            bail!("--min-recall must be between 0 and 1");
        }
    }
    let labels = std::fs::read_to_string(&args.labels)
        .with_context(|| format!("cannot read {}", args.labels.display()))?;
    let truths = parse_labels(&labels).with_context(|| format!("in {}", args.labels.display()))?;
    let findings = if args.findings == "-" {
        read_findings(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.findings)
            .with_context(|| format!("cannot read {}", args.findings))?;
        read_findings(BufReader::new(f))
    }
    .with_context(|| format!("in {}", args.findings))?;
    let e = evaluate(&truths, &findings);
    let mut out = std::io::stdout().lock();
    match args.format {
        EvalFormat::Table => out.write_all(table(&e).as_bytes())?,
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &e)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    // Status 1 is the "the run found what you asked to fail on" code, as `--fail-on` for scan.
    Ok(match args.min_recall {
        Some(r) if e.recall < r => ExitCode::Findings,
        _ => ExitCode::Ok,
    })
}
