//! The later metrics against their references (validation/metrics_golden_more.py, run
//! by validation/metrics_golden.py): the challenge's truncated AUC, the CvM flatness on
//! the real file of ../shared/flavours, the chi2 test with its histograms, the chi2
//! survival function against scipy, and the efficiencies against numpy.interp. Each test
//! states its tolerance; every failure names its case.

use std::path::PathBuf;

use rootgrad::metrics::{
    background_efficiency_at, chi2_sf, chi2_test, cvm_flatness, signal_efficiency_at,
    truncated_auc, CvmOptions, Histogram, OutOfRange,
};
use serde_json::Value as Json;

use super::{cases, load, name, number, numbers};

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

fn labels(j: &Json) -> Vec<u8> {
    numbers(j, 0).iter().map(|&v| v as u8).collect()
}

// Golden: validation/data/metrics/truncated.json (the challenge's formula in numpy on
// sklearn.metrics.roc_curve, drop_intermediate=False). Relative 1e-12 (the areas' terms
// are the same; numpy adds them pairwise, rootgrad with compensation).
#[test]
fn truncated_auc_matches_numpy() {
    let golden = load("truncated.json");
    for case in cases(&golden) {
        let name = name(case);
        let s = numbers(&case["scores"], 0);
        let ours =
            truncated_auc(&s, &labels(&case["labels"])).unwrap_or_else(|e| panic!("{name}: {e}"));
        close(
            name,
            "truncated AUC",
            ours,
            number(&case["truncated_auc"]),
            1e-12,
        );
    }
}

/// The real file's columns, or None (skipped) when ../shared is absent, unless
/// ROOTGRAD_REQUIRE_SHARED=1, where a missing file fails.
fn flavours() -> Option<(Vec<String>, Vec<Vec<f64>>)> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/flavours/check_correlation.csv"
    ));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            if std::env::var("ROOTGRAD_REQUIRE_SHARED").as_deref() == Ok("1") {
                panic!("ROOTGRAD_REQUIRE_SHARED=1 but {}: {e}", path.display());
            }
            eprintln!("SKIPPED: {} not found", path.display());
            return None;
        }
    };
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        for (c, v) in line.split(',').enumerate() {
            cols[c].push(v.parse::<f64>().unwrap_or_else(|e| panic!("`{v}`: {e}")));
        }
    }
    Some((header, cols))
}

