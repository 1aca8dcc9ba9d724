//! `rootgrad reweight` and `rootgrad morph`.
//!
//! - goldens (validation/reweight_golden.py, numpy + scikit-learn's isotonic regression,
//!   in validation/data/reweight/golden.json): weighted CDFs with positive and negative
//!   weights and ties, the isotonic fix of a non-monotone cumulative, F(x), Q(p) and the
//!   morph on a grid; the factor, its cap, the normalisations and the training scales.
//!   Tolerances: distinct values and morphed values exact; cumulative fractions and the
//!   CDF 1e-12 absolute (they lie in [0, 1]; the isotonic means are summed in another
//!   order by scikit-learn); factors and weights 1e-14 relative.
//! - a toy with a known density ratio: data N(0.4, 1.2^2), simulation N(0, 1); each
//!   fold's learned factor exp(z) against the analytic p_data / p_mc for x in
//!   [-1.5, 1.5] (the bulk): within 12% everywhere and 5% on average.
//! - end to end with the binary on ntuples written here: friend trees entry for entry
//!   (the project's reader), NaN outside the control region by default, weight_rw =
//!   w rw c with c from reweight.json, the control-region yield kept; the morph branch
//!   equal, entry by entry, to the library's T on the values read back; the report.
//! - bad inputs: exit code 2, one line naming the place, no output file.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use rootgrad::config::RunConfig;
use rootgrad::data::{Sample, SampleReport};
use rootgrad::progress::Progress;
use rootgrad::random::SplitMix64;
use rootgrad::reweight::cdf::{morph, morph_randomised, WeightedCdf};
use rootgrad::reweight::classifier;
use rootgrad::reweight::morph::jitter;
use rootgrad::reweight::{balance, factor, normalisation, Target};
use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;
use rootgrad::root::write::FriendData;
use serde_json::Value as Json;

use crate::workflow::{col, fails, json, ok, tempdir, write_tree};

fn golden() -> Json {
    json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("validation/data/reweight/golden.json"))
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn weighted_cdf_quantile_and_morph_match_numpy() {
    let g = golden();
    for c in g["cdf_cases"].as_array().expect("cases") {
        let name = c["name"].as_str().expect("name");
        let mc = WeightedCdf::new(&floats(&c["mc_x"]), &floats(&c["mc_w"]), name).unwrap();
        let data = WeightedCdf::new(&floats(&c["data_x"]), &floats(&c["data_w"]), name).unwrap();
        assert_eq!(mc.values, floats(&c["mc_values"]), "{name}: values");
        assert_eq!(
            data.values,
            floats(&c["data_values"]),
            "{name}: data values"
        );
        assert!(
            rel(mc.total, c["mc_total"].as_f64().unwrap()) < 1e-12,
            "{name}"
        );
        for (what, got, want) in [
            ("raw", &mc.raw, floats(&c["mc_raw"])),
            ("cdf", &mc.cdf, floats(&c["mc_cdf"])),
            ("data cdf", &data.cdf, floats(&c["data_cdf"])),
        ] {
            assert_eq!(got.len(), want.len());
            for (j, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!((a - b).abs() <= 1e-12, "{name} {what}[{j}]: {a} vs {b}");
            }
        }
        assert!(mc.cdf.windows(2).all(|p| p[0] <= p[1]), "{name}: monotone");
        let grid = floats(&c["grid"]);
        let f = floats(&c["mc_cdf_at_grid"]);
        let t = floats(&c["morph_at_grid"]);
        for (i, &x) in grid.iter().enumerate() {
            assert!((mc.at(x) - f[i]).abs() <= 1e-12, "{name}: F({x})");
            assert_eq!(morph(&mc, &data, x), t[i], "{name}: T({x})");
        }
    }
}

