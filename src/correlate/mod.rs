//! Correlation: findings of one principal close in time become one incident, whose ordered
//! tactics tell the story and raise its severity; anonymous or public access is grouped by the
//! resource instead, and joined to the change that made the resource public. Each incident gets
//! a narrative, next steps and ready-to-run queries; each principal a risk score.

use crate::catalogue::rule;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalogue::{Catalogue, Severity};
use crate::detect::finding::Finding;
use crate::time::{rfc3339, NANOS_PER_HOUR};

mod narrative;
mod next_steps;
mod queries;

use narrative::narrative;
use next_steps::next_steps;
use queries::queries;
pub(crate) use queries::queries_for;
pub use queries::Queries;

/// Findings further apart than this start a new incident.
const CHAIN_GAP: i64 = 12 * NANOS_PER_HOUR;
/// Anonymous reads within this long after a resource was made public join that incident.
const EXPOSURE_WINDOW: i64 = 72 * NANOS_PER_HOUR;

/// Settings for correlation.
#[derive(Clone, Debug, Default)]
pub struct CorrelateConfig {
    /// Principal id → person, to join one human's identities across clouds.
    pub identities: BTreeMap<String, String>,
}

/// An incident (DESIGN.md output contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Incident {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub principal: String,
    /// Every principal in the incident (several when identities are mapped, or for public
    /// access).
    pub principals: Vec<String>,
    pub severity: Severity,
    pub score: u32,
    pub first_seen: String,
    pub last_seen: String,
    pub tactics: Vec<String>,
    pub mitre: Vec<String>,
    pub findings: Vec<String>,
    pub narrative: String,
    pub next_steps: Vec<String>,
    pub queries: Queries,
}

/// A principal's risk score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PrincipalRisk {
    pub principal: String,
    pub score: u32,
    pub findings: usize,
    pub incidents: usize,
    pub highest: Severity,
}

fn group_key(f: &Finding, cfg: &CorrelateConfig) -> String {
    if f.principal == "anonymous" {
        let bucket = f
            .resources
            .first()
            .map(|r| r.split('/').next().unwrap_or(r))
            .unwrap_or("");
        return format!("anonymous:{bucket}");
    }
    match cfg.identities.get(&f.principal) {
        Some(person) => format!("person:{person}"),
        None => match email_of(&f.principal) {
            // A configured mapping that names this email joins it to its person too.
            Some(email) => match cfg.identities.get(&email) {
                Some(person) => format!("person:{person}"),
                None => format!("email:{email}"),
            },
            None => format!("principal:{}", f.principal),
        },
    }
}

/// The email address a principal stands for, lower-cased: a Google account
/// (`eve@example.com`), or the session name of an AWS role session that a single sign-on
/// names after the user (`arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_x/eve@example.com`).
/// Service accounts are emails too, and only ever match themselves.
fn email_of(principal: &str) -> Option<String> {
    let candidate = if principal.starts_with("arn:") {
        if !principal.contains(":assumed-role/") && !principal.contains(":federated-user/") {
            return None;
        }
        principal.rsplit('/').next()?
    } else {
        principal
    };
    let (local, domain) = candidate.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && candidate.len() <= 254
        && candidate
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"@._+-".contains(&c));
    plausible.then(|| candidate.to_ascii_lowercase())
}

