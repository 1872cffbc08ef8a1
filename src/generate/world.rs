//! The benign world: who works where, when and how much, across AWS, GCP and Azure.
//!
//! Built to be hard for fixed thresholds: a night ETL role reads thousands of objects at
//! 02:00 UTC, Tokyo staff work 00:00–09:00 UTC, analysts read hundreds of objects in an hour,
//! CI lists dozens of prefixes per deploy, travellers appear from new addresses, offices share
//! NAT addresses, and a policy change happens in a change window. Each habit is its own
//! function with its own forked random stream.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::generate::rng::Rng;
use crate::generate::text::{obj_string, DAY, HOUR, MINUTE, NS};
use crate::generate::{
    Addr, AwsEv, AwsId, AwsKind, AwsWho, AzAccount, AzActEv, AzEv, AzWho, Bucket, GcsEv, Options,
    World, START_DAY,
};
use crate::time::days_from_civil;

pub const PROD: &str = "111122223333";
pub const DATA: &str = "444455556666";

pub const UA_CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp";
pub const UA_CLI_MAC: &str = "aws-cli/2.15.58 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls";
pub const UA_CONSOLE: &str = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.216-182.855.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]";
pub const UA_BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
pub const UA_BOTO: &str = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69";
pub const UA_GLUE: &str = "aws-sdk-java/2.25.10 Linux/5.10.209-198.858.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_Glue io/sync http/Apache cfg/retry-mode/legacy";
pub const UA_GO: &str =
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.4";
pub const UA_NODE: &str =
    "aws-sdk-nodejs/2.1583.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x callback";
pub const UA_ACTIONS: &str = "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0-1018-azure exe/x86_64.ubuntu.22 prompt/off command/s3.sync";
pub const UA_TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0";
pub const UA_CURL: &str = "curl/8.5.0";
pub const UA_BEAM: &str =
    "apache_beam/2.55.1,gcloud-python/2.16.0 gl-python/3.11.8 grpc/1.62.1 gax/2.18.0 gccl/2.16.0,gzip(gfe)";
pub const UA_GSUTIL: &str = "apitools Python/3.11.8 gsutil/5.27 (linux) analytics/disabled interactive/True command/cp google-cloud-sdk/470.0.0,gzip(gfe)";
pub const UA_GCS_CONSOLE: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36,gzip(gfe)";
pub const UA_GCS_GO: &str = "gcloud-golang-storage/1.40.0,gzip(gfe)";
pub const UA_AZCOPY: &str = "AzCopy/10.24.0 Azure-Storage/0.15 (go1.21.8; linux)";
pub const UA_AZ_NET: &str =
    "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.3; Microsoft Windows 10.0.22631)";
pub const UA_AZ_PY: &str =
    "azsdk-python-storage-blob/12.19.1 Python/3.11.8 (Linux-5.15.0-1058-azure-x86_64-with-glibc2.35)";
pub const UA_AZ_PORTAL: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0";

pub fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub fn v6(segs: [u16; 8]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(segs))
}

/// The New York office NAT, shared by everyone there.
pub fn ny_nat() -> IpAddr {
    v4(198, 51, 100, 10)
}
/// The Berlin office NAT.
pub fn berlin_nat() -> IpAddr {
    v4(203, 0, 113, 45)
}
/// The London office NAT: an address MaxMind's test databases place in London, so the demo's
/// GeoIP finds it.
pub fn london_nat() -> IpAddr {
    v4(81, 2, 69, 165)
}

/// Start of day `d` of the world.
pub fn day(w: &World, d: u32) -> i64 {
    w.start + i64::from(d) * DAY
}

/// Day of the week of day `d`: 0 Monday … 6 Sunday (the world starts on a Monday).
pub fn weekday(d: u32) -> u32 {
    d % 7
}

/// `x` events at scale 1, scaled, at least `min`.
pub fn scaled(w: &World, x: f64, min: u64) -> u64 {
    ((x * w.scale).round() as u64).max(min)
}

/// A random time of day in `[from_h, to_h)` hours UTC-shifted by `tz` (local time = UTC + tz).
fn local(rng: &mut Rng, w: &World, d: u32, tz: i64, from_h: f64, to_h: f64) -> i64 {
    let h = from_h + (to_h - from_h) * rng.f64();
    day(w, d) + (h * HOUR as f64) as i64 - tz * HOUR
}

