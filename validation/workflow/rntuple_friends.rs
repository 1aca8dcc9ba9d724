//! RNTuple friends (issue 16 item 3): `--friend-format ttree|rntuple` and its default
//! (the input's own kind) on `apply`, `apply --shard` + `batch merge`, `reweight`'s model
//! applied and `morph`; the friend's scores are those of the TTree friend of the same
//! entries, bit for bit; RNTuple friends attach to RNTuple and TTree chains and are
//! refused by a chain they were not written for; input globs leave them out. The RNTuple
//! inputs are copies of the project's TTrees written by the project's own RNTuple
//! writer; ROOT 6.40 and uproot read the friends in CI (validation/ci/rntw.sh).

use std::path::Path;

use rootgrad::root::chain::{open_member, Member};
use rootgrad::root::file::RootFile;
use rootgrad::root::rntuple::list_ntuples;
use rootgrad::root::write::{write_friend_as, FriendData, FriendFormat, FriendSpec};
use rootgrad::root::{Chain, TreeSpec};

use super::{col, fails, labelled, ok, project, run, text};

/// The kind of the one ntuple in `path`: "TTree" or "RNTuple".
fn kind(path: &Path) -> &'static str {
    match open_member(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        Member::Tree(_) => "TTree",
        Member::Ntuple(_) => "RNTuple",
    }
}

