//! Tests of the activations in act.rs: every fast kernel against its naive twin, bit for
//! bit, for every activation in f32 and f64, on sizes that are not multiples of the
//! vector width or of the block; each activation's value and derivative against an
//! independent formula and central differences in f64; and against PyTorch's values and
//! autograd derivatives (validation/torch_act.py).

use super::*;

const COLS: [usize; 11] = [1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65];

fn all_acts() -> Vec<Act> {
    vec![
        Act::Identity,
        Act::Relu,
        Act::LeakyRelu(0.01),
        Act::LeakyRelu(0.2),
        Act::Elu(1.0),
        Act::Elu(0.5),
        Act::Selu,
        Act::Tanh,
        Act::Sigmoid,
        Act::Silu,
    ]
}

/// Quarter-integers in [-4, 4]: exact in f32 and f64, so `x + bias` is exact and hits
/// exactly 0 whenever x = -bias; every few elements a large or non-grid value.
fn inputs<T: Real>(n: usize, seed: usize) -> Vec<T> {
    (0..n)
        .map(|i| {
            let k = i * 7 + seed * 13;
            let v = match k % 23 {
                5 => 25.0,
                11 => -25.0,
                17 => ((k % 101) as f64 - 50.0) / 13.0,
                _ => ((k % 33) as f64 - 16.0) / 4.0,
            };
            T::from_f64(v)
        })
        .collect()
}

/// Bit-for-bit equality (NaN equal to NaN only with the same bits).
fn same<T: Real>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits())
}

/// Largest `|a - b| / scale` (and infinity where the bits differ with a NaN involved).
fn worst<T: Real>(a: &[T], b: &[T], scale: &[f64]) -> f64 {
    a.iter().zip(b).zip(scale).fold(0.0, |w, ((x, y), s)| {
        let (x, y) = (x.to_f64(), y.to_f64());
        if x.is_nan() || y.is_nan() {
            return if x.to_bits() == y.to_bits() {
                w
            } else {
                f64::INFINITY
            };
        }
        w.max((x - y).abs() / s)
    })
}

/// Tolerance of f32 elu/selu/sigmoid/silu (fast exp_f32 against libm's expf): relative
/// to the scale of each value, max(1, |pre|) for out, times max(1, |dout|) for dpre, and
/// those summed over the rows (plus |dbias| before the call) for dbias. Three times
/// EXP_F32_MAX_REL, for the exp error plus the f32 rounding of the formula around it.
const F32_EXP_TOL: f64 = 3.0 * EXP_F32_MAX_REL;

/// Returns (number of exact zeros in pre, worst scaled difference for the f32 exp ones).
fn fast_equals_naive<T: Real>(rows: usize, cols: usize, act: Act) -> (usize, f64) {
    let n = rows * cols;
    let x: Vec<T> = inputs(n, rows + cols);
    let bias: Vec<T> = inputs(cols, 3);
    let dout: Vec<T> = inputs(n, 5);
    // Forward: outputs poisoned with NaN must be fully overwritten.
    let (mut p1, mut p2) = (x.clone(), x.clone());
    let (mut o1, mut o2) = (
        vec![T::from_f64(f64::NAN); n],
        vec![T::from_f64(f64::NAN); n],
    );
    bias_act_forward(&mut p1, &mut o1, &bias, cols, act);
    bias_act_forward_naive(&mut p2, &mut o2, &bias, cols, act);
    assert!(same(&p1, &p2), "{act:?} ({rows}, {cols}): pre differs");
    // Only f32 exp-based activations may differ (fast exp_f32); all else bit for bit.
    let exact = !(std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
        && matches!(act, Act::Elu(_) | Act::Selu | Act::Sigmoid | Act::Silu));
    let s_out: Vec<f64> = p2.iter().map(|p| p.to_f64().abs().max(1.0)).collect();
    let s_d: Vec<f64> = (0..n)
        .map(|i| s_out[i] * dout[i].to_f64().abs().max(1.0))
        .collect();
    let mut w = 0.0f64;
    if exact {
        assert!(same(&o1, &o2), "{act:?} ({rows}, {cols}): out differs");
    } else {
        w = w.max(worst(&o1, &o2, &s_out));
    }
    assert!(o1.iter().all(|v| !v.is_nan()), "{act:?}: NaN left in out");
    // Backward: dpre poisoned, dbias accumulates onto existing values.
    let (mut d1, mut d2) = (
        vec![T::from_f64(f64::NAN); n],
        vec![T::from_f64(f64::NAN); n],
    );
    let start: Vec<T> = (0..cols).map(|j| T::from_f64(j as f64 - 2.5)).collect();
    let (mut b1, mut b2) = (start.clone(), start.clone());
    act_backward(&mut d1, &mut b1, &dout, &p1, &o1, cols, act);
    act_backward_naive(&mut d2, &mut b2, &dout, &p2, &o2, cols, act);
    if exact {
        assert!(same(&d1, &d2), "{act:?} ({rows}, {cols}): dpre differs");
        assert!(same(&b1, &b2), "{act:?} ({rows}, {cols}): dbias differs");
    } else {
        w = w.max(worst(&d1, &d2, &s_d));
        let s_b: Vec<f64> = (0..cols)
            .map(|j| start[j].to_f64().abs() + (0..rows).map(|i| s_d[i * cols + j]).sum::<f64>())
            .collect();
        w = w.max(worst(&b1, &b2, &s_b));
    }
    assert!(
        w <= F32_EXP_TOL,
        "{act:?} ({rows}, {cols}): f32 difference {w:e}"
    );
    assert!(d1.iter().all(|v| !v.is_nan()), "{act:?}: NaN left in dpre");
    (p1.iter().filter(|v| v.to_f64() == 0.0).count(), w)
}

