//! Fused bias + activation forward, and activation derivative + bias gradient backward.
//!
//! Forward, for a (rows, cols) row-major block: `pre[i,j] += bias[j]`, then
//! `out[i,j] = act(pre[i,j])`. Backward: `dpre[i,j] = dout[i,j] * act'(pre[i,j])` (written
//! with `pre` and `out` so each derivative uses the cheaper of the two) and
//! `dbias[j] += sum_i dpre[i,j]`. The `*_naive` versions are the reference.
//!
//! The fast versions ([`bias_act_forward`], [`act_backward`], [`add_scaled`],
//! [`sum_rows_into`]) compute the same formulas in the same order as their naive twins,
//! so they agree bit for bit (Rust never fuses a multiply and an add on its own), with
//! one exception: in f32, elu, selu, sigmoid and silu call [`exp_f32`], a vectorisable
//! exp with relative error <= [`EXP_F32_MAX_REL`] = 1.2e-7 (measured 8.0e-8), instead
//! of libm's; f64 (the finite-difference path) keeps libm's exp and stays bit-identical.
//! tanh calls libm in both precisions. What makes them fast: the `match` on the
//! activation happens once, outside the loop, and each arm runs a loop monomorphised for
//! that activation; the per-element formulas are selects (compare + blend), not
//! branches; the element-wise work runs over flat blocks of about [`BLOCK`] elements, so
//! it vectorises whatever the number of columns, while the bias add and the bias-gradient
//! sum walk the same block row by row (in row order, so `dbias` is deterministic); and
//! each loop is compiled three times (AVX-512, AVX2 + FMA, baseline) with the variant
//! picked at run time by CPU feature. All loops vectorise except tanh's forward (one libm
//! call per element); the variants give the same bits, as no step depends on the
//! instruction set.

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
    assert!(cols > 0 && pre.len().is_multiple_of(cols) && bias.len() == cols);
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
    assert!(cols > 0 && pre.len().is_multiple_of(cols) && dbias.len() == cols);
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

// ---------------------------------------------------------------------------------------
// Fast versions: same formulas, same order, hoisted dispatch, selects, blocked loops.
// ---------------------------------------------------------------------------------------

/// Elements per block of the fast loops: a (BLOCK / cols, cols) slab of each operand
/// (four of them in the backward pass, 64 KiB in f32) stays in L1/L2 between the
/// element-wise pass and the row-wise bias pass over it.
pub const BLOCK: usize = 4096;

