//! Signal efficiency at a fixed background efficiency and the reverse, read off the
//! weighted ROC curve ([`roc_curve`]) by linear interpolation between its vertices.
//!
//! Signal efficiency at background efficiency b (`signal_efficiency_at`): with the
//! curve's vertices (fpr_k, tpr_k), k = 0 (threshold +inf, the point (0, 0)) to the last
//! (1, 1), let j be the LAST vertex with fpr_j <= b. Then
//!
//! ```text
//! eff_sig(b) = tpr_j                                            if fpr_j == b or j is last
//!            = tpr_j + (tpr_{j+1} - tpr_j) / (fpr_{j+1} - fpr_j) (b - fpr_j)   otherwise
//! ```
//!
//! which is `numpy.interp(b, fpr, tpr)` (same operations, same bits). Where the curve is
//! vertical at fpr = b (signal gained at no background cost) this takes the top of the
//! segment, the best signal efficiency at that background efficiency. The threshold
//! returned is `thresholds[j]`: cutting at `score >= thresholds[j]` keeps a background
//! fraction fpr_j <= b (the vertex at or before the interpolated point).
//!
//! Background efficiency at signal efficiency s (`background_efficiency_at`): let k be
//! the FIRST vertex with tpr_k >= s; then fpr is interpolated on the segment (k-1, k)
//! (or is fpr_k if tpr_k == s or k == 0), i.e. `-numpy.interp(-s, -tpr[::-1],
//! -fpr[::-1])`. On a horizontal stretch at tpr = s this takes the left end, the
//! smallest background efficiency with that signal efficiency. The threshold is
//! `thresholds[k]`: cutting at `score >= thresholds[k]` keeps a signal fraction >= s.
//!
//! Weights enter as in [`roc_curve`]. A negative weight in the class on the interpolated
//! axis can make that axis step back, and then "the" working point is not defined; that
//! is an error naming the vertex (interpolate on a curve made with |w| for that class, or
//! merge the events first). Efficiencies must be in [0, 1].

use super::{roc_curve, Label, Real, RocCurve};
use crate::{Error, Result};

/// The background efficiencies of the standard working points.
pub const STANDARD_BACKGROUND_EFFICIENCIES: [f64; 3] = [0.001, 0.01, 0.1];

/// One working point: cut at `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkingPoint {
    pub background_efficiency: f64,
    pub threshold: f64,
    pub signal_efficiency: f64,
}

/// (threshold, signal efficiency) at `background_efficiency` (module doc).
///
/// Errors (`Error::Usage`): every error of [`roc_curve`]; `background_efficiency`
/// outside [0, 1] or NaN; a background false-positive rate that steps back (a
/// negative-weight background event), naming the vertex.
pub fn signal_efficiency_at<S: Real, L: Label, W: Real>(
    scores: &[S],
    labels: &[L],
    weights: &[W],
    background_efficiency: f64,
) -> Result<(f64, f64)> {
    const METRIC: &str = "signal_efficiency_at";
    check_efficiency(METRIC, "background_efficiency", background_efficiency)?;
    let curve = curve(METRIC, scores, labels, weights)?;
    signal_on_curve(METRIC, &curve, background_efficiency)
}

/// (threshold, background efficiency) at `signal_efficiency` (module doc).
///
/// Errors (`Error::Usage`): every error of [`roc_curve`]; `signal_efficiency` outside
/// [0, 1] or NaN; a true-positive rate that steps back (a negative-weight signal event),
/// naming the vertex.
pub fn background_efficiency_at<S: Real, L: Label, W: Real>(
    scores: &[S],
    labels: &[L],
    weights: &[W],
    signal_efficiency: f64,
) -> Result<(f64, f64)> {
    const METRIC: &str = "background_efficiency_at";
    check_efficiency(METRIC, "signal_efficiency", signal_efficiency)?;
    let c = curve(METRIC, scores, labels, weights)?;
    check_nondecreasing(METRIC, "tpr", &c.tpr)?;
    // the reversed, negated curve is non-decreasing in -tpr; its last vertex at or below
    // -s is the original's first vertex with tpr >= s
    let xp: Vec<f64> = c.tpr.iter().rev().map(|v| -v).collect();
    let yp: Vec<f64> = c.fpr.iter().rev().map(|v| -v).collect();
    let (j, y) = interp(-signal_efficiency, &xp, &yp);
    let k = c.tpr.len() - 1 - j;
    Ok((c.thresholds[k], -y))
}