// Golden: validation/data/metrics/cvm.json (the README's steps, exactly with Python
// integers, stable sorts; checked there against a literal float evaluation at 1e-12).
// Relative 1e-15: rootgrad's value is the exact rational rounded within 1.5 ulp, and the
// stable sort on both sides makes the 51 repeated masses of the real file agree.
#[test]
fn cvm_flatness_matches_the_readme_steps() {
    let golden = load("cvm.json");
    let file = flavours();
    let mut real = 0;
    for case in cases(&golden) {
        let name = name(case);
        let col = |c: &str, f: &(Vec<String>, Vec<Vec<f64>>)| -> Vec<f64> {
            let k = f.0.iter().position(|h| h == c).expect("column");
            f.1[k].clone()
        };
        let mass = if case.get("source").is_some() {
            let Some(f) = &file else { continue };
            real += 1;
            col("mass", f)
        } else {
            numbers(&case["mass"], 0)
        };
        let spec = &case["prediction"];
        let pred = if let Some(c) = spec.get("column") {
            col(c.as_str().unwrap(), file.as_ref().expect("the real file"))
        } else if let Some(v) = spec.get("constant") {
            vec![v.as_f64().unwrap(); mass.len()]
        } else {
            numbers(&spec["values"], 0)
        };
        let opts = CvmOptions {
            n_neighbours: case["n_neighbours"].as_u64().unwrap() as usize,
            step: case["step"].as_u64().unwrap() as usize,
        };
        let ours = cvm_flatness(&pred, &mass, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        close(name, "CvM", ours, number(&case["cvm"]), 1e-15);
    }
    if file.is_some() {
        assert_eq!(real, 11, "cases on the real file");
    }
}

// Golden: validation/data/metrics/chi2.json (numpy.searchsorted + bincount for the
// histograms, the formula of docs/metrics.md in plain floats, scipy.stats.chi2.sf).
// Histogram contents, chi2, per-bin terms and ratios: relative 1e-12 (the same operations
// in the same order; equal in practice). p-value: relative 1e-12.
#[test]
fn chi2_test_matches_numpy_and_scipy() {
    let golden = load("chi2.json");
    for case in cases(&golden) {
        let name = name(case);
        let edges = numbers(&case["edges"], 0);
        let mode = if case["fold"].as_bool().unwrap() {
            OutOfRange::Fold
        } else {
            OutOfRange::Ignore
        };
        let fill = |v: &str, w: &str| {
            Histogram::fill(&edges, &numbers(&case[v], 0), &numbers(&case[w], 0), mode)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let data = fill("data_values", "data_weights");
        let mc = fill("mc_values", "mc_weights");
        for (what, got) in [
            ("data_sum_w", &data.sum_w),
            ("data_sum_w2", &data.sum_w2),
            ("mc_sum_w", &mc.sum_w),
            ("mc_sum_w2", &mc.sum_w2),
        ] {
            let want = numbers(&case[what], 0);
            assert_eq!(got.len(), want.len(), "{name}: {what}");
            for (k, (&o, &x)) in got.iter().zip(&want).enumerate() {
                close(name, &format!("{what}[{k}]"), o, x, 1e-12);
            }
        }
        let normalise = case["normalise"].as_bool().unwrap();
        let r = chi2_test(&data, &mc, normalise).unwrap_or_else(|e| panic!("{name}: {e}"));
        close(name, "chi2", r.chi2, number(&case["chi2"]), 1e-12);
        assert_eq!(r.ndf as u64, case["ndf"].as_u64().unwrap(), "{name}: ndf");
        close(name, "p-value", r.p_value, number(&case["p_value"]), 1e-12);
        let per_bin = numbers(&case["per_bin_chi2"], 0);
        let ratio = numbers(&case["ratio"], 0);
        let ratio_error = numbers(&case["ratio_error"], 0);
        for (k, bin) in r.per_bin.iter().enumerate() {
            close(name, &format!("chi2 bin {k}"), bin.chi2, per_bin[k], 1e-12);
            let r = bin.ratio.unwrap_or(f64::NAN);
            close(name, &format!("ratio bin {k}"), r, ratio[k], 1e-12);
            let e = bin.ratio_error.unwrap_or(f64::NAN);
            close(
                name,
                &format!("ratio error bin {k}"),
                e,
                ratio_error[k],
                1e-12,
            );
        }
    }
}

// Golden: validation/data/metrics/gamma.json: scipy.stats.chi2.sf (equal there to
// scipy.special.gammaincc(ndf/2, chi2/2) within 1e-13) and mpmath at 40 digits, over
// ndf 0.5 to 10^5 and chi2 from 1e-3 ndf to 10 ndf. Tolerances, where sf >= 1e-300
// (absolute 1e-300 below, subnormals): relative 2e-13 against mpmath (the exact value;
// rootgrad's worst is printed), relative 5e-12 against scipy (whose own error reaches
// 1.6e-12 on this grid, at ndf 3000, chi2 4500).
#[test]
fn chi2_sf_matches_scipy_and_mpmath() {
    let golden = load("gamma.json");
    let case = &cases(&golden)[0];
    let ndf = numbers(&case["ndf"], 0);
    let x = numbers(&case["chi2"], 0);
    let scipy = numbers(&case["sf"], 0);
    let exact = numbers(&case["sf_mpmath"], 0);
    let mut worst = (0.0f64, String::new());
    for k in 0..ndf.len() {
        let ours = chi2_sf(x[k], ndf[k]);
        let what = format!("chi2_sf({}, ndf {})", x[k], ndf[k]);
        if exact[k] < 1e-300 {
            assert!(
                (ours - exact[k]).abs() <= 1e-300,
                "{what}: {ours:e} vs {:e}",
                exact[k]
            );
            continue;
        }
        close(
            "chi2_sf_grid",
            &format!("{what} vs mpmath"),
            ours,
            exact[k],
            2e-13,
        );
        close(
            "chi2_sf_grid",
            &format!("{what} vs scipy"),
            ours,
            scipy[k],
            5e-12,
        );
        let rel = (ours - exact[k]).abs() / exact[k];
        if rel > worst.0 {
            worst = (rel, what);
        }
    }
    eprintln!(
        "chi2_sf: worst relative difference from mpmath {:.3e} at {}",
        worst.0, worst.1
    );
}

// Golden: validation/data/metrics/efficiency.json (numpy.interp on sklearn's roc_curve,
// drop_intermediate=False; thresholds by numpy.searchsorted). Exact up to relative 1e-12
// (the curve agrees bit for bit and the interpolation repeats numpy's operations).
#[test]
fn efficiencies_match_numpy_interp() {
    let golden = load("efficiency.json");
    for case in cases(&golden) {
        let name = name(case);
        let s = numbers(&case["scores"], 0);
        let y = labels(&case["labels"]);
        let w = numbers(&case["weights"], s.len());
        let queries = numbers(&case["background_efficiency"], 0);
        let thr = numbers(&case["threshold_at_background"], 0);
        let eff = numbers(&case["signal_efficiency_at_background"], 0);
        for (k, &b) in queries.iter().enumerate() {
            let (t, e) = signal_efficiency_at(&s, &y, &w, b).unwrap_or_else(|e| panic!("{e}"));
            close(name, &format!("threshold at bkg {b}"), t, thr[k], 1e-12);
            close(name, &format!("signal eff at bkg {b}"), e, eff[k], 1e-12);
        }
        if case.get("signal_efficiency").is_none() {
            assert!(background_efficiency_at(&s, &y, &w, 0.5).is_err(), "{name}");
            continue;
        }
        let queries = numbers(&case["signal_efficiency"], 0);
        let thr = numbers(&case["threshold_at_signal"], 0);
        let eff = numbers(&case["background_efficiency_at_signal"], 0);
        for (k, &q) in queries.iter().enumerate() {
            let (t, e) = background_efficiency_at(&s, &y, &w, q).unwrap_or_else(|e| panic!("{e}"));
            close(name, &format!("threshold at sig {q}"), t, thr[k], 1e-12);
            close(name, &format!("bkg eff at sig {q}"), e, eff[k], 1e-12);
        }
    }
}

// Golden: validation/data/metrics/ks_pvalue.json, made by validation/metrics/ks_pvalue.py
// (scipy.special.kolmogorov; scipy.stats.ks_2samp and kstwobign.sf). Issue 17 item 11:
// the overtraining figure states this p-value.
#[test]
fn ks_p_value_matches_scipy() {
    use rootgrad::metrics::ks::{effective_n, kolmogorov_sf, ks_p_value};
    use rootgrad::metrics::ks_distance;
    let golden = load("ks_pvalue.json");
    for c in golden["kolmogorov"].as_array().unwrap() {
        let (x, q) = (c["x"].as_f64().unwrap(), c["q"].as_f64().unwrap());
        close(
            &format!("x = {x}"),
            "kolmogorov_sf",
            kolmogorov_sf(x),
            q,
            1e-12,
        );
    }
    let t = &golden["two_sample"];
    let v = |k: &str| -> Vec<f64> {
        t[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let (a, b) = (v("a"), v("b"));
    let (wa, wb) = (vec![1.0; a.len()], vec![1.0; b.len()]);
    let d = ks_distance(&a, &wa, &b, &wb).unwrap();
    close("two samples", "D", d, t["d"].as_f64().unwrap(), 1e-15);
    let p = ks_p_value(d, effective_n(&wa), effective_n(&wb));
    close("two samples", "p-value", p, t["p"].as_f64().unwrap(), 1e-12);
}
