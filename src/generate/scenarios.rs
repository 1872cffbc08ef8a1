//! Attacks woven into the last days of the benign world, each with its ground truth.
//!
//! Every scenario adds events to the [`World`] and returns a [`Label`] whose `principal` is the
//! id trailhound's parsers give those events (DESIGN.md "Who the principal is"): a role's ARN,
//! an IAM user's ARN, a GCP e-mail, an Azure object id or `<account>:<tokenHash>`, or
//! `anonymous`. `expected_rules` name the catalogue rules (DESIGN.md naming) that should fire.

use crate::catalogue::rule;
use std::net::IpAddr;

use crate::generate::rng::Rng;
use crate::generate::text::{iso, obj_string, HOUR, MINUTE, NS};
use crate::generate::world::{
    self, day, gcs, mgmt, s3, v4, AZ_KEY1, AZ_PARTNER_SAS, AZ_PETER, PROD,
};
use crate::generate::{Addr, AwsEv, AwsWho, AzActEv, AzWho, Label, World};

const UA_OLD_CLI: &str =
    "aws-cli/1.18.69 Python/2.7.18 Linux/4.14.314-237.533.amzn2.x86_64 botocore/1.16.19";
const UA_PACU: &str = "Boto3/1.26.90 Python/3.10.12 Linux/6.2.0-36-generic Botocore/1.29.90";
const UA_RCLONE: &str = "rclone/v1.66.0";
const UA_CURL: &str = world::UA_CURL;

struct Span {
    start: i64,
    end: i64,
}

