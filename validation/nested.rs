//! `std::vector<std::vector<T>>` branches read as lists of lists:
//!
//! - on ../shared/rootfiles: ROOT 6.20's `vector<vector<int> >` against uproot 5.7's
//!   reading (validation/nested_uproot_golden.py), through a chain read in two ranges
//!   and through `x[i][j]` in an expression;
//! - on the ROOT 6.40 files that validation/root640/generate.py writes in CI
//!   (`nested.root`: 13 number types, split levels 0 and 99, 20-40 baskets per branch;
//!   the `vector<vector<T> >` members of a split class),
//!   every value of every entry against ROOT's own reading (`reference.json`, from
//!   validation/root640/reference.py), bit for bit, whole and in ranges that cut
//!   baskets. validation/ci/vecvec.sh runs it with ROOTGRAD_ROOT640_DIR set; without
//!   the variable it says it skipped, unless ROOTGRAD_REQUIRE_ROOT640=1.

use std::path::PathBuf;
use std::sync::Arc;

use rootgrad::expr::{read_for, Expr};
use rootgrad::root::read::read_column;
use rootgrad::root::{Chain, Column, Layout, RootFile, Tree, TreeSpec};
use serde_json::Value as Json;

/// Entry by entry, the inner lists of a nested column.
fn lists(c: &Column<f64>) -> Vec<Vec<Vec<f64>>> {
    assert!(matches!(c.layout, Layout::Nested { .. }), "{:?}", c.layout);
    (0..c.entries())
        .map(|e| c.lists(e).iter().map(|l| l.to_vec()).collect())
        .collect()
}

/// From validation/nested_uproot_golden.py (uproot 5.7).
#[test]
fn root_6_20_vector_of_vectors_matches_uproot() {
    let Some(dir) = crate::conformance::shared_manifest_dir("rootfiles") else {
        return;
    };
    let path = dir.join("uproot-stl_containers.root");
    let want = vec![
        vec![vec![1.0]],
        vec![vec![1.0], vec![1.0, 2.0]],
        vec![vec![1.0], vec![1.0, 2.0], vec![1.0, 2.0, 3.0]],
        vec![
            vec![1.0],
            vec![1.0, 2.0],
            vec![1.0, 2.0, 3.0],
            vec![1.0, 2.0, 3.0, 4.0],
        ],
        vec![
            vec![1.0],
            vec![1.0, 2.0],
            vec![1.0, 2.0, 3.0],
            vec![1.0, 2.0, 3.0, 4.0],
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
        ],
    ];
    let tree = Tree::open(Arc::new(RootFile::open(&path).unwrap()), "tree").unwrap();
    let b = tree.branch("vector_vector_int32").unwrap();
    assert_eq!(
        b.interpretation.as_ref().unwrap().name(),
        "vector<vector<int32>>"
    );
    let col = read_column::<f64>(&tree, "vector_vector_int32", 0..u64::MAX).unwrap();
    assert_eq!(lists(&col), want);
    // A chain read in two ranges joins to the same lists.
    let spec = format!("{}:tree", path.display());
    let chain = Chain::open(&TreeSpec::parse(&spec)).unwrap();
    let a = chain.read::<f64>("vector_vector_int32", 0..2).unwrap();
    let b = chain.read::<f64>("vector_vector_int32", 2..5).unwrap();
    assert_eq!(lists(&a), want[..2]);
    assert_eq!(lists(&b), want[2..]);
    // x[i][j] picks from uproot's lists; entries 0 and 1 have no list 2.
    let e = Expr::parse("vector_vector_int32[2][1] ?? -1").unwrap();
    let cols = read_for(&[&e], &chain, 0..5).unwrap();
    assert_eq!(cols.eval(&e).unwrap(), [-1.0, -1.0, 2.0, 2.0, 2.0]);
}

/// The folder of the ROOT 6.40 files and reference.json, if CI made them.
fn root640_dir() -> Option<PathBuf> {
    match std::env::var_os("ROOTGRAD_ROOT640_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None if std::env::var("ROOTGRAD_REQUIRE_ROOT640").as_deref() == Ok("1") => {
            panic!("ROOTGRAD_REQUIRE_ROOT640=1 but ROOTGRAD_ROOT640_DIR is not set")
        }
        None => {
            eprintln!("SKIPPED: ROOTGRAD_ROOT640_DIR not set (validation/ci/vecvec.sh sets it)");
            None
        }
    }
}

