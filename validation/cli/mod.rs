//! The `rootgrad` binary as a user meets it, run as a process (`CARGO_BIN_EXE_rootgrad`).
//!
//! - `inspect` lists the tree, its entries and each branch's C++ type and baskets as
//!   uproot saw them when it wrote the file (validation/data/uproot/expected.json, made
//!   by validation/make_uproot_files.py), in the table and in `--json`;
//! - `dump` prints the values the library reads (`read_column`), bit for bit, in JSON
//!   Lines and CSV, including `x[1]` element picks and entry ranges;
//! - every error (missing file, not a ROOT file, missing tree or branch, a bad entry
//!   range, a truncated file) exits with code 2 and prints exactly one line on stderr,
//!   `rootgrad: ...`, naming the file, and never a panic;
//! - `dump -o OUT` is atomic: an existing OUT is refused without `--force` and left as
//!   it was, replaced with it, and neither a failing dump nor a successful one leaves a
//!   temporary `.OUT.rootgrad-tmp-*` file behind.
//!
//! Numbers printed by `dump` are compared as text parsed by Rust's correctly rounded
//! `str::parse` (a small JSON reader below), not through serde_json's float parser,
//! which is not guaranteed to round correctly without its `float_roundtrip` feature.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;
use rootgrad::root::{Column, Layout};
use serde_json::Value as Json;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rootgrad"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("validation/data/uproot")
        .join(name)
}

fn zlib() -> String {
    data("codec-zlib.root").display().to_string()
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run rootgrad")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects success with nothing on stderr.
fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "rootgrad {args:?}: {:?}, stderr: {}",
        o.status,
        stderr(&o)
    );
    stdout(&o)
}

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rootgrad-cli-test-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Every file name in the folder, sorted (hidden temporary files included).
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The branches of `t` in validation/data/uproot/codec-*.root, in the order written.
const ALL_BRANCHES: [&str; 18] = [
    "b", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "f32", "f64", "f32w", "f64w", "arr",
    "njf", "jf", "nji", "ji",
];

fn expected() -> Json {
    let text = std::fs::read_to_string(data("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

// ---------------------------------------------------------------------------------
// inspect

#[test]
fn inspect_json_lists_the_tree_entries_and_branch_types() {
    let exp = &expected()["codec-zlib.root"];
    for target in [zlib(), format!("{}:t", zlib())] {
        let out = ok(&["inspect", &target, "--json"]);
        let j: Json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let files = j.as_array().expect("a JSON list of files");
        assert_eq!(files.len(), 1);
        let f = &files[0];
        assert_eq!(f["file"], zlib());
        assert_eq!(
            f["bytes"].as_u64(),
            Some(std::fs::metadata(zlib()).unwrap().len())
        );
        let trees = f["trees"].as_array().unwrap();
        assert_eq!(trees.len(), 1, "{target}: one tree");
        let t = &trees[0];
        assert_eq!(t["path"], "t");
        assert_eq!(t["entries"], 2062);
        let branches = t["branches"].as_array().unwrap();
        let by_name = |n: &str| {
            branches
                .iter()
                .find(|b| b["name"] == n)
                .unwrap_or_else(|| panic!("no branch {n} in {branches:?}"))
        };
        // a few exact fields
        assert_eq!(by_name("jf")["cpp_type"], "float[]");
        assert_eq!(by_name("jf")["interpretation"], "var * float32");
        assert_eq!(by_name("arr")["cpp_type"], "float[3]");
        assert_eq!(by_name("arr")["interpretation"], "float32[3]");
        assert_eq!(by_name("b")["cpp_type"], "bool");
        assert_eq!(by_name("ji")["cpp_type"], "int32_t[]");
        // every branch, in the order written (serde_json's map is sorted, so the
        // order is spelled out), with uproot's type name and basket count
        let want = exp["branches"].as_object().unwrap();
        let names: Vec<&str> = branches
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ALL_BRANCHES, "branch names and order");
        assert_eq!(want.len(), names.len(), "as many branches as uproot saw");
        for b in branches {
            let w = &want[b["name"].as_str().unwrap()];
            assert_eq!(b["cpp_type"], w["typename"], "{}: cpp_type", b["name"]);
            assert_eq!(b["baskets"], w["num_baskets"], "{}: baskets", b["name"]);
            assert_eq!(b["readable"], true, "{}: readable", b["name"]);
            let (c, u) = (
                b["compressed_bytes"].as_u64().unwrap(),
                b["uncompressed_bytes"].as_u64().unwrap(),
            );
            assert!(c > 0 && u > 0, "{}: sizes {c} {u}", b["name"]);
        }
    }
}

#[test]
fn inspect_table_shows_the_tree_and_branch_rows() {
    let out = ok(&["inspect", &zlib()]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(&zlib()) && lines[0].contains("ROOT 6.24/00"),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "tree t \"\": 2062 entries, 18 branches"),
        "{out}"
    );
    let row = |name: &str| -> Vec<&str> {
        lines
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.first() == Some(&name))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"))
    };
    // name, type, compressed, uncompressed, baskets, interpretation...
    assert_eq!(row("jf")[1], "float[]");
    assert_eq!(row("jf")[4], "100");
    assert_eq!(row("jf")[5..].join(" "), "var * float32");
    assert_eq!(row("arr")[1], "float[3]");
    assert_eq!(row("b")[1], "bool");
    assert_eq!(row("u64")[1..2], ["uint64_t"]);
}

// ---------------------------------------------------------------------------------
// dump against the library

/// A JSON value with numbers kept as their text.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

mod dump;
mod errors;
mod export;
