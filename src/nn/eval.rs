//! Eval-mode forward of the network: the logits (or, for a network with several
//! outputs, the `outputs` values per row, row-major) of many rows, in passes of
//! [`EVAL_ROWS`] rows with one reused [`Workspace`], dropout off. Every command that
//! scores events (`apply`, `report`, `sweep`, `reweight`, and the trainer's validation)
//! runs its rows through these functions, so a row gets the same bits wherever it is
//! scored: a row's forward pass depends on that row alone (the kernels reduce over a
//! row's own inputs in a fixed order), whatever the pass it falls in.

use super::{Mode, Network, Workspace};
use crate::Result;

/// Rows per evaluation pass: the workspace holds this many rows' activations.
pub const EVAL_ROWS: usize = 1 << 16;

/// The logits of one pass of `rows` rows of `x` ((rows, inputs) row-major): `rows *
/// outputs` values, row-major ([`Network::outputs`]; one per row for a classifier), reusing the
/// workspace in `ws` when it was made for the same number of rows.
pub fn block_logits<'w>(
    ws: &'w mut Option<Workspace<f32>>,
    net: &Network,
    params: &[f32],
    x: &[f32],
    rows: usize,
) -> Result<&'w [f32]> {
    if ws.as_ref().is_some_and(|w| w.batch() != rows) {
        *ws = None;
    }
    let w = ws.get_or_insert_with(|| Workspace::with_caching(net, rows, false));
    net.forward(w, params, x, Mode::Eval)?;
    Ok(&w.z)
}

/// The classifier logits of `x` ((n, inputs) row-major), in eval mode: `n * outputs`
/// values, row-major (one per row for a classifier).
pub fn logits(net: &Network, params: &[f32], x: &[f32]) -> Result<Vec<f32>> {
    let rows = x.len() / net.spec().inputs.max(1);
    let mut out = Vec::with_capacity(rows * net.outputs());
    logits_into(net, params, x, &mut None, &mut out)?;
    Ok(out)
}

/// [`logits`] appended to `out`, reusing the workspace in `ws` from call to call (a
/// scorer that goes chunk by chunk keeps one and allocates nothing per chunk). The
/// rows are taken in passes of [`EVAL_ROWS`] from the start of `x`, as in [`logits`].
pub fn logits_into(
    net: &Network,
    params: &[f32],
    x: &[f32],
    ws: &mut Option<Workspace<f32>>,
    out: &mut Vec<f32>,
) -> Result<()> {
    let inputs = net.spec().inputs;
    let n = x.len() / inputs.max(1);
    let mut start = 0;
    while start < n {
        let rows = EVAL_ROWS.min(n - start);
        let x = &x[start * inputs..(start + rows) * inputs];
        out.extend_from_slice(block_logits(ws, net, params, x, rows)?);
        start += rows;
    }
    Ok(())
}
