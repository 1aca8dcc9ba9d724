//! Reading the PyTorch goldens under validation/data/torch/ and comparing against them.
//! Shared by the loss, optimiser and network checks so that every golden is loaded and
//! measured the same way.

use std::path::PathBuf;

use serde_json::Value as Json;

/// The golden file `validation/data/torch/<name>` (made by the script its test names).
pub fn load(name: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("validation/data/torch")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JSON array of numbers.
pub fn vec_f64(j: &Json) -> Vec<f64> {
    j.as_array()
        .unwrap_or_else(|| panic!("not an array: {j}"))
        .iter()
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")))
        .collect()
}

/// Worst relative difference of `ours` from `want`, each element measured against
/// max(|ours|, |want|, `floor`); panics naming `what` and the element beyond `rtol`.
pub fn compare_rel(what: &str, ours: &[f64], want: &[f64], rtol: f64, floor: f64) -> f64 {
    assert_eq!(ours.len(), want.len(), "{what}: length");
    let mut worst = 0.0f64;
    for (i, (&o, &w)) in ours.iter().zip(want).enumerate() {
        let scale = o.abs().max(w.abs()).max(floor);
        let rel = if scale == 0.0 {
            0.0
        } else {
            (o - w).abs() / scale
        };
        assert!(
            rel <= rtol,
            "{what}[{i}]: ours {o:e}, torch {w:e}, relative difference {rel:.3e} > {rtol:e}"
        );
        worst = worst.max(rel);
    }
    worst
}

/// The largest magnitude in `v` (for floors relative to a tensor's scale).
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, w| m.max(w.abs()))
}
