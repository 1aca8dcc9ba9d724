//! Weighted binary cross-entropy on logits, the classification loss L_C.
//!
//! ```text
//! l_i = softplus(z_i) - y_i z_i                      (= -y ln s - (1-y) ln(1-s), s = sigmoid(z))
//! L_C = (N / (|B| W)) sum_{i in B} w_i l_i
//! dL_C/dz_i = (N / (|B| W)) w_i (sigmoid(z_i) - y_i)
//! ```
//!
//! softplus is computed in the stable form max(z, 0) + ln_1p(exp(-|z|)), which neither
//! overflows for large z nor loses the small value for very negative z. Weights enter as
//! they are, negative ones included; N and W are the training set's (see
//! [`super::Normalisation`]).

use super::BatchNorm;
use rootgrad_kernels::act::sigmoid;
use rootgrad_kernels::Real;

/// softplus(z) = ln(1 + e^z) = max(z, 0) + ln_1p(exp(-|z|)).
#[inline]
pub fn softplus<T: Real>(z: T) -> T {
    z.max(T::ZERO) + (-z.abs()).exp().ln_1p()
}

/// One row's weighted loss `w l`, l = softplus(z) - y z, formed in `T` and weighted
/// in f64: the term [`bce_forward`] (and the fused step, `nn::step`) sums in row order.
#[inline]
pub fn bce_row_loss<T: Real>(z: T, y: T, w: T) -> f64 {
    // l = softplus(z) - y z
    let l = softplus(z) - y * z;
    w.to_f64() * l.to_f64()
}

/// One row's gradient term `c w dl/dz`, dl/dz = sigmoid(z) - y (softplus' = sigmoid),
/// with `c` = [`bce_grad_factor`]: what [`bce_backward`] (and the fused step) adds into
/// dz of the row.
#[inline]
pub fn bce_row_grad<T: Real>(z: T, y: T, w: T, c: T) -> T {
    // dl/dz = sigmoid(z) - y   (softplus' = sigmoid)
    let dl = sigmoid(z) - y;
    // dL_C/dl = c w
    c * w * dl
}

/// `c = scale * N / (|B| W)` in `T`: dL/dL_C times the reduction factor, the constant
/// of [`bce_row_grad`].
#[inline]
pub fn bce_grad_factor<T: Real>(norm: &BatchNorm, scale: f64) -> T {
    let norm = norm.n_set / (norm.batch_len * norm.w_set); // N / (|B| W)
    T::from_f64(scale * norm) // dL/dL_C * N / (|B| W)
}

/// L_C = (N / (|B| W)) sum_i w_i (softplus(z_i) - y_i z_i).
pub fn bce_forward<T: Real>(z: &[T], y: &[T], w: &[T], norm: &BatchNorm) -> f64 {
    // z, y, w are (|B|,); returns L_C
    assert_eq!(
        z.len(),
        norm.batch_len(),
        "bce: z and the batch norm disagree"
    );
    assert_eq!(y.len(), z.len(), "bce: y and z lengths differ");
    assert_eq!(w.len(), z.len(), "bce: w and z lengths differ");
    let mut sum = 0.0f64;
    for i in 0..z.len() {
        // sum_i w_i l_i, in row order
        sum += bce_row_loss(z[i], y[i], w[i]);
    }
    let norm = norm.n_set / (norm.batch_len * norm.w_set); // N / (|B| W)
    norm * sum
}

/// dz_i += scale * dL_C/dz_i = scale * (N / (|B| W)) w_i (sigmoid(z_i) - y_i).
pub fn bce_backward<T: Real>(
    dz: &mut [T],
    z: &[T],
    y: &[T],
    w: &[T],
    norm: &BatchNorm,
    scale: f64,
) {
    // dz, z, y, w are (|B|,)
    assert_eq!(
        z.len(),
        norm.batch_len(),
        "bce: z and the batch norm disagree"
    );
    assert_eq!(dz.len(), z.len(), "bce: dz and z lengths differ");
    assert_eq!(y.len(), z.len(), "bce: y and z lengths differ");
    assert_eq!(w.len(), z.len(), "bce: w and z lengths differ");
    let c = bce_grad_factor(norm, scale); // dL/dL_C * N / (|B| W)
    for i in 0..z.len() {
        // dz_i += c w_i (sigmoid(z_i) - y_i)
        dz[i] += bce_row_grad(z[i], y[i], w[i], c);
    }
}