#[test]
fn factor_normalisation_and_scales_match_numpy() {
    let g = &golden()["reweight"];
    let z = floats(&g["z"]);
    let w = floats(&g["w"]);
    let m = g["max_weight"].as_f64().unwrap();
    let rw: Vec<f64> = z.iter().map(|&v| factor(v as f32, Some(m))).collect();
    for (i, (a, b)) in rw.iter().zip(floats(&g["rw"])).enumerate() {
        assert!(rel(*a, b) < 1e-14, "rw[{i}]: {a} vs {b}");
    }
    for (a, b) in z.iter().zip(floats(&g["rw_uncapped"])) {
        assert!(rel(factor(*a as f32, None), b) < 1e-14);
    }
    let dt = g["data_total"].as_f64().unwrap();
    let c_mc = normalisation(&w, &rw, Target::Mc, dt).unwrap();
    let c_data = normalisation(&w, &rw, Target::Data, dt).unwrap();
    assert!(rel(c_mc, g["c_mc"].as_f64().unwrap()) < 1e-12);
    assert!(rel(c_data, g["c_data"].as_f64().unwrap()) < 1e-12);
    for (i, b) in floats(&g["weight_rw_mc"]).iter().enumerate() {
        assert!(rel(w[i] * rw[i] * c_mc, *b) < 1e-12, "weight_rw[{i}]");
    }
    let b = floats(&g["balance_in"]);
    let (sd, sm) = balance(b[0] as usize, b[1], b[2] as usize, b[3]);
    let want = floats(&g["balance"]);
    assert!(rel(sd, want[0]) < 1e-15 && rel(sm, want[1]) < 1e-15);
}

fn sample(key: &str, x: Vec<f32>, fold: Vec<u32>) -> Sample {
    let n = x.len();
    Sample {
        key: key.into(),
        width: 1,
        x,
        x64: Vec::new(),
        w: vec![1.0; n],
        fold,
        mass: Vec::new(),
        entry: Vec::new(),
        report: SampleReport {
            sample: key.into(),
            files: Vec::new(),
            cut: None,
            weight: "1".into(),
            events: n,
            sum_weights: n as f64,
            negative_events: 0,
            negative_weight: 0.0,
            negative_weights: "keep",
            changed_events: 0,
            changed_weight: 0.0,
            nonfinite_dropped: 0,
        },
    }
}

#[test]
fn learned_factor_matches_the_density_ratio_of_two_gaussians() {
    let (mu, sigma) = (0.4f64, 1.2f64);
    let n = 100_000;
    let mut rng = SplitMix64::new(&[77]);
    let xd: Vec<f32> = (0..n).map(|_| (mu + sigma * rng.normal()) as f32).collect();
    let xm: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
    let fold: Vec<u32> = (0..n as u32).map(|i| i % 2).collect();
    let data = sample("domain.data", xd, fold.clone());
    let mc = sample("domain.mc", xm, fold);
    let cfg = RunConfig::from_str(
        r#"[inputs]
features = ["x"]
[domain]
data = { files = ["d.root:T"] }
mc = { files = ["m.root:T"] }
[network]
hidden = [32, 32]
activation = "elu"
[training]
learning_rate = 5e-3
batch_size = 1024
schedule = { kind = "exponential", gamma = 0.85 }
epochs = 30
early_stopping = 5
folds = 2
fold = "event % 2"
seed = 3
"#,
        Path::new("toy.toml"),
        &[],
    )
    .unwrap();
    let r = classifier::train(
        &cfg,
        &data,
        &mc,
        &Progress::hidden(),
        &AtomicBool::new(false),
    )
    .unwrap();
    let grid: Vec<f32> = (0..=30).map(|i| -1.5 + 0.1 * i as f32).collect();
    let log_ratio = |x: f64| -sigma.ln() - (x - mu).powi(2) / (2.0 * sigma * sigma) + x * x / 2.0;
    for m in 0..2 {
        let z = r
            .logits(&grid, &vec![m; grid.len()], &vec![false; grid.len()])
            .unwrap();
        let mut sum = 0.0;
        let mut max: f64 = 0.0;
        for (x, z) in grid.iter().zip(&z) {
            let want = log_ratio(*x as f64).exp();
            let got = factor(*z, None);
            let d = (got / want - 1.0).abs();
            sum += d;
            max = max.max(d);
            assert!(d < 0.12, "fold {m}, x = {x}: rw {got}, p_data/p_mc {want}");
        }
        let mean = sum / grid.len() as f64;
        eprintln!("two Gaussians, fold {m}: mean relative deviation {mean:.4}, max {max:.4}");
        assert!(mean < 0.05, "fold {m}: mean relative deviation {mean}");
    }
}

fn read(path: &Path, tree: &str, branch: &str) -> Vec<f64> {
    let t = open_tree(path, Some(tree)).expect("open tree");
    read_column::<f64>(&t, branch, 0..u64::MAX)
        .expect("read")
        .values
}

