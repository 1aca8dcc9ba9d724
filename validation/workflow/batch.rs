//! `apply --shard`, `batch status|merge|apply`, `apply --entry-start/--entry-stop`, run as a
//! user runs them on a three-file chain whose trees have several clusters (baskets of 8191
//! floats, written together): the shards' merged friends are byte for byte the friends
//! of one `apply`; the plan covers every entry once, cut at cluster boundaries; bad
//! input (a missing shard, an input changed after planning, a shard result of another
//! plan, a shard index out of range, a missing plan) exits 2 naming the place and
//! writes no output.

use std::path::Path;

use super::{fails, json, labelled, ok, project};

const FILES: [&str; 3] = ["a.root", "b.root", "c.root"];
/// Entries per basket of a float branch as the test ntuples are written (32 KiB).
const BASKET: u64 = 8191;

fn setup() -> std::path::PathBuf {
    let d = project("batch", 1500, "epochs = 1\nbatch_size = 256", "");
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    labelled(&d.join("a.root"), 20_000, 21, 0.0);
    labelled(&d.join("b.root"), 9_000, 22, 0.0);
    labelled(&d.join("c.root"), 30_000, 23, 0.0);
    d
}

fn apply_shard(d: &Path, k: usize, n: usize, dir: &str) -> String {
    let shard = format!("{k}/{n}");
    let mut args = vec!["apply", "-m", "m/model.json", "-q"];
    args.extend(FILES);
    args.extend(["--shard", &shard, "--output-dir", dir]);
    ok(&args, d)
}

#[test]
fn merged_shards_are_the_bytes_of_one_apply() {
    let d = setup();
    for k in [0, 1, 3] {
        apply_shard(&d, k, 4, "sh");
    }
    // shard 2 never ran: status says so, merge refuses naming it and writes nothing
    let st = ok(&["batch", "status", "sh"], &d);
    assert!(st.contains("3 of 4 shards done"), "{st}");
    assert!(
        st.lines()
            .any(|l| l.starts_with("shard    2") && l.contains("missing")),
        "{st}"
    );
    let e = fails(&["batch", "merge", "sh"], &d);
    assert!(e.contains("1 of 4 shards are not done: 2 (missing)"), "{e}");
    assert!(!d.join("sh/a.rootgrad.root").exists());
    // a temporary file of a dead process (pid above Linux's largest) is cleaned up
    let stale = d.join("sh/.a.rootgrad.root.rootgrad-tmp-4200000000-000001");
    std::fs::write(&stale, b"half").unwrap();
    apply_shard(&d, 2, 4, "sh");
    let out = ok(&["batch", "merge", "sh"], &d);
    assert!(out.contains("20000 entries"), "{out}");
    assert!(!stale.exists());
    // the file records the path it was written under: one apply into the same folder
    let merged: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(d.join("sh").join(f.replace(".root", ".rootgrad.root"))).unwrap())
        .collect();
    let sh = d.join("sh").display().to_string();
    let mut args = vec![
        "apply",
        "-m",
        "m/model.json",
        "-q",
        "--force",
        "--output-dir",
        &sh,
    ];
    args.extend(FILES);
    ok(&args, &d);
    for (f, merged) in FILES.iter().zip(&merged) {
        let name = f.replace(".root", ".rootgrad.root");
        let one = std::fs::read(d.join("sh").join(&name)).unwrap();
        assert!(
            &one == merged,
            "{name}: merged friend differs from one apply's"
        );
    }
    check_plan(&json(&d.join("sh/plan.json")));
    // the same request planned by `batch apply` deals the same shards
    let mut args = vec!["batch", "apply", "-m", "m/model.json", "--shards", "4"];
    args.extend(FILES);
    args.extend(["--dir", "jobs", "--output-dir", "sh"]);
    ok(&args, &d);
    let (p1, p2) = (
        json(&d.join("sh/plan.json")),
        json(&d.join("jobs/plan.json")),
    );
    assert_eq!(p1["shards"], p2["shards"]);
    assert_eq!(p1["id"], p2["id"]);
    let slurm = std::fs::read_to_string(d.join("jobs/slurm.sh")).unwrap();
    assert!(slurm.contains("#SBATCH --array=0-3%50"), "{slurm}");
    bad_inputs(&d);
}

