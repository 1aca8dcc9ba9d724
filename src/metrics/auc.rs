//! Weighted ROC curve and the area under it, equal to scikit-learn's
//! `roc_curve(y, s, sample_weight=w)` and `roc_auc_score(y, s, sample_weight=w)`.
//!
//! Sort the events by descending score. Each distinct score t is one threshold; at it
//!
//! ```text
//! TP(t) = sum_{y_i = 1, s_i >= t} w_i      FP(t) = sum_{y_i = 0, s_i >= t} w_i
//! tpr(t) = TP(t) / TP_total                fpr(t) = FP(t) / FP_total
//! ```
//!
//! The curve starts at (0, 0) (threshold +inf) and visits the thresholds from the highest
//! score down, ending at (1, 1). Tied scores are one threshold, so a tie between classes
//! is a straight segment (the trapezoid through the tie, worth half the pair). The area
//! is the trapezoid sum
//!
//! ```text
//! AUC = sum_k (fpr_k - fpr_{k-1}) (tpr_k + tpr_{k-1}) / 2,
//! ```
//!
//! which equals the weighted pair count
//! `sum_{i pos, j neg} w_i w_j ([s_i > s_j] + [s_i == s_j] / 2) / (TP_total FP_total)`.
//!
//! Weights: negative weights enter every sum with their sign, so the curve may step
//! backwards (a negative-weight background event makes fpr decrease) and may leave the
//! unit square; the area is still the trapezoid sum above, every segment signed. Here
//! rootgrad goes further than scikit-learn: `roc_auc_score` refuses a curve whose fpr
//! is not monotone ("x is neither increasing nor decreasing"); rootgrad returns the
//! trapezoid sum over scikit-learn's own `roc_curve`, which is what the golden test
//! compares against in that case. Zero-weight events are skipped and make no threshold
//! of their own (scikit-learn drops them too). A class whose total weight is <= 0
//! (including a class with no events) is an error; scikit-learn warns and returns NaN.
//!
//! Summation: TP and FP are running sums in the sorted order (descending score, ties in
//! input order), each event's weight added to its class's sum one at a time: the same
//! additions in the same order as scikit-learn's cumulative sums (`stable_cumsum` in
//! older releases, `cumulative_sum` in float64 now), so the curve's points have the same
//! bits. The totals are the last running sums. The area's terms are formed as numpy's
//! `trapezoid` forms them and added with Neumaier compensation (numpy adds them
//! pairwise); the two agree to about 1e-15 relative.

use super::{check_finite, check_len, descending_order, CompensatedSum, Label, Real};
use crate::{Error, Result};

/// The weighted ROC curve: `fpr[k]`, `tpr[k]` are the fractions of background and signal
/// weight with score >= `thresholds[k]`. Point 0 is (0, 0) at threshold `+inf`; then one
/// point per distinct score of a nonzero-weight event, highest first; the last is (1, 1).
/// No collinear points are dropped (scikit-learn's `drop_intermediate=False`).
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    pub thresholds: Vec<f64>,
}

/// Weighted area under the ROC curve of `scores` for `labels` (1/true = signal),
/// `weights` per event; see the module doc for the formula and how negative weights
/// enter.
///
/// Errors (`Error::Usage`): slices of different lengths; a NaN or infinite score or
/// weight (naming its index); a label other than 0/1; a class whose total weight is <= 0.
pub fn roc_auc<S: Real, L: Label, W: Real>(
    scores: &[S],
    labels: &[L],
    weights: &[W],
) -> Result<f64> {
    let prepared = Prepared::new("roc_auc", scores, labels, weights)?;
    // area += (fpr_k - fpr_{k-1}) (tpr_k + tpr_{k-1}) / 2, from (0, 0)
    let mut area = CompensatedSum::default();
    let (mut fpr0, mut tpr0) = (0.0, 0.0);
    prepared.walk(|_, fp, tp| {
        let fpr = fp / prepared.fp_total;
        let tpr = tp / prepared.tp_total;
        area.add((fpr - fpr0) * (tpr + tpr0) / 2.0);
        fpr0 = fpr;
        tpr0 = tpr;
    });
    Ok(area.value())
}

/// The weighted ROC curve (see [`RocCurve`]); same inputs and errors as [`roc_auc`].
pub fn roc_curve<S: Real, L: Label, W: Real>(
    scores: &[S],
    labels: &[L],
    weights: &[W],
) -> Result<RocCurve> {
    let prepared = Prepared::new("roc_curve", scores, labels, weights)?;
    let mut curve = RocCurve {
        fpr: vec![0.0],
        tpr: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    prepared.walk(|t, fp, tp| {
        curve.fpr.push(fp / prepared.fp_total);
        curve.tpr.push(tp / prepared.tp_total);
        curve.thresholds.push(t);
    });
    Ok(curve)
}

/// Checked inputs, the descending order and the class totals.
struct Prepared<'a, S, L, W> {
    scores: &'a [S],
    labels: &'a [L],
    weights: &'a [W],
    order: Vec<usize>,
    tp_total: f64,
    fp_total: f64,
}

impl<'a, S: Real, L: Label, W: Real> Prepared<'a, S, L, W> {
    fn new(metric: &str, scores: &'a [S], labels: &'a [L], weights: &'a [W]) -> Result<Self> {
        check_len(metric, "labels", labels.len(), "scores", scores.len())?;
        check_len(metric, "weights", weights.len(), "scores", scores.len())?;
        check_finite(metric, "scores", scores)?;
        check_finite(metric, "weights", weights)?;
        if let Some(i) = labels.iter().position(|l| l.is_positive().is_none()) {
            return Err(Error::Usage(format!(
                "{metric}: labels[{i}] is {}; labels must be 0 or 1 (or false/true)",
                labels[i]
            )));
        }
        let mut prepared = Prepared {
            scores,
            labels,
            weights,
            order: descending_order(scores),
            tp_total: 0.0,
            fp_total: 0.0,
        };
        // The totals are the curve's last running sums (same additions, same order).
        let (mut fp_total, mut tp_total) = (0.0, 0.0);
        prepared.walk(|_, fp, tp| {
            fp_total = fp;
            tp_total = tp;
        });
        for (total, class) in [
            (tp_total, "positive (label 1)"),
            (fp_total, "negative (label 0)"),
        ] {
            if !(total > 0.0 && total.is_finite()) {
                return Err(Error::Usage(format!(
                    "{metric}: the {class} class has total weight {total} over {} events; \
                     the ROC curve needs a finite total weight above 0 in each class",
                    scores.len()
                )));
            }
        }
        prepared.tp_total = tp_total;
        prepared.fp_total = fp_total;
        Ok(prepared)
    }

    /// Calls `at(threshold, FP, TP)` once per distinct score of the nonzero-weight events,
    /// highest first, after every event with that score has been added.
    fn walk(&self, mut at: impl FnMut(f64, f64, f64)) {
        let (mut fp, mut tp) = (0.0f64, 0.0f64);
        let mut events = self
            .order
            .iter()
            .copied()
            .filter(|&i| self.weights[i].to_f64() != 0.0)
            .peekable();
        while let Some(i) = events.next() {
            let w = self.weights[i].to_f64();
            if self.labels[i].is_positive() == Some(true) {
                tp += w;
            } else {
                fp += w;
            }
            let s = self.scores[i].to_f64();
            match events.peek() {
                Some(&next) if self.scores[next].to_f64() == s => {}
                _ => at(s, fp, tp),
            }
        }
    }
}
