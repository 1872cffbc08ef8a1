//! trailhound finds abnormal access to cloud object storage in the clouds' own audit logs.
//!
//! Pipeline: [`ingest`] (sources, decompression, format detection, framing) → [`formats`]
//! (one module per log format) → [`event::AccessEvent`] (the normalised event, in
//! [`event::Batch`]es) → [`detect`] (single-event rules, per-principal baselines and
//! detectors over the time-ordered stream) → [`correlate`] (incidents) → sinks ([`summary`],
//! [`report`]). [`pipeline`] runs it end to end; [`generate`] and [`eval`] make and score
//! labelled test worlds.

pub mod action;
pub mod catalogue;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod contain;
pub mod correlate;
pub mod detect;
pub mod eval;
pub mod event;
pub mod formats;
pub mod generate;
pub mod geo;
pub mod ingest;
pub mod investigate;
pub mod json;
pub mod pipeline;
pub mod report;
pub mod skip;
pub mod state;
pub mod summary;
pub mod text;
pub mod time;
