//! Training one network: epochs of shuffled classification batches, a domain batch every
//! `domain_every` steps when the loss plan has data/simulation terms, the optimiser and
//! its schedule, validation after every epoch, early stopping with the best epoch kept,
//! and a stop after the current epoch on Ctrl-C. The epoch loop, its validation, record
//! and stopping are here; the steps and what they share are in `step.rs`.
//!
//! Which terms a step computes is the [`LossPlan`], decided once from the checked run
//! description ([`RunConfig::loss_plan`]). One step, with T = f32 and every gradient
//! added into one flat buffer `grad`:
//!
//! 1. classification batch B (labels y, signed weights w): L_C, and with the plan's
//!    decorrelation terms, L_F on its background events (flatness) and the mass head's
//!    L_M (adversary, through its reversal layer with lambda_M). Without them this is
//!    the fused pass [`Network::train_step_bce`]; with them, forward, the loss
//!    backwards, then backward.
//! 2. domain batch (data then simulation, `domain_batch_size` of each, capped at the
//!    sample sizes), from warm-up's end on, when the plan has domain terms: lambda_H L_H
//!    on the classifier's own score, and the domain head's L_D through the reversal
//!    layer with lambda_G (constant or DANN's schedule in the training progress p).
//! 3. optional gradient-norm clipping, then the optimiser step at the scheduled rate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::eval::{subsample, validate, Validation};
use super::step::{EpochSums, Steps};
use crate::config::{LossPlan, RunConfig};
use crate::data::sets::Set;
use crate::nn::{Network, NetworkSpec};
use crate::progress::Progress;
use crate::{Error, Result};

/// One line of history.csv (its format is the run folder's: [`crate::run_folder`]).
pub use crate::run_folder::EpochRecord;

/// The sets one model trains and validates on ([`crate::data::sets::FitSets`]).
pub use crate::data::sets::FitSets;

pub struct Fitted {
    pub net: Network,
    pub params: Vec<f32>,
    pub history: Vec<EpochRecord>,
    /// 0-based epoch whose parameters were kept.
    pub best_epoch: usize,
    pub best: Option<Validation>,
    pub interrupted: bool,
}

/// The network a run description asks for, with its training heads.
pub fn network_for(cfg: &RunConfig) -> Result<Network> {
    network_of(cfg, cfg.network_spec())
}

fn network_of(cfg: &RunConfig, spec: NetworkSpec) -> Result<Network> {
    Network::new(spec).map_err(|e| Error::Usage(format!("{}: [network] {e}", cfg.path.display())))
}

/// The starting parameters: the network's initialisation (`network.init`) from `seed`,
/// then the scoring layers' values from `start` (`training.init`), tensor by tensor.
fn start_params(
    cfg: &RunConfig,
    net: &Network,
    seed: u64,
    start: Option<&[(String, Vec<f32>)]>,
) -> Result<Vec<f32>> {
    let mut params: Vec<f32> = net.new_params(cfg.network.init, seed);
    for (name, values) in start.unwrap_or_default() {
        let dst = net.table().slice_mut(&mut params, name)?;
        if dst.len() != values.len() {
            return Err(Error::Usage(format!(
                "training.init: tensor `{name}` has {} values in the model but this network \
                 needs {}; the init model must have the same inputs and hidden layers",
                values.len(),
                dst.len()
            )));
        }
        dst.copy_from_slice(values);
    }
    Ok(params)
}

/// Trains one model with the loss `plan` (the one of `cfg`: [`RunConfig::loss_plan`]).
/// `index` is the fold (or 0); `start` optionally gives the scoring layers' starting
/// values (`training.init`). The network has the heads the plan's terms need.
pub fn fit(
    cfg: &RunConfig,
    plan: &LossPlan,
    index: Option<usize>,
    sets: &FitSets<'_>,
    start: Option<&[(String, Vec<f32>)]>,
    progress: &Progress,
    stop: &AtomicBool,
) -> Result<Fitted> {
    let t = &cfg.training;
    let net = network_of(cfg, cfg.network_spec_for(plan))?;
    let seed = t.seed.wrapping_add(index.unwrap_or(0) as u64 * 1_000_003);
    let mut params = start_params(cfg, &net, seed, start)?;
    if sets.train.is_empty() {
        return Err(Error::Usage(
            "the training set is empty; lower training.validation or check the cuts".into(),
        ));
    }
    let mut steps = Steps::new(cfg, plan, &net, sets, seed)?;
    let mut history = Vec::new();
    let mut best = Best::default();
    let mut interrupted = false;
    let train_probe = subsample(&sets.train, t.metric_events);
    let bar = progress.bar(t.epochs as u64, "epochs", "training");
    for epoch in 0..t.epochs {
        let started = Instant::now();
        let learning_rate = steps.epoch_lr(epoch);
        let sums = steps.epoch(&mut params, epoch)?;
        let at = EpochAt {
            fold: index,
            epoch,
            learning_rate,
            started,
        };
        let (rec, v) = end_of_epoch(&steps, &params, &train_probe, &at, &sums)?;
        progress.say(&epoch_line(&rec));
        bar.inc(1);
        best.update(rec.val_loss, v, epoch, &params);
        history.push(rec);
        if stop.load(Ordering::SeqCst) {
            // what happens next was announced at the Ctrl-C and is reported by the caller
            interrupted = true;
            break;
        }
        if t.early_stopping > 0 && !sets.val.is_empty() && best.since >= t.early_stopping {
            progress.say(&format!(
                "early stopping: no better validation loss for {} epochs",
                t.early_stopping
            ));
            break;
        }
    }
    bar.finish_and_clear();
    let (_, best_epoch, best_params, best_v) = best.kept.ok_or_else(|| {
        Error::Usage("training stopped before the first epoch ended; nothing to save".into())
    })?;
    Ok(Fitted {
        net,
        params: best_params,
        history,
        best_epoch,
        best: (!sets.val.is_empty()).then_some(best_v),
        interrupted,
    })
}

