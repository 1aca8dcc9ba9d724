//! The binned, weighted histogram every histogram figure draws: the same type the chi2
//! test compares ([`crate::metrics::Histogram`]: edges, sum of weights and sum of
//! squared weights per bin), so a figure shows exactly what a metric measured. Plotting
//! does no statistics; the uncertainty drawn is sqrt(sum_w2), right for generator
//! weights and sWeights alike.

pub use crate::metrics::{Histogram as Hist1D, OutOfRange};