/// Every value of `name` in `FILE:TREE`, whichever its kind.
fn values(spec: &str, name: &str) -> Vec<f64> {
    let c = Chain::open(&TreeSpec::parse(spec)).unwrap();
    c.read::<f64>(name, 0..c.entries()).unwrap().values
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The values of an integer branch (exact in f64 below 2^53).
fn ints(c: &Chain, b: &str) -> impl Iterator<Item = f64> {
    c.read::<f64>(b, 0..c.entries()).unwrap().values.into_iter()
}

/// An RNTuple copy `to` (ntuple `Events`) of the TTree `from:Events`, every branch with
/// its type.
fn as_rntuple(from: &Path, to: &Path) {
    let c = Chain::open(&TreeSpec::parse(&format!("{}:Events", from.display()))).unwrap();
    let n = c.entries();
    let columns: Vec<_> = c
        .branch_names()
        .into_iter()
        .map(|b| {
            let data = match b.as_str() {
                "genWeight" | "sw" => FriendData::F64(c.read::<f64>(&b, 0..n).unwrap().values),
                "flav" => FriendData::I32(ints(&c, &b).map(|x| x as i32).collect()),
                "event" => FriendData::I64(ints(&c, &b).map(|x| x as i64).collect()),
                _ => FriendData::F32(c.read::<f32>(&b, 0..n).unwrap().values),
            };
            col(&b, data)
        })
        .collect();
    write_friend_as(
        &FriendSpec {
            path: to,
            tree: "Events",
            columns: &columns,
            expected_entries: None,
            overwrite: true,
            source: None,
        },
        FriendFormat::RNTuple,
    )
    .unwrap();
}

/// The project with a trained model and RNTuple copies of the control samples.
fn setup(name: &str) -> std::path::PathBuf {
    let d = project(name, 1200, "epochs = 1\nbatch_size = 256", "");
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    as_rntuple(&d.join("data_cr.root"), &d.join("data_rnt.root"));
    as_rntuple(&d.join("mc_cr.root"), &d.join("mc_rnt.root"));
    d
}

#[test]
fn the_friend_follows_the_input_unless_the_flag_says_otherwise() {
    let d = setup("rntw-default");
    let apply = |input: &str, out: &str, extra: &[&str]| {
        let mut a = vec!["apply", "-m", "m/model.json", "-q", input, "-o", out];
        a.extend(extra);
        ok(&a, &d)
    };
    apply("data_cr.root", "tt.root", &[]);
    apply("data_rnt.root", "rnt.root", &[]);
    apply(
        "data_rnt.root",
        "rnt_tt.root",
        &["--friend-format", "ttree"],
    );
    apply(
        "data_cr.root",
        "tt_rnt.root",
        &["--friend-format", "rntuple"],
    );
    assert_eq!(kind(&d.join("tt.root")), "TTree");
    assert_eq!(kind(&d.join("rnt.root")), "RNTuple");
    assert_eq!(kind(&d.join("rnt_tt.root")), "TTree");
    assert_eq!(kind(&d.join("tt_rnt.root")), "RNTuple");
    let file = RootFile::open(&d.join("rnt.root")).unwrap();
    assert_eq!(list_ntuples(&file).unwrap(), vec!["rootgrad".to_string()]);
    // the same entries give the same scores whatever the input's and friend's kinds
    let want = values(&d.join("tt.root").display().to_string(), "score");
    assert_eq!(want.len(), 600);
    for f in ["rnt.root", "rnt_tt.root", "tt_rnt.root"] {
        let got = values(&format!("{}:rootgrad", d.join(f).display()), "score");
        assert!(same_bits(&got, &want), "{f}");
    }
    // a bad value names the flag and the choices
    let e = text(
        &run(
            &[
                "apply",
                "-m",
                "m/model.json",
                "data_rnt.root",
                "--friend-format",
                "parquet",
            ],
            &d,
        )
        .stderr,
    );
    assert!(
        e.contains("--friend-format") && e.contains("rntuple"),
        "{e}"
    );
}

#[test]
fn rntuple_friends_attach_to_their_own_chain_and_are_refused_by_another() {
    let d = setup("rntw-attach");
    let a = [
        "apply",
        "-m",
        "m/model.json",
        "-q",
        "data_rnt.root",
        "mc_rnt.root",
    ];
    ok(&a, &d);
    ok(
        &[
            "apply",
            "-m",
            "m/model.json",
            "-q",
            "mc_cr.root",
            "--friend-format",
            "rntuple",
        ],
        &d,
    );
    let agreement = |data: &str, mc: &str, friends: &[&str]| {
        let mut a = vec![
            "agreement",
            "--data",
            data,
            "--mc",
            mc,
            "--var",
            "score",
            "--json",
        ];
        for f in friends {
            a.extend(["--friend", f]);
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(|s| s.as_str()).collect()
    }
    // RNTuple chains with their RNTuple friends
    let both = agreement(
        "data_rnt.root",
        "mc_rnt.root",
        &[
            "data=data_rnt.rootgrad.root:rootgrad",
            "mc=mc_rnt.rootgrad.root:rootgrad",
        ],
    );
    let rnt = ok(&args(&both), &d);
    // a TTree chain with its RNTuple friend gives the same comparison
    let mixed = agreement(
        "data_rnt.root",
        "mc_cr.root:Events",
        &[
            "data=data_rnt.rootgrad.root:rootgrad",
            "mc=mc_cr.rootgrad.root:rootgrad",
        ],
    );
    assert_eq!(ok(&args(&mixed), &d), rnt);
    // an RNTuple chain with a TTree friend written for it
    ok(
        &[
            "apply",
            "-m",
            "m/model.json",
            "-q",
            "data_rnt.root",
            "-o",
            "data_tt.root",
            "--friend-format",
            "ttree",
        ],
        &d,
    );
    let tt_friend = agreement(
        "data_rnt.root",
        "mc_rnt.root",
        &[
            "data=data_tt.root:rootgrad",
            "mc=mc_rnt.rootgrad.root:rootgrad",
        ],
    );
    assert_eq!(ok(&args(&tt_friend), &d), rnt);
    // the data's friend attached to the simulation: refused, naming both
    let wrong = agreement(
        "data_rnt.root",
        "mc_rnt.root",
        &[
            "data=data_rnt.rootgrad.root:rootgrad",
            "mc=data_rnt.rootgrad.root:rootgrad",
        ],
    );
    let e = fails(&args(&wrong), &d);
    assert!(
        e.contains("written for")
            && e.contains("data_rnt.root:Events")
            && e.contains("mc_rnt.root"),
        "{e}"
    );
}

#[test]
fn input_globs_leave_rntuple_friends_out() {
    let d = setup("rntw-glob");
    ok(&["apply", "-m", "m/model.json", "-q", "data_rnt.root"], &d);
    assert_eq!(kind(&d.join("data_rnt.rootgrad.root")), "RNTuple");
    let o = run(
        &[
            "apply",
            "-m",
            "m/model.json",
            "-q",
            "data_rnt*.root",
            "--force",
        ],
        &d,
    );
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("note: leaving data_rnt.rootgrad.root out of `data_rnt*.root`"),
        "{err}"
    );
    assert!(!d.join("data_rnt.rootgrad.rootgrad.root").exists());
}

#[test]
fn merged_rntuple_shards_are_the_bytes_of_one_apply() {
    let d = setup("rntw-batch");
    labelled(&d.join("big.root"), 70_000, 31, 0.0);
    as_rntuple(&d.join("big.root"), &d.join("a_rnt.root"));
    as_rntuple(&d.join("data_cr.root"), &d.join("b_rnt.root"));
    let files = ["a_rnt.root", "b_rnt.root"];
    for k in 0..3 {
        let shard = format!("{k}/3");
        let mut a = vec![
            "apply",
            "-m",
            "m/model.json",
            "-q",
            "--shard",
            &shard,
            "--output-dir",
            "sh",
        ];
        a.extend(files);
        ok(&a, &d);
    }
    let out = ok(&["batch", "merge", "sh"], &d);
    assert!(out.contains("70000 entries"), "{out}");
    let merged: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(d.join("sh").join(f.replace(".root", ".rootgrad.root"))).unwrap())
        .collect();
    let mut a = vec![
        "apply",
        "-m",
        "m/model.json",
        "-q",
        "--force",
        "--output-dir",
        "sh",
    ];
    a.extend(files);
    ok(&a, &d);
    for (f, merged) in files.iter().zip(&merged) {
        let name = f.replace(".root", ".rootgrad.root");
        assert_eq!(kind(&d.join("sh").join(&name)), "RNTuple");
        let one = std::fs::read(d.join("sh").join(&name)).unwrap();
        assert!(
            &one == merged,
            "{name}: merged friend differs from one apply's"
        );
    }
    // a plan made with the flag keeps it: TTree pieces and a TTree merge
    let mut a = vec![
        "batch",
        "apply",
        "-m",
        "m/model.json",
        "--shards",
        "2",
        "--dir",
        "jobs",
    ];
    a.extend(files);
    a.extend(["--output-dir", "tt", "--friend-format", "ttree"]);
    ok(&a, &d);
    for k in ["0", "1"] {
        ok(&["batch", "run", "jobs/plan.json", "--shard", k], &d);
    }
    ok(&["batch", "merge", "jobs"], &d);
    assert_eq!(kind(&d.join("tt/a_rnt.rootgrad.root")), "TTree");
    let tt = values(
        &format!("{}:rootgrad", d.join("tt/a_rnt.rootgrad.root").display()),
        "score",
    );
    let rnt = values(
        &format!("{}:rootgrad", d.join("sh/a_rnt.rootgrad.root").display()),
        "score",
    );
    assert!(same_bits(&tt, &rnt));
}