impl Span {
    fn of(evs: &[AwsEv]) -> Span {
        Span {
            start: evs.iter().map(|e| e.t).min().unwrap_or(0),
            end: evs.iter().map(|e| e.t).max().unwrap_or(0),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn label(
    id: &str,
    description: &str,
    provider: &str,
    principal: String,
    aliases: Vec<String>,
    span: Span,
    mitre: &[&str],
    severity: &str,
    rules: &[&str],
) -> Label {
    Label {
        id: id.to_string(),
        description: description.to_string(),
        provider: provider.to_string(),
        principal,
        principal_aliases: aliases,
        start: iso(span.start, 0),
        // Labels cover whole seconds: the end rounds up so the last event is inside.
        end: iso(span.end + NS - 1, 0),
        mitre: mitre.iter().map(|s| s.to_string()).collect(),
        expected_severity_min: severity.to_string(),
        expected_rules: rules.iter().map(|s| s.to_string()).collect(),
    }
}

fn user_aliases(w: &World, who: u16) -> Vec<String> {
    let id = &w.aws_ids[who as usize];
    let mut v = vec![id.key_id.clone()];
    if id.kind == crate::generate::AwsKind::Role {
        v.insert(0, id.arn());
    }
    v
}

fn ms(rng: &mut Rng, lo: u64, hi: u64) -> i64 {
    rng.range(lo, hi) as i64 * 1_000_000
}

/// Adds every attack to `w`; returns the labels in id order.
pub fn weave(w: &mut World, root: &Rng) -> Vec<Label> {
    let last = w.days - 1;
    let mut labels = vec![
        dormant_maintenance(w, &mut root.fork("s-a"), last - 1),
        slow_exfiltration(w, &mut root.fork("s-b"), last - 3),
        stolen_key(w, &mut root.fork("s-c"), last - 2),
        enumeration(w, &mut root.fork("s-d"), last - 4),
    ];
    labels.extend(public_bucket(w, &mut root.fork("s-e"), last - 2));
    labels.push(gcs_all_users(w, last - 3));
    labels.push(azure_sas_night(w, &mut root.fork("s-g"), last - 1));
    labels.push(ransomware(w, &mut root.fork("s-h"), last));
    labels.push(replication(w, last - 5));
    labels.push(stop_logging(w, last - 2));
    labels.push(access_denied_probe(w, &mut root.fork("s-k"), last - 3));
    labels.extend(azure_keys(w, &mut root.fork("s-l"), last));
    labels.push(impossible_travel(w, &mut root.fork("s-m"), last - 1));
    labels
}

fn req_bucket(
    bucket: &str,
    region: &str,
    extra: impl FnOnce(&mut crate::generate::text::Obj),
) -> String {
    obj_string(|o| {
        o.str("bucketName", bucket)
            .str("Host", &format!("{bucket}.s3.{region}.amazonaws.com"));
        extra(o);
    })
}

/// a: a maintenance user dormant for a month, at 02:45 UTC from a new address, switches off
/// server access logging on the backup bucket, lists it, downloads the backups and deletes
/// them. CloudTrail data events still see it all.
fn dormant_maintenance(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let who = w.aws_id("backup-maint");
    let b = w.bucket("acme-backups");
    let src = Addr::Ip(v4(45, 133, 1, 20));
    let mut t = day(w, d) + 2 * HOUR + 45 * MINUTE + rng.below(30) as i64 * NS;
    let mut evs = Vec::new();
    let req = req_bucket("acme-backups", "us-east-1", |o| {
        o.obj("BucketLoggingStatus", |s| {
            s.str("xmlns", "http://doc.s3.amazonaws.com/2006-03-01/");
        })
        .str("logging", "");
    });
    evs.push(mgmt(
        w,
        t,
        who,
        src,
        UA_OLD_CLI,
        "PutBucketLogging",
        Some(b),
        Some(req),
    ));
    w.buckets[b as usize].access_log_until = t;
    for _ in 0..25 {
        t += ms(rng, 300, 2500);
        evs.push(s3(
            w,
            t,
            AwsWho::Id(who),
            src,
            UA_OLD_CLI,
            "ListObjects",
            b,
            String::new(),
            0,
        ));
    }
    let mut keys = Vec::new();
    for _ in 0..800 {
        t += ms(rng, 800, 3500);
        let key = {
            let back = rng.below(20) as u32;
            world::key_for(rng, "acme-backups", d.saturating_sub(back))
        };
        keys.push(key.clone());
        evs.push(s3(
            w,
            t,
            AwsWho::Id(who),
            src,
            UA_OLD_CLI,
            "GetObject",
            b,
            key,
            rng.size(80_000_000.0, 0.6),
        ));
    }
    for key in keys.into_iter().take(300) {
        t += ms(rng, 100, 600);
        evs.push(s3(
            w,
            t,
            AwsWho::Id(who),
            src,
            UA_OLD_CLI,
            "DeleteObject",
            b,
            key,
            0,
        ));
    }
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "a-dormant-maintenance-backup-theft",
        "Dormant maintenance IAM user, silent for a month, at 02:45 UTC from a new address disables server access logging on acme-backups (PutBucketLogging with an empty BucketLoggingStatus), lists the bucket, downloads 800 backups and deletes 300",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1562.008", "T1619", "T1530", "T1485", "T1078.004"],
        "high",
        &[rule::AWS_S3_LOGGING_DISABLED, rule::AWS_S3_BULK_DOWNLOAD, rule::AWS_S3_MASS_DELETE, rule::BASELINE_DORMANT_PRINCIPAL, rule::BASELINE_NEW_SOURCE_IP],
    )
}

/// b: the reporting service reads about three times its usual bytes, evenly, for four days:
/// never more than ~10 GetObject an hour, from its usual address, at its usual hours.
fn slow_exfiltration(w: &mut World, rng: &mut Rng, first: u32) -> Label {
    let who = w.aws_id("reporting-svc");
    let b = w.bucket("acme-reports");
    let src = Addr::Ip(v4(34, 201, 17, 80));
    let mut evs = Vec::new();
    // The benign volume grows with --scale; the theft keeps its ratio to it.
    let per_hour = crate::generate::world::scaled(w, 4.0, 1);
    for h in i64::from(first) * 24..i64::from(w.days) * 24 {
        for _ in 0..per_hour {
            let t = w.start + h * HOUR + rng.below(HOUR as u64) as i64;
            evs.push(s3(
                w,
                t,
                AwsWho::Id(who),
                src,
                world::UA_BOTO,
                "GetObject",
                b,
                world::key_for(rng, "acme-reports", (h / 24) as u32),
                rng.size(4_000_000.0, 0.3),
            ));
        }
    }
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "b-slow-exfiltration",
        "reporting-svc reads about 3x its usual daily bytes from acme-reports, spread evenly over four days (about 8 GetObject an hour, its usual address and agent): under every fixed threshold",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1530"],
        "medium",
        &[rule::BASELINE_BYTES_OUT_SPIKE],
    )
}

/// c: Carol's access key, used at night from another country with an old CLI.
fn stolen_key(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let who = w.aws_id("carol");
    let src = Addr::Ip(v4(185, 220, 101, 47));
    let mut t = day(w, d) + 23 * HOUR + 10 * MINUTE;
    let mut evs = vec![mgmt(
        w,
        t,
        who,
        src,
        UA_OLD_CLI,
        "GetCallerIdentity",
        None,
        None,
    )];
    t += ms(rng, 2000, 5000);
    evs.push(mgmt(w, t, who, src, UA_OLD_CLI, "ListBuckets", None, None));
    for bucket in ["acme-shared-docs", "acme-curated"] {
        let b = w.bucket(bucket);
        for _ in 0..4 {
            t += ms(rng, 1000, 4000);
            evs.push(s3(
                w,
                t,
                AwsWho::Id(who),
                src,
                UA_OLD_CLI,
                "ListObjects",
                b,
                String::new(),
                0,
            ));
        }
        for _ in 0..30 {
            t += ms(rng, 2000, 20000);
            evs.push(s3(
                w,
                t,
                AwsWho::Id(who),
                src,
                UA_OLD_CLI,
                "GetObject",
                b,
                world::key_for(rng, bucket, d),
                rng.size(2_000_000.0, 1.0),
            ));
        }
    }
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "c-stolen-access-key",
        "carol's long-term access key used at 23:10 UTC (after midnight in Berlin) from an address in another country with an old aws-cli: GetCallerIdentity, ListBuckets, lists and 60 downloads",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1078.004", "T1530"],
        "high",
        &[rule::BASELINE_NEW_SOURCE_IP, rule::BASELINE_NEW_COUNTRY, rule::BASELINE_NEW_USER_AGENT, rule::BASELINE_AFTER_HOURS_ACCESS],
    )
}

