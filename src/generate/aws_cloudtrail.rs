//! CloudTrail log files as a trail delivers them to S3: gzip'ed compact `{"Records":[…]}`, one
//! file per account, region and ~5-minute delivery window, under
//! `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 alnum>.json.gz`.
//!
//! Management events are always written; S3 data events only for buckets whose trail event
//! selectors include them ([`crate::generate::Bucket::ct_data`]).

use std::collections::BTreeMap;

use anyhow::Result;

use crate::generate::rng::Rng;
use crate::generate::text::{iso, tm, Obj, MINUTE};
use crate::generate::{Addr, AwsEv, AwsKind, AwsWho, Sink, World};

pub const FORMAT: &str = "aws_cloudtrail";

/// S3 object-level API names: CloudTrail data events.
pub fn is_data_event(name: &str) -> bool {
    matches!(
        name,
        "GetObject"
            | "PutObject"
            | "HeadObject"
            | "ListObjects"
            | "DeleteObject"
            | "DeleteObjects"
            | "CopyObject"
            | "UploadPart"
    )
}

/// The service that answers `name`.
pub fn event_source(name: &str) -> &'static str {
    match name {
        "AssumeRole" | "GetCallerIdentity" => "sts.amazonaws.com",
        "ConsoleLogin" => "signin.amazonaws.com",
        "Decrypt" => "kms.amazonaws.com",
        "StopLogging" | "StartLogging" | "DescribeTrails" | "GetTrailStatus" | "DeleteTrail" => {
            "cloudtrail.amazonaws.com"
        }
        _ => "s3.amazonaws.com",
    }
}

fn read_only(name: &str) -> bool {
    ["Get", "Head", "List", "Describe", "Decrypt", "AssumeRole"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The query sub-resource S3 names a bucket-settings call by (`?acl`, `?policy`…).
fn subresource(name: &str) -> &'static str {
    match name {
        "GetBucketAcl" | "PutBucketAcl" => "acl",
        "GetBucketPolicy" | "PutBucketPolicy" | "DeleteBucketPolicy" => "policy",
        "GetBucketLogging" | "PutBucketLogging" => "logging",
        "GetBucketVersioning" | "PutBucketVersioning" => "versioning",
        "GetBucketLocation" => "location",
        "PutBucketLifecycleConfiguration" => "lifecycle",
        "PutBucketReplication" => "replication",
        "DeleteBucketEncryption" => "encryption",
        "PutPublicAccessBlock" | "DeletePublicAccessBlock" => "publicAccessBlock",
        "DeleteObjects" => "delete",
        _ => "",
    }
}

pub fn error_message(code: &str) -> &'static str {
    match code {
        "AccessDenied" => "Access Denied",
        "NoSuchKey" => "The specified key does not exist.",
        "NoSuchBucketPolicy" => "The bucket policy does not exist",
        _ => "",
    }
}

/// A canonical-looking `x-amz-id-2`.
pub fn amz_id2(rng: &mut Rng) -> String {
    let mut s = rng.from_alphabet(
        72,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    s.push_str("4=");
    s
}

fn version(e: &AwsEv) -> &'static str {
    match event_source(e.name) {
        "s3.amazonaws.com" if is_data_event(e.name) => "1.10",
        "s3.amazonaws.com" => "1.09",
        "cloudtrail.amazonaws.com" => "1.11",
        _ => "1.08",
    }
}

