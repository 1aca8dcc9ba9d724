//! The metrics against scikit-learn and scipy: weighted ROC AUC and curve, weighted KS
//! distance, on the cases of validation/data/metrics/{auc,ks}.json (random, ties,
//! NLO-like and sWeight-like signed weights, 10 vs 10,000 events, all-equal scores,
//! perfect separation, one event per class, 10^5 events). Relative tolerance 1e-12;
//! every failure names its case.
//!
//! `more`: the truncated AUC, CvM flatness (on ../shared/flavours), chi2 test, chi2
//! survival function and efficiencies, each at the tolerance stated above its test.

use std::path::PathBuf;

use rootgrad::metrics::{ks_distance, roc_auc, roc_curve};
use serde_json::Value as Json;

mod correlation;
mod more;

const RTOL: f64 = 1e-12;

fn load(name: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("validation/data/metrics")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases(golden: &Json) -> &Vec<Json> {
    golden["cases"].as_array().expect("`cases` is an array")
}

fn name(case: &Json) -> &str {
    case["name"].as_str().expect("case name")
}

/// Numbers packed by the script as one string of space-separated decimals (read with
/// `str::parse`, which rounds exactly; serde_json's default parser may be one ulp off),
/// or `n` ones when the value is `null` (unit weights).
fn numbers(j: &Json, n: usize) -> Vec<f64> {
    if j.is_null() {
        return vec![1.0; n];
    }
    let text = j
        .as_str()
        .unwrap_or_else(|| panic!("not a packed string: {j}"));
    text.split_whitespace()
        .map(|v| v.parse().unwrap_or_else(|e| panic!("`{v}`: {e}")))
        .collect()
}

/// One packed number.
fn number(j: &Json) -> f64 {
    let v = numbers(j, 0);
    assert_eq!(v.len(), 1, "one number expected: {j}");
    v[0]
}

fn assert_close(case: &str, what: &str, ours: f64, want: f64) {
    let scale = ours.abs().max(want.abs()).max(1e-300);
    let rel = if ours == want {
        0.0
    } else {
        (ours - want).abs() / scale
    };
    assert!(
        rel <= RTOL,
        "case `{case}`: {what}: ours {ours:.17e}, reference {want:.17e}, relative difference {rel:.3e} > {RTOL:e}"
    );
    // shown by `cargo test metrics -- --nocapture`
    if rel > 0.0 {
        eprintln!("case `{case}`: {what}: relative difference {rel:.3e}");
    }
}

// ---- the shared generator of the two 10^5-event cases (validation/metrics_golden.py)

/// splitmix64; `uniform` is the top 53 bits / 2^53, as in the script.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (-53f64).exp2()
    }
}

/// `big_auc_events` of the script: (scores, labels, weights).
fn big_auc_events(seed: u64, n: usize) -> (Vec<f64>, Vec<u8>, Vec<f64>) {
    let mut g = SplitMix64(seed);
    let (mut s, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let label = (g.next() >> 63) as u8;
        let u = g.uniform();
        let x = if label == 1 { u.sqrt() } else { u };
        s.push((x * 4096.0).floor() / 4096.0);
        y.push(label);
        let neg = g.uniform() < 0.15;
        let u = g.uniform();
        w.push(if neg { -(0.25 + u) } else { 0.5 + u });
    }
    (s, y, w)
}

/// `big_ks_events` of the script: (data scores, data weights, mc scores, mc weights).
fn big_ks_events(seed: u64, n_data: usize, n_mc: usize) -> [Vec<f64>; 4] {
    let mut g = SplitMix64(seed);
    let (mut ds, mut dw, mut ms, mut mw) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n_data {
        let u1 = g.uniform();
        let u2 = g.uniform();
        ds.push(((u1 + u2) / 2.0 * 4096.0).floor() / 4096.0);
        dw.push(1.5 * g.uniform() - 0.3);
    }
    for _ in 0..n_mc {
        ms.push((g.uniform() * 4096.0).floor() / 4096.0);
        let neg = g.uniform() < 0.12;
        let u = g.uniform();
        mw.push(if neg { -(0.25 + u) } else { 0.5 + u });
    }
    [ds, dw, ms, mw]
}

/// The script's checksum: a sequential sum per array; must match bit for bit.
fn check_generator(case: &str, gen: &Json, arrays: &[Vec<f64>]) {
    let want = numbers(&gen["checksum"], 0);
    for (k, (a, &w)) in arrays.iter().zip(&want).enumerate() {
        let sum = a.iter().fold(0.0f64, |acc, &v| acc + v);
        assert_eq!(
            sum, w,
            "case `{case}`: generated array {k} differs from the script's"
        );
    }
}

