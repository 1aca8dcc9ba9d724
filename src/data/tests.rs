//! The loader against rows computed by hand from the written columns: cut, non-finite
//! features left out, negative weights ignored, folds and masses, in chunks of every
//! size (so rows left out are closed up within and across chunk boundaries), in f32 and
//! in f64.

use std::path::{Path, PathBuf};

use super::{load_in_chunks, Sample, Wanted, READ_CHUNK};
use crate::config::{NegativeWeights, SampleSpec};
use crate::expr::Expr;
use crate::progress::Progress;
use crate::random::SplitMix64;
use crate::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};

const N: usize = 1000;

struct Columns {
    a: Vec<f32>,
    b: Vec<f64>,
    w: Vec<f64>,
    cls: Vec<i32>,
    event: Vec<i64>,
    m: Vec<f32>,
}

/// Writes the test tree `Events` and returns its path and columns.
fn write(name: &str) -> (PathBuf, Columns) {
    let mut rng = SplitMix64::new(&[0x10AD]);
    let mut c = Columns {
        a: vec![],
        b: vec![],
        w: vec![],
        cls: vec![],
        event: vec![],
        m: vec![],
    };
    for i in 0..N {
        c.a.push(rng.normal() as f32);
        c.b.push(match i {
            _ if i % 37 == 3 => f64::NAN,
            // finite in f64, infinite in f32
            _ if i % 53 == 5 => 1e39,
            _ => 10.0 * rng.uniform(),
        });
        let sign = if i % 5 == 1 { -1.0 } else { 1.0 };
        c.w.push(sign * (0.5 + rng.uniform()));
        c.cls.push((rng.uniform() < 0.6) as i32);
        c.event.push(100 + i as i64);
        c.m.push(80.0 + 20.0 * rng.uniform() as f32);
    }
    let dir = std::env::temp_dir().join(format!("rootgrad-data-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let path = dir.join("t.root");
    let col = |name: &str, data: FriendData| FriendColumn {
        name: name.into(),
        data,
    };
    write_friend(&FriendSpec {
        path: &path,
        tree: "Events",
        columns: &[
            col("a", FriendData::F32(c.a.clone())),
            col("b", FriendData::F64(c.b.clone())),
            col("w", FriendData::F64(c.w.clone())),
            col("cls", FriendData::I32(c.cls.clone())),
            col("event", FriendData::I64(c.event.clone())),
            col("m", FriendData::F32(c.m.clone())),
        ],
        expected_entries: None,
        overwrite: true,
        source: None,
    })
    .expect("write test tree");
    (path, c)
}

fn spec(path: &Path, drop_nonfinite: bool) -> SampleSpec {
    SampleSpec {
        key: "classification.signal".into(),
        files: vec![format!("{}:Events", path.display())],
        friends: vec![],
        cut: Some("cls == 1".into()),
        weight: "w".into(),
        negative_weights: NegativeWeights::Ignore,
        drop_nonfinite,
    }
}

fn features() -> Vec<Expr> {
    ["a", "b * 2", "a + b"]
        .iter()
        .map(|s| Expr::parse(s).expect("parse"))
        .collect()
}

fn read(spec: &SampleSpec, f64: bool, chunk: u64) -> crate::Result<Sample> {
    let feats = features();
    let fold = Expr::parse("event % 3").expect("parse");
    let mass = Expr::parse("m").expect("parse");
    let want = Wanted {
        features: &feats,
        fold: Some((&fold, 3)),
        mass: Some(&mass),
        f64,
    };
    load_in_chunks(spec, &want, &Progress::hidden(), chunk)
}

#[test]
fn rows_left_out_are_closed_up_in_every_chunk_size() {
    let (path, c) = write("rows");
    // the expected sample, event by event
    let (mut x, mut x64, mut w, mut fold, mut mass) = (vec![], vec![], vec![], vec![], vec![]);
    let mut dropped = 0;
    for i in 0..N {
        if c.cls[i] != 1 {
            continue;
        }
        let (a, b) = (c.a[i] as f64, c.b[i]);
        let row = [a, b * 2.0, a + b];
        if row.iter().any(|v| !(*v as f32).is_finite()) {
            dropped += 1;
            continue;
        }
        if c.w[i] < 0.0 {
            continue;
        }
        x.extend(row.iter().map(|&v| v as f32));
        w.push(c.w[i]);
        fold.push((c.event[i] % 3) as u32);
        mass.push(c.m[i] as f64);
        if row.iter().all(|v| v.is_finite()) {
            x64.push(row);
        }
    }
    assert!(dropped > 5 && w.len() > 300, "{dropped} {}", w.len());
    for chunk in [1, 7, 64, 999, 1000, READ_CHUNK] {
        let s = read(&spec(&path, true), false, chunk).expect("load");
        assert_eq!(s.width, 3);
        assert!(s.x64.is_empty());
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&s.x), bits(&x), "chunk {chunk}");
        assert_eq!(s.w, w, "chunk {chunk}");
        assert_eq!(s.fold, fold, "chunk {chunk}");
        assert_eq!(s.mass, mass, "chunk {chunk}");
        assert_eq!(s.report.nonfinite_dropped, dropped, "chunk {chunk}");
        assert_eq!(s.report.events, w.len());
    }
    // in f64 only NaN and infinities are non-finite: 1e39 is kept, unrounded
    let s = read(&spec(&path, true), true, 7).expect("load f64");
    assert!(s.x.is_empty());
    let kept: Vec<f64> = (0..N)
        .filter(|&i| c.cls[i] == 1 && !c.b[i].is_nan() && c.w[i] >= 0.0)
        .flat_map(|i| {
            let (a, b) = (c.a[i] as f64, c.b[i]);
            [a, b * 2.0, a + b]
        })
        .collect();
    assert_eq!(s.x64, kept);
    let _ = std::fs::remove_dir_all(path.parent().expect("folder"));
}

#[test]
fn nonfinite_feature_names_the_first_entry_whatever_the_chunks() {
    let (path, c) = write("nan");
    let first = (0..N)
        .find(|&i| c.cls[i] == 1 && !((c.b[i] * 2.0) as f32).is_finite())
        .expect("a non-finite selected event");
    for chunk in [3, 1000] {
        let e = read(&spec(&path, false), false, chunk)
            .expect_err("a NaN feature is an error")
            .to_string();
        assert!(e.contains("`b * 2`"), "{e}");
        assert!(e.contains(&format!("Events entry {first};")), "{e}");
    }
    let _ = std::fs::remove_dir_all(path.parent().expect("folder"));
}
