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
//!
//! With k folds each fold is judged on its own test part after it is trained, and a
//! Ctrl-C keeps the folds that finished as an incomplete model, which `train --resume`
//! completes ([`folds`]). The fold in training when Ctrl-C came is dropped, so that a
//! resumed run trains it from its start and gives the model an uninterrupted run gives.

pub mod eval;
pub mod fit;
pub mod folds;
mod step;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::config::{LossPlan, RunConfig, Split};
pub use crate::data::prepare::Prepared;
use crate::data::sets::Standardize;
use crate::data::SampleReport;
use crate::model::{Folds, Input, ModelFile, Scoring};
use crate::progress::Progress;
use crate::{Error, Result};
use fit::{fit, EpochRecord};
use folds::Earlier;

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
    /// Ctrl-C stopped this run (without folds: the best model so far was kept; with
    /// folds: see `missing_folds` and `dropped_fold`).
    pub interrupted: bool,
    /// Folds not trained yet: the model file is incomplete, `train --resume` trains
    /// them. Empty when the model is complete.
    pub missing_folds: Vec<usize>,
    /// The fold in training when Ctrl-C came, and its epochs, which were dropped (a
    /// resumed run trains it from its start).
    pub dropped_fold: Option<DroppedFold>,
    /// Folds an earlier, interrupted run trained, kept by `--resume`.
    pub resumed_folds: Vec<usize>,
    pub constant_features: Vec<String>,
    /// Training seconds, the earlier run's included after `--resume`.
    pub seconds: f64,
}

/// The fold Ctrl-C stopped, dropped.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DroppedFold {
    pub fold: usize,
    pub epochs: usize,
}

/// One model's line of summary.json and of the model file's `metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub fold: Option<usize>,
    pub train_events: usize,
    pub validation_events: usize,
    pub best_epoch: usize,
    pub epochs_run: usize,
    pub val_loss: Option<f64>,
    pub val_auc: Option<f64>,
    pub val_ks: Option<f64>,
    /// With folds: the fold's test part, the events it never trained on
    /// ([`folds::test_part`]): classification events, weighted AUC, control-region
    /// data/simulation KS.
    #[serde(default)]
    pub test_events: Option<usize>,
    #[serde(default)]
    pub test_auc: Option<f64>,
    #[serde(default)]
    pub test_ks: Option<f64>,
}

/// Named parameter tensors, in the network's order.
type Tensors = Vec<(String, Vec<f32>)>;

/// The scoring tensors of an init model, for fold `k` (or the only model).
fn init_tensors(cfg: &RunConfig, fold: Option<usize>) -> Result<Option<(Standardize, Tensors)>> {
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
    if net.outputs() != 1 {
        return Err(Error::Usage(format!(
            "{what}: its network has {} outputs, not a classifier's one logit; give the \
             model.json of a `rootgrad train` run",
            net.outputs()
        )));
    }
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
    let which = Which {
        only,
        earlier: None,
    };
    run_with(cfg, progress, stop, &which, &mut |_| Ok(()))
}

/// Which models a run trains.
#[derive(Default)]
pub struct Which<'a> {
    /// `train --fold K`: fold K alone.
    pub only: Option<usize>,
    /// `train --resume`: the folds an interrupted run finished, kept as they are.
    pub earlier: Option<&'a Earlier>,
}