fn seed(gen: &Json) -> u64 {
    gen["seed"].as_u64().expect("seed")
}

fn size(gen: &Json, key: &str) -> usize {
    gen[key].as_u64().expect("size") as usize
}

// ---- golden tests

// Golden: validation/data/metrics/auc.json, made by validation/metrics_golden.py
// (sklearn.metrics.roc_auc_score with sample_weight; the trapezoid of sklearn's roc_curve
// where roc_auc_score refuses a non-monotone fpr).
#[test]
fn roc_auc_matches_sklearn() {
    let golden = load("auc.json");
    for case in cases(&golden) {
        let name = name(case);
        let want = number(&case["auc"]);
        let (s, y, w) = match case.get("generator") {
            Some(gen) => {
                let (s, y, w) = big_auc_events(seed(gen), size(gen, "n"));
                let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
                check_generator(name, gen, &[s.clone(), yf, w.clone()]);
                (s, y, w)
            }
            None => {
                let s = numbers(&case["scores"], 0);
                let y: Vec<u8> = numbers(&case["labels"], 0)
                    .iter()
                    .map(|&v| v as u8)
                    .collect();
                let w = numbers(&case["weights"], s.len());
                (s, y, w)
            }
        };
        let ours = roc_auc(&s, &y, &w).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
        assert_close(name, "AUC", ours, want);
    }
}

// Golden: the "curve" entries of validation/data/metrics/auc.json, made by
// validation/metrics_golden.py (sklearn.metrics.roc_curve, drop_intermediate=False).
#[test]
fn roc_curve_matches_sklearn() {
    let golden = load("auc.json");
    let mut checked = 0;
    for case in cases(&golden).iter().filter(|c| c.get("curve").is_some()) {
        let name = name(case);
        let s = numbers(&case["scores"], 0);
        let y: Vec<bool> = numbers(&case["labels"], 0)
            .iter()
            .map(|&v| v == 1.0)
            .collect();
        let w = numbers(&case["weights"], s.len());
        let ours = roc_curve(&s, &y, &w).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
        let curve = &case["curve"];
        for (what, got) in [
            ("fpr", &ours.fpr),
            ("tpr", &ours.tpr),
            ("thresholds", &ours.thresholds),
        ] {
            let want = numbers(&curve[what], 0);
            assert_eq!(got.len(), want.len(), "case `{name}`: {what} length");
            for (k, (&o, &x)) in got.iter().zip(&want).enumerate() {
                assert_close(name, &format!("{what}[{k}]"), o, x);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 2, "cases with a stored curve");
}

// Golden: validation/data/metrics/ks.json, made by validation/metrics_golden.py
// (scipy.stats.ks_2samp(a, b).statistic for unit weights; the script's numpy
// implementation of the weighted formula, checked there against scipy, otherwise).
#[test]
fn ks_distance_matches_scipy_and_numpy() {
    let golden = load("ks.json");
    for case in cases(&golden) {
        let name = name(case);
        let want = number(&case["ks"]);
        let [ds, dw, ms, mw] = match case.get("generator") {
            Some(gen) => {
                let arrays = big_ks_events(seed(gen), size(gen, "n_data"), size(gen, "n_mc"));
                check_generator(name, gen, &arrays);
                arrays
            }
            None => {
                let ds = numbers(&case["data_scores"], 0);
                let ms = numbers(&case["mc_scores"], 0);
                let dw = numbers(&case["data_weights"], ds.len());
                let mw = numbers(&case["mc_weights"], ms.len());
                [ds, dw, ms, mw]
            }
        };
        let ours = ks_distance(&ds, &dw, &ms, &mw).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
        assert_close(name, "KS distance", ours, want);
        // f32 weights and scores where the values are exactly representable (unit weights)
        if case["data_weights"].is_null() && case.get("generator").is_none() {
            let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            let (dsf, msf) = (f(&ds), f(&ms));
            let exact = dsf.iter().zip(&ds).all(|(&a, &b)| f64::from(a) == b)
                && msf.iter().zip(&ms).all(|(&a, &b)| f64::from(a) == b);
            if exact {
                let ours32 = ks_distance(&dsf, &f(&dw), &msf, &f(&mw)).expect("f32");
                assert_eq!(ours32, ours, "case `{name}`: f32 inputs");
            }
        }
    }
}