fn jitter(rng: &mut Rng, max_s: u64) -> i64 {
    rng.range(1, max_s.max(2)) as i64 * NS + rng.below(1_000_000_000) as i64
}

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

/// Nanoseconds of [`START_DAY`] since the epoch.
pub const START_EPOCH_NS: i64 = {
    // days_from_civil is not const; 2026-01-05 is day 20458 since 1970-01-01.
    20_458 * DAY
};

fn aws_ids() -> Vec<AwsId> {
    let mut ids = Vec::new();
    let mut n = 0u32;
    let mut add = |kind, account: &'static str, name: &str, session: &str| {
        n += 1;
        let key = match kind {
            AwsKind::User => format!("AKIA{}{:04}", &"Q3EXAMPLEK2Y7TBW"[..12], n),
            _ => format!("ASIA{}{:04}", &"R5EXAMPLEF4N8JCM"[..12], n),
        };
        let unique = match kind {
            AwsKind::User => format!("AIDA{}{:05}", "J4EXAMPLEP2W6Q", n),
            AwsKind::Role => format!("AROA{}{:05}", "K7EXAMPLEB3Z9H", n),
            _ => account.to_string(),
        };
        ids.push(AwsId {
            kind,
            account,
            name: name.to_string(),
            session: session.to_string(),
            key_id: key,
            unique_id: unique,
        });
    };
    use AwsKind::*;
    for u in [
        "alice",
        "bob",
        "gina",
        "carol",
        "dave",
        "erin",
        "frank",
        "pat-admin",
        "dev-tom",
        "kate",
        "backup-maint",
        "reporting-svc",
        "svc-terraform",
    ] {
        add(User, PROD, u, "");
    }
    add(User, DATA, "jenkins", "");
    add(Role, PROD, "etl-nightly", "glue-job-run");
    add(Role, PROD, "backup-agent", "i-0a3f9c2e7b1d45e60");
    add(Role, PROD, "github-deploy", "GitHubActions");
    add(Role, PROD, "analyst", "hank");
    add(Role, PROD, "analyst", "ivy");
    add(Role, PROD, "lambda-thumbnailer", "thumbnailer");
    add(Role, PROD, "security-audit", "prowler-scan");
    add(Role, PROD, "app-backend", "i-07c1e5d9a2b8f3064");
    add(Role, PROD, "ml-training", "sagemaker-job");
    add(
        Role,
        PROD,
        "OrganizationAccountAccessRole",
        "admin-break-glass",
    );
    add(Root, PROD, "root", "");
    add(Service, PROD, "lambda.amazonaws.com", "");
    add(Service, PROD, "ec2.amazonaws.com", "");
    add(User, PROD, "liam", "");
    ids
}

fn buckets() -> Vec<Bucket> {
    let b = |name, account, region, ct_data, access_log: bool| Bucket {
        name,
        account,
        region,
        ct_data,
        access_log_until: if access_log { i64::MAX } else { i64::MIN },
    };
    vec![
        b("acme-data-lake", PROD, "us-east-1", true, false),
        b("acme-curated", PROD, "us-east-1", true, false),
        b("acme-backups", PROD, "us-east-1", true, true),
        b("acme-app-uploads", PROD, "us-east-1", true, true),
        b("acme-web-assets", PROD, "us-east-1", false, true),
        b("acme-shared-docs", PROD, "eu-west-1", true, false),
        b("acme-customer-exports", PROD, "us-east-1", true, true),
        b("acme-reports", PROD, "us-east-1", true, false),
        b("acme-build-artifacts", DATA, "us-east-1", true, false),
    ]
}

