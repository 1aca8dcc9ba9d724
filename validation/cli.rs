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

/// A small strict JSON reader (enough for `dump --format json` lines).
struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn parse(line: &str) -> J {
        let mut p = P {
            s: line.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing text in {line}");
        v
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "expected {:?} at {}",
            c as char,
            self.i
        );
        self.i += 1;
    }

    fn peek(&mut self) -> u8 {
        self.ws();
        *self.s.get(self.i).expect("unexpected end of line")
    }

    fn string(&mut self) -> String {
        self.eat(b'"');
        let start = self.i;
        while self.s[self.i] != b'"' {
            assert_ne!(self.s[self.i], b'\\', "escapes are not expected here");
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8(self.s[start..self.i - 1].to_vec()).unwrap()
    }

    fn value(&mut self) -> J {
        match self.peek() {
            b'n' => {
                assert_eq!(&self.s[self.i..self.i + 4], b"null");
                self.i += 4;
                J::Null
            }
            b'"' => J::Str(self.string()),
            b'[' => {
                self.eat(b'[');
                let mut v = Vec::new();
                if self.peek() == b']' {
                    self.i += 1;
                    return J::Arr(v);
                }
                loop {
                    v.push(self.value());
                    if self.peek() == b',' {
                        self.i += 1;
                    } else {
                        self.eat(b']');
                        return J::Arr(v);
                    }
                }
            }
            b'{' => {
                self.eat(b'{');
                let mut v = Vec::new();
                loop {
                    let k = self.string();
                    self.eat(b':');
                    v.push((k, self.value()));
                    if self.peek() == b',' {
                        self.i += 1;
                    } else {
                        self.eat(b'}');
                        return J::Obj(v);
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                assert!(self.i > start, "a value expected at {start}");
                J::Num(String::from_utf8(self.s[start..self.i].to_vec()).unwrap())
            }
        }
    }
}

/// How a branch's values print.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Integer,
    Single,
    Double,
}

/// Checks one printed number against the library's value, exactly: integers as
/// integer text, floats as text that parses to the same float (f32 for `float`
/// branches), non-finite values as `null` in JSON.
fn same_number(text: Option<&str>, lib: f64, kind: Kind, what: &str) {
    let Some(t) = text else {
        assert!(!lib.is_finite(), "{what}: printed null for {lib}");
        return;
    };
    match kind {
        Kind::Integer => {
            assert!(
                !t.contains(['.', 'e', 'E']),
                "{what}: integer printed as {t}"
            );
            assert_eq!(t.parse::<i128>().unwrap(), lib as i128, "{what}: {t}");
        }
        Kind::Single => assert_eq!(
            t.parse::<f32>().unwrap().to_bits(),
            (lib as f32).to_bits(),
            "{what}: {t} vs {lib}"
        ),
        Kind::Double => assert_eq!(
            t.parse::<f64>().unwrap().to_bits(),
            lib.to_bits(),
            "{what}: {t} vs {lib}"
        ),
    }
}

fn num(j: &J) -> Option<&str> {
    match j {
        J::Num(t) => Some(t),
        J::Null => None,
        other => panic!("a number or null expected, got {other:?}"),
    }
}

/// Branches to compare: scalars of each kind (including extremes: subnormals, -0,
/// FLT_MAX, 1e300, +-2^53), a fixed array, a jagged array and its count.
const BRANCHES: &[(&str, Kind)] = &[
    ("b", Kind::Integer),
    ("i8", Kind::Integer),
    ("u16", Kind::Integer),
    ("i64", Kind::Integer),
    ("u64", Kind::Integer),
    ("f32", Kind::Single),
    ("f32w", Kind::Single),
    ("f64", Kind::Double),
    ("f64w", Kind::Double),
    ("arr", Kind::Single),
    ("njf", Kind::Integer),
    ("jf", Kind::Single),
    ("ji", Kind::Integer),
];

fn library(name: &str, a: u64, z: u64) -> Column<f64> {
    let tree = open_tree(&data("codec-zlib.root"), Some("t")).unwrap();
    read_column::<f64>(&tree, name, a..z).unwrap()
}

fn check_json_dump(a: u64, z: u64) {
    let mut list: Vec<String> = BRANCHES.iter().map(|(n, _)| n.to_string()).collect();
    list.extend(["arr[1]", "jf[1]", "ji[0]"].map(String::from));
    let out = ok(&[
        "dump",
        &format!("{}:t", zlib()),
        "-b",
        &list.join(","),
        "--entry-start",
        &a.to_string(),
        "--entry-stop",
        &z.to_string(),
        "--format",
        "json",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len() as u64, z - a, "one line per entry");
    let cols: Vec<(String, Kind, Column<f64>)> = BRANCHES
        .iter()
        .map(|&(n, k)| (n.to_string(), k, library(n, a, z)))
        .collect();
    for (k, line) in lines.iter().enumerate() {
        let entry = a + k as u64;
        // valid JSON by serde_json's reading too
        let sj: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(sj["entry"], entry);
        let J::Obj(fields) = P::parse(line) else {
            panic!("not an object: {line}")
        };
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let want_keys: Vec<&str> = std::iter::once("entry")
            .chain(list.iter().map(String::as_str))
            .collect();
        assert_eq!(keys, want_keys, "keys in the order asked");
        let field = |n: &str| &fields.iter().find(|(k, _)| k == n).unwrap().1;
        for (name, kind, col) in &cols {
            let what = format!("entry {entry} {name}");
            let lib = col.entry(k);
            match (&col.layout, field(name)) {
                (Layout::Flat { width: 1 }, j) => same_number(num(j), lib[0], *kind, &what),
                (_, J::Arr(items)) => {
                    assert_eq!(items.len(), lib.len(), "{what}: length");
                    for (i, (j, &v)) in items.iter().zip(lib).enumerate() {
                        same_number(num(j), v, *kind, &format!("{what}[{i}]"));
                    }
                }
                (_, other) => panic!("{what}: a list expected, got {other:?}"),
            }
        }
        // element picks: the element, or null when the entry has fewer
        for (pick, base, i, kind) in [
            ("arr[1]", "arr", 1, Kind::Single),
            ("jf[1]", "jf", 1, Kind::Single),
            ("ji[0]", "ji", 0, Kind::Integer),
        ] {
            let col = &cols.iter().find(|c| c.0 == base).unwrap().2;
            let what = format!("entry {entry} {pick}");
            match (col.entry(k).get(i), field(pick)) {
                (Some(&v), J::Num(t)) => same_number(Some(t), v, kind, &what),
                (None, J::Null) => {}
                (v, j) => panic!("{what}: library {v:?}, printed {j:?}"),
            }
        }
    }
}

#[test]
fn dump_json_equals_the_library_values() {
    check_json_dump(0, 40);
    check_json_dump(2000, 2062);
    // an entry stop past the end is clamped to the tree
    let out = ok(&[
        "dump",
        &format!("{}:t", zlib()),
        "-b",
        "f64",
        "--entry-start",
        "2060",
        "--entry-stop",
        "999999",
        "--format",
        "json",
    ]);
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn dump_csv_header_and_values() {
    let out = ok(&[
        "dump",
        &zlib(),
        "-b",
        "f64,arr,arr[1],jf,i64",
        "--entry-stop",
        "30",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "entry,f64,arr,arr[1],jf,i64");
    assert_eq!(lines.len(), 31);
    let f64s = library("f64", 0, 30);
    let arr = library("arr", 0, 30);
    let jf = library("jf", 0, 30);
    let i64s = library("i64", 0, 30);
    for (k, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 6, "{line}");
        assert_eq!(cells[0], k.to_string());
        same_number(Some(cells[1]), f64s.values[k], Kind::Double, line);
        let list = |c: &str| -> Vec<String> {
            let inner = c.strip_prefix('[').and_then(|c| c.strip_suffix(']'));
            let inner = inner.unwrap_or_else(|| panic!("`{c}` is not [a b c]"));
            inner.split_whitespace().map(String::from).collect()
        };
        let a = list(cells[2]);
        assert_eq!(a.len(), 3);
        for (t, &v) in a.iter().zip(arr.entry(k)) {
            same_number(Some(t), v, Kind::Single, line);
        }
        same_number(Some(cells[3]), arr.entry(k)[1], Kind::Single, line);
        let j = list(cells[4]);
        assert_eq!(j.len(), jf.entry(k).len(), "{line}");
        for (t, &v) in j.iter().zip(jf.entry(k)) {
            same_number(Some(t), v, Kind::Single, line);
        }
        same_number(Some(cells[5]), i64s.values[k], Kind::Integer, line);
    }
    // every readable branch by default, in the tree's order
    let out = ok(&["dump", &zlib(), "--entry-stop", "1"]);
    assert_eq!(
        out.lines().next().unwrap(),
        format!("entry,{}", ALL_BRANCHES.join(","))
    );
}

// ---------------------------------------------------------------------------------
// errors

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
