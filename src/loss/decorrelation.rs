//! Decorrelation of the score from a mass, on background events (label y = 0), in the
//! two forms of the issue.
//!
//! (a) The mass adversary's weighted MSE, on the adversary head's prediction p:
//!
//! ```text
//! L_M = (N_bkg / (|B_bkg| W_bkg)) sum_{i in B_bkg} w_i (p_i - m_i)^2
//! dL_M/dp_i = (N_bkg / (|B_bkg| W_bkg)) 2 w_i (p_i - m_i)
//! ```
//!
//! with m_i the standardised mass and N_bkg, W_bkg the training set's background count
//! and weight. (b) Flatness: the histogram-loss machinery ([`super::histogram`]) between
//! the score histogram of the background events in each mass bin m and the inclusive
//! background score histogram,
//!
//! ```text
//! H^(m)_n = (N_m / (|B_m| W_m)) sum_{i in B_m} w_i d_n(s_i)
//! H^all_n = (N_bkg / (|B_bkg| W_bkg)) sum_{i in B_bkg} w_i d_n(s_i)
//! L_F = (1 / M_B) sum_{m : |B_m| > 0} sum_n (H^(m)_n - H^all_n)^2
//! dL_F/ds_i = (2 / M_B) w_i sum_n d'_n(s_i) [norm_{m(i)} (H^(m(i))_n - H^all_n) - norm_all G_n]
//! G_n = sum_{m : |B_m| > 0} (H^(m)_n - H^all_n)
//! ```
//!
//! Each background event enters its mass bin's histogram and the inclusive one, hence the
//! two terms. N_m and W_m are the training background's count and weight in bin m. A mass
//! bin with no event in the batch has no histogram and is left out of the average
//! (M_B counts the populated bins, M_B = M when every bin is populated), and a batch with
//! no background event contributes 0 to L_M and L_F: classification batches are drawn
//! without regard to class, so this is not an error.

use super::histogram::HistogramConfig;
use super::mass_bins::MassBins;
use super::Normalisation;
use crate::{Error, Result};
use rootgrad_kernels::act::sigmoid;
use rootgrad_kernels::Real;

/// L_M = norm_bkg sum_{i in B, y_i = 0} w_i (p_i - m_i)^2 (0 without background events).
pub fn mass_mse_forward<T: Real>(
    p: &[T],
    mass: &[T],
    y: &[T],
    w: &[T],
    bkg: &Normalisation,
) -> f64 {
    // p, mass, y, w are (|B|,); only events with y = 0 count
    check(p.len(), &[mass.len(), y.len(), w.len()]);
    let mut count = 0usize;
    let mut sum = 0.0f64;
    for i in 0..p.len() {
        if y[i] != T::ZERO {
            continue;
        }
        count += 1;
        let r = p[i] - mass[i]; // residual p_i - m_i
        sum += w[i].to_f64() * (r * r).to_f64();
    }
    if count == 0 {
        return 0.0;
    }
    let norm = bkg.n_set / (count as f64 * bkg.w_set); // N_bkg / (|B_bkg| W_bkg)
    norm * sum
}

/// dp_i += scale * dL_M/dp_i = scale * norm_bkg 2 w_i (p_i - m_i), background events only.
pub fn mass_mse_backward<T: Real>(
    dp: &mut [T],
    p: &[T],
    mass: &[T],
    y: &[T],
    w: &[T],
    bkg: &Normalisation,
    scale: f64,
) {
    // dp, p, mass, y, w are (|B|,)
    check(p.len(), &[dp.len(), mass.len(), y.len(), w.len()]);
    let count = y.iter().filter(|&&v| v == T::ZERO).count();
    if count == 0 {
        return;
    }
    let norm = bkg.n_set / (count as f64 * bkg.w_set); // N_bkg / (|B_bkg| W_bkg)
    let c = T::from_f64(scale * norm * 2.0); // dL/dL_M * norm * d(r^2)/dr's 2
    for i in 0..p.len() {
        if y[i] != T::ZERO {
            continue;
        }
        // d(w_i r_i^2)/dp_i = 2 w_i r_i
        dp[i] += c * w[i] * (p[i] - mass[i]);
    }
}

fn check(n: usize, others: &[usize]) {
    for &o in others {
        assert_eq!(o, n, "decorrelation: slice lengths differ");
    }
}

/// The flatness term's fixed parts, checked once: K score bins, M mass bins, and the
/// training background's count and weight per mass bin and in all.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatnessConfig {
    pub hist: HistogramConfig,
    pub bins: MassBins,
    per_bin: Vec<Normalisation>,
    all: Normalisation,
}

