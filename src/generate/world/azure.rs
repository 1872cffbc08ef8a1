//! The Azure side of the benign world: Blob Storage users, SAS tokens, keys and Activity log.

#[allow(unused_imports)]
use super::*;

#[allow(clippy::too_many_arguments)]
pub fn az(
    t: i64,
    acct: u8,
    who: u16,
    ip: IpAddr,
    port: u16,
    ua: &'static str,
    op: &'static str,
    container: &'static str,
    blob: String,
    bytes: u64,
) -> AzEv {
    let (status, resp, req) = match op {
        "PutBlob" | "PutBlock" => (201, 0, bytes),
        "DeleteBlob" => (202, 0, 0),
        "GetBlob" => (200, bytes, 0),
        "ListBlobs" => (200, 4000 + bytes % 60_000, 0),
        _ => (200, 0, 0),
    };
    AzEv {
        t,
        acct,
        who,
        ip,
        port,
        ua,
        op,
        container,
        blob,
        status,
        status_text: "Success",
        resp_bytes: resp,
        req_bytes: req,
    }
}

fn az_blob_name(rng: &mut Rng, d: u32) -> String {
    format!(
        "{}/{:03}/{}.{}",
        rng.pick(&["invoices", "telemetry", "media", "exports"]),
        d,
        rng.hex(12, false),
        rng.pick(&["json", "csv", "parquet", "png"])
    )
}

