//! One integration-test binary (each file under tests/ would otherwise link alone).

// Test code slices text of a known shape (times, names it wrote); a wrong cut fails the test.
#![allow(clippy::string_slice)]

mod agreement;
mod architecture;
mod cli;
mod common;
mod corpus;
mod e2e;
mod fuzz_values;
mod generate;
mod hostile;
mod investigate;
mod ocsf;
mod robustness;
mod state;
