//! The quantile (pinball) loss: checked levels and their messages, the non-crossing map,
//! the one-row form against the batch forms bit for bit, finite differences in f64, the
//! backward adding into what is there, the f32 path, and the minimiser of the loss over
//! constant quantiles against the closed-form quantile of a signed-weight sample. The
//! PyTorch goldens and the minimiser against `reweight::cdf::WeightedCdf` (a higher
//! layer, so not importable here) are in validation/loss.rs.

#![allow(clippy::needless_range_loop)]

use super::tests_fd::{check_fd, Rng};
use super::*;

fn usage(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn levels_are_checked_and_name_the_level() {
    assert!(usage(QuantileLevels::new(vec![0.5])).contains("at least 2"));
    assert!(usage(QuantileLevels::new(vec![0.1, 1.0])).contains("quantile level 2 is 1"));
    assert!(usage(QuantileLevels::new(vec![0.0, 0.5])).contains("quantile level 1 is 0"));
    assert!(usage(QuantileLevels::new(vec![0.2, f64::NAN])).contains("level 2 is NaN"));
    let e = usage(QuantileLevels::new(vec![0.2, 0.6, 0.6]));
    assert!(
        e.contains("level 3 (0.6) is not above level 2 (0.6)"),
        "{e}"
    );
    assert!(usage(QuantileLevels::evenly(1)).contains("at least 2"));
    let l = QuantileLevels::evenly(4).unwrap();
    assert_eq!(l.taus(), &[0.125, 0.375, 0.625, 0.875]);
    assert_eq!((l.len(), l.is_empty()), (4, false));
    let l = QuantileLevels::evenly(21).unwrap();
    assert_eq!(l.taus()[10], 0.5);
    assert_eq!(l.taus()[0], 0.5 / 21.0);
}

#[test]
fn monotone_quantiles_follow_the_definition() {
    let r = [-1.5f64, 0.3, -40.0, 2.0];
    let mut q = [0.0f64; 4];
    monotone_quantiles(&r, &mut q);
    assert_eq!(q[0], -1.5);
    assert_eq!(q[1], -1.5 + (1.0 + 0.3f64.exp()).ln());
    // softplus(-40) = 4e-18 is below half an ulp of q_2: q_3 == q_2 (non-decreasing)
    assert_eq!(q[2], q[1] + (-40.0f64).exp().ln_1p());
    assert_eq!(q[2], q[1]);
    assert!((q[3] - q[2] - (1.0 + 2.0f64.exp()).ln()).abs() < 1e-15);
    // huge raw outputs neither overflow nor cross in f32
    let r = [0.0f32, 1000.0, -1000.0, 3.0];
    let mut q = [0.0f32; 4];
    monotone_quantiles(&r, &mut q);
    assert!(q.windows(2).all(|p| p[1] >= p[0]) && q.iter().all(|v| v.is_finite()));
    assert_eq!(q[1], 1000.0);
}

/// Rows of raw outputs in (-3, 1.5), targets in (-4, 8) none within 1e-3 of its row's
/// quantiles (the pinball kinks), signed weights (a quarter negative).
fn quantile_batch(rows: usize, nq: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut g = Rng::new(seed);
    let r: Vec<f64> = (0..rows * nq).map(|_| g.range(-3.0, 1.5)).collect();
    let mut q = vec![0.0; nq];
    let y: Vec<f64> = (0..rows)
        .map(|i| {
            monotone_quantiles(&r[i * nq..(i + 1) * nq], &mut q);
            loop {
                let y = g.range(-4.0, 8.0);
                if q.iter().all(|&qj| (y - qj).abs() > 1e-3) {
                    break y;
                }
            }
        })
        .collect();
    let w: Vec<f64> = (0..rows)
        .map(|_| {
            let w = g.range(0.2, 1.5);
            if g.uniform() < 0.25 {
                -0.5 * w
            } else {
                w
            }
        })
        .collect();
    (r, y, w)
}

/// pinball_row over the rows, summed in row order and multiplied by the factor, gives
/// pinball_forward's bits; its gradient rows give pinball_backward's bits (f32 and f64,
/// Q = 3 and 21, and Q = 300 past the stack bit-set).
#[test]
fn pinball_row_matches_the_batch_forms_bit_for_bit() {
    fn check<T: Real>(nq: usize, rows: usize) {
        let (r, y, w) = quantile_batch(rows, nq, nq as u64);
        let cast = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
        let (r, y, w) = (cast(&r), cast(&y), cast(&w));
        let levels = QuantileLevels::evenly(nq).unwrap();
        let norm = Normalisation::new("t", 7000, 3120.5)
            .unwrap()
            .batch("b", rows)
            .unwrap();
        let (factor, scale) = (norm.factor(), 0.7);
        let mut sum = 0.0f64;
        let mut dr_rows = vec![T::from_f64(0.25); rows * nq];
        for i in 0..rows {
            let s = i * nq..(i + 1) * nq;
            sum += pinball_row(
                &levels,
                &r[s.clone()],
                y[i],
                w[i],
                factor,
                scale,
                &mut dr_rows[s],
            );
        }
        let value = pinball_forward(&levels, &r, &y, &w, &norm);
        assert_eq!((factor * sum).to_bits(), value.to_bits(), "Q {nq} value");
        let mut dr = vec![T::from_f64(0.25); rows * nq];
        pinball_backward(&levels, &r, &y, &w, &norm, scale, &mut dr);
        for k in 0..dr.len() {
            assert_eq!(
                dr[k].to_f64().to_bits(),
                dr_rows[k].to_f64().to_bits(),
                "Q {nq} {k}"
            );
        }
    }
    for nq in [3, 21, 300] {
        check::<f64>(nq, 17);
        check::<f32>(nq, 17);
    }
}

#[test]
fn fd_pinball() {
    for nq in [2, 3, 21] {
        let rows = 30;
        let (r, y, w) = quantile_batch(rows, nq, 40 + nq as u64);
        let levels = QuantileLevels::evenly(nq).unwrap();
        let norm = Normalisation::new("t", 4000, 2500.5)
            .unwrap()
            .batch("b", rows)
            .unwrap();
        let mut dr = vec![0.0; r.len()];
        pinball_backward(&levels, &r, &y, &w, &norm, 1.0, &mut dr);
        let name = format!("pinball (Q = {nq}) dL_Q/dr");
        check_fd(&name, &r, &dr, 1e-5, 1e-7, |r| {
            pinball_forward(&levels, r, &y, &w, &norm)
        });
    }
}

/// The raw outputs of one row whose quantiles are `q` (strictly increasing): the inverse
/// of the non-crossing map, r_1 = q_1, r_j = ln(expm1(q_j - q_{j-1})).
fn raw_of(q: &[f64]) -> Vec<f64> {
    let mut r = vec![q[0]];
    r.extend(q.windows(2).map(|p| (p[1] - p[0]).exp_m1().ln()));
    r
}

/// L_Q with every row's quantiles equal to `q`.
fn loss_at(levels: &QuantileLevels, q: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let row = raw_of(q);
    let r: Vec<f64> = (0..y.len()).flat_map(|_| row.iter().copied()).collect();
    let norm = Normalisation::of_weights("t", w)
        .unwrap()
        .batch("b", y.len())
        .unwrap();
    pinball_forward(levels, &r, y, w, &norm)
}

/// Signed weights: 20,000 values spread evenly over (0, 2) with weight 1 and 10,000
/// over (1, 2) with weight -0.5 (stratified: the (i + 1/2)/n points, so the sample is
/// the density up to O(1/n)). The signed-weighted density is 1/3 on (0, 1) and 1/6 on
/// (1, 2) (normalised: F(x) = 2x/3 below 1, 2/3 + (x - 1)/3 above), whose quantiles are
/// 3 tau / 2 for tau <= 2/3 and 3 tau - 1 above: 0.375 at tau = 0.25 and 1.4 at 0.8.
/// The minimiser of L_Q over a grid of step 0.002 (each level scanned with the other
/// held at its closed form; the loss is a sum over levels) lies within two steps.
#[test]
fn minimiser_with_negative_weights_is_the_signed_quantile() {
    let (n1, n2) = (20_000, 10_000);
    let mut y: Vec<f64> = (0..n1)
        .map(|i| 2.0 * (i as f64 + 0.5) / n1 as f64)
        .collect();
    y.extend((0..n2).map(|i| 1.0 + (i as f64 + 0.5) / n2 as f64));
    let w: Vec<f64> = (0..n1 + n2)
        .map(|i| if i < n1 { 1.0 } else { -0.5 })
        .collect();
    let levels = QuantileLevels::new(vec![0.25, 0.8]).unwrap();
    let closed = [0.375, 1.4];
    let ranges = [(0.0f64, 1.2f64), (0.6, 2.0)];
    for j in 0..2 {
        let (lo, hi) = ranges[j];
        let steps = ((hi - lo) / 0.002).round() as usize;
        let mut best = (f64::INFINITY, f64::NAN);
        for s in 0..=steps {
            let mut q = closed.to_vec();
            q[j] = lo + 0.002 * s as f64;
            let l = loss_at(&levels, &q, &y, &w);
            if l < best.0 {
                best = (l, q[j]);
            }
        }
        assert!(
            (best.1 - closed[j]).abs() <= 0.004,
            "level {j}: minimiser {} vs closed form {}",
            best.1,
            closed[j]
        );
    }
}

/// pinball_backward adds scale * gradient into what is there; the f32 path agrees with
/// the f64 one to f32 precision.
#[test]
fn pinball_backward_adds_and_f32_matches_f64() {
    let (rows, nq) = (64, 21);
    let (r, y, w) = quantile_batch(rows, nq, 77);
    let levels = QuantileLevels::evenly(nq).unwrap();
    let norm = Normalisation::new("t", 5000, 3120.5)
        .unwrap()
        .batch("b", rows)
        .unwrap();
    let mut g1 = vec![0.0; r.len()];
    pinball_backward(&levels, &r, &y, &w, &norm, 1.0, &mut g1);
    let mut g = vec![1.0; r.len()];
    pinball_backward(&levels, &r, &y, &w, &norm, 0.25, &mut g);
    for k in 0..r.len() {
        let want = 1.0 + 0.25 * g1[k];
        assert!((g[k] - want).abs() <= 1e-15 * want.abs().max(1.0), "{k}");
    }
    let to32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let (r32, y32, w32) = (to32(&r), to32(&y), to32(&w));
    let l64 = pinball_forward(&levels, &r, &y, &w, &norm);
    let l32 = pinball_forward(&levels, &r32, &y32, &w32, &norm);
    assert!(((l64 - l32) / l64).abs() < 1e-5, "value {l64} {l32}");
    let mut d32 = vec![0.0f32; r.len()];
    pinball_backward(&levels, &r32, &y32, &w32, &norm, 1.0, &mut d32);
    let max = g1.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for k in 0..r.len() {
        assert!((g1[k] - d32[k] as f64).abs() < 1e-5 * max, "dr {k}");
    }
}
