//! Metrics over scores, labels and signed event weights, for the training loop's
//! per-epoch log and the validation report.
//!
//! Every metric is a pure function over slices: no state, no allocation beyond the
//! sorted event indices (and the curve it returns), no panic on any input. Weights may
//! be negative (NLO generator weights, sWeights); each function's doc says how negative
//! and zero weights enter.
//! Scores and weights may be `f32` or `f64` (see [`Real`]); labels may be `bool` or the
//! numbers 0 and 1 (see [`Label`]). Every sum is taken in `f64`.
//!
//! - [`agreement`]: data against simulation in one variable (KS, chi2, yields), the
//!   comparison every command tabulates; [`binning`]: its default bin edges.
//! - [`auc`]: weighted ROC AUC and the ROC curve, equal to scikit-learn's
//!   `roc_auc_score` / `roc_curve` with `sample_weight`.
//! - [`ks`]: the weighted Kolmogorov-Smirnov distance between data and simulation,
//!   equal to `scipy.stats.ks_2samp(...).statistic` for unit weights.
//! - [`truncated`]: the truncated AUC of the LHCb "Flavours of Physics" challenge.
//! - [`cvm`]: the challenge's Cramer-von Mises flatness of a score against a mass.
//! - [`chi2`]: weighted histograms and the chi2 test of data against simulation, with
//!   its p-value from [`gamma`] (the chi2 survival function).
//! - [`scale_factor`]: data/simulation efficiencies of a score cut in bins of a
//!   variable and their ratio, with uncertainties from signed weights.
//! - [`efficiency`]: signal efficiency at a background efficiency and the reverse,
//!   interpolated on the weighted ROC curve.
//!
//! The definitions are written out in `docs/metrics.md`; the golden values come from
//! `validation/metrics_golden.py` and are checked by `validation/metrics.rs`.

pub mod agreement;
pub mod auc;
pub mod binning;
pub mod chi2;
pub mod correlation;
pub mod cvm;
pub mod efficiency;
pub mod gamma;
pub mod ks;
pub mod scale_factor;
pub mod truncated;

#[cfg(test)]
mod tests;

pub use auc::{roc_auc, roc_curve, RocCurve};
pub use chi2::{chi2_test, Chi2, Chi2Bin, Histogram, OutOfRange};
pub use cvm::{cvm_flatness, CvmOptions};
pub use efficiency::{
    background_efficiency_at, running_max, signal_efficiency_at, signed_working_points,
    standard_working_points, WorkingPoint, STANDARD_BACKGROUND_EFFICIENCIES,
};
pub use gamma::{chi2_sf, gamma_q};
pub use ks::ks_distance;
pub use truncated::truncated_auc;

use std::cmp::Ordering;

use crate::{Error, Result};

/// A score or weight type: `f32` or `f64`, read as `f64` (exactly).
pub trait Real: Copy {
    /// The value as `f64` (exact for both implementors).
    fn to_f64(self) -> f64;
}

impl Real for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

impl Real for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

/// A class label: `true`/`1` is the positive class (signal), `false`/`0` the negative
/// class (background). Numeric labels other than 0 and 1 are an error.
pub trait Label: Copy + std::fmt::Display {
    /// `Some(true)` for the positive class, `Some(false)` for the negative, `None` for a
    /// value that is neither.
    fn is_positive(self) -> Option<bool>;
}

impl Label for bool {
    fn is_positive(self) -> Option<bool> {
        Some(self)
    }
}

macro_rules! integer_label {
    ($($t:ty),*) => {$(
        impl Label for $t {
            fn is_positive(self) -> Option<bool> {
                match self {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                }
            }
        }
    )*};
}
integer_label!(u8, i32, u32, i64, u64, usize);

macro_rules! float_label {
    ($($t:ty),*) => {$(
        impl Label for $t {
            fn is_positive(self) -> Option<bool> {
                if self == 0.0 {
                    Some(false)
                } else if self == 1.0 {
                    Some(true)
                } else {
                    None
                }
            }
        }
    )*};
}
float_label!(f32, f64);

/// `Error::Usage` unless `got == want`: "`metric`: `what` has `got` entries but `of`
/// has `want`".
fn check_len(metric: &str, what: &str, got: usize, of: &str, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{metric}: {what} has {got} entries but {of} has {want}; give one per event"
        )))
    }
}

/// `Error::Usage` naming `what[i]` for the first value that is NaN or infinite.
fn check_finite<T: Real>(metric: &str, what: &str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.to_f64().is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::Usage(format!(
            "{metric}: {what}[{i}] is {}; every score and weight must be a finite number \
             (drop or fix that event)",
            values[i].to_f64()
        ))),
    }
}

/// Event indices sorted by descending score; ties keep input order (the order of a
/// stable descending sort, which scikit-learn uses). `-0.0` is read as `+0.0`, so the
/// two zeros are one tie, as they compare equal. Scores must be finite (checked first).
fn descending_order<S: Real>(scores: &[S]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let key = |i: usize| scores[i].to_f64() + 0.0; // -0.0 + 0.0 == +0.0
    order.sort_unstable_by(|&a, &b| match key(b).total_cmp(&key(a)) {
        Ordering::Equal => a.cmp(&b),
        other => other,
    });
    order
}

/// Sum with Neumaier's compensation: the result is the exactly rounded sum of the terms
/// unless they cancel to far below their own size.
#[derive(Default, Clone, Copy)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests_more;
