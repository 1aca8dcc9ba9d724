//! `rootgrad train`: its three outputs, determinism across thread counts, the
//! adaptation terms in the history, `--set` and `training.init`.

use super::{json, ok, project};

const BASIC: &str = "epochs = 3\nbatch_size = 256\nvalidation = 0.25\nseed = 3";

fn history(dir: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let t = std::fs::read_to_string(dir.join("history.csv")).expect("history.csv");
    let mut lines = t.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (head, rows)
}

fn column<'a>(head: &[String], rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let j = head.iter().position(|h| h == name).expect(name);
    rows.iter().map(|r| r[j].as_str()).collect()
}

#[test]
fn train_writes_model_history_and_summary() {
    let d = project("basic", 4000, BASIC, "");
    let out = ok(&["train", "run.toml", "--out", "out", "--quiet"], &d);
    assert!(out.contains("wrote out/model.json"), "{out}");
    let m = json(&d.join("out/model.json"));
    assert_eq!(m["format"], "rootgrad-model");
    assert_eq!(m["version"], 1);
    let inputs: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["expression"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["r9", "sieie", "log(iso + 1e-3)", "abs(eta)"]);
    let layers = m["layers"].as_array().unwrap();
    // hidden [16, 16] then the classifier; the domain head is not a scoring layer
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[0]["weight"].as_array().unwrap().len(), 16);
    assert_eq!(layers[0]["weight"][0].as_array().unwrap().len(), 4);
    assert_eq!(layers[2]["activation"], "sigmoid");
    assert_eq!(layers[0]["activation"], "elu");
    assert!(m["folds"].is_null());
    let (head, rows) = history(&d.join("out"));
    assert_eq!(rows.len(), 3);
    let auc: Vec<f64> = column(&head, &rows, "val_auc")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    // the classes differ in r9, sieie and isolation: well separated
    assert!(auc[2] > 0.85, "validation AUC {auc:?}");
    let s = json(&d.join("out/summary.json"));
    let sig = &s["samples"][0];
    assert_eq!(sig["sample"], "classification.signal");
    // about 10% of the generator weights are negative, and they are kept
    let neg = sig["negative_events"].as_u64().unwrap();
    let ev = sig["events"].as_u64().unwrap();
    assert!(neg > ev / 20 && neg < ev / 5, "{neg} of {ev}");
    assert_eq!(sig["negative_weights"], "keep");
    assert_eq!(sig["files"][0]["entries"], 4000);
    assert_eq!(
        s["models"][0]["train_events"].as_u64().unwrap()
            + s["models"][0]["validation_events"].as_u64().unwrap(),
        4000
    );
}

#[test]
fn same_model_bit_for_bit_with_one_and_two_threads() {
    let d = project(
        "threads",
        3000,
        "epochs = 2\nbatch_size = 700\nvalidation = 0.2",
        "[adaptation]\nmethod = \"both\"\nlambda = 2.0\n",
    );
    ok(
        &["train", "run.toml", "--out", "t1", "-q", "--threads", "1"],
        &d,
    );
    ok(
        &["train", "run.toml", "--out", "t2", "-q", "--threads", "2"],
        &d,
    );
    let a = std::fs::read(d.join("t1/model.json")).unwrap();
    let b = std::fs::read(d.join("t2/model.json")).unwrap();
    assert!(a == b, "model.json differs between 1 and 2 threads");
}

#[test]
fn adaptation_terms_are_logged_per_epoch() {
    for (method, cols) in [
        ("histogram", vec!["train_histogram", "val_histogram"]),
        ("reversal", vec!["train_domain"]),
        ("both", vec!["train_histogram", "train_domain"]),
    ] {
        let d = project(
            method,
            2000,
            "epochs = 2\nbatch_size = 256",
            &format!("[adaptation]\nmethod = \"{method}\"\n"),
        );
        ok(&["train", "run.toml", "--out", "o", "-q"], &d);
        let (head, rows) = history(&d.join("o"));
        for c in cols {
            for v in column(&head, &rows, c) {
                let x: f64 = v
                    .parse()
                    .unwrap_or_else(|_| panic!("{method}: {c} = `{v}`"));
                assert!(x.is_finite() && x >= 0.0, "{method}: {c} = {x}");
            }
        }
        // the validation data/MC KS is logged whenever there is a control region
        for v in column(&head, &rows, "val_ks") {
            let ks: f64 = v.parse().unwrap();
            assert!((0.0..=1.0).contains(&ks));
        }
    }
}

#[test]
fn set_overrides_and_init_continues_from_a_model() {
    let d = project("set", 1500, BASIC, "");
    ok(
        &[
            "train",
            "run.toml",
            "--out",
            "a",
            "-q",
            "--set",
            "training.epochs=1",
        ],
        &d,
    );
    let (_, rows) = history(&d.join("a"));
    assert_eq!(rows.len(), 1);
    let m = json(&d.join("a/model.json"));
    assert_eq!(m["training"]["training"]["epochs"], 1);
    // start from a/model.json: its standardisation is reused as it is
    ok(
        &[
            "train",
            "run.toml",
            "--out",
            "b",
            "-q",
            "--set",
            "training.epochs=1",
            "--set",
            "training.init=\"a/model.json\"",
        ],
        &d,
    );
    let b = json(&d.join("b/model.json"));
    assert_eq!(b["standardize"], m["standardize"]);
}

#[test]
fn adaptation_without_a_validation_fraction_trains() {
    // regression: validation = 0 left an empty validation part of the control region,
    // which was refused as if the training part were empty
    let d = project(
        "noval",
        1200,
        "epochs = 2\nbatch_size = 256\nvalidation = 0.0",
        "[adaptation]\nmethod = \"both\"\n",
    );
    ok(&["train", "run.toml", "--out", "o", "-q"], &d);
    let s = json(&d.join("o/summary.json"));
    assert_eq!(s["models"][0]["validation_events"], 0);
    assert_eq!(s["models"][0]["best_epoch"], 1, "the last epoch is kept");
}