/// m: liam works in London as usual; twenty minutes after his last request, his access key
/// reads a dozen shared documents from an address in China, with his own client (the
/// attacker copied his credentials file). Nothing crosses a volume threshold: only where it
/// comes from, and when, gives it away.
fn impossible_travel(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let who = w.aws_id("liam");
    let src = Addr::Ip(v4(175, 16, 199, 23));
    let bucket = w.bucket("acme-shared-docs");
    // Reads of shared documents by liam's key from `from`, starting after `t`.
    let reads = |w: &World, rng: &mut Rng, t: &mut i64, from: Addr, n: usize, gap: (u64, u64)| {
        (0..n)
            .map(|_| {
                *t += ms(rng, gap.0, gap.1);
                s3(
                    w,
                    *t,
                    AwsWho::Id(who),
                    from,
                    world::UA_CLI_MAC,
                    "GetObject",
                    bucket,
                    world::key_for(rng, "acme-shared-docs", d),
                    rng.size(300_000.0, 1.0),
                )
            })
            .collect::<Vec<_>>()
    };
    // Liam's own morning, so the attack sits right after his last request.
    let mut t = day(w, d) + 10 * HOUR;
    let own = reads(
        w,
        rng,
        &mut t,
        Addr::Ip(world::london_nat()),
        3,
        (20_000, 90_000),
    );
    w.aws.extend(own);
    t += 20 * MINUTE;
    let evs = reads(w, rng, &mut t, src, 12, (5_000, 40_000));
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "m-impossible-travel",
        "liam's access key reads 12 shared documents from an address in China twenty minutes after he worked from the London office, with his usual client and under every volume threshold",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1078.004", "T1530"],
        "high",
        &[rule::BASELINE_IMPOSSIBLE_TRAVEL, rule::BASELINE_NEW_COUNTRY, rule::BASELINE_NEW_SOURCE_IP],
    )
}

/// d: the thumbnailer's role credentials, lifted from the Lambda, sweep every bucket.
fn enumeration(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let who = w.aws_id("lambda-thumbnailer");
    let src = Addr::Ip(v4(91, 219, 236, 10));
    let mut t = day(w, d) + 11 * HOUR + 20 * MINUTE;
    let mut evs = vec![mgmt(w, t, who, src, UA_PACU, "ListBuckets", None, None)];
    for b in 0..w.buckets.len() as u16 {
        for name in ["GetBucketAcl", "GetBucketPolicy", "GetBucketLocation"] {
            t += ms(rng, 300, 1500);
            let mut e = mgmt(w, t, who, src, UA_PACU, name, Some(b), None);
            e.err = Some("AccessDenied").filter(|_| rng.chance(0.5));
            evs.push(e);
        }
        for p in [
            "", "backup/", "prod/", "secrets/", "config/", "db/", "export/", "admin/", "keys/",
            "logs/", "tmp/", "users/", "finance/", "private/", "data/",
        ] {
            t += ms(rng, 300, 1500);
            let mut e = s3(
                w,
                t,
                AwsWho::Id(who),
                src,
                UA_PACU,
                "ListObjects",
                b,
                String::new(),
                0,
            );
            e.req = Some(req_bucket(
                w.buckets[b as usize].name,
                w.buckets[b as usize].region,
                |o| {
                    o.str("list-type", "2")
                        .str("prefix", p)
                        .str("encoding-type", "url");
                },
            ));
            if w.buckets[b as usize].name != "acme-app-uploads" {
                e.err = Some("AccessDenied");
            }
            evs.push(e);
        }
    }
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "d-enumeration-sweep",
        "The image-thumbnailer role's credentials used outside Lambda from a new address: ListBuckets, then bucket ACL/policy/location reads and 15 prefix listings on every bucket in about ten minutes",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1619", "T1580"],
        "high",
        &[rule::AWS_S3_ENUMERATION, rule::BASELINE_NEW_SOURCE_IP, rule::BASELINE_FIRST_TIME_API],
    )
}

