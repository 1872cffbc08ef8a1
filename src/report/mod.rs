//! Sinks: how results reach people (table) and machines (JSON, JSON Lines, OCSF).

pub mod html;
pub mod json;
pub mod markup;
pub mod ocsf;
pub mod table;
