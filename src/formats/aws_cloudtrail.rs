//! AWS CloudTrail (`aws_cloudtrail`), in every container it travels in.
//!
//! ```text
//! {"Records":[{"eventVersion":"1.10","userIdentity":{"type":"IAMUser",...},"eventTime":"2025-10-22T20:50:39Z",
//!   "eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1",
//!   "sourceIPAddress":"81.24.165.223","userAgent":"[aws-sdk-go/1.44.327]",
//!   "requestParameters":{"bucketName":"b","key":"k"},"additionalEventData":{"bytesTransferredOut":2409257},...}]}
//! ```
//! The framing layer hands this module one record object at a time, whether it came from a log
//! file's `Records`, a bare array, JSON Lines, or `lookup-events` `Events`. The record itself may
//! be a CloudTrail event, an EventBridge envelope (`detail-type` "… via CloudTrail", event under
//! `detail`), or a `lookup-events` entry (`CloudTrailEvent` is the event as a JSON string). The
//! time comes from `eventTime`, else Logstash's `@timestamp`, else the envelope's time.
//! CloudTrail Insights records become account-level events named after the insight's API.

use crate::action;
use crate::event::{AccessEvent, AuthMethod, Format, PrincipalType, Span};
use crate::formats::{parse_ip, RecordCtx, Src};
use crate::json::{unescape_into, Cursor, JResult, RawStr};
use crate::skip::{Skip, SkipReason};
use crate::time::{parse_epoch_seconds, parse_rfc3339};

/// The parts of a `userIdentity` that decide who the principal is.
#[derive(Default, Clone, Copy)]
struct Identity {
    present: bool,
    typ: Option<RawStr>,
    arn: Option<RawStr>,
    account_id: Option<RawStr>,
    principal_id: Option<RawStr>,
    access_key_id: Option<RawStr>,
    user_name: Option<RawStr>,
    invoked_by: Option<RawStr>,
    issuer_arn: Option<RawStr>,
    mfa: Option<bool>,
    console: bool,
}

/// One CloudTrail event as positions into its buffer.
#[derive(Default, Clone, Copy)]
struct Record {
    event_time: Option<RawStr>,
    at_timestamp: Option<RawStr>,
    event_source: Option<RawStr>,
    event_name: Option<RawStr>,
    region: Option<RawStr>,
    source_ip: Option<RawStr>,
    user_agent: Option<RawStr>,
    error_code: Option<RawStr>,
    request_id: Option<RawStr>,
    event_id: Option<RawStr>,
    recipient_account: Option<RawStr>,
    event_type: Option<RawStr>,
    vpc_endpoint: Option<RawStr>,
    read_only: Option<bool>,
    identity: Identity,
    bucket: Option<RawStr>,
    key: Option<RawStr>,
    request: Option<(usize, usize)>,
    response: Option<(usize, usize)>,
    additional: Option<(usize, usize)>,
    resources: Option<(usize, usize)>,
    bytes_in: Option<u64>,
    bytes_out: Option<u64>,
    signature_version: Option<RawStr>,
    auth_method: Option<RawStr>,
    mfa_used: Option<bool>,
    console_login_failed: bool,
    insight_source: Option<RawStr>,
    insight_name: Option<RawStr>,
    /// EventBridge envelope: the event is under `detail`.
    detail: Option<(usize, usize)>,
    envelope_time: Option<RawStr>,
    envelope_account: Option<RawStr>,
    envelope_region: Option<RawStr>,
    /// lookup-events entry.
    cloudtrail_event: Option<RawStr>,
    lookup_time: Option<RawStr>,
    lookup_name: Option<RawStr>,
    lookup_source: Option<RawStr>,
    lookup_user: Option<RawStr>,
    lookup_key: Option<RawStr>,
}

/// Parses one record (CloudTrail event, EventBridge envelope or lookup-events entry).
pub fn parse_record(cur: &mut Cursor, ctx: &mut RecordCtx) -> JResult<Result<(), Skip>> {
    let mut r = Record::default();
    read_object(cur, &mut r)?;
    let src = Src::input(cur.b);
    if let Some(cte) = r.cloudtrail_event {
        return Ok(lookup_entry(&r, src, cte, ctx));
    }
    if let Some((start, _)) = r.detail {
        // EventBridge: the CloudTrail event sits under `detail`; the envelope's time, account
        // and region stand in where the event lacks them.
        let mut inner = Record::default();
        let mut c = Cursor::new(cur.b, start);
        read_object(&mut c, &mut inner)?;
        inner.envelope_time = r.envelope_time;
        inner.envelope_account = r.envelope_account;
        inner.envelope_region = r.envelope_region;
        return Ok(build(&inner, src, ctx));
    }
    Ok(build(&r, src, ctx))
}

