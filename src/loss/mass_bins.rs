//! Mass bins for the flatness term: M bins given by M - 1 increasing inner edges, the
//! outer two open (bin 0 is (-inf, e_1), bin m is [e_m, e_{m+1}), bin M-1 is
//! [e_{M-1}, +inf)), so every finite mass falls in exactly one bin; and
//! [`equal_population_edges`], which places the edges so that each bin holds the same
//! share of the training set's background weight.

use crate::{Error, Result};
use rootgrad_kernels::Real;

/// M mass bins, checked once: finite, strictly increasing inner edges.
#[derive(Debug, Clone, PartialEq)]
pub struct MassBins {
    edges: Vec<f64>,
}

impl MassBins {
    /// Bins from the M - 1 inner edges (an empty list is one bin holding every mass).
    pub fn new(edges: Vec<f64>) -> Result<Self> {
        for (k, e) in edges.iter().enumerate() {
            if !e.is_finite() {
                return Err(Error::Usage(format!(
                    "flatness mass bin edge {k} is {e}; edges must be finite numbers"
                )));
            }
            if k > 0 && edges[k - 1] >= *e {
                return Err(Error::Usage(format!(
                    "flatness mass bin edges must increase strictly, but edge {} = {} is \
                     followed by {e}",
                    k - 1,
                    edges[k - 1]
                )));
            }
        }
        Ok(MassBins { edges })
    }

    /// The inner edges e_1 < ... < e_{M-1}.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// M.
    pub fn bins(&self) -> usize {
        self.edges.len() + 1
    }

    /// The bin of a mass: the number of inner edges <= `mass` (NaN gives 0; callers
    /// check masses first).
    #[inline]
    pub fn bin_of(&self, mass: f64) -> usize {
        self.edges.partition_point(|&e| e <= mass)
    }
}

/// Inner edges that split the events into `m` bins of equal total weight.
///
/// The events are sorted by mass (ties kept together) and the running weight sum S is
/// taken at the end of each run of equal masses. Edge k (k = 1..m-1) goes after the first
/// run where S >= k W / m (W the total weight), halfway between that run's mass and the
/// next one's. Weights enter as they are: a negative weight lowers the running sum, so
/// with negative weights a bin's weight is about W / m but its event count may differ
/// from N / m; with `weights = None` every event counts 1 (equal counts). Events of equal
/// mass always share a bin.
///
/// Errors: m = 0, no events, a non-finite mass or weight, W <= 0, or more bins than the
/// distinct masses and weights allow (two edges would coincide, leaving a bin empty).
pub fn equal_population_edges<T: Real>(
    masses: &[T],
    weights: Option<&[T]>,
    m: usize,
) -> Result<MassBins> {
    // masses, weights are (N,); returns m - 1 edges
    if m == 0 {
        return Err(Error::Usage(
            "flatness_mass_bins = 0: the flatness term needs at least 1 mass bin".into(),
        ));
    }
    if masses.is_empty() {
        return Err(Error::Usage(
            "flatness: no background events in the training set to place mass bins".into(),
        ));
    }
    if let Some(w) = weights {
        assert_eq!(w.len(), masses.len(), "mass and weight lengths differ");
    }
    let weight = |i: usize| weights.map_or(1.0, |w| w[i].to_f64());
    for (i, m) in masses.iter().enumerate() {
        let (x, w) = (m.to_f64(), weight(i));
        if !x.is_finite() || !w.is_finite() {
            return Err(Error::Usage(format!(
                "flatness: training background event {i} has mass {x} and weight {w}; both \
                 must be finite"
            )));
        }
    }
    let mut order: Vec<usize> = (0..masses.len()).collect();
    order.sort_by(|&a, &b| masses[a].to_f64().total_cmp(&masses[b].to_f64()));
    // runs of equal masses: (mass, running weight sum at the run's end)
    let mut runs: Vec<(f64, f64)> = Vec::new();
    let mut sum = 0.0f64;
    for &i in &order {
        let x = masses[i].to_f64();
        sum += weight(i);
        match runs.last_mut() {
            Some(last) if last.0 == x => last.1 = sum,
            _ => runs.push((x, sum)),
        }
    }
    let total = sum;
    if total <= 0.0 {
        return Err(Error::Usage(format!(
            "flatness: the training background's total weight is {total}; equal-population \
             mass bins need a positive total"
        )));
    }
    let mut edges = Vec::with_capacity(m - 1);
    let mut r = 0usize;
    for k in 1..m {
        let level = k as f64 * total / m as f64; // k W / m
        while r < runs.len() && runs[r].1 < level {
            r += 1;
        }
        // S reaches W >= level at the last run, so r < runs.len() here
        if r + 1 >= runs.len() {
            return Err(too_many_bins(m, k, runs.len()));
        }
        let (a, b) = (runs[r].0, runs[r + 1].0);
        let mid = a + (b - a) / 2.0;
        let edge = if mid > a { mid } else { b };
        if edges.last().is_some_and(|&e: &f64| e >= edge) {
            return Err(too_many_bins(m, k, runs.len()));
        }
        edges.push(edge);
    }
    MassBins::new(edges)
}

fn too_many_bins(m: usize, k: usize, distinct: usize) -> Error {
    Error::Usage(format!(
        "flatness: cannot split the training background into {m} mass bins of equal \
         weight: bin {k} would be empty ({distinct} distinct masses; single events carry \
         more than 1/{m} of the weight); use fewer mass bins"
    ))
}
