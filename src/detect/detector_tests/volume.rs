//! Volume: bulk reads, lists and deletes, daily bytes, hourly spikes, enumeration.

use super::*;

#[test]
fn night_shift_etl_is_learned_and_the_same_volume_at_a_new_hour_is_not() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let etl = "arn:aws:iam::1:role/etl-nightly";
    for d in 0..21 {
        r.reads(
            etl,
            r.t0 + d * DAY + 2 * NANOS_PER_HOUR,
            3000,
            1_000_000_000,
            "10.0.0.5",
            "Boto3/1.34",
            50_000,
        );
    }
    let quiet = r.findings(&cfg);
    assert!(
        alerts(&quiet, etl).is_empty(),
        "nightly job: {:#?}",
        alerts(&quiet, etl)
    );

    let mut r = Run::new();
    for d in 0..21 {
        r.reads(
            etl,
            r.t0 + d * DAY + 2 * NANOS_PER_HOUR,
            3000,
            1_000_000_000,
            "10.0.0.5",
            "Boto3/1.34",
            50_000,
        );
    }
    r.reads(
        etl,
        r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR,
        3000,
        1_000_000_000,
        "10.0.0.5",
        "Boto3/1.34",
        50_000,
    );
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, etl, "aws.s3.bulk_download", Severity::High),
        "{:#?}",
        alerts(&fs, etl)
    );
}

#[test]
fn a_new_principals_modest_workload_is_low_a_raid_is_not() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "someone", 20);
    let new = "arn:aws:iam::1:role/ml-training";
    r.reads(
        new,
        r.t0 + 15 * DAY + 13 * NANOS_PER_HOUR,
        150,
        10_000_000_000,
        "10.1.1.1",
        "Boto3/1.34",
        1000,
    );
    let fs = r.findings(&cfg);
    assert!(alerts(&fs, new).is_empty(), "{:#?}", alerts(&fs, new));
    assert!(has(&fs, new, "aws.s3.bulk_download", Severity::Low));

    let mut r = Run::new();
    office(&mut r, "someone", 20);
    r.reads(
        new,
        r.t0 + 15 * DAY + 13 * NANOS_PER_HOUR,
        400,
        5_000_000_000,
        "10.1.1.1",
        "Boto3/1.34",
        1000,
    );
    // The next day at the same hour, the same again: a new daily job settling in.
    r.reads(
        new,
        r.t0 + 16 * DAY + 13 * NANOS_PER_HOUR + 10 * MIN,
        400,
        5_000_000_000,
        "10.1.1.1",
        "Boto3/1.34",
        1000,
    );
    let fs = r.findings(&cfg);
    let bulk: Vec<Severity> = fs
        .iter()
        .filter(|f| f.principal == new && f.rule == "aws.s3.bulk_download")
        .map(|f| f.severity)
        .collect();
    assert_eq!(bulk, vec![Severity::Critical, Severity::Low], "{fs:#?}");
}

