//! Plain-text tables for a terminal. Every cell passes through [`crate::text::terminal`]: file
//! names and log values can carry escape sequences.

use std::fmt::Write as _;

use crate::catalogue::Severity;
use crate::summary::Summary;

use crate::text::thousands;

/// Renders rows as aligned columns; the first row is the header.
pub fn columns(rows: &[Vec<String>], out: &mut String) {
    columns_styled(rows, out, |_, _| None);
}

/// ANSI style of a severity label.
pub fn severity_style(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

const RESET: &str = "\x1b[0m";

/// A label in its severity's colour, when colour is on.
fn paint(label: &str, sev: Severity, colour: bool) -> String {
    if colour {
        format!("{}{label}{RESET}", severity_style(sev))
    } else {
        label.to_string()
    }
}

/// [`columns`], with an ANSI style for some cells (`style(row, column)`); the style wraps
/// the padded cell, so alignment is kept.
pub fn columns_styled(
    rows: &[Vec<String>],
    out: &mut String,
    style: impl Fn(usize, usize) -> Option<&'static str>,
) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; n];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for (ri, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            let st = style(ri, i);
            if let Some(st) = st {
                line.push_str(st);
            }
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<w$}", w = widths[i]);
            }
            if st.is_some() {
                line.push_str(RESET);
            }
            if i + 1 != r.len() {
                line.push_str("  ");
            }
        }
        out.push_str("  ");
        out.push_str(line.trim_end());
        out.push('\n');
        if ri == 0 {
            out.push_str("  ");
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (n.saturating_sub(1))));
            out.push('\n');
        }
    }
}

