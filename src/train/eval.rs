//! Evaluation passes of the trainer: logits of a whole set in eval mode (the passes of
//! [`crate::nn::eval`], each block of [`EVAL_ROWS`] rows standardised on its own, so
//! memory stays bounded), and the per-epoch validation numbers: each loss term on the
//! validation sets, AUC, and the data/simulation KS distance of the score.

use rootgrad_kernels::act::sigmoid;

use crate::data::sets::Set;
use crate::loss::{
    bce_forward, flatness_forward, histogram_forward, DomainNorm, FlatnessBatch, FlatnessConfig,
    FlatnessHistograms, HistogramConfig, Histograms, Normalisation,
};
use crate::nn::eval::{block_logits, EVAL_ROWS};
use crate::nn::{Network, Workspace};
use crate::Result;

/// The classifier logits of every event of a set, in eval mode: the same blocks as
/// [`crate::nn::eval::logits`] on the standardised matrix, each block standardised into one reused
/// buffer, so no standardised copy of the set is made.
pub fn set_logits(net: &Network, params: &[f32], set: &Set) -> Result<Vec<f32>> {
    let n = set.len();
    let mut out = Vec::with_capacity(n);
    let mut ws: Option<Workspace<f32>> = None;
    let mut x = Vec::new();
    let mut start = 0;
    while start < n {
        let rows = EVAL_ROWS.min(n - start);
        set.rows(start..start + rows, &mut x);
        out.extend_from_slice(block_logits(&mut ws, net, params, &x, rows)?);
        start += rows;
    }
    Ok(out)
}

/// Scores s = sigmoid(z).
pub fn scores(z: &[f32]) -> Vec<f32> {
    z.iter().map(|&v| sigmoid(v)).collect()
}

/// At most `max` events of a set, evenly spaced (`i * n / max`), so a set stored class
/// by class keeps both classes in proportion; all of them if there are fewer. A view
/// like the set itself.
pub fn subsample<'a>(set: &Set<'a>, max: usize) -> Set<'a> {
    if set.len() <= max {
        return set.clone();
    }
    let idx: Vec<u32> = (0..max).map(|i| (i * set.len() / max) as u32).collect();
    set.select(&idx)
}

/// Validation values of one epoch.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    pub classification: f64,
    pub histogram: Option<f64>,
    pub flatness: Option<f64>,
    pub auc: f64,
    pub ks: Option<f64>,
}

/// The terms of the validation loss, on whole sets (a batch of the whole set, so each
/// normalisation is N / (N W) = 1 / W).
#[allow(clippy::too_many_arguments)]
pub fn validate(
    net: &Network,
    params: &[f32],
    val: &Set,
    domain: Option<(&Set, &Set)>,
    hist: Option<&HistogramConfig>,
    flat: Option<&FlatnessConfig>,
    metric_events: usize,
) -> Result<Validation> {
    let z = set_logits(net, params, val)?;
    let norm =
        Normalisation::of_weights("validation set", &val.w)?.batch("validation set", z.len())?;
    let classification = bce_forward(&z, &val.y, &val.w, &norm);
    let flatness = match flat {
        Some(cfg) => {
            let b = FlatnessBatch::new(cfg, &val.y, &val.mass)?;
            let mut h = FlatnessHistograms::new(cfg);
            Some(flatness_forward(&mut h, &z, &val.w, &b, cfg))
        }
        None => None,
    };
    // AUC on at most `metric_events` evenly spaced events
    let (zs, ys, ws): (Vec<f32>, Vec<bool>, Vec<f32>) = if z.len() <= metric_events {
        (
            z.clone(),
            val.y.iter().map(|&y| y == 1.0).collect(),
            val.w.clone(),
        )
    } else {
        let pick = |i: usize| i * z.len() / metric_events;
        (
            (0..metric_events).map(|i| z[pick(i)]).collect(),
            (0..metric_events).map(|i| val.y[pick(i)] == 1.0).collect(),
            (0..metric_events).map(|i| val.w[pick(i)]).collect(),
        )
    };
    let auc = crate::metrics::roc_auc(&scores(&zs), &ys, &ws).unwrap_or(f64::NAN);
    let (histogram, ks) = match domain {
        Some((data, mc)) => {
            let zd = set_logits(net, params, data)?;
            let zm = set_logits(net, params, mc)?;
            let histogram = match hist {
                Some(cfg) => {
                    let dn = DomainNorm::new(
                        Normalisation::of_weights("validation data", &data.w)?,
                        Normalisation::of_weights("validation simulation", &mc.w)?,
                    );
                    let mut z_all = zd.clone();
                    z_all.extend_from_slice(&zm);
                    let mut w_all = data.w.clone();
                    w_all.extend_from_slice(&mc.w);
                    let mut label = vec![1.0f32; zd.len()];
                    label.resize(zd.len() + zm.len(), 0.0);
                    let b = dn.batch(&label)?;
                    let mut h = Histograms::new(cfg);
                    Some(histogram_forward(&mut h, &z_all, &w_all, &label, cfg, &b))
                }
                None => None,
            };
            let sd = scores(&zd);
            let sm = scores(&zm);
            let ks = crate::metrics::ks_distance(&sd, &data.w, &sm, &mc.w).ok();
            (histogram, ks)
        }
        None => (None, None),
    };
    Ok(Validation {
        classification,
        histogram,
        flatness,
        auc,
        ks,
    })
}
