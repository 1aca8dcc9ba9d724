//! `rootgrad sf` against its numpy reference (validation/sf/sf_reference.py): the sums
//! of weights and squared weights of passing and failing events, both efficiencies, the
//! scale factor and their uncertainties, bin by bin, on a real file with signed weights
//! in both samples; and the outputs (JSON, CSV, figures) refused when they exist.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

fn shared(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/rootfiles")
        .join(name)
        .display()
        .to_string()
}

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rootgrad-sf-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn sf(out: &std::path::Path, edges: &str, extra: &[&str]) -> std::process::Output {
    let file = format!("{}:events", shared("uproot-Zmumu-zlib.root"));
    let out = out.display().to_string();
    let mut args = vec![
        "sf",
        "--data",
        &file,
        "--mc",
        &file,
        "--data-cut",
        "Q1 > 0",
        "--mc-cut",
        "Q1 < 0",
        "--data-weight",
        "1 + 1.5 * cos(phi1)",
        "--mc-weight",
        "0.5 + cos(phi2)",
        "--score",
        "1 / (1 + exp(-(M - 90) / 3))",
        "--wp",
        "0.3,0.7",
        "--var",
        "eta1",
        "--edges",
        edges,
        "--out",
        &out,
        "-q",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_rootgrad"))
        .args(&args)
        .output()
        .expect("run rootgrad")
}

const EDGES: &str = "-2.4,-1.2,0,1.2,2.4";

fn close(what: &str, a: &Json, b: &Json) {
    let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    let tol = 1e-10 * x.abs().max(y.abs()).max(1e-300);
    assert!((x - y).abs() <= tol, "{what}: rootgrad {x}, numpy {y}");
}

// Golden: validation/data/sf/sf_golden.json, made by validation/sf/sf_reference.py
// (uproot + numpy; signed weights: 304 negative in data, 425 in simulation).
#[test]
fn scale_factors_match_the_numpy_reference() {
    let dir = out_dir("golden");
    let o = sf(&dir, EDGES, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let golden: Json = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("validation/data/sf/sf_golden.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let ours: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sf.json")).unwrap()).unwrap();
    let (gw, ow) = (
        golden["working_points"].as_array().unwrap(),
        ours["working_points"].as_array().unwrap(),
    );
    assert_eq!(gw.len(), ow.len());
    for (g, o) in gw.iter().zip(ow) {
        close("threshold", &o["threshold"], &g["threshold"]);
        let (gb, ob) = (g["bins"].as_array().unwrap(), o["bins"].as_array().unwrap());
        assert_eq!(gb.len(), ob.len());
        for (i, (g, o)) in gb.iter().zip(ob).enumerate() {
            for s in ["data", "mc"] {
                assert_eq!(o[s]["events"], g[s]["events"], "bin {i} {s} events");
                for k in ["pass", "pass_w2", "fail", "fail_w2"] {
                    close(&format!("bin {i} {s}.{k}"), &o[s][k], &g[s][k]);
                }
            }
            for k in [
                "lo",
                "hi",
                "eff_data",
                "eff_data_err",
                "eff_mc",
                "eff_mc_err",
                "sf",
                "sf_err",
            ] {
                close(&format!("bin {i} {k}"), &o[k], &g[k]);
            }
        }
    }
    let csv = std::fs::read_to_string(dir.join("sf.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 4, "{csv}");
    assert!(dir.join("sf.png").exists() && dir.join("sf_eff.png").exists());
    // a second run without --force is refused and leaves the outputs as they were
    let again = sf(&dir, EDGES, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("sf.json"));
    assert!(sf(&dir, EDGES, &["--force"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_edges_are_refused_before_any_output() {
    let dir = out_dir("bad");
    let o = sf(&dir, "1,0", &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("increasing"), "{e}");
    assert!(!dir.exists(), "no output folder on an error");
}