/// e: dev-tom removes the public access block and makes the customer-exports bucket public;
/// strangers read it anonymously within the hour.
fn public_bucket(w: &mut World, rng: &mut Rng, d: u32) -> Vec<Label> {
    let who = w.aws_id("dev-tom");
    let b = w.bucket("acme-customer-exports");
    let src = Addr::Ip(world::ny_nat());
    let mut t = day(w, d) + 22 * HOUR + 40 * MINUTE;
    let mut evs = Vec::new();
    let req = req_bucket("acme-customer-exports", "us-east-1", |o| {
        o.str("publicAccessBlock", "");
    });
    evs.push(mgmt(
        w,
        t,
        who,
        src,
        world::UA_CONSOLE,
        "DeletePublicAccessBlock",
        Some(b),
        Some(req),
    ));
    t += 95 * NS;
    let policy = obj_string(|o| {
        o.str("Version", "2012-10-17").arr("Statement", |a| {
            a.obj(|s| {
                s.str("Sid", "PublicRead")
                    .str("Effect", "Allow")
                    .str("Principal", "*")
                    .arr("Action", |x| x.str("s3:GetObject"))
                    .str("Resource", "arn:aws:s3:::acme-customer-exports/*");
            });
        });
    });
    let req = req_bucket("acme-customer-exports", "us-east-1", |o| {
        o.str("policy", &policy).str("bucketPolicy", &policy);
    });
    evs.push(mgmt(
        w,
        t,
        who,
        src,
        world::UA_CONSOLE,
        "PutBucketPolicy",
        Some(b),
        Some(req),
    ));
    let span1 = Span::of(&evs);
    w.aws.extend(evs);
    let mut reads = Vec::new();
    let readers: [IpAddr; 3] = [
        v4(5, 188, 86, 172),
        v4(103, 251, 167, 20),
        v4(194, 26, 29, 113),
    ];
    let mut t2 = t + 17 * MINUTE;
    for _ in 0..420 {
        t2 += ms(rng, 500, 20000);
        reads.push(s3(
            w,
            t2,
            AwsWho::Anonymous,
            Addr::Ip(*rng.pick(&readers)),
            UA_CURL,
            "GetObject",
            b,
            {
                let back = rng.below(10) as u32;
                world::key_for(rng, "acme-customer-exports", d.saturating_sub(back))
            },
            rng.size(3_000_000.0, 0.7),
        ));
    }
    let span2 = Span::of(&reads);
    w.aws.extend(reads);
    vec![
        label(
            "e1-bucket-made-public",
            "dev-tom deletes the public access block of acme-customer-exports and puts a bucket policy granting s3:GetObject to Principal \"*\" at 22:40 UTC",
            "aws",
            w.aws_ids[who as usize].principal(),
            user_aliases(w, who),
            span1,
            &["T1098", "T1530"],
            "high",
            &[rule::AWS_S3_PUBLIC_POLICY, rule::AWS_S3_PUBLIC_ACCESS_BLOCK_REMOVED],
        ),
        label(
            "e2-anonymous-reads-of-public-bucket",
            "Anonymous GetObject of 420 customer exports from three addresses, starting 17 minutes after the bucket became public",
            "aws",
            "anonymous".to_string(),
            vec![],
            span2,
            &["T1530"],
            "high",
            &[rule::AWS_S3_ANONYMOUS_READ, rule::AWS_S3_BULK_DOWNLOAD],
        ),
    ]
}

/// f: a GCS bucket opened to allUsers by a user at 23:30 his local time, from a new address.
fn gcs_all_users(w: &mut World, d: u32) -> Label {
    let who = w.gcs_id("noah@acme.example");
    let t = day(w, d) + 4 * HOUR + 30 * MINUTE;
    let ip = v4(102, 129, 143, 9);
    let mut e = gcs(
        t,
        Some(who),
        ip,
        world::UA_GSUTIL,
        "storage.setIamPermissions",
        "acme-ml-models",
        String::new(),
    );
    e.deltas = vec![("ADD", "roles/storage.objectViewer", "allUsers".to_string())];
    let list = gcs(
        t + 40 * NS,
        Some(who),
        ip,
        world::UA_GSUTIL,
        "storage.getIamPermissions",
        "acme-ml-models",
        String::new(),
    );
    w.gcs.push(list);
    w.gcs.push(e);
    label(
        "f-gcs-allusers-grant",
        "noah@acme.example grants roles/storage.objectViewer to allUsers on acme-ml-models (storage.setIamPermissions) at 23:30 New York time from a new address",
        "gcp",
        w.gcs_ids[who as usize].clone(),
        vec![],
        Span { start: t, end: t + 40 * NS },
        &["T1098", "T1530"],
        "high",
        &[rule::GCP_GCS_PUBLIC_IAM_BINDING],
    )
}

