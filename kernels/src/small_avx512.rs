//! The AVX-512 tiles behind `small`'s products: every `unsafe` intrinsic of the small
//! kernels, reached only through the checked entry points in `small.rs` after a
//! run-time feature check.

use std::arch::x86_64::*;

use super::ROW_BLOCK;

/// Masks of the NV vectors covering n columns (the last one partial).
#[inline]
#[target_feature(enable = "avx512f")]
fn masks<const NV: usize>(n: usize) -> [__mmask16; NV] {
    let mut m = [0xffffu16; NV];
    let rem = n - 16 * (NV - 1);
    m[NV - 1] = if rem >= 16 { 0xffff } else { (1u16 << rem) - 1 };
    m
}

/// What a tile does with its sums before storing them (the `E` of the kernels).
pub const PLAIN: u8 = 0;
/// `c = sum + bias`, `y = c` (identity activation).
pub const BIAS_ID: u8 = 1;
/// `c = sum + bias`, `y = max(c, 0)` as `c > 0 ? c : 0` (ReLU).
pub const BIAS_RELU: u8 = 2;
/// `c = sum * 1` (identity derivative), `dbias += c` row by row.
pub const D_ID: u8 = 3;
/// `c = sum * (pre > 0 ? 1 : 0)` (ReLU derivative), `dbias += c` row by row.
pub const D_RELU: u8 = 4;

/// The extra operands of an epilogue: `bias`/`dbias` (n), `y`/`pre` (m, n) row-major
/// like C. Unused pointers may be null.
#[derive(Clone, Copy)]
pub struct Epi {
    pub bias: *const f32,
    pub y: *mut f32,
    pub pre: *const f32,
    pub dbias: *mut f32,
}

impl Epi {
    pub const NONE: Epi = Epi {
        bias: std::ptr::null(),
        y: std::ptr::null_mut(),
        pre: std::ptr::null(),
        dbias: std::ptr::null_mut(),
    };
    /// The same operands `rows` rows further down (row stride n).
    #[inline]
    fn down(self, rows: usize, n: usize) -> Epi {
        Epi {
            bias: self.bias,
            y: self.y.wrapping_add(rows * n),
            pre: self.pre.wrapping_add(rows * n),
            dbias: self.dbias,
        }
    }
}

/// One tile: rows `0..R` of C (row stride n) from rows of A (`lda` apart, `k` used)
/// and B (k, n). `acc`: start from C's contents, else from zero. Then epilogue `E`.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn nn_tile<const NV: usize, const R: usize, const E: u8>(
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    n: usize,
    k: usize,
    mk: &[__mmask16; NV],
    acc: bool,
    ep: Epi,
) {
    // SAFETY (whole body): the caller guarantees rows 0..R of A and C (and of y, pre
    // when E uses them), all k rows of B and n elements of bias/dbias are in bounds;
    // masked lanes are neither read nor written.
    unsafe {
        let mut s = [[_mm512_setzero_ps(); NV]; R];
        if acc {
            for (r, sr) in s.iter_mut().enumerate() {
                for (v, sv) in sr.iter_mut().enumerate() {
                    *sv = _mm512_maskz_loadu_ps(mk[v], c.add(r * n + v * 16));
                }
            }
        }
        for p in 0..k {
            let mut bv = [_mm512_setzero_ps(); NV];
            for (v, x) in bv.iter_mut().enumerate() {
                *x = _mm512_maskz_loadu_ps(mk[v], b.add(p * n + v * 16));
            }
            for (r, sr) in s.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*a.add(r * lda + p));
                for (sv, x) in sr.iter_mut().zip(bv) {
                    *sv = _mm512_fmadd_ps(av, x, *sv);
                }
            }
        }
        let zero = _mm512_setzero_ps();
        let one = _mm512_set1_ps(1.0);
        if E == BIAS_ID || E == BIAS_RELU {
            for v in 0..NV {
                let bias = _mm512_maskz_loadu_ps(mk[v], ep.bias.add(v * 16));
                for (r, sr) in s.iter_mut().enumerate() {
                    // pre = inp W^T + b
                    sr[v] = _mm512_add_ps(sr[v], bias);
                    let y = if E == BIAS_RELU {
                        // relu(pre) = pre > 0 ? pre : 0 (vmaxps returns its second
                        // operand, 0, for NaN and for -0)
                        _mm512_max_ps(sr[v], zero)
                    } else {
                        sr[v]
                    };
                    _mm512_mask_storeu_ps(ep.y.add(r * n + v * 16), mk[v], y);
                }
            }
        }
        if E == D_ID || E == D_RELU {
            for v in 0..NV {
                let mut db = _mm512_maskz_loadu_ps(mk[v], ep.dbias.add(v * 16));
                for (r, sr) in s.iter_mut().enumerate() {
                    if E == D_RELU {
                        // dpre = dy * act'(pre), act'(pre) = pre > 0 ? 1 : 0
                        let pre = _mm512_maskz_loadu_ps(mk[v], ep.pre.add(r * n + v * 16));
                        let pos = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(pre, zero);
                        let d = _mm512_mask_blend_ps(pos, zero, one);
                        sr[v] = _mm512_mul_ps(sr[v], d);
                    }
                    // dbias += dpre, rows in order
                    db = _mm512_add_ps(db, sr[v]);
                }
                _mm512_mask_storeu_ps(ep.dbias.add(v * 16), mk[v], db);
            }
        }
        for (r, sr) in s.iter().enumerate() {
            for (v, sv) in sr.iter().enumerate() {
                _mm512_mask_storeu_ps(c.add(r * n + v * 16), mk[v], *sv);
            }
        }
    }
}