pub(crate) fn azure_world(w: &mut World, root: &Rng) {
    let prod = w.az_account("acmeprodblobs");
    let legacy = w.az_account("acmelegacyfiles");
    let mut evs = Vec::new();
    // Staff with Entra ID accounts, local business hours.
    for (who, tz, ip, ua) in [
        (AZ_OLIVIA, 1, berlin_nat(), UA_AZ_PORTAL),
        (AZ_PETER, -5, ny_nat(), UA_AZ_NET),
    ] {
        let mut rng = root.fork(&format!("az-staff-{who}"));
        for d in 0..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            for _ in 0..rng.range(2, 5) {
                let mut t = local(&mut rng, w, d, tz, 9.0, 17.5);
                let port = rng.range(49152, 65535) as u16;
                evs.push(az(
                    t,
                    prod,
                    who,
                    ip,
                    port,
                    ua,
                    "ListBlobs",
                    "invoices",
                    String::new(),
                    rng.below(1000),
                ));
                for _ in 0..scaled(w, rng.around(10.0, 0.5) as f64, 1) {
                    t += jitter(&mut rng, 60);
                    let op = if rng.chance(0.8) {
                        "GetBlob"
                    } else {
                        "PutBlob"
                    };
                    let mut e = az(
                        t,
                        prod,
                        who,
                        ip,
                        port,
                        ua,
                        op,
                        "invoices",
                        az_blob_name(&mut rng, d),
                        rng.size(300_000.0, 1.0),
                    );
                    if op == "GetBlob" && rng.chance(0.01) {
                        e.status = 404;
                        e.status_text = "BlobNotFound";
                        e.resp_bytes = 215;
                    }
                    evs.push(e);
                }
            }
        }
        // Besides the routine (its own random stream): a file from a phone, one late.
        let mut rng = root.fork(&format!("noise/az-staff-{who}"));
        for (d, when, phone) in everyday_extras(&mut rng, w, 0, tz) {
            let blob = az_blob_name(&mut rng, d);
            let port = rng.range(49152, 65535) as u16;
            let bytes = rng.size(300_000.0, 1.0);
            let from = phone.unwrap_or(ip);
            evs.push(az(
                when, prod, who, from, port, ua, "GetBlob", "invoices", blob, bytes,
            ));
        }
    }
    // Ingest app (service principal): 02:00 UTC nightly writes and reads.
    let mut rng = root.fork("az-app");
    for d in 0..w.days {
        let ip = v4(20, 42, 73, rng.range(1, 250) as u8);
        let mut t = day(w, d) + 2 * HOUR + rng.below(900) as i64 * NS;
        for _ in 0..scaled(w, rng.around(600.0, 0.15) as f64, 3) {
            t += rng.range(500, 3500) as i64 * 1_000_000;
            let op = if rng.chance(0.6) {
                "PutBlob"
            } else {
                "GetBlob"
            };
            evs.push(az(
                t,
                prod,
                AZ_APP,
                ip,
                rng.range(1024, 65535) as u16,
                UA_AZ_PY,
                op,
                "telemetry",
                az_blob_name(&mut rng, d),
                rng.size(2_000_000.0, 0.6),
            ));
        }
        // Retention: telemetry older than 30 days is deleted after the load.
        for _ in 0..scaled(w, 25.0, 1) {
            t += jitter(&mut rng, 2);
            let old = az_blob_name(&mut rng, d.saturating_sub(30));
            let port = rng.range(1024, 65535) as u16;
            evs.push(az(
                t,
                prod,
                AZ_APP,
                ip,
                port,
                UA_AZ_PY,
                "DeleteBlob",
                "telemetry",
                old,
                0,
            ));
        }
    }
    // Partner integration with a SAS: weekday reads of the exports container, NY hours.
    let mut rng = root.fork("az-partner");
    for d in 0..w.days {
        if weekday(d) >= 5 {
            continue;
        }
        let mut t = local(&mut rng, w, d, -5, 10.0, 16.0);
        let ip = v4(64, 62, 142, 18);
        evs.push(az(
            t,
            prod,
            AZ_PARTNER_SAS,
            ip,
            rng.range(1024, 65535) as u16,
            UA_AZCOPY,
            "ListBlobs",
            "exports",
            String::new(),
            0,
        ));
        for _ in 0..scaled(w, rng.around(80.0, 0.3) as f64, 1) {
            t += jitter(&mut rng, 20);
            evs.push(az(
                t,
                prod,
                AZ_PARTNER_SAS,
                ip,
                rng.range(1024, 65535) as u16,
                UA_AZCOPY,
                "GetBlob",
                "exports",
                az_blob_name(&mut rng, d),
                rng.size(900_000.0, 0.7),
            ));
        }
    }
    // Legacy app with the account key: every day, a few reads and writes.
    let mut rng = root.fork("az-key");
    for d in 0..w.days {
        for _ in 0..scaled(w, rng.around(50.0, 0.3) as f64, 1) {
            let t = day(w, d) + rng.below(DAY as u64) as i64;
            let op = if rng.chance(0.5) {
                "GetBlob"
            } else {
                "PutBlob"
            };
            evs.push(az(
                t,
                prod,
                AZ_KEY1,
                v4(52, 168, 40, 7),
                rng.range(1024, 65535) as u16,
                UA_AZ_NET,
                op,
                "media",
                az_blob_name(&mut rng, d),
                rng.size(500_000.0, 1.0),
            ));
        }
        // The public container of the website, read anonymously.
        for _ in 0..scaled(w, 20.0, 1) {
            let t = day(w, d) + rng.below(DAY as u64) as i64;
            let ip = v4(
                rng.range(11, 223) as u8,
                rng.below(256) as u8,
                rng.below(256) as u8,
                rng.range(1, 255) as u8,
            );
            evs.push(az(
                t,
                prod,
                AZ_ANON,
                ip,
                rng.range(1024, 65535) as u16,
                UA_BROWSER,
                "GetBlob",
                "public",
                format!("img/{}.png", rng.hex(6, false)),
                rng.size(60_000.0, 0.8),
            ));
        }
    }
    // The classic account: a file share replacement used by SAS, key, OAuth and anonymous.
    let mut rng = root.fork("az-legacy");
    for d in 0..w.days {
        let weekend = weekday(d) >= 5;
        let n = scaled(w, if weekend { 60.0 } else { 280.0 }, 1);
        for _ in 0..n {
            let r = rng.f64();
            let (who, ip, ua) = if r < 0.45 {
                (AZ_LEGACY_KEY, v4(40, 113, 20, 5), UA_AZ_NET)
            } else if r < 0.75 {
                (AZ_LEGACY_SAS, v4(81, 169, 145, 20), UA_AZCOPY)
            } else if r < 0.95 {
                (AZ_OLIVIA, berlin_nat(), UA_AZ_PORTAL)
            } else {
                (
                    AZ_ANON,
                    v4(
                        rng.range(11, 223) as u8,
                        rng.below(256) as u8,
                        rng.below(256) as u8,
                        9,
                    ),
                    UA_BROWSER,
                )
            };
            let t = if who == AZ_OLIVIA {
                local(&mut rng, w, d, 1, 9.0, 17.5)
            } else {
                day(w, d) + rng.below(DAY as u64) as i64
            };
            let container = if who == AZ_ANON { "public" } else { "share" };
            let op = if who == AZ_ANON || rng.chance(0.7) {
                "GetBlob"
            } else {
                "PutBlob"
            };
            evs.push(az(
                t,
                legacy,
                who,
                ip,
                rng.range(1024, 65535) as u16,
                ua,
                op,
                container,
                az_blob_name(&mut rng, d),
                rng.size(400_000.0, 1.0),
            ));
        }
    }
    w.az.extend(evs);
    // Control plane: the admin lists keys through the portal now and then, and changes
    // settings in a change window.
    let mut rng = root.fork("az-activity");
    for d in (4..w.days).step_by(9) {
        let t = local(&mut rng, w, d, 1, 10.0, 16.0);
        w.az_act.push(AzActEv {
            t,
            acct: prod,
            who: AZ_OLIVIA,
            ip: berlin_nat(),
            op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION",
            sub: String::new(),
            body: None,
        });
    }
    w.az_act.push(AzActEv {
        t: day(w, 15) + 14 * HOUR + 30 * MINUTE,
        acct: prod,
        who: AZ_OLIVIA,
        ip: berlin_nat(),
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/BLOBSERVICES/CONTAINERS/WRITE",
        sub: "/blobServices/default/containers/archive".into(),
        body: Some(r#"{"properties":{"publicAccess":"None"}}"#.into()),
    });
    // Key rotation of the unused key2 (key1 stays in use by the legacy app).
    w.az_act.push(AzActEv {
        t: day(w, 15) + 14 * HOUR + 35 * MINUTE,
        acct: prod,
        who: AZ_OLIVIA,
        ip: berlin_nat(),
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
        sub: String::new(),
        body: Some(r#"{"keyName":"key2"}"#.into()),
    });
    w.az_act.push(AzActEv {
        t: day(w, 15) + 14 * HOUR + 41 * MINUTE,
        acct: legacy,
        who: AZ_OLIVIA,
        ip: berlin_nat(),
        op: "MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE",
        sub: String::new(),
        body: Some(
            r#"{"properties":{"minimumTlsVersion":"TLS1_2","allowBlobPublicAccess":true}}"#.into(),
        ),
    });
}