fn az_token(w: &World, who: u16, acct: &str) -> String {
    match &w.az_ids[who as usize] {
        AzWho::Sas(h) | AzWho::Key(h) => format!("{acct}:{h}"),
        AzWho::OAuth { oid, .. } => oid.clone(),
        AzWho::Anonymous => "anonymous".to_string(),
    }
}

/// g: the partner's SAS reads 1,200 blobs at 01:15 UTC from an address it never used.
fn azure_sas_night(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let acct = w.az_account("acmeprodblobs");
    let ip = v4(193, 27, 14, 90);
    let mut t = day(w, d) + HOUR + 15 * MINUTE;
    let (start, mut end) = (t, t);
    for _ in 0..5 {
        t += ms(rng, 200, 900);
        w.az.push(world::az(
            t,
            acct,
            AZ_PARTNER_SAS,
            ip,
            rng.range(1024, 65535) as u16,
            UA_RCLONE,
            "ListBlobs",
            "exports",
            String::new(),
            0,
        ));
    }
    for _ in 0..1200 {
        t += ms(rng, 300, 3000);
        end = t;
        let blob = format!(
            "exports/{:03}/{}.csv",
            rng.below(u64::from(d) + 1),
            rng.hex(12, false)
        );
        w.az.push(world::az(
            t,
            acct,
            AZ_PARTNER_SAS,
            ip,
            rng.range(1024, 65535) as u16,
            UA_RCLONE,
            "GetBlob",
            "exports",
            blob,
            rng.size(900_000.0, 0.7),
        ));
    }
    label(
        "g-azure-sas-night-bulk-read",
        "The partner integration's SAS token reads 1,200 blobs of the exports container at 01:15 UTC from an address it never used (its habit: weekday business hours, one address)",
        "azure",
        az_token(w, AZ_PARTNER_SAS, "acmeprodblobs"),
        vec![],
        Span { start, end },
        &["T1530", "T1078.004"],
        "high",
        &[rule::AZURE_BLOB_BULK_DOWNLOAD, rule::BASELINE_NEW_SOURCE_IP, rule::BASELINE_AFTER_HOURS_ACCESS],
    )
}

/// h: ransomware-style: versioning suspended, a 1-day expiration rule, mass delete, a note.
fn ransomware(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let who = w.aws_id("app-backend");
    let b = w.bucket("acme-app-uploads");
    let src = Addr::Ip(v4(45, 155, 205, 12));
    let mut t = day(w, d) + 3 * HOUR + 30 * MINUTE;
    let mut evs = Vec::new();
    let req = req_bucket("acme-app-uploads", "us-east-1", |o| {
        o.obj("VersioningConfiguration", |v| {
            v.str("Status", "Suspended")
                .str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
        })
        .str("versioning", "");
    });
    evs.push(mgmt(
        w,
        t,
        who,
        src,
        UA_PACU,
        "PutBucketVersioning",
        Some(b),
        Some(req),
    ));
    t += ms(rng, 5000, 20000);
    let req = req_bucket("acme-app-uploads", "us-east-1", |o| {
        o.obj("LifecycleConfiguration", |l| {
            l.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")
                .obj("Rule", |r| {
                    r.str("ID", "cleanup")
                        .str("Status", "Enabled")
                        .obj("Filter", |f| {
                            f.str("Prefix", "");
                        })
                        .obj("Expiration", |e| {
                            e.num("Days", 1);
                        })
                        .obj("NoncurrentVersionExpiration", |e| {
                            e.num("NoncurrentDays", 1);
                        });
                });
        })
        .str("lifecycle", "");
    });
    evs.push(mgmt(
        w,
        t,
        who,
        src,
        UA_PACU,
        "PutBucketLifecycleConfiguration",
        Some(b),
        Some(req),
    ));
    t += ms(rng, 5000, 20000);
    let req = req_bucket("acme-app-uploads", "us-east-1", |o| {
        o.str("encryption", "");
    });
    evs.push(mgmt(
        w,
        t,
        who,
        src,
        UA_PACU,
        "DeleteBucketEncryption",
        Some(b),
        Some(req),
    ));
    for _ in 0..1500 {
        t += ms(rng, 50, 900);
        evs.push(s3(
            w,
            t,
            AwsWho::Id(who),
            src,
            UA_PACU,
            "DeleteObject",
            b,
            {
                let back = rng.below(30) as u32;
                world::key_for(rng, "acme-app-uploads", d.saturating_sub(back))
            },
            0,
        ));
    }
    t += ms(rng, 1000, 3000);
    evs.push(s3(
        w,
        t,
        AwsWho::Id(who),
        src,
        UA_PACU,
        "PutObject",
        b,
        "README-RESTORE-FILES.txt".to_string(),
        1312,
    ));
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "h-ransomware-mass-delete",
        "The app-backend instance role, used from outside AWS, suspends versioning on acme-app-uploads, adds a 1-day expiration lifecycle rule, removes default encryption, deletes 1,500 objects and leaves a ransom note",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1485", "T1490"],
        "high",
        &[rule::AWS_S3_VERSIONING_SUSPENDED, rule::AWS_S3_LIFECYCLE_EXPIRATION, rule::AWS_S3_ENCRYPTION_REMOVED, rule::AWS_S3_MASS_DELETE],
    )
}

