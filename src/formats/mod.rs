//! One module per log format. Each turns one record into zero or more [`AccessEvent`]s; the
//! framing, skip accounting and decompression live once, in `ingest`.
//!
//! | id | module | framing |
//! | --- | --- | --- |
//! | `aws_cloudtrail` | [`aws_cloudtrail`] | JSON documents and JSON Lines |
//! | `s3_access` | [`s3_access`] | lines |
//! | `gcs_audit` | [`gcs_audit`] | JSON documents and JSON Lines |
//! | `gcs_usage` | [`gcs_usage`] | lines (CSV with header) |
//! | `azure_blob_logs` | [`azure_blob_logs`] | JSON (resource-log envelope) |
//! | `azure_activity` | [`azure_activity`] | JSON (same envelope; told apart per record) |
//! | `azure_storage_analytics` | [`azure_storage_analytics`] | lines |

pub mod aws_cloudtrail;
pub mod azure_activity;
pub mod azure_blob_logs;
pub mod azure_envelope;
pub mod azure_storage_analytics;
pub mod gcs_audit;
pub mod gcs_usage;
pub mod s3_access;

use std::net::IpAddr;

use crate::event::{AccessEvent, Batch, Format, RawRef, Span};
use crate::json::{Cursor, JResult, RawStr};
use crate::skip::{Skip, SkipReason};
use crate::time::parse_rfc3339;

/// Where a record parser puts its events.
pub struct RecordCtx<'a> {
    pub batch: &'a mut Batch,
    /// Offset of the record in the decoded stream.
    pub offset: u64,
    /// Line of the record (0 when not tracked).
    pub line: u64,
}

impl RecordCtx<'_> {
    pub fn push(&mut self, mut ev: AccessEvent) {
        ev.raw = RawRef {
            offset: self.offset,
            line: self.line,
        };
        self.batch.events.push(ev);
    }
}

/// Parses one JSON record (the cursor is at its `{`), consuming the whole value.
pub fn parse_json_record(
    kind: Format,
    cur: &mut Cursor,
    ctx: &mut RecordCtx,
) -> JResult<Result<(), Skip>> {
    match kind {
        Format::AwsCloudtrail => aws_cloudtrail::parse_record(cur, ctx),
        Format::GcsAudit => gcs_audit::parse_record(cur, ctx),
        // StorageBlobLogs and Activity records share one envelope, told apart per record.
        Format::AzureBlobLogs | Format::AzureActivity => azure_record(cur, ctx),
        Format::S3Access | Format::GcsUsage | Format::AzureStorageAnalytics => {
            cur.skip()?;
            Ok(Err(Skip::new(
                SkipReason::UnrecognisedRecord,
                "a line-framed format read as JSON",
            )))
        }
    }
}

/// One Azure resource-log record: a blob data-plane record (StorageBlobLogs) or an Activity
/// log record, told apart by its category (see [`azure_envelope::is_activity`]).
fn azure_record(cur: &mut Cursor, ctx: &mut RecordCtx) -> JResult<Result<(), Skip>> {
    let e = azure_envelope::read(cur)?;
    let src = Src::input(cur.b);
    let Some(time) = e.time.and_then(|t| parse_rfc3339(t.raw(src.bytes))) else {
        return Ok(Err(Skip::time_from(
            "time",
            e.time.map(|t| t.raw(src.bytes)),
        )));
    };
    let Some(op) = e.operation else {
        return Ok(Err(Skip::new(
            SkipReason::UnrecognisedRecord,
            "Azure resource-log record without operationName",
        )));
    };
    Ok(if azure_envelope::is_activity(&e, src, op) {
        azure_activity::build(&e, src, time, ctx)
    } else {
        azure_blob_logs::build(&e, src, time, ctx)
    })
}

/// A line parser with the little state a file needs (the CSV header of usage logs).
pub enum LineParser {
    S3Access,
    GcsUsage(gcs_usage::Header),
    AzureStorageAnalytics,
}

impl LineParser {
    /// The parser of a line-framed format (`None` for a JSON one).
    pub fn new(format: Format) -> Option<Self> {
        match format {
            Format::S3Access => Some(LineParser::S3Access),
            Format::GcsUsage => Some(LineParser::GcsUsage(gcs_usage::Header::default())),
            Format::AzureStorageAnalytics => Some(LineParser::AzureStorageAnalytics),
            Format::AwsCloudtrail
            | Format::GcsAudit
            | Format::AzureBlobLogs
            | Format::AzureActivity => None,
        }
    }

