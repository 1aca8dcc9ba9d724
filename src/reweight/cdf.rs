//! Weighted empirical CDFs and quantiles with signed weights, and the quantile morphing
//! T(x) = Q_data(F_mc(x)) built from them.
//!
//! Construction, for values x_i with signed weights w_i (all finite):
//!
//! 1. sort by value (stable, so ties keep their input order) and merge equal values:
//!    distinct values v_1 < ... < v_m with summed weights u_j (in sorted order);
//! 2. W = sum_j u_j, which must be positive; the raw cumulative fractions are
//!    C_j = (u_1 + ... + u_j) / W (a running sum, in order);
//! 3. **negative-weight rule**: with negative weights C can decrease, and can leave
//!    [0, 1]. F is the isotonic fit of C: the non-decreasing sequence closest to it in
//!    least squares, one point per distinct value with equal weight (pool adjacent
//!    violators), then clipped to [0, 1]. With non-negative weights C is already
//!    non-decreasing and in [0, 1], so F = C exactly.
//!
//! The CDF of any x is the right-continuous step F(x) = F_j for the largest v_j <= x,
//! and 0 below v_1. The quantile is the generalised inverse Q(p) = v_j for the smallest
//! j with F_j >= p, v_m when p is above every F_j (possible when the isotonic fit ends
//! below 1). So T maps simulation values onto data values, monotonically (non-decreasing
//! in x).

use crate::{Error, Result};

/// A weighted empirical CDF: distinct values and the monotone CDF at each.
#[derive(Debug, Clone)]
pub struct WeightedCdf {
    pub values: Vec<f64>,
    /// The raw cumulative fractions C_j (may decrease with negative weights).
    pub raw: Vec<f64>,
    /// The isotonic, clipped CDF F_j.
    pub cdf: Vec<f64>,
    /// Total weight W.
    pub total: f64,
}

impl WeightedCdf {
    /// From values and signed weights; `what` names the sample in errors.
    pub fn new(x: &[f64], w: &[f64], what: &str) -> Result<WeightedCdf> {
        if x.len() != w.len() {
            return Err(Error::Usage(format!(
                "{what}: {} values but {} weights",
                x.len(),
                w.len()
            )));
        }
        if x.is_empty() {
            return Err(Error::Usage(format!(
                "{what}: no values to build a CDF from"
            )));
        }
        if let Some(i) = (0..x.len()).find(|&i| !x[i].is_finite() || !w[i].is_finite()) {
            return Err(Error::Usage(format!(
                "{what}: value {} with weight {} at event {i}; the CDF needs finite values \
                 and weights",
                x[i], w[i]
            )));
        }
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let mut values: Vec<f64> = Vec::new();
        let mut u: Vec<f64> = Vec::new();
        for &i in &order {
            // -0.0 and 0.0 are one value
            match values.last() {
                Some(&v) if v == x[i] => *u.last_mut().expect("u follows values") += w[i],
                _ => {
                    values.push(x[i]);
                    u.push(w[i]);
                }
            }
        }
        let mut run = 0.0;
        let cum: Vec<f64> = u
            .iter()
            .map(|&v| {
                run += v;
                run
            })
            .collect();
        let total = run;
        if !(total > 0.0) {
            return Err(Error::Usage(format!(
                "{what}: the total weight is {total}; a CDF needs a positive total weight"
            )));
        }
        let raw: Vec<f64> = cum.iter().map(|c| c / total).collect();
        let cdf = isotonic(&raw)
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0))
            .collect();
        Ok(WeightedCdf {
            values,
            raw,
            cdf,
            total,
        })
    }

    /// F(x): the CDF at the largest distinct value <= x, 0 below the smallest.
    pub fn at(&self, x: f64) -> f64 {
        let k = self.values.partition_point(|&v| v <= x);
        if k == 0 {
            0.0
        } else {
            self.cdf[k - 1]
        }
    }

    /// F(x-): the CDF at the largest distinct value < x, 0 at or below the smallest.
    pub fn below(&self, x: f64) -> f64 {
        let k = self.values.partition_point(|&v| v < x);
        if k == 0 {
            0.0
        } else {
            self.cdf[k - 1]
        }
    }

    /// Q(p): the smallest distinct value whose CDF is >= p (the largest value if none).
    pub fn quantile(&self, p: f64) -> f64 {
        let k = self.cdf.partition_point(|&c| c < p);
        self.values[k.min(self.values.len() - 1)]
    }
}

/// T(x) = Q_data(F_mc(x)) at the top of F_mc's step; NaN stays NaN. Kept for
/// continuous values; [`morph_randomised`] is the map `morph` applies.
pub fn morph(mc: &WeightedCdf, data: &WeightedCdf, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    data.quantile(mc.at(x))
}

