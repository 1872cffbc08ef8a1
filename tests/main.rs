//! One integration-test binary (each file under tests/ would otherwise link alone).

mod agreement;
mod cli;
mod common;
mod corpus;
mod e2e;
mod generate;
mod investigate;
mod ocsf;
mod robustness;
mod state;