/// A `lookup-events` entry: the event is a JSON string that has to be parsed a second time.
fn lookup_entry(outer: &Record, src: Src, cte: RawStr, ctx: &mut RecordCtx) -> Result<(), Skip> {
    let mut scratch = Vec::with_capacity((cte.end - cte.start) as usize);
    unescape_into(cte.raw(src.bytes), &mut scratch);
    let mut inner = Record::default();
    let mut c = Cursor::new(&scratch, 0);
    if c.peek() != Ok(b'{') || read_object(&mut c, &mut inner).is_err() {
        return Err(Skip::new(
            SkipReason::MalformedJson,
            "lookup-events CloudTrailEvent is not a JSON object",
        ));
    }
    // The wrapper's EventTime is in the outer buffer; resolve it to a time here.
    let inner_src = Src {
        bytes: &scratch,
        copy: true,
    };
    let fallback = outer.lookup_time.and_then(|t| {
        let raw = t.raw(src.bytes);
        parse_rfc3339(raw).or_else(|| parse_epoch_seconds(raw))
    });
    build_with(&inner, inner_src, ctx, fallback)
}

fn read_object(cur: &mut Cursor, r: &mut Record) -> JResult<()> {
    cur.object(|c, k| {
        match k {
            b"eventTime" => r.event_time = c.str_or_skip()?,
            b"eventSource" => r.event_source = c.str_or_skip()?,
            b"eventName" => r.event_name = c.str_or_skip()?,
            b"awsRegion" => r.region = c.str_or_skip()?,
            b"sourceIPAddress" => r.source_ip = c.str_or_skip()?,
            b"userAgent" => r.user_agent = c.str_or_skip()?,
            b"errorCode" => r.error_code = c.str_or_skip()?,
            b"requestID" => r.request_id = c.str_or_skip()?,
            b"eventID" => r.event_id = c.str_or_skip()?,
            b"recipientAccountId" => r.recipient_account = c.str_or_skip()?,
            b"eventType" => r.event_type = c.str_or_skip()?,
            b"vpcEndpointId" => r.vpc_endpoint = c.str_or_skip()?,
            b"readOnly" => r.read_only = c.bool_or_skip()?,
            b"userIdentity" => {
                r.identity.present =
                    c.object_or_skip(|c, k| identity_key(c, k, &mut r.identity))?;
            }
            b"requestParameters" => {
                c.ws();
                let start = c.i;
                c.object_or_skip(|c, k| {
                    match k {
                        b"bucketName" => r.bucket = c.str_or_skip()?,
                        b"key" => r.key = c.str_or_skip()?,
                        _ => c.skip()?,
                    }
                    Ok(())
                })?;
                r.request = Some((start, c.i));
            }
            b"responseElements" => {
                c.ws();
                let start = c.i;
                c.object_or_skip(|c, k| {
                    if k == b"ConsoleLogin" {
                        let v = c.str_or_skip()?;
                        r.console_login_failed =
                            v.is_some_and(|v| v.raw(c.b).eq_ignore_ascii_case(b"Failure"));
                        Ok(())
                    } else {
                        c.skip()
                    }
                })?;
                r.response = Some((start, c.i));
            }
            b"additionalEventData" => {
                c.ws();
                let start = c.i;
                c.object_or_skip(|c, k| {
                    match k {
                        b"bytesTransferredIn" => r.bytes_in = c.u64_or_skip()?,
                        b"bytesTransferredOut" => r.bytes_out = c.u64_or_skip()?,
                        b"SignatureVersion" => r.signature_version = c.str_or_skip()?,
                        b"AuthenticationMethod" => r.auth_method = c.str_or_skip()?,
                        b"MFAUsed" => {
                            r.mfa_used = c.str_or_skip()?.map(|v| v.raw(c.b) == b"Yes");
                        }
                        _ => c.skip()?,
                    }
                    Ok(())
                })?;
                r.additional = Some((start, c.i));
            }
            b"insightDetails" => {
                c.object_or_skip(|c, k| {
                    match k {
                        b"eventSource" => r.insight_source = c.str_or_skip()?,
                        b"eventName" => r.insight_name = c.str_or_skip()?,
                        _ => c.skip()?,
                    }
                    Ok(())
                })?;
            }
            b"resources" => {
                c.ws();
                let start = c.i;
                c.skip()?;
                r.resources = Some((start, c.i));
            }
            b"@timestamp" => r.at_timestamp = c.str_or_skip()?,
            // EventBridge envelope.
            b"detail" => {
                c.ws();
                let start = c.i;
                if c.object_or_skip(|c, _| c.skip())? {
                    r.detail = Some((start, c.i));
                }
            }
            b"time" => r.envelope_time = c.str_or_skip()?,
            b"account" => r.envelope_account = c.str_or_skip()?,
            b"region" => r.envelope_region = c.str_or_skip()?,
            // lookup-events entry.
            b"CloudTrailEvent" => r.cloudtrail_event = c.str_or_skip()?,
            b"EventTime" => r.lookup_time = c.scalar_or_skip()?,
            b"EventName" => r.lookup_name = c.str_or_skip()?,
            b"EventSource" => r.lookup_source = c.str_or_skip()?,
            b"Username" => r.lookup_user = c.str_or_skip()?,
            b"AccessKeyId" => r.lookup_key = c.str_or_skip()?,
            _ => c.skip()?,
        }
        Ok(())
    })
}