/// Builds the benign world.
pub fn build(opts: &Options, rng: &Rng) -> World {
    let (y, m, d) = START_DAY;
    debug_assert_eq!(days_from_civil(y, m, d) * DAY, START_EPOCH_NS);
    let mut w = World {
        start: START_EPOCH_NS,
        days: opts.days,
        scale: opts.scale,
        aws_ids: aws_ids(),
        buckets: buckets(),
        gcs_project: "acme-analytics-prod",
        gcs_ids: [
            "maria@acme.example",
            "noah@acme.example",
            "yuki@acme.example",
            "lena@acme.example",
            "ops-admin@acme.example",
            "dataflow-etl@acme-analytics-prod.iam.gserviceaccount.com",
            "gcs-backup@acme-analytics-prod.iam.gserviceaccount.com",
            "ci-deployer@acme-analytics-prod.iam.gserviceaccount.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        subscription: "6f1c2d3e-4b5a-4c7d-9e8f-0a1b2c3d4e5f",
        tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        az_ids: Vec::new(),
        az_accounts: vec![
            AzAccount {
                name: "acmeprodblobs",
                group: "rg-prod-storage",
                location: "eastus",
                classic: false,
            },
            AzAccount {
                name: "acmelegacyfiles",
                group: "rg-legacy",
                location: "westeurope",
                classic: true,
            },
        ],
        ..World::default()
    };
    w.az_ids = az_ids(&mut rng.fork("az-ids"));
    office_aws(&mut w, rng);
    automation_aws(&mut w, rng);
    gcs_world(&mut w, rng);
    azure_world(&mut w, rng);
    w
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

fn office_aws(w: &mut World, root: &Rng) {
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
fn everyday_extras(
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

fn automation_aws(w: &mut World, root: &Rng) {
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

fn gcs_world(w: &mut World, root: &Rng) {
    let people: [(&str, i64, IpAddr, u32); 4] = [
        ("maria@acme.example", 1, berlin_nat(), 0),
        ("noah@acme.example", -5, ny_nat(), 0),
        (
            "yuki@acme.example",
            9,
            v6([0x2001, 0xdb8, 0x4a1, 0x20, 0, 0, 0, 0x44]),
            0,
        ),
        (
            "lena@acme.example",
            1,
            berlin_nat(),
            w.days.saturating_sub(5),
        ),
    ];
    let buckets = [
        "acme-analytics-raw",
        "acme-analytics-curated",
        "acme-ml-models",
    ];
    let mut evs = Vec::new();
    for (email, tz, ip, first) in people {
        let who = w.gcs_id(email);
        let mut rng = root.fork(email);
        for d in first..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            let ua = if rng.chance(0.5) {
                UA_GCS_CONSOLE
            } else {
                UA_GSUTIL
            };
            for _ in 0..rng.range(2, 5) {
                let mut t = local(&mut rng, w, d, tz, 9.0, 17.5);
                let bucket = *rng.pick(&buckets);
                evs.push(gcs(
                    t,
                    Some(who),
                    ip,
                    ua,
                    "storage.objects.list",
                    bucket,
                    String::new(),
                ));
                for _ in 0..scaled(w, rng.around(10.0, 0.5) as f64, 1) {
                    t += jitter(&mut rng, 60);
                    let method = if rng.chance(0.85) {
                        "storage.objects.get"
                    } else {
                        "storage.objects.create"
                    };
                    let mut e = gcs(t, Some(who), ip, ua, method, bucket, gcs_key(&mut rng, d));
                    e.denied = rng.chance(0.01);
                    evs.push(e);
                }
            }
        }
        // Besides the routine (its own random stream): a file from a phone, one late.
        let mut rng = root.fork(&format!("noise/{email}"));
        for (d, when, phone) in everyday_extras(&mut rng, w, first, tz) {
            let bucket = *rng.pick(&buckets);
            let key = gcs_key(&mut rng, d);
            let from = phone.unwrap_or(ip);
            evs.push(gcs(
                when,
                Some(who),
                from,
                UA_GSUTIL,
                "storage.objects.get",
                bucket,
                key,
            ));
        }
    }
    // Dataflow ETL: 02:00 UTC nightly, a thousand objects.
    let sa = w.gcs_id("dataflow-etl@acme-analytics-prod.iam.gserviceaccount.com");
    let mut rng = root.fork("dataflow");
    for d in 0..w.days {
        let ip = v4(35, 190, 247, rng.range(1, 250) as u8);
        let mut t = day(w, d) + 2 * HOUR + rng.below(600) as i64 * NS;
        for _ in 0..5 {
            t += jitter(&mut rng, 2);
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_BEAM,
                "storage.objects.list",
                "acme-analytics-raw",
                String::new(),
            ));
        }
        for _ in 0..scaled(w, rng.around(700.0, 0.15) as f64, 5) {
            t += rng.range(300, 3000) as i64 * 1_000_000;
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_BEAM,
                "storage.objects.get",
                "acme-analytics-raw",
                gcs_key(&mut rng, d),
            ));
        }
        for _ in 0..scaled(w, 40.0, 1) {
            t += jitter(&mut rng, 5);
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_BEAM,
                "storage.objects.create",
                "acme-analytics-curated",
                gcs_key(&mut rng, d),
            ));
        }
    }
    // Backups at 01:30 UTC.
    let sa = w.gcs_id("gcs-backup@acme-analytics-prod.iam.gserviceaccount.com");
    let mut rng = root.fork("gcs-backup");
    for d in 0..w.days {
        let mut t = day(w, d) + HOUR + 30 * MINUTE + rng.below(300) as i64 * NS;
        for _ in 0..scaled(w, 100.0, 1) {
            t += jitter(&mut rng, 6);
            evs.push(gcs(
                t,
                Some(sa),
                v4(34, 72, 11, 9),
                UA_GCS_GO,
                "storage.objects.create",
                "acme-gcs-backups",
                format!(
                    "nightly/{}/{}",
                    &crate::generate::text::iso(day(w, d), 0)[..10],
                    rng.hex(16, false)
                ),
            ));
        }
    }
    // CI deploys of static assets, weekdays.
    let sa = w.gcs_id("ci-deployer@acme-analytics-prod.iam.gserviceaccount.com");
    let mut rng = root.fork("gcs-ci");
    for d in 0..w.days {
        if weekday(d) >= 5 {
            continue;
        }
        let mut t = local(&mut rng, w, d, 1, 10.0, 18.0);
        let ip = v4(
            34,
            rng.range(20, 140) as u8,
            rng.below(256) as u8,
            rng.range(1, 255) as u8,
        );
        for _ in 0..scaled(w, 25.0, 1) {
            t += jitter(&mut rng, 2);
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_GCS_GO,
                "storage.objects.list",
                "acme-web-static",
                String::new(),
            ));
        }
        for _ in 0..scaled(w, 30.0, 1) {
            t += jitter(&mut rng, 2);
            let m = if rng.chance(0.7) {
                "storage.objects.create"
            } else {
                "storage.objects.delete"
            };
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_GCS_GO,
                m,
                "acme-web-static",
                format!("assets/{}.js", rng.hex(10, false)),
            ));
        }
    }
    // Change window: the admin grants the new hire read access (a benign setIamPermissions).
    let admin = w.gcs_id("ops-admin@acme.example");
    let t = day(w, w.days.saturating_sub(5)) + 14 * HOUR + 20 * MINUTE;
    let mut e = gcs(
        t,
        Some(admin),
        berlin_nat(),
        UA_GCS_CONSOLE,
        "storage.setIamPermissions",
        "acme-analytics-curated",
        String::new(),
    );
    e.deltas = vec![(
        "ADD",
        "roles/storage.objectViewer",
        "user:lena@acme.example".to_string(),
    )];
    evs.push(e);
    for d in 0..w.days {
        if weekday(d) == 0 {
            let t = day(w, d) + 9 * HOUR;
            evs.push(gcs(
                t,
                Some(admin),
                berlin_nat(),
                UA_GCS_CONSOLE,
                "storage.getIamPermissions",
                "acme-analytics-curated",
                String::new(),
            ));
        }
    }
    w.gcs.extend(evs);
}

