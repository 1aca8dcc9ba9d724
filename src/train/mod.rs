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

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::config::{AdaptationMethod, ClassNormalize, RunConfig, Split};
use crate::data::sets::{Set, Standardize};
use crate::data::split::{roles, Role};
use crate::data::{load, Sample, SampleReport, Wanted};
use crate::expr::Expr;
use crate::model::{Folds, Input, ModelFile, Scoring};
use crate::progress::Progress;
use crate::{Error, Result};
use fit::{fit, EpochRecord, FitSets};

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

fn parse(what: &str, src: &str) -> Result<Expr> {
    Expr::parse(src).map_err(|e| Error::Usage(format!("{what}: {e}")))
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
    let scoring = match (m.single(), fold, &m.folds) {
        (Some(s), _, _) => s,
        (None, Some(k), Some(f)) if k < f.models.len() => f.models[k].clone(),
        _ => {
            return Err(Error::Usage(format!(
                "training.init = {}: a model with folds can only start a run with the same \
                 number of folds",
                path.display()
            )))
        }
    };
    let what = format!("training.init = {}", path.display());
    let (net, params, st) = scoring.network(cfg.features.len(), &what)?;
    let mut out = Vec::new();
    for t in net.table().tensors() {
        out.push((t.name.clone(), params[t.range()].to_vec()));
    }
    Ok(Some((st, out)))
}

