//! Training one network: epochs of shuffled classification batches, a domain batch every
//! `domain_every` steps when the loss has data/simulation terms, the optimiser and its
//! schedule, validation after every epoch, early stopping with the best epoch kept, and
//! a stop after the current epoch on Ctrl-C.
//!
//! One step, with T = f32 and every gradient added into one flat buffer `grad`:
//!
//! 1. classification batch B (labels y, signed weights w): L_C, and when decorrelating,
//!    L_F on its background events (flatness) and the mass head's L_M (adversary,
//!    through its reversal layer with lambda_M). Without decorrelation this is the
//!    fused pass [`Network::train_step_bce`]; with it, forward, the loss backwards, then
//!    backward.
//! 2. domain batch (data then simulation, `domain_batch_size` of each, capped at the
//!    sample sizes), from warm-up's end on: lambda_H L_H on the classifier's own score,
//!    and the domain head's L_D through the reversal layer with lambda_G (constant or
//!    DANN's schedule in the training progress p).
//! 3. optional gradient-norm clipping, then the optimiser step at the scheduled rate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::eval::{subsample, validate, Validation};
use crate::config::{AdaptationMethod, DecorrelationMethod, ReversalSchedule, RunConfig};
use crate::data::sets::{Batch, Cycler, Set};
use crate::data::split::permutation;
use crate::loss::{
    bce_backward, bce_forward, domain_backward, domain_forward, equal_population_edges,
    flatness_backward, flatness_forward, histogram_backward, histogram_forward, mass_mse_backward,
    mass_mse_forward, DomainNorm, FlatnessBatch, FlatnessConfig, FlatnessHistograms, Histograms,
    Normalisation,
};
use crate::nn::{DropoutKey, Mode, Network, Upstream, Workspace};
use crate::optim::Optimizer;
use crate::progress::Progress;
use crate::random::{SplitMix64, Stream};
use crate::{Error, Result};

/// One line of history.csv (its format is the run folder's: [`crate::run_folder`]).
pub use crate::run_folder::EpochRecord;

/// The sets one model trains and validates on: views into the samples' feature
/// matrices (see [`Set`]).
pub struct FitSets<'a> {
    pub train: Set<'a>,
    pub val: Set<'a>,
    /// Control-region data and simulation, training part.
    pub domain_train: Option<(Set<'a>, Set<'a>)>,
    pub domain_val: Option<(Set<'a>, Set<'a>)>,
}

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
    Network::new(cfg.network_spec())
        .map_err(|e| Error::Usage(format!("{}: [network] {e}", cfg.path.display())))
}

fn workspace<'a>(
    map: &'a mut HashMap<usize, Workspace<f32>>,
    net: &Network,
    n: usize,
    fused: bool,
) -> &'a mut Workspace<f32> {
    map.entry(n).or_insert_with(|| {
        if fused {
            Workspace::for_fused(net, n)
        } else {
            Workspace::new(net, n)
        }
    })
}