/// Every entry of every input in exactly one shard, pieces cut at cluster boundaries
/// (multiples of the basket size, or a file's end), shard bytes within one cluster of
/// the mean.
fn check_plan(plan: &serde_json::Value) {
    let inputs = plan["inputs"].as_array().unwrap();
    let mut pieces: Vec<(u64, u64, u64)> = Vec::new();
    for s in plan["shards"].as_array().unwrap() {
        for p in s.as_array().unwrap() {
            let f = |k: &str| p[k].as_u64().unwrap();
            pieces.push((f("input"), f("start"), f("stop")));
        }
    }
    pieces.sort();
    for (i, inp) in inputs.iter().enumerate() {
        let n = inp["entries"].as_u64().unwrap();
        let mut at = 0;
        for &(_, a, b) in pieces.iter().filter(|p| p.0 == i as u64) {
            assert_eq!(a, at, "input {i}: a gap or overlap at {a}");
            assert!(b == n || b % BASKET == 0, "input {i}: cut at {b}");
            at = b;
        }
        assert_eq!(at, n, "input {i}");
    }
}

fn bad_inputs(d: &Path) {
    // a shard out of range
    let e = fails(&["batch", "run", "sh/plan.json", "--shard", "4"], d);
    assert!(
        e.contains("sh/plan.json") && e.contains("out of range"),
        "{e}"
    );
    let mut args = vec!["apply", "-m", "m/model.json", "-q"];
    args.extend(FILES);
    args.extend(["--shard", "4/4", "--output-dir", "sh"]);
    let o = super::run(&args, d);
    let e = super::text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("--shard") && e.contains("0 to N-1"), "{e}");
    // another shard count over the same folder
    let e = fails(
        &[
            "apply",
            "-m",
            "m/model.json",
            "a.root",
            "--shard",
            "0/2",
            "--output-dir",
            "sh",
        ],
        d,
    );
    assert!(
        e.contains("sh/plan.json") && e.contains("another --output-dir"),
        "{e}"
    );
    // a missing plan
    let e = fails(&["batch", "status", "nowhere"], d);
    assert!(e.contains("nowhere/plan.json"), "{e}");
    // a shard result of another plan
    apply_shard(d, 0, 2, "other");
    let before = std::fs::read(d.join("sh/a.rootgrad.root")).unwrap();
    std::fs::copy(
        d.join("other/shards/0000.json"),
        d.join("sh/shards/0000.json"),
    )
    .unwrap();
    let e = fails(&["batch", "merge", "sh", "--force"], d);
    assert!(
        e.contains("sh/shards/0000.json") && e.contains("another plan"),
        "{e}"
    );
    apply_shard(d, 0, 4, "sh");
    // an input changed after planning
    labelled(&d.join("b.root"), 9_000, 99, 0.0);
    let e = fails(&["batch", "merge", "sh", "--force"], d);
    assert!(e.contains("b.root") && e.contains("after planning"), "{e}");
    assert_eq!(std::fs::read(d.join("sh/a.rootgrad.root")).unwrap(), before);
}

#[test]
fn an_entry_range_scores_those_entries_of_the_chain() {
    let d = setup();
    let mut args = vec!["apply", "-m", "m/model.json", "-q", "--output-dir", "one"];
    args.extend(FILES);
    ok(&args, &d);
    let mut args = vec!["apply", "-m", "m/model.json", "--output-dir", "part"];
    args.extend(FILES);
    args.extend(["--entry-start", "15000", "--entry-stop", "25000"]);
    let out = ok(&args, &d);
    assert!(out.contains("5000 entries scored"), "{out}");
    let read = |p: &str, range: std::ops::Range<u64>| {
        let t = rootgrad::root::chain::open_tree(&d.join(p), Some("rootgrad")).unwrap();
        rootgrad::root::read::read_column::<f32>(&t, "score", range)
            .unwrap()
            .values
    };
    assert_eq!(
        read("part/a.rootgrad.15000-20000.root", 0..u64::MAX),
        read("one/a.rootgrad.root", 15000..20000)
    );
    assert_eq!(
        read("part/b.rootgrad.0-5000.root", 0..u64::MAX),
        read("one/b.rootgrad.root", 0..5000)
    );
    assert!(!d.join("part/c.rootgrad.root").exists());
}