/// The working points at [`STANDARD_BACKGROUND_EFFICIENCIES`], one curve for all three,
/// defined on the signed curve's monotone envelope: the background axis is replaced by
/// its running maximum fpr*_k = max_{i <= k} fpr_i before interpolating (module doc of
/// [`signed_working_points`]). With non-negative background weights fpr* = fpr and
/// these are [`signal_efficiency_at`]'s values. Errors: those of [`roc_curve`].
pub fn standard_working_points<S: Real, L: Label, W: Real>(
    scores: &[S],
    labels: &[L],
    weights: &[W],
) -> Result<Vec<WorkingPoint>> {
    Ok(signed_working_points(scores, labels, weights)?.0)
}

/// [`standard_working_points`], and whether the background axis stepped back (negative
/// background weights), so that the envelope differs from the curve.
///
/// With negative (NLO) background weights, tightening the cut can raise the background
/// efficiency fpr_k (a negative-weight event leaves the selection): the curve steps back
/// and "the cut with background efficiency b" may be several cuts. The working point at
/// b is taken on the envelope fpr*_k = max_{i <= k} fpr_i: j is the last vertex with
/// fpr*_j <= b, the efficiency tpr_j when fpr*_j == b (or j is last), else tpr
/// interpolated linearly in fpr* on (j, j+1); the threshold is t_j. Every vertex up to
/// j has fpr_i <= fpr*_j <= b, so cutting at t_j keeps at most b of the background, and
/// no looser cut before it ever exceeded b.
pub fn signed_working_points<S: Real, L: Label, W: Real>(
    scores: &[S],
    labels: &[L],
    weights: &[W],
) -> Result<(Vec<WorkingPoint>, bool)> {
    const METRIC: &str = "standard_working_points";
    let mut curve = curve(METRIC, scores, labels, weights)?;
    let envelope = running_max(&curve.fpr);
    let stepped_back = envelope != curve.fpr;
    curve.fpr = envelope;
    let points = STANDARD_BACKGROUND_EFFICIENCIES
        .iter()
        .map(|&b| {
            let (threshold, signal_efficiency) = signal_on_curve(METRIC, &curve, b)?;
            Ok(WorkingPoint {
                background_efficiency: b,
                threshold,
                signal_efficiency,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((points, stepped_back))
}

/// The running maximum of `v` (its non-decreasing upper envelope from the left).
pub fn running_max(v: &[f64]) -> Vec<f64> {
    let mut m = f64::NEG_INFINITY;
    v.iter()
        .map(|&x| {
            m = m.max(x);
            m
        })
        .collect()
}

fn signal_on_curve(metric: &str, c: &RocCurve, b: f64) -> Result<(f64, f64)> {
    check_nondecreasing(metric, "fpr", &c.fpr)?;
    let (j, y) = interp(b, &c.fpr, &c.tpr);
    Ok((c.thresholds[j], y))
}

fn curve<S: Real, L: Label, W: Real>(
    metric: &str,
    scores: &[S],
    labels: &[L],
    weights: &[W],
) -> Result<RocCurve> {
    roc_curve(scores, labels, weights).map_err(|e| match e {
        Error::Usage(m) => Error::Usage(m.replacen("roc_curve", metric, 1)),
        other => other,
    })
}

fn check_efficiency(metric: &str, what: &str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{metric}: {what} is {v}; an efficiency must be a number in [0, 1]"
        )))
    }
}

fn check_nondecreasing(metric: &str, axis: &str, v: &[f64]) -> Result<()> {
    match v.windows(2).position(|p| p[1] < p[0]) {
        None => Ok(()),
        Some(k) => Err(Error::Usage(format!(
            "{metric}: the ROC curve's {axis} steps back at vertex {} ({} after {}), \
             because of negative weights; a working point on that axis is not defined \
             (use |w| for that class, or merge events with equal scores first)",
            k + 1,
            v[k + 1],
            v[k]
        ))),
    }
}

/// `numpy.interp(x, xp, yp)` for non-decreasing `xp` with `xp[0] <= x <= xp[last]`,
/// also returning j, the last index with xp[j] <= x.
fn interp(x: f64, xp: &[f64], yp: &[f64]) -> (usize, f64) {
    let j = xp.partition_point(|&v| v <= x).saturating_sub(1);
    if j + 1 == xp.len() || xp[j] == x {
        return (j, yp[j]);
    }
    // numpy: slope = (y_{j+1} - y_j) / (x_{j+1} - x_j); y = slope (x - x_j) + y_j
    let slope = (yp[j + 1] - yp[j]) / (xp[j + 1] - xp[j]);
    (j, slope * (x - xp[j]) + yp[j])
}
