//! The loss terms: weighted cross-entropy, the histogram loss, the domain loss and the
//! mass decorrelation terms, each forward beside its backward.
//!
//! The losses work on slices and know nothing of the network: logits `z` per event,
//! labels, signed weights, and the set-level normalisation constants. Every term uses one
//! convention. A subset S of a training set (all events, the data events, the simulated
//! events, the background events, the background events of one mass bin) has N_S events
//! and total weight W_S = sum_{i in S} w_i over the whole set; a batch B holds |B_S| of
//! them, and the term sums over them with the factor
//!
//! ```text
//! norm_S = N_S / (|B_S| W_S)
//! ```
//!
//! so `norm_S * sum_{i in B_S} w_i f_i` estimates the set-level weighted mean
//! `(1/W_S) sum_{i in S} w_i f_i`. The denominator is the set's weight, never the batch's,
//! so the factor is well defined for any batch even when weights are negative (a batch's
//! weight sum can be zero or negative); W_S <= 0 is refused once, when the
//! [`Normalisation`] is built from the training set. Negative weights (NLO generator
//! weights, sWeights) enter every sum as they are, never clipped.
//!
//! - [`bce`]: L_C = norm * sum_i w_i (softplus(z_i) - y_i z_i).
//! - [`histogram`]: L_H = sum_n (H^data_n - H^mc_n)^2, triangular interpolation of the
//!   score s = sigmoid(z) on K + 1 nodes.
//! - [`domain`]: L_D = 1/2 (data BCE + simulation BCE) of the domain logit.
//! - [`mass_bins`]: the flatness term's mass bins, equal-population edges.
//! - [`decorrelation`]: (a) the mass adversary's weighted MSE on background events,
//!   L_M; (b) flatness, L_F = (1/M) sum_m sum_n (H^(m)_n - H^all_n)^2.
//! - [`quantile`]: the weighted pinball loss of Q non-crossing quantiles,
//!   L_Q = norm * sum_i w_i (1/Q) sum_j rho_{tau_j}(y_i - q_ij) (chained morphing).
//!
//! Each `*_forward` returns the term's value (per-event terms in `T`, accumulated in f64
//! in event order, so the value does not depend on threads). Each `*_backward` ADDS
//! `scale * dL/dz` into the caller's gradient slice, where `scale` is the derivative of
//! the total loss with respect to the term (1 for L_C, lambda_H for L_H, ...), so one
//! gradient buffer collects every term without temporaries. The histogram terms take
//! logits and apply the sigmoid chain ds/dz = s (1 - s) inside. The derivations, with
//! these functions' variable names, are in docs/maths.md (losses).
//!
//! The total loss is L = L_C + lambda_H L_H + L_D + L_M + lambda_F L_F ([`LossTerms`]):
//! L_D and L_M are descended by their own heads and reach the shared layers through a
//! gradient reversal layer (in `nn`), which is where lambda_G and lambda_M act.

pub mod bce;
pub mod decorrelation;
pub mod domain;
pub mod histogram;
pub mod mass_bins;
pub mod quantile;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fd;
#[cfg(test)]
mod tests_par;
#[cfg(test)]
mod tests_quantile;

pub use bce::{bce_backward, bce_forward, softplus};
pub use decorrelation::{
    flatness_backward, flatness_forward, mass_mse_backward, mass_mse_forward, FlatnessBatch,
    FlatnessConfig, FlatnessHistograms,
};
pub use domain::{domain_backward, domain_forward, DomainBatch, DomainNorm};
pub use histogram::{histogram_backward, histogram_forward, HistogramConfig, Histograms};
pub use mass_bins::{equal_population_edges, MassBins};
pub use quantile::{
    monotone_quantiles, pinball_backward, pinball_forward, pinball_row, QuantileLevels,
};

use crate::{Error, Result};
use rootgrad_kernels::Real;

/// A subset's set-level size N_S and total weight W_S, checked once: N_S >= 1 and W_S
/// finite and > 0. Negative and zero event weights are allowed; only the total must be
/// positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    n_set: f64,
    w_set: f64,
}