fn identity_key(c: &mut Cursor, k: &[u8], id: &mut Identity) -> JResult<()> {
    match k {
        b"type" => id.typ = c.str_or_skip()?,
        b"arn" => id.arn = c.str_or_skip()?,
        b"accountId" => id.account_id = c.str_or_skip()?,
        b"principalId" => id.principal_id = c.str_or_skip()?,
        b"accessKeyId" => id.access_key_id = c.str_or_skip()?,
        b"userName" => id.user_name = c.str_or_skip()?,
        b"invokedBy" => id.invoked_by = c.str_or_skip()?,
        b"sessionContext" => {
            c.object_or_skip(|c, k| match k {
                b"sessionIssuer" => c
                    .object_or_skip(|c, k| {
                        if k == b"arn" {
                            id.issuer_arn = c.str_or_skip()?;
                            Ok(())
                        } else {
                            c.skip()
                        }
                    })
                    .map(|_| ()),
                b"attributes" => c
                    .object_or_skip(|c, k| {
                        if k == b"mfaAuthenticated" {
                            id.mfa = c.bool_or_skip()?;
                            Ok(())
                        } else {
                            c.skip()
                        }
                    })
                    .map(|_| ()),
                b"sessionCredentialFromConsole" => {
                    id.console = c.bool_or_skip()? == Some(true);
                    Ok(())
                }
                _ => c.skip(),
            })?;
        }
        _ => c.skip()?,
    }
    Ok(())
}

fn build(r: &Record, src: Src, ctx: &mut RecordCtx) -> Result<(), Skip> {
    build_with(r, src, ctx, None)
}

fn event_time(r: &Record, src: Src) -> Option<i64> {
    for t in [r.event_time, r.at_timestamp, r.envelope_time]
        .into_iter()
        .flatten()
    {
        if let Some(v) = parse_rfc3339(t.raw(src.bytes)) {
            return Some(v);
        }
    }
    None
}

