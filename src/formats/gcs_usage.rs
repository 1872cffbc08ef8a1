//! Google Cloud Storage usage logs (`gcs_usage`): CSV with a header row, every value quoted.
//!
//! ```text
//! "time_micros","c_ip","c_ip_type","c_ip_region","cs_method","cs_uri","sc_status","cs_bytes","sc_bytes",
//!   "time_taken_micros","cs_host","cs_referer","cs_user_agent","s_request_id","cs_operation","cs_bucket","cs_object"
//! "1693206014339368","172.71.142.38","1","","GET","/v1/kanji/%E9%9B%86","200","0","277",…,"GET_Object","kanjiapi.dev","v1/kanji/集"
//! ```
//! Columns are read by header name, so newer trailing columns do not matter. Usage logs name no
//! identity: the client address stands in as the principal (`ip:<address>`, type unknown), so
//! per-requester baselines still work for the public buckets these logs usually describe.

// Attacker-written lines: no indexing that can panic (tests excepted).
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

#[cfg(test)]
use crate::action;
use crate::event::{AccessEvent, ActionClass, AuthMethod, Batch, Format, PrincipalType, Span};
use crate::formats::{http_error, parse_ip, RecordCtx};
use crate::skip::{Skip, SkipReason};
use crate::time::NANOS_PER_SEC;

const MAX_FIELDS: usize = 64;

/// Column positions, from the header row (v1 order until one is seen).
#[derive(Clone, Debug)]
pub struct Header {
    time: usize,
    ip: usize,
    method: usize,
    uri: usize,
    status: usize,
    bytes_in: usize,
    bytes_out: usize,
    host: usize,
    agent: usize,
    request_id: usize,
    operation: usize,
    bucket: usize,
    object: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            time: 0,
            ip: 1,
            method: 4,
            uri: 5,
            status: 6,
            bytes_in: 7,
            bytes_out: 8,
            host: 10,
            agent: 12,
            request_id: 13,
            operation: 14,
            bucket: 15,
            object: 16,
        }
    }
}

/// Splits a CSV line into field ranges (contents without quotes). Returns the number of
/// fields, or `None` for an unterminated quote. `escaped[i]` is set when field i holds `""`.
fn split_csv(
    src: &[u8],
    start: usize,
    end: usize,
    out: &mut [(usize, usize); MAX_FIELDS],
    escaped: &mut [bool; MAX_FIELDS],
) -> Option<usize> {
    let mut n = 0;
    let mut i = start;
    loop {
        if n == MAX_FIELDS {
            return Some(n);
        }
        if i < end && src.get(i) == Some(&b'"') {
            let fs = i + 1;
            let mut j = fs;
            let mut esc = false;
            loop {
                let p = memchr::memchr(b'"', src.get(j..end)?)?;
                j += p;
                if src.get(j + 1) == Some(&b'"') && j + 1 < end {
                    esc = true;
                    j += 2;
                    continue;
                }
                break;
            }
            *out.get_mut(n)? = (fs, j);
            *escaped.get_mut(n)? = esc;
            n += 1;
            i = j + 1;
            if i >= end {
                return Some(n);
            }
            if src.get(i) != Some(&b',') {
                return None;
            }
            i += 1;
        } else {
            let fe = memchr::memchr(b',', src.get(i..end)?).map_or(end, |p| i + p);
            *out.get_mut(n)? = (i, fe);
            *escaped.get_mut(n)? = false;
            n += 1;
            if fe >= end {
                return Some(n);
            }
            i = fe + 1;
        }
    }
}

fn field_span(b: &mut Batch, src: &[u8], r: (usize, usize), esc: bool) -> Span {
    if !esc {
        return b.span_of(src, false, r.0, r.1);
    }
    let at = b.arena_start();
    let v = src.get(r.0..r.1).unwrap_or_default();
    // `""` is an escaped quote: copy the runs between them whole.
    let mut i = 0;
    while i < v.len() {
        let run = memchr::memmem::find(v.get(i..).unwrap_or_default(), b"\"\"")
            .map_or(v.len(), |p| i + p);
        b.arena_push_bytes(v.get(i..run).unwrap_or_default());
        if run < v.len() {
            b.arena_push_bytes(b"\"");
        }
        i = run + 2;
    }
    b.arena_finish(at)
}

