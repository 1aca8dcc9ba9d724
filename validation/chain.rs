//! Chains and friends through the library API: several files of one tree read as one
//! (`dir/*.root:t`), and friend trees joined by entry number.
//!
//! A chain's column must be the concatenation of each file's column read alone, for
//! flat, fixed-size and jagged branches, whole and over entry ranges that straddle a
//! file boundary (for jagged branches the offsets of later files are shifted). A friend
//! with the same entry count joins and its branches read through the chain; one with a
//! different count is refused naming both trees and both counts. A glob matching
//! nothing, and a branch that is nowhere, are errors that say what and where.
//!
//! Inputs: the committed files of validation/data/uproot (made by
//! validation/make_uproot_files.py; `codec-zlib.root` and `codec-zstd.root` hold the
//! same tree `t` of 2,062 entries, `many-baskets.root` and `big-basket-zstd.root` hold
//! different values of a `double` branch `x`), copied into a fresh temporary folder
//! per test to build globs, and friend trees written there by rootgrad's own writer.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rootgrad::root::read::read_column;
use rootgrad::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};
use rootgrad::root::{Chain, Column, Layout, TreeSpec};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("validation/data/uproot")
        .join(name)
}

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rootgrad-chain-test-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Copies committed file `from` to `to` in this folder.
    fn copy(&self, from: &str, to: &str) -> PathBuf {
        let p = self.0.join(to);
        std::fs::copy(data(from), &p).unwrap();
        p
    }

    /// `folder/<glob>:<tree>`.
    fn spec(&self, glob: &str, tree: &str) -> TreeSpec {
        TreeSpec::parse(&format!("{}:{tree}", self.0.join(glob).display()))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(spec: &TreeSpec) -> Chain {
    Chain::open(spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"))
}

fn read(chain: &Chain, name: &str, a: u64, z: u64) -> Column<f64> {
    chain
        .read::<f64>(name, a..z)
        .unwrap_or_else(|e| panic!("{name} {a}..{z}: {e}"))
}

/// One file's column alone, through the per-tree reader (not the chain).
fn alone(file: &Path, name: &str, a: u64, z: u64) -> Column<f64> {
    let tree = rootgrad::root::chain::open_tree(file, Some("t")).unwrap();
    read_column::<f64>(&tree, name, a..z).unwrap()
}

/// The concatenation of columns as a chain must give it: values joined, offsets of
/// each later part shifted by the values before it.
fn concat(parts: &[Column<f64>]) -> (Vec<u64>, Layout) {
    let mut bits = Vec::new();
    let mut layout: Option<Layout> = None;
    for p in parts {
        let base = bits.len();
        bits.extend(p.values.iter().map(|v| v.to_bits()));
        layout = Some(match (layout, &p.layout) {
            (None, l) => l.clone(),
            (Some(Layout::Flat { width: a }), Layout::Flat { width: b }) => {
                assert_eq!(a, *b, "parts of different widths");
                Layout::Flat { width: a }
            }
            (Some(Layout::Jagged { mut offsets }), Layout::Jagged { offsets: more }) => {
                offsets.extend(more.iter().skip(1).map(|o| o + base));
                Layout::Jagged { offsets }
            }
            (l, m) => panic!("parts of different layouts: {l:?} and {m:?}"),
        });
    }
    (bits, layout.unwrap())
}

/// Compares bit for bit (NaN equals NaN, -0.0 differs from 0.0).
fn assert_same(got: &Column<f64>, want: &(Vec<u64>, Layout), what: &str) {
    let bits: Vec<u64> = got.values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got.layout, want.1, "{what}: layout");
    assert_eq!(bits.len(), want.0.len(), "{what}: number of values");
    if let Some(k) = (0..bits.len()).find(|&k| bits[k] != want.0[k]) {
        panic!(
            "{what}: value {k} is {} but the files alone give {}",
            got.values[k],
            f64::from_bits(want.0[k])
        );
    }
}

/// The two committed files of the same tree `t` (2,062 entries each) as `a.root` and
/// `b.root` in a fresh folder.
fn two_codec_files(tag: &str) -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new(tag);
    let a = dir.copy("codec-zlib.root", "a.root");
    let b = dir.copy("codec-zstd.root", "b.root");
    (dir, a, b)
}

const N: u64 = 2062;