pub fn gcs(
    t: i64,
    who: Option<u16>,
    ip: IpAddr,
    ua: &'static str,
    method: &'static str,
    bucket: &'static str,
    object: String,
) -> GcsEv {
    GcsEv {
        t,
        who,
        ip,
        ua,
        method,
        bucket,
        object,
        denied: false,
        deltas: Vec::new(),
    }
}

pub fn gcs_key(rng: &mut Rng, d: u32) -> String {
    format!(
        "{}/day={:03}/{}-{:04}.avro",
        rng.pick(&["clickstream", "orders", "sensors", "features"]),
        d,
        rng.pick(&["shard", "batch", "chunk"]),
        rng.below(2000)
    )
}

/// Azure identities: index 0 olivia, 1 peter, 2 ingest app, 3 partner SAS, 4 key1 of the
/// resource-log account, 5 anonymous, 6 a SAS on the classic account, 7 the classic account
/// key, 8 the SAS the attacker later uses is the partner's (3).
fn az_ids(rng: &mut Rng) -> Vec<AzWho> {
    let h = |rng: &mut Rng| rng.hex(64, true);
    vec![
        AzWho::OAuth {
            oid: "3f6a2b1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c".into(),
            upn: Some("olivia@acme.example".into()),
            app: None,
        },
        AzWho::OAuth {
            oid: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d".into(),
            upn: Some("peter@acme.example".into()),
            app: None,
        },
        AzWho::OAuth {
            oid: "c0ffee00-1234-4abc-8def-556677889900".into(),
            upn: None,
            app: Some("9e8d7c6b-5a49-4382-a1b0-ffeeddccbbaa".into()),
        },
        AzWho::Sas(format!("key1({}),SasSignature({})", h(rng), h(rng))),
        AzWho::Key(format!("key1({})", h(rng))),
        AzWho::Anonymous,
        AzWho::Sas(format!("key2({}),SasSignature({})", h(rng), h(rng))),
        AzWho::Key(format!("key1({})", h(rng))),
    ]
}

