//! Bad inputs to `train` and `apply`: exit code 2, one line that names the place and
//! says how to fix it, and no output file.

use super::{control, fails, ok, project};

const QUICK: &str = "epochs = 1\nbatch_size = 256";

fn no_outputs(d: &std::path::Path, dir: &str) {
    for f in ["model.json", "history.csv", "summary.json"] {
        assert!(!d.join(dir).join(f).exists(), "{dir}/{f} was written");
    }
}

fn edit(d: &std::path::Path, from: &str, to: &str) {
    let p = d.join("run.toml");
    let t = std::fs::read_to_string(&p).unwrap();
    assert!(t.contains(from), "config has no `{from}`");
    std::fs::write(&p, t.replace(from, to)).unwrap();
}

#[test]
fn unknown_config_key_names_it_and_the_nearest() {
    let d = project("badkey", 500, "epochs = 1\nlearning_rat = 1e-3", "");
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(e.contains("unknown key `training.learning_rat`"), "{e}");
    assert!(e.contains("did you mean `training.learning_rate`"), "{e}");
    no_outputs(&d, "o");
    let e = fails(&["train", "run.toml", "--set", "network.hiden=[8]"], &d);
    assert!(
        e.contains("network.hiden") && e.contains("network.hidden"),
        "{e}"
    );
}

#[test]
fn missing_file_tree_and_branch_are_named() {
    let d = project("missing", 500, QUICK, "");
    edit(&d, "data_cr.root:Events", "nosuch*.root:Events");
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(e.contains("nosuch*.root"), "{e}");
    no_outputs(&d, "o");
    let d = project("missing-tree", 500, QUICK, "");
    edit(&d, "data_cr.root:Events", "data_cr.root:Evnts");
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(e.contains("Evnts") && e.contains("Events"), "{e}");
    let d = project("missing-branch", 500, QUICK, "");
    edit(&d, "\"r9\", \"sieie\"", "\"r9\", \"sieie_x\"");
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(
        e.contains("sieie_x") && e.contains("did you mean `sieie`"),
        "{e}"
    );
    assert!(e.contains("classification.signal"), "{e}");
    no_outputs(&d, "o");
}

#[test]
fn nan_feature_names_sample_expression_entry_and_count() {
    let d = project("nan", 800, QUICK, "");
    // log of a negative number for most events
    edit(&d, "\"log(iso + 1e-3)\"", "\"log(iso - 0.1)\"");
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(e.contains("classification.signal"), "{e}");
    assert!(e.contains("log(iso - 0.1)"), "{e}");
    assert!(e.contains("mc.root:Events entry"), "{e}");
    assert!(e.contains("drop_nonfinite = true"), "{e}");
    no_outputs(&d, "o");
    // with drop_nonfinite the events are left out and counted
    edit(
        &d,
        "weight = \"genWeight\" }",
        "weight = \"genWeight\", drop_nonfinite = true }",
    );
    edit(
        &d,
        "weight = \"sw\" }",
        "weight = \"sw\", drop_nonfinite = true }",
    );
    ok(&["train", "run.toml", "--out", "o", "-q"], &d);
    let s = super::json(&d.join("o/summary.json"));
    assert!(s["samples"][0]["nonfinite_dropped"].as_u64().unwrap() > 0);
}

#[test]
fn zero_weight_sum_is_refused() {
    let d = project("zero", 500, QUICK, "");
    edit(
        &d,
        "cut = \"flav == 1\", weight = \"genWeight\"",
        "cut = \"flav == 1\", weight = \"0 * genWeight\"",
    );
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(
        e.contains("classification.signal") && e.contains("total weight"),
        "{e}"
    );
    no_outputs(&d, "o");
}

#[test]
fn friend_with_other_entry_count_is_refused() {
    let d = project("friend", 600, QUICK, "");
    control(&d.join("extra.root"), 17, 5, 0.0, 0.0);
    edit(
        &d,
        "mc   = { files = [\"mc_cr.root\"],",
        "mc   = { files = [\"mc_cr.root\"], friends = [\"extra.root:Events\"],",
    );
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(e.contains("17 entries") && e.contains("300"), "{e}");
    no_outputs(&d, "o");
}

