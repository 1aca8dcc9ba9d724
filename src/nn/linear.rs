//! Dense layer pieces, forward beside backward: the affine map `out = inp W^T + b` and
//! the element-wise activation (fused with the bias add, from `rootgrad_kernels::act`).
//!
//! Forward, for a batch of B rows:
//!   out[i,o] = sum_k inp[i,k] W[o,k] + b[o]                     (linear_forward)
//!   y[i,o]   = act(pre[i,o]),  pre = inp W^T + b                (act_forward)
//! Backward, given dout = dL/dout (B, OUT):
//!   dW[o,k] += sum_i dout[i,o] inp[i,k]     i.e. dW += dout^T inp
//!   dinp[i,k] += sum_o dout[i,o] W[o,k]     i.e. dinp += dout W
//!   db[o]   += sum_i dout[i,o]              (column sums of dout)
//!   dpre[i,o] = dy[i,o] act'(pre[i,o])      (act_backward; also adds db += sum_i dpre)
//! Each matrix product is one call into `rootgrad_kernels::small` (`gemm_nt`, `gemm_tn`,
//! `gemm_nn`: hand AVX-512 tiles for at most 64 output columns in f32, without packing
//! the activations; one strided [`gemm`] otherwise); the backward products accumulate,
//! so they add into the gradients as every backward in rootgrad does. The maths is derived in docs/maths.md (the network).

use rootgrad_kernels::gemm::{gemm, Gemm, Layout, ShapeError};
use rootgrad_kernels::{act, small, Act, Real};

use super::params::Dense;

/// One strided product; the layouts were checked against the sizes by the caller, so a
/// failure here is a bug in rootgrad, not in anyone's input.
#[allow(clippy::too_many_arguments)]
fn mm<T: Gemm>(
    alpha: T,
    a: &[T],
    la: Layout,
    b: &[T],
    lb: Layout,
    beta: T,
    c: &mut [T],
    lc: Layout,
) {
    if let Err(e) = gemm(alpha, a, la, b, lb, beta, c, lc) {
        panic!("rootgrad nn: internal shape error: {}", e.0);
    }
}

/// [`mm`] for the small-product kernels' results.
fn ok(r: std::result::Result<(), ShapeError>) {
    if let Err(e) = r {
        panic!("rootgrad nn: internal shape error: {}", e.0);
    }
}

/// `out = inp W^T (+ b)`. With `bias = None` the bias is left for [`act_forward`] to add
/// fused with the activation (how the network uses it). `out`'s old contents are ignored.
#[allow(clippy::too_many_arguments)]
pub fn linear_forward<T: Gemm>(
    out: &mut [T],
    inp: &[T],
    weight: &[T],
    bias: Option<&[T]>,
    b: usize,
    inp_dim: usize,
    out_dim: usize,
) {
    // inp is (B, IN), weight is (OUT, IN), bias is (OUT), out is (B, OUT)
    assert_eq!(inp.len(), b * inp_dim, "linear_forward: inp");
    assert_eq!(weight.len(), out_dim * inp_dim, "linear_forward: weight");
    assert_eq!(out.len(), b * out_dim, "linear_forward: out");
    if out_dim == 1 {
        // one output unit (the classifier and head outputs): out[i] = inp[i,:] . w, a
        // matrix-vector product that gemm would pay a full packing of inp for
        for (o, row) in out.iter_mut().zip(inp.chunks_exact(inp_dim)) {
            *o = dot(row, weight);
        }
    } else {
        // out = inp (B, IN) x W^T (IN, OUT): the small-product kernel (no packing of
        // inp) for OUT <= 64 in f32 on AVX-512, one strided gemm otherwise
        ok(small::gemm_nt(inp, weight, out, b, inp_dim, out_dim));
    }
    if let Some(bias) = bias {
        assert_eq!(bias.len(), out_dim, "linear_forward: bias");
        for row in out.chunks_exact_mut(out_dim) {
            for (o, &bo) in row.iter_mut().zip(bias) {
                *o += bo;
            }
        }
    }
}

