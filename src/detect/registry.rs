//! The list of stateful detectors (kept apart from the trait they implement, so that no
//! detector module and the trait's module import each other).

use crate::detect::config::DetectConfig;
use crate::detect::detector::Detector;

/// The stateful detectors, in the order they judge an event (the order findings of one event
/// are opened in).
pub(crate) fn detectors(cfg: &DetectConfig) -> Vec<Box<dyn Detector>> {
    use crate::detect::{
        blindspot, errors, insights, novelty, public_reads, statistics, timing, triage, volume,
    };
    vec![
        Box::new(blindspot::Streams::default()),
        Box::new(insights::Insights::default()),
        Box::new(triage::Triage::default()),
        Box::new(public_reads::PublicReads::default()),
        Box::new(novelty::Novelty::new(cfg)),
        Box::new(timing::Timing),
        Box::new(volume::Volume),
        Box::new(statistics::Statistics),
        Box::new(errors::Errors),
    ]
}
