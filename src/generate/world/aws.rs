//! The AWS side of the benign world: office staff, automation and their S3 and management calls.

#[allow(unused_imports)]
use super::*;

/// Object keys that look like each bucket's content.
pub fn key_for(rng: &mut Rng, bucket: &str, d: u32) -> String {
    let date = crate::generate::text::iso(START_EPOCH_NS + i64::from(d) * DAY, 0);
    let date = &date[..10];
    match bucket {
        "acme-data-lake" => format!(
            "raw/events/dt={date}/part-{:05}-{}.snappy.parquet",
            rng.below(400),
            rng.hex(8, false)
        ),
        "acme-curated" => format!(
            "curated/daily_sales/dt={date}/part-{:05}.parquet",
            rng.below(64)
        ),
        "acme-backups" => format!(
            "db/{}/{date}/pgdump-{:03}.tar.zst",
            rng.pick(&["orders", "billing", "users", "inventory"]),
            rng.below(40)
        ),
        "acme-app-uploads" => format!(
            "uploads/{}/{}.{}",
            rng.hex(2, false),
            rng.uuid(),
            rng.pick(&["jpg", "png", "pdf", "heic"])
        ),
        "acme-web-assets" => format!(
            "{}/{}.{}",
            rng.pick(&["static/js", "static/css", "img", "fonts"]),
            rng.pick(&[
                "main",
                "vendor",
                "logo",
                "hero",
                "app",
                "inter-var",
                "icons"
            ]),
            rng.pick(&["js", "css", "png", "woff2", "svg"])
        ),
        "acme-shared-docs" => format!(
            "{}/{}-{}.{}",
            rng.pick(&["finance", "legal", "hr", "sales", "product", "engineering"]),
            rng.pick(&[
                "q1-forecast",
                "contract",
                "roadmap",
                "budget",
                "minutes",
                "offer",
                "spec"
            ]),
            rng.below(300),
            rng.pick(&["xlsx", "docx", "pdf", "pptx"])
        ),
        "acme-customer-exports" => {
            format!("exports/{date}/customer-{:05}.csv.gz", rng.below(20000))
        }
        "acme-reports" => format!(
            "monthly/{}/{}-{:04}.pdf",
            rng.pick(&["finance", "ops", "sales"]),
            rng.pick(&["statement", "summary", "ledger"]),
            rng.below(5000)
        ),
        "acme-build-artifacts" => format!(
            "builds/{}/{}/app-{}.tar.gz",
            rng.pick(&["api", "web", "worker"]),
            rng.range(1000, 9999),
            rng.hex(7, false)
        ),
        _ => format!("data/{}", rng.hex(12, false)),
    }
}

/// An S3 request on a bucket of the world.
#[allow(clippy::too_many_arguments)]
pub fn s3(
    w: &World,
    t: i64,
    who: AwsWho,
    src: Addr,
    ua: &'static str,
    name: &'static str,
    bucket: u16,
    key: String,
    bytes: u64,
) -> AwsEv {
    let b = &w.buckets[bucket as usize];
    let (bytes_in, bytes_out) = match name {
        "PutObject" | "UploadPart" => (bytes, 0),
        "GetObject" => (0, bytes),
        _ => (0, 0),
    };
    AwsEv {
        t,
        who,
        src,
        ua,
        name,
        account: b.account,
        region: b.region,
        bucket: Some(bucket),
        key,
        bytes_in,
        bytes_out,
        err: None,
        req: None,
        resp: None,
    }
}

/// A management call (not bound to a bucket unless `bucket` is given).
#[allow(clippy::too_many_arguments)]
pub fn mgmt(
    w: &World,
    t: i64,
    who: u16,
    src: Addr,
    ua: &'static str,
    name: &'static str,
    bucket: Option<u16>,
    req: Option<String>,
) -> AwsEv {
    let id = &w.aws_ids[who as usize];
    let (account, region) = match bucket {
        Some(b) => (w.buckets[b as usize].account, w.buckets[b as usize].region),
        None => (id.account, "us-east-1"),
    };
    AwsEv {
        t,
        who: AwsWho::Id(who),
        src,
        ua,
        name,
        account,
        region,
        bucket,
        key: String::new(),
        bytes_in: 0,
        bytes_out: 0,
        err: None,
        req,
        resp: None,
    }
}

