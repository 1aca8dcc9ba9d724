//! What is checked and prepared before any network trains: the flags (variables,
//! conditioning expressions, folds), the point masses of each variable, and the number
//! of training events per quantile level.

use crate::config::{Split, Training};
use crate::reweight::branch_name;
use crate::{Error, Result};

/// A value holding at least this fraction of either sample's control-region weight
/// (|w| summed, so signed weights cannot hide one) is a point mass.
pub const POINT_MASS_FRACTION: f64 = 0.01;

/// Each fold's training events of a sample (data or simulation), off the point mass,
/// must be at least this many per quantile level.
pub const MIN_EVENTS_PER_LEVEL: usize = 20;

/// The folds of a run description: k and the fold expression.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldRule {
    pub k: usize,
    pub expression: String,
}

/// `training.folds` and `training.fold`, required: each fold's networks correct only the
/// events they never saw.
pub fn folds(t: &Training, config: &str) -> Result<FoldRule> {
    match &t.split {
        Split::Folds { k, expression, .. } => Ok(FoldRule {
            k: *k,
            expression: expression.clone(),
        }),
        Split::Fraction(_) => Err(Error::Usage(format!(
            "{config}: morph --chain needs k folds (training.folds >= 2 and training.fold): \
             each fold's networks correct only the events of that fold, which they never \
             saw; add them to [training] or give --set training.folds=5 --set \
             'training.fold=\"event % 5\"'"
        ))),
    }
}

/// The flags that only make sense together: --given needs --chain, --chain needs at
/// least one --given, no variable twice, no conditioning expression also corrected, Q
/// >= 2.
pub fn check_flags(vars: &[String], given: &[String], chain: bool, levels: usize) -> Result<()> {
    if !chain {
        if !given.is_empty() {
            return Err(Error::Usage(format!(
                "--given `{}`: conditioning expressions are for chained morphing; add \
                 --chain (or drop --given for the per-variable morph)",
                given[0]
            )));
        }
        return Ok(());
    }
    if given.is_empty() {
        return Err(Error::Usage(
            "--chain needs at least one --given EXPR, the conditioning variables (e.g. \
             --given pt --given 'abs(eta)')"
                .into(),
        ));
    }
    if levels < 2 {
        return Err(Error::Usage(format!(
            "--levels {levels}: the chain needs at least 2 quantile levels (default 21)"
        )));
    }
    let norm = |s: &str| s.split_whitespace().collect::<String>();
    for (i, v) in vars.iter().enumerate() {
        if let Some(j) = vars[..i].iter().position(|u| norm(u) == norm(v)) {
            return Err(Error::Usage(format!(
                "--var `{v}` is listed twice (--var number {} and {}); each variable is \
                 corrected once, in the order given",
                j + 1,
                i + 1
            )));
        }
        if let Some(g) = given.iter().find(|g| norm(g) == norm(v)) {
            return Err(Error::Usage(format!(
                "`{g}` is both a --given (conditioning) expression and a --var to correct; a \
                 conditioning variable stays as it is: drop one of them"
            )));
        }
    }
    for (i, g) in given.iter().enumerate() {
        if given[..i].iter().any(|u| norm(u) == norm(g)) {
            return Err(Error::Usage(format!("--given `{g}` is listed twice")));
        }
    }
    Ok(())
}

/// Where a variable's point mass sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Low,
    High,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Low => "low",
            Side::High => "high",
        }
    }
}

/// A point mass found by [`find_spike`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointMass {
    pub value: f64,
    pub side: Side,
}

/// The values of one sample holding at least [`POINT_MASS_FRACTION`] of its |w|, with
/// their fractions, in increasing order of value.
fn heavy_values(x: &[f64], w: &[f64]) -> Vec<(f64, f64)> {
    let total: f64 = w.iter().map(|v| v.abs()).sum();
    let mut idx: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_finite()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let v = x[idx[i]];
        let mut s = 0.0;
        let mut j = i;
        while j < idx.len() && x[idx[j]] == v {
            s += w[idx[j]].abs();
            j += 1;
        }
        // a run of one event is never a point mass, whatever its weight
        if j - i > 1 && total > 0.0 && s / total >= POINT_MASS_FRACTION {
            out.push((v, s / total));
        }
        i = j;
    }
    out
}

