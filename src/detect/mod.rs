//! Detection: single-event rules (in `rules/`) and per-principal stateful detectors over the
//! time-ordered stream of [`access::Access`] events, producing [`finding::Finding`]s.
//!
//! One file per detector family: [`volume`], [`timing`], [`novelty`], [`statistics`],
//! [`errors`], [`blindspot`], account [`insights`], and the single-event families under
//! [`rules`].

pub mod access;
pub mod baseline;
pub mod blindspot;
pub mod cardinality;
pub mod config;
pub mod detector;
pub mod emit;
pub mod engine;
pub mod errors;
pub mod finding;
pub mod habits;
pub mod insights;
pub mod merge;
pub mod novelty;
pub mod public_reads;
pub mod registry;
pub mod rules;
pub mod snapshot;
pub mod statistics;
pub mod techniques;
pub mod timing;
pub mod triage;
pub mod volume;

/// Rules the engine raises itself: the one-shot digest and its self-check.
pub const ENGINE_RULE_IDS: &[&[&str]] = &[engine::RULE_IDS, cardinality::RULE_IDS];

/// Every rule id trailhound can emit: the stateful detectors', the engine's own and the
/// single-event rules'.
pub fn all_rule_ids() -> Vec<&'static str> {
    let stateful = registry::detectors(&config::DetectConfig::default());
    stateful
        .iter()
        .map(|d| d.rule_ids())
        .chain(ENGINE_RULE_IDS.iter().copied())
        .chain(rules::RULE_IDS.iter().copied())
        .flat_map(|f| f.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_and_detectors_agree() {
        let cat = crate::catalogue::Catalogue::get();
        let ids = super::all_rule_ids();
        for id in &ids {
            assert!(
                cat.rule(id).is_some(),
                "{id} emitted but not in the catalogue"
            );
        }
        for r in &cat.rules {
            assert!(
                ids.contains(&r.id.as_str()),
                "{} in the catalogue but no detector emits it",
                r.id
            );
        }
    }
}

#[cfg(test)]
mod detector_tests;