fn identity(o: &mut Obj, w: &World, e: &AwsEv) {
    let AwsWho::Id(i) = e.who else {
        o.str("type", "AWSAccount")
            .str("principalId", "")
            .str("accountId", "ANONYMOUS_PRINCIPAL");
        return;
    };
    let id = &w.aws_ids[i as usize];
    let created = iso(e.t - e.t.rem_euclid(3600 * 1_000_000_000), 0);
    match id.kind {
        AwsKind::User => {
            o.str("type", "IAMUser")
                .str("principalId", &id.unique_id)
                .str("arn", &id.arn())
                .str("accountId", id.account)
                .str("accessKeyId", &id.key_id)
                .str("userName", &id.name);
            if e.ua.starts_with('[') || e.name == "ConsoleLogin" {
                o.obj("sessionContext", |s| {
                    s.obj("attributes", |a| {
                        a.str("creationDate", &created)
                            .str("mfaAuthenticated", "true");
                    });
                });
            }
        }
        AwsKind::Role => {
            o.str("type", "AssumedRole")
                .str("principalId", &format!("{}:{}", id.unique_id, id.session))
                .str("arn", &id.arn())
                .str("accountId", id.account)
                .str("accessKeyId", &id.key_id)
                .obj("sessionContext", |s| {
                    s.obj("sessionIssuer", |i| {
                        i.str("type", "Role")
                            .str("principalId", &id.unique_id)
                            .str("arn", &id.role_arn())
                            .str("accountId", id.account)
                            .str("userName", &id.name);
                    })
                    .obj("attributes", |a| {
                        a.str("creationDate", &created)
                            .str("mfaAuthenticated", "false");
                    });
                });
        }
        AwsKind::Root => {
            o.str("type", "Root")
                .str("principalId", id.account)
                .str("arn", &id.arn())
                .str("accountId", id.account)
                .str("accessKeyId", "");
        }
        AwsKind::Service => {
            o.str("type", "AWSService").str("invokedBy", &id.name);
        }
    }
}

fn host(e: &AwsEv, w: &World) -> String {
    match e.bucket {
        Some(b) => format!(
            "{}.s3.{}.amazonaws.com",
            w.buckets[b as usize].name, e.region
        ),
        None => "s3.amazonaws.com".to_string(),
    }
}

