//! The correlation metrics against numpy/scipy (validation/correlation_golden.py, golden
//! file validation/data/metrics/correlation.json): the weighted Pearson matrix with
//! unit, positive and signed (NLO-like, sWeight-like) weights and a constant column, and
//! the per-bin agreement in bins of a conditioning variable (weighted KS, chi2 of the
//! normalised histograms, event counts, an empty bin). Every failure names its case.

use rootgrad::metrics::correlation::{conditional_agreement, weighted_correlation, CondSample};
use serde_json::Value as Json;

use super::{load, numbers};

/// `|ours - want| <= rtol * max(|ours|, |want|)`, NaN equal to NaN.
fn close(case: &str, what: &str, ours: f64, want: f64, rtol: f64) {
    if ours == want || (ours.is_nan() && want.is_nan()) {
        return;
    }
    let rel = (ours - want).abs() / ours.abs().max(want.abs());
    assert!(
        rel <= rtol,
        "case `{case}`: {what}: ours {ours:.17e}, reference {want:.17e}, relative difference {rel:.3e} > {rtol:e}"
    );
}

fn list(j: &Json) -> &Vec<Json> {
    j.as_array().expect("an array")
}

// Golden: correlation.json "correlation" (numpy, the formula of docs/metrics.md; checked
// there against np.corrcoef and np.cov(aweights) where they apply). Relative 1e-12,
// absolute 1e-14 near zero (numpy sums pairwise, rootgrad in order).
#[test]
fn weighted_correlation_matches_numpy() {
    let golden = load("correlation.json");
    for case in list(&golden["correlation"]) {
        let name = case["name"].as_str().unwrap();
        let cols: Vec<Vec<f64>> = list(&case["columns"])
            .iter()
            .map(|c| numbers(c, 0))
            .collect();
        let w = numbers(&case["weights"], 0);
        let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let rho = weighted_correlation(&refs, &w).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want: Vec<Vec<f64>> = list(&case["rho"]).iter().map(|r| numbers(r, 0)).collect();
        assert_eq!(rho.len(), want.len(), "{name}");
        for (a, (r, s)) in rho.iter().zip(&want).enumerate() {
            for (b, (&x, &y)) in r.iter().zip(s).enumerate() {
                if (x - y).abs() <= 1e-14 {
                    continue;
                }
                close(name, &format!("rho[{a}][{b}]"), x, y, 1e-12);
            }
        }
    }
}

fn sample(j: &Json) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    (
        numbers(&j["x"], 0),
        numbers(&j["cond"], 0),
        numbers(&j["w"], 0),
    )
}

// Golden: correlation.json "conditional" (np.searchsorted bins, the weighted KS of
// validation/metrics_golden.py, equal to scipy.stats.ks_2samp for unit weights, and the
// chi2 test of validation/metrics_golden_more.py with scipy.stats.chi2.sf). Relative
// 1e-12 for KS and chi2, 1e-9 for the p-value (our own chi2 survival function).
#[test]
fn conditional_agreement_matches_numpy_and_scipy() {
    let golden = load("correlation.json");
    for case in list(&golden["conditional"]) {
        let name = case["name"].as_str().unwrap();
        let (dx, dc, dw) = sample(&case["data"]);
        let (mx, mc, mw) = sample(&case["mc"]);
        let cond_edges = numbers(&case["cond_edges"], 0);
        let x_edges = numbers(&case["x_edges"], 0);
        let bins = conditional_agreement(
            "x",
            CondSample {
                x: &dx,
                cond: &dc,
                w: &dw,
            },
            CondSample {
                x: &mx,
                cond: &mc,
                w: &mw,
            },
            &cond_edges,
            &x_edges,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = list(&case["bins"]);
        assert_eq!(bins.len(), want.len(), "{name}");
        for (i, (b, w)) in bins.iter().zip(want).enumerate() {
            let what = |s: &str| format!("bin {i} {s}");
            assert_eq!(
                b.data_events as u64,
                w["data_events"].as_u64().unwrap(),
                "{name}: {}",
                what("data events")
            );
            assert_eq!(
                b.mc_events as u64,
                w["mc_events"].as_u64().unwrap(),
                "{name}: {}",
                what("mc events")
            );
            match (&b.agreement, w.get("ks")) {
                (Some(a), Some(ks)) => {
                    close(name, &what("KS"), a.ks, numbers(ks, 0)[0], 1e-12);
                    close(
                        name,
                        &what("chi2"),
                        a.chi2.unwrap(),
                        numbers(&w["chi2"], 0)[0],
                        1e-12,
                    );
                    assert_eq!(
                        a.ndf.unwrap() as u64,
                        w["ndf"].as_u64().unwrap(),
                        "{name}: {}",
                        what("ndf")
                    );
                    close(
                        name,
                        &what("p"),
                        a.p_value.unwrap(),
                        numbers(&w["p_value"], 0)[0],
                        1e-9,
                    );
                }
                (None, None) => assert!(b.note.is_some(), "{name}: {}", what("note")),
                (a, k) => panic!(
                    "{name}: {}: ours {a:?}, reference {k:?}",
                    what("comparison")
                ),
            }
        }
    }
}
