//! Inverted dropout, training only: each element of a hidden layer's output is kept
//! with probability 1 - p and then scaled by 1 / (1 - p), so its expectation is
//! unchanged and evaluation needs no rescaling (PyTorch's `nn.Dropout`).
//!
//! Forward:  mask[i,j] = (u[i,j] >= p) / (1 - p),   out[i,j] = inp[i,j] * mask[i,j]
//! Backward: dinp[i,j] = dout[i,j] * mask[i,j]
//!
//! u[i,j] is a pure function of (seed, step, layer, global row index, column):
//! `unit_f64(splitmix64(key([seed, step, layer, row]) + column))` (see [`super::rng`]),
//! so the mask of an event does not depend on how the batch is cut into chunks, nor on
//! which thread runs a chunk; recomputing a chunk's forward reproduces it exactly.

use rootgrad_kernels::Real;

use crate::random::{key, splitmix64, unit_f64};

/// Identifies one training step's masks: the run's seed and the step number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropoutKey {
    pub seed: u64,
    pub step: u64,
}

/// The uniform number u[row, col] of layer `layer` at this step, in [0, 1).
#[inline]
pub fn dropout_uniform(k: DropoutKey, layer: usize, row: u64, col: usize) -> f64 {
    let rowkey = key(&[k.seed, k.step, layer as u64, row]);
    unit_f64(splitmix64(rowkey.wrapping_add(col as u64)))
}

/// `mask` = keep / (1 - p), `out = inp * mask`, for rows `row0 .. row0 + B` of the batch.
#[allow(clippy::too_many_arguments)]
pub fn dropout_forward<T: Real>(
    out: &mut [T],
    mask: &mut [T],
    inp: &[T],
    p: f64,
    k: DropoutKey,
    layer: usize,
    row0: usize,
    b: usize,
    c: usize,
) {
    // inp, mask, out are (B, C)
    assert!(inp.len() == b * c && mask.len() == b * c && out.len() == b * c);
    let scale = T::from_f64(1.0 / (1.0 - p));
    for i in 0..b {
        let rowkey = key(&[k.seed, k.step, layer as u64, (row0 + i) as u64]);
        for j in 0..c {
            let u = unit_f64(splitmix64(rowkey.wrapping_add(j as u64)));
            // kept with probability 1 - p, then scaled by 1 / (1 - p)
            let m = if u >= p { scale } else { T::ZERO };
            mask[i * c + j] = m;
            out[i * c + j] = inp[i * c + j] * m;
        }
    }
}

/// `dinp = dout * mask` (overwritten: the dropout is the only consumer of its input).
pub fn dropout_backward<T: Real>(dinp: &mut [T], dout: &[T], mask: &[T]) {
    // dinp, dout, mask are (B, C)
    assert!(dinp.len() == dout.len() && dout.len() == mask.len());
    for ((di, &d), &m) in dinp.iter_mut().zip(dout).zip(mask) {
        // d out / d inp = mask
        *di = d * m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_rate_and_scale() {
        let (b, c, p) = (400, 50, 0.3);
        let inp = vec![1.0f64; b * c];
        let (mut out, mut mask) = (vec![0.0; b * c], vec![0.0; b * c]);
        let k = DropoutKey { seed: 5, step: 2 };
        dropout_forward(&mut out, &mut mask, &inp, p, k, 1, 0, b, c);
        let kept = mask.iter().filter(|&&m| m != 0.0).count() as f64 / (b * c) as f64;
        assert!((kept - 0.7).abs() < 0.01, "kept fraction {kept}");
        assert!(mask.iter().all(|&m| m == 0.0 || m == 1.0 / 0.7));
        // the same rows drawn as a later chunk give the same mask
        let (mut out2, mut mask2) = (vec![0.0; 7 * c], vec![0.0; 7 * c]);
        dropout_forward(&mut out2, &mut mask2, &inp[..7 * c], p, k, 1, 100, 7, c);
        assert_eq!(&mask2[..], &mask[100 * c..107 * c]);
        assert_eq!(dropout_uniform(k, 1, 100, 3) >= p, mask[100 * c + 3] != 0.0);
    }
}
