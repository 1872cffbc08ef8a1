//! Azure Storage Analytics logging, the classic `$logs` container (`azure_storage_analytics`),
//! versions 1.0 (30 fields) and 2.0 (38 fields: eight OAuth fields appended).
//!
//! ```text
//! 2.0;2020-04-07T14:06:54.8894735Z;GetBlob;SASSuccess;206;7;7;sas;;aenhowestorageaccount;blob;
//!   "https://…/main.tf?se=…&amp;sig=XXXXX&amp;sp=racwdl";"/aenhowestorageaccount/previz/src/main.tf";
//!   2a16ee81-…;0;24.155.118.199:61943;2018-03-28;532;0;478;2017;0;;;"&quot;0x8D7DAFB6E490984&quot;";
//!   Tuesday, 07-Apr-20 13:56:11 GMT;"If-Unmodified-Since=…";"AzCopy/10.3.4 Azure-Storage/0.7 (go1.13; Windows_NT)";;"4317add7-…";;;;;;;;
//! ```
//! Fields are separated by `;`; fields that may contain `;` or `"` are quoted and HTML-encoded,
//! so a quoted field ends at `";` (or the line end), never at a `;` inside it.
//!
//! These logs carry no token hash. A SAS request is attributed to `<account>:sas(<h>)`, where
//! `<h>` is a SHA-256 prefix of the URL's `sig` parameter: each SAS stays its own principal and
//! the secret signature itself never reaches a report.

// Attacker-written lines: no indexing that can panic (tests excepted).
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use sha2::{Digest, Sha256};

use crate::action;
use crate::event::{AccessEvent, AuthMethod, Batch, Format, PrincipalType, Span};
use crate::formats::{http_error, parse_ip, RecordCtx};
use crate::skip::{Skip, SkipReason};
use crate::time::parse_rfc3339;

const V1_FIELDS: usize = 30;
const MAX_FIELDS: usize = 48;

/// Field indexes (same in both versions; 2.0 appends from 30 on).
mod f {
    pub const TIME: usize = 1;
    pub const OPERATION: usize = 2;
    pub const REQUEST_STATUS: usize = 3;
    pub const HTTP_STATUS: usize = 4;
    pub const AUTH_TYPE: usize = 7;
    pub const REQUESTER_ACCOUNT: usize = 8;
    pub const OWNER_ACCOUNT: usize = 9;
    pub const SERVICE: usize = 10;
    pub const URL: usize = 11;
    pub const OBJECT_KEY: usize = 12;
    pub const REQUEST_ID: usize = 13;
    pub const IP: usize = 15;
    pub const REQUEST_PACKET: usize = 18;
    pub const RESPONSE_PACKET: usize = 20;
    pub const USER_AGENT: usize = 27;
    pub const USER_OBJECT_ID: usize = 30;
    pub const APPLICATION_ID: usize = 32;
    pub const UPN: usize = 35;
}

/// Splits on `;`, honouring quoted fields. Ranges are field contents without quotes; `quoted`
/// marks fields that were quoted (and may be HTML-encoded).
fn split(
    src: &[u8],
    start: usize,
    end: usize,
    out: &mut [(usize, usize); MAX_FIELDS],
    quoted: &mut [bool; MAX_FIELDS],
) -> usize {
    let mut n = 0;
    let mut i = start;
    while n < MAX_FIELDS {
        if i < end && src.get(i) == Some(&b'"') {
            let from = i + 1;
            let close = memchr::memmem::find(src.get(from..end).unwrap_or_default(), b"\";")
                .map(|p| from + p)
                .unwrap_or_else(|| {
                    if end > from && src.get(end - 1) == Some(&b'"') {
                        end - 1
                    } else {
                        end
                    }
                });
            if let (Some(o), Some(q)) = (out.get_mut(n), quoted.get_mut(n)) {
                *o = (from, close);
                *q = true;
            }
            n += 1;
            i = close + 2;
        } else {
            let fe = memchr::memchr(b';', src.get(i.min(end)..end).unwrap_or_default())
                .map_or(end, |p| i + p);
            if let (Some(o), Some(q)) = (out.get_mut(n), quoted.get_mut(n)) {
                *o = (i.min(end), fe);
                *q = false;
            }
            n += 1;
            i = fe + 1;
        }
        if i > end {
            break;
        }
    }
    n
}