/// Rows `0..m` of C in tiles of R rows, the last `m % R` rows one tile of that size.
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn nn_rows<const NV: usize, const R: usize, const E: u8>(
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    k: usize,
    n: usize,
    acc: bool,
    ep: Epi,
) {
    let mk = masks::<NV>(n);
    let mut i = 0;
    // SAFETY (whole body): every tile's rows lie in 0..m, as the caller guarantees.
    unsafe {
        while i + R <= m {
            let (ai, ci, ei) = (a.add(i * lda), c.add(i * n), ep.down(i, n));
            nn_tile::<NV, R, E>(ai, lda, b, ci, n, k, &mk, acc, ei);
            i += R;
        }
        let (a, c, ep) = (a.add(i * lda), c.add(i * n), ep.down(i, n));
        match m - i {
            0 => {}
            1 => nn_tile::<NV, 1, E>(a, lda, b, c, n, k, &mk, acc, ep),
            2 => nn_tile::<NV, 2, E>(a, lda, b, c, n, k, &mk, acc, ep),
            3 => nn_tile::<NV, 3, E>(a, lda, b, c, n, k, &mk, acc, ep),
            4 => nn_tile::<NV, 4, E>(a, lda, b, c, n, k, &mk, acc, ep),
            5 => nn_tile::<NV, 5, E>(a, lda, b, c, n, k, &mk, acc, ep),
            rest => {
                for r in 0..rest {
                    let (ar, cr, er) = (a.add(r * lda), c.add(r * n), ep.down(r, n));
                    nn_tile::<NV, 1, E>(ar, lda, b, cr, n, k, &mk, acc, er);
                }
            }
        }
    }
}

/// C (m, n) (+)= A (m, k; rows lda apart) B (k, n), then epilogue `E` with `ep`.
///
/// # Safety
/// A holds (m - 1) lda + k elements, B k n, C m n (and y, pre m n and bias, dbias n
/// when `E` uses them); 0 < n <= 64; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn nn<const E: u8>(
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    k: usize,
    n: usize,
    acc: bool,
    ep: Epi,
) {
    // SAFETY: forwarded.
    unsafe {
        match n.div_ceil(16) {
            1 => nn_rows::<1, 6, E>(a, lda, b, c, m, k, n, acc, ep),
            2 => nn_rows::<2, 6, E>(a, lda, b, c, m, k, n, acc, ep),
            3 => nn_rows::<3, 6, E>(a, lda, b, c, m, k, n, acc, ep),
            _ => nn_rows::<4, 6, E>(a, lda, b, c, m, k, n, acc, ep),
        }
    }
}

