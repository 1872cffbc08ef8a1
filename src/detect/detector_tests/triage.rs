//! Single-event rule hits weighed against the principal's history.

use super::*;

#[test]
fn a_weakening_the_principal_makes_routinely_is_low() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "infra-deployer", 21);
    let hit = |r: &mut Run, t: i64, ip: &str| {
        r.one(
            "infra-deployer",
            t,
            ActionClass::Config,
            "Microsoft.Storage/storageAccounts/write",
            "acct",
            ip,
            UA,
        );
        r.events.last_mut().unwrap().hit = Some(Box::new(crate::detect::rules::RuleHit {
            rule: "azure.storage.security_weakened",
            severity: Severity::Medium,
            detail: "storage account acct: network access from all networks".into(),
            evidence: Vec::new(),
            resources: Vec::new(),
        }));
    };
    // From a network it never used, at 23:00 (an hour it never works): medium. A call that
    // raised an alert is held apart until it recurs on three days (the poisoning rule); from
    // then on the deployer's weakenings are its routine.
    let t0 = r.t0;
    for d in [10, 12, 14, 16] {
        hit(&mut r, t0 + d * DAY + 23 * NANOS_PER_HOUR, "203.0.113.9");
    }
    let fs = r.findings(&cfg);
    let sev: Vec<Severity> = fs
        .iter()
        .filter(|f| f.rule == "azure.storage.security_weakened")
        .map(|f| f.severity)
        .collect();
    assert_eq!(
        sev,
        vec![
            Severity::Medium,
            Severity::Medium,
            Severity::Medium,
            Severity::Low
        ],
        "{fs:#?}"
    );
}

/// A medium-weight change (a bucket policy deleted) is weighed by how it was made: the
/// principal's usual network, client and hours (an administrator at work) is low, and so is
/// one difference alone; two or more (a new network at night) keep it medium. A call that
/// failed, and one in the data's first days, are low.
#[test]
fn a_change_made_the_usual_way_is_low_and_from_a_new_place_at_night_medium() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    for who in ["admin-a", "admin-b", "admin-c", "admin-d", "admin-e"] {
        office(&mut r, who, 21);
    }
    let t0 = r.t0;
    let delete = |r: &mut Run, who: &str, t: i64, ip: &str, failed: bool| {
        r.one(
            who,
            t,
            ActionClass::Permission,
            "DeleteBucketPolicy",
            "data",
            ip,
            UA,
        );
        let a = r.events.last_mut().unwrap();
        if failed {
            a.flags |= flag::ERROR;
        }
        a.hit = Some(Box::new(crate::detect::rules::RuleHit {
            rule: "aws.s3.bucket_policy_deleted",
            severity: Severity::Medium,
            detail: "bucket policy of data deleted".into(),
            evidence: Vec::new(),
            resources: Vec::new(),
        }));
    };
    let day15 = t0 + 15 * DAY;
    delete(
        &mut r,
        "admin-a",
        day15 + 11 * NANOS_PER_HOUR,
        OFFICE,
        false,
    );
    delete(
        &mut r,
        "admin-b",
        day15 + 11 * NANOS_PER_HOUR,
        "203.0.113.9",
        false,
    );
    delete(
        &mut r,
        "admin-c",
        day15 + 2 * NANOS_PER_HOUR,
        "203.0.113.9",
        false,
    );
    delete(
        &mut r,
        "admin-d",
        day15 + 2 * NANOS_PER_HOUR,
        "203.0.113.9",
        true,
    );
    delete(
        &mut r,
        "admin-e",
        t0 + 2 * DAY + 2 * NANOS_PER_HOUR,
        "203.0.113.9",
        false,
    );
    let fs = r.findings(&cfg);
    let sev = |who: &str| {
        fs.iter()
            .find(|f| f.principal == who && f.rule == "aws.s3.bucket_policy_deleted")
            .map(|f| (f.severity, f.evidence.get("history").cloned()))
    };
    assert_eq!(
        sev("admin-a").map(|s| s.0),
        Some(Severity::Low),
        "the usual way"
    );
    assert_eq!(
        sev("admin-b").map(|s| s.0),
        Some(Severity::Low),
        "a new network only"
    );
    assert_eq!(
        sev("admin-c"),
        Some((Severity::Medium, None)),
        "a new network at 02:00"
    );
    let failed = sev("admin-d").unwrap();
    assert_eq!(failed.0, Severity::Low, "failed");
    assert!(failed.1.unwrap().as_str().unwrap().contains("failed"));
    assert_eq!(
        sev("admin-e").map(|s| s.0),
        Some(Severity::Low),
        "first days"
    );
}

#[test]
fn a_batch_delete_is_reported_the_first_time_only() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "cleanup", 21);
    let t0 = r.t0;
    for d in [10, 11, 15] {
        r.one(
            "cleanup",
            t0 + d * DAY + 23 * NANOS_PER_HOUR,
            ActionClass::Delete,
            "DeleteObjects",
            "data",
            OFFICE,
            UA,
        );
        r.events.last_mut().unwrap().hit = Some(Box::new(crate::detect::rules::RuleHit {
            rule: "aws.s3.batch_delete",
            severity: Severity::Low,
            detail: "DeleteObjects on bucket data".into(),
            evidence: Vec::new(),
            resources: Vec::new(),
        }));
    }
    let fs = r.findings(&cfg);
    let n = fs
        .iter()
        .filter(|f| f.rule == "aws.s3.batch_delete")
        .count();
    assert_eq!(n, 1, "{fs:#?}");
}
