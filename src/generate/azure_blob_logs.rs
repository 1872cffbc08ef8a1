//! Azure Monitor `StorageBlobLogs` resource logs as diagnostic settings archive them: JSON
//! Lines in `insights-logs-<category>/resourceId=/SUBSCRIPTIONS/…/BLOBSERVICES/DEFAULT/y=…/m=…/d=…/h=…/m=00/PT1H.json`.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::generate::rng::Rng;
use crate::generate::text::{iso, tm, Obj, HOUR};
use crate::generate::{AzEv, AzWho, Sink, World};

pub const FORMAT: &str = "azure_blob_logs";

pub fn category(op: &str) -> &'static str {
    match op {
        "PutBlob" | "PutBlock" | "PutBlockList" | "SetBlobMetadata" => "StorageWrite",
        "DeleteBlob" | "DeleteContainer" => "StorageDelete",
        _ => "StorageRead",
    }
}

fn rbac_action(op: &str) -> &'static str {
    match category(op) {
        "StorageWrite" => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
        "StorageDelete" => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
        _ => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    }
}

/// `/subscriptions/…/storageAccounts/<acct>` (the casing Azure uses inside records).
pub fn account_id(w: &World, acct: u8) -> String {
    let a = &w.az_accounts[acct as usize];
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
        w.subscription, a.group, a.name
    )
}

/// The SAS query Azure logs (the signature itself is redacted as `XXXXX`).
pub fn sas_query(t: i64) -> String {
    let day = &iso(t - t.rem_euclid(crate::generate::text::DAY), 0)[..10];
    format!("sv=2022-11-02&ss=b&srt=co&sp=rl&se={day}T23%3A59%3A59Z&st={day}T00%3A00%3A00Z&spr=https&sig=XXXXX")
}

