//! `--format html`: one self-contained page (no script, no external resource) with the ranked
//! incidents and their narratives, next steps and queries, a timeline of each incident, the
//! findings with their evidence, and the run summary.
//!
//! User agents, object keys and principal names are written by whoever made the requests: the
//! page is built with [`crate::report::markup`], where a value from the logs can only be
//! written as escaped [`Text`].

use crate::catalogue::rule;
use crate::catalogue::Severity;
use crate::correlate::Incident;
use crate::detect::finding::Finding;
use crate::pipeline::ScanOutput;
use crate::report::markup::{html, Fixed, Html, Padded, Text};
use crate::summary::Summary;
use crate::time::NANOS_PER_HOUR;

/// A severity as a coloured badge (its name is also its CSS class).
struct Badge(Severity);

impl crate::report::markup::Render for Badge {
    fn render_to(&self, h: &mut Html) {
        let name = self.0.as_str();
        html!(h, "<span class=\"sev ", name, "\">", name, "</span>");
    }
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
    let mut page = Html::with_capacity(64 * 1024);
    let h = &mut page;
    html!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>trailhound report</title><style>",
        STYLE,
        "</style></head><body>"
    );
    html!(
        h,
        "<header><h1>trailhound report</h1><p>",
        summary.events,
        " events from ",
        summary.files,
        " files, ",
        summary.principals,
        " principals, "
    );
    match summary.time_range.as_slice() {
        [a, b] => html!(h, Text(a), " to ", Text(b)),
        _ => html!(h, "no events"),
    }
    html!(
        h,
        "; ",
        out.incidents.len(),
        " incidents, ",
        out.findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .count(),
        " findings of medium or above</p></header><main>"
    );
    incidents(h, out);
    principals(h, out);
    addresses(h, out);
    findings(h, out);
    summary_section(h, summary);
    html!(h, "</main></body></html>\n");
    page.into_string()
}

fn incidents(h: &mut Html, out: &ScanOutput) {
    html!(
        h,
        "<section id=\"incidents\"><h2>Incidents, most severe first</h2>"
    );
    if out.incidents.is_empty() {
        html!(h, "<p>No incidents.</p>");
    }
    for (n, i) in out.incidents.iter().enumerate() {
        html!(
            h,
            "<div class=\"incident ",
            i.severity.as_str(),
            "\" id=\"",
            Text(&i.id),
            "\"><h3>#",
            n + 1,
            " ",
            Badge(i.severity),
            " score ",
            i.score,
            " &middot; ",
            Text(&i.principal),
            "</h3><p class=\"meta\">",
            Text(&i.first_seen),
            " &ndash; ",
            Text(&i.last_seen),
            " &middot; tactics: ",
            Text(&i.tactics.join(" → ")),
            " &middot; ATT&amp;CK: ",
            Text(&i.mitre.join(", ")),
            "</p><p>",
            Text(&i.narrative),
            "</p>"
        );
        habit(h, i, out);
        timeline(h, i, out);
        html!(h, "<h3>Next steps</h3><ol>");
        for s in &i.next_steps {
            html!(h, "<li>", Text(s), "</li>");
        }
        html!(h, "</ol>");
        for (name, q) in [
            ("Athena SQL (CloudTrail table)", &i.queries.athena_sql),
            ("BigQuery SQL (audit log sink)", &i.queries.bigquery_sql),
            ("KQL (StorageBlobLogs)", &i.queries.kql),
        ] {
            if let Some(q) = q {
                html!(
                    h,
                    "<details><summary>",
                    name,
                    "</summary><pre>",
                    Text(q),
                    "</pre></details>"
                );
            }
        }
        html!(h, "</div>");
    }
    html!(h, "</section>");
}

