//! Reader conformance on real files: every branch of ../shared/rootfiles/manifest.json
//! (written by uproot 5.7 from files made by ROOT 4.00 to 6.36) is read by rootgrad and
//! compared: entry count, value count, sum, first five and last values.
//!
//! When ../shared is absent the test says it skipped, unless ROOTGRAD_REQUIRE_SHARED=1
//! (set by .ci/run), where a missing folder fails.

use std::path::PathBuf;
use std::sync::Arc;

use rootgrad::root::read::Layout;
use rootgrad::root::{RootFile, Tree};
use serde_json::Value as Json;

/// Branches that cannot be read, with the reason (also listed in docs/formats.md).
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[];

/// Branches where uproot 5.7 (the manifest) and ROOT differ and ROOT is the reference:
/// `Double32_t[-2.71, 10, 32]`, which uproot scales by 2^32 and ROOT by 0xffffffff
/// (TStreamerElement::GetRange). Every entry's f64 bits as ROOT 6.40 reads them, from
/// validation/root640/double32_shared_golden.py.
const ROOT_REFERENCE: &[(&str, &str, &str, &[u64])] = &[(
    "uproot-double32-float16.root",
    "tree",
    "double32_32",
    &[
        0xbfffffffffcdc28f,
        0xbff7ffffffe0cccd,
        0xbfefffffffe7ae14,
        0xbfe00000000dc290,
        0xbfb99999a5266660,
        0xbdf9eb8400000000,
        0x3fb99999a1e8f5c0,
        0x3fdfffffff4c28f8,
        0x3fefffffff800000,
        0x400000000032a3d8,
        0x40080000001f999a,
        0x40100000000647ae,
        0x4013fffffffcc28f,
        0x4017fffffff33d71,
        0x401bffffffe9b851,
        0x402000000009851e,
        0x402200000004c290,
    ],
)];

fn shared_dir() -> Option<PathBuf> {
    shared_manifest_dir("rootfiles")
}

/// `../shared/<sub>` when it holds a manifest.json; `None` (the test says it skipped)
/// when it does not, unless ROOTGRAD_REQUIRE_SHARED=1, where that fails.
pub(crate) fn shared_manifest_dir(sub: &str) -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
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

/// A manifest number; NaN and infinities arrive as strings.
pub(crate) fn num(j: &Json) -> f64 {
    match j {
        Json::String(s) => s.parse().unwrap_or(f64::NAN),
        _ => j.as_f64().unwrap_or(f64::NAN),
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn every_manifest_branch_matches_uproot() {
    check_manifest(Tree::open);
}

/// The same files, with TTree and TBranch read through the class layouts each file
/// carries (the path used for class versions without a hand-written reader, such as
/// ROOT 5.0x files), so that path is checked on real files too.
#[test]
fn every_manifest_branch_matches_uproot_through_file_layouts() {
    check_manifest(Tree::open_with_file_layouts);
}

fn check_manifest(open: fn(Arc<RootFile>, &str) -> rootgrad::Result<Tree>) {
    let Some(dir) = shared_dir() else { return };
    // The manifest is Python's JSON, which writes NaN and Infinity bare; serde_json
    // wants them quoted.
    let text = std::fs::read_to_string(dir.join("manifest.json"))
        .unwrap()
        .replace("-Infinity", "\"-inf\"")
        .replace("Infinity", "\"inf\"")
        .replace("NaN", "\"nan\"");
    let manifest: Json = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    let mut failures: Vec<String> = Vec::new();
    for (fname, fv) in manifest.as_object().unwrap() {
        let file = match RootFile::open(&dir.join(fname)) {
            Ok(f) => Arc::new(f),
            Err(e) => {
                failures.push(format!("{fname}: open: {e}"));
                continue;
            }
        };
        for (tname, tv) in fv["trees"].as_object().unwrap() {
            let tree = match open(file.clone(), tname) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{fname}:{tname}: {e}"));
                    continue;
                }
            };
            for (bname, bv) in tv["branches"].as_object().unwrap() {
                if EXPECTED_FAILURES
                    .iter()
                    .any(|(f, t, b)| *f == fname && *t == tname && *b == bname)
                {
                    continue;
                }
                checked += 1;
                if let Some((.., want)) = ROOT_REFERENCE
                    .iter()
                    .find(|(f, t, b, _)| *f == fname && *t == tname && *b == bname)
                {
                    let col = rootgrad::root::read::read_column::<f64>(&tree, bname, 0..u64::MAX)
                        .unwrap();
                    let got: Vec<u64> = col.values.iter().map(|v| v.to_bits()).collect();
                    if got != *want {
                        failures.push(format!("{fname}:{tname}:{bname}: not ROOT's values"));
                    }
                    continue;
                }
                if let Err(e) = check_branch(&tree, bname, bv) {
                    failures.push(format!(
                        "{fname}:{tname}:{bname} ({}): {e}",
                        bv["interpretation"]
                    ));
                }
            }
        }
    }
    for f in failures.iter().take(60) {
        eprintln!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} branches differ from uproot",
        failures.len()
    );
    assert!(checked >= 2400, "only {checked} branches checked");
}

