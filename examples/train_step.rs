//! The rootgrad side of the training-step benchmark (validation/bench/train_bench.py):
//! times full training steps (forward, weighted BCE, backward, Adam) of the reference
//! network, 30 inputs, hidden [64, 64, 64] ReLU, one output, PyTorch's `nn.Linear`
//! initialisation, seed 1, in f32.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release --example train_step -- BATCH \
//!     [--min-seconds 0.5] [--steps S] [--warmup 10] [--separate] [--epoch EVENTS]
//!     [--hist-epoch EVENTS | --rev-epoch EVENTS | --both-epoch EVENTS] [--lambda-h 10]
//!     [--bins 10] [--serial-gather]
//! ```
//!
//! The data: a fixed synthetic standardised set of max(4 BATCH, 65536) events (rounded
//! up to whole batches): inputs N(0, 1), label 1 where a fixed linear score plus noise is
//! positive, weights uniform in [0.5, 1.5] with one event in ten negative (-0.3 times
//! that), the BCE normalised by the whole set's N and W. Steps take consecutive batches,
//! wrapping around. After `--warmup` steps it times `--steps` steps, or (default) as
//! many as fill `--min-seconds`, and prints one JSON line
//! `{"batch", "steps", "seconds_per_step", "events_per_second", "final_loss", "mode"}`.
//!
//! `--separate` runs forward, BCE and backward as three passes over the whole batch
//! (`Network::forward`, `bce_backward`, `Network::backward`) instead of the fused
//! chunk-by-chunk pass (`Network::train_step_bce`), for before/after comparisons.
//! `--epoch EVENTS` instead times one epoch over a set of EVENTS events in an order
//! shuffled once (rows gathered into the batch buffer each step, as a data loader would).
//!
//! `--rev-epoch EVENTS` times the same epoch with gradient reversal instead (`[adaptation]
//! method = "reversal"`): the network gets the trainer's default domain head ([32], the
//! shared activation, on the last hidden layer), and each step's domain batch (drawn as
//! below) goes through forward, the domain head's weighted BCE L_D (`domain_forward`,
//! `domain_backward`) and backward, its gradient reaching the shared layers through the
//! reversal layer with lambda_G = 1; the reported loss is L_C + L_D. `--both-epoch EVENTS`
//! runs the histogram loss and the reversal together (`method = "both"`).
//!
//! `--hist-epoch EVENTS` times the same epoch with the histogram loss on, as
//! `rootgrad train` runs it with `[adaptation] method = "histogram"` (src/train/fit.rs):
//! each step the classification batch's fused BCE pass, then a domain batch of BATCH
//! control-region data events followed by BATCH simulated ones (drawn in an order
//! shuffled once per domain set, cycling; rows gathered each step), its forward, the
//! histogram loss L_H (`histogram_forward`, K = `--bins` triangular bins on
//! s = sigmoid(z), each domain normalised by its set's N / (|B| W)) and its gradient
//! scaled by lambda_H = `--lambda-h` (`histogram_backward`), its backward into the same
//! gradient buffer, then Adam. The reported loss is L_C + lambda_H L_H. The domain sets:
//! 2^19 events each; data inputs N(0, 1), simulation inputs 0.1 + 1.1 N(0, 1), weights
//! as in the classification set. Defaults are the trainer's (`lambda = 10`, `bins = 10`).
//!
//! The rows of a shuffled batch are gathered in parallel (`rootgrad::nn::gather`);
//! `--serial-gather` uses the plain one-thread loop instead, for before/after runs.

use rayon::prelude::*;
use std::process::ExitCode;
use std::time::Instant;

use rootgrad::loss::{
    bce_backward, bce_forward, domain_backward, domain_forward, histogram_backward,
    histogram_forward, DomainNorm, HistogramConfig, Histograms, Normalisation,
};
use rootgrad::nn::gather::{gather_batch, gather_into};
use rootgrad::nn::{Act, HeadSpec, Init, Mode, Network, NetworkSpec, Upstream, Workspace};
use rootgrad::optim::{AdamConfig, Optimizer, OptimizerConfig};
use rootgrad::random::SplitMix64;

const INPUTS: usize = 30;

struct Args {
    batch: usize,
    min_seconds: f64,
    steps: Option<usize>,
    warmup: usize,
    separate: bool,
    epoch: Option<usize>,
    hist_epoch: Option<usize>,
    /// The domain terms of the domain batch: (histogram loss, gradient reversal).
    terms: (bool, bool),
    lambda_h: f64,
    bins: usize,
    serial_gather: bool,
}