/// Compiles `$body` (an `#[inline(always)]` generic function with the same arguments)
/// three times: for AVX-512, for AVX2 + FMA, and for the baseline target; the wrapper
/// `$name` picks one at run time from the CPU's features (std caches the detection).
macro_rules! multiversion {
    (
        $(#[$m:meta])*
        $vis:vis fn $name:ident<$($g:ident: $b:path),*>($($a:ident: $t:ty),*) => $body:ident
    ) => {
        $(#[$m])*
        $vis fn $name<$($g: $b),*>($($a: $t),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                fn avx512<$($g: $b),*>($($a: $t),*) {
                    $body($($a),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2<$($g: $b),*>($($a: $t),*) {
                    $body($($a),*)
                }
                if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
                    // SAFETY: the running CPU has every feature `avx512` was compiled for.
                    return unsafe { avx512($($a),*) };
                }
                if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    // SAFETY: the running CPU has every feature `avx2` was compiled for.
                    return unsafe { avx2($($a),*) };
                }
            }
            $body($($a),*)
        }
    };
}

/// [`sigmoid`] with one exp and a select instead of a branch; equal to it bit for bit
/// (`e^-|x|` is `e^-x` for x >= 0 and `e^x` below, the two quotients are the two arms).
#[inline(always)]
fn sigmoid_select<T: Real>(x: T, exp: impl Fn(T) -> T) -> T {
    let e = exp(-x.abs());
    let d = T::ONE + e;
    let pos = T::ONE / d;
    let neg = e / d;
    if x >= T::ZERO {
        pos
    } else {
        neg
    }
}

#[inline(always)]
fn forward_body<T: Real, F: Fn(T) -> T>(
    pre: &mut [T],
    out: &mut [T],
    bias: &[T],
    cols: usize,
    f: F,
) {
    // pre is (rows, cols), out is (rows, cols), bias is (cols)
    let step = (BLOCK / cols).max(1) * cols;
    for (pb, ob) in pre.chunks_mut(step).zip(out.chunks_mut(step)) {
        // pre[i,j] += bias[j], row by row (one flat loop when there is one column).
        if cols == 1 {
            let b = bias[0];
            for p in pb.iter_mut() {
                *p += b;
            }
        } else {
            for prow in pb.chunks_exact_mut(cols) {
                for (p, &b) in prow.iter_mut().zip(bias) {
                    *p += b;
                }
            }
        }
        // out = act(pre), flat over the block.
        for (o, &p) in ob.iter_mut().zip(pb.iter()) {
            *o = f(p);
        }
    }
}

#[inline(always)]
fn backward_body<T: Real, G: Fn(T, T) -> T>(
    dpre: &mut [T],
    dbias: &mut [T],
    dout: &[T],
    pre: &[T],
    out: &[T],
    cols: usize,
    g: G,
) {
    // dpre, dout, pre, out are (rows, cols), dbias is (cols)
    let step = (BLOCK / cols).max(1) * cols;
    let blocks = dpre
        .chunks_mut(step)
        .zip(dout.chunks(step))
        .zip(pre.chunks(step))
        .zip(out.chunks(step));
    for (((dpb, db), pb), ob) in blocks {
        // dpre = dout * act'(pre, out), flat over the block.
        for (((dp, &d), &p), &o) in dpb.iter_mut().zip(db).zip(pb).zip(ob) {
            *dp = d * g(p, o);
        }
        // dbias[j] += dpre[i,j], rows in order (the naive summation order).
        if cols == 1 {
            let mut acc = dbias[0];
            for &v in dpb.iter() {
                acc += v;
            }
            dbias[0] = acc;
        } else {
            for row in dpb.chunks_exact(cols) {
                for (acc, &v) in dbias.iter_mut().zip(row) {
                    *acc += v;
                }
            }
        }
    }
}

multiversion!(
    fn forward_isa<T: Real, F: Fn(T) -> T>(
        pre: &mut [T],
        out: &mut [T],
        bias: &[T],
        cols: usize,
        f: F
    ) => forward_body
);
multiversion!(
    #[allow(clippy::too_many_arguments)]
    fn backward_isa<T: Real, G: Fn(T, T) -> T>(
        dpre: &mut [T],
        dbias: &mut [T],
        dout: &[T],
        pre: &[T],
        out: &[T],
        cols: usize,
        g: G
    ) => backward_body
);

/// Fast [`bias_act_forward_naive`]: `pre` (rows, cols) gets the bias added, `out`
/// (rows, cols) receives act(pre); `out`'s old contents are ignored. Equal to the naive
/// twin bit for bit, except f32 elu/selu/sigmoid/silu, which use [`exp_f32`] (relative
/// error <= [`EXP_F32_MAX_REL`]) instead of libm's exp. Panics only on mismatched lengths
/// (a programming error).
pub fn bias_act_forward<T: Real>(pre: &mut [T], out: &mut [T], bias: &[T], cols: usize, act: Act) {
    // pre is (rows, cols), out is (rows, cols), bias is (cols)
    assert_eq!(pre.len(), out.len());
    assert!(cols > 0 && pre.len().is_multiple_of(cols) && bias.len() == cols);
    if uses_exp(act) {
        if let (Some(p), Some(o), Some(b)) =
            (T::as_f32_mut(pre), T::as_f32_mut(out), T::as_f32(bias))
        {
            return forward_with(p, o, b, cols, act, exp_f32);
        }
    }
    forward_with(pre, out, bias, cols, act, |x: T| x.exp())
}

/// Whether act's formulas call exp.
fn uses_exp(act: Act) -> bool {
    matches!(act, Act::Elu(_) | Act::Selu | Act::Sigmoid | Act::Silu)
}

/// The forward with the exp to use; the `match` runs once, each arm a monomorphised loop.
#[inline(always)]
fn forward_with<T: Real, E: Fn(T) -> T + Copy>(
    pre: &mut [T],
    out: &mut [T],
    bias: &[T],
    cols: usize,
    act: Act,
    exp: E,
) {
    let zero = T::ZERO;
    let one = T::ONE;
    match act {
        Act::Identity => forward_isa(pre, out, bias, cols, |x: T| x),
        Act::Relu => forward_isa(pre, out, bias, cols, |x: T| if x > zero { x } else { zero }),
        Act::LeakyRelu(a) => {
            let a = T::from_f64(a);
            forward_isa(
                pre,
                out,
                bias,
                cols,
                |x: T| if x > zero { x } else { a * x },
            )
        }
        Act::Elu(a) => {
            let a = T::from_f64(a);
            forward_isa(pre, out, bias, cols, |x: T| {
                // alpha (e^x - 1) on the negative side; computed everywhere, then selected.
                let neg = a * (exp(x) - one);
                if x > zero {
                    x
                } else {
                    neg
                }
            })
        }
        Act::Selu => {
            let s = T::from_f64(SELU_SCALE);
            let sa = s * T::from_f64(SELU_ALPHA);
            forward_isa(pre, out, bias, cols, |x: T| {
                let pos = s * x;
                let neg = sa * (exp(x) - one);
                if x > zero {
                    pos
                } else {
                    neg
                }
            })
        }
        Act::Tanh => forward_isa(pre, out, bias, cols, |x: T| x.tanh()),
        Act::Sigmoid => forward_isa(pre, out, bias, cols, |x: T| sigmoid_select(x, exp)),
        Act::Silu => forward_isa(pre, out, bias, cols, |x: T| x * sigmoid_select(x, exp)),
    }
}

/// Fast [`act_backward_naive`]: `dpre` (rows, cols) is overwritten with
/// `dout * act'(pre)`, `dbias[j] += sum_i dpre[i,j]` in row order. Equal to the naive twin
/// bit for bit, except f32 silu, whose derivative recomputes sigmoid with [`exp_f32`].
pub fn act_backward<T: Real>(
    dpre: &mut [T],
    dbias: &mut [T],
    dout: &[T],
    pre: &[T],
    out: &[T],
    cols: usize,
    act: Act,
) {
    // dpre, dout, pre, out are (rows, cols), dbias is (cols)
    assert!(dpre.len() == dout.len() && dout.len() == pre.len() && pre.len() == out.len());
    assert!(cols > 0 && pre.len().is_multiple_of(cols) && dbias.len() == cols);
    if act == Act::Silu {
        if let (Some(dp), Some(db), Some(d), Some(p), Some(o)) = (
            T::as_f32_mut(dpre),
            T::as_f32_mut(dbias),
            T::as_f32(dout),
            T::as_f32(pre),
            T::as_f32(out),
        ) {
            return backward_with(dp, db, d, p, o, cols, act, exp_f32);
        }
    }
    backward_with(dpre, dbias, dout, pre, out, cols, act, |x: T| x.exp())
}

/// The backward with the exp to use; the `match` runs once, each arm a monomorphised loop.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_with<T: Real, E: Fn(T) -> T + Copy>(
    dpre: &mut [T],
    dbias: &mut [T],
    dout: &[T],
    pre: &[T],
    out: &[T],
    cols: usize,
    act: Act,
    exp: E,
) {
    let zero = T::ZERO;
    let one = T::ONE;
    match act {
        // d x / dx = 1.
        Act::Identity => backward_isa(dpre, dbias, dout, pre, out, cols, |_: T, _: T| one),
        // 1 for x > 0, else 0 (PyTorch's value at 0).
        Act::Relu => backward_isa(dpre, dbias, dout, pre, out, cols, |x: T, _: T| {
            if x > zero {
                one
            } else {
                zero
            }
        }),
        // 1 for x > 0, else alpha.
        Act::LeakyRelu(a) => {
            let a = T::from_f64(a);
            backward_isa(dpre, dbias, dout, pre, out, cols, |x: T, _: T| {
                if x > zero {
                    one
                } else {
                    a
                }
            })
        }
        // 1 for x > 0, else alpha e^x = y + alpha.
        Act::Elu(a) => {
            let a = T::from_f64(a);
            backward_isa(dpre, dbias, dout, pre, out, cols, |x: T, y: T| {
                let neg = y + a;
                if x > zero {
                    one
                } else {
                    neg
                }
            })
        }
        // scale for x > 0, else scale alpha e^x = y + scale alpha.
        Act::Selu => {
            let s = T::from_f64(SELU_SCALE);
            let sa = T::from_f64(SELU_SCALE * SELU_ALPHA);
            backward_isa(dpre, dbias, dout, pre, out, cols, |x: T, y: T| {
                let neg = y + sa;
                if x > zero {
                    s
                } else {
                    neg
                }
            })
        }
        // 1 - tanh^2.
        Act::Tanh => backward_isa(dpre, dbias, dout, pre, out, cols, |_: T, y: T| one - y * y),
        // s (1 - s).
        Act::Sigmoid => backward_isa(dpre, dbias, dout, pre, out, cols, |_: T, y: T| {
            y * (one - y)
        }),
        // s + x s (1 - s), s recomputed from x (y / x would lose precision near 0).
        Act::Silu => backward_isa(dpre, dbias, dout, pre, out, cols, |x: T, _: T| {
            let s = sigmoid_select(x, exp);
            s + x * s * (one - s)
        }),
    }
}