/// Trains one model. `index` is the fold (or 0); `start` optionally gives the scoring
/// layers' starting values (`training.init`).
pub fn fit(
    cfg: &RunConfig,
    index: Option<usize>,
    sets: &FitSets<'_>,
    start: Option<&[(String, Vec<f32>)]>,
    progress: &Progress,
    stop: &AtomicBool,
) -> Result<Fitted> {
    let t = &cfg.training;
    let a = &cfg.adaptation;
    let net = network_for(cfg)?;
    let seed = t.seed.wrapping_add(index.unwrap_or(0) as u64 * 1_000_003);
    let mut params: Vec<f32> = net.new_params(cfg.network.init, seed);
    if let Some(start) = start {
        for (name, values) in start {
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
    }
    let train = &sets.train;
    if train.is_empty() {
        return Err(Error::Usage(
            "the training set is empty; lower training.validation or check the cuts".into(),
        ));
    }
    let uses_domain = cfg.uses_domain_batches();
    let with_hist = matches!(
        a.method,
        AdaptationMethod::Histogram | AdaptationMethod::Both
    ) && a.histogram_lambda > 0.0;
    let with_rev = matches!(
        a.method,
        AdaptationMethod::Reversal | AdaptationMethod::Both
    );
    let hist_cfg = a.bins;
    let dec = cfg.decorrelation.as_ref();
    let with_flat = dec.is_some_and(|d| {
        matches!(
            d.method,
            DecorrelationMethod::Flatness | DecorrelationMethod::Both
        )
    });
    let with_adv = dec.is_some_and(|d| {
        matches!(
            d.method,
            DecorrelationMethod::Adversary | DecorrelationMethod::Both
        )
    });
    // the training background: flatness mass bins and the adversary's mass scale
    let bkg: Vec<usize> = (0..train.len()).filter(|&i| train.y[i] == 0.0).collect();
    let bkg_mass: Vec<f32> = bkg
        .iter()
        .map(|&i| train.mass.get(i).copied().unwrap_or(0.0))
        .collect();
    let bkg_w: Vec<f32> = bkg.iter().map(|&i| train.w[i]).collect();
    let flat_cfg = match (with_flat, dec) {
        (true, Some(d)) => {
            let edges = equal_population_edges(&bkg_mass, None, d.mass_bins)?;
            Some(FlatnessConfig::new(d.bins, edges, &bkg_mass, &bkg_w)?)
        }
        _ => None,
    };
    let bkg_norm = if with_adv {
        Some(Normalisation::of_weights("training background", &bkg_w)?)
    } else {
        None
    };
    let (mass_mean, mass_std) = {
        let n = bkg_mass.len().max(1) as f64;
        let m = bkg_mass.iter().map(|&v| v as f64).sum::<f64>() / n;
        let v = bkg_mass
            .iter()
            .map(|&x| (x as f64 - m).powi(2))
            .sum::<f64>()
            / n;
        (m, if v > 0.0 { v.sqrt() } else { 1.0 })
    };
    let norm_set = Normalisation::of_weights("classification training set", &train.w)?;
    let domain_norm = match &sets.domain_train {
        Some((d, m)) if uses_domain => Some(DomainNorm::new(
            Normalisation::of_weights("[domain] data, training part", &d.w)?,
            Normalisation::of_weights("[domain] mc, training part", &m.w)?,
        )),
        _ => None,
    };
    let mut opt = Optimizer::<f32>::new(&t.optimizer, net.num_params());
    let clip = t.clip_grad_norm;
    let lr0 = t.optimizer.lr();
    let mut grad = vec![0.0f32; net.num_params()];
    let mut ws_c: HashMap<usize, Workspace<f32>> = HashMap::new();
    let mut ws_d: HashMap<usize, Workspace<f32>> = HashMap::new();
    let mut rng = SplitMix64::named(seed, Stream::BatchOrder);
    let (mut cyc_data, mut cyc_mc) = match &sets.domain_train {
        Some((d, m)) => (
            Some(Cycler::new(
                d.len(),
                SplitMix64::named(seed, Stream::DomainData),
            )),
            Some(Cycler::new(
                m.len(),
                SplitMix64::named(seed, Stream::DomainMc),
            )),
        ),
        None => (None, None),
    };
    let steps_per_epoch = train.len().div_ceil(t.batch_size);
    let total_steps = (steps_per_epoch * t.epochs).max(1) as f64;
    let mut batch = Batch::default();
    let mut dbatch = Batch::default();
    let mut dz: Vec<f32> = Vec::new();
    let mut dd: Vec<f32> = Vec::new();
    let mut dm: Vec<f32> = Vec::new();
    let mut mass_t: Vec<f32> = Vec::new();
    let mut hists = Histograms::new(&hist_cfg);
    let mut fhists = flat_cfg.as_ref().map(FlatnessHistograms::new);
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, Vec<f32>, Validation)> = None;
    let mut since_best = 0usize;
    let mut interrupted = false;
    let mut step = 0u64;
    let val_domain = sets.domain_val.as_ref().map(|(d, m)| (d, m));
    let train_probe = subsample(train, t.metric_events);
    let bar = progress.bar(t.epochs as u64, "epochs", "training");
    for epoch in 0..t.epochs {
        let started = Instant::now();
        // the rate at the epoch's start (what history.csv records); Ganin's schedule,
        // which reads the progress p, is re-evaluated every step below
        let lr_epoch = t.schedule.lr(lr0, epoch as u64, step as f64 / total_steps);
        let adapt = epoch >= a.warmup_epochs;
        let order = permutation(train.len(), &mut rng);
        let mut sums = [0.0f64; 5];
        let mut counts = [0usize; 5];
        let mut lambda_g = 0.0;
        for (bi, idx) in order.chunks(t.batch_size).enumerate() {
            let p = step as f64 / total_steps;
            let mode = if cfg.network.dropout > 0.0 {
                Mode::Train(DropoutKey { seed, step })
            } else {
                Mode::Eval
            };
            grad.fill(0.0);
            // the shuffled batch's rows, gathered in parallel (the same rows, any
            // thread count)
            train.gather(idx, &mut batch);
            let n = batch.len();
            let norm = norm_set.batch("classification batch", n)?;
            if flat_cfg.is_none() && !with_adv {
                let ws = workspace(&mut ws_c, &net, n, true);
                let lc = net.train_step_bce(
                    &mut grad, ws, &params, &batch.x, &batch.y, &batch.w, &norm, mode,
                )?;
                sums[0] += lc;
                counts[0] += 1;
            } else {
                let ws = workspace(&mut ws_c, &net, n, false);
                net.forward(ws, &params, &batch.x, mode)?;
                dz.clear();
                dz.resize(n, 0.0);
                sums[0] += bce_forward(&ws.z, &batch.y, &batch.w, &norm);
                counts[0] += 1;
                bce_backward(&mut dz, &ws.z, &batch.y, &batch.w, &norm, 1.0);
                if let (Some(fc), Some(fh), Some(d)) = (&flat_cfg, fhists.as_mut(), dec) {
                    let fb = FlatnessBatch::new(fc, &batch.y, &batch.mass)?;
                    sums[4] += flatness_forward(fh, &ws.z, &batch.w, &fb, fc);
                    counts[4] += 1;
                    flatness_backward(&mut dz, &ws.z, &batch.w, &fb, fh, fc, d.flatness_lambda);
                }
                let mut lambda_m = 0.0;
                dm.clear();
                if let (Some(bn), Some(d)) = (&bkg_norm, dec) {
                    mass_t.clear();
                    mass_t.extend(
                        batch
                            .mass
                            .iter()
                            .map(|&m| ((m as f64 - mass_mean) / mass_std) as f32),
                    );
                    dm.resize(n, 0.0);
                    sums[3] += mass_mse_forward(&ws.mass, &mass_t, &batch.y, &batch.w, bn);
                    counts[3] += 1;
                    mass_mse_backward(&mut dm, &ws.mass, &mass_t, &batch.y, &batch.w, bn, 1.0);
                    lambda_m = d.adversary_lambda;
                }
                let up = Upstream {
                    dz: Some(&dz),
                    ddomain: None,
                    dmass: if dm.is_empty() { None } else { Some(&dm) },
                    lambda_domain: 0.0,
                    lambda_mass: lambda_m,
                };
                net.backward(&mut grad, ws, &params, &batch.x, &up)?;
            }
            let domain_step = uses_domain && adapt && bi % t.domain_every == 0;
            if let (true, Some(dn), Some((dset, mset)), Some(cd), Some(cm)) = (
                domain_step,
                &domain_norm,
                &sets.domain_train,
                cyc_data.as_mut(),
                cyc_mc.as_mut(),
            ) {
                let (di, mi) = (cd.next(t.domain_batch_size), cm.next(t.domain_batch_size));
                dset.gather_pair(&di, mset, &mi, &mut dbatch);
                let nd = di.len();
                let nb = dbatch.len();
                // domain labels: 1 for data, 0 for simulation
                let label: Vec<f32> = (0..nb).map(|i| if i < nd { 1.0 } else { 0.0 }).collect();
                let db = dn.batch(&label)?;
                let ws = workspace(&mut ws_d, &net, nb, false);
                net.forward(ws, &params, &dbatch.x, mode)?;
                dz.clear();
                dz.resize(nb, 0.0);
                dd.clear();
                if with_hist {
                    sums[1] +=
                        histogram_forward(&mut hists, &ws.z, &dbatch.w, &label, &hist_cfg, &db);
                    counts[1] += 1;
                    histogram_backward(
                        &mut dz,
                        &ws.z,
                        &dbatch.w,
                        &label,
                        &hists,
                        &hist_cfg,
                        &db,
                        a.histogram_lambda,
                    );
                }
                if with_rev {
                    lambda_g = match a.reversal_schedule {
                        ReversalSchedule::Constant => a.reversal_lambda,
                        ReversalSchedule::Dann { gamma } => {
                            crate::optim::dann_lambda(a.reversal_lambda, gamma, p)
                        }
                    };
                    dd.resize(nb, 0.0);
                    sums[2] += domain_forward(&ws.domain, &dbatch.w, &label, &db);
                    counts[2] += 1;
                    domain_backward(&mut dd, &ws.domain, &dbatch.w, &label, &db, 1.0);
                }
                let up = Upstream {
                    dz: if with_hist { Some(&dz) } else { None },
                    ddomain: if with_rev { Some(&dd) } else { None },
                    dmass: None,
                    lambda_domain: lambda_g,
                    lambda_mass: 0.0,
                };
                net.backward(&mut grad, ws, &params, &dbatch.x, &up)?;
            }
            if let Some(c) = &clip {
                c.apply(&mut grad);
            }
            let lr = t.schedule.lr(lr0, epoch as u64, p);
            opt.step(&mut params, &grad, lr);
            step += 1;
        }
        let mean = |k: usize| (counts[k] > 0).then(|| sums[k] / counts[k] as f64);
        let lam_h = if with_hist { a.histogram_lambda } else { 0.0 };
        let lam_f = dec.map_or(0.0, |d| d.flatness_lambda);
        let train_loss = mean(0).unwrap_or(0.0)
            + lam_h * mean(1).unwrap_or(0.0)
            + mean(2).unwrap_or(0.0)
            + mean(3).unwrap_or(0.0)
            + lam_f * mean(4).unwrap_or(0.0);
        if params.iter().any(|v| !v.is_finite()) {
            return Err(Error::Usage(format!(
                "training diverged in epoch {epoch} (a parameter is NaN or infinite); lower \
                 training.learning_rate (now {lr0}) or the adaptation lambdas, or set \
                 training.clip_grad_norm = 1.0"
            )));
        }
        let z_probe = super::eval::set_logits(&net, &params, &train_probe)?;
        let s_probe = super::eval::scores(&z_probe);
        let l_probe: Vec<bool> = train_probe.y.iter().map(|&y| y == 1.0).collect();
        let train_auc =
            crate::metrics::roc_auc(&s_probe, &l_probe, &train_probe.w).unwrap_or(f64::NAN);
        let v = if sets.val.is_empty() {
            None
        } else {
            Some(validate(
                &net,
                &params,
                &sets.val,
                val_domain,
                with_hist.then_some(&hist_cfg),
                flat_cfg.as_ref(),
                t.metric_events,
            )?)
        };
        let val_loss = v.as_ref().map(|v| {
            v.classification
                + lam_h * v.histogram.unwrap_or(0.0)
                + lam_f * v.flatness.unwrap_or(0.0)
        });
        let rec = EpochRecord {
            fold: index,
            epoch,
            learning_rate: lr_epoch,
            reversal_lambda: lambda_g,
            train_loss,
            train_classification: mean(0).unwrap_or(0.0),
            train_histogram: mean(1),
            train_domain: mean(2),
            train_mass: mean(3),
            train_flatness: mean(4),
            val_loss,
            val_classification: v.as_ref().map(|v| v.classification),
            val_histogram: v.as_ref().and_then(|v| v.histogram),
            val_flatness: v.as_ref().and_then(|v| v.flatness),
            train_auc,
            val_auc: v.as_ref().map(|v| v.auc),
            val_ks: v.as_ref().and_then(|v| v.ks),
            seconds: started.elapsed().as_secs_f64(),
        };
        progress.say(&epoch_line(&rec));
        bar.inc(1);
        history.push(rec);
        match (val_loss, v) {
            (Some(l), Some(v)) => {
                let better = best.as_ref().is_none_or(|b| l < b.0);
                if better {
                    best = Some((l, epoch, params.clone(), v));
                    since_best = 0;
                } else {
                    since_best += 1;
                }
            }
            _ => best = Some((f64::NAN, epoch, params.clone(), Validation::default())),
        }
        if stop.load(Ordering::SeqCst) {
            interrupted = true;
            progress
                .say("interrupted: stopping after this epoch and keeping the best model so far");
            break;
        }
        if t.early_stopping > 0 && !sets.val.is_empty() && since_best >= t.early_stopping {
            progress.say(&format!(
                "early stopping: no better validation loss for {} epochs",
                t.early_stopping
            ));
            break;
        }
    }
    bar.finish_and_clear();
    let (_, best_epoch, best_params, best_v) = best.ok_or_else(|| {
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
