//! One event's conditional distribution from its Q predicted quantiles, and the map of
//! a simulated value onto data's distribution (chained quantile morphing).
//!
//! **The curve.** Knots (q_j, tau_j), q non-decreasing, taus strictly increasing in
//! (0, 1). F is linear between knots; below q_1 and above q_Q exponential tails whose
//! slope at the end knot equals the neighbouring segment's:
//!
//! ```text
//! d_1 = (tau_2 - tau_1) / (q_2 - q_1),      d_Q = (tau_Q - tau_{Q-1}) / (q_Q - q_{Q-1})
//! F(y) = tau_1 exp(d_1 (y - q_1) / tau_1)                       y < q_1
//! F(y) = tau_j + (tau_{j+1} - tau_j) (y - q_j) / (q_{j+1} - q_j)  q_j <= y < q_{j+1}
//! 1 - F(y) = (1 - tau_Q) exp(-d_Q (y - q_Q) / (1 - tau_Q))     y >= q_Q
//! ```
//!
//! **Zero-width segments** (q_{j+1} == q_j, e.g. after rounding): the segment holding y
//! is found as the last knot with q_j <= y, and the next knot is then > y, so no division
//! by a zero width ever happens: F jumps at a tied knot (right-continuous; the curve
//! gives that value the probability of the tied levels). An end segment of zero width
//! makes its tail's slope infinite: the tail then holds no probability (F = 0 below q_1,
//! F = 1 above q_Q), and its inverse returns the end knot. The inverse is the generalised
//! one: quantile(p) = the smallest y with F(y) >= p, so a level inside a jump maps to the
//! tied knot.
//!
//! **The map** ([`map_value`]) with an optional point mass (a spike) at the variable's
//! lowest or highest value; derivation and the uniformity argument in docs/maths.md
//! ("Quantile regression and chained morphing").

/// One event's conditional distribution from its Q quantiles (q non-decreasing, in the
/// variable's own units) at the levels `taus`.
#[derive(Debug, Clone, Copy)]
pub struct QuantileCurve<'a> {
    pub taus: &'a [f64],
    pub q: &'a [f64],
}

impl QuantileCurve<'_> {
    fn check(&self) {
        debug_assert!(
            self.taus.len() >= 2,
            "a quantile curve needs 2 knots or more"
        );
        debug_assert_eq!(self.taus.len(), self.q.len(), "taus and q lengths differ");
    }

    /// The lower tail's slope d_1 (infinite for a zero-width first segment).
    fn d_low(&self) -> f64 {
        (self.taus[1] - self.taus[0]) / (self.q[1] - self.q[0])
    }

    /// The upper tail's slope d_Q.
    fn d_high(&self) -> f64 {
        let n = self.q.len();
        (self.taus[n - 1] - self.taus[n - 2]) / (self.q[n - 1] - self.q[n - 2])
    }

    /// F(y) (module doc): linear between the knots, exponential tails. NaN for NaN;
    /// 0 at -inf, 1 at +inf.
    pub fn cdf(&self, y: f64) -> f64 {
        self.check();
        let (taus, q, n) = (self.taus, self.q, self.q.len());
        if y.is_nan() {
            return f64::NAN;
        }
        if y == f64::NEG_INFINITY {
            return 0.0;
        }
        if y == f64::INFINITY {
            return 1.0;
        }
        // k = the number of knots at or below y
        let k = q.partition_point(|&qj| qj <= y);
        if k == 0 {
            // y < q_1 strictly, so an infinite d_1 gives exp(-inf) = 0
            return taus[0] * (self.d_low() * (y - q[0]) / taus[0]).exp();
        }
        if k == n {
            let d = self.d_high();
            if y == q[n - 1] {
                // right-continuous: an empty upper tail (d_Q infinite) jumps to 1 at q_Q
                return if d.is_finite() { taus[n - 1] } else { 1.0 };
            }
            let tail = 1.0 - taus[n - 1];
            return 1.0 - tail * (-d * (y - q[n - 1]) / tail).exp();
        }
        // q_j <= y < q_{j+1}: the width is > 0
        let j = k - 1;
        taus[j] + (taus[j + 1] - taus[j]) * (y - q[j]) / (q[j + 1] - q[j])
    }

    /// The inverse of [`Self::cdf`] for p in (0, 1): p <= 0 gives -inf, p >= 1 +inf,
    /// NaN stays NaN.
    pub fn quantile(&self, p: f64) -> f64 {
        self.check();
        let (taus, q, n) = (self.taus, self.q, self.q.len());
        if p.is_nan() {
            return f64::NAN;
        }
        if p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if p >= 1.0 {
            return f64::INFINITY;
        }
        if p < taus[0] {
            // y = q_1 + tau_1 ln(p / tau_1) / d_1 (q_1 when d_1 is infinite)
            return q[0] + taus[0] * (p / taus[0]).ln() / self.d_low();
        }
        if p > taus[n - 1] {
            let tail = 1.0 - taus[n - 1];
            return q[n - 1] - tail * ((1.0 - p) / tail).ln() / self.d_high();
        }
        // the first level >= p; tau_{k-1} < p <= tau_k
        let k = taus.partition_point(|&t| t < p);
        if k == 0 || taus[k] == p {
            return q[k];
        }
        let j = k - 1;
        q[j] + (p - taus[j]) * (q[j + 1] - q[j]) / (taus[j + 1] - taus[j])
    }

    /// 1 - F(y), formed directly in the upper tail (no 1 - (1 - small) cancellation).
    fn survival(&self, y: f64) -> f64 {
        let (taus, q, n) = (self.taus, self.q, self.q.len());
        if y.is_finite() && y > q[n - 1] {
            let tail = 1.0 - taus[n - 1];
            return tail * (-self.d_high() * (y - q[n - 1]) / tail).exp();
        }
        1.0 - self.cdf(y)
    }

    /// The y with 1 - F(y) = s, the inverse of [`Self::survival`], formed directly in
    /// the upper tail.
    fn quantile_of_survival(&self, s: f64) -> f64 {
        let (taus, q, n) = (self.taus, self.q, self.q.len());
        let tail = 1.0 - taus[n - 1];
        if s > 0.0 && s < tail {
            return q[n - 1] - tail * (s / tail).ln() / self.d_high();
        }
        self.quantile(1.0 - s)
    }
}

