//! Tests of the RNTuple friend writer: files written into fresh temporary folders and
//! read back by rootgrad's own RNTuple reader, value for value and bit for bit, with
//! pages and clusters ending inside and between chunks; the layout ROOT writes by
//! default (column types, one cluster group, page checksums); the source record; and
//! the refusals and clean-up shared with the TTree friend. ROOT 6.40 and uproot read the
//! same files in CI (validation/rntuple_friend/check.py).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::super::super::file::RootFile;
use super::super::super::provenance::{FriendSource, SourceTree};
use super::super::super::wfile::{Compression, FileWriter};
use super::super::super::write::{
    write_friend_as, write_friend_stream_as, FriendColumn, FriendData, FriendFormat, FriendSpec,
    FriendStream, FriendType, StreamColumn,
};
use super::super::{read_column, Ntuple};
use super::*;

/// A fresh folder under the system temp dir, removed when dropped.
struct TestDir(PathBuf);

impl TestDir {
    fn new(name: &str) -> TestDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rootgrad-rntuple-write-{}-{name}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One column of each type, `n` entries, values awkward for a writer: negatives,
/// fractions, NaN, infinities, -0, huge magnitudes, integers past 2^31.
fn all_types(n: usize) -> Vec<FriendColumn> {
    let col = |name: &str, data| FriendColumn {
        name: name.to_string(),
        data,
    };
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        1e300,
        -5e-324,
    ];
    vec![
        col(
            "score",
            FriendData::F32((0..n).map(|i| i as f32 / 7.0 - 3.5).collect()),
        ),
        col(
            "weight",
            FriendData::F64(
                (0..n)
                    .map(|i| specials.get(i).copied().unwrap_or(-(i as f64) * 1e10 / 3.0))
                    .collect(),
            ),
        ),
        col(
            "fold",
            FriendData::I32((0..n).map(|i| (i as i32 % 5) - 2 + i32::MIN / 3).collect()),
        ),
        col(
            "event",
            FriendData::I64((0..n).map(|i| (i as i64 - 7) * (1 << 40)).collect()),
        ),
        col(
            "pass",
            FriendData::Bool((0..n).map(|i| i % 3 == 1).collect()),
        ),
    ]
}

fn spec<'a>(path: &'a Path, columns: &'a [FriendColumn]) -> FriendSpec<'a> {
    FriendSpec {
        path,
        tree: "rootgrad",
        columns,
        expected_entries: None,
        overwrite: false,
        source: None,
    }
}

fn open(path: &Path) -> Ntuple {
    Ntuple::open(Arc::new(RootFile::open(path).unwrap()), "rootgrad").unwrap()
}

/// Reads every column over `range` and compares bit for bit (as f64, which holds every
/// value of every type written here exactly).
fn assert_reads_back(nt: &Ntuple, columns: &[FriendColumn], range: std::ops::Range<u64>) {
    for c in columns {
        let got = read_column::<f64>(nt, &c.name, range.clone())
            .unwrap()
            .values;
        let r = range.start as usize..range.end as usize;
        let want: Vec<f64> = match &c.data {
            FriendData::F32(v) => v[r].iter().map(|&x| x as f64).collect(),
            FriendData::F64(v) => v[r].to_vec(),
            FriendData::I32(v) => v[r].iter().map(|&x| x as f64).collect(),
            FriendData::I64(v) => v[r].iter().map(|&x| x as f64).collect(),
            FriendData::Bool(v) => v[r].iter().map(|&x| x as u8 as f64).collect(),
        };
        assert_eq!(got.len(), want.len(), "{}", c.name);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "{} entry {i}: {g} vs {w}", c.name);
        }
    }
}

