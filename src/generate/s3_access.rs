//! Amazon S3 server access logs: 26-field lines (the 2023 layout) in log objects named
//! `<prefix>YYYY-MM-DD-HH-MM-SS-<16 hex>`, one object per source bucket and hour here (S3
//! delivers best-effort batches; several objects per hour are just as real).

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::Result;

use crate::generate::aws_cloudtrail::{amz_id2, event_source};
use crate::generate::rng::Rng;
use crate::generate::text::{clf, tm, HOUR};
use crate::generate::{Addr, AwsEv, AwsKind, AwsWho, Sink, World};

pub const FORMAT: &str = "s3_access";

/// The REST operation S3 logs for an API name.
pub fn operation(name: &str) -> &'static str {
    match name {
        "GetObject" => "REST.GET.OBJECT",
        "PutObject" => "REST.PUT.OBJECT",
        "HeadObject" => "REST.HEAD.OBJECT",
        "ListObjects" => "REST.GET.BUCKET",
        "DeleteObject" => "REST.DELETE.OBJECT",
        "DeleteObjects" => "REST.POST.MULTI_OBJECT_DELETE",
        "CopyObject" => "REST.COPY.OBJECT",
        "GetBucketAcl" => "REST.GET.ACL",
        "GetBucketPolicy" => "REST.GET.BUCKETPOLICY",
        "PutBucketPolicy" => "REST.PUT.BUCKETPOLICY",
        "GetBucketLogging" => "REST.GET.LOGGING_STATUS",
        "PutBucketLogging" => "REST.PUT.LOGGING_STATUS",
        "GetBucketVersioning" => "REST.GET.VERSIONING",
        "PutBucketVersioning" => "REST.PUT.VERSIONING",
        "GetBucketLocation" => "REST.GET.LOCATION",
        "PutBucketLifecycleConfiguration" => "REST.PUT.LIFECYCLE",
        "PutBucketReplication" => "REST.PUT.REPLICATION",
        "DeleteBucketEncryption" => "REST.DELETE.ENCRYPTION",
        "PutPublicAccessBlock" => "REST.PUT.PUBLIC_ACCESS_BLOCK",
        "DeletePublicAccessBlock" => "REST.DELETE.PUBLIC_ACCESS_BLOCK",
        _ => "REST.GET.UNKNOWN",
    }
}

fn http(name: &str, err: Option<&str>) -> (u16, &'static str) {
    match err {
        Some("AccessDenied") => (403, "AccessDenied"),
        Some("NoSuchKey") => (404, "NoSuchKey"),
        Some("NoSuchBucketPolicy") => (404, "NoSuchBucketPolicy"),
        Some(_) => (400, "InvalidRequest"),
        None => match name {
            "DeleteObject" | "DeleteBucketEncryption" | "DeletePublicAccessBlock" => (204, "-"),
            _ => (200, "-"),
        },
    }
}

/// A 64-hex canonical user id per account (stable, so one owner is one id).
fn canonical(account: &str) -> String {
    let mut r = Rng::new(
        account
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(131) ^ u64::from(b)),
    );
    r.hex(64, false)
}

fn requester(w: &World, e: &AwsEv) -> String {
    match e.who {
        AwsWho::Anonymous => "-".to_string(),
        AwsWho::Id(i) => {
            let id = &w.aws_ids[i as usize];
            match id.kind {
                AwsKind::Service => "svc:".to_string() + &id.name,
                _ => id.arn(),
            }
        }
    }
}

/// Percent-encodes a key the way S3 writes it in the Request-URI.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn line(out: &mut String, w: &World, e: &AwsEv, rng: &mut Rng) {
    let b = &w.buckets[e.bucket.unwrap_or(0) as usize];
    let ip = match e.src {
        Addr::Ip(ip) => ip.to_string(),
        // Lambda functions outside a VPC reach S3 from AWS's public ranges.
        Addr::Host(_) => "3.91.171.12".to_string(),
    };
    let op = operation(e.name);
    let (status, code) = http(e.name, e.err);
    let verb = op.split('.').nth(1).unwrap_or("GET");
    let sub = match op {
        "REST.GET.BUCKET" => "?list-type=2&prefix=&encoding-type=url".to_string(),
        "REST.POST.MULTI_OBJECT_DELETE" => "?delete".to_string(),
        o if !o.ends_with(".OBJECT") => {
            let s = o.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            format!(
                "?{}",
                s.replace("_status", "").replace("bucketpolicy", "policy")
            )
        }
        _ => String::new(),
    };
    let uri = format!("{verb} /{}{sub} HTTP/1.1", uri_encode(&e.key));
    let bytes_sent = if e.err.is_some() {
        "243".to_string()
    } else if e.bytes_out > 0 {
        e.bytes_out.to_string()
    } else if op == "REST.GET.BUCKET" {
        rng.range(600, 40_000).to_string()
    } else {
        "-".to_string()
    };
    let size = match (e.err, e.name) {
        (None, "GetObject" | "HeadObject") => (e.bytes_out.max(1)).to_string(),
        (None, "PutObject") => e.bytes_in.to_string(),
        _ => "-".to_string(),
    };
    let total = 5 + (e.bytes_out + e.bytes_in) / 2_000_000 + rng.below(40);
    let anonymous = e.who == AwsWho::Anonymous;
    let _ = writeln!(
        out,
        "{owner} {bucket} {time} {ip} {req} {rid} {op} {key} \"{uri}\" {status} {code} {sent} {size} {total} {turn} \"-\" \"{ua}\" - {hid} {sig} TLS_AES_128_GCM_SHA256 {auth} {bucket}.s3.{region}.amazonaws.com TLSv1.3 - -",
        owner = canonical(b.account),
        bucket = b.name,
        time = clf(e.t),
        req = requester(w, e),
        rid = e.s3_request_id(),
        key = if e.key.is_empty() { "-".to_string() } else { uri_encode(&e.key) },
        sent = bytes_sent,
        turn = total.saturating_sub(2 + rng.below(3)),
        ua = e.ua,
        hid = amz_id2(rng),
        sig = if anonymous { "-" } else { "SigV4" },
        auth = if anonymous { "-" } else { "AuthHeader" },
        region = b.region,
    );
}

pub fn write(w: &World, root: &Rng, sink: &mut Sink) -> Result<()> {
    let mut files: BTreeMap<(u16, i64), Vec<usize>> = BTreeMap::new();
    for (i, e) in w.aws.iter().enumerate() {
        let Some(b) = e.bucket else { continue };
        if e.t < w.start
            || e.t >= w.end()
            || e.t >= w.buckets[b as usize].access_log_until
            || event_source(e.name) != "s3.amazonaws.com"
        {
            continue;
        }
        files.entry((b, e.t.div_euclid(HOUR))).or_default().push(i);
    }
    let mut rng = root.fork("s3-access-writer");
    let mut text = String::new();
    for ((b, hour), mut idx) in files {
        idx.sort_by_key(|&i| (w.aws[i].t, i));
        text.clear();
        for &i in &idx {
            line(&mut text, w, &w.aws[i], &mut rng);
        }
        // Delivered within the following hour.
        let m = tm((hour + 1) * HOUR + rng.below(HOUR as u64 / 2) as i64);
        let rel = format!(
            "s3-access-logs/{}/{:04}-{:02}-{:02}-{:02}-{:02}-{:02}-{}",
            w.buckets[b as usize].name,
            m.year,
            m.month,
            m.day,
            m.hour,
            m.min,
            m.sec,
            rng.hex(16, true)
        );
        sink.write(&rel, text.as_bytes(), FORMAT, idx.len() as u64)?;
    }
    Ok(())
}
