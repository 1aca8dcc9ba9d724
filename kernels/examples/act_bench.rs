//! Micro benchmark of the fused element-wise kernels: fast vs naive bias + activation
//! forward and activation backward, on a (4096, 64) f32 block (one hidden layer of the
//! reference network at batch 4096), median of 21 runs, in ns per element. Also times
//! `add_scaled` and `sum_rows_into` against their naive twins.
//!
//! Run: `cargo run --release -p rootgrad-kernels --example act_bench`. Not a test: it
//! asserts nothing about time, only that fast and naive agree (bit for bit, or within
//! 1e-5 for the f32 exp-based activations, which use the fast `exp_f32`).

use rootgrad_kernels::act::{
    act_backward, act_backward_naive, add_scaled, add_scaled_naive, bias_act_forward,
    bias_act_forward_naive, sum_rows_into, sum_rows_into_naive, Act,
};
use std::hint::black_box;
use std::time::Instant;

const ROWS: usize = 4096;
const COLS: usize = 64;
const RUNS: usize = 21;

/// Values in [-3, 3) from a fixed linear congruential sequence.
fn fill(v: &mut [f32], seed: u64) {
    let mut s = seed;
    for x in v.iter_mut() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *x = ((s >> 40) as f32 / (1u64 << 24) as f32) * 6.0 - 3.0;
    }
}

/// Median wall time of `RUNS` calls of `f`, in ns per element of the block.
fn median_ns(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_nanos() as f64
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[RUNS / 2] / (ROWS * COLS) as f64
}

fn main() {
    let n = ROWS * COLS;
    let mut x0 = vec![0f32; n];
    let mut dout = vec![0f32; n];
    let mut bias = vec![0f32; COLS];
    fill(&mut x0, 1);
    fill(&mut dout, 2);
    fill(&mut bias, 3);
    let acts = [
        ("identity", Act::Identity),
        ("relu", Act::Relu),
        ("leaky_relu(0.01)", Act::LeakyRelu(0.01)),
        ("elu(1.0)", Act::Elu(1.0)),
        ("selu", Act::Selu),
        ("tanh", Act::Tanh),
        ("sigmoid", Act::Sigmoid),
        ("silu", Act::Silu),
    ];
    println!("(rows, cols) = ({ROWS}, {COLS}) f32, median of {RUNS} runs, ns/element");
    println!(
        "{:<18} {:>9} {:>9} {:>7} {:>9} {:>9} {:>7} {:>9} {:>9} {:>7}",
        "activation",
        "fwd fast",
        "fwd naive",
        "ratio",
        "bwd fast",
        "bwd naive",
        "ratio",
        "f+b fast",
        "f+b naive",
        "ratio"
    );
    for (name, act) in acts {
        let mut pre = x0.clone();
        let mut out = vec![0f32; n];
        let mut dpre = vec![0f32; n];
        let mut dbias = vec![0f32; COLS];
        // The forward adds the bias into `pre`, so each run restarts from x0 (the copy
        // is timed separately and subtracted).
        let copy = median_ns(|| pre.copy_from_slice(black_box(&x0)));
        let ff = median_ns(|| {
            pre.copy_from_slice(&x0);
            bias_act_forward(black_box(&mut pre), &mut out, &bias, COLS, act);
        }) - copy;
        let fnv = median_ns(|| {
            pre.copy_from_slice(&x0);
            bias_act_forward_naive(black_box(&mut pre), &mut out, &bias, COLS, act);
        }) - copy;
        let bf = median_ns(|| {
            act_backward(
                black_box(&mut dpre),
                &mut dbias,
                &dout,
                &pre,
                &out,
                COLS,
                act,
            )
        });
        let bn = median_ns(|| {
            act_backward_naive(
                black_box(&mut dpre),
                &mut dbias,
                &dout,
                &pre,
                &out,
                COLS,
                act,
            )
        });
        println!(
            "{:<18} {:>9.3} {:>9.3} {:>6.1}x {:>9.3} {:>9.3} {:>6.1}x {:>9.3} {:>9.3} {:>6.1}x",
            name,
            ff,
            fnv,
            fnv / ff,
            bf,
            bn,
            bn / bf,
            ff + bf,
            fnv + bn,
            (fnv + bn) / (ff + bf)
        );
        // Agreement, once, from the same inputs: bit for bit, except f32 elu, selu,
        // sigmoid, silu (fast exp_f32), whose largest difference is printed.
        let (mut p1, mut p2) = (x0.clone(), x0.clone());
        let (mut o1, mut o2) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        bias_act_forward(&mut p1, &mut o1, &bias, COLS, act);
        bias_act_forward_naive(&mut p2, &mut o2, &bias, COLS, act);
        let (mut d1, mut d2) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        let (mut b1, mut b2) = (vec![0f32; COLS], vec![0f32; COLS]);
        act_backward(&mut d1, &mut b1, &dout, &p1, &o1, COLS, act);
        act_backward_naive(&mut d2, &mut b2, &dout, &p2, &o2, COLS, act);
        let diff = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs() as f64 / (y.abs() as f64).max(1.0))
                .fold(0.0f64, f64::max)
        };
        let w = diff(&o1, &o2).max(diff(&d1, &d2)).max(diff(&b1, &b2));
        if w > 0.0 {
            println!(
                "{:<18} fast vs naive: largest |diff| / max(1, |naive|) = {w:.1e}",
                ""
            );
        }
        assert!(w < 1e-5, "{name}: fast and naive disagree ({w:e})");
    }
    let mut dst = x0.clone();
    let a = median_ns(|| add_scaled(black_box(&mut dst), &dout, 1e-3));
    let an = median_ns(|| add_scaled_naive(black_box(&mut dst), &dout, 1e-3));
    let mut acc = vec![0f32; COLS];
    let s = median_ns(|| sum_rows_into(black_box(&mut acc), &dout, COLS));
    let sn = median_ns(|| sum_rows_into_naive(black_box(&mut acc), &dout, COLS));
    println!(
        "{:<18} {:>9.3} {:>9.3} {:>6.1}x",
        "add_scaled",
        a,
        an,
        an / a
    );
    println!(
        "{:<18} {:>9.3} {:>9.3} {:>6.1}x",
        "sum_rows_into",
        s,
        sn,
        sn / s
    );
}
