//! Files written by uproot with every codec (none, zlib, lzma, lz4, zstd), with a single
//! basket over 16 MiB (several compression blocks), with 1,000 baskets per branch, and
//! with no entries, read back exactly.
//!
//! Golden values: validation/data/uproot/expected.json, made by
//! validation/make_uproot_files.py (uproot 5.7) together with the files. `xxh64` is the
//! XXH64 hash of every value as a little-endian float64, so one comparison checks every
//! value bit for bit.

use std::path::PathBuf;
use std::sync::Arc;

use rootgrad::root::read::read_column;
use rootgrad::root::{RootFile, Tree};
use serde_json::Value as Json;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("validation/data/uproot")
}

fn expected() -> Json {
    serde_json::from_str(&std::fs::read_to_string(data_dir().join("expected.json")).unwrap())
        .unwrap()
}

fn check_file(name: &str) {
    let exp = expected();
    let fe = &exp[name];
    let file = Arc::new(RootFile::open(&data_dir().join(name)).unwrap());
    let tree = Tree::open(file, fe["tree"].as_str().unwrap()).unwrap();
    assert_eq!(
        tree.entries,
        fe["entries"].as_u64().unwrap(),
        "{name}: entries"
    );
    for (bname, be) in fe["branches"].as_object().unwrap() {
        let col = read_column::<f64>(&tree, bname, 0..u64::MAX)
            .unwrap_or_else(|e| panic!("{name}:{bname}: {e}"));
        assert_eq!(
            col.entries() as u64,
            be["entries"].as_u64().unwrap(),
            "{name}:{bname}: entries"
        );
        assert_eq!(
            col.values.len() as u64,
            be["values"].as_u64().unwrap(),
            "{name}:{bname}: values"
        );
        let mut h = xxhash_rust::xxh64::Xxh64::new(0);
        for v in &col.values {
            h.update(&v.to_le_bytes());
        }
        assert_eq!(
            format!("{:016x}", h.digest()),
            be["xxh64"].as_str().unwrap(),
            "{name}:{bname}: values differ from uproot's (first {:?})",
            &col.values[..col.values.len().min(5)]
        );
    }
}

#[test]
fn codec_none() {
    check_file("codec-none.root");
}
#[test]
fn codec_zlib() {
    check_file("codec-zlib.root");
}
#[test]
fn codec_lzma() {
    check_file("codec-lzma.root");
}
#[test]
fn codec_lz4() {
    check_file("codec-lz4.root");
}
#[test]
fn codec_zstd() {
    check_file("codec-zstd.root");
}
#[test]
fn single_basket_over_16_mib_zlib() {
    check_file("big-basket-zlib.root");
}
#[test]
fn single_basket_over_16_mib_zstd() {
    check_file("big-basket-zstd.root");
}
#[test]
fn a_thousand_baskets_per_branch() {
    check_file("many-baskets.root");
}
#[test]
fn empty_tree() {
    check_file("empty.root");
}

/// Entry ranges decompress only what they touch and give exactly the slice of the
/// whole column, including ranges that start and stop inside baskets.
#[test]
fn entry_ranges_are_slices_of_the_whole() {
    let file = Arc::new(RootFile::open(&data_dir().join("many-baskets.root")).unwrap());
    let tree = Tree::open(file, "t").unwrap();
    let all = read_column::<f64>(&tree, "x", 0..u64::MAX).unwrap();
    for (a, z) in [
        (0u64, 1u64),
        (37, 4_213),
        (99_990, 100_000),
        (50_000, 50_000),
        (120_000, 130_000),
    ] {
        let part = read_column::<f64>(&tree, "x", a..z).unwrap();
        let (a, z) = (a.min(100_000) as usize, z.min(100_000) as usize);
        assert_eq!(part.values, all.values[a..z], "range {a}..{z}");
    }
}
