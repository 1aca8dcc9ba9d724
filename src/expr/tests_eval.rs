//! Unit tests of evaluation over array branches: jagged and fixed-size indexing, `??`
//! defaults (entries with zero elements included), missing elements guarded by `?:`,
//! `where`, `&&` and `||`, and the errors for unindexed arrays, indexed scalars, short
//! entries and columns that do not fit the chunk.

use super::tests::{flat, set};
use super::*;
use crate::root::Layout;

/// Jagged `Jet_pt` over 5 entries of 2, 0, 1, 3, 0 elements.
fn jets() -> Column<f64> {
    Column {
        name: "Jet_pt".into(),
        values: vec![50.0, 20.0, 35.0, 80.0, 60.0, 10.0],
        layout: Layout::Jagged {
            offsets: vec![0, 2, 2, 3, 6, 6],
        },
    }
}

/// Fixed-size `p[3]` over 5 entries: entry i holds 10 i, 10 i + 1, 10 i + 2.
fn fixed() -> Column<f64> {
    Column {
        name: "p".into(),
        values: (0..5)
            .flat_map(|i| (0..3).map(move |k| f64::from(10 * i + k)))
            .collect(),
        layout: Layout::Flat { width: 3 },
    }
}

fn cols() -> std::collections::HashMap<String, Column<f64>> {
    set(vec![
        jets(),
        fixed(),
        flat("nJet", vec![2.0, 0.0, 1.0, 3.0, 0.0]),
        flat("x", vec![1.0, -2.0, 3.0, -4.0, 5.0]),
    ])
}

fn ev(src: &str) -> Result<Vec<f64>> {
    Expr::parse(src)?.eval(&cols(), 5, 100)
}

