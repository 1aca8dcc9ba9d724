//! `rootgrad morph --chain` (issue 19) end to end on a toy whose exact answer is a
//! formula, and `apply -m chain.json`.
//!
//! The toy (written here with the project's tree writer): a conditioning variable
//! pt ~ U(0, 2) and, per sample,
//!
//! ```text
//! data:  a = 0.5 pt + z,                z ~ N(0, 1)
//!        b = 0.6 z + 0.8 e,             e ~ N(0, 1)
//!        iso = 0 with p_d = 0.3 + 0.1 pt, else Exp(scale 1)
//! sim:   a = 0.9 pt + 0.3 + 1.2 z
//!        b = -0.2 z + sqrt(0.96) e
//!        iso = 0 with p_m = 0.5, else Exp(scale 1.3)
//! ```
//!
//! so b has the same N(0, 1) marginal in both samples but a different correlation with
//! a. The exact chained map (the formula the tests compare with) is
//! â = 0.5 pt + (a - 0.9 pt - 0.3) / 1.2, and with z = â - 0.5 pt,
//! b̂ = 0.6 z + 0.8 (b + 0.2 z) / sqrt(0.96); iso's spike fraction becomes p_d(pt).
//! The per-variable morph cannot change the correlation of a and b (their marginals
//! already nearly agree); the chain must.
//!
//! Tolerances: the toy has 2 x 9,000 control-region simulation events (each fold's
//! networks train on ~8,100 of the other fold, 10% held out); the statistical error of
//! a correlation is ~0.01, of a spike fraction in a quarter of the pt range ~0.01; the
//! networks' own error (finite training sets, 11 levels with linear interpolation)
//! dominates the entry-by-entry distance to the exact map. With 2 x 3,000 events the
//! rms distance for b was 0.23 and the correlation 0.50 (data 0.576): the tolerances
//! below are stated next to each assertion.

use std::path::Path;

use rootgrad::random::SplitMix64;
use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;
use rootgrad::root::write::FriendData;

use crate::workflow::{col, fails, ok, tempdir, write_tree};

/// One sample of the toy (see the module doc); `sim` picks the simulation's formulas.
fn toy(path: &Path, n: usize, seed: u64, sim: bool, first_event: i64) {
    let mut r = SplitMix64::new(&[seed, 19]);
    let (mut pt, mut a, mut b, mut iso, mut w, mut cr, mut event, mut count) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for i in 0..n {
        let p = 2.0 * r.uniform();
        let (z, e) = (r.normal(), r.normal());
        let u = r.uniform();
        let x = -(1.0 - r.uniform()).ln();
        if sim {
            a.push(0.9 * p + 0.3 + 1.2 * z);
            b.push(-0.2 * z + 0.96f64.sqrt() * e);
            iso.push(if u < 0.5 { 0.0 } else { 1.3 * x });
            w.push(0.5 + r.uniform());
        } else {
            a.push(0.5 * p + z);
            b.push(0.6 * z + 0.8 * e);
            iso.push(if u < 0.3 + 0.1 * p { 0.0 } else { x });
            w.push(1.0);
        }
        pt.push(p);
        cr.push((r.uniform() < 0.9) as i32);
        event.push(first_event + i as i64);
        count.push((r.uniform() * 4.0).floor() as i32);
    }
    write_tree(
        path,
        vec![
            col("pt", FriendData::F64(pt)),
            col("a", FriendData::F64(a)),
            col("b", FriendData::F64(b)),
            col("iso", FriendData::F64(iso)),
            col("count", FriendData::I32(count)),
            col("w", FriendData::F64(w)),
            col("cr", FriendData::I32(cr)),
            col("event", FriendData::I64(event)),
        ],
    );
}

