//! `trailhound demo`: a multi-cloud world with known attacks, generated, scanned and scored,
//! offline, in seconds.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::args::DemoArgs;
use crate::cli::ExitCode;
use crate::generate::{generate, Options};
use crate::ingest::{self, IngestOptions};
use crate::pipeline;
use crate::report::{html, json, table};
use crate::summary::Summary;

/// What the demo organisation knows about itself: its accounts and its change window.
const DEMO_CONFIG: &str = r#"# trailhound.toml of the demo organisation (Acme).
# Its own AWS accounts: replication or grants to any other account are foreign.
[known]
accounts = ["111122223333", "444455556666"]

# The platform team changes production settings in a weekly window (Tuesdays 14:00-16:00
# UTC); their changes inside it are reported as info, not as alerts.
[[change_window]]
principals = ["arn:aws:iam::111122223333:user/pat-admin", "3f6a2b1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c"]
weekday = "tue"
from = "14:00"
to = "16:00"

# Countries, networks and impossible travel. The demo ships MaxMind's test databases (a few
# hundred networks, Apache-2.0/MIT); point these at GeoLite2-City/ASN, DB-IP or
# ip-location-db files for real logs.
[geoip]
databases = ["geoip/GeoLite2-City-Test.mmdb", "geoip/GeoLite2-ASN-Test.mmdb"]
"#;

/// MaxMind's test databases, written next to the demo's configuration.
const DEMO_GEOIP: [(&str, &[u8]); 2] = [
    (
        "GeoLite2-City-Test.mmdb",
        include_bytes!("../../tests/data/geoip/GeoLite2-City-Test.mmdb"),
    ),
    (
        "GeoLite2-ASN-Test.mmdb",
        include_bytes!("../../tests/data/geoip/GeoLite2-ASN-Test.mmdb"),
    ),
];

pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let out = &args.out;
    let logs = out.join("logs");
    if logs.exists() {
        std::fs::remove_dir_all(&logs)
            .with_context(|| format!("cannot clear the previous demo in {}", logs.display()))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    eprintln!(
        "trailhound demo: generating a 35-day multi-cloud world with 15 attacks in {} …",
        logs.display()
    );
    let world = generate(&Options {
        out: logs.clone(),
        days: 35,
        seed: args.seed,
        scale: args.scale,
    })?;
    let geoip = out.join("geoip");
    std::fs::create_dir_all(&geoip)
        .with_context(|| format!("cannot create {}", geoip.display()))?;
    for (name, bytes) in DEMO_GEOIP {
        std::fs::write(geoip.join(name), bytes)
            .with_context(|| format!("cannot write {}", geoip.join(name).display()))?;
    }
    let config_path = out.join("trailhound.toml");
    std::fs::write(&config_path, DEMO_CONFIG)
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    let config = crate::config::load(&config_path)?;
    let generated = started.elapsed().as_secs_f64();

    let (files, _) = ingest::expand_paths(&[logs.display().to_string()]);
    let scan_start = Instant::now();
    let result = pipeline::scan(files, &IngestOptions::default(), &config);
    let scan_secs = scan_start.elapsed().as_secs_f64();
    let summary = Summary::new(&result.stats, &result.ingest, &[]).with_detection(&result);

    let findings_path = out.join("findings.jsonl");
    std::fs::write(&findings_path, json::jsonl(&result, &summary)?)?;
    let report_path = out.join("report.json");
    std::fs::write(
        &report_path,
        serde_json::to_string_pretty(&json::document(&result, &summary))?,
    )?;
    let html_path = out.join("report.html");
    std::fs::write(&html_path, html::render(&result, &summary))?;

    // Score against the ground truth the generator wrote.
    let labels = crate::eval::parse_labels(&std::fs::read_to_string(logs.join("labels.json"))?)?;
    let findings = crate::eval::read_findings(std::io::BufReader::new(std::fs::File::open(
        &findings_path,
    )?))?;
    let evaluation = crate::eval::evaluate(&labels, &findings);

    let width = crate::cli::terminal_width();
    let colour = crate::cli::args::ColorChoice::Auto.enabled(std::io::stdout().is_terminal());
    let mut text = table::detections(&result, width, colour);
    text.push_str(&table::summary(
        &summary,
        scan_secs,
        result.ingest.bytes_read,
    ));
    print!("{text}");
    println!(
        "\nGround truth: {} of {} attacks found (recall {:.2}), {} false alarm(s) of medium or above (precision {:.2}).",
        evaluation.found,
        evaluation.labels,
        evaluation.recall,
        evaluation.false_positives,
        evaluation.precision
    );
    println!(
        "\nGenerated {} events in {:.1} s, scanned them in {:.1} s.",
        world.records.values().sum::<u64>(),
        generated,
        scan_secs
    );
    println!("Report:   {}", display(&html_path));
    println!(
        "Findings: {} (JSON Lines for a SIEM), {}",
        display(&findings_path),
        display(&report_path)
    );
    println!(
        "Logs:     {} (scan them yourself: trailhound scan {} --config {})",
        display(&logs),
        display(&logs),
        display(&config_path)
    );
    Ok(ExitCode::Ok)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
