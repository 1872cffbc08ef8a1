//! `eval`: scores findings against the ground truth `generate` writes (`labels.json`).
//!
//! The matching rule is DESIGN.md's: a label is found when a finding of at least the label's
//! `expected_severity_min` names its principal (equal to the principal or an alias, or
//! containing one), overlaps `[start − 1 h, end + 1 h]`, and shares an ATT&CK id (a technique
//! matches its own sub-techniques). Precision counts findings of medium or above; a finding
//! that meets every condition but severity for some label is about the attack, so it is
//! neither a hit for that label nor a false positive (see docs/design-notes.md).

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::generate::Label;
use crate::time::parse_rfc3339;

/// Slack on each side of a label's time range.
pub const SLACK_NS: i64 = 3_600 * 1_000_000_000;

pub use crate::catalogue::Severity;

/// The parts of a finding (DESIGN.md output contract) the matching rule reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    pub principal: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub mitre: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("line {line}: {reason}")]
    Finding { line: usize, reason: String },
    #[error("label {label}: {reason}")]
    Label { label: String, reason: String },
    #[error("labels are not a JSON array of label objects: {0}")]
    LabelsJson(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Deserialize)]
struct RawFinding {
    #[serde(rename = "type")]
    typ: Option<String>,
    #[serde(default)]
    id: String,
    #[serde(default)]
    rule: String,
    severity: Option<String>,
    principal: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    #[serde(default)]
    mitre: Vec<String>,
}

/// Reads JSON Lines; keeps `"type":"finding"` objects, ignores other objects and blank lines.
/// A line that is not JSON, or a finding without the fields the rule needs, is an error: a
/// silently dropped finding would make the scores lie.
pub fn read_findings(r: impl BufRead) -> Result<Vec<Finding>, EvalError> {
    let mut out = Vec::new();
    for (n, line) in r.lines().enumerate() {
        let line = line?;
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| EvalError::Finding {
            line: line_no,
            reason,
        };
        let raw: RawFinding =
            serde_json::from_str(&line).map_err(|e| bad(format!("not a JSON object: {e}")))?;
        if raw.typ.as_deref() != Some("finding") {
            continue;
        }
        let severity = raw.severity.as_deref().unwrap_or("");
        let severity = Severity::parse(severity).ok_or_else(|| {
            bad(format!(
                "severity {severity:?} is not info|low|medium|high|critical"
            ))
        })?;
        let time = |field: &str, v: &Option<String>| {
            let s = v.as_deref().unwrap_or("");
            parse_rfc3339(s.as_bytes())
                .ok_or_else(|| bad(format!("{field} {s:?} is not an RFC 3339 time")))
        };
        let first_seen = time("first_seen", &raw.first_seen)?;
        let last_seen = time("last_seen", &raw.last_seen)?;
        out.push(Finding {
            id: raw.id,
            rule: raw.rule,
            severity,
            principal: raw
                .principal
                .ok_or_else(|| bad("a finding without a principal".into()))?,
            first_seen,
            last_seen,
            mitre: raw.mitre,
        });
    }
    Ok(out)
}

/// A label with its times and severity parsed.
#[derive(Clone, Debug)]
pub struct Truth {
    pub label: Label,
    pub start: i64,
    pub end: i64,
    pub severity_min: Severity,
}

/// Parses and checks `labels.json` (the schema DESIGN.md gives; unknown keys are refused).
pub fn parse_labels(json: &str) -> Result<Vec<Truth>, EvalError> {
    let labels: Vec<Label> = serde_json::from_str(json)?;
    let mut seen = std::collections::BTreeSet::new();
    labels
        .into_iter()
        .map(|label| {
            let bad = |reason: &str| EvalError::Label {
                label: label.id.clone(),
                reason: reason.to_string(),
            };
            if label.id.is_empty() || !seen.insert(label.id.clone()) {
                return Err(bad("id is empty or repeated"));
            }
            if !matches!(label.provider.as_str(), "aws" | "gcp" | "azure") {
                return Err(bad("provider is not aws, gcp or azure"));
            }
            if label.principal.is_empty() || label.principal_aliases.iter().any(|a| a.is_empty()) {
                return Err(bad(
                    "empty principal or alias (it would match every finding)",
                ));
            }
            if label.mitre.is_empty() || !label.mitre.iter().all(|m| is_attack_id(m)) {
                return Err(bad("mitre must list ATT&CK ids such as T1530 or T1562.008"));
            }
            let start = parse_rfc3339(label.start.as_bytes())
                .ok_or_else(|| bad("start is not an RFC 3339 time"))?;
            let end = parse_rfc3339(label.end.as_bytes())
                .ok_or_else(|| bad("end is not an RFC 3339 time"))?;
            if end < start {
                return Err(bad("end is before start"));
            }
            let severity_min = Severity::parse(&label.expected_severity_min)
                .ok_or_else(|| bad("expected_severity_min is not a severity"))?;
            Ok(Truth {
                label,
                start,
                end,
                severity_min,
            })
        })
        .collect()
}

