//! The data-vs-simulation classifier of `rootgrad reweight`: k models trained with the
//! engine's [`crate::train::fit::fit`], one per fold, and out-of-fold logits.
//!
//! Model k trains on the control-region events whose fold is not k (data labelled 1,
//! simulation 0; signed weights, each side scaled by [`super::balance`], computed once
//! from every selected event), with the run's `validation` fraction of those held out at
//! random for early stopping (streams 2 and 3 of [`crate::data::split::roles`], as
//! `train` uses for the control region). Its standardisation is the unweighted mean and
//! std of its training events of both sides. An event of fold k is weighted only by
//! model k, which never saw it. Adaptation and decorrelation sections of the run
//! description are not used.

use std::sync::atomic::AtomicBool;

use crate::config::{Adaptation, AdaptationMethod, RunConfig, Split};
use crate::data::sets::{Set, Standardize};
use crate::data::split::{roles, Role};
use crate::data::Sample;
use crate::expr::Expr;
use crate::model::{FoldNet, Folds, Input, ModelFile, ReweightFactor, Scorer, Scoring};
use crate::progress::Progress;
use crate::random::Stream;
use crate::train::fit::{fit, FitSets};
use crate::{Error, Result};

/// How one fold's model ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FoldInfo {
    pub fold: usize,
    pub train_events: usize,
    pub validation_events: usize,
    pub best_epoch: usize,
    pub val_loss: Option<f64>,
    pub val_auc: Option<f64>,
}

/// The trained models, one per fold, as a [`Scorer`] (the fold expression of
/// `training.fold` says which model weights an entry).
pub struct Reweighter {
    pub k: usize,
    pub scorer: Scorer,
    pub folds: Vec<FoldInfo>,
    /// The training scales of data and simulation.
    pub scales: (f64, f64),
}

/// k and the validation fraction; reweighting needs folds.
pub fn folds_of(cfg: &RunConfig) -> Result<(usize, String, f64)> {
    match &cfg.training.split {
        Split::Folds {
            k,
            expression,
            validation,
        } => Ok((*k, expression.clone(), *validation)),
        Split::Fraction(_) => Err(Error::Usage(format!(
            "{}: reweighting needs training.folds (k >= 2) and training.fold (e.g. \
             \"event % 2\"), so that no event is weighted by a model that trained on it",
            cfg.path.display()
        ))),
    }
}

/// The run description the engine trains with: no adaptation, no decorrelation.
fn plain(cfg: &RunConfig) -> RunConfig {
    let mut c = cfg.clone();
    c.adaptation = Adaptation {
        method: AdaptationMethod::None,
        ..cfg.adaptation.clone()
    };
    c.decorrelation = None;
    c
}

fn pick(r: &[Role], want: Role) -> Vec<usize> {
    (0..r.len()).filter(|&i| r[i] == want).collect()
}

