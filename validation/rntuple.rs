//! RNTuple reader conformance: every numeric leaf of the 22 files in ../shared/rntuple
//! (written by ROOT 6.34 to 6.38 for uproot's tests) against what uproot 5.7.7 reads
//! (../shared/rntuple/manifest.json: entries, value count, float64 sum, first values),
//! and corrupt files refused with errors naming the ntuple, field and cluster.
//!
//! When ../shared is absent the test says it skipped, unless ROOTGRAD_REQUIRE_SHARED=1.

use std::path::PathBuf;
use std::sync::Arc;

use rootgrad::root::rntuple::{list_ntuples, read_column, Ntuple};
use rootgrad::root::RootFile;
use serde_json::Value as Json;

/// Leaves of the manifest this reader lists as not read, with the reason it gives.
const NOT_READ: &[(&str, &str, &str)] = &[
    (
        "test_emptystruct_invalidvar_rntuple_v1-0-0-0.root",
        "variant",
        "variant",
    ),
    (
        "test_stl_containers_rntuple_v1-0-0-0.root",
        "vector_vector_int32",
        "collection inside a collection",
    ),
];

fn shared_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rntuple");
    if d.join("manifest.json").exists() {
        return Some(d);
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

fn num(j: &Json) -> f64 {
    match j {
        Json::String(s) => s.parse().unwrap_or(f64::NAN),
        _ => j.as_f64().unwrap_or(f64::NAN),
    }
}

/// Reads a leaf chunk by chunk (some files hold 10^8 entries); returns entries, value
/// count, sum without NaN, NaN count and the first five values.
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