// Tolerance: none, except F32_EXP_TOL for f32 elu/selu/sigmoid/silu. The fast loops
// compute the naive formulas in the naive order (same libm tanh, and in f64 the same
// exp; no fused multiply-add), so everything else, f64 exp-based ones included, must
// agree bit for bit.
#[test]
fn fast_equals_naive_f32_and_f64() {
    let (mut zeros, mut w32) = (0, 0.0f64);
    for act in all_acts() {
        for rows in 1..=5 {
            for cols in COLS {
                let (z, w) = fast_equals_naive::<f32>(rows, cols, act);
                zeros += z;
                w32 = w32.max(w);
                zeros += fast_equals_naive::<f64>(rows, cols, act).0;
            }
        }
        // Several blocks with a partial last one, and a row longer than a block.
        for (rows, cols) in [(200, 65), (97, 64), (3, BLOCK + 5), (BLOCK + 3, 1)] {
            fast_equals_naive::<f32>(rows, cols, act);
            fast_equals_naive::<f64>(rows, cols, act);
        }
    }
    assert!(
        zeros > 100,
        "the inputs must hit pre == 0 exactly ({zeros} times)"
    );
    eprintln!("f32 exp-based activations: worst scaled difference fast vs naive {w32:e}");
}

#[test]
fn relu_and_leaky_relu_at_zero_take_the_negative_side() {
    // PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha.
    for (act, want) in [(Act::Relu, 0.0), (Act::LeakyRelu(0.2), 0.2)] {
        for cols in [1, 9, 17] {
            let mut pre = vec![0.0f32; 2 * cols];
            let mut out = vec![f32::NAN; 2 * cols];
            bias_act_forward(&mut pre, &mut out, &vec![0.0; cols], cols, act);
            assert!(out.iter().all(|&v| v == 0.0));
            let mut dpre = vec![f32::NAN; 2 * cols];
            let mut dbias = vec![1.0f32; cols];
            act_backward(
                &mut dpre,
                &mut dbias,
                &vec![1.0; 2 * cols],
                &pre,
                &out,
                cols,
                act,
            );
            assert!(dpre.iter().all(|&v| v == want as f32), "{act:?}");
            assert!(
                dbias.iter().all(|&v| v == 1.0 + want as f32 + want as f32),
                "{act:?}"
            );
        }
    }
}

#[test]
fn sigmoid_select_equals_sigmoid_bit_for_bit() {
    let mut xs: Vec<f64> = (-400..=400).map(|k| k as f64 / 7.0).collect();
    xs.extend([
        0.0,
        -0.0,
        1e-300,
        -1e-300,
        750.0,
        -750.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]);
    for &x in &xs {
        assert_eq!(
            sigmoid_select(x, f64::exp).to_bits(),
            sigmoid(x).to_bits(),
            "x = {x}"
        );
        let x32 = x as f32;
        assert_eq!(
            sigmoid_select(x32, f32::exp).to_bits(),
            sigmoid(x32).to_bits(),
            "x = {x32}"
        );
    }
    assert!(sigmoid_select(f64::NAN, f64::exp).is_nan());
}

