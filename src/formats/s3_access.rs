//! Amazon S3 server access logs (`s3_access`).
//!
//! ```text
//! 79a59df9… DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df9… 3E57427F3EXAMPLE
//!   REST.GET.VERSIONING - "GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1" 200 - 113 - 7 - "-"
//!   "S3Console/0.4" - s9lzHYrF…= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader
//!   DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com TLSV1.2 - -
//! ```
//! Fields by position: owner, bucket, [time], remote IP, requester, request id, operation, key,
//! "request-URI", status, error code, bytes sent, object size, total time, turn-around time,
//! "referer", "user-agent", then — depending on the log's age — version id, host id, signature
//! version, cipher suite, authentication type, host header, TLS version, access point ARN,
//! ACL required, source region (17 to 27 fields; missing trailing fields are fine).
//!
//! Quotes inside quoted fields are not escaped by S3 (web-shell probes put raw `"` into the
//! Request-URI and Referer), so the Request-URI is ended at its `HTTP/x.y"` and the
//! Referer/User-Agent pair is found by peeling the unquoted trailing fields off the end.

// Attacker-written lines: no indexing that can panic (tests and the test module excepted).
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use crate::action;
use crate::event::{AccessEvent, ActionClass, AuthMethod, Batch, Format, PrincipalType, Span};
use crate::formats::{http_error, parse_ip, RecordCtx};
use crate::skip::{Skip, SkipReason};
use crate::time::parse_clf;

fn malformed(detail: &'static str) -> Skip {
    Skip::new(SkipReason::MalformedLine, detail)
}

struct Tok<'a> {
    s: &'a [u8],
    i: usize,
    end: usize,
}

impl Tok<'_> {
    fn spaces(&mut self) {
        while self.i < self.end && self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    /// Next space-separated token as (start, end).
    fn word(&mut self) -> Option<(usize, usize)> {
        self.spaces();
        if self.i >= self.end {
            return None;
        }
        let start = self.i;
        while self.i < self.end && self.s.get(self.i) != Some(&b' ') {
            self.i += 1;
        }
        Some((start, self.i))
    }

    /// `[...]`: the bracketed time, contents only.
    fn bracketed(&mut self) -> Option<(usize, usize)> {
        self.spaces();
        if self.s.get(self.i) != Some(&b'[') {
            return None;
        }
        let close = memchr::memchr(b']', self.s.get(self.i..self.end)?)?;
        let r = (self.i + 1, self.i + close);
        self.i += close + 1;
        Some(r)
    }

    /// The quoted Request-URI (contents), ended at `HTTP/x.y"`; an unquoted `-` is allowed.
    fn request_uri(&mut self) -> Option<(usize, usize)> {
        self.spaces();
        if self.s.get(self.i) != Some(&b'"') {
            return self.word();
        }
        let start = self.i + 1;
        let hay = self.s.get(start..self.end)?;
        let mut from = 0;
        while let Some(p) = memchr::memmem::find(hay.get(from..).unwrap_or_default(), b" HTTP/") {
            let at = from + p + 6;
            // `HTTP/1.1"` or `HTTP/2.0"` followed by a space or the line end.
            if let Some(q) = hay
                .get(at..)
                .unwrap_or_default()
                .iter()
                .take(5)
                .position(|&c| c == b'"')
            {
                let close = at + q;
                if hay.get(close + 1).is_none_or(|&c| c == b' ') {
                    self.i = start + close + 1;
                    return Some((start, start + close));
                }
            }
            from = at;
        }
        // No protocol: end at the first `" `.
        let q = memchr::memmem::find(hay, b"\" ")
            .or_else(|| (hay.last() == Some(&b'"')).then(|| hay.len() - 1))?;
        self.i = start + q + 1;
        Some((start, start + q))
    }
}

fn unquote(s: &[u8], (a, b): (usize, usize)) -> (usize, usize) {
    if b >= a + 2 && s.get(a) == Some(&b'"') && s.get(b - 1) == Some(&b'"') {
        (a + 1, b - 1)
    } else {
        (a, b)
    }
}

