//! `rootgrad export` as a user meets it: what it refuses (exit code 2, one line naming
//! the thing and the format, no file written), and that an existing output is kept
//! unless `--force`. The exported scores themselves are checked against onnxruntime, g++
//! and ROOT by validation/export/check_export.py (validation/ci/export.sh).

use super::*;

/// A model file with two inputs, one hidden layer of 3 and the activation `act`.
fn model(dir: &TempDir, name: &str, inputs: [&str; 2], act: &str) -> String {
    let layer = |w: &str, b: &str, a: &str| {
        format!(r#"{{"weight": {w}, "bias": {b}, "activation": "{a}"}}"#)
    };
    let text = format!(
        r#"{{"format": "rootgrad-model", "version": 1,
  "inputs": [{{"name": "a", "expression": "{}"}}, {{"name": "b", "expression": "{}"}}],
  "standardize": {{"mean": [0.5, -1.0], "std": [2.0, 0.25]}},
  "layers": [{}, {}],
  "folds": null}}"#,
        inputs[0].replace('"', "\\\""),
        inputs[1].replace('"', "\\\""),
        layer(
            "[[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]",
            "[0.0, 0.1, -0.1]",
            act
        ),
        layer("[[1.0, -1.0, 0.5]]", "[0.2]", "sigmoid"),
    );
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write model");
    p.display().to_string()
}

fn refused(args: &[&str]) -> String {
    let o = run(args);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(o.stdout.is_empty());
    err
}

#[test]
fn export_refuses_what_a_format_cannot_express_and_keeps_existing_outputs() {
    let d = TempDir::new("export");
    let m = model(&d, "m.json", ["log(pt + 1)", "`int` * 2"], "selu");
    // a branch C++ cannot name: refused naming the expression, the branch and the format
    let err = refused(&["export", &m, "--format", "cpp"]);
    assert!(
        err.contains("`int` * 2") && err.contains("branch `int`") && err.contains("format cpp"),
        "{err}"
    );
    assert!(!d.join("m.h").exists());
    assert_eq!(d.names(), ["m.json"], "no temporary file left");
    // the same model as ONNX, and as a header without the branch functions
    ok(&["export", &m, "--format", "onnx"]);
    ok(&["export", &m, "--format", "cpp", "--weights-only"]);
    let h = std::fs::read_to_string(d.join("m.h")).unwrap();
    assert!(h.contains("inline float score(const float* features)"));
    assert!(!h.contains("score_entry"));
    // an existing output is kept without --force, replaced with it
    let before = std::fs::read(d.join("m.onnx")).unwrap();
    std::fs::write(d.join("m.onnx"), b"keep").unwrap();
    let err = refused(&["export", &m, "--format", "onnx"]);
    assert!(err.contains("m.onnx") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(d.join("m.onnx")).unwrap(), b"keep");
    ok(&["export", &m, "--format", "onnx", "--force"]);
    assert_eq!(std::fs::read(d.join("m.onnx")).unwrap(), before);
    // flags of the other format, a bad namespace, an activation no format knows
    let err = refused(&[
        "export",
        &m,
        "--format",
        "onnx",
        "--weights-only",
        "-o",
        "x.onnx",
    ]);
    assert!(err.contains("--format cpp"), "{err}");
    let err = refused(&[
        "export",
        &m,
        "--format",
        "cpp",
        "--weights-only",
        "--namespace",
        "a-b",
        "-o",
        &d.join("y.h").display().to_string(),
    ]);
    assert!(err.contains("--namespace a-b"), "{err}");
    let bad = model(&d, "bad.json", ["pt", "eta"], "swish");
    let err = refused(&["export", &bad, "--format", "onnx"]);
    assert!(
        err.contains("swish") && err.contains("format onnx"),
        "{err}"
    );
    assert!(!d.join("bad.onnx").exists() && !d.join("y.h").exists());
}

/// A model whose last layer has several outputs (a multi-output network, activation
/// `identity`: the quantile networks of `morph --chain`) is not a classifier: `export`
/// and `apply` refuse it with exit code 2, naming the file and the number of outputs,
/// and write nothing.
#[test]
fn commands_that_need_a_classifier_refuse_a_multi_output_model() {
    let d = TempDir::new("multi-output");
    let good = model(&d, "m.json", ["x", "y"], "relu");
    let text = std::fs::read_to_string(&good).unwrap().replace(
        r#"{"weight": [[1.0, -1.0, 0.5]], "bias": [0.2], "activation": "sigmoid"}"#,
        r#"{"weight": [[1.0, -1.0, 0.5], [0.5, 0.25, -2.0], [0.0, 1.0, 1.0]],
            "bias": [0.2, 0.0, -0.1], "activation": "identity"}"#,
    );
    assert!(text.contains("identity"), "the last layer was replaced");
    std::fs::write(d.join("q.json"), text).unwrap();
    let q = d.join("q.json").display().to_string();
    for args in [
        vec!["export", &q, "--format", "onnx"],
        vec!["apply", "-m", &q, "no-such.root", "-o", "x.root"],
    ] {
        let err = refused(&args);
        assert!(
            err.contains("q.json") && err.contains("3 outputs") && err.contains("classifier"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(d.names(), ["m.json", "q.json"], "nothing written");
}