#[inline(always)]
fn add_scaled_body<T: Real>(dst: &mut [T], src: &[T], alpha: T) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += alpha * s;
    }
}

#[inline(always)]
fn sum_rows_body<T: Real>(dst: &mut [T], src: &[T], cols: usize) {
    if cols == 1 {
        let mut acc = dst[0];
        for &v in src {
            acc += v;
        }
        dst[0] = acc;
    } else {
        for row in src.chunks_exact(cols) {
            for (d, &v) in dst.iter_mut().zip(row) {
                *d += v;
            }
        }
    }
}

multiversion!(fn add_scaled_isa<T: Real>(dst: &mut [T], src: &[T], alpha: T) => add_scaled_body);
multiversion!(fn sum_rows_isa<T: Real>(dst: &mut [T], src: &[T], cols: usize) => sum_rows_body);

/// `dst += alpha * src`, element by element (no fused multiply-add, so it equals
/// [`add_scaled_naive`] bit for bit).
pub fn add_scaled<T: Real>(dst: &mut [T], src: &[T], alpha: T) {
    // dst is (n), src is (n)
    assert_eq!(dst.len(), src.len());
    add_scaled_isa(dst, src, alpha)
}

/// Reference for [`add_scaled`].
pub fn add_scaled_naive<T: Real>(dst: &mut [T], src: &[T], alpha: T) {
    assert_eq!(dst.len(), src.len());
    for i in 0..dst.len() {
        dst[i] += alpha * src[i];
    }
}

/// `dst[j] += sum_i src[i,j]` for `src` (rows, cols) row-major, summed onto `dst` in row
/// order (equal to [`sum_rows_into_naive`] bit for bit). The bias gradient of a linear
/// layer.
pub fn sum_rows_into<T: Real>(dst: &mut [T], src: &[T], cols: usize) {
    // dst is (cols), src is (rows, cols)
    assert!(cols > 0 && src.len().is_multiple_of(cols) && dst.len() == cols);
    sum_rows_isa(dst, src, cols)
}

/// Reference for [`sum_rows_into`].
pub fn sum_rows_into_naive<T: Real>(dst: &mut [T], src: &[T], cols: usize) {
    assert!(cols > 0 && src.len().is_multiple_of(cols) && dst.len() == cols);
    for i in 0..src.len() / cols {
        for j in 0..cols {
            dst[j] += src[i * cols + j];
        }
    }
}

#[cfg(test)]
#[path = "act_tests.rs"]
mod tests;

#[path = "act_exp.rs"]
mod exp;
pub use exp::{exp_f32, EXP_F32_MAX_REL};
