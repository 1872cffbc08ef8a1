//! The investigation as text for a terminal.

use super::*;

/// The investigation as text for a terminal: every log-derived string is sanitized.
pub fn table(inv: &Investigation, width: usize) -> String {
    use crate::report::table::columns;
    use crate::text::thousands;
    use std::fmt::Write as _;
    let t = |s: &str, max: usize| crate::text::terminal(s, max);
    let cell = width.saturating_sub(40).clamp(30, 120);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Principal {} ({} match of {})",
        inv.principals
            .iter()
            .map(|p| t(p, 200))
            .collect::<Vec<_>>()
            .join(", "),
        inv.matched,
        t(&inv.query, 200)
    );
    let _ = writeln!(
        out,
        "Window {} .. {} ({}); {} of {} events in it; active {} .. {}",
        inv.window.since,
        inv.window.until,
        inv.window.chosen_by,
        thousands(inv.events_in_window),
        thousands(inv.events_total),
        inv.first_seen,
        inv.last_seen
    );
    if inv.events_not_kept > 0 {
        let _ = writeln!(
            out,
            "  note: {} events beyond the memory bound were not kept; narrow --principal",
            thousands(inv.events_not_kept)
        );
    }
    let list = |v: &[Counted]| {
        v.iter()
            .map(|c| format!("{} ({})", t(&c.value, 80), c.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let id = &inv.identity;
    out.push_str("\nIdentity\n");
    let mut rows: Vec<Vec<String>> = vec![vec!["".into(), "seen in the window".into()]];
    for (k, v) in [
        ("clouds", list(&id.providers)),
        ("logs", list(&id.formats)),
        ("type", list(&id.principal_types)),
        ("auth", list(&id.auth_methods)),
        ("sessions/names", list(&id.details)),
        ("credentials", list(&id.credentials)),
        ("accounts", list(&id.accounts)),
        ("mfa events", id.mfa.count.to_string()),
    ] {
        if !v.is_empty() {
            rows.push(vec![k.to_string(), v]);
        }
    }
    columns(&rows, &mut out);

    let seen_rows = |title: &str, v: &[Seen], distinct: u64, out: &mut String| {
        let _ = writeln!(out, "\n{title} ({distinct} distinct)");
        let located = v.iter().any(|s| s.network.is_some());
        let mut header: Vec<String> = vec![
            "".into(),
            "count".into(),
            "first".into(),
            "last".into(),
            "value".into(),
        ];
        if located {
            header.push("network, country, AS".into());
        }
        let mut rows = vec![header];
        for s in v {
            let mut row = vec![
                if s.new { "NEW" } else { "" }.into(),
                thousands(s.count),
                crate::text::prefix(&s.first_seen, 19).to_string(),
                crate::text::prefix(&s.last_seen, 19).to_string(),
                t(&s.value, cell),
            ];
            if located {
                let mut place: Vec<String> = s.network.iter().cloned().collect();
                place.extend(s.country.clone());
                if let Some(n) = s.asn {
                    place.push(match &s.as_org {
                        Some(o) => format!("AS{n} {o}"),
                        None => format!("AS{n}"),
                    });
                }
                row.push(t(&place.join(", "), cell));
            }
            rows.push(row);
        }
        columns(&rows, out);
    };
    seen_rows(
        "Source addresses",
        &inv.source_ips,
        inv.source_ips_distinct,
        &mut out,
    );
    seen_rows(
        "User agents",
        &inv.user_agents,
        inv.user_agents_distinct,
        &mut out,
    );

    out.push_str("\nAPIs\n");
    let mut rows = vec![vec!["count".to_string(), "action".to_string()]];
    for c in inv.actions.iter().take(20) {
        rows.push(vec![thousands(c.count), t(&c.value, cell)]);
    }
    columns(&rows, &mut out);
    if !inv.errors.is_empty() {
        let _ = writeln!(out, "  errors: {}", list(&inv.errors));
    }

    out.push_str("\nBuckets\n");
    let mut rows = vec![vec![
        "events".to_string(),
        "objects".into(),
        "bytes out".into(),
        "bucket".into(),
    ]];
    for b in &inv.buckets {
        rows.push(vec![
            thousands(b.events),
            thousands(b.distinct_objects),
            thousands(b.bytes_out),
            t(&b.bucket, cell),
        ]);
    }
    columns(&rows, &mut out);
    if !inv.objects.is_empty() {
        let _ = writeln!(
            out,
            "\nObjects ({} distinct; top {})",
            inv.objects_distinct,
            inv.objects.len().min(20)
        );
        let mut rows = vec![vec!["count".to_string(), "object".to_string()]];
        for c in inv.objects.iter().take(20) {
            rows.push(vec![thousands(c.count), t(&c.value, cell)]);
        }
        columns(&rows, &mut out);
    }

    let _ = writeln!(
        out,
        "\nHourly timeline (UTC; baseline = same hour on the {} days before the window; ! = more than any baseline day, * = finding)",
        inv.window.baseline_days
    );
    let mut rows = vec![vec![
        "hour".to_string(),
        "events".into(),
        "errors".into(),
        "base mean/max".into(),
        "".into(),
        "findings".into(),
    ]];
    const SHOWN: usize = 120;
    for h in inv.timeline.iter().take(SHOWN) {
        let rules: BTreeSet<&str> = h
            .findings
            .iter()
            .filter_map(|id| inv.findings.iter().find(|f| &f.id == id))
            .map(|f| f.rule.as_str())
            .collect();
        rows.push(vec![
            crate::text::prefix(&h.hour, 16).replace('T', " "),
            thousands(h.events),
            thousands(h.errors),
            format!("{:.1}/{}", h.baseline_mean, h.baseline_max),
            format!(
                "{}{}",
                if h.unusual { "!" } else { "" },
                if h.findings.is_empty() { "" } else { "*" }
            ),
            t(&rules.into_iter().collect::<Vec<_>>().join(", "), cell),
        ]);
    }
    columns(&rows, &mut out);
    if inv.timeline.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … {} more hours (narrow --since/--until, or use --format json)",
            inv.timeline.len() - SHOWN
        );
    }

    let _ = writeln!(out, "\nFindings ({})", inv.findings.len());
    let mut rows = vec![vec![
        "severity".to_string(),
        "first seen".into(),
        "rule".into(),
        "title".into(),
    ]];
    for f in &inv.findings {
        rows.push(vec![
            f.severity.as_str().to_string(),
            crate::text::prefix(&f.first_seen, 19).to_string(),
            f.rule.clone(),
            t(&f.title, cell),
        ]);
    }
    columns(&rows, &mut out);

    out.push_str("\nQueries for your log store\n");
    for pq in &inv.queries {
        for (name, q) in [
            ("Athena (CloudTrail table)", &pq.queries.athena_sql),
            ("BigQuery (GCS audit sink)", &pq.queries.bigquery_sql),
            ("KQL (StorageBlobLogs)", &pq.queries.kql),
        ] {
            if let Some(q) = q {
                let _ = writeln!(out, "  {name}:\n    {}", t(q, 4000));
            }
        }
    }
    out
}
