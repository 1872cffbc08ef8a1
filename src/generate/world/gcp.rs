//! The Google Cloud side of the benign world: Cloud Storage users and pipelines.

#[allow(unused_imports)]
use super::*;

pub(crate) fn gcs_world(w: &mut World, root: &Rng) {
    let people: [(&str, i64, IpAddr, u32); 4] = [
        ("maria@acme.example", 1, berlin_nat(), 0),
        ("noah@acme.example", -5, ny_nat(), 0),
        (
            "yuki@acme.example",
            9,
            v6([0x2001, 0xdb8, 0x4a1, 0x20, 0, 0, 0, 0x44]),
            0,
        ),
        (
            "lena@acme.example",
            1,
            berlin_nat(),
            w.days.saturating_sub(5),
        ),
    ];
    let buckets = [
        "acme-analytics-raw",
        "acme-analytics-curated",
        "acme-ml-models",
    ];
    let mut evs = Vec::new();
    for (email, tz, ip, first) in people {
        let who = w.gcs_id(email);
        let mut rng = root.fork(email);
        for d in first..w.days {
            if weekday(d) >= 5 {
                continue;
            }
            let ua = if rng.chance(0.5) {
                UA_GCS_CONSOLE
            } else {
                UA_GSUTIL
            };
            for _ in 0..rng.range(2, 5) {
                let mut t = local(&mut rng, w, d, tz, 9.0, 17.5);
                let bucket = *rng.pick(&buckets);
                evs.push(gcs(
                    t,
                    Some(who),
                    ip,
                    ua,
                    "storage.objects.list",
                    bucket,
                    String::new(),
                ));
                for _ in 0..scaled(w, rng.around(10.0, 0.5) as f64, 1) {
                    t += jitter(&mut rng, 60);
                    let method = if rng.chance(0.85) {
                        "storage.objects.get"
                    } else {
                        "storage.objects.create"
                    };
                    let mut e = gcs(t, Some(who), ip, ua, method, bucket, gcs_key(&mut rng, d));
                    e.denied = rng.chance(0.01);
                    evs.push(e);
                }
            }
        }
        // Besides the routine (its own random stream): a file from a phone, one late.
        let mut rng = root.fork(&format!("noise/{email}"));
        for (d, when, phone) in everyday_extras(&mut rng, w, first, tz) {
            let bucket = *rng.pick(&buckets);
            let key = gcs_key(&mut rng, d);
            let from = phone.unwrap_or(ip);
            evs.push(gcs(
                when,
                Some(who),
                from,
                UA_GSUTIL,
                "storage.objects.get",
                bucket,
                key,
            ));
        }
    }
    // Dataflow ETL: 02:00 UTC nightly, a thousand objects.
    let sa = w.gcs_id("dataflow-etl@acme-analytics-prod.iam.gserviceaccount.com");
    let mut rng = root.fork("dataflow");
    for d in 0..w.days {
        let ip = v4(35, 190, 247, rng.range(1, 250) as u8);
        let mut t = day(w, d) + 2 * HOUR + rng.below(600) as i64 * NS;
        for _ in 0..5 {
            t += jitter(&mut rng, 2);
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_BEAM,
                "storage.objects.list",
                "acme-analytics-raw",
                String::new(),
            ));
        }
        for _ in 0..scaled(w, rng.around(700.0, 0.15) as f64, 5) {
            t += rng.range(300, 3000) as i64 * 1_000_000;
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_BEAM,
                "storage.objects.get",
                "acme-analytics-raw",
                gcs_key(&mut rng, d),
            ));
        }
        for _ in 0..scaled(w, 40.0, 1) {
            t += jitter(&mut rng, 5);
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_BEAM,
                "storage.objects.create",
                "acme-analytics-curated",
                gcs_key(&mut rng, d),
            ));
        }
    }
    // Backups at 01:30 UTC.
    let sa = w.gcs_id("gcs-backup@acme-analytics-prod.iam.gserviceaccount.com");
    let mut rng = root.fork("gcs-backup");
    for d in 0..w.days {
        let mut t = day(w, d) + HOUR + 30 * MINUTE + rng.below(300) as i64 * NS;
        for _ in 0..scaled(w, 100.0, 1) {
            t += jitter(&mut rng, 6);
            evs.push(gcs(
                t,
                Some(sa),
                v4(34, 72, 11, 9),
                UA_GCS_GO,
                "storage.objects.create",
                "acme-gcs-backups",
                format!(
                    "nightly/{}/{}",
                    &crate::generate::text::iso(day(w, d), 0)[..10],
                    rng.hex(16, false)
                ),
            ));
        }
    }
    // CI deploys of static assets, weekdays.
    let sa = w.gcs_id("ci-deployer@acme-analytics-prod.iam.gserviceaccount.com");
    let mut rng = root.fork("gcs-ci");
    for d in 0..w.days {
        if weekday(d) >= 5 {
            continue;
        }
        let mut t = local(&mut rng, w, d, 1, 10.0, 18.0);
        let ip = v4(
            34,
            rng.range(20, 140) as u8,
            rng.below(256) as u8,
            rng.range(1, 255) as u8,
        );
        for _ in 0..scaled(w, 25.0, 1) {
            t += jitter(&mut rng, 2);
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_GCS_GO,
                "storage.objects.list",
                "acme-web-static",
                String::new(),
            ));
        }
        for _ in 0..scaled(w, 30.0, 1) {
            t += jitter(&mut rng, 2);
            let m = if rng.chance(0.7) {
                "storage.objects.create"
            } else {
                "storage.objects.delete"
            };
            evs.push(gcs(
                t,
                Some(sa),
                ip,
                UA_GCS_GO,
                m,
                "acme-web-static",
                format!("assets/{}.js", rng.hex(10, false)),
            ));
        }
    }
    // Change window: the admin grants the new hire read access (a benign setIamPermissions).
    let admin = w.gcs_id("ops-admin@acme.example");
    let t = day(w, w.days.saturating_sub(5)) + 14 * HOUR + 20 * MINUTE;
    let mut e = gcs(
        t,
        Some(admin),
        berlin_nat(),
        UA_GCS_CONSOLE,
        "storage.setIamPermissions",
        "acme-analytics-curated",
        String::new(),
    );
    e.deltas = vec![(
        "ADD",
        "roles/storage.objectViewer",
        "user:lena@acme.example".to_string(),
    )];
    evs.push(e);
    for d in 0..w.days {
        if weekday(d) == 0 {
            let t = day(w, d) + 9 * HOUR;
            evs.push(gcs(
                t,
                Some(admin),
                berlin_nat(),
                UA_GCS_CONSOLE,
                "storage.getIamPermissions",
                "acme-analytics-curated",
                String::new(),
            ));
        }
    }
    w.gcs.extend(evs);
}

pub fn gcs(
    t: i64,
    who: Option<u16>,
    ip: IpAddr,
    ua: &'static str,
    method: &'static str,
    bucket: &'static str,
    object: String,
) -> GcsEv {
    GcsEv {
        t,
        who,
        ip,
        ua,
        method,
        bucket,
        object,
        denied: false,
        deltas: Vec::new(),
    }
}

pub fn gcs_key(rng: &mut Rng, d: u32) -> String {
    format!(
        "{}/day={:03}/{}-{:04}.avro",
        rng.pick(&["clickstream", "orders", "sensors", "features"]),
        d,
        rng.pick(&["shard", "batch", "chunk"]),
        rng.below(2000)
    )
}