/// Office staff: local business hours on weekdays, a few sessions a day.
struct Office {
    user: &'static str,
    tz: i64,
    ips: Vec<IpAddr>,
    buckets: &'static [&'static str],
    per_day: f64,
    first_day: u32,
    /// Chance per day of working from somewhere new (a hotel, a conference).
    travel: f64,
}

pub(crate) fn office_aws(w: &mut World, root: &Rng) {
    let tokyo = |h: u16| v6([0x2001, 0xdb8, 0x4a1, 0x20, 0, 0, 0, h]);
    let recent = w.days.saturating_sub(6);
    let staff = vec![
        Office {
            user: "alice",
            tz: -5,
            ips: vec![ny_nat()],
            buckets: &["acme-shared-docs", "acme-reports"],
            per_day: 45.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "bob",
            tz: -5,
            ips: vec![ny_nat()],
            buckets: &["acme-shared-docs", "acme-customer-exports"],
            per_day: 35.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "gina",
            tz: -5,
            ips: vec![ny_nat()],
            buckets: &["acme-shared-docs", "acme-reports"],
            per_day: 30.0,
            first_day: 0,
            travel: 0.12,
        },
        Office {
            user: "dev-tom",
            tz: -5,
            ips: vec![ny_nat()],
            buckets: &["acme-app-uploads", "acme-shared-docs"],
            per_day: 25.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "carol",
            tz: 1,
            ips: vec![berlin_nat()],
            buckets: &["acme-shared-docs", "acme-curated"],
            per_day: 40.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "dave",
            tz: 1,
            ips: vec![berlin_nat()],
            buckets: &["acme-shared-docs"],
            per_day: 30.0,
            first_day: 0,
            travel: 0.05,
        },
        Office {
            user: "pat-admin",
            tz: 1,
            ips: vec![berlin_nat()],
            buckets: &["acme-shared-docs", "acme-backups"],
            per_day: 12.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "erin",
            tz: 9,
            ips: vec![tokyo(0x15), tokyo(0x15), tokyo(0x2c)],
            buckets: &["acme-shared-docs", "acme-curated"],
            per_day: 40.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "frank",
            tz: 9,
            ips: vec![tokyo(0x31), v4(192, 0, 2, 77)],
            buckets: &["acme-shared-docs"],
            per_day: 30.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "liam",
            tz: 0,
            ips: vec![london_nat()],
            buckets: &["acme-shared-docs", "acme-reports"],
            per_day: 30.0,
            first_day: 0,
            travel: 0.0,
        },
        Office {
            user: "kate",
            tz: 1,
            ips: vec![berlin_nat()],
            buckets: &["acme-shared-docs"],
            per_day: 20.0,
            first_day: recent,
            travel: 0.0,
        },
    ];
    for o in staff {
        let who = w.aws_id(o.user);
        let mut rng = root.fork(o.user);
        let mut evs = Vec::new();
        for d in o.first_day..w.days {
            if weekday(d) >= 5 && !rng.chance(0.04) {
                continue;
            }
            let ip = if rng.chance(o.travel) {
                // A hotel or conference network: a new address every trip.
                v4(
                    *rng.pick(&[81, 88, 92, 109, 151, 176, 185, 212]),
                    rng.range(1, 255) as u8,
                    rng.range(0, 255) as u8,
                    rng.range(1, 255) as u8,
                )
            } else {
                *rng.pick(&o.ips)
            };
            let src = Addr::Ip(ip);
            let console = rng.chance(0.5);
            if console {
                let t = local(&mut rng, w, d, o.tz, 8.5, 9.5);
                let mut e = mgmt(w, t, who, src, UA_BROWSER, "ConsoleLogin", None, None);
                e.resp = Some(r#"{"ConsoleLogin":"Success"}"#.to_string());
                evs.push(e);
            }
            let ua = if console { UA_CONSOLE } else { UA_CLI_MAC };
            let sessions = rng.range(2, 6);
            let total = scaled(w, rng.around(o.per_day, 0.5) as f64, 2);
            for _ in 0..sessions {
                let mut t = local(&mut rng, w, d, o.tz, 9.0, 17.5);
                let name: &str = o.buckets[rng.below(o.buckets.len() as u64) as usize];
                let bucket = w.bucket(name);
                let name = w.buckets[bucket as usize].name;
                for _ in 0..rng.range(1, 3) {
                    t += jitter(&mut rng, 20);
                    evs.push(s3(
                        w,
                        t,
                        AwsWho::Id(who),
                        src,
                        ua,
                        "ListObjects",
                        bucket,
                        String::new(),
                        0,
                    ));
                }
                for _ in 0..(total / sessions).max(1) {
                    t += jitter(&mut rng, 90);
                    let r = rng.f64();
                    let op = if r < 0.7 {
                        "GetObject"
                    } else if r < 0.85 {
                        "HeadObject"
                    } else if r < 0.97 {
                        "PutObject"
                    } else {
                        "CopyObject"
                    };
                    let mut e = s3(
                        w,
                        t,
                        AwsWho::Id(who),
                        src,
                        ua,
                        op,
                        bucket,
                        key_for(&mut rng, name, d),
                        rng.size(250_000.0, 1.2),
                    );
                    let fail = rng.f64();
                    if op == "GetObject" && fail < 0.01 {
                        e.err = Some("NoSuchKey");
                        e.bytes_out = 0;
                    } else if fail > 0.995 {
                        e.err = Some("AccessDenied");
                        e.bytes_out = 0;
                        e.bytes_in = 0;
                    }
                    evs.push(e);
                }
            }
        }
        office_noise(w, root, &o, who, &mut evs);
        w.aws.extend(evs);
    }
    // Analysts: an assumed role shared by two people, daily small reads and a weekly big pull
    // (hundreds of objects in an hour: above any fixed bulk-download threshold).
    for (i, who_name) in ["analyst/hank", "analyst/ivy"].iter().enumerate() {
        let who = w.aws_id(who_name);
        let mut rng = root.fork(who_name);
        let ip = if i == 0 { ny_nat() } else { berlin_nat() };
        let tz = if i == 0 { -5 } else { 1 };
        let big_day = 1 + i as u32 * 2;
        let mut evs = Vec::new();
        for d in 0..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            let big = weekday(d) == big_day;
            let n = if big {
                scaled(w, rng.around(320.0, 0.3) as f64, 5)
            } else {
                scaled(w, rng.around(25.0, 0.5) as f64, 1)
            };
            let mut t = local(&mut rng, w, d, tz, 10.0, 16.0);
            let bucket = w.bucket(if big {
                "acme-curated"
            } else {
                "acme-data-lake"
            });
            let bname = w.buckets[bucket as usize].name;
            evs.push(s3(
                w,
                t,
                AwsWho::Id(who),
                Addr::Ip(ip),
                UA_BOTO,
                "ListObjects",
                bucket,
                String::new(),
                0,
            ));
            for _ in 0..n {
                let back = rng.below(30) as u32;
                t += if big {
                    rng.range(50, 9000) as i64 * 1_000_000
                } else {
                    jitter(&mut rng, 60)
                };
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    Addr::Ip(ip),
                    UA_BOTO,
                    "GetObject",
                    bucket,
                    key_for(&mut rng, bname, d.saturating_sub(back)),
                    rng.size(8_000_000.0, 0.8),
                ));
            }
        }
        w.aws.extend(evs);
    }
}

