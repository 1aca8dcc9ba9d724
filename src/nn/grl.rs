//! The gradient reversal layer of domain-adversarial training (Ganin and Lempitsky):
//! the identity going forward, and a multiplication by -lambda going backward, so the
//! layers before it climb the adversary's loss while the adversary descends it.
//!
//! Forward:  out = inp
//! Backward: dinp += -lambda * dout
//!
//! In [`super::Network`] the heads read the shared layer's buffer directly (the forward
//! copy is skipped), and their first layer's input gradient goes through
//! [`grl_backward`] into the shared layer's gradient.

use rootgrad_kernels::{act, Real};

/// `out = inp`.
pub fn grl_forward<T: Real>(out: &mut [T], inp: &[T]) {
    // inp, out are (B, C)
    out.copy_from_slice(inp);
}

/// `dinp += -lambda * dout`.
pub fn grl_backward<T: Real>(dinp: &mut [T], dout: &[T], lambda: T) {
    // dinp, dout are (B, C)
    // d out / d inp is the identity, replaced going backward by -lambda times it
    act::add_scaled(dinp, dout, -lambda);
}
