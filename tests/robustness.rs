//! Bad input never crashes a run: garbled bytes, truncation, wrong JSON types, deep nesting,
//! hostile values, huge lines. Property tests feed every parser; CLI tests check the run.

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use trailhound::event::Batch;
use trailhound::ingest::decode::{Compression, Decoded};
use trailhound::ingest::{read_decoded, FileReport};
use trailhound::skip::SkipLog;

use crate::common::{bin, corpus_dir};

/// Reads bytes as if they were a file, through detection, framing and parsing.
fn read_bytes(
    bytes: Vec<u8>,
    whole: bool,
) -> (FileReport, Vec<trailhound::event::OwnedEvent>, SkipLog) {
    let decoded = if whole {
        Decoded::Whole(bytes)
    } else {
        Decoded::Stream(Box::new(std::io::Cursor::new(bytes)))
    };
    let mut batches: Vec<Batch> = Vec::new();
    let mut skips = SkipLog::default();
    let mut sink = |b: Batch| batches.push(b);
    let report = read_decoded(0, "test", decoded, Compression::None, &mut sink, &mut skips);
    let events = batches
        .iter()
        .flat_map(|b| b.events.iter().map(move |e| e.to_owned_event(b)))
        .collect();
    (report, events, skips)
}

/// One sample per format (the corpus holds them all).
fn samples() -> Vec<Vec<u8>> {
    [
        "aws_cloudtrail/awsdocs-s3-bucket-ops.records.json",
        "aws_cloudtrail/panther-s3-events.jsonl",
        "aws_cloudtrail/awscli-example-lookup-events.json",
        "aws_cloudtrail/stratus-persistence.sts-federation-token.json",
        "s3_access/dandi-s3-log-extraction-hard-lines.log",
        "gcs_audit/panther-gcs-audit.jsonl",
        "gcs_audit/loki-promtail-gcplog-objects-get-sa-delegation.json",
        "gcs_usage/kanjiapi-usage-2.csv",
        "azure_blob_logs/otel-contrib-storage-read-delegationsas.json",
        "azure_blob_logs/panther-activity-storage-accounts.jsonl",
        "azure_storage_analytics/avere-azcopysync-v2.0-sas.log",
    ]
    .iter()
    .map(|f| std::fs::read(corpus_dir().join(f)).unwrap())
    .collect()
}

fn check_events(events: &[trailhound::event::OwnedEvent]) {
    for e in events {
        // Every event has a principal and a time that formats (strings are valid UTF-8 by type).
        assert!(!e.principal.is_empty(), "{e:?}");
        assert!(e.time.ends_with('Z'));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random bytes: detected as something or refused, never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), whole in any::<bool>()) {
        let (_, events, _) = read_bytes(bytes, whole);
        check_events(&events);
    }

    /// Real samples, garbled: bytes flipped, cut, spliced. Every record either parses or is
    /// skipped with a reason; none vanishes (events + skips ≥ 1 for a non-empty readable file).
    #[test]
    fn garbled_samples_never_panic(
        which in 0usize..11,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..20),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
        whole in any::<bool>(),
    ) {
        let mut data = samples()[which].clone();
        for (at, byte) in flips {
            let i = at.index(data.len());
            data[i] = byte;
        }
        if do_cut {
            data.truncate(cut.index(data.len() + 1));
        }
        let (report, events, skips) = read_bytes(data, whole);
        check_events(&events);
        prop_assert_eq!(report.skipped, skips.total());
    }

    /// CloudTrail records whose fields hold values of every JSON type.
    #[test]
    fn wrong_json_types(values in proptest::collection::vec(json_value(), 12)) {
        let keys = ["eventName", "eventSource", "userIdentity", "sourceIPAddress", "userAgent",
            "requestParameters", "additionalEventData", "errorCode", "readOnly", "awsRegion",
            "recipientAccountId", "responseElements"];
        let mut rec = String::from("{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventVersion\":\"1.08\"");
        for (k, v) in keys.iter().zip(&values) {
            rec.push_str(&format!(",\"{k}\":{v}"));
        }
        rec.push('}');
        let doc = format!("{{\"Records\":[{rec},{rec}]}}");
        let (report, events, _) = read_bytes(doc.into_bytes(), true);
        check_events(&events);
        prop_assert_eq!(report.events + report.skipped, 2);
    }

    /// Hostile strings (escapes, control characters, quotes, non-ASCII) come back exactly as
    /// serde_json decodes them: the fast cursor agrees with a reference parser.
    #[test]
    fn agrees_with_serde_json(agent in ".{0,80}", key in "\\PC{0,60}", name in "[A-Za-z]{1,20}", ip in "[0-9.:a-f]{0,20}") {
        let rec = serde_json::json!({
            "eventVersion": "1.09",
            "eventTime": "2024-05-06T07:08:09Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": name,
            "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{name}"), "accountId": "111122223333"},
            "sourceIPAddress": ip,
            "userAgent": agent,
            "requestParameters": {"bucketName": "b", "key": key},
            "recipientAccountId": "111122223333"
        });
        let doc = serde_json::json!({"Records": [rec]}).to_string();
        let (report, events, _) = read_bytes(doc.into_bytes(), true);
        prop_assert_eq!(report.events, 1);
        let e = &events[0];
        prop_assert_eq!(&e.user_agent, rec["userAgent"].as_str().unwrap());
        prop_assert_eq!(&e.object, rec["requestParameters"]["key"].as_str().unwrap());
        prop_assert_eq!(&e.action, rec["eventName"].as_str().unwrap());
        prop_assert_eq!(&e.principal, rec["userIdentity"]["arn"].as_str().unwrap());
        // An address, or an address with a port, is an IP; anything else is kept as text.
        let parsed_ip: Option<std::net::IpAddr> = ip
            .parse()
            .ok()
            .or_else(|| ip.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()));
        prop_assert_eq!(e.source_ip.clone(), parsed_ip.map(|i| i.to_string()));
    }
}

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        ".{0,20}".prop_map(|s| serde_json::Value::String(s).to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(("[a-zA-Z]{1,8}", inner), 0..4).prop_map(|kv| {
                let parts: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", parts.join(","))
            }),
        ]
    })
}