/// A control-region-plus-signal-region ntuple: `x` (mismodelled in simulation by
/// `shift` and `scale`), `y`, `cr` (1 in the control region), `w` (signed), `event`.
fn ntuple(path: &Path, n: usize, seed: u64, shift: f64, scale: f64, negative: f64) {
    let mut rng = SplitMix64::new(&[seed]);
    let (mut x, mut y, mut cr, mut w, mut event) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        x.push((shift + scale * rng.normal()) as f32);
        y.push(rng.normal() as f32);
        cr.push((rng.uniform() < 0.8) as i32);
        let sign = if rng.uniform() < negative { -1.0 } else { 1.0 };
        w.push(sign * (0.5 + rng.uniform()));
        event.push(seed as i64 * 100_000 + i as i64);
    }
    write_tree(
        path,
        vec![
            col("x", FriendData::F32(x)),
            col("y", FriendData::F32(y)),
            col("cr", FriendData::I32(cr)),
            col("w", FriendData::F64(w)),
            col("event", FriendData::I64(event)),
        ],
    );
}

fn project(name: &str, training: &str) -> std::path::PathBuf {
    let d = tempdir(name);
    ntuple(&d.join("data.root"), 6000, 1, 0.3, 1.1, 0.05);
    ntuple(&d.join("mc_a.root"), 3000, 2, 0.0, 1.0, 0.1);
    ntuple(&d.join("mc_b.root"), 2500, 3, 0.0, 1.0, 0.1);
    let cfg = format!(
        r#"[inputs]
features = ["x", "y"]

[domain]
data = {{ files = ["data.root:Events"], cut = "cr == 1", weight = "w" }}
mc   = {{ files = ["mc_*.root:Events"], cut = "cr == 1", weight = "w" }}

[network]
hidden = [16, 16]
activation = "elu"

[training]
learning_rate = 5e-3
batch_size = 256
epochs = 8
{training}
"#
    );
    std::fs::write(d.join("rw.toml"), cfg).expect("write config");
    d
}

