//! The expression language on real ROOT files read by rootgrad's own reader: every value
//! `expr::read_for` + `Expr::eval` give must equal the same formula written in plain Rust
//! over the columns `Chain::read` gives, bit for bit.
//!
//! Inputs: the committed `validation/data/uproot/codec-*.root` (tree `t`, 2,062 entries,
//! made by validation/make_uproot_files.py: scalars of every type, `arr` float[3],
//! jagged `jf` float[] with its count `njf`, many entries with zero elements) and
//! `big-basket-zstd.root` (5,000,000 entries of `x` double and `i` int32) for a timing
//! printed, never asserted. The shared CMS NanoAOD file in ../shared/rootfiles (jagged
//! `Jet_pt`, `nJet`, `event`) is used when present; absent, that test says it skipped
//! unless ROOTGRAD_REQUIRE_SHARED=1, where it fails.

use std::path::PathBuf;
use std::time::Instant;

use rootgrad::expr::{read_for, Expr};
use rootgrad::root::{Chain, Column, TreeSpec};

fn data(name: &str) -> String {
    format!(
        "{}/validation/data/uproot/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn chain(spec: &str) -> Chain {
    Chain::open(&TreeSpec::parse(spec)).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn col(c: &Chain, name: &str) -> Column<f64> {
    c.read::<f64>(name, 0..c.entries())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn same(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "{what}: entry {i}: got {g}, want {w}"
        );
    }
}

fn first(c: &Column<f64>, i: usize, k: usize) -> Option<f64> {
    c.entry(i).get(k).copied()
}

#[test]
fn expressions_match_plain_rust_on_every_kind_of_branch() {
    let c = chain(&format!("{}:t", data("codec-zlib.root")));
    let n = c.entries() as usize;
    assert_eq!(n, 2062);
    let (f64c, f32c, i64c, i8c, b, arr, jf, njf) = (
        col(&c, "f64"),
        col(&c, "f32"),
        col(&c, "i64"),
        col(&c, "i8"),
        col(&c, "b"),
        col(&c, "arr"),
        col(&c, "jf"),
        col(&c, "njf"),
    );
    assert!(
        (0..n).any(|i| jf.entry(i).is_empty()),
        "the file must have empty entries"
    );
    type Formula<'a> = Box<dyn Fn(usize) -> f64 + 'a>;
    let cases: Vec<(&str, Formula)> = vec![
        (
            "log(abs(f64) + 1e-3) * abs(f32)",
            Box::new(|i| (f64c.values[i].abs() + 1e-3).ln() * f32c.values[i].abs()),
        ),
        ("i64 % 5", Box::new(|i| i64c.values[i].rem_euclid(5.0))),
        ("-i8 ** 2", Box::new(|i| -(i8c.values[i].powf(2.0)))),
        (
            "b && i8 < 0",
            Box::new(|i| f64::from(b.values[i] != 0.0 && i8c.values[i] < 0.0)),
        ),
        (
            "arr[2] - arr[0]",
            Box::new(|i| arr.values[3 * i + 2] - arr.values[3 * i]),
        ),
        (
            "jf[0] ?? -1",
            Box::new(|i| first(&jf, i, 0).unwrap_or(-1.0)),
        ),
        (
            "jf[2] ?? f64",
            Box::new(|i| first(&jf, i, 2).unwrap_or(f64c.values[i])),
        ),
        (
            "njf > 1 ? jf[1] : -1",
            Box::new(|i| {
                if njf.values[i] > 1.0 {
                    jf.entry(i)[1]
                } else {
                    -1.0
                }
            }),
        ),
        (
            "hypot(arr[0], arr[1]) / max(abs(jf[0] ?? 1), 1)",
            Box::new(|i| {
                arr.values[3 * i].hypot(arr.values[3 * i + 1])
                    / first(&jf, i, 0).unwrap_or(1.0).abs().max(1.0)
            }),
        ),
    ];
    let exprs: Vec<Expr> = cases.iter().map(|(s, _)| Expr::parse(s).unwrap()).collect();
    let refs: Vec<&Expr> = exprs.iter().collect();
    let set = read_for(&refs, &c, 0..u64::MAX).unwrap();
    assert_eq!((set.entries, set.first_entry), (n, 0));
    let mut read: Vec<&String> = set.columns.keys().collect();
    read.sort();
    assert_eq!(
        read,
        ["arr", "b", "f32", "f64", "i64", "i8", "jf", "njf"],
        "only named branches"
    );
    for ((src, f), e) in cases.iter().zip(&exprs) {
        let want: Vec<f64> = (0..n).map(f).collect();
        same(&set.eval(e).unwrap(), &want, src);
    }
}

#[test]
fn a_chunk_across_two_files_and_its_errors_use_chain_entry_numbers() {
    // codec-zlib.root then codec-zstd.root: the same 2,062 entries twice.
    let c = chain(&format!("{}:t", data("codec-z*.root")));
    assert_eq!(c.entries(), 4124);
    let jf = col(&c, "jf");
    let range = 2000..2200;
    let e = Expr::parse("jf[0] ?? -1").unwrap();
    let set = read_for(&[&e], &c, range.clone()).unwrap();
    let want: Vec<f64> = range
        .clone()
        .map(|i| first(&jf, i as usize, 0).unwrap_or(-1.0))
        .collect();
    same(&set.eval(&e).unwrap(), &want, "jf[0] ?? -1 over 2000..2200");

    // Without a default, the first short entry of the chunk is named by its chain number.
    let bare = Expr::parse("jf[0]").unwrap();
    let set = read_for(&[&bare], &c, range.clone()).unwrap();
    let short = range
        .clone()
        .find(|&i| jf.entry(i as usize).is_empty())
        .expect("an empty entry in the range");
    let msg = set.eval(&bare).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!(
            "expression `jf[0]`: entry {short}: branch `jf` has 0 elements there"
        )),
        "{msg}"
    );

    let msg = set
        .eval(&Expr::parse("jf * 2").unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("branch `jf` holds a variable number of values per entry"),
        "{msg}"
    );
}