/// One record, compact, keys in CloudTrail's order.
pub fn record(out: &mut String, w: &World, e: &AwsEv, rng: &mut Rng) {
    let source = event_source(e.name);
    let data = is_data_event(e.name);
    let bucket = e.bucket.map(|b| &w.buckets[b as usize]);
    let mut o = Obj::new(out);
    o.str("eventVersion", version(e))
        .obj("userIdentity", |u| identity(u, w, e))
        .str("eventTime", &iso(e.t, 0))
        .str("eventSource", source)
        .str("eventName", e.name)
        .str("awsRegion", e.region);
    match e.src {
        Addr::Ip(ip) => o.str("sourceIPAddress", &ip.to_string()),
        Addr::Host(h) => o.str("sourceIPAddress", h),
    };
    o.str("userAgent", e.ua);
    if let Some(code) = e.err {
        o.str("errorCode", code)
            .str("errorMessage", error_message(code));
    }
    if let Some(req) = &e.req {
        o.raw("requestParameters", req);
    } else if source == "s3.amazonaws.com" {
        o.obj("requestParameters", |p| match bucket {
            Some(b) => {
                if e.name == "ListObjects" {
                    p.str("list-type", "2");
                }
                p.str("bucketName", b.name).str("Host", &host(e, w));
                if e.name == "ListObjects" {
                    p.str("encoding-type", "url").str("prefix", "");
                } else if !e.key.is_empty() {
                    p.str("key", &e.key);
                    if e.name == "CopyObject" {
                        p.str(
                            "x-amz-copy-source",
                            &format!("{}/archive/{}", b.name, e.key),
                        );
                    }
                } else if !subresource(e.name).is_empty() {
                    p.str(subresource(e.name), "");
                }
            }
            None => {
                p.str("Host", "s3.amazonaws.com");
            }
        });
    } else {
        o.null("requestParameters");
    }
    match &e.resp {
        Some(r) => o.raw("responseElements", r),
        None => o.null("responseElements"),
    };
    if source == "s3.amazonaws.com" {
        let anonymous = e.who == AwsWho::Anonymous;
        o.obj("additionalEventData", |a| {
            if !anonymous {
                a.str("SignatureVersion", "SigV4");
            }
            a.str("CipherSuite", "TLS_AES_128_GCM_SHA256")
                .num("bytesTransferredIn", e.bytes_in);
            if !anonymous {
                a.str("AuthenticationMethod", "AuthHeader");
            }
            a.str("x-amz-id-2", &amz_id2(rng))
                .num("bytesTransferredOut", e.bytes_out);
        });
    } else if e.name == "ConsoleLogin" {
        o.obj("additionalEventData", |a| {
            a.str(
                "LoginTo",
                "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            )
            .str("MobileVersion", "No")
            .str("MFAUsed", "Yes");
        });
    }
    let request_id = if source == "s3.amazonaws.com" {
        e.s3_request_id()
    } else {
        rng.uuid()
    };
    o.str("requestID", &request_id)
        .str("eventID", &rng.uuid())
        .bool("readOnly", read_only(e.name));
    if let Some(b) = bucket {
        o.arr("resources", |r| {
            if data && !e.key.is_empty() {
                r.obj(|x| {
                    x.str("type", "AWS::S3::Object")
                        .str("ARN", &format!("arn:aws:s3:::{}/{}", b.name, e.key));
                });
            }
            r.obj(|x| {
                x.str("accountId", b.account)
                    .str("type", "AWS::S3::Bucket")
                    .str("ARN", &format!("arn:aws:s3:::{}", b.name));
            });
        });
    } else if e.name == "StopLogging" || e.name == "GetTrailStatus" {
        o.arr("resources", |r| {
            r.obj(|x| {
                x.str("accountId", e.account)
                    .str("type", "AWS::CloudTrail::Trail")
                    .str(
                        "ARN",
                        &format!(
                            "arn:aws:cloudtrail:us-east-1:{}:trail/acme-compliance-archive",
                            e.account
                        ),
                    );
            });
        });
    }
    o.str(
        "eventType",
        if e.name == "ConsoleLogin" {
            "AwsConsoleSignIn"
        } else {
            "AwsApiCall"
        },
    )
    .bool("managementEvent", !data)
    .str("recipientAccountId", e.account);
    if matches!(e.src, Addr::Ip(std::net::IpAddr::V4(v)) if v.octets()[0] == 10)
        && source == "s3.amazonaws.com"
    {
        // Calls from inside the VPC reach S3 through a gateway endpoint.
        o.str("vpcEndpointId", "vpce-0e5f6a7b8c9d01234")
            .str("vpcEndpointAccountId", e.account);
    }
    o.str("eventCategory", if data { "Data" } else { "Management" });
    if !matches!(e.src, Addr::Host(_)) && e.name != "ConsoleLogin" {
        let h = if source == "s3.amazonaws.com" {
            host(e, w)
        } else {
            source.replace(".amazonaws.com", &format!(".{}.amazonaws.com", e.region))
        };
        o.obj("tlsDetails", |t| {
            t.str("tlsVersion", "TLSv1.3")
                .str("cipherSuite", "TLS_AES_128_GCM_SHA256")
                .str("clientProvidedHostHeader", &h);
        });
    }
    o.end();
}

/// Does the trail record `e`?
pub fn recorded(w: &World, e: &AwsEv) -> bool {
    !is_data_event(e.name) || e.bucket.is_some_and(|b| w.buckets[b as usize].ct_data)
}

pub fn write(w: &World, root: &Rng, sink: &mut Sink) -> Result<()> {
    let window = 5 * MINUTE;
    let mut files: BTreeMap<(&str, &str, i64), Vec<usize>> = BTreeMap::new();
    for (i, e) in w.aws.iter().enumerate() {
        if e.t < w.start || e.t >= w.end() || !recorded(w, e) {
            continue;
        }
        files
            .entry((e.account, e.region, e.t.div_euclid(window)))
            .or_default()
            .push(i);
    }
    let mut rng = root.fork("cloudtrail-writer");
    let mut json = String::new();
    for ((account, region, win), mut idx) in files {
        idx.sort_by_key(|&i| (w.aws[i].t, i));
        json.clear();
        json.push_str("{\"Records\":[");
        for (n, &i) in idx.iter().enumerate() {
            if n > 0 {
                json.push(',');
            }
            record(&mut json, w, &w.aws[i], &mut rng);
        }
        json.push_str("]}");
        let delivered = (win + 1) * window;
        let m = tm(delivered);
        let rel = format!(
            "AWSLogs/{account}/CloudTrail/{region}/{:04}/{:02}/{:02}/{account}_CloudTrail_{region}_{:04}{:02}{:02}T{:02}{:02}Z_{}.json.gz",
            m.year,
            m.month,
            m.day,
            m.year,
            m.month,
            m.day,
            m.hour,
            m.min,
            rng.alnum(16)
        );
        sink.write(&rel, &Sink::gzip(json.as_bytes()), FORMAT, idx.len() as u64)?;
    }
    Ok(())
}
