//! Products with a narrow side (at most [`MAX_N`] = 64 output columns), the shapes of a
//! small dense network's layers, without packing the activations.
//!
//! - [`gemm_nn`]: `C (m, n) (+)= A (m, k) B (k, n)`, B dense row-major (a weight matrix,
//!   or its transpose packed once by [`transpose_into`]). The forward `inp W^T` (with
//!   `B = W^T`) and the input gradient `dpre W` (with `B = W`).
//! - [`gemm_tn`]: `C (p, n) (+)= A (m, p)^T B (m, n)`, the weight gradient `dpre^T inp`,
//!   summed over the m rows in row order.
//! - [`gemm_nt`]: `C (m, n) = A (m, k) W (n, k)^T`, which transposes W into a
//!   thread-local buffer and calls [`gemm_nn`].
//!
//! Why: matrixmultiply packs both operands of every product into its own layout, which
//! for a (512 x 64) x (64 x 64) product is a third of the time. Here, with f32 on a CPU
//! with AVX-512F and `n <= 64`, a tile of R rows x n columns of C lives in R * ceil(n/16)
//! zmm accumulators; each step over the inner index loads one row of B (at most four
//! vectors; the last one masked) and broadcasts one element of A per row of the tile.
//! Activations are read where they lie. Every element of C is
//! `((c0 + a_0 b_0) + a_1 b_1) + ...` with one fused multiply-add per term, in the order
//! of the inner index, whatever the tile it falls in, so a row's result does not
//! depend on how many rows the call has (and [`gemm_tn`]'s sum over rows runs in row
//! order). Other types, wider n, or CPUs without AVX-512F take [`crate::gemm::gemm`]
//! (matrixmultiply). The `*_naive` twins are [`crate::gemm::gemm_naive`] with the
//! matching layouts.
//!
//! Layering: this module sits above [`crate::gemm`] (its fallback and its naive twins),
//! which knows nothing of it. The f32 fast paths are selected with [`Real::as_f32`] /
//! [`Real::as_f32_mut`], the kernels' one type dispatch.

use std::cell::RefCell;

use crate::act;
use crate::gemm::{gemm, gemm_naive, Gemm, Layout, ShapeError};
use crate::{Act, Real};

/// The widest C the fast kernels take: four zmm vectors of f32.
pub const MAX_N: usize = 64;

/// Rows of A (and of the row-ordered sum of [`gemm_tn`]) per block: a 64 x 64 block
/// of each operand (16 KiB in f32) stays in L1 while every tile of C passes over it.
const ROW_BLOCK: usize = 64;

fn err(msg: String) -> Result<(), ShapeError> {
    Err(ShapeError(msg))
}

/// Whether the fast f32 path runs on this CPU.
pub fn fast_path_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Checks of [`gemm_nn`]'s operands.
fn check_nn(
    alen: usize,
    lda: usize,
    blen: usize,
    clen: usize,
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), ShapeError> {
    if lda < k {
        return err(format!(
            "gemm_nn: row stride {lda} of A is below its {k} columns"
        ));
    }
    let a_need = if m == 0 { 0 } else { (m - 1) * lda + k };
    if alen < a_need || blen < k * n || clen < m * n {
        return err(format!(
            "gemm_nn: A ({m}x{k}, stride {lda}) B ({k}x{n}) C ({m}x{n}) do not fit slices of \
             {alen}, {blen}, {clen} elements"
        ));
    }
    Ok(())
}

/// `C (m, n) = A B (+ C if accumulate)`: A has m rows of k elements `lda` apart, B is
/// (k, n) row-major, C is (m, n) row-major. Without `accumulate` C's old contents are
/// ignored (even NaN).
#[allow(clippy::too_many_arguments)]
pub fn gemm_nn<T: Gemm>(
    a: &[T],
    lda: usize,
    b: &[T],
    c: &mut [T],
    m: usize,
    k: usize,
    n: usize,
    accumulate: bool,
) -> Result<(), ShapeError> {
    check_nn(a.len(), lda, b.len(), c.len(), m, k, n)?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    if let (Some(a), Some(b), Some(c)) = (T::as_f32(a), T::as_f32(b), T::as_f32_mut(c)) {
        if k > 0 && n <= MAX_N && nn_f32(a, lda, b, c, m, k, n, accumulate) {
            return Ok(());
        }
    }
    let la = Layout {
        rows: m,
        cols: k,
        rs: lda as isize,
        cs: 1,
    };
    let beta = if accumulate { T::ONE } else { T::ZERO };
    gemm(
        T::ONE,
        a,
        la,
        &b[..k * n],
        Layout::row_major(k, n),
        beta,
        &mut c[..m * n],
        Layout::row_major(m, n),
    )
}