#[test]
fn every_type_reads_back_bit_exact_with_roots_default_columns() {
    let dir = TestDir::new("types");
    let out = dir.join("f.root");
    let columns = all_types(1000);
    write_friend_as(&spec(&out, &columns), FriendFormat::RNTuple).unwrap();
    let nt = open(&out);
    assert_eq!(nt.entries, 1000);
    assert_eq!(nt.anchor.version, [1, 0, 0, 0]);
    assert_eq!(nt.name(), "rootgrad");
    assert!(nt.skipped.is_empty(), "{:?}", nt.skipped);
    let layout: Vec<(String, String, String)> = nt
        .leaves
        .iter()
        .map(|l| (l.name.clone(), l.type_name.clone(), nt.leaf_columns(l)))
        .collect();
    let want = [
        ("score", "float", "SplitReal32"),
        ("weight", "double", "SplitReal64"),
        ("fold", "std::int32_t", "SplitInt32"),
        ("event", "std::int64_t", "SplitInt64"),
        ("pass", "bool", "Bit"),
    ];
    for (got, want) in layout.iter().zip(want) {
        assert_eq!((got.0.as_str(), got.1.as_str(), got.2.as_str()), want);
    }
    assert_reads_back(&nt, &columns, 0..1000);
    assert_reads_back(&nt, &columns, 333..334);
    // every page has a checksum and says zstd level 1
    for c in &nt.clusters {
        for r in &c.columns {
            assert_eq!(r.compression, 501);
            assert!(r.pages.iter().all(|p| p.checksum));
        }
    }
}

/// Writes `columns` through [`NtupleOut`] directly with small pages and clusters, in
/// chunks of the given lengths; returns the file.
fn write_small(
    dir: &TestDir,
    columns: &[FriendColumn],
    per_page: usize,
    per_cluster: u64,
    chunks: &[usize],
) -> PathBuf {
    let path = dir.join("small.root");
    let kinds: Vec<StreamColumn> = columns
        .iter()
        .map(|c| StreamColumn {
            name: c.name.clone(),
            kind: c.data.kind(),
        })
        .collect();
    let file = fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let mut fw = FileWriter::create(file, "small.root", [7; 16], Compression::Zstd(1)).unwrap();
    let mut nt = NtupleOut::with_sizes("rootgrad", &kinds, per_page, per_cluster);
    let mut at = 0;
    for &n in chunks {
        let chunk: Vec<FriendData> = columns.iter().map(|c| slice(&c.data, at..at + n)).collect();
        nt.push(&chunk, &mut fw).unwrap();
        at += n;
    }
    nt.finish(&mut fw).unwrap();
    fw.finish().unwrap();
    path
}

fn slice(d: &FriendData, r: std::ops::Range<usize>) -> FriendData {
    let mut out = empty(d.kind(), r.len());
    extend(&mut out, d, r);
    out
}

#[test]
fn pages_and_clusters_end_inside_and_between_chunks() {
    let dir = TestDir::new("clusters");
    let columns = all_types(100);
    // pages of 7, clusters of 20 (the third page of a cluster holds 6), chunks that
    // straddle both, an empty chunk, and a last cluster of 100 - 80 = 20 entries
    let path = write_small(&dir, &columns, 7, 20, &[3, 17, 0, 1, 25, 9, 45]);
    let nt = open(&path);
    assert_eq!(nt.entries, 100);
    assert_eq!(nt.cluster_starts(), vec![0, 20, 40, 60, 80, 100]);
    for c in &nt.clusters {
        for r in &c.columns {
            let sizes: Vec<u32> = r.pages.iter().map(|p| p.elements).collect();
            assert_eq!(sizes, vec![7, 7, 6]);
            assert_eq!(r.first, c.first);
        }
    }
    assert_reads_back(&nt, &columns, 0..100);
    assert_reads_back(&nt, &columns, 13..67);
}

#[test]
fn a_last_cluster_shorter_than_the_others() {
    let dir = TestDir::new("short");
    let columns = all_types(45);
    let path = write_small(&dir, &columns, 8, 16, &[45]);
    let nt = open(&path);
    assert_eq!(nt.cluster_starts(), vec![0, 16, 32, 45]);
    assert_reads_back(&nt, &columns, 0..45);
}

