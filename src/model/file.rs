//! The model file, `model.json`: what `train` writes and every scoring command reads
//! (docs/formats.md).
//!
//! ```text
//! { "format": "rootgrad-model", "version": 1,
//!   "inputs": [{"name": "r9", "expression": "r9"}, ...],
//!   "standardize": {"mean": [...], "std": [...]},
//!   "layers": [{"weight": [[...], ...], "bias": [...], "activation": "relu"}, ...,
//!              {"weight": [[...]], "bias": [...], "activation": "sigmoid"}],
//!   "folds": null,
//!   "training": {...}, "metrics": {...}, "provenance": {...} }
//! ```
//!
//! `weight` is a list of output rows, each a list of input columns (PyTorch's layout).
//! The score is the last layer's output of layer(...layer((x - mean) / std)), each layer
//! `act(W x + b)`. With k folds, `standardize` and `layers` are null and `folds` is
//! `{"k": K, "expression": "event % K", "models": [{"standardize", "layers"}, ...]}`;
//! model k scores the entries whose fold expression gives k. A k-fold training stopped
//! by Ctrl-C saves the folds that finished as an *incomplete* model: `folds.missing`
//! lists the folds not trained yet and `models` holds the others' models, in fold
//! order. [`ModelFile::read`] refuses it, naming the missing folds and the
//! `train --resume` command that trains them; [`ModelFile::read_incomplete`] reads it
//! (for `train --resume`, `inspect`). Heads used only in training
//! (domain, mass adversary) are not written. Numbers are f32 values printed as the
//! shortest decimal that reads back to the same f32, so a model reloads bit for bit.

use std::path::Path;

use rootgrad_kernels::Act;
use serde::{Deserialize, Serialize};

use crate::config::{act_name, act_of_name};
use crate::data::sets::Standardize;
use crate::nn::{Network, NetworkSpec};
use crate::{Error, Result};

/// The format name in every model file.
pub const FORMAT: &str = "rootgrad-model";
/// The newest version this rootgrad writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: String,
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardizeJson {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub weight: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
    pub activation: String,
    /// The slope of leaky_relu or the alpha of elu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
}

/// One scoring network: its standardisation and layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    pub standardize: StandardizeJson,
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folds {
    pub k: usize,
    pub expression: String,
    /// One per fold, in fold order; of an incomplete model, one per fold not in
    /// `missing`.
    pub models: Vec<Scoring>,
    /// The folds not trained yet (an interrupted run; empty, and not written, when the
    /// model is complete).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<usize>,
}

impl Folds {
    /// The folds whose models `models` holds, in its order.
    pub fn trained(&self) -> Vec<usize> {
        (0..self.k).filter(|f| !self.missing.contains(f)).collect()
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub version: u32,
    pub inputs: Vec<Input>,
    pub standardize: Option<StandardizeJson>,
    pub layers: Option<Vec<Layer>>,
    pub folds: Option<Folds>,
    #[serde(default)]
    pub training: serde_json::Value,
    #[serde(default)]
    pub metrics: serde_json::Value,
    #[serde(default)]
    pub provenance: serde_json::Value,
    /// A reweighter's factor (the models `rootgrad reweight` saves); absent in the
    /// models `train` writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reweight: Option<ReweightFactor>,
}

/// How `rootgrad reweight` makes its factor from a model's logit z (docs/formats.md):
/// `rw = exp(z)`, capped at `max_weight` when given, and `weight_rw = weight * rw *
/// normalisation`. `normalisation` is the constant c of the run that saved the model,
/// chosen for the `normalize` target (`mc`, `data`, `none`) on its control region; with
/// `apply_to` = `region`, entries failing `cut` get NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReweightFactor {
    /// The rule in words, for readers of the file: fixed text.
    pub definition: String,
    pub max_weight: Option<f64>,
    pub normalize: String,
    pub normalisation: f64,
    /// The simulation's weight expression (`domain.mc.weight`).
    pub weight: String,
    /// The control region's cut (`domain.mc.cut`), if any.
    pub cut: Option<String>,
    /// `region` or `all`.
    pub apply_to: String,
}

/// [`ReweightFactor::definition`].
pub const FACTOR_DEFINITION: &str =
    "rw = exp(z) with z the logit of the entry's fold model, capped at \
                                     max_weight; NaN outside the cut when apply_to is region; \
                                     weight_rw = weight * rw * normalisation";

