//! `rootgrad samples generate`, run as a user runs it with few events: the files are the
//! same for the same seed and differ for another; each has the documented tree,
//! branches and entry count (read back with the project's reader); the sWeights of each
//! sPlot fit sum to its fitted yield (splot.json) and some are negative; about 10% of
//! the photon simulation's generator weights are negative; the configs are written;
//! `--scenario morph-toy` writes the morph toy's two files and config only.

use std::path::Path;

use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;
use serde_json::Value as Json;

use crate::workflow::{ok, tempdir};

const EVENTS: usize = 3000;

/// The branches of every file, as samples/README.md lists them.
const FILES: &[(&str, &[&str])] = &[
    (
        "photon_mc.root",
        &[
            "pt",
            "eta",
            "r9",
            "sieie",
            "hoe",
            "pfRelIso03_chg",
            "pfRelIso03_all",
            "nPV",
            "genPartFlav",
            "genWeight",
            "puWeight",
            "event",
        ],
    ),
    (
        "zee_data.root",
        &[
            "pt",
            "eta",
            "r9",
            "sieie",
            "hoe",
            "pfRelIso03_chg",
            "pfRelIso03_all",
            "nPV",
            "mee",
            "sWeight",
            "truth_isZ",
            "event",
        ],
    ),
    (
        "zee_mc.root",
        &[
            "pt",
            "eta",
            "r9",
            "sieie",
            "hoe",
            "pfRelIso03_chg",
            "pfRelIso03_all",
            "nPV",
            "mee",
            "genWeight",
            "puWeight",
            "event",
        ],
    ),
    ("tau3mu_mc.root", TAU_BRANCHES),
    ("tau3mu_data.root", TAU_BRANCHES),
    ("ds_mc.root", TAU_BRANCHES),
    ("ds_data.root", TAU_BRANCHES),
];

const TAU_BRANCHES: &[&str] = &[
    "FlightDistanceSig",
    "VertexChi2",
    "IPSig",
    "min_mu_IPSig",
    "iso",
    "pt",
    "SPDhits",
    "min_mu_pid",
    "mass",
    "event",
];

fn generate(seed: u64) -> std::path::PathBuf {
    let d = tempdir("samples");
    let events = EVENTS.to_string();
    let seed = seed.to_string();
    // a relative --out: the tree writer records the path it wrote to (below), so the
    // same relative path is what makes two runs comparable
    ok(
        &[
            "samples", "generate", "--out", "s", "--events", &events, "--seed", &seed,
        ],
        &d,
    );
    d.join("s")
}

/// The file's bytes. The tree writer records the temporary path it wrote to as the
/// TFile's name, with the process id and counter zeroed (`root::write`), so two runs
/// writing to the same relative path give the same bytes.
fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Every branch of the two files' `Events` trees, value for value, bit for bit.
fn same_values(a: &Path, b: &Path) {
    let (ta, tb) = (
        open_tree(a, Some("Events")).unwrap(),
        open_tree(b, Some("Events")).unwrap(),
    );
    assert_eq!(ta.entries, tb.entries);
    assert_eq!(ta.branches.len(), tb.branches.len());
    for br in &ta.branches {
        let x = read_column::<f64>(&ta, &br.name, 0..ta.entries)
            .unwrap()
            .values;
        let y = read_column::<f64>(&tb, &br.name, 0..tb.entries)
            .unwrap()
            .values;
        let same = x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(
            same && x.len() == y.len(),
            "{}: {} differs",
            a.display(),
            br.name
        );
    }
}

fn f64_column(path: &Path, name: &str) -> Vec<f64> {
    let t = open_tree(path, Some("Events")).unwrap();
    read_column::<f64>(&t, name, 0..t.entries).unwrap().values
}

#[test]
fn same_seed_same_files_other_seed_other_files() {
    let a = generate(5);
    let b = generate(5);
    let c = generate(6);
    same_values(&a.join("ds_data.root"), &b.join("ds_data.root"));
    let mut names: Vec<&str> = FILES.iter().map(|f| f.0).collect();
    names.extend(["photon_id.toml", "tau3mu.toml", "splot.json"]);
    for name in names {
        let (x, y) = (bytes(&a.join(name)), bytes(&b.join(name)));
        assert!(x == y, "{name} differs between two runs with the same seed");
        if name.ends_with(".root") {
            assert!(x != bytes(&c.join(name)), "{name}: same for seeds 5 and 6");
        }
    }
}