#[test]
fn add_scaled_and_sum_rows_into_equal_their_naive_twins() {
    for n in 0..=70 {
        let src: Vec<f32> = inputs(n, 1);
        let (mut a, mut b) = (inputs::<f32>(n, 2), inputs::<f32>(n, 2));
        add_scaled(&mut a, &src, 0.75);
        add_scaled_naive(&mut b, &src, 0.75);
        assert!(same(&a, &b), "add_scaled n = {n}");
    }
    for rows in [0, 1, 2, 5, 33, 300] {
        for cols in COLS {
            let src: Vec<f64> = inputs(rows * cols, cols);
            let (mut a, mut b) = (inputs::<f64>(cols, 4), inputs::<f64>(cols, 4));
            sum_rows_into(&mut a, &src, cols);
            sum_rows_into_naive(&mut b, &src, cols);
            assert!(same(&a, &b), "sum_rows_into ({rows}, {cols})");
        }
    }
}

#[test]
#[should_panic]
fn mismatched_lengths_panic() {
    let mut pre = vec![0.0f32; 6];
    let mut out = vec![0.0f32; 5];
    bias_act_forward(&mut pre, &mut out, &[0.0; 3], 3, Act::Relu);
}

// --- Finite differences in f64 ---------------------------------------------------------

/// Points in [-5, 5] at least 0.01 from the kink at 0.
fn fd_points() -> Vec<f64> {
    (0..28).map(|k| -4.987 + 0.37 * k as f64).collect()
}

/// Checks one activation: `apply` against an independent formula (relative 1e-13, or
/// absolute 1e-15 near 0 where e^x - 1 and expm1 differ in the last bits);
/// `derivative(x, apply(x))` against a central difference with h = 1e-5 (truncation
/// ~h^2 f''' / 6 < 1e-10, rounding ~1e-16 / h: tolerance 1e-8 relative to max(1, |f'|));
/// and the fused pair: `act_backward`'s dbias against central differences over the bias
/// of L = sum dout * out computed with `bias_act_forward` (tolerance 1e-7).
fn fd_check(act: Act, reference: fn(f64) -> f64) {
    let h = 1e-5;
    for x in fd_points() {
        let y = act.apply(x);
        let r = reference(x);
        assert!(
            (y - r).abs() <= 1e-13 * r.abs() + 1e-15,
            "{act:?}({x}) = {y}, want {r}"
        );
        let fd = (act.apply(x + h) - act.apply(x - h)) / (2.0 * h);
        let d = act.derivative(x, y);
        assert!(
            (d - fd).abs() <= 1e-8 * d.abs().max(1.0),
            "{act:?}'({x}) = {d}, fd {fd}"
        );
    }
    // Fused pair on a (4, 7) block: pre = x + bias stays on fd_points (away from 0).
    let (rows, cols) = (4, 7);
    let pts = fd_points();
    let x: Vec<f64> = (0..rows * cols).map(|i| pts[i % pts.len()] - 0.1).collect();
    let bias = vec![0.1; cols];
    let dout: Vec<f64> = (0..rows * cols)
        .map(|i| 0.5 + (i % 5) as f64 * 0.3 - 0.9)
        .collect();
    let loss = |b: &[f64]| {
        let mut pre = x.clone();
        let mut out = vec![0.0; rows * cols];
        bias_act_forward(&mut pre, &mut out, b, cols, act);
        out.iter().zip(&dout).map(|(o, d)| o * d).sum::<f64>()
    };
    let mut pre = x.clone();
    let mut out = vec![0.0; rows * cols];
    bias_act_forward(&mut pre, &mut out, &bias, cols, act);
    let mut dpre = vec![f64::NAN; rows * cols];
    let mut dbias = vec![0.0; cols];
    act_backward(&mut dpre, &mut dbias, &dout, &pre, &out, cols, act);
    for j in 0..cols {
        let (mut bp, mut bm) = (bias.clone(), bias.clone());
        bp[j] += h;
        bm[j] -= h;
        let fd = (loss(&bp) - loss(&bm)) / (2.0 * h);
        let tol = 1e-7 * dbias[j].abs().max(1.0);
        assert!(
            (dbias[j] - fd).abs() <= tol,
            "{act:?} dbias[{j}] = {}, fd {fd}",
            dbias[j]
        );
    }
}

fn logistic(x: f64) -> f64 {
    0.5 * (1.0 + (0.5 * x).tanh())
}

#[test]
fn fd_identity() {
    fd_check(Act::Identity, |x| x);
}

#[test]
fn fd_relu() {
    fd_check(Act::Relu, |x| x.max(0.0));
}

#[test]
fn fd_leaky_relu() {
    fd_check(Act::LeakyRelu(0.01), |x| x.max(0.01 * x));
    fd_check(Act::LeakyRelu(0.2), |x| x.max(0.2 * x));
}

