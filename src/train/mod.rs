//! `train`: read the samples of a run description, split them, train one model (or one
//! per fold), and assemble the model file, the history and the summary.
//!
//! The order of work, each step in its own place:
//! 1. parse every expression once (`expr`), read each sample (`data::load`): signal,
//!    background, and the control region's data and simulation;
//! 2. scale the classes (`normalize = "equal"`: both to the same total weight);
//! 3. for each model (one, or k with folds): roles of the events (`data::split`),
//!    standardisation from its training events, the sets (`data::sets`), then `fit`;
//! 4. the model file (`model`), history rows and the summary, which `cmd::train` writes.

pub mod eval;
pub mod fit;
mod step;

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::config::{LossPlan, RunConfig, Split};
pub use crate::data::prepare::Prepared;
use crate::data::sets::Standardize;
use crate::data::SampleReport;
use crate::model::{Folds, Input, ModelFile, Scoring};
use crate::progress::Progress;
use crate::{Error, Result};
use fit::{fit, EpochRecord};

/// Everything a training run produces.
pub struct Outcome {
    pub model: ModelFile,
    pub history: Vec<EpochRecord>,
    pub summary: Summary,
}

/// summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub config: String,
    pub features: Vec<String>,
    pub samples: Vec<SampleReport>,
    pub models: Vec<ModelSummary>,
    pub interrupted: bool,
    pub constant_features: Vec<String>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub fold: Option<usize>,
    pub train_events: usize,
    pub validation_events: usize,
    pub best_epoch: usize,
    pub epochs_run: usize,
    pub val_loss: Option<f64>,
    pub val_auc: Option<f64>,
    pub val_ks: Option<f64>,
}

/// The scoring tensors of an init model, for fold `k` (or the only model).
fn init_tensors(
    cfg: &RunConfig,
    fold: Option<usize>,
) -> Result<Option<(Standardize, Vec<(String, Vec<f32>)>)>> {
    let Some(path) = &cfg.training.init else {
        return Ok(None);
    };
    let m = ModelFile::read(path)?;
    let names: Vec<&str> = m.inputs.iter().map(|i| i.expression.as_str()).collect();
    if names != cfg.features.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(Error::Usage(format!(
            "training.init = {}: its inputs ({}) differ from inputs.features ({}); the init \
             model must use the same features in the same order",
            path.display(),
            names.join(", "),
            cfg.features.join(", ")
        )));
    }
    let run_k = match &cfg.training.split {
        Split::Folds { k, .. } => Some(*k),
        Split::Fraction(_) => None,
    };
    let scoring = match (m.single(), fold, &m.folds) {
        (Some(s), _, _) => s,
        (None, Some(k), Some(f)) if run_k == Some(f.k) => f.models[k].clone(),
        _ => {
            return Err(Error::Usage(format!(
                "training.init = {}: a model with {} folds can only start a run with the same \
                 number of folds (this run has {})",
                path.display(),
                m.folds.as_ref().map_or(0, |f| f.k),
                run_k.map_or("none".to_string(), |k| k.to_string())
            )))
        }
    };
    let what = format!("training.init = {}", path.display());
    let (net, params, st) = scoring.network(cfg.features.len(), &what)?;
    if net.spec().hidden != cfg.network.hidden
        || (!net.spec().hidden.is_empty() && net.spec().activation != cfg.network.activation)
    {
        return Err(Error::Usage(format!(
            "training.init = {}: its hidden layers {:?} ({:?}) differ from network.hidden \
             {:?} ({:?}); the init model must have the same shape and activation",
            path.display(),
            net.spec().hidden,
            net.spec().activation,
            cfg.network.hidden,
            cfg.network.activation
        )));
    }
    let mut out = Vec::new();
    for t in net.table().tensors() {
        out.push((t.name.clone(), params[t.range()].to_vec()));
    }
    Ok(Some((st, out)))
}

/// Runs the whole training of a checked run description.
pub fn run(cfg: &RunConfig, progress: &Progress, stop: &AtomicBool) -> Result<Outcome> {
    run_folds(cfg, progress, stop, None)
}

/// [`run`], or with `only = Some(k)` the training of fold k alone (`train --fold`): the
/// model file then holds that fold's model only, the one a whole run trains for it
/// (each fold's model depends on its own fold's events and seed only).
pub fn run_folds(
    cfg: &RunConfig,
    progress: &Progress,
    stop: &AtomicBool,
    only: Option<usize>,
) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let plan = cfg.loss_plan()?;
    let prep = Prepared::load(cfg, progress)?;
    if let Some(f) = only {
        match prep.k {
            Some(k) if f < k => {}
            Some(k) => {
                return Err(Error::Usage(format!(
                    "--fold {f}: {} has {k} folds, 0 to {}",
                    cfg.path.display(),
                    k - 1
                )))
            }
            None => {
                return Err(Error::Usage(format!(
                    "--fold {f}: {} trains one model without folds (training.folds)",
                    cfg.path.display()
                )))
            }
        }
    }
    let trained = train_models(cfg, &plan, &prep, progress, stop, only)?;
    let (sig, bkg, data, mc) = (&prep.sig, &prep.bkg, &prep.data, &prep.mc);
    let mut reports: Vec<&SampleReport> = vec![&sig.report, &bkg.report];
    reports.extend(data.iter().map(|d| &d.report));
    reports.extend(mc.iter().map(|d| &d.report));
    let model = model_file(cfg, prep.k, trained.scorings, &trained.summaries, &reports)?;
    let samples: Vec<SampleReport> = reports.into_iter().cloned().collect();
    Ok(Outcome {
        model,
        history: trained.history,
        summary: Summary {
            config: cfg.path.display().to_string(),
            features: cfg.features.clone(),
            samples,
            models: trained.summaries,
            interrupted: trained.interrupted,
            constant_features: trained.constant,
            seconds: started.elapsed().as_secs_f64(),
        },
    })
}

