//! The histogram loss of histogram-restricted learning, L_H: the bin-by-bin squared
//! difference of the linearly interpolated score histograms of data and simulation.
//!
//! ```text
//! t_n = n / K, n = 0..K            (K bins, K + 1 nodes, spacing D = 1/K)
//! d_n(s) = max(0, 1 - |s - t_n| / D)
//! H^data_n = (N_data / (|B_data| W_data)) sum_{i in B_data} w_i d_n(s_i), likewise H^mc_n
//! L_H = sum_n (H^data_n - H^mc_n)^2
//! dL_H/ds_i = 2 sum_n (H^data_n - H^mc_n) (+-1) (N / (|B| W)) w_i d'_n(s_i)
//! d'_n(s) = -sign(s - t_n) / D where |s - t_n| < D, else 0 (0 at a node)
//! ```
//!
//! with + for a data event and - for a simulated one, and N, |B|, W those of the event's
//! domain. The score is s = sigmoid(z) of the classifier's logit on the domain batch:
//! the functions here take the logits and apply ds/dz = s (1 - s) inside, so the caller
//! adds every term into one dz buffer. For s in [0, 1] the d_n(s) sum to 1, so each H is a
//! normalised histogram (in expectation). Each score touches only the two nodes either
//! side of it, so a pass is O(|B|), not O(|B| K).
//!
//! The per-event work of both passes runs in blocks of [`HIST_BLOCK`] events on rayon;
//! the histogram sums stay in event order on one thread, so the values are those of the
//! one-thread references (`*_naive`) bit for bit, for any thread count.

use super::domain::DomainBatch;
use crate::{Error, Result};
use rayon::prelude::*;
use rootgrad_kernels::act::sigmoid;
use rootgrad_kernels::Real;

/// The number of bins K, checked once (K >= 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramConfig {
    bins: usize,
}

impl HistogramConfig {
    /// The default number of bins, 10.
    pub const DEFAULT_BINS: usize = 10;

    /// The most bins a histogram loss may have.
    pub const MAX_BINS: usize = 1_000_000;

    /// `key` names the configuration key in the error (e.g. "histogram_bins").
    pub fn new(key: &str, bins: usize) -> Result<Self> {
        if bins == 0 {
            return Err(Error::Usage(format!(
                "{key} = 0: the histogram loss needs at least 1 bin (default {})",
                Self::DEFAULT_BINS
            )));
        }
        if bins > Self::MAX_BINS {
            return Err(Error::Usage(format!(
                "{key} = {bins}: too many histogram bins (at most {})",
                Self::MAX_BINS
            )));
        }
        Ok(HistogramConfig { bins })
    }

    /// K.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// K + 1, the length of each histogram.
    pub fn nodes(&self) -> usize {
        self.bins + 1
    }

    /// Calls `f(n, d_n(s), d'_n(s))` for each node n with d_n(s) > 0. Only the nodes
    /// j - 1 ..= j + 2 around j = floor(s K) are looked at (two have weight, the outer
    /// two are there so that rounding in s K never drops a node the definition counts),
    /// so a pass is O(1) per score whatever K. The formulas are the module doc's,
    /// evaluated as `1 - |s - t_n| / D` with t_n = n / K and D = 1 / K so they match the
    /// reference (relu(1 - |s - t| / D)) operation for operation.
    #[inline]
    pub(crate) fn for_each_node<T: Real>(&self, s: T, mut f: impl FnMut(usize, T, T)) {
        let k = self.bins as f64;
        let u = s.to_f64() * k;
        // NaN and scores further than D outside [0, 1] touch no node.
        if !(u > -1.0 && u < k + 1.0) {
            return;
        }
        let j = u.floor() as i64;
        let d = T::from_f64(1.0 / k); // D
        let inv_d = T::ONE / d; // 1 / D
        for n in j - 1..=j + 2 {
            if n < 0 || n > self.bins as i64 {
                continue;
            }
            let t = T::from_f64(n as f64 / k); // t_n
            let dist = (s - t).abs() / d; // |s - t_n| / D
            if dist < T::ONE {
                // d'_n(s) = -sign(s - t_n) / D, 0 at the node itself
                let slope = if s > t {
                    -inv_d
                } else if s < t {
                    inv_d
                } else {
                    T::ZERO
                };
                f(n as usize, T::ONE - dist, slope);
            }
        }
    }

    /// acc_n += w_i d_n(s_i) for every i with `select(i)`, s_i = sigmoid(z_i); returns
    /// the number of selected events.
    pub(crate) fn accumulate<T: Real>(
        &self,
        acc: &mut [f64],
        z: &[T],
        w: &[T],
        mut select: impl FnMut(usize) -> bool,
    ) -> usize {
        let mut count = 0;
        for i in 0..z.len() {
            if !select(i) {
                continue;
            }
            count += 1;
            let s = sigmoid(z[i]);
            self.for_each_node(s, |n, dn, _| acc[n] += (w[i] * dn).to_f64());
        }
        count
    }
}

