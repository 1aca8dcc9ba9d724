//! Correlations between variables and agreement in bins of a conditioning variable: what
//! a chained (conditional) correction must fix and a per-variable one cannot.
//!
//! - [`weighted_correlation`]: the weighted Pearson correlation matrix of K columns with
//!   signed weights. With W = sum_i w_i,
//!
//!   ```text
//!   m_k    = sum_i w_i x_ik / W
//!   C_kl   = sum_i w_i (x_ik - m_k)(x_il - m_l) / W
//!   rho_kl = C_kl / sqrt(C_kk C_ll)
//!   ```
//!
//!   every sum in `f64`, in event order (two passes: the means, then the covariances).
//!   Negative weights enter with their sign (the estimate of the signed-weighted
//!   distribution's correlation). A column whose weighted variance C_kk is not > 0 (a
//!   constant column, or one that signed weights cancel) has no correlation: its row
//!   and column are NaN, diagonal included; every other entry is unaffected.
//! - [`conditional_agreement`]: one variable's data/simulation comparison
//!   ([`super::agreement::compare`]: KS, chi2/ndf) separately in each bin of a
//!   conditioning variable (e.g. |eta|), so that a mismodelling that changes sign
//!   between bins is not hidden by the average.
//!
//! Definitions in `docs/metrics.md`; goldens from numpy/scipy in
//! `validation/correlation_golden.py`, checked by `validation/metrics/correlation.rs`.

use serde::Serialize;

use super::agreement::{compare, Agreement};
use super::{check_finite, check_len};
use crate::{Error, Result};

/// The weighted Pearson correlation matrix (module doc) of `cols` (K columns of n values
/// each) with weights `w` (n values, signed): K x K, symmetric, row k = column k.
///
/// Errors (`Error::Usage`): no column; a column or `w` of another length than the first
/// column; a NaN or infinite value or weight (naming the column and index); weights
/// that sum to <= 0.
pub fn weighted_correlation(cols: &[&[f64]], w: &[f64]) -> Result<Vec<Vec<f64>>> {
    const METRIC: &str = "weighted_correlation";
    let Some(first) = cols.first() else {
        return Err(Error::Usage(format!(
            "{METRIC}: no columns given; give at least one"
        )));
    };
    let n = first.len();
    check_len(METRIC, "weights", w.len(), "column 0", n)?;
    check_finite(METRIC, "weights", w)?;
    for (k, c) in cols.iter().enumerate() {
        check_len(METRIC, &format!("column {k}"), c.len(), "column 0", n)?;
        check_finite(METRIC, &format!("column {k}"), c)?;
    }
    let sum_w: f64 = w.iter().fold(0.0, |a, &x| a + x);
    if !(sum_w > 0.0) {
        return Err(Error::Usage(format!(
            "{METRIC}: the weights of the {n} events sum to {sum_w}; a correlation needs \
             a positive sum of weights"
        )));
    }
    let means: Vec<f64> = cols
        .iter()
        .map(|c| c.iter().zip(w).fold(0.0, |a, (&x, &wi)| a + wi * x) / sum_w)
        .collect();
    let k = cols.len();
    let mut cov = vec![vec![0.0f64; k]; k];
    for a in 0..k {
        for b in a..k {
            let (ca, cb, ma, mb) = (cols[a], cols[b], means[a], means[b]);
            let mut s = 0.0f64;
            for i in 0..n {
                s += w[i] * (ca[i] - ma) * (cb[i] - mb);
            }
            cov[a][b] = s / sum_w;
            cov[b][a] = cov[a][b];
        }
    }
    let mut rho = vec![vec![f64::NAN; k]; k];
    for a in 0..k {
        for b in 0..k {
            let (va, vb) = (cov[a][a], cov[b][b]);
            if va > 0.0 && vb > 0.0 {
                rho[a][b] = if a == b {
                    1.0
                } else {
                    cov[a][b] / (va * vb).sqrt()
                };
            }
        }
    }
    Ok(rho)
}

/// The largest |a_kl - b_kl| and the Frobenius norm sqrt(sum (a_kl - b_kl)^2) of the
/// difference of two correlation matrices of the same size, over every entry (diagonal
/// included; it is 0 there unless NaN). NaN entries are skipped; `None` when the sizes
/// differ.
pub fn matrix_distance(a: &[Vec<f64>], b: &[Vec<f64>]) -> Option<(f64, f64)> {
    if a.len() != b.len() || a.iter().zip(b).any(|(r, s)| r.len() != s.len()) {
        return None;
    }
    let (mut max, mut sq) = (0.0f64, 0.0f64);
    for (r, s) in a.iter().zip(b) {
        for (&x, &y) in r.iter().zip(s) {
            let d = x - y;
            if d.is_finite() {
                max = max.max(d.abs());
                sq += d * d;
            }
        }
    }
    Some((max, sq.sqrt()))
}

