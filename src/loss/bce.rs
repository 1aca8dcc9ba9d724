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
        // l_i = softplus(z_i) - y_i z_i
        let l = softplus(z[i]) - y[i] * z[i];
        sum += w[i].to_f64() * l.to_f64();
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
    let norm = norm.n_set / (norm.batch_len * norm.w_set); // N / (|B| W)
    let c = T::from_f64(scale * norm); // dL/dL_C * N / (|B| W)
    for i in 0..z.len() {
        // dl_i/dz_i = sigmoid(z_i) - y_i   (softplus' = sigmoid)
        let dl = sigmoid(z[i]) - y[i];
        // dL_C/dl_i = norm * w_i
        dz[i] += c * w[i] * dl;
    }
}
