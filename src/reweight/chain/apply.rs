//! Correcting entries with a chain: the networks ready to run ([`Corrector`]), one
//! variable of many rows at a time ([`Corrector::correct_var`]), and a whole chain of
//! files chunk by chunk into friend trees ([`write_corrected`]), which both `morph
//! --chain` (its own friends) and `apply -m chain.json` use, so both write the same bits.
//!
//! Per row and variable k: the inputs x = (given..., ŷ_0 .. ŷ_{k-1}) in f64, standardised
//! by each network's own mean and std and rounded to f32 once; the eval-mode forward of
//! the entry's fold networks ([`crate::nn::eval::logits_into`]); the Q raw outputs made
//! increasing ([`monotone_quantiles`], in f64) and put back in the variable's units
//! (q * std + mean); the spike probabilities p = sigmoid(z); then
//! [`map_value`] and the clamp to the data's range. A row with a NaN or infinite input
//! or value gets NaN (and so do its later variables, whose inputs include it).

use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;

use super::model::{ChainModel, QuantileNet, Target};
use super::prepare::{PointMass, Side};
use crate::config::act_name;
use crate::data::chunks::{chunk_plan_in, read_ahead, ChunkSize};
use crate::data::locate;
use crate::expr::{ColumnSet, Expr};
use crate::loss::monotone_quantiles;
use crate::model::file::{network_from, Layer, Scoring, StandardizeJson};
use crate::nn::eval::logits_into;
use crate::nn::Network;
use crate::reweight::quantile_map::{map_value, QuantileCurve, Spike, SpikeSide};
use crate::root::provenance::FriendSource;
use crate::root::write::{
    write_friend_stream_as, FriendData, FriendFormat, FriendStream, FriendType, StreamColumn,
};
use crate::root::Chain;
use crate::{Error, Result};

/// A network with its input standardisation, ready to evaluate.
pub struct Net {
    pub net: Network,
    pub params: Vec<f32>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Net {
    /// The eval-mode outputs of `x` ((rows, inputs) in f64, raw): rows * outputs
    /// values.
    pub fn outputs(&self, x: &[f64]) -> Result<Vec<f32>> {
        let d = self.mean.len();
        let mut xs = Vec::with_capacity(x.len());
        for row in x.chunks_exact(d.max(1)) {
            for ((&v, &m), &s) in row.iter().zip(&self.mean).zip(&self.std) {
                xs.push(((v - m) / s) as f32);
            }
        }
        let mut out = Vec::new();
        logits_into(&self.net, &self.params, &xs, &mut None, &mut out)?;
        Ok(out)
    }

    /// The layers as the model files write them; the last with activation `last`.
    pub fn layers(&self, last: &str) -> Vec<Layer> {
        let mut out = Vec::new();
        let layers = self.net.table().layers();
        for (i, d) in layers.iter().enumerate() {
            let (w, b) = d.slices(&self.params);
            let (act, alpha) = if i + 1 == layers.len() {
                (last, None)
            } else {
                act_name(d.act)
            };
            out.push(Layer {
                weight: w.chunks(d.inp).map(|r| r.to_vec()).collect(),
                bias: b.to_vec(),
                activation: act.to_string(),
                alpha,
            });
        }
        out
    }

    fn standardize(&self) -> StandardizeJson {
        StandardizeJson {
            mean: self.mean.clone(),
            std: self.std.clone(),
        }
    }

    /// Rebuilds a network from its layers: `inputs` wide, the last layer `outputs` wide
    /// with activation `last`, one activation for the hidden layers.
    pub fn from_layers(
        layers: &[Layer],
        st: &StandardizeJson,
        (inputs, outputs, last): (usize, usize, &str),
        what: &str,
    ) -> Result<Net> {
        let (net, params, _) = network_from(st, layers, inputs, what)?;
        let end = layers.last().map(|l| l.activation.as_str());
        if end != Some(last) || net.outputs() != outputs {
            return Err(Error::Usage(format!(
                "{what}: the last layer must have {outputs} outputs and activation \"{last}\""
            )));
        }
        Ok(Net {
            net,
            params,
            mean: st.mean.clone(),
            std: st.std.clone(),
        })
    }
}

/// A quantile network: Q outputs, the target's standardisation.
pub struct QNet {
    pub net: Net,
    pub target: Target,
}

impl QNet {
    /// The Q quantiles of each row of `x` in the variable's units, (rows, Q) row-major.
    pub fn quantiles(&self, x: &[f64]) -> Result<Vec<f64>> {
        let r = self.net.outputs(x)?;
        let q = self.net.net.outputs();
        let Target { mean, std } = self.target;
        let mut out = vec![0.0f64; r.len()];
        out.par_chunks_mut(q)
            .zip(r.par_chunks(q))
            .for_each(|(o, r)| {
                let r64: Vec<f64> = r.iter().map(|&v| v as f64).collect();
                monotone_quantiles(&r64, o);
                for v in o.iter_mut() {
                    *v = *v * std + mean;
                }
            });
        Ok(out)
    }