/// Adds the gradients of `out = inp W^T + b` given `dout = dL/dout`:
/// `dweight += dout^T inp`, `dinp += dout W` (skipped when `dinp` is None: the first
/// layer's input needs no gradient), `dbias += column sums of dout` (skipped when None:
/// [`act_backward`] already added them).
#[allow(clippy::too_many_arguments)]
pub fn linear_backward<T: Gemm>(
    dinp: Option<&mut [T]>,
    dweight: &mut [T],
    dbias: Option<&mut [T]>,
    dout: &[T],
    inp: &[T],
    weight: &[T],
    b: usize,
    inp_dim: usize,
    out_dim: usize,
) {
    let dinp = dinp.map(|d| (d, Accumulate::Add));
    linear_backward_into(dinp, dweight, dbias, dout, inp, weight, b, inp_dim, out_dim);
}

/// Whether a backward adds into an input gradient or writes it (its first
/// contribution, which saves zeroing the buffer and reading it back; `0 + x` and `x`
/// are the same number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accumulate {
    Add,
    Overwrite,
}

/// [`linear_backward`] with the choice of adding into `dinp` or overwriting it.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward_into<T: Gemm>(
    dinp: Option<(&mut [T], Accumulate)>,
    dweight: &mut [T],
    dbias: Option<&mut [T]>,
    dout: &[T],
    inp: &[T],
    weight: &[T],
    b: usize,
    inp_dim: usize,
    out_dim: usize,
) {
    // dout is (B, OUT), inp is (B, IN), weight is (OUT, IN); dinp (B, IN), dweight (OUT, IN)
    assert_eq!(dout.len(), b * out_dim, "linear_backward: dout");
    assert_eq!(inp.len(), b * inp_dim, "linear_backward: inp");
    assert_eq!(weight.len(), out_dim * inp_dim, "linear_backward: weight");
    assert_eq!(dweight.len(), out_dim * inp_dim, "linear_backward: dweight");
    if out_dim == 1 {
        return linear_backward_one(dinp, dweight, dbias, dout, inp, weight, inp_dim);
    }
    let l_dout = Layout::row_major(b, out_dim);
    // dL/dW[o,k] = sum_i dout[i,o] inp[i,k]: dweight += dout^T (OUT, B) x inp (B, IN),
    // rows summed in order (small-product kernel for IN <= 64, else strided gemm)
    ok(small::gemm_tn(
        dout, inp, dweight, b, out_dim, inp_dim, true,
    ));
    if let Some((dinp, into)) = dinp {
        assert_eq!(dinp.len(), b * inp_dim, "linear_backward: dinp");
        // dL/dinp[i,k] = sum_o dout[i,o] W[o,k]: dinp (+)= dout (B, OUT) x W (OUT, IN)
        let add = into == Accumulate::Add;
        ok(small::gemm_nn(
            dout, out_dim, weight, dinp, b, out_dim, inp_dim, add,
        ));
    }
    if let Some(dbias) = dbias {
        assert_eq!(dbias.len(), out_dim, "linear_backward: dbias");
        // dL/db[o] = sum_i dout[i,o]: dbias (1, OUT) += ones (1, B) x dout (B, OUT), the
        // row of ones being one element read with stride 0.
        let one = [T::ONE];
        let ones = Layout {
            rows: 1,
            cols: b,
            rs: 0,
            cs: 0,
        };
        mm(
            T::ONE,
            &one,
            ones,
            dout,
            l_dout,
            T::ONE,
            dbias,
            Layout::row_major(1, out_dim),
        );
    }
}

/// `a . b`, summed in eight interleaved lanes (a fixed order that vectorises).
#[inline]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut lanes = [T::ZERO; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    let mut s = T::ZERO;
    for (x, y) in ra.iter().zip(rb) {
        s += *x * *y;
    }
    for l in lanes {
        s += l;
    }
    s
}

