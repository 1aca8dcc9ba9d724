//! Unit tests of the language itself: every operator and function against Rust's own f64
//! formula on the same inputs, precedence and associativity, and parse errors with their
//! exact columns. Evaluation over arrays and its errors are in `tests_eval.rs`.

use std::collections::HashMap;

use super::*;
use crate::root::Layout;

/// Inputs that cover signs, zeros, fractions, large values and the IEEE specials.
pub(super) const XS: [f64; 14] = [
    -7.5,
    -3.0,
    -1.0,
    -0.5,
    -0.0,
    0.0,
    0.25,
    1.0,
    2.0,
    3.0,
    7.5,
    1e10,
    f64::INFINITY,
    f64::NAN,
];

pub(super) fn flat(name: &str, values: Vec<f64>) -> Column<f64> {
    Column {
        name: name.to_string(),
        values,
        layout: Layout::Flat { width: 1 },
    }
}

pub(super) fn set(cols: Vec<Column<f64>>) -> HashMap<String, Column<f64>> {
    cols.into_iter().map(|c| (c.name.clone(), c)).collect()
}

/// Evaluates `src` with branch `a` = `a` and `b` = `b` (same length).
fn eval_ab(src: &str, a: &[f64], b: &[f64]) -> Vec<f64> {
    let cols = set(vec![flat("a", a.to_vec()), flat("b", b.to_vec())]);
    let e = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    e.eval(&cols, a.len(), 0)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

/// The value of a constant expression, through the column path (one entry).
fn val(src: &str) -> f64 {
    eval_ab(src, &[0.0], &[0.0])[0]
}

/// Equal as numbers, with NaN equal to NaN and -0 different from 0.
fn same(x: f64, y: f64) -> bool {
    (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
}

/// The message of the parse error of `src`, first line only.
pub(super) fn parse_err(src: &str) -> String {
    match Expr::parse(src) {
        Ok(e) => panic!("`{src}` parsed as {e:?}"),
        Err(e) => e.to_string().lines().next().unwrap_or("").to_string(),
    }
}

fn all_pairs() -> (Vec<f64>, Vec<f64>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for &x in &XS {
        for &y in &XS {
            a.push(x);
            b.push(y);
        }
    }
    (a, b)
}

fn t(x: bool) -> f64 {
    if x {
        1.0
    } else {
        0.0
    }
}

#[test]
fn every_binary_operator_matches_rust() {
    let (a, b) = all_pairs();
    let floor_mod = |x: f64, y: f64| {
        let r = x % y;
        if r != 0.0 && (r < 0.0) != (y < 0.0) {
            r + y
        } else {
            r
        }
    };
    type Binary = Box<dyn Fn(f64, f64) -> f64>;
    let cases: Vec<(&str, Binary)> = vec![
        ("a + b", Box::new(|x, y| x + y)),
        ("a - b", Box::new(|x, y| x - y)),
        ("a * b", Box::new(|x, y| x * y)),
        ("a / b", Box::new(|x, y| x / y)),
        ("a % b", Box::new(floor_mod)),
        ("a ** b", Box::new(f64::powf)),
        ("pow(a, b)", Box::new(f64::powf)),
        ("a < b", Box::new(|x, y| t(x < y))),
        ("a <= b", Box::new(|x, y| t(x <= y))),
        ("a > b", Box::new(|x, y| t(x > y))),
        ("a >= b", Box::new(|x, y| t(x >= y))),
        ("a == b", Box::new(|x, y| t(x == y))),
        ("a != b", Box::new(|x, y| t(x != y))),
        ("a && b", Box::new(|x, y| t(x != 0.0 && y != 0.0))),
        ("a || b", Box::new(|x, y| t(x != 0.0 || y != 0.0))),
        ("a ? a : b", Box::new(|x, y| if x != 0.0 { x } else { y })),
        (
            "where(a, b, a)",
            Box::new(|x, y| if x != 0.0 { y } else { x }),
        ),
        ("atan2(a, b)", Box::new(f64::atan2)),
        ("hypot(a, b)", Box::new(f64::hypot)),
        (
            "min(a, b)",
            Box::new(|x: f64, y: f64| {
                if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else {
                    x.min(y)
                }
            }),
        ),
        (
            "max(a, b)",
            Box::new(|x: f64, y: f64| {
                if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else {
                    x.max(y)
                }
            }),
        ),
    ];
    for (src, f) in cases {
        let got = eval_ab(src, &a, &b);
        for i in 0..a.len() {
            let want = f(a[i], b[i]);
            assert!(
                same(got[i], want),
                "{src} with a={} b={}: got {} want {want}",
                a[i],
                b[i],
                got[i]
            );
        }
        // A number on one side takes the scalar-broadcast loops; same answers.
        for &y in &[-3.0, 0.0, 2.5] {
            let s = src.replace('b', &format!("({y})"));
            let got = eval_ab(&s, &a, &b);
            for i in 0..a.len() {
                assert!(same(got[i], f(a[i], y)), "{s} with a={}", a[i]);
            }
        }
    }
}

#[test]
fn every_unary_operator_and_function_matches_rust() {
    let sign = |x: f64| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else if x.is_nan() {
            f64::NAN
        } else {
            0.0
        }
    };
    type Unary = fn(f64) -> f64;
    let cases: Vec<(&str, Unary)> = vec![
        ("-a", |x| -x),
        ("+a", |x| x),
        ("!a", |x| t(x == 0.0)),
        ("abs(a)", f64::abs),
        ("sqrt(a)", f64::sqrt),
        ("cbrt(a)", f64::cbrt),
        ("exp(a)", f64::exp),
        ("expm1(a)", f64::exp_m1),
        ("log(a)", f64::ln),
        ("log10(a)", f64::log10),
        ("log2(a)", f64::log2),
        ("log1p(a)", f64::ln_1p),
        ("sin(a)", f64::sin),
        ("cos(a)", f64::cos),
        ("tan(a)", f64::tan),
        ("asin(a)", f64::asin),
        ("acos(a)", f64::acos),
        ("atan(a)", f64::atan),
        ("sinh(a)", f64::sinh),
        ("cosh(a)", f64::cosh),
        ("tanh(a)", f64::tanh),
        ("floor(a)", f64::floor),
        ("ceil(a)", f64::ceil),
        ("round(a)", f64::round),
        ("trunc(a)", f64::trunc),
        ("isnan(a)", |x| t(x.is_nan())),
        ("isfinite(a)", |x| t(x.is_finite())),
        ("clip(a, -1, 2)", |x| {
            if x.is_nan() {
                x
            } else {
                x.clamp(-1.0, 2.0)
            }
        }),
    ];
    let cases = cases
        .into_iter()
        .chain([("sign(a)", sign as fn(f64) -> f64)]);
    let mut seen = Vec::new();
    for (src, f) in cases {
        let got = eval_ab(src, &XS, &XS);
        for (i, &x) in XS.iter().enumerate() {
            assert!(
                same(got[i], f(x)),
                "{src} with a={x}: got {} want {}",
                got[i],
                f(x)
            );
        }
        // The same through constant folding.
        for &x in &XS {
            let s = src
                .replace('a', &format!("({x:?})"))
                .replace("inf", "1e999");
            if let Ok(e) = Expr::parse(&s) {
                assert!(
                    same(e.constant().unwrap_or(f64::NAN), f(x)) || x.is_nan(),
                    "{s}"
                );
            }
        }
        seen.push(src.split('(').next().unwrap_or("").to_string());
    }
    // Every function is covered here or in the binary-operator test.
    let binary = ["atan2", "hypot", "min", "max", "pow", "where"];
    for f in ast::Func::ALL {
        let n = f.name();
        assert!(
            seen.iter().any(|s| s == n) || binary.contains(&n),
            "function {n} untested"
        );
    }
}

#[test]
fn precedence_and_associativity() {
    let cases: &[(&str, f64)] = &[
        ("2 ** 3 ** 2", 512.0),
        ("-2 ** 2", -4.0),
        ("(-2) ** 2", 4.0),
        ("2 ** -1", 0.5),
        ("-2 ** -2", -0.25),
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("64 / 4 / 2", 8.0),
        ("7 - 10 % 4", 5.0),
        ("2 * 3 % 4", 2.0),
        ("1 < 2 == 1", 1.0),
        ("3 < 2 == 0", 1.0),
        ("2 == 2 < 3", 0.0), // `<` binds tighter: 2 == (2 < 3), not (2 == 2) < 3
        ("!0 && 0 || 1", 1.0),
        ("!1 && 1 || 0", 0.0),
        ("!(1 && 0)", 1.0),
        ("1 || 0 && 0", 1.0),
        ("1 ? 2 : 3", 2.0),
        ("0 ? 2 : 1 ? 4 : 5", 4.0),
        ("0 ? 2 : 0 ? 4 : 5", 5.0),
        ("1 ? 0 ? 6 : 7 : 8", 7.0),
        ("1 + 1 ? 10 : 20", 10.0),
        ("2 * pi", 2.0 * std::f64::consts::PI),
        ("true + true", 2.0),
        ("false || true", 1.0),
        ("- -3", 3.0),
        ("!!5", 1.0),
        ("+-2", -2.0),
        ("-7 % 5", 3.0),
        ("7 % -5", -3.0),
        ("-7.5 % 5", 2.5),
        ("1 / 0", f64::INFINITY),
        (".5 + 1.", 1.5),
        ("1e-3 * 1E3", 1.0),
        ("2.5e+2", 250.0),
    ];
    for &(src, want) in cases {
        let got = val(src);
        assert!(same(got, want), "{src}: got {got}, want {want}");
        let folded = Expr::parse(src).ok().and_then(|e| e.constant());
        assert!(
            folded.is_some_and(|f| same(f, want)),
            "{src} folded to {folded:?}"
        );
    }
    let (a, b) = all_pairs();
    let got = eval_ab("a < b == b > a", &a, &b);
    for i in 0..a.len() {
        assert_eq!(got[i], t((a[i] < b[i]) == (b[i] > a[i])));
    }
    let got = eval_ab("!a && b || a", &a, &b);
    for i in 0..a.len() {
        let (x, y) = (a[i] != 0.0, b[i] != 0.0);
        let want = if x { true } else { y }; // (!x && y) || x
        assert_eq!(got[i], t(want));
    }
}

#[test]
fn floored_remainder_puts_event_folds_in_range() {
    let events: Vec<f64> = (-12..=12).map(f64::from).collect();
    let got = eval_ab("a % 5", &events, &events);
    for (e, g) in events.iter().zip(&got) {
        assert!((0.0..5.0).contains(g), "{e} % 5 = {g}");
        assert_eq!(*g, e.rem_euclid(5.0));
    }
    assert!(val("5 % 0").is_nan());
}

#[test]
fn names_constants_and_branches() {
    let e = Expr::parse("log(pfRelIso03_chg + 1e-3) * `weird-name` + lep.pt[1] - pi").unwrap();
    assert_eq!(e.branches(), ["lep.pt", "pfRelIso03_chg", "weird-name"]);
    assert_eq!(
        e.source(),
        "log(pfRelIso03_chg + 1e-3) * `weird-name` + lep.pt[1] - pi"
    );
    assert_eq!(Expr::parse("`pi` + pi").unwrap().branches(), ["pi"]);
    assert_eq!(
        Expr::parse("abs").unwrap().branches(),
        ["abs"],
        "a bare function name is a branch"
    );
    assert_eq!(
        Expr::parse("2 * pi").unwrap().branches(),
        Vec::<String>::new()
    );
    // Index: any non-negative whole constant expression.
    let e = Expr::parse("x[2 * 2 - 1]").unwrap();
    assert!(matches!(e.root, Node::Index { index: 3, .. }));
}

#[test]
fn check_names_missing_branches_and_shadowed_constants() {
    let avail: Vec<String> = ["Jet_pt", "Muon_pt", "pi", "eta"]
        .map(String::from)
        .to_vec();
    let msg = Expr::parse("abs(muon_pt)")
        .unwrap()
        .check(&avail)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(
            "expression `abs(muon_pt)`: no branch called `muon_pt`; did you mean `Muon_pt`?"
        ),
        "{msg}"
    );
    let msg = Expr::parse("2 * pi")
        .unwrap()
        .check(&avail)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("write `` `pi` `` (in backticks) for the branch"),
        "{msg}"
    );
    Expr::parse("`pi` * abs(eta)")
        .unwrap()
        .check(&avail)
        .unwrap();
    Expr::parse("true && eta > 1")
        .unwrap()
        .check(&avail)
        .unwrap();
    let msg = Expr::parse("x")
        .unwrap()
        .check(&[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "expression `x`: no branch called `x` (the tree has none)"
    );
}

