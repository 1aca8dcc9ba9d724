//! rootgrad: train small classifiers on ROOT ntuples, with data/simulation domain
//! adaptation, and write the scores back as friend trees. One static binary, no Python.
//!
//! The library holds everything; `main.rs` only parses the command line and prints the
//! one error a run may end with. See `../shared/DESIGN.md` for the layout.

// `!(x > 0.0)` is how this code says "not a positive number, NaN included": meant that
// way wherever it appears, so the lint that asks for `partial_cmp` instead is off.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod apply;
pub mod batch;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod expr;
pub mod interrupt;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod optim;
pub mod output;
pub mod progress;
pub mod random;
pub mod report;
pub mod reweight;
pub mod root;
pub mod run_folder;
pub mod samples;
pub mod train;

pub use error::{Error, Result};