fn check_branch(tree: &Tree, name: &str, want: &Json) -> Result<(), String> {
    let (values, entries) = read_flat(tree, name)?;
    let n_entries = want["entries"].as_u64().unwrap() as usize;
    if entries != n_entries {
        return Err(format!("{entries} entries, uproot {n_entries}"));
    }
    let n_values = want["values"].as_u64().unwrap() as usize;
    if values.len() != n_values {
        return Err(format!("{} values, uproot {n_values}", values.len()));
    }
    // Float16_t with a range: ROOT (TBufferFile::ReadWithFactor) computes
    // raw / factor + low in double precision and rounds once to float, as rootgrad
    // does; uproot computes in single precision, so the two differ in the last bit
    // of a float. Compare those at float precision.
    let interp = want["interpretation"].as_str().unwrap_or("");
    let rel = if interp.starts_with("AsFloat16") {
        1e-6
    } else {
        1e-9
    };
    let rel_value = if interp.starts_with("AsFloat16") {
        1e-6
    } else {
        1e-12
    };
    let sum: f64 = values.iter().sum();
    let want_sum = num(&want["sum"]);
    if !close(sum, want_sum, rel) {
        return Err(format!("sum {sum}, uproot {want_sum}"));
    }
    let first = want["first"].as_array().unwrap();
    for (i, w) in first.iter().enumerate() {
        let w = num(w);
        if !close(values[i], w, rel_value) {
            return Err(format!("value {i} is {}, uproot {w}", values[i]));
        }
    }
    if !want["last"].is_null() {
        let last = num(&want["last"]);
        if !close(*values.last().unwrap(), last, rel_value) {
            return Err(format!(
                "last value {}, uproot {last}",
                values.last().unwrap()
            ));
        }
    }
    Ok(())
}

/// All values of a branch flattened in entry order. A leaf list gives its leaves one
/// after the other (all x, then all y, ...): that is what the manifest holds, although
/// its README describes interleaving; the sum and counts are the same either way.
fn read_flat(tree: &Tree, name: &str) -> Result<(Vec<f64>, usize), String> {
    let b = tree.branch(name).map_err(|e| e.to_string())?;
    if b.leaves.len() > 1 {
        let cols: Vec<_> = b
            .leaves
            .iter()
            .map(|l| {
                rootgrad::root::read::read_column::<f64>(
                    tree,
                    &format!("{name}.{}", l.name),
                    0..u64::MAX,
                )
            })
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let n = cols[0].entries();
        let out = cols.iter().flat_map(|c| c.values.iter().copied()).collect();
        return Ok((out, n));
    }
    let c = rootgrad::root::read::read_column::<f64>(tree, name, 0..u64::MAX)
        .map_err(|e| e.to_string())?;
    let n = c.entries();
    if let Layout::Jagged { offsets } = &c.layout {
        assert_eq!(*offsets.last().unwrap(), c.values.len());
    }
    Ok((c.values, n))
}

