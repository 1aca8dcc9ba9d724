//! The truncated ROC AUC of the LHCb "Flavours of Physics" challenge (unweighted, as the
//! challenge scored it): the area under the ROC curve with the signal-efficiency bands
//! (true-positive rate) weighted 4, 3, 2, 1, 0 from the lowest band up, normalised so a
//! perfect classifier scores 1.
//!
//! The curve is [`roc_curve`] with unit weights: one vertex per distinct score (tied
//! scores are one threshold), no collinear vertex dropped (scikit-learn's
//! `roc_curve(..., drop_intermediate=False)`). With T = (0, 0.2, 0.4, 0.6, 0.8, 1) and
//! band weights w = (4, 3, 2, 1, 0),
//!
//! ```text
//! area(T)  = sum_k (fpr_k - fpr_{k-1}) (min(tpr_k, T) + min(tpr_{k-1}, T)) / 2
//! A        = sum_{b=0}^{4} w_b [area(T_{b+1}) - area(T_b)] / sum_{b=0}^{4} w_b (T_{b+1} - T_b)
//! ```
//!
//! so the tpr values are clipped at the vertices and the clipped polygon is integrated
//! with the trapezoid rule (the challenge's computation; it is not the exact area of the
//! clipped piecewise-linear curve, whose kinks at tpr = T need not be vertices). The
//! denominator is 4 (0.2) + 3 (0.2) + 2 (0.2) + 1 (0.2) = 2, each term formed as written.
//!
//! Scores must lie in [0, 1] (the challenge's submissions were probabilities); a score
//! outside is an error naming its index and value. Both classes need at least one event.
//!
//! Summation: each area's terms are added with Neumaier compensation (numpy's
//! `trapezoid` adds them pairwise); the reference in validation/metrics_golden.py agrees
//! to about 1e-15 relative.

use super::{check_finite, roc_curve, CompensatedSum, Label, Real};
use crate::{Error, Result};

/// The tpr band edges of the challenge.
pub const TRUNCATED_AUC_TPR_THRESHOLDS: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
/// The weight of each tpr band, lowest band first.
pub const TRUNCATED_AUC_BAND_WEIGHTS: [f64; 5] = [4.0, 3.0, 2.0, 1.0, 0.0];

/// The challenge's truncated AUC of `scores` (each in [0, 1]) for `labels` (1/true =
/// signal), every event weighing 1; see the module doc. A perfect classifier gives 1.
///
/// Errors (`Error::Usage`): slices of different lengths; a NaN or infinite score or a
/// score outside [0, 1] (naming its index and value); a label other than 0/1; a class
/// with no events.
pub fn truncated_auc<S: Real, L: Label>(scores: &[S], labels: &[L]) -> Result<f64> {
    const METRIC: &str = "truncated_auc";
    check_finite(METRIC, "scores", scores)?;
    if let Some(i) = scores
        .iter()
        .position(|s| !(0.0..=1.0).contains(&s.to_f64()))
    {
        return Err(Error::Usage(format!(
            "{METRIC}: scores[{i}] is {}; the challenge's truncated AUC takes scores in \
             [0, 1] (map the classifier output to a probability first, e.g. with a sigmoid)",
            scores[i].to_f64()
        )));
    }
    let ones = vec![1.0f64; scores.len()];
    let curve = roc_curve(scores, labels, &ones).map_err(|e| match e {
        Error::Usage(m) => Error::Usage(m.replacen("roc_curve", METRIC, 1)),
        other => other,
    })?;
    let t = TRUNCATED_AUC_TPR_THRESHOLDS;
    let areas: Vec<f64> = t
        .iter()
        .map(|&cap| clipped_area(&curve.fpr, &curve.tpr, cap))
        .collect();
    let (mut num, mut den) = (0.0, 0.0);
    for (b, &w) in TRUNCATED_AUC_BAND_WEIGHTS.iter().enumerate() {
        num += w * (areas[b + 1] - areas[b]);
        den += w * (t[b + 1] - t[b]);
    }
    Ok(num / den)
}

/// Trapezoid area under the vertices (fpr_k, min(tpr_k, cap)).
fn clipped_area(fpr: &[f64], tpr: &[f64], cap: f64) -> f64 {
    let mut area = CompensatedSum::default();
    for k in 1..fpr.len() {
        // (x_k - x_{k-1}) (y_k + y_{k-1}) / 2, as numpy.trapezoid forms each term
        let dx = fpr[k] - fpr[k - 1];
        area.add(dx * (tpr[k].min(cap) + tpr[k - 1].min(cap)) / 2.0);
    }
    area.value()
}