/// Ranked incidents, then findings of medium or above, as a person reads them.
pub fn detections(out: &crate::pipeline::ScanOutput, width: usize, colour: bool) -> String {
    let mut s = String::new();
    let t = |x: &str, n: usize| crate::text::terminal(x, n);
    if out.incidents.is_empty() {
        let _ = writeln!(s, "Incidents: none\n");
    } else {
        let _ = writeln!(s, "Incidents ({}), most severe first", out.incidents.len());
        // Everything is wrapped to the terminal's width: text wrapped wider than the window
        // is wrapped again by the terminal, mid-word.
        let text_width = width.saturating_sub(6).max(40);
        for (n, i) in out.incidents.iter().enumerate() {
            let sev = i.severity.as_str().to_uppercase();
            let lead = format!("#{} {} (score {})  ", n + 1, sev, i.score);
            // One more for the ellipsis of a cut name.
            let room = width.saturating_sub(3 + lead.chars().count()).clamp(20, 90);
            let head = format!("{lead}{}", t(&i.principal, room));
            let span = format!(
                "{} .. {}",
                crate::text::prefix(&i.first_seen, 16),
                crate::text::prefix(&i.last_seen, 16)
            );
            let fits = 2 + head.chars().count() + 2 + span.len() <= width;
            let head = head.replacen(&sev, &paint(&sev, i.severity, colour), 1);
            if fits {
                let _ = writeln!(s, "\n  {head}  {span}");
            } else {
                let _ = writeln!(s, "\n  {head}\n     {span}");
            }
            let story = format!(
                "tactics: {}   ATT&CK: {}",
                i.tactics.join(" → "),
                i.mitre.join(", ")
            );
            if story.chars().count() <= text_width {
                let _ = writeln!(s, "     {story}");
            } else {
                for line in wrap(&format!("tactics: {}", i.tactics.join(" → ")), text_width)
                    .into_iter()
                    .chain(wrap(&format!("ATT&CK: {}", i.mitre.join(", ")), text_width))
                {
                    let _ = writeln!(s, "     {line}");
                }
            }
            for line in wrap(&t(&i.narrative, 1200), text_width) {
                let _ = writeln!(s, "     {line}");
            }
            let _ = writeln!(s, "     next steps:");
            for step in i.next_steps.iter().take(4) {
                for (k, line) in wrap(&t(step, 220), width.saturating_sub(9).max(30))
                    .iter()
                    .enumerate()
                {
                    let _ = writeln!(s, "       {} {line}", if k == 0 { "-" } else { " " });
                }
            }
        }
        s.push('\n');
    }
    let shown: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let low = out.findings.len() - shown.len();
    let _ = writeln!(
        s,
        "Findings of medium or above ({}; {low} low/info not shown)",
        shown.len()
    );
    if !shown.is_empty() && width < 150 {
        // Too narrow for the table: two lines per finding.
        for f in shown.iter().take(200) {
            let sev = f.severity.as_str();
            let _ = writeln!(
                s,
                "  {}  {}  {}",
                paint(sev, f.severity, colour),
                crate::text::prefix(&f.first_seen, 16),
                f.rule
            );
            let what = format!("{}: {}", t(&f.principal, 90), t(&f.title, 200));
            for line in wrap(&what, width.saturating_sub(6).max(30)) {
                let _ = writeln!(s, "      {line}");
            }
        }
    } else if !shown.is_empty() {
        let mut rows = vec![vec![
            "severity".to_string(),
            "first seen".to_string(),
            "rule".to_string(),
            "principal".to_string(),
            "title".to_string(),
        ]];
        let title_width = width.saturating_sub(100).max(30);
        for f in shown.iter().take(200) {
            rows.push(vec![
                f.severity.as_str().to_string(),
                crate::text::prefix(&f.first_seen, 16).to_string(),
                f.rule.clone(),
                t(&f.principal, 48),
                t(&f.title, title_width),
            ]);
        }
        columns_styled(&rows, &mut s, |row, col| {
            (colour && row > 0 && col == 0).then(|| severity_style(shown[row - 1].severity))
        });
    }
    if shown.len() > 200 {
        let _ = writeln!(
            s,
            "  … {} more (use --format json for all)",
            shown.len() - 200
        );
    }
    s.push('\n');
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The run summary as a person reads it.
pub fn summary(s: &Summary, elapsed_secs: f64, bytes_read: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Run summary");
    let rate = if elapsed_secs > 0.0 {
        format!(
            "  ({:.0} events/s, {:.0} MB/s read)",
            s.events as f64 / elapsed_secs,
            bytes_read as f64 / 1e6 / elapsed_secs
        )
    } else {
        String::new()
    };
    let _ = writeln!(out, "  events      {}{}", thousands(s.events), rate);
    let _ = writeln!(
        out,
        "  files       {} ({} ignored)",
        thousands(s.files),
        s.ignored_files
    );
    let _ = writeln!(out, "  principals  {}", thousands(s.principals));
    match s.time_range.as_slice() {
        [a, b] => {
            let _ = writeln!(out, "  time range  {a} .. {b}");
        }
        _ => {
            let _ = writeln!(out, "  time range  (no events)");
        }
    }
    let _ = writeln!(out, "  skipped     {}", thousands(s.skipped));
    if !s.by_format.is_empty() {
        let _ = writeln!(out, "\nBy format");
        let mut rows = vec![vec!["format".to_string(), "events".to_string()]];
        for (f, n) in &s.by_format {
            rows.push(vec![f.to_string(), thousands(*n)]);
        }
        columns(&rows, &mut out);
    }
    if s.skipped > 0 {
        let _ = writeln!(out, "\nSkipped records (use --strict to fail instead)");
        let mut rows = vec![vec!["reason".to_string(), "count".to_string()]];
        for (r, n) in &s.skipped_by_reason {
            rows.push(vec![r.to_string(), thousands(*n)]);
        }
        columns(&rows, &mut out);
        let _ = writeln!(out, "\n  first examples:");
        for x in s.skipped_samples.iter().take(10) {
            let _ = writeln!(
                out,
                "  {}:{} (byte {}): {}",
                crate::text::terminal(&x.file, 120),
                x.line,
                x.offset,
                crate::text::terminal(&x.detail, 160)
            );
        }
    }
    if !s.file_errors.is_empty() {
        let _ = writeln!(out, "\nFiles not read");
        for e in &s.file_errors {
            let _ = writeln!(
                out,
                "  {}: {}",
                crate::text::terminal(&e.file, 160),
                crate::text::terminal(&e.error, 200)
            );
        }
    }
    for n in &s.notes {
        let _ = writeln!(out, "\nnote: {n}");
    }
    out
}
