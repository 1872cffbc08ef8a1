//! Azure Monitor `StorageBlobLogs` (`azure_blob_logs`), read from the resource-log envelope it
//! shares with Activity log records ([`super::azure_envelope`]).
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
use crate::event::{AccessEvent, AuthMethod, Batch, Format, PrincipalType};
use crate::formats::azure_envelope::{account_span, guid_span, subscription_and_account, Envelope};
use crate::formats::{http_error, parse_ip, RecordCtx, Src};
use crate::skip::Skip;

pub(crate) fn build(e: &Envelope, src: Src, time: i64, ctx: &mut RecordCtx) -> Result<(), Skip> {
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
    ev.transport = crate::formats::url_transport(src.raw(e.uri));
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
