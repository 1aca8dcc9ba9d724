//! Errors as a user meets them: exit code 2, one line naming the file, no panic; and
//! `dump -o` written atomically.

use super::*;

/// Runs a command that must fail: exit code 2, nothing on stdout, exactly one line on
/// stderr starting `rootgrad: `, no panic. Returns that line.
fn fails(args: &[&str]) -> String {
    let o = run(args);
    let err = stderr(&o);
    assert!(
        !err.contains("panicked"),
        "rootgrad {args:?} panicked: {err}"
    );
    assert_eq!(o.status.code(), Some(2), "rootgrad {args:?}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "rootgrad {args:?}: not one line: {err}"
    );
    assert!(err.ends_with('\n'), "{err:?}");
    assert!(err.starts_with("rootgrad: "), "{err}");
    assert!(
        o.stdout.is_empty(),
        "rootgrad {args:?}: stdout {}",
        stdout(&o)
    );
    err.trim_end().to_string()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn fails_naming(args: &[&str], file: &str) -> String {
    let line = fails(args);
    assert!(line.contains(file), "`{line}` does not name `{file}`");
    line
}

#[test]
fn error_missing_file() {
    let dir = TempDir::new("missing");
    let f = dir.join("no-such-file.root").display().to_string();
    fails_naming(&["inspect", &f], &f);
    fails_naming(&["inspect", &f, "--json"], &f);
    fails_naming(&["dump", &format!("{f}:t")], &f);
}

#[test]
fn error_not_a_root_file() {
    let f = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("Cargo.toml")
        .display()
        .to_string();
    let line = fails_naming(&["inspect", &f], &f);
    assert!(line.contains("not a ROOT file"), "{line}");
    fails_naming(&["dump", &f], &f);
    // an empty file too
    let dir = TempDir::new("empty-file");
    let e = dir.join("empty.root");
    std::fs::write(&e, b"").unwrap();
    let e = e.display().to_string();
    fails_naming(&["inspect", &e], &e);
}

#[test]
fn error_missing_tree_lists_the_trees_there_are() {
    for cmd in ["inspect", "dump"] {
        let line = fails_naming(&[cmd, &format!("{}:Events", zlib())], &zlib());
        assert!(line.contains("`Events`"), "{line}");
        assert!(
            line.contains("did you mean `t`") && line.contains("available: t"),
            "{line}"
        );
    }
}

#[test]
fn error_missing_branch_says_did_you_mean() {
    let line = fails_naming(&["dump", &zlib(), "-b", "f64,f33"], &zlib());
    assert!(line.contains("`f33`"), "{line}");
    assert!(line.contains("did you mean `f32`"), "{line}");
    // `x[1]` of a branch that is not there names the branch
    let line = fails_naming(&["dump", &zlib(), "-b", "jff[1]"], &zlib());
    assert!(line.contains("did you mean `jf`"), "{line}");
}

#[test]
fn error_entry_start_past_entry_stop() {
    let line = fails(&["dump", &zlib(), "--entry-start", "10", "--entry-stop", "5"]);
    assert!(
        line.contains("--entry-start 10") && line.contains("5"),
        "{line}"
    );
}

#[test]
fn error_entry_start_past_entry_stop_names_the_file() {
    fails_naming(
        &["dump", &zlib(), "--entry-start", "10", "--entry-stop", "5"],
        &zlib(),
    );
}

#[test]
fn error_truncated_copy() {
    let whole = std::fs::read(data("codec-zlib.root")).unwrap();
    let dir = TempDir::new("truncated");
    for cut in [0, 3, 40, 100, 1000, whole.len() / 2, whole.len() - 1] {
        let f = dir.join(&format!("cut-{cut}.root"));
        std::fs::write(&f, &whole[..cut]).unwrap();
        let f = f.display().to_string();
        fails_naming(&["inspect", &f], &f);
        fails_naming(&["inspect", &f, "--json"], &f);
        fails_naming(&["dump", &format!("{f}:t"), "-b", "jf"], &f);
    }
}

/// A reader that stops early (`| head`) must not make rootgrad panic.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    use std::io::{BufRead, BufReader};
    let mut child = bin()
        .args(["dump", &data("many-baskets.root").display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "entry,x,n\n");
    // stdout is closed here: the rest of the 100,000 lines meet a broken pipe
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.lines().count() <= 1, "{err}");
    assert!(
        matches!(o.status.code(), Some(0) | Some(2)),
        "{:?}",
        o.status
    );
}

// ---------------------------------------------------------------------------------
// dump -o

#[test]
fn dump_output_is_written_atomically_and_refuses_to_overwrite() {
    let dir = TempDir::new("output");
    let out = dir.join("out.csv");
    let o = out.display().to_string();
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = ["dump", &zlib(), "-b", "f64,jf", "--entry-stop", "50"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["-o".to_string(), o.clone()]);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let want = ok(&["dump", &zlib(), "-b", "f64,jf", "--entry-stop", "50"]);

    // a fresh output: the same text as standard output, nothing on stdout
    let printed = ok(&strs(&args(&[])));
    assert_eq!(printed, "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
    assert_eq!(dir.names(), ["out.csv"]);

    // an existing output is refused and left as it was
    std::fs::write(&out, "precious\n").unwrap();
    let line = fails_naming(&strs(&args(&[])), &o);
    assert!(line.contains("--force"), "{line}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    assert_eq!(dir.names(), ["out.csv"]);

    // --force replaces it
    assert_eq!(ok(&strs(&args(&["--force"]))), "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
    assert_eq!(dir.names(), ["out.csv"], "no temporary file left");

    // JSON to a file too
    let j = dir.join("out.jsonl");
    let js = j.display().to_string();
    ok(&["dump", &zlib(), "-b", "f64", "--format", "json", "-o", &js]);
    assert_eq!(std::fs::read_to_string(&j).unwrap().lines().count(), 2062);
    assert_eq!(dir.names(), ["out.csv", "out.jsonl"]);
}

#[test]
fn a_failing_dump_leaves_no_output_and_no_temporary_file() {
    let dir = TempDir::new("output-fail");
    let out = dir.join("out.csv");
    let o = out.display().to_string();
    // a missing branch
    fails(&["dump", &zlib(), "-b", "f64,nope", "-o", &o]);
    assert_eq!(dir.names(), Vec::<String>::new(), "nothing written");
    // a missing tree, a bad range, a truncated input
    fails(&["dump", &format!("{}:nope", zlib()), "-o", &o]);
    fails(&[
        "dump",
        &zlib(),
        "--entry-start",
        "9",
        "--entry-stop",
        "3",
        "-o",
        &o,
    ]);
    let cut = dir.join("cut.root");
    let whole = std::fs::read(data("codec-zlib.root")).unwrap();
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    fails(&["dump", &format!("{}:t", cut.display()), "-o", &o]);
    assert_eq!(dir.names(), ["cut.root"], "nothing written");
    // with --force over an existing output, a failure leaves the old output whole
    std::fs::write(&out, "precious\n").unwrap();
    fails(&["dump", &zlib(), "-b", "nope", "-o", &o, "--force"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    assert_eq!(dir.names(), ["cut.root", "out.csv"]);
}

#[test]
fn dump_output_into_a_missing_folder_names_the_output() {
    let dir = TempDir::new("output-nofolder");
    let out = dir.join("no-such-folder/out.csv");
    let o = out.display().to_string();
    let line = fails_naming(&["dump", &zlib(), "-b", "f64", "-o", &o], &o);
    assert!(!line.contains("rootgrad-tmp"), "{line}");
}