/// Events in each control-region set (data, simulation) of `--hist-epoch`.
const DOMAIN_EVENTS: usize = 1 << 19;

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        batch: 0,
        min_seconds: 0.5,
        steps: None,
        warmup: 10,
        separate: false,
        epoch: None,
        hist_epoch: None,
        terms: (false, false),
        lambda_h: 10.0,
        bins: HistogramConfig::DEFAULT_BINS,
        serial_gather: false,
    };
    let num = |v: Option<String>, k: &str| -> Result<f64, String> {
        v.ok_or(format!("{k} needs a value"))?
            .parse::<f64>()
            .map_err(|e| format!("{k}: {e}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--min-seconds" => a.min_seconds = num(it.next(), &arg)?,
            "--steps" => a.steps = Some(num(it.next(), &arg)? as usize),
            "--warmup" => a.warmup = num(it.next(), &arg)? as usize,
            "--epoch" => a.epoch = Some(num(it.next(), &arg)? as usize),
            "--hist-epoch" | "--rev-epoch" | "--both-epoch" => {
                if a.hist_epoch.is_some() {
                    return Err("give one of --hist-epoch, --rev-epoch, --both-epoch".into());
                }
                a.hist_epoch = Some(num(it.next(), &arg)? as usize);
                a.terms = (arg != "--rev-epoch", arg != "--hist-epoch");
            }
            "--lambda-h" => a.lambda_h = num(it.next(), &arg)?,
            "--bins" => a.bins = num(it.next(), &arg)? as usize,
            "--separate" => a.separate = true,
            "--serial-gather" => a.serial_gather = true,
            s if !s.starts_with("--") && a.batch == 0 => {
                a.batch = s.parse().map_err(|e| format!("BATCH `{s}`: {e}"))?
            }
            s => return Err(format!("unknown argument `{s}`")),
        }
    }
    if a.batch == 0 {
        return Err(
            "usage: train_step BATCH [--min-seconds S] [--steps N] [--warmup N] \
                    [--separate] [--epoch EVENTS] [--hist-epoch EVENTS | --rev-epoch EVENTS \
                    | --both-epoch EVENTS] [--lambda-h L] \
                    [--bins K] [--serial-gather]"
                .into(),
        );
    }
    if let Some(n) = a.epoch.or(a.hist_epoch).filter(|&n| n < a.batch) {
        return Err(format!(
            "an epoch of {n} events holds no batch of {}; give at least BATCH events",
            a.batch
        ));
    }
    if a.epoch.is_some() && a.hist_epoch.is_some() {
        return Err("give --epoch or --hist-epoch, not both".into());
    }
    Ok(a)
}

/// The synthetic set: (x, y, w), `n` rows.
fn data(n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut r = SplitMix64::new(&[0xBE4C, 1]);
    let v: Vec<f64> = (0..INPUTS).map(|_| r.normal() / 3.0).collect();
    let mut x = Vec::with_capacity(n * INPUTS);
    // as the trainer's loader does for its feature matrix
    rootgrad_kernels::mem::advise_huge_pages(&x);
    let (mut y, mut w) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let row: Vec<f64> = (0..INPUTS).map(|_| r.normal()).collect();
        let score: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() + 0.5 * r.normal();
        x.extend(row.iter().map(|&a| a as f32));
        y.push(if score > 0.0 { 1.0 } else { 0.0 });
        let u = r.uniform_in(0.5, 1.5);
        w.push(if r.uniform() < 0.1 { -0.3 * u } else { u } as f32);
    }
    (x, y, w)
}

/// A control-region set of `n` events: inputs `shift + scale N(0, 1)`, weights as in
/// [`data`] (the labels are unused).
fn domain_set(n: usize, seed: u64, shift: f64, scale: f64) -> (Vec<f32>, Vec<f32>) {
    let mut r = SplitMix64::new(&[0xD0, seed]);
    let mut x = Vec::with_capacity(n * INPUTS);
    let mut w = Vec::with_capacity(n);
    for _ in 0..n {
        x.extend((0..INPUTS).map(|_| (shift + scale * r.normal()) as f32));
        let u = r.uniform_in(0.5, 1.5);
        w.push(if r.uniform() < 0.1 { -0.3 * u } else { u } as f32);
    }
    (x, w)
}

/// 0..n in an order shuffled once (Fisher-Yates).
fn shuffled(n: usize, seed: u64) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut r = SplitMix64::new(&[0x5EED, seed]);
    for i in (1..n).rev() {
        order.swap(i, (r.next_u64() % (i as u64 + 1)) as usize);
    }
    order
}

/// The batch buffers a data loader fills.
#[derive(Default)]
struct Rows {
    x: Vec<f32>,
    y: Vec<f32>,
    w: Vec<f32>,
}

