//! Google Cloud Audit Logs for Cloud Storage (`gcs_audit`): LogEntry records with an AuditLog
//! `protoPayload`, as `gcloud logging read --format=json` writes them (a JSON array) or as log
//! sinks export them (JSON Lines). Both `data_access` and `activity` logs.
//!
//! ```text
//! {"protoPayload":{"authenticationInfo":{"principalEmail":"sa@p.iam.gserviceaccount.com"},
//!   "requestMetadata":{"callerIp":"34.66.19.193","callerSuppliedUserAgent":"…"},
//!   "methodName":"storage.objects.get","resourceName":"projects/_/buckets/b/objects/o",
//!   "serviceName":"storage.googleapis.com","status":{}},
//!  "resource":{"type":"gcs_bucket","labels":{"bucket_name":"b","project_id":"p","location":"us"}},
//!  "logName":"projects/p/logs/cloudaudit.googleapis.com%2Fdata_access","timestamp":"2021-01-01T02:17:10.655982344Z"}
//! ```

use crate::action;
use crate::event::{AccessEvent, ActionClass, AuthMethod, Format, PrincipalType};
use crate::formats::{parse_ip, RecordCtx, Src};
use crate::json::{Cursor, JResult, RawStr};
use crate::skip::{Skip, SkipReason};
use crate::time::parse_rfc3339;

#[derive(Default)]
struct Entry {
    timestamp: Option<RawStr>,
    log_name: Option<RawStr>,
    has_payload: bool,
    method: Option<RawStr>,
    service: Option<RawStr>,
    resource_name: Option<RawStr>,
    principal: Option<RawStr>,
    delegate: Option<RawStr>,
    key_name: Option<RawStr>,
    caller_ip: Option<RawStr>,
    user_agent: Option<RawStr>,
    status_code: Option<u64>,
    request: Option<(usize, usize)>,
    service_data: Option<(usize, usize)>,
    response: Option<(usize, usize)>,
    bucket_label: Option<RawStr>,
    project: Option<RawStr>,
    location: Option<RawStr>,
    insert_id: Option<RawStr>,
}

