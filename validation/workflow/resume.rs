//! Issue 17, item 6: Ctrl-C in k-fold training keeps the folds that finished as an
//! incomplete model, and `train --resume` trains only the missing ones, giving the
//! model an uninterrupted run gives, bit for bit.
//!
//! The interrupt is simulated through the stop flag that Ctrl-C sets
//! ([`rootgrad::interrupt::stop_flag`]'s role): the library's run is given its own flag,
//! set once the first fold has finished (from the checkpoint `train` writes after each
//! fold), so the run stops before fold 1 of 3. `validation/ci/resume.sh` sends a real
//! SIGINT to the binary in the middle of a fold.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rootgrad::config::RunConfig;
use rootgrad::progress::Progress;
use rootgrad::run_folder;
use rootgrad::train::{run_with, Which};

use super::{fails, json, ok, project};

const THREE_FOLDS: &str = "epochs = 3\nbatch_size = 128\nvalidation = 0\nearly_stopping = 0\n\
                           folds = 3\nfold = \"event % 3\"\nseed = 5";

/// history.csv without its last column (the seconds each epoch took).
fn rows(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |x| x.0).to_string())
        .collect()
}

/// Trains `run.toml` in `d` through the library into `d/dir`, stopping (as the first
/// Ctrl-C does) once fold 0 has finished; writes what `train` writes.
fn interrupted_after_fold_0(d: &Path, dir: &str) {
    let cfg = RunConfig::load(&d.join("run.toml"), &[]).unwrap();
    let out = d.join(dir);
    std::fs::create_dir_all(&out).unwrap();
    let stop = AtomicBool::new(false);
    let mut checkpoints = 0;
    let o = run_with(
        &cfg,
        &Progress::hidden(),
        &stop,
        &Which::default(),
        &mut |o| {
            checkpoints += 1;
            run_folder::write(&out, &o.model, &o.history, &o.summary)?;
            stop.store(true, Ordering::SeqCst);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(checkpoints, 1, "one checkpoint, after fold 0");
    assert!(o.summary.interrupted);
    assert_eq!(o.summary.missing_folds, vec![1, 2]);
    let dropped = o
        .summary
        .dropped_fold
        .expect("the fold not started is named");
    assert_eq!((dropped.fold, dropped.epochs), (1, 0));
    run_folder::write(&out, &o.model, &o.history, &o.summary).unwrap();
}

#[test]
fn an_interrupted_k_fold_run_resumes_to_the_model_of_an_uninterrupted_one() {
    let d = project(
        "resume",
        900,
        THREE_FOLDS,
        "[adaptation]\nmethod = \"histogram\"\nlambda = 1.0\n",
    );
    ok(&["train", "run.toml", "--out", "full", "-q"], &d);
    interrupted_after_fold_0(&d, "part");

    // the incomplete model: fold 0's network, folds 1 and 2 missing, in both files
    let m = json(&d.join("part/model.json"));
    assert_eq!(m["folds"]["k"], 3);
    assert_eq!(m["folds"]["missing"], serde_json::json!([1, 2]));
    assert_eq!(m["folds"]["models"].as_array().unwrap().len(), 1);
    let full = json(&d.join("full/model.json"));
    assert_eq!(m["folds"]["models"][0], full["folds"]["models"][0]);
    assert!(
        full["folds"].get("missing").is_none(),
        "a complete model has no `missing`"
    );
    let s = json(&d.join("part/summary.json"));
    assert_eq!(s["missing_folds"], serde_json::json!([1, 2]));
    assert_eq!(s["interrupted"], true);
    assert_eq!(rows(&d.join("part/history.csv")).len(), 1 + 3);

    // what refuses it, naming the missing folds and the way to finish it
    let e = fails(
        &[
            "apply",
            "-m",
            "part/model.json",
            "data_cr.root",
            "--output-dir",
            "fr",
        ],
        &d,
    );
    assert!(
        e.contains("folds 1, 2 of 3 not trained") && e.contains("--resume"),
        "{e}"
    );
    assert!(!d.join("fr").exists(), "apply left an empty folder");
    let e = fails(&["export", "part/model.json", "--format", "onnx"], &d);
    assert!(e.contains("incomplete model"), "{e}");
    let e = fails(&["report", "-m", "part"], &d);
    assert!(e.contains("incomplete model"), "{e}");
    assert!(!d.join("part/report").exists());
    let shown = ok(&["inspect", "part"], &d);
    assert!(
        shown.contains("incomplete model: folds 1, 2 of 3 not trained")
            && shown.contains("fold 0:"),
        "{shown}"
    );
    let e = fails(&["train", "run.toml", "--out", "part"], &d);
    assert!(
        e.contains("--resume") && e.contains("--force"),
        "train over an incomplete model must say how to resume: {e}"
    );
    // a description that changes the model is refused, naming the key
    let e = fails(
        &[
            "train",
            "run.toml",
            "--out",
            "part",
            "--resume",
            "--set",
            "training.epochs=4",
        ],
        &d,
    );
    assert!(e.contains("training.epochs (3 -> 4)"), "{e}");
    let e = fails(&["train", "run.toml", "--out", "nothing", "--resume"], &d);
    assert!(e.contains("nothing to resume"), "{e}");
    assert!(!d.join("nothing").exists());

    // resumed: the bytes of the uninterrupted run's model, its history rows
    let out = ok(
        &["train", "run.toml", "--out", "part", "--resume", "-q"],
        &d,
    );
    assert!(out.contains("resumed: fold(s) 0"), "{out}");
    let read = |p: &str| std::fs::read_to_string(d.join(p)).unwrap();
    assert!(
        read("part/model.json") == read("full/model.json"),
        "the resumed model.json differs from the uninterrupted run's"
    );
    assert_eq!(
        rows(&d.join("part/history.csv")),
        rows(&d.join("full/history.csv"))
    );
    let s = json(&d.join("part/summary.json"));
    assert_eq!(s["missing_folds"], serde_json::json!([]));
    assert_eq!(s["resumed_folds"], serde_json::json!([0]));
    let e = fails(&["train", "run.toml", "--out", "part", "--resume"], &d);
    assert!(e.contains("is complete"), "{e}");
    ok(
        &[
            "apply",
            "-m",
            "part/model.json",
            "data_cr.root",
            "--output-dir",
            "fr",
            "-q",
        ],
        &d,
    );
}

/// A resume stopped before its first fold finishes leaves the folder as it was.
#[test]
fn a_resume_interrupted_at_once_leaves_the_incomplete_model_as_it_was() {
    let d = project("resume-again", 600, THREE_FOLDS, "");
    interrupted_after_fold_0(&d, "part");
    let before = std::fs::read(d.join("part/model.json")).unwrap();
    let cfg = RunConfig::load(&d.join("run.toml"), &[]).unwrap();
    let dir = d.join("part");
    let model = rootgrad::model::ModelFile::read_incomplete(&dir.join("model.json")).unwrap();
    let hist = dir.join("history.csv");
    let history = rootgrad::run_folder::EpochRecord::from_history(
        &rootgrad::run_folder::History::read(&hist).unwrap(),
        &hist,
    )
    .unwrap();
    let earlier = rootgrad::train::folds::Earlier {
        model,
        history,
        seconds: 0.0,
    };
    let stop = AtomicBool::new(true);
    let which = Which {
        only: None,
        earlier: Some(&earlier),
    };
    let e = match run_with(&cfg, &Progress::hidden(), &stop, &which, &mut |_| Ok(())) {
        Ok(_) => panic!("a resume stopped at once trained something"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("interrupted during fold 1 of 3"), "{e}");
    assert!(e.contains("as it was"), "{e}");
    assert_eq!(std::fs::read(d.join("part/model.json")).unwrap(), before);
}