#[test]
fn enumeration_is_listing_across_buckets() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "eve", 14);
    let t = r.t0 + 15 * DAY + 11 * NANOS_PER_HOUR;
    // 50 lists: above twice the threshold, which is what a known principal at its usual
    // place and hour is allowed.
    for i in 0..50 {
        let bucket = ["a", "b", "c", "d", "e"][i % 5];
        r.one(
            "eve",
            t + i as i64 * MIN,
            ActionClass::List,
            "ListObjects",
            bucket,
            OFFICE,
            UA,
        );
    }
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, "eve", "aws.s3.enumeration", Severity::High),
        "{fs:#?}"
    );

    // The same count, all in one bucket (a deploy job syncing its prefix): no enumeration.
    let mut r = Run::new();
    office(&mut r, "eve", 14);
    for i in 0..50 {
        r.one(
            "eve",
            t + i as i64 * MIN,
            ActionClass::List,
            "ListObjects",
            "deploy",
            OFFICE,
            UA,
        );
    }
    let fs = r.findings(&cfg);
    assert!(
        !has(&fs, "eve", "aws.s3.enumeration", Severity::Low),
        "{fs:#?}"
    );

    // A CI role syncing its deploy bucket at any hour from a new runner each time, 40 to 70
    // lists a deploy: a burst of 130 at 21:00 in that bucket is within twice its busiest
    // hours; the same 130 across five buckets is discovery.
    let ci = "arn:aws:iam::1:role/github-deploy";
    let lists = |r: &mut Run, t: i64, n: usize, buckets: &[&str], ip: &str| {
        for i in 0..n {
            let b = buckets[i % buckets.len()];
            r.one(
                ci,
                t + i as i64 * 20_000_000_000,
                ActionClass::List,
                "ListObjects",
                b,
                ip,
                UA,
            );
        }
    };
    for wide in [false, true] {
        let mut r = Run::new();
        for d in 0..14 {
            let ip = format!("20.{}.7.9", 10 + d);
            let t = r.t0 + d * DAY + (9 + d % 6) * NANOS_PER_HOUR;
            lists(&mut r, t, 40 + (d as usize * 7) % 31, &["deploy"], &ip);
        }
        let buckets: &[&str] = if wide {
            &["a", "b", "c", "d", "e"]
        } else {
            &["deploy"]
        };
        let t = r.t0 + 15 * DAY + 21 * NANOS_PER_HOUR;
        lists(&mut r, t, 130, buckets, "20.99.7.9");
        let fs = r.findings(&cfg);
        assert_eq!(
            has(&fs, ci, "aws.s3.enumeration", Severity::Medium),
            wide,
            "{fs:#?}"
        );
    }
}

/// A reporting service's weekdays and weekends alike: `per_hour(day)` reads of 8 MB in each
/// hour from 08:00 to 18:00 for 24 days, `gap` apart.
fn reporting_days(r: &mut Run, svc: &str, per_hour: impl Fn(i64) -> u64, gap: i64) {
    for d in 0..24 {
        for h in 8..18 {
            let t = r.t0 + d * DAY + h * NANOS_PER_HOUR;
            r.reads(svc, t, per_hour(d), gap, "34.201.17.80", UA, 8_000_000);
        }
    }
}

/// Object sizes are heavy-tailed: a day that is big because of one large object is not data
/// drained away.
#[test]
fn one_large_object_is_not_a_daily_bytes_anomaly() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let svc = "arn:aws:iam::1:user/reporting-svc";
    reporting_days(&mut r, svc, |_| 4, 10 * MIN);
    r.reads(
        svc,
        r.t0 + 22 * DAY + 12 * NANOS_PER_HOUR + 5 * MIN,
        1,
        MIN,
        "34.201.17.80",
        UA,
        2_000_000_000,
    );
    let fs = r.findings(&cfg);
    assert!(
        !has(&fs, svc, "baseline.daily_bytes_anomaly", Severity::Info),
        "{fs:#?}"
    );
}

/// CloudTrail data events and the server access log report the same S3 request under the
/// same id: it is judged once (80 reads reported twice are not 160, over the bulk threshold),
/// unless a rule matched the second report (only CloudTrail carries request parameters).
#[test]
fn an_s3_request_in_both_cloudtrail_and_the_access_log_counts_once() {
    let cfg = DetectConfig::default();
    let who = "arn:aws:iam::1:user/newcomer";
    let both = |dedup: bool| {
        let mut r = Run::new();
        office(&mut r, "someone", 20);
        let t = r.t0 + 15 * DAY + 13 * NANOS_PER_HOUR;
        r.reads(who, t, 80, 20_000_000_000, "10.1.1.1", UA, 1000);
        let n = r.events.len();
        for i in n - 80..n {
            let mut copy = r.events[i].clone();
            copy.format = Format::S3Access;
            copy.offset += 1;
            let id = if dedup { 1000 + i as u64 } else { 0 };
            r.events[i].request = id;
            copy.request = id;
            r.events.push(copy);
        }
        r.findings(&cfg)
    };
    assert!(!has(
        &both(true),
        who,
        "aws.s3.bulk_download",
        Severity::Info
    ));
    assert!(
        has(&both(false), who, "aws.s3.bulk_download", Severity::Info),
        "without ids, 160 reads"
    );
    // A rule hit on the second report is judged all the same.
    let mut r = Run::new();
    office(&mut r, "admin", 20);
    // Both sources already seen (judging pairs starts then).
    for (i, format) in [Format::AwsCloudtrail, Format::S3Access]
        .into_iter()
        .enumerate()
    {
        let e = &mut r.events[i];
        e.format = format;
        e.request = 100 + i as u64;
    }
    let t = r.t0 + 15 * DAY + 11 * NANOS_PER_HOUR;
    r.one(
        "admin",
        t,
        ActionClass::Permission,
        "PutBucketPolicy",
        "data",
        OFFICE,
        UA,
    );
    let mut log = r.events.last().unwrap().clone();
    log.format = Format::S3Access;
    log.offset = 0;
    // The access log's copy comes first.
    log.time -= 1;
    let ct = r.events.last_mut().unwrap();
    ct.request = 7;
    ct.offset = 1;
    ct.hit = Some(Box::new(crate::detect::rules::RuleHit {
        rule: "aws.s3.public_policy",
        severity: Severity::Critical,
        detail: "bucket policy of data grants s3:GetObject to *".into(),
        evidence: Vec::new(),
        resources: Vec::new(),
    }));
    log.request = 7;
    r.events.push(log);
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, "admin", "aws.s3.public_policy", Severity::Critical),
        "{fs:#?}"
    );
}