/// `train --fold K` per fold, then `batch combine`: model.json is the bytes of one
/// `train` of every fold (the fold models depend on their own events and seed only);
/// history.csv has every fold's rows in the same order (all but the last column, the
/// seconds each epoch took).
#[test]
fn folds_trained_apart_combine_into_the_same_model_file() {
    let d = project(
        "batch-folds",
        2000,
        "epochs = 2\nbatch_size = 256\nfolds = 3\nfold = \"event % 3\"\nvalidation = 0.2",
        "",
    );
    ok(&["train", "run.toml", "--out", "whole", "-q"], &d);
    // a fold out of range, and combine before every fold is there: exit 2, place named
    let e = fails(&["train", "run.toml", "--out", "apart", "--fold", "3"], &d);
    assert!(e.contains("--fold 3") && e.contains("0 to 2"), "{e}");
    for k in ["2", "0"] {
        ok(
            &["train", "run.toml", "--out", "apart", "--fold", k, "-q"],
            &d,
        );
    }
    let e = fails(&["batch", "combine", "apart"], &d);
    assert!(e.contains("fold-1"), "{e}");
    assert!(!d.join("apart/model.json").exists());
    ok(
        &["train", "run.toml", "--out", "apart", "--fold", "1", "-q"],
        &d,
    );
    let out = ok(&["batch", "combine", "apart"], &d);
    assert!(out.contains("3 folds combined"), "{out}");
    let read = |p: &str| std::fs::read_to_string(d.join(p)).unwrap();
    assert!(
        read("whole/model.json") == read("apart/model.json"),
        "model.json differs"
    );
    let rows = |p: &str| -> Vec<String> {
        read(p)
            .lines()
            .map(|l| l.rsplit_once(',').map_or(l, |x| x.0).to_string())
            .collect()
    };
    let whole = rows("whole/history.csv");
    assert_eq!(whole.len(), 1 + 3 * 2, "{whole:?}");
    assert_eq!(whole, rows("apart/history.csv"));
    // the job folder: one job per fold
    ok(
        &[
            "batch", "train", "run.toml", "--out", "apart", "--dir", "jobs",
        ],
        &d,
    );
    let slurm = std::fs::read_to_string(d.join("jobs/slurm.sh")).unwrap();
    assert!(
        slurm.contains("--array=0-2%") && slurm.contains("--fold \"$SLURM_ARRAY_TASK_ID\""),
        "{slurm}"
    );
}

/// `sweep --point P` per point (what each job of `batch sweep` runs), then `sweep
/// --tabulate`: the same table as one `sweep` (the run folder column aside).
#[test]
fn sweep_points_run_apart_tabulate_like_one_sweep() {
    let d = project(
        "batch-sweep",
        1200,
        "epochs = 1\nbatch_size = 256",
        "[adaptation]\nmethod = \"histogram\"\n",
    );
    let sweep = |extra: &[&str], out: &str| {
        let mut a = vec![
            "sweep",
            "run.toml",
            "--set",
            "adaptation.lambda=0,10",
            "--repeat",
            "2",
            "--out",
            out,
            "-q",
        ];
        a.extend(extra);
        ok(&a, &d)
    };
    sweep(&[], "one");
    ok(
        &[
            "batch",
            "sweep",
            "run.toml",
            "--set",
            "adaptation.lambda=0,10",
            "--repeat",
            "2",
            "--out",
            "apart",
            "--dir",
            "jobs",
        ],
        &d,
    );
    let slurm = std::fs::read_to_string(d.join("jobs/slurm.sh")).unwrap();
    assert!(slurm.contains("--array=0-3%"), "{slurm}");
    assert!(slurm.contains("--set 'adaptation.lambda=0,10'"), "{slurm}");
    for p in ["3", "1", "0"] {
        sweep(&["--point", p], "apart");
    }
    let e = fails(
        &[
            "sweep",
            "run.toml",
            "--set",
            "adaptation.lambda=0,10",
            "--repeat",
            "2",
            "--out",
            "apart",
            "--tabulate",
        ],
        &d,
    );
    assert!(e.contains("run1_seed1") && e.contains("--point 2"), "{e}");
    sweep(&["--point", "2"], "apart");
    sweep(&["--tabulate"], "apart");
    let rows = |p: &str| -> Vec<String> {
        std::fs::read_to_string(d.join(p).join("sweep.csv"))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once(',').map_or(l, |x| x.0).to_string())
            .collect()
    };
    assert_eq!(rows("one").len(), 5);
    assert_eq!(rows("one"), rows("apart"));
}