#[test]
fn deep_nesting_is_skipped_without_recursion() {
    let depth = 500_000;
    let deep = "[".repeat(depth) + &"]".repeat(depth);
    let rec = |extra: &str| {
        format!("{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"GetObject\",\"eventSource\":\"s3.amazonaws.com\",\"requestParameters\":{extra}}}")
    };
    let doc = format!("{{\"Records\":[{},{}]}}", rec(&deep), rec("null"));
    let (report, events, _) = read_bytes(doc.into_bytes(), false);
    assert_eq!(report.events, 2);
    assert_eq!(events[1].action, "GetObject");
    // Unbalanced: opens that never close are a truncated record, not a crash.
    let doc = format!("{{\"Records\":[{}", rec(&"[".repeat(depth)));
    let (report, _, skips) = read_bytes(doc.into_bytes(), true);
    assert_eq!(report.events, 0);
    assert_eq!(skips.total(), 1);
}

/// A whole decoded input is cut into batches of a few hundred events that share its text; the
/// events are the same as when the input is read as a stream (a UTF-8 byte order mark, a
/// broken byte and a damaged record included).
#[test]
fn whole_inputs_are_cut_into_batches_with_the_events_of_a_stream() {
    let n = 2 * trailhound::ingest::frame::SLICE_EVENTS + 7;
    let rec = |i: usize| {
        format!("{{\"eventTime\":\"2024-01-01T00:{:02}:{:02}Z\",\"eventName\":\"GetObject\",\"eventSource\":\"s3.amazonaws.com\",\"userIdentity\":{{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u{i}\"}},\"requestParameters\":{{\"bucketName\":\"b\",\"key\":\"k\\u00e9{i}\"}}}}", i / 60 % 60, i % 60)
    };
    let mut records: Vec<String> = (0..n).map(rec).collect();
    records[700] = "{\"eventTime\":12,\"eventName\":\"GetObject\"}".to_string();
    let doc = format!("\u{feff}{{\"Records\":[{}]}}", records.join(","));
    let mut doc = doc.into_bytes();
    let agent = doc.windows(4).position(|w| w == b"u0\"}").unwrap();
    doc[agent + 1] = 0xff;
    let count_batches = |whole: bool| {
        let decoded = if whole {
            Decoded::Whole(doc.clone())
        } else {
            Decoded::Stream(Box::new(std::io::Cursor::new(doc.clone())))
        };
        let mut batches: Vec<Batch> = Vec::new();
        let mut skips = SkipLog::default();
        let mut sink = |b: Batch| batches.push(b);
        read_decoded(0, "test", decoded, Compression::None, &mut sink, &mut skips);
        batches.len()
    };
    assert_eq!(
        count_batches(true),
        3,
        "{n} events, {} a batch",
        trailhound::ingest::frame::SLICE_EVENTS
    );
    let (whole_report, whole, whole_skips) = read_bytes(doc.clone(), true);
    let (stream_report, stream, stream_skips) = read_bytes(doc, false);
    assert_eq!(whole_report.events, n as u64 - 1);
    assert_eq!(whole_report.skipped, 1);
    assert_eq!(whole_skips.total(), stream_skips.total());
    assert_eq!(stream_report.events, whole_report.events);
    assert_eq!(whole, stream);
    assert_eq!(whole[5].object, "k\u{e9}5");
    assert_eq!(
        whole[0].principal, "arn:aws:iam::1:user/u?",
        "the broken byte, repaired"
    );
}

