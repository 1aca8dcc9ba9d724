//! Weighted Kolmogorov-Smirnov distance between the score distributions of data and
//! simulation: the agreement test of the LHCb "Flavours of Physics" challenge.
//!
//! Each sample's weights are normalised by its own sum, W = sum_i w_i, and
//!
//! ```text
//! S(t) = sum_{i: s_i >= t} w_i / W                    (weighted survival fraction)
//! D    = max over distinct thresholds t of |S_data(t) - S_mc(t)|
//! ```
//!
//! where t runs over every distinct score of either sample, and S is read only after all
//! events of both samples at that score are added (ties merged across the samples). For
//! unit weights D is the two-sample KS statistic, `scipy.stats.ks_2samp(a, b).statistic`
//! (the largest gap between the empirical CDFs; the gap in survival fractions at t is
//! the gap in CDFs just below t, so both maxima run over the same values).
//!
//! Weights: individual weights may be negative (sWeights, NLO weights) and enter every
//! sum with their sign, so S need not be monotone; a sample whose weights sum to <= 0
//! (or which is empty) is an error naming the sample. Zero-weight events change no sum.
//!
//! Not hep_ml's `ks_2samp_weighted`: that evaluates a mid-point CDF (half the weight of
//! the events at each value) and gives a different number for the same inputs.
//!
//! Summation: each sample is sorted by descending score (ties in input order) and its
//! weights are added one at a time in that order; W is the last of those running sums,
//! and S(t) = running sum / W is one division (so for unit weights S is k/n rounded
//! once; scipy rounds its CDF values k/n once too, and D agrees with scipy's to an ulp).

use super::{check_finite, check_len, descending_order, Real};
use crate::{Error, Result};

/// The weighted KS distance D (module doc) between data (`data_scores`,
/// `data_weights`) and simulation (`mc_scores`, `mc_weights`); 0 <= D, and D <= 1 when
/// no weight is negative.
///
/// Errors (`Error::Usage`): a sample's scores and weights of different lengths; a NaN or
/// infinite score or weight (naming the sample and index); a sample whose weights sum to
/// <= 0 (naming the sample).
pub fn ks_distance<S: Real, W: Real>(
    data_scores: &[S],
    data_weights: &[W],
    mc_scores: &[S],
    mc_weights: &[W],
) -> Result<f64> {
    let data = Sample::new("ks_distance (data sample)", data_scores, data_weights)?;
    let mc = Sample::new("ks_distance (simulation sample)", mc_scores, mc_weights)?;

    let (mut i, mut j) = (0, 0);
    let (mut sum_data, mut sum_mc) = (0.0f64, 0.0f64);
    let mut d = 0.0f64;
    while let Some(t) = max_option(data.score_at(i), mc.score_at(j)) {
        // add every event of both samples at threshold t, then compare
        while data.score_at(i) == Some(t) {
            sum_data += data.weight_at(i);
            i += 1;
        }
        while mc.score_at(j) == Some(t) {
            sum_mc += mc.weight_at(j);
            j += 1;
        }
        d = d.max((sum_data / data.total - sum_mc / mc.total).abs());
    }
    Ok(d)
}

/// One sample, checked and sorted by descending score, with its total weight.
struct Sample<'a, S, W> {
    scores: &'a [S],
    weights: &'a [W],
    order: Vec<usize>,
    total: f64,
}

impl<'a, S: Real, W: Real> Sample<'a, S, W> {
    /// `metric` names the sample in error messages.
    fn new(metric: &str, scores: &'a [S], weights: &'a [W]) -> Result<Self> {
        check_len(metric, "weights", weights.len(), "scores", scores.len())?;
        check_finite(metric, "scores", scores)?;
        check_finite(metric, "weights", weights)?;
        let order = descending_order(scores);
        // W in the same order and by the same additions as the running sums
        let total = order
            .iter()
            .fold(0.0f64, |acc, &i| acc + weights[i].to_f64());
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::Usage(format!(
                "{metric}: the weights of its {} events sum to {total}; each sample's \
                 weights must have a finite sum above 0 to be normalised",
                scores.len()
            )));
        }
        Ok(Sample {
            scores,
            weights,
            order,
            total,
        })
    }

    /// The k-th highest score (`-0.0` read as `+0.0`), or `None` past the end.
    fn score_at(&self, k: usize) -> Option<f64> {
        self.order.get(k).map(|&i| self.scores[i].to_f64() + 0.0)
    }

    fn weight_at(&self, k: usize) -> f64 {
        self.order.get(k).map_or(0.0, |&i| self.weights[i].to_f64())
    }
}

fn max_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The Kolmogorov distribution's survival function, Q(x) = P(K > x) =
/// 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2), as `scipy.special.kolmogorov(x)` and ROOT's
/// `TMath::KolmogorovProb` compute it. For x < 1 the alternating series converges
/// slowly, so there Q = 1 - sqrt(2 pi) / x sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2)),
/// the same function written through the theta-function identity.
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x < 1.0 {
        let c = std::f64::consts::PI * std::f64::consts::PI / (8.0 * x * x);
        let cdf: f64 = (1..=20)
            .map(|k| {
                let m = (2 * k - 1) as f64;
                (-m * m * c).exp()
            })
            .sum::<f64>()
            * (2.0 * std::f64::consts::PI).sqrt()
            / x;
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    let mut q = 0.0;
    for k in 1..=100 {
        let kf = k as f64;
        let t = (-2.0 * kf * kf * x * x).exp();
        q += if k % 2 == 1 { t } else { -t };
        if t < 1e-300 {
            break;
        }
    }
    (2.0 * q).clamp(0.0, 1.0)
}

/// The asymptotic p-value of a two-sample KS distance `d` between samples of effective
/// sizes `n_a` and `n_b`: Q(sqrt(n_a n_b / (n_a + n_b)) d) ([`kolmogorov_sf`]). For
/// weighted samples the effective size is Kish's (sum w)^2 / sum w^2 ([`effective_n`]);
/// for unit weights it is the event count, and the p-value is
/// `scipy.stats.kstwobign.sf(sqrt(en) * d)`, scipy's asymptotic two-sample KS p-value
/// before its finite-n correction.
pub fn ks_p_value(d: f64, n_a: f64, n_b: f64) -> f64 {
    if !(n_a > 0.0 && n_b > 0.0) {
        return f64::NAN;
    }
    let en = n_a * n_b / (n_a + n_b);
    kolmogorov_sf(en.sqrt() * d)
}

/// Kish's effective number of events, (sum w)^2 / sum w^2 (0 for no events); signed
/// weights enter both sums with their sign and square.
pub fn effective_n(weights: &[f64]) -> f64 {
    let (s, s2) = weights
        .iter()
        .fold((0.0, 0.0), |(s, s2), &w| (s + w, s2 + w * w));
    if s2 > 0.0 {
        s * s / s2
    } else {
        0.0
    }
}