#[test]
fn glob_of_two_files_reads_as_the_concatenation_of_each() {
    let (dir, a, b) = two_codec_files("concat");
    let chain = open(&dir.spec("*.root", "t"));
    assert_eq!(chain.trees.len(), 2, "the glob matched both files");
    assert_eq!(chain.entries(), 2 * N);
    // flat scalars of several types, a fixed array, jagged arrays and their counts
    for name in ["f64", "f32", "i64", "u8", "b", "arr", "njf", "jf", "ji"] {
        let got = read(&chain, name, 0, u64::MAX);
        let want = concat(&[alone(&a, name, 0, N), alone(&b, name, 0, N)]);
        assert_same(&got, &want, &format!("{name}, whole chain"));
        assert_eq!(got.entries() as u64, 2 * N, "{name}: entries");
    }
    // the layouts are what the branch is: flat 1, flat 3, jagged
    assert_eq!(
        read(&chain, "arr", 0, 2).layout,
        Layout::Flat { width: 3 },
        "arr is float[3]"
    );
    assert!(matches!(
        read(&chain, "jf", 0, 2).layout,
        Layout::Jagged { .. }
    ));
}

#[test]
fn entry_ranges_straddling_the_file_boundary() {
    let (dir, a, b) = two_codec_files("straddle");
    let chain = open(&dir.spec("*.root", "t"));
    for (lo, hi) in [
        (N - 1, N + 1),
        (2000, 2100),
        (N - 37, 2 * N),
        (5, 2 * N - 5),
        (N, N + 3),
        (N - 3, N),
    ] {
        for name in ["f64", "arr", "jf", "njf", "ji"] {
            let mut parts = Vec::new();
            if lo < N {
                parts.push(alone(&a, name, lo, hi.min(N)));
            }
            if hi > N {
                parts.push(alone(&b, name, lo.max(N) - N, hi - N));
            }
            let got = read(&chain, name, lo, hi);
            assert_same(&got, &concat(&parts), &format!("{name} {lo}..{hi}"));
            assert_eq!(got.entries() as u64, hi - lo, "{name} {lo}..{hi}: entries");
        }
    }
    // Jagged entries keep their own lengths across the boundary: the counts branch
    // says how long each `jf` entry is.
    let jf = read(&chain, "jf", N - 50, N + 50);
    let njf = read(&chain, "njf", N - 50, N + 50);
    for k in 0..100 {
        assert_eq!(
            jf.entry(k).len() as f64,
            njf.values[k],
            "entry {}: len(jf) != njf",
            N - 50 + k as u64
        );
    }
    // Ranges past the end are clamped; an empty range gives no entries.
    assert_eq!(read(&chain, "f64", 2 * N - 2, 10 * N).entries(), 2);
    assert_eq!(read(&chain, "jf", N, N).entries(), 0);
    assert_eq!(read(&chain, "jf", 3 * N, 4 * N).entries(), 0);
}

/// Files with different values, so the order of the chain shows: sorted by name.
#[test]
fn chain_order_is_sorted_file_names_and_empty_files_add_nothing() {
    let dir = TempDir::new("order");
    let many = dir.copy("many-baskets.root", "b-many.root"); // x: double, 100,000 entries
    let big = dir.copy("big-basket-zstd.root", "c-big.root"); // x: double, 5,000,000
    dir.copy("empty.root", "a-empty.root"); // x: float, 0 entries
    let chain = open(&dir.spec("*.root", "t"));
    assert_eq!(chain.trees.len(), 3);
    assert_eq!(chain.entries(), 100_000 + 5_000_000);
    for (lo, hi) in [(0, 10), (99_990, 100_010), (99_000, 101_000)] {
        let mut parts = Vec::new();
        if lo < 100_000 {
            parts.push(alone(&many, "x", lo, hi.min(100_000)));
        }
        if hi > 100_000 {
            parts.push(alone(&big, "x", lo.max(100_000) - 100_000, hi - 100_000));
        }
        assert_same(
            &read(&chain, "x", lo, hi),
            &concat(&parts),
            &format!("x {lo}..{hi}"),
        );
    }
    // The two files really differ here, so a swapped order would have failed above.
    assert_ne!(
        alone(&many, "x", 0, 10).values,
        alone(&big, "x", 0, 10).values
    );
}

/// Writes friend tree `scores` with `n` entries to `path`: `score` (double) =
/// i * 0.25 - 100 + offset and `flag` (bool) = i % 3 == 0, i counted from 0 in this file.
fn write_scores(path: &Path, n: usize, offset: f64) {
    let columns = [
        FriendColumn {
            name: "score".into(),
            data: FriendData::F64((0..n).map(|i| i as f64 * 0.25 - 100.0 + offset).collect()),
        },
        FriendColumn {
            name: "flag".into(),
            data: FriendData::Bool((0..n).map(|i| i % 3 == 0).collect()),
        },
    ];
    write_friend(&FriendSpec {
        path,
        tree: "scores",
        columns: &columns,
        expected_entries: Some(n as u64),
        overwrite: false,
        source: None,
    })
    .unwrap_or_else(|e| panic!("writing the friend {}: {e}", path.display()));
}

