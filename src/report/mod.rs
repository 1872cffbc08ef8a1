//! Sinks: how results reach people (table) and machines (JSON, JSON Lines).

pub mod html;
pub mod json;
pub mod sanitize;
pub mod table;
