//! The small-product kernels against their naive twins: integer-valued inputs (exact
//! answers in f32 and f64, whatever the order of the sums), NaN-poisoned outputs when
//! not accumulating, sizes that are not multiples of the tile (6 rows, 16 columns, 64
//! rows per block), strided A, and both types (f64 takes the matrixmultiply path).

use super::*;

struct Ints(u64);

impl Ints {
    fn next<T: Real>(&mut self) -> T {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        T::from_f64((self.0 % 9) as f64 - 4.0)
    }
    fn vec<T: Real>(&mut self, n: usize) -> Vec<T> {
        (0..n).map(|_| self.next()).collect()
    }
}

const MS: [usize; 9] = [1, 2, 5, 6, 7, 13, 64, 65, 200];
const KS: [usize; 5] = [1, 3, 16, 30, 64];
const NS: [usize; 9] = [1, 5, 15, 16, 17, 30, 33, 48, 64];

fn same<T: Real>(fast: &[T], slow: &[T], what: &str) {
    assert_eq!(fast.len(), slow.len(), "{what}");
    for (i, (f, s)) in fast.iter().zip(slow).enumerate() {
        assert!(f.to_f64() == s.to_f64(), "{what}: element {i}: {f} vs {s}");
    }
}

fn nn_case<T: Gemm>(g: &mut Ints) {
    for &m in &MS {
        for &k in &KS {
            for &n in &NS {
                for &(lda, acc) in &[(k, false), (k + 3, false), (k, true)] {
                    let a: Vec<T> = g.vec(m * lda);
                    let b: Vec<T> = g.vec(k * n);
                    let start: Vec<T> = if acc {
                        g.vec(m * n)
                    } else {
                        vec![T::from_f64(f64::NAN); m * n]
                    };
                    let (mut fast, mut slow) = (start.clone(), start);
                    gemm_nn(&a, lda, &b, &mut fast, m, k, n, acc).unwrap();
                    gemm_nn_naive(&a, lda, &b, &mut slow, m, k, n, acc).unwrap();
                    same(
                        &fast,
                        &slow,
                        &format!("nn m={m} k={k} n={n} lda={lda} acc={acc}"),
                    );
                }
            }
        }
    }
}

fn tn_case<T: Gemm>(g: &mut Ints) {
    for &m in &MS {
        for &p in &NS {
            for &n in &NS {
                for acc in [false, true] {
                    let a: Vec<T> = g.vec(m * p);
                    let b: Vec<T> = g.vec(m * n);
                    let start: Vec<T> = if acc {
                        g.vec(p * n)
                    } else {
                        vec![T::from_f64(f64::NAN); p * n]
                    };
                    let (mut fast, mut slow) = (start.clone(), start);
                    gemm_tn(&a, &b, &mut fast, m, p, n, acc).unwrap();
                    gemm_tn_naive(&a, &b, &mut slow, m, p, n, acc).unwrap();
                    same(&fast, &slow, &format!("tn m={m} p={p} n={n} acc={acc}"));
                }
            }
        }
    }
}

fn nt_case<T: Gemm>(g: &mut Ints) {
    for &m in &MS {
        for &k in &KS {
            for &n in &NS {
                let a: Vec<T> = g.vec(m * k);
                let w: Vec<T> = g.vec(n * k);
                let mut fast = vec![T::from_f64(f64::NAN); m * n];
                let mut slow = fast.clone();
                gemm_nt(&a, &w, &mut fast, m, k, n).unwrap();
                gemm_nt_naive(&a, &w, &mut slow, m, k, n).unwrap();
                same(&fast, &slow, &format!("nt m={m} k={k} n={n}"));
            }
        }
    }
}

#[test]
fn nn_equals_naive_f32_and_f64() {
    nn_case::<f32>(&mut Ints(7));
    nn_case::<f64>(&mut Ints(8));
}

#[test]
fn tn_equals_naive_f32_and_f64() {
    tn_case::<f32>(&mut Ints(9));
    tn_case::<f64>(&mut Ints(10));
}

#[test]
fn nt_equals_naive_f32_and_f64() {
    nt_case::<f32>(&mut Ints(11));
    nt_case::<f64>(&mut Ints(12));
}

/// Wider than the fast kernels: the matrixmultiply path, same answers.
#[test]
fn wide_outputs_fall_back() {
    let mut g = Ints(13);
    let (m, k, n) = (9, 5, 65);
    let a: Vec<f32> = g.vec(m * k);
    let b: Vec<f32> = g.vec(k * n);
    let mut fast = vec![f32::NAN; m * n];
    let mut slow = fast.clone();
    gemm_nn(&a, k, &b, &mut fast, m, k, n, false).unwrap();
    gemm_nn_naive(&a, k, &b, &mut slow, m, k, n, false).unwrap();
    same(&fast, &slow, "nn wide");
    let mut fast = vec![f32::NAN; k * n];
    let mut slow = fast.clone();
    let bb: Vec<f32> = g.vec(m * n);
    gemm_tn(&a, &bb, &mut fast, m, k, n, false).unwrap();
    gemm_tn_naive(&a, &bb, &mut slow, m, k, n, false).unwrap();
    same(&fast, &slow, "tn wide");
}

