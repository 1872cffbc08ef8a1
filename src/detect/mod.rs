//! Detection: single-event rules (in `rules/`) and per-principal stateful detectors over the
//! time-ordered stream of [`access::Access`] events, producing [`finding::Finding`]s.

pub mod access;
pub mod rules;