/// Trains the k models on `data` and `mc` (read with the fold of every event).
pub fn train(
    cfg: &RunConfig,
    data: &Sample,
    mc: &Sample,
    progress: &Progress,
    stop: &AtomicBool,
) -> Result<Reweighter> {
    let (k, fold_src, fraction) = folds_of(cfg)?;
    let parse = |key: &str, src: &str| {
        Expr::parse(src)
            .map_err(|e| Error::Usage(format!("{}: {key} `{src}`: {e}", cfg.path.display())))
    };
    let inputs = cfg
        .features
        .iter()
        .map(|f| parse("inputs.features", f))
        .collect::<Result<Vec<_>>>()?;
    let fold = parse("training.fold", &fold_src)?;
    let engine = plain(cfg);
    let plan = engine.loss_plan()?;
    let scales = super::balance(
        data.len(),
        data.report.sum_weights,
        mc.len(),
        mc.report.sum_weights,
    );
    let width = data.width;
    let mut models = Vec::with_capacity(k);
    let mut folds = Vec::with_capacity(k);
    for m in 0..k {
        let r_d = roles(
            data.len(),
            Some((&data.fold, m as u32)),
            fraction,
            cfg.training.seed,
            Stream::SplitData,
        );
        let r_m = roles(
            mc.len(),
            Some((&mc.fold, m as u32)),
            fraction,
            cfg.training.seed,
            Stream::SplitMc,
        );
        let (td, tm) = (pick(&r_d, Role::Train), pick(&r_m, Role::Train));
        if td.is_empty() || tm.is_empty() {
            return Err(Error::Usage(format!(
                "fold {m}: the training part has {} data and {} simulation events; both are \
                 needed (check training.fold, or add events)",
                td.len(),
                tm.len()
            )));
        }
        let rows = td
            .iter()
            .map(|&i| data.row(i))
            .chain(tm.iter().map(|&i| mc.row(i)));
        let (st, _) = Standardize::fit(width, rows);
        let mut train_set = Set::new(width, &st);
        train_set.extend(data, &td, 1.0, scales.0);
        train_set.extend(mc, &tm, 0.0, scales.1);
        let mut val = Set::new(width, &st);
        let (vd, vm) = (pick(&r_d, Role::Validate), pick(&r_m, Role::Validate));
        if vd.is_empty() != vm.is_empty() {
            return Err(Error::Usage(format!(
                "fold {m}: the validation part has {} data and {} simulation events; raise \
                 training.validation or add events",
                vd.len(),
                vm.len()
            )));
        }
        val.extend(data, &vd, 1.0, scales.0);
        val.extend(mc, &vm, 0.0, scales.1);
        let sets = FitSets {
            train: train_set,
            val,
            domain_train: None,
            domain_val: None,
        };
        let f = fit(&engine, &plan, Some(m), &sets, None, progress, stop)?;
        if f.interrupted {
            return Err(Error::Usage(format!(
                "interrupted during fold {m} of {k}: a reweighting needs every fold's \
                 classifier, so nothing was written; run the same command again"
            )));
        }
        folds.push(FoldInfo {
            fold: m,
            train_events: sets.train.len(),
            validation_events: sets.val.len(),
            best_epoch: f.best_epoch,
            val_loss: f.best.as_ref().map(|v| v.classification),
            val_auc: f.best.as_ref().map(|v| v.auc),
        });
        models.push(FoldNet {
            net: f.net,
            params: f.params,
            standardize: st,
        });
    }
    Ok(Reweighter {
        k,
        scorer: Scorer::new(inputs, models, Some(fold))?,
        folds,
        scales,
    })
}

impl Reweighter {
    /// The model file of the reweighter: its k networks, the fold rule of
    /// `training.fold`, the run description as used, and the factor's definition, so
    /// `apply` writes the same `rw` and `weight_rw` on other files.
    pub fn model_file(&self, cfg: &RunConfig, factor: ReweightFactor) -> Result<ModelFile> {
        let (k, expression, _) = folds_of(cfg)?;
        let models = self
            .scorer
            .nets()
            .iter()
            .map(|f| Scoring::from_params(&f.net, &f.params, &f.standardize))
            .collect();
        Ok(ModelFile {
            format: crate::model::FORMAT.into(),
            version: crate::model::VERSION,
            inputs: cfg
                .features
                .iter()
                .map(|f| Input {
                    name: f.clone(),
                    expression: f.clone(),
                })
                .collect(),
            standardize: None,
            layers: None,
            folds: Some(Folds {
                k,
                expression,
                models,
                missing: Vec::new(),
            }),
            training: serde_json::to_value(&cfg.as_used).unwrap_or(serde_json::Value::Null),
            metrics: serde_json::to_value(&self.folds).unwrap_or(serde_json::Value::Null),
            provenance: serde_json::Value::Null,
            reweight: Some(factor),
        })
    }

    /// Logits of raw rows `x` ((n, width) row-major), each row by the model `owner[i]`;
    /// rows flagged in `skip` get NaN.
    pub fn logits(&self, x: &[f32], owner: &[u32], skip: &[bool]) -> Result<Vec<f32>> {
        self.scorer.logits_by_owner(x, owner, skip)
    }

    /// Out-of-fold logits of a sample read with folds: event i by model fold[i].
    pub fn out_of_fold(&self, s: &Sample) -> Result<Vec<f32>> {
        self.logits(&s.x, &s.fold, &vec![false; s.len()])
    }

    /// In-sample logits, for contrast: event i by model (fold[i] + 1) mod k, which
    /// trained on it (unless it was one of that model's validation events).
    pub fn in_sample(&self, s: &Sample) -> Result<Vec<f32>> {
        let owner: Vec<u32> = s.fold.iter().map(|&f| (f + 1) % self.k as u32).collect();
        self.logits(&s.x, &owner, &vec![false; s.len()])
    }
}