/// The two histograms of the last [`histogram_forward`], H^data_n and H^mc_n (K + 1
/// values each, normalised): the saved buffer of the backward pass, and what the report
/// plots.
#[derive(Debug, Clone, PartialEq)]
pub struct Histograms {
    pub data: Vec<f64>,
    pub mc: Vec<f64>,
}

impl Histograms {
    pub fn new(cfg: &HistogramConfig) -> Self {
        Histograms {
            data: vec![0.0; cfg.nodes()],
            mc: vec![0.0; cfg.nodes()],
        }
    }
}

/// Rows per parallel task of [`histogram_forward`] and [`histogram_backward`].
pub const HIST_BLOCK: usize = 512;

/// Batches of fewer events than this run both passes on the calling thread: below it,
/// waking the pool twice costs about what the parallel passes save.
pub const HIST_PARALLEL_MIN: usize = 8 * HIST_BLOCK;

/// One score's contributions to the histogram sums: `(n, w_i d_n(s_i))` for up to four
/// nodes, in node order (`len` used).
#[derive(Debug, Clone, Copy, Default)]
struct Touch {
    node: [u32; 4],
    wd: [f64; 4],
    len: u8,
}

/// The contributions of rows `z`, `w` (one block), computed from the score alone.
fn touches<T: Real>(cfg: &HistogramConfig, z: &[T], w: &[T]) -> Vec<Touch> {
    z.iter()
        .zip(w)
        .map(|(&zi, &wi)| {
            let mut t = Touch::default();
            let s = sigmoid(zi);
            cfg.for_each_node(s, |n, dn, _| {
                let k = t.len as usize;
                if k < 4 {
                    t.node[k] = n as u32;
                    // w_i d_n(s_i), rounded as the accumulation rounds it
                    t.wd[k] = (wi * dn).to_f64();
                    t.len += 1;
                }
            });
            t
        })
        .collect()
}

/// Fills `hist` with H^data and H^mc and returns L_H = sum_n (H^data_n - H^mc_n)^2.
///
/// The per-event work (the score, its nodes and weights) runs in blocks of
/// [`HIST_BLOCK`] rows on rayon (from [`HIST_PARALLEL_MIN`] events on); the sums then
/// run on the calling thread in event order, as [`histogram_forward_naive`] sums them,
/// so the result is the same bit for bit for any thread count.
pub fn histogram_forward<T: Real>(
    hist: &mut Histograms,
    z: &[T],
    w: &[T],
    label: &[T],
    cfg: &HistogramConfig,
    norm: &DomainBatch,
) -> f64 {
    // z, w, label are (|B|,) over the domain batch (label 1 data, 0 simulation);
    // hist.data, hist.mc are (K + 1,)
    norm.check_lengths(z.len(), w.len(), label.len());
    assert_eq!(hist.data.len(), cfg.nodes(), "histogram: hist.data length");
    assert_eq!(hist.mc.len(), cfg.nodes(), "histogram: hist.mc length");
    hist.data.fill(0.0);
    hist.mc.fill(0.0);
    let blocks: Vec<Vec<Touch>> = if z.len() < HIST_PARALLEL_MIN {
        vec![touches(cfg, z, w)]
    } else {
        z.par_chunks(HIST_BLOCK)
            .zip(w.par_chunks(HIST_BLOCK))
            .map(|(zb, wb)| touches(cfg, zb, wb))
            .collect()
    };
    // acc_n += w_i d_n(s_i), data events into H^data, simulated ones into H^mc, in
    // event order
    let rows = blocks.iter().flatten().zip(label);
    for (t, &l) in rows {
        let acc = if l == T::ONE {
            &mut hist.data
        } else {
            &mut hist.mc
        };
        for k in 0..t.len as usize {
            acc[t.node[k] as usize] += t.wd[k];
        }
    }
    normalise_and_compare(hist, cfg, norm)
}

/// H *= N / (|B| W) per domain; returns L_H.
fn normalise_and_compare(hist: &mut Histograms, cfg: &HistogramConfig, norm: &DomainBatch) -> f64 {
    let (d, m) = (&norm.data, &norm.mc);
    let norm_data = d.n_set / (d.batch_len * d.w_set); // N_data / (|B_data| W_data)
    let norm_mc = m.n_set / (m.batch_len * m.w_set); // N_mc / (|B_mc| W_mc)
    let mut loss = 0.0f64;
    for n in 0..cfg.nodes() {
        hist.data[n] *= norm_data;
        hist.mc[n] *= norm_mc;
        let diff = hist.data[n] - hist.mc[n];
        loss += diff * diff;
    }
    loss
}