/// [`linear_backward`] for one output unit, without gemm's packing: the same sums,
/// rows in order.
fn linear_backward_one<T: Real>(
    dinp: Option<(&mut [T], Accumulate)>,
    dweight: &mut [T],
    dbias: Option<&mut [T]>,
    dout: &[T],
    inp: &[T],
    weight: &[T],
    inp_dim: usize,
) {
    // dout is (B, 1), inp is (B, IN), weight is (1, IN)
    for (&g, row) in dout.iter().zip(inp.chunks_exact(inp_dim)) {
        // dL/dW[0,k] += dout[i] inp[i,k]
        for (dw, &x) in dweight.iter_mut().zip(row) {
            *dw += g * x;
        }
    }
    if let Some((dinp, into)) = dinp {
        assert_eq!(dinp.len(), inp.len(), "linear_backward: dinp");
        for (&g, drow) in dout.iter().zip(dinp.chunks_exact_mut(inp_dim)) {
            // dL/dinp[i,k] (+)= dout[i] W[0,k]
            for (di, &w) in drow.iter_mut().zip(weight) {
                *di = if into == Accumulate::Add {
                    *di + g * w
                } else {
                    g * w
                };
            }
        }
    }
    if let Some(dbias) = dbias {
        assert_eq!(dbias.len(), 1, "linear_backward: dbias");
        // dL/db += sum_i dout[i]
        for &g in dout {
            dbias[0] += g;
        }
    }
}

/// A dense layer's forward into the cache: `pre = inp W^T + b`, `y = act(pre)`, with
/// W given transposed, `wt` (IN, OUT) row-major ([`pack_transposed`]). For more than
/// one output unit this is one pass of the fused small-product kernel (bias and
/// ReLU/identity applied to each tile in registers); for one, [`linear_forward`]
/// (W^T and W are the same (1, IN) row) then [`act_forward`].
#[allow(clippy::too_many_arguments)]
pub fn linear_act_forward<T: Gemm>(
    pre: &mut [T],
    y: &mut [T],
    inp: &[T],
    wt: &[T],
    bias: &[T],
    b: usize,
    inp_dim: usize,
    out_dim: usize,
    a: Act,
) {
    // inp is (B, IN), wt is (IN, OUT), bias is (OUT), pre and y are (B, OUT)
    if out_dim == 1 {
        linear_forward(pre, inp, wt, None, b, inp_dim, out_dim);
        act_forward(y, pre, bias, out_dim, a);
    } else {
        ok(small::linear_act_forward_wt(
            pre, y, inp, wt, bias, b, inp_dim, out_dim, a,
        ));
    }
}

/// `wt` = the parameter buffer with each layer's weight (OUT, IN) replaced by its
/// transpose (IN, OUT), at the same offsets: packed once per pass, read by every chunk's
/// forward ([`linear_act_forward`]).
pub(crate) fn pack_transposed<T: Real>(wt: &mut Vec<T>, params: &[T], layers: &[Dense]) {
    wt.clear();
    wt.extend_from_slice(params);
    for d in layers {
        let (w, _) = d.slices(params);
        let (t, _) = d.slices_mut(&mut wt[..]);
        ok(small::transpose_into(t, w, d.out, d.inp));
    }
}

/// `pre += b` (row by row), then `y = act(pre)`. `y`'s old contents are ignored.
pub fn act_forward<T: Real>(y: &mut [T], pre: &mut [T], bias: &[T], out_dim: usize, a: Act) {
    // pre is (B, OUT), bias is (OUT), y is (B, OUT)
    act::bias_act_forward(pre, y, bias, out_dim, a);
}

/// `dpre = dy * act'(pre)` (overwritten: dpre has this one contribution) and
/// `dbias += sum_i dpre[i, :]`, rows in order.
pub fn act_backward<T: Real>(
    dpre: &mut [T],
    dbias: &mut [T],
    dy: &[T],
    pre: &[T],
    y: &[T],
    out_dim: usize,
    a: Act,
) {
    // dy, pre, y, dpre are (B, OUT), dbias is (OUT)
    // dL/dpre = dL/dy * act'(pre), written with y = act(pre) where that is cheaper
    act::act_backward(dpre, dbias, dy, pre, y, out_dim, a);
}
