//! Models leave rootgrad: `rootgrad export MODEL --format onnx|cpp` (docs/export.md).
//!
//! Both formats are written from the model file as [`crate::model::Scorer`] reads it:
//! the same input expressions in the same order, each network's standardisation
//! `(x - mean) / std` and its layers `act(W x + b)`, the classifier's sigmoid, and the
//! owner rule of k folds (the fold expression's value f, an integer 0 <= f < k, picks
//! network f). Every network is checked exactly as the scorer checks it
//! ([`crate::model::Scoring::network`]) before anything is written, so an export exists
//! only for a model `apply` can score.
//!
//! - [`onnx`]: one ONNX graph (opset 13, float32) with the input `features` [N, F]
//!   (and, with folds, `fold` [N, 1]) and the output `score` [N, 1]; for a reweighter
//!   also `rw` [N, 1].
//! - [`cpp`]: one dependency-free C++17 header with the weights as `constexpr` arrays,
//!   `score(const float*)` per fold, and the input expressions translated to C++
//!   ([`crate::expr::Expr::to_cpp`]) as functions of the raw branch values.
//!
//! An entry with a NaN or infinite feature (as f32) scores NaN in both, as in `apply`.

pub mod cpp;
pub mod onnx;
pub mod proto;

use std::path::Path;

use rootgrad_kernels::Act;

use crate::config::act_of_name;
use crate::model::{ModelFile, ReweightFactor, Scoring};
use crate::{Error, Result};

/// The version written into every export.
pub const ROOTGRAD_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One dense layer ready to write: `out` rows of `inp` weights (PyTorch's layout),
/// row-major, its bias and its activation.
#[derive(Debug, Clone)]
pub struct DenseLayer {
    pub inp: usize,
    pub out: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub act: Act,
}

/// One network: its standardisation and layers (the last one's activation is the
/// sigmoid, written separately so the logit is at hand).
#[derive(Debug, Clone)]
pub struct Net {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub layers: Vec<DenseLayer>,
}

/// A model file checked and laid out for export.
#[derive(Debug, Clone)]
pub struct Exported {
    /// (name, expression) of every input, in the networks' order.
    pub inputs: Vec<(String, String)>,
    /// One network, or one per fold.
    pub nets: Vec<Net>,
    /// The fold expression (k-fold models only).
    pub fold: Option<String>,
    /// The factor of a reweighter's model.
    pub reweight: Option<ReweightFactor>,
    /// The hash of the model file's bytes: xxh64, 16 hex digits.
    pub hash: String,
    /// The model file's name, for comments.
    pub source: String,
}

/// The XXH64 (seed 0) of the model file's bytes as 16 hex digits: the `model_hash` of
/// every export, which `xxhsum -H64` or Python's `xxhash.xxh64_hexdigest` reproduce.
pub fn model_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh64::xxh64(bytes, 0))
}

impl Exported {
    /// Reads and checks the model file at `path` as `apply` does.
    pub fn read(path: &Path) -> Result<Exported> {
        let m = ModelFile::read(path)?;
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // the scorer's own checks: expressions parse, shapes and activations are right
        crate::model::Scorer::from_file(&m, path)?;
        Exported::from_model(&m, model_hash(&bytes), path.display().to_string())
    }

    /// Lays out a model file that the scorer accepted.
    pub fn from_model(m: &ModelFile, hash: String, source: String) -> Result<Exported> {
        let scorings: Vec<Scoring> = match (&m.folds, m.single()) {
            (Some(f), _) => f.models.clone(),
            (None, Some(s)) => vec![s],
            (None, None) => {
                return Err(Error::Usage(format!("{source}: the model has no layers")));
            }
        };
        let nets = scorings
            .iter()
            .enumerate()
            .map(|(k, s)| net_of(s, &format!("{source}: network {k}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(Exported {
            inputs: m
                .inputs
                .iter()
                .map(|i| (i.name.clone(), i.expression.clone()))
                .collect(),
            nets,
            fold: m.folds.as_ref().map(|f| f.expression.clone()),
            reweight: m.reweight.clone(),
            hash,
            source,
        })
    }

    /// The metadata every export carries, in order: the inputs, the fold rule, the
    /// factor of a reweighter, the producer and the model's hash.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let mut v = vec![
            (
                "rootgrad.inputs".to_string(),
                serde_json::to_string(
                    &self
                        .inputs
                        .iter()
                        .map(|(_, e)| e.as_str())
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_default(),
            ),
            (
                "rootgrad.input_names".to_string(),
                serde_json::to_string(
                    &self
                        .inputs
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_default(),
            ),
            ("rootgrad.folds".to_string(), self.nets.len().to_string()),
            (
                "rootgrad.fold_expression".to_string(),
                self.fold.clone().unwrap_or_default(),
            ),
        ];
        if let Some(r) = &self.reweight {
            v.push((
                "rootgrad.reweight".to_string(),
                serde_json::to_string(r).unwrap_or_default(),
            ));
        }
        v.push(("rootgrad.version".to_string(), ROOTGRAD_VERSION.to_string()));
        v.push(("rootgrad.model_hash".to_string(), self.hash.clone()));
        v.push(("rootgrad.model_file".to_string(), self.source.clone()));
        v
    }
}

/// The layers of one scoring network, with activations resolved.
fn net_of(s: &Scoring, what: &str) -> Result<Net> {
    let layers = s
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let act = act_of_name(&layer.activation, layer.alpha).ok_or_else(|| {
                Error::Usage(format!(
                    "{what}: layer {l}: activation `{}` cannot be exported (no such activation)",
                    layer.activation
                ))
            })?;
            let inp = layer.weight.first().map_or(0, |r| r.len());
            Ok(DenseLayer {
                inp,
                out: layer.bias.len(),
                weight: layer.weight.iter().flatten().copied().collect(),
                bias: layer.bias.clone(),
                act,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Net {
        mean: s.standardize.mean.clone(),
        std: s.standardize.std.clone(),
        layers,
    })
}
