//! `train` and `apply` end to end, as a user runs them: small ntuples written in the test
//! (through the project's own tree writer) into a temporary folder, a run description,
//! the binary, and the outputs read back.
//!
//! - `train`: model.json, history.csv and summary.json; the same model bit for bit
//!   with 1 and 2 threads; folds; the adaptation methods; `--set`; `training.init`.
//! - `apply`: the friend tree has the input's entry count, and its scores equal a plain
//!   f64 re-implementation of the forward pass written here from model.json alone
//!   (`reference_score`); with folds each entry is scored by its own fold's model,
//!   checked entry by entry.
//! - `errors`: every bad input exits with code 2, one line naming the place, and no
//!   output file.
//! - `rntuple_friends`: `--friend-format` and its default on every command that writes
//!   friends; RNTuple friends attached, checked against their source, left out of globs.
//! - `resume`: Ctrl-C in k-fold training keeps the finished folds as an incomplete
//!   model that apply/export/report refuse and inspect shows; `train --resume` trains the
//!   missing folds into the bytes of an uninterrupted run's model.json.
//! - `validate`: `agreement`, `roc` and `flatness` print what the metrics library gives
//!   on the same values (friends bring the score), `report` references existing images,
//!   `sweep` trains each value.

mod apply;
mod batch;
mod errors;
mod friends;
mod resume;
mod rntuple_friends;
mod train;
mod validate;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use rootgrad::random::SplitMix64;
use rootgrad::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};
use serde_json::Value as Json;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rootgrad"))
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run rootgrad")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and expects exit code 0.
pub fn ok(args: &[&str], cwd: &Path) -> String {
    let o = run(args, cwd);
    assert!(
        o.status.success(),
        "rootgrad {args:?} failed:\n{}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// Runs and expects exit code 2 with one line on stderr; returns that line.
pub fn fails(args: &[&str], cwd: &Path) -> String {
    let o = run(args, cwd);
    let err = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "rootgrad {args:?} should fail with code 2; stdout:\n{}\nstderr:\n{err}",
        text(&o.stdout)
    );
    assert!(err.starts_with("rootgrad: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A fresh empty folder under the target directory.
pub fn tempdir(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "workflow-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// Writes a flat tree `Events` with the given columns.
pub fn write_tree(path: &Path, columns: Vec<FriendColumn>) {
    write_friend(&FriendSpec {
        path,
        tree: "Events",
        columns: &columns,
        expected_entries: None,
        overwrite: true,
        source: None,
    })
    .expect("write test ntuple");
}

pub fn col(name: &str, data: FriendData) -> FriendColumn {
    FriendColumn {
        name: name.into(),
        data,
    }
}

/// A photon-ID-like labelled simulation sample: `flav` 1 for signal, 0 for background;
/// features `r9`, `sieie`, `iso` (>= 0), `eta`; `genWeight` with about 10% negative;
/// `event` numbers; `mass` flat for background. `shift` moves r9 (mismodelling).
pub fn labelled(path: &Path, n: usize, seed: u64, shift: f32) {
    let mut rng = SplitMix64::new(&[seed]);
    let (mut r9, mut sieie, mut iso, mut eta, mut w, mut flav, mut event, mut mass) = (
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
        let s = rng.uniform() < 0.5;
        let g = |rng: &mut SplitMix64| rng.normal() as f32;
        let (m9, ms) = if s { (0.9, 0.009) } else { (0.75, 0.012) };
        r9.push(m9 + 0.08 * g(&mut rng) + shift);
        sieie.push(ms + 0.002 * g(&mut rng));
        iso.push(if s { 0.05 } else { 0.3 } * (-(rng.uniform() as f32).max(1e-9).ln()));
        eta.push(2.4 * (2.0 * rng.uniform() as f32 - 1.0));
        let sign = if rng.uniform() < 0.1 { -1.0 } else { 1.0 };
        w.push(sign * (0.5 + rng.uniform()));
        flav.push(s as i32);
        event.push(1000 + i as i64 * 7);
        mass.push(80.0 + 20.0 * rng.uniform() as f32);
    }
    write_tree(
        path,
        vec![
            col("r9", FriendData::F32(r9)),
            col("sieie", FriendData::F32(sieie)),
            col("iso", FriendData::F32(iso)),
            col("eta", FriendData::F32(eta)),
            col("genWeight", FriendData::F64(w)),
            col("flav", FriendData::I32(flav)),
            col("event", FriendData::I64(event)),
            col("mass", FriendData::F32(mass)),
        ],
    );
}

/// A control-region sample: electron-like (signal-like) events with a weight branch
/// `sw` (data: sWeight-like with some negative; simulation: generator-like).
pub fn control(path: &Path, n: usize, seed: u64, shift: f32, negative: f64) {
    let mut rng = SplitMix64::new(&[seed]);
    let (mut r9, mut sieie, mut iso, mut eta, mut w, mut event) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        r9.push(0.9 + 0.06 * rng.normal() as f32 + shift);
        sieie.push(0.009 + 0.002 * rng.normal() as f32);
        iso.push(0.08 * (-(rng.uniform() as f32).max(1e-9).ln()));
        eta.push(2.4 * (2.0 * rng.uniform() as f32 - 1.0));
        let sign = if rng.uniform() < negative { -0.5 } else { 1.0 };
        w.push(sign * (0.5 + rng.uniform()));
        event.push(5000 + i as i64);
    }
    write_tree(
        path,
        vec![
            col("r9", FriendData::F32(r9)),
            col("sieie", FriendData::F32(sieie)),
            col("iso", FriendData::F32(iso)),
            col("eta", FriendData::F32(eta)),
            col("sw", FriendData::F64(w)),
            col("event", FriendData::I64(event)),
        ],
    );
}

/// A folder with `mc.root` (labelled), `data_cr.root`, `mc_cr.root` and a config
/// `run.toml` whose [training] and [adaptation] bodies are given.
pub fn project(name: &str, n: usize, training: &str, extra: &str) -> PathBuf {
    let d = tempdir(name);
    labelled(&d.join("mc.root"), n, 11, 0.0);
    control(&d.join("data_cr.root"), n / 2, 12, 0.0, 0.15);
    control(&d.join("mc_cr.root"), n / 2, 13, 0.03, 0.1);
    let cfg = format!(
        r#"[inputs]
features = ["r9", "sieie", "log(iso + 1e-3)", "abs(eta)"]

[classification]
signal     = {{ files = ["mc.root:Events"], cut = "flav == 1", weight = "genWeight" }}
background = {{ files = ["mc.root:Events"], cut = "flav != 1", weight = "genWeight" }}

[domain]
data = {{ files = ["data_cr.root:Events"], weight = "sw" }}
mc   = {{ files = ["mc_cr.root"], weight = "sw" }}

[network]
hidden = [16, 16]
activation = "elu"

[training]
{training}

{extra}
"#
    );
    std::fs::write(d.join("run.toml"), cfg).expect("write config");
    d
}

/// Reads a JSON file.
pub fn json(path: &Path) -> Json {
    let t = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&t).expect("valid JSON")
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// The score of one event from one scoring model in model.json, in f64, written from
/// the format description alone: layer(...layer((x - mean) / std)), each layer
/// act(W x + b), the last with the sigmoid.
pub fn reference_score(scoring: &Json, x: &[f64]) -> f64 {
    let mean = floats(&scoring["standardize"]["mean"]);
    let std = floats(&scoring["standardize"]["std"]);
    // the model rounds the standardised inputs to f32 before the network
    let mut h: Vec<f64> = x
        .iter()
        .zip(mean.iter().zip(&std))
        .map(|(v, (m, s))| ((v - m) / s) as f32 as f64)
        .collect();
    for layer in scoring["layers"].as_array().expect("layers") {
        let bias = floats(&layer["bias"]);
        let rows: Vec<Vec<f64>> = layer["weight"]
            .as_array()
            .expect("weight")
            .iter()
            .map(floats)
            .collect();
        let alpha = layer.get("alpha").and_then(|a| a.as_f64());
        let act = layer["activation"].as_str().expect("activation");
        h = rows
            .iter()
            .zip(&bias)
            .map(|(r, b)| {
                let a: f64 = r.iter().zip(&h).map(|(w, v)| w * v).sum::<f64>() + b;
                match act {
                    "relu" => a.max(0.0),
                    "elu" => {
                        if a > 0.0 {
                            a
                        } else {
                            alpha.unwrap_or(1.0) * (a.exp() - 1.0)
                        }
                    }
                    "tanh" => a.tanh(),
                    "sigmoid" => 1.0 / (1.0 + (-a).exp()),
                    other => panic!("reference_score: add activation {other}"),
                }
            })
            .collect();
    }
    h[0]
}
