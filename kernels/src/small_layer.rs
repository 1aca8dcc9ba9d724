//! The fused layer kernels of [`super`]: a dense layer's forward with its bias and
//! activation (`pre = inp W^T + b`, `y = act(pre)`) and its backward with the
//! activation's derivative and the bias gradient, in one pass over the output tile on
//! the AVX-512 path (ReLU and identity), else the product of [`super::gemm_nn`] followed
//! by [`crate::act`]'s element-wise passes. Each beside its `*_naive` twin.

use crate::act;
use crate::gemm::{Gemm, ShapeError};
use crate::{Act, Real};

use super::{
    avx512, err, fast_path_available, gemm_nn, gemm_nn_naive, gemm_nt_naive, transpose_into, MAX_N,
};

/// Checks of the fused layer kernels' operands: `inp` (m, k), `w` (n, k), `bias` (n),
/// `pre` and `y` (m, n).
#[allow(clippy::too_many_arguments)]
fn check_layer(
    what: &str,
    inp: usize,
    w: usize,
    bias: usize,
    pre: usize,
    y: usize,
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), ShapeError> {
    if inp != m * k || w != n * k || bias != n || pre != m * n || y != m * n || n == 0 {
        return err(format!(
            "{what}: lengths {inp}, {w}, {bias}, {pre}, {y} do not match m={m}, k={k}, n={n}"
        ));
    }
    Ok(())
}

/// A dense layer's forward in one pass over C: `pre (m, n) = inp (m, k) W (n, k)^T +
/// bias`, `y = act(pre)`; old contents of `pre` and `y` are ignored. Transposes W into a
/// thread-local buffer, then [`linear_act_forward_wt`].
#[allow(clippy::too_many_arguments)]
pub fn linear_act_forward<T: Gemm>(
    pre: &mut [T],
    y: &mut [T],
    inp: &[T],
    w: &[T],
    bias: &[T],
    m: usize,
    k: usize,
    n: usize,
    a: Act,
) -> Result<(), ShapeError> {
    let what = "linear_act_forward";
    check_layer(
        what,
        inp.len(),
        w.len(),
        bias.len(),
        pre.len(),
        y.len(),
        m,
        k,
        n,
    )?;
    let mut wt = vec![T::ZERO; k * n];
    transpose_into(&mut wt, w, n, k)?;
    linear_act_forward_wt(pre, y, inp, &wt, bias, m, k, n, a)
}

/// [`linear_act_forward`] with W given transposed, `wt` (k, n) row-major (packed once
/// per step by the caller, [`transpose_into`]). The fast path (f32, AVX-512F, n <= 64,
/// identity or ReLU) adds the bias and applies the activation to each tile while it is
/// in registers; otherwise [`gemm_nn`] then [`act::bias_act_forward`]. The same bits
/// either way.
#[allow(clippy::too_many_arguments)]
pub fn linear_act_forward_wt<T: Gemm>(
    pre: &mut [T],
    y: &mut [T],
    inp: &[T],
    wt: &[T],
    bias: &[T],
    m: usize,
    k: usize,
    n: usize,
    a: Act,
) -> Result<(), ShapeError> {
    let what = "linear_act_forward_wt";
    check_layer(
        what,
        inp.len(),
        wt.len(),
        bias.len(),
        pre.len(),
        y.len(),
        m,
        k,
        n,
    )?;
    if m == 0 {
        return Ok(());
    }
    if let (Some(pre), Some(y), Some(inp), Some(wt), Some(bias)) = (
        T::as_f32_mut(pre),
        T::as_f32_mut(y),
        T::as_f32(inp),
        T::as_f32(wt),
        T::as_f32(bias),
    ) {
        if k > 0 && n <= MAX_N && nn_act_f32(pre, y, inp, wt, bias, m, k, n, a) {
            return Ok(());
        }
    }
    gemm_nn(inp, k, wt, pre, m, k, n, false)?;
    act::bias_act_forward(pre, y, bias, n, a);
    Ok(())
}

/// The reference for [`linear_act_forward`].
#[allow(clippy::too_many_arguments)]
pub fn linear_act_forward_naive<T: Real>(
    pre: &mut [T],
    y: &mut [T],
    inp: &[T],
    w: &[T],
    bias: &[T],
    m: usize,
    k: usize,
    n: usize,
    a: Act,
) -> Result<(), ShapeError> {
    let what = "linear_act_forward";
    check_layer(
        what,
        inp.len(),
        w.len(),
        bias.len(),
        pre.len(),
        y.len(),
        m,
        k,
        n,
    )?;
    gemm_nt_naive(inp, w, pre, m, k, n)?;
    act::bias_act_forward_naive(pre, y, bias, n, a);
    Ok(())
}