/// Data (20,000 entries) and simulation in two files (10,000 each), and a run
/// description with 2 folds (`training` lines appended).
fn project(name: &str, training: &str) -> std::path::PathBuf {
    let d = tempdir(name);
    toy(&d.join("data.root"), 20000, 1, false, 0);
    toy(&d.join("mc_a.root"), 10000, 2, true, 0);
    toy(&d.join("mc_b.root"), 10000, 3, true, 10000);
    let cfg = format!(
        "[inputs]\nfeatures = [\"a\"]\n\n[domain]\n\
         data = {{ files = [\"data.root:Events\"], cut = \"cr == 1\", weight = \"w\" }}\n\
         mc = {{ files = [\"mc_*.root:Events\"], cut = \"cr == 1\", weight = \"w\" }}\n\n\
         [training]\nseed = 7\n{training}\n"
    );
    std::fs::write(d.join("run.toml"), cfg).expect("write config");
    d
}

const FOLDS: &str = "folds = 2\nfold = \"event % 2\"";

fn read(path: &Path, tree: &str, branch: &str) -> Vec<f64> {
    let t = open_tree(path, Some(tree)).expect("open tree");
    read_column::<f64>(&t, branch, 0..u64::MAX)
        .expect("read")
        .values
}

/// Reads branch `b` of both simulation inputs (or their friends in `dir` with tree
/// `tree` when given), in chain order.
fn mc_column(d: &Path, friend: Option<(&str, &str)>, b: &str) -> Vec<f64> {
    let mut v = Vec::new();
    for f in ["mc_a", "mc_b"] {
        v.extend(match friend {
            None => read(&d.join(format!("{f}.root")), "Events", b),
            Some((dir, tree)) => read(&d.join(format!("{dir}/{f}.{tree}.root")), tree, b),
        });
    }
    v
}

fn weighted_corr(x: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let sw: f64 = w.iter().sum();
    let mx = x.iter().zip(w).map(|(a, w)| a * w).sum::<f64>() / sw;
    let my = y.iter().zip(w).map(|(a, w)| a * w).sum::<f64>() / sw;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..x.len() {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += w[i] * dx * dy;
        sxx += w[i] * dx * dx;
        syy += w[i] * dy * dy;
    }
    sxy / (sxx * syy).sqrt()
}

const CHAIN: &[&str] = &[
    "morph",
    "run.toml",
    "--chain",
    "--var",
    "a",
    "--var",
    "b",
    "--var",
    "iso",
    "--given",
    "pt",
    "--levels",
    "11",
    "--hidden",
    "32,32",
    "--epochs",
    "30",
    "--batch-size",
    "256",
    "-q",
];

