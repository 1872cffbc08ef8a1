//! Classic Azure Storage Analytics logs, version 2.0: `;`-separated lines, quoted and
//! HTML-encoded fields, in `$logs/blob/YYYY/MM/DD/hhmm/000000.log` (one blob per hour).

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::Result;

use crate::generate::azure_blob_logs::sas_query;
use crate::generate::rng::Rng;
use crate::generate::text::{iso, rfc850, tm, HOUR};
use crate::generate::{AzEv, AzWho, Sink, World};

pub const FORMAT: &str = "azure_storage_analytics";

/// A quoted field, HTML-encoded as Storage Analytics writes it.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('&', "&amp;").replace('"', "&quot;"))
}

/// The `sig` a SAS identity signs its URLs with (Analytics logs keep it; resource logs do not).
pub fn sas_sig(hash: &str) -> String {
    let hex = hash.rsplit('(').next().unwrap_or("").trim_end_matches(')');
    format!("{}%3D", &hex[..hex.len().min(43)])
}

pub fn line(out: &mut String, w: &World, e: &AzEv, rng: &mut Rng) {
    let a = &w.az_accounts[e.acct as usize];
    let who = &w.az_ids[e.who as usize];
    let (auth, status, requester) = match who {
        AzWho::Sas(_) => ("sas", "SASSuccess", ""),
        AzWho::Key(_) => ("authenticated", "Success", a.name),
        AzWho::OAuth { .. } => ("bearer", "Success", ""),
        AzWho::Anonymous => ("anonymous", "AnonymousSuccess", ""),
    };
    let status = if e.status >= 400 {
        "ClientOtherError"
    } else {
        status
    };
    let mut url = format!(
        "https://{}.blob.core.windows.net:443/{}/{}",
        a.name, e.container, e.blob
    );
    if let AzWho::Sas(h) = who {
        let query = sas_query(e.t).replace("XXXXX", &sas_sig(h));
        let _ = write!(url, "?{query}&timeout=901");
    }
    let key = format!("/{}/{}/{}", a.name, e.container, e.blob);
    let server = 2 + rng.below(40);
    let oauth = match who {
        AzWho::OAuth { oid, upn, app } => format!(
            "{oid};{};{};https://storage.azure.com;https://sts.windows.net/{}/;{};;",
            w.tenant,
            app.clone().unwrap_or_default(),
            w.tenant,
            upn.clone().unwrap_or_default()
        ),
        _ => ";;;;;;;".to_string(),
    };
    let etag = format!("&quot;0x8DC{}&quot;", rng.hex(12, true));
    let _ = writeln!(
        out,
        "2.0;{time};{op};{status};{http};{e2e};{server};{auth};{requester};{owner};blob;{url};{key};{rid};0;{ip}:{port};2021-08-06;{reqh};{reqp};{resh};{resp};{clen};;;\"{etag}\";{lm};;{ua};;{crid};{oauth}",
        time = iso(e.t, 7),
        op = e.op,
        http = e.status,
        e2e = server + rng.below(30),
        owner = a.name,
        url = q(&url),
        key = q(&key),
        rid = rng.uuid(),
        ip = e.ip,
        port = e.port,
        reqh = 500 + rng.below(400),
        reqp = 500 + e.req_bytes,
        resh = 250 + rng.below(200),
        resp = 250 + e.resp_bytes,
        clen = e.req_bytes,
        lm = rfc850(e.t - rng.range(60, 86_400 * 20) as i64 * 1_000_000_000),
        ua = q(e.ua),
        crid = q(&rng.uuid()),
    );
}

pub fn write(w: &World, root: &Rng, sink: &mut Sink) -> Result<()> {
    let mut files: BTreeMap<(u8, i64), Vec<usize>> = BTreeMap::new();
    for (i, e) in w.az.iter().enumerate() {
        if e.t >= w.start && e.t < w.end() && w.az_accounts[e.acct as usize].classic {
            files
                .entry((e.acct, e.t.div_euclid(HOUR)))
                .or_default()
                .push(i);
        }
    }
    let mut rng = root.fork("azure-analytics-writer");
    let mut text = String::new();
    for ((acct, hour), mut idx) in files {
        idx.sort_by_key(|&i| (w.az[i].t, i));
        text.clear();
        for &i in &idx {
            line(&mut text, w, &w.az[i], &mut rng);
        }
        let m = tm(hour * HOUR);
        let rel = format!(
            "{}/$logs/blob/{:04}/{:02}/{:02}/{:02}00/000000.log",
            w.az_accounts[acct as usize].name, m.year, m.month, m.day, m.hour
        );
        sink.write(&rel, text.as_bytes(), FORMAT, idx.len() as u64)?;
    }
    Ok(())
}
