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

/// Circumstances in which a detector gives a finding another severity than its rule's own.
/// The catalogue says which (`levels`, per rule or as a default for all); the code says when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Case {
    /// The call failed: nothing was changed.
    Failed,
    /// Three or more failed attempts of the same change.
    FailedRepeated,
    /// A failed attempt by a principal that also shows discovery within a day.
    FailedWithDiscovery,
    /// The principal's (or the data's) first days: no history to judge against yet.
    Learning,
    /// A principal or place without a baseline, with a modest volume or a few requests.
    Probation,
    /// Routine for the principal: the same call before, or made the way it works.
    Routine,
    /// A principal that roams (many networks): a new one says less.
    Roaming,
    /// One large object, not many: a backup or an export, not a raid.
    OneLargeObject,
    /// One principal makes most of the account's calls of an API.
    Concentrated,
    /// A log stream too quiet to say much by going silent.
    QuietStream,
    /// A busy log stream that stopped, or stayed silent a day.
    StoppedStream,
    /// Enough requests at an odd hour to be a session, by a principal with a routine.
    Session,
    /// Many principals seen once in a day (a crowd minted to hide in).
    Crowd,
    /// A bucket policy that grants one unknown account, not everyone.
    NotPublic,
    /// An account-wide setting that allows public containers, not a public container.
    AccountWide,
    /// Replication whose destination account is not stated.
    DestinationUnstated,
    /// A lifecycle expiry long enough not to destroy data soon.
    LongExpiry,
    /// Event selectors changed on data events only.
    SelectorsOnly,
    /// A SAS token (handed to clients that roam), not an account key.
    SasToken,
    /// Impossible travel within a country the principal knows.
    KnownCountry,
    /// Another account's credentials, when the organisation's accounts are not configured
    /// (a sister account looks the same).
    OrganisationUnknown,
    /// A whole name that ordinary software writes too (a ransom note's, say).
    CommonName,
    /// Deleted, but recoverable for a while (soft delete).
    Recoverable,
    /// A principal granting rights to itself.
    SelfGrant,
}

/// A level: a severity, or one step from the severity the finding has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Lower,
    Raise,
}

impl Level {
    pub fn apply(self, current: Severity) -> Severity {
        match self {
            Level::Info => Severity::Info,
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High => Severity::High,
            Level::Critical => Severity::Critical,
            Level::Lower => current.lower(),
            Level::Raise => current.raise(),
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
    /// Severities in circumstances ([`Case`]) where this rule differs from the defaults.
    #[serde(default)]
    pub levels: BTreeMap<Case, Level>,
    pub description: String,
    pub next_steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    tactics: Vec<String>,
    levels: BTreeMap<Case, Level>,
    rule: Vec<RuleMeta>,
}

/// The catalogue.
pub struct Catalogue {
    pub tactics: Vec<String>,
    /// Severities in circumstances ([`Case`]), for every rule without its own.
    pub levels: BTreeMap<Case, Level>,
    pub rules: Vec<RuleMeta>,
    /// Rule position by id (looked up on the detection thread: a fast hasher; the keys are
    /// the catalogue's, not the logs').
    index: hashbrown::HashMap<String, usize, foldhash::fast::FixedState>,
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
                levels: f.levels,
                index: f
                    .rule
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.id.clone(), i))
                    .collect(),
                rules: f.rule,
            }
        })
    }

    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.get(*self.index.get(id)?)
    }

    /// The severity a finding of `rule` has in a circumstance, from `current`: the rule's own
    /// level for the case, else the catalogue's default. A case with neither is a defect
    /// (debug builds stop on it); a release build leaves the severity as it is.
    pub fn level(&self, rule: &str, case: Case, current: Severity) -> Severity {
        let level = self
            .rule(rule)
            .and_then(|r| r.levels.get(&case))
            .or_else(|| self.levels.get(&case));
        debug_assert!(
            level.is_some(),
            "{rule}: no level for {case:?} in rules/catalogue.toml"
        );
        level.map_or(current, |l| l.apply(current))
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
                assert_eq!(r.family, "exposure", "{}", r.id);
                assert_eq!(r.tactic, "collection", "{}", r.id);
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

    /// Levels in circumstances come from the catalogue: a rule's own, else the default.
    #[test]
    fn levels_resolve() {
        let c = Catalogue::get();
        assert_eq!(
            c.level(rule::AWS_S3_PUBLIC_POLICY, Case::Failed, Severity::Critical),
            Severity::Low,
            "the default"
        );
        assert_eq!(
            c.level(rule::BASELINE_NEW_COUNTRY, Case::Roaming, Severity::Medium),
            Severity::Low,
            "the default: one lower"
        );
        assert_eq!(
            c.level(
                rule::BASELINE_LOG_GAP,
                Case::StoppedStream,
                Severity::Medium
            ),
            Severity::High
        );
        assert_eq!(
            c.level(
                rule::BASELINE_IMPOSSIBLE_TRAVEL,
                Case::Roaming,
                Severity::High
            ),
            Severity::Low,
            "its own level before the default"
        );
        for r in &c.rules {
            for case in r.levels.keys() {
                assert!(
                    !c.levels.contains_key(case) || r.levels[case] != c.levels[case],
                    "{}: {case:?} repeats the default",
                    r.id
                );
            }
        }
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
                        | "aws.iam"
                        | "aws.vpce"
                        | "gcp.gcs"
                        | "gcp.kms"
                        | "gcp.logging"
                        | "gcp.vpcsc"
                        | "azure.blob"
                        | "azure.storage"
                        | "azure.keyvault"
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
