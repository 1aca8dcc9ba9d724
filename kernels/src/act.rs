//! Fused bias + activation forward, and activation derivative + bias gradient backward.
//!
//! Forward, for a (rows, cols) row-major block: `pre[i,j] += bias[j]`, then
//! `out[i,j] = act(pre[i,j])`. Backward: `dpre[i,j] = dout[i,j] * act'(pre[i,j])` (written
//! with `pre` and `out` so each derivative uses the cheaper of the two) and
//! `dbias[j] += sum_i dpre[i,j]`. The `*_naive` versions are the reference.

use crate::Real;

/// The activations of the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// x (the output layer, or no activation).
    Identity,
    /// max(0, x); derivative 1 for x > 0, else 0 (PyTorch's convention at 0).
    Relu,
    /// x for x > 0, alpha x otherwise.
    LeakyRelu(f64),
    /// x for x > 0, alpha (e^x - 1) otherwise.
    Elu(f64),
    /// scale * (x for x > 0, alpha (e^x - 1) otherwise), PyTorch's constants.
    Selu,
    Tanh,
    /// 1 / (1 + e^-x).
    Sigmoid,
    /// x * sigmoid(x).
    Silu,
}

/// SELU's constants (Klambauer et al.; the values PyTorch uses).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

/// Numerically stable sigmoid: never exponentiates a large positive number.
#[inline]
pub fn sigmoid<T: Real>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

impl Act {
    /// act(x).
    #[inline]
    pub fn apply<T: Real>(self, x: T) -> T {
        match self {
            Act::Identity => x,
            Act::Relu => {
                if x > T::ZERO {
                    x
                } else {
                    T::ZERO
                }
            }
            Act::LeakyRelu(a) => {
                if x > T::ZERO {
                    x
                } else {
                    T::from_f64(a) * x
                }
            }
            Act::Elu(a) => {
                if x > T::ZERO {
                    x
                } else {
                    T::from_f64(a) * (x.exp() - T::ONE)
                }
            }
            Act::Selu => {
                let s = T::from_f64(SELU_SCALE);
                if x > T::ZERO {
                    s * x
                } else {
                    s * T::from_f64(SELU_ALPHA) * (x.exp() - T::ONE)
                }
            }
            Act::Tanh => x.tanh(),
            Act::Sigmoid => sigmoid(x),
            Act::Silu => x * sigmoid(x),
        }
    }

    /// d act / dx at pre-activation `x`, given `y = act(x)`.
    #[inline]
    pub fn derivative<T: Real>(self, x: T, y: T) -> T {
        match self {
            Act::Identity => T::ONE,
            Act::Relu => {
                if x > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
            Act::LeakyRelu(a) => {
                if x > T::ZERO {
                    T::ONE
                } else {
                    T::from_f64(a)
                }
            }
            // For x <= 0: d/dx alpha (e^x - 1) = alpha e^x = y + alpha.
            Act::Elu(a) => {
                if x > T::ZERO {
                    T::ONE
                } else {
                    y + T::from_f64(a)
                }
            }
            // For x <= 0: d/dx scale alpha (e^x - 1) = y + scale alpha.
            Act::Selu => {
                if x > T::ZERO {
                    T::from_f64(SELU_SCALE)
                } else {
                    y + T::from_f64(SELU_SCALE * SELU_ALPHA)
                }
            }
            // d tanh = 1 - tanh^2.
            Act::Tanh => T::ONE - y * y,
            // d sigmoid = s (1 - s).
            Act::Sigmoid => y * (T::ONE - y),
            // d (x s) = s + x s (1 - s).
            Act::Silu => {
                let s = sigmoid(x);
                s + x * s * (T::ONE - s)
            }
        }
    }
}

/// Reference forward: `pre` is (rows, cols) row-major and gets the bias added; `out`
/// receives act(pre). Panics only on mismatched lengths (a programming error).
pub fn bias_act_forward_naive<T: Real>(
    pre: &mut [T],
    out: &mut [T],
    bias: &[T],
    cols: usize,
    act: Act,
) {
    assert_eq!(pre.len(), out.len());
    assert!(cols > 0 && pre.len() % cols == 0 && bias.len() == cols);
    for (prow, orow) in pre.chunks_exact_mut(cols).zip(out.chunks_exact_mut(cols)) {
        for j in 0..cols {
            prow[j] += bias[j];
            orow[j] = act.apply(prow[j]);
        }
    }
}

/// Reference backward: `dpre = dout * act'(pre)`, `dbias[j] += sum_i dpre[i,j]` (summed
/// in row order).
pub fn act_backward_naive<T: Real>(
    dpre: &mut [T],
    dbias: &mut [T],
    dout: &[T],
    pre: &[T],
    out: &[T],
    cols: usize,
    act: Act,
) {
    assert!(dpre.len() == dout.len() && dout.len() == pre.len() && pre.len() == out.len());
    assert!(cols > 0 && pre.len() % cols == 0 && dbias.len() == cols);
    for (((dp, d), p), o) in dpre
        .chunks_exact_mut(cols)
        .zip(dout.chunks_exact(cols))
        .zip(pre.chunks_exact(cols))
        .zip(out.chunks_exact(cols))
    {
        for j in 0..cols {
            dp[j] = d[j] * act.derivative(p[j], o[j]);
            dbias[j] += dp[j];
        }
    }
}
