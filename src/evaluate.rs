//! A trained model on the events it can be judged on: what `report` and `sweep` show.
//!
//! The samples of the run description are read again ([`Prepared`]) and split exactly
//! as `train` split them (same seed, same streams), then scored by the model file:
//!
//! - without folds, the validation events of every sample (or, with `validation = 0`,
//!   every event, which the model trained on: the report says so);
//! - with k folds, every event scored by the model of its own fold, which never saw it
//!   (out-of-fold scores).
//!
//! Scores are computed by the model's [`Scorer`], as `apply` computes them: the model's
//! standardisation in f64 rounded to f32, the network in f32, the sigmoid.

use std::path::Path;

use serde::Serialize;

use crate::config::RunConfig;
use crate::data::prepare::Prepared;
use crate::data::split::Role;
use crate::data::Sample;
use crate::metrics::agreement::{compare, Agreement};
use crate::metrics::binning::auto_edges;
use crate::metrics::{ks_distance, roc_auc, Histogram};
use crate::model::{ModelFile, ScoreBuffers, Scorer};
use crate::progress::Progress;
use crate::random::Stream;
use crate::{Error, Result};

/// Scores of the judged events of one sample, with their weights.
#[derive(Debug, Clone, Default)]
pub struct Scored {
    pub scores: Vec<f64>,
    pub weights: Vec<f64>,
    /// The events' indices in the sample.
    pub index: Vec<usize>,
}

/// Which events were judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judged {
    Validation,
    OutOfFold,
    /// `validation = 0`: the model trained on these events.
    Training,
}

/// A model on its run's samples.
pub struct Evaluation {
    pub judged: Judged,
    pub signal: Scored,
    pub background: Scored,
    pub data: Option<Scored>,
    pub mc: Option<Scored>,
    /// The samples as read (raw features in f32), for the input plots.
    pub prepared: Prepared,
    /// The class scales of `normalize` (signal, background).
    pub scales: (f64, f64),
}

/// The headline numbers of an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub judged: Judged,
    pub auc: f64,
    pub ks: Option<f64>,
}

impl Evaluation {
    /// Reads the samples of `cfg` and scores them with `model`.
    pub fn run(cfg: &RunConfig, model: &ModelFile, progress: &Progress) -> Result<Evaluation> {
        let names: Vec<&str> = model.inputs.iter().map(|i| i.expression.as_str()).collect();
        if names != cfg.features.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(Error::Usage(format!(
                "the model's inputs ({}) differ from the run description's features ({}); \
                 give the run description the model was trained with",
                names.join(", "),
                cfg.features.join(", ")
            )));
        }
        let scorer = Scorer::from_file(model, Path::new("the model file"))?;
        let prepared = Prepared::load(cfg, progress)?;
        let folds = scorer.has_folds();
        if folds != prepared.k.is_some() {
            return Err(Error::Usage(
                "the model and the run description disagree on folds; give the run \
                 description the model was trained with"
                    .into(),
            ));
        }
        let judged = if folds {
            Judged::OutOfFold
        } else if prepared.fraction > 0.0 {
            Judged::Validation
        } else {
            Judged::Training
        };
        let score = |s: &Sample, stream: Stream, scale: f64| -> Result<Scored> {
            let mut out = Scored::default();
            let mut buf = ScoreBuffers::default();
            for m in 0..scorer.models() {
                let idx: Vec<u32> = if folds {
                    (0..s.len() as u32)
                        .filter(|&i| s.fold[i as usize] as usize == m)
                        .collect()
                } else {
                    let r = prepared.roles(s, stream, None);
                    let want = match judged {
                        Judged::Training => Role::Train,
                        _ => Role::Validate,
                    };
                    (0..r.len() as u32)
                        .filter(|&i| r[i as usize] == want)
                        .collect()
                };
                let z = scorer.model_logits(m, &s.x, &idx, &mut buf)?;
                for (&i, &z) in idx.iter().zip(z) {
                    let i = i as usize;
                    out.scores.push(rootgrad_kernels::act::sigmoid(z) as f64);
                    out.weights.push(s.w[i] * scale);
                    out.index.push(i);
                }
            }
            Ok(out)
        };
        let (s_sig, s_bkg) = prepared.scales;
        let signal = score(&prepared.sig, Stream::SplitSignal, s_sig)?;
        let background = score(&prepared.bkg, Stream::SplitBackground, s_bkg)?;
        let data = prepared
            .data
            .as_ref()
            .map(|d| score(d, Stream::SplitData, 1.0))
            .transpose()?;
        let mc = prepared
            .mc
            .as_ref()
            .map(|d| score(d, Stream::SplitMc, 1.0))
            .transpose()?;
        let scales = prepared.scales;
        Ok(Evaluation {
            judged,
            signal,
            background,
            data,
            mc,
            prepared,
            scales,
        })
    }

    /// Scores, labels (signal true) and weights of the classification events.
    pub fn classification(&self) -> (Vec<f64>, Vec<bool>, Vec<f64>) {
        let mut s = self.signal.scores.clone();
        s.extend_from_slice(&self.background.scores);
        let mut y = vec![true; self.signal.scores.len()];
        y.resize(s.len(), false);
        let mut w = self.signal.weights.clone();
        w.extend_from_slice(&self.background.weights);
        (s, y, w)
    }

    /// The scores of the signal and background events each model trained on (with k
    /// folds, model m on its training events, those of the other folds), for the
    /// overtraining figure: compared with the judged scores, a model that learned its
    /// training events by heart scores them differently. `None` with `validation = 0`
    /// and no folds (the judged events are the training events). An event of k folds
    /// enters once per model that trained on it.
    pub fn training_scores(&self, model: &ModelFile) -> Result<Option<(Scored, Scored)>> {
        if self.judged == Judged::Training {
            return Ok(None);
        }
        let scorer = Scorer::from_file(model, Path::new("the model file"))?;
        let folds = scorer.has_folds();
        let p = &self.prepared;
        let score = |s: &Sample, stream: Stream, scale: f64| -> Result<Scored> {
            let mut out = Scored::default();
            let mut buf = ScoreBuffers::default();
            for m in 0..scorer.models() {
                let r = p.roles(s, stream, folds.then_some(m));
                let idx: Vec<u32> = (0..r.len() as u32)
                    .filter(|&i| r[i as usize] == Role::Train)
                    .collect();
                let z = scorer.model_logits(m, &s.x, &idx, &mut buf)?;
                for (&i, &z) in idx.iter().zip(z) {
                    out.scores.push(rootgrad_kernels::act::sigmoid(z) as f64);
                    out.weights.push(s.w[i as usize] * scale);
                    out.index.push(i as usize);
                }
            }
            Ok(out)
        };
        let sig = score(&p.sig, Stream::SplitSignal, self.scales.0)?;
        let bkg = score(&p.bkg, Stream::SplitBackground, self.scales.1)?;
        Ok(Some((sig, bkg)))
    }

    /// Data against simulation of the score in the control region, binned by the one
    /// rule of every comparison ([`auto_edges`] with `bins` and no range: [0, 1] for a
    /// score), with both histograms; `None` without a control region. `demo`, `sweep`
    /// and `report` all take their chi2 from here, so one model has one chi2/ndf.
    pub fn control_region(&self, bins: usize) -> Result<Option<(Agreement, Histogram, Histogram)>> {
        let (Some(d), Some(m)) = (&self.data, &self.mc) else {
            return Ok(None);
        };
        if d.scores.is_empty() || m.scores.is_empty() {
            return Ok(None);
        }
        let edges = auto_edges(&[&d.scores, &m.scores], bins, None)?;
        let c = compare(
            "score",
            (&d.scores, &d.weights),
            (&m.scores, &m.weights),
            &edges,
        )?;
        Ok(Some(c))
    }

    /// Weighted AUC on the classification events and the data/simulation KS of the
    /// score in the control region.
    pub fn headline(&self) -> Result<Headline> {
        let (s, y, w) = self.classification();
        let auc = roc_auc(&s, &y, &w)?;
        let ks = match (&self.data, &self.mc) {
            (Some(d), Some(m)) if !d.scores.is_empty() && !m.scores.is_empty() => {
                Some(ks_distance(&d.scores, &d.weights, &m.scores, &m.weights)?)
            }
            _ => None,
        };
        Ok(Headline {
            judged: self.judged,
            auc,
            ks,
        })
    }
}

