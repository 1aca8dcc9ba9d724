//! General matrix multiply with strides: C = alpha * A B + beta * C, A (m, k), B (k, n),
//! C (m, n), each addressed as `x[i * rs + j * cs]`. A transpose is a swap of strides,
//! so backward passes (dW = dY^T X, dX = dY W) need no copies.
//!
//! [`gemm`] checks every index the strides can reach against the slice lengths, then
//! calls matrixmultiply's sgemm/dgemm (its SIMD kernels are picked at run time by CPU
//! feature). [`gemm_naive`] is the triple loop it is tested against.
//!
//! This module is the leaf of the kernels' products: it imports only [`Real`].
//! [`crate::small`] builds its unpacked narrow-product kernels on top of it and falls
//! back to [`gemm`] for the shapes and types they do not take.

use crate::Real;

/// Shape and strides of one operand: `rows x cols`, element (i, j) at `i * rs + j * cs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

impl Layout {
    /// A dense row-major matrix.
    pub fn row_major(rows: usize, cols: usize) -> Layout {
        Layout {
            rows,
            cols,
            rs: cols as isize,
            cs: 1,
        }
    }

    /// The transpose of this view (no data moves).
    pub fn t(self) -> Layout {
        Layout {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Whether every element index lies in `0..len` (strides must be non-negative).
    fn fits(&self, len: usize) -> bool {
        if self.rows == 0 || self.cols == 0 {
            return true;
        }
        if self.rs < 0 || self.cs < 0 {
            return false;
        }
        let last =
            (self.rows - 1) as u128 * self.rs as u128 + (self.cols - 1) as u128 * self.cs as u128;
        last < len as u128
    }
}

/// A matrix product whose operands do not fit their slices or shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(pub String);

fn check(
    a: Layout,
    alen: usize,
    b: Layout,
    blen: usize,
    c: Layout,
    clen: usize,
) -> Result<(), ShapeError> {
    if a.cols != b.rows || a.rows != c.rows || b.cols != c.cols {
        return Err(ShapeError(format!(
            "gemm shapes do not chain: A {}x{}, B {}x{}, C {}x{}",
            a.rows, a.cols, b.rows, b.cols, c.rows, c.cols
        )));
    }
    for (name, l, len) in [("A", a, alen), ("B", b, blen), ("C", c, clen)] {
        if !l.fits(len) {
            return Err(ShapeError(format!(
                "gemm operand {name} ({l:?}) does not fit its {len} elements"
            )));
        }
    }
    if c.rows > 1 && c.cols > 1 && (c.rs == 0 || c.cs == 0) {
        return Err(ShapeError("gemm output C has a zero stride".into()));
    }
    Ok(())
}

/// The scalar types matrixmultiply multiplies.
pub trait Gemm: Real {
    /// # Safety
    /// The caller guarantees the layouts fit the pointers' allocations.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

impl Gemm for f32 {
    unsafe fn raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded from the caller, who checked every index against the slices.
        unsafe {
            matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

impl Gemm for f64 {
    unsafe fn raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded from the caller, who checked every index against the slices.
        unsafe {
            matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

/// C = alpha * A B + beta * C. With `beta == 0` the old contents of C are ignored (even
/// NaN). Errors when shapes do not chain or a layout reaches outside its slice.
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: Gemm>(
    alpha: T,
    a: &[T],
    la: Layout,
    b: &[T],
    lb: Layout,
    beta: T,
    c: &mut [T],
    lc: Layout,
) -> Result<(), ShapeError> {
    check(la, a.len(), lb, b.len(), lc, c.len())?;
    if lc.rows == 0 || lc.cols == 0 {
        return Ok(());
    }
    if la.cols == 0 {
        // A B is zero: C = beta * C (beta == 0 clears, as BLAS does).
        for i in 0..lc.rows {
            for j in 0..lc.cols {
                let at = (i as isize * lc.rs + j as isize * lc.cs) as usize;
                c[at] = if beta == T::ZERO {
                    T::ZERO
                } else {
                    beta * c[at]
                };
            }
        }
        return Ok(());
    }
    // SAFETY: `check` proved every index reachable through the layouts lies inside the
    // slices, and `c` is borrowed mutably, so it cannot alias `a` or `b`.
    unsafe {
        T::raw(
            lc.rows,
            la.cols,
            lc.cols,
            alpha,
            a.as_ptr(),
            la.rs,
            la.cs,
            b.as_ptr(),
            lb.rs,
            lb.cs,
            beta,
            c.as_mut_ptr(),
            lc.rs,
            lc.cs,
        );
    }
    Ok(())
}

/// The reference triple loop for [`gemm`], accumulating in f64.
#[allow(clippy::too_many_arguments)]
pub fn gemm_naive<T: Real>(
    alpha: T,
    a: &[T],
    la: Layout,
    b: &[T],
    lb: Layout,
    beta: T,
    c: &mut [T],
    lc: Layout,
) -> Result<(), ShapeError> {
    check(la, a.len(), lb, b.len(), lc, c.len())?;
    let at = |l: Layout, i: usize, j: usize| (i as isize * l.rs + j as isize * l.cs) as usize;
    for i in 0..lc.rows {
        for j in 0..lc.cols {
            let mut s = 0.0f64;
            for p in 0..la.cols {
                s += a[at(la, i, p)].to_f64() * b[at(lb, p, j)].to_f64();
            }
            let old = if beta == T::ZERO {
                0.0
            } else {
                beta.to_f64() * c[at(lc, i, j)].to_f64()
            };
            c[at(lc, i, j)] = T::from_f64(alpha.to_f64() * s + old);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integer-valued inputs make the exact answer representable; NaN-poisoned outputs
    /// show beta = 0 ignores old contents; sizes straddle the kernels' block sizes.
    #[test]
    fn fast_equals_naive_on_integer_inputs_with_transposes() {
        let mut seed = 12345u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ((seed % 7) as f32) - 3.0
        };
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 7),
            (17, 33, 9),
            (64, 64, 64),
            (65, 31, 129),
            (1, 200, 1),
        ] {
            for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
                let a: Vec<f32> = (0..m * k).map(|_| next()).collect();
                let b: Vec<f32> = (0..k * n).map(|_| next()).collect();
                let la = if ta {
                    Layout::row_major(k, m).t()
                } else {
                    Layout::row_major(m, k)
                };
                let lb = if tb {
                    Layout::row_major(n, k).t()
                } else {
                    Layout::row_major(k, n)
                };
                let lc = Layout::row_major(m, n);
                let mut fast = vec![f32::NAN; m * n];
                let mut slow = vec![f32::NAN; m * n];
                gemm(1.0, &a, la, &b, lb, 0.0, &mut fast, lc).unwrap();
                gemm_naive(1.0, &a, la, &b, lb, 0.0, &mut slow, lc).unwrap();
                assert_eq!(fast, slow, "m={m} k={k} n={n} ta={ta} tb={tb}");
            }
        }
    }

    #[test]
    fn beta_one_accumulates() {
        let a = [1.0f64, 2.0, 3.0, 4.0];
        let b = [1.0f64, 0.0, 0.0, 1.0];
        let mut c = [10.0f64; 4];
        gemm(
            1.0,
            &a,
            Layout::row_major(2, 2),
            &b,
            Layout::row_major(2, 2),
            1.0,
            &mut c,
            Layout::row_major(2, 2),
        )
        .unwrap();
        assert_eq!(c, [11.0, 12.0, 13.0, 14.0]);
    }

    #[test]
    fn refuses_layouts_outside_the_slice() {
        let a = [0.0f32; 5];
        let b = [0.0f32; 6];
        let mut c = [0.0f32; 6];
        assert!(gemm(
            1.0,
            &a,
            Layout::row_major(2, 3),
            &b,
            Layout::row_major(3, 2),
            0.0,
            &mut c,
            Layout::row_major(2, 2)
        )
        .is_err());
    }
}