#[test]
fn slow_exfiltration_under_every_fixed_threshold() {
    let cfg = DetectConfig::default();
    let svc = "arn:aws:iam::1:user/reporting-svc";
    // 4 reads an hour, 10 hours a day, 8 MB each: 320 MB a day.
    let mut r = Run::new();
    reporting_days(&mut r, svc, |_| 4, 10 * MIN);
    let quiet = r.findings(&cfg);
    assert!(alerts(&quiet, svc).is_empty(), "{:#?}", alerts(&quiet, svc));
    // Three times that over the last three days, spread evenly.
    let mut r = Run::new();
    reporting_days(&mut r, svc, |d| if d >= 21 { 12 } else { 4 }, 4 * MIN);
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, svc, "baseline.daily_bytes_anomaly", Severity::High),
        "{fs:#?}"
    );
    assert!(
        !has(&fs, svc, "aws.s3.bulk_download", Severity::Info),
        "under the fixed threshold"
    );
}

#[test]
fn hourly_volume_and_bytes_out_spikes() {
    let cfg = DetectConfig::default();
    let who = "alice";
    // Three weeks of routine, then `n` reads of `bytes` each from 14:00 on day 21, `gap` apart.
    let after_routine = |n: u64, gap: i64, bytes: u64| {
        let mut r = Run::new();
        office(&mut r, who, 21);
        let t = r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR;
        r.reads(who, t, n, gap, OFFICE, UA, bytes);
        r.findings(&cfg)
    };
    // 80 requests in an hour where 5 are usual: above the band, under the bulk threshold.
    let fs = after_routine(80, 30_000_000_000, 1000);
    assert!(
        has(&fs, who, "baseline.hourly_volume_anomaly", Severity::Low),
        "{:#?}",
        fs.iter().filter(|f| f.principal == who).collect::<Vec<_>>()
    );
    // The usual count: nothing.
    let fs = after_routine(5, MIN, 1000);
    let quiet = |fs: &[Finding], rule| !has(fs, who, rule, Severity::Info);
    assert!(quiet(&fs, "baseline.hourly_volume_anomaly"));
    // 1.5 GB in five reads where kilobytes are usual: a bytes spike, not a count anomaly.
    let fs = after_routine(5, MIN, 300_000_000);
    assert!(has(&fs, who, "baseline.bytes_out_spike", Severity::Low));
    assert!(quiet(&fs, "baseline.hourly_volume_anomaly"));
    // 500 MB stays under the 1 GiB floor.
    let fs = after_routine(5, MIN, 100_000_000);
    assert!(quiet(&fs, "baseline.bytes_out_spike"));
    // Many reads of 400 MB: an alert. One object of 4 GB (a VM image), even reported twice
    // (CloudTrail and the server access log): a note.
    let fs = after_routine(10, MIN, 400_000_000);
    assert!(has(&fs, who, "baseline.bytes_out_spike", Severity::High));
    let mut r = Run::new();
    office(&mut r, who, 21);
    let t = r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR;
    r.reads(who, t, 1, MIN, OFFICE, UA, 4_000_000_000);
    r.reads(who, t + 1_000_000, 1, MIN, OFFICE, UA, 4_000_000_000);
    let fs = r.findings(&cfg);
    let spike = fs
        .iter()
        .find(|f| f.rule == "baseline.bytes_out_spike")
        .unwrap();
    assert_eq!(spike.severity, Severity::Low, "{spike:#?}");
    assert!(!has(
        &fs,
        who,
        "baseline.daily_bytes_anomaly",
        Severity::Info
    ));
}

