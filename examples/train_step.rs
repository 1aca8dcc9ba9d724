//! The rootgrad side of the training-step benchmark (validation/bench/train_bench.py):
//! times full training steps (forward, weighted BCE, backward, Adam) of the reference
//! network, 30 inputs, hidden [64, 64, 64] ReLU, one output, PyTorch's `nn.Linear`
//! initialisation, seed 1, in f32.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release --example train_step -- BATCH \
//!     [--min-seconds 0.5] [--steps S] [--warmup 10] [--separate] [--epoch EVENTS]
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

use std::process::ExitCode;
use std::time::Instant;

use rootgrad::loss::{bce_backward, bce_forward, Normalisation};
use rootgrad::nn::rng::SplitMix64;
use rootgrad::nn::{Act, Init, Mode, Network, NetworkSpec, Upstream, Workspace};
use rootgrad::optim::{AdamConfig, Optimizer, OptimizerConfig};

const INPUTS: usize = 30;

struct Args {
    batch: usize,
    min_seconds: f64,
    steps: Option<usize>,
    warmup: usize,
    separate: bool,
    epoch: Option<usize>,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        batch: 0,
        min_seconds: 0.5,
        steps: None,
        warmup: 10,
        separate: false,
        epoch: None,
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
            "--separate" => a.separate = true,
            s if !s.starts_with("--") && a.batch == 0 => {
                a.batch = s.parse().map_err(|e| format!("BATCH `{s}`: {e}"))?
            }
            s => return Err(format!("unknown argument `{s}`")),
        }
    }
    if a.batch == 0 {
        return Err(
            "usage: train_step BATCH [--min-seconds S] [--steps N] [--warmup N] \
                    [--separate] [--epoch EVENTS]"
                .into(),
        );
    }
    Ok(a)
}

/// The synthetic set: (x, y, w), `n` rows.
fn data(n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut r = SplitMix64::new(&[0xBE4C, 1]);
    let v: Vec<f64> = (0..INPUTS).map(|_| r.normal() / 3.0).collect();
    let mut x = Vec::with_capacity(n * INPUTS);
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
        domain_head: None,
        mass_head: None,
    })
    .map_err(|e| e.to_string())?;
    let mut params = net.new_params::<f32>(Init::Torch, 1);
    let adam = OptimizerConfig::Adam(AdamConfig::default())
        .validate()
        .map_err(|e| e.to_string())?;
    let lr = adam.lr();
    let mut opt = Optimizer::<f32>::new(&adam, net.num_params());
    let n_set = match a.epoch {
        Some(e) => e,
        None => (4 * b).max(65536).div_ceil(b) * b,
    };
    let (x, y, w) = data(n_set);
    let norm = Normalisation::of_weights("training set", &w).map_err(|e| e.to_string())?;
    let bn = norm.batch("training set", b).map_err(|e| e.to_string())?;
    let mut ws = if a.separate {
        Workspace::new(&net, b)
    } else {
        Workspace::for_fused(&net, b)
    };
    let mut grad = vec![0.0f32; net.num_params()];
    let mut dz = vec![0.0f32; b];
    let mode = Mode::Train(rootgrad::nn::DropoutKey { seed: 1, step: 0 });
    let batches = n_set / b;
    // one step on rows [k b, (k + 1) b) of (xs, ys, ws)
    let mut step = |xb: &[f32], yb: &[f32], wb: &[f32]| -> Result<f64, String> {
        grad.fill(0.0);
        let loss = if a.separate {
            net.forward(&mut ws, &params, xb, mode)
                .map_err(|e| e.to_string())?;
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
                .map_err(|e| e.to_string())?;
            loss
        } else {
            net.train_step_bce(&mut grad, &mut ws, &params, xb, yb, wb, &bn, mode)
                .map_err(|e| e.to_string())?
        };
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
    let (steps, seconds) = if a.epoch.is_some() {
        // one epoch in an order shuffled once (Fisher-Yates), rows gathered per batch
        let mut order: Vec<usize> = (0..n_set).collect();
        let mut r = SplitMix64::new(&[0x5EED, 2]);
        for i in (1..n_set).rev() {
            order.swap(i, (r.next_u64() % (i as u64 + 1)) as usize);
        }
        let (mut xb, mut yb, mut wb) = (vec![0f32; b * INPUTS], vec![0f32; b], vec![0f32; b]);
        let t = Instant::now();
        for k in 0..batches {
            for (j, &i) in order[k * b..(k + 1) * b].iter().enumerate() {
                xb[j * INPUTS..(j + 1) * INPUTS].copy_from_slice(&x[i * INPUTS..(i + 1) * INPUTS]);
                yb[j] = y[i];
                wb[j] = w[i];
            }
            loss = step(&xb, &yb, &wb)?;
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
    println!(
        "{{\"batch\": {b}, \"steps\": {steps}, \"seconds_per_step\": {per:.9}, \
         \"events_per_second\": {:.1}, \"final_loss\": {loss:.9}, \"mode\": \"{}\"}}",
        b as f64 / per,
        if a.separate { "separate" } else { "fused" }
    );
    Ok(())
}