/// The reference for [`gemm_nn`] (f64 accumulation).
#[allow(clippy::too_many_arguments)]
pub fn gemm_nn_naive<T: Real>(
    a: &[T],
    lda: usize,
    b: &[T],
    c: &mut [T],
    m: usize,
    k: usize,
    n: usize,
    accumulate: bool,
) -> Result<(), ShapeError> {
    check_nn(a.len(), lda, b.len(), c.len(), m, k, n)?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    let la = Layout {
        rows: m,
        cols: k,
        rs: lda as isize,
        cs: 1,
    };
    let beta = if accumulate { T::ONE } else { T::ZERO };
    gemm_naive(
        T::ONE,
        a,
        la,
        &b[..k * n],
        Layout::row_major(k, n),
        beta,
        &mut c[..m * n],
        Layout::row_major(m, n),
    )
}

fn check_tn(
    alen: usize,
    blen: usize,
    clen: usize,
    m: usize,
    p: usize,
    n: usize,
) -> Result<(), ShapeError> {
    if alen < m * p || blen < m * n || clen < p * n {
        return err(format!(
            "gemm_tn: A ({m}x{p}) B ({m}x{n}) C ({p}x{n}) do not fit slices of {alen}, \
             {blen}, {clen} elements"
        ));
    }
    Ok(())
}

/// `C (p, n) = A^T B (+ C if accumulate)` for row-major A (m, p) and B (m, n): the sum
/// over the m rows runs in row order.
pub fn gemm_tn<T: Gemm>(
    a: &[T],
    b: &[T],
    c: &mut [T],
    m: usize,
    p: usize,
    n: usize,
    accumulate: bool,
) -> Result<(), ShapeError> {
    check_tn(a.len(), b.len(), c.len(), m, p, n)?;
    if p == 0 || n == 0 {
        return Ok(());
    }
    if let (Some(a), Some(b), Some(c)) = (T::as_f32(a), T::as_f32(b), T::as_f32_mut(c)) {
        if m > 0 && n <= MAX_N && tn_f32(a, b, c, m, p, n, accumulate) {
            return Ok(());
        }
    }
    let beta = if accumulate { T::ONE } else { T::ZERO };
    gemm(
        T::ONE,
        &a[..m * p],
        Layout::row_major(m, p).t(),
        &b[..m * n],
        Layout::row_major(m, n),
        beta,
        &mut c[..p * n],
        Layout::row_major(p, n),
    )
}

/// The reference for [`gemm_tn`] (f64 accumulation).
pub fn gemm_tn_naive<T: Real>(
    a: &[T],
    b: &[T],
    c: &mut [T],
    m: usize,
    p: usize,
    n: usize,
    accumulate: bool,
) -> Result<(), ShapeError> {
    check_tn(a.len(), b.len(), c.len(), m, p, n)?;
    if p == 0 || n == 0 {
        return Ok(());
    }
    let beta = if accumulate { T::ONE } else { T::ZERO };
    gemm_naive(
        T::ONE,
        &a[..m * p],
        Layout::row_major(m, p).t(),
        &b[..m * n],
        Layout::row_major(m, n),
        beta,
        &mut c[..p * n],
        Layout::row_major(p, n),
    )
}

/// `wt (k, n) = w (n, k)^T`, both row-major.
pub fn transpose_into<T: Copy>(
    wt: &mut [T],
    w: &[T],
    n: usize,
    k: usize,
) -> Result<(), ShapeError> {
    if w.len() < n * k || wt.len() < n * k {
        return err(format!(
            "transpose_into: {n}x{k} does not fit slices of {} and {} elements",
            w.len(),
            wt.len()
        ));
    }
    for (o, row) in w[..n * k].chunks_exact(k.max(1)).enumerate() {
        for (p, &v) in row.iter().enumerate() {
            wt[p * n + o] = v;
        }
    }
    Ok(())
}

