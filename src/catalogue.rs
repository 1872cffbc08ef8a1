//! The detection catalogue (`rules/catalogue.toml`), embedded: ids, titles, severities,
//! ATT&CK ids, tactics, thresholds and next steps, as data.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Finding severity, ordered.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// A base score for ranking (0–100 scale).
    pub fn base_score(self) -> u32 {
        match self {
            Severity::Info => 5,
            Severity::Low => 20,
            Severity::Medium => 45,
            Severity::High => 70,
            Severity::Critical => 90,
        }
    }

    pub fn raise(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }

    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            _ => Severity::Info,
        }
    }
}

/// One catalogue entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub family: String,
    pub title: String,
    pub severity: Severity,
    pub mitre: Vec<String>,
    pub tactic: String,
    pub needs: String,
    #[serde(default)]
    pub threshold: BTreeMap<String, f64>,
    /// One finding per principal and day (what is new, or when), not one per burst: its
    /// events within a day of the last extend the open finding, whatever the merge gap.
    #[serde(default)]
    pub digest: bool,
    /// Opens a bucket or container to anyone (anonymous reads after it join its incident).
    #[serde(default)]
    pub exposes: bool,
    /// An anonymous read: normal for a bucket public on purpose.
    #[serde(default)]
    pub public_read: bool,
    /// A setting administrators and infrastructure templates change as part of their work:
    /// low when the principal made the same call earlier in the history window.
    #[serde(default)]
    pub routine_for_admins: bool,
    /// The provider's own anomaly record, not an API call: not counted in API rates.
    #[serde(default)]
    pub provider_insight: bool,
    /// What the finding's resources are (OCSF `resources[].type`), when not the storage.
    #[serde(default)]
    pub resource_type: Option<String>,
    pub description: String,
    pub next_steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    tactics: Vec<String>,
    rule: Vec<RuleMeta>,
}

/// The catalogue.
pub struct Catalogue {
    pub tactics: Vec<String>,
    pub rules: Vec<RuleMeta>,
}

const SOURCE: &str = include_str!("../rules/catalogue.toml");

/// The rule ids of the catalogue as constants, generated from it at build time (`build.rs`):
/// code names rules as `rule::AWS_S3_PUBLIC_POLICY`, so a misspelt id does not compile.
pub mod rule {
    include!(concat!(env!("OUT_DIR"), "/rule_ids.rs"));
}

impl Catalogue {
    /// The embedded catalogue (parsed once; a broken file fails the tests, not users).
    pub fn get() -> &'static Catalogue {
        static CAT: OnceLock<Catalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            let f: CatalogueFile = toml::from_str(SOURCE)
                .unwrap_or_else(|e| panic!("rules/catalogue.toml is invalid: {e}"));
            Catalogue {
                tactics: f.tactics,
                rules: f.rule,
            }
        })
    }

    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rule's default severity. An id missing from the catalogue is a defect (a test
    /// checks every id the code names): debug builds stop on it; a release build reports it
    /// as medium rather than lose the finding.
    pub fn severity(&self, id: &str) -> Severity {
        let rule = self.rule(id);
        debug_assert!(rule.is_some(), "rule {id} is not in rules/catalogue.toml");
        rule.map_or(Severity::Medium, |r| r.severity)
    }

    /// Whether the rule has an attribute (`false` for an unknown rule).
    pub fn is(&self, id: &str, attribute: impl Fn(&RuleMeta) -> bool) -> bool {
        self.rule(id).is_some_and(attribute)
    }

    /// Position of a tactic in kill-chain order (unknown tactics sort last).
    pub fn tactic_rank(&self, tactic: &str) -> usize {
        self.tactics
            .iter()
            .position(|t| t == tactic)
            .unwrap_or(self.tactics.len())
    }

    /// A threshold of a rule, or `default` when the catalogue has none.
    pub fn threshold(&self, id: &str, key: &str, default: f64) -> f64 {
        self.rule(id)
            .and_then(|r| r.threshold.get(key).copied())
            .unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attributes sit on the rules they describe.
    #[test]
    fn attributes_fit_their_rules() {
        let c = Catalogue::get();
        for r in &c.rules {
            if r.exposes {
                assert_eq!(r.family, "exposure", "{}", r.id);
            }
            if r.public_read {
                assert!(r.id.ends_with("anonymous_read"), "{}", r.id);
            }
            if r.routine_for_admins {
                assert!(
                    matches!(r.family.as_str(), "tampering" | "exposure" | "credentials"),
                    "{}",
                    r.id
                );
            }
        }
        assert_eq!(c.rules.iter().filter(|r| r.exposes).count(), 5);
        assert!(c.is("aws.cloudtrail.stop_logging", |r| r.resource_type.is_some()));
        assert!(!c.is("no.such.rule", |_| true));
    }

    #[test]
    fn generated_ids_are_the_catalogue() {
        let ids: Vec<&str> = Catalogue::get()
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, rule::ALL);
        assert_eq!(rule::AWS_S3_PUBLIC_POLICY, "aws.s3.public_policy");
    }

    #[test]
    fn catalogue_is_well_formed() {
        let c = Catalogue::get();
        assert!(c.rules.len() > 40);
        let mut ids = std::collections::BTreeSet::new();
        for r in &c.rules {
            assert!(ids.insert(r.id.clone()), "duplicate id {}", r.id);
            let scope = r.id.rsplit_once('.').map(|x| x.0).unwrap_or("");
            assert!(
                matches!(
                    scope,
                    "aws.s3"
                        | "aws.cloudtrail"
                        | "aws.kms"
                        | "gcp.gcs"
                        | "gcp.logging"
                        | "azure.blob"
                        | "azure.storage"
                        | "baseline"
                        | "trailhound"
                ),
                "{}: scope {scope}",
                r.id
            );
            assert!(r
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'));
            assert!(
                !r.mitre.is_empty() && r.mitre.iter().all(|m| m.starts_with('T')),
                "{}",
                r.id
            );
            assert!(
                c.tactics.contains(&r.tactic),
                "{}: tactic {}",
                r.id,
                r.tactic
            );
            assert!(!r.next_steps.is_empty(), "{}", r.id);
        }
    }
}