/// `T1234` or `T1234.567`.
pub fn is_attack_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

/// Equal ids, or one is the parent technique of the other (`T1562` ~ `T1562.008`).
pub fn attack_ids_match(a: &str, b: &str) -> bool {
    let parent = |x: &str| x.split('.').next().unwrap_or(x).to_string();
    a == b || (parent(a) == parent(b) && (!a.contains('.') || !b.contains('.')))
}

/// Principal, time and technique conditions (everything but severity).
pub fn about(t: &Truth, f: &Finding) -> bool {
    let who = std::iter::once(&t.label.principal).chain(&t.label.principal_aliases);
    let principal = who
        .into_iter()
        .filter(|p| !p.is_empty())
        .any(|p| f.principal == *p || f.principal.contains(p.as_str()));
    let time = f.first_seen <= t.end + SLACK_NS && f.last_seen >= t.start - SLACK_NS;
    let technique = f
        .mitre
        .iter()
        .any(|m| t.label.mitre.iter().any(|l| attack_ids_match(m, l)));
    principal && time && technique
}

/// The full DESIGN.md rule.
pub fn matches(t: &Truth, f: &Finding) -> bool {
    f.severity >= t.severity_min && about(t, f)
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub id: String,
    pub provider: String,
    pub principal: String,
    pub expected_severity_min: String,
    pub found: bool,
    /// Ids and rules of the findings that found it.
    pub findings: Vec<String>,
    pub rules: Vec<String>,
    pub expected_rules: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub labels: usize,
    pub found: usize,
    pub recall: f64,
    /// Findings of medium or above.
    pub findings_medium_plus: usize,
    pub true_findings: usize,
    pub false_positives: usize,
    pub precision: f64,
    pub false_positives_by_rule: BTreeMap<String, usize>,
    pub scenarios: Vec<ScenarioResult>,
}

pub fn evaluate(truths: &[Truth], findings: &[Finding]) -> Evaluation {
    let mut scenarios = Vec::new();
    for t in truths {
        let hits: Vec<&Finding> = findings.iter().filter(|f| matches(t, f)).collect();
        let mut rules: Vec<String> = hits.iter().map(|f| f.rule.clone()).collect();
        rules.sort();
        rules.dedup();
        scenarios.push(ScenarioResult {
            id: t.label.id.clone(),
            provider: t.label.provider.clone(),
            principal: t.label.principal.clone(),
            expected_severity_min: t.label.expected_severity_min.clone(),
            found: !hits.is_empty(),
            findings: hits.iter().map(|f| f.id.clone()).collect(),
            rules,
            expected_rules: t.label.expected_rules.clone(),
        });
    }
    let mut considered = 0;
    let mut true_findings = 0;
    let mut fp_by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.severity >= Severity::Medium) {
        considered += 1;
        if truths.iter().any(|t| matches(t, f)) {
            true_findings += 1;
        } else if !truths.iter().any(|t| about(t, f)) {
            *fp_by_rule.entry(f.rule.clone()).or_default() += 1;
        }
    }
    let found = scenarios.iter().filter(|s| s.found).count();
    let false_positives = fp_by_rule.values().sum();
    Evaluation {
        labels: truths.len(),
        found,
        recall: ratio(found, truths.len()),
        findings_medium_plus: considered,
        true_findings,
        false_positives,
        precision: ratio(true_findings, true_findings + false_positives),
        false_positives_by_rule: fp_by_rule,
        scenarios,
    }
}