#[test]
fn reweight_writes_entry_exact_friends_and_improves_agreement() {
    let d = project("reweight", "folds = 2\nfold = \"event % 2\"");
    let out = ok(
        &[
            "reweight", "rw.toml", "--out", "out", "--check", "x * x", "-q",
        ],
        &d,
    );
    assert!(out.contains("mc_a.reweight.root"), "{out}");
    let summary = json(&d.join("out/reweight.json"));
    let c = summary["normalisation"].as_f64().unwrap();
    // the summary lists every file the run wrote: both friends and the model file
    let outputs: Vec<&str> = summary["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for name in ["mc_a.reweight.root", "mc_b.reweight.root", "model.json"] {
        assert!(
            outputs.iter().any(|o| o.ends_with(name)),
            "{name} not in {outputs:?}"
        );
    }
    let mut cr_before = 0.0;
    let mut cr_after = 0.0;
    for (file, n) in [("mc_a", 3000), ("mc_b", 2500)] {
        let input = d.join(format!("{file}.root"));
        let friend = d.join(format!("out/{file}.reweight.root"));
        let rw = read(&friend, "reweight", "rw");
        let wrw = read(&friend, "reweight", "weight_rw");
        let w = read(&input, "Events", "w");
        let cr = read(&input, "Events", "cr");
        assert_eq!(rw.len(), n);
        assert_eq!(wrw.len(), n);
        for i in 0..n {
            if cr[i] == 1.0 {
                assert!(rw[i].is_finite() && rw[i] > 0.0, "{file} entry {i}");
                assert!(rel(wrw[i], w[i] * rw[i] * c) < 1e-15, "{file} entry {i}");
                cr_before += w[i];
                cr_after += wrw[i];
            } else {
                assert!(rw[i].is_nan() && wrw[i].is_nan(), "{file} entry {i}");
            }
        }
    }
    assert!(
        rel(cr_after, cr_before) < 1e-10,
        "{cr_after} vs {cr_before}"
    );
    let checks = summary["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 3);
    let x = &checks[0];
    assert_eq!(x["var"], "x");
    let (before, after) = (
        x["before"]["ks"].as_f64().unwrap(),
        x["after"]["ks"].as_f64().unwrap(),
    );
    assert!(after < 0.5 * before, "KS of x: {before} -> {after}");
    let html = std::fs::read_to_string(d.join("out/report/index.html")).unwrap();
    for j in 0..3 {
        assert!(html.contains(&format!("var_{j}_")), "figure {j}");
    }
    assert!(d.join("out/report/var_2_x_x.png").exists());

    // every entry with --apply-to all; capped; the data's yield
    ok(
        &[
            "reweight",
            "rw.toml",
            "--out",
            "all",
            "--apply-to",
            "all",
            "--max-weight",
            "1.5",
            "--normalize",
            "data",
            "-q",
        ],
        &d,
    );
    let rw = read(&d.join("all/mc_b.reweight.root"), "reweight", "rw");
    assert_eq!(rw.len(), 2500);
    assert!(rw.iter().all(|&r| r.is_finite() && r > 0.0 && r <= 1.5));
    assert!(rw.contains(&1.5), "some factors are capped");
    // --normalize data: the control-region simulation totals the data's weight
    let in_cr = |file: &str, branch: &str, tree: &str, from: &str| -> f64 {
        let cr = read(&d.join(file), "Events", "cr");
        let v = read(&d.join(from), tree, branch);
        (0..cr.len()).filter(|&i| cr[i] == 1.0).map(|i| v[i]).sum()
    };
    let data_total = in_cr("data.root", "w", "Events", "data.root");
    let mc_total = in_cr(
        "mc_a.root",
        "weight_rw",
        "reweight",
        "all/mc_a.reweight.root",
    ) + in_cr(
        "mc_b.root",
        "weight_rw",
        "reweight",
        "all/mc_b.reweight.root",
    );
    assert!(
        rel(mc_total, data_total) < 1e-10,
        "{mc_total} vs {data_total}"
    );
    // an existing output is refused
    let err = fails(&["reweight", "rw.toml", "--out", "all", "-q"], &d);
    assert!(err.contains("--force"), "{err}");
}

#[test]
fn morph_writes_the_library_transform_entry_by_entry() {
    let d = project("morph", "");
    let out = ok(
        &[
            "morph",
            "rw.toml",
            "--var",
            "x",
            "--var",
            "abs(y) + x",
            "--out",
            "m",
            "-q",
        ],
        &d,
    );
    assert!(out.contains("x_morphed"), "{out}");
    // the library's transform from the control region, read back here
    let cr_values = |file: &str, f: &dyn Fn(f64, f64) -> f64| {
        let p = d.join(file);
        let (x, y, cr, w) = (
            read(&p, "Events", "x"),
            read(&p, "Events", "y"),
            read(&p, "Events", "cr"),
            read(&p, "Events", "w"),
        );
        let mut v = Vec::new();
        let mut ww = Vec::new();
        for i in 0..x.len() {
            if cr[i] == 1.0 {
                v.push(f(x[i], y[i]));
                ww.push(w[i]);
            }
        }
        (v, ww)
    };
    let fx = |x: f64, _y: f64| x;
    let fxy = |x: f64, y: f64| y.abs() + x;
    let mc_x = read(&d.join("mc_a.root"), "Events", "x");
    let mc_y = read(&d.join("mc_a.root"), "Events", "y");
    for (f, branch) in [
        (&fx as &dyn Fn(f64, f64) -> f64, "x_morphed"),
        (&fxy, "abs_y_x_morphed"),
    ] {
        let (dv, dw) = cr_values("data.root", f);
        let mut mv = Vec::new();
        let mut mw = Vec::new();
        for file in ["mc_a.root", "mc_b.root"] {
            let (v, w) = cr_values(file, f);
            mv.extend(v);
            mw.extend(w);
        }
        let fd = WeightedCdf::new(&dv, &dw, "data").unwrap();
        let fm = WeightedCdf::new(&mv, &mw, "mc").unwrap();
        let got = read(&d.join("m/mc_a.morph.root"), "morph", branch);
        assert_eq!(got.len(), 3000);
        let seed = RunConfig::load(&d.join("rw.toml"), &[])
            .unwrap()
            .training
            .seed;
        for i in 0..got.len() {
            let v = jitter(seed, i as u64);
            let want = morph_randomised(&fm, &fd, f(mc_x[i], mc_y[i]), v);
            assert_eq!(got[i], want, "{branch} entry {i}");
        }
    }
    assert_eq!(
        read(&d.join("m/mc_b.morph.root"), "morph", "x_morphed").len(),
        2500
    );
    let summary = json(&d.join("m/morph.json"));
    let v = &summary["variables"][0];
    let (before, after) = (
        v["before"]["ks"].as_f64().unwrap(),
        v["after"]["ks"].as_f64().unwrap(),
    );
    // held out (CDFs from one half of the control region, judged on the other): the
    // KS after includes the sampling noise of two half samples, so it is not ~0 as an
    // in-sample comparison would be
    assert!(after < 0.6 * before, "KS of x: {before} -> {after}");
    assert_eq!(v["worse"], false);
}

#[test]
fn bad_inputs_exit_2_and_write_nothing() {
    let d = project("rw-errors", "");
    // no folds
    let e = fails(&["reweight", "rw.toml", "--out", "o1", "-q"], &d);
    assert!(e.contains("training.folds"), "{e}");
    assert!(!d.join("o1").exists());
    // bad flag values
    let e = fails(
        &[
            "reweight",
            "rw.toml",
            "--out",
            "o2",
            "--max-weight",
            "0",
            "--set",
            "training.folds=2",
            "--set",
            "training.fold=event % 2",
        ],
        &d,
    );
    assert!(e.contains("--max-weight"), "{e}");
    assert!(!d.join("o2").exists());
    // a --check expression naming a missing branch
    let e = fails(
        &[
            "reweight",
            "rw.toml",
            "--out",
            "o3",
            "--check",
            "nope + 1",
            "--set",
            "training.folds=2",
            "--set",
            "training.fold=event % 2",
            "-q",
        ],
        &d,
    );
    assert!(e.contains("nope"), "{e}");
    assert!(!d.join("o3").exists());
    // training.init is refused rather than ignored
    let e = fails(
        &[
            "reweight",
            "rw.toml",
            "--out",
            "o7",
            "--set",
            "training.folds=2",
            "--set",
            "training.fold=event % 2",
            "--set",
            "training.init=model.json",
        ],
        &d,
    );
    assert!(e.contains("training.init"), "{e}");
    assert!(!d.join("o7").exists());
    // morph: a missing branch, and two expressions with one branch name
    let e = fails(&["morph", "rw.toml", "--var", "pt", "--out", "o4"], &d);
    assert!(e.contains("--var `pt`"), "{e}");
    assert!(!d.join("o4").exists());
    let e = fails(
        &[
            "morph", "rw.toml", "--var", "x+y", "--var", "x*y", "--out", "o5",
        ],
        &d,
    );
    assert!(e.contains("x_y_morphed"), "{e}");
    assert!(!d.join("o5").exists());
    // no [domain]
    std::fs::write(d.join("nodomain.toml"), "[inputs]\nfeatures = [\"x\"]\n").unwrap();
    let e = fails(&["morph", "nodomain.toml", "--var", "x", "--out", "o6"], &d);
    assert!(e.contains("[domain]"), "{e}");
}

/// The reweighter as a model: `apply` with the saved model.json writes, on the
/// simulation files reweight weighed, the same `rw` and `weight_rw` bit for bit (with
/// the default region-only factor, and with `--apply-to all`, a cap and the data's
/// normalisation); `export` takes the model in both formats.
#[test]
fn the_saved_reweighter_applies_like_reweight_and_exports() {
    let d = project("reweight-model", "folds = 2\nfold = \"event % 2\"");
    for (out, extra) in [
        ("region", &[][..]),
        (
            "all",
            &[
                "--apply-to",
                "all",
                "--max-weight",
                "1.5",
                "--normalize",
                "data",
            ][..],
        ),
    ] {
        let mut args = vec!["reweight", "rw.toml", "--out", out, "-q"];
        args.extend_from_slice(extra);
        ok(&args, &d);
        let model = format!("{out}/model.json");
        let m = json(&d.join(&model));
        assert_eq!(m["folds"]["k"], 2);
        assert!(m["reweight"]["normalisation"].as_f64().unwrap() > 0.0);
        for file in ["mc_a", "mc_b"] {
            let friend = format!("{out}/{file}.applied.root");
            ok(
                &[
                    "apply",
                    "-q",
                    "-m",
                    &model,
                    &format!("{file}.root:Events"),
                    "-o",
                    &friend,
                    "--tree-name",
                    "reweight",
                ],
                &d,
            );
            let written = d.join(format!("{out}/{file}.reweight.root"));
            for b in ["rw", "weight_rw"] {
                let want = read(&written, "reweight", b);
                let got = read(&d.join(&friend), "reweight", b);
                assert_eq!(want.len(), got.len(), "{out} {file} {b}");
                for (i, (w, g)) in want.iter().zip(&got).enumerate() {
                    assert!(
                        w.to_bits() == g.to_bits(),
                        "{out} {file} {b} entry {i}: reweight {w}, apply {g}"
                    );
                }
            }
        }
        for format in ["onnx", "cpp"] {
            ok(&["export", &model, "--format", format], &d);
        }
        assert!(d.join(format!("{out}/model.onnx")).exists());
        assert!(d.join(format!("{out}/model.h")).exists());
    }
}