/// A field as a span, HTML-decoded when it was quoted and holds entities.
fn text(b: &mut Batch, src: &[u8], r: (usize, usize), quoted: bool) -> Span {
    let v = src.get(r.0..r.1).unwrap_or_default();
    if !quoted || !v.contains(&b'&') {
        return b.span_of(src, false, r.0, r.1);
    }
    let at = b.arena_start();
    let mut i = 0;
    while i < v.len() {
        // Copy the run up to the next `&` whole (never splitting a character), then decode.
        let run = memchr::memchr(b'&', v.get(i..).unwrap_or_default()).map_or(v.len(), |p| i + p);
        b.arena_push_bytes(v.get(i..run).unwrap_or_default());
        i = run;
        if i >= v.len() {
            break;
        }
        let rest = v.get(i..).unwrap_or_default();
        let ent: Option<(&[u8], &str)> = [
            (&b"&amp;"[..], "&"),
            (b"&quot;", "\""),
            (b"&lt;", "<"),
            (b"&gt;", ">"),
            (b"&#39;", "'"),
            (b"&apos;", "'"),
        ]
        .into_iter()
        .find(|(e, _)| rest.starts_with(e));
        match ent {
            Some((e, c)) => {
                b.arena_push_bytes(c.as_bytes());
                i += e.len();
            }
            None => {
                b.arena_push_bytes(b"&");
                i += 1;
            }
        }
    }
    b.arena_finish(at)
}

/// Parses one line.
pub fn parse_line(src: &[u8], start: usize, end: usize, ctx: &mut RecordCtx) -> Result<(), Skip> {
    let mut fr = [(0usize, 0usize); MAX_FIELDS];
    let mut q = [false; MAX_FIELDS];
    let n = split(src, start, end, &mut fr, &mut q);
    let field = |i: usize| -> &[u8] {
        if i < n {
            fr.get(i)
                .and_then(|r| src.get(r.0..r.1))
                .unwrap_or_default()
        } else {
            b""
        }
    };
    let version = field(0);
    if version != b"1.0" && version != b"2.0" {
        return Err(Skip::new(
            SkipReason::MalformedLine,
            "not a Storage Analytics log line (version field is not 1.0 or 2.0)",
        ));
    }
    if n < V1_FIELDS {
        return Err(Skip::new(
            SkipReason::MalformedLine,
            format!(
                "{n} fields; a version {} line has at least {V1_FIELDS}",
                String::from_utf8_lossy(version)
            ),
        ));
    }
    let time = parse_rfc3339(field(f::TIME)).ok_or_else(Skip::time)?;
    let op = std::str::from_utf8(field(f::OPERATION)).unwrap_or("");
    let status: u16 = std::str::from_utf8(field(f::HTTP_STATUS))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let num = |i: usize| -> Option<u64> { std::str::from_utf8(field(i)).ok()?.parse().ok() };
    let request_status = field(f::REQUEST_STATUS);
    let error =
        http_error(status) || !(request_status.ends_with(b"Success") || request_status.is_empty());
    let b = &mut *ctx.batch;
    let mut ev = AccessEvent {
        time,
        format_index: Format::AzureStorageAnalytics.index() as u8,
        action_class: action::azure_blob(op),
        http_status: status,
        error,
        bytes_in: num(f::REQUEST_PACKET),
        bytes_out: num(f::RESPONSE_PACKET),
        ..Default::default()
    };
    let get = |b: &mut Batch, i: usize| {
        if i < n {
            text(
                b,
                src,
                fr.get(i).copied().unwrap_or((0, 0)),
                q.get(i).copied().unwrap_or(false),
            )
        } else {
            Span::EMPTY
        }
    };
    ev.action = get(b, f::OPERATION);
    ev.event_source = get(b, f::SERVICE);
    ev.request_id = get(b, f::REQUEST_ID);
    ev.user_agent = get(b, f::USER_AGENT);
    ev.request = get(b, f::URL);
    ev.transport = crate::formats::url_transport(field(f::URL));
    if error {
        ev.status = get(b, f::REQUEST_STATUS);
    }
    let owner = field(f::OWNER_ACCOUNT);
    if !owner.is_empty() {
        ev.account = b.span_of(src, false, fr[f::OWNER_ACCOUNT].0, fr[f::OWNER_ACCOUNT].1);
    }
    // `/account/container/blob` (or a URL before service version 2012-02-12).
    let key_r = fr[f::OBJECT_KEY];
    let key = src.get(key_r.0..key_r.1).unwrap_or_default();
    let path_start = if key.starts_with(b"http") {
        memchr::memmem::find(key, b"://")
            .and_then(|p| {
                memchr::memchr(b'/', key.get(p + 3..).unwrap_or_default()).map(|q| p + 3 + q)
            })
            .map(|p| (p, false))
    } else {
        memchr::memchr(b'/', key.get(1.min(key.len())..).unwrap_or_default()).map(|p| (p + 1, true))
    };
    if let Some((p, _)) = path_start {
        let rest = key.get(p + 1..).unwrap_or_default();
        let cend = memchr::memchr(b'/', rest).unwrap_or(rest.len());
        let cs = key_r.0 + p + 1;
        ev.bucket = b.span_of(src, false, cs, cs + cend);
        if cend < rest.len() {
            ev.object = b.span_of(src, false, cs + cend + 1, key_r.1);
        }
    }
    let ip = field(f::IP);
    match parse_ip(ip) {
        Some(a) => ev.source_ip = Some(a),
        None if !ip.is_empty() => ev.source_host = b.span_of(src, false, fr[f::IP].0, fr[f::IP].1),
        None => {}
    }
    let auth = field(f::AUTH_TYPE);
    if auth.eq_ignore_ascii_case(b"anonymous") {
        ev.principal = b.push_arena("anonymous");
        ev.principal_type = PrincipalType::Anonymous;
        ev.auth = AuthMethod::Anonymous;
    } else if auth.eq_ignore_ascii_case(b"sas") {
        let url = field(f::URL);
        let sig = sas_signature(url);
        let at = b.arena_start();
        b.arena_push_bytes(owner);
        b.arena_push_bytes(b":sas(");
        match sig {
            Some(s) => {
                let digest = Sha256::digest(s);
                for byte in digest.iter().take(8) {
                    b.arena_push_bytes(&hex_byte(*byte));
                }
            }
            None => b.arena_push_bytes(b"unknown"),
        }
        b.arena_push_bytes(b")");
        ev.principal = b.arena_finish(at);
        ev.principal_type = PrincipalType::Token;
        ev.auth = AuthMethod::Sas;
    } else if auth.eq_ignore_ascii_case(b"bearer") || auth.eq_ignore_ascii_case(b"oauth") {
        ev.principal = get(b, f::USER_OBJECT_ID);
        ev.principal_detail = get(b, f::UPN);
        if ev.principal_detail.is_empty() {
            ev.principal_detail = get(b, f::APPLICATION_ID);
        }
        ev.principal_type = PrincipalType::User;
        ev.auth = AuthMethod::OAuth;
        if ev.principal.is_empty() {
            ev.principal = b.push_arena("azure-unknown-caller");
            ev.principal_type = PrincipalType::Unknown;
        }
    } else {
        // Shared key: the requester account's key.
        let requester = field(f::REQUESTER_ACCOUNT);
        let at = b.arena_start();
        b.arena_push_bytes(if requester.is_empty() {
            owner
        } else {
            requester
        });
        b.arena_push_bytes(b":key");
        ev.principal = b.arena_finish(at);
        ev.principal_type = PrincipalType::Token;
        ev.auth = AuthMethod::AccountKey;
    }
    ctx.push(ev);
    Ok(())
}

