//! The browser tests' binary (separate from `cli`: Chromium's memory must not count in the
//! robustness tests' peak RSS of child processes).

// Test code slices text of a known shape (times, names it wrote); a wrong cut fails the test.
#![allow(clippy::string_slice)]

mod browser;
#[allow(dead_code)]
mod common;