/// Which epoch ended, of which fold, when it started and its rate at the start.
struct EpochAt {
    fold: Option<usize>,
    epoch: usize,
    learning_rate: f64,
    started: Instant,
}

/// After an epoch's steps: refuses a diverged network, then the training AUC on the
/// probe, validation on the whole validation sets ([`validate`], with the plan's
/// histogram and flatness terms), and the epoch's row of history.csv.
fn end_of_epoch(
    steps: &Steps<'_>,
    params: &[f32],
    train_probe: &Set<'_>,
    at: &EpochAt,
    sums: &EpochSums,
) -> Result<(EpochRecord, Option<Validation>)> {
    let (cfg, net, sets, plan) = (steps.cfg, steps.net, steps.sets, steps.terms.plan);
    let train_loss = sums.train_loss(plan);
    if params.iter().any(|v| !v.is_finite()) {
        return Err(Error::Usage(format!(
            "training diverged in epoch {} (a parameter is NaN or infinite); lower \
             training.learning_rate (now {}) or the adaptation lambdas, or set \
             training.clip_grad_norm = 1.0",
            at.epoch,
            cfg.training.optimizer.lr()
        )));
    }
    let z_probe = super::eval::set_logits(net, params, train_probe)?;
    let s_probe = super::eval::scores(&z_probe);
    let l_probe: Vec<bool> = train_probe.y.iter().map(|&y| y == 1.0).collect();
    let train_auc = crate::metrics::roc_auc(&s_probe, &l_probe, &train_probe.w).unwrap_or(f64::NAN);
    let v = if sets.val.is_empty() {
        None
    } else {
        Some(validate(
            net,
            params,
            &sets.val,
            sets.domain_val.as_ref().map(|(d, m)| (d, m)),
            plan.histogram().map(|h| &h.bins),
            steps.terms.flat.as_ref(),
            cfg.training.metric_events,
        )?)
    };
    let (lam_h, lam_f) = (plan.histogram_lambda(), plan.flatness_lambda());
    let val_loss = v.as_ref().map(|v| {
        v.classification + lam_h * v.histogram.unwrap_or(0.0) + lam_f * v.flatness.unwrap_or(0.0)
    });
    let rec = EpochRecord {
        fold: at.fold,
        epoch: at.epoch,
        learning_rate: at.learning_rate,
        reversal_lambda: sums.lambda_g,
        train_loss,
        train_classification: sums.classification().unwrap_or(0.0),
        train_histogram: sums.histogram(),
        train_domain: sums.domain(),
        train_mass: sums.mass(),
        train_flatness: sums.flatness(),
        val_loss,
        val_classification: v.as_ref().map(|v| v.classification),
        val_histogram: v.as_ref().and_then(|v| v.histogram),
        val_flatness: v.as_ref().and_then(|v| v.flatness),
        train_auc,
        val_auc: v.as_ref().map(|v| v.auc),
        val_ks: v.as_ref().and_then(|v| v.ks),
        seconds: at.started.elapsed().as_secs_f64(),
    };
    Ok((rec, v))
}

/// The epoch whose parameters are kept, and how many epochs since brought no lower
/// validation loss (early stopping's count).
#[derive(Default)]
struct Best {
    /// (validation loss, epoch, parameters, validation).
    kept: Option<(f64, usize, Vec<f32>, Validation)>,
    since: usize,
}

impl Best {
    /// Keeps `params` when `val_loss` is lower than the kept epoch's; without a
    /// validation set, keeps every epoch (so the last).
    fn update(
        &mut self,
        val_loss: Option<f64>,
        v: Option<Validation>,
        epoch: usize,
        params: &[f32],
    ) {
        match (val_loss, v) {
            (Some(l), Some(v)) => {
                let better = self.kept.as_ref().is_none_or(|b| l < b.0);
                if better {
                    self.kept = Some((l, epoch, params.to_vec(), v));
                    self.since = 0;
                } else {
                    self.since += 1;
                }
            }
            _ => self.kept = Some((f64::NAN, epoch, params.to_vec(), Validation::default())),
        }
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or("-".into())
}

fn epoch_line(r: &EpochRecord) -> String {
    let fold = r.fold.map(|f| format!("fold {f} ")).unwrap_or_default();
    let mut s = format!(
        "{fold}epoch {:>3}  loss {:.4}  val {}  auc {:.4}/{}",
        r.epoch + 1,
        r.train_loss,
        opt(r.val_loss),
        r.train_auc,
        opt(r.val_auc)
    );
    if let Some(ks) = r.val_ks {
        s.push_str(&format!("  ks {ks:.4}"));
    }
    s.push_str(&format!("  {:.1}s", r.seconds));
    s
}
