//! Friends must belong to the tree they are attached to (issue 17.2) and input globs
//! leave rootgrad's own friends out (17.4). The friends here are written by `apply`,
//! which records each one's source (file, tree, entries, UUID, basket fingerprint);
//! `data_cr.root` and `mc_cr.root` have the same entry count, so only the record tells
//! their friends apart.

use super::{col, fails, ok, project, run, text, write_tree};
use rootgrad::root::write::FriendData;

/// The agreement of `score` between the control samples, with `friends`.
fn agreement<'a>(friends: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "agreement",
        "--data",
        "data_cr.root:Events",
        "--mc",
        "mc_cr.root:Events",
        "--var",
        "score",
        "--json",
    ];
    for f in friends {
        a.extend(["--friend", f]);
    }
    a
}

#[test]
fn a_friend_is_refused_by_a_tree_it_was_not_written_for() {
    let d = project("friend-source", 1200, "epochs = 1", "");
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    ok(
        &[
            "apply",
            "-m",
            "m/model.json",
            "data_cr.root:Events",
            "mc_cr.root:Events",
        ],
        &d,
    );
    // no role: the data's friend would join both samples (it used to give KS 0, p = 1)
    let e = fails(&agreement(&["data_cr.rootgrad.root:rootgrad"]), &d);
    assert!(
        e.contains("data_cr.rootgrad.root")
            && e.contains("written for")
            && e.contains("data_cr.root:Events"),
        "{e}"
    );
    assert!(
        e.contains("mc_cr.root"),
        "names the tree it was attached to: {e}"
    );
    // the data's friend given to the simulation, same entry count
    let e = fails(
        &agreement(&[
            "data=data_cr.rootgrad.root:rootgrad",
            "mc=data_cr.rootgrad.root:rootgrad",
        ]),
        &d,
    );
    assert!(
        e.contains("data_cr.root:Events") && e.contains("mc_cr.root"),
        "{e}"
    );
    // each friend with its own sample is accepted
    ok(
        &agreement(&[
            "data=data_cr.rootgrad.root:rootgrad",
            "mc=mc_cr.rootgrad.root:rootgrad",
        ]),
        &d,
    );
}

#[test]
fn a_friend_without_a_role_or_a_record_is_refused_when_there_are_two_samples() {
    let d = project("friend-norole", 400, "epochs = 1", "");
    // a friend rootgrad did not write: nothing says which sample it belongs to
    write_tree(
        &d.join("other.root"),
        vec![col("score", FriendData::F32(vec![0.5; 200]))],
    );
    let e = fails(&agreement(&["other.root:Events"]), &d);
    assert!(
        e.contains("other.root") && e.contains("no sample name") && e.contains("data="),
        "{e}"
    );
    // given a role, it is attached (its entry count fits)
    ok(
        &agreement(&["data=other.root:Events", "mc=other.root:Events"]),
        &d,
    );
}

#[test]
fn input_globs_leave_rootgrads_friends_out_with_a_note() {
    let d = project("friend-glob", 400, "epochs = 1", "");
    ok(&["train", "run.toml", "--out", "m", "-q"], &d);
    ok(&["apply", "-m", "m/model.json", "data_cr.root:Events"], &d);
    assert!(d.join("data_cr.rootgrad.root").exists());
    // rerun on a glob that also matches the friend written by the first run
    let o = run(
        &["apply", "-m", "m/model.json", "data_cr*.root", "--force"],
        &d,
    );
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("note: leaving data_cr.rootgrad.root out of `data_cr*.root`"),
        "{err}"
    );
    assert!(!d.join("data_cr.rootgrad.rootgrad.root").exists());
}