/// i: replication of the data lake to a bucket in a foreign account.
fn replication(w: &mut World, d: u32) -> Label {
    let who = w.aws_id("svc-terraform");
    let b = w.bucket("acme-data-lake");
    let src = Addr::Ip(v4(146, 70, 199, 34));
    let t = day(w, d) + 21 * HOUR + 30 * MINUTE;
    let req = req_bucket("acme-data-lake", "us-east-1", |o| {
        o.obj("VersioningConfiguration", |v| {
            v.str("Status", "Enabled")
                .str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
        })
        .str("versioning", "");
    });
    let e1 = mgmt(
        w,
        t,
        who,
        src,
        world::UA_CLI,
        "PutBucketVersioning",
        Some(b),
        Some(req),
    );
    let req = req_bucket("acme-data-lake", "us-east-1", |o| {
        o.obj("ReplicationConfiguration", |r| {
            r.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")
                .str("Role", &format!("arn:aws:iam::{PROD}:role/s3-replication"))
                .obj("Rule", |rule| {
                    rule.str("ID", "sync")
                        .str("Status", "Enabled")
                        .num("Priority", 1)
                        .obj("Filter", |f| {
                            f.str("Prefix", "");
                        })
                        .obj("Destination", |d| {
                            d.str("Bucket", "arn:aws:s3:::offsite-archive-7731")
                                .str("Account", "999988887777")
                                .obj("AccessControlTranslation", |a| {
                                    a.str("Owner", "Destination");
                                });
                        })
                        .obj("DeleteMarkerReplication", |m| {
                            m.str("Status", "Disabled");
                        });
                });
        })
        .str("replication", "");
    });
    let e2 = mgmt(
        w,
        t + 48 * NS,
        who,
        src,
        world::UA_CLI,
        "PutBucketReplication",
        Some(b),
        Some(req),
    );
    let span = Span::of(&[e1.clone(), e2.clone()]);
    w.aws.push(e1);
    w.aws.push(e2);
    label(
        "i-replication-to-foreign-account",
        "svc-terraform, from a new address at 21:30 UTC, enables versioning on acme-data-lake and adds a replication rule to arn:aws:s3:::offsite-archive-7731 in account 999988887777",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1537"],
        "high",
        &[rule::AWS_S3_REPLICATION_FOREIGN_ACCOUNT, rule::BASELINE_NEW_SOURCE_IP],
    )
}

/// j: CloudTrail StopLogging on the compliance archive trail (the organisation trail that
/// wrote these files keeps running, which is why the later events are still here).
fn stop_logging(w: &mut World, d: u32) -> Label {
    let who = w.aws_id("OrganizationAccountAccessRole");
    let src = Addr::Ip(v4(89, 44, 9, 243));
    let t = day(w, d) + 3 * HOUR + 5 * MINUTE;
    let trail = format!("arn:aws:cloudtrail:us-east-1:{PROD}:trail/acme-compliance-archive");
    let req = obj_string(|o| {
        o.str("name", &trail);
    });
    let e0 = mgmt(
        w,
        t,
        who,
        src,
        world::UA_CONSOLE,
        "DescribeTrails",
        None,
        None,
    );
    let e1 = mgmt(
        w,
        t + 31 * NS,
        who,
        src,
        world::UA_CONSOLE,
        "GetTrailStatus",
        None,
        Some(req.clone()),
    );
    let e2 = mgmt(
        w,
        t + 52 * NS,
        who,
        src,
        world::UA_CONSOLE,
        "StopLogging",
        None,
        Some(req),
    );
    let span = Span::of(&[e0.clone(), e2.clone()]);
    w.aws.extend([e0, e1, e2]);
    label(
        "j-cloudtrail-stop-logging",
        "The break-glass OrganizationAccountAccessRole, unused since a drill in week 1, stops the acme-compliance-archive trail (StopLogging) at 03:05 UTC from a new address",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1562.008"],
        "high",
        &[rule::AWS_CLOUDTRAIL_STOP_LOGGING, rule::BASELINE_DORMANT_PRINCIPAL, rule::BASELINE_NEW_SOURCE_IP],
    )
}

