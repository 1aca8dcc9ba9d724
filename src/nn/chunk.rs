//! Forward and backward of the whole network over one chunk of at most
//! [`super::CHUNK_ROWS`] rows: the unit of work that runs on one rayon thread.
//!
//! A chunk's result depends only on its rows, the parameters and the dropout key,
//! never on the thread that runs it; its parameter gradient goes into its own buffer,
//! which [`super::Network::backward`] adds to the total in chunk order.
//!
//! Backward runs the layers in reverse network order (mass head, domain head,
//! classifier, hidden layers from last to first), which visits every consumer of a
//! hidden layer's output before that layer: `dy[l]` (the gradient of layer l's output)
//! collects `dpre[l+1] W[l+1]` from the next layer plus `-lambda * dgrl` from each head
//! that reads it.

use rootgrad_kernels::gemm::Gemm;
use rootgrad_kernels::Real;

use super::dropout::{dropout_backward, dropout_forward, DropoutKey};
use super::grl::grl_backward;
use rootgrad_kernels::small::linear_dact_backward;

use super::linear::{act_backward, linear_act_forward, linear_backward_into, Accumulate};
use super::params::Dense;
use super::spec::Part;

/// Where a dense layer's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    /// The batch's features.
    X,
    /// The output of layer `j` (after dropout, for a hidden layer in training).
    Layer(usize),
}

/// How one dense layer is wired into the network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wire {
    pub src: Src,
    /// Whether the layer applies dropout to its output (a shared hidden layer).
    pub hidden: bool,
    /// For the first layer of a head: which head (0 domain, 1 mass); its input
    /// gradient goes through the gradient reversal layer.
    pub grl: Option<usize>,
}

/// What a chunk's forward keeps for its backward: per dense layer, the pre-activation
/// and the activation; per hidden layer in training with dropout, the mask and the
/// dropped output. Buffers hold `cap` rows; a chunk uses the first `rows`.
pub(crate) struct Cache<T> {
    pub rows: usize,
    pub pre: Vec<Vec<T>>,
    pub y: Vec<Vec<T>>,
    pub mask: Vec<Vec<T>>,
    pub drop: Vec<Vec<T>>,
    /// Whether the last forward applied dropout (training with p > 0).
    pub dropped: bool,
}

impl<T: Real> Cache<T> {
    pub fn new(layers: &[Dense], wires: &[Wire], cap: usize, dropout: bool) -> Cache<T> {
        let buf = |w: usize| vec![T::ZERO; cap * w];
        let drop_buf = |l: usize| {
            if dropout && wires[l].hidden {
                buf(layers[l].out)
            } else {
                Vec::new()
            }
        };
        Cache {
            rows: 0,
            pre: layers.iter().map(|d| buf(d.out)).collect(),
            y: layers.iter().map(|d| buf(d.out)).collect(),
            mask: (0..layers.len()).map(drop_buf).collect(),
            drop: (0..layers.len()).map(drop_buf).collect(),
            dropped: false,
        }
    }
}

/// Backward scratch for one chunk, reused from chunk to chunk by one thread.
pub(crate) struct Scratch<T> {
    /// dL/d(output of layer l), as consumed downstream (after dropout).
    pub dy: Vec<Vec<T>>,
    /// dL/d(activation of layer l), before dropout (hidden layers with dropout).
    pub dact: Vec<Vec<T>>,
    /// dL/d(pre-activation of layer l).
    pub dpre: Vec<Vec<T>>,
    /// dL/d(output of head h's gradient reversal layer).
    pub dgrl: [Vec<T>; 2],
    /// A cache to recompute a chunk's forward into, for workspaces that keep none.
    pub cache: Option<Cache<T>>,
    /// The upstream gradients of the output layer (`cap * outputs`), domain and mass
    /// outputs (`cap` each) for one chunk, which the fused step ([`super::step`]) fills
    /// from the loss.
    pub up: [Vec<T>; 3],
    /// Per layer, whether backward has written its dy yet (first write overwrites).
    pub written: Vec<bool>,
    /// Per layer, whether its dpre (and bias gradient) was already computed, fused
    /// into the input-gradient product of the layer that consumes its output.
    pub dpre_done: Vec<bool>,
}