/// A value of reference.json: a number, or "nan", "inf", "-inf".
fn value(j: &Json) -> f64 {
    match j {
        Json::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("unexpected {other}"),
        },
        // u64 first: 64-bit integers above 2^53 round to the nearest f64, as rootgrad
        // reads them.
        j => j
            .as_u64()
            .map(|u| u as f64)
            .or_else(|| j.as_i64().map(|i| i as f64))
            .or_else(|| j.as_f64())
            .unwrap_or_else(|| panic!("not a number: {j}")),
    }
}

/// Same f64 bits, except that every NaN equals every NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn compare(name: &str, first: usize, got: &Column<f64>, want: &[Json]) {
    let got = lists(got);
    assert_eq!(got.len(), want.len(), "{name}: entries");
    for (e, (g, w)) in got.iter().zip(want).enumerate() {
        let w: Vec<Vec<f64>> = w
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_array().unwrap().iter().map(value).collect())
            .collect();
        let ok = g.len() == w.len()
            && g.iter()
                .zip(&w)
                .all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(*x, *y)));
        assert!(ok, "{name} entry {}: rootgrad {g:?}, ROOT {w:?}", first + e);
    }
}

#[test]
fn root_6_40_vectors_of_vectors_match_root_bit_for_bit() {
    let Some(dir) = root640_dir() else { return };
    let text = std::fs::read_to_string(dir.join("reference.json")).unwrap();
    let reference: Json = serde_json::from_str(&text).unwrap();
    let columns = reference["nested.root"]["t"].as_object().unwrap();
    let tree = Tree::open(
        Arc::new(RootFile::open(&dir.join("nested.root")).unwrap()),
        "t",
    )
    .unwrap();
    let mut checked = 0;
    // `ev.n` is the plain int member of the split class.
    for (name, want) in columns.iter().filter(|(n, _)| *n != "ev.n") {
        let want = want.as_array().unwrap();
        assert_eq!(want.len(), 300, "{name}");
        let b = tree.branch(name).unwrap();
        assert!(b.baskets.len() >= 10, "{name}: {} baskets", b.baskets.len());
        let full = read_column::<f64>(&tree, name, 0..u64::MAX).unwrap();
        compare(name, 0, &full, want);
        // Ranges whose ends fall inside baskets.
        for (a, z) in [(0, 1), (7, 131), (131, 300), (299, 300)] {
            let part = read_column::<f64>(&tree, name, a as u64..z as u64).unwrap();
            compare(name, a, &part, &want[a..z]);
        }
        checked += 1;
    }
    // 13 number types at split levels 0 and 99, and the split class's two members.
    assert_eq!(checked, 28);
}

/// `dump` and `inspect` of the ROOT 6.20 vector of vectors, as a user runs them: the
/// lists of uproot's reading (validation/nested_uproot_golden.py) in CSV and JSON, a
/// whole inner list, one value, and the type.
#[test]
fn dump_and_inspect_show_lists_of_lists() {
    let Some(dir) = crate::conformance::shared_manifest_dir("rootfiles") else {
        return;
    };
    let file = dir.join("uproot-stl_containers.root");
    let target = format!("{}:tree", file.display());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rootgrad"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let b = "vector_vector_int32,vector_vector_int32[1],vector_vector_int32[2][1]";
    let csv = run(&["dump", &target, "-b", b, "--entry-stop", "3"]);
    assert_eq!(
        csv,
        "entry,vector_vector_int32,vector_vector_int32[1],vector_vector_int32[2][1]\n\
         0,[[1]],,\n\
         1,[[1] [1 2]],[1 2],\n\
         2,[[1] [1 2] [1 2 3]],[1 2],2\n"
    );
    let json = run(&[
        "dump",
        &target,
        "-b",
        b,
        "--format",
        "json",
        "--entry-start",
        "1",
        "--entry-stop",
        "2",
    ]);
    assert_eq!(
        json,
        "{\"entry\": 1, \"vector_vector_int32\": [[1], [1, 2]], \
         \"vector_vector_int32[1]\": [1, 2], \"vector_vector_int32[2][1]\": null}\n"
    );
    let inspect = run(&["inspect", file.to_str().unwrap()]);
    let line = inspect
        .lines()
        .find(|l| l.trim_start().starts_with("vector_vector_int32 "))
        .unwrap();
    assert!(line.contains("std::vector<std::vector<int32_t>>"), "{line}");
    assert!(line.contains("vector<vector<int32>>"), "{line}");
    // Two indices on a plain vector: a usage error naming the pick.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rootgrad"))
        .args(["dump", &target, "-b", "vector_int32[0][0]"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`vector_int32[0][0]`: two indices are for vectors of vectors"),
        "{err}"
    );
}