#[test]
fn truncated_documents_keep_the_records_before_the_damage() {
    let doc = std::fs::read(
        corpus_dir().join("aws_cloudtrail/stratus-credential-access.ec2-get-password-data.json"),
    )
    .unwrap();
    let cut = &doc[..doc.len() * 2 / 3];
    let (report, events, skips) = read_bytes(cut.to_vec(), false);
    assert!(
        report.events > 10 && report.events < 34,
        "{}",
        report.events
    );
    assert_eq!(events.len() as u64, report.events);
    assert_eq!(skips.count(trailhound::skip::SkipReason::TruncatedInput), 1);
}

/// Streams `head`, then `huge` bytes of `fill` (never held in memory), then `tail` into
/// `trailhound scan -` and returns its summary and that process's own peak RSS in KiB: its
/// VmHWM, sampled while it runs (rusage would count the test binary's memory, which the
/// child inherits at fork, and other tests' children).
fn scan_stream(head: &[u8], fill: u8, huge: usize, tail: &[u8]) -> (serde_json::Value, i64) {
    let mut child = Command::new(bin())
        .args(["scan", "-", "--format", "jsonl", "--threads", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let head = head.to_vec();
    let tail = tail.to_vec();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&head).unwrap();
        let block = vec![fill; 1 << 20];
        let mut left = huge;
        while left > 0 {
            let n = left.min(block.len());
            stdin.write_all(&block[..n]).unwrap();
            left -= n;
        }
        stdin.write_all(&tail).unwrap();
    });
    let pid = child.id();
    let monitor = std::thread::spawn(move || {
        let mut peak = 0i64;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            match status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            {
                Some(kib) => peak = peak.max(kib),
                None => break, // exited: a zombie has no memory
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        peak
    });
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).unwrap();
        v
    });
    let mut err = Vec::new();
    std::io::Read::read_to_end(&mut stderr, &mut err).unwrap();
    let out = out_reader.join().unwrap();
    writer.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.code().is_some(), "{status:?}");
    let rss = monitor.join().unwrap();
    assert!(!String::from_utf8_lossy(&err).contains("panicked"));
    (crate::common::summary_line(&out), rss)
}

#[test]
fn a_200_mb_line_is_skipped_in_bounded_memory() {
    let rec = r#"{"eventTime":"2024-01-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}"#;
    let head = format!("{rec}\n{rec}\n{{\"eventTime\":\"");
    let tail = format!("\"}}\n{rec}\n");
    let (s, rss_line) = scan_stream(head.as_bytes(), b'x', 200 << 20, tail.as_bytes());
    assert_eq!(s["events"], 3);
    assert_eq!(s["skipped_by_reason"]["record_too_large"], 1);
    // The same inside a CloudTrail log file: one huge record among normal ones.
    let head =
        format!("{{\"Records\":[{rec},{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"userAgent\":\"");
    let tail = format!("\"}},{rec}]}}");
    let (s, rss_file) = scan_stream(head.as_bytes(), b'y', 200 << 20, tail.as_bytes());
    assert_eq!(s["events"], 2);
    assert_eq!(s["skipped_by_reason"]["record_too_large"], 1);
    let rss_mib = rss_line.max(rss_file) / 1024;
    eprintln!("peak RSS of the scans: {rss_mib} MiB");
    assert!(
        rss_mib < 96,
        "peak RSS {rss_mib} MiB while reading 200 MB records"
    );
}

