//! The default binning of a data/simulation comparison ([`super::agreement::compare`]):
//! equal bins over a given range, or over the bulk of the pooled values, so that one
//! rule serves `agreement`, `report`, `sweep`, `demo`, `reweight` and `morph`.

use crate::{Error, Result};

/// Bin edges for a variable: `bins` equal bins over `range`, or, without a range, from
/// the 0.1% to the 99.9% quantile of the pooled values (unweighted), so that default
/// values such as -999 do not squeeze the distribution into one bin; when every value
/// lies in [0, 1] (a score) and those quantiles span more than half of it, over [0, 1]. Values outside
/// the edges are not counted in the histograms (the KS distance uses every value).
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
