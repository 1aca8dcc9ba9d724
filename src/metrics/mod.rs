//! Metrics over scores, labels and signed weights (being written).
// TEMPORARY STUB (not committed)
pub fn roc_auc<S: Copy, L: Copy, W: Copy>(_s: &[S], _l: &[L], _w: &[W]) -> crate::Result<f64> {
    Ok(0.5)
}
pub fn ks_distance<S: Copy, W: Copy>(
    _a: &[S],
    _wa: &[W],
    _b: &[S],
    _wb: &[W],
) -> crate::Result<f64> {
    Ok(0.0)
}