#[test]
fn chain_morph_recovers_the_exact_conditional_map_and_the_correlation() {
    let d = project("chain-exact", FOLDS);
    let mut args = CHAIN.to_vec();
    args.extend(["--out", "m"]);
    let out = ok(&args, &d);
    assert!(out.contains("a_morphed, b_morphed, iso_morphed"), "{out}");
    let (pt, a, b, iso) = (
        mc_column(&d, None, "pt"),
        mc_column(&d, None, "a"),
        mc_column(&d, None, "b"),
        mc_column(&d, None, "iso"),
    );
    let (w, cr) = (mc_column(&d, None, "w"), mc_column(&d, None, "cr"));
    let fr = Some(("m", "morph"));
    let (ah, bh, ih) = (
        mc_column(&d, fr, "a_morphed"),
        mc_column(&d, fr, "b_morphed"),
        mc_column(&d, fr, "iso_morphed"),
    );
    assert_eq!(ah.len(), 20000, "every entry of both files");
    // the exact map, entry by entry, in the control region (every entry there was
    // corrected by networks of the other fold)
    let (mut da, mut db, mut n) = (0.0, 0.0, 0.0);
    let (mut sel_a, mut sel_b, mut sel_w) = (vec![], vec![], vec![]);
    for i in 0..a.len() {
        if cr[i] != 1.0 {
            continue;
        }
        let ta = 0.5 * pt[i] + (a[i] - 0.9 * pt[i] - 0.3) / 1.2;
        let z = ta - 0.5 * pt[i];
        let tb = 0.6 * z + 0.8 * (b[i] + 0.2 * z) / 0.96f64.sqrt();
        // inside the data's range (the clamp) the map is exact up to the networks
        if ta.abs() < 2.5 && tb.abs() < 2.5 {
            da += (ah[i] - ta).powi(2);
            db += (bh[i] - tb).powi(2);
            n += 1.0;
        }
        sel_a.push(ah[i]);
        sel_b.push(bh[i]);
        sel_w.push(w[i]);
    }
    let (rms_a, rms_b) = ((da / n).sqrt(), (db / n).sqrt());
    eprintln!("chain vs exact map: rms a {rms_a:.4}, rms b {rms_b:.4}");
    // the networks' error: 0.15 of the data's unit standard deviation
    assert!(rms_a < 0.15, "a: rms distance to the exact map {rms_a}");
    assert!(rms_b < 0.15, "b: rms distance to the exact map {rms_b}");
    // the correlation of a and b: data's, 0.6 / sqrt(1 + 0.25 * 4/12) = 0.576
    let want = 0.6 / (1.0f64 + 0.25 * 4.0 / 12.0).sqrt();
    let got = weighted_corr(&sel_a, &sel_b, &sel_w);
    eprintln!("corr(a, b): chain {got:.4}, data (formula) {want:.4}");
    assert!((got - want).abs() < 0.06, "chain corr {got}, data {want}");
    // the spike fraction per bin of pt: p_d(pt) = 0.3 + 0.1 pt, averaged over the bin
    for bin in 0..4 {
        let (lo, hi) = (bin as f64 * 0.5, (bin + 1) as f64 * 0.5);
        let (mut on, mut all) = (0.0, 0.0);
        for i in 0..a.len() {
            if cr[i] == 1.0 && pt[i] >= lo && pt[i] < hi {
                all += w[i];
                if ih[i] == 0.0 {
                    on += w[i];
                }
            }
        }
        let want = 0.3 + 0.1 * (lo + hi) / 2.0;
        let got = on / all;
        eprintln!("iso spike fraction, pt in [{lo}, {hi}): {got:.4} (data {want:.4})");
        // simulation had 0.5 everywhere; statistical error ~0.01, the classifiers' ~0.02
        assert!(
            (got - want).abs() < 0.04,
            "pt [{lo}, {hi}): {got} vs {want}"
        );
    }
    // off the spike the values stay positive (the clamp to data's range)
    assert!(ih.iter().all(|v| v.is_nan() || *v >= 0.0));
    let _ = iso;

    // the per-variable morph cannot fix the correlation
    ok(
        &[
            "morph", "run.toml", "--var", "a", "--var", "b", "--out", "p", "-q",
        ],
        &d,
    );
    let fp = Some(("p", "morph"));
    let (pa, pb) = (
        mc_column(&d, fp, "a_morphed"),
        mc_column(&d, fp, "b_morphed"),
    );
    let (mut xa, mut xb, mut xw) = (vec![], vec![], vec![]);
    for i in 0..a.len() {
        if cr[i] == 1.0 {
            xa.push(pa[i]);
            xb.push(pb[i]);
            xw.push(w[i]);
        }
    }
    let per_var = weighted_corr(&xa, &xb, &xw);
    eprintln!("corr(a, b): per-variable morph {per_var:.4}");
    assert!((per_var - want).abs() > 0.5, "per-variable {per_var}");

    // morph.json
    let s = crate::workflow::json(&d.join("m/morph.json"));
    assert_eq!(s["method"], "chain");
    assert_eq!(s["folds"]["k"], 2);
    assert_eq!(s["results"].as_array().unwrap().len(), 3);

    // apply -m chain.json on each simulation file: the same bits as morph's friends
    for f in ["mc_a", "mc_b"] {
        ok(
            &[
                "apply",
                "-m",
                "m/chain.json",
                &format!("{f}.root"),
                "--output-dir",
                "ap",
                "-q",
            ],
            &d,
        );
        for br in ["a_morphed", "b_morphed", "iso_morphed"] {
            let x = read(&d.join(format!("m/{f}.morph.root")), "morph", br);
            let y = read(&d.join(format!("ap/{f}.rootgrad.root")), "rootgrad", br);
            assert_eq!(x.len(), y.len());
            for (i, (p, q)) in x.iter().zip(&y).enumerate() {
                assert_eq!(p.to_bits(), q.to_bits(), "{f} {br} entry {i}: {p} vs {q}");
            }
        }
    }
}