#[test]
fn parse_errors_name_the_column() {
    let cases: &[(&str, &str)] = &[
        ("abs(eta", "expression `abs(eta` at column 8: expected `,` or `)` in the arguments, found end of input"),
        ("(a + b", "expression `(a + b` at column 7: expected `)`, found end of input"),
        ("", "expression `` at column 1: the expression is empty; write a branch name, a number or a formula"),
        ("   ", "expression `   ` at column 1: the expression is empty; write a branch name, a number or a formula"),
        ("a b", "expression `a b` at column 3: expected an operator or the end of the expression, found name `b`"),
        ("a + 1)", "expression `a + 1)` at column 6: expected an operator or the end of the expression, found `)`"),
        ("a +", "expression `a +` at column 4: expected a number, a branch name, a function call or `(`, found end of input"),
        ("1.2.3 + a", "expression `1.2.3 + a` at column 1: bad number `1.2.3` (numbers look like `3`, `1.5`, `.5` or `1e-3`)"),
        ("x + 1e", "expression `x + 1e` at column 5: bad number `1e` (numbers look like `3`, `1.5`, `.5` or `1e-3`)"),
        ("2pt", "expression `2pt` at column 1: bad number `2pt` (numbers look like `3`, `1.5`, `.5` or `1e-3`)"),
        ("a = 1", "expression `a = 1` at column 3: unexpected character `=`; to compare, write `==`"),
        ("a & b", "expression `a & b` at column 3: unexpected character `&`; for logical and, write `&&`"),
        ("a ^ 2", "expression `a ^ 2` at column 3: unexpected character `^`; for a power, write `**` or `pow(a, b)`"),
        ("`a + 1", "expression ``a + 1` at column 1: this backtick-quoted name has no closing backtick"),
        ("lgo(x)", "expression `lgo(x)` at column 1: unknown function `lgo`; did you mean `log`? functions: abs, sqrt, cbrt, exp, expm1, log, log10, log2, log1p, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, floor, ceil, round, trunc, sign, isnan, isfinite, atan2, hypot, pow, min, max, clip, where"),
        ("1 + abs(x, y)", "expression `1 + abs(x, y)` at column 5: `abs` takes 1 argument (x), found 2"),
        ("atan2(y)", "expression `atan2(y)` at column 1: `atan2` takes 2 arguments (y, x), found 1"),
        ("min()", "expression `min()` at column 1: `min` takes 2 arguments (x, y), found 0"),
        ("Jet_pt[0.5]", "expression `Jet_pt[0.5]` at column 8: the index in `Jet_pt[0.5]` must be a non-negative whole number such as `Jet_pt[0]`"),
        ("Jet_pt[-1]", "expression `Jet_pt[-1]` at column 8: the index in `Jet_pt[-1]` must be a non-negative whole number such as `Jet_pt[0]`"),
        ("Jet_pt[i]", "expression `Jet_pt[i]` at column 8: the index in `Jet_pt[i]` must be a non-negative whole number such as `Jet_pt[0]`"),
        ("Jet_pt[0", "expression `Jet_pt[0` at column 9: expected `]` to close the index, found end of input"),
        ("Jet_pt[]", "expression `Jet_pt[]` at column 8: expected a number, a branch name, a function call or `(`, found `]`"),
        ("abs(x)[0]", "expression `abs(x)[0]` at column 7: only a branch can be indexed, as in `Jet_pt[0]`"),
        ("x ?? 1", "expression `x ?? 1` at column 3: `??` gives a default for a missing array element and must directly follow an index, as in `Jet_pt[0] ?? -1`"),
        ("a ? b", "expression `a ? b` at column 6: expected `:` (the form is `condition ? a : b`), found end of input"),
        ("é + 1", "expression `é + 1` at column 1: unexpected character `é`"),
        ("1 + é", "expression `1 + é` at column 5: unexpected character `é`"),
    ];
    for &(src, want) in cases {
        assert_eq!(parse_err(src), want, "for `{src}`");
    }
    // The full message ends with the expression and a caret under the column.
    let full = Expr::parse("abs(eta").unwrap_err().to_string();
    assert_eq!(
        full,
        "expression `abs(eta` at column 8: expected `,` or `)` in the arguments, found end of input\n    abs(eta\n           ^"
    );
}

#[test]
fn huge_or_deep_expressions_are_errors_not_stack_overflows() {
    let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse_err(&deep).contains("the limit is 10000"));
    let deep = format!("{}x{}", "(".repeat(1000), ")".repeat(1000));
    assert!(parse_err(&deep).contains("nests more than 64 levels deep"));
    assert!(parse_err(&"-".repeat(1000)).contains("nests more than 64 levels deep"));
    let chain = vec!["x"; 1000].join(" + ");
    assert!(parse_err(&chain).contains("more than 256 operations deep"));
    // Realistic sizes pass.
    let ok = format!("{}x{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(Expr::parse(&ok).unwrap().branches(), ["x"]);
    assert!(Expr::parse(&vec!["x"; 200].join(" + ")).is_ok());
}