impl Normalisation {
    /// `what` names the subset in the error ("training set", "data (sWeights)", ...).
    pub fn new(what: &str, n_set: usize, w_set: f64) -> Result<Self> {
        if n_set == 0 {
            return Err(Error::Usage(format!(
                "{what}: no events; the loss needs at least one event to normalise by"
            )));
        }
        if !w_set.is_finite() || w_set <= 0.0 {
            return Err(Error::Usage(format!(
                "{what}: total weight {w_set} over {n_set} events; the losses normalise by \
                 the set's total weight, which must be finite and positive (check the \
                 weight expression; negative weights are fine, a non-positive sum is not)"
            )));
        }
        Ok(Normalisation {
            n_set: n_set as f64,
            w_set,
        })
    }

    /// N = `weights.len()`, W = sum of `weights` (f64, in order; negative weights as
    /// they are).
    pub fn of_weights<T: Real>(what: &str, weights: &[T]) -> Result<Self> {
        let mut w_set = 0.0f64;
        for &w in weights {
            w_set += w.to_f64();
        }
        Self::new(what, weights.len(), w_set)
    }

    /// The set size N_S.
    pub fn n_set(&self) -> f64 {
        self.n_set
    }

    /// The set's total weight W_S.
    pub fn w_set(&self) -> f64 {
        self.w_set
    }

    /// The batch-level constants for a batch holding `batch_len` events of this subset;
    /// an empty batch is an error.
    pub fn batch(&self, what: &str, batch_len: usize) -> Result<BatchNorm> {
        if batch_len == 0 {
            return Err(Error::Usage(format!(
                "{what}: empty batch; the batch size must be at least 1"
            )));
        }
        Ok(self.batch_unchecked(batch_len))
    }

    pub(crate) fn batch_unchecked(&self, batch_len: usize) -> BatchNorm {
        BatchNorm {
            n_set: self.n_set,
            w_set: self.w_set,
            batch_len: batch_len as f64,
        }
    }
}

/// N_S, W_S and |B_S| >= 1 for one batch: the loss backward passes write the reduction
/// factor out from these as `N / (|B| W)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNorm {
    pub(crate) n_set: f64,
    pub(crate) w_set: f64,
    pub(crate) batch_len: f64,
}

impl BatchNorm {
    /// |B_S|, the number of the subset's events in the batch.
    pub fn batch_len(&self) -> usize {
        self.batch_len as usize
    }

    /// N_S / (|B_S| W_S).
    pub fn factor(&self) -> f64 {
        self.n_set / (self.batch_len * self.w_set)
    }
}

/// Checks a loss weight (lambda) once: finite and >= 0. `key` is the configuration key
/// named in the error.
pub fn checked_lambda(key: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::Usage(format!(
            "{key} = {value}: a loss weight must be a finite number >= 0 (0 switches the \
             term off)"
        )))
    }
}

/// The weights of the terms that the classifier descends directly, checked once.
/// (lambda_G and lambda_M act in the gradient reversal layers, in `nn`.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossWeights {
    /// lambda_H, the histogram loss weight.
    pub lambda_h: f64,
    /// lambda_F, the flatness weight.
    pub lambda_f: f64,
}

impl LossWeights {
    pub fn new(lambda_h: f64, lambda_f: f64) -> Result<Self> {
        Ok(LossWeights {
            lambda_h: checked_lambda("lambda_h", lambda_h)?,
            lambda_f: checked_lambda("lambda_f", lambda_f)?,
        })
    }
}

/// The value of every term of one step, reported separately so training curves can show
/// them; `None` for a term that is switched off.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossTerms {
    /// L_C.
    pub classification: f64,
    /// L_H (before lambda_H).
    pub histogram: Option<f64>,
    /// L_D, the domain head's cross-entropy.
    pub domain: Option<f64>,
    /// L_M, the mass adversary's MSE.
    pub mass_adversary: Option<f64>,
    /// L_F (before lambda_F).
    pub flatness: Option<f64>,
}

impl LossTerms {
    /// L = L_C + lambda_H L_H + L_D + L_M + lambda_F L_F (absent terms count 0).
    pub fn total(&self, weights: &LossWeights) -> f64 {
        self.classification
            + weights.lambda_h * self.histogram.unwrap_or(0.0)
            + self.domain.unwrap_or(0.0)
            + self.mass_adversary.unwrap_or(0.0)
            + weights.lambda_f * self.flatness.unwrap_or(0.0)
    }
}