/// The general run: the models `which` asks for; with k folds, after each fold that
/// leaves the model incomplete, `checkpoint` gets the outcome so far (an incomplete
/// model file), so `train` can write it and a run killed later can still be resumed.
/// With `which.earlier`, the description and the samples must be those of the earlier
/// run (refused, naming the keys or the sample, otherwise).
pub fn run_with(
    cfg: &RunConfig,
    progress: &Progress,
    stop: &AtomicBool,
    which: &Which<'_>,
    checkpoint: &mut dyn FnMut(&Outcome) -> Result<()>,
) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let plan = cfg.loss_plan()?;
    if let Some(e) = which.earlier {
        check_resumable(cfg, e)?;
    }
    let prep = Prepared::load(cfg, progress)?;
    check_only(cfg, &prep, which.only)?;
    if let Some(e) = which.earlier {
        folds::check_samples(e, &samples_record(&reports(&prep)))?;
    }
    let trained = train_models(cfg, &plan, &prep, progress, stop, which, &mut |t| {
        let o = outcome(cfg, &prep, which, t, started)?;
        if o.summary.missing_folds.is_empty() {
            Ok(())
        } else {
            checkpoint(&o)
        }
    })?;
    if trained.done.is_empty() {
        let d = trained.dropped.map_or(0, |d| d.fold);
        let k = prep.k.unwrap_or(1);
        return Err(Error::Usage(match which.earlier {
            Some(_) => format!(
                "interrupted during fold {d} of {k}, before it finished: the run folder is as \
                 it was; run the same `train --resume` again to go on"
            ),
            None => format!(
                "interrupted during fold {d} of {k}, before any fold finished, so there is no \
                 model to write"
            ),
        }));
    }
    outcome(cfg, &prep, which, &trained, started)
}

/// Refuses `--fold K` out of range or without folds.
fn check_only(cfg: &RunConfig, prep: &Prepared, only: Option<usize>) -> Result<()> {
    let Some(f) = only else { return Ok(()) };
    match prep.k {
        Some(k) if f < k => Ok(()),
        Some(k) => Err(Error::Usage(format!(
            "--fold {f}: {} has {k} folds, 0 to {}",
            cfg.path.display(),
            k - 1
        ))),
        None => Err(Error::Usage(format!(
            "--fold {f}: {} trains one model without folds (training.folds)",
            cfg.path.display()
        ))),
    }
}

/// Refuses to resume `earlier` with a description that changes the model: another
/// number of folds, or any key that differs from the one the finished folds recorded.
pub fn check_resumable(cfg: &RunConfig, e: &Earlier) -> Result<()> {
    let changed = folds::changed_keys(&e.model.training, &cfg.as_used);
    if !changed.is_empty() {
        return Err(Error::Usage(format!(
            "--resume: the run description differs from the one the finished folds were \
             trained with: {}; resume with the same description and --set/--unset flags, or \
             train every fold again with --force",
            changed.join(", ")
        )));
    }
    match (e.folds(), &cfg.training.split) {
        (Some((k, _)), Split::Folds { k: now, .. }) if k == *now => Ok(()),
        _ => Err(Error::Usage(
            "--resume: only a k-fold model can be resumed, with the same training.folds".into(),
        )),
    }
}

/// The samples' reports, in model order: signal, background, data, simulation.
fn reports(prep: &Prepared) -> Vec<&SampleReport> {
    let mut r: Vec<&SampleReport> = vec![&prep.sig.report, &prep.bkg.report];
    r.extend(prep.data.iter().map(|d| &d.report));
    r.extend(prep.mc.iter().map(|d| &d.report));
    r
}

/// The samples as the model file's provenance records them.
fn samples_record(reports: &[&SampleReport]) -> serde_json::Value {
    reports
        .iter()
        .map(|r| {
            let files: Vec<String> = r.files.iter().map(|f| format!("{}:{}", f.file, f.tree)).collect();
            serde_json::json!({"sample": r.sample, "events": r.events, "sum_weights": r.sum_weights, "files": files})
        })
        .collect()
}

