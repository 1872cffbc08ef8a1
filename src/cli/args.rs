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

    /// Write a realistic multi-cloud world of audit logs with known attacks.
    ///
    /// Writes CloudTrail log files, S3 server access logs, GCS audit logs, Azure
    /// StorageBlobLogs, Activity and Storage Analytics logs in the layouts the clouds use,
    /// and `labels.json`, the ground truth of the attacks. The same arguments give
    /// byte-identical output.
    Generate(GenerateArgs),

    /// Score findings (JSON Lines from `scan`) against `labels.json`.
    Eval(EvalArgs),

    /// Generate a multi-cloud world with known attacks, scan it and show what was found.
    ///
    /// Needs no network and no input. Writes the logs, a configuration, the findings and
    /// the report under the output directory, prints the ranked incidents, and scores them
    /// against the ground truth.
    Demo(DemoArgs),

    /// Learn baselines from logs without reporting (fold history into the state file).
    Baseline(BaselineArgs),

    /// List the detection catalogue: rule ids, severities, thresholds in force, ATT&CK ids
    /// and the log data each rule needs.
    Rules(RulesArgs),

    /// Everything about one principal: identity and authentication, source addresses, user
    /// agents, buckets and objects, an hourly timeline against its own earlier hours, its
    /// findings, and queries to run in your own log store.
    ///
    /// The principal is matched exactly, else as a substring. Without --since/--until the
    /// window is the span of its findings (two hours either side).
    Investigate(InvestigateArgs),
}

#[derive(Args, Debug)]
pub struct InvestigateArgs {
    /// Files or directories (read recursively); `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// The principal: an ARN, e-mail, object id… (exact, else substring).
    #[arg(long, value_name = "P")]
    pub principal: String,

    /// Window start: RFC 3339 or a date (midnight UTC).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Window end (exclusive): RFC 3339 or a date.
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<InvestigateFormat>,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Worker threads [default: number of CPUs].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub settings: Settings,
}

/// Where the configuration comes from (scan, baseline and investigate read it alike).
#[derive(Args, Debug)]
pub struct Settings {
    /// Configuration file [default: ./trailhound.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// MaxMind-format GeoIP / ASN database (.mmdb; repeat for several). Adds countries, ASNs
    /// and impossible travel; replaces the configuration's [geoip] databases.
    #[arg(long, value_name = "FILE")]
    pub geoip: Vec<PathBuf>,
}

impl Settings {
    /// The configuration in force: the file (or ./trailhound.toml, or the defaults), with the
    /// `--geoip` databases in place of the file's when given.
    pub fn load(&self) -> anyhow::Result<crate::pipeline::ScanConfig> {
        crate::config::load_or_default(self.config.as_deref(), &self.geoip)
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvestigateFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// Files or directories (read recursively); `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// The state file to create or extend.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,

    #[command(flatten)]
    pub settings: Settings,

    /// Worker threads [default: number of CPUs].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the demo world and its report.
    #[arg(long, default_value = "trailhound-demo", value_name = "DIR")]
    pub out: PathBuf,

    /// Size of the benign world (1 ≈ 190k events).
    #[arg(long, default_value_t = 0.5, value_name = "X")]
    pub scale: f64,

    /// Seed of the world.
    #[arg(long, default_value_t = 7, value_name = "N")]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,

    /// Show the thresholds and severities in force under this configuration.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory to write into (created; must be new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Days of history; the attacks happen in the last week.
    #[arg(long, default_value_t = 35, value_name = "N")]
    pub days: u32,

    /// Seed of the random world.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,

    /// Multiplies the benign volume (1 ≈ 150k–300k events).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub scale: f64,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Ground truth written by `generate`.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,

    /// Findings as JSON Lines (`scan --format jsonl`); `-` reads standard input.
    #[arg(value_name = "FINDINGS")]
    pub findings: String,

    /// Exit with status 1 when recall is below R.
    #[arg(long, value_name = "R")]
    pub min_recall: Option<f64>,

    /// Output format [default: table].
    #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or directories (read recursively); `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Output format [default: table on a terminal, jsonl otherwise]; html writes one
    /// self-contained page (use with -o).
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

    #[command(flatten)]
    pub settings: Settings,

    /// Read and count only: no detection (the summary alone; the ingest benchmark).
    #[arg(long, conflicts_with = "state")]
    pub no_detect: bool,

    /// Keep baselines and open findings in this SQLite file, and continue from it: successive
    /// runs judge new logs against everything learned before.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Exit with status 1 when a finding at or above this severity is reported.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,

    /// Colour severities in the table: auto (on a terminal, unless NO_COLOR is set), always,
    /// never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output written to a terminal (`to_terminal`) or elsewhere.
    pub fn enabled(self, to_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned text for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// JSON Lines, one object per line (the streaming contract).
    Jsonl,
    /// One self-contained HTML page.
    Html,
    /// OCSF 1.8.0 Detection Finding objects, one per line.
    Ocsf,
}