impl Rows {
    /// Rows `idx` of the set (x, y, w), replacing the buffers' contents.
    fn gather(&mut self, set: (&[f32], &[f32], &[f32]), idx: &[u32], serial: bool) {
        let (x, y, w) = set;
        if serial {
            // the plain loop (before the parallel gather)
            self.x.clear();
            self.y.clear();
            self.w.clear();
            for &i in idx {
                let i = i as usize;
                self.x.extend_from_slice(&x[i * INPUTS..(i + 1) * INPUTS]);
                self.y.push(y[i]);
                self.w.push(w[i]);
            }
        } else {
            gather_batch(x, y, w, INPUTS, idx, &mut self.x, &mut self.y, &mut self.w);
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train_step: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let a = parse()?;
    let b = a.batch;
    let net = Network::new(NetworkSpec {
        inputs: INPUTS,
        hidden: vec![64, 64, 64],
        activation: Act::Relu,
        dropout: 0.0,
        outputs: 1,
        // the trainer's default domain head, with gradient reversal
        domain_head: a.terms.1.then(|| HeadSpec {
            from_layer: 2,
            hidden: vec![32],
            activation: Act::Relu,
        }),
        mass_head: None,
    })
    .map_err(|e| e.to_string())?;
    let e = |e: rootgrad::Error| e.to_string();
    let mut params = net.new_params::<f32>(Init::Torch, 1);
    let adam = OptimizerConfig::Adam(AdamConfig::default())
        .validate()
        .map_err(e)?;
    let lr = adam.lr();
    let mut opt = Optimizer::<f32>::new(&adam, net.num_params());
    let shuffled_epoch = a.epoch.or(a.hist_epoch);
    let n_set = match shuffled_epoch {
        Some(e) => e,
        None => (4 * b).max(65536).div_ceil(b) * b,
    };
    let (x, y, w) = data(n_set);
    let norm = Normalisation::of_weights("training set", &w).map_err(e)?;
    let bn = norm.batch("training set", b).map_err(e)?;
    let mut ws = if a.separate {
        Workspace::new(&net, b)
    } else {
        Workspace::for_fused(&net, b)
    };
    let mut grad = vec![0.0f32; net.num_params()];
    let mut dz = vec![0.0f32; b];
    let mode = Mode::Train(rootgrad::nn::DropoutKey { seed: 1, step: 0 });
    let batches = n_set / b;
    // the histogram loss's control region: data and simulation sets, their orders,
    // the domain batch (data rows then simulation rows) and its labels
    let hist = a.hist_epoch.is_some();
    let (dom_data, dom_mc) = if hist {
        (
            domain_set(DOMAIN_EVENTS, 1, 0.0, 1.0),
            domain_set(DOMAIN_EVENTS, 2, 0.1, 1.1),
        )
    } else {
        Default::default()
    };
    let dom_norm = if hist {
        Some(DomainNorm::new(
            Normalisation::of_weights("domain data", &dom_data.1).map_err(e)?,
            Normalisation::of_weights("domain simulation", &dom_mc.1).map_err(e)?,
        ))
    } else {
        None
    };
    let dom_order = [shuffled(DOMAIN_EVENTS, 3), shuffled(DOMAIN_EVENTS, 4)];
    let dom_labels = [vec![1.0f32; DOMAIN_EVENTS], vec![0.0f32; DOMAIN_EVENTS]];
    let hist_cfg = HistogramConfig::new("--bins", a.bins).map_err(e)?;
    let mut hists = Histograms::new(&hist_cfg);
    let mut ws_d = Workspace::<f32>::new(&net, if hist { 2 * b } else { 1 });
    let mut dom = Rows::default();
    let mut dom_mc_rows = Rows::default();
    let mut ddz = vec![0.0f32; 2 * b];
    let mut ddd = vec![0.0f32; 2 * b];
    let (use_hist, use_rev) = a.terms;
    let mut dom_step = 0usize;
    // one step on the classification rows (xb, yb, wb), plus with `--hist-epoch` the
    // next domain batch; returns the loss L_C (+ lambda_H L_H)
    let mut step = |xb: &[f32], yb: &[f32], wb: &[f32]| -> Result<f64, String> {
        grad.fill(0.0);
        let mut loss = if a.separate {
            net.forward(&mut ws, &params, xb, mode).map_err(e)?;
            let loss = bce_forward(&ws.z, yb, wb, &bn);
            dz.fill(0.0);
            bce_backward(&mut dz, &ws.z, yb, wb, &bn, 1.0);
            let up = Upstream {
                dz: Some(&dz),
                ddomain: None,
                dmass: None,
                lambda_domain: 0.0,
                lambda_mass: 0.0,
            };
            net.backward(&mut grad, &mut ws, &params, xb, &up)
                .map_err(e)?;
            loss
        } else {
            net.train_step_bce(&mut grad, &mut ws, &params, xb, yb, wb, &bn, mode)
                .map_err(e)?
        };
        if let Some(dn) = &dom_norm {
            // the domain batch, as src/train/fit.rs builds it: data rows, then simulation
            let k = dom_step * b % (DOMAIN_EVENTS - DOMAIN_EVENTS % b);
            dom_step += 1;
            let sets = [&dom_data, &dom_mc];
            if a.serial_gather {
                let rows = [&mut dom, &mut dom_mc_rows];
                for ((set, r), (order, label)) in sets
                    .into_iter()
                    .zip(rows)
                    .zip(dom_order.iter().zip(&dom_labels))
                {
                    r.gather((&set.0, label, &set.1), &order[k..k + b], true);
                }
                dom.x.extend_from_slice(&dom_mc_rows.x);
                dom.y.extend_from_slice(&dom_mc_rows.y);
                dom.w.extend_from_slice(&dom_mc_rows.w);
            } else {
                // each half gathered in place: data rows [0, b), simulation [b, 2b)
                dom.x.resize(2 * b * INPUTS, 0.0);
                dom.y.resize(2 * b, 0.0);
                dom.w.resize(2 * b, 0.0);
                let halves = dom
                    .x
                    .chunks_mut(b * INPUTS)
                    .zip(dom.y.chunks_mut(b))
                    .zip(dom.w.chunks_mut(b));
                let jobs: Vec<_> = halves
                    .zip(sets)
                    .zip(dom_order.iter().zip(&dom_labels))
                    .collect();
                // both halves in one parallel region, as fit.rs's gather_domain
                jobs.into_par_iter()
                    .for_each(|((((xh, yh), wh), set), (order, label))| {
                        let idx = &order[k..k + b];
                        gather_into(&set.0, label, &set.1, INPUTS, idx, xh, yh, wh);
                    });
            }
            let db = dn.batch(&dom.y).map_err(e)?;
            net.forward(&mut ws_d, &params, &dom.x, mode).map_err(e)?;
            ddz.fill(0.0);
            if use_hist {
                let lh = histogram_forward(&mut hists, &ws_d.z, &dom.w, &dom.y, &hist_cfg, &db);
                histogram_backward(
                    &mut ddz, &ws_d.z, &dom.w, &dom.y, &hists, &hist_cfg, &db, a.lambda_h,
                );
                loss += a.lambda_h * lh;
            }
            if use_rev {
                // the domain head's L_D, reversed into the shared layers with lambda_G 1
                ddd.fill(0.0);
                loss += domain_forward(&ws_d.domain, &dom.w, &dom.y, &db);
                domain_backward(&mut ddd, &ws_d.domain, &dom.w, &dom.y, &db, 1.0);
            }
            let up = Upstream {
                dz: use_hist.then_some(&ddz[..]),
                ddomain: use_rev.then_some(&ddd[..]),
                dmass: None,
                lambda_domain: if use_rev { 1.0 } else { 0.0 },
                lambda_mass: 0.0,
            };
            net.backward(&mut grad, &mut ws_d, &params, &dom.x, &up)
                .map_err(e)?;
        }
        opt.step(&mut params, &grad, lr);
        Ok(loss)
    };
    let slice = |k: usize| {
        let k = k % batches;
        (
            &x[k * b * INPUTS..(k + 1) * b * INPUTS],
            &y[k * b..(k + 1) * b],
            &w[k * b..(k + 1) * b],
        )
    };
    for k in 0..a.warmup {
        let (xb, yb, wb) = slice(k);
        step(xb, yb, wb)?;
    }
    let mut loss = f64::NAN;
    let (steps, seconds) = if shuffled_epoch.is_some() {
        // one epoch in an order shuffled once, rows gathered per batch
        let order = shuffled(n_set, 2);
        let mut rows = Rows::default();
        let t = Instant::now();
        for k in 0..batches {
            rows.gather((&x, &y, &w), &order[k * b..(k + 1) * b], a.serial_gather);
            loss = step(&rows.x, &rows.y, &rows.w)?;
        }
        (batches, t.elapsed().as_secs_f64())
    } else {
        let t = Instant::now();
        let mut k = 0;
        loop {
            let (xb, yb, wb) = slice(a.warmup + k);
            loss = step(xb, yb, wb)?;
            k += 1;
            let done = match a.steps {
                Some(s) => k >= s,
                None => t.elapsed().as_secs_f64() >= a.min_seconds,
            };
            if done {
                break;
            }
        }
        (k, t.elapsed().as_secs_f64())
    };
    let per = seconds / steps as f64;
    let mode = [
        if a.separate { "separate" } else { "fused" },
        if hist && use_hist { "+histogram" } else { "" },
        if hist && use_rev { "+reversal" } else { "" },
    ]
    .concat();
    println!(
        "{{\"batch\": {b}, \"steps\": {steps}, \"seconds_per_step\": {per:.9}, \
         \"events_per_second\": {:.1}, \"final_loss\": {loss:.9}, \"mode\": \"{mode}\"}}",
        b as f64 / per,
    );
    Ok(())
}