#[test]
fn garbage_directory_names_every_bad_file_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(
        p("random.bin"),
        (0..50_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    std::fs::write(p("empty.json"), b"").unwrap();
    std::fs::write(
        p("elf"),
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00",
    )
    .unwrap();
    std::fs::write(
        p("wrong-shape.json"),
        br#"{"hello":[1,2,3],"world":{"x":null}}"#,
    )
    .unwrap();
    std::fs::write(p("numbers.json"), b"[1,2,3]").unwrap();
    std::fs::write(p("huge-line.txt"), vec![b'a'; 20 << 20]).unwrap();
    // A CloudTrail log file, gzip'ed, then truncated: the records before the damage survive.
    let good = std::fs::read(
        corpus_dir()
            .join("aws_cloudtrail/stratus-credential-access.ec2-steal-instance-credentials.json"),
    )
    .unwrap();
    let mut records = String::from("{\"Records\":");
    records.push_str(std::str::from_utf8(&good).unwrap());
    records.push('}');
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(records.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(p("trail.json.gz"), &gz[..gz.len() * 3 / 4]).unwrap();
    std::fs::write(p("zero.gz"), [0x1f, 0x8b, 0x08, 0x00, 0x00]).unwrap();
    std::fs::copy(
        corpus_dir().join("s3_access/awsdocs-userguide-2023-26fields.log"),
        p("good.log"),
    )
    .unwrap();

    let out = Command::new(bin())
        .args(["scan", dir.path().to_str().unwrap(), "--format", "jsonl"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let s = crate::common::summary_line(&out.stdout);
    let errors: Vec<String> = s["file_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    for bad in [
        "random.bin",
        "empty.json",
        "elf",
        "wrong-shape.json",
        "numbers.json",
        "huge-line.txt",
        "zero.gz",
    ] {
        assert!(
            errors.iter().any(|e| e.ends_with(bad)),
            "{bad} not named in {errors:?}"
        );
        assert!(stderr.contains(bad), "{bad} not named on stderr: {stderr}");
    }
    assert!(
        s["skipped_by_reason"]["truncated_input"].as_u64().unwrap() >= 1,
        "{s}"
    );
    let events = s["events"].as_u64().unwrap();
    assert!(
        events > 5 + 10,
        "the good log and the intact part of the trail: {events}"
    );
}

#[test]
fn every_container_and_compression() {
    let loki = std::fs::read_to_string(
        corpus_dir().join("gcs_audit/loki-promtail-gcplog-objects-get-sa-delegation.json"),
    )
    .unwrap();
    // gcloud logging read --format=json: a JSON array of LogEntry objects.
    let gcloud = format!("[\n{loki},\n{loki}\n]\n");
    let (r, events, _) = read_bytes(gcloud.into_bytes(), true);
    assert_eq!((r.format, r.events), (Some("gcs_audit"), 2));
    assert_eq!(events[0].action, "storage.objects.get");

    // A bare array of EventBridge envelopes, and one pretty-printed envelope.
    let env = std::fs::read_to_string(
        corpus_dir().join("aws_cloudtrail/custodian-cwe-s3-createbucket-root.json"),
    )
    .unwrap();
    let (r, events, _) = read_bytes(format!("[{env},{env}]").into_bytes(), false);
    assert_eq!((r.format, r.events), (Some("aws_cloudtrail"), 2));
    assert_eq!(events[1].action, "CreateBucket");
    let (r, _, _) = read_bytes(env.clone().into_bytes(), false);
    assert_eq!(r.events, 1);

    // Azure `{"records":[...]}` on one line each (Event Hubs capture style JSON Lines).
    let line = r#"{"records":[{"time":"2024-01-01T00:00:00Z","operationName":"GetBlob","category":"StorageRead","identity":{"type":"Anonymous"},"properties":{"accountName":"acct","objectKey":"/acct/c/o"}},{"time":"2024-01-01T00:00:01Z","operationName":"GetBlob","category":"StorageRead","identity":{"type":"Anonymous"},"properties":{"accountName":"acct","objectKey":"/acct/c/p"}}]}"#;
    let (r, events, _) = read_bytes(format!("{line}\n{line}\n").into_bytes(), false);
    assert_eq!((r.format, r.events), (Some("azure_blob_logs"), 4));
    assert_eq!(events[1].object, "p");

    // A CloudTrail digest file is recognised and ignored, not counted as skipped records.
    let digest = r#"{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z","digestEndTime":"2024-01-01T01:00:00Z","digestS3Bucket":"b","digestPublicKeyFingerprint":"abc","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}"#;
    let (r, _, skips) = read_bytes(digest.as_bytes().to_vec(), true);
    assert_eq!(
        r.status,
        trailhound::ingest::FileStatus::Ignored("CloudTrail digest file")
    );
    assert_eq!(skips.total(), 0);

    // zstd (several frames) and multi-member gzip, recognised by magic bytes only.
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(corpus_dir().join("aws_cloudtrail/panther-s3-events.jsonl")).unwrap();
    let half = plain.len() / 2;
    let cut = half + plain[half..].iter().position(|&c| c == b'\n').unwrap() + 1;
    let mut zst = ruzstd::encoding::compress_to_vec(
        &plain[..cut],
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    zst.extend(ruzstd::encoding::compress_to_vec(
        &plain[cut..],
        ruzstd::encoding::CompressionLevel::Fastest,
    ));
    std::fs::write(dir.path().join("events.log"), &zst).unwrap();
    let mut gz = Vec::new();
    for part in [&plain[..cut], &plain[cut..]] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(part).unwrap();
        gz.extend(e.finish().unwrap());
    }
    std::fs::write(dir.path().join("events.txt"), &gz).unwrap();
    for name in ["events.log", "events.txt"] {
        let (r, _, _) = crate::common::read(&dir.path().join(name));
        assert_eq!((r.events, r.skipped), (66, 6), "{name}");
    }
}
