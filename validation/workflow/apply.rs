//! `rootgrad apply`: the friend tree's entries and scores against a plain f64 forward
//! pass of model.json (`reference_score`), and fold ownership entry by entry; several
//! files at once: one failing file (a fold value out of range part-way through, after
//! its first chunk was written) leaves no output of its own and spoils none of the
//! others, and the scores are the same for 1 and 2 threads and file by file.

use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;

use rootgrad::root::write::FriendData;

use super::{col, fails, json, labelled, ok, project, reference_score, run, text, write_tree};

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

/// Every file name in `dir`, sorted (hidden temporary files included).
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A copy of labelled sample `from` in which `event` is a double and entry `at` has
/// `event = 0.5`, so that the fold expression `event % 2` gives 0.5 there.
fn with_bad_event(from: &std::path::Path, to: &std::path::Path, at: usize) {
    let f = |b| read(from, "Events", b);
    let f32s = |b| FriendData::F32(f(b).iter().map(|&v| v as f32).collect());
    let mut event = f("event");
    event[at] = 0.5;
    write_tree(
        to,
        vec![
            col("r9", f32s("r9")),
            col("sieie", f32s("sieie")),
            col("iso", f32s("iso")),
            col("eta", f32s("eta")),
            col("event", FriendData::F64(event)),
        ],
    );
}

/// A two-fold model (`event % 2`) and inputs a.root (3000 entries), bad.root (80000,
/// event 0.5 at entry 78000: past the first chunk, which ends at the first basket
/// boundary at or past 65536 entries) and c.root (2000).
fn many_files(name: &str) -> std::path::PathBuf {
    let d = project(
        name,
        2000,
        "epochs = 1\nbatch_size = 256\nfolds = 2\nfold = \"event % 2\"",
        "",
    );
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    labelled(&d.join("a.root"), 3000, 21, 0.0);
    labelled(&d.join("big.root"), 80_000, 22, 0.0);
    with_bad_event(&d.join("big.root"), &d.join("bad.root"), 78_000);
    std::fs::remove_file(d.join("big.root")).unwrap();
    labelled(&d.join("c.root"), 2000, 23, 0.0);
    d
}

#[test]
fn one_failing_file_leaves_no_output_and_spoils_none_of_the_others() {
    let d = many_files("many-fail");
    let args = [
        "apply",
        "-m",
        "m/model.json",
        "a.root",
        "bad.root",
        "c.root",
        "--output-dir",
        "out",
        "--all-folds",
    ];
    let o = run(&args, &d);
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // the failing input is named with its entry, and in the summary
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("rootgrad: error: bad.root: ")
            && first.contains("bad.root:Events entry 78000")
            && first.contains("gives 0.5"),
        "{stderr}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("rootgrad: 1 of 3 inputs failed") && last.contains("bad.root"),
        "{stderr}"
    );
    // the others are written completely, reported in input order
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("a.root: 3000 entries scored -> "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("c.root: 2000 entries scored -> "),
        "{stdout}"
    );
    assert_eq!(
        names(&d.join("out")),
        ["a.rootgrad.root", "c.rootgrad.root"]
    );
    for (f, n) in [("a", 3000), ("c", 2000)] {
        let out = d.join(format!("out/{f}.rootgrad.root"));
        for b in ["score", "score_fold0", "score_fold1"] {
            let v = read(&out, "rootgrad", b);
            assert_eq!(v.len(), n, "{f} {b}");
            assert!(v.iter().all(|s| (0.0..=1.0).contains(s)), "{f} {b}");
        }
    }
    // the same error alone: exit 2, no output, no temporary file
    let e = fails(
        &[
            "apply",
            "-m",
            "m/model.json",
            "bad.root",
            "-o",
            "out/bad.root",
        ],
        &d,
    );
    assert!(e.contains("entry 78000"), "{e}");
    assert_eq!(
        names(&d.join("out")),
        ["a.rootgrad.root", "c.rootgrad.root"]
    );
}

#[test]
fn scores_are_the_same_for_one_and_two_threads_and_file_by_file() {
    let d = many_files("many-threads");
    // bad.root's fold problem is at entry 78000; score its first 78000 entries through a
    // good copy instead
    labelled(&d.join("b.root"), 75_000, 22, 0.0);
    let mut got = Vec::new();
    for threads in ["1", "2"] {
        let dir = format!("t{threads}");
        let out = ok(
            &[
                "apply",
                "-m",
                "m/model.json",
                "a.root",
                "b.root",
                "c.root",
                "--output-dir",
                &dir,
                "--threads",
                threads,
                "--all-folds",
            ],
            &d,
        );
        assert_eq!(out.lines().count(), 3, "{out}");
        got.push(
            ["a", "b", "c"]
                .map(|f| {
                    let p = d.join(format!("{dir}/{f}.rootgrad.root"));
                    ["score", "score_fold0", "score_fold1"].map(|b| read(&p, "rootgrad", b))
                })
                .to_vec(),
        );
    }
    let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (f, (one, two)) in got[0].iter().zip(&got[1]).enumerate() {
        for b in 0..3 {
            assert_eq!(bits(&one[b]), bits(&two[b]), "file {f}, column {b}");
        }
    }
    // each file on its own gives the same scores as in the run over all three
    for (k, f) in ["a", "b", "c"].iter().enumerate() {
        let o = format!("{f}-alone.root");
        ok(
            &[
                "apply",
                "-m",
                "m/model.json",
                &format!("{f}.root"),
                "-o",
                &o,
            ],
            &d,
        );
        assert_eq!(
            bits(&read(&d.join(&o), "rootgrad", "score")),
            bits(&got[0][k][0]),
            "{f}"
        );
    }
    assert_eq!(got[0][1][0].len(), 75_000);
}
