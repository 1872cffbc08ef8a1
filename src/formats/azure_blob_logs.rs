//! Azure Monitor `StorageBlobLogs` (`azure_blob_logs`), and the resource-log envelope it shares
//! with Activity log records (`azure_activity`, see that module).
//!
//! ```text
//! {"records":[{"time":"2025-09-17T14:22:45.9876543Z","resourceId":"/subscriptions/…/storageAccounts/acct/blobServices/default",
//!   "category":"StorageRead","operationName":"GetBlob","statusCode":200,"statusText":"Success",
//!   "callerIpAddress":"172.16.254.1:50234","identity":{"type":"SAS","tokenHash":"key1(…),SasSignature(…)"},
//!   "properties":{"accountName":"acct","userAgentHeader":"…","objectKey":"/acct/container/blob.csv","responseBodySize":1024},
//!   "uri":"https://acct.blob.core.windows.net/container/blob.csv?…"}]}
//! ```
//! Records arrive one per line (diagnostic-settings blobs) or wrapped in `{"records":[...]}`
//! (Event Hubs); the framing handles both. Each record is told apart by `category`
//! (StorageRead/Write/Delete are blob data-plane records, anything else is the Activity log),
//! falling back to the shape of `operationName` when `category` is missing.

use crate::action;
use crate::event::{AccessEvent, AuthMethod, Batch, Format, PrincipalType, Span};
use crate::formats::{azure_activity, http_error, parse_ip, RecordCtx, Src};
use crate::json::{Cursor, JResult, RawStr};
use crate::skip::{Skip, SkipReason};
use crate::time::parse_rfc3339;

/// The union of fields the two Azure record kinds use.
#[derive(Default)]
pub(crate) struct Envelope {
    pub time: Option<RawStr>,
    pub resource_id: Option<RawStr>,
    pub category: Option<RawStr>,
    pub operation: Option<RawStr>,
    pub status_code: Option<RawStr>,
    pub status_text: Option<RawStr>,
    pub caller_ip: Option<RawStr>,
    pub correlation_id: Option<RawStr>,
    pub location: Option<RawStr>,
    pub uri: Option<RawStr>,
    pub result_type: Option<RawStr>,
    pub result_signature: Option<RawStr>,
    pub level: Option<RawStr>,
    pub properties: Option<(usize, usize)>,
    // identity (blob logs)
    pub id_type: Option<RawStr>,
    pub token_hash: Option<RawStr>,
    pub object_id: Option<RawStr>,
    pub upn: Option<RawStr>,
    pub app_id: Option<RawStr>,
    // identity (activity log)
    pub claim_oid: Option<RawStr>,
    pub claim_upn: Option<RawStr>,
    pub claim_name: Option<RawStr>,
    pub claim_appid: Option<RawStr>,
    pub claim_email: Option<RawStr>,
    pub evidence_principal: Option<RawStr>,
    pub evidence_principal_type: Option<RawStr>,
    // properties (blob logs)
    pub account_name: Option<RawStr>,
    pub user_agent: Option<RawStr>,
    pub object_key: Option<RawStr>,
    pub service_type: Option<RawStr>,
    pub request_size: Option<u64>,
    pub response_size: Option<u64>,
}

/// Parses one Azure resource-log record and builds a blob or activity event from it.
pub fn parse_envelope(cur: &mut Cursor, ctx: &mut RecordCtx) -> JResult<Result<(), Skip>> {
    let mut e = Envelope::default();
    cur.object(|c, k| {
        match k {
            b"time" | b"TimeGenerated" => e.time = c.str_or_skip()?,
            b"resourceId" | b"ResourceId" => e.resource_id = c.str_or_skip()?,
            b"category" | b"Category" => e.category = c.str_or_skip()?,
            b"operationName" | b"OperationName" => e.operation = c.str_or_skip()?,
            b"statusCode" | b"StatusCode" => e.status_code = c.scalar_or_skip()?,
            b"statusText" | b"StatusText" => e.status_text = c.str_or_skip()?,
            b"callerIpAddress" | b"CallerIpAddress" => e.caller_ip = c.str_or_skip()?,
            b"correlationId" | b"CorrelationId" => e.correlation_id = c.str_or_skip()?,
            b"location" => e.location = c.str_or_skip()?,
            b"uri" | b"Uri" => e.uri = c.str_or_skip()?,
            b"resultType" => e.result_type = c.str_or_skip()?,
            b"resultSignature" => e.result_signature = c.str_or_skip()?,
            b"level" => e.level = c.str_or_skip()?,
            b"identity" => {
                c.object_or_skip(|c, k| identity_key(c, k, &mut e))?;
            }
            b"properties" => {
                c.ws();
                let start = c.i;
                c.object_or_skip(|c, k| {
                    match k {
                        b"accountName" => e.account_name = c.str_or_skip()?,
                        b"userAgentHeader" => e.user_agent = c.str_or_skip()?,
                        b"objectKey" => e.object_key = c.str_or_skip()?,
                        b"serviceType" => e.service_type = c.str_or_skip()?,
                        b"requestBodySize" => e.request_size = c.u64_or_skip()?,
                        b"responseBodySize" => e.response_size = c.u64_or_skip()?,
                        _ => c.skip()?,
                    }
                    Ok(())
                })?;
                e.properties = Some((start, c.i));
            }
            _ => c.skip()?,
        }
        Ok(())
    })?;
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
    Ok(if is_activity(&e, src, op) {
        azure_activity::build(&e, src, time, ctx)
    } else {
        build(&e, src, time, ctx)
    })
}