/// Where a variable's point mass sits: at its lowest or highest value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeSide {
    Low,
    High,
}

/// A point mass of a variable: its value and at which end of the range it sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub value: f64,
    pub side: SpikeSide,
}

/// One simulated value mapped to data. Without a spike: Q_data(F_mc(y)).
/// With a spike at the low end, p_mc / p_data the spike probabilities of this event
/// (from the spike classifiers) and the curves those of the values off the spike:
///
/// ```text
/// u = v p_mc                          if y == spike value (v the entry's jitter in (0,1))
/// u = p_mc + (1 - p_mc) F_mc(y)       otherwise
/// ŷ = spike value                     if u < p_data
/// ŷ = Q_data((u - p_data) / (1 - p_data))  otherwise
/// ```
///
/// and the mirror image for a spike at the high end, written with t = 1 - u so that the
/// upper tail keeps its precision: t = v p_mc on the spike, p_mc + (1 - p_mc)(1 - F_mc(y))
/// off it; ŷ = spike value if t < p_data, else Q_data(1 - (t - p_data) / (1 - p_data)).
/// p_data >= 1 puts every event on the spike. Returns NaN for a non-finite y. The
/// exponential tails are unbounded: callers clamp ŷ to the data's observed range.
pub fn map_value(
    y: f64,
    spike: Option<(&Spike, f64, f64)>,
    mc: &QuantileCurve,
    data: &QuantileCurve,
    v: f64,
) -> f64 {
    if !y.is_finite() {
        return f64::NAN;
    }
    let Some((spike, p_mc, p_data)) = spike else {
        return data.quantile(mc.cdf(y));
    };
    // t: the probability, under the simulation's mixture, of lying "beyond" y on the
    // spike's side (u for a low spike, 1 - u for a high one), jittered on the spike
    let on_spike = y == spike.value;
    let t = if on_spike {
        v * p_mc
    } else {
        let beyond = match spike.side {
            SpikeSide::Low => mc.cdf(y),
            SpikeSide::High => mc.survival(y),
        };
        p_mc + (1.0 - p_mc) * beyond
    };
    if t < p_data || p_data >= 1.0 {
        return spike.value;
    }
    let level = (t - p_data) / (1.0 - p_data);
    match spike.side {
        SpikeSide::Low => data.quantile(level),
        SpikeSide::High => data.quantile_of_survival(level),
    }
}

#[cfg(test)]
#[path = "quantile_map_tests.rs"]
mod tests;