pub const AZ_OLIVIA: u16 = 0;
pub const AZ_PETER: u16 = 1;
pub const AZ_APP: u16 = 2;
pub const AZ_PARTNER_SAS: u16 = 3;
pub const AZ_KEY1: u16 = 4;
pub const AZ_ANON: u16 = 5;
pub const AZ_LEGACY_SAS: u16 = 6;
pub const AZ_LEGACY_KEY: u16 = 7;

#[allow(clippy::too_many_arguments)]
pub fn az(
    t: i64,
    acct: u8,
    who: u16,
    ip: IpAddr,
    port: u16,
    ua: &'static str,
    op: &'static str,
    container: &'static str,
    blob: String,
    bytes: u64,
) -> AzEv {
    let (status, resp, req) = match op {
        "PutBlob" | "PutBlock" => (201, 0, bytes),
        "DeleteBlob" => (202, 0, 0),
        "GetBlob" => (200, bytes, 0),
        "ListBlobs" => (200, 4000 + bytes % 60_000, 0),
        _ => (200, 0, 0),
    };
    AzEv {
        t,
        acct,
        who,
        ip,
        port,
        ua,
        op,
        container,
        blob,
        status,
        status_text: "Success",
        resp_bytes: resp,
        req_bytes: req,
    }
}

fn az_blob_name(rng: &mut Rng, d: u32) -> String {
    format!(
        "{}/{:03}/{}.{}",
        rng.pick(&["invoices", "telemetry", "media", "exports"]),
        d,
        rng.hex(12, false),
        rng.pick(&["json", "csv", "parquet", "png"])
    )
}