pub fn record(out: &mut String, w: &World, e: &AzEv, rng: &mut Rng) {
    let a = &w.az_accounts[e.acct as usize];
    let who = &w.az_ids[e.who as usize];
    let object_key = if e.blob.is_empty() {
        format!("/{}/{}", a.name, e.container)
    } else {
        format!("/{}/{}/{}", a.name, e.container, e.blob)
    };
    let mut uri = if e.blob.is_empty() {
        format!(
            "https://{}.blob.core.windows.net/{}?restype=container&comp=list",
            a.name, e.container
        )
    } else {
        format!(
            "https://{}.blob.core.windows.net/{}/{}",
            a.name, e.container, e.blob
        )
    };
    if matches!(who, AzWho::Sas(_)) {
        uri.push(if uri.contains('?') { '&' } else { '?' });
        uri.push_str(&sas_query(e.t));
    }
    let server = 2 + rng.below(30) + e.resp_bytes / 4_000_000;
    let ok = e.status < 400;
    let mut o = Obj::new(out);
    o.str("time", &iso(e.t, 7))
        .str(
            "resourceId",
            &format!("{}/blobServices/default", account_id(w, e.acct)),
        )
        .str("category", category(e.op))
        .str("operationName", e.op)
        .str("operationVersion", "2023-11-03")
        .str("schemaVersion", "1.0")
        .num("statusCode", u64::from(e.status))
        .str("statusText", e.status_text)
        .num("durationMs", server + rng.below(20))
        .str("callerIpAddress", &format!("{}:{}", e.ip, e.port))
        .str("correlationId", &rng.uuid())
        .obj("identity", |i| match who {
            AzWho::OAuth { oid, upn, app } => {
                i.str("type", "OAuth")
                    .str("tokenHash", "")
                    .arr("authorization", |arr| {
                        arr.obj(|x| {
                            x.str("action", rbac_action(e.op))
                                .str("roleAssignmentId", &rng.uuid())
                                .str("roleDefinitionId", "ba92f5b4-2d11-453d-a403-e96b0029c9fe")
                                .arr("principals", |p| {
                                    p.obj(|q| {
                                        q.str("id", oid).str(
                                            "type",
                                            if upn.is_some() {
                                                "User"
                                            } else {
                                                "ServicePrincipal"
                                            },
                                        );
                                    });
                                })
                                .str("denyAssignmentId", "")
                                .str("type", "RBAC")
                                .str("result", "Granted")
                                .str("reason", "MatchedAllowAction");
                        });
                    });
                i.obj("requester", |r| {
                    if let Some(app) = app {
                        r.str("appId", app);
                    }
                    r.str("audience", "https://storage.azure.com/")
                        .str("objectId", oid)
                        .str("tenantId", w.tenant)
                        .str(
                            "tokenIssuer",
                            &format!("https://sts.windows.net/{}/", w.tenant),
                        );
                    if let Some(upn) = upn {
                        r.str("upn", upn);
                    }
                });
            }
            AzWho::Sas(h) => {
                i.str("type", "SAS").str("tokenHash", h);
            }
            AzWho::Key(h) => {
                i.str("type", "AccountKey").str("tokenHash", h);
            }
            AzWho::Anonymous => {
                i.str("type", "Anonymous");
            }
        })
        .str("location", a.location)
        .obj("properties", |p| {
            p.str("accountName", a.name)
                .str("userAgentHeader", e.ua)
                .str("clientRequestId", &rng.uuid());
            if !e.blob.is_empty() && ok {
                p.str("etag", &format!("0x8DC{}", rng.hex(12, true)));
            }
            p.str("serviceType", "blob").str("objectKey", &object_key);
            if !e.blob.is_empty() && ok {
                let m = tm(e.t - rng.range(60, 86_400 * 30) as i64 * 1_000_000_000);
                p.str(
                    "lastModifiedTime",
                    &format!(
                        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}.{:07}",
                        m.year,
                        m.month,
                        m.day,
                        m.hour,
                        m.min,
                        m.sec,
                        m.nanos / 100
                    ),
                );
            }
            p.str(
                "metricResponseType",
                if ok { "Success" } else { "ClientOtherError" },
            )
            .num("serverLatencyMs", server)
            .num("requestHeaderSize", 900 + rng.below(600))
            .num("responseHeaderSize", 300 + rng.below(200))
            .num("responseBodySize", e.resp_bytes)
            .num("requestBodySize", e.req_bytes)
            .num("contentLengthHeader", e.req_bytes)
            .str("tlsVersion", "TLS 1.2")
            .str("accessTier", "Hot");
        })
        .str("uri", &uri)
        .str("protocol", "HTTPS")
        .str(
            "resourceType",
            "Microsoft.Storage/storageAccounts/blobServices",
        );
    o.end();
    out.push('\n');
}

pub fn write(w: &World, root: &Rng, sink: &mut Sink) -> Result<()> {
    let mut files: BTreeMap<(u8, &str, i64), Vec<usize>> = BTreeMap::new();
    for (i, e) in w.az.iter().enumerate() {
        if e.t < w.start || e.t >= w.end() || w.az_accounts[e.acct as usize].classic {
            continue;
        }
        files
            .entry((e.acct, category(e.op), e.t.div_euclid(HOUR)))
            .or_default()
            .push(i);
    }
    let mut rng = root.fork("azure-blob-writer");
    let mut text = String::new();
    for ((acct, cat, hour), mut idx) in files {
        idx.sort_by_key(|&i| (w.az[i].t, i));
        text.clear();
        for &i in &idx {
            record(&mut text, w, &w.az[i], &mut rng);
        }
        let m = tm(hour * HOUR);
        let rel = format!(
            "insights-logs-{}/resourceId={}/BLOBSERVICES/DEFAULT/y={:04}/m={:02}/d={:02}/h={:02}/m=00/PT1H.json",
            cat.to_ascii_lowercase(),
            account_id(w, acct).to_ascii_uppercase(),
            m.year,
            m.month,
            m.day,
            m.hour
        );
        sink.write(&rel, text.as_bytes(), FORMAT, idx.len() as u64)?;
    }
    Ok(())
}