#[test]
fn fd_elu() {
    fd_check(Act::Elu(1.0), |x| if x > 0.0 { x } else { x.exp_m1() });
    fd_check(
        Act::Elu(0.5),
        |x| if x > 0.0 { x } else { 0.5 * x.exp_m1() },
    );
}

#[test]
fn fd_selu() {
    fd_check(Act::Selu, |x| {
        SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }
    });
}

#[test]
fn fd_tanh() {
    fd_check(Act::Tanh, |x| 2.0 * logistic(2.0 * x) - 1.0);
}

#[test]
fn fd_sigmoid() {
    fd_check(Act::Sigmoid, logistic);
}

#[test]
fn fd_silu() {
    fd_check(Act::Silu, |x| x * logistic(x));
}

// --- PyTorch ---------------------------------------------------------------------------

// Golden values from validation/torch_act.py (torch.nn.functional in float64, derivatives
// by autograd), at 54 points including 0, +-1e-8, +-30.
#[test]
fn matches_pytorch_values_and_derivatives() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../validation/data/torch/act.json"
    ));
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let points = nums(&json["points"]);
    let n = points.len();
    let mut checked = 0;
    for entry in json["acts"].as_array().unwrap() {
        let param = entry["param"].as_f64();
        let act = match (entry["name"].as_str().unwrap(), param) {
            ("relu", None) => Act::Relu,
            ("leaky_relu", Some(a)) => Act::LeakyRelu(a),
            ("elu", Some(a)) => Act::Elu(a),
            ("selu", None) => Act::Selu,
            ("tanh", None) => Act::Tanh,
            ("sigmoid", None) => Act::Sigmoid,
            ("silu", None) => Act::Silu,
            other => panic!("unknown activation {other:?}"),
        };
        let (want_y, want_d) = (nums(&entry["value"]), nums(&entry["grad"]));
        // f64: relative 1e-12, plus an absolute 4e-16 (two ulps of 1.76, selu's scale
        // alpha) for values that our formulas form as a difference of two numbers of order
        // 1 (kept because they are the cheap, vectorisable forms) where PyTorch computes
        // them directly: e^x - 1 against expm1 for elu/selu near 0 (seen: 1.8e-17);
        // y + alpha against alpha e^x for the elu/selu derivative at x = -20, -30 (up to
        // 1.6e-16, selu'(-20)); 1 - y^2 against PyTorch's fused 1 - y*y for tanh' at +-10
        // (1.7e-17); silu' at its root x = -1.2785 (1.7e-17). Everywhere else the
        // agreement is relative 1e-12 or better.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs() + 4e-16;
        // The fast kernels over the points as one (1, n) row, and as an (n, 1) column.
        for cols in [n, 1] {
            let mut pre = points.clone();
            let mut out = vec![f64::NAN; n];
            bias_act_forward(&mut pre, &mut out, &vec![0.0; cols], cols, act);
            let mut dpre = vec![f64::NAN; n];
            let mut dbias = vec![0.0; cols];
            act_backward(&mut dpre, &mut dbias, &vec![1.0; n], &pre, &out, cols, act);
            for i in 0..n {
                let x = points[i];
                let y = act.apply(x);
                let d = act.derivative(x, y);
                assert!(
                    close(y, want_y[i]),
                    "{act:?}({x}) = {y}, torch {}",
                    want_y[i]
                );
                assert!(
                    close(d, want_d[i]),
                    "{act:?}'({x}) = {d}, torch {}",
                    want_d[i]
                );
                assert_eq!(out[i].to_bits(), y.to_bits());
                assert_eq!(dpre[i].to_bits(), d.to_bits());
            }
        }
        // f32 kernels: 1e-6 relative to max(1, |torch|) (f32 rounding, and e^x - 1 in f32
        // near 0).
        let mut pre: Vec<f32> = points.iter().map(|&x| x as f32).collect();
        let mut out = vec![f32::NAN; n];
        bias_act_forward(&mut pre, &mut out, &vec![0.0; n], n, act);
        let mut dpre = vec![f32::NAN; n];
        let mut dbias = vec![0.0f32; n];
        act_backward(&mut dpre, &mut dbias, &vec![1.0; n], &pre, &out, n, act);
        for i in 0..n {
            let tol = 1e-6 * want_y[i].abs().max(1.0);
            assert!(
                (out[i] as f64 - want_y[i]).abs() <= tol,
                "f32 {act:?}({})",
                points[i]
            );
            let tol = 1e-6 * want_d[i].abs().max(1.0);
            assert!(
                (dpre[i] as f64 - want_d[i]).abs() <= tol,
                "f32 {act:?}'({})",
                points[i]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}