/// k: the CI user of the data account probes production buckets and is denied.
fn access_denied_probe(w: &mut World, rng: &mut Rng, d: u32) -> Label {
    let who = w.aws_id("jenkins");
    let src = Addr::Ip(v4(5, 34, 180, 200));
    let mut t = day(w, d) + 15 * HOUR;
    let mut evs = Vec::new();
    let targets = [
        "acme-backups",
        "acme-customer-exports",
        "acme-reports",
        "acme-data-lake",
        "acme-shared-docs",
    ];
    for i in 0..180 {
        t += ms(rng, 1000, 8000);
        let bname = targets[i % targets.len()];
        let b = w.bucket(bname);
        let op = if i % 3 == 0 {
            "ListObjects"
        } else {
            "GetObject"
        };
        let key = if op == "GetObject" {
            world::key_for(rng, bname, d)
        } else {
            String::new()
        };
        let mut e = s3(w, t, AwsWho::Id(who), src, UA_OLD_CLI, op, b, key, 0);
        e.err = Some("AccessDenied");
        e.bytes_out = 0;
        evs.push(e);
    }
    let span = Span::of(&evs);
    w.aws.extend(evs);
    label(
        "k-access-denied-probing",
        "The jenkins user of the data account, from a new address, tries 180 reads and listings on five production buckets in about 15 minutes; every one is AccessDenied",
        "aws",
        w.aws_ids[who as usize].principal(),
        user_aliases(w, who),
        span,
        &["T1619", "T1580"],
        "medium",
        &[rule::BASELINE_ACCESS_DENIED_BURST, rule::BASELINE_NEW_SOURCE_IP],
    )
}

