//! trailhound finds abnormal access to cloud object storage in the clouds' own audit logs.
//!
//! Pipeline: [`ingest`] (sources, decompression, format detection, framing) → [`formats`]
//! (one module per log format) → [`event::AccessEvent`] (the normalised event, in
//! [`event::Batch`]es) → sinks ([`summary`], [`report`]).

pub mod action;
pub mod cli;
pub mod eval;
pub mod event;
pub mod formats;
pub mod generate;
pub mod ingest;
pub mod json;
pub mod report;
pub mod summary;
pub mod time;
