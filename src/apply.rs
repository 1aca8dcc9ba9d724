//! Scoring ntuples with a model file: the library half of `rootgrad apply`.
//!
//! A [`Scorer`] holds the model's input expressions, its network(s) and, with folds, the
//! fold expression. [`Scorer::score`] reads a chain in chunks of [`APPLY_CHUNK`]
//! entries: the branches the expressions name, the features, the standardisation of the
//! model that owns each entry (its fold's, with folds), the forward pass in eval mode and
//! the sigmoid. Every entry gets a score, in order. An entry with a NaN or infinite
//! feature gets a NaN score and is counted (the friend tree must have every entry; the
//! count is reported so it is never silent). A fold expression that does not give an
//! integer from 0 to k - 1 is an error naming the entry.

use std::path::Path;

use crate::data::locate;
use crate::data::sets::Standardize;
use crate::expr::{read_for, Expr};
use crate::model::{ModelFile, Scoring};
use crate::nn::Network;
use crate::root::Chain;
use crate::train::eval::logits;
use crate::{Error, Result};

/// Entries per chunk.
pub const APPLY_CHUNK: u64 = 1 << 18;

/// A model ready to score.
pub struct Scorer {
    pub inputs: Vec<Expr>,
    models: Vec<(Network, Vec<f32>, Standardize)>,
    fold: Option<Expr>,
}

/// The scores of a chain.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// One per entry: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

impl Scorer {
    /// Builds the networks of a model file read from `path`.
    pub fn new(m: &ModelFile, path: &Path) -> Result<Scorer> {
        let what = path.display().to_string();
        let inputs = m
            .inputs
            .iter()
            .map(|i| {
                Expr::parse(&i.expression)
                    .map_err(|e| Error::Usage(format!("{what}: input `{}`: {e}", i.name)))
            })
            .collect::<Result<Vec<_>>>()?;
        let n = inputs.len();
        let build = |s: &Scoring, label: String| s.network(n, &label);
        let (models, fold) = match (&m.folds, m.single()) {
            (Some(f), _) => {
                let models = f
                    .models
                    .iter()
                    .enumerate()
                    .map(|(k, s)| build(s, format!("{what}: folds.models[{k}]")))
                    .collect::<Result<Vec<_>>>()?;
                let e = Expr::parse(&f.expression)
                    .map_err(|e| Error::Usage(format!("{what}: folds.expression: {e}")))?;
                (models, Some(e))
            }
            (None, Some(s)) => (vec![build(&s, what.clone())?], None),
            (None, None) => return Err(Error::Usage(format!("{what}: the model has no layers"))),
        };
        Ok(Scorer {
            inputs,
            models,
            fold,
        })
    }

    /// Number of fold models (1 without folds).
    pub fn models(&self) -> usize {
        self.models.len()
    }

    pub fn has_folds(&self) -> bool {
        self.fold.is_some()
    }

    /// Every expression the scorer evaluates.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut v: Vec<&Expr> = self.inputs.iter().collect();
        if let Some(f) = &self.fold {
            v.push(f);
        }
        v
    }

    /// Checks that `chain` has every branch the model reads (before anything is
    /// written).
    pub fn check(&self, chain: &Chain) -> Result<()> {
        let names = chain.branch_names();
        for e in self.exprs() {
            e.check(&names)?;
        }
        Ok(())
    }

    /// Scores every entry of `chain`; `progress(n)` is called after each chunk.
    pub fn score(
        &self,
        chain: &Chain,
        all_folds: bool,
        mut progress: impl FnMut(u64),
    ) -> Result<Scores> {
        let total = chain.entries();
        let k = self.models.len();
        let mut out = Scores {
            score: Vec::with_capacity(total as usize),
            per_fold: if all_folds && self.fold.is_some() {
                (0..k).map(|_| Vec::with_capacity(total as usize)).collect()
            } else {
                Vec::new()
            },
            nonfinite: 0,
        };
        let exprs = self.exprs();
        let width = self.inputs.len();
        let mut start = 0u64;
        while start < total {
            let stop = (start + APPLY_CHUNK).min(total);
            let cols = read_for(&exprs, chain, start..stop)?;
            let n = cols.entries;
            let feats: Vec<Vec<f64>> = self
                .inputs
                .iter()
                .map(|e| cols.eval(e))
                .collect::<Result<_>>()?;
            let mut raw = vec![0.0f32; n * width];
            let mut bad = vec![false; n];
            for (j, f) in feats.iter().enumerate() {
                for i in 0..n {
                    let v = f[i] as f32;
                    if !v.is_finite() {
                        bad[i] = true;
                    }
                    raw[i * width + j] = v;
                }
            }
            // which model owns each entry
            let owner: Vec<usize> = match &self.fold {
                None => vec![0; n],
                Some(fe) => {
                    let fv = cols.eval(fe)?;
                    fv.iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            if v.is_finite() && v >= 0.0 && v < k as f64 && v.fract() == 0.0 {
                                Ok(v as usize)
                            } else {
                                Err(Error::Usage(format!(
                                    "the fold expression `{}` gives {v} at {}; the model has {k} \
                                     folds, so it must give an integer from 0 to {}",
                                    fe.source(),
                                    locate(chain, start + i as u64),
                                    k - 1
                                )))
                            }
                        })
                        .collect::<Result<_>>()?
                }
            };
            let mut chunk_score = vec![f32::NAN; n];
            for (m, (net, params, st)) in self.models.iter().enumerate() {
                let rows: Vec<usize> = if out.per_fold.is_empty() {
                    (0..n).filter(|&i| owner[i] == m && !bad[i]).collect()
                } else {
                    (0..n).filter(|&i| !bad[i]).collect()
                };
                let mut x = vec![0.0f32; rows.len() * width];
                for (r, &i) in rows.iter().enumerate() {
                    st.apply(
                        &raw[i * width..(i + 1) * width],
                        &mut x[r * width..(r + 1) * width],
                    );
                }
                let z = logits(net, params, &x)?;
                let mut mine = vec![f32::NAN; if out.per_fold.is_empty() { 0 } else { n }];
                for (r, &i) in rows.iter().enumerate() {
                    let s = rootgrad_kernels::act::sigmoid(z[r]);
                    if owner[i] == m {
                        chunk_score[i] = s;
                    }
                    if !mine.is_empty() {
                        mine[i] = s;
                    }
                }
                if let Some(pf) = out.per_fold.get_mut(m) {
                    pf.extend_from_slice(&mine);
                }
            }
            out.nonfinite += bad.iter().filter(|&&b| b).count() as u64;
            out.score.extend_from_slice(&chunk_score);
            progress(stop - start);
            start = stop;
        }
        Ok(out)
    }
}
