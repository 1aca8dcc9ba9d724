//! Unit tests of `x[i][j]` on vectors of vectors: values and `??` defaults against
//! goldens from awkward-array (validation/expr_nested_golden.py), the error for a
//! missing element without a default (entry, lists and their lengths), the shape errors
//! (no index, one index, two indices on a list), parsing, and the C++ translation.

use super::tests::{flat, set};
use super::*;
use crate::root::Layout;

/// Nested `vv` over 5 entries, as in validation/expr_nested_golden.py:
/// [[1.5, 2.5], [], [3]], [], [[-4]], [[], [5, 6, 7]], [[8, 9], [10], [11, 12], [13]].
fn nested() -> Column<f64> {
    Column {
        name: "vv".into(),
        values: vec![
            1.5, 2.5, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0,
        ],
        layout: Layout::Nested {
            lists: vec![0, 3, 3, 4, 6, 10],
            offsets: vec![0, 2, 2, 3, 4, 4, 7, 9, 10, 12, 13],
        },
    }
}

fn cols() -> std::collections::HashMap<String, Column<f64>> {
    let jagged = Column {
        name: "j".into(),
        values: vec![1.0, 2.0],
        layout: Layout::Jagged {
            offsets: vec![0, 1, 1, 2, 2, 2],
        },
    };
    set(vec![
        nested(),
        jagged,
        flat("n", vec![2.0, 0.0, 1.0, 2.0, 4.0]),
    ])
}

fn ev(src: &str) -> Result<Vec<f64>> {
    Expr::parse(src)?.eval(&cols(), 5, 100)
}

fn err(src: &str) -> String {
    match ev(src) {
        Ok(v) => panic!("{src} gave {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// From validation/expr_nested_golden.py (awkward-array's pad_none / fill_none).
#[test]
fn values_and_defaults_match_awkward() {
    #[rustfmt::skip]
    let golden: [(&str, [f64; 5]); 6] = [
        ("vv[0][0] ?? -1", [f64::from_bits(0x3ff8000000000000), -1.0, -4.0, -1.0, 8.0]),
        ("vv[0][1] ?? -1", [f64::from_bits(0x4004000000000000), -1.0, -1.0, -1.0, 9.0]),
        ("vv[1][2] ?? 99", [99.0, 99.0, 99.0, 7.0, 99.0]),
        ("vv[3][0] ?? 0", [0.0, 0.0, 0.0, 0.0, 13.0]),
        ("(vv[1][0] ?? -5) * 2 + sqrt(abs(vv[0][0] ?? 0))", [f64::from_bits(0xc0218cee3d7edbda), -10.0, -8.0, 10.0, f64::from_bits(0x4036d413cccfe77a)]),
        ("n > 1 && (vv[1][0] ?? -1) > 5", [0.0, 0.0, 0.0, 0.0, 1.0]),
    ];
    for (src, want) in golden {
        let got = ev(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "{src}: {got:?}");
    }
}

#[test]
fn a_missing_element_without_default_names_entry_and_lists() {
    // Entry 0 has lists of 2, 0 and 1 values: list 1 is empty.
    let e = err("vv[1][0]");
    assert!(
        e.contains("entry 100: branch `vv` has 3 lists (of 2, 0 and 1 values) there, so `vv[1][0]` does not exist"),
        "{e}"
    );
    assert!(e.contains("`vv[1][0] ?? -1`"), "{e}");
    // Entry 1 has no lists at all.
    let e = err("vv[0][0]");
    assert!(
        e.contains("entry 101: branch `vv` has 0 lists there"),
        "{e}"
    );
    // Guarded as in C: only entries with a list 3 read it.
    assert_eq!(
        ev("n > 3 ? vv[3][0] : -1").unwrap(),
        [-1.0, -1.0, -1.0, -1.0, 13.0]
    );
}

#[test]
fn nested_branches_take_two_indices() {
    let e = err("vv");
    assert!(
        e.contains("a list of lists per entry") && e.contains("`vv[0][0] ?? -1`"),
        "{e}"
    );
    let e = err("vv[1] ?? 0");
    assert!(
        e.contains("so `vv[1]` is a whole list") && e.contains("`vv[1][0] ?? -1`"),
        "{e}"
    );
    let e = err("j[0][0] ?? 0");
    assert!(
        e.contains("one list of values per entry") && e.contains("one index too many"),
        "{e}"
    );
    let e = err("n[0][1]");
    assert!(e.contains("one value per entry"), "{e}");
    let e = Expr::parse("vv[0][1][2]").unwrap_err().to_string();
    assert!(e.contains("at most two indices"), "{e}");
    let e = Expr::parse("vv[0][-1]").unwrap_err().to_string();
    assert!(e.contains("non-negative whole number"), "{e}");
}

#[test]
fn the_text_of_a_double_index_is_kept() {
    let e = Expr::parse("vv[ 1 ][2] ?? 3").unwrap();
    assert_eq!(e.branches(), vec!["vv".to_string()]);
    assert!(matches!(
        &e.root,
        ast::Node::Index { index: 1, inner: Some(2), text, .. } if text == "vv[ 1 ][2]"
    ));
}

#[test]
fn cpp_reads_a_container_of_containers() {
    let mut b = Vec::new();
    let code = Expr::parse("vv[1][2] ?? -1")
        .unwrap()
        .to_cpp(&mut b)
        .unwrap();
    assert_eq!(
        code,
        "((static_cast<std::size_t>(1u) < std::size(vv) && static_cast<std::size_t>(2u) < \
         std::size(vv[1u])) ? static_cast<double>(vv[1u][2u]) : (-1.0))"
    );
    assert_eq!(
        b,
        vec![CppBranch {
            name: "vv".into(),
            container: true,
            nested: true
        }]
    );
    // One branch indexed once and twice: refused, naming it.
    let mut b = Vec::new();
    Expr::parse("vv[0][0] ?? 0")
        .unwrap()
        .to_cpp(&mut b)
        .unwrap();
    let e = Expr::parse("vv[0] ?? 0")
        .unwrap()
        .to_cpp(&mut b)
        .unwrap_err();
    assert!(
        e.to_string().contains("branch `vv` is indexed both once"),
        "{e}"
    );
}
