//! Samples named on the command line (`agreement`, `roc`, `flatness`): a tree, an
//! optional cut and weight expression, and friends, turned into the same
//! [`SampleSpec`] a run description gives, and read with [`crate::data::load`] in f64.
//!
//! `--friend [NAME=]FILE.root:TREE` attaches a friend to the sample called NAME
//! (`data`, `mc`, `signal`, `background`, `input`), or to every sample of the command
//! without a `NAME=` prefix (for samples that are the same file, selected by cuts).

use crate::config::{NegativeWeights, SampleSpec};
use crate::data::{load, Sample, Wanted};
use crate::expr::Expr;
use crate::progress::Progress;
use crate::{Error, Result};

/// Splits `--friend` values among the samples `names`; an unknown prefix is an error.
pub fn friends_for(name: &str, names: &[&str], friends: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in friends {
        match f.split_once('=') {
            Some((n, spec)) if !n.contains(':') && !n.contains('/') => {
                if !names.contains(&n) {
                    return Err(Error::Usage(format!(
                        "--friend `{f}`: no sample called `{n}`; use one of {} as NAME= or \
                         leave the prefix out to attach the friend to every sample",
                        names.join(", ")
                    )));
                }
                if n == name {
                    out.push(spec.to_string());
                }
            }
            _ => out.push(f.clone()),
        }
    }
    Ok(out)
}

/// A command's common `--cut` and-ed with a sample's own cut.
pub fn and_cut(common: Option<&str>, own: Option<&str>) -> Option<String> {
    match (common, own) {
        (Some(a), Some(b)) => Some(format!("({a}) && ({b})")),
        (a, b) => a.or(b).map(String::from),
    }
}

/// A sample given by flags.
pub fn spec(
    name: &str,
    tree: &str,
    friends: Vec<String>,
    cut: Option<&str>,
    weight: Option<&str>,
) -> SampleSpec {
    SampleSpec {
        key: name.to_string(),
        files: vec![tree.to_string()],
        friends,
        cut: cut.map(String::from).filter(|c| !c.trim().is_empty()),
        weight: weight
            .map(String::from)
            .filter(|w| !w.trim().is_empty())
            .unwrap_or_else(|| "1".into()),
        negative_weights: NegativeWeights::Keep,
        drop_nonfinite: false,
    }
}

/// Parses `what` (`--var`) once.
pub fn parse(flag: &str, src: &str) -> Result<Expr> {
    Expr::parse(src).map_err(|e| Error::Usage(format!("{flag}: {e}")))
}

/// Reads the values of `vars` (f64, one column per expression, row-major) and the
/// weights of a sample.
pub fn read(spec: &SampleSpec, vars: &[Expr], progress: &Progress) -> Result<Sample> {
    load(
        spec,
        &Wanted {
            features: vars,
            fold: None,
            mass: None,
            f64: true,
        },
        progress,
    )
}

/// Column `j` of a sample read with [`read`].
pub fn column(s: &Sample, j: usize) -> Vec<f64> {
    s.x64.iter().skip(j).step_by(s.width).copied().collect()
}

/// Bin edges for a variable: `bins` equal bins over `range`, or, without a range, from
/// the 0.1% to the 99.9% quantile of the pooled values (unweighted), so that default
/// values such as -999 do not squeeze the distribution into one bin; when every value
/// lies in [0, 1] (a score) and those quantiles span more than half of it, over [0, 1]. Values outside the edges are not counted
/// in the histograms (the KS distance uses every value).
pub fn auto_edges(values: &[&[f64]], bins: usize, range: Option<(f64, f64)>) -> Result<Vec<f64>> {
    if bins == 0 {
        return Err(Error::Usage("--bins 0: give at least 1 bin".into()));
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

/// Parses `--range LO,HI`.
pub fn parse_range(s: &str) -> Result<(f64, f64)> {
    let bad = || Error::Usage(format!("--range `{s}`: give LO,HI, e.g. --range 0,1"));
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let lo: f64 = a.trim().parse().map_err(|_| bad())?;
    let hi: f64 = b.trim().parse().map_err(|_| bad())?;
    Ok((lo, hi))
}
