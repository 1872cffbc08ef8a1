//! The browser tests' binary (separate from `cli`: Chromium's memory must not count in the
//! robustness tests' peak RSS of child processes).

mod browser;
#[allow(dead_code)]
mod common;
