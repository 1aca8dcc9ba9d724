//! Weighted histograms with sum-of-w^2 uncertainties, and the chi2 comparison of data
//! with simulation bin by bin.
//!
//! Filling: bin i holds the values with edges[i] <= v < edges[i+1]; the last bin also
//! holds v == edges[last] (numpy.histogram's convention). Per bin, sum_w = sum of the
//! weights and sum_w2 = sum of the squared weights, added in input order. Values outside
//! [edges[0], edges[last]] are either ignored ([`OutOfRange::Ignore`], as
//! numpy.histogram) or folded into the first or last bin ([`OutOfRange::Fold`]). Weights
//! enter with their sign (a bin's sum_w may be negative); sum_w2 is never negative.
//!
//! The test, with d_i, m_i the data and simulation sums of weights, s2d_i, s2m_i their
//! sums of squared weights, and D = sum_i d_i, M = sum_i m_i the histograms' totals
//! (in-range contents, bins added in order) when `normalise`, else D = M = 1:
//!
//! ```text
//! a_i = d_i / D              va_i = s2d_i / (D D)
//! b_i = m_i / M              vb_i = s2m_i / (M M)
//! chi2_i = (a_i - b_i)^2 / (va_i + vb_i)        over the bins with va_i + vb_i > 0
//! chi2 = sum_i chi2_i        ndf = #(those bins) - 1 if normalise, else #(those bins)
//! p = P(X >= chi2), X ~ chi2(ndf)               (gamma::chi2_sf)
//! ratio_i = a_i / b_i        sigma(ratio_i) = sqrt(va_i + ratio_i^2 vb_i) / |b_i|   (b_i != 0)
//! ```
//!
//! The uncertainty of the totals is neglected (the usual approximation; the "- 1" in
//! ndf accounts for the normalisation). Bins with no variance on either side (no event
//! with a nonzero weight) are left out and marked unused. Every sum is taken in order,
//! one addition at a time.

use super::gamma::chi2_sf;
use super::{check_finite, check_len, Real};
use crate::{Error, Result};

/// What filling does with a value outside the edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfRange {
    /// Left out (numpy.histogram).
    Ignore,
    /// Below the first edge counts in the first bin, above the last in the last bin.
    Fold,
}

/// A weighted histogram: `edges` (strictly increasing, finite, at least 2), and per bin
/// the sum of weights and the sum of squared weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub sum_w: Vec<f64>,
    pub sum_w2: Vec<f64>,
}

impl Histogram {
    /// An empty histogram with these edges. Errors: fewer than 2 edges, a non-finite
    /// edge, edges not strictly increasing (naming the index).
    pub fn new(edges: &[f64]) -> Result<Self> {
        check_edges("Histogram", edges)?;
        let bins = edges.len() - 1;
        Ok(Histogram {
            edges: edges.to_vec(),
            sum_w: vec![0.0; bins],
            sum_w2: vec![0.0; bins],
        })
    }

    /// The histogram of `values` with `weights` (module doc for the bins and
    /// `out_of_range`). Errors: those of [`Histogram::new`]; slices of different lengths;
    /// a NaN or infinite value or weight (naming its index).
    pub fn fill<V: Real, W: Real>(
        edges: &[f64],
        values: &[V],
        weights: &[W],
        out_of_range: OutOfRange,
    ) -> Result<Self> {
        const METRIC: &str = "Histogram::fill";
        let mut h = Histogram::new(edges)?;
        check_len(METRIC, "weights", weights.len(), "values", values.len())?;
        check_finite(METRIC, "values", values)?;
        check_finite(METRIC, "weights", weights)?;
        let last = h.sum_w.len() - 1;
        for (v, w) in values.iter().zip(weights) {
            let (v, w) = (v.to_f64(), w.to_f64());
            // the number of edges <= v, minus one: the bin whose lower edge is <= v
            let above = edges.partition_point(|&e| e <= v);
            let bin = if above == 0 {
                match out_of_range {
                    OutOfRange::Ignore => continue,
                    OutOfRange::Fold => 0,
                }
            } else if above == edges.len() && v > edges[last + 1] {
                match out_of_range {
                    OutOfRange::Ignore => continue,
                    OutOfRange::Fold => last,
                }
            } else {
                (above - 1).min(last) // v == last edge: the last bin
            };
            h.sum_w[bin] += w;
            h.sum_w2[bin] += w * w;
        }
        Ok(h)
    }

    /// The sum of the bins' sums of weights, in bin order.
    pub fn total(&self) -> f64 {
        self.sum_w.iter().fold(0.0, |acc, &w| acc + w)
    }

    /// Checks the shape and values; `what` names the histogram in the error (e.g.
    /// "chi2_test (data histogram)" or a plot's file).
    pub fn check(&self, what: &str) -> Result<()> {
        check_edges(what, &self.edges)?;
        let bins = self.edges.len() - 1;
        check_len(what, "sum_w", self.sum_w.len(), "edges - 1", bins)?;
        check_len(what, "sum_w2", self.sum_w2.len(), "edges - 1", bins)?;
        check_finite(what, "sum_w", &self.sum_w)?;
        check_finite(what, "sum_w2", &self.sum_w2)?;
        if let Some(i) = self.sum_w2.iter().position(|&v| v < 0.0) {
            return Err(Error::Usage(format!(
                "{what}: sum_w2[{i}] is {}; a sum of squared weights cannot be negative",
                self.sum_w2[i]
            )));
        }
        Ok(())
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.sum_w.len()
    }