#[test]
fn after_hours_bulk_is_the_hour_not_the_volume() {
    let cfg = DetectConfig::default();
    let who = "alice";
    let mut r = Run::new();
    office(&mut r, who, 21);
    r.reads(
        who,
        r.t0 + 21 * DAY + 2 * NANOS_PER_HOUR + 45 * MIN,
        600,
        2_000_000_000,
        OFFICE,
        UA,
        1000,
    );
    let fs = r.findings(&cfg);
    assert!(has(&fs, who, "aws.s3.bulk_download", Severity::Medium));
    assert!(has(&fs, who, "baseline.after_hours_bulk", Severity::Medium));

    // A nightly job at its own hour: the volume is its routine, the hour too.
    let mut r = Run::new();
    let etl = "arn:aws:iam::1:role/etl-nightly";
    for d in 0..22 {
        r.reads(
            etl,
            r.t0 + d * DAY + 2 * NANOS_PER_HOUR,
            600,
            2_000_000_000,
            "10.0.0.5",
            "Boto3/1.34",
            1000,
        );
    }
    let fs = r.findings(&cfg);
    assert!(!has(&fs, etl, "baseline.after_hours_bulk", Severity::Info));
}

#[test]
fn volume_findings_are_named_for_their_cloud() {
    use crate::event::Format;
    let cfg = DetectConfig::default();
    let run = |format: Format, class: ActionClass, action: &str, buckets: &[&str]| {
        let mut r = Run::new();
        office(&mut r, "eve", 14);
        let t = r.t0 + 15 * DAY + 11 * NANOS_PER_HOUR;
        for i in 0..300 {
            r.push(Ev {
                who: "eve",
                t: t + i as i64 * 10_000_000_000,
                class,
                action,
                bucket: buckets[i % buckets.len()],
                ip: OFFICE,
                ua: UA,
                bytes: 1000,
                error: None,
                object: i as u64 + 1,
            });
        }
        for a in &mut r.events {
            a.format = format;
        }
        r.findings(&cfg)
    };
    let cases = [
        (
            Format::GcsAudit,
            ActionClass::List,
            "storage.objects.list",
            "gcp.gcs.enumeration",
        ),
        (
            Format::GcsAudit,
            ActionClass::Delete,
            "storage.objects.delete",
            "gcp.gcs.mass_delete",
        ),
        (
            Format::GcsAudit,
            ActionClass::Read,
            "storage.objects.get",
            "gcp.gcs.bulk_download",
        ),
        (
            Format::AzureBlobLogs,
            ActionClass::List,
            "ListBlobs",
            "azure.blob.enumeration",
        ),
        (
            Format::AzureBlobLogs,
            ActionClass::Delete,
            "DeleteBlob",
            "azure.blob.mass_delete",
        ),
        (
            Format::AzureBlobLogs,
            ActionClass::Read,
            "GetBlob",
            "azure.blob.bulk_download",
        ),
    ];
    for (format, class, action, rule) in cases {
        let fs = run(format, class, action, &["a", "b", "c", "d", "e"]);
        assert!(has(&fs, "eve", rule, Severity::Medium), "{rule}: {fs:#?}");
        assert!(
            !fs.iter().any(|f| f.rule.starts_with("aws.s3.")),
            "{rule}: an AWS name on {format:?}"
        );
    }
    // Within the routine (20 an hour): none of them.
    let mut r = Run::new();
    office(&mut r, "eve", 16);
    for a in &mut r.events {
        a.format = Format::AzureBlobLogs;
    }
    let fs = r.findings(&cfg);
    assert!(
        !fs.iter().any(|f| f.rule.starts_with("azure.blob.")),
        "{fs:#?}"
    );
}