/// Builds incidents and sets each finding's `incident`; incidents come back most severe first.
pub fn correlate(findings: &mut [Finding], cfg: &CorrelateConfig) -> Vec<Incident> {
    // Clusters of finding indexes: per group key, split where findings are far apart.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        groups.entry(group_key(f, cfg)).or_default().push(i);
    }
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for (_, mut idx) in groups {
        idx.sort_by_key(|&i| findings[i].first_ns);
        let mut cur: Vec<usize> = Vec::new();
        let mut last = i64::MIN;
        for i in idx {
            if !cur.is_empty() && findings[i].first_ns - last > CHAIN_GAP {
                clusters.push(std::mem::take(&mut cur));
            }
            last = last.max(findings[i].last_ns);
            cur.push(i);
        }
        if !cur.is_empty() {
            clusters.push(cur);
        }
    }
    // Anonymous access to a resource joins the incident that made the resource public; so does
    // a public read the catalogue names as such (usage logs name addresses, not `anonymous`,
    // and an address's other findings beside it are at most low).
    let mut absorbed = vec![false; clusters.len()];
    let cat = Catalogue::get();
    for a in 0..clusters.len() {
        let public = |i: usize| cat.is(&findings[i].rule, |r| r.public_read);
        let anon = clusters[a]
            .iter()
            .all(|&i| findings[i].principal == "anonymous")
            || (clusters[a].iter().any(|&i| public(i))
                && clusters[a]
                    .iter()
                    .all(|&i| public(i) || findings[i].severity < Severity::Medium));
        if !anon {
            continue;
        }
        let start = clusters[a]
            .iter()
            .map(|&i| findings[i].first_ns)
            .min()
            .unwrap_or(0);
        let buckets: BTreeSet<String> = clusters[a]
            .iter()
            .flat_map(|&i| {
                findings[i]
                    .resources
                    .iter()
                    .map(|r| r.split('/').next().unwrap_or(r).to_string())
            })
            .collect();
        let target = (0..clusters.len()).find(|&e| {
            e != a
                && !absorbed[e]
                && clusters[e].iter().any(|&i| {
                    let f = &findings[i];
                    crate::catalogue::Catalogue::get().is(&f.rule, |r| r.exposes)
                        && f.first_ns <= start
                        && start - f.first_ns <= EXPOSURE_WINDOW
                        && f.resources
                            .iter()
                            .any(|r| buckets.contains(r.split('/').next().unwrap_or(r)))
                })
        });
        if let Some(e) = target {
            let moved = std::mem::take(&mut clusters[a]);
            clusters[e].extend(moved);
            absorbed[a] = true;
        }
    }
    let mut incidents = Vec::new();
    for (ci, cluster) in clusters.into_iter().enumerate() {
        if absorbed[ci] || cluster.is_empty() {
            continue;
        }
        let mut members: Vec<&Finding> = cluster.iter().map(|&i| &findings[i]).collect();
        members.sort_by_key(|f| (f.first_ns, f.rule.clone()));
        let max = members.iter().map(|f| f.severity).max().unwrap_or_default();
        if max < Severity::Medium {
            continue;
        }
        let incident = build(&members, max, cat);
        for &i in &cluster {
            findings[i].incident = Some(incident.id.clone());
        }
        incidents.push(incident);
    }
    incidents.sort_by(|a, b| {
        (b.severity, b.score, &a.first_seen, &a.id).cmp(&(
            a.severity,
            a.score,
            &b.first_seen,
            &b.id,
        ))
    });
    incidents
}