    /// The statistical uncertainty of bin `i`, sqrt(sum_w2).
    pub fn error(&self, i: usize) -> f64 {
        self.sum_w2[i].max(0.0).sqrt()
    }

    /// The centre of bin `i`.
    pub fn centre(&self, i: usize) -> f64 {
        0.5 * (self.edges[i] + self.edges[i + 1])
    }

    /// The histogram with every weight multiplied by `factor` (sum_w2 by factor^2).
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            edges: self.edges.clone(),
            sum_w: self.sum_w.iter().map(|w| w * factor).collect(),
            sum_w2: self.sum_w2.iter().map(|w| w * factor * factor).collect(),
        }
    }

    /// True when no bin has any content or uncertainty.
    pub fn is_empty(&self) -> bool {
        self.sum_w.iter().chain(&self.sum_w2).all(|&w| w == 0.0)
    }
}

/// One bin of the comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi2Bin {
    /// Whether the bin has nonzero variance and enters chi2 and ndf.
    pub used: bool,
    /// (a_i - b_i)^2 / (va_i + vb_i), 0 for an unused bin.
    pub chi2: f64,
    /// a_i / b_i, `None` where b_i == 0.
    pub ratio: Option<f64>,
    /// sqrt(va_i + ratio^2 vb_i) / |b_i|, `None` where b_i == 0.
    pub ratio_error: Option<f64>,
}

/// The result of [`chi2_test`].
#[derive(Debug, Clone, PartialEq)]
pub struct Chi2 {
    pub chi2: f64,
    pub ndf: usize,
    pub p_value: f64,
    pub per_bin: Vec<Chi2Bin>,
}

/// chi2 between `data` and `mc` (module doc), each normalised to unit area when
/// `normalise`.
///
/// Errors (`Error::Usage`): a malformed histogram (edges, lengths, NaN, negative sum_w2);
/// edges that differ between the two (naming the index); with `normalise`, a total <= 0;
/// no degrees of freedom left (too few bins with nonzero variance).
pub fn chi2_test(data: &Histogram, mc: &Histogram, normalise: bool) -> Result<Chi2> {
    const METRIC: &str = "chi2_test";
    data.check("chi2_test (data histogram)")?;
    mc.check("chi2_test (simulation histogram)")?;
    check_len(
        METRIC,
        "the simulation's edges",
        mc.edges.len(),
        "the data's",
        data.edges.len(),
    )?;
    if let Some(i) = (0..data.edges.len()).find(|&i| data.edges[i] != mc.edges[i]) {
        return Err(Error::Usage(format!(
            "{METRIC}: edges[{i}] is {} in data but {} in simulation; fill both \
             histograms with the same edges",
            data.edges[i], mc.edges[i]
        )));
    }
    let (big_d, big_m) = if normalise {
        let totals = (data.total(), mc.total());
        for (t, which) in [(totals.0, "data"), (totals.1, "simulation")] {
            if !(t > 0.0 && t.is_finite()) {
                return Err(Error::Usage(format!(
                    "{METRIC}: the {which} histogram's total is {t}; normalising needs a \
                     finite total above 0 (or pass normalise = false)"
                )));
            }
        }
        totals
    } else {
        (1.0, 1.0)
    };

    let mut chi2 = 0.0f64;
    let mut used = 0usize;
    let mut per_bin = Vec::with_capacity(data.sum_w.len());
    for i in 0..data.sum_w.len() {
        let (a, va) = scaled(data.sum_w[i], data.sum_w2[i], big_d, normalise);
        let (b, vb) = scaled(mc.sum_w[i], mc.sum_w2[i], big_m, normalise);
        let var = va + vb;
        let mut bin = Chi2Bin {
            used: var > 0.0,
            chi2: 0.0,
            ratio: None,
            ratio_error: None,
        };
        if bin.used {
            bin.chi2 = (a - b) * (a - b) / var;
            chi2 += bin.chi2;
            used += 1;
        }
        if b != 0.0 {
            let r = a / b;
            bin.ratio = Some(r);
            bin.ratio_error = Some((va + r * r * vb).sqrt() / b.abs());
        }
        per_bin.push(bin);
    }
    let ndf = if normalise {
        used.saturating_sub(1)
    } else {
        used
    };
    if ndf == 0 {
        return Err(Error::Usage(format!(
            "{METRIC}: {used} of {} bins have nonzero variance, which leaves no degree of \
             freedom{}; use more bins or more events",
            data.sum_w.len(),
            if normalise { " after normalising" } else { "" }
        )));
    }
    Ok(Chi2 {
        chi2,
        ndf,
        p_value: chi2_sf(chi2, ndf as f64),
        per_bin,
    })
}

/// (w / T, w2 / (T T)) when normalising, else (w, w2).
fn scaled(w: f64, w2: f64, total: f64, normalise: bool) -> (f64, f64) {
    if normalise {
        (w / total, w2 / (total * total))
    } else {
        (w, w2)
    }
}

fn check_edges(metric: &str, edges: &[f64]) -> Result<()> {
    if edges.len() < 2 {
        return Err(Error::Usage(format!(
            "{metric}: {} edges given; a histogram needs at least 2 (one bin)",
            edges.len()
        )));
    }
    check_finite(metric, "edges", edges)?;
    if let Some(i) = edges.windows(2).position(|p| p[1] <= p[0]) {
        return Err(Error::Usage(format!(
            "{metric}: edges[{}] = {} is not above edges[{i}] = {}; edges must be \
             strictly increasing",
            i + 1,
            edges[i + 1],
            edges[i]
        )));
    }
    Ok(())
}
