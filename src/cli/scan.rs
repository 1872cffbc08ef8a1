//! `trailhound scan`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::args::{OutputFormat, ScanArgs};
use crate::cli::{terminal_width, ExitCode, Inputs};

use crate::pipeline;
use crate::report::{json, table};
use crate::summary::Summary;

pub fn run(args: &ScanArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let Some(mut inputs) = Inputs::open(&args.paths, args.threads, !args.quiet) else {
        return Ok(ExitCode::NoInput);
    };
    let config = args.settings.load()?;
    // The state is locked for the whole run and written only when it completed.
    let db = args
        .state
        .as_deref()
        .map(crate::state::StateDb::open)
        .transpose()?;
    let prior = db.as_ref().map(|d| d.load()).transpose()?;
    let files = std::mem::take(&mut inputs.files);
    let (out, new_state) = if args.no_detect {
        (
            pipeline::ingest_only(files, &inputs.opts),
            Default::default(),
        )
    } else {
        pipeline::scan_with_state(files, &inputs.opts, &config, prior, None).with_context(|| {
            format!(
                "state file {}",
                args.state.as_deref().unwrap_or(Path::new("")).display()
            )
        })?
    };
    inputs.finish_progress();
    let (stats, report) = (&out.stats, &out.ingest);
    let summary = Summary::new(stats, report, &inputs.problems).with_detection(&out);
    let elapsed = started.elapsed().as_secs_f64();

    let output = crate::cli::scan::output_file(args.output.as_deref());
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Jsonl
    });
    // A table on the terminal lists unreadable files itself; anywhere else, say so on stderr.
    if !(to_terminal && format == OutputFormat::Table) {
        for p in report.problems() {
            eprintln!("trailhound: {}", crate::text::terminal(&p, 400));
        }
    }
    let text = match format {
        OutputFormat::Table => {
            let width = terminal_width();
            let mut s = table::detections(&out, width, args.color.enabled(to_terminal));
            s.push_str(&table::summary(&summary, elapsed, report.bytes_read));
            s
        }
        OutputFormat::Jsonl => json::jsonl(&out, &summary)?,
        OutputFormat::Html => crate::report::html::render(&out, &summary),
        OutputFormat::Ocsf => crate::report::ocsf::lines(&out)?,
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json::document(&out, &summary))?;
            s.push('\n');
            s
        }
    };
    write_output(output, text.as_bytes())?;
    if let Some(db) = db {
        db.save(&new_state, &out.findings)?;
    }

    if !report.any_readable() {
        eprintln!("trailhound: none of the inputs could be read");
        return Ok(ExitCode::NoInput);
    }
    if let Some(n) = summary.skipped_by_reason.get("internal_error") {
        eprintln!(
            "trailhound: {n} record(s) made trailhound fail; each failure was contained to its record \
             (skipped as internal_error, located in the summary's skipped_samples) and raised \
             trailhound.self_check. Please report it with the record."
        );
        return Ok(ExitCode::InternalError);
    }
    if let Some(level) = args
        .fail_on
        .as_deref()
        .and_then(crate::catalogue::Severity::parse)
    {
        let n = out.findings.iter().filter(|f| f.severity >= level).count();
        if n > 0 {
            eprintln!(
                "trailhound: --fail-on {}: {n} finding(s) at or above it",
                level.as_str()
            );
            return Ok(ExitCode::Findings);
        }
    }
    if args.strict && (summary.skipped > 0 || !summary.file_errors.is_empty()) {
        eprintln!(
            "trailhound: --strict: {} record(s) skipped, {} file(s) not read",
            summary.skipped,
            summary.file_errors.len()
        );
        return Ok(ExitCode::Findings);
    }
    Ok(ExitCode::Ok)
}

/// The file `-o` names; `-` is standard output, as for most tools.
pub fn output_file(path: Option<&std::path::Path>) -> Option<&std::path::Path> {
    path.filter(|p| p.as_os_str() != "-")
}

pub fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => {
            std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// `trailhound baseline`: learn from logs into the state file, report nothing.
pub fn baseline(args: &crate::cli::args::BaselineArgs) -> Result<ExitCode> {
    let Some(inputs) = Inputs::open(&args.paths, args.threads, false) else {
        return Ok(ExitCode::NoInput);
    };
    let config = args.settings.load()?;
    let db = crate::state::StateDb::open(&args.state)?;
    let prior = db.load()?;
    let before = prior.profiles.len();
    let (out, new_state) =
        pipeline::scan_with_state(inputs.files, &inputs.opts, &config, Some(prior), None)
            .with_context(|| format!("state file {}", args.state.display()))?;
    for p in out.ingest.problems() {
        eprintln!("trailhound: {}", crate::text::terminal(&p, 400));
    }
    let learned = new_state.profiles.len();
    db.save(&new_state, &[])?;
    eprintln!(
        "trailhound: learned from {} events ({} skipped); {} principals in {} ({} new)",
        out.stats.events,
        out.ingest.skips.total(),
        learned,
        args.state.display(),
        learned.saturating_sub(before)
    );
    if !out.ingest.any_readable() {
        return Ok(ExitCode::NoInput);
    }
    Ok(ExitCode::Ok)
}