fn build(members: &[&Finding], max: Severity, cat: &Catalogue) -> Incident {
    let first = members.iter().map(|f| f.first_ns).min().unwrap_or(0);
    let last = members.iter().map(|f| f.last_ns).max().unwrap_or(0);
    let principals: Vec<String> = members
        .iter()
        .map(|f| f.principal.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // The principal that did the most severe thing leads the story.
    let lead = members
        .iter()
        .max_by_key(|f| {
            (
                f.severity,
                f.principal != "anonymous",
                std::cmp::Reverse(f.first_ns),
            )
        })
        .map(|f| f.principal.clone())
        .unwrap_or_default();
    // Tactics in the order they happened, and whether that order follows the kill chain.
    let mut tactics: Vec<String> = Vec::new();
    for f in members {
        if f.severity >= Severity::Low && !tactics.contains(&f.tactic) && !f.tactic.is_empty() {
            tactics.push(f.tactic.clone());
        }
    }
    let ranks: Vec<usize> = tactics.iter().map(|t| cat.tactic_rank(t)).collect();
    let ordered = ranks.windows(2).filter(|w| w[0] <= w[1]).count();
    let stages = tactics
        .iter()
        .filter(|t| {
            matches!(
                t.as_str(),
                "defense-evasion"
                    | "discovery"
                    | "collection"
                    | "exfiltration"
                    | "impact"
                    | "credential-access"
                    | "persistence"
            )
        })
        .count();
    let has = |rule: &str| members.iter().any(|f| f.rule == rule);
    let mut severity = max;
    let mut reasons = Vec::new();
    if stages >= 3 && max >= Severity::High {
        severity = Severity::Critical;
        reasons.push(format!("{stages} attack stages in one chain"));
    }
    if has(rule::BASELINE_DORMANT_PRINCIPAL) && max >= Severity::Medium {
        severity = severity.raise();
        reasons.push("a dormant identity".to_string());
    }
    let novel_place = has(rule::BASELINE_NEW_SOURCE_IP);
    let harmful = members.iter().any(|f| {
        matches!(f.tactic.as_str(), "collection" | "exfiltration" | "impact")
            && f.severity >= Severity::Medium
    });
    if novel_place && harmful {
        severity = severity.raise();
        reasons.push("harm done from a place this identity never used".to_string());
    }
    let top = members.iter().map(|f| f.score).max().unwrap_or(0);
    let score = (top
        + 5 * stages.saturating_sub(1) as u32
        + 2 * (members.len().min(10) as u32 - 1)
        + 3 * ordered as u32)
        .max(severity.base_score())
        .min(100);
    let mitre: Vec<String> = members
        .iter()
        .flat_map(|f| f.mitre.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let id = {
        use std::hash::BuildHasher;
        let h = foldhash::quality::FixedState::with_seed(0x494e_4349)
            .hash_one((&lead, first.div_euclid(NANOS_PER_HOUR)));
        format!("i-{h:016x}")
    };
    let provider = members.first().map(|f| f.provider).unwrap_or("aws");
    Incident {
        kind: "incident",
        id,
        principal: lead.clone(),
        principals,
        severity,
        score,
        first_seen: rfc3339(first),
        last_seen: rfc3339(last),
        tactics: tactics.clone(),
        mitre,
        findings: members.iter().map(|f| f.id.clone()).collect(),
        narrative: narrative(members, &lead, &tactics, &reasons),
        next_steps: next_steps(members, provider, &lead, cat),
        queries: queries(members, &lead, first, last),
    }
}

/// Risk per principal: its worst incident, plus a little for each further finding; most
/// suspicious first.
pub fn rank_principals(findings: &[Finding], incidents: &[Incident]) -> Vec<PrincipalRisk> {
    // The most serious finding or incident sets the score; every further finding adds a
    // little (at most 10 in all), never past the band of the highest severity: many low
    // findings do not outrank one high.
    let mut by: BTreeMap<&str, (PrincipalRisk, u32)> = BTreeMap::new();
    for f in findings {
        let (e, extra) = by.entry(&f.principal).or_insert_with(|| {
            let r = PrincipalRisk {
                principal: f.principal.clone(),
                score: 0,
                findings: 0,
                incidents: 0,
                highest: Severity::Info,
            };
            (r, 0)
        });
        e.findings += 1;
        e.highest = e.highest.max(f.severity);
        *extra += (f.score / 20).clamp(1, 3);
        e.score = e.score.max(f.score);
    }
    for i in incidents {
        for p in &i.principals {
            if let Some((e, _)) = by.get_mut(p.as_str()) {
                e.incidents += 1;
                e.score = e.score.max(i.score);
                e.highest = e.highest.max(i.severity);
            }
        }
    }
    let mut v: Vec<PrincipalRisk> = by
        .into_values()
        .map(|(mut r, extra)| {
            let ceiling = match r.highest {
                Severity::Info => 19,
                Severity::Low => 44,
                Severity::Medium => 69,
                Severity::High => 89,
                Severity::Critical => 100,
            };
            let first = (r.score / 20).clamp(1, 3);
            r.score = (r.score + extra.saturating_sub(first).min(10)).min(ceiling);
            r
        })
        .collect();
    v.sort_by(|a, b| (b.score, b.highest, &a.principal).cmp(&(a.score, a.highest, &b.principal)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &str, principal: &str, minute: i64, sev: Severity, resource: &str) -> Finding {
        let meta = Catalogue::get().rule(rule).unwrap();
        let t = 1_700_000_000_000_000_000 + minute * 60_000_000_000;
        Finding {
            kind: "finding",
            id: format!("f-{rule}-{minute}"),
            rule: rule.into(),
            title: meta.title.clone(),
            severity: sev,
            score: sev.base_score(),
            provider: "aws",
            principal: principal.into(),
            first_seen: rfc3339(t),
            last_seen: rfc3339(t),
            mitre: meta.mitre.clone(),
            source_ips: vec!["203.0.113.7".into()],
            resources: if resource.is_empty() {
                vec![]
            } else {
                vec![resource.into()]
            },
            event_count: 1,
            evidence: Default::default(),
            incident: None,
            first_ns: t,
            last_ns: t,
            tactic: meta.tactic.clone(),
        }
    }

    #[test]
    fn a_crowd_is_queried_by_its_buckets_not_by_a_name() {
        let group = crate::detect::cardinality::GROUP_PRINCIPAL;
        let mut fs = vec![f(
            "baseline.one_shot_principals",
            group,
            0,
            Severity::Medium,
            "public-assets",
        )];
        let inc = correlate(&mut fs, &CorrelateConfig::default());
        assert_eq!(inc.len(), 1);
        let sql = inc[0].queries.athena_sql.as_deref().unwrap();
        assert!(sql.contains("IN ('public-assets')"), "{sql}");
        assert!(!sql.contains("useridentity.arn ="), "{sql}");
        assert!(inc[0].next_steps[0].starts_with("Decide whether the crowd"));
    }

    #[test]
    fn the_seed_scenario_is_one_critical_incident() {
        let p = "arn:aws:iam::111122223333:user/backup-maint";
        let mut fs = vec![
            f("baseline.dormant_principal", p, 0, Severity::High, ""),
            f("aws.s3.logging_disabled", p, 1, Severity::High, "backups"),
            f("aws.s3.enumeration", p, 3, Severity::High, "backups"),
            f(
                "aws.s3.bulk_download",
                p,
                10,
                Severity::Critical,
                "backups/db.dump",
            ),
            f(
                "aws.s3.mass_delete",
                p,
                40,
                Severity::Critical,
                "backups/db.dump",
            ),
            // Someone else, the same night: a separate story.
            f(
                "baseline.after_hours_access",
                "arn:aws:iam::111122223333:user/alice",
                5,
                Severity::Medium,
                "",
            ),
        ];
        let inc = correlate(&mut fs, &CorrelateConfig::default());
        assert_eq!(inc.len(), 2);
        let main = &inc[0];
        assert_eq!(main.principal, p);
        assert_eq!(main.severity, Severity::Critical);
        assert_eq!(main.findings.len(), 5);
        assert_eq!(
            main.tactics,
            [
                "initial-access",
                "defense-evasion",
                "discovery",
                "collection",
                "impact"
            ]
        );
        assert!(main.narrative.contains("backup-maint"));
        assert!(main
            .queries
            .athena_sql
            .as_ref()
            .unwrap()
            .contains("user/backup-maint"));
        assert!(fs[..5]
            .iter()
            .all(|x| x.incident.as_deref() == Some(main.id.as_str())));
        let ranked = rank_principals(&fs, &inc);
        assert_eq!(ranked[0].principal, p);
    }

    #[test]
    fn far_apart_and_low_only_do_not_join() {
        let p = "arn:aws:iam::1:user/bob";
        let mut fs = vec![
            f("aws.s3.bucket_deleted", p, 0, Severity::High, "x"),
            f("aws.s3.bucket_deleted", p, 60 * 48, Severity::High, "y"),
            f(
                "baseline.new_user_agent",
                "arn:aws:iam::1:user/carol",
                0,
                Severity::Low,
                "",
            ),
        ];
        let inc = correlate(&mut fs, &CorrelateConfig::default());
        assert_eq!(
            inc.len(),
            2,
            "two days apart: two incidents; low only: none"
        );
        assert!(fs[2].incident.is_none());
    }

    #[test]
    fn anonymous_reads_join_the_exposure() {
        let p = "arn:aws:iam::1:user/dev";
        let mut fs = vec![
            f(
                "aws.s3.public_policy",
                p,
                0,
                Severity::Critical,
                "shared-data",
            ),
            f(
                "aws.s3.anonymous_read",
                "anonymous",
                30,
                Severity::High,
                "shared-data/report.pdf",
            ),
            f(
                "aws.s3.anonymous_read",
                "anonymous",
                30,
                Severity::High,
                "other-bucket/x",
            ),
        ];
        let inc = correlate(&mut fs, &CorrelateConfig::default());
        assert_eq!(inc.len(), 2);
        let exposure = inc.iter().find(|i| i.principal == p).unwrap();
        assert_eq!(exposure.findings.len(), 2);
        assert!(exposure.principals.contains(&"anonymous".to_string()));
    }

    #[test]
    fn mapped_identities_are_one_story() {
        let mut cfg = CorrelateConfig::default();
        cfg.identities
            .insert("arn:aws:iam::1:user/eve".into(), "eve".into());
        cfg.identities
            .insert("eve@example.com".into(), "eve".into());
        let mut fs = vec![
            f(
                "aws.s3.bulk_download",
                "arn:aws:iam::1:user/eve",
                0,
                Severity::Critical,
                "a",
            ),
            f(
                "gcp.gcs.bulk_download",
                "eve@example.com",
                20,
                Severity::Critical,
                "b",
            ),
        ];
        let inc = correlate(&mut fs, &cfg);
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].principals.len(), 2);
    }

    #[test]
    fn one_email_is_one_story_across_clouds() {
        let sso =
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/Eve@Example.com";
        let mut fs = vec![
            f("aws.s3.bulk_download", sso, 0, Severity::High, "a"),
            f(
                "gcp.gcs.bulk_download",
                "eve@example.com",
                20,
                Severity::High,
                "b",
            ),
            f(
                "gcp.gcs.bulk_download",
                "bob@example.com",
                20,
                Severity::High,
                "c",
            ),
        ];
        let inc = correlate(&mut fs, &CorrelateConfig::default());
        assert_eq!(inc.len(), 2, "{inc:#?}");
        let eve = inc
            .iter()
            .find(|i| i.principals.len() == 2)
            .expect("eve's story");
        assert!(eve.principals.contains(&"eve@example.com".to_string()));
        // A role session named after something that is not an email stays its own.
        assert_eq!(email_of("arn:aws:sts::1:assumed-role/etl/i-0abc123"), None);
        assert_eq!(email_of("arn:aws:iam::1:user/eve@example.com"), None);
        assert_eq!(email_of("eve@localhost"), None);
        assert_eq!(email_of("anonymous"), None);
        assert_eq!(
            email_of("etl@proj.iam.gserviceaccount.com").as_deref(),
            Some("etl@proj.iam.gserviceaccount.com")
        );
        // A mapping that names the email takes the SSO session along.
        let mut cfg = CorrelateConfig::default();
        cfg.identities
            .insert("eve@example.com".into(), "eve".into());
        cfg.identities
            .insert("11111111-2222-3333-4444-555555555555".into(), "eve".into());
        let mut fs = vec![
            f("aws.s3.bulk_download", sso, 0, Severity::High, "a"),
            f(
                "azure.blob.bulk_download",
                "11111111-2222-3333-4444-555555555555",
                30,
                Severity::High,
                "b",
            ),
        ];
        let inc = correlate(&mut fs, &cfg);
        assert_eq!(inc.len(), 1, "{inc:#?}");
    }

    #[test]
    fn many_low_findings_do_not_outrank_one_high() {
        let mut fs: Vec<Finding> = (0..12)
            .map(|m| {
                // Lows carry up to 40 with their signs.
                let mut x = f(
                    "baseline.new_user_agent",
                    "noisy",
                    m * 90,
                    Severity::Low,
                    "a",
                );
                x.score = 40;
                x
            })
            .collect();
        fs.push(f("aws.s3.bucket_deleted", "thief", 0, Severity::High, "b"));
        fs.push(f("baseline.new_user_agent", "quiet", 0, Severity::Low, "c"));
        let ranked = rank_principals(&fs, &[]);
        assert_eq!(ranked[0].principal, "thief");
        let noisy = ranked.iter().find(|r| r.principal == "noisy").unwrap();
        let quiet = ranked.iter().find(|r| r.principal == "quiet").unwrap();
        assert!(
            noisy.score < Severity::Medium.base_score(),
            "{}",
            noisy.score
        );
        assert!(noisy.score > quiet.score, "more findings still count");
    }

    #[test]
    fn queries_escape_quotes() {
        let p = "arn:aws:iam::1:user/o'brien";
        let mut fs = vec![f("aws.s3.bucket_deleted", p, 0, Severity::High, "b")];
        let inc = correlate(&mut fs, &CorrelateConfig::default());
        assert!(inc[0]
            .queries
            .athena_sql
            .as_ref()
            .unwrap()
            .contains("o''brien"));
    }
}