    /// Parses `src[start..end]` (one line without its newline).
    pub fn parse(
        &mut self,
        src: &[u8],
        start: usize,
        end: usize,
        ctx: &mut RecordCtx,
    ) -> Result<(), Skip> {
        match self {
            LineParser::S3Access => s3_access::parse_line(src, start, end, ctx),
            LineParser::GcsUsage(h) => gcs_usage::parse_line(h, src, start, end, ctx),
            LineParser::AzureStorageAnalytics => {
                azure_storage_analytics::parse_line(src, start, end, ctx)
            }
        }
    }
}

/// Text a JSON parser found: positions plus which buffer they are in.
#[derive(Clone, Copy)]
pub(crate) struct Src<'a> {
    pub bytes: &'a [u8],
    /// True when `bytes` is not the batch input (a scratch buffer): strings must be copied.
    pub copy: bool,
}

impl<'a> Src<'a> {
    pub fn input(bytes: &'a [u8]) -> Self {
        Src { bytes, copy: false }
    }

    pub fn str(&self, batch: &mut Batch, r: Option<RawStr>) -> Span {
        match r {
            Some(r) => batch.json_str(self.bytes, self.copy, r),
            None => Span::EMPTY,
        }
    }

    pub fn raw(&self, r: Option<RawStr>) -> &'a [u8] {
        match r {
            Some(r) => r.raw(self.bytes),
            None => b"",
        }
    }

    pub fn span(&self, batch: &mut Batch, range: Option<(usize, usize)>) -> Span {
        match range {
            Some((a, b)) => batch.span_of(self.bytes, self.copy, a, b),
            None => Span::EMPTY,
        }
    }
}

/// How a request travelled, from the scheme of its URL (Azure logs write the request URL).
pub(crate) fn url_transport(url: &[u8]) -> crate::event::Transport {
    use crate::event::Transport;
    let scheme = |s: &[u8]| url.len() > s.len() && url[..s.len()].eq_ignore_ascii_case(s);
    if scheme(b"https://") {
        Transport::Tls
    } else if scheme(b"http://") {
        Transport::Plain
    } else {
        Transport::Unknown
    }
}

/// Parses a source address: an IP (v4 or v6, with or without a port, brackets for v6);
/// anything else is `None` and kept as text by the caller.
pub fn parse_ip(s: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(s) {
        return Some(IpAddr::V4(v4));
    }
    let s = std::str::from_utf8(s).ok()?.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    // `1.2.3.4:5678` is covered above; `[::1]` without a port:
    s.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .and_then(|x| x.parse().ok())
}

/// Dotted-quad IPv4 without the generic parser (the common case, once per event). Like the
/// standard library, it rejects octets with leading zeros (`08.1.250.216` is not an address).
fn parse_ipv4(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    if s.len() < 7 || s.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in s.split(|&c| c == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut v: u32 = 0;
        for &c in part {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        octets[n] = u8::try_from(v).ok()?;
        n += 1;
    }
    (n == 4).then(|| std::net::Ipv4Addr::from(octets))
}

/// Whether an HTTP status means failure.
pub fn http_error(status: u16) -> bool {
    status >= 400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        assert_eq!(parse_ip(b"192.0.2.3"), Some("192.0.2.3".parse().unwrap()));
        assert_eq!(parse_ip(b"5.5.5.5:28915"), Some("5.5.5.5".parse().unwrap()));
        assert_eq!(
            parse_ip(b"2001:db8::1"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            parse_ip(b"[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_ip(b"s3.amazonaws.com"), None);
        assert_eq!(parse_ip(b"08.1.250.216"), None);
        assert_eq!(parse_ip(b"268.20.203.21:4362"), None);
        assert_eq!(parse_ip(b"0.0.0.0"), Some("0.0.0.0".parse().unwrap()));
        assert_eq!(parse_ip(b"1.2.3"), None);
        assert_eq!(parse_ip(b"1.2.3.4.5"), None);
        assert_eq!(parse_ip(b"256.1.1.1"), None);
    }
}