#[test]
fn chain_morph_is_the_same_bits_with_1_and_2_threads() {
    let d = project("chain-threads", FOLDS);
    let base = [
        "morph", "run.toml", "--chain", "--var", "a", "--var", "iso", "--given", "pt", "--levels",
        "5", "--hidden", "8", "--epochs", "3", "-q",
    ];
    for (t, out) in [("1", "t1"), ("2", "t2")] {
        let mut args = base.to_vec();
        args.extend(["--threads", t, "--out", out]);
        ok(&args, &d);
    }
    let m1 = std::fs::read(d.join("t1/chain.json")).unwrap();
    let m2 = std::fs::read(d.join("t2/chain.json")).unwrap();
    assert!(m1 == m2, "chain.json differs between 1 and 2 threads");
    for f in ["mc_a", "mc_b"] {
        for br in ["a_morphed", "iso_morphed"] {
            let x = read(&d.join(format!("t1/{f}.morph.root")), "morph", br);
            let y = read(&d.join(format!("t2/{f}.morph.root")), "morph", br);
            assert!(
                x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{f} {br}"
            );
        }
    }
}

#[test]
fn chain_morph_refuses_bad_input() {
    let d = project("chain-bad", FOLDS);
    let run = |extra: &[&str]| {
        let mut args = vec!["morph", "run.toml", "--out", "bad", "-q"];
        args.extend(extra);
        let e = fails(&args, &d);
        assert!(!d.join("bad").exists(), "{extra:?} left an output folder");
        e
    };
    let e = run(&["--var", "a", "--given", "pt"]);
    assert!(e.contains("--given `pt`") && e.contains("--chain"), "{e}");
    let e = run(&["--var", "a", "--chain"]);
    assert!(e.contains("--chain needs at least one --given"), "{e}");
    let e = run(&[
        "--var", "a", "--var", "b", "--var", "a", "--chain", "--given", "pt",
    ]);
    assert!(e.contains("--var `a` is listed twice"), "{e}");
    let e = run(&["--var", "a", "--var", "pt", "--chain", "--given", "pt"]);
    assert!(e.contains("`pt` is both a --given"), "{e}");
    let e = run(&["--var", "a", "--epochs", "3"]);
    assert!(e.contains("--epochs") && e.contains("add --chain"), "{e}");
    // too few events per level: 2 folds of ~9,000 events, 500 levels need 10,000
    let e = run(&["--var", "a", "--chain", "--given", "pt", "--levels", "500"]);
    assert!(
        e.contains("`a`")
            && e.contains("fold 0")
            && e.contains("10000")
            && e.contains("per quantile level"),
        "{e}"
    );
    // an interior point mass: count takes 0..3, each a quarter of the weight
    let e = run(&["--var", "count", "--chain", "--given", "pt"]);
    assert!(
        e.contains("`count`") && e.contains("value 1") && e.contains("per-variable morph"),
        "{e}"
    );
    // no folds
    let nf = project("chain-nofolds", "");
    let e = fails(
        &[
            "morph", "run.toml", "--chain", "--var", "a", "--given", "pt", "-q",
        ],
        &nf,
    );
    assert!(
        e.contains("training.folds") && e.contains("--set training.folds=5"),
        "{e}"
    );
    assert!(!nf.join("rootgrad-morph-run").exists());
}

#[test]
fn apply_refuses_classifier_flags_with_a_chain_model() {
    let d = project("chain-apply-flags", FOLDS);
    ok(
        &[
            "morph", "run.toml", "--chain", "--var", "a", "--given", "pt", "--levels", "5",
            "--hidden", "8", "--epochs", "1", "--out", "m", "-q",
        ],
        &d,
    );
    for flags in [
        &["--branch", "x"][..],
        &["--all-folds"],
        &["--entry-start", "5"],
    ] {
        let mut args = vec![
            "apply",
            "-m",
            "m/chain.json",
            "mc_a.root",
            "--output-dir",
            "o",
        ];
        args.extend(flags);
        let e = fails(&args, &d);
        assert!(e.contains("chain model") && e.contains(flags[0]), "{e}");
    }
}