/// The reference of [`histogram_forward`]: one pass per domain, on one thread.
pub fn histogram_forward_naive<T: Real>(
    hist: &mut Histograms,
    z: &[T],
    w: &[T],
    label: &[T],
    cfg: &HistogramConfig,
    norm: &DomainBatch,
) -> f64 {
    norm.check_lengths(z.len(), w.len(), label.len());
    assert_eq!(hist.data.len(), cfg.nodes(), "histogram: hist.data length");
    assert_eq!(hist.mc.len(), cfg.nodes(), "histogram: hist.mc length");
    hist.data.fill(0.0);
    hist.mc.fill(0.0);
    cfg.accumulate(&mut hist.data, z, w, |i| label[i] == T::ONE);
    cfg.accumulate(&mut hist.mc, z, w, |i| label[i] != T::ONE);
    normalise_and_compare(hist, cfg, norm)
}

/// dz_i += scale * dL_H/dz_i, from the histograms `hist` of the forward pass on the same
/// batch. Each event's gradient depends on its own score and the histograms only, so
/// blocks of [`HIST_BLOCK`] rows run on rayon (from [`HIST_PARALLEL_MIN`] events on)
/// with the same bits as on one thread.
#[allow(clippy::too_many_arguments)]
pub fn histogram_backward<T: Real>(
    dz: &mut [T],
    z: &[T],
    w: &[T],
    label: &[T],
    hist: &Histograms,
    cfg: &HistogramConfig,
    norm: &DomainBatch,
    scale: f64,
) {
    // dz, z, w, label are (|B|,); hist.data, hist.mc are (K + 1,)
    norm.check_lengths(z.len(), w.len(), label.len());
    assert_eq!(dz.len(), z.len(), "histogram: dz and z lengths differ");
    assert_eq!(hist.data.len(), cfg.nodes(), "histogram: hist.data length");
    assert_eq!(hist.mc.len(), cfg.nodes(), "histogram: hist.mc length");
    if z.len() < HIST_PARALLEL_MIN {
        backward_rows(dz, z, w, label, hist, cfg, norm, scale);
        return;
    }
    dz.par_chunks_mut(HIST_BLOCK)
        .zip(z.par_chunks(HIST_BLOCK))
        .zip(w.par_chunks(HIST_BLOCK))
        .zip(label.par_chunks(HIST_BLOCK))
        .for_each(|(((d, zb), wb), lb)| backward_rows(d, zb, wb, lb, hist, cfg, norm, scale));
}

/// The reference of [`histogram_backward`]: every row on the calling thread.
#[allow(clippy::too_many_arguments)]
pub fn histogram_backward_naive<T: Real>(
    dz: &mut [T],
    z: &[T],
    w: &[T],
    label: &[T],
    hist: &Histograms,
    cfg: &HistogramConfig,
    norm: &DomainBatch,
    scale: f64,
) {
    norm.check_lengths(z.len(), w.len(), label.len());
    assert_eq!(dz.len(), z.len(), "histogram: dz and z lengths differ");
    backward_rows(dz, z, w, label, hist, cfg, norm, scale);
}

/// dz_i += scale * dL_H/dz_i for the rows given (any contiguous part of the batch).
#[allow(clippy::too_many_arguments)]
fn backward_rows<T: Real>(
    dz: &mut [T],
    z: &[T],
    w: &[T],
    label: &[T],
    hist: &Histograms,
    cfg: &HistogramConfig,
    norm: &DomainBatch,
    scale: f64,
) {
    let (d, m) = (&norm.data, &norm.mc);
    let norm_data = d.n_set / (d.batch_len * d.w_set); // N_data / (|B_data| W_data)
    let norm_mc = m.n_set / (m.batch_len * m.w_set); // N_mc / (|B_mc| W_mc)
    for i in 0..z.len() {
        // dH^data_n/ds_i = +norm_data w_i d'_n(s_i); dH^mc_n/ds_i = -(-norm_mc w_i d'_n(s_i))
        // folded into one signed factor: + for data, - for simulation
        let signed_norm = if label[i] == T::ONE {
            norm_data
        } else {
            -norm_mc
        };
        let s = sigmoid(z[i]);
        // g = sum_n (H^data_n - H^mc_n) d'_n(s_i), over the two nodes around s_i
        let mut g = 0.0f64;
        cfg.for_each_node(s, |n, _, slope| {
            g += (hist.data[n] - hist.mc[n]) * slope.to_f64();
        });
        // dL_H/ds_i = 2 (+-norm) w_i g
        let dl_ds = 2.0 * signed_norm * w[i].to_f64() * g;
        // ds_i/dz_i = s_i (1 - s_i)
        let ds_dz = (s * (T::ONE - s)).to_f64();
        dz[i] += T::from_f64(scale * dl_ds * ds_dz);
    }
}
