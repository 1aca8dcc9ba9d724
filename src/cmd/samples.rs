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