#[test]
fn existing_outputs_need_force() {
    let d = project("force", 600, QUICK, "");
    ok(&["train", "run.toml", "--out", "o", "-q"], &d);
    let before = std::fs::read(d.join("o/model.json")).unwrap();
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(e.contains("--force"), "{e}");
    assert_eq!(std::fs::read(d.join("o/model.json")).unwrap(), before);
    ok(&["train", "run.toml", "--out", "o", "-q", "--force"], &d);
    ok(
        &["apply", "-m", "o/model.json", "mc.root", "-o", "s.root"],
        &d,
    );
    let e = fails(
        &["apply", "-m", "o/model.json", "mc.root", "-o", "s.root"],
        &d,
    );
    assert!(e.contains("s.root") && e.contains("--force"), "{e}");
    ok(
        &[
            "apply",
            "-m",
            "o/model.json",
            "mc.root",
            "-o",
            "s.root",
            "--force",
        ],
        &d,
    );
}

#[test]
fn apply_checks_branches_and_model_before_writing() {
    let d = project("apply-bad", 600, QUICK, "");
    ok(&["train", "run.toml", "--out", "o", "-q"], &d);
    // data_cr.root has no `flav`, but has every input: fine; a tree without `iso` is not
    super::write_tree(
        &d.join("noiso.root"),
        vec![super::col(
            "r9",
            rootgrad::root::write::FriendData::F32(vec![0.9; 5]),
        )],
    );
    let e = fails(
        &["apply", "-m", "o/model.json", "noiso.root", "-o", "x.root"],
        &d,
    );
    assert!(e.contains("noiso.root") && e.contains("sieie"), "{e}");
    assert!(!d.join("x.root").exists());
    // a newer model version and a file that is not a model
    let t = std::fs::read_to_string(d.join("o/model.json")).unwrap();
    std::fs::write(
        d.join("new.json"),
        t.replacen("\"version\": 1", "\"version\": 7", 1),
    )
    .unwrap();
    let e = fails(&["apply", "-m", "new.json", "mc.root", "-o", "x.root"], &d);
    assert!(
        e.contains("version 7") && e.contains("newer rootgrad"),
        "{e}"
    );
    std::fs::write(
        d.join("bad.json"),
        "{\"format\": \"rootgrad-model\", \"version\": 1}",
    )
    .unwrap();
    let e = fails(&["apply", "-m", "bad.json", "mc.root", "-o", "x.root"], &d);
    assert!(e.contains("bad.json") && e.contains("malformed"), "{e}");
    assert!(!d.join("x.root").exists());
}

#[test]
fn keys_the_method_would_ignore_are_refused() {
    let d = project(
        "unused",
        400,
        QUICK,
        "[adaptation]\nmethod = \"histogram\"\ngamma = 5.0\n",
    );
    let e = fails(&["train", "run.toml", "--out", "o"], &d);
    assert!(
        e.contains("`adaptation.gamma` is only used with schedule = \"dann\""),
        "{e}"
    );
    let e = fails(
        &[
            "train",
            "run.toml",
            "--set",
            "adaptation.gamma=10",
            "--set",
            "adaptation.method=none",
        ],
        &d,
    );
    assert!(e.contains("adaptation."), "{e}");
}

/// Issue 13: `adaptation.bins` was checked only when training began, after the ntuples
/// were read; it fails when the config is read, before any ntuple is opened (here the
/// signal's file does not even exist).
#[test]
fn too_many_histogram_bins_fail_before_reading() {
    let d = project(
        "bins",
        300,
        QUICK,
        "[adaptation]\nmethod = \"histogram\"\nbins = 2000000\n",
    );
    let e = fails(
        &[
            "train",
            "run.toml",
            "--out",
            "o",
            "--set",
            "classification.signal.files=[\"nosuch.root:Events\"]",
        ],
        &d,
    );
    assert!(
        e.contains("run.toml") && e.contains("adaptation.bins = 2000000") && e.contains("at most"),
        "{e}"
    );
    assert!(!e.contains("nosuch"), "{e}");
    no_outputs(&d, "o");
}

#[test]
fn init_model_of_another_shape_is_refused() {
    let d = project("init-shape", 600, QUICK, "");
    ok(&["train", "run.toml", "--out", "a", "-q"], &d);
    let e = fails(
        &[
            "train",
            "run.toml",
            "--out",
            "b",
            "--set",
            "network.hidden=[8]",
            "--set",
            "training.init=\"a/model.json\"",
        ],
        &d,
    );
    assert!(e.contains("training.init") && e.contains("[16, 16]"), "{e}");
    no_outputs(&d, "b");
}