thread_local! {
    static WT32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `C (m, n) = A (m, k) W (n, k)^T`, all row-major (a dense layer's forward `inp W^T`);
/// C's old contents are ignored. The fast path transposes W into a thread-local buffer,
/// then runs [`gemm_nn`]; otherwise one strided [`gemm`].
pub fn gemm_nt<T: Gemm>(
    a: &[T],
    w: &[T],
    c: &mut [T],
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), ShapeError> {
    check_nn(a.len(), k, w.len(), c.len(), m, k, n)?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    if let (Some(a), Some(w), Some(c)) = (T::as_f32(a), T::as_f32(w), T::as_f32_mut(c)) {
        if k > 0 && n <= MAX_N && nt_f32(a, w, c, m, k, n) {
            return Ok(());
        }
    }
    gemm(
        T::ONE,
        &a[..m * k],
        Layout::row_major(m, k),
        &w[..n * k],
        Layout::row_major(n, k).t(),
        T::ZERO,
        &mut c[..m * n],
        Layout::row_major(m, n),
    )
}

/// The reference for [`gemm_nt`] (f64 accumulation).
pub fn gemm_nt_naive<T: Real>(
    a: &[T],
    w: &[T],
    c: &mut [T],
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), ShapeError> {
    check_nn(a.len(), k, w.len(), c.len(), m, k, n)?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    gemm_naive(
        T::ONE,
        &a[..m * k],
        Layout::row_major(m, k),
        &w[..n * k],
        Layout::row_major(n, k).t(),
        T::ZERO,
        &mut c[..m * n],
        Layout::row_major(m, n),
    )
}

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

/// The f32 fast paths, called by [`gemm_nn`], [`gemm_tn`] and [`gemm_nt`] once the
/// slices are checked and [`Real::as_f32`] has found `T` to be f32. Each returns false
/// (and touches nothing) when the CPU lacks AVX-512F.
#[allow(clippy::too_many_arguments)]
fn nn_f32(
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    m: usize,
    k: usize,
    n: usize,
    acc: bool,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if fast_path_available() {
        debug_assert!(check_nn(a.len(), lda, b.len(), c.len(), m, k, n).is_ok());
        debug_assert!(n <= MAX_N && n > 0 && k > 0 && m > 0);
        // SAFETY: the caller checked the slices hold (m - 1) lda + k, k n and m n
        // elements, n <= 64, and the CPU has AVX-512F.
        unsafe {
            avx512::nn::<{ avx512::PLAIN }>(
                a.as_ptr(),
                lda,
                b.as_ptr(),
                c.as_mut_ptr(),
                m,
                k,
                n,
                acc,
                avx512::Epi::NONE,
            )
        };
        return true;
    }
    let _ = (a, lda, b, c, m, k, n, acc);
    false
}

fn tn_f32(a: &[f32], b: &[f32], c: &mut [f32], m: usize, p: usize, n: usize, acc: bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    if fast_path_available() {
        debug_assert!(check_tn(a.len(), b.len(), c.len(), m, p, n).is_ok());
        debug_assert!(n <= MAX_N && n > 0 && p > 0 && m > 0);
        // SAFETY: the caller checked the slices hold m p, m n and p n elements,
        // n <= 64, and the CPU has AVX-512F.
        unsafe { avx512::tn(a.as_ptr(), b.as_ptr(), c.as_mut_ptr(), m, p, n, acc) };
        return true;
    }
    let _ = (a, b, c, m, p, n, acc);
    false
}

fn nt_f32(a: &[f32], w: &[f32], c: &mut [f32], m: usize, k: usize, n: usize) -> bool {
    if !fast_path_available() {
        return false;
    }
    WT32.with(|buf| {
        let mut wt = buf.borrow_mut();
        wt.resize(k * n, 0.0);
        if transpose_into(&mut wt, w, n, k).is_err() {
            return false;
        }
        nn_f32(a, k, &wt, c, m, k, n, false)
    })
}

#[cfg(target_arch = "x86_64")]
#[path = "small_avx512.rs"]
mod avx512;

#[cfg(test)]
#[path = "small_tests.rs"]
mod tests;
