//! Data against simulation in one variable: the weighted KS distance, the chi2 test of
//! their histograms with its p-value, and both yields (events, sum of weights, events
//! with a negative weight). What `agreement` prints, and what `demo`, `report`, `sweep`,
//! `reweight` and `morph` tabulate before and after.

use serde::Serialize;

use super::{chi2_test, ks_distance, Histogram, OutOfRange};
use crate::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Yield {
    pub events: usize,
    pub sum_weights: f64,
    pub negative_events: usize,
}

/// The `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    pub var: String,
    pub ks: f64,
    /// None when the histograms leave no degree of freedom (`chi2_note` says why).
    pub chi2: Option<f64>,
    pub ndf: Option<usize>,
    pub p_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chi2_note: Option<String>,
    pub data: Yield,
    pub mc: Yield,
    pub edges: Vec<f64>,
    /// The binning of the chi2 in words ([`super::binning::describe`]).
    pub binning: String,
}

/// The histogram of `values` in `edges`, for the chi2 and the plot (values outside the
/// edges are not counted).
pub fn histogram(values: &[f64], weights: &[f64], edges: &[f64]) -> Result<Histogram> {
    Histogram::fill(edges, values, weights, OutOfRange::Ignore)
}

/// The comparison of two weighted samples of one variable.
pub fn compare(
    var: &str,
    data: (&[f64], &[f64]),
    mc: (&[f64], &[f64]),
    edges: &[f64],
) -> Result<(Agreement, Histogram, Histogram)> {
    let ks = ks_distance(data.0, data.1, mc.0, mc.1)?;
    let hd = histogram(data.0, data.1, edges)?;
    let hm = histogram(mc.0, mc.1, edges)?;
    let c = chi2_test(&hd, &hm, true);
    let y = |v: (&[f64], &[f64])| Yield {
        events: v.0.len(),
        sum_weights: v.1.iter().sum(),
        negative_events: v.1.iter().filter(|&&w| w < 0.0).count(),
    };
    Ok((
        Agreement {
            var: var.to_string(),
            ks,
            chi2: c.as_ref().ok().map(|c| c.chi2),
            ndf: c.as_ref().ok().map(|c| c.ndf),
            p_value: c.as_ref().ok().map(|c| c.p_value),
            chi2_note: c.as_ref().err().map(|e| e.to_string()),
            data: y(data),
            mc: y(mc),
            edges: edges.to_vec(),
            binning: super::binning::describe(edges),
        },
        hd,
        hm,
    ))
}

impl Agreement {
    /// The lines of a plot's metrics box.
    pub fn lines(&self) -> Vec<String> {
        let mut v = vec![format!("KS = {:.4}", self.ks)];
        if let (Some(c), Some(n), Some(p)) = (self.chi2, self.ndf, self.p_value) {
            v.push(format!("chi2/ndf = {c:.1}/{n}"));
            v.push(format!("p = {p:.3}"));
            v.push(format!("({})", self.binning));
        }
        v
    }

    /// "chi2/ndf (p = ..., binning)" or "n/a".
    pub fn chi2_text(&self) -> String {
        match (self.chi2, self.ndf, self.p_value) {
            (Some(c), Some(n), Some(p)) => {
                format!("{c:.1}/{n} (p = {p:.3}; {})", self.binning)
            }
            _ => "n/a (too few populated bins)".into(),
        }
    }

    /// chi2 / ndf, if defined.
    pub fn chi2_per_ndf(&self) -> Option<f64> {
        match (self.chi2, self.ndf) {
            (Some(c), Some(n)) if n > 0 => Some(c / n as f64),
            _ => None,
        }
    }
}
