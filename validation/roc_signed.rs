//! Working points with NLO (negative) weights (issue 17, item 3): on the running-maximum
//! envelope of the signed ROC curve, against scikit-learn's weighted roc_curve and the
//! rule written out in numpy (validation/roc_signed_golden.py,
//! validation/data/metrics/roc_signed.json). Thresholds exact; efficiencies relative
//! 1e-12. Before the fix these cases gave no working points at all (an error naming the
//! vertex where fpr steps back).

use std::path::PathBuf;

use rootgrad::metrics::{signal_efficiency_at, signed_working_points, standard_working_points};
use serde_json::Value as Json;

fn load() -> Json {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("validation/data/metrics/roc_signed.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn parse<T: std::str::FromStr>(j: &Json) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    j.as_str()
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect()
}

fn floats(j: &Json) -> Vec<f64> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn working_points_on_the_signed_roc_envelope_match_sklearn() {
    for c in load()["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let s: Vec<f64> = parse(&c["scores"]);
        let y: Vec<u8> = parse(&c["labels"]);
        let w: Vec<f64> = parse(&c["weights"]);
        // the plain interpolation is undefined here
        assert!(signal_efficiency_at(&s, &y, &w, 0.01).is_err(), "{name}");
        let (wps, stepped_back) = signed_working_points(&s, &y, &w).unwrap();
        assert!(stepped_back, "{name}");
        assert_eq!(standard_working_points(&s, &y, &w).unwrap(), wps);
        let (b, t, e) = (
            floats(&c["background_efficiency"]),
            floats(&c["threshold"]),
            floats(&c["signal_efficiency"]),
        );
        for k in 0..3 {
            assert_eq!(wps[k].background_efficiency, b[k]);
            assert_eq!(wps[k].threshold, t[k], "{name} threshold at {}", b[k]);
            let rel = (wps[k].signal_efficiency - e[k]).abs() / e[k];
            assert!(
                rel < 1e-12,
                "{name} at {}: {} vs {}",
                b[k],
                wps[k].signal_efficiency,
                e[k]
            );
        }
    }
}

#[test]
fn without_negative_background_weights_the_envelope_is_the_curve() {
    let s = [0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1];
    let y = [1u8, 1, 0, 1, 0, 0, 0];
    let w = [1.0, -0.5, 1.0, 2.0, 1.0, 1.0, 1.0];
    let (wps, stepped_back) = signed_working_points(&s, &y, &w).unwrap();
    assert!(!stepped_back);
    for p in wps {
        let (t, e) = signal_efficiency_at(&s, &y, &w, p.background_efficiency).unwrap();
        assert_eq!((p.threshold, p.signal_efficiency), (t, e));
    }
}
