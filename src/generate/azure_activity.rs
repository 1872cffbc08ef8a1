//! Azure Activity log records of storage accounts, in the resource-log envelope diagnostic
//! settings archive them in: JSON Lines in
//! `insights-activity-logs/resourceId=/SUBSCRIPTIONS/<SUB>/y=…/m=…/d=…/h=…/m=00/PT1H.json`.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::generate::azure_blob_logs::account_id;
use crate::generate::rng::Rng;
use crate::generate::text::{iso, tm, Obj, HOUR, MINUTE};
use crate::generate::{AzActEv, AzWho, Sink, World};

pub const FORMAT: &str = "azure_activity";

pub fn record(out: &mut String, w: &World, e: &AzActEv, rng: &mut Rng) {
    let resource = format!("{}{}", account_id(w, e.acct), e.sub);
    let (oid, upn) = match &w.az_ids[e.who as usize] {
        AzWho::OAuth { oid, upn, .. } => (oid.clone(), upn.clone().unwrap_or_default()),
        // Only Entra identities act on the control plane.
        _ => (String::new(), String::new()),
    };
    let name = upn.split('@').next().unwrap_or("").to_string();
    let unix = |t: i64| (t / 1_000_000_000).to_string();
    let mut o = Obj::new(out);
    o.str("time", &iso(e.t, 7))
        .str("resourceId", &resource.to_ascii_uppercase())
        .str("operationName", e.op)
        .str("category", "Administrative")
        .str("resultType", "Success")
        .str("resultSignature", "Succeeded.OK")
        .str("durationMs", &(80 + rng.below(400)).to_string())
        .str("callerIpAddress", &e.ip.to_string())
        .str("correlationId", &rng.uuid())
        .obj("identity", |i| {
            i.obj("authorization", |a| {
                a.str("scope", &resource)
                    .str(
                        "action",
                        &e.op
                            .to_ascii_lowercase()
                            .replace("microsoft.storage", "Microsoft.Storage")
                            .replace("microsoft.insights", "Microsoft.Insights"),
                    )
                    .obj("evidence", |v| {
                        v.str("role", "Owner")
                            .str(
                                "roleAssignmentScope",
                                &format!("/subscriptions/{}", w.subscription),
                            )
                            .str("roleAssignmentId", &rng.hex(32, false))
                            .str("roleDefinitionId", "8e3af657a8ff443ca75c2fe8c4bcb635")
                            .str("principalId", &oid.replace('-', ""))
                            .str("principalType", "User");
                    });
            })
            .obj("claims", |c| {
                c.str("aud", "https://management.core.windows.net/")
                    .str("iss", &format!("https://sts.windows.net/{}/", w.tenant))
                    .str("iat", &unix(e.t - 20 * MINUTE))
                    .str("nbf", &unix(e.t - 20 * MINUTE))
                    .str("exp", &unix(e.t + 55 * MINUTE))
                    .str(
                        "http://schemas.microsoft.com/claims/authnclassreference",
                        "1",
                    )
                    .str("aio", &rng.alnum(56))
                    .str(
                        "http://schemas.microsoft.com/claims/authnmethodsreferences",
                        "pwd,mfa",
                    )
                    .str("appid", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c")
                    .str("appidacr", "2")
                    .str(
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                        &name,
                    )
                    .str(
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                        &name,
                    )
                    .str("ipaddr", &e.ip.to_string())
                    .str("name", &name)
                    .str(
                        "http://schemas.microsoft.com/identity/claims/objectidentifier",
                        &oid,
                    )
                    .str("puid", &rng.hex(16, true))
                    .str(
                        "http://schemas.microsoft.com/identity/claims/scope",
                        "user_impersonation",
                    )
                    .str(
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
                        &rng.alnum(43),
                    )
                    .str(
                        "http://schemas.microsoft.com/identity/claims/tenantid",
                        w.tenant,
                    )
                    .str(
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                        &upn,
                    )
                    .str(
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                        &upn,
                    )
                    .str("uti", &rng.alnum(22))
                    .str("ver", "1.0");
            });
        })
        .str("level", "Information")
        .str("location", "global")
        .obj("properties", |p| {
            p.str("statusCode", "OK")
                .str("serviceRequestId", &rng.uuid())
                .str("eventCategory", "Administrative")
                .str("entity", &resource)
                .str("message", e.op)
                .str("hierarchy", &format!("{}/{}", w.tenant, w.subscription));
            if let Some(body) = &e.body {
                p.str("requestbody", body);
            }
        })
        .str("tenantId", w.tenant);
    o.end();
    out.push('\n');
}

pub fn write(w: &World, root: &Rng, sink: &mut Sink) -> Result<()> {
    let mut files: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, e) in w.az_act.iter().enumerate() {
        if e.t >= w.start && e.t < w.end() {
            files.entry(e.t.div_euclid(HOUR)).or_default().push(i);
        }
    }
    let mut rng = root.fork("azure-activity-writer");
    let mut text = String::new();
    for (hour, mut idx) in files {
        idx.sort_by_key(|&i| (w.az_act[i].t, i));
        text.clear();
        for &i in &idx {
            record(&mut text, w, &w.az_act[i], &mut rng);
        }
        let m = tm(hour * HOUR);
        let rel = format!(
            "insights-activity-logs/resourceId=/SUBSCRIPTIONS/{}/y={:04}/m={:02}/d={:02}/h={:02}/m=00/PT1H.json",
            w.subscription.to_ascii_uppercase(),
            m.year,
            m.month,
            m.day,
            m.hour
        );
        sink.write(&rel, text.as_bytes(), FORMAT, idx.len() as u64)?;
    }
    Ok(())
}