fn is_activity(e: &Envelope, src: Src, op: RawStr) -> bool {
    match e.category.map(|c| src.raw(Some(c))) {
        Some(b"StorageRead" | b"StorageWrite" | b"StorageDelete") => false,
        Some(_) => true,
        None => memchr::memchr(b'/', op.raw(src.bytes)).is_some(),
    }
}

fn identity_key(c: &mut Cursor, k: &[u8], e: &mut Envelope) -> JResult<()> {
    match k {
        b"type" => e.id_type = c.str_or_skip()?,
        b"tokenHash" => e.token_hash = c.str_or_skip()?,
        b"requester" => {
            c.object_or_skip(|c, k| {
                match k {
                    b"objectId" => e.object_id = c.str_or_skip()?,
                    b"upn" => e.upn = c.str_or_skip()?,
                    b"appId" => e.app_id = c.str_or_skip()?,
                    _ => c.skip()?,
                }
                Ok(())
            })?;
        }
        b"claims" => {
            c.object_or_skip(|c, k| {
                match k {
                    b"http://schemas.microsoft.com/identity/claims/objectidentifier" | b"oid" => {
                        e.claim_oid = c.str_or_skip()?
                    }
                    b"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn" => {
                        e.claim_upn = c.str_or_skip()?
                    }
                    b"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" | b"name" => {
                        e.claim_name = c.str_or_skip()?
                    }
                    b"appid" => e.claim_appid = c.str_or_skip()?,
                    b"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" => {
                        e.claim_email = c.str_or_skip()?
                    }
                    _ => c.skip()?,
                }
                Ok(())
            })?;
        }
        b"authorization" => {
            c.object_or_skip(|c, k| {
                if k == b"evidence" {
                    c.object_or_skip(|c, k| {
                        match k {
                            b"principalId" => e.evidence_principal = c.str_or_skip()?,
                            b"principalType" => e.evidence_principal_type = c.str_or_skip()?,
                            _ => c.skip()?,
                        }
                        Ok(())
                    })?;
                    Ok(())
                } else {
                    c.skip()
                }
            })?;
        }
        _ => c.skip()?,
    }
    Ok(())
}

/// `/subscriptions/<sub>/…/storageAccounts/<account>/…` → (sub, account), any casing.
pub(crate) fn subscription_and_account(rid: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let mut sub = None;
    let mut acct = None;
    let mut parts = rid.split(|&c| c == b'/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(b"subscriptions") {
            sub = parts.next();
        } else if p.eq_ignore_ascii_case(b"storageAccounts") {
            acct = parts.next();
        }
    }
    (sub, acct)
}

/// `<subscription>/<account>` in lower case (Azure writes both in either case).
pub(crate) fn account_span(b: &mut Batch, sub: Option<&[u8]>, acct: Option<&[u8]>) -> Span {
    if sub.is_none() && acct.is_none() {
        return Span::EMPTY;
    }
    let at = b.arena_start();
    if let Some(s) = sub {
        b.arena_push_bytes(s);
    }
    if let Some(a) = acct {
        b.arena_push_bytes(b"/");
        b.arena_push_bytes(a);
    }
    b.arena_lowercase_from(at);
    b.arena_finish(at)
}