#[test]
fn a_misspelt_branch_fails_before_reading_with_the_nearest_names() {
    let c = chain(&format!("{}:t", data("codec-zlib.root")));
    let e = Expr::parse("abs(jff[0] ?? 0)").unwrap();
    let msg = read_for(&[&e], &c, 0..10).unwrap_err().to_string();
    assert!(
        msg.starts_with(
            "expression `abs(jff[0] ?? 0)`: no branch called `jff`; did you mean `jf`?"
        ),
        "{msg}"
    );
    // Reading no entries gives the layouts, enough to find a misused array up front.
    let e = Expr::parse("jf * 2 + arr[0]").unwrap();
    let empty = read_for(&[&e], &c, 0..0).unwrap();
    assert_eq!(empty.entries, 0);
    let msg = empty.eval(&e).unwrap_err().to_string();
    assert!(
        msg.contains("branch `jf` holds a variable number of values per entry"),
        "{msg}"
    );
}

#[test]
fn five_million_entries_column_wise() {
    let c = chain(&format!("{}:t", data("big-basket-zstd.root")));
    let e = Expr::parse("log(abs(x) + 1e-3) * abs(i)").unwrap();
    let set = read_for(&[&e], &c, 0..c.entries()).unwrap();
    let t = Instant::now();
    let got = set.eval(&e).unwrap();
    let took = t.elapsed();
    let (x, i) = (&set.columns["x"].values, &set.columns["i"].values);
    let t = Instant::now();
    let want: Vec<f64> = x
        .iter()
        .zip(i)
        .map(|(x, i)| (x.abs() + 1e-3).ln() * i.abs())
        .collect();
    let plain = t.elapsed();
    same(&got, &want, "log(abs(x) + 1e-3) * abs(i)");
    eprintln!(
        "expr: {} entries of `{}` in {:.1} ms (the same formula as one plain Rust loop: {:.1} ms)",
        got.len(),
        e.source(),
        took.as_secs_f64() * 1e3,
        plain.as_secs_f64() * 1e3
    );
}

fn shared_file(name: &str) -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rootfiles");
    if d.join("manifest.json").exists() {
        return Some(d.join(name));
    }
    if std::env::var("ROOTGRAD_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "ROOTGRAD_REQUIRE_SHARED=1 but {} has no manifest.json",
            d.display()
        );
    }
    eprintln!("SKIPPED: {} not found", d.display());
    None
}

#[test]
fn nanoaod_jets_and_event_folds() {
    let Some(path) = shared_file("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        return;
    };
    let c = chain(&format!("{}:Events", path.display()));
    let n = c.entries() as usize;
    let (pt, eta, njet, event) = (
        col(&c, "Jet_pt"),
        col(&c, "Jet_eta"),
        col(&c, "nJet"),
        col(&c, "event"),
    );
    type Formula<'a> = Box<dyn Fn(usize) -> f64 + 'a>;
    let cases: Vec<(&str, Formula)> = vec![
        (
            "Jet_pt[0] ?? -1",
            Box::new(|i| first(&pt, i, 0).unwrap_or(-1.0)),
        ),
        (
            "nJet > 1 && abs(Jet_eta[1]) < 2.4",
            Box::new(|i| f64::from(njet.values[i] > 1.0 && eta.entry(i)[1].abs() < 2.4)),
        ),
        ("event % 5", Box::new(|i| event.values[i].rem_euclid(5.0))),
        (
            "log(Jet_pt[1] ?? 1) - log(Jet_pt[0] ?? 1)",
            Box::new(|i| {
                first(&pt, i, 1).unwrap_or(1.0).ln() - first(&pt, i, 0).unwrap_or(1.0).ln()
            }),
        ),
    ];
    let exprs: Vec<Expr> = cases.iter().map(|(s, _)| Expr::parse(s).unwrap()).collect();
    let refs: Vec<&Expr> = exprs.iter().collect();
    let set = read_for(&refs, &c, 0..c.entries()).unwrap();
    for ((src, f), e) in cases.iter().zip(&exprs) {
        let want: Vec<f64> = (0..n).map(f).collect();
        same(&set.eval(e).unwrap(), &want, src);
    }
    let folds = set.eval(&exprs[2]).unwrap();
    assert!(folds.iter().all(|f| (0.0..5.0).contains(f)));
}
