//! Gradient-norm clipping with `torch.nn.utils.clip_grad_norm_`'s semantics, over the
//! whole flat gradient buffer: `total = sqrt(sum_i g_i^2)`,
//! `scale = max_norm / (total + 1e-6)`, and `g *= scale` only when `scale < 1`.
//!
//! The sum of squares is accumulated in f64 in a fixed order
//! (`rootgrad_kernels::optim::sum_squares`), so the clipped gradient depends only on the
//! gradient, never on the thread count. torch takes the norm of the per-tensor norms;
//! over one flat buffer this is the same number up to rounding. As in torch (which
//! multiplies by `clamp(scale, max = 1)`), a NaN norm makes every gradient NaN and an
//! infinite one zeroes the finite gradients: the returned norm lets the caller stop.

use rootgrad_kernels::optim::{scale, sum_squares};
use rootgrad_kernels::Real;

use crate::{Error, Result};

/// The epsilon torch adds to the norm before dividing.
pub const CLIP_EPS: f64 = 1e-6;

/// A checked clipping threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradClip {
    max_norm: f64,
}

impl GradClip {
    /// `max_norm` must be finite and > 0.
    pub fn new(max_norm: f64) -> Result<Self> {
        if max_norm.is_finite() && max_norm > 0.0 {
            Ok(GradClip { max_norm })
        } else {
            Err(Error::Usage(format!(
                "clip_grad_norm = {max_norm} must be a finite number > 0; set it, such as \
                 clip_grad_norm = 1.0, or leave it out to not clip"
            )))
        }
    }

    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }

    /// Clips `grads` in place; returns the total norm before clipping.
    pub fn apply<T: Real>(&self, grads: &mut [T]) -> f64 {
        clip_grad_norm(grads, self.max_norm)
    }
}

/// Scales `grads` so its L2 norm is at most about `max_norm`; returns the norm before.
pub fn clip_grad_norm<T: Real>(grads: &mut [T], max_norm: f64) -> f64 {
    let total_norm = sum_squares(grads).sqrt();
    let clip_coef = max_norm / (total_norm + CLIP_EPS);
    // A NaN coefficient scales too, as torch's clamp does.
    if clip_coef < 1.0 || clip_coef.is_nan() {
        scale(grads, T::from_f64(clip_coef));
    }
    total_norm
}