fn build_with(
    r: &Record,
    src: Src,
    ctx: &mut RecordCtx,
    fallback_time: Option<i64>,
) -> Result<(), Skip> {
    let Some(time) = event_time(r, src).or(fallback_time) else {
        let present = [
            ("eventTime", r.event_time),
            ("@timestamp", r.at_timestamp),
            ("time", r.envelope_time),
        ]
        .into_iter()
        .find_map(|(f, v)| v.map(|v| (f, v.raw(src.bytes))));
        return Err(match present {
            Some((field, raw)) => Skip::bad_time(field, raw),
            None => Skip::time(),
        });
    };
    let is_insight = r.insight_name.is_some() || src.raw(r.event_type) == b"AwsCloudTrailInsight";
    let (name, source) = if is_insight {
        (r.insight_name, r.insight_source)
    } else {
        (r.event_name, r.event_source)
    };
    if name.is_none() && source.is_none() && !r.identity.present {
        return Err(Skip::new(
            SkipReason::UnrecognisedRecord,
            "JSON object without eventName, eventSource or userIdentity: not a CloudTrail event",
        ));
    }
    let b = &mut *ctx.batch;
    let mut ev = AccessEvent {
        time,
        format_index: Format::AwsCloudtrail.index() as u8,
        insight: is_insight,
        network_activity: src.raw(r.event_type) == b"AwsVpceEvent",
        read_only: r.read_only,
        bytes_in: r.bytes_in,
        bytes_out: r.bytes_out,
        ..Default::default()
    };
    ev.action = src.str(b, name);
    ev.event_source = src.str(b, source);
    ev.action_class = action::aws(src.raw(source), src.raw(name));
    ev.region = src.str(b, r.region.or(r.envelope_region));
    ev.account = src.str(
        b,
        r.recipient_account
            .or(r.envelope_account)
            .or(r.identity.account_id),
    );
    ev.user_agent = src.str(b, r.user_agent);
    ev.request_id = src.str(b, r.request_id.or(r.event_id));
    ev.bucket = src.str(b, r.bucket);
    ev.object = src.str(b, r.key);
    ev.request = src.span(b, r.request);
    ev.response = src.span(b, r.additional.or(r.response));
    ev.resources = src.span(b, r.resources);
    ev.signature = src.str(b, r.signature_version);
    ev.vpc_endpoint = src.str(b, r.vpc_endpoint);
    if let Some(ip) = r.source_ip {
        match parse_ip(ip.raw(src.bytes)) {
            Some(addr) => ev.source_ip = Some(addr),
            None => ev.source_host = src.str(b, Some(ip)),
        }
    }
    if let Some(code) = r.error_code.filter(|c| !c.is_empty()) {
        ev.error = true;
        ev.status = src.str(b, Some(code));
    } else if r.console_login_failed {
        ev.error = true;
        ev.status = b.push_arena("ConsoleLoginFailure");
    }
    resolve_principal(r, src, &mut ev, b, is_insight);
    ev.auth = auth_method(r, src, &ev);
    ev.mfa = r.identity.mfa.or(r.mfa_used);
    ctx.push(ev);
    Ok(())
}

/// DESIGN.md "Who the principal is", AWS part.
fn resolve_principal(
    r: &Record,
    src: Src,
    ev: &mut AccessEvent,
    b: &mut crate::event::Batch,
    is_insight: bool,
) {
    let id = &r.identity;
    let raw = |x: Option<RawStr>| src.raw(x);
    ev.credential = src.str(b, id.access_key_id.or(r.lookup_key));
    let anonymous = raw(id.principal_id) == b"ANONYMOUS_PRINCIPAL"
        || raw(id.account_id) == b"ANONYMOUS_PRINCIPAL";
    if anonymous {
        set_const(ev, b, "anonymous", PrincipalType::Anonymous);
        return;
    }
    if !id.present {
        if is_insight {
            let acct = r.recipient_account.or(r.envelope_account);
            account_principal(ev, b, src, acct);
        } else if let Some(user) = r.lookup_user {
            ev.principal = src.str(b, Some(user));
            ev.principal_type = PrincipalType::User;
        } else if src.raw(r.event_source).starts_with(b"s3") {
            // A data event with no identity at all is an unauthenticated request.
            set_const(ev, b, "anonymous", PrincipalType::Anonymous);
        } else {
            account_principal(ev, b, src, r.recipient_account);
        }
        return;
    }
    let arn_or_name = |b: &mut crate::event::Batch| -> Span {
        let s = src.str(b, id.arn.filter(|a| !a.is_empty()));
        if s.is_empty() {
            src.str(b, id.user_name.or(id.principal_id))
        } else {
            s
        }
    };
    match raw(id.typ) {
        b"AssumedRole" => {
            ev.principal_type = PrincipalType::Role;
            if id.issuer_arn.is_some_and(|a| !a.is_empty()) {
                ev.principal = src.str(b, id.issuer_arn);
                ev.principal_detail = session_name(src, id.arn, b);
            } else if let Some((role_arn, session)) =
                id.arn.and_then(|a| role_from_session_arn(a.raw(src.bytes)))
            {
                ev.principal = b.push_arena(&role_arn);
                ev.principal_detail = b.push_arena(session);
            } else {
                ev.principal = arn_or_name(b);
            }
        }
        b"IAMUser" => {
            ev.principal_type = PrincipalType::User;
            ev.principal = arn_or_name(b);
        }
        b"Root" => {
            ev.principal_type = PrincipalType::Root;
            ev.principal = src.str(b, id.arn.filter(|a| !a.is_empty()));
            if ev.principal.is_empty() {
                let at = b.arena_start();
                b.arena_push_bytes(b"arn:aws:iam::");
                b.arena_push_bytes(raw(id.account_id.or(r.recipient_account)));
                b.arena_push_bytes(b":root");
                ev.principal = b.arena_finish(at);
            }
        }
        b"FederatedUser" | b"SAMLUser" | b"WebIdentityUser" | b"IdentityCenterUser" => {
            ev.principal_type = PrincipalType::Federated;
            ev.principal = arn_or_name(b);
        }
        b"AWSService" => {
            ev.principal_type = PrincipalType::Service;
            ev.principal = src.str(b, id.invoked_by);
            if ev.principal.is_empty() {
                ev.principal = b.push_arena("aws-service");
            }
        }
        b"AWSAccount" => {
            if id.arn.is_some_and(|a| !a.is_empty()) {
                ev.principal_type = PrincipalType::Account;
                ev.principal = src.str(b, id.arn);
            } else {
                account_principal(ev, b, src, id.account_id);
            }
        }
        _ => {
            if id.invoked_by.is_some() {
                ev.principal_type = PrincipalType::Service;
                ev.principal = src.str(b, id.invoked_by);
            } else if id.arn.is_some() || id.user_name.is_some() {
                ev.principal_type = PrincipalType::Unknown;
                ev.principal = arn_or_name(b);
            } else {
                account_principal(ev, b, src, id.account_id.or(r.recipient_account));
            }
        }
    }
    if ev.principal.is_empty() {
        account_principal(ev, b, src, id.account_id.or(r.recipient_account));
    }
}