/// A person's requests outside the routine, one at a time, on weekdays from `first`: (day,
/// time, address if not the usual one). Now and then from a phone on mobile data
/// (carrier-grade NAT, a new address each time), now and then late in the evening.
pub(crate) fn everyday_extras(
    rng: &mut Rng,
    w: &World,
    first: u32,
    tz: i64,
) -> Vec<(u32, i64, Option<IpAddr>)> {
    let mut out = Vec::new();
    for d in first..w.days {
        if weekday(d) >= 5 {
            continue;
        }
        if rng.chance(0.12) {
            let phone = v4(
                100,
                rng.range(64, 127) as u8,
                rng.range(0, 255) as u8,
                rng.range(1, 255) as u8,
            );
            out.push((d, local(rng, w, d, tz, 9.0, 18.0), Some(phone)));
        }
        if rng.chance(0.03) {
            out.push((d, local(rng, w, d, tz, 21.5, 23.5), None));
        }
    }
    out
}

/// What real staff do besides their routine, none of it an attack (traps for false alarms;
/// from its own random stream, so the routine above is the same with or without it): the
/// [`everyday_extras`], one large download now and then (a VM image), and for the
/// administrator a bucket policy removed in the course of work.
fn office_noise(w: &World, root: &Rng, o: &Office, who: u16, evs: &mut Vec<AwsEv>) {
    let mut rng = root.fork(&format!("noise/{}", o.user));
    let home = o.ips[0];
    let pick_bucket = |rng: &mut Rng| {
        let bucket = w.bucket(o.buckets[rng.below(o.buckets.len() as u64) as usize]);
        (bucket, w.buckets[bucket as usize].name)
    };
    let get = |t: i64, ip: IpAddr, bucket: u16, key: String, bytes: u64| {
        s3(
            w,
            t,
            AwsWho::Id(who),
            Addr::Ip(ip),
            UA_CLI_MAC,
            "GetObject",
            bucket,
            key,
            bytes,
        )
    };
    for (d, t, phone) in everyday_extras(&mut rng, w, o.first_day, o.tz) {
        let (bucket, name) = pick_bucket(&mut rng);
        let key = key_for(&mut rng, name, d);
        let bytes = rng.size(250_000.0, 1.2);
        evs.push(get(t, phone.unwrap_or(home), bucket, key, bytes));
    }
    for d in o.first_day..w.days {
        if weekday(d) >= 5 {
            continue;
        }
        let (bucket, name) = pick_bucket(&mut rng);
        if rng.chance(0.02) {
            let t = local(&mut rng, w, d, o.tz, 10.0, 16.0);
            let key = format!("images/{}.vmdk", rng.hex(12, false));
            evs.push(get(
                t,
                home,
                bucket,
                key,
                rng.range(2_000_000_000, 6_000_000_000),
            ));
        }
        if o.user == "pat-admin" && rng.chance(0.15) {
            let t = local(&mut rng, w, d, o.tz, 10.0, 16.0);
            evs.push(mgmt(
                w,
                t,
                who,
                Addr::Ip(home),
                UA_CLI_MAC,
                "DeleteBucketPolicy",
                Some(bucket),
                Some(format!(r#"{{"bucketName":"{name}","policy":""}}"#)),
            ));
        }
    }
}

pub(crate) fn automation_aws(w: &mut World, root: &Rng) {
    let vpc = |rng: &mut Rng| Addr::Ip(v4(10, 20, rng.range(1, 8) as u8, rng.range(2, 250) as u8));
    // Night ETL: thousands of objects every night at 02:00 UTC, with KMS decrypts.
    {
        let who = w.aws_id("etl-nightly");
        let lake = w.bucket("acme-data-lake");
        let curated = w.bucket("acme-curated");
        let mut rng = root.fork("etl");
        let mut evs = Vec::new();
        for d in 0..w.days {
            let src = vpc(&mut rng);
            let mut t = day(w, d) + 2 * HOUR + rng.below(240) as i64 * NS;
            let mut sts = mgmt(
                w,
                t - 5 * NS,
                w.aws_id("lambda.amazonaws.com"),
                Addr::Host("lambda.amazonaws.com"),
                "lambda.amazonaws.com",
                "AssumeRole",
                None,
                Some(obj_string(|o| {
                    o.str("roleArn", &w.aws_ids[who as usize].role_arn())
                        .str("roleSessionName", "glue-job-run")
                        .num("durationSeconds", 3600);
                })),
            );
            sts.region = "us-east-1";
            evs.push(sts);
            for _ in 0..rng.range(5, 12) {
                t += jitter(&mut rng, 3);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_GLUE,
                    "ListObjects",
                    lake,
                    String::new(),
                    0,
                ));
            }
            let n = scaled(w, rng.around(1100.0, 0.15) as f64, 10);
            for i in 0..n {
                t += rng.range(200, 2600) as i64 * 1_000_000;
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_GLUE,
                    "GetObject",
                    lake,
                    key_for(&mut rng, "acme-data-lake", d.saturating_sub(1)),
                    rng.size(12_000_000.0, 0.5),
                ));
                if i % 200 == 0 {
                    let mut k = mgmt(w, t, who, src, UA_GLUE, "Decrypt", None, None);
                    k.req = Some(obj_string(|o| {
                        o.str("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                    }));
                    evs.push(k);
                }
            }
            for _ in 0..scaled(w, 48.0, 1) {
                t += jitter(&mut rng, 5);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_GLUE,
                    "PutObject",
                    curated,
                    key_for(&mut rng, "acme-curated", d),
                    rng.size(30_000_000.0, 0.4),
                ));
            }
        }
        w.aws.extend(evs);
    }
    // Nightly backups into the backup bucket at 01:00 UTC.
    {
        let who = w.aws_id("backup-agent");
        let b = w.bucket("acme-backups");
        let mut rng = root.fork("backup");
        let mut evs = Vec::new();
        for d in 0..w.days {
            let src = Addr::Ip(v4(10, 20, 4, 17));
            let mut t = day(w, d) + HOUR + rng.below(600) as i64 * NS;
            for _ in 0..scaled(w, rng.around(200.0, 0.1) as f64, 3) {
                t += jitter(&mut rng, 8);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_GO,
                    "PutObject",
                    b,
                    key_for(&mut rng, "acme-backups", d),
                    rng.size(80_000_000.0, 0.6),
                ));
            }
            // Expire old dumps: a handful of deletes every night.
            for _ in 0..scaled(w, 10.0, 1) {
                t += jitter(&mut rng, 3);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_GO,
                    "DeleteObject",
                    b,
                    key_for(&mut rng, "acme-backups", d.saturating_sub(30)),
                    0,
                ));
            }
            // The weekly purge removes a whole expired prefix in one batch call.
            if weekday(d) == 6 {
                t += jitter(&mut rng, 3);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_GO,
                    "DeleteObjects",
                    b,
                    String::new(),
                    0,
                ));
            }
        }
        w.aws.extend(evs);
    }
    // The maintenance user that used to check backups, then went quiet (dormant).
    {
        let who = w.aws_id("backup-maint");
        let b = w.bucket("acme-backups");
        let mut rng = root.fork("backup-maint");
        let src = Addr::Ip(berlin_nat());
        for d in 0..3 {
            let mut t = day(w, d) + 10 * HOUR;
            w.aws.push(s3(
                w,
                t,
                AwsWho::Id(who),
                src,
                UA_CLI,
                "ListObjects",
                b,
                String::new(),
                0,
            ));
            for _ in 0..5 {
                t += jitter(&mut rng, 30);
                let key = key_for(&mut rng, "acme-backups", d);
                w.aws.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_CLI,
                    "HeadObject",
                    b,
                    key,
                    0,
                ));
            }
        }
    }
    // CI/CD deploys: bursts of list/put/delete on weekdays, from GitHub-hosted runners.
    {
        let who = w.aws_id("github-deploy");
        let b = w.bucket("acme-web-assets");
        let mut rng = root.fork("deploy");
        let mut evs = Vec::new();
        for d in 0..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            for _ in 0..rng.range(1, 5) {
                let src = Addr::Ip(v4(
                    *rng.pick(&[20, 40, 52, 172]),
                    rng.range(1, 250) as u8,
                    rng.range(0, 255) as u8,
                    rng.range(1, 255) as u8,
                ));
                let mut t = local(&mut rng, w, d, -5, 9.0, 19.0);
                for _ in 0..scaled(w, rng.around(28.0, 0.3) as f64, 1) {
                    t += jitter(&mut rng, 2);
                    evs.push(s3(
                        w,
                        t,
                        AwsWho::Id(who),
                        src,
                        UA_ACTIONS,
                        "ListObjects",
                        b,
                        String::new(),
                        0,
                    ));
                }
                for _ in 0..scaled(w, rng.around(40.0, 0.4) as f64, 1) {
                    t += jitter(&mut rng, 2);
                    let op = if rng.chance(0.8) {
                        "PutObject"
                    } else {
                        "DeleteObject"
                    };
                    evs.push(s3(
                        w,
                        t,
                        AwsWho::Id(who),
                        src,
                        UA_ACTIONS,
                        op,
                        b,
                        key_for(&mut rng, "acme-web-assets", d),
                        rng.size(90_000.0, 1.0),
                    ));
                }
            }
        }
        w.aws.extend(evs);
    }
    // The public website bucket: anonymous readers from everywhere (server access logs only).
    {
        let b = w.bucket("acme-web-assets");
        let mut rng = root.fork("web");
        let mut evs = Vec::new();
        for d in 0..w.days {
            for _ in 0..scaled(w, rng.around(100.0, 0.3) as f64, 1) {
                let t = day(w, d) + rng.below(DAY as u64) as i64;
                let ip = if rng.chance(0.2) {
                    v6([
                        0x2a02,
                        rng.below(0xffff) as u16,
                        rng.below(0xffff) as u16,
                        0,
                        0,
                        0,
                        0,
                        rng.range(1, 0xffff) as u16,
                    ])
                } else {
                    v4(
                        rng.range(11, 223) as u8,
                        rng.below(256) as u8,
                        rng.below(256) as u8,
                        rng.range(1, 255) as u8,
                    )
                };
                let mut e = s3(
                    w,
                    t,
                    AwsWho::Anonymous,
                    Addr::Ip(ip),
                    UA_BROWSER,
                    "GetObject",
                    b,
                    key_for(&mut rng, "acme-web-assets", d),
                    rng.size(40_000.0, 1.0),
                );
                if rng.chance(0.02) {
                    e.err = Some("NoSuchKey");
                    e.bytes_out = 0;
                }
                evs.push(e);
            }
        }
        w.aws.extend(evs);
    }
    // Reporting service: a few reads every hour, around the clock (the slow-exfil baseline).
    {
        let who = w.aws_id("reporting-svc");
        let b = w.bucket("acme-reports");
        let mut rng = root.fork("reporting");
        let src = Addr::Ip(v4(34, 201, 17, 80));
        let mut evs = Vec::new();
        for h in 0..i64::from(w.days) * 24 {
            for _ in 0..scaled(w, rng.around(4.0, 0.5) as f64, 0) {
                let t = w.start + h * HOUR + rng.below(HOUR as u64) as i64;
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    src,
                    UA_BOTO,
                    "GetObject",
                    b,
                    key_for(&mut rng, "acme-reports", (h / 24) as u32),
                    rng.size(2_000_000.0, 0.3),
                ));
            }
        }
        w.aws.extend(evs);
    }
    // Image thumbnailer (Lambda) and the app backend on the uploads bucket, all day.
    {
        let thumb = w.aws_id("lambda-thumbnailer");
        let app = w.aws_id("app-backend");
        let b = w.bucket("acme-app-uploads");
        let mut rng = root.fork("uploads");
        let mut evs = Vec::new();
        for d in 0..w.days {
            let n = scaled(
                w,
                rng.around(if weekday(d) >= 5 { 60.0 } else { 150.0 }, 0.3) as f64,
                1,
            );
            for _ in 0..n {
                let mut t = day(w, d) + rng.below(DAY as u64) as i64;
                let key = key_for(&mut rng, "acme-app-uploads", d);
                let size = rng.size(1_500_000.0, 0.8);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(app),
                    Addr::Ip(v4(10, 20, 2, 31)),
                    UA_NODE,
                    "PutObject",
                    b,
                    key.clone(),
                    size,
                ));
                t += jitter(&mut rng, 4);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(thumb),
                    Addr::Host("lambda.amazonaws.com"),
                    UA_NODE,
                    "GetObject",
                    b,
                    key.clone(),
                    size,
                ));
                t += jitter(&mut rng, 3);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(thumb),
                    Addr::Host("lambda.amazonaws.com"),
                    UA_NODE,
                    "PutObject",
                    b,
                    format!("thumbs/{key}"),
                    size / 20,
                ));
            }
            // The instance role is refreshed by EC2 every few hours.
            for h in [0, 6, 12, 18] {
                let t = day(w, d) + h * HOUR + rng.below(600) as i64 * NS;
                evs.push(mgmt(
                    w,
                    t,
                    w.aws_id("ec2.amazonaws.com"),
                    Addr::Host("ec2.amazonaws.com"),
                    "ec2.amazonaws.com",
                    "AssumeRole",
                    None,
                    Some(obj_string(|o| {
                        o.str("roleArn", &w.aws_ids[app as usize].role_arn())
                            .str("roleSessionName", &w.aws_ids[app as usize].session);
                    })),
                ));
            }
        }
        w.aws.extend(evs);
    }
    // Security scanner: reads every bucket's settings at 06:00 UTC daily.
    {
        let who = w.aws_id("security-audit");
        let mut rng = root.fork("audit");
        let mut evs = Vec::new();
        for d in 0..w.days {
            let mut t = day(w, d) + 6 * HOUR + rng.below(300) as i64 * NS;
            let src = Addr::Ip(v4(10, 30, 0, 12));
            evs.push(mgmt(w, t, who, src, UA_BOTO, "ListBuckets", None, None));
            for b in 0..w.buckets.len() as u16 {
                for name in ["GetBucketAcl", "GetBucketPolicy", "GetBucketLogging"] {
                    t += jitter(&mut rng, 2);
                    let mut e = mgmt(w, t, who, src, UA_BOTO, name, Some(b), None);
                    if name == "GetBucketPolicy" && rng.chance(0.5) {
                        e.err = Some("NoSuchBucketPolicy");
                    }
                    evs.push(e);
                }
            }
        }
        w.aws.extend(evs);
    }
    // Jenkins in the data account pulls build artifacts on weekdays.
    {
        let who = w.aws_id("jenkins");
        let b = w.bucket("acme-build-artifacts");
        let mut rng = root.fork("jenkins");
        let mut evs = Vec::new();
        for d in 0..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            for _ in 0..scaled(w, 30.0, 1) {
                let t = local(&mut rng, w, d, -5, 8.0, 20.0);
                let op = if rng.chance(0.7) {
                    "GetObject"
                } else {
                    "PutObject"
                };
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    Addr::Ip(v4(52, 44, 10, 23)),
                    UA_CLI,
                    op,
                    b,
                    key_for(&mut rng, "acme-build-artifacts", d),
                    rng.size(50_000_000.0, 0.5),
                ));
            }
        }
        w.aws.extend(evs);
    }
    // Terraform service user: weekday plans read bucket settings (management only).
    {
        let who = w.aws_id("svc-terraform");
        let mut rng = root.fork("terraform");
        let mut evs = Vec::new();
        for d in 0..w.days {
            if weekday(d) >= 5 || !rng.chance(0.6) {
                continue;
            }
            let mut t = local(&mut rng, w, d, -5, 10.0, 17.0);
            let src = Addr::Ip(v4(20, 85, 33, rng.range(1, 250) as u8));
            for b in 0..w.buckets.len() as u16 {
                for name in ["GetBucketVersioning", "GetBucketPolicy", "GetBucketAcl"] {
                    t += jitter(&mut rng, 2);
                    evs.push(mgmt(w, t, who, src, UA_TERRAFORM, name, Some(b), None));
                }
            }
        }
        w.aws.extend(evs);
    }
    // The root user signs in once, early on (billing).
    {
        let who = w.aws_id("root");
        let t = day(w, 2) + 15 * HOUR + 12 * MINUTE;
        let mut e = mgmt(
            w,
            t,
            who,
            Addr::Ip(ny_nat()),
            UA_BROWSER,
            "ConsoleLogin",
            None,
            None,
        );
        e.resp = Some(r#"{"ConsoleLogin":"Success"}"#.to_string());
        w.aws.push(e);
    }
    // Break-glass role used once in the first week (a documented drill).
    {
        let who = w.aws_id("OrganizationAccountAccessRole");
        let t = day(w, 3) + 14 * HOUR;
        w.aws.push(mgmt(
            w,
            t,
            who,
            Addr::Ip(berlin_nat()),
            UA_CONSOLE,
            "DescribeTrails",
            None,
            None,
        ));
    }
    // A legitimate bucket-policy change inside the Tuesday 14:00 UTC change window of week 3,
    // and a versioning change with it.
    {
        let who = w.aws_id("pat-admin");
        let b = w.bucket("acme-shared-docs");
        let t = day(w, 15) + 14 * HOUR + 7 * MINUTE;
        let policy = obj_string(|o| {
            o.str("Version", "2012-10-17").arr("Statement", |a| {
                a.obj(|s| {
                    s.str("Sid", "AllowAnalystsRead")
                        .str("Effect", "Allow")
                        .obj("Principal", |p| {
                            p.str("AWS", &format!("arn:aws:iam::{PROD}:role/analyst"));
                        })
                        .str("Action", "s3:GetObject")
                        .str("Resource", "arn:aws:s3:::acme-shared-docs/*");
                });
            });
        });
        let req = obj_string(|o| {
            o.str("bucketName", "acme-shared-docs")
                .str("Host", "acme-shared-docs.s3.eu-west-1.amazonaws.com")
                .str("policy", &policy)
                .str("bucketPolicy", &policy);
        });
        w.aws.push(mgmt(
            w,
            t,
            who,
            Addr::Ip(berlin_nat()),
            UA_CONSOLE,
            "PutBucketPolicy",
            Some(b),
            Some(req),
        ));
        let req = obj_string(|o| {
            o.str("bucketName", "acme-shared-docs")
                .str("Host", "acme-shared-docs.s3.eu-west-1.amazonaws.com")
                .obj("PublicAccessBlockConfiguration", |c| {
                    c.str("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")
                        .bool("RestrictPublicBuckets", true)
                        .bool("BlockPublicPolicy", true)
                        .bool("BlockPublicAcls", true)
                        .bool("IgnorePublicAcls", true);
                })
                .str("publicAccessBlock", "");
        });
        w.aws.push(mgmt(
            w,
            t + 3 * MINUTE,
            who,
            Addr::Ip(berlin_nat()),
            UA_CONSOLE,
            "PutPublicAccessBlock",
            Some(b),
            Some(req),
        ));
    }
    // A new ML training role in the last week, reading the curated bucket.
    {
        let who = w.aws_id("ml-training");
        let b = w.bucket("acme-curated");
        let mut rng = root.fork("ml");
        let mut evs = Vec::new();
        for d in w.days.saturating_sub(5)..w.days {
            let mut t = day(w, d) + 13 * HOUR + rng.below(3600) as i64 * NS;
            for _ in 0..scaled(w, 120.0, 1) {
                t += jitter(&mut rng, 10);
                evs.push(s3(
                    w,
                    t,
                    AwsWho::Id(who),
                    Addr::Ip(v4(10, 20, 6, 90)),
                    UA_BOTO,
                    "GetObject",
                    b,
                    key_for(&mut rng, "acme-curated", d.saturating_sub(3)),
                    rng.size(20_000_000.0, 0.5),
                ));
            }
        }
        w.aws.extend(evs);
    }
}
