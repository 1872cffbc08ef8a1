//! Every record under tests/corpus (a copy of the shared corpus, see its SOURCES.md) parses,
//! except those expected.tsv marks as skipped; and hand-checked fields per format.

use crate::common::{corpus_dir, read};
use trailhound::ingest::FileStatus;

struct Expected {
    file: String,
    format_dir: String,
    records: u64,
    skip: u64,
}

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(corpus_dir().join("expected.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (f, d, r, s) = (col("file"), col("format_dir"), col("records"), col("skip"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Expected {
                file: c[f].to_string(),
                format_dir: c[d].to_string(),
                records: c[r].parse().unwrap(),
                skip: c[s].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn corpus_counts_per_file() {
    let rows = expected();
    assert_eq!(rows.len(), 55, "expected.tsv lists 55 files");
    let mut failures = Vec::new();
    for row in &rows {
        let (report, events, skips) = read(&corpus_dir().join(&row.file));
        assert_eq!(report.status, FileStatus::Read, "{}", row.file);
        let want_events = row.records - row.skip;
        if report.events != want_events
            || report.skipped != row.skip
            || events.len() as u64 != want_events
        {
            failures.push(format!(
                "{}: events {} (want {}), skipped {} (want {}), reasons {:?}",
                row.file,
                report.events,
                want_events,
                report.skipped,
                row.skip,
                skips.by_reason()
            ));
        }
        if row.skip > 0 {
            assert_eq!(
                skips.by_reason().get("missing_or_invalid_time").copied(),
                Some(row.skip),
                "{}: skips are for the time",
                row.file
            );
        }
        // Format ids: the folder names, except Activity records that live in the Azure folder.
        for e in &events {
            let ok = e.source_format == row.format_dir
                || (row.format_dir == "azure_blob_logs" && e.source_format == "azure_activity");
            assert!(ok, "{}: event of format {}", row.file, e.source_format);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// (file, index of the event in the file, [(field, expected JSON value)])
type Case<'a> = (&'a str, usize, &'a [(&'a str, serde_json::Value)]);

/// Fields of chosen records, checked by hand against the raw records.
#[test]
fn normalised_fields_checked_by_hand() {
    let cases: &[Case] = &[
        // lookup-events: CloudTrailEvent parsed a second time; assumed role → role ARN.
        ("aws_cloudtrail/awscli-example-lookup-events.json", 0, &[
            ("time", "2016-01-26T21:42:12.000Z".into()),
            ("principal", "arn:aws:iam::123456789012:role/my-role".into()),
            ("principal_type", "role".into()),
            ("principal_detail", "my-session-name".into()),
            ("action", "ConsoleLogin".into()),
            ("action_class", "auth".into()),
            ("auth", "console".into()),
            ("source_ip", "72.21.198.70".into()),
        ]),
        // Logstash export: time from @timestamp; S3 data event with bytes as floats.
        ("aws_cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl", 79, &[
            ("time", "2020-09-14T01:02:34.000Z".into()),
            ("principal", "arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0".into()),
            ("principal_detail", "i-0317f6c6b66ae9c40".into()),
            ("action", "GetObject".into()),
            ("action_class", "read".into()),
            ("bucket", "mordors3stack-s3bucket-llp2yingx64a".into()),
            ("object", "ring.txt".into()),
            ("bytes_out", 89.into()),
            ("credential", "ASIA5FLZVX4OPVKKVBMX".into()),
        ]),
        // EventBridge envelope: the event under `detail`, root principal.
        ("aws_cloudtrail/awsdocs-cwe-eventbridge-envelopes.jsonl", 0, &[
            ("time", "2016-02-20T01:09:13.000Z".into()),
            ("principal", "arn:aws:iam::123456789012:root".into()),
            ("principal_type", "root".into()),
            ("action", "CreateBucket".into()),
            ("bucket", "bucket-test-iad".into()),
            ("user_agent", "[S3Console/0.4]".into()),
        ]),
        // CloudTrail Insights: an account-level event named after the insight's API.
        ("aws_cloudtrail/awsdocs-ct-insights.records.json", 0, &[
            ("principal", "aws-account:123456789012".into()),
            ("principal_type", "account".into()),
            ("action", "UpdateInstanceInformation".into()),
            ("event_source", "ssm.amazonaws.com".into()),
        ]),
        // AWS service principal and a service name as source address.
        ("aws_cloudtrail/loki-lambda-promtail-cloudtrail.json.gz", 0, &[
            ("principal", "ec2.amazonaws.com".into()),
            ("principal_type", "service".into()),
            ("source_ip", serde_json::Value::Null),
            ("source_host", "ec2.amazonaws.com".into()),
            ("action", "AssumeRole".into()),
        ]),
        // S3 access log: anonymous requester, a User-Agent that itself starts with a quote.
        ("s3_access/dandi-s3-log-extraction-hard-lines.log", 0, &[
            ("time", "2022-04-06T03:05:53.000Z".into()),
            ("principal", "anonymous".into()),
            ("auth", "anonymous".into()),
            ("action", "GetObject".into()),
            ("action_class", "read".into()),
            ("bucket", "dandiarchive".into()),
            ("object", "ds001161/task-effortmixedgambles_bold.json".into()),
            ("bytes_out", 12.into()),
            ("http_status", 200.into()),
            ("user_agent", "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36".into()),
        ]),
        // S3 access log: web-shell probe with raw quotes in Request-URI and Referer.
        ("s3_access/dandi-s3-log-extraction-hard-lines.log", 1, &[
            ("status", "NoSuchKey".into()),
            ("error", true.into()),
            ("http_status", 404.into()),
            ("user_agent", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)".into()),
        ]),
        // 26-field line: region from the host header, SigV4 header auth.
        ("s3_access/awsdocs-userguide-2023-26fields.log", 0, &[
            ("time", "2019-02-06T00:00:38.000Z".into()),
            ("region", "us-west-1".into()),
            ("auth", "signed".into()),
            ("action", "GetBucketVersioning".into()),
            ("bucket", "DOC-EXAMPLE-BUCKET1".into()),
            ("source_ip", "192.0.2.3".into()),
        ]),
        // lnav copy with a -0500 offset: converted to UTC.
        ("s3_access/lnav-s3-log-format-samples.log", 0, &[
            ("time", "2012-02-10T21:42:07.000Z".into()),
        ]),
        // GCS audit: service account with delegation kept aside.
        ("gcs_audit/loki-promtail-gcplog-objects-get-sa-delegation.json", 0, &[
            ("time", "2021-01-01T02:17:10.655Z".into()),
            ("principal", "1040409107725-compute@developer.gserviceaccount.com".into()),
            ("principal_type", "service_account".into()),
            ("principal_detail", "service-1040409107725@compute-system.iam.gserviceaccount.com".into()),
            ("action", "storage.objects.get".into()),
            ("bucket", "dev-us-central1-cortex-tsdb-dev".into()),
            ("object", "load-generator-20/01EM34PFBC2SCV3ETBGRAQZ090/deletion-mark.json".into()),
            ("account", "grafanalabs-dev".into()),
            ("source_ip", "34.66.19.193".into()),
        ]),
        // GCS audit: VPC-SC denial, status code 7.
        ("gcs_audit/panther-gcs-audit.jsonl", 0, &[
            ("action", "google.storage.objects.get".into()),
            ("action_class", "read".into()),
            ("status", "PERMISSION_DENIED".into()),
            ("error", true.into()),
            ("principal", "user1@serviceaccount.gcp.com".into()),
        ]),
        ("gcs_audit/panther-gcs-audit.jsonl", 1, &[
            ("action", "storage.setIamPermissions".into()),
            ("action_class", "permission".into()),
            ("bucket", "jacks-test-bucket".into()),
            ("account", "western-verve-123456".into()),
        ]),
        // GCS usage log: microsecond epoch time, raw UTF-8 object name.
        ("gcs_usage/kanjiapi-usage-1.csv", 0, &[
            ("time", "2023-08-28T07:00:14.339Z".into()),
            ("principal", "ip:172.71.142.38".into()),
            ("action", "GET_Object".into()),
            ("action_class", "read".into()),
            ("bucket", "kanjiapi.dev".into()),
            ("object", "v1/kanji/集".into()),
            ("bytes_out", 277.into()),
        ]),
        ("gcs_usage/kanjiapi-usage-1.csv", 1, &[
            ("http_status", 404.into()),
            ("error", true.into()),
            ("object", "v1/kanji/先".into()),
        ]),
        // StorageBlobLogs: user-delegation SAS → account:tokenHash principal.
        ("azure_blob_logs/otel-contrib-storage-read-delegationsas.json", 0, &[
            ("principal", "randomstor:system-delegation(ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890),SasSignature(1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF)".into()),
            ("principal_type", "token".into()),
            ("auth", "sas".into()),
            ("action", "ListBlobs".into()),
            ("account", "abcd1234-5678-90ef-1234-567890abcdef/randomstor".into()),
            ("bucket", "randomuser".into()),
            ("object", "randomdata.csv".into()),
            ("http_status", 500.into()),
        ]),
        // StorageBlobLogs without category and in lower case (Panther test data).
        ("azure_blob_logs/panther-storage-blob-logs.jsonl", 1, &[
            ("source_format", "azure_blob_logs".into()),
            ("action", "deleteblob".into()),
            ("action_class", "delete".into()),
            ("source_ip", "5.5.5.5".into()),
            ("bucket", "corporate-files".into()),
            ("object", "documents/board_meeting_notes.docx".into()),
        ]),
        // Activity log: upper-case operation, user from claims, hex evidence id normalised.
        ("azure_blob_logs/dynatrace-activity-listaccountsas-failure.jsonl", 0, &[
            ("source_format", "azure_activity".into()),
            ("action_class", "auth".into()),
            ("principal", "e7018f64-88e2-46af-a197-7b9084d8346a".into()),
            ("principal_type", "user".into()),
            ("principal_detail", "jan.kowalski@somewhere.com".into()),
            ("account", "69b51384-146c-4685-9dab-5ae01877d7b8/dtmwstorage1".into()),
            ("error", true.into()),
            ("status", "Failed.NotFound".into()),
        ]),
        // Storage Analytics v2.0: SAS hashed, quoted user agent with `;` inside.
        ("azure_storage_analytics/avere-azcopysync-v2.0-sas.log", 0, &[
            ("time", "2020-04-07T14:06:54.889Z".into()),
            ("principal_type", "token".into()),
            ("auth", "sas".into()),
            ("user_agent", "AzCopy/10.3.4 Azure-Storage/0.7 (go1.13; Windows_NT)".into()),
            ("bucket", "previz".into()),
            ("object", "src/terraform/examples/jumpbox/main.tf".into()),
            ("bytes_out", 2017.into()),
            ("source_ip", "24.155.118.199".into()),
        ]),
        // Storage Analytics v1.0: anonymous read and shared-key write.
        ("azure_storage_analytics/msdocs-log-format-v1.0-samples.log", 0, &[
            ("principal", "anonymous".into()),
            ("action", "GetBlob".into()),
            ("bucket", "sample-container1".into()),
            ("object", "00001.txt".into()),
        ]),
        ("azure_storage_analytics/msdocs-log-format-v1.0-samples.log", 1, &[
            ("principal", "storagesample:key".into()),
            ("auth", "account_key".into()),
            ("action_class", "write".into()),
            ("bytes_in", 23.into()),
        ]),
    ];
    let mut failures = Vec::new();
    for (file, index, fields) in cases {
        let (_, events, _) = read(&corpus_dir().join(file));
        let Some(ev) = events.get(*index) else {
            failures.push(format!("{file}: no event #{index}"));
            continue;
        };
        let v = serde_json::to_value(ev).unwrap();
        for (k, want) in fields.iter() {
            if &v[*k] != want {
                failures.push(format!("{file} #{index}: {k} = {} (want {want})", v[*k]));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
