//! RNTuple reader conformance: every numeric leaf of the 22 files in ../shared/rntuple
//! (written by ROOT 6.34 to 6.38 for uproot's tests) against what uproot 5.7.7 reads
//! (../shared/rntuple/manifest.json: entries, value count, float64 sum, first values),
//! and corrupt files refused with errors naming the ntuple, field and cluster.
//!
//! When ../shared is absent the test says it skipped, unless ROOTGRAD_REQUIRE_SHARED=1.

use crate::conformance::num;
use std::path::PathBuf;
use std::sync::Arc;

use rootgrad::root::rntuple::{list_ntuples, read_column, Ntuple};
use rootgrad::root::RootFile;
use serde_json::Value as Json;

/// Leaves of the manifest this reader lists as not read, with the reason it gives.
const NOT_READ: &[(&str, &str, &str)] = &[(
    "test_emptystruct_invalidvar_rntuple_v1-0-0-0.root",
    "variant",
    "variant",
)];

fn shared_dir() -> Option<PathBuf> {
    crate::conformance::shared_manifest_dir("rntuple")
}

fn summarise(nt: &Ntuple, leaf: &str) -> Result<(u64, usize, f64, usize, Vec<f64>), String> {
    let mut first = Vec::new();
    let (mut n, mut sum, mut nan, mut entries) = (0usize, 0f64, 0usize, 0u64);
    let step = 20_000_000u64;
    let mut a = 0;
    while a < nt.entries.max(1) {
        let c = read_column::<f64>(nt, leaf, a..a + step).map_err(|e| e.to_string())?;
        entries += c.entries() as u64;
        for &v in &c.values {
            if first.len() < 5 {
                first.push(v);
            }
            if v.is_nan() {
                nan += 1;
            } else {
                sum += v;
            }
        }
        n += c.values.len();
        a += step;
    }
    Ok((entries, n, sum, nan, first))
}

#[test]
fn every_manifest_leaf_matches_uproot() {
    let Some(dir) = shared_dir() else { return };
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let manifest: Json = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (fname, fv) in manifest.as_object().unwrap() {
        let file = Arc::new(RootFile::open(&dir.join(fname)).unwrap());
        let mut names = list_ntuples(&file).unwrap();
        names.sort();
        let mut want: Vec<&String> = fv["ntuples"].as_object().unwrap().keys().collect();
        want.sort();
        assert_eq!(names.iter().collect::<Vec<_>>(), want, "{fname}");
        for (nname, nv) in fv["ntuples"].as_object().unwrap() {
            let nt = match Ntuple::open(file.clone(), nname) {
                Ok(n) => n,
                Err(e) => {
                    failures.push(format!("{fname}:{nname}: {e}"));
                    continue;
                }
            };
            assert_eq!(
                nt.entries,
                nv["entries"].as_u64().unwrap(),
                "{fname}:{nname}"
            );
            for (leaf, lv) in nv["fields"].as_object().unwrap() {
                if let Some((_, _, why)) = NOT_READ.iter().find(|(f, l, _)| f == fname && l == leaf)
                {
                    let reason = nt.skipped.iter().find(|(n, _)| n == leaf);
                    assert!(
                        reason.is_some_and(|(_, r)| r.contains(why)),
                        "{fname}:{leaf} should be listed as not read ({why}), is {reason:?}"
                    );
                    continue;
                }
                if lv["values"].as_u64() == Some(0) {
                    continue; // an empty struct: no values to read
                }
                checked += 1;
                match summarise(&nt, leaf) {
                    Err(e) => failures.push(format!("{fname}:{leaf}: {e}")),
                    Ok((entries, n, sum, nan, first)) => {
                        let wsum = num(&lv["sum"]);
                        let wfirst: Vec<f64> =
                            lv["first"].as_array().unwrap().iter().map(num).collect();
                        let ok = entries == nt.entries
                            && n as u64 == lv["values"].as_u64().unwrap()
                            && nan as u64 == lv["nan"].as_u64().unwrap()
                            && (sum == wsum || (sum - wsum).abs() <= 1e-12 * wsum.abs())
                            && first.len() == wfirst.len()
                            && first.iter().zip(&wfirst).all(|(a, b)| {
                                // The manifest's values went through a decimal
                                // print that can differ in the last digit.
                                (a - b).abs() <= 1e-15 * b.abs() || (a.is_nan() && b.is_nan())
                            });
                        if !ok {
                            failures.push(format!(
                                "{fname}:{leaf}: read {n} values, sum {sum}, nan {nan}, first {first:?}; uproot {} values, sum {wsum}, first {wfirst:?}",
                                lv["values"]
                            ));
                        }
                    }
                }
            }
        }
    }
    for f in &failures {
        eprintln!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} leaves differ",
        failures.len()
    );
    assert!(checked >= 100, "only {checked} leaves checked");
}