/// One mass shape of the sculpting figure: (label, mass values, weights).
pub type MassShape = (String, Vec<f64>, Vec<f64>);

/// The overtraining check: the score of each class on the events the models trained on
/// and on the judged (held-out) events, with the KS distance between the two and its
/// asymptotic p-value (effective sizes from the weights, [`crate::metrics::ks`]).
pub struct Overtraining {
    /// (class, training scores, held-out scores, KS distance, p-value), signal first.
    pub classes: Vec<(&'static str, Scored, Scored, f64, f64)>,
}

impl Evaluation {
    /// The overtraining check of `model` (`None` when the judged events are the training
    /// events, `validation = 0` without folds).
    pub fn overtraining(&self, model: &ModelFile) -> Result<Option<Overtraining>> {
        use crate::metrics::ks::{effective_n, ks_p_value};
        let Some((ts, tb)) = self.training_scores(model)? else {
            return Ok(None);
        };
        let mut classes = Vec::new();
        for (name, train, test) in [
            ("signal", ts, &self.signal),
            ("background", tb, &self.background),
        ] {
            if train.scores.is_empty() || test.scores.is_empty() {
                continue;
            }
            let d = ks_distance(&train.scores, &train.weights, &test.scores, &test.weights)?;
            let p = ks_p_value(d, effective_n(&train.weights), effective_n(&test.weights));
            classes.push((name, train, test.clone(), d, p));
        }
        Ok(Some(Overtraining { classes }))
    }

    /// Mass sculpting, for a run with a mass (decorrelation): the background's judged
    /// events' mass before any cut and after score cuts that keep `effs` of its weight
    /// (weighted quantiles of the background score), as (label, mass values, weights).
    /// `None` without a mass.
    pub fn sculpting(&self, effs: &[f64]) -> Option<Vec<MassShape>> {
        let mass = &self.prepared.bkg.mass;
        if mass.is_empty() || self.background.scores.is_empty() {
            return None;
        }
        let b = &self.background;
        let m: Vec<f64> = b.index.iter().map(|&i| mass[i]).collect();
        let mut order: Vec<usize> = (0..b.scores.len()).collect();
        order.sort_by(|&i, &j| b.scores[j].total_cmp(&b.scores[i]));
        let total: f64 = b.weights.iter().sum();
        let mut out = vec![("no cut".to_string(), m.clone(), b.weights.clone())];
        for &eff in effs {
            // the threshold: the highest scores whose weight reaches eff of the total
            let mut acc = 0.0;
            let mut cut = b.scores[order[order.len() - 1]];
            for &i in &order {
                acc += b.weights[i];
                if acc >= eff * total {
                    cut = b.scores[i];
                    break;
                }
            }
            let keep: Vec<usize> = (0..m.len()).filter(|&i| b.scores[i] >= cut).collect();
            out.push((
                format!(
                    "background efficiency {:.0}% (score >= {cut:.3})",
                    eff * 100.0
                ),
                keep.iter().map(|&i| m[i]).collect(),
                keep.iter().map(|&i| b.weights[i]).collect(),
            ));
        }
        Some(out)
    }
}