/// The file UUID (`RootFile::uuid`, used to tell an input apart from another file of the
/// same name) equals what uproot reads, on files from ROOT 5.23 to 6.26.
/// Golden values: `validation/identity/uuid_golden.py`.
#[test]
fn file_uuid_matches_uproot() {
    let Some(dir) = shared_dir() else { return };
    for (name, want) in [
        (
            "uproot-HZZ-zlib.root",
            "7d9bf320-9a86-11e7-b75a-c116400abeef",
        ),
        (
            "uproot-sample-5.23.02-zlib.root",
            "43ab45e0-9c8d-31e7-9717-d000cdf611c9",
        ),
        (
            "uproot-sample-6.20.04-lz4.root",
            "e3173912-93ad-11ea-96c3-d201a8c0beef",
        ),
        (
            "nanoAOD_2015_CMS_Open_Data_ttbar.root",
            "d48060b2-6a57-11ed-8e14-0600a8c0beef",
        ),
    ] {
        let f = RootFile::open(&dir.join(name)).unwrap();
        assert_eq!(f.uuid().as_deref(), Some(want), "{name}");
    }
}

/// A file whose writer never closed it has no key list in its top directory; ROOT
/// (TFile::Recover) finds its keys by scanning the records from fBEGIN. Here the key
/// list of a file ROOT 6.20 closed properly is unlinked (fNbytesKeys and fSeekKeys of
/// the top directory set to 0): rootgrad must find the very keys ROOT listed (name,
/// class, cycle, place), say the file was not closed, and read the same values.
/// ROOT 6.40's own unclosed files (a job ending with os._exit after AutoSave) are read
/// against ROOT's reading in CI (validation/root640/generate.py, check.py).
#[test]
fn unclosed_file_keys_are_recovered_as_root_does() {
    let Some(dir) = shared_dir() else { return };
    let src = dir.join("uproot-sample-6.20.04-zlib.root");
    let mut bytes = std::fs::read(&src).unwrap();
    let be32 = |b: &[u8], at: usize| i32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    assert!(
        be32(&bytes, 4) < 1_000_000,
        "a small-file header is expected"
    );
    let dir_at = (be32(&bytes, 8) + be32(&bytes, 28)) as usize;
    assert!(i16::from_be_bytes([bytes[dir_at], bytes[dir_at + 1]]) < 1000);
    bytes[dir_at + 10..dir_at + 14].fill(0); // fNbytesKeys
    bytes[dir_at + 26..dir_at + 30].fill(0); // fSeekKeys
    let tmp = std::env::temp_dir().join(format!("rootgrad-unclosed-{}.root", std::process::id()));
    std::fs::write(&tmp, &bytes).unwrap();
    let intact = Arc::new(RootFile::open(&src).unwrap());
    let broken = Arc::new(RootFile::open(&tmp).unwrap());
    std::fs::remove_file(&tmp).unwrap();
    assert!(!intact.recovered);
    assert!(broken.recovered);
    let list = |f: &RootFile| {
        let mut v: Vec<(String, String, i16, u64)> = f
            .keys()
            .iter()
            .map(|k| (k.name.clone(), k.class.clone(), k.cycle, k.seek))
            .collect();
        v.sort();
        v
    };
    assert!(!list(&intact).is_empty());
    assert_eq!(list(&broken), list(&intact));
    let a = Tree::open(intact, "sample").unwrap();
    let b = Tree::open(broken, "sample").unwrap();
    for name in ["n", "ab", "Ai1", "u1"] {
        let x = rootgrad::root::read::read_column::<f64>(&a, name, 0..u64::MAX).unwrap();
        let y = rootgrad::root::read::read_column::<f64>(&b, name, 0..u64::MAX).unwrap();
        assert_eq!(x.entries(), 30, "{name}");
        assert_eq!(x, y, "{name}");
    }
}
