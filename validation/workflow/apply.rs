//! `rootgrad apply`: the friend tree's entries and scores against a plain f64 forward
//! pass of model.json (`reference_score`), and fold ownership entry by entry.

use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;

use super::{json, ok, project, reference_score};

fn read(path: &std::path::Path, tree: &str, branch: &str) -> Vec<f64> {
    let t = open_tree(path, Some(tree)).expect("open friend");
    read_column::<f64>(&t, branch, 0..u64::MAX)
        .expect("read")
        .values
}

/// The model's raw input features of every entry of mc.root, computed here from the
/// branches (the expressions of the project's config).
fn features(path: &std::path::Path) -> Vec<[f64; 4]> {
    let r9 = read(path, "Events", "r9");
    let sieie = read(path, "Events", "sieie");
    let iso = read(path, "Events", "iso");
    let eta = read(path, "Events", "eta");
    (0..r9.len())
        .map(|i| [r9[i], sieie[i], (iso[i] + 1e-3).ln(), eta[i].abs()])
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 2e-5 * b.abs().max(1e-3)
}

#[test]
fn friend_scores_equal_a_plain_forward_pass_of_the_model_file() {
    let d = project("apply", 2500, "epochs = 2\nbatch_size = 256", "");
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    let out = ok(
        &[
            "apply",
            "--model",
            "m/model.json",
            "mc.root:Events",
            "-o",
            "scores.root",
        ],
        &d,
    );
    assert!(out.contains("2500 entries scored"), "{out}");
    let m = json(&d.join("m/model.json"));
    let s = read(&d.join("scores.root"), "rootgrad", "score");
    let x = features(&d.join("mc.root"));
    assert_eq!(s.len(), x.len());
    for (i, (&got, xi)) in s.iter().zip(&x).enumerate() {
        let want = reference_score(&m, xi);
        assert!(
            close(got, want),
            "entry {i}: friend {got}, model.json {want}"
        );
    }
    // default output name next to the input, and --branch/--tree-name
    ok(
        &[
            "apply",
            "-m",
            "m/model.json",
            "mc.root",
            "--branch",
            "bdt",
            "--tree-name",
            "T",
        ],
        &d,
    );
    assert_eq!(read(&d.join("mc.T.root"), "T", "bdt"), s);
}

#[test]
fn with_folds_each_entry_is_scored_by_its_own_fold_model() {
    let d = project(
        "folds",
        3000,
        "epochs = 2\nbatch_size = 256\nfolds = 3\nfold = \"event % 3\"\nvalidation = 0.2",
        "",
    );
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    let m = json(&d.join("m/model.json"));
    assert!(m["layers"].is_null());
    assert_eq!(m["folds"]["k"], 3);
    let models = m["folds"]["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    ok(
        &[
            "apply",
            "-m",
            "m/model.json",
            "mc.root",
            "-o",
            "f.root",
            "--all-folds",
        ],
        &d,
    );
    let f = d.join("f.root");
    let score = read(&f, "rootgrad", "score");
    let per: Vec<Vec<f64>> = (0..3)
        .map(|k| read(&f, "rootgrad", &format!("score_fold{k}")))
        .collect();
    let event = read(&d.join("mc.root"), "Events", "event");
    let x = features(&d.join("mc.root"));
    for i in 0..score.len() {
        let k = (event[i] as i64 % 3) as usize;
        assert_eq!(score[i], per[k][i], "entry {i}: fold {k}");
        assert!(
            close(score[i], reference_score(&models[k], &x[i])),
            "entry {i}: fold {k}"
        );
    }
    // the fold models differ (each trained without its own fold)
    assert!((0..score.len()).any(|i| per[0][i] != per[1][i]));
    // the summary: model k never saw fold k, so its training events exclude it
    let s = json(&d.join("m/summary.json"));
    for k in 0..3 {
        let mk = &s["models"][k];
        assert_eq!(mk["fold"], k);
        let seen = mk["train_events"].as_u64().unwrap() + mk["validation_events"].as_u64().unwrap();
        let in_fold = event
            .iter()
            .filter(|&&e| (e as i64 % 3) as usize == k)
            .count() as u64;
        assert_eq!(seen, 3000 - in_fold);
    }
}