/// Entry ranges that cut through pages and clusters (the reader decodes such a page whole
/// and keeps a part) read as the same slices of one read of the whole, values and entry
/// boundaries, for every leaf of the files whose columns have several pages or
/// clusters: 2 pages per column (extension columns, index multicluster), 12 cluster
/// groups, and the first 700,000 entries of the 100,000,000-entry file (191 pages per
/// column).
#[test]
fn ranges_across_pages_read_as_slices_of_the_whole() {
    let Some(dir) = shared_dir() else { return };
    let mut checked = 0;
    for fname in [
        "test_extension_columns_rntuple_v1-0-0-0.root",
        "test_index_multicluster_rntuple_v1-0-0-0.root",
        "test_multiple_cluster_groups_rntuple_v1-0-0-0.root",
        "test_int_multicluster_rntuple_v1-0-0-0.root",
        "test_split_3e4_rntuple_v1-0-0-0.root",
    ] {
        let file = Arc::new(RootFile::open(&dir.join(fname)).unwrap());
        for nname in list_ntuples(&file).unwrap() {
            let nt = Ntuple::open(file.clone(), &nname).unwrap();
            let span = nt.entries.min(700_000);
            let mut cuts = vec![0, 1, span / 3, span / 3 + 1, span / 2 + 7, span - 1, span];
            cuts.sort();
            cuts.dedup();
            for leaf in &nt.leaves {
                let whole = read_column::<f64>(&nt, &leaf.name, 0..span).unwrap();
                assert_eq!(whole.entries() as u64, span, "{fname}:{}", leaf.name);
                for w in cuts.windows(2) {
                    let part = read_column::<f64>(&nt, &leaf.name, w[0]..w[1]).unwrap();
                    assert_eq!(part.entries() as u64, w[1] - w[0]);
                    for e in 0..part.entries() {
                        let want = whole.entry(w[0] as usize + e);
                        let got = part.entry(e);
                        assert!(
                            got.len() == want.len()
                                && got
                                    .iter()
                                    .zip(want)
                                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                            "{fname}:{} entry {} read in {:?}: {got:?}, whole read {want:?}",
                            leaf.name,
                            w[0] as usize + e,
                            w
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} leaves checked");
}

fn shared_file(name: &str) -> Option<PathBuf> {
    shared_dir().map(|d| d.join(name))
}

/// A chain of two RNTuple files reads as their concatenation (offsets of the second
/// shifted), its chunks end at cluster starts, and a friend joins by entry.
#[test]
fn rntuple_chain_reads_as_concatenation() {
    let Some(a) = shared_file("test_split_3e4_rntuple_v1-0-0-0.root") else {
        return;
    };
    let a = a.display().to_string();
    let chain = rootgrad::data::open_chain(&[a.clone(), a.clone()], &[]).unwrap();
    assert_eq!(chain.entries(), 60_000);
    assert_eq!(chain.ntuples.len(), 2);
    let one = Ntuple::open(Arc::new(RootFile::open(a.as_ref()).unwrap()), "ntuple").unwrap();
    let whole = read_column::<f64>(&one, "three_vint32", 0..30_000).unwrap();
    let part = chain.read::<f64>("three_vint32", 29_990..30_010).unwrap();
    let mut want: Vec<f64> = (29_990..30_000)
        .flat_map(|e| whole.entry(e).to_vec())
        .collect();
    want.extend((0..10).flat_map(|e| whole.entry(e).to_vec()));
    assert_eq!(part.values, want);
    assert_eq!(part.entries(), 20);
    for e in 0..20 {
        let src = if e < 10 { 29_990 + e } else { e - 10 };
        assert_eq!(part.entry(e), whole.entry(src), "entry {e}");
    }
    let mut starts = one.cluster_starts();
    starts.extend(one.cluster_starts().iter().map(|s| s + 30_000));
    starts.dedup();
    assert_eq!(chain.basket_starts("one_int32"), starts);
    assert!(starts.len() > 2, "the file should have several clusters");
}

/// TTrees and RNTuples in one sample are refused, naming both.
#[test]
fn mixing_ttrees_and_rntuples_is_refused() {
    let Some(r) = shared_file("test_int_float_rntuple_v1-0-0-0.root") else {
        return;
    };
    let t = r
        .parent()
        .unwrap()
        .join("../rootfiles/uproot-HZZ-zlib.root");
    let e = rootgrad::data::open_chain(&[t.display().to_string(), r.display().to_string()], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mixes TTrees") && e.contains("RNTuple"), "{e}");
    assert!(
        e.contains("uproot-HZZ-zlib.root") && e.contains("test_int_float"),
        "{e}"
    );
}

/// A copy of a shared file in the temp folder, mutated by `f`.
fn mutated_copy(name: &str, tag: &str, f: impl FnOnce(&mut Vec<u8>)) -> Option<PathBuf> {
    let src = shared_file(name)?;
    let mut bytes = std::fs::read(src).unwrap();
    f(&mut bytes);
    let p = std::env::temp_dir().join(format!(
        "rootgrad-rntuple-{}-{tag}.root",
        std::process::id()
    ));
    std::fs::write(&p, bytes).unwrap();
    Some(p)
}

/// A flipped byte in a page, and a file cut inside a page: errors naming the file, the
/// ntuple, the field and the cluster.
#[test]
fn corrupt_pages_name_ntuple_field_and_cluster() {
    let name = "test_int_5e4_rntuple_v1-0-0-0.root";
    let Some(src) = shared_file(name) else { return };
    let nt = Ntuple::open(Arc::new(RootFile::open(&src).unwrap()), "ntuple").unwrap();
    let page = nt.clusters[0].columns[0].pages[0];
    let at = page.at.offset as usize + page.at.size as usize / 2;
    let flipped = mutated_copy(name, "flip", |b| b[at] ^= 0x10).unwrap();
    let nt = Ntuple::open(Arc::new(RootFile::open(&flipped).unwrap()), "ntuple").unwrap();
    let e = read_column::<f64>(&nt, "one_integers", 0..u64::MAX)
        .unwrap_err()
        .to_string();
    assert!(e.contains("rootgrad-rntuple-"), "{e}");
    assert!(
        e.contains("RNTuple `ntuple`") && e.contains("field `one_integers`"),
        "{e}"
    );
    assert!(e.contains("cluster 0") && e.contains("page 0"), "{e}");
    if page.checksum {
        assert!(e.contains("checksum"), "{e}");
    }
    std::fs::remove_file(&flipped).ok();

    let cut = mutated_copy(name, "cut", |b| b.truncate(at)).unwrap();
    // The anchor and envelopes sit after the pages: a cut file loses them.
    let e = match RootFile::open(&cut) {
        Err(e) => e.to_string(),
        Ok(f) => match Ntuple::open(Arc::new(f), "ntuple") {
            Err(e) => e.to_string(),
            Ok(nt) => read_column::<f64>(&nt, "one_integers", 0..u64::MAX)
                .unwrap_err()
                .to_string(),
        },
    };
    assert!(e.contains("rootgrad-rntuple-"), "{e}");
    std::fs::remove_file(&cut).ok();
}

/// A corrupt header envelope: the checksum mismatch is named.
#[test]
fn corrupt_envelope_checksum_is_named() {
    let name = "test_int_float_rntuple_v1-0-0-0.root";
    let Some(src) = shared_file(name) else { return };
    let nt = Ntuple::open(Arc::new(RootFile::open(&src).unwrap()), "ntuple").unwrap();
    let at = (nt.anchor.seek_header + nt.anchor.nbytes_header / 2) as usize;
    let p = mutated_copy(name, "header", |b| b[at] ^= 0x01).unwrap();
    let e = Ntuple::open(Arc::new(RootFile::open(&p).unwrap()), "ntuple")
        .unwrap_err()
        .to_string();
    std::fs::remove_file(&p).ok();
    assert!(
        e.contains("RNTuple `ntuple`") && e.contains("header"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Mutations: seeded byte mutations of the RNTuple files give errors, never a panic or a
// hang. Each case flips 1-8 bits, overwrites 1-64 bytes (zeros, 0xFF, random) or
// truncates, half of the time in the last quarter of the file (anchor, footer, page
// lists); in files whose header and footer are stored uncompressed, a third of the
// cases mutate the envelope's payload and store its XXH3-64 again, so that the
// mutation reaches the header and footer parsers instead of the checksum. The mutated
// file is opened, its ntuples listed and opened, and every leaf read as f64 (its first
// and last 2^16 entries). ROOTGRAD_RNTUPLE_MUTATIONS_PER_FILE changes the count.

/// The files mutated (all but the 10^8-entry one).
fn mutation_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "root")
                && !p.to_string_lossy().contains("int_multicluster")
        })
        .collect();
    v.sort();
    v
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// The envelopes stored uncompressed: (offset, length) of header and footer.
fn plain_envelopes(path: &std::path::Path) -> Vec<(usize, usize)> {
    let Ok(f) = RootFile::open(path) else {
        return vec![];
    };
    let f = Arc::new(f);
    let mut out = Vec::new();
    for n in list_ntuples(&f).unwrap_or_default() {
        if let Ok(nt) = Ntuple::open(f.clone(), &n) {
            let a = nt.anchor;
            if a.nbytes_header == a.len_header {
                out.push((a.seek_header as usize, a.len_header as usize));
            }
            if a.nbytes_footer == a.len_footer {
                out.push((a.seek_footer as usize, a.len_footer as usize));
            }
        }
    }
    out
}

fn mutate(bytes: &mut Vec<u8>, envelopes: &[(usize, usize)], s: &mut u64) {
    let n = bytes.len();
    let mode = xorshift(s) % 6;
    if mode == 5 && !envelopes.is_empty() {
        let (at, len) = envelopes[(xorshift(s) % envelopes.len() as u64) as usize];
        if at + len <= n && len > 16 {
            for _ in 0..1 + xorshift(s) % 4 {
                let i = at + 8 + (xorshift(s) as usize % (len - 16));
                bytes[i] = match xorshift(s) % 3 {
                    0 => bytes[i] ^ (1 << (xorshift(s) % 8)),
                    1 => 0xff,
                    _ => xorshift(s) as u8,
                };
            }
            let sum = xxhash_rust::xxh3::xxh3_64(&bytes[at..at + len - 8]);
            bytes[at + len - 8..at + len].copy_from_slice(&sum.to_le_bytes());
            return;
        }
    }
    let pos = if xorshift(s) % 2 == 0 {
        n * 3 / 4 + xorshift(s) as usize % (n / 4).max(1)
    } else {
        xorshift(s) as usize % n
    };
    match mode {
        0 | 5 => {
            for _ in 0..1 + xorshift(s) % 8 {
                let i = (pos + xorshift(s) as usize % 16) % n;
                bytes[i] ^= 1 << (xorshift(s) % 8);
            }
        }
        1..=3 => {
            let len = 1 + xorshift(s) as usize % 64;
            for b in &mut bytes[pos..(pos + len).min(n)] {
                *b = match mode {
                    1 => 0,
                    2 => 0xff,
                    _ => xorshift(s) as u8,
                };
            }
        }
        _ => bytes.truncate(pos),
    }
}

/// Opens a (mutated) file and reads everything; returns the error messages.
fn exercise(path: &std::path::Path) -> Vec<String> {
    let mut errs = Vec::new();
    let f = match RootFile::open(path) {
        Ok(f) => Arc::new(f),
        Err(e) => return vec![e.to_string()],
    };
    let names = match list_ntuples(&f) {
        Ok(n) => n,
        Err(e) => return vec![e.to_string()],
    };
    for n in names {
        let nt = match Ntuple::open(f.clone(), &n) {
            Ok(nt) => nt,
            Err(e) => {
                errs.push(e.to_string());
                continue;
            }
        };
        let span = 1 << 16;
        for l in &nt.leaves {
            for r in [0..span, nt.entries.saturating_sub(span)..nt.entries] {
                if let Err(e) = read_column::<f64>(&nt, &l.name, r) {
                    errs.push(e.to_string());
                }
            }
        }
    }
    errs
}

#[test]
fn mutated_rntuples_give_errors_not_panics() {
    let Some(dir) = shared_dir() else { return };
    let per_file: usize = std::env::var("ROOTGRAD_RNTUPLE_MUTATIONS_PER_FILE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let files = mutation_files(&dir);
    let (tx, rx) = std::sync::mpsc::channel::<(String, Result<Vec<String>, String>)>();
    let tmp =
        std::env::temp_dir().join(format!("rootgrad-rntuple-mut-{}.root", std::process::id()));
    let tmp2 = tmp.clone();
    let worker = std::thread::spawn(move || {
        for (fi, f) in files.iter().enumerate() {
            let clean = std::fs::read(f).unwrap();
            let envs = plain_envelopes(f);
            for i in 0..per_file {
                let mut s = 0x9e37_79b9_7f4a_7c15u64 ^ ((fi as u64) << 32) ^ i as u64;
                let mut bytes = clean.clone();
                mutate(&mut bytes, &envs, &mut s);
                std::fs::write(&tmp2, &bytes).unwrap();
                let got = std::panic::catch_unwind(|| exercise(&tmp2)).map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or(p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                });
                let label = format!("{}#{i}", f.file_name().unwrap().to_string_lossy());
                if tx.send((label, got)).is_err() {
                    return;
                }
            }
        }
    });
    let (mut cases, mut panics, mut errors) = (0usize, Vec::new(), 0usize);
    loop {
        match rx.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok((label, Ok(errs))) => {
                cases += 1;
                errors += !errs.is_empty() as usize;
                for e in errs {
                    assert!(
                        !e.contains('\n'),
                        "{label}: a message of several lines: {e}"
                    );
                    assert!(
                        e.contains("rootgrad-rntuple-mut-"),
                        "{label}: no file name: {e}"
                    );
                }
            }
            Ok((label, Err(p))) => {
                cases += 1;
                panics.push(format!("{label}: {p}"));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(_) => panic!("a case took more than 20 s (a hang) after {cases} cases"),
        }
    }
    worker.join().ok();
    std::fs::remove_file(&tmp).ok();
    assert!(
        panics.is_empty(),
        "{} panics: {:?}",
        panics.len(),
        &panics[..panics.len().min(10)]
    );
    assert!(cases >= per_file * 20, "only {cases} cases");
    eprintln!("{cases} mutated RNTuple files, {errors} gave errors, 0 panics");
}