    pub fn to_json(&self) -> QuantileNet {
        QuantileNet {
            standardize: self.net.standardize(),
            target: self.target,
            layers: self.net.layers("identity"),
        }
    }

    pub fn from_json(j: &QuantileNet, inputs: usize, q: usize, what: &str) -> Result<QNet> {
        if !(j.target.std.is_finite() && j.target.std > 0.0 && j.target.mean.is_finite()) {
            return Err(Error::Usage(format!(
                "{what}: target mean/std must be finite, std > 0"
            )));
        }
        Ok(QNet {
            net: Net::from_layers(&j.layers, &j.standardize, (inputs, q, "identity"), what)?,
            target: j.target,
        })
    }
}

/// A spike classifier: p(y = spike | x) = sigmoid(z).
pub struct SNet(pub Net);

impl SNet {
    pub fn probabilities(&self, x: &[f64]) -> Result<Vec<f64>> {
        let z = self.0.outputs(x)?;
        Ok(z.iter()
            .map(|&z| 1.0 / (1.0 + (-(z as f64)).exp()))
            .collect())
    }

    pub fn to_json(&self) -> Scoring {
        Scoring {
            standardize: self.0.standardize(),
            layers: self.0.layers("sigmoid"),
        }
    }

    pub fn from_json(j: &Scoring, inputs: usize, what: &str) -> Result<SNet> {
        Ok(SNet(Net::from_layers(
            &j.layers,
            &j.standardize,
            (inputs, 1, "sigmoid"),
            what,
        )?))
    }
}

/// One fold's networks of one variable.
pub struct FoldStep {
    pub data: QNet,
    pub mc: QNet,
    /// (data, simulation) spike classifiers, with a point mass.
    pub spike: Option<(SNet, SNet)>,
}

/// One variable of the chain.
pub struct VarStep {
    pub expr: Expr,
    pub spike: Option<PointMass>,
    /// The data's control-region [min, max] (off the point mass, with one): values off
    /// the spike are clamped into it.
    pub range: [f64; 2],
    /// One per fold.
    pub folds: Vec<FoldStep>,
}

/// The chain ready to correct rows.
pub struct Corrector {
    pub given: Vec<Expr>,
    pub fold: Expr,
    pub k: usize,
    pub taus: Vec<f64>,
    pub seed: u64,
    pub steps: Vec<VarStep>,
}

fn spike_of(p: &PointMass) -> Spike {
    Spike {
        value: p.value,
        side: match p.side {
            Side::Low => SpikeSide::Low,
            Side::High => SpikeSide::High,
        },
    }
}

impl Corrector {
    /// Corrects variable `k` of n rows: `inputs` are its network inputs as columns
    /// (given..., ŷ_0 .. ŷ_{k-1}), `y` its raw values, `fold` each row's fold (checked,
    /// < k), `entries` each row's entry number inside its file (the jitter's key).
    pub fn correct_var(
        &self,
        k: usize,
        inputs: &[&[f64]],
        y: &[f64],
        fold: &[u32],
        entries: &[u64],
    ) -> Result<Vec<f64>> {
        let step = &self.steps[k];
        let (n, nq) = (y.len(), self.taus.len());
        let mut out = vec![f64::NAN; n];
        let spike = step.spike.as_ref().map(spike_of);
        for (f, fs) in step.folds.iter().enumerate() {
            let rows: Vec<usize> = (0..n)
                .filter(|&i| {
                    fold[i] as usize == f
                        && y[i].is_finite()
                        && inputs.iter().all(|c| c[i].is_finite())
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut x = Vec::with_capacity(rows.len() * inputs.len());
            for &i in &rows {
                x.extend(inputs.iter().map(|c| c[i]));
            }
            let qd = fs.data.quantiles(&x)?;
            let qm = fs.mc.quantiles(&x)?;
            let probs = match &fs.spike {
                Some((sd, sm)) => Some((sd.probabilities(&x)?, sm.probabilities(&x)?)),
                None => None,
            };
            let values: Vec<f64> = rows
                .par_iter()
                .enumerate()
                .map(|(r, &i)| {
                    let data = QuantileCurve {
                        taus: &self.taus,
                        q: &qd[r * nq..(r + 1) * nq],
                    };
                    let mc = QuantileCurve {
                        taus: &self.taus,
                        q: &qm[r * nq..(r + 1) * nq],
                    };
                    let sp = match (&spike, &probs) {
                        (Some(s), Some((pd, pm))) => Some((s, pm[r], pd[r])),
                        _ => None,
                    };
                    let v = super::jitter(self.seed, entries[i], k);
                    let m = map_value(y[i], sp, &mc, &data, v);
                    let on_spike = spike.as_ref().is_some_and(|s| m == s.value);
                    if m.is_nan() || on_spike {
                        m
                    } else {
                        m.clamp(step.range[0], step.range[1])
                    }
                })
                .collect();
            for (&i, v) in rows.iter().zip(values) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Every variable of a chunk, in chain order: the corrected columns.
    pub fn correct_chunk(
        &self,
        cols: &ColumnSet,
        chain: &Chain,
        file_start: u64,
    ) -> Result<Vec<Vec<f64>>> {
        let n = cols.entries;
        let given: Vec<Vec<f64>> = self
            .given
            .iter()
            .map(|e| cols.eval(e))
            .collect::<Result<_>>()?;
        let fv = cols.eval(&self.fold)?;
        let mut fold = Vec::with_capacity(n);
        for (i, &v) in fv.iter().enumerate() {
            fold.push(owner(v, self.k).ok_or_else(|| {
                Error::Usage(format!(
                    "the fold expression `{}` gives {v} at {}; the chain has {} folds, so it \
                     must give an integer from 0 to {}",
                    self.fold.source(),
                    locate(chain, cols.first_entry + i as u64),
                    self.k,
                    self.k - 1
                ))
            })?);
        }
        let entries: Vec<u64> = (0..n as u64)
            .map(|i| cols.first_entry + i - file_start)
            .collect();
        let mut done: Vec<Vec<f64>> = Vec::with_capacity(self.steps.len());
        for (k, step) in self.steps.iter().enumerate() {
            let y = cols.eval(&step.expr)?;
            let mut inputs: Vec<&[f64]> = given.iter().map(|c| &c[..]).collect();
            inputs.extend(done.iter().map(|c| &c[..]));
            let v = self.correct_var(k, &inputs, &y, &fold, &entries)?;
            done.push(v);
        }
        Ok(done)
    }

    /// Every expression a chunk must read.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut v: Vec<&Expr> = self.given.iter().collect();
        v.push(&self.fold);
        v.extend(self.steps.iter().map(|s| &s.expr));
        v
    }

    /// From a chain model file (`what` names it in errors).
    pub fn from_model(m: &ChainModel, what: &str) -> Result<Corrector> {
        let parse = |key: &str, src: &str| {
            Expr::parse(src).map_err(|e| Error::Usage(format!("{what}: {key} `{src}`: {e}")))
        };
        let given: Vec<Expr> = m
            .given
            .iter()
            .map(|g| parse("given", g))
            .collect::<Result<_>>()?;
        let fold = parse("folds.expression", &m.folds.expression)?;
        let q = m.levels.len();
        let mut steps = Vec::new();
        for (k, v) in m.variables.iter().enumerate() {
            let inputs = given.len() + k;
            let spike = v.spike.as_ref().map(|s| PointMass {
                value: s.value,
                side: if s.side == "low" {
                    Side::Low
                } else {
                    Side::High
                },
            });
            let mut folds = Vec::new();
            for (f, fj) in v.folds.iter().enumerate() {
                let name = |s: &str| format!("{what}: variable `{}` fold {f} {s}", v.expression);
                let sp = match (&fj.spike_data, &fj.spike_mc) {
                    (Some(d), Some(mc)) => Some((
                        SNet::from_json(d, inputs, &name("spike_data"))?,
                        SNet::from_json(mc, inputs, &name("spike_mc"))?,
                    )),
                    _ => None,
                };
                folds.push(FoldStep {
                    data: QNet::from_json(&fj.data, inputs, q, &name("data"))?,
                    mc: QNet::from_json(&fj.mc, inputs, q, &name("mc"))?,
                    spike: sp,
                });
            }
            steps.push(VarStep {
                expr: parse("variable", &v.expression)?,
                spike,
                range: v.range,
                folds,
            });
        }
        Ok(Corrector {
            given,
            fold,
            k: m.folds.k,
            taus: m.levels.clone(),
            seed: m.seed,
            steps,
        })
    }
}

/// The fold that owns an entry: the fold expression's value as an integer in 0..k.
pub fn owner(v: f64, k: usize) -> Option<u32> {
    (v >= 0.0 && v < k as f64 && v.fract() == 0.0).then_some(v as u32)
}

/// The entry where the file holding chain entry `e` starts.
pub fn file_start(chain: &Chain, e: u64) -> u64 {
    let i = chain.starts.partition_point(|&s| s <= e).saturating_sub(1);
    chain.starts.get(i).copied().unwrap_or(0)
}

/// The friend of one file of `chain` (its entries `range`) with the corrected branches
/// `names` (double), streamed chunk by chunk; `format` None follows the input's kind.
pub fn write_corrected(
    c: &Corrector,
    chain: &Chain,
    names: &[String],
    (path, range): (&Path, Range<u64>),
    tree: &str,
    (overwrite, format): (bool, Option<FriendFormat>),
) -> Result<()> {
    let format = FriendFormat::for_input(format, chain);
    let columns: Vec<StreamColumn> = names
        .iter()
        .map(|n| StreamColumn {
            name: n.clone(),
            kind: FriendType::F64,
        })
        .collect();
    let source = FriendSource::of_range(chain, range.clone());
    let stream = FriendStream {
        path,
        tree,
        columns: &columns,
        entries: range.end - range.start,
        overwrite,
        source: Some(&source),
    };
    let exprs = c.exprs();
    let start = file_start(chain, range.start);
    let ranges = chunk_plan_in(chain, &exprs, ChunkSize::SCORE, range);
    read_ahead(chain, &exprs, ranges, |read| {
        write_friend_stream_as(&stream, format, || {
            let Some(cols) = read() else {
                return Ok(None);
            };
            let cols = cols?;
            let v = c.correct_chunk(&cols, chain, start)?;
            Ok(Some(v.into_iter().map(FriendData::F64).collect()))
        })
    })
}
