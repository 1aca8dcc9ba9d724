//! The validation commands on the workflow's ntuples: `agreement`, `roc` and `flatness`
//! print (in `--json`) exactly what the metrics library computes on the values read
//! here directly; friends bring a score from `apply`; bad inputs are errors; `report`
//! writes an HTML page whose every image exists; `sweep` trains each value.

use rootgrad::metrics::{
    chi2_test, cvm_flatness, ks_distance, roc_auc, truncated_auc, CvmOptions, Histogram, OutOfRange,
};
use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;

use super::{fails, ok, project};

fn read(path: &std::path::Path, tree: &str, branch: &str) -> Vec<f64> {
    let t = open_tree(path, Some(tree)).expect("open");
    read_column::<f64>(&t, branch, 0..u64::MAX)
        .expect("read")
        .values
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn agreement_equals_the_metrics_on_the_same_values() {
    let d = project("agree", 2000, "epochs = 1", "");
    let o = ok(
        &[
            "agreement",
            "--data",
            "data_cr.root:Events",
            "--mc",
            "mc_cr.root",
            "--var",
            "r9",
            "--data-weight",
            "sw",
            "--mc-weight",
            "sw",
            "--bins",
            "20",
            "--range",
            "0.6,1.2",
            "--json",
            "--plot",
            "r9.png",
        ],
        &d,
    );
    let j = json(&o);
    let (dv, dw) = (
        read(&d.join("data_cr.root"), "Events", "r9"),
        read(&d.join("data_cr.root"), "Events", "sw"),
    );
    let (mv, mw) = (
        read(&d.join("mc_cr.root"), "Events", "r9"),
        read(&d.join("mc_cr.root"), "Events", "sw"),
    );
    let ks = ks_distance(&dv, &dw, &mv, &mw).unwrap();
    // JSON numbers are parsed by serde_json, which may be 1 ulp off without its
    // float_roundtrip feature: compare at 1e-14
    assert!(rel(j["ks"].as_f64().unwrap(), ks) < 1e-14);
    let edges: Vec<f64> = (0..=20).map(|i| 0.6 + 0.6 * i as f64 / 20.0).collect();
    let c = chi2_test(
        &Histogram::fill(&edges, &dv, &dw, OutOfRange::Ignore).unwrap(),
        &Histogram::fill(&edges, &mv, &mw, OutOfRange::Ignore).unwrap(),
        true,
    )
    .unwrap();
    assert!(rel(j["chi2"].as_f64().unwrap(), c.chi2) < 1e-12);
    assert_eq!(j["ndf"].as_u64().unwrap() as usize, c.ndf);
    assert!(rel(j["p_value"].as_f64().unwrap(), c.p_value) < 1e-12);
    // the simulation's r9 is shifted by 0.03: visibly different
    assert!(ks > 0.1, "{ks}");
    assert_eq!(j["data"]["events"], 1000);
    assert!(j["data"]["negative_events"].as_u64().unwrap() > 50);
    let png = std::fs::read(d.join("r9.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // an existing plot needs --force; a weight sum <= 0 is an error
    let e = fails(
        &[
            "agreement",
            "--data",
            "data_cr.root",
            "--mc",
            "mc_cr.root",
            "--var",
            "r9",
            "--plot",
            "r9.png",
        ],
        &d,
    );
    assert!(e.contains("r9.png") && e.contains("--force"), "{e}");
    let e = fails(
        &[
            "agreement",
            "--data",
            "data_cr.root",
            "--mc",
            "mc_cr.root",
            "--var",
            "r9",
            "--mc-weight",
            "-sw",
        ],
        &d,
    );
    assert!(e.contains("mc") && e.contains("total weight"), "{e}");
    let e = fails(
        &[
            "agreement",
            "--data",
            "data_cr.root",
            "--mc",
            "mc_cr.root",
            "--var",
            "r9",
            "--cut",
            "r9 > 5",
        ],
        &d,
    );
    assert!(e.contains("no events selected"), "{e}");
}

#[test]
fn roc_and_flatness_with_a_score_from_a_friend() {
    let d = project("rocflat", 3000, "epochs = 2\nbatch_size = 256", "");
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    ok(
        &["apply", "-m", "m/model.json", "mc.root", "-o", "s.root"],
        &d,
    );
    let o = ok(
        &[
            "roc",
            "--signal",
            "mc.root:Events",
            "--background",
            "mc.root:Events",
            "--signal-cut",
            "flav == 1",
            "--background-cut",
            "flav != 1",
            "--var",
            "score",
            "--signal-weight",
            "genWeight",
            "--background-weight",
            "genWeight",
            "--friend",
            "s.root:rootgrad",
            "--json",
        ],
        &d,
    );
    let j = json(&o);
    let score = read(&d.join("s.root"), "rootgrad", "score");
    let flav = read(&d.join("mc.root"), "Events", "flav");
    let w = read(&d.join("mc.root"), "Events", "genWeight");
    // signal first, then background, as the command reads them
    let mut s = Vec::new();
    let mut y = Vec::new();
    let mut ww = Vec::new();
    for want in [1.0, 0.0] {
        for i in 0..score.len() {
            if (flav[i] == 1.0) == (want == 1.0) {
                s.push(score[i]);
                y.push(want == 1.0);
                ww.push(w[i]);
            }
        }
    }
    assert!(rel(j["auc"].as_f64().unwrap(), roc_auc(&s, &y, &ww).unwrap()) < 1e-14);
    assert!(
        rel(
            j["truncated_auc"].as_f64().unwrap(),
            truncated_auc(&s, &y).unwrap()
        ) < 1e-14
    );
    // NLO-like negative weights make the weighted background efficiency step back, so
    // working points are not defined here: said, not an error
    let wp = j["working_points"].as_array().unwrap();
    assert!(
        wp.len() == 3
            || j["working_points_note"]
                .as_str()
                .is_some_and(|n| n.contains("negative weights"))
    );
    // a variable outside [0, 1] has no truncated AUC: a clear error
    let e = fails(
        &[
            "roc",
            "--signal",
            "mc.root",
            "--background",
            "mc.root",
            "--signal-cut",
            "flav == 1",
            "--background-cut",
            "flav != 1",
            "--var",
            "r9 * 10",
        ],
        &d,
    );
    assert!(e.contains("[0, 1]"), "{e}");
    // flatness of the score in the background's mass
    let o = ok(
        &[
            "flatness",
            "--input",
            "mc.root",
            "--var",
            "score",
            "--mass",
            "mass",
            "--cut",
            "flav == 0",
            "--friend",
            "s.root:rootgrad",
            "--json",
        ],
        &d,
    );
    let j = json(&o);
    let mass = read(&d.join("mc.root"), "Events", "mass");
    let (p, m): (Vec<f64>, Vec<f64>) = (0..score.len())
        .filter(|&i| flav[i] == 0.0)
        .map(|i| (score[i], mass[i]))
        .unzip();
    let cvm = cvm_flatness(&p, &m, &CvmOptions::default()).unwrap();
    assert!(rel(j["cvm"].as_f64().unwrap(), cvm) < 1e-14);
}

#[test]
fn report_references_existing_images() {
    let d = project(
        "report",
        2000,
        "epochs = 3\nbatch_size = 256",
        "[adaptation]\nmethod = \"histogram\"\n",
    );
    ok(&["train", "run.toml", "--out", "hist", "-q"], &d);
    ok(
        &[
            "train",
            "run.toml",
            "--out",
            "base",
            "-q",
            "--set",
            "adaptation.method=none",
        ],
        &d,
    );
    let o = ok(&["report", "-m", "hist", "--baseline", "base", "-q"], &d);
    assert!(o.contains("wrote"), "{o}");
    let html = std::fs::read_to_string(d.join("hist/report/index.html")).unwrap();
    let mut n = 0;
    for part in html.split("<img src=\"").skip(1) {
        let file = &part[..part.find('"').unwrap()];
        let p = d.join("hist/report").join(file);
        let bytes = std::fs::read(&p)
            .unwrap_or_else(|_| panic!("{} is referenced but missing", p.display()));
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{file}");
        n += 1;
    }
    // training, roc, score, two control-region scores, four inputs
    assert!(n >= 9, "{n} images");
    assert!(
        html.contains("AUC (weighted)") && html.contains("baseline"),
        "metrics table"
    );
    let e = fails(&["report", "-m", "hist"], &d);
    assert!(e.contains("--force"), "{e}");
}

#[test]
fn sweep_trains_each_value_and_tabulates() {
    let d = project(
        "sweep",
        1200,
        "epochs = 1\nbatch_size = 256",
        "[adaptation]\nmethod = \"histogram\"\n",
    );
    let o = ok(
        &[
            "sweep",
            "run.toml",
            "--set",
            "adaptation.lambda=0,10",
            "--out",
            "sw",
            "-q",
        ],
        &d,
    );
    assert!(
        o.contains("adaptation.lambda=0") && o.contains("adaptation.lambda=10"),
        "{o}"
    );
    let csv = std::fs::read_to_string(d.join("sw/sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for run in ["run0_seed1", "run1_seed1"] {
        assert!(d.join("sw").join(run).join("model.json").exists());
    }
    assert!(d.join("sw/sweep_ks.png").exists());
}

#[test]
fn demo_runs_end_to_end_on_small_samples() {
    let d = super::tempdir("demo");
    let o = ok(&["demo", "--out", "demo", "--events", "3000", "-q"], &d);
    // the table has the five models, then the reports and the commands
    for row in [
        "A   baseline",
        "A   histogram",
        "A   reversal",
        "B   baseline",
        "B   adapted",
    ] {
        assert!(o.contains(row), "no row `{row}` in\n{o}");
    }
    for scenario in ["A/histogram", "B/adapted"] {
        let index = d.join("demo").join(scenario).join("report/index.html");
        assert!(index.exists(), "{} missing", index.display());
    }
    assert!(d
        .join("demo/A/baseline/friends/zee_data.rootgrad.root")
        .exists());
    assert!(
        o.contains("rootgrad train") && o.contains("rootgrad apply"),
        "{o}"
    );
    // a second run reuses the samples but refuses to overwrite models without --force
    let e = fails(&["demo", "--out", "demo", "--events", "3000", "-q"], &d);
    assert!(e.contains("model.json") && e.contains("--force"), "{e}");
}

/// Issue 17 item 11: the report a physicist needs. With 2 folds and `[inputs.labels]`:
/// the training curves of every fold, the ROC as 1 / background efficiency, an
/// overtraining figure with its KS p-values, axis titles and units from the config in the
/// input figures (SVG text), "Weighted events / bin", the binning stated in the
/// captions, and no "on the every event".
#[test]
fn report_has_the_figures_a_physicist_needs() {
    let d = project(
        "report_fig",
        1600,
        "epochs = 2\nbatch_size = 256\nvalidation = 0\nfolds = 2\nfold = \"event % 2\"",
        "[inputs.labels]\n\"abs(eta)\" = { label = \"Photon |eta|\" }\nr9 = { label = \"R9 shower shape\", unit = \"a.u.\" }\n",
    );
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    ok(&["report", "-m", "m", "--svg", "-q"], &d);
    let dir = d.join("m/report");
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(!html.contains("on the every event"), "caption grammar");
    assert!(html.contains("every fold"), "training caption");
    assert!(html.contains("overtraining.svg"), "overtraining figure");
    assert!(html.contains("overtraining: KS training vs held-out, signal"));
    assert!(html.contains("40 equal bins from 0 to 1"), "binning stated");
    let svg = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let training = svg("training.svg");
    assert!(
        training.contains("fold 0") && training.contains("fold 1"),
        "every fold"
    );
    assert!(svg("roc.svg").contains("1 / background efficiency"));
    let ot = svg("overtraining.svg");
    assert!(ot.contains("training events") && ot.contains("held-out events"));
    assert!(ot.contains("signal p = "), "KS p-value in the title");
    let r9 = svg("input_0.svg");
    assert!(
        r9.contains("R9 shower shape [a.u.]"),
        "label and unit from the config"
    );
    assert!(r9.contains("Weighted events / bin"));
    assert!(svg("input_3.svg").contains("Photon |eta|"));
}
