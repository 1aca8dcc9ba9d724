//! The quantile (pinball) loss: checked levels and their messages, the non-crossing map,
//! the one-row form against the batch forms bit for bit, finite differences in f64, the
//! backward adding into what is there, the f32 path, and the minimiser of the loss over
//! constant quantiles against the weighted quantile (WeightedCdf and a closed form with
//! negative weights). The PyTorch goldens are in validation/loss.rs
//! (validation/torch_quantile.py).

#![allow(clippy::needless_range_loop)]

use super::tests_fd::{check_fd, Rng};
use super::*;
use crate::random::SplitMix64;
use crate::reweight::cdf::WeightedCdf;

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
