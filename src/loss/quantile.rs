//! Quantile regression: Q conditional quantiles per row, non-crossing by construction,
//! trained with the weighted pinball loss (chained quantile morphing, `reweight::chain`).
//!
//! ```text
//! levels        0 < tau_1 < ... < tau_Q < 1, Q >= 2
//! map           q_1 = r_1,  q_j = q_{j-1} + softplus(r_j)   (j >= 2)
//! pinball       rho_tau(u) = max(tau u, (tau - 1) u),  u = y - q
//! loss          L_Q = norm sum_{i in B} w_i (1/Q) sum_j rho_{tau_j}(y_i - q_ij),
//!               norm = N / (|B| W)                           (BatchNorm::factor)
//! gradient      g_j = dL_Q/dq_j = norm w (1/Q) (-tau_j if u_j >= 0 else 1 - tau_j)
//!               dL_Q/dr_1 = sum_j g_j,  dL_Q/dr_m = sigmoid(r_m) sum_{j >= m} g_j
//! ```
//!
//! At u = 0 the pinball loss has a kink; the code takes the right-hand branch
//! (u >= 0: dρ/dq = -tau). Signed weights enter as they are: the weighted sum estimates
//! the expected pinball loss under the signed-weighted distribution, whose minimiser is
//! that distribution's tau-quantile wherever its CDF increases (docs/maths.md, "Quantile
//! regression and chained morphing").
//!
//! The value is accumulated in f64: per row, the Q terms rho are summed in f64 in level
//! order, times w, times 1/Q; the rows in row order, times norm at the end. The
//! gradient is formed in `T`. [`pinball_row`] is the one-row form the fused pass calls;
//! [`pinball_forward`] and [`pinball_backward`] are the batch forms built from it, so
//! both give the same bits.

use super::softplus;
use super::BatchNorm;
use crate::{Error, Result};
use rootgrad_kernels::act::sigmoid;
use rootgrad_kernels::Real;

/// The quantile levels tau_1 < ... < tau_Q, all in (0, 1), Q >= 2.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileLevels {
    taus: Vec<f64>,
}

impl QuantileLevels {
    /// Checked levels: at least 2, each finite and strictly inside (0, 1), strictly
    /// increasing. The error names the offending level (1-based) and its value.
    pub fn new(taus: Vec<f64>) -> Result<Self> {
        if taus.len() < 2 {
            return Err(Error::Usage(format!(
                "{} quantile level(s) given; quantile regression needs at least 2 levels \
                 (e.g. 21 evenly spaced ones)",
                taus.len()
            )));
        }
        for (j, &t) in taus.iter().enumerate() {
            if !(t > 0.0 && t < 1.0) {
                return Err(Error::Usage(format!(
                    "quantile level {} is {t}; every level must lie strictly between 0 and 1",
                    j + 1
                )));
            }
            if j > 0 && t <= taus[j - 1] {
                return Err(Error::Usage(format!(
                    "quantile level {} ({t}) is not above level {} ({}); the levels must \
                     increase strictly",
                    j + 1,
                    j,
                    taus[j - 1]
                )));
            }
        }
        Ok(QuantileLevels { taus })
    }

    /// Q levels in the middle of Q equal-probability slices: tau_j = (j + 1/2) / Q,
    /// j = 0 .. Q-1. Q >= 2.
    pub fn evenly(q: usize) -> Result<Self> {
        if q < 2 {
            return Err(Error::Usage(format!(
                "{q} quantile level(s) asked for; quantile regression needs at least 2"
            )));
        }
        Self::new((0..q).map(|j| (j as f64 + 0.5) / q as f64).collect())
    }

    /// tau_1 .. tau_Q.
    pub fn taus(&self) -> &[f64] {
        &self.taus
    }

    /// Q.
    pub fn len(&self) -> usize {
        self.taus.len()
    }

    /// Always false (Q >= 2); present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.taus.is_empty()
    }
}

/// The non-crossing map of one row: q_1 = r_1, q_j = q_{j-1} + softplus(r_j), so
/// q is non-decreasing (strictly increasing unless softplus underflows in `T`).
pub fn monotone_quantiles<T: Real>(r_row: &[T], q_row: &mut [T]) {
    assert_eq!(
        r_row.len(),
        q_row.len(),
        "quantiles: r and q lengths differ"
    );
    let mut q = T::ZERO;
    for (j, (&r, out)) in r_row.iter().zip(q_row.iter_mut()).enumerate() {
        // q_1 = r_1; q_j = q_{j-1} + softplus(r_j)
        q = if j == 0 { r } else { q + softplus(r) };
        *out = q;
    }
}

/// rho_tau(u) = max(tau u, (tau - 1) u), and whether the right-hand branch u >= 0
/// applies (the subgradient convention at u = 0).
#[inline]
fn rho<T: Real>(tau: T, u: T) -> (T, bool) {
    if u >= T::ZERO {
        (tau * u, true)
    } else {
        ((tau - T::ONE) * u, false)
    }
}