impl<T: Real> Scratch<T> {
    pub fn new(
        layers: &[Dense],
        wires: &[Wire],
        cap: usize,
        dropout: bool,
        recompute: bool,
    ) -> Self {
        let bufs = || {
            layers
                .iter()
                .map(|d| vec![T::ZERO; cap * d.out])
                .collect::<Vec<_>>()
        };
        let outputs = layers
            .iter()
            .find(|d| d.part == Part::Classifier)
            .map_or(1, |d| d.out);
        let grl_width = |h: usize| {
            wires
                .iter()
                .zip(layers)
                .find(|(w, _)| w.grl == Some(h))
                .map_or(0, |(_, d)| d.inp)
        };
        Scratch {
            dy: bufs(),
            dact: bufs(),
            dpre: bufs(),
            dgrl: [
                vec![T::ZERO; cap * grl_width(0)],
                vec![T::ZERO; cap * grl_width(1)],
            ],
            cache: recompute.then(|| Cache::new(layers, wires, cap, dropout)),
            up: [
                vec![T::ZERO; cap * outputs],
                vec![T::ZERO; cap],
                vec![T::ZERO; cap],
            ],
            written: Vec::with_capacity(layers.len()),
            dpre_done: Vec::with_capacity(layers.len()),
        }
    }
}

/// The input of layer `l` for the first `rows` rows.
fn input<'a, T>(
    x: &'a [T],
    y: &'a [Vec<T>],
    drop: &'a [Vec<T>],
    dropped: bool,
    wire: Wire,
    n: usize,
) -> &'a [T] {
    match wire.src {
        Src::X => x,
        Src::Layer(j) if dropped && !drop[j].is_empty() => &drop[j][..n],
        Src::Layer(j) => &y[j][..n],
    }
}

/// Forward of rows `row0 .. row0 + rows` (features `x`, (rows, inputs)) into `cache`;
/// `wt` is `params` with every weight transposed ([`super::linear::pack_transposed`]).
/// `dropout` is `Some((p, key))` in training with p > 0.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward_chunk<T: Gemm>(
    cache: &mut Cache<T>,
    params: &[T],
    wt: &[T],
    x: &[T],
    layers: &[Dense],
    wires: &[Wire],
    dropout: Option<(f64, DropoutKey)>,
    row0: usize,
    rows: usize,
) {
    cache.rows = rows;
    cache.dropped = dropout.is_some();
    for (l, (d, &wire)) in layers.iter().zip(wires).enumerate() {
        let (_, b) = d.slices(params);
        let (w_t, _) = d.slices(wt);
        let (n_in, n_out) = (rows * d.inp, rows * d.out);
        let (y_before, y_rest) = cache.y.split_at_mut(l);
        let inp = input(x, y_before, &cache.drop, cache.dropped, wire, n_in);
        let pre = &mut cache.pre[l][..n_out];
        let y = &mut y_rest[0][..n_out];
        // pre = inp W^T + b and y = act(pre), fused
        linear_act_forward(pre, y, inp, w_t, b, rows, d.inp, d.out, d.act);
        if let (true, Some((p, key))) = (wire.hidden, dropout) {
            // h = y * mask (inverted dropout)
            dropout_forward(
                &mut cache.drop[l][..n_out],
                &mut cache.mask[l][..n_out],
                y,
                p,
                key,
                l,
                row0,
                rows,
                d.out,
            );
        }
    }
}

/// Gradients wrt each output unit for one chunk: `(layer index, dL/d output)`.
pub(crate) type Seeds<'a, T> = [(usize, Option<&'a [T]>); 3];

