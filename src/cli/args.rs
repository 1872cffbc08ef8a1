//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "trailhound",
    version,
    about = "Finds abnormal access to cloud object storage in AWS, GCP and Azure audit logs",
    after_help = "Examples:\n  trailhound scan ./AWSLogs --format jsonl -o findings.jsonl\n  zcat trail.json.gz | trailhound scan -\n  trailhound scan logs/ --strict"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read audit logs and report what they hold.
    ///
    /// Reads AWS CloudTrail (log files, JSON Lines, lookup-events output, EventBridge
    /// envelopes), S3 server access logs, GCS audit and usage logs, Azure StorageBlobLogs,
    /// Azure Activity logs and Azure Storage Analytics logs. The format of each file is
    /// detected from its content; gzip and zstd are decompressed transparently.
    Scan(ScanArgs),
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or directories (read recursively); `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 1 if any record was skipped or any file could not be read.
    #[arg(long)]
    pub strict: bool,

    /// Worker threads [default: number of CPUs].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned text for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// JSON Lines, one object per line (the streaming contract).
    Jsonl,
}