/// sum_j rho_{tau_j}(y - q_j) of one row in f64 (level order), q_j formed cumulatively
/// in `T`; when `right` is given, bit j is set where u_j >= 0 (bits must start clear).
fn row_rho_sum<T: Real>(
    levels: &QuantileLevels,
    r_row: &[T],
    y: T,
    mut right: Option<&mut [u64]>,
) -> f64 {
    let mut q = T::ZERO;
    let mut sum = 0.0f64;
    for (j, &tau) in levels.taus.iter().enumerate() {
        // q_1 = r_1; q_j = q_{j-1} + softplus(r_j)
        q = if j == 0 {
            r_row[0]
        } else {
            q + softplus(r_row[j])
        };
        let (l, up) = rho(T::from_f64(tau), y - q);
        sum += l.to_f64();
        if let (true, Some(bits)) = (up, right.as_deref_mut()) {
            bits[j / 64] |= 1 << (j % 64);
        }
    }
    sum
}

/// Words of the per-level branch bits kept on the stack (Q <= 256 needs no allocation).
const STACK_WORDS: usize = 4;

/// One row of the fused pass. Adds `factor * scale * w * dL/dr` into `dr_row` (Q
/// values) and returns w (1/Q) sum_j rho_{tau_j}(y - q_j) in f64, which the caller sums
/// over rows and multiplies by `factor` (= [`BatchNorm::factor`]). `scale` is dL/dL_Q.
pub fn pinball_row<T: Real>(
    levels: &QuantileLevels,
    r_row: &[T],
    y: T,
    w: T,
    factor: f64,
    scale: f64,
    dr_row: &mut [T],
) -> f64 {
    let nq = levels.len();
    assert_eq!(r_row.len(), nq, "pinball: r row and levels disagree");
    assert_eq!(dr_row.len(), nq, "pinball: dr row and levels disagree");
    let mut stack = [0u64; STACK_WORDS];
    let mut heap = Vec::new();
    let right: &mut [u64] = if nq <= 64 * STACK_WORDS {
        &mut stack
    } else {
        heap.resize(nq.div_ceil(64), 0u64);
        &mut heap
    };
    let sum = row_rho_sum(levels, r_row, y, Some(right));
    let inv_q = 1.0 / nq as f64;
    // backward: c = scale * norm / Q * w; g_j = c (-tau_j | 1 - tau_j);
    // dr_m += sigmoid(r_m) S_m (m >= 2), dr_1 += S_1, S_m = sum_{j >= m} g_j
    let c = T::from_f64(scale * factor * inv_q) * w;
    let mut suffix = T::ZERO;
    for j in (0..nq).rev() {
        let tau = T::from_f64(levels.taus[j]);
        let d = if right[j / 64] >> (j % 64) & 1 == 1 {
            -tau
        } else {
            T::ONE - tau
        };
        suffix += c * d;
        dr_row[j] += if j == 0 {
            suffix
        } else {
            sigmoid(r_row[j]) * suffix
        };
    }
    w.to_f64() * sum * inv_q
}

fn check_batch<T: Real>(levels: &QuantileLevels, r: &[T], y: &[T], w: &[T], norm: &BatchNorm) {
    assert_eq!(
        y.len(),
        norm.batch_len(),
        "pinball: y and the batch norm disagree"
    );
    assert_eq!(w.len(), y.len(), "pinball: w and y lengths differ");
    assert_eq!(
        r.len(),
        y.len() * levels.len(),
        "pinball: r is not rows * Q"
    );
}

/// L_Q = norm sum_i w_i (1/Q) sum_j rho_{tau_j}(y_i - q_ij); `r` is rows * Q raw
/// outputs, row-major.
pub fn pinball_forward<T: Real>(
    levels: &QuantileLevels,
    r: &[T],
    y: &[T],
    w: &[T],
    norm: &BatchNorm,
) -> f64 {
    check_batch(levels, r, y, w, norm);
    let nq = levels.len();
    let inv_q = 1.0 / nq as f64;
    let mut sum = 0.0f64;
    for i in 0..y.len() {
        // the row's w (1/Q) sum_j rho, formed as pinball_row forms it
        let rho_sum = row_rho_sum(levels, &r[i * nq..(i + 1) * nq], y[i], None);
        sum += w[i].to_f64() * rho_sum * inv_q;
    }
    norm.factor() * sum
}

/// dr += scale * dL_Q/dr for rows * Q raw outputs (row-major).
pub fn pinball_backward<T: Real>(
    levels: &QuantileLevels,
    r: &[T],
    y: &[T],
    w: &[T],
    norm: &BatchNorm,
    scale: f64,
    dr: &mut [T],
) {
    check_batch(levels, r, y, w, norm);
    assert_eq!(dr.len(), r.len(), "pinball: dr and r lengths differ");
    let nq = levels.len();
    let factor = norm.factor();
    for i in 0..y.len() {
        let rows = i * nq..(i + 1) * nq;
        pinball_row(
            levels,
            &r[rows.clone()],
            y[i],
            w[i],
            factor,
            scale,
            &mut dr[rows],
        );
    }
}
