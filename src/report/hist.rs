//! A binned, weighted 1D histogram: the input of every histogram figure.
//!
//! Plotting does no statistics; this type only holds edges, the sum of weights and the
//! sum of squared weights per bin (the uncertainty drawn is sqrt(sum_w2), right for
//! generator weights and sWeights alike). It is local to the report on purpose: the
//! metrics module has its own histogram for chi2.

use crate::{Error, Result};

/// Bin edges (`n + 1`, strictly increasing) with per-bin sums of weights and of squared
/// weights (`n` each). Bin `i` is `[edges[i], edges[i+1])`, the last bin also holds its
/// upper edge. Negative `sum_w` is allowed (sWeights, NLO weights).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist1D {
    pub edges: Vec<f64>,
    pub sum_w: Vec<f64>,
    pub sum_w2: Vec<f64>,
}

impl Hist1D {
    /// An empty histogram (all sums zero) over `edges`.
    pub fn new(edges: &[f64]) -> Result<Self> {
        check_edges(edges, "histogram")?;
        let n = edges.len() - 1;
        Ok(Self {
            edges: edges.to_vec(),
            sum_w: vec![0.0; n],
            sum_w2: vec![0.0; n],
        })
    }

    /// Fills `values` with `weights` (same length) into bins with `edges`. Values outside
    /// `[edges[0], edges[n]]` are left out (no under- or overflow bins); every weight,
    /// negative or zero, enters as given. A NaN value or a non-finite weight is an error.
    pub fn fill(values: &[f64], weights: &[f64], edges: &[f64]) -> Result<Self> {
        if values.len() != weights.len() {
            return Err(Error::Usage(format!(
                "histogram fill: {} values but {} weights",
                values.len(),
                weights.len()
            )));
        }
        let mut h = Self::new(edges)?;
        let (lo, hi) = (edges[0], edges[edges.len() - 1]);
        for (i, (&v, &w)) in values.iter().zip(weights).enumerate() {
            if v.is_nan() || !w.is_finite() {
                return Err(Error::Usage(format!(
                    "histogram fill: entry {i} has value {v} and weight {w}; \
                     drop non-finite entries before filling"
                )));
            }
            if v < lo || v > hi {
                continue;
            }
            // First edge greater than v, minus one; the upper edge itself goes to the last bin.
            let bin = edges.partition_point(|&e| e <= v).saturating_sub(1);
            let bin = bin.min(h.sum_w.len() - 1);
            h.sum_w[bin] += w;
            h.sum_w2[bin] += w * w;
        }
        Ok(h)
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.sum_w.len()
    }

    /// Sum of weights over all bins (negative weights subtract).
    pub fn total(&self) -> f64 {
        self.sum_w.iter().sum()
    }

    /// The statistical uncertainty of bin `i`, sqrt(sum_w2).
    pub fn error(&self, i: usize) -> f64 {
        self.sum_w2[i].max(0.0).sqrt()
    }

    /// Bin centre of bin `i`.
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

    /// Checks the shape and values: `what` names the histogram in the error.
    pub fn check(&self, what: &str) -> Result<()> {
        check_edges(&self.edges, what)?;
        let n = self.edges.len() - 1;
        if self.sum_w.len() != n || self.sum_w2.len() != n {
            return Err(Error::Usage(format!(
                "{what}: {} edges need {n} bins, got {} sum_w and {} sum_w2",
                self.edges.len(),
                self.sum_w.len(),
                self.sum_w2.len()
            )));
        }
        for i in 0..n {
            let (w, w2) = (self.sum_w[i], self.sum_w2[i]);
            if !w.is_finite() || !w2.is_finite() || w2 < 0.0 {
                return Err(Error::Usage(format!(
                    "{what}: bin {i} has sum_w = {w}, sum_w2 = {w2}; \
                     both must be finite and sum_w2 >= 0"
                )));
            }
        }
        Ok(())
    }
}

fn check_edges(edges: &[f64], what: &str) -> Result<()> {
    if edges.len() < 2 {
        return Err(Error::Usage(format!(
            "{what}: needs at least one bin (two edges), got {} edges",
            edges.len()
        )));
    }
    for (i, pair) in edges.windows(2).enumerate() {
        if !pair[0].is_finite() || !pair[1].is_finite() || pair[1] <= pair[0] {
            return Err(Error::Usage(format!(
                "{what}: edges must be finite and strictly increasing; edge {i} is {} and edge {} is {}",
                pair[0],
                i + 1,
                pair[1]
            )));
        }
    }
    Ok(())
}