/// The point mass of variable `var` (at most one): a value holding at least
/// [`POINT_MASS_FRACTION`] of either sample's weight must be the lowest or the highest
/// value of both samples together; anywhere else it is an error naming the variable,
/// the value and its fraction.
pub fn find_spike(
    var: &str,
    data: (&[f64], &[f64]),
    mc: (&[f64], &[f64]),
) -> Result<Option<PointMass>> {
    let finite = |x: &[f64]| {
        x.iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect::<Vec<_>>()
    };
    let all: Vec<f64> = [finite(data.0), finite(mc.0)].concat();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut found: Option<PointMass> = None;
    for (sample, (x, w)) in [("domain.data", data), ("domain.mc", mc)] {
        for (v, frac) in heavy_values(x, w) {
            let side = if v == lo {
                Side::Low
            } else if v == hi {
                Side::High
            } else {
                return Err(Error::Usage(format!(
                    "--var `{var}`: the value {v} holds {:.1}% of the weight of {sample}, a \
                     point mass inside the range [{lo}, {hi}]; the chain handles a point \
                     mass only at the lowest or highest value (like isolation = 0). Correct \
                     this variable with the per-variable morph (without --chain), or \
                     transform it",
                    100.0 * frac
                )));
            };
            match found {
                Some(p) if p.value != v => {
                    return Err(Error::Usage(format!(
                        "--var `{var}`: point masses at both ends ({} and {v}); the chain \
                         handles one; use the per-variable morph for it",
                        p.value
                    )))
                }
                _ => found = Some(PointMass { value: v, side }),
            }
        }
    }
    Ok(found)
}

/// The rule of too few events: `n` training events of a fold (off the point mass) for
/// Q levels must be at least [`MIN_EVENTS_PER_LEVEL`] * Q.
pub fn check_events(var: &str, sample: &str, fold: usize, n: usize, levels: usize) -> Result<()> {
    let need = MIN_EVENTS_PER_LEVEL * levels;
    if n < need {
        return Err(Error::Usage(format!(
            "--var `{var}`: the networks of fold {fold} would train on {n} events of {sample} \
             (the other folds' control-region events, off the point mass if the variable \
             has one), fewer than {MIN_EVENTS_PER_LEVEL} per quantile level ({need} for \
             --levels {levels}); give fewer --levels, fewer folds, or a larger control region"
        )));
    }
    Ok(())
}

/// The friend branch of each variable, `<name>_morphed`, refusing two that collide.
pub fn branch_names(vars: &[String]) -> Result<Vec<String>> {
    let names: Vec<String> = vars
        .iter()
        .map(|v| format!("{}_morphed", branch_name(v)))
        .collect();
    for (i, n) in names.iter().enumerate() {
        if let Some(j) = names[..i].iter().position(|m| m == n) {
            return Err(Error::Usage(format!(
                "--var `{}` and --var `{}` both give the branch name `{n}`; morph each \
                 variable once",
                vars[j], vars[i]
            )));
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags() {
        assert!(check_flags(&s(&["a"]), &[], false, 21).is_ok());
        let e = check_flags(&s(&["a"]), &s(&["pt"]), false, 21).unwrap_err();
        assert!(e.to_string().contains("add --chain"), "{e}");
        let e = check_flags(&s(&["a"]), &[], true, 21).unwrap_err();
        assert!(e.to_string().contains("--given"), "{e}");
        let e = check_flags(&s(&["a", "b", "a "]), &s(&["pt"]), true, 21).unwrap_err();
        assert!(e.to_string().contains("`a ` is listed twice"), "{e}");
        let e = check_flags(&s(&["a", "abs(eta)"]), &s(&["abs( eta )"]), true, 21).unwrap_err();
        assert!(e.to_string().contains("both a --given"), "{e}");
        assert!(check_flags(&s(&["a"]), &s(&["pt"]), true, 1).is_err());
        assert!(check_flags(&s(&["a", "b"]), &s(&["pt", "eta"]), true, 21).is_ok());
    }

    #[test]
    fn point_masses() {
        let w = vec![1.0; 1000];
        // no mass: all distinct
        let x: Vec<f64> = (0..1000).map(|i| i as f64 * 0.1).collect();
        assert_eq!(find_spike("x", (&x, &w), (&x, &w)).unwrap(), None);
        // 30% at the bottom of the simulation only
        let mut m = x.clone();
        for v in m.iter_mut().take(300) {
            *v = -1.0;
        }
        let p = find_spike("x", (&x, &w), (&m, &w)).unwrap().unwrap();
        assert_eq!(
            p,
            PointMass {
                value: -1.0,
                side: Side::Low
            }
        );
        // at the top
        let mut m = x.clone();
        for v in m.iter_mut().skip(900) {
            *v = 500.0;
        }
        let p = find_spike("x", (&x, &w), (&m, &w)).unwrap().unwrap();
        assert_eq!(p.side, Side::High);
        // inside the range: 50 events set to 50, plus x[500] = 50: 51 of 1000 = 5.1%
        let mut m = x.clone();
        for v in m.iter_mut().skip(400).take(50) {
            *v = 50.0;
        }
        let e = find_spike("iso", (&x, &w), (&m, &w))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`iso`") && e.contains("value 50") && e.contains("5.1%"),
            "{e}"
        );
        assert!(e.contains("per-variable morph"), "{e}");
    }

    #[test]
    fn too_few() {
        assert!(check_events("x", "domain.mc", 0, 420, 21).is_ok());
        let e = check_events("x", "domain.mc", 2, 419, 21)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fold 2") && e.contains("419") && e.contains("420"),
            "{e}"
        );
    }
}
