//! A trained model: the file `train` writes ([`file`]) and the one way events are scored
//! with it ([`scorer`]). `apply`, `report`, `sweep`, `evaluate` and `reweight` all score
//! through [`Scorer`], so the networks of a file, its standardisation, the rule that says
//! which fold model owns an entry, and the eval-mode forward exist once.

pub mod file;
#[cfg(test)]
mod file_tests;
pub mod scorer;
#[cfg(test)]
mod scorer_tests;

pub use file::{
    Folds, Input, Layer, ModelFile, ReweightFactor, Scoring, StandardizeJson, FACTOR_DEFINITION,
    FORMAT, VERSION,
};
pub use scorer::{ChunkLogits, FoldNet, ScoreBuffers, Scorer};