/// What training every model of a run gave, in model order.
struct Trained {
    scorings: Vec<Scoring>,
    history: Vec<EpochRecord>,
    summaries: Vec<ModelSummary>,
    interrupted: bool,
    /// Features constant in some model's training events.
    constant: Vec<String>,
}

/// Trains each model of `prep` (one, or one per fold) with the loss `plan`: its
/// standardisation (or the init model's), its sets, then `fit`. A Ctrl-C stops after
/// the current epoch; with folds that is an error, since a model needs every fold.
fn train_models(
    cfg: &RunConfig,
    plan: &LossPlan,
    prep: &Prepared,
    progress: &Progress,
    stop: &AtomicBool,
    only: Option<usize>,
) -> Result<Trained> {
    let mut t = Trained {
        scorings: Vec::new(),
        history: Vec::new(),
        summaries: Vec::new(),
        interrupted: false,
        constant: Vec::new(),
    };
    for m in prep.models() {
        if only.is_some() && m != only {
            continue;
        }
        let init = init_tensors(cfg, m)?;
        let st = match &init {
            Some((st, _)) => st.clone(),
            None => {
                let (st, c) = prep.standardize(m);
                for j in c {
                    let f = cfg.features[j].clone();
                    if !t.constant.contains(&f) {
                        t.constant.push(f);
                    }
                }
                st
            }
        };
        let sets = prep.sets(cfg, m, &st)?;
        let start = init.as_ref().map(|(_, t)| &t[..]);
        let fitted = fit(cfg, plan, m, &sets, start, progress, stop)?;
        t.scorings
            .push(Scoring::from_params(&fitted.net, &fitted.params, &st));
        t.summaries.push(ModelSummary {
            fold: m,
            train_events: sets.train.len(),
            validation_events: sets.val.len(),
            best_epoch: fitted.best_epoch,
            epochs_run: fitted.history.len(),
            val_loss: fitted
                .history
                .get(fitted.best_epoch)
                .and_then(|h| h.val_loss),
            val_auc: fitted.best.as_ref().map(|b| b.auc),
            val_ks: fitted.best.as_ref().and_then(|b| b.ks),
        });
        t.history.extend(fitted.history);
        if fitted.interrupted {
            t.interrupted = true;
            if m.is_some() {
                return Err(Error::Usage(format!(
                    "interrupted during fold {} of {}: a model with folds needs every fold, \
                     so nothing was written (keeping finished folds and resuming is not \
                     implemented yet); rerun the training",
                    m.map_or(0, |f| f + 1),
                    prep.k.unwrap_or(0)
                )));
            }
            break;
        }
    }
    Ok(t)
}

/// The model file of a run: inputs, the trained scorings (one, or k folds), the
/// description as used, the models' metrics and where the samples came from.
fn model_file(
    cfg: &RunConfig,
    k: Option<usize>,
    mut scorings: Vec<Scoring>,
    summaries: &[ModelSummary],
    reports: &[&SampleReport],
) -> Result<ModelFile> {
    let inputs = cfg
        .features
        .iter()
        .map(|f| Input {
            name: f.clone(),
            expression: f.clone(),
        })
        .collect();
    let training = serde_json::to_value(&cfg.as_used).unwrap_or(serde_json::Value::Null);
    let metrics = serde_json::to_value(summaries).unwrap_or(serde_json::Value::Null);
    let inputs_read: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let files: Vec<String> = r.files.iter().map(|f| format!("{}:{}", f.file, f.tree)).collect();
            serde_json::json!({"sample": r.sample, "events": r.events, "sum_weights": r.sum_weights, "files": files})
        })
        .collect();
    let provenance = serde_json::json!({
        "rootgrad": env!("CARGO_PKG_VERSION"),
        "config": cfg.path.display().to_string(),
        "samples": inputs_read,
    });
    let (standardize, layers, folds) = match (k, &cfg.training.split) {
        (Some(k), Split::Folds { expression, .. }) => (
            None,
            None,
            Some(Folds {
                k,
                expression: expression.clone(),
                models: scorings,
            }),
        ),
        _ => {
            let s = scorings
                .pop()
                .ok_or_else(|| Error::Usage("no model was trained".into()))?;
            (Some(s.standardize), Some(s.layers), None)
        }
    };
    Ok(ModelFile {
        format: crate::model::FORMAT.into(),
        version: crate::model::VERSION,
        inputs,
        standardize,
        layers,
        folds,
        training,
        metrics,
        provenance,
        reweight: None,
    })
}
