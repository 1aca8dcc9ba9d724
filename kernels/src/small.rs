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
//! - [`linear_act_forward`], [`linear_dact_backward`] and their twins: a dense layer's
//!   product fused with its bias and activation (`small_layer.rs`).
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

use crate::gemm::{gemm, gemm_naive, Gemm, Layout, ShapeError};
use crate::Real;

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

#[path = "small_layer.rs"]
mod layer;
pub use layer::{
    linear_act_forward, linear_act_forward_naive, linear_act_forward_wt, linear_dact_backward,
    linear_dact_backward_naive,
};

// the tests name the activations through `super::*`
#[cfg(test)]
use crate::Act;

#[cfg(test)]
#[path = "small_tests.rs"]
mod tests;