/// Runs the whole training of a checked run description.
pub fn run(cfg: &RunConfig, progress: &Progress, stop: &AtomicBool) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let Some(cls) = &cfg.classification else {
        return Err(Error::Usage(format!(
            "{}: `train` needs a [classification] section with `signal` and `background` \
             samples",
            cfg.path.display()
        )));
    };
    let features: Vec<Expr> = cfg
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| parse(&format!("inputs.features[{i}]"), f))
        .collect::<Result<_>>()?;
    let fold_expr = match &cfg.training.split {
        Split::Folds { k, expression, .. } => Some((parse("training.fold", expression)?, *k)),
        _ => None,
    };
    let mass_expr = cfg
        .decorrelation
        .as_ref()
        .map(|d| parse("decorrelation.mass", &d.mass))
        .transpose()?;
    if mass_expr.is_some() && cfg.adaptation.method == AdaptationMethod::Doping {
        return Err(Error::Usage(
            "[decorrelation] and adaptation method \"doping\" cannot be combined: the doped \
             simulation events have no mass in the classification sample"
                .into(),
        ));
    }
    let fold = fold_expr.as_ref().map(|(e, k)| (e, *k));
    let want_cls = Wanted {
        features: &features,
        fold,
        mass: mass_expr.as_ref(),
    };
    let want_dom = Wanted {
        features: &features,
        fold,
        mass: None,
    };
    let sig = load(&cls.signal, &want_cls, progress)?;
    let bkg = load(&cls.background, &want_cls, progress)?;
    let (data, mc) = match &cfg.domain {
        Some(d) => (
            Some(load(&d.data, &want_dom, progress)?),
            Some(load(&d.mc, &want_dom, progress)?),
        ),
        _ => (None, None),
    };
    // class scales: "equal" puts each class at half the classification events' count
    let (s_sig, s_bkg) = match cls.normalize {
        ClassNormalize::None => (1.0, 1.0),
        ClassNormalize::Equal => {
            let half = (sig.len() + bkg.len()) as f64 / 2.0;
            (half / sig.report.sum_weights, half / bkg.report.sum_weights)
        }
    };
    let (k, frac) = match &cfg.training.split {
        Split::Fraction(f) => (None, *f),
        Split::Folds { k, validation, .. } => (Some(*k), *validation),
    };
    let models: Vec<Option<usize>> = match k {
        None => vec![None],
        Some(k) => (0..k).map(Some).collect(),
    };
    let mut scorings = Vec::new();
    let mut history = Vec::new();
    let mut summaries = Vec::new();
    let mut interrupted = false;
    let mut constant = Vec::new();
    for m in models {
        let seed = cfg.training.seed;
        let role_of = |s: &Sample, n: u64| {
            let f = m.map(|k| (&s.fold[..], k as u32));
            roles(s.len(), f, frac, seed, n)
        };
        let r_sig = role_of(&sig, 0);
        let r_bkg = role_of(&bkg, 1);
        let pick = |r: &[Role], want: Role| -> Vec<usize> {
            (0..r.len()).filter(|&i| r[i] == want).collect()
        };
        let init = init_tensors(cfg, m)?;
        let st = match &init {
            Some((st, _)) => st.clone(),
            None => {
                let rows = pick(&r_sig, Role::Train)
                    .into_iter()
                    .map(|i| sig.row(i))
                    .chain(pick(&r_bkg, Role::Train).into_iter().map(|i| bkg.row(i)));
                let (st, c) = Standardize::fit(features.len(), rows);
                for j in c {
                    let f = cfg.features[j].clone();
                    if !constant.contains(&f) {
                        constant.push(f);
                    }
                }
                st
            }
        };
        let width = features.len();
        let mut train = Set::new(width);
        let mut val = Set::new(width);
        for (s, r, y, scale) in [(&sig, &r_sig, 1.0, s_sig), (&bkg, &r_bkg, 0.0, s_bkg)] {
            train.extend(s, &pick(r, Role::Train), y, scale, &st);
            val.extend(s, &pick(r, Role::Validate), y, scale, &st);
        }
        let (mut domain_train, mut domain_val) = (None, None);
        if let (Some(d), Some(s)) = (&data, &mc) {
            let r_d = role_of(d, 2);
            let r_m = role_of(s, 3);
            let mut sets = Vec::new();
            for want in [Role::Train, Role::Validate] {
                let mut ds = Set::new(width);
                ds.extend(d, &pick(&r_d, want), 1.0, 1.0, &st);
                let mut ms = Set::new(width);
                ms.extend(s, &pick(&r_m, want), 0.0, 1.0, &st);
                sets.push((ds, ms));
            }
            let v = sets.pop();
            let t = sets.pop();
            if cfg.adaptation.method == AdaptationMethod::Doping {
                // the control region's simulation joins the background with a total
                // weight of doping_fraction times the background's
                for (set, part) in [(&mut train, &t), (&mut val, &v)] {
                    if let Some((_, ms)) = part {
                        let w_bkg: f64 = (0..set.len())
                            .filter(|&i| set.y[i] == 0.0)
                            .map(|i| set.w[i] as f64)
                            .sum();
                        let w_mc = ms.sum_w();
                        if ms.is_empty() || !(w_mc > 0.0) {
                            continue;
                        }
                        let scale = cfg.adaptation.doping_fraction * w_bkg / w_mc;
                        set.x.extend_from_slice(&ms.x);
                        set.y.extend(std::iter::repeat_n(0.0, ms.len()));
                        set.w
                            .extend(ms.w.iter().map(|&w| (w as f64 * scale) as f32));
                    }
                }
            }
            if cfg.uses_domain_batches() {
                for part in [&t, &v] {
                    if let Some((ds, ms)) = part {
                        if ds.is_empty() || ms.is_empty() {
                            return Err(Error::Usage(format!(
                                "the control region has {} data and {} simulation events in a \
                                 training or validation part{}; both are needed for the \
                                 adaptation terms (lower training.validation, or add events)",
                                ds.len(),
                                ms.len(),
                                m.map(|k| format!(" of fold {k}")).unwrap_or_default()
                            )));
                        }
                    }
                }
            }
            domain_train = t;
            domain_val = v;
        }
        if !val.is_empty() && (val.y.iter().all(|&y| y == 1.0) || val.y.iter().all(|&y| y == 0.0)) {
            return Err(Error::Usage(format!(
                "the validation set{} holds only one class ({} events); raise \
                 training.validation or add events",
                m.map(|k| format!(" of fold {k}")).unwrap_or_default(),
                val.len()
            )));
        }
        let sets = FitSets {
            train,
            val,
            domain_train,
            domain_val,
        };
        let start = init.as_ref().map(|(_, t)| &t[..]);
        let fitted = fit(cfg, m, &sets, start, progress, stop)?;
        scorings.push(Scoring::from_params(&fitted.net, &fitted.params, &st));
        summaries.push(ModelSummary {
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
        history.extend(fitted.history);
        if fitted.interrupted {
            interrupted = true;
            if m.is_some() {
                return Err(Error::Usage(
                    "interrupted during k-fold training: a model with folds needs every fold; \
                     nothing was written"
                        .into(),
                ));
            }
            break;
        }
    }
    let inputs = cfg
        .features
        .iter()
        .map(|f| Input {
            name: f.clone(),
            expression: f.clone(),
        })
        .collect();
    let training = serde_json::to_value(&cfg.as_used).unwrap_or(serde_json::Value::Null);
    let metrics = serde_json::to_value(&summaries).unwrap_or(serde_json::Value::Null);
    let mut reports: Vec<&SampleReport> = vec![&sig.report, &bkg.report];
    reports.extend(data.iter().map(|d| &d.report));
    reports.extend(mc.iter().map(|d| &d.report));
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
    let model = ModelFile {
        format: crate::model::FORMAT.into(),
        version: crate::model::VERSION,
        inputs,
        standardize,
        layers,
        folds,
        training,
        metrics,
        provenance,
    };
    let mut samples = vec![sig.report, bkg.report];
    samples.extend(data.map(|d| d.report));
    samples.extend(mc.map(|d| d.report));
    Ok(Outcome {
        model,
        history,
        summary: Summary {
            config: cfg.path.display().to_string(),
            features: cfg.features.clone(),
            samples,
            models: summaries,
            interrupted,
            constant_features: constant,
            seconds: started.elapsed().as_secs_f64(),
        },
    })
}