fn azure_world(w: &mut World, root: &Rng) {
    let prod = w.az_account("acmeprodblobs");
    let legacy = w.az_account("acmelegacyfiles");
    let mut evs = Vec::new();
    // Staff with Entra ID accounts, local business hours.
    for (who, tz, ip, ua) in [
        (AZ_OLIVIA, 1, berlin_nat(), UA_AZ_PORTAL),
        (AZ_PETER, -5, ny_nat(), UA_AZ_NET),
    ] {
        let mut rng = root.fork(&format!("az-staff-{who}"));
        for d in 0..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            for _ in 0..rng.range(2, 5) {
                let mut t = local(&mut rng, w, d, tz, 9.0, 17.5);
                let port = rng.range(49152, 65535) as u16;
                evs.push(az(
                    t,
                    prod,
                    who,
                    ip,
                    port,
                    ua,
                    "ListBlobs",
                    "invoices",
                    String::new(),
                    rng.below(1000),
                ));
                for _ in 0..scaled(w, rng.around(10.0, 0.5) as f64, 1) {
                    t += jitter(&mut rng, 60);
                    let op = if rng.chance(0.8) {
                        "GetBlob"
                    } else {
                        "PutBlob"
                    };
                    let mut e = az(
                        t,
                        prod,
                        who,
                        ip,
                        port,
                        ua,
                        op,
                        "invoices",
                        az_blob_name(&mut rng, d),
                        rng.size(300_000.0, 1.0),
                    );
                    if op == "GetBlob" && rng.chance(0.01) {
                        e.status = 404;
                        e.status_text = "BlobNotFound";
                        e.resp_bytes = 215;
                    }
                    evs.push(e);
                }
            }
        }
        // Besides the routine (its own random stream): a file from a phone, one late.
        let mut rng = root.fork(&format!("noise/az-staff-{who}"));
        for (d, when, phone) in everyday_extras(&mut rng, w, 0, tz) {
            let blob = az_blob_name(&mut rng, d);
            let port = rng.range(49152, 65535) as u16;
            let bytes = rng.size(300_000.0, 1.0);
            let from = phone.unwrap_or(ip);
            evs.push(az(
                when, prod, who, from, port, ua, "GetBlob", "invoices", blob, bytes,
            ));
        }
    }
    // Ingest app (service principal): 02:00 UTC nightly writes and reads.
    let mut rng = root.fork("az-app");
    for d in 0..w.days {
        let ip = v4(20, 42, 73, rng.range(1, 250) as u8);
        let mut t = day(w, d) + 2 * HOUR + rng.below(900) as i64 * NS;
        for _ in 0..scaled(w, rng.around(600.0, 0.15) as f64, 3) {
            t += rng.range(500, 3500) as i64 * 1_000_000;
            let op = if rng.chance(0.6) {
                "PutBlob"
            } else {
                "GetBlob"
            };
            evs.push(az(
                t,
                prod,
                AZ_APP,
                ip,
                rng.range(1024, 65535) as u16,
                UA_AZ_PY,
                op,
                "telemetry",
                az_blob_name(&mut rng, d),
                rng.size(2_000_000.0, 0.6),
            ));
        }
        // Retention: telemetry older than 30 days is deleted after the load.
        for _ in 0..scaled(w, 25.0, 1) {
            t += jitter(&mut rng, 2);
            let old = az_blob_name(&mut rng, d.saturating_sub(30));
            let port = rng.range(1024, 65535) as u16;
            evs.push(az(
                t,
                prod,
                AZ_APP,
                ip,
                port,
                UA_AZ_PY,
                "DeleteBlob",
                "telemetry",
                old,
                0,
            ));
        }
    }
    // Partner integration with a SAS: weekday reads of the exports container, NY hours.
    let mut rng = root.fork("az-partner");
    for d in 0..w.days {
        if weekday(d) >= 5 {
            continue;
        }
        let mut t = local(&mut rng, w, d, -5, 10.0, 16.0);
        let ip = v4(64, 62, 142, 18);
        evs.push(az(
            t,
            prod,
            AZ_PARTNER_SAS,
            ip,
            rng.range(1024, 65535) as u16,
            UA_AZCOPY,
            "ListBlobs",
            "exports",
            String::new(),
            0,
        ));
        for _ in 0..scaled(w, rng.around(80.0, 0.3) as f64, 1) {
            t += jitter(&mut rng, 20);
            evs.push(az(
                t,
                prod,
                AZ_PARTNER_SAS,
                ip,
                rng.range(1024, 65535) as u16,
                UA_AZCOPY,
                "GetBlob",
                "exports",
                az_blob_name(&mut rng, d),
                rng.size(900_000.0, 0.7),
            ));
        }
    }
    // Legacy app with the account key: every day, a few reads and writes.
    let mut rng = root.fork("az-key");
    for d in 0..w.days {
        for _ in 0..scaled(w, rng.around(50.0, 0.3) as f64, 1) {
            let t = day(w, d) + rng.below(DAY as u64) as i64;
            let op = if rng.chance(0.5) {
                "GetBlob"
            } else {
                "PutBlob"
            };
            evs.push(az(
                t,
                prod,
                AZ_KEY1,
                v4(52, 168, 40, 7),
                rng.range(1024, 65535) as u16,
                UA_AZ_NET,
                op,
                "media",
                az_blob_name(&mut rng, d),
                rng.size(500_000.0, 1.0),
            ));
        }
        // The public container of the website, read anonymously.
        for _ in 0..scaled(w, 20.0, 1) {
            let t = day(w, d) + rng.below(DAY as u64) as i64;
            let ip = v4(
                rng.range(11, 223) as u8,
                rng.below(256) as u8,
                rng.below(256) as u8,
                rng.range(1, 255) as u8,
            );
            evs.push(az(
                t,
                prod,
                AZ_ANON,
                ip,
                rng.range(1024, 65535) as u16,
                UA_BROWSER,
                "GetBlob",
                "public",
                format!("img/{}.png", rng.hex(6, false)),
                rng.size(60_000.0, 0.8),
            ));
        }
    }
    // The classic account: a file share replacement used by SAS, key, OAuth and anonymous.
    let mut rng = root.fork("az-legacy");
    for d in 0..w.days {
        let weekend = weekday(d) >= 5;
        let n = scaled(w, if weekend { 60.0 } else { 280.0 }, 1);
        for _ in 0..n {
            let r = rng.f64();
            let (who, ip, ua) = if r < 0.45 {
                (AZ_LEGACY_KEY, v4(40, 113, 20, 5), UA_AZ_NET)
            } else if r < 0.75 {
                (AZ_LEGACY_SAS, v4(81, 169, 145, 20), UA_AZCOPY)
            } else if r < 0.95 {
                (AZ_OLIVIA, berlin_nat(), UA_AZ_PORTAL)
            } else {
                (
                    AZ_ANON,
                    v4(
                        rng.range(11, 223) as u8,
                        rng.below(256) as u8,
                        rng.below(256) as u8,
                        9,
                    ),
                    UA_BROWSER,
                )
            };
            let t = if who == AZ_OLIVIA {
                local(&mut rng, w, d, 1, 9.0, 17.5)
            } else {
                day(w, d) + rng.below(DAY as u64) as i64
            };
            let container = if who == AZ_ANON { "public" } else { "share" };
            let op = if who == AZ_ANON || rng.chance(0.7) {
                "GetBlob"
            } else {
                "PutBlob"
            };
            evs.push(az(
                t,
                legacy,
                who,
                ip,
                rng.range(1024, 65535) as u16,
                ua,
                op,
                container,
                az_blob_name(&mut rng, d),
                rng.size(400_000.0, 1.0),
            ));
        }
    }
    w.az.extend(evs);
    // Control plane: the admin lists keys through the portal now and then, and changes
    // settings in a change window.
    let mut rng = root.fork("az-activity");
    for d in (4..w.days).step_by(9) {
        let t = local(&mut rng, w, d, 1, 10.0, 16.0);
        w.az_act.push(AzActEv {
            t,
            acct: prod,
            who: AZ_OLIVIA,
            ip: berlin_nat(),
            op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION",
            sub: String::new(),
            body: None,
        });
    }
    w.az_act.push(AzActEv {
        t: day(w, 15) + 14 * HOUR + 30 * MINUTE,
        acct: prod,
        who: AZ_OLIVIA,
        ip: berlin_nat(),
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/BLOBSERVICES/CONTAINERS/WRITE",
        sub: "/blobServices/default/containers/archive".into(),
        body: Some(r#"{"properties":{"publicAccess":"None"}}"#.into()),
    });
    // Key rotation of the unused key2 (key1 stays in use by the legacy app).
    w.az_act.push(AzActEv {
        t: day(w, 15) + 14 * HOUR + 35 * MINUTE,
        acct: prod,
        who: AZ_OLIVIA,
        ip: berlin_nat(),
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
        sub: String::new(),
        body: Some(r#"{"keyName":"key2"}"#.into()),
    });
    w.az_act.push(AzActEv {
        t: day(w, 15) + 14 * HOUR + 41 * MINUTE,
        acct: legacy,
        who: AZ_OLIVIA,
        ip: berlin_nat(),
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE",
        sub: String::new(),
        body: Some(
            r#"{"properties":{"minimumTlsVersion":"TLS1_2","allowBlobPublicAccess":true}}"#.into(),
        ),
    });
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn benign() -> World {
        build(&Options::default(), &Rng::new(1))
    }

    /// Principal name → count per clock hour of events whose API name passes `f`.
    fn per_hour(w: &World, f: impl Fn(&str) -> bool) -> BTreeMap<(String, i64), u32> {
        let mut m = BTreeMap::new();
        for e in &w.aws {
            if let (AwsWho::Id(i), true) = (e.who, f(e.name)) {
                *m.entry((w.aws_ids[i as usize].principal(), e.t / HOUR))
                    .or_default() += 1;
            }
        }
        m
    }

    #[test]
    fn fixed_thresholds_fire_on_benign_traffic() {
        let w = benign();
        let over = |m: BTreeMap<(String, i64), u32>, limit| -> BTreeSet<String> {
            m.into_iter()
                .filter(|(_, n)| *n > limit)
                .map(|((p, _), _)| p)
                .collect()
        };
        let bulk = over(per_hour(&w, |n| n == "GetObject"), 100);
        assert!(
            bulk.iter().any(|p| p.ends_with("role/etl-nightly"))
                && bulk.iter().any(|p| p.ends_with("role/analyst")),
            ">100 GetObject/h: {bulk:?}"
        );
        let lists = over(per_hour(&w, |n| n.starts_with("List")), 20);
        assert!(
            lists.iter().any(|p| p.ends_with("role/github-deploy")),
            ">20 List*/h: {lists:?}"
        );
        // Outside 08:00–18:00 UTC: Tokyo staff, the night jobs.
        let mut after_hours = BTreeSet::new();
        for e in &w.aws {
            let h = (e.t.rem_euclid(DAY) / HOUR) as u32;
            if let (AwsWho::Id(i), false) = (e.who, (8..18).contains(&h)) {
                after_hours.insert(w.aws_ids[i as usize].name.clone());
            }
        }
        for who in ["erin", "frank", "etl-nightly", "backup-agent"] {
            assert!(after_hours.contains(who), "{who} works outside 08–18 UTC");
        }
        // A new source IP after the first week, for people and for CI runners.
        let mut first: BTreeMap<(String, String), i64> = BTreeMap::new();
        for e in &w.aws {
            if let (AwsWho::Id(i), Addr::Ip(ip)) = (e.who, e.src) {
                let k = (w.aws_ids[i as usize].name.clone(), ip.to_string());
                let t = first.entry(k).or_insert(e.t);
                *t = (*t).min(e.t);
            }
        }
        let late: BTreeSet<&str> = first
            .iter()
            .filter(|(_, t)| **t > w.start + 7 * DAY)
            .map(|((who, _), _)| who.as_str())
            .collect();
        assert!(
            late.contains("gina") && late.contains("github-deploy"),
            "{late:?}"
        );
        // IPv6 callers and a shared NAT address.
        assert!(w
            .aws
            .iter()
            .any(|e| matches!(e.src, Addr::Ip(IpAddr::V6(_)))));
        let nat: BTreeSet<u16> = w
            .aws
            .iter()
            .filter(|e| e.src == Addr::Ip(ny_nat()))
            .filter_map(|e| match e.who {
                AwsWho::Id(i) => Some(i),
                AwsWho::Anonymous => None,
            })
            .collect();
        assert!(nat.len() >= 4, "the New York NAT is shared");
    }

    #[test]
    fn weekends_are_quiet_and_new_principals_start_late() {
        let w = benign();
        let alice = w.aws_id("alice");
        let days: Vec<u32> = w
            .aws
            .iter()
            .filter(|e| e.who == AwsWho::Id(alice))
            .map(|e| ((e.t - w.start - 5 * HOUR) / DAY) as u32)
            .collect();
        let weekend = days.iter().filter(|d| weekday(**d) >= 5).count();
        assert!(weekend * 20 < days.len(), "{weekend} of {}", days.len());
        let kate = w.aws_id("kate");
        let first = w
            .aws
            .iter()
            .filter(|e| e.who == AwsWho::Id(kate))
            .map(|e| e.t)
            .min()
            .unwrap();
        assert!(first >= w.end() - 7 * DAY);
    }

    #[test]
    fn scale_multiplies_benign_volume() {
        let small = build(
            &Options {
                scale: 0.5,
                ..Options::default()
            },
            &Rng::new(1),
        );
        let full = benign();
        let (a, b) = (small.aws.len() as f64, full.aws.len() as f64);
        assert!(a > 0.4 * b && a < 0.6 * b, "{a} vs {b}");
        let total = full.aws.len() + full.gcs.len() + full.az.len() + full.az_act.len();
        assert!(
            (150_000..=300_000).contains(&total),
            "{total} events at scale 1"
        );
    }
}