#[test]
fn friend_with_the_same_entries_joins_and_its_branches_read_through_the_chain() {
    let dir = TempDir::new("friend");
    let main = dir.copy("codec-zlib.root", "main.root");
    let friend = dir.0.join("friend.root");
    write_scores(&friend, N as usize, 0.0);
    let mut chain = open(&TreeSpec::parse(&format!("{}:t", main.display())));
    let f = open(&TreeSpec::parse(&format!("{}:scores", friend.display())));
    chain.add_friend(f).unwrap();
    assert_eq!(chain.entries(), N);
    let names = chain.branch_names();
    assert!(
        names.iter().any(|n| n == "score") && names.iter().any(|n| n == "f64"),
        "branch_names has the tree's and the friend's: {names:?}"
    );
    // A branch only the friend has, whole and over a range.
    let score = read(&chain, "score", 0, u64::MAX);
    assert_eq!(score.layout, Layout::Flat { width: 1 });
    let want: Vec<f64> = (0..N).map(|i| i as f64 * 0.25 - 100.0).collect();
    assert_eq!(score.values, want);
    assert_eq!(read(&chain, "score", 1000, 1010).values, want[1000..1010]);
    let flag = read(&chain, "flag", 0, 9);
    assert_eq!(flag.values, [1., 0., 0., 1., 0., 0., 1., 0., 0.]);
    // The tree's own branches still come from the tree.
    assert_same(
        &read(&chain, "jf", 0, u64::MAX),
        &concat(&[alone(&main, "jf", 0, N)]),
        "jf through a chain with a friend",
    );
}

#[test]
fn friend_chain_of_two_files_joins_a_chain_of_two_files() {
    let (dir, _a, _b) = two_codec_files("friendchain");
    let fdir = TempDir::new("friendchain-f");
    write_scores(&fdir.0.join("s1.root"), N as usize, 0.0);
    write_scores(&fdir.0.join("s2.root"), N as usize, 1e6);
    let mut chain = open(&dir.spec("*.root", "t"));
    chain
        .add_friend(open(&fdir.spec("s*.root", "scores")))
        .unwrap();
    let got = read(&chain, "score", N - 2, N + 2);
    let want = [
        (N - 2) as f64 * 0.25 - 100.0,
        (N - 1) as f64 * 0.25 - 100.0,
        -100.0 + 1e6,
        0.25 - 100.0 + 1e6,
    ];
    assert_eq!(got.values, want);
}

#[test]
fn friend_with_a_different_entry_count_is_refused_naming_both_trees_and_counts() {
    let main = data("codec-zlib.root");
    let other = data("many-baskets.root");
    let mut chain = open(&TreeSpec::parse(&format!("{}:t", main.display())));
    let friend = open(&TreeSpec::parse(&format!("{}:t", other.display())));
    let err = chain.add_friend(friend).unwrap_err().to_string();
    for part in [
        format!("{}:t", main.display()),
        format!("{}:t", other.display()),
        "2062".to_string(),
        "100000".to_string(),
    ] {
        assert!(err.contains(&part), "`{err}` does not say `{part}`");
    }
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    // Refused means not joined.
    assert!(chain.friends.is_empty());
    // One entry off is refused too.
    let dir = TempDir::new("friend-off-by-one");
    let short = dir.0.join("short.root");
    write_scores(&short, N as usize - 1, 0.0);
    let err = chain
        .add_friend(open(&TreeSpec::parse(&format!(
            "{}:scores",
            short.display()
        ))))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2061") && err.contains("2062") && err.contains("scores"),
        "{err}"
    );
}