/// Parses one LogEntry.
pub fn parse_record(cur: &mut Cursor, ctx: &mut RecordCtx) -> JResult<Result<(), Skip>> {
    let mut e = Entry::default();
    cur.object(|c, k| {
        match k {
            b"timestamp" => e.timestamp = c.str_or_skip()?,
            b"logName" => e.log_name = c.str_or_skip()?,
            b"insertId" => e.insert_id = c.str_or_skip()?,
            b"protoPayload" => {
                e.has_payload = c.object_or_skip(|c, k| payload_key(c, k, &mut e))?
            }
            b"resource" => {
                c.object_or_skip(|c, k| {
                    if k == b"labels" {
                        c.object_or_skip(|c, k| {
                            match k {
                                b"bucket_name" => e.bucket_label = c.str_or_skip()?,
                                b"project_id" => e.project = c.str_or_skip()?,
                                b"location" => e.location = c.str_or_skip()?,
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
    })?;
    Ok(build(&e, Src::input(cur.b), ctx))
}

fn payload_key<'a>(c: &mut Cursor<'a>, k: &[u8], e: &mut Entry) -> JResult<()> {
    match k {
        b"methodName" => e.method = c.str_or_skip()?,
        b"serviceName" => e.service = c.str_or_skip()?,
        b"resourceName" => e.resource_name = c.str_or_skip()?,
        b"authenticationInfo" => {
            c.object_or_skip(|c, k| {
                match k {
                    b"principalEmail" => e.principal = c.str_or_skip()?,
                    b"serviceAccountKeyName" => e.key_name = c.str_or_skip()?,
                    b"serviceAccountDelegationInfo" => {
                        c.array_or_skip(|c| {
                            c.object_or_skip(|c, k| {
                                if k == b"firstPartyPrincipal" || k == b"thirdPartyPrincipal" {
                                    c.object_or_skip(|c, k| {
                                        if k == b"principalEmail" && e.delegate.is_none() {
                                            e.delegate = c.str_or_skip()?;
                                            Ok(())
                                        } else {
                                            c.skip()
                                        }
                                    })?;
                                    Ok(())
                                } else {
                                    c.skip()
                                }
                            })?;
                            Ok(())
                        })?;
                    }
                    _ => c.skip()?,
                }
                Ok(())
            })?;
        }
        b"requestMetadata" => {
            c.object_or_skip(|c, k| {
                match k {
                    b"callerIp" => e.caller_ip = c.str_or_skip()?,
                    b"callerSuppliedUserAgent" => e.user_agent = c.str_or_skip()?,
                    _ => c.skip()?,
                }
                Ok(())
            })?;
        }
        b"status" => {
            c.object_or_skip(|c, k| {
                if k == b"code" {
                    e.status_code = c.u64_or_skip()?;
                    Ok(())
                } else {
                    c.skip()
                }
            })?;
        }
        b"serviceData" | b"metadata" => {
            let (a, b) = c.skip_span()?;
            if e.service_data.is_none() {
                e.service_data = Some((a, b));
            }
        }
        b"request" => e.request = Some(c.skip_span()?),
        b"response" => e.response = Some(c.skip_span()?),
        _ => c.skip()?,
    }
    Ok(())
}

/// google.rpc.Code names, as the audit log's `status.code` numbers them.
fn rpc_code_name(code: u64) -> &'static str {
    match code {
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "ERROR",
    }
}

/// `projects/_/buckets/<bucket>/objects/<object>` → (bucket, object) positions.
fn split_resource(src: &[u8], r: RawStr) -> (Option<RawStr>, Option<RawStr>) {
    let s = r.raw(src);
    let Some(b) = memchr::memmem::find(s, b"buckets/") else {
        return (None, None);
    };
    let bstart = b + 8;
    let (bend, obj) = match memchr::memmem::find(&s[bstart..], b"/objects/") {
        Some(p) => (bstart + p, Some(bstart + p + 9)),
        None => (
            memchr::memchr(b'/', &s[bstart..]).map_or(s.len(), |p| bstart + p),
            None,
        ),
    };
    let sub = |a: usize, z: usize| RawStr {
        start: r.start + a as u32,
        end: r.start + z as u32,
        escaped: r.escaped,
    };
    (
        (bend > bstart).then(|| sub(bstart, bend)),
        obj.filter(|&o| o < s.len()).map(|o| sub(o, s.len())),
    )
}

fn build(e: &Entry, src: Src, ctx: &mut RecordCtx) -> Result<(), Skip> {
    let Some(time) = e.timestamp.and_then(|t| parse_rfc3339(t.raw(src.bytes))) else {
        return Err(Skip::time_from(
            "timestamp",
            e.timestamp.map(|t| t.raw(src.bytes)),
        ));
    };
    if !e.has_payload || e.method.is_none() {
        return Err(Skip::new(
            SkipReason::UnrecognisedRecord,
            "LogEntry without an AuditLog protoPayload.methodName",
        ));
    }
    let method = std::str::from_utf8(src.raw(e.method)).unwrap_or("");
    let class = action::gcs(method);
    let b = &mut *ctx.batch;
    let mut ev = AccessEvent {
        time,
        format_index: Format::GcsAudit.index() as u8,
        action_class: class,
        read_only: Some(matches!(
            class,
            ActionClass::Read | ActionClass::List | ActionClass::Other
        )),
        ..Default::default()
    };
    ev.action = src.str(b, e.method);
    ev.event_source = src.str(b, e.service);
    ev.user_agent = src.str(b, e.user_agent);
    ev.account = src.str(b, e.project);
    if ev.account.is_empty() {
        // `projects/<id>/logs/…`
        let ln = src.raw(e.log_name);
        if let (Some(l), Some(p)) = (e.log_name, ln.strip_prefix(b"projects/")) {
            let end = memchr::memchr(b'/', p).unwrap_or(p.len());
            ev.account = b.span_of(
                src.bytes,
                src.copy,
                l.start as usize + 9,
                l.start as usize + 9 + end,
            );
        }
    }
    ev.region = src.str(b, e.location);
    ev.request_id = src.str(b, e.insert_id);
    ev.request = src.span(b, e.service_data.or(e.request));
    ev.response = src.span(b, e.response);
    let (bucket, object) = e
        .resource_name
        .map_or((None, None), |r| split_resource(src.bytes, r));
    ev.bucket = src.str(b, bucket.or(e.bucket_label));
    ev.object = src.str(b, object);
    if let Some(ip) = e.caller_ip {
        match parse_ip(ip.raw(src.bytes)) {
            Some(a) => ev.source_ip = Some(a),
            None => ev.source_host = src.str(b, Some(ip)),
        }
    }
    if let Some(code) = e.status_code.filter(|&c| c != 0) {
        ev.error = true;
        ev.status = b.push_arena(rpc_code_name(code));
    }
    let principal = e.principal.filter(|p| !p.is_empty());
    match principal {
        None => {
            ev.principal = b.push_arena("anonymous");
            ev.principal_type = PrincipalType::Anonymous;
            ev.auth = AuthMethod::Anonymous;
        }
        Some(p) => {
            let email = src.raw(Some(p));
            ev.principal = src.str(b, Some(p));
            ev.principal_type = if email.ends_with(b".gserviceaccount.com") {
                PrincipalType::ServiceAccount
            } else if email.contains(&b'@') {
                PrincipalType::User
            } else {
                PrincipalType::Unknown
            };
            ev.principal_detail = src.str(b, e.delegate);
            ev.credential = src.str(b, e.key_name);
            ev.auth = AuthMethod::OAuth;
        }
    }
    ctx.push(ev);
    Ok(())
}
