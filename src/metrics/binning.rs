//! The default binning of a data/simulation comparison ([`super::agreement::compare`]):
//! equal bins over a given range, or over the bulk of the pooled values, so that one
//! rule serves `agreement`, `report`, `sweep`, `demo`, `reweight` and `morph`.

use crate::{Error, Result};

/// The number of bins of every data/simulation comparison unless `--bins` says
/// otherwise: `agreement`, `report`, `sweep`, `demo`, `reweight` and `morph` all bin a
/// quantity the same way, so that one chi2/ndf means one thing in every table.
pub const DEFAULT_BINS: usize = 40;

/// Edges for integer values from `a` to `b` (integers) in at most `bins` bins: each bin
/// holds w = ceil((b - a + 1) / bins) consecutive integers, edges at a - 0.5 + k w.
pub fn integer_edges(a: f64, b: f64, bins: usize) -> Vec<f64> {
    let n = (b - a + 1.0).max(1.0);
    let w = (n / bins as f64).ceil().max(1.0);
    let nb = (n / w).ceil() as usize;
    (0..=nb).map(|k| a - 0.5 + k as f64 * w).collect()
}

/// The binning in words, as every output states it next to a chi2:
/// "40 equal bins from 0 to 1", or "12 bins from 0 to 30" when the widths differ.
pub fn describe(edges: &[f64]) -> String {
    let n = edges.len().saturating_sub(1);
    if n == 0 {
        return "no bins".into();
    }
    let (lo, hi) = (edges[0], edges[n]);
    let w = (hi - lo) / n as f64;
    let equal = edges
        .windows(2)
        .all(|e| ((e[1] - e[0]) - w).abs() <= 1e-9 * w.abs().max(1e-300));
    let kind = if equal { " equal" } else { "" };
    format!("{n}{kind} bins from {} to {}", short(lo), short(hi))
}

/// A bin edge in words: up to 4 decimals, trailing zeros dropped (1e-3 and below in
/// exponent form).
fn short(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Bin edges for a variable: `bins` equal bins over `range`, or, without a range, from
/// the 0.1% to the 99.9% quantile of the pooled values (unweighted), so that default
/// values such as -999 do not squeeze the distribution into one bin; when every value
/// lies in [0, 1] (a score) and those quantiles span more than half of it, over [0, 1].
/// When every value is an integer (a count: hits, vertices, jets), the bins are
/// integer-aware ([`integer_edges`]): edges on half-integers, each bin holding the same
/// number of integers, so that no bin holds one more integer than its neighbour (the
/// sawtooth of equal bins over counts). Values outside the edges are not counted in the
/// histograms (the KS distance uses every value).
pub fn auto_edges(values: &[&[f64]], bins: usize, range: Option<(f64, f64)>) -> Result<Vec<f64>> {
    if bins == 0 {
        // the command line refuses `--bins 0`; a library caller gets an error, not one edge
        return Err(Error::Usage(
            "bin edges: 0 bins asked for; give at least 1".into(),
        ));
    }
    let (lo, hi) = match range {
        Some((lo, hi)) => {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(Error::Usage(format!(
                    "--range {lo},{hi}: give LO,HI with LO < HI, e.g. --range 0,1"
                )));
            }
            (lo, hi)
        }
        None => {
            let mut all: Vec<f64> = values.iter().flat_map(|v| v.iter().copied()).collect();
            if all.is_empty() {
                return Err(Error::Usage("no values to bin".into()));
            }
            all.sort_by(f64::total_cmp);
            let (min, max) = (all[0], all[all.len() - 1]);
            let q = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
            let (a, b) = (q(0.001), q(0.999));
            if all
                .iter()
                .all(|x| x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15)
            {
                return Ok(integer_edges(a, b, bins));
            }
            if min >= 0.0 && max <= 1.0 && b - a > 0.5 {
                (0.0, 1.0)
            } else if a < b {
                (a, b)
            } else if min < max {
                (min, max)
            } else {
                (min - 0.5, min + 0.5)
            }
        }
    };
    Ok((0..=bins)
        .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
        .collect())
}