fn dash(s: &[u8], r: (usize, usize)) -> Option<(usize, usize)> {
    let v = s.get(r.0..r.1).unwrap_or_default();
    (!v.is_empty() && v != b"-").then_some(r)
}

fn num(s: &[u8], r: (usize, usize)) -> Option<u64> {
    let v = s.get(r.0..r.1).unwrap_or_default();
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses one access-log line at `src[start..end]`.
pub fn parse_line(src: &[u8], start: usize, end: usize, ctx: &mut RecordCtx) -> Result<(), Skip> {
    let mut t = Tok {
        s: src,
        i: start,
        end,
    };
    let owner = t.word().ok_or(malformed("empty line"))?;
    let bucket = t.word().ok_or(malformed("no bucket field"))?;
    let time_r = t
        .bracketed()
        .ok_or(malformed("no [time] in the third field"))?;
    let time = parse_clf(src.get(time_r.0..time_r.1).unwrap_or_default()).ok_or_else(Skip::time)?;
    let ip = t.word().ok_or(malformed("no remote IP field"))?;
    let requester = t.word().ok_or(malformed("no requester field"))?;
    let request_id = t.word().ok_or(malformed("no request id field"))?;
    let operation = t.word().ok_or(malformed("no operation field"))?;
    let key = t.word().ok_or(malformed("no key field"))?;
    let uri = t.request_uri().ok_or(malformed("no Request-URI field"))?;
    let status = t.word().ok_or(malformed("no HTTP status field"))?;
    let error_code = t.word().ok_or(malformed("no error code field"))?;
    let bytes_sent = t.word().ok_or(malformed("no bytes-sent field"))?;
    let object_size = t.word().ok_or(malformed("no object-size field"))?;
    let _total = t.word().ok_or(malformed("no total-time field"))?;
    let _turnaround = t.word().ok_or(malformed("no turn-around-time field"))?;
    // Referer and User-Agent, then unquoted trailing fields (never containing `"`).
    t.spaces();
    let rest_start = t.i;
    let mut tail: [(usize, usize); 12] = [(0, 0); 12];
    let mut ntail = 0;
    let mut mid_end = end;
    while ntail < tail.len() {
        let mut j = mid_end;
        while j > rest_start && src.get(j - 1) == Some(&b' ') {
            j -= 1;
        }
        let mut k = j;
        while k > rest_start && src.get(k - 1) != Some(&b' ') {
            k -= 1;
        }
        if k == j || src.get(j - 1) == Some(&b'"') {
            mid_end = j;
            break;
        }
        if let Some(slot) = tail.get_mut(ntail) {
            *slot = (k, j);
        }
        ntail += 1;
        mid_end = k;
    }
    if let Some(t) = tail.get_mut(..ntail) {
        t.reverse();
    }
    let tail = tail.get(..ntail).unwrap_or_default();
    let mid = (rest_start, mid_end);
    let (referer, user_agent) = split_referer_agent(src, mid).ok_or(malformed(
        "no quoted Referer and User-Agent after the timing fields",
    ))?;

    let status_code = num(src, status).unwrap_or(0).min(999) as u16;
    let op = src.get(operation.0..operation.1).unwrap_or_default();
    let op_str = std::str::from_utf8(op).map_err(|_| malformed("operation is not text"))?;
    let class = action::s3_access_operation(op_str);
    let b = &mut *ctx.batch;
    let mut ev = AccessEvent {
        time,
        format_index: Format::S3Access.index() as u8,
        action_class: class,
        http_status: status_code,
        ..Default::default()
    };
    ev.action = match action::s3_access_api_name(op_str) {
        Some(api) => b.push_arena(api),
        None => b.span_of(src, false, operation.0, operation.1),
    };
    ev.event_source = b.push_arena("s3.amazonaws.com");
    ev.bucket = span_opt(b, src, dash(src, bucket));
    // The log writes keys URL-encoded; the event holds the key itself.
    ev.object = dash(src, key)
        .map(|(x, y)| b.percent_decoded(src, x, y))
        .unwrap_or_default();
    ev.account = span_opt(b, src, dash(src, owner));
    ev.request_id = span_opt(b, src, dash(src, request_id));
    ev.request = span_opt(b, src, dash(src, uri));
    let _ = referer;
    ev.user_agent = span_opt(b, src, dash(src, user_agent));
    let err = dash(src, error_code);
    ev.error = http_error(status_code) || err.is_some();
    if let Some(e) = err {
        ev.status = b.span_of(src, false, e.0, e.1);
    } else if ev.error {
        ev.status = span_opt(b, src, Some(status));
    }
    let sent = num(src, bytes_sent);
    let size = num(src, object_size);
    match class {
        ActionClass::Write => ev.bytes_in = size,
        _ => ev.bytes_out = sent,
    }
    match parse_ip(src.get(ip.0..ip.1).unwrap_or_default()) {
        Some(a) => ev.source_ip = Some(a),
        None => ev.source_host = span_opt(b, src, dash(src, ip)),
    }
    // Trailing fields by position: version id, host id, signature version, cipher, auth type,
    // host header, TLS version, access point ARN, ACL required, source region.
    let field = |n: usize| tail.get(n).copied().and_then(|r| dash(src, r));
    if let Some(sig) = field(2) {
        ev.signature = b.span_of(src, false, sig.0, sig.1);
    }
    ev.transport = transport(src, op, tail);
    let auth_type = field(4).map(|r| src.get(r.0..r.1).unwrap_or_default());
    if let Some(region) = field(9) {
        ev.region = b.span_of(src, false, region.0, region.1);
    } else if let Some(host) = field(5) {
        ev.region = region_from_host(b, src, host);
    }
    resolve_requester(b, src, dash(src, requester), &mut ev);
    ev.auth = match (ev.principal_type, auth_type) {
        (PrincipalType::Anonymous, _) => AuthMethod::Anonymous,
        (PrincipalType::Service, _) => AuthMethod::Service,
        (_, Some(b"QueryString")) => AuthMethod::QueryString,
        (_, Some(b"AuthHeader")) => AuthMethod::Signed,
        _ if ev.signature.is_empty() => AuthMethod::Unknown,
        _ => AuthMethod::Signed,
    };
    ctx.push(ev);
    Ok(())
}

/// Whether a request came over TLS, from the cipher suite and TLS version fields (log lines
/// written before those fields existed say nothing). Only `REST.*` operations are network
/// requests: `S3.*` and `BATCH.*` lines are S3's own work (lifecycle, batch operations), with
/// no TLS to speak of; and a website endpoint (`s3-website`) serves plain HTTP only, by design.
fn transport(src: &[u8], op: &[u8], tail: &[(usize, usize)]) -> crate::event::Transport {
    use crate::event::Transport;
    let (Some(&cipher), Some(&host), Some(&tls)) = (tail.get(3), tail.get(5), tail.get(6)) else {
        return Transport::Unknown;
    };
    let text = |r: (usize, usize)| src.get(r.0..r.1).unwrap_or_default();
    if !op.starts_with(b"REST.") || memchr::memmem::find(text(host), b"s3-website").is_some() {
        return Transport::Unknown;
    }
    if text(cipher) == b"-" && text(tls) == b"-" {
        Transport::Plain
    } else {
        Transport::Tls
    }
}

fn span_opt(b: &mut Batch, src: &[u8], r: Option<(usize, usize)>) -> Span {
    r.map(|(x, y)| b.span_of(src, false, x, y))
        .unwrap_or_default()
}

/// Splits `"referer" "user-agent"` whose contents may hold raw quotes.
fn split_referer_agent(
    src: &[u8],
    (a, b): (usize, usize),
) -> Option<((usize, usize), (usize, usize))> {
    let m = src.get(a..b).unwrap_or_default();
    if m.is_empty() {
        return None;
    }
    if m.first() != Some(&b'"') {
        // Unquoted `-` referer (rare, old logs).
        let sp = memchr::memchr(b' ', m)?;
        return Some(((a, a + sp), unquote(src, trim(src, (a + sp + 1, b)))));
    }
    let sep = memchr::memmem::find(m.get(1..).unwrap_or_default(), b"\" \"").map(|p| p + 1);
    match sep {
        Some(p) => Some(((a + 1, a + p), unquote_end(src, (a + p + 2, b)))),
        None => {
            // `"-" -` or a single quoted field.
            let sp = memchr::memchr(b' ', m)?;
            Some((
                unquote(src, (a, a + sp)),
                unquote(src, trim(src, (a + sp + 1, b))),
            ))
        }
    }
}

fn trim(src: &[u8], (mut a, mut b): (usize, usize)) -> (usize, usize) {
    while a < b && src.get(a) == Some(&b' ') {
        a += 1;
    }
    while b > a && src.get(b - 1) == Some(&b' ') {
        b -= 1;
    }
    (a, b)
}

/// `"Mozilla…"` → contents; also handles a value that itself starts with `"` (`""Mozilla…"`).
fn unquote_end(src: &[u8], r: (usize, usize)) -> (usize, usize) {
    let (a, b) = trim(src, r);
    if b > a + 1 && src.get(a) == Some(&b'"') && src.get(b - 1) == Some(&b'"') {
        (a + 1, b - 1)
    } else {
        (a, b)
    }
}

/// `bucket.s3.us-west-1.amazonaws.com` → `us-west-1`.
fn region_from_host(b: &mut Batch, src: &[u8], (x, y): (usize, usize)) -> Span {
    let host = src.get(x..y).unwrap_or_default();
    for marker in [&b".s3."[..], b".s3-", b"s3."] {
        if let Some(p) = memchr::memmem::find(host, marker) {
            let after = p + marker.len();
            let label_end = memchr::memchr(b'.', host.get(after..).unwrap_or_default())
                .map(|e| after + e)
                .unwrap_or(host.len());
            let label = host.get(after..label_end).unwrap_or_default();
            if label.contains(&b'-')
                && label.iter().any(u8::is_ascii_digit)
                && !label.starts_with(b"external")
            {
                return b.span_of(src, false, x + after, x + label_end);
            }
        }
    }
    Span::EMPTY
}

fn resolve_requester(b: &mut Batch, src: &[u8], r: Option<(usize, usize)>, ev: &mut AccessEvent) {
    let Some((x, y)) = r else {
        ev.principal = b.push_arena("anonymous");
        ev.principal_type = PrincipalType::Anonymous;
        return;
    };
    let s = src.get(x..y).unwrap_or_default();
    if s.starts_with(b"arn:") && memchr::memmem::find(s, b":assumed-role/").is_some() {
        if let Some((role, session)) = crate::formats::aws_cloudtrail::role_from_session_arn(s) {
            ev.principal = b.push_arena(&role);
            ev.principal_detail = b.push_arena(session);
            ev.principal_type = PrincipalType::Role;
            return;
        }
    }
    ev.principal = b.span_of(src, false, x, y);
    ev.principal_type = if s.ends_with(b":root") {
        PrincipalType::Root
    } else if memchr::memmem::find(s, b":user/").is_some() {
        PrincipalType::User
    } else if memchr::memmem::find(s, b":federated-user/").is_some() {
        PrincipalType::Federated
    } else if s.starts_with(b"svc:") || s.ends_with(b".amazonaws.com") {
        PrincipalType::Service
    } else {
        // Canonical user ids (64 or 32 hex digits) name an account's canonical user.
        PrincipalType::Unknown
    };
}

#[cfg(test)]
mod tests {
    use crate::detect::rules::{test_util::hits, RuleSet};

    fn object_of(key: &str) -> String {
        let line = format!(
            r#"79a59df9 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::1:user/a 3E57427F3EXAMPLE REST.GET.OBJECT {key} "GET /bkt/{key} HTTP/1.1" 200 - 113 113 7 - "-" "aws-cli/2.15.0" - x= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bkt.s3.us-west-1.amazonaws.com TLSv1.2 - -"#
        );
        hits(&line, &RuleSet::default()).remove(0).0.object
    }

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(
            object_of("reports/Q1%202024%2Bfinal%C3%A9.pdf"),
            "reports/Q1 2024+finalé.pdf"
        );
        // Not an escape: kept as written.
        assert_eq!(object_of("100%25%zz%4"), "100%%zz%4");
        assert_eq!(object_of("plain/key.txt"), "plain/key.txt");
    }
}
