//! Training one network of the chain: a quantile network (Q outputs, the weighted
//! pinball loss [`pinball_row`]) or a spike classifier (one output, weighted BCE), with
//! a loop of its own (the classifier trainer in `crate::train` is tied to run
//! descriptions).
//!
//! - Inputs standardised by the training events' mean and std (unweighted, population;
//!   a constant input keeps std 1), the target of a quantile network too; both stored
//!   in the model. f32 networks, f64 loss sums.
//! - A held-out slice of the training events (about [`Hyper::holdout`], chosen per
//!   entry by key(seed, [`Stream::ChainHoldout`], entry)) is not trained on; its loss
//!   after each epoch is reported, and the parameters of the epoch with the lowest
//!   held-out loss are kept (early stopping without stopping: every epoch runs).
//! - At least [`Hyper::min_steps`] optimiser steps: a small training set runs more
//!   epochs than asked (at most [`MAX_EPOCHS`]), so that a network trained on few
//!   events (off a large point mass) is not left half-way.
//! - Each epoch visits the training events in an order drawn from key(seed,
//!   [`Stream::ChainBatch`], the network's key, epoch), in full batches (a last partial
//!   batch waits for the next epoch's shuffle). Adam ([`crate::optim`]), the fused pass
//!   ([`Network::forward_backward`]): the same bits for any thread count.
//! - Signed weights enter the loss as they are, normalised like every loss of
//!   [`crate::loss`]: N / (|B| W) over the training set.

use crate::loss::bce::{bce_forward, bce_grad_factor, bce_row_grad, bce_row_loss};
use crate::loss::{pinball_forward, pinball_row, Normalisation, QuantileLevels};
use crate::nn::eval::logits_into;
use crate::nn::{DropoutKey, Init, Mode, Network, NetworkSpec, Workspace};
use crate::optim::{AdamConfig, Optimizer, OptimizerConfig};
use crate::random::{key, unit_f64, SplitMix64, Stream};
use crate::{Error, Result};
use rootgrad_kernels::Act;

use super::apply::Net;
use super::model::Target;

/// The training settings of every network of a chain (`morph --chain` flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Hyper {
    pub hidden: Vec<usize>,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    /// The fraction of the training events held out for the per-epoch loss.
    pub holdout: f64,
    /// At least this many optimiser steps: a small training set (a point mass's few
    /// events off the spike) runs more epochs than `epochs`, up to [`MAX_EPOCHS`].
    pub min_steps: usize,
}

/// The most epochs [`Hyper::min_steps`] may ask for.
pub const MAX_EPOCHS: usize = 400;

impl Default for Hyper {
    /// Chosen by measurement, docs/maths.md ("Chained morphing: the training").
    fn default() -> Hyper {
        Hyper {
            hidden: vec![64, 64],
            epochs: 12,
            batch: 1024,
            lr: 3e-3,
            holdout: 0.1,
            min_steps: 1500,
        }
    }
}

/// What a network learns.
#[derive(Clone, Copy)]
pub enum Task<'a> {
    /// Q conditional quantiles of the target.
    Quantiles(&'a QuantileLevels),
    /// p(target = 1 | x), the target a 0/1 label.
    Spike,
}

/// One network's training events: raw inputs (n, d) in f64, the target, signed
/// weights and chain entries (the held-out slice's key).
pub struct Events<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub w: &'a [f64],
    pub entry: &'a [u64],
}

/// A trained network and how its training went.
pub struct Fitted {
    pub net: Net,
    pub target: Target,
    /// The held-out loss after each epoch (empty without a held-out slice).
    pub held_out: Vec<f64>,
    /// The epoch whose parameters were kept (0-based).
    pub kept_epoch: usize,
}

/// Mean and population std of the columns of (n, d) rows; std 0 becomes 1.
fn moments(x: &[f64], d: usize, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0; d];
    for &i in rows {
        for (m, &v) in mean.iter_mut().zip(&x[i * d..(i + 1) * d]) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0.0; d];
    for &i in rows {
        for j in 0..d {
            let u = x[i * d + j] - mean[j];
            var[j] += u * u;
        }
    }
    let std = var
        .iter()
        .map(|v| {
            let s = (v / n).sqrt();
            if s > 0.0 && s.is_finite() {
                s
            } else {
                1.0
            }
        })
        .collect();
    (mean, std)
}

/// The standardised f32 rows, targets and weights of `rows`.
fn gather(
    e: &Events,
    d: usize,
    rows: &[usize],
    st: &(Vec<f64>, Vec<f64>),
    t: Target,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut x = Vec::with_capacity(rows.len() * d);
    for &i in rows {
        for j in 0..d {
            x.push(((e.x[i * d + j] - st.0[j]) / st.1[j]) as f32);
        }
    }
    let y = rows
        .iter()
        .map(|&i| ((e.y[i] - t.mean) / t.std) as f32)
        .collect();
    let w = rows.iter().map(|&i| e.w[i] as f32).collect();
    (x, y, w)
}

