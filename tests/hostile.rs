//! Hostile record values through the whole CLI: every stage after the parsers.

use crate::common::{run, summary_line};

/// Three ordinary reads whose user agent is `x`, forty `é` and `/1.0`: the agent family was
/// cut at byte 64, inside an `é`, and the scan panicked (issue 12).
#[test]
fn a_multibyte_user_agent_does_not_end_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let ua = format!("x{}/1.0", "é".repeat(40));
    let records: Vec<_> = (0..3)
        .map(|i| {
            serde_json::json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"},
                "eventTime": format!("2026-11-01T10:0{i}:00Z"), "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5",
                "userAgent": ua, "requestParameters": {"bucketName": "b", "key": format!("k{i}")},
                "eventID": format!("e{i}"), "requestID": format!("R{i}"), "readOnly": true,
                "eventType": "AwsApiCall", "managementEvent": false, "eventCategory": "Data",
                "recipientAccountId": "111122223333"
            })
        })
        .collect();
    let file = dir.path().join("ua.json");
    std::fs::write(&file, serde_json::json!({ "Records": records }).to_string()).unwrap();
    let out = run(&["scan", file.to_str().unwrap(), "--format", "jsonl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = summary_line(&out.stdout);
    assert_eq!(summary["events"], 3);
    assert_eq!(summary["skipped"], 0);
}