/// One sample of [`conditional_agreement`]: the variable's values, the conditioning
/// variable's values and the weights, one per event.
#[derive(Debug, Clone, Copy)]
pub struct CondSample<'a> {
    pub x: &'a [f64],
    pub cond: &'a [f64],
    pub w: &'a [f64],
}

/// The comparison in one bin of the conditioning variable.
#[derive(Debug, Clone, Serialize)]
pub struct BinAgreement {
    /// The bin [lo, hi) of the conditioning variable (the last bin includes hi).
    pub lo: f64,
    pub hi: f64,
    pub data_events: usize,
    pub mc_events: usize,
    /// KS and chi2 of the bin's events; None when a sample is empty or its weights sum
    /// to <= 0 in this bin (`note` says which).
    pub agreement: Option<Agreement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl BinAgreement {
    /// The KS distance, if defined.
    pub fn ks(&self) -> Option<f64> {
        self.agreement.as_ref().map(|a| a.ks)
    }

    /// chi2 / ndf, if defined.
    pub fn chi2_per_ndf(&self) -> Option<f64> {
        self.agreement.as_ref().and_then(|a| a.chi2_per_ndf())
    }
}

/// The bin of `c` in `edges` (the histogram rule: lo <= c < hi, the last bin includes
/// its upper edge), or None outside.
fn cond_bin(edges: &[f64], c: f64) -> Option<usize> {
    let above = edges.partition_point(|&e| e <= c);
    let last = edges.len() - 2;
    if above == 0 || (above == edges.len() && c > edges[last + 1]) {
        None
    } else {
        Some((above - 1).min(last))
    }
}

/// The data/simulation comparison of variable `var` ([`compare`], histograms in
/// `x_edges`) in each bin of the conditioning variable (`cond_edges`, strictly
/// increasing, at least two). Events whose conditioning value lies outside the edges
/// are left out; the bin rule is the histograms' (lo <= c < hi, the last bin includes
/// its upper edge). A bin where a sample is empty or its weights sum to <= 0 gets no
/// comparison and a note (not an error).
///
/// Errors (`Error::Usage`): fewer than two or non-increasing `cond_edges`; a sample's
/// slices of different lengths; a NaN or infinite value, conditioning value or weight.
pub fn conditional_agreement(
    var: &str,
    data: CondSample,
    mc: CondSample,
    cond_edges: &[f64],
    x_edges: &[f64],
) -> Result<Vec<BinAgreement>> {
    const METRIC: &str = "conditional_agreement";
    if cond_edges.len() < 2
        || cond_edges.windows(2).any(|e| !(e[0] < e[1]))
        || cond_edges.iter().any(|e| !e.is_finite())
    {
        return Err(Error::Usage(format!(
            "{METRIC} of `{var}`: the conditioning bin edges {cond_edges:?} must be at \
             least two finite, strictly increasing numbers"
        )));
    }
    let nb = cond_edges.len() - 1;
    // per bin and sample: (x, w)
    let split = |s: &CondSample, which: &str| -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
        check_len(
            METRIC,
            &format!("{which} weights"),
            s.w.len(),
            "values",
            s.x.len(),
        )?;
        let what = format!("{which} conditioning values");
        check_len(METRIC, &what, s.cond.len(), "values", s.x.len())?;
        check_finite(METRIC, &format!("{which} values of `{var}`"), s.x)?;
        check_finite(METRIC, &what, s.cond)?;
        check_finite(METRIC, &format!("{which} weights"), s.w)?;
        let mut out = vec![(Vec::new(), Vec::new()); nb];
        for i in 0..s.x.len() {
            if let Some(b) = cond_bin(cond_edges, s.cond[i]) {
                out[b].0.push(s.x[i]);
                out[b].1.push(s.w[i]);
            }
        }
        Ok(out)
    };
    let d = split(&data, "data")?;
    let m = split(&mc, "simulation")?;
    let mut bins = Vec::with_capacity(nb);
    for b in 0..nb {
        let (dx, dw) = &d[b];
        let (mx, mw) = &m[b];
        let positive = |w: &[f64]| w.iter().fold(0.0, |a, &x| a + x) > 0.0;
        let note = match (positive(dw), positive(mw)) {
            (true, true) => None,
            (false, _) => Some("no data events (or weights summing to <= 0) in this bin"),
            (_, false) => Some("no simulated events (or weights summing to <= 0) in this bin"),
        };
        let agreement = match note {
            None => Some(compare(var, (dx, dw), (mx, mw), x_edges)?.0),
            Some(_) => None,
        };
        bins.push(BinAgreement {
            lo: cond_edges[b],
            hi: cond_edges[b + 1],
            data_events: dx.len(),
            mc_events: mx.len(),
            agreement,
            note: note.map(String::from),
        });
    }
    Ok(bins)
}