/// The randomised map (the distributional transform, docs/maths.md "Morphing with
/// ties"): u = F_mc(x-) + v (F_mc(x) - F_mc(x-)) spreads the events of one step of
/// F_mc (a point mass, a tie, an integer value) uniformly over the step's quantile
/// interval, and T(x) = Q_data(u). `v` in (0, 1) is the event's own uniform number. A
/// value between the simulation's values has no step (F(x-) = F(x)): u = F_mc(x).
/// NaN stays NaN.
pub fn morph_randomised(mc: &WeightedCdf, data: &WeightedCdf, x: f64, v: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let (lo, hi) = (mc.below(x), mc.at(x));
    data.quantile(lo + v * (hi - lo))
}

/// The non-decreasing least-squares fit to `y` with equal weights (pool adjacent
/// violators): each block of pooled points takes the mean of its points.
pub fn isotonic(y: &[f64]) -> Vec<f64> {
    // blocks as (sum, count)
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(y.len());
    for &v in y {
        blocks.push((v, 1));
        while blocks.len() > 1 {
            let (s1, n1) = blocks[blocks.len() - 1];
            let (s0, n0) = blocks[blocks.len() - 2];
            // merge while the earlier block's mean exceeds the later one's
            if s0 / n0 as f64 > s1 / n1 as f64 {
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (s0 + s1, n0 + n1);
            } else {
                break;
            }
        }
    }
    let mut out = Vec::with_capacity(y.len());
    for (s, n) in blocks {
        out.extend(std::iter::repeat_n(s / n as f64, n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_weights_give_the_plain_cdf() {
        let c = WeightedCdf::new(&[3.0, 1.0, 2.0, 2.0], &[1.0, 1.0, 1.0, 1.0], "t").unwrap();
        assert_eq!(c.values, vec![1.0, 2.0, 3.0]);
        assert_eq!(c.cdf, vec![0.25, 0.75, 1.0]);
        assert_eq!(c.at(0.5), 0.0);
        assert_eq!(c.at(2.5), 0.75);
        assert_eq!(c.quantile(0.0), 1.0);
        assert_eq!(c.quantile(0.25), 1.0);
        assert_eq!(c.quantile(0.26), 2.0);
        assert_eq!(c.quantile(1.0), 3.0);
    }

    #[test]
    fn negative_weights_are_made_monotone() {
        // C = 0.5, 0.25, 1.0 -> isotonic 0.375, 0.375, 1.0
        let c = WeightedCdf::new(&[1.0, 2.0, 3.0], &[2.0, -1.0, 3.0], "t").unwrap();
        assert_eq!(c.raw, vec![0.5, 0.25, 1.0]);
        assert_eq!(c.cdf, vec![0.375, 0.375, 1.0]);
        // C leaves [0, 1]: -0.5, 1.5, 1.0 -> pooled 0.667.. and clipped
        let c = WeightedCdf::new(&[1.0, 2.0, 3.0], &[-1.0, 4.0, -1.0], "t").unwrap();
        assert!(c.cdf.windows(2).all(|p| p[0] <= p[1]));
        assert!(c.cdf.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(WeightedCdf::new(&[1.0, 2.0], &[1.0, -1.0], "t").is_err());
        assert!(WeightedCdf::new(&[f64::NAN], &[1.0], "t").is_err());
    }

    #[test]
    fn morph_of_identical_samples_is_the_identity_on_their_values() {
        let x = [0.5, 1.5, -2.0, 3.0];
        let w = [1.0, 2.0, 0.5, 1.0];
        let c = WeightedCdf::new(&x, &w, "t").unwrap();
        for v in x {
            assert_eq!(morph(&c, &c, v), v);
        }
        assert!(morph(&c, &c, f64::NAN).is_nan());
    }

    #[test]
    fn a_step_is_spread_over_its_quantile_interval() {
        // simulation: 3 of 4 at 0 (step from 0 to 0.75); data: 1 of 4 at 0, then 1, 2, 3
        let mc = WeightedCdf::new(&[0.0, 0.0, 0.0, 5.0], &[1.0; 4], "mc").unwrap();
        let data = WeightedCdf::new(&[0.0, 1.0, 2.0, 3.0], &[1.0; 4], "data").unwrap();
        assert_eq!(mc.below(0.0), 0.0);
        assert_eq!(mc.at(0.0), 0.75);
        assert_eq!(mc.below(5.0), 0.75);
        // v in (0, 1/3] -> u <= 0.25 -> 0; (1/3, 2/3] -> 1; (2/3, 1) -> 2
        assert_eq!(morph_randomised(&mc, &data, 0.0, 0.2), 0.0);
        assert_eq!(morph_randomised(&mc, &data, 0.0, 0.5), 1.0);
        assert_eq!(morph_randomised(&mc, &data, 0.0, 0.9), 2.0);
        // the old map sent the whole step to Q(0.75) = 2
        assert_eq!(morph(&mc, &data, 0.0), 2.0);
        assert!(morph_randomised(&mc, &data, f64::NAN, 0.5).is_nan());
    }
}