#[test]
fn a_glob_matching_nothing_is_an_error_naming_the_pattern() {
    let dir = TempDir::new("noglob");
    dir.copy("codec-zlib.root", "a.root");
    let spec = dir.spec("nothing-*.root", "t");
    let err = Chain::open(&spec).unwrap_err().to_string();
    assert!(
        err.contains(&spec.pattern),
        "`{err}` does not name the pattern"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn a_missing_branch_lists_the_nearest_names() {
    let (dir, _a, _b) = two_codec_files("missing");
    let mut chain = open(&dir.spec("*.root", "t"));
    let err = chain.read::<f64>("f33", 0..10).unwrap_err().to_string();
    assert!(err.contains("`f33`"), "{err}");
    assert!(err.contains("did you mean `f32`"), "{err}");
    assert!(err.contains("a.root"), "names the file: {err}");
    // With a friend, the friend's names are candidates too.
    let fdir = TempDir::new("missing-f");
    write_scores(&fdir.0.join("s1.root"), 2 * N as usize, 0.0);
    chain
        .add_friend(open(&fdir.spec("s1.root", "scores")))
        .unwrap();
    let err = chain.read::<f64>("scores", 0..10).unwrap_err().to_string();
    assert!(err.contains("did you mean `score`"), "{err}");
}

/// A chain whose second file lacks the branch names that file.
#[test]
fn a_branch_missing_from_a_later_file_names_that_file() {
    let dir = TempDir::new("hetero");
    dir.copy("codec-zlib.root", "a.root");
    dir.copy("many-baskets.root", "b.root");
    let chain = open(&dir.spec("*.root", "t"));
    let err = chain
        .read::<f64>("f64", N - 5..N + 5)
        .unwrap_err()
        .to_string();
    assert!(err.contains("b.root") && err.contains("`f64`"), "{err}");
    // Entries that lie only in the first file read fine.
    assert_eq!(read(&chain, "f64", 0, 5).entries(), 5);
}

/// Writes friend tree `tree` with `n` entries and one double column `name` = i + k.
fn write_one(path: &Path, tree: &str, name: &str, n: usize, k: f64) {
    let columns = [FriendColumn {
        name: name.into(),
        data: FriendData::F64((0..n).map(|i| i as f64 + k).collect()),
    }];
    write_friend(&FriendSpec {
        path,
        tree,
        columns: &columns,
        expected_entries: Some(n as u64),
        overwrite: false,
        source: None,
    })
    .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// A chain of friends, each joined to the one before: the main chain has friend `f1`,
/// which has friend `f2`, which has friend `f3`. Returns the main chain.
fn friends_of_friends(dir: &TempDir) -> Chain {
    let mut trees = Vec::new();
    for (k, name) in ["f1", "f2", "f3"].iter().enumerate() {
        let p = dir.0.join(format!("{name}.root"));
        write_one(
            &p,
            name,
            &format!("v{}", k + 1),
            N as usize,
            10.0 * (k + 1) as f64,
        );
        trees.push(open(&TreeSpec::parse(&format!("{}:{name}", p.display()))));
    }
    let f3 = trees.pop().unwrap();
    let mut f2 = trees.pop().unwrap();
    let mut f1 = trees.pop().unwrap();
    f2.add_friend(f3).unwrap();
    f1.add_friend(f2).unwrap();
    let mut chain = open(&TreeSpec::parse(&format!(
        "{}:t",
        data("codec-zlib.root").display()
    )));
    chain.add_friend(f1).unwrap();
    chain
}

#[test]
fn a_friend_of_a_friend_reads_through_the_chain() {
    let dir = TempDir::new("fof");
    let chain = friends_of_friends(&dir);
    assert_eq!(read(&chain, "v1", 5, 7).values, [15.0, 16.0]);
    assert_eq!(read(&chain, "v2", 5, 7).values, [25.0, 26.0]);
}

#[test]
fn a_friend_three_levels_down_reads_through_the_chain() {
    let dir = TempDir::new("fofof");
    let chain = friends_of_friends(&dir);
    assert!(chain.branch_names().iter().any(|n| n == "v3"));
    assert_eq!(read(&chain, "v3", 5, 7).values, [35.0, 36.0]);
}

/// `apply` reads plain float inputs as f32 when [`Chain::exact_as_f32`] says the values
/// are then those read as f64 and rounded: every scalar branch of every type of
/// uproot's sample file (ROOT 6.20), checked here against the f64 read (itself checked
/// against uproot in conformance.rs); 64-bit integers and arrays must say no.
#[test]
fn exact_as_f32_branches_read_as_their_f64_values_rounded() {
    let Some(dir) = crate::conformance::shared_manifest_dir("rootfiles") else {
        eprintln!("skipped: no ../shared/rootfiles");
        return;
    };
    let file = dir.join("uproot-sample-6.20.04-zlib.root");
    let chain = open(&TreeSpec::parse(&format!("{}:sample", file.display())));
    let mut exact = Vec::new();
    for name in chain.branch_names() {
        let wide = chain.read::<f64>(&name, 0..u64::MAX).unwrap();
        let scalar = wide.layout == Layout::Flat { width: 1 };
        let wide64 = name.ends_with('8') && (name.starts_with('i') || name.starts_with('u'));
        if !scalar || wide64 {
            assert!(
                !chain.exact_as_f32(&name),
                "{name}: an array or a 64-bit integer"
            );
            continue;
        }
        assert!(chain.exact_as_f32(&name), "{name}");
        let narrow = chain.read::<f32>(&name, 0..u64::MAX).unwrap();
        assert_eq!(narrow.values.len(), wide.values.len(), "{name}");
        for (i, (&n, &w)) in narrow.values.iter().zip(&wide.values).enumerate() {
            assert_eq!(n.to_bits(), (w as f32).to_bits(), "{name} entry {i}");
        }
        exact.push(name);
    }
    // the file's scalars: bool, 8- to 32-bit integers, float and double
    for want in ["b", "i1", "u1", "i2", "u2", "i4", "u4", "f4", "f8"] {
        assert!(exact.iter().any(|n| n == want), "{want} in {exact:?}");
    }
}