/// The mean over the bins with a comparison of their KS distance (None if no bin has
/// one): the single number `validation/morph_chain/compare.py` tabulates.
pub fn mean_ks(bins: &[BinAgreement]) -> Option<f64> {
    let ks: Vec<f64> = bins.iter().filter_map(BinAgreement::ks).collect();
    (!ks.is_empty()).then(|| ks.iter().sum::<f64>() / ks.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfectly_correlated_and_anticorrelated_columns() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 4.0, 6.0, 8.0];
        let c = [4.0, 3.0, 2.0, 1.0];
        let w = [1.0, 2.0, 0.5, 1.0];
        let r = weighted_correlation(&[&a, &b, &c], &w).unwrap();
        assert_eq!(r[0][0], 1.0);
        assert!((r[0][1] - 1.0).abs() < 1e-15, "{}", r[0][1]);
        assert!((r[0][2] + 1.0).abs() < 1e-15, "{}", r[0][2]);
        assert_eq!(r[1][2], r[2][1]);
    }

    #[test]
    fn constant_column_is_nan_and_others_are_kept() {
        let a = [1.0, 2.0, 3.0];
        let k = [5.0, 5.0, 5.0];
        let b = [3.0, 1.0, 2.0];
        let r = weighted_correlation(&[&a, &k, &b], &[1.0; 3]).unwrap();
        assert!(r[1].iter().all(|x| x.is_nan()));
        assert!(r[0][1].is_nan() && r[2][1].is_nan());
        assert_eq!(r[0][0], 1.0);
        // deviations (-1, 0, 1) and (1, -1, 0): covariance -1/3, variances 2/3: rho = -1/2
        assert!((r[0][2] + 0.5).abs() < 1e-15, "{}", r[0][2]);
    }

    #[test]
    fn bad_inputs_are_usage_errors_naming_what() {
        let e = weighted_correlation(&[], &[]).unwrap_err().to_string();
        assert!(e.contains("no columns"), "{e}");
        let e = weighted_correlation(&[&[1.0, 2.0], &[1.0]], &[1.0, 1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("column 1"), "{e}");
        let e = weighted_correlation(&[&[1.0, f64::NAN]], &[1.0, 1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("column 0[1]"), "{e}");
        let e = weighted_correlation(&[&[1.0, 2.0]], &[1.0, -1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("sum to 0"), "{e}");
    }

    #[test]
    fn distance_of_matrices() {
        let a = vec![vec![1.0, 0.6], vec![0.6, 1.0]];
        let b = vec![vec![1.0, 0.2], vec![0.2, 1.0]];
        let (max, fro) = matrix_distance(&a, &b).unwrap();
        assert!((max - 0.4).abs() < 1e-15);
        assert!((fro - (2.0f64 * 0.16).sqrt()).abs() < 1e-15);
        assert!(matrix_distance(&a, &b[..1]).is_none());
    }

    #[test]
    fn bins_split_events_and_empty_bins_get_a_note() {
        let x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
        let c = [0.0, 0.5, 1.0, 1.5, 2.0, 9.0];
        let w = [1.0; 6];
        let s = CondSample {
            x: &x,
            cond: &c,
            w: &w,
        };
        let edges = [0.0, 1.0, 2.0, 3.0];
        let bins = conditional_agreement("v", s, s, &edges, &[0.0, 0.5, 1.0]).unwrap();
        assert_eq!(bins.len(), 3);
        // 0.0, 0.5 | 1.0, 1.5 | 2.0 (the last bin includes 3.0 only; 2.0 is its lower edge)
        assert_eq!(
            bins.iter().map(|b| b.data_events).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(bins[0].ks(), Some(0.0));
        let empty = CondSample {
            x: &x[..2],
            cond: &c[..2],
            w: &w[..2],
        };
        let bins = conditional_agreement("v", s, empty, &edges, &[0.0, 0.5, 1.0]).unwrap();
        assert!(bins[0].agreement.is_some());
        assert!(bins[1].agreement.is_none());
        assert!(bins[1].note.as_deref().unwrap().contains("simulated"));
        let e = conditional_agreement("v", s, s, &[1.0, 1.0], &[0.0, 1.0])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`v`") && e.contains("strictly increasing"),
            "{e}"
        );
    }
}
