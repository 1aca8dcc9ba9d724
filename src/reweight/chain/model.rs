//! The chain model file, `chain.json` (format `rootgrad-morph-chain`, version 1): what
//! `morph --chain` trained, enough for `apply -m chain.json` to correct new simulation
//! files entry by entry with the same bits. docs/formats.md describes every key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::file::{Layer, Scoring, StandardizeJson};
use crate::{Error, Result};

/// The `format` string of a chain model.
pub const FORMAT: &str = "rootgrad-morph-chain";
/// The newest version this build reads and the one it writes.
pub const VERSION: u32 = 1;

/// A quantile network: inputs standardised by `standardize`, Q raw outputs made
/// increasing ([`crate::loss::monotone_quantiles`]), then in the variable's units as
/// `q * target.std + target.mean`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QuantileNet {
    pub standardize: StandardizeJson,
    pub target: Target,
    /// Hidden layers then the output layer (Q rows, activation `identity`).
    pub layers: Vec<Layer>,
}

/// The target's standardisation (training events of the network, unweighted).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub mean: f64,
    pub std: f64,
}

/// One fold's networks of one variable: trained on the other folds' events, they
/// correct this fold's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoldNets {
    pub data: QuantileNet,
    pub mc: QuantileNet,
    /// The spike classifiers p(y = spike | x) of data and simulation (a sigmoid
    /// output), with a point mass only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike_data: Option<Scoring>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike_mc: Option<Scoring>,
}

/// A point mass of a variable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpikeJson {
    pub value: f64,
    /// `low` or `high`.
    pub side: String,
}

/// One corrected variable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChainVar {
    pub expression: String,
    /// The friend branch, `<name>_morphed`.
    pub branch: String,
    /// The data's lowest and highest value in the control region (off the point mass,
    /// with one): corrected values off the spike are clamped into it.
    pub range: [f64; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike: Option<SpikeJson>,
    /// One entry per fold, in fold order.
    pub folds: Vec<FoldNets>,
}

/// `training.folds` and `training.fold` of the run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoldsJson {
    pub k: usize,
    pub expression: String,
}

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChainModel {
    pub format: String,
    pub version: u32,
    /// The conditioning expressions, in network input order.
    pub given: Vec<String>,
    /// The quantile levels tau_1 < ... < tau_Q.
    pub levels: Vec<f64>,
    pub folds: FoldsJson,
    /// Keys each entry's jitter v (a value on a point mass).
    pub seed: u64,
    /// The corrected variables in chain order; variable k's networks read
    /// (given..., corrected variables 0..k-1).
    pub variables: Vec<ChainVar>,
    /// How the networks were trained (informational).
    #[serde(default)]
    pub training: serde_json::Value,
}

/// Whether the file at `path` is a chain model (its `format`), without checking the
/// rest; false for a file that cannot be read or parsed (the classifier model reader
/// then says what is wrong with it).
pub fn is_chain_model(path: &Path) -> bool {
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
    }
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Head>(&t).ok())
        .and_then(|h| h.format)
        .is_some_and(|f| f == FORMAT)
}

impl ChainModel {
    /// Reads and checks the shape of a chain model: format, version, one set of
    /// networks per fold, levels increasing in (0, 1), spike sides.
    pub fn read(path: &Path) -> Result<ChainModel> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let m: ChainModel = serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "{}: not a readable chain model: {e}",
                path.display()
            ))
        })?;
        m.check()
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        Ok(m)
    }

    /// The consistency checks of [`ChainModel::read`], as a message.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("format `{}` is not `{FORMAT}`", self.format));
        }
        if self.version > VERSION {
            return Err(format!(
                "version {} is newer than this rootgrad reads ({VERSION}); update rootgrad",
                self.version
            ));
        }
        let q = &self.levels;
        if q.len() < 2 || q.windows(2).any(|p| p[0] >= p[1]) || q[0] <= 0.0 || q[q.len() - 1] >= 1.0
        {
            return Err("levels must be at least 2, strictly increasing, inside (0, 1)".into());
        }
        if self.folds.k < 2 {
            return Err(format!("folds.k = {}: at least 2", self.folds.k));
        }
        if self.given.is_empty() || self.variables.is_empty() {
            return Err("needs `given` and `variables`".into());
        }
        for v in &self.variables {
            if v.folds.len() != self.folds.k {
                return Err(format!(
                    "variable `{}` has networks for {} folds, folds.k is {}",
                    v.expression,
                    v.folds.len(),
                    self.folds.k
                ));
            }
            if !(v.range[0] <= v.range[1]) {
                return Err(format!(
                    "variable `{}`: range is not [low, high]",
                    v.expression
                ));
            }
            if let Some(s) = &v.spike {
                if s.side != "low" && s.side != "high" {
                    return Err(format!(
                        "variable `{}`: spike.side `{}` must be `low` or `high`",
                        v.expression, s.side
                    ));
                }
                if v.folds
                    .iter()
                    .any(|f| f.spike_data.is_none() || f.spike_mc.is_none())
                {
                    return Err(format!(
                        "variable `{}` has a spike but not both spike classifiers in every fold",
                        v.expression
                    ));
                }
            }
        }
        Ok(())
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Usage(format!("chain.json: {e}")))
    }
}