/// The principal's habit beside the incident: a heat map of the hours of the week it is
/// active (days per hour, UTC) with the incident's hours outlined, and its requests per hour
/// over its last week against the upper edge of its normal band, with the hours where new
/// addresses, countries or impossible travel began marked.
fn habit(h: &mut Html, i: &Incident, out: &ScanOutput) {
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

fn heat_map(h: &mut Html, week: &[u16], touched: &[bool; 168]) {
    let max = week.iter().copied().max().unwrap_or(0).max(1) as f64;
    html!(
        h,
        r#"<p class="meta">Usual hours of this principal: days active per hour of the week (UTC), the incident's hours outlined</p>"#
    );
    html!(
        h,
        r#"<svg class="heat" role="img" aria-label="hour-of-week heat map" width="100%" viewBox="0 0 900 150" preserveAspectRatio="xMinYMin meet">"#
    );
    for (slot, &d) in week.iter().enumerate().take(168) {
        let (day, hr) = (slot / 24, slot % 24);
        let (x, y) = (44 + hr * 35, 2 + day * 18);
        let stroke = if touched[slot] {
            r##"stroke="#b00020" stroke-width="2.5""##
        } else {
            r##"stroke="#e3e8f0" stroke-width="1""##
        };
        let opacity = if d == 0 {
            0.03
        } else {
            0.15 + 0.85 * d as f64 / max
        };
        html!(
            h,
            r#"<rect x=""#,
            x,
            r#"" y=""#,
            y,
            r##"" width="34" height="17" fill="#3b6fd8" fill-opacity=""##,
            Fixed(opacity, 2),
            "\" ",
            stroke,
            "><title>",
            DAYS[day],
            " ",
            Padded(hr, 2),
            ":00 UTC: active on ",
            d,
            " day(s)</title></rect>"
        );
    }
    for (day, name) in DAYS.iter().enumerate() {
        html!(
            h,
            r#"<text x="38" y=""#,
            14 + day * 18,
            r##"" font-size="11" text-anchor="end" fill="#555">"##,
            *name,
            "</text>"
        );
    }
    for hr in (0..24).step_by(2) {
        html!(
            h,
            r#"<text x=""#,
            44 + hr * 35 + 17,
            r##"" y="144" font-size="11" text-anchor="middle" fill="#555">"##,
            Padded(hr, 2),
            "</text>"
        );
    }
    html!(h, "</svg>");
}

fn volume_chart(
    h: &mut Html,
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
    html!(
        h,
        r#"<p class="meta">Requests per hour over the principal's last week (log scale; UTC) against the upper edge of its usual band for that hour (line); incident hours in red, flagged hours in orange, ▼ where a new address, country or impossible travel began</p>"#
    );
    html!(
        h,
        r#"<svg class="volume" role="img" aria-label="hourly requests against the baseline band" width="100%" viewBox="0 0 900 170" preserveAspectRatio="xMinYMin meet">"#
    );
    html!(
        h,
        r#"<line x1=""#,
        left,
        r#"" y1=""#,
        top + height,
        r#"" x2=""#,
        x(end + 1),
        r#"" y2=""#,
        top + height,
        r##"" stroke="#999" stroke-width="1"/>"##
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
        html!(
            h,
            r#"<rect x=""#,
            Fixed(x(hr), 1),
            r#"" y=""#,
            Fixed(top_y, 1),
            r#"" width=""#,
            Fixed(width - 0.5, 1),
            r#"" height=""#,
            Fixed(top + height - top_y, 1),
            r#"" fill=""#,
            colour,
            r#""><title>"#,
            Text(crate::text::prefix(
                &crate::time::rfc3339(hr * NANOS_PER_HOUR),
                16
            )),
            ": ",
            n,
            " requests; usual up to ",
            Fixed(habit.band[hr.rem_euclid(24) as usize], 0),
            "</title></rect>"
        );
    }
    html!(h, r#"<polyline points=""#);
    for hr in start..=end {
        let v = y(habit.band[hr.rem_euclid(24) as usize]);
        html!(
            h,
            Fixed(x(hr), 1),
            ",",
            Fixed(v, 1),
            " ",
            Fixed(x(hr + 1), 1),
            ",",
            Fixed(v, 1),
            " "
        );
    }
    html!(
        h,
        r##"" fill="none" stroke="#2b8a3e" stroke-width="1.5"><title>usual band (upper edge)</title></polyline>"##
    );
    for f in out.findings.iter().filter(|f| {
        i.findings.contains(&f.id)
            && matches!(
                f.rule.as_str(),
                rule::BASELINE_NEW_SOURCE_IP
                    | rule::BASELINE_NEW_COUNTRY
                    | rule::BASELINE_IMPOSSIBLE_TRAVEL
            )
    }) {
        let hr = f.first_ns.div_euclid(NANOS_PER_HOUR);
        if hr < start || hr > end {
            continue;
        }
        let cx = x(hr) + width / 2.0;
        html!(
            h,
            r#"<path d="M"#,
            Fixed(cx, 1),
            " ",
            top,
            r##" l-5 -6 h10 z" transform="translate(0 6)" fill="#b00020"><title>"##,
            Text(&f.title),
            "</title></path>"
        );
    }
    for d in 0..=7 {
        let hr = (start + d * 24).div_euclid(24) * 24;
        if hr < start {
            continue;
        }
        html!(
            h,
            r#"<text x=""#,
            Fixed(x(hr), 1),
            r#"" y=""#,
            top + height + 16.0,
            r##"" font-size="11" text-anchor="middle" fill="#555">"##,
            Text(crate::text::slice(
                &crate::time::rfc3339(hr * NANOS_PER_HOUR),
                5,
                10
            )),
            "</text>"
        );
    }
    html!(h, "</svg>");
}

/// An SVG timeline of an incident's findings: one row per finding, a bar from first to last
/// seen, coloured by severity.
fn timeline(h: &mut Html, i: &Incident, out: &ScanOutput) {
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
    html!(
        h,
        "<svg role=\"img\" aria-label=\"timeline\" width=\"100%\" viewBox=\"0 0 ",
        w,
        " ",
        height,
        "\" preserveAspectRatio=\"xMinYMin meet\">"
    );
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
        html!(
            h,
            "<text x=\"4\" y=\"",
            y + 11.0,
            "\">",
            Text(&label),
            "</text><rect x=\"",
            Fixed(x0, 1),
            "\" y=\"",
            Fixed(y, 1),
            "\" width=\"",
            Fixed(x1 - x0, 1),
            "\" height=\"13\" rx=\"3\" fill=\"",
            colour,
            "\"><title>",
            Text(&f.title),
            "</title></rect>"
        );
    }
    html!(
        h,
        "<text x=\"",
        left,
        "\" y=\"",
        height - 4.0,
        "\">",
        Text(crate::text::prefix(&crate::time::rfc3339(start), 16)),
        "</text><text x=\"",
        w - 10.0,
        "\" y=\"",
        height - 4.0,
        "\" text-anchor=\"end\">",
        Text(crate::text::prefix(&crate::time::rfc3339(end), 16)),
        "</text></svg>"
    );
}

fn principals(h: &mut Html, out: &ScanOutput) {
    html!(h, "<section id=\"principals\"><h2>Most suspicious principals</h2><table><tr><th>principal</th><th>risk</th><th>highest</th><th>findings</th><th>incidents</th></tr>");
    for r in out.risks.iter().take(15) {
        html!(
            h,
            "<tr><td class=\"wrap\">",
            Text(&r.principal),
            "</td><td>",
            r.score,
            "</td><td>",
            Badge(r.highest),
            "</td><td>",
            r.findings,
            "</td><td>",
            r.incidents,
            "</td></tr>"
        );
    }
    html!(h, "</table></section>");
}

/// The addresses behind findings of medium or above, with country and AS when known.
fn addresses(h: &mut Html, out: &ScanOutput) {
    let ips = crate::report::json::anomalous_ips(out);
    if ips.is_empty() {
        return;
    }
    let located = !out.places.is_empty();
    html!(h, "<section id=\"addresses\"><h2>Addresses behind the findings</h2><table><tr><th>address</th>");
    if located {
        html!(h, "<th>country</th><th>network operator (AS)</th>");
    }
    html!(
        h,
        "<th>findings</th><th>highest</th><th>principals</th></tr>"
    );
    for ip in ips.iter().take(30) {
        html!(h, "<tr><td>", text(&ip["ip"]), "</td>");
        if located {
            html!(h, "<td>", text(&ip["country"]), "</td><td>");
            match (ip["asn"].as_u64(), ip["as_org"].as_str()) {
                (Some(n), Some(o)) => html!(h, "AS", n, " ", Text(o)),
                (Some(n), None) => html!(h, "AS", n),
                _ => {}
            }
            html!(h, "</td>");
        }
        let sev =
            Severity::parse(ip["highest"].as_str().unwrap_or("info")).unwrap_or(Severity::Info);
        html!(
            h,
            "<td>",
            ip["findings"].as_u64().unwrap_or(0),
            "</td><td>",
            Badge(sev),
            "</td><td class=\"wrap\">"
        );
        for (n, p) in ip["principals"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if n > 0 {
                html!(h, "<br>");
            }
            html!(h, text(p));
        }
        html!(h, "</td></tr>");
    }
    html!(h, "</table></section>");
}

/// A JSON string as text (nothing for another value).
fn text(v: &serde_json::Value) -> Text<'_> {
    Text(v.as_str().unwrap_or_default())
}