fn build(e: &Envelope, src: Src, time: i64, ctx: &mut RecordCtx) -> Result<(), Skip> {
    let op = std::str::from_utf8(src.raw(e.operation)).unwrap_or("");
    let b = &mut *ctx.batch;
    let status: u16 = std::str::from_utf8(src.raw(e.status_code))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let text = src.raw(e.status_text);
    let error = http_error(status)
        || (!text.is_empty() && !text.eq_ignore_ascii_case(b"Success") && status == 0);
    let mut ev = AccessEvent {
        time,
        format_index: Format::AzureBlobLogs.index() as u8,
        action_class: action::azure_blob(op),
        http_status: status,
        error,
        bytes_in: e.request_size,
        bytes_out: e.response_size,
        ..Default::default()
    };
    ev.action = src.str(b, e.operation);
    ev.event_source = src.str(b, e.service_type);
    if ev.event_source.is_empty() {
        ev.event_source = b.push_arena("blob");
    }
    ev.region = src.str(b, e.location);
    ev.user_agent = src.str(b, e.user_agent);
    ev.request_id = src.str(b, e.correlation_id);
    ev.request = src.str(b, e.uri);
    ev.response = src.span(b, e.properties);
    if ev.error {
        ev.status = if text.is_empty() || text.eq_ignore_ascii_case(b"Error") {
            src.str(b, e.status_code)
        } else {
            src.str(b, e.status_text)
        };
    }
    let (sub, acct_from_rid) = e
        .resource_id
        .map_or((None, None), |r| subscription_and_account(r.raw(src.bytes)));
    let acct_name = e.account_name.map(|a| a.raw(src.bytes)).or(acct_from_rid);
    ev.account = account_span(b, sub, acct_name);
    if let Some(k) = e.object_key {
        // `/account/container/path/to/blob`
        let raw = k.raw(src.bytes);
        let mut it = raw.splitn(4, |&c| c == b'/');
        let _lead = it.next();
        let _account = it.next();
        if let Some(container) = it.next() {
            let cstart = k.start as usize + 2 + _account.map_or(0, <[u8]>::len);
            ev.bucket = b.span_of(
                src.bytes,
                src.copy || k.escaped,
                cstart,
                cstart + container.len(),
            );
            if let Some(path) = it.next() {
                let pstart = cstart + container.len() + 1;
                ev.object = b.span_of(
                    src.bytes,
                    src.copy || k.escaped,
                    pstart,
                    pstart + path.len(),
                );
            }
        }
    }
    if let Some(ip) = e.caller_ip {
        match parse_ip(ip.raw(src.bytes)) {
            Some(a) => ev.source_ip = Some(a),
            None => ev.source_host = src.str(b, Some(ip)),
        }
    }
    blob_principal(e, src, acct_name, &mut ev, b);
    ctx.push(ev);
    Ok(())
}

/// DESIGN.md "Who the principal is", Azure data plane.
fn blob_principal(
    e: &Envelope,
    src: Src,
    acct: Option<&[u8]>,
    ev: &mut AccessEvent,
    b: &mut Batch,
) {
    let typ = src.raw(e.id_type);
    let token = e.token_hash.filter(|t| !t.is_empty());
    if typ.eq_ignore_ascii_case(b"Anonymous") {
        ev.principal = b.push_arena("anonymous");
        ev.principal_type = PrincipalType::Anonymous;
        ev.auth = AuthMethod::Anonymous;
        return;
    }
    if let Some(oid) = e.object_id.filter(|o| !o.is_empty()) {
        if typ.eq_ignore_ascii_case(b"OAuth")
            || typ.eq_ignore_ascii_case(b"Kerberos")
            || token.is_none()
        {
            ev.principal = guid_span(b, src, oid);
            ev.principal_detail = src.str(b, e.upn.or(e.app_id));
            ev.principal_type = if e.upn.is_some() {
                PrincipalType::User
            } else {
                PrincipalType::ServiceAccount
            };
            ev.auth = AuthMethod::OAuth;
            return;
        }
    }
    if let Some(t) = token {
        // `<accountName>:<tokenHash>` exactly as Azure writes the hash: each SAS or key is
        // its own principal and the account still matches.
        let at = b.arena_start();
        b.arena_push_bytes(acct.unwrap_or(b"unknown"));
        b.arena_push_bytes(b":");
        let raw = t.raw(src.bytes);
        b.arena_push_bytes(raw);
        ev.principal = b.arena_finish(at);
        ev.principal_type = PrincipalType::Token;
        ev.credential = src.str(b, Some(t));
        ev.auth = if memchr::memmem::find(raw, b"SasSignature").is_some() || typ.ends_with(b"SAS") {
            AuthMethod::Sas
        } else {
            AuthMethod::AccountKey
        };
        // The user behind a user-delegation SAS, when logged.
        ev.principal_detail = src.str(b, e.object_id.or(e.upn));
        return;
    }
    if typ.eq_ignore_ascii_case(b"TrustedAccess") {
        ev.principal = b.push_arena("azure-trusted-service");
        ev.principal_type = PrincipalType::Service;
        ev.auth = AuthMethod::Service;
        return;
    }
    let at = b.arena_start();
    b.arena_push_bytes(acct.unwrap_or(b"unknown"));
    b.arena_push_bytes(b":unknown-identity");
    ev.principal = b.arena_finish(at);
    ev.principal_type = PrincipalType::Unknown;
}

/// An Entra object id in the canonical lower-case, hyphenated form; the Activity log's
/// authorization evidence writes the same ids as 32 hex digits without hyphens.
pub(crate) fn guid_span(b: &mut Batch, src: Src, r: RawStr) -> Span {
    let raw = r.raw(src.bytes);
    let hex32 = raw.len() == 32 && raw.iter().all(u8::is_ascii_hexdigit);
    let canonical = raw.len() == 36
        && raw
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || *c == b'-');
    if canonical || !(hex32 || raw.len() == 36) {
        return src.str(b, Some(r));
    }
    let at = b.arena_start();
    if hex32 {
        for (i, chunk) in [
            &raw[0..8],
            &raw[8..12],
            &raw[12..16],
            &raw[16..20],
            &raw[20..32],
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                b.arena_push_bytes(b"-");
            }
            b.arena_push_bytes(chunk);
        }
    } else {
        b.arena_push_bytes(raw);
    }
    b.arena_lowercase_from(at);
    b.arena_finish(at)
}
