//! `--format html`: one self-contained page (no script, no external resource) with the ranked
//! incidents and their narratives, next steps and queries, a timeline of each incident, the
//! findings with their evidence, and the run summary.
//!
//! Every value from the logs passes through [`esc`] before it reaches the page: user agents,
//! object keys and principal names are written by whoever made the requests.

use std::fmt::Write as _;

use crate::catalogue::Severity;
use crate::correlate::Incident;
use crate::detect::finding::Finding;
use crate::pipeline::ScanOutput;
use crate::summary::Summary;
use crate::time::NANOS_PER_HOUR;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str(&format!("&#x{:x};", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn sev_class(s: Severity) -> &'static str {
    s.as_str()
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c5cbd6}
main{padding:20px 28px;max-width:1280px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px 20px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 10px}h3{font-size:15px;margin:0 0 6px}
.sev{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;text-transform:uppercase}
.critical{background:#b3001b}.high{background:#d9480f}.medium{background:#e8a317;color:#1d2430}.low{background:#5c7cfa}.info{background:#868e96}
.incident{border-left:5px solid #b3001b;padding-left:14px;margin:14px 0}
.incident.high{border-left-color:#d9480f;background:none}.incident.medium{border-left-color:#e8a317;background:none}.incident.critical{background:none}
.meta{color:#5c6470;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#f1f3f6;font-weight:600}td.wrap{word-break:break-all}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f6;border-radius:4px}
pre{padding:8px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
details summary{cursor:pointer;color:#364fc7}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
svg text{font:11px system-ui,sans-serif;fill:#1d2430}
"#;

/// Renders the whole report.
pub fn render(out: &ScanOutput, summary: &Summary) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>trailhound report</title><style>{STYLE}</style></head><body>"
    );
    let range = match summary.time_range.as_slice() {
        [a, b] => format!("{} to {}", esc(a), esc(b)),
        _ => "no events".to_string(),
    };
    let _ = write!(
        h,
        "<header><h1>trailhound report</h1><p>{} events from {} files, {} principals, {range}; {} incidents, {} findings of medium or above</p></header><main>",
        summary.events,
        summary.files,
        summary.principals,
        out.incidents.len(),
        out.findings.iter().filter(|f| f.severity >= Severity::Medium).count()
    );
    incidents(&mut h, out);
    principals(&mut h, out);
    addresses(&mut h, out);
    findings(&mut h, out);
    summary_section(&mut h, summary);
    h.push_str("</main></body></html>\n");
    h
}

fn incidents(h: &mut String, out: &ScanOutput) {
    h.push_str("<section id=\"incidents\"><h2>Incidents, most severe first</h2>");
    if out.incidents.is_empty() {
        h.push_str("<p>No incidents.</p>");
    }
    for (n, i) in out.incidents.iter().enumerate() {
        let _ = write!(
            h,
            "<div class=\"incident {}\" id=\"{}\"><h3>#{} <span class=\"sev {}\">{}</span> score {} &middot; {}</h3><p class=\"meta\">{} &ndash; {} &middot; tactics: {} &middot; ATT&amp;CK: {}</p><p>{}</p>",
            sev_class(i.severity),
            esc(&i.id),
            n + 1,
            sev_class(i.severity),
            i.severity.as_str(),
            i.score,
            esc(&i.principal),
            esc(&i.first_seen),
            esc(&i.last_seen),
            esc(&i.tactics.join(" → ")),
            esc(&i.mitre.join(", ")),
            esc(&i.narrative)
        );
        habit(h, i, out);
        timeline(h, i, out);
        h.push_str("<h3>Next steps</h3><ol>");
        for s in &i.next_steps {
            let _ = write!(h, "<li>{}</li>", esc(s));
        }
        h.push_str("</ol>");
        for (name, q) in [
            ("Athena SQL (CloudTrail table)", &i.queries.athena_sql),
            ("BigQuery SQL (audit log sink)", &i.queries.bigquery_sql),
            ("KQL (StorageBlobLogs)", &i.queries.kql),
        ] {
            if let Some(q) = q {
                let _ = write!(
                    h,
                    "<details><summary>{name}</summary><pre>{}</pre></details>",
                    esc(q)
                );
            }
        }
        h.push_str("</div>");
    }
    h.push_str("</section>");
}

/// The principal's habit beside the incident: a heat map of the hours of the week it is
/// active (days per hour, UTC) with the incident's hours outlined, and its requests per hour
/// over its last week against the upper edge of its normal band, with the hours where new
/// addresses, countries or impossible travel began marked.
fn habit(h: &mut String, i: &Incident, out: &ScanOutput) {
    let Some(habit) = out.habits.get(&i.principal) else {
        return;
    };
    let hour_of =
        |t: &str| crate::time::parse_rfc3339(t.as_bytes()).map(|n| n.div_euclid(NANOS_PER_HOUR));
    let (Some(h0), Some(h1)) = (hour_of(&i.first_seen), hour_of(&i.last_seen)) else {
        return;
    };
    let mut touched = [false; 168];
    for hr in h0..=h1.min(h0 + 167) {
        touched[crate::detect::baseline::hour_of_week(hr)] = true;
    }
    heat_map(h, &habit.week, &touched);
    volume_chart(h, habit, i, out, (h0, h1));
}

use crate::time::WEEKDAYS as DAYS;

fn heat_map(h: &mut String, week: &[u16], touched: &[bool; 168]) {
    let max = week.iter().copied().max().unwrap_or(0).max(1) as f64;
    h.push_str(r#"<p class="meta">Usual hours of this principal: days active per hour of the week (UTC), the incident's hours outlined</p>"#);
    h.push_str(r#"<svg class="heat" role="img" aria-label="hour-of-week heat map" width="100%" viewBox="0 0 900 150" preserveAspectRatio="xMinYMin meet">"#);
    for (slot, &d) in week.iter().enumerate().take(168) {
        let (day, hr) = (slot / 24, slot % 24);
        let (x, y) = (44 + hr * 35, 2 + day * 18);
        let stroke = if touched[slot] {
            r##"stroke="#b00020" stroke-width="2.5""##
        } else {
            r##"stroke="#e3e8f0" stroke-width="1""##
        };
        let _ = write!(
            h,
            r##"<rect x="{x}" y="{y}" width="34" height="17" fill="#3b6fd8" fill-opacity="{:.2}" {stroke}><title>{} {hr:02}:00 UTC: active on {d} day(s)</title></rect>"##,
            if d == 0 {
                0.03
            } else {
                0.15 + 0.85 * d as f64 / max
            },
            DAYS[day]
        );
    }
    for (day, name) in DAYS.iter().enumerate() {
        let _ = write!(
            h,
            r##"<text x="38" y="{}" font-size="11" text-anchor="end" fill="#555">{name}</text>"##,
            14 + day * 18
        );
    }
    for hr in (0..24).step_by(2) {
        let _ = write!(
            h,
            r##"<text x="{}" y="144" font-size="11" text-anchor="middle" fill="#555">{hr:02}</text>"##,
            44 + hr * 35 + 17
        );
    }
    h.push_str("</svg>");
}

fn volume_chart(
    h: &mut String,
    habit: &crate::detect::baseline::Habit,
    i: &Incident,
    out: &ScanOutput,
    (h0, h1): (i64, i64),
) {
    let Some(&(last, _, _)) = habit.hours.last() else {
        return;
    };
    let end = last.max(h1);
    let start = end - 167;
    let max = habit
        .hours
        .iter()
        .map(|&(_, n, _)| n as f64)
        .chain(habit.band.iter().copied())
        .fold(1.0, f64::max);
    // Log scale: an incident hour is often a hundred times the usual one.
    let (left, top, height, width) = (44.0, 6.0, 120.0, 5.0);
    let y = |v: f64| top + height - (1.0 + v).log10() / (1.0 + max).log10() * height;
    let x = |hr: i64| left + (hr - start) as f64 * width;
    h.push_str(r#"<p class="meta">Requests per hour over the principal's last week (log scale; UTC) against the upper edge of its usual band for that hour (line); incident hours in red, flagged hours in orange, ▼ where a new address, country or impossible travel began</p>"#);
    h.push_str(r#"<svg class="volume" role="img" aria-label="hourly requests against the baseline band" width="100%" viewBox="0 0 900 170" preserveAspectRatio="xMinYMin meet">"#);
    let _ = write!(
        h,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-width="1"/>"##,
        top + height,
        x(end + 1),
        top + height
    );
    for &(hr, n, flagged) in habit.hours.iter().filter(|r| r.0 >= start) {
        let colour = if hr >= h0 && hr <= h1 {
            "#b00020"
        } else if flagged {
            "#e8590c"
        } else {
            "#3b6fd8"
        };
        let top_y = y(n as f64);
        let _ = write!(
            h,
            r##"<rect x="{:.1}" y="{top_y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: {n} requests; usual up to {:.0}</title></rect>"##,
            x(hr),
            width - 0.5,
            top + height - top_y,
            esc(crate::text::prefix(
                &crate::time::rfc3339(hr * NANOS_PER_HOUR),
                16
            )),
            habit.band[hr.rem_euclid(24) as usize]
        );
    }
    let mut band = String::new();
    for hr in start..=end {
        let v = y(habit.band[hr.rem_euclid(24) as usize]);
        let _ = write!(band, "{:.1},{v:.1} {:.1},{v:.1} ", x(hr), x(hr + 1));
    }
    let _ = write!(
        h,
        r##"<polyline points="{band}" fill="none" stroke="#2b8a3e" stroke-width="1.5"><title>usual band (upper edge)</title></polyline>"##
    );
    for f in out.findings.iter().filter(|f| {
        i.findings.contains(&f.id)
            && matches!(
                f.rule.as_str(),
                "baseline.new_source_ip" | "baseline.new_country" | "baseline.impossible_travel"
            )
    }) {
        let hr = f.first_ns.div_euclid(NANOS_PER_HOUR);
        if hr < start || hr > end {
            continue;
        }
        let cx = x(hr) + width / 2.0;
        let _ = write!(
            h,
            r##"<path d="M{:.1} {top} l-5 -6 h10 z" transform="translate(0 6)" fill="#b00020"><title>{}</title></path>"##,
            cx,
            esc(&f.title)
        );
    }
    for d in 0..=7 {
        let hr = (start + d * 24).div_euclid(24) * 24;
        if hr < start {
            continue;
        }
        let _ = write!(
            h,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#555">{}</text>"##,
            x(hr),
            top + height + 16.0,
            esc(crate::text::slice(
                &crate::time::rfc3339(hr * NANOS_PER_HOUR),
                5,
                10
            ))
        );
    }
    h.push_str("</svg>");
}

/// An SVG timeline of an incident's findings: one row per finding, a bar from first to last
/// seen, coloured by severity.
fn timeline(h: &mut String, i: &Incident, out: &ScanOutput) {
    let members: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| i.findings.contains(&f.id))
        .collect();
    if members.is_empty() {
        return;
    }
    let start = members.iter().map(|f| f.first_ns).min().unwrap_or(0);
    let end = members
        .iter()
        .map(|f| f.last_ns)
        .max()
        .unwrap_or(start)
        .max(start + 60_000_000_000);
    let (w, left, row) = (900.0, 300.0, 20.0);
    let height = row * members.len() as f64 + 24.0;
    let x = |t: i64| left + (t - start) as f64 / (end - start) as f64 * (w - left - 10.0);
    let _ = write!(h, "<svg role=\"img\" aria-label=\"timeline\" width=\"100%\" viewBox=\"0 0 {w} {height}\" preserveAspectRatio=\"xMinYMin meet\">");
    for (n, f) in members.iter().enumerate() {
        let y = n as f64 * row + 4.0;
        let colour = match f.severity {
            Severity::Critical => "#b3001b",
            Severity::High => "#d9480f",
            Severity::Medium => "#e8a317",
            Severity::Low => "#5c7cfa",
            Severity::Info => "#868e96",
        };
        let x0 = x(f.first_ns);
        let x1 = x(f.last_ns).max(x0 + 4.0);
        let label = crate::text::bounded(
            &format!("{} {}", crate::text::slice(&f.first_seen, 11, 16), f.rule),
            44,
        );
        let _ = write!(
            h,
            "<text x=\"4\" y=\"{}\">{}</text><rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"13\" rx=\"3\" fill=\"{colour}\"><title>{}</title></rect>",
            y + 11.0,
            esc(&label),
            x1 - x0,
            esc(&f.title)
        );
    }
    let _ = write!(
        h,
        "<text x=\"{left}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></svg>",
        height - 4.0,
        esc(crate::text::prefix(&crate::time::rfc3339(start), 16)),
        w - 10.0,
        height - 4.0,
        esc(crate::text::prefix(&crate::time::rfc3339(end), 16))
    );
}

fn principals(h: &mut String, out: &ScanOutput) {
    h.push_str("<section id=\"principals\"><h2>Most suspicious principals</h2><table><tr><th>principal</th><th>risk</th><th>highest</th><th>findings</th><th>incidents</th></tr>");
    for r in out.risks.iter().take(15) {
        let _ = write!(
            h,
            "<tr><td class=\"wrap\">{}</td><td>{}</td><td><span class=\"sev {}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            esc(&r.principal),
            r.score,
            sev_class(r.highest),
            r.highest.as_str(),
            r.findings,
            r.incidents
        );
    }
    h.push_str("</table></section>");
}

/// The addresses behind findings of medium or above, with country and AS when known.
fn addresses(h: &mut String, out: &ScanOutput) {
    let ips = crate::report::json::anomalous_ips(out);
    if ips.is_empty() {
        return;
    }
    let located = !out.places.is_empty();
    h.push_str("<section id=\"addresses\"><h2>Addresses behind the findings</h2><table><tr><th>address</th>");
    if located {
        h.push_str("<th>country</th><th>network operator (AS)</th>");
    }
    h.push_str("<th>findings</th><th>highest</th><th>principals</th></tr>");
    let text = |v: &serde_json::Value| v.as_str().map(esc).unwrap_or_default();
    for ip in ips.iter().take(30) {
        let _ = write!(h, "<tr><td>{}</td>", text(&ip["ip"]));
        if located {
            let asn = match (ip["asn"].as_u64(), ip["as_org"].as_str()) {
                (Some(n), Some(o)) => format!("AS{n} {}", esc(o)),
                (Some(n), None) => format!("AS{n}"),
                _ => String::new(),
            };
            let _ = write!(h, "<td>{}</td><td>{asn}</td>", text(&ip["country"]));
        }
        let sev =
            Severity::parse(ip["highest"].as_str().unwrap_or("info")).unwrap_or(Severity::Info);
        let principals: Vec<String> = ip["principals"]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default();
        let _ = write!(
            h,
            "<td>{}</td><td><span class=\"sev {}\">{}</span></td><td class=\"wrap\">{}</td></tr>",
            ip["findings"].as_u64().unwrap_or(0),
            sev_class(sev),
            sev.as_str(),
            principals.join("<br>")
        );
    }
    h.push_str("</table></section>");
}

fn findings(h: &mut String, out: &ScanOutput) {
    let shown: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let _ = write!(
        h,
        "<section id=\"findings\"><h2>Findings of medium or above ({})</h2><table><tr><th>severity</th><th>first seen</th><th>rule</th><th>principal</th><th>what</th><th>evidence</th></tr>",
        shown.len()
    );
    for f in shown.iter().take(500) {
        let evidence = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
        let _ = write!(
            h,
            "<tr id=\"{}\"><td><span class=\"sev {}\">{}</span></td><td>{}</td><td><code>{}</code></td><td class=\"wrap\">{}</td><td>{}<div class=\"meta\">IPs: {} &middot; resources: {} &middot; {} event{}</div></td><td><details><summary>show</summary><pre>{}</pre></details></td></tr>",
            esc(&f.id),
            sev_class(f.severity),
            f.severity.as_str(),
            esc(crate::text::prefix(&f.first_seen, 19)),
            esc(&f.rule),
            esc(&f.principal),
            esc(&f.title),
            esc(&f.source_ips.join(", ")),
            esc(&crate::text::bounded(&f.resources.join(", "), 300)),
            f.event_count,
            if f.event_count == 1 { "" } else { "s" },
            esc(&evidence)
        );
    }
    h.push_str("</table></section>");
}

fn summary_section(h: &mut String, s: &Summary) {
    h.push_str("<section id=\"summary\"><h2>Run summary</h2><div class=\"kv\">");
    let _ = write!(h, "<div>events</div><div>{}</div><div>skipped records</div><div>{}</div><div>files</div><div>{} ({} ignored)</div>", s.events, s.skipped, s.files, s.ignored_files);
    for (f, n) in &s.by_format {
        let _ = write!(h, "<div>{}</div><div>{n}</div>", esc(f));
    }
    h.push_str("</div>");
    if !s.skipped_samples.is_empty() {
        h.push_str(
            "<h3>Skipped records</h3><table><tr><th>file</th><th>line</th><th>reason</th></tr>",
        );
        for x in &s.skipped_samples {
            let _ = write!(
                h,
                "<tr><td class=\"wrap\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.file),
                x.line,
                esc(&x.detail)
            );
        }
        h.push_str("</table>");
    }
    for n in &s.notes {
        let _ = write!(h, "<p class=\"meta\">note: {}</p>", esc(n));
    }
    h.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_are_text() {
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            esc("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(esc("a'b&c\u{1b}[2J"), "a&#39;b&amp;c&#x1b;[2J");
    }
}
