//! The Azure Monitor resource-log envelope that StorageBlobLogs and Activity log records share
//! (`{"records":[…]}` or one record per line): its fields, read once, and the helpers both
//! record kinds use for subscriptions, accounts and Entra object ids.

use crate::event::{Batch, Span};
use crate::formats::Src;
use crate::json::{Cursor, JResult, RawStr};

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
    pub entity: Option<RawStr>,
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

/// Reads the fields of one Azure resource-log record.
pub(crate) fn read(cur: &mut Cursor) -> JResult<Envelope> {
    let mut e = Envelope::default();
    cur.object(|c, k| {
        match k {
            b"time" | b"TimeGenerated" => e.time = c.str_or_skip()?,
            b"resourceId" | b"ResourceId" => e.resource_id = c.str_or_skip()?,
            b"category" | b"Category" => e.category = c.str_or_value()?,
            b"operationName" | b"OperationName" => e.operation = c.str_or_value()?,
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
                        // The resource, where the record has no `resourceId` (the Activity
                        // log as the portal and REST API show it).
                        b"entity" => e.entity = c.str_or_skip()?,
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
    if e.resource_id.is_none() {
        e.resource_id = e.entity;
    }
    Ok(e)
}

pub(crate) fn is_activity(e: &Envelope, src: Src, op: RawStr) -> bool {
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
        // Key Vault's AuditEvent writes `claim`.
        b"claims" | b"claim" => {
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