#[test]
fn default_sizes_give_a_second_cluster_past_a_million_entries() {
    let dir = TestDir::new("million");
    let out = dir.join("big.root");
    let n = CLUSTER_ENTRIES as usize + 3;
    let columns = vec![FriendColumn {
        name: "score".into(),
        data: FriendData::F32((0..n).map(|i| (i % 1000) as f32 * 1e-3).collect()),
    }];
    write_friend_as(&spec(&out, &columns), FriendFormat::RNTuple).unwrap();
    let nt = open(&out);
    assert_eq!(nt.cluster_starts(), vec![0, CLUSTER_ENTRIES, n as u64]);
    let pages: Vec<usize> = nt
        .clusters
        .iter()
        .map(|c| c.columns[0].pages.len())
        .collect();
    assert_eq!(pages, vec![16, 1]);
    assert_reads_back(&nt, &columns, CLUSTER_ENTRIES - 2..n as u64);
}

#[test]
fn zero_entries_write_an_ntuple_without_clusters() {
    let dir = TestDir::new("empty");
    let out = dir.join("e.root");
    let columns = all_types(0);
    write_friend_as(&spec(&out, &columns), FriendFormat::RNTuple).unwrap();
    let nt = open(&out);
    assert_eq!(nt.entries, 0);
    assert_eq!(nt.leaves.len(), 5);
    assert!(nt.clusters.is_empty());
}

#[test]
fn the_source_record_is_in_the_file() {
    let dir = TestDir::new("source");
    let out = dir.join("s.root");
    let record = FriendSource {
        format: "rootgrad friend source 1".into(),
        sources: vec![SourceTree {
            file: "in.root".into(),
            tree: "Events".into(),
            entries: 10,
            uuid: None,
            fingerprint: "0123456789abcdef".into(),
        }],
    };
    let columns = all_types(10);
    let mut s = spec(&out, &columns);
    s.source = Some(&record);
    write_friend_as(&s, FriendFormat::RNTuple).unwrap();
    let file = RootFile::open(&out).unwrap();
    assert_eq!(FriendSource::of_file(&file).unwrap(), Some(record));
    // the anchor is listed as an RNTuple, the record as a TNamed, and nothing else
    let mut keys: Vec<(String, String)> = file
        .keys()
        .iter()
        .map(|k| (k.class.clone(), k.name.clone()))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            ("ROOT::RNTuple".into(), "rootgrad".into()),
            ("TNamed".into(), "rootgrad_source".into())
        ]
    );
}

#[test]
fn a_corrupt_page_is_caught_by_its_checksum() {
    let dir = TestDir::new("corrupt");
    let out = dir.join("c.root");
    let columns = all_types(500);
    write_friend_as(&spec(&out, &columns), FriendFormat::RNTuple).unwrap();
    let at = open(&out).clusters[0].columns[0].pages[0].at;
    let mut bytes = fs::read(&out).unwrap();
    bytes[at.offset as usize + 20] ^= 0x40;
    fs::write(&out, &bytes).unwrap();
    let nt = open(&out);
    let e = read_column::<f64>(&nt, "score", 0..500)
        .unwrap_err()
        .to_string();
    assert!(e.contains("checksum") && e.contains("score"), "{e}");
}

#[test]
fn existing_output_kept_and_producer_error_leaves_nothing() {
    let dir = TestDir::new("refusals");
    let out = dir.join("f.root");
    fs::write(&out, b"keep me").unwrap();
    let columns = all_types(5);
    let e = write_friend_as(&spec(&out, &columns), FriendFormat::RNTuple).unwrap_err();
    assert!(matches!(e, crate::Error::OutputExists { .. }), "{e}");
    assert_eq!(fs::read(&out).unwrap(), b"keep me");
    fs::remove_file(&out).unwrap();
    let kinds = [StreamColumn {
        name: "score".into(),
        kind: FriendType::F32,
    }];
    let stream = FriendStream {
        path: &out,
        tree: "rootgrad",
        columns: &kinds,
        entries: 200_000,
        overwrite: false,
        source: None,
    };
    let mut calls = 0;
    let e = write_friend_stream_as(&stream, FriendFormat::RNTuple, || {
        calls += 1;
        if calls < 3 {
            Ok(Some(vec![FriendData::F32(vec![0.5; 70_000])]))
        } else {
            Err(crate::Error::Usage("the scorer failed".into()))
        }
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "the scorer failed");
    assert!(dir.names().is_empty(), "{:?}", dir.names());
}