fn findings(h: &mut Html, out: &ScanOutput) {
    let shown: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    html!(
        h,
        "<section id=\"findings\"><h2>Findings of medium or above (",
        shown.len(),
        ")</h2><table><tr><th>severity</th><th>first seen</th><th>rule</th><th>principal</th><th>what</th><th>evidence</th></tr>"
    );
    for f in shown.iter().take(500) {
        let evidence = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
        html!(
            h,
            "<tr id=\"",
            Text(&f.id),
            "\"><td>",
            Badge(f.severity),
            "</td><td>",
            Text(crate::text::prefix(&f.first_seen, 19)),
            "</td><td><code>",
            Text(&f.rule),
            "</code></td><td class=\"wrap\">",
            Text(&f.principal),
            "</td><td>",
            Text(&f.title),
            "<div class=\"meta\">IPs: ",
            Text(&f.source_ips.join(", ")),
            " &middot; resources: ",
            Text(&crate::text::bounded(&f.resources.join(", "), 300)),
            " &middot; ",
            f.event_count,
            " event",
            if f.event_count == 1 { "" } else { "s" },
            "</div></td><td><details><summary>show</summary><pre>",
            Text(&evidence),
            "</pre></details></td></tr>"
        );
    }
    html!(h, "</table></section>");
}

fn summary_section(h: &mut Html, s: &Summary) {
    html!(
        h,
        "<section id=\"summary\"><h2>Run summary</h2><div class=\"kv\">",
        "<div>events</div><div>",
        s.events,
        "</div><div>skipped records</div><div>",
        s.skipped,
        "</div><div>files</div><div>",
        s.files,
        " (",
        s.ignored_files,
        " ignored)</div>"
    );
    for (f, n) in &s.by_format {
        html!(h, "<div>", Text(f), "</div><div>", *n, "</div>");
    }
    html!(h, "</div>");
    if !s.skipped_samples.is_empty() {
        html!(
            h,
            "<h3>Skipped records</h3><table><tr><th>file</th><th>line</th><th>reason</th></tr>"
        );
        for x in &s.skipped_samples {
            html!(
                h,
                "<tr><td class=\"wrap\">",
                Text(&x.file),
                "</td><td>",
                x.line,
                "</td><td>",
                Text(&x.detail),
                "</td></tr>"
            );
        }
        html!(h, "</table>");
    }
    for n in &s.notes {
        html!(h, "<p class=\"meta\">note: ", Text(n), "</p>");
    }
    html!(h, "</section>");
}