/// `a / b`, and 1.0 for `0 / 0` (no labels: nothing was missed; no findings: none was wrong).
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// The evaluation as aligned text.
pub fn table(e: &Evaluation) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "recall     {:.3}  ({} of {} scenarios found)",
        e.recall, e.found, e.labels
    );
    let _ = writeln!(
        s,
        "precision  {:.3}  ({} true, {} false positive of {} findings >= medium)",
        e.precision, e.true_findings, e.false_positives, e.findings_medium_plus
    );
    let _ = writeln!(s);
    let w = e
        .scenarios
        .iter()
        .map(|x| x.id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        s,
        "{:<w$}  {:<6}  {:<8}  {:<5}  rules that found it",
        "scenario", "cloud", "min sev", "found"
    );
    for x in &e.scenarios {
        let _ = writeln!(
            s,
            "{:<w$}  {:<6}  {:<8}  {:<5}  {}",
            x.id,
            x.provider,
            x.expected_severity_min,
            if x.found { "yes" } else { "NO" },
            if x.rules.is_empty() {
                format!("- (expected: {})", x.expected_rules.join(", "))
            } else {
                x.rules.join(", ")
            }
        );
    }
    let _ = writeln!(s);
    if e.false_positives_by_rule.is_empty() {
        let _ = writeln!(s, "false positives: none");
    } else {
        let _ = writeln!(s, "false positives by rule:");
        for (rule, n) in &e.false_positives_by_rule {
            let _ = writeln!(s, "  {n:>5}  {rule}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600 * 1_000_000_000;

    fn truth() -> Truth {
        let json = r#"[{"id":"a","description":"d","provider":"aws",
            "principal":"arn:aws:iam::111122223333:user/backup-maint",
            "principal_aliases":["AKIAEXAMPLE"],
            "start":"2026-02-07T02:45:00Z","end":"2026-02-07T03:30:00Z",
            "mitre":["T1562.008","T1530"],"expected_severity_min":"high",
            "expected_rules":["aws.s3.bulk_download"]}]"#;
        parse_labels(json).unwrap().remove(0)
    }

    fn finding() -> Finding {
        let t = truth();
        Finding {
            id: "f1".into(),
            rule: "aws.s3.bulk_download".into(),
            severity: Severity::Critical,
            principal: t.label.principal.clone(),
            first_seen: t.start + 600_000_000_000,
            last_seen: t.end,
            mitre: vec!["T1530".into()],
        }
    }

    #[test]
    fn matching_finding_is_found() {
        assert!(matches(&truth(), &finding()));
    }

    #[test]
    fn severity_must_reach_the_minimum() {
        let t = truth();
        let mut f = finding();
        f.severity = Severity::High;
        assert!(matches(&t, &f), "equal to the minimum counts");
        f.severity = Severity::Medium;
        assert!(!matches(&t, &f));
        assert!(about(&t, &f), "still about the attack");
    }

    #[test]
    fn principal_equal_alias_or_containing() {
        let t = truth();
        let mut f = finding();
        f.principal = "AKIAEXAMPLE".into();
        assert!(matches(&t, &f), "alias");
        f.principal = "aws:arn:aws:iam::111122223333:user/backup-maint (key AKIA…)".into();
        assert!(matches(&t, &f), "containing the principal");
        f.principal = "arn:aws:iam::111122223333:user/backup".into();
        assert!(
            !matches(&t, &f),
            "a prefix of the principal is another principal"
        );
        f.principal = "arn:aws:iam::111122223333:user/alice".into();
        assert!(!matches(&t, &f));
    }

    #[test]
    fn time_overlap_with_one_hour_slack() {
        let t = truth();
        let mut f = finding();
        f.first_seen = t.end + H;
        f.last_seen = t.end + 2 * H;
        assert!(matches(&t, &f), "starts exactly at end + 1 h");
        f.first_seen = t.end + H + 1;
        assert!(!matches(&t, &f), "starts after end + 1 h");
        f.first_seen = t.start - 3 * H;
        f.last_seen = t.start - H;
        assert!(matches(&t, &f), "ends exactly at start − 1 h");
        f.last_seen = t.start - H - 1;
        assert!(!matches(&t, &f), "ends before start − 1 h");
        f.first_seen = t.start - 10 * H;
        f.last_seen = t.end + 10 * H;
        assert!(matches(&t, &f), "covers the whole range");
    }

    #[test]
    fn attack_ids_match_their_sub_techniques() {
        let t = truth();
        let mut f = finding();
        f.mitre = vec!["T1562".into()];
        assert!(matches(&t, &f), "parent of a labelled sub-technique");
        f.mitre = vec!["T1530.001".into()];
        assert!(matches(&t, &f), "sub-technique of a labelled technique");
        f.mitre = vec!["T1562.001".into()];
        assert!(!matches(&t, &f), "sibling sub-techniques differ");
        f.mitre = vec!["T1485".into(), "T1619".into()];
        assert!(!matches(&t, &f));
        f.mitre = vec![];
        assert!(!matches(&t, &f));
        assert!(!attack_ids_match("T15", "T1530"));
    }

    #[test]
    fn recall_precision_and_false_positives_by_rule() {
        let t = truth();
        let hit = finding();
        let mut weak = finding();
        weak.id = "f2".into();
        weak.rule = "baseline.new_source_ip".into();
        weak.severity = Severity::Medium;
        let mut fp = finding();
        fp.id = "f3".into();
        fp.rule = "baseline.off_hours".into();
        fp.severity = Severity::Medium;
        fp.principal = "arn:aws:iam::111122223333:role/etl-nightly".into();
        let mut low = fp.clone();
        low.id = "f4".into();
        low.severity = Severity::Low;
        let e = evaluate(&[t], &[hit, weak, fp, low]);
        assert_eq!((e.found, e.labels), (1, 1));
        assert_eq!(e.recall, 1.0);
        assert_eq!(e.findings_medium_plus, 3, "the low finding is not counted");
        assert_eq!(e.true_findings, 1);
        assert_eq!(
            e.false_positives, 1,
            "the under-severity finding is about the attack"
        );
        assert_eq!(
            e.false_positives_by_rule.get("baseline.off_hours"),
            Some(&1)
        );
        assert!((e.precision - 0.5).abs() < 1e-9);
        assert_eq!(
            e.scenarios[0].rules,
            vec!["aws.s3.bulk_download".to_string()]
        );
        let empty = evaluate(&[truth()], &[]);
        assert_eq!(empty.recall, 0.0);
        assert!(table(&empty).contains("NO"));
    }

    #[test]
    fn reads_only_findings_and_rejects_broken_lines() {
        let input = concat!(
            r#"{"type":"summary","events":3}"#,
            "\n\n",
            r#"{"type":"finding","id":"x","rule":"r","severity":"high","principal":"p","first_seen":"2026-02-07T02:45:00Z","last_seen":"2026-02-07T02:50:00Z","mitre":["T1530"]}"#,
            "\n",
            r#"{"type":"incident","id":"i","principal":"p"}"#,
            "\n"
        );
        let f = read_findings(input.as_bytes()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        let err = read_findings(r#"{"type":"finding","severity":"urgent"}"#.as_bytes());
        assert!(matches!(err, Err(EvalError::Finding { line: 1, .. })));
        let err = read_findings("recall 1.0\n".as_bytes());
        assert!(err.is_err());
    }

    #[test]
    fn labels_schema_is_checked() {
        let good = r#"[{"id":"a","description":"d","provider":"gcp","principal":"p","principal_aliases":[],"start":"2026-02-07T02:45:00Z","end":"2026-02-07T02:45:00Z","mitre":["T1098"],"expected_severity_min":"medium","expected_rules":[]}]"#;
        assert_eq!(parse_labels(good).unwrap().len(), 1);
        for (from, to) in [
            (r#""provider":"gcp""#, r#""provider":"oracle""#),
            (r#""principal":"p""#, r#""principal":"""#),
            (r#""principal_aliases":[]"#, r#""principal_aliases":[""]"#),
            (r#""mitre":["T1098"]"#, r#""mitre":["lateral"]"#),
            (r#""mitre":["T1098"]"#, r#""mitre":[]"#),
            (
                r#""end":"2026-02-07T02:45:00Z""#,
                r#""end":"2026-02-07T01:00:00Z""#,
            ),
            (
                r#""start":"2026-02-07T02:45:00Z""#,
                r#""start":"2026-02-07 02:45""#,
            ),
            (
                r#""expected_severity_min":"medium""#,
                r#""expected_severity_min":"severe""#,
            ),
            (r#""expected_rules":[]"#, r#""expected_rules":[],"extra":1"#),
            (r#""id":"a","#, ""),
        ] {
            let bad = good.replace(from, to);
            assert_ne!(bad, good);
            assert!(parse_labels(&bad).is_err(), "{to}");
        }
        let twice = format!("[{0},{0}]", crate::text::slice(good, 1, good.len() - 1));
        assert!(parse_labels(&twice).is_err(), "repeated id");
    }
}
