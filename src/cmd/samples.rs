//! Samples named on the command line (`agreement`, `roc`, `flatness`): a tree, an
//! optional cut and weight expression, and friends, turned into the same
//! [`SampleSpec`] a run description gives (read with [`crate::data::columns`]); and the
//! flags' own parsing (`--var`, `--range`).
//!
//! `--friend [NAME=]FILE.root:TREE` attaches a friend to the sample called NAME
//! (`data`, `mc`, `signal`, `background`, `input`), or to every sample of the command
//! without a `NAME=` prefix (for samples that are the same file, selected by cuts). A
//! friend without a prefix, where there are several samples, must be one rootgrad
//! wrote: its source record is checked against each sample's trees when attached
//! ([`crate::root::provenance::check_friend`]), so it cannot silently join the wrong one.

use crate::cli::DataMcArgs;
use crate::config::{NegativeWeights, SampleSpec};
use crate::data::columns::read;
use crate::data::Sample;
use crate::expr::Expr;
use crate::progress::Progress;
use crate::root::provenance::FriendSource;
use crate::root::{RootFile, TreeSpec};
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
            _ => {
                if names.len() > 1 && !names_its_sample(f)? {
                    return Err(Error::Usage(format!(
                        "--friend `{f}` has no sample name, and it is not a friend rootgrad \
                         wrote (those record their source tree), so it would be attached to \
                         every sample ({}); say which sample it belongs to, e.g. \
                         --friend {}={f}",
                        names.join(", "),
                        names[0]
                    )));
                }
                out.push(f.clone())
            }
        }
    }
    Ok(out)
}

/// Whether every file of friend `f` carries rootgrad's source record, which the
/// attach checks against each sample's trees.
fn names_its_sample(f: &str) -> Result<bool> {
    for path in TreeSpec::parse(f).files()? {
        let file = RootFile::open(&path)?;
        if FriendSource::of_file(&file)?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
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

/// Parses `--range LO,HI`.
pub fn parse_range(s: &str) -> Result<(f64, f64)> {
    let bad = || Error::Usage(format!("--range `{s}`: give LO,HI, e.g. --range 0,1"));
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let lo: f64 = a.trim().parse().map_err(|_| bad())?;
    let hi: f64 = b.trim().parse().map_err(|_| bad())?;
    Ok((lo, hi))
}

/// One sample of a two-sample command as its flags give it: name (the `--friend`
/// prefix), tree, weight expression and own cut.
pub struct Named<'a> {
    pub name: &'a str,
    pub tree: &'a str,
    pub weight: Option<&'a str>,
    pub cut: Option<&'a str>,
}

/// Reads `vars` (and the weights) from two samples, each with its friends (split by
/// [`friends_for`] between the two names) and its own cut and-ed with the common `cut`.
pub fn read_two(
    samples: [Named; 2],
    cut: Option<&str>,
    friends: &[String],
    vars: &[Expr],
    progress: &Progress,
) -> Result<(Sample, Sample)> {
    let names = [samples[0].name, samples[1].name];
    let load = |n: &Named| {
        let s = spec(
            n.name,
            n.tree,
            friends_for(n.name, &names, friends)?,
            and_cut(cut, n.cut).as_deref(),
            n.weight,
        );
        read(&s, vars, progress)
    };
    Ok((load(&samples[0])?, load(&samples[1])?))
}

/// Reads `vars` (and the weights) from the data and the simulation samples of `a`
/// ([`read_two`]).
pub fn read_data_mc(
    a: &DataMcArgs,
    vars: &[Expr],
    progress: &Progress,
) -> Result<(Sample, Sample)> {
    read_two(
        [
            Named {
                name: "data",
                tree: &a.data,
                weight: a.data_weight.as_deref(),
                cut: a.data_cut.as_deref(),
            },
            Named {
                name: "mc",
                tree: &a.mc,
                weight: a.mc_weight.as_deref(),
                cut: a.mc_cut.as_deref(),
            },
        ],
        a.cut.as_deref(),
        &a.friends,
        vars,
        progress,
    )
}
