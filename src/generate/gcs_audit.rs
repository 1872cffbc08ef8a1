//! Cloud Audit Logs for Cloud Storage as a log sink exports them to a bucket: JSON Lines of
//! LogEntry objects, one file per log and hour,
//! `cloudaudit.googleapis.com/<data_access|activity>/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json`.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::generate::rng::Rng;
use crate::generate::text::{iso, tm, Obj, HOUR};
use crate::generate::{GcsEv, Sink, World};

pub const FORMAT: &str = "gcs_audit";

/// Admin Activity (bucket and IAM changes) versus Data Access (object reads and writes).
pub fn is_activity(method: &str) -> bool {
    matches!(
        method,
        "storage.setIamPermissions"
            | "storage.buckets.update"
            | "storage.buckets.create"
            | "storage.buckets.delete"
    )
}

fn permission(method: &str) -> &'static str {
    match method {
        "storage.objects.get" => "storage.objects.get",
        "storage.objects.list" => "storage.objects.list",
        "storage.objects.create" => "storage.objects.create",
        "storage.objects.delete" => "storage.objects.delete",
        "storage.setIamPermissions" => "storage.buckets.setIamPolicy",
        "storage.getIamPermissions" => "storage.buckets.getIamPolicy",
        _ => "storage.buckets.get",
    }
}

pub fn record(out: &mut String, w: &World, e: &GcsEv, rng: &mut Rng) {
    let log = if is_activity(e.method) {
        "activity"
    } else {
        "data_access"
    };
    let resource = if e.object.is_empty() {
        format!("projects/_/buckets/{}", e.bucket)
    } else {
        format!("projects/_/buckets/{}/objects/{}", e.bucket, e.object)
    };
    let received = e.t + rng.range(20_000_000, 400_000_000) as i64;
    let mut o = Obj::new(out);
    o.str(
        "insertId",
        &rng.from_alphabet(13, b"abcdefghijklmnopqrstuvwxyz0123456789"),
    )
    .str(
        "logName",
        &format!(
            "projects/{}/logs/cloudaudit.googleapis.com%2F{log}",
            w.gcs_project
        ),
    )
    .obj("protoPayload", |p| {
        p.str("@type", "type.googleapis.com/google.cloud.audit.AuditLog");
        p.obj("status", |s| {
            if e.denied {
                s.num("code", 7).str("message", "PERMISSION_DENIED");
            }
        });
        p.obj("authenticationInfo", |a| {
            if let Some(i) = e.who {
                a.str("principalEmail", &w.gcs_ids[i as usize]);
            }
        });
        p.obj("requestMetadata", |m| {
            m.str("callerIp", &e.ip.to_string())
                .str("callerSuppliedUserAgent", e.ua)
                .obj("requestAttributes", |r| {
                    r.str("time", &iso(e.t, 9)).obj("auth", |_| {});
                })
                .obj("destinationAttributes", |_| {});
        });
        p.str("serviceName", "storage.googleapis.com")
            .str("methodName", e.method)
            .arr("authorizationInfo", |a| {
                a.obj(|x| {
                    x.str("resource", &resource)
                        .str("permission", permission(e.method));
                    if !e.denied {
                        x.bool("granted", true);
                    }
                    x.obj("resourceAttributes", |_| {});
                });
            })
            .str("resourceName", &resource);
        if !e.deltas.is_empty() {
            p.obj("serviceData", |s| {
                s.str(
                    "@type",
                    "type.googleapis.com/google.iam.v1.logging.AuditData",
                )
                .obj("policyDelta", |d| {
                    d.arr("bindingDeltas", |a| {
                        for (action, role, member) in &e.deltas {
                            a.obj(|b| {
                                b.str("action", action)
                                    .str("role", role)
                                    .str("member", member);
                            });
                        }
                    });
                });
            });
        }
        p.obj("resourceLocation", |l| {
            l.arr("currentLocations", |a| a.str("us-central1"));
        });
    })
    .str("receiveTimestamp", &iso(received, 9))
    .obj("resource", |r| {
        r.str("type", "gcs_bucket").obj("labels", |l| {
            l.str("bucket_name", e.bucket)
                .str("location", "us-central1")
                .str("project_id", w.gcs_project);
        });
    })
    .str(
        "severity",
        if e.denied {
            "ERROR"
        } else if log == "activity" {
            "NOTICE"
        } else {
            "INFO"
        },
    )
    .str("timestamp", &iso(e.t, 9));
    o.end();
    out.push('\n');
}

pub fn write(w: &World, root: &Rng, sink: &mut Sink) -> Result<()> {
    let mut files: BTreeMap<(bool, i64), Vec<usize>> = BTreeMap::new();
    for (i, e) in w.gcs.iter().enumerate() {
        if e.t < w.start || e.t >= w.end() {
            continue;
        }
        files
            .entry((is_activity(e.method), e.t.div_euclid(HOUR)))
            .or_default()
            .push(i);
    }
    let mut rng = root.fork("gcs-writer");
    let mut text = String::new();
    for ((activity, hour), mut idx) in files {
        idx.sort_by_key(|&i| (w.gcs[i].t, i));
        text.clear();
        for &i in &idx {
            record(&mut text, w, &w.gcs[i], &mut rng);
        }
        let m = tm(hour * HOUR);
        let rel = format!(
            "gcs-audit-sink/cloudaudit.googleapis.com/{}/{:04}/{:02}/{:02}/{:02}:00:00_{:02}:59:59_S0.json",
            if activity { "activity" } else { "data_access" },
            m.year,
            m.month,
            m.day,
            m.hour,
            m.hour
        );
        sink.write(&rel, text.as_bytes(), FORMAT, idx.len() as u64)?;
    }
    Ok(())
}
