//! Azure Activity log records for storage accounts (`azure_activity`), as diagnostic settings
//! export them in the resource-log envelope (read by [`super::azure_envelope`]).
//!
//! ```text
//! {"time":"2021-02-09T11:38:31.6315770Z","resourceId":"/SUBSCRIPTIONS/…/STORAGEACCOUNTS/ACCT",
//!  "operationName":"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION","category":"Administrative",
//!  "resultType":"Success","callerIpAddress":"40.112.242.0",
//!  "identity":{"authorization":{"evidence":{"principalId":"e7018f64…","principalType":"User"}},
//!              "claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"jan@x.com",…}},
//!  "properties":{"requestbody":"{\"properties\":{\"publicAccess\":\"Container\"}}",…}}
//! ```
//! `operationName` comes in any casing; it is classified case-insensitively and kept raw.
//! The caller is the Entra object id (from the `objectidentifier` claim, else the
//! authorization evidence), written in the same canonical form as blob-log OAuth requesters, so
//! one person is one principal across control and data plane. `properties` is kept whole as the
//! request detail: rules read `requestbody` (public access, key names) from it.

use crate::action;
use crate::event::{AccessEvent, AuthMethod, Format, PrincipalType};
use crate::formats::azure_envelope::{account_span, guid_span, subscription_and_account, Envelope};
use crate::formats::{parse_ip, RecordCtx, Src};
use crate::skip::Skip;

pub(crate) fn build(e: &Envelope, src: Src, time: i64, ctx: &mut RecordCtx) -> Result<(), Skip> {
    let op_raw = src.raw(e.operation);
    let op = std::str::from_utf8(op_raw).unwrap_or("");
    let b = &mut *ctx.batch;
    let result = src.raw(e.result_type);
    let error = result.eq_ignore_ascii_case(b"Failed")
        || result.eq_ignore_ascii_case(b"Failure")
        || src.raw(e.level).eq_ignore_ascii_case(b"Error");
    let mut ev = AccessEvent {
        time,
        format_index: Format::AzureActivity.index() as u8,
        action_class: action::azure_activity(op),
        error,
        ..Default::default()
    };
    ev.read_only =
        Some(op_raw.len() >= 5 && op_raw[op_raw.len() - 5..].eq_ignore_ascii_case(b"/read"));
    ev.action = src.str(b, e.operation);
    // The resource provider (`Microsoft.Storage`) is the event source. Resource logs name
    // the operation alone (Key Vault's `KeyPurge`): the provider is in the resource id.
    if let Some(op) = e
        .operation
        .filter(|o| memchr::memchr(b'/', o.raw(src.bytes)).is_some())
    {
        let raw = op.raw(src.bytes);
        let end = memchr::memchr(b'/', raw).unwrap_or(raw.len());
        ev.event_source = b.span_of(
            src.bytes,
            src.copy || op.escaped,
            op.start as usize,
            op.start as usize + end,
        );
    } else if let Some(provider) = e
        .resource_id
        .and_then(|r| resource_provider(r.raw(src.bytes)))
    {
        ev.event_source = b.push_arena(std::str::from_utf8(provider).unwrap_or_default());
    }
    ev.region = src.str(b, e.location);
    ev.request_id = src.str(b, e.correlation_id);
    ev.request = src.span(b, e.properties);
    if error {
        ev.status = src.str(b, e.result_signature.or(e.result_type));
    }
    let (sub, acct) = e
        .resource_id
        .map_or((None, None), |r| subscription_and_account(r.raw(src.bytes)));
    ev.account = account_span(b, sub, acct);
    if let Some(a) = acct {
        let at = b.arena_start();
        b.arena_push_bytes(a);
        b.arena_lowercase_from(at);
        ev.bucket = b.arena_finish(at);
    }
    if let Some(ip) = e.caller_ip {
        match parse_ip(ip.raw(src.bytes)) {
            Some(a) => ev.source_ip = Some(a),
            None => ev.source_host = src.str(b, Some(ip)),
        }
    }
    // Who: the Entra object id, else the evidence principal, else a named service.
    let oid = e
        .claim_oid
        .or(e.evidence_principal)
        .filter(|o| !o.is_empty());
    let upn = e.claim_upn.or(e.claim_name);
    match oid {
        Some(o) => {
            ev.principal = guid_span(b, src, o);
            ev.principal_detail = src.str(b, upn.or(e.claim_appid));
            // A token with a UPN claim is a user's, whatever the role assignment was made to.
            let ptype = src.raw(e.evidence_principal_type);
            ev.principal_type =
                if e.claim_upn.is_none() && ptype.eq_ignore_ascii_case(b"ServicePrincipal") {
                    PrincipalType::ServiceAccount
                } else {
                    PrincipalType::User
                };
            ev.auth = AuthMethod::OAuth;
        }
        None => {
            if let Some(u) = upn.or(e.claim_email).filter(|u| !u.is_empty()) {
                ev.principal = src.str(b, Some(u));
                let is_service = !src.raw(Some(u)).contains(&b'@');
                ev.principal_type = if is_service {
                    PrincipalType::Service
                } else {
                    PrincipalType::User
                };
                ev.auth = if is_service {
                    AuthMethod::Service
                } else {
                    AuthMethod::OAuth
                };
            } else {
                ev.principal = b.push_arena("azure-unknown-caller");
                ev.principal_type = PrincipalType::Unknown;
            }
        }
    }
    ctx.push(ev);
    Ok(())
}

/// `/SUBSCRIPTIONS/…/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/V` → `MICROSOFT.KEYVAULT`.
fn resource_provider(rid: &[u8]) -> Option<&[u8]> {
    let mut parts = rid.split(|&c| c == b'/');
    parts.find(|p| p.eq_ignore_ascii_case(b"providers"))?;
    parts.next().filter(|p| !p.is_empty() && p.len() <= 100)
}