#[test]
fn an_anonymous_burst_on_one_bucket_does_not_spill_onto_another() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let t = r.t0 + 15 * DAY + 23 * NANOS_PER_HOUR;
    for i in 0..400u64 {
        r.push(Ev {
            who: "anonymous",
            t: t + i as i64 * 5_000_000_000,
            class: ActionClass::Read,
            action: "GetObject",
            bucket: "customer-exports",
            ip: "203.0.113.50",
            ua: "curl/8.4.0",
            bytes: 1000,
            error: None,
            object: i + 1,
        });
    }
    // The public website's ordinary visitors in the same hour.
    for i in 0..2u64 {
        r.push(Ev {
            who: "anonymous",
            t: t + 40 * MIN + i as i64 * MIN,
            class: ActionClass::Read,
            action: "GetObject",
            bucket: "web-assets",
            ip: "198.51.100.77",
            ua: "Mozilla/5.0",
            bytes: 1000,
            error: None,
            object: 1000 + i,
        });
    }
    for a in &mut r.events {
        a.principal_type = PrincipalType::Anonymous;
    }
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, "anonymous", "aws.s3.bulk_download", Severity::Low),
        "{fs:#?}"
    );
    for f in fs.iter().filter(|f| f.rule == "aws.s3.bulk_download") {
        assert!(!f.title.is_empty(), "a finding without a title: {f:#?}");
        assert!(
            !f.resources.iter().any(|r| r.starts_with("web-assets")),
            "the website's visitors joined the burst: {f:#?}"
        );
    }
}

/// Storage volume rules count the object stores' own calls: a principal's KMS decryptions,
/// SSM and IAM deletions and EC2 descriptions in one hour (a secrets-heavy service, a
/// Terraform destroy, a scanner) are reads, deletes and lists of other services. The same
/// counts of S3 calls fire, and the finding names the calls it counted.
#[test]
fn volume_counts_storage_calls_only() {
    let cfg = DetectConfig::default();
    let who = "arn:aws:iam::1:user/attacker";
    let t = parse_rfc3339(b"2026-01-20T03:00:00Z").unwrap();
    let mut r = Run::new();
    r.other_service(
        who,
        t,
        500,
        1_000_000_000,
        ActionClass::Read,
        "Decrypt",
        "kms.amazonaws.com",
    );
    r.other_service(
        who,
        t,
        300,
        1_000_000_000,
        ActionClass::Delete,
        "DeleteParameter",
        "ssm.amazonaws.com",
    );
    r.other_service(
        who,
        t,
        50,
        1_000_000_000,
        ActionClass::Delete,
        "DeleteRole",
        "iam.amazonaws.com",
    );
    r.other_service(
        who,
        t,
        200,
        1_000_000_000,
        ActionClass::List,
        "DescribeInstances",
        "ec2.amazonaws.com",
    );
    let fs = r.findings(&cfg);
    let volume: Vec<_> = fs
        .iter()
        .filter(|f| {
            f.rule == "aws.s3.bulk_download"
                || f.rule == "aws.s3.mass_delete"
                || f.rule == "aws.s3.enumeration"
        })
        .collect();
    assert!(volume.is_empty(), "other services counted: {volume:#?}");

    let mut r = Run::new();
    r.reads(who, t, 500, 1_000_000_000, OFFICE, UA, 1000);
    r.other_service(
        who,
        t,
        500,
        1_000_000_000,
        ActionClass::Read,
        "Decrypt",
        "kms.amazonaws.com",
    );
    let fs = r.findings(&cfg);
    let bulk = fs
        .iter()
        .find(|f| f.rule == "aws.s3.bulk_download")
        .expect("500 GetObject in an hour");
    let counted = &bulk.evidence["counted_calls"];
    assert!(counted["GetObject"].as_u64().unwrap() > 100, "{counted}");
    assert!(counted.get("Decrypt").is_none(), "{counted}");
}