/// Rows `o0 .. o0 + R` of C (p, n) += A[i0..i1, o0..o0+R]^T B[i0..i1, :].
#[inline]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn tn_tile<const NV: usize, const R: usize>(
    a: *const f32,
    p: usize,
    b: *const f32,
    c: *mut f32,
    n: usize,
    rows: usize,
    mk: &[__mmask16; NV],
    acc: bool,
) {
    // SAFETY (whole body): the caller guarantees `rows` rows of A (row stride p,
    // columns 0..R from `a`) and B (row stride n) and rows 0..R of C are in bounds.
    unsafe {
        let mut s = [[_mm512_setzero_ps(); NV]; R];
        if acc {
            for (r, sr) in s.iter_mut().enumerate() {
                for (v, sv) in sr.iter_mut().enumerate() {
                    *sv = _mm512_maskz_loadu_ps(mk[v], c.add(r * n + v * 16));
                }
            }
        }
        for i in 0..rows {
            let mut bv = [_mm512_setzero_ps(); NV];
            for (v, x) in bv.iter_mut().enumerate() {
                *x = _mm512_maskz_loadu_ps(mk[v], b.add(i * n + v * 16));
            }
            for (r, sr) in s.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*a.add(i * p + r));
                for (sv, x) in sr.iter_mut().zip(bv) {
                    *sv = _mm512_fmadd_ps(av, x, *sv);
                }
            }
        }
        for (r, sr) in s.iter().enumerate() {
            for (v, sv) in sr.iter().enumerate() {
                _mm512_mask_storeu_ps(c.add(r * n + v * 16), mk[v], *sv);
            }
        }
    }
}

#[inline]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn tn_cols<const NV: usize, const R: usize>(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    m: usize,
    p: usize,
    n: usize,
    acc: bool,
) {
    let mk = masks::<NV>(n);
    let mut i0 = 0;
    let mut acc = acc;
    // SAFETY (whole body): each block's rows lie in 0..m and each tile's columns of
    // A (rows of C) in 0..p, as the caller guarantees.
    unsafe {
        while i0 < m {
            let rows = ROW_BLOCK.min(m - i0);
            let (ab, bb) = (a.add(i0 * p), b.add(i0 * n));
            let mut o = 0;
            while o + R <= p {
                tn_tile::<NV, R>(ab.add(o), p, bb, c.add(o * n), n, rows, &mk, acc);
                o += R;
            }
            let (ab, cc) = (ab.add(o), c.add(o * n));
            match p - o {
                0 => {}
                1 => tn_tile::<NV, 1>(ab, p, bb, cc, n, rows, &mk, acc),
                2 => tn_tile::<NV, 2>(ab, p, bb, cc, n, rows, &mk, acc),
                3 => tn_tile::<NV, 3>(ab, p, bb, cc, n, rows, &mk, acc),
                4 => tn_tile::<NV, 4>(ab, p, bb, cc, n, rows, &mk, acc),
                5 => tn_tile::<NV, 5>(ab, p, bb, cc, n, rows, &mk, acc),
                rest => {
                    for r in 0..rest {
                        let (ar, cr) = (ab.add(r), cc.add(r * n));
                        tn_tile::<NV, 1>(ar, p, bb, cr, n, rows, &mk, acc);
                    }
                }
            }
            // later row blocks add to what the earlier ones stored
            acc = true;
            i0 += rows;
        }
    }
}

/// C (p, n) (+)= A (m, p)^T B (m, n), rows summed in order.
///
/// # Safety
/// A holds m p elements, B m n, C p n; 0 < n <= 64; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
pub unsafe fn tn(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    m: usize,
    p: usize,
    n: usize,
    acc: bool,
) {
    // SAFETY: forwarded.
    unsafe {
        match n.div_ceil(16) {
            1 => tn_cols::<1, 6>(a, b, c, m, p, n, acc),
            2 => tn_cols::<2, 6>(a, b, c, m, p, n, acc),
            3 => tn_cols::<3, 6>(a, b, c, m, p, n, acc),
            _ => tn_cols::<4, 6>(a, b, c, m, p, n, acc),
        }
    }
}