/// Trains one network on `e` (`d` inputs). `id` keys its random streams (seed, variable,
/// fold, sample, kind); `what` names it in errors.
pub fn fit(task: Task, e: &Events, d: usize, h: &Hyper, id: &[u64], what: &str) -> Result<Fitted> {
    let seed = id.first().copied().unwrap_or(0);
    let n = e.y.len();
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for i in 0..n {
        let u = unit_f64(key(&[seed, Stream::ChainHoldout.id(), e.entry[i]]));
        if u < h.holdout {
            held.push(i);
        } else {
            train.push(i);
        }
    }
    if train.is_empty() {
        return Err(Error::Usage(format!("{what}: no training events")));
    }
    let st = moments(e.x, d, &train);
    let (target, outputs) = match task {
        Task::Quantiles(levels) => {
            let (m, s) = moments(e.y, 1, &train);
            (
                Target {
                    mean: m[0],
                    std: s[0],
                },
                levels.len(),
            )
        }
        Task::Spike => (
            Target {
                mean: 0.0,
                std: 1.0,
            },
            1,
        ),
    };
    let (xt, yt, wt) = gather(e, d, &train, &st, target);
    let (xv, yv, wv) = gather(e, d, &held, &st, target);
    let net = Network::new(NetworkSpec {
        inputs: d,
        hidden: h.hidden.clone(),
        activation: Act::Relu,
        dropout: 0.0,
        domain_head: None,
        mass_head: None,
        outputs,
    })?;
    let mut params: Vec<f32> =
        net.new_params(Init::Torch, key(&[id, &[Stream::ChainInit.id()]].concat()));
    match task {
        Task::Quantiles(levels) => start_at_marginal(&net, &mut params, levels, &yt)?,
        Task::Spike => start_at_fraction(&net, &mut params, &yt, &wt)?,
    }
    let adam = OptimizerConfig::Adam(AdamConfig {
        lr: Some(h.lr),
        ..AdamConfig::default()
    })
    .validate()?;
    let mut opt = Optimizer::new(&adam, params.len());
    let norm = Normalisation::of_weights(what, &wt)?;
    let batch = h.batch.min(train.len()).max(1);
    let bn = norm.batch(what, batch)?;
    let mut ws = Workspace::for_fused(&net, batch);
    let mut grad = vec![0.0f32; params.len()];
    let mut xb = vec![0.0f32; batch * d];
    let mut best: Option<(f64, usize, Vec<f32>)> = None;
    let mut losses = Vec::new();
    let mut step = 0u64;
    let per_epoch = (train.len() / batch).max(1);
    let epochs = h
        .epochs
        .max(h.min_steps.div_ceil(per_epoch).min(MAX_EPOCHS));
    let total_steps = (epochs * (train.len() / batch)) as u64;
    for epoch in 0..epochs {
        let mut rng = SplitMix64::new(&[id, &[Stream::ChainBatch.id(), epoch as u64]].concat());
        let order = crate::data::split::permutation(train.len(), &mut rng);
        for b in order.chunks_exact(batch) {
            for (r, &i) in b.iter().enumerate() {
                xb[r * d..(r + 1) * d].copy_from_slice(&xt[i as usize * d..(i as usize + 1) * d]);
            }
            grad.fill(0.0);
            let mode = Mode::Train(DropoutKey { seed, step });
            let pass = Pass {
                net: &net,
                params: &params,
                x: &xb,
                rows: b,
                y: &yt,
                w: &wt,
                norm: &bn,
                mode,
            };
            gradient(task, &pass, &mut ws, &mut grad)?;
            opt.step(&mut params, &grad, cosine_lr(h.lr, step, total_steps));
            step += 1;
        }
        if params.iter().any(|p| !p.is_finite()) {
            return Err(Error::Usage(format!(
                "{what}: the parameters became NaN or infinite in epoch {epoch}; lower \
                 --learning-rate"
            )));
        }
        if held.is_empty() {
            continue;
        }
        let mut z = Vec::new();
        logits_into(&net, &params, &xv, &mut None, &mut z)?;
        let vn = Normalisation::of_weights(what, &wv).and_then(|v| v.batch(what, held.len()));
        let loss = match (vn, task) {
            (Ok(vn), Task::Quantiles(levels)) => pinball_forward(levels, &z, &yv, &wv, &vn),
            (Ok(vn), Task::Spike) => bce_forward(&z, &yv, &wv, &vn),
            (Err(_), _) => f64::NAN,
        };
        losses.push(loss);
        if best.as_ref().is_none_or(|b| loss < b.0) {
            best = Some((loss, epoch, params.clone()));
        }
    }
    let kept_epoch = match best {
        Some((_, e, p)) => {
            params = p;
            e
        }
        None => epochs.saturating_sub(1),
    };
    Ok(Fitted {
        net: Net {
            net,
            params,
            mean: st.0,
            std: st.1,
        },
        target,
        held_out: losses,
        kept_epoch,
    })
}

