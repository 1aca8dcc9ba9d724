//! The fused training pass: forward, loss gradient and backward of each 512-row chunk in
//! one go, on the thread that owns the chunk, while its activations are still in cache.
//!
//! [`Network::forward`] then [`Network::backward`] run the whole batch forward before
//! any of it backward, so at large batches the activations of the first chunks have left
//! the cache (or were never kept, and are recomputed) by the time backward reads them.
//! [`Network::forward_backward`] instead runs, per chunk: the chunk's forward into the
//! thread's own scratch cache, then a caller's closure that turns the chunk's outputs
//! into the upstream gradients dL/dz (and dL/dz_d, dL/dm for the heads), then the
//! chunk's backward into its own gradient buffer. The chunk gradients are summed in
//! chunk order exactly as [`Network::backward`] sums them, so the result is the same bit
//! for bit for any thread count, and bit for bit the same as forward then backward when
//! the closure computes the same per-row values.
//!
//! The closure must be row-local: the gradient of row i may depend on row i's outputs
//! and on constants fixed before the pass (the set-level normalisation N / (|B| W) of
//! [`crate::loss`]), not on other rows. Weighted BCE is; the histogram losses are not
//! (their gradient needs the whole batch's histograms) and go through forward, loss,
//! backward instead.

use rayon::prelude::*;
use rootgrad_kernels::gemm::Gemm;
use rootgrad_kernels::Real;

use super::chunk::{backward_chunk, forward_chunk};
use super::linear::pack_transposed;
use super::mlp::{give, n_chunks, reduce_in_order, take};
use super::{Mode, Network, Workspace, CHUNK_ROWS};
use crate::loss::bce::{bce_grad_factor, bce_row_grad, bce_row_loss};
use crate::loss::BatchNorm;
use crate::{Error, Result};

/// One chunk's outputs, handed to the loss-gradient closure.
#[derive(Debug, Clone, Copy)]
pub struct ChunkOutputs<'a, T> {
    /// Index of the chunk's first row in the batch.
    pub row0: usize,
    /// The output layer's values z of the chunk's rows: [`Network::outputs`] per row,
    /// row-major (`rows * outputs`; the classifier logits, one per row).
    pub z: &'a [T],
    /// Domain logits z_d of the chunk's rows (empty without a domain head).
    pub domain: &'a [T],
    /// Mass outputs m of the chunk's rows (empty without a mass head).
    pub mass: &'a [T],
}

/// Where the closure writes the upstream gradients of the chunk's rows. Each slice
/// arrives zeroed and as long as the matching output of [`ChunkOutputs`] (`dz`: rows *
/// outputs, row-major; the heads: rows, or empty for an absent head); the closure adds
/// into it, as every loss backward does.
#[derive(Debug)]
pub struct ChunkUpstream<'a, T> {
    /// dL/dz, `rows * outputs` values.
    pub dz: &'a mut [T],
    /// dL/dz_d, before the reversal.
    pub ddomain: &'a mut [T],
    /// dL/dm, before the reversal.
    pub dmass: &'a mut [T],
    /// Each row's contribution to the loss value, for the caller to sum in row order
    /// afterwards ([`Workspace::row_loss`]); zeroed, in f64.
    pub loss: &'a mut [f64],
}

/// Fills one chunk's input rows: `fill(row0, rows)` writes rows `row0 ..` of the batch
/// into `rows` (a whole number of rows, every element written), from `row0` and the
/// slice's length alone.
pub type FillRows<'a, T> = &'a (dyn Fn(usize, &mut [T]) + Sync);

/// The input rows of a fused pass, (batch, inputs) row-major.
pub enum BatchInput<'a, T> {
    /// The rows, ready.
    Rows(&'a [T]),
    /// A buffer for the rows and the function that fills them chunk by chunk: each
    /// chunk's rows are written by [`FillRows`] on the thread that runs the chunk, just
    /// before its forward, so a shuffled batch's gather needs no parallel region of its
    /// own and its rows are in that core's cache when the first layer reads them. The
    /// values are whatever `fill` writes, so the pass's result is the same bits as with
    /// [`BatchInput::Rows`] of the same rows.
    Fill(&'a mut [T], FillRows<'a, T>),
}