/// A row's result does not depend on the tile it falls in: the first rows of a long
/// product equal the same rows computed alone, bit for bit, on non-integer inputs.
#[test]
fn rows_do_not_depend_on_the_tiling() {
    let mut s = 1u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    let (m, k, n) = (77, 30, 64);
    let a: Vec<f32> = (0..m * k).map(|_| next()).collect();
    let b: Vec<f32> = (0..k * n).map(|_| next()).collect();
    let mut all = vec![0.0f32; m * n];
    gemm_nn(&a, k, &b, &mut all, m, k, n, false).unwrap();
    for r in [0, 5, 6, 71, 76] {
        let mut one = vec![0.0f32; n];
        gemm_nn(&a[r * k..(r + 1) * k], k, &b, &mut one, 1, k, n, false).unwrap();
        assert_eq!(one, all[r * n..(r + 1) * n], "row {r}");
    }
}

#[test]
fn refuses_slices_that_are_too_short() {
    let a = [0.0f32; 5];
    let b = [0.0f32; 6];
    let mut c = [0.0f32; 6];
    assert!(gemm_nn(&a, 3, &b, &mut c, 2, 3, 2, false).is_err());
    assert!(gemm_nn(&a, 1, &b, &mut c, 1, 2, 2, false).is_err());
    assert!(gemm_tn(&a, &b, &mut c, 3, 2, 2, false).is_err());
    assert!(gemm_nt(&a, &b, &mut c, 2, 3, 2).is_err());
}

fn layer_case<T: Gemm>(g: &mut Ints, a: Act) {
    for &m in &MS {
        for &k in &KS {
            for &n in &NS {
                let what = format!("{a:?} m={m} k={k} n={n}");
                // forward: pre = inp W^T + bias, y = act(pre)
                let inp: Vec<T> = g.vec(m * k);
                let w: Vec<T> = g.vec(n * k);
                let bias: Vec<T> = g.vec(n);
                let nan = T::from_f64(f64::NAN);
                let (mut pre, mut y) = (vec![nan; m * n], vec![nan; m * n]);
                let (mut pre0, mut y0) = (pre.clone(), y.clone());
                linear_act_forward(&mut pre, &mut y, &inp, &w, &bias, m, k, n, a).unwrap();
                linear_act_forward_naive(&mut pre0, &mut y0, &inp, &w, &bias, m, k, n, a).unwrap();
                same(&pre, &pre0, &format!("forward pre {what}"));
                same(&y, &y0, &format!("forward y {what}"));
                // backward: dpre = (dout W) * act'(pre), dbias += column sums
                let dout: Vec<T> = g.vec(m * k);
                let wb: Vec<T> = g.vec(k * n);
                let db_start: Vec<T> = g.vec(n);
                let (mut dpre, mut dpre0) = (vec![nan; m * n], vec![nan; m * n]);
                let (mut db, mut db0) = (db_start.clone(), db_start);
                let mut dy = vec![nan; m * n];
                linear_dact_backward(
                    &mut dpre, &mut db, &mut dy, &dout, &wb, &pre, &y, m, k, n, a,
                )
                .unwrap();
                linear_dact_backward_naive(&mut dpre0, &mut db0, &dout, &wb, &pre, &y, m, k, n, a)
                    .unwrap();
                same(&dpre, &dpre0, &format!("backward dpre {what}"));
                same(&db, &db0, &format!("backward dbias {what}"));
            }
        }
    }
}

/// The fused layer kernels against forward/backward built from the naive pieces:
/// ReLU and identity take the fused AVX-512 tiles in f32, leaky ReLU the unfused path.
#[test]
fn fused_layer_kernels_equal_naive() {
    let mut g = Ints(21);
    for a in [Act::Relu, Act::Identity, Act::LeakyRelu(0.25)] {
        layer_case::<f32>(&mut g, a);
        layer_case::<f64>(&mut g, a);
    }
}

/// ReLU's conventions survive the fused tiles: relu(NaN) = 0, relu(-0) = 0, and the
/// derivative at 0 is 0, with NaN upstream gradients giving NaN through `* 0`.
#[test]
fn fused_relu_edge_values() {
    let (m, k, n) = (7, 1, 3);
    let inp = vec![1.0f32; m * k];
    let w = vec![1.0f32; n * k];
    let bias = [f32::NAN, -1.0, -2.0];
    let (mut pre, mut y) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
    let (mut pre0, mut y0) = (pre.clone(), y.clone());
    linear_act_forward(&mut pre, &mut y, &inp, &w, &bias, m, k, n, Act::Relu).unwrap();
    linear_act_forward_naive(&mut pre0, &mut y0, &inp, &w, &bias, m, k, n, Act::Relu).unwrap();
    assert_eq!(
        y[..3].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        [0, 0, 0]
    );
    same(&y, &y0, "relu forward");
    let dout = vec![f32::NAN; m * k];
    let (mut dpre, mut db) = (vec![0.0f32; m * n], vec![0.0f32; n]);
    let (mut dpre0, mut db0) = (dpre.clone(), db.clone());
    let mut dy = vec![0.0f32; m * n];
    linear_dact_backward(
        &mut dpre,
        &mut db,
        &mut dy,
        &dout,
        &w,
        &pre,
        &y,
        m,
        k,
        n,
        Act::Relu,
    )
    .unwrap();
    linear_dact_backward_naive(
        &mut dpre0,
        &mut db0,
        &dout,
        &w,
        &pre,
        &y,
        m,
        k,
        n,
        Act::Relu,
    )
    .unwrap();
    for (f, s) in dpre.iter().zip(&dpre0).chain(db.iter().zip(&db0)) {
        assert_eq!(f.is_nan(), s.is_nan());
    }
}