/// The friend file named on the `N entries -> FILE:TREE (...)` line of `out`.
fn written(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split(" -> ").nth(1))
        .and_then(|s| s.split(':').next())
        .unwrap_or_else(|| panic!("no friend in {out}"))
        .to_string()
}

#[test]
fn reweight_and_morph_friends_take_the_flag() {
    let d = setup("rntw-domain");
    let morph = |out: &str, extra: &[&str]| {
        let mut a = vec!["morph", "run.toml", "--var", "r9", "--out", out, "-q"];
        a.extend(extra);
        d.join(written(&ok(&a, &d)))
    };
    let rnt = morph("mo", &["--friend-format", "rntuple"]);
    let tt = morph("mt", &[]);
    assert_eq!(kind(&rnt), "RNTuple");
    assert_eq!(kind(&tt), "TTree");
    let a = values(&format!("{}:morph", rnt.display()), "r9_morphed");
    let b = values(&format!("{}:morph", tt.display()), "r9_morphed");
    assert!(!a.is_empty() && same_bits(&a, &b));
    // reweight on RNTuple control samples: an RNTuple friend by default
    let cfg = std::fs::read_to_string(d.join("run.toml"))
        .unwrap()
        .replace("data_cr.root:Events", "data_rnt.root:Events")
        .replace("\"mc_cr.root\"", "\"mc_rnt.root\"");
    std::fs::write(d.join("rnt.toml"), cfg).unwrap();
    let reweight = |out: &str, extra: &[&str]| {
        let mut a = vec!["reweight", "rnt.toml", "--out", out, "-q"];
        for s in [
            "training.epochs=1",
            "training.folds=2",
            "training.fold=event % 2",
        ] {
            a.extend(["--set", s]);
        }
        a.extend(extra);
        d.join(written(&ok(&a, &d)))
    };
    let friend = reweight("rw", &[]);
    let tt = reweight("rt", &["--friend-format", "ttree"]);
    assert_eq!(kind(&friend), "RNTuple");
    assert_eq!(kind(&tt), "TTree");
    let tt = values(&format!("{}:reweight", tt.display()), "weight_rw");
    assert!(same_bits(
        &values(&format!("{}:reweight", friend.display()), "weight_rw"),
        &tt
    ));
    let rw = values(&format!("{}:reweight", friend.display()), "rw");
    assert_eq!(rw.len(), 600);
}