/// Backward of one chunk: adds every parameter gradient into `grad` (the chunk's own
/// buffer, zeroed by the caller). `seeds` are the upstream gradients of the output
/// layer (rows * outputs, row-major), domain and mass outputs (rows each; None: zero); `lambdas` the reversal strengths of
/// the domain and mass heads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward_chunk<T: Gemm>(
    grad: &mut [T],
    s: &mut Scratch<T>,
    cache: &Cache<T>,
    params: &[T],
    x: &[T],
    layers: &[Dense],
    wires: &[Wire],
    seeds: Seeds<T>,
    lambdas: [T; 2],
) {
    let rows = cache.rows;
    // written[l]: whether dy[l] holds its first contribution yet; the first one
    // overwrites (no zeroing pass), later ones add
    let written = &mut s.written;
    written.clear();
    written.resize(layers.len(), false);
    // dL/dz, dL/dz_d, dL/dm from the losses seed the three output units
    for (l, seed) in seeds {
        if let Some(g) = seed {
            // rows * width values (the output layer has `outputs` per row)
            s.dy[l][..g.len()].copy_from_slice(g);
            written[l] = true;
        }
    }
    let done = &mut s.dpre_done;
    done.clear();
    done.resize(layers.len(), false);
    for l in (0..layers.len()).rev() {
        let d = &layers[l];
        let wire = wires[l];
        let (n_in, n_out) = (rows * d.inp, rows * d.out);
        let (w, _) = d.slices(params);
        let (dpre_before, dpre_rest) = s.dpre.split_at_mut(l);
        let dpre = &mut dpre_rest[0][..n_out];
        let (dy_before, dy_rest) = s.dy.split_at_mut(l);
        if !done[l] {
            if !written[l] {
                // nothing downstream of this layer's output: dL/dy = 0
                dy_rest[0][..n_out].fill(T::ZERO);
            }
            let mut dy: &[T] = &dy_rest[0][..n_out];
            if cache.dropped && wire.hidden {
                // dL/d(act) = dL/dh * mask
                dropout_backward(&mut s.dact[l][..n_out], dy, &cache.mask[l][..n_out]);
                dy = &s.dact[l][..n_out];
            }
            // dL/dpre = dL/dy * act'(pre); dL/db += sum over rows of dL/dpre
            let (_, gb) = d.slices_mut(grad);
            act_backward(
                dpre,
                gb,
                dy,
                &cache.pre[l][..n_out],
                &cache.y[l][..n_out],
                d.out,
                d.act,
            );
        }
        let dpre: &[T] = dpre;
        let inp = input(x, &cache.y, &cache.drop, cache.dropped, wire, n_in);
        let (gw, _) = d.slices_mut(grad);
        match (wire.src, wire.grl) {
            (Src::X, _) => {
                // dL/dW += dpre^T x; the features need no gradient
                linear_backward_into(None, gw, None, dpre, inp, w, rows, d.inp, d.out);
            }
            (Src::Layer(j), None) if fusable(j, wires, written, cache.dropped) => {
                // dL/dW += dpre^T inp
                linear_backward_into(None, gw, None, dpre, inp, w, rows, d.inp, d.out);
                // layer j's output feeds only this layer: dL/dy_j = dpre W is its whole
                // gradient, so go straight on to dL/dpre_j = (dpre W) * act_j'(pre_j)
                // and dL/db_j += sum over rows of dL/dpre_j, in one pass
                let dj = &layers[j];
                let (_, gb_j) = dj.slices_mut(grad);
                let r = linear_dact_backward(
                    &mut dpre_before[j][..n_in],
                    gb_j,
                    &mut dy_before[j][..n_in],
                    dpre,
                    w,
                    &cache.pre[j][..n_in],
                    &cache.y[j][..n_in],
                    rows,
                    d.out,
                    d.inp,
                    dj.act,
                );
                if let Err(e) = r {
                    panic!("rootgrad nn: internal shape error: {}", e.0);
                }
                written[j] = true;
                done[j] = true;
            }
            (Src::Layer(j), None) => {
                // dL/dW += dpre^T inp; dL/d(output of layer j) += dpre W
                let into = if written[j] {
                    Accumulate::Add
                } else {
                    Accumulate::Overwrite
                };
                written[j] = true;
                linear_backward_into(
                    Some((&mut dy_before[j][..n_in], into)),
                    gw,
                    None,
                    dpre,
                    inp,
                    w,
                    rows,
                    d.inp,
                    d.out,
                );
            }
            (Src::Layer(j), Some(h)) => {
                // dL/dW += dpre^T inp; dL/d(GRL output) = dpre W
                let dgrl = &mut s.dgrl[h][..n_in];
                let into = Some((&mut *dgrl, Accumulate::Overwrite));
                linear_backward_into(into, gw, None, dpre, inp, w, rows, d.inp, d.out);
                if !written[j] {
                    dy_before[j][..n_in].fill(T::ZERO);
                    written[j] = true;
                }
                // through the reversal: dL/d(output of layer j) += -lambda * dL/d(GRL output)
                grl_backward(&mut dy_before[j][..n_in], dgrl, lambdas[h]);
            }
        }
    }
}

/// Whether the input gradient of a layer reading layer `j` can run fused with layer
/// j's activation derivative: no other layer reads j's output (it is j's only
/// gradient, and none was written yet) and j's output is not dropped out.
fn fusable(j: usize, wires: &[Wire], written: &[bool], dropped: bool) -> bool {
    let readers = wires.iter().filter(|w| w.src == Src::Layer(j)).count();
    readers == 1 && !written[j] && !(dropped && wires[j].hidden)
}
