//! `trailhound generate`.

use std::time::Instant;

use anyhow::Result;

use crate::cli::args::GenerateArgs;
use crate::cli::ExitCode;
use crate::generate::{generate, Options};

pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let report = generate(&Options {
        out: args.out.clone(),
        days: args.days,
        seed: args.seed,
        scale: args.scale,
    })?;
    let records: u64 = report.records.values().sum();
    eprintln!(
        "trailhound: wrote {} records in {} files ({:.1} MB) to {} in {:.1} s, {} to {}",
        records,
        report.files,
        report.bytes as f64 / 1e6,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        report.start,
        report.end
    );
    for (format, n) in &report.records {
        eprintln!("  {n:>8}  {format}");
    }
    eprintln!(
        "  {} attack scenarios labelled in {}",
        report.labels.len(),
        args.out.join("labels.json").display()
    );
    Ok(ExitCode::Ok)
}