fn ok(src: &str) -> Vec<f64> {
    ev(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str) -> String {
    match ev(src) {
        Ok(v) => panic!("{src} gave {v:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn jagged_index_with_default() {
    assert_eq!(ok("Jet_pt[0] ?? -1"), [50.0, -1.0, 35.0, 80.0, -1.0]);
    assert_eq!(ok("Jet_pt[1] ?? -1"), [20.0, -1.0, -1.0, 60.0, -1.0]);
    assert_eq!(ok("Jet_pt[2] ?? 0"), [0.0, 0.0, 0.0, 10.0, 0.0]);
    // `??` binds to the index only: (Jet_pt[0] ?? 0) + 1.
    assert_eq!(ok("Jet_pt[0] ?? 0 + 1"), [51.0, 1.0, 36.0, 81.0, 1.0]);
    // A default may itself read branches, or be a parenthesised formula.
    assert_eq!(ok("Jet_pt[0] ?? x"), [50.0, -2.0, 35.0, 80.0, 5.0]);
    assert_eq!(
        ok("Jet_pt[1] ?? (Jet_pt[0] ?? x * 10)"),
        [20.0, -20.0, 350.0, 60.0, 50.0]
    );
    // (the inner default is `(Jet_pt[0] ?? x) * 10`, so entry 2 gives 35 * 10)
    assert_eq!(ok("Jet_pt[0] ?? -pi")[1], -std::f64::consts::PI);
    assert_eq!(
        ok("(Jet_pt[0] ?? 0) ** 2"),
        [2500.0, 0.0, 1225.0, 6400.0, 0.0]
    );
    assert!(
        Expr::parse("Jet_pt[0] ** 2 ?? 0").is_err(),
        "`??` must follow the index"
    );
    assert_eq!(ok("Jet_pt[2 - 2] ?? -1"), ok("Jet_pt[0] ?? -1"));
}

#[test]
fn jagged_index_without_default_names_entry_branch_and_length() {
    // Entry 1 (global 101) has zero jets.
    assert_eq!(
        err("log(Jet_pt[0])"),
        "expression `log(Jet_pt[0])`: entry 101: branch `Jet_pt` has 0 elements there, so \
         `Jet_pt[0]` does not exist; give a default with `Jet_pt[0] ?? -1` (any number), or cut \
         such entries away"
    );
    // Entry 2 (global 102) has one jet; entry 1 has none but the first short one is reported.
    let msg = err("Jet_pt[1]");
    assert!(
        msg.contains("entry 101: branch `Jet_pt` has 0 elements"),
        "{msg}"
    );
    let msg = ev("Jet_pt[1]")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.starts_with("expression `Jet_pt[1]`: entry 101"),
        "{msg}"
    );
    // Over the entries that all have a jet, no error.
    let one = set(vec![Column {
        name: "Jet_pt".into(),
        values: vec![50.0, 20.0, 35.0],
        layout: Layout::Jagged {
            offsets: vec![0, 2, 3],
        },
    }]);
    let e = Expr::parse("Jet_pt[0]").unwrap();
    assert_eq!(e.eval(&one, 2, 7).unwrap(), [50.0, 35.0]);
    let msg = Expr::parse("Jet_pt[1]")
        .unwrap()
        .eval(&one, 2, 7)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("entry 8: branch `Jet_pt` has 1 element there"),
        "{msg}"
    );
    // A missing element inside the default counts only where the default is used.
    let msg = err("Jet_pt[0] ?? Jet_pt[1]");
    assert!(
        msg.contains("entry 101") && msg.contains("`Jet_pt[1]` does not exist"),
        "{msg}"
    );
}

#[test]
fn missing_elements_are_fine_where_a_guard_skips_them() {
    assert_eq!(
        ok("nJet > 0 ? Jet_pt[0] : -1"),
        [50.0, -1.0, 35.0, 80.0, -1.0]
    );
    assert_eq!(
        ok("where(nJet > 0, Jet_pt[0], -1)"),
        [50.0, -1.0, 35.0, 80.0, -1.0]
    );
    assert_eq!(
        ok("nJet == 0 ? -1 : Jet_pt[0]"),
        [50.0, -1.0, 35.0, 80.0, -1.0]
    );
    assert_eq!(ok("nJet > 0 && Jet_pt[0] > 40"), [1.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(ok("nJet == 0 || Jet_pt[0] > 40"), [1.0, 1.0, 0.0, 1.0, 1.0]);
    assert_eq!(
        ok("nJet > 1 ? Jet_pt[1] : nJet > 0 ? Jet_pt[0] : 0"),
        [20.0, 0.0, 35.0, 60.0, 0.0]
    );
    // The guard must really skip them: the wrong guard is still an error.
    assert!(err("nJet > 0 ? -1 : Jet_pt[0]").contains("entry 101"));
    assert!(err("nJet >= 0 && Jet_pt[0] > 40").contains("entry 101"));
    assert!(err("Jet_pt[0] > 40 && nJet > 0").contains("entry 101"));
    assert!(err("(nJet > 0 ? Jet_pt[0] : -1) + Jet_pt[1]").contains("entry 101"));
}

#[test]
fn fixed_array_index() {
    assert_eq!(ok("p[0]"), [0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(ok("p[2] - p[1]"), [1.0; 5]);
    assert_eq!(ok("hypot(p[1], p[2])")[3], 31f64.hypot(32.0));
    assert_eq!(
        err("p[3]"),
        "expression `p[3]`: branch `p` is a fixed-size array of 3 values per entry, so `p[3]` is \
         out of range; indices run from 0 to 2"
    );
    assert!(err("p[3] ?? 0").contains("out of range"));
}

#[test]
fn arrays_need_an_index_and_scalars_refuse_one() {
    assert_eq!(
        err("abs(Jet_pt)"),
        "expression `abs(Jet_pt)`: branch `Jet_pt` holds a variable number of values per entry; \
         pick one with an index, e.g. `Jet_pt[0] ?? -1`"
    );
    assert_eq!(
        err("p * 2"),
        "expression `p * 2`: branch `p` holds 3 values per entry (a fixed-size array); pick one \
         with an index, e.g. `p[0]`"
    );
    assert_eq!(
        err("x[0] + 1"),
        "expression `x[0] + 1`: branch `x` holds one value per entry, so `x[0]` cannot index it; \
         write `x`"
    );
}

#[test]
fn columns_that_do_not_fit_are_errors_not_panics() {
    let e = Expr::parse("x + y").unwrap();
    let msg = e.eval(&cols(), 5, 0).unwrap_err().to_string();
    assert!(
        msg.starts_with("expression `x + y`: no column for branch `y` was given"),
        "{msg}"
    );
    let msg = Expr::parse("x")
        .unwrap()
        .eval(&cols(), 6, 0)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("does not hold 6 entries"), "{msg}");
    let bad = set(vec![Column {
        name: "j".into(),
        values: vec![1.0],
        layout: Layout::Jagged {
            offsets: vec![0, 3],
        },
    }]);
    let msg = Expr::parse("j[0] ?? 0")
        .unwrap()
        .eval(&bad, 1, 0)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("does not hold 1 entries"), "{msg}");
}

#[test]
fn constants_fill_the_chunk_and_column_sets_evaluate() {
    assert_eq!(ok("2 * 3"), [6.0; 5]);
    assert_eq!(
        Expr::parse("1").unwrap().eval(&cols(), 0, 0).unwrap(),
        Vec::<f64>::new()
    );
    let cs = ColumnSet {
        columns: cols(),
        entries: 5,
        first_entry: 100,
        ..ColumnSet::default()
    };
    assert_eq!(
        cs.eval(&Expr::parse("x % 3").unwrap()).unwrap(),
        [1.0, 1.0, 0.0, 2.0, 2.0]
    );
    assert!(cs
        .eval(&Expr::parse("Jet_pt[0]").unwrap())
        .unwrap_err()
        .to_string()
        .contains("entry 101"));
}

#[test]
fn a_million_entries_column_wise() {
    // Correctness at scale (the speed is measured in validation, never asserted here).
    let n = 1_000_000;
    let a: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.01).collect();
    let b: Vec<f64> = (0..n).map(|i| (i % 7) as f64 - 3.0).collect();
    let c = set(vec![flat("a", a.clone()), flat("b", b.clone())]);
    let got = Expr::parse("log(a + 1e-3) * abs(b)")
        .unwrap()
        .eval(&c, n, 0)
        .unwrap();
    for i in (0..n).step_by(9973) {
        assert_eq!(got[i], (a[i] + 1e-3).ln() * b[i].abs());
    }
    // Many blocks: a missing element far in is reported with its own entry number.
    let mut offsets: Vec<usize> = (0..=n).collect();
    for o in offsets.iter_mut().skip(700_001) {
        *o -= 1; // entry 700,000 is empty, every other holds one value
    }
    let j = Column {
        name: "j".into(),
        values: a[..n - 1].to_vec(),
        layout: Layout::Jagged { offsets },
    };
    let c = set(vec![j]);
    let got = Expr::parse("j[0] ?? -1").unwrap().eval(&c, n, 5).unwrap();
    assert_eq!(
        (got[699_999], got[700_000], got[700_001]),
        (a[699_999], -1.0, a[700_000])
    );
    let msg = Expr::parse("j[0]")
        .unwrap()
        .eval(&c, n, 5)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("entry 700005: branch `j` has 0 elements"),
        "{msg}"
    );
}

#[test]
fn shapes_are_checked_on_an_empty_chunk() {
    // Zero entries, but the layouts are known: misuse is found before any data is read.
    let empty = set(vec![
        Column {
            name: "Jet_pt".into(),
            values: vec![],
            layout: Layout::Jagged { offsets: vec![0] },
        },
        Column {
            name: "p".into(),
            values: vec![],
            layout: Layout::Flat { width: 3 },
        },
        flat("x", vec![]),
    ]);
    let run = |src: &str| Expr::parse(src).unwrap().eval(&empty, 0, 0);
    assert_eq!(run("Jet_pt[3] + p[2] + x").unwrap(), Vec::<f64>::new());
    assert!(run("Jet_pt + 1")
        .unwrap_err()
        .to_string()
        .contains("variable number of values"));
    assert!(run("p[3]")
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    assert!(run("x[0]")
        .unwrap_err()
        .to_string()
        .contains("one value per entry"));
    assert!(run("Jet_pt[0] ?? p")
        .unwrap_err()
        .to_string()
        .contains("3 values per entry"));
}