/// The model file, history and summary of what is trained so far: this run's models,
/// with `which.earlier`'s finished folds in their places; folds trained by neither are
/// the model's `missing` ones.
fn outcome(
    cfg: &RunConfig,
    prep: &Prepared,
    which: &Which<'_>,
    t: &Trained,
    started: std::time::Instant,
) -> Result<Outcome> {
    let mut scorings = Vec::new();
    let mut summaries = Vec::new();
    let mut history = Vec::new();
    let (mut missing, mut resumed) = (Vec::new(), Vec::new());
    let find = |f: usize| t.done.iter().find(|d| d.summary.fold == Some(f));
    match (prep.k, which.only) {
        (Some(k), None) => {
            for f in 0..k {
                if let Some(d) = find(f) {
                    scorings.push(d.scoring.clone());
                    summaries.push(d.summary.clone());
                    history.extend(d.history.iter().cloned());
                } else if let Some((s, m)) = which.earlier.map(|e| e.fold(f)).transpose()?.flatten()
                {
                    scorings.push(s);
                    summaries.push(m);
                    let e = which.earlier.expect("has fold f");
                    history.extend(e.history_of(f).cloned());
                    resumed.push(f);
                } else {
                    missing.push(f);
                }
            }
        }
        _ => {
            for d in &t.done {
                scorings.push(d.scoring.clone());
                summaries.push(d.summary.clone());
                history.extend(d.history.iter().cloned());
            }
        }
    }
    let reports = reports(prep);
    let model = model_file(cfg, prep.k, scorings, missing.clone(), &summaries, &reports)?;
    let earlier_seconds = which.earlier.map_or(0.0, |e| e.seconds);
    Ok(Outcome {
        model,
        history,
        summary: Summary {
            config: cfg.path.display().to_string(),
            features: cfg.features.clone(),
            samples: reports.into_iter().cloned().collect(),
            models: summaries,
            interrupted: t.interrupted,
            missing_folds: missing,
            dropped_fold: t.dropped,
            resumed_folds: resumed,
            constant_features: t.constant.clone(),
            seconds: earlier_seconds + started.elapsed().as_secs_f64(),
        },
    })
}

/// One model trained by this run.
struct Done {
    scoring: Scoring,
    summary: ModelSummary,
    history: Vec<EpochRecord>,
}

/// What training the models of a run gave, in model order.
#[derive(Default)]
struct Trained {
    done: Vec<Done>,
    /// Ctrl-C stopped the run.
    interrupted: bool,
    /// With folds: the fold Ctrl-C stopped, dropped.
    dropped: Option<DroppedFold>,
    /// Features constant in some model's training events.
    constant: Vec<String>,
}

/// Trains each model of `prep` that `which` asks for (one, or one per fold, without
/// the folds of `which.earlier`) with the loss `plan`: its standardisation (or the
/// init model's), its sets, then `fit`; a fold is then judged on its test part and
/// `after_fold` called. A Ctrl-C stops after the current epoch: without folds the best
/// model so far is kept; with folds the fold in training is dropped and no further fold
/// is started.
fn train_models(
    cfg: &RunConfig,
    plan: &LossPlan,
    prep: &Prepared,
    progress: &Progress,
    stop: &AtomicBool,
    which: &Which<'_>,
    after_fold: &mut dyn FnMut(&Trained) -> Result<()>,
) -> Result<Trained> {
    let mut t = Trained::default();
    for m in prep.models() {
        if which.only.is_some() && m != which.only {
            continue;
        }
        if let (Some(f), Some(e)) = (m, which.earlier) {
            if e.has(f) {
                continue;
            }
        }
        if let Some(f) = m {
            if stop.load(Ordering::SeqCst) {
                t.interrupted = true;
                t.dropped = Some(DroppedFold { fold: f, epochs: 0 });
                break;
            }
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
        if fitted.interrupted {
            t.interrupted = true;
            // a fold stopped in its last epoch is complete: the check before the next
            // fold stops the run
            let cut_short = fitted.history.len() < cfg.training.epochs;
            if let (Some(f), true) = (m, cut_short) {
                t.dropped = Some(DroppedFold {
                    fold: f,
                    epochs: fitted.history.len(),
                });
                break;
            }
        }
        let scoring = Scoring::from_params(&fitted.net, &fitted.params, &st);
        let test = m.map(|f| folds::test_part(prep, f, &scoring)).transpose()?;
        t.done.push(Done {
            summary: ModelSummary {
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
                test_events: test.map(|p| p.events),
                test_auc: test.map(|p| p.auc),
                test_ks: test.and_then(|p| p.ks),
            },
            scoring,
            history: fitted.history,
        });
        if m.is_none() {
            break;
        }
        after_fold(&t)?;
    }
    Ok(t)
}

/// The model file of a run: inputs, the trained scorings (one, or k folds), the
/// description as used, the models' metrics and where the samples came from.
fn model_file(
    cfg: &RunConfig,
    k: Option<usize>,
    mut scorings: Vec<Scoring>,
    missing: Vec<usize>,
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
    let inputs_read = samples_record(reports);
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
                missing,
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