impl Scoring {
    /// The scoring layers of `params` (laid out by `net`'s table): the shared hidden
    /// layers and the output layer, which gets the sigmoid for a classifier (one output)
    /// and `identity` (its raw values) for a network with several outputs.
    pub fn from_params(net: &Network, params: &[f32], st: &Standardize) -> Scoring {
        let last = if net.outputs() == 1 {
            "sigmoid"
        } else {
            "identity"
        };
        let mut layers = Vec::new();
        for d in net.table().layers() {
            let classifier = d.name == "classifier";
            if !(classifier || d.name.starts_with("hidden.")) {
                continue;
            }
            let (w, b) = d.slices(params);
            let (act, alpha) = if classifier {
                (last, None)
            } else {
                act_name(d.act)
            };
            layers.push(Layer {
                weight: w.chunks(d.inp).map(|r| r.to_vec()).collect(),
                bias: b.to_vec(),
                activation: act.to_string(),
                alpha,
            });
        }
        Scoring {
            standardize: StandardizeJson {
                mean: st.mean.clone(),
                std: st.std.clone(),
            },
            layers,
        }
    }

    /// Checks the layer shapes against `inputs` features and rebuilds the network (no
    /// heads) with its flat parameter buffer and standardisation. `what` names the model
    /// in errors. The last layer is a classifier's (one output, `sigmoid`) or a
    /// multi-output network's (`identity`, its raw values); the network's `outputs` is
    /// that layer's width ([`Network::outputs`]: callers that need a classifier check it).
    pub fn network(&self, inputs: usize, what: &str) -> Result<(Network, Vec<f32>, Standardize)> {
        network_from(&self.standardize, &self.layers, inputs, what)
    }
}

/// [`Scoring::network`] on a standardisation and layers held elsewhere (the chain model
/// of `morph --chain` keeps them per network in its own file).
pub fn network_from(
    standardize: &StandardizeJson,
    layers: &[Layer],
    inputs: usize,
    what: &str,
) -> Result<(Network, Vec<f32>, Standardize)> {
    let st = Standardize {
        mean: standardize.mean.clone(),
        std: standardize.std.clone(),
    };
    st.check(inputs, what)?;
    let bad = |m: String| Error::Usage(format!("{what}: {m}"));
    let Some(last) = layers.last() else {
        return Err(bad("no layers".into()));
    };
    let outputs = last.bias.len();
    let classifier = last.activation == "sigmoid" && outputs == 1;
    if !(classifier || last.activation == "identity" && outputs >= 1) {
        return Err(bad(format!(
            "the last layer has {outputs} outputs and activation \"{}\"; it must be a \
             classifier's (one output, \"sigmoid\") or a multi-output network's \
             (\"identity\")",
            last.activation
        )));
    }
    let mut hidden = Vec::new();
    let mut act: Option<Act> = None;
    let mut width = inputs;
    for (l, layer) in layers.iter().enumerate() {
        let out = layer.bias.len();
        if layer.weight.len() != out || layer.weight.iter().any(|r| r.len() != width) {
            return Err(bad(format!(
                "layer {l}: weight must be {out} rows of {width} columns (PyTorch's (out, \
                 in) layout) to match its bias and the layer before"
            )));
        }
        if l + 1 < layers.len() {
            let a = act_of_name(&layer.activation, layer.alpha).ok_or_else(|| {
                bad(format!(
                    "layer {l}: unknown activation `{}`",
                    layer.activation
                ))
            })?;
            if act.is_some_and(|x| x != a) {
                return Err(bad(format!(
                    "layer {l}: activation `{}` differs from the layers before; rootgrad's \
                     networks use one activation for every hidden layer",
                    layer.activation
                )));
            }
            act = Some(a);
            hidden.push(out);
        }
        width = out;
    }
    let net = Network::new(NetworkSpec {
        inputs,
        hidden,
        activation: act.unwrap_or(Act::Relu),
        dropout: 0.0,
        outputs,
        domain_head: None,
        mass_head: None,
    })
    .map_err(|e| bad(e.to_string()))?;
    let mut params = vec![0.0f32; net.num_params()];
    for (d, layer) in net.table().layers().iter().zip(layers) {
        let (w, b) = d.slices_mut(&mut params);
        for (dst, row) in w.chunks_mut(d.inp).zip(&layer.weight) {
            dst.copy_from_slice(row);
        }
        b.copy_from_slice(&layer.bias);
    }
    if let Some(i) = params.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!("parameter {i} is not a finite number")));
    }
    Ok((net, params, st))
}