fn hex_byte(b: u8) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |v: u8| HEX.get(v as usize).copied().unwrap_or(b'0');
    [digit(b >> 4), digit(b & 15)]
}

/// The `sig` parameter of a SAS URL (HTML-encoded `&amp;` separators allowed).
fn sas_signature(url: &[u8]) -> Option<&[u8]> {
    let q = memchr::memchr(b'?', url)?;
    let query = url.get(q + 1..).unwrap_or_default();
    let mut i = 0;
    while i < query.len() {
        let rest = query.get(i..).unwrap_or_default();
        let end = memchr::memchr(b'&', rest).unwrap_or(rest.len());
        let param = rest.get(..end).unwrap_or_default();
        let param = param.strip_prefix(b"amp;").unwrap_or(param);
        if let Some(v) = param.strip_prefix(b"sig=") {
            return (!v.is_empty()).then_some(v);
        }
        i += end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_hold_semicolons() {
        let line = br#"2.0;t;GetBlob;"a;b";"&quot;x&quot;";"ua (go1.13; Windows_NT)";;last"#;
        let mut fr = [(0, 0); MAX_FIELDS];
        let mut q = [false; MAX_FIELDS];
        let n = split(line, 0, line.len(), &mut fr, &mut q);
        let f: Vec<&[u8]> = (0..n).map(|i| &line[fr[i].0..fr[i].1]).collect();
        assert_eq!(
            f,
            [
                &b"2.0"[..],
                b"t",
                b"GetBlob",
                b"a;b",
                b"&quot;x&quot;",
                b"ua (go1.13; Windows_NT)",
                b"",
                b"last"
            ]
        );
    }

    #[test]
    fn sas_sig() {
        assert_eq!(
            sas_signature(b"https://x/y?se=1&amp;sig=ABC%3D&amp;sp=r"),
            Some(&b"ABC%3D"[..])
        );
        assert_eq!(sas_signature(b"https://x/y?timeout=30"), None);
    }
}