fn set_const(ev: &mut AccessEvent, b: &mut crate::event::Batch, s: &str, t: PrincipalType) {
    ev.principal = b.push_arena(s);
    ev.principal_type = t;
}

fn account_principal(
    ev: &mut AccessEvent,
    b: &mut crate::event::Batch,
    src: Src,
    acct: Option<RawStr>,
) {
    let at = b.arena_start();
    b.arena_push_bytes(b"aws-account:");
    let a = src.raw(acct);
    b.arena_push_bytes(if a.is_empty() { b"unknown" } else { a });
    ev.principal = b.arena_finish(at);
    ev.principal_type = PrincipalType::Account;
}

fn session_name(src: Src, arn: Option<RawStr>, b: &mut crate::event::Batch) -> Span {
    let Some(a) = arn else { return Span::EMPTY };
    let raw = a.raw(src.bytes);
    if !raw.starts_with(b"arn:") || !raw.windows(13).any(|w| w == b":assumed-role") {
        return Span::EMPTY;
    }
    match memchr::memrchr(b'/', raw) {
        Some(p) if !a.escaped => b.span_of(
            src.bytes,
            src.copy,
            a.start as usize + p + 1,
            a.end as usize,
        ),
        _ => Span::EMPTY,
    }
}

/// `arn:aws:sts::123:assumed-role/Role/session` → (`arn:aws:iam::123:role/Role`, `session`).
/// The role's path is not in the session ARN, so the derived ARN lacks it; CloudTrail gives
/// `sessionIssuer.arn` where it can, and that is preferred.
pub fn role_from_session_arn(arn: &[u8]) -> Option<(String, &str)> {
    let s = std::str::from_utf8(arn).ok()?;
    let mut parts = s.splitn(6, ':');
    let (arn_, partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn_ != "arn" || service != "sts" {
        return None;
    }
    let rest = resource.strip_prefix("assumed-role/")?;
    let (role, session) = rest.rsplit_once('/')?;
    Some((
        format!("arn:{partition}:iam::{account}:role/{role}"),
        session,
    ))
}

fn auth_method(r: &Record, src: Src, ev: &AccessEvent) -> AuthMethod {
    if ev.principal_type == PrincipalType::Anonymous {
        return AuthMethod::Anonymous;
    }
    if ev.principal_type == PrincipalType::Service {
        return AuthMethod::Service;
    }
    if r.identity.console || src.raw(r.event_name) == b"ConsoleLogin" {
        return AuthMethod::Console;
    }
    match src.raw(r.auth_method) {
        b"QueryString" => AuthMethod::QueryString,
        b"AuthHeader" => AuthMethod::Signed,
        _ if r.signature_version.is_some() || r.identity.access_key_id.is_some() => {
            AuthMethod::Signed
        }
        _ => AuthMethod::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_from_session() {
        let (role, session) = role_from_session_arn(
            b"arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com",
        )
        .unwrap();
        assert_eq!(role, "arn:aws:iam::123456789012:role/Admin");
        assert_eq!(session, "alice@example.com");
        assert!(role_from_session_arn(b"arn:aws:iam::1:user/bob").is_none());
    }
}