impl ModelFile {
    /// Reads and checks a model file: the format name, the version (a newer one is
    /// refused with the versions named), and the JSON itself. An incomplete model (a
    /// k-fold training stopped before every fold was trained) is refused, naming the
    /// missing folds and the command that trains them.
    pub fn read(path: &Path) -> Result<ModelFile> {
        let m = Self::read_incomplete(path)?;
        match m.folds.as_ref().filter(|f| !f.missing.is_empty()) {
            None => Ok(m),
            Some(_) => Err(Error::Usage(format!(
                "{}: {}; it cannot score events until every fold is trained: {}",
                path.display(),
                m.incomplete_note().unwrap_or_default(),
                m.resume_hint(path)
            ))),
        }
    }

    /// [`ModelFile::read`] that also accepts an incomplete model (`folds.missing`), for
    /// `train --resume` and `inspect`.
    pub fn read_incomplete(path: &Path) -> Result<ModelFile> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |m: String| Error::Usage(format!("{}: {m}", path.display()));
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| bad(format!("not a rootgrad model file (invalid JSON: {e})")))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(bad(format!(
                "not a rootgrad model file (no \"format\": \"{FORMAT}\"); give the model.json \
                 that `rootgrad train` wrote"
            )));
        }
        match v.get("version").and_then(|x| x.as_u64()) {
            Some(n) if n as u32 == VERSION => {}
            Some(n) if n > VERSION as u64 => {
                return Err(bad(format!(
                    "model file version {n} was written by a newer rootgrad; this one reads \
                     version {VERSION}; update rootgrad"
                )))
            }
            other => {
                return Err(bad(format!(
                    "model file version {} is not one this rootgrad reads (version {VERSION})",
                    other.map(|n| n.to_string()).unwrap_or("(missing)".into())
                )))
            }
        }
        let m: ModelFile =
            serde_json::from_value(v).map_err(|e| bad(format!("malformed model file: {e}")))?;
        if m.inputs.is_empty() {
            return Err(bad("the model lists no inputs".into()));
        }
        match (&m.layers, &m.standardize, &m.folds) {
            (Some(_), Some(_), None) => {}
            (None, None, Some(f)) => {
                if f.k < 2 || f.models.len() + f.missing.len() != f.k {
                    return Err(bad(format!(
                        "folds: k = {} with {} models{}; k must be at least 2 with one model per \
                         fold",
                        f.k,
                        f.models.len(),
                        if f.missing.is_empty() {
                            String::new()
                        } else {
                            format!(" and {} missing", f.missing.len())
                        }
                    )));
                }
                let sorted = f.missing.windows(2).all(|w| w[0] < w[1]);
                if !sorted || f.missing.iter().any(|&m| m >= f.k) || f.missing.len() == f.k {
                    return Err(bad(format!(
                        "folds.missing = {:?}: must list distinct folds 0 to {} in increasing \
                         order, not all of them",
                        f.missing,
                        f.k - 1
                    )));
                }
            }
            _ => {
                return Err(bad(
                    "a model has either `layers` and `standardize`, or `folds` (and then both \
                     are null)"
                        .into(),
                ))
            }
        }
        Ok(m)
    }

    /// `"incomplete model: folds 1, 2 of 3 not trained"`, or `None` for a complete one.
    pub fn incomplete_note(&self) -> Option<String> {
        let f = self.folds.as_ref().filter(|f| !f.missing.is_empty())?;
        let list: Vec<String> = f.missing.iter().map(|m| m.to_string()).collect();
        Some(format!(
            "incomplete model: fold{} {} of {} not trained (the training was interrupted)",
            if list.len() > 1 { "s" } else { "" },
            list.join(", "),
            f.k
        ))
    }

    /// The command that finishes the incomplete model at `path`: `train` of the run
    /// description it records, with `--out` its folder and `--resume`.
    pub fn resume_hint(&self, path: &Path) -> String {
        let config = self
            .provenance
            .get("config")
            .and_then(|c| c.as_str())
            .unwrap_or("CONFIG.toml");
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        format!(
            "run `rootgrad train {config} --out {} --resume` with the --set flags of the first \
             run (from the folder it ran in)",
            dir.display()
        )
    }

    /// The scoring networks: one, or one per fold.
    pub fn scorings(&self) -> Vec<&Scoring> {
        match &self.folds {
            Some(f) => f.models.iter().collect(),
            None => Vec::new(),
        }
    }

    /// The single model of a file without folds.
    pub fn single(&self) -> Option<Scoring> {
        match (&self.layers, &self.standardize) {
            (Some(l), Some(s)) => Some(Scoring {
                standardize: s.clone(),
                layers: l.clone(),
            }),
            _ => None,
        }
    }

    /// The JSON text written to disk (pretty, ends with a newline).
    pub fn to_json(&self) -> Result<String> {
        let mut s = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Usage(format!("cannot write the model as JSON: {e}")))?;
        s.push('\n');
        Ok(s)
    }
}