/// l: peter's Entra account lists the storage account keys at 03:10 UTC from a new country;
/// minutes later key1 reads hundreds of blobs from the same address.
fn azure_keys(w: &mut World, rng: &mut Rng, d: u32) -> Vec<Label> {
    let acct = w.az_account("acmeprodblobs");
    let ip = v4(196, 251, 72, 4);
    let t = day(w, d) + 3 * HOUR + 10 * MINUTE;
    w.az_act.push(AzActEv {
        t,
        acct,
        who: AZ_PETER,
        ip,
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION",
        sub: String::new(),
        body: None,
    });
    w.az_act.push(AzActEv {
        t: t + 2 * MINUTE,
        acct,
        who: AZ_PETER,
        ip,
        op: "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
        sub: "/providers/microsoft.insights/diagnosticSettings/to-law".into(),
        body: None,
    });
    let (oid, upn) = match &w.az_ids[AZ_PETER as usize] {
        AzWho::OAuth { oid, upn, .. } => (oid.clone(), upn.clone().unwrap_or_default()),
        _ => unreachable!("AZ_PETER is an Entra user"),
    };
    let mut t2 = t + 4 * MINUTE;
    let start2 = t2;
    for i in 0..610 {
        t2 += ms(rng, 500, 4000);
        let (op, container) = if i < 10 {
            ("ListBlobs", "invoices")
        } else {
            ("GetBlob", *rng.pick(&["invoices", "media"]))
        };
        let blob = if op == "GetBlob" {
            format!(
                "{container}/{:03}/{}.pdf",
                rng.below(u64::from(d)),
                rng.hex(12, false)
            )
        } else {
            String::new()
        };
        w.az.push(world::az(
            t2,
            acct,
            AZ_KEY1,
            ip,
            rng.range(1024, 65535) as u16,
            "python-requests/2.31.0",
            op,
            container,
            blob,
            rng.size(500_000.0, 0.8),
        ));
    }
    vec![
        label(
            "l1-azure-list-keys",
            "peter@acme.example lists the acmeprodblobs account keys (listKeys) and deletes its diagnostic setting at 03:10 UTC from an address in another country",
            "azure",
            oid,
            vec![upn],
            Span { start: t, end: t + 2 * MINUTE },
            &["T1078.004", "T1098", "T1562.008"],
            "medium",
            &[rule::AZURE_STORAGE_KEYS_LISTED, rule::AZURE_STORAGE_DIAGNOSTICS_DELETED, rule::BASELINE_NEW_SOURCE_IP],
        ),
        label(
            "l2-azure-account-key-used-from-new-place",
            "Minutes after the listKeys, account key key1 lists and reads 600 blobs of acmeprodblobs from the same new address with python-requests",
            "azure",
            az_token(w, AZ_KEY1, "acmeprodblobs"),
            vec![],
            Span { start: start2, end: t2 },
            &["T1530", "T1078.004"],
            "high",
            &[rule::AZURE_BLOB_BULK_DOWNLOAD, rule::BASELINE_NEW_SOURCE_IP],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::text::DAY;
    use crate::generate::Options;

    fn woven() -> (World, Vec<Label>) {
        let rng = Rng::new(1);
        let mut w = world::build(&Options::default(), &rng);
        let labels = weave(&mut w, &rng);
        (w, labels)
    }

    fn t(s: &str) -> i64 {
        crate::time::parse_rfc3339(s.as_bytes()).unwrap()
    }

    #[test]
    fn labels_are_in_the_last_week_with_catalogue_techniques() {
        let (w, labels) = woven();
        let catalogue = [
            "T1530",
            "T1619",
            "T1485",
            "T1490",
            "T1562.008",
            "T1537",
            "T1078.004",
            "T1098",
            "T1580",
        ];
        let mut ids = std::collections::BTreeSet::new();
        for l in &labels {
            assert!(ids.insert(l.id.clone()), "{}", l.id);
            assert!(
                t(&l.start) >= w.end() - 7 * DAY && t(&l.end) < w.end(),
                "{}",
                l.id
            );
            assert!(t(&l.start) <= t(&l.end));
            assert!(
                l.mitre.iter().all(|m| catalogue.contains(&m.as_str())),
                "{}",
                l.id
            );
            assert!(!l.expected_rules.is_empty());
            for r in &l.expected_rules {
                assert!(
                    crate::catalogue::Catalogue::get().rule(r).is_some(),
                    "{}: {r} is not a rule id",
                    l.id
                );
            }
        }
        assert_eq!(labels.len(), 15);
    }

    #[test]
    fn slow_exfiltration_stays_under_fixed_thresholds_at_three_times_the_bytes() {
        let (w, labels) = woven();
        let l = labels.iter().find(|l| l.id.starts_with("b-")).unwrap();
        let who = AwsWho::Id(w.aws_id("reporting-svc"));
        let mut hours: std::collections::BTreeMap<i64, u32> = Default::default();
        let mut bytes = vec![0u64; w.days as usize];
        for e in w.aws.iter().filter(|e| e.who == who) {
            *hours.entry(e.t / HOUR).or_default() += 1;
            bytes[((e.t - w.start) / DAY) as usize] += e.bytes_out;
        }
        assert!(
            hours.values().all(|n| *n <= 20),
            "never near 100 GetObject/h"
        );
        let first = ((t(&l.start) - w.start) / DAY) as usize;
        let mut before: Vec<u64> = bytes[..first].to_vec();
        before.sort_unstable();
        let usual = before[before.len() / 2] as f64;
        for (d, b) in bytes.iter().enumerate().skip(first) {
            let ratio = *b as f64 / usual;
            assert!(
                (2.4..3.6).contains(&ratio),
                "day {d}: {ratio:.2}x the usual bytes"
            );
        }
    }

    #[test]
    fn dormant_user_is_silent_until_the_attack() {
        let (w, labels) = woven();
        let l = labels.iter().find(|l| l.id.starts_with("a-")).unwrap();
        let who = AwsWho::Id(w.aws_id("backup-maint"));
        let start = t(&l.start);
        let quiet = w
            .aws
            .iter()
            .filter(|e| e.who == who && e.t < start)
            .all(|e| e.t < w.start + 3 * DAY);
        assert!(quiet);
        assert_eq!(
            crate::generate::text::iso(start, 0)[11..16].to_string(),
            "02:45"
        );
        // Server access logging of the bucket stops with the PutBucketLogging call.
        let b = w.bucket("acme-backups") as usize;
        assert!(w.buckets[b].access_log_until <= start + NS);
    }

    #[test]
    fn azure_principals_are_the_ids_the_parsers_build() {
        let (_, labels) = woven();
        let g = labels.iter().find(|l| l.id.starts_with("g-")).unwrap();
        assert!(
            g.principal.starts_with("acmeprodblobs:key1(")
                && g.principal.contains("),SasSignature(")
        );
        let l2 = labels.iter().find(|l| l.id.starts_with("l2-")).unwrap();
        assert!(l2.principal.starts_with("acmeprodblobs:key1(") && !l2.principal.contains("Sas"));
        let e2 = labels.iter().find(|l| l.id.starts_with("e2-")).unwrap();
        assert_eq!(e2.principal, "anonymous");
    }
}