impl FlatnessConfig {
    /// `mass`, `w`: the training set's background events. Every mass bin must hold
    /// events of positive total weight (use fewer bins otherwise).
    pub fn new<T: Real>(
        hist: HistogramConfig,
        bins: MassBins,
        mass: &[T],
        w: &[T],
    ) -> Result<Self> {
        assert_eq!(
            mass.len(),
            w.len(),
            "flatness: mass and weight lengths differ"
        );
        let mut n = vec![0usize; bins.bins()];
        let mut sum = vec![0.0f64; bins.bins()];
        for i in 0..mass.len() {
            let x = mass[i].to_f64();
            if !x.is_finite() {
                return Err(Error::Usage(format!(
                    "flatness: training background event {i} has mass {x}"
                )));
            }
            let m = bins.bin_of(x);
            n[m] += 1;
            sum[m] += w[i].to_f64();
        }
        let mut per_bin = Vec::with_capacity(bins.bins());
        for m in 0..bins.bins() {
            let positive = sum[m].is_finite() && sum[m] > 0.0;
            if n[m] == 0 || !positive {
                return Err(Error::Usage(format!(
                    "flatness: mass bin {m} of {} holds {} training background events of \
                     total weight {}; each bin needs a positive total weight (use fewer \
                     mass bins, or equal-population edges)",
                    bins.bins(),
                    n[m],
                    sum[m]
                )));
            }
            per_bin.push(Normalisation::new("flatness mass bin", n[m], sum[m])?);
        }
        let all = Normalisation::of_weights("flatness: training background", w)?;
        Ok(FlatnessConfig {
            hist,
            bins,
            per_bin,
            all,
        })
    }

    /// The training background's N_m, W_m of mass bin m.
    pub fn bin_norm(&self, m: usize) -> &Normalisation {
        &self.per_bin[m]
    }

    /// The training background's N_bkg, W_bkg.
    pub fn all_norm(&self) -> &Normalisation {
        &self.all
    }
}

const NOT_BACKGROUND: u32 = u32::MAX;

/// One batch's mass bin per background event and the counts |B_m|, |B_bkg|.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatnessBatch {
    bin: Vec<u32>,
    count: Vec<usize>,
    count_all: usize,
}

impl FlatnessBatch {
    /// `y`, `mass` are (|B|,); background events are those with y = 0, and their masses
    /// must be finite.
    pub fn new<T: Real>(cfg: &FlatnessConfig, y: &[T], mass: &[T]) -> Result<Self> {
        assert_eq!(y.len(), mass.len(), "flatness: y and mass lengths differ");
        let mut bin = vec![NOT_BACKGROUND; y.len()];
        let mut count = vec![0usize; cfg.bins.bins()];
        let mut count_all = 0;
        for i in 0..y.len() {
            if y[i] != T::ZERO {
                continue;
            }
            let x = mass[i].to_f64();
            if !x.is_finite() {
                return Err(Error::Usage(format!(
                    "flatness: background event {i} of the batch has mass {x}"
                )));
            }
            let m = cfg.bins.bin_of(x);
            bin[i] = m as u32;
            count[m] += 1;
            count_all += 1;
        }
        Ok(FlatnessBatch {
            bin,
            count,
            count_all,
        })
    }

    /// M_B, the number of mass bins with at least one event in the batch.
    pub fn populated(&self) -> usize {
        self.count.iter().filter(|&&c| c > 0).count()
    }
}

/// H^(m) for each mass bin (row m of `bins`, (M, K + 1) row-major; zero for a bin with
/// no event in the batch) and H^all ((K + 1,)), after [`flatness_forward`].
#[derive(Debug, Clone, PartialEq)]
pub struct FlatnessHistograms {
    pub bins: Vec<f64>,
    pub all: Vec<f64>,
}

impl FlatnessHistograms {
    pub fn new(cfg: &FlatnessConfig) -> Self {
        FlatnessHistograms {
            bins: vec![0.0; cfg.bins.bins() * cfg.hist.nodes()],
            all: vec![0.0; cfg.hist.nodes()],
        }
    }
}