/// Starts a quantile network at the training targets' marginal quantiles: the output
/// layer's biases are set so that q_j = the (unweighted) empirical tau_j-quantile of the
/// standardised targets `y` (r_1 = q_1, r_j = softplus^-1(q_j - q_{j-1}), each gap at
/// least 1e-3), and its weights are scaled by 0.1, so that the network starts near the
/// unconditional answer and learns the dependence on its inputs. From the default
/// initialisation (all r_j near 0, every gap softplus(0) = 0.69 standard deviations)
/// the gaps of the lower levels stayed uneven (a gap of 0.04 beside one of 0.6
/// sigma) after training, and the map's output showed holes and spikes.
fn start_at_marginal(
    net: &Network,
    params: &mut [f32],
    levels: &QuantileLevels,
    y: &[f32],
) -> Result<()> {
    if y.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<f32> = y.to_vec();
    sorted.sort_by(f32::total_cmp);
    let at = |tau: f64| {
        let i = ((tau * sorted.len() as f64) as usize).min(sorted.len() - 1);
        sorted[i] as f64
    };
    let table = net.table();
    for w in table.slice_mut(params, "classifier.weight")? {
        *w *= 0.1;
    }
    let bias = table.slice_mut(params, "classifier.bias")?;
    let mut prev = 0.0;
    for (j, (b, &tau)) in bias.iter_mut().zip(levels.taus()).enumerate() {
        let q = at(tau);
        *b = if j == 0 {
            q as f32
        } else {
            let gap = (q - prev).max(1e-3);
            // softplus^-1(gap) = gap + ln(1 - e^-gap)
            (gap + (-(-gap).exp()).ln_1p()) as f32
        };
        prev = if j == 0 {
            q
        } else {
            prev + (q - prev).max(1e-3)
        };
    }
    Ok(())
}

/// Starts a spike classifier at the training events' weighted spike fraction p (its
/// output bias ln(p / (1 - p)), p kept inside [0.001, 0.999]; output weights scaled by
/// 0.1), for the same reason as [`start_at_marginal`].
fn start_at_fraction(net: &Network, params: &mut [f32], y: &[f32], w: &[f32]) -> Result<()> {
    let (mut on, mut all) = (0.0f64, 0.0f64);
    for (&y, &w) in y.iter().zip(w) {
        on += (y as f64) * w as f64;
        all += w as f64;
    }
    let p = if all > 0.0 { on / all } else { 0.5 };
    let p = p.clamp(0.001, 0.999);
    let table = net.table();
    for v in table.slice_mut(params, "classifier.weight")? {
        *v *= 0.1;
    }
    table.slice_mut(params, "classifier.bias")?[0] = (p / (1.0 - p)).ln() as f32;
    Ok(())
}

/// The learning rate of optimiser step `step` of `total`: cosine annealing from `lr0`
/// to zero, lr0 (1 + cos(pi step / total)) / 2. A constant rate leaves the quantiles
/// jittering at the end of training by about what one step moves them (the held-out
/// loss stops falling but wanders); annealing lets the last steps settle.
pub fn cosine_lr(lr0: f64, step: u64, total: u64) -> f64 {
    if total == 0 {
        return lr0;
    }
    let p = (step as f64 / total as f64).min(1.0);
    0.5 * lr0 * (1.0 + (std::f64::consts::PI * p).cos())
}

/// One batch's fused pass: the batch rows `x` (row r is training event `rows[r]`), the
/// training set's targets and weights, its normalisation for this batch size.
struct Pass<'a> {
    net: &'a Network,
    params: &'a [f32],
    x: &'a [f32],
    rows: &'a [u32],
    y: &'a [f32],
    w: &'a [f32],
    norm: &'a crate::loss::BatchNorm,
    mode: Mode,
}

/// Adds the batch's dL/dparams into `grad` (pinball loss per row, or weighted BCE).
fn gradient(task: Task, p: &Pass, ws: &mut Workspace<f32>, grad: &mut [f32]) -> Result<()> {
    let (y, w) = (p.y, p.w);
    match task {
        Task::Quantiles(levels) => {
            let (q, f) = (levels.len(), p.norm.factor());
            p.net
                .forward_backward(grad, ws, p.params, p.x, p.mode, (0.0, 0.0), |o, up| {
                    for (i, dr) in up.dz.chunks_exact_mut(q).enumerate() {
                        let r = p.rows[o.row0 + i] as usize;
                        let z = &o.z[i * q..(i + 1) * q];
                        up.loss[i] = pinball_row(levels, z, y[r], w[r], f, 1.0, dr);
                    }
                })?
        }
        Task::Spike => {
            let c: f32 = bce_grad_factor(p.norm, 1.0);
            p.net
                .forward_backward(grad, ws, p.params, p.x, p.mode, (0.0, 0.0), |o, up| {
                    for (i, dz) in up.dz.iter_mut().enumerate() {
                        let r = p.rows[o.row0 + i] as usize;
                        up.loss[i] = bce_row_loss(o.z[i], y[r], w[r]);
                        *dz += bce_row_grad(o.z[i], y[r], w[r], c);
                    }
                })?
        }
    }
    Ok(())
}