#[test]
fn files_have_documented_trees_branches_and_entries() {
    let d = generate(1);
    for (name, branches) in FILES {
        let t = open_tree(&d.join(name), Some("Events")).unwrap();
        assert_eq!(t.entries, EVENTS as u64, "{name}");
        let have: Vec<&str> = t.branches.iter().map(|b| b.name.as_str()).collect();
        for b in *branches {
            assert!(have.contains(b), "{name}: no branch {b}; has {have:?}");
            let col = read_column::<f64>(&t, b, 0..t.entries).unwrap();
            assert_eq!(col.entries(), EVENTS);
            assert!(col.values.iter().all(|v| v.is_finite()), "{name}:{b}");
        }
    }
    // the configs the demo trains with are there and name these files
    let cfg = std::fs::read_to_string(d.join("photon_id.toml")).unwrap();
    assert!(cfg.contains("zee_data.root") && cfg.contains("photon_mc.root"));
    let cfg = std::fs::read_to_string(d.join("tau3mu.toml")).unwrap();
    assert!(cfg.contains("ds_data.root") && cfg.contains("tau3mu_mc.root"));
}

#[test]
fn sweights_sum_to_fitted_yields_and_some_are_negative() {
    let d = generate(2);
    let fits: Json =
        serde_json::from_str(&std::fs::read_to_string(d.join("splot.json")).unwrap()).unwrap();
    let fits = fits.as_array().unwrap();
    assert_eq!(fits.len(), 2);
    for fit in fits {
        let file = fit["file"].as_str().unwrap();
        let yield0 = fit["yields"][0].as_f64().unwrap();
        let error0 = fit["errors"][0].as_f64().unwrap();
        let generated = fit["generated"][0].as_f64().unwrap();
        let sw = f64_column(&d.join(file), "sWeight");
        let sum: f64 = sw.iter().sum();
        assert!(
            (sum - yield0).abs() < 1e-6 * yield0,
            "{file}: sum of sWeight {sum} vs fitted yield {yield0}"
        );
        let negative = sw.iter().filter(|&&w| w < 0.0).count();
        assert!(negative > 0, "{file}: no negative sWeight");
        assert_eq!(negative as u64, fit["negative_sweights"].as_u64().unwrap());
        assert!(
            (yield0 - generated).abs() < 5.0 * error0,
            "{file}: yield {yield0} +- {error0}, generated {generated}"
        );
    }
}

#[test]
fn about_ten_percent_negative_generator_weights() {
    let d = generate(3);
    for name in ["photon_mc.root", "zee_mc.root"] {
        let w = f64_column(&d.join(name), "genWeight");
        let frac = w.iter().filter(|&&x| x < 0.0).count() as f64 / w.len() as f64;
        assert!((frac - 0.10).abs() < 0.025, "{name}: {frac}");
    }
}

#[test]
fn existing_files_need_force() {
    let d = generate(4);
    let out = d.to_string_lossy().into_owned();
    let err = crate::workflow::fails(
        &["samples", "generate", "--out", &out, "--events", "200"],
        d.parent().unwrap(),
    );
    assert!(err.contains("--force"), "{err}");
    ok(
        &[
            "samples", "generate", "--out", &out, "--events", "200", "--force",
        ],
        d.parent().unwrap(),
    );
}

/// The morph toy's branches (samples/README.md, C).
const MORPH_TOY: &[&str] = &[
    "pt", "eta", "rho", "r9", "sieie", "sipip", "iso", "hoe", "etaw", "event",
];

// `--scenario morph-toy` writes its two files and morph_toy.toml only (the demo's files
// are not written), with the documented branches, N entries, finite values, a signed
// genWeight in the simulation only, and the same values for the same seed.
#[test]
fn morph_toy_scenario_writes_its_files_only() {
    let d = tempdir("morph-toy");
    let args = |out: &'static str| {
        [
            "samples",
            "generate",
            "--scenario",
            "morph-toy",
            "--out",
            out,
            "--events",
            "2000",
        ]
    };
    ok(&args("a"), &d);
    ok(&args("b"), &d);
    let mut names: Vec<String> = std::fs::read_dir(d.join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["morph_toy.toml", "morph_toy_data.root", "morph_toy_mc.root"]
    );
    for (file, extra) in [
        ("morph_toy_data.root", None),
        ("morph_toy_mc.root", Some("genWeight")),
    ] {
        let path = d.join("a").join(file);
        let t = open_tree(&path, Some("Events")).unwrap();
        assert_eq!(t.entries, 2000, "{file}");
        let mut have: Vec<&str> = t.branches.iter().map(|b| b.name.as_str()).collect();
        let mut want: Vec<&str> = MORPH_TOY.iter().copied().chain(extra).collect();
        have.sort_unstable();
        want.sort_unstable();
        assert_eq!(have, want, "{file}");
        for b in &want {
            let v = f64_column(&path, b);
            assert!(v.iter().all(|x| x.is_finite()), "{file}:{b}");
        }
        same_values(&path, &d.join("b").join(file));
    }
    let w = f64_column(&d.join("a/morph_toy_mc.root"), "genWeight");
    assert!(w.iter().any(|&x| x < 0.0));
    let cfg = std::fs::read_to_string(d.join("a/morph_toy.toml")).unwrap();
    assert!(cfg.contains("morph_toy_data.root") && cfg.contains("fold  = \"event % 2\""));
}