fn num(src: &[u8], r: (usize, usize)) -> Option<u64> {
    let v = src.get(r.0..r.1).unwrap_or_default();
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses one CSV line (or the header row, which sets the column positions).
pub fn parse_line(
    header: &mut Header,
    src: &[u8],
    start: usize,
    end: usize,
    ctx: &mut RecordCtx,
) -> Result<(), Skip> {
    let mut f = [(0usize, 0usize); MAX_FIELDS];
    let mut esc = [false; MAX_FIELDS];
    let n = split_csv(src, start, end, &mut f, &mut esc)
        .ok_or_else(|| Skip::new(SkipReason::MalformedLine, "unterminated quoted CSV field"))?;
    let field = |i: usize| f.get(i).copied().unwrap_or((0, 0));
    let name = |i: usize| {
        let (a, b) = field(i);
        src.get(a..b).unwrap_or_default()
    };
    if n > 0 && name(0) == b"time_micros" {
        let pos = |col: &[u8], dflt: usize| (0..n).find(|&i| name(i) == col).unwrap_or(dflt);
        let d = Header::default();
        *header = Header {
            time: pos(b"time_micros", d.time),
            ip: pos(b"c_ip", d.ip),
            method: pos(b"cs_method", d.method),
            uri: pos(b"cs_uri", d.uri),
            status: pos(b"sc_status", d.status),
            bytes_in: pos(b"cs_bytes", d.bytes_in),
            bytes_out: pos(b"sc_bytes", d.bytes_out),
            host: pos(b"cs_host", d.host),
            agent: pos(b"cs_user_agent", d.agent),
            request_id: pos(b"s_request_id", d.request_id),
            operation: pos(b"cs_operation", d.operation),
            bucket: pos(b"cs_bucket", d.bucket),
            object: pos(b"cs_object", d.object),
        };
        return Ok(());
    }
    let h = header.clone();
    let need = [h.time, h.ip, h.status, h.operation, h.bucket]
        .into_iter()
        .max()
        .unwrap_or(0);
    if n <= need {
        return Err(Skip::new(
            SkipReason::MalformedLine,
            format!("{n} CSV fields; a usage-log row has at least {}", need + 1),
        ));
    }
    let time = num(src, field(h.time))
        // Within the years events may carry (crate::time::YEARS): the product cannot overflow.
        .filter(|&t| t < (crate::time::LATEST / 1000) as u64)
        .map(|micros| (micros as i64) * (NANOS_PER_SEC / 1_000_000))
        .ok_or_else(Skip::time)?;
    let status = num(src, field(h.status)).unwrap_or(0).min(999) as u16;
    let op = std::str::from_utf8(name(h.operation)).unwrap_or("");
    let class = usage_class(op);
    let b = &mut *ctx.batch;
    let get = |b: &mut Batch, i: usize| {
        if i < n {
            field_span(b, src, field(i), esc.get(i).copied().unwrap_or(false))
        } else {
            Span::EMPTY
        }
    };
    let mut ev = AccessEvent {
        time,
        format_index: Format::GcsUsage.index() as u8,
        action_class: class,
        http_status: status,
        error: http_error(status),
        bytes_in: (h.bytes_in < n)
            .then(|| num(src, field(h.bytes_in)))
            .flatten(),
        bytes_out: (h.bytes_out < n)
            .then(|| num(src, field(h.bytes_out)))
            .flatten(),
        principal_type: PrincipalType::Unknown,
        auth: AuthMethod::Unknown,
        ..Default::default()
    };
    ev.action = get(b, h.operation);
    ev.event_source = b.push_arena("storage.googleapis.com");
    ev.bucket = get(b, h.bucket);
    ev.object = get(b, h.object);
    ev.user_agent = get(b, h.agent);
    ev.request_id = get(b, h.request_id);
    ev.request = get(b, h.uri);
    let _ = (h.method, h.host);
    if ev.error {
        ev.status = get(b, h.status);
    }
    let ip_raw = name(h.ip);
    ev.source_ip = parse_ip(ip_raw);
    let at = b.arena_start();
    b.arena_push_bytes(b"ip:");
    b.arena_push_bytes(if ip_raw.is_empty() {
        b"unknown"
    } else {
        ip_raw
    });
    ev.principal = b.arena_finish(at);
    ctx.push(ev);
    Ok(())
}

/// Classifies a usage-log operation (`GET_Object`, `LIST_Objects`, `DELETE_Bucket`…) the way
/// [`action::gcs`] classifies the JSON API method it names, without building that name.
fn usage_class(op: &str) -> ActionClass {
    let (verb, noun) = op.split_once('_').unwrap_or((op, "Object"));
    let bucket = noun.eq_ignore_ascii_case("bucket") || noun.eq_ignore_ascii_case("buckets");
    let is = |v: &str| verb.eq_ignore_ascii_case(v);
    if is("LIST") {
        ActionClass::List
    } else if is("DELETE") {
        ActionClass::Delete
    } else if is("GET") || is("HEAD") {
        if bucket {
            ActionClass::Other
        } else {
            ActionClass::Read
        }
    } else if [
        "PUT", "POST", "INSERT", "UPLOAD", "COPY", "COMPOSE", "REWRITE", "PATCH", "UPDATE",
    ]
    .iter()
    .any(|v| is(v))
    {
        if bucket {
            ActionClass::Config
        } else {
            ActionClass::Write
        }
    } else {
        ActionClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let line = br#""a","b ""q"" c","",d,"e,f""#;
        let mut f = [(0, 0); MAX_FIELDS];
        let mut e = [false; MAX_FIELDS];
        let n = split_csv(line, 0, line.len(), &mut f, &mut e).unwrap();
        assert_eq!(n, 5);
        assert_eq!(&line[f[1].0..f[1].1], br#"b ""q"" c"#);
        assert!(e[1]);
        assert_eq!(&line[f[4].0..f[4].1], b"e,f");
        assert!(split_csv(br#""open"#, 0, 5, &mut f, &mut e).is_none());
    }

    #[test]
    fn operation_classes_agree_with_json_api_methods() {
        for (op, method) in [
            ("GET_Object", "storage.objects.get"),
            ("LIST_Objects", "storage.objects.list"),
            ("DELETE_Object", "storage.objects.delete"),
            ("PUT_Object", "storage.objects.create"),
            ("PATCH_Bucket", "storage.buckets.update"),
        ] {
            assert_eq!(usage_class(op), action::gcs(method), "{op}");
        }
    }
}