/// Fills `hist` and returns L_F = (1/M_B) sum_m sum_n (H^(m)_n - H^all_n)^2.
pub fn flatness_forward<T: Real>(
    hist: &mut FlatnessHistograms,
    z: &[T],
    w: &[T],
    batch: &FlatnessBatch,
    cfg: &FlatnessConfig,
) -> f64 {
    // z, w are (|B|,); hist.bins is (M, K + 1), hist.all is (K + 1,)
    let k1 = cfg.hist.nodes();
    check(z.len(), &[w.len(), batch.bin.len()]);
    assert_eq!(hist.bins.len(), cfg.bins.bins() * k1, "flatness: hist.bins");
    assert_eq!(hist.all.len(), k1, "flatness: hist.all");
    hist.bins.fill(0.0);
    hist.all.fill(0.0);
    let populated = batch.populated();
    if populated == 0 {
        return 0.0;
    }
    for i in 0..z.len() {
        let m = batch.bin[i];
        if m == NOT_BACKGROUND {
            continue;
        }
        let row = &mut hist.bins[m as usize * k1..(m as usize + 1) * k1];
        let s = sigmoid(z[i]);
        cfg.hist.for_each_node(s, |n, dn, _| {
            let wd = (w[i] * dn).to_f64(); // w_i d_n(s_i)
            row[n] += wd;
            hist.all[n] += wd;
        });
    }
    let a = cfg.all;
    let norm_all = a.n_set / (batch.count_all as f64 * a.w_set); // N_bkg / (|B_bkg| W_bkg)
    hist.all.iter_mut().for_each(|h| *h *= norm_all);
    let mut loss = 0.0f64;
    for m in 0..cfg.bins.bins() {
        if batch.count[m] == 0 {
            continue;
        }
        let b = cfg.per_bin[m];
        let norm_m = b.n_set / (batch.count[m] as f64 * b.w_set); // N_m / (|B_m| W_m)
        let row = &mut hist.bins[m * k1..(m + 1) * k1];
        for (n, h) in row.iter_mut().enumerate() {
            *h *= norm_m;
            let diff = *h - hist.all[n];
            loss += diff * diff;
        }
    }
    loss / populated as f64 // 1 / M_B
}

/// dz_i += scale * dL_F/dz_i, from the histograms of the forward pass on the same batch.
pub fn flatness_backward<T: Real>(
    dz: &mut [T],
    z: &[T],
    w: &[T],
    batch: &FlatnessBatch,
    hist: &FlatnessHistograms,
    cfg: &FlatnessConfig,
    scale: f64,
) {
    // dz, z, w are (|B|,); hist.bins is (M, K + 1), hist.all is (K + 1,)
    let k1 = cfg.hist.nodes();
    check(z.len(), &[dz.len(), w.len(), batch.bin.len()]);
    assert_eq!(hist.bins.len(), cfg.bins.bins() * k1, "flatness: hist.bins");
    assert_eq!(hist.all.len(), k1, "flatness: hist.all");
    let populated = batch.populated();
    if populated == 0 {
        return;
    }
    // G_n = sum_{populated m} (H^(m)_n - H^all_n)
    let mut g_all = vec![0.0f64; k1];
    for m in 0..cfg.bins.bins() {
        if batch.count[m] == 0 {
            continue;
        }
        for (n, g) in g_all.iter_mut().enumerate() {
            *g += hist.bins[m * k1 + n] - hist.all[n];
        }
    }
    let a = cfg.all;
    let norm_all = a.n_set / (batch.count_all as f64 * a.w_set); // N_bkg / (|B_bkg| W_bkg)
    let norm_bin: Vec<f64> = (0..cfg.bins.bins())
        .map(|m| {
            let b = cfg.per_bin[m];
            let c = batch.count[m].max(1) as f64; // unused for an empty bin
            b.n_set / (c * b.w_set) // N_m / (|B_m| W_m)
        })
        .collect();
    let inv_m = 1.0 / populated as f64; // 1 / M_B
    for i in 0..z.len() {
        let m = batch.bin[i];
        if m == NOT_BACKGROUND {
            continue;
        }
        let m = m as usize;
        let s = sigmoid(z[i]);
        // g = sum_n d'_n(s_i) [norm_m (H^(m)_n - H^all_n) - norm_all G_n]
        let mut g = 0.0f64;
        cfg.hist.for_each_node(s, |n, _, slope| {
            // through H^(m(i)): + norm_m w_i d'_n(s_i), weighted by (H^(m)_n - H^all_n)
            let own = norm_bin[m] * (hist.bins[m * k1 + n] - hist.all[n]);
            // through H^all, in every populated bin's square: - norm_all w_i d'_n(s_i)
            let inclusive = norm_all * g_all[n];
            g += slope.to_f64() * (own - inclusive);
        });
        // dL_F/ds_i = (2 / M_B) w_i g
        let dl_ds = 2.0 * inv_m * w[i].to_f64() * g;
        // ds_i/dz_i = s_i (1 - s_i)
        let ds_dz = (s * (T::ONE - s)).to_f64();
        dz[i] += T::from_f64(scale * dl_ds * ds_dz);
    }
}