/// The input gradient of a dense layer and the activation derivative of the layer
/// below it, in one pass: `dpre (m, n) = (dout (m, p) W (p, n)) * act'(pre)` (the
/// layer below's pre-activation `pre` and output `y`, (m, n)) and `dbias (n) +=
/// sum_i dpre[i, :]`, rows in order; `dpre`'s old contents are ignored. The fast path
/// (f32, AVX-512F, n <= 64, identity or ReLU) applies the derivative and sums the
/// bias gradient on each tile in registers; otherwise [`gemm_nn`] into `dpre`, then
/// [`act::act_backward`], with `dy` (m, n) holding `dout W` in between (`dy` is
/// scratch: on the fast path it is not touched). The same bits either way.
#[allow(clippy::too_many_arguments)]
pub fn linear_dact_backward<T: Gemm>(
    dpre: &mut [T],
    dbias: &mut [T],
    dy: &mut [T],
    dout: &[T],
    w: &[T],
    pre: &[T],
    y: &[T],
    m: usize,
    p: usize,
    n: usize,
    a: Act,
) -> Result<(), ShapeError> {
    let what = "linear_dact_backward";
    check_layer(
        what,
        dout.len(),
        w.len(),
        dbias.len(),
        dpre.len(),
        pre.len(),
        m,
        p,
        n,
    )?;
    check_layer(
        what,
        dout.len(),
        w.len(),
        dbias.len(),
        dpre.len(),
        y.len(),
        m,
        p,
        n,
    )?;
    if m == 0 {
        return Ok(());
    }
    if let (Some(dpre), Some(dbias), Some(dout), Some(w), Some(pre)) = (
        T::as_f32_mut(dpre),
        T::as_f32_mut(dbias),
        T::as_f32(dout),
        T::as_f32(w),
        T::as_f32(pre),
    ) {
        if p > 0 && n <= MAX_N && nn_dact_f32(dpre, dbias, dout, w, pre, m, p, n, a) {
            return Ok(());
        }
    }
    if dy.len() != m * n {
        return err(format!(
            "{what}: scratch of {} elements for m={m}, n={n}",
            dy.len()
        ));
    }
    gemm_nn(dout, p, w, dy, m, p, n, false)?;
    act::act_backward(dpre, dbias, dy, pre, y, n, a);
    Ok(())
}

/// The reference for [`linear_dact_backward`].
#[allow(clippy::too_many_arguments)]
pub fn linear_dact_backward_naive<T: Real>(
    dpre: &mut [T],
    dbias: &mut [T],
    dout: &[T],
    w: &[T],
    pre: &[T],
    y: &[T],
    m: usize,
    p: usize,
    n: usize,
    a: Act,
) -> Result<(), ShapeError> {
    let what = "linear_dact_backward";
    check_layer(
        what,
        dout.len(),
        w.len(),
        dbias.len(),
        dpre.len(),
        pre.len(),
        m,
        p,
        n,
    )?;
    check_layer(
        what,
        dout.len(),
        w.len(),
        dbias.len(),
        dpre.len(),
        y.len(),
        m,
        p,
        n,
    )?;
    let mut dy = vec![T::ZERO; m * n];
    gemm_nn_naive(dout, p, w, &mut dy, m, p, n, false)?;
    act::act_backward_naive(dpre, dbias, &dy, pre, y, n, a);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn nn_act_f32(
    pre: &mut [f32],
    y: &mut [f32],
    inp: &[f32],
    wt: &[f32],
    bias: &[f32],
    m: usize,
    k: usize,
    n: usize,
    a: Act,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if fast_path_available() && matches!(a, Act::Relu | Act::Identity) {
        let ep = avx512::Epi {
            bias: bias.as_ptr(),
            y: y.as_mut_ptr(),
            ..avx512::Epi::NONE
        };
        let (i, p, c) = (inp.as_ptr(), wt.as_ptr(), pre.as_mut_ptr());
        // SAFETY: `check_layer` proved inp holds m k elements, wt k n, pre and y m n,
        // bias n; 0 < n <= 64, k > 0, and the CPU has AVX-512F.
        unsafe {
            if a == Act::Relu {
                avx512::nn::<{ avx512::BIAS_RELU }>(i, k, p, c, m, k, n, false, ep);
            } else {
                avx512::nn::<{ avx512::BIAS_ID }>(i, k, p, c, m, k, n, false, ep);
            }
        }
        return true;
    }
    let _ = (pre, y, inp, wt, bias, m, k, n, a);
    false
}

#[allow(clippy::too_many_arguments)]
fn nn_dact_f32(
    dpre: &mut [f32],
    dbias: &mut [f32],
    dout: &[f32],
    w: &[f32],
    pre: &[f32],
    m: usize,
    p: usize,
    n: usize,
    a: Act,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if fast_path_available() && matches!(a, Act::Relu | Act::Identity) {
        let ep = avx512::Epi {
            pre: pre.as_ptr(),
            dbias: dbias.as_mut_ptr(),
            ..avx512::Epi::NONE
        };
        let (d, wp, c) = (dout.as_ptr(), w.as_ptr(), dpre.as_mut_ptr());
        // SAFETY: `check_layer` proved dout holds m p elements, w p n, dpre and pre m n,
        // dbias n; 0 < n <= 64, p > 0, and the CPU has AVX-512F.
        unsafe {
            if a == Act::Relu {
                avx512::nn::<{ avx512::D_RELU }>(d, p, wp, c, m, p, n, false, ep);
            } else {
                avx512::nn::<{ avx512::D_ID }>(d, p, wp, c, m, p, n, false, ep);
            }
        }
        return true;
    }
    let _ = (dpre, dbias, dout, w, pre, m, p, n, a);
    false
}
