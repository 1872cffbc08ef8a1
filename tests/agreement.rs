//! Agreement with public detection projects' own test events (Panther's rule tests, Stratus
//! Red Team's sample events; tests/data/agreement/README.md): their positives raise the
//! mapped trailhound rule, their negatives leave the mapped rules quiet.

use std::path::Path;

use trailhound::catalogue::Severity;
use trailhound::ingest::{expand_paths, IngestOptions};
use trailhound::pipeline::{scan, ScanConfig};

struct Case {
    file: &'static str,
    name: String,
    fires: Option<String>,
    quiet: Vec<String>,
    log: String,
    event: serde_json::Value,
}

fn cases(file: &'static str) -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/agreement")
        .join(file);
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Case {
                file,
                name: v["case"].as_str().unwrap().to_string(),
                fires: v["fires"].as_str().map(str::to_string),
                quiet: v["quiet"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                log: v["log"].as_str().unwrap().to_string(),
                event: v["event"].clone(),
            }
        })
        .collect()
}

/// Test events are trimmed: a missing time gets one, and Panther's normalised
/// `2024-11-25 17:51:21.000000000` becomes RFC 3339 (real logs always carry it).
fn with_time(mut e: serde_json::Value, key: &str) -> serde_json::Value {
    let t = e.get(key).and_then(|t| t.as_str()).map(str::to_string);
    let fixed = match t {
        Some(t) if t.len() >= 19 && t.as_bytes()[10] == b' ' => {
            format!("{}T{}Z", &t[..10], &t[11..19])
        }
        Some(t) => t,
        None => "2024-01-01T00:00:00Z".to_string(),
    };
    e[key] = fixed.into();
    e
}

/// Panther ships S3 server access log tests as the line's parsed fields: written back as the
/// line S3 writes (fields in the documented order, `-` where absent, quoted where S3 quotes).
fn s3_access_line(e: &serde_json::Value) -> String {
    let field = |k: &str| match &e[k] {
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => "-".to_string(),
    };
    let quoted = |k: &str| format!("\"{}\"", field(k));
    // `2020-02-14 00:53:48.000000000` → `[14/Feb/2020:00:53:48 +0000]`
    let t = field("time");
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = t[5..7].parse().unwrap();
    let time = format!(
        "[{}/{}/{}:{} +0000]",
        &t[8..10],
        months[month - 1],
        &t[0..4],
        &t[11..19]
    );
    let tls = if e.get("tlsVersion").is_some() {
        field("tlsVersion")
    } else {
        field("tlsversion")
    };
    [
        field("bucketowner"),
        field("bucket"),
        time,
        field("remoteip"),
        field("requester"),
        field("requestid"),
        field("operation"),
        field("key"),
        quoted("requesturi"),
        field("httpstatus"),
        field("errorcode"),
        field("bytessent"),
        field("objectsize"),
        field("totaltime"),
        field("turnaroundtime"),
        quoted("referrer"),
        quoted("useragent"),
        field("versionid"),
        field("hostid"),
        field("signatureversion"),
        field("ciphersuite"),
        field("authenticationtype"),
        field("hostheader"),
        tls,
        field("accesspointarn"),
        field("aclrequired"),
    ]
    .join(" ")
        + "\n"
}

/// The file a provider would have written around the event.
fn log_file(c: &Case, dir: &Path, n: usize) -> std::path::PathBuf {
    let (name, text) = match c.log.as_str() {
        "cloudtrail" => (
            "trail.json",
            serde_json::json!({ "Records": [with_time(c.event.clone(), "eventTime")] }).to_string(),
        ),
        "gcp_audit" => (
            "audit.json",
            with_time(c.event.clone(), "timestamp").to_string(),
        ),
        "azure_activity" => (
            "activity.json",
            serde_json::json!({ "records": [with_time(c.event.clone(), "time")] }).to_string(),
        ),
        // The vault's own AuditEvent log shares the resource-log envelope.
        "keyvault_audit" => (
            "keyvault.json",
            serde_json::json!({ "records": [with_time(c.event.clone(), "time")] }).to_string(),
        ),
        "azure_blob" => ("blob.json", with_time(c.event.clone(), "time").to_string()),
        "s3_access" => ("access.log", s3_access_line(&c.event)),
        other => panic!("unknown log {other}"),
    };
    let d = dir.join(n.to_string());
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn check(files: &[&'static str]) -> (usize, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ScanConfig::default();
    let mut disagreements = Vec::new();
    let mut n = 0;
    for (i, c) in files.iter().flat_map(|f| cases(f)).enumerate() {
        if c.fires.is_none() && c.quiet.is_empty() {
            continue;
        }
        n += 1;
        let path = log_file(&c, dir.path(), i);
        let (inputs, _) = expand_paths(&[path.display().to_string()]);
        let out = scan(inputs, &IngestOptions::default(), &cfg);
        let raised: Vec<(&str, Severity)> = out
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.severity))
            .collect();
        let who = format!("{}: {:?}", c.file, c.name);
        if let Some(rule) = &c.fires {
            if !raised.iter().any(|(r, _)| r == rule) {
                disagreements.push(format!(
                    "{who}: {rule} did not fire (raised {raised:?}; events {}, skipped {})",
                    out.ingest.files.iter().map(|f| f.events).sum::<u64>(),
                    out.ingest.files.iter().map(|f| f.skipped).sum::<u64>()
                ));
            }
        }
        for q in &c.quiet {
            if let Some((_, s)) = raised.iter().find(|(r, s)| r == q && *s > Severity::Info) {
                disagreements.push(format!("{who}: {q} fired ({s:?}) on their negative"));
            }
        }
    }
    (n, disagreements)
}

#[test]
fn panther_and_stratus_test_events_agree() {
    let (n, bad) = check(&["panther.jsonl", "stratus.jsonl"]);
    assert!(n >= 20, "{n} cases");
    assert!(
        bad.is_empty(),
        "{} of {n} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The storage path, exposure and escalation cases (tests/data/agreement/README.md): plain
/// HTTP, VPC endpoints, VPC Service Controls, ransom notes, Key Vault, IAM escalation.
#[test]
fn storage_path_and_escalation_test_events_agree() {
    let (n, bad) = check(&["storage-path.jsonl"]);
    assert!(n >= 40, "{n} cases");
    assert!(
        bad.is_empty(),
        "{} of {n} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn panther_verdicts_on_corpus_events_agree() {
    let (n, bad) = check(&["panther-corpus-overlap.jsonl"]);
    assert!(n >= 80, "{n} cases");
    assert!(
        bad.is_empty(),
        "{} of {n} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
