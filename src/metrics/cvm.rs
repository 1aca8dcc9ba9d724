//! Cramer-von Mises flatness of a classifier's output against a mass: the check of the
//! LHCb "Flavours of Physics" challenge (unweighted), computed as the organisers did
//! (the steps are written out in ../shared/flavours/README.md).
//!
//! With N events:
//!
//! 1. order the events by mass, ascending; equal masses keep input order (a stable sort);
//! 2. replace each prediction by its rank r among all N predictions, 0..N-1; equal
//!    predictions are ranked in mass order (step 1's order), so the ranks are unique;
//! 3. windows W of n = `n_neighbours` consecutive events in mass order, starting at
//!    0, `step`, 2 `step`, ... while the window fits (start + n <= N);
//! 4. for each window, with S_k = #{i in W : r_i <= k},
//!
//! ```text
//! CvM_W = (1/N) sum_{k=0}^{N-1} ((k+1)/N - S_k/n)^2
//! ```
//!
//! 5. the result is the mean of CvM_W over the windows.
//!
//! A prediction independent of mass gives about 1/(6 n) (8.3e-4 for n = 200); the
//! challenge passed a classifier below 0.002.
//!
//! Arithmetic: (k+1)/N - S_k/n = ((k+1) n - S_k N) / (N n), an integer over N n, and S_k
//! is constant between consecutive ranks of the window, so each window's sum is an exact
//! integer sum of squares (closed form per constant stretch, in u128), and
//!
//! ```text
//! CvM = [sum_W sum_k ((k+1) n - S_k N)^2] / (#windows N^3 n^2),
//! ```
//!
//! one division of two integers, each converted to f64 once: within 1.5 ulp of the exact
//! value, in O(N log N + #windows n log n) time. The reference in
//! validation/metrics_golden.py evaluates the steps literally in floating point and
//! exactly with Python integers; the test compares with the exact one.
//!
//! A mass of `-0.0` is read as `+0.0` (they compare equal), and so is a prediction.

use super::{check_finite, check_len, Real};
use crate::{Error, Result};

/// The window of the CvM flatness test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CvmOptions {
    /// Events per window, n (the challenge: 200).
    pub n_neighbours: usize,
    /// Events between the starts of consecutive windows (the challenge: 50).
    pub step: usize,
}

impl Default for CvmOptions {
    fn default() -> Self {
        CvmOptions {
            n_neighbours: 200,
            step: 50,
        }
    }
}

/// The CvM flatness of `predictions` against `mass` (module doc), one entry per event.
///
/// Errors (`Error::Usage`): slices of different lengths; a NaN or infinite prediction or
/// mass (naming its index); `n_neighbours` or `step` of 0; fewer events than one window;
/// sizes whose exact sums would overflow u128 (2 windows N^3 n^2 >= 2^128).
pub fn cvm_flatness<P: Real, M: Real>(
    predictions: &[P],
    mass: &[M],
    options: &CvmOptions,
) -> Result<f64> {
    const METRIC: &str = "cvm_flatness";
    check_len(METRIC, "mass", mass.len(), "predictions", predictions.len())?;
    check_finite(METRIC, "predictions", predictions)?;
    check_finite(METRIC, "mass", mass)?;
    let CvmOptions { n_neighbours, step } = *options;
    if n_neighbours == 0 || step == 0 {
        return Err(Error::Usage(format!(
            "{METRIC}: n_neighbours is {n_neighbours} and step is {step}; both must be at \
             least 1 (the challenge used 200 and 50)"
        )));
    }
    let n_events = predictions.len();
    if n_events < n_neighbours {
        return Err(Error::Usage(format!(
            "{METRIC}: {n_events} events are fewer than one window of n_neighbours = \
             {n_neighbours}; give more events or a smaller window"
        )));
    }

    // 1. mass order (sort_by is stable: equal masses keep input order)
    let mut by_mass: Vec<usize> = (0..n_events).collect();
    let m = |i: usize| mass[i].to_f64() + 0.0;
    by_mass.sort_by(|&a, &b| m(a).total_cmp(&m(b)));
    // 2. ranks of the predictions, ties in mass order: a stable sort of the positions
    let p = |pos: usize| predictions[by_mass[pos]].to_f64() + 0.0;
    let mut by_prediction: Vec<usize> = (0..n_events).collect();
    by_prediction.sort_by(|&a, &b| p(a).total_cmp(&p(b)));
    let mut rank = vec![0usize; n_events]; // rank[position in mass order]
    for (r, &pos) in by_prediction.iter().enumerate() {
        rank[pos] = r;
    }

    // 3.-5. windows; numerator of the mean as an exact integer. Each window's sum is at
    // most N (N n)^2 (and each partial sum in `squares` at most twice that), so the sums
    // fit in u128 whenever 2 windows N^3 n^2 does (N up to about 2.5e8 for n = 200,
    // step = 50).
    let (big_n, n) = (n_events as u128, n_neighbours as u128);
    let n_windows = ((n_events - n_neighbours) / step + 1) as u128;
    let fits = [big_n, big_n, big_n, n, n, 2]
        .iter()
        .try_fold(n_windows, |acc, &f| acc.checked_mul(f));
    if fits.is_none() {
        return Err(Error::Usage(format!(
            "{METRIC}: {n_events} events with windows of {n_neighbours} every {step} are \
             too many for the exact sums; use a larger step or fewer events"
        )));
    }
    let mut total: u128 = 0;
    let mut windows: u128 = 0;
    let mut ranks = Vec::with_capacity(n_neighbours);
    let mut start = 0;
    while start + n_neighbours <= n_events {
        ranks.clear();
        ranks.extend_from_slice(&rank[start..start + n_neighbours]);
        ranks.sort_unstable();
        // S_k = s for k in [ranks[s-1], ranks[s]) (ranks[-1] = 0, ranks[n] = N)
        let mut from = 0u128;
        for s in 0..=n_neighbours {
            let to = ranks.get(s).map_or(big_n, |&r| r as u128);
            total += squares(from, to, n, s as u128 * big_n);
            from = to;
        }
        windows += 1;
        start += step;
    }
    debug_assert_eq!(windows, n_windows);
    let denominator = windows * big_n * big_n * big_n * n * n;
    Ok(total as f64 / denominator as f64)
}

/// sum_{k=from}^{to-1} ((k+1) n - c)^2, exactly: with m = k + 1 running over
/// [from + 1, to], the terms are (m n - c)^2 = m^2 n^2 - 2 m n c + c^2.
fn squares(from: u128, to: u128, n: u128, c: u128) -> u128 {
    if to <= from {
        return 0;
    }
    // sums of m and m^2 over 1..=x
    let s1 = |x: u128| x * (x + 1) / 2;
    let s2 = |x: u128| x * (x + 1) * (2 * x + 1) / 6;
    let count = to - from;
    let sum_m = s1(to) - s1(from);
    let sum_m2 = s2(to) - s2(from);
    // every partial term is non-negative except -2 n c sum_m; the total is a sum of
    // squares, so adding first and subtracting last stays in range
    sum_m2 * n * n + count * c * c - 2 * n * c * sum_m
}