/// The labels and signed weights of a batch's rows: row i's are `y[i]`, `w[i]`, or with
/// `idx`, `y[idx[i]]`, `w[idx[i]]` (a shuffled batch's rows looked up in the whole set's
/// arrays by the chunk that needs them, rather than gathered beforehand on one thread).
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a, T> {
    pub y: &'a [T],
    pub w: &'a [T],
    pub idx: Option<&'a [u32]>,
}

/// One chunk's part of a [`BatchInput`].
enum XPart<'a, T> {
    Ready(&'a [T]),
    Fill(&'a mut [T]),
}

impl<'a, T> BatchInput<'a, T> {
    fn len(&self) -> usize {
        match self {
            BatchInput::Rows(x) => x.len(),
            BatchInput::Fill(x, _) => x.len(),
        }
    }

    /// The parts of `size` elements (the last may be shorter), and the fill function.
    #[allow(clippy::type_complexity)]
    fn into_chunks(
        self,
        size: usize,
    ) -> (
        Box<dyn Iterator<Item = XPart<'a, T>> + 'a>,
        Option<FillRows<'a, T>>,
    ) {
        let size = size.max(1);
        match self {
            BatchInput::Rows(x) => (Box::new(x.chunks(size).map(XPart::Ready)), None),
            BatchInput::Fill(x, f) => (Box::new(x.chunks_mut(size).map(XPart::Fill)), Some(f)),
        }
    }
}

impl Network {
    /// Adds dL/dparams into `grad` for the batch `x`, running forward, `loss_grad` and
    /// backward chunk by chunk (see the module doc). Leaves the outputs of the whole
    /// batch in `ws.z`, `ws.domain` and `ws.mass`, so the caller can evaluate the loss
    /// afterwards. `lambdas` are lambda_G and lambda_M of the reversal layers.
    ///
    /// A workspace made by [`Workspace::for_fused`] keeps no activations of its own (this
    /// pass needs one chunk's per thread); any workspace for this batch size works.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_backward<T, F>(
        &self,
        grad: &mut [T],
        ws: &mut Workspace<T>,
        params: &[T],
        x: &[T],
        mode: Mode,
        lambdas: (f64, f64),
        loss_grad: F,
    ) -> Result<()>
    where
        T: Gemm,
        F: Fn(&ChunkOutputs<T>, &mut ChunkUpstream<T>) + Sync,
    {
        let input = BatchInput::Rows(x);
        self.forward_backward_input(grad, ws, params, input, mode, lambdas, loss_grad)
    }

    /// [`Network::forward_backward`] with the batch's rows given as a [`BatchInput`]:
    /// ready, or filled chunk by chunk on the thread that runs the chunk.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_backward_input<T, F>(
        &self,
        grad: &mut [T],
        ws: &mut Workspace<T>,
        params: &[T],
        input: BatchInput<'_, T>,
        mode: Mode,
        lambdas: (f64, f64),
        loss_grad: F,
    ) -> Result<()>
    where
        T: Gemm,
        F: Fn(&ChunkOutputs<T>, &mut ChunkUpstream<T>) + Sync,
    {
        self.check_len("the gradient buffer", grad.len(), self.num_params())?;
        self.check_len("the parameter buffer", params.len(), self.num_params())?;
        self.check_len(
            "the input batch",
            input.len(),
            ws.batch * self.spec().inputs,
        )?;
        ws.check_for(self)?;
        for (name, l) in [("lambda_domain", lambdas.0), ("lambda_mass", lambdas.1)] {
            if !l.is_finite() {
                return Err(Error::Usage(format!("{name} = {l} is not a finite number")));
            }
        }
        let dropout = self.dropout_of(mode);
        let (layers, wires, inputs) = (self.layers(), &self.wires[..], self.spec().inputs);
        let lambdas = [T::from_f64(lambdas.0), T::from_f64(lambdas.1)];
        let outs = [Some(self.classifier), self.domain_out, self.mass_out];
        let batch = ws.batch;
        let nc = n_chunks(batch);
        let wave = ws.grads.len();
        ws.row_loss.resize(batch, 0.0);
        pack_transposed(&mut ws.wt, params, layers);
        let Workspace {
            z,
            domain,
            mass,
            pool,
            grads,
            row_loss,
            wt,
            ..
        } = ws;
        let mut ls = row_loss.chunks_mut(CHUNK_ROWS);
        let q = self.outputs();
        let mut zs = z.chunks_mut(CHUNK_ROWS * q);
        let mut ds = domain.chunks_mut(CHUNK_ROWS);
        let mut ms = mass.chunks_mut(CHUNK_ROWS);
        let (mut xs, fill) = input.into_chunks(CHUNK_ROWS * inputs);
        let mut start = 0;
        while start < nc {
            let count = wave.min(nc - start);
            let jobs: Vec<_> = grads[..count]
                .iter_mut()
                .enumerate()
                .map(|(k, g)| {
                    let outs = [zs.next(), ds.next(), ms.next()];
                    (start + k, g, outs, ls.next(), xs.next())
                })
                .collect();
            jobs.into_par_iter().for_each(|(c, g, dst, loss, xpart)| {
                let row0 = c * CHUNK_ROWS;
                let rows = CHUNK_ROWS.min(batch - row0);
                // the chunk's input rows, gathered here first when the caller asks
                let xc: &[T] = match (xpart, fill) {
                    (Some(XPart::Fill(buf)), Some(f)) => {
                        f(row0, &mut *buf);
                        buf
                    }
                    (Some(XPart::Ready(rows)), _) => rows,
                    _ => &[],
                };
                let mut s = take(pool, layers, wires, true, dropout.is_some());
                let Some(mut cache) = s.cache.take() else {
                    return;
                };
                forward_chunk(
                    &mut cache, params, wt, xc, layers, wires, dropout, row0, rows,
                );
                // the chunk's outputs: copied out for the caller, and read by the loss
                let mut out: [&[T]; 3] = [&[], &[], &[]];
                for ((o, l), dst) in out.iter_mut().zip(outs).zip(dst) {
                    if let Some(l) = l {
                        // rows * width: the output layer has `outputs` per row
                        let y = &cache.y[l][..rows * layers[l].out];
                        if let Some(dst) = dst {
                            dst.copy_from_slice(y);
                        }
                        *o = y;
                    }
                }
                let mut bufs = std::mem::take(&mut s.up);
                let [uz, ud, um] = &mut bufs;
                let mut up = ChunkUpstream {
                    dz: &mut uz[..rows * q],
                    ddomain: &mut ud[..if outs[1].is_some() { rows } else { 0 }],
                    dmass: &mut um[..if outs[2].is_some() { rows } else { 0 }],
                    loss: loss.unwrap_or_default(),
                };
                up.loss.fill(0.0);
                up.dz.fill(T::ZERO);
                up.ddomain.fill(T::ZERO);
                up.dmass.fill(T::ZERO);
                let chunk = ChunkOutputs {
                    row0,
                    z: out[0],
                    domain: out[1],
                    mass: out[2],
                };
                // dL/d(outputs) of this chunk's rows, from the caller's loss
                loss_grad(&chunk, &mut up);
                let mut seeds = [(0, None); 3];
                let ups: [&[T]; 3] = [up.dz, up.ddomain, up.dmass];
                for (seed, (l, u)) in seeds.iter_mut().zip(outs.iter().zip(ups)) {
                    if let Some(l) = l {
                        *seed = (*l, Some(u));
                    }
                }
                g.fill(T::ZERO);
                backward_chunk(g, &mut s, &cache, params, xc, layers, wires, seeds, lambdas);
                s.cache = Some(cache);
                s.up = bufs;
                give(pool, s);
            });
            // grad[e] += g_start[e] + ... in chunk order
            reduce_in_order(grad, &grads[..count]);
            start += count;
        }
        Ok(())
    }

    /// One fused pass of the weighted BCE classifier loss: adds dL_C/dparams into `grad`
    /// and returns L_C, for labels `y` and signed weights `w` of the batch `x`, with the
    /// training set's normalisation `norm` (for this batch's size). The per-row gradient
    /// is [`crate::loss::bce_backward`]'s, the same function ([`bce_row_grad`]):
    /// `dz_i += (N / (|B| W)) w_i (sigmoid(z_i) - y_i)`, the same bits; L_C is
    /// [`crate::loss::bce_forward`]'s value, the same bits: each row's `w_i l_i`
    /// ([`bce_row_loss`]) is computed in the chunk's pass, in parallel, and summed in
    /// row order in f64.
    #[allow(clippy::too_many_arguments)]
    pub fn train_step_bce<T: Gemm>(
        &self,
        grad: &mut [T],
        ws: &mut Workspace<T>,
        params: &[T],
        x: &[T],
        y: &[T],
        w: &[T],
        norm: &BatchNorm,
        mode: Mode,
    ) -> Result<f64> {
        let input = BatchInput::Rows(x);
        let labels = Labels { y, w, idx: None };
        self.train_step_bce_input(grad, ws, params, input, labels, norm, mode)
    }

    /// [`Network::train_step_bce`] with the batch's rows given as a [`BatchInput`] (the
    /// trainer's shuffled batches: each chunk's rows gathered by the thread that runs
    /// the chunk, just before its forward).
    #[allow(clippy::too_many_arguments)]
    pub fn train_step_bce_input<T: Gemm>(
        &self,
        grad: &mut [T],
        ws: &mut Workspace<T>,
        params: &[T],
        input: BatchInput<'_, T>,
        labels: Labels<'_, T>,
        norm: &BatchNorm,
        mode: Mode,
    ) -> Result<f64> {
        if self.outputs() != 1 {
            return Err(Error::Usage(format!(
                "network: the weighted BCE step needs a classifier (1 output per row); this \
                 network has {} outputs",
                self.outputs()
            )));
        }
        let batch = ws.batch;
        let Labels { y, w, idx } = labels;
        match idx {
            None => {
                self.check_len("the labels", y.len(), batch)?;
                self.check_len("the weights", w.len(), batch)?;
            }
            Some(idx) => {
                self.check_len("the label indices", idx.len(), batch)?;
                self.check_len("the weights", w.len(), y.len())?;
                if let Some(&i) = idx.iter().find(|&&i| i as usize >= y.len()) {
                    return Err(Error::Usage(format!(
                        "network: label index {i} is past the {} labels",
                        y.len()
                    )));
                }
            }
        }
        if norm.batch_len() != batch {
            return Err(Error::Usage(format!(
                "network: the loss normalisation is for batches of {} events, this batch \
                 has {batch}",
                norm.batch_len()
            )));
        }
        // dL/dL_C * N / (|B| W), as bce_backward forms it (scale 1)
        let c: T = bce_grad_factor(norm, 1.0);
        self.forward_backward_input(grad, ws, params, input, mode, (0.0, 0.0), |o, up| {
            for (i, (dz, &z)) in up.dz.iter_mut().zip(o.z).enumerate() {
                let r = idx.map_or(o.row0 + i, |idx| idx[o.row0 + i] as usize);
                // w_i l_i, l_i = softplus(z_i) - y_i z_i: summed in row order below
                up.loss[i] = bce_row_loss(z, y[r], w[r]);
                // dz_i += c w_i (sigmoid(z_i) - y_i)
                *dz += bce_row_grad(z, y[r], w[r], c);
            }
        })?;
        // L_C = N / (|B| W) * sum_i w_i l_i, summed in row order as bce_forward sums
        let mut sum = 0.0f64;
        for &v in ws.row_loss() {
            sum += v;
        }
        Ok(norm.factor() * sum)
    }
}

impl<T: Real> Workspace<T> {
    /// A workspace for [`Network::forward_backward`]: outputs and per-thread scratch
    /// only, no batch-wide activation cache (the same as `with_caching(net, batch,
    /// false)`).
    pub fn for_fused(net: &Network, batch: usize) -> Workspace<T> {
        Workspace::with_caching(net, batch, false)
    }

    /// The per-row loss contributions the last [`Network::forward_backward`]'s closure
    /// wrote ([`ChunkUpstream::loss`]), one per row of the batch.
    pub fn row_loss(&self) -> &[f64] {
        &self.row_loss
    }
}
