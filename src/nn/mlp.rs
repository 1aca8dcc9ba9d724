//! The network: a checked spec, its parameter table, and the batch-level forward and
//! backward that cut a batch into fixed chunks of [`CHUNK_ROWS`] rows and run them on
//! rayon.
//!
//! Determinism: every chunk computes its outputs and its own parameter gradient from
//! its rows alone; the chunk gradients are then added to the caller's gradient buffer
//! in chunk order, element by element (`grad[e] + g_0[e] + g_1[e] + ...`), so the
//! result is the same bit for bit for any number of threads. Chunk gradients are
//! produced a wave of at most [`MAX_WAVE`] chunks at a time, so memory stays bounded
//! for batches up to 10^6 rows and more; the wave size does not change the sum.
//!
//! Memory: a [`Workspace`] either keeps each chunk's activations from forward to
//! backward (`cache_floats_per_row` floats per row), or keeps none and recomputes a
//! chunk's forward inside backward (one more forward pass, memory per thread bounded
//! by one chunk). [`Workspace::new`] picks caching while the cache fits
//! [`CACHE_BUDGET_BYTES`].

use std::sync::Mutex;

use rayon::prelude::*;
use rootgrad_kernels::gemm::Gemm;
use rootgrad_kernels::Real;

use super::chunk::{backward_chunk, forward_chunk, Cache, Scratch, Src, Wire};
use super::dropout::DropoutKey;
use super::init::{init_params, Init};
use super::linear::pack_transposed;
use super::params::{Dense, ParamTable};
use super::spec::{NetworkSpec, Part};
use crate::{Error, Result};

/// Rows per chunk: the unit of parallel work and of the fixed-order gradient sum.
/// Changing it changes the rounding of gradients (not their value).
pub const CHUNK_ROWS: usize = 512;

/// At most this many chunk gradient buffers exist at once.
pub const MAX_WAVE: usize = 64;

/// [`Workspace::new`] keeps activations from forward to backward while they fit this.
pub const CACHE_BUDGET_BYTES: usize = 512 << 20;

/// Training (dropout on, masks keyed by seed and step) or evaluation (dropout off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Eval,
    Train(DropoutKey),
}

/// The upstream gradients a backward pass starts from (from the losses) and the
/// reversal strengths. `dz` has [`Network::outputs`] values per row (row-major, row i's
/// at `i * outputs .. (i + 1) * outputs`); the heads' slices one value per row; `None`
/// means zero.
#[derive(Debug, Clone, Copy)]
pub struct Upstream<'a, T> {
    /// dL/dz, the outputs of the output layer (`batch * outputs` values).
    pub dz: Option<&'a [T]>,
    /// dL/dz_d, the domain head's logits (before reversal).
    pub ddomain: Option<&'a [T]>,
    /// dL/dm, the mass head's outputs (before reversal).
    pub dmass: Option<&'a [T]>,
    /// lambda_G: the shared layers receive -lambda_domain times the domain gradient.
    pub lambda_domain: f64,
    /// lambda_M: the shared layers receive -lambda_mass times the mass gradient.
    pub lambda_mass: f64,
}

/// A checked network: its spec, its parameter table and how its layers are wired.
#[derive(Debug, Clone)]
pub struct Network {
    spec: NetworkSpec,
    table: ParamTable,
    pub(super) wires: Vec<Wire>,
    pub(super) classifier: usize,
    pub(super) domain_out: Option<usize>,
    pub(super) mass_out: Option<usize>,
}

impl Network {
    /// Checks `spec` (zero widths, dropout outside [0, 1), a head reading a layer that
    /// does not exist are [`Error::Usage`]) and lays out its parameters.
    pub fn new(spec: NetworkSpec) -> Result<Network> {
        let plan = spec.plan()?;
        let table = ParamTable::from_plan(&plan);
        let layers = table.layers();
        let index_of = |name: &str| layers.iter().position(|d| d.name == name);
        let n_hidden = spec.hidden.len();
        let mut wires = Vec::with_capacity(layers.len());
        for (l, d) in layers.iter().enumerate() {
            let prev_in_part = l > 0 && layers[l - 1].part == d.part;
            let (src, grl) = match d.part {
                Part::Hidden(0) => (Src::X, None),
                Part::Hidden(i) => (Src::Layer(i - 1), None),
                Part::Classifier if n_hidden == 0 => (Src::X, None),
                Part::Classifier => (Src::Layer(n_hidden - 1), None),
                Part::Domain | Part::Mass if prev_in_part => (Src::Layer(l - 1), None),
                Part::Domain | Part::Mass => {
                    let (head, h) = match d.part {
                        Part::Domain => (&spec.domain_head, 0),
                        _ => (&spec.mass_head, 1),
                    };
                    let from = head.as_ref().map_or(0, |h| h.from_layer);
                    (Src::Layer(from), Some(h))
                }
            };
            wires.push(Wire {
                src,
                hidden: matches!(d.part, Part::Hidden(_)),
                grl,
            });
        }
        let classifier = index_of("classifier").unwrap_or(n_hidden);
        let domain_out = index_of("domain.out");
        let mass_out = index_of("mass.out");
        Ok(Network {
            spec,
            table,
            wires,
            classifier,
            domain_out,
            mass_out,
        })
    }

    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// Values per row of the output layer: 1 for a classifier (its logit z).
    pub fn outputs(&self) -> usize {
        self.spec.outputs
    }

    /// The table naming every tensor of the flat parameter buffer.
    pub fn table(&self) -> &ParamTable {
        &self.table
    }

    /// Length of the flat parameter, gradient and moment buffers.
    pub fn num_params(&self) -> usize {
        self.table.len()
    }

    pub(super) fn layers(&self) -> &[Dense] {
        self.table.layers()
    }

    /// A fresh parameter buffer initialised from `seed`.
    pub fn new_params<T: Real>(&self, init: Init, seed: u64) -> Vec<T> {
        let mut p = vec![T::ZERO; self.num_params()];
        init_params(&mut p, &self.table, init, seed);
        p
    }

    /// Floats per row a caching workspace keeps between forward and backward.
    pub fn cache_floats_per_row(&self) -> usize {
        let with_drop = self.spec.dropout > 0.0;
        self.layers()
            .iter()
            .zip(&self.wires)
            .map(|(d, w)| d.out * if with_drop && w.hidden { 4 } else { 2 })
            .sum()
    }

    pub(super) fn dropout_of(&self, mode: Mode) -> Option<(f64, DropoutKey)> {
        match mode {
            Mode::Train(key) if self.spec.dropout > 0.0 => Some((self.spec.dropout, key)),
            _ => None,
        }
    }

    pub(super) fn check_len(&self, what: &str, got: usize, want: usize) -> Result<()> {
        if got != want {
            return Err(Error::Usage(format!(
                "network: {what} has {got} values but {want} are needed"
            )));
        }
        Ok(())
    }

    /// Runs the network on `x` ((batch, inputs) row-major) and leaves the outputs of the
    /// output layer in `ws.z` ((batch, outputs) row-major; the classifier logits), the domain logits in `ws.domain` and the mass outputs in
    /// `ws.mass` (empty when the head is absent).
    pub fn forward<T: Gemm>(
        &self,
        ws: &mut Workspace<T>,
        params: &[T],
        x: &[T],
        mode: Mode,
    ) -> Result<()> {
        self.check_len("the parameter buffer", params.len(), self.num_params())?;
        self.check_len("the input batch", x.len(), ws.batch * self.spec.inputs)?;
        ws.check_for(self)?;
        let dropout = self.dropout_of(mode);
        let (layers, wires, inputs) = (self.layers(), &self.wires[..], self.spec.inputs);
        let outs = [Some(self.classifier), self.domain_out, self.mass_out];
        pack_transposed(&mut ws.wt, params, layers);
        let Workspace {
            batch,
            wt,
            z,
            domain,
            mass,
            caches,
            pool,
            last_mode,
            ..
        } = ws;
        let batch = *batch;
        let mut cache_refs: Vec<Option<&mut Cache<T>>> = match caches {
            Some(c) => c.iter_mut().map(Some).collect(),
            None => (0..n_chunks(batch)).map(|_| None).collect(),
        };
        let mut jobs = Vec::with_capacity(cache_refs.len());
        let mut zs = z.chunks_mut(CHUNK_ROWS * self.spec.outputs);
        let mut ds = domain.chunks_mut(CHUNK_ROWS);
        let mut ms = mass.chunks_mut(CHUNK_ROWS);
        for (c, cache) in cache_refs.drain(..).enumerate() {
            jobs.push((c, cache, [zs.next(), ds.next(), ms.next()]));
        }
        jobs.into_par_iter().for_each(|(c, cache, dst)| {
            let row0 = c * CHUNK_ROWS;
            let rows = CHUNK_ROWS.min(batch - row0);
            let xc = &x[row0 * inputs..(row0 + rows) * inputs];
            let run = |cache: &mut Cache<T>| {
                forward_chunk(cache, params, wt, xc, layers, wires, dropout, row0, rows);
                for (out, dst) in outs.iter().zip(dst) {
                    if let (Some(l), Some(dst)) = (out, dst) {
                        // rows * width values: the output layer's `outputs` per row
                        dst.copy_from_slice(&cache.y[*l][..rows * layers[*l].out]);
                    }
                }
            };
            match cache {
                Some(cache) => run(cache),
                None => {
                    let mut s = take(pool, layers, wires, true, dropout.is_some());
                    if let Some(cache) = s.cache.as_mut() {
                        run(cache);
                    }
                    give(pool, s);
                }
            }
        });
        *last_mode = Some(mode);
        Ok(())
    }

    /// Adds dL/dparams into `grad` (the flat gradient buffer, laid out by
    /// [`Network::table`]), for the batch `x` the last [`Network::forward`] on `ws`
    /// ran on, given the upstream gradients. The shared layers receive the classifier
    /// gradient plus -lambda times each head's gradient.
    pub fn backward<T: Gemm>(
        &self,
        grad: &mut [T],
        ws: &mut Workspace<T>,
        params: &[T],
        x: &[T],
        up: &Upstream<T>,
    ) -> Result<()> {
        self.check_len("the gradient buffer", grad.len(), self.num_params())?;
        self.check_len("the parameter buffer", params.len(), self.num_params())?;
        self.check_len("the input batch", x.len(), ws.batch * self.spec.inputs)?;
        ws.check_for(self)?;
        let Some(mode) = ws.last_mode else {
            return Err(Error::Usage(
                "network: backward called before forward".into(),
            ));
        };
        for (name, g, head) in [
            ("dL/dz", up.dz, Some(self.classifier)),
            ("dL/dz_domain", up.ddomain, self.domain_out),
            ("dL/dmass", up.dmass, self.mass_out),
        ] {
            match (g, head) {
                (Some(_), None) => {
                    return Err(Error::Usage(format!(
                        "network: {name} given but the network has no such head"
                    )))
                }
                (Some(g), Some(l)) => {
                    let want = ws.batch * self.layers()[l].out;
                    self.check_len(name, g.len(), want)?
                }
                _ => {}
            }
        }
        for (name, l) in [
            ("lambda_domain", up.lambda_domain),
            ("lambda_mass", up.lambda_mass),
        ] {
            if !l.is_finite() {
                return Err(Error::Usage(format!("{name} = {l} is not a finite number")));
            }
        }
        let dropout = self.dropout_of(mode);
        let (layers, wires, inputs) = (self.layers(), &self.wires[..], self.spec.inputs);
        let lambdas = [T::from_f64(up.lambda_domain), T::from_f64(up.lambda_mass)];
        let outs = [Some(self.classifier), self.domain_out, self.mass_out];
        let ups = [up.dz, up.ddomain, up.dmass];
        if ws.caches.is_none() {
            pack_transposed(&mut ws.wt, params, layers);
        }
        let Workspace {
            batch,
            wt,
            caches,
            pool,
            grads,
            ..
        } = ws;
        let batch = *batch;
        let nc = n_chunks(batch);
        let wave = grads.len();
        let mut start = 0;
        while start < nc {
            let count = wave.min(nc - start);
            grads[..count]
                .par_iter_mut()
                .enumerate()
                .for_each(|(k, g)| {
                    let c = start + k;
                    let row0 = c * CHUNK_ROWS;
                    let rows = CHUNK_ROWS.min(batch - row0);
                    let xc = &x[row0 * inputs..(row0 + rows) * inputs];
                    let mut seeds = [(0, None); 3];
                    for (i, (out, upg)) in outs.iter().zip(ups).enumerate() {
                        if let (Some(l), Some(upg)) = (out, upg) {
                            let width = layers[*l].out;
                            seeds[i] = (*l, Some(&upg[row0 * width..(row0 + rows) * width]));
                        }
                    }
                    g.fill(T::ZERO);
                    let recompute = caches.is_none();
                    let mut s = take(pool, layers, wires, recompute, dropout.is_some());
                    match caches.as_ref() {
                        Some(cs) => backward_chunk(
                            g, &mut s, &cs[c], params, xc, layers, wires, seeds, lambdas,
                        ),
                        None => {
                            if let Some(mut cache) = s.cache.take() {
                                forward_chunk(
                                    &mut cache, params, wt, xc, layers, wires, dropout, row0, rows,
                                );
                                backward_chunk(
                                    g, &mut s, &cache, params, xc, layers, wires, seeds, lambdas,
                                );
                                s.cache = Some(cache);
                            }
                        }
                    }
                    give(pool, s);
                });
            // grad[e] += g_start[e] + ... in chunk order
            reduce_in_order(grad, &grads[..count]);
            start += count;
        }
        Ok(())
    }
}

/// Elements per parallel block of the chunk-gradient sum.
const REDUCE_BLOCK: usize = 4096;

/// `grad[e] += g_0[e] + g_1[e] + ...`, the chunk gradients added in chunk order element
/// by element (blocks of elements in parallel when there is enough work), so the sum is
/// the same bit for bit whatever the thread count.
pub(super) fn reduce_in_order<T: Real>(grad: &mut [T], chunk_grads: &[Vec<T>]) {
    let add_block = |lo: usize, dst: &mut [T]| {
        let n = dst.len();
        for g in chunk_grads {
            // dst += 1 * g, exact (no fused multiply-add in add_scaled)
            rootgrad_kernels::act::add_scaled(dst, &g[lo..lo + n], T::ONE);
        }
    };
    if grad.len() * chunk_grads.len() <= SERIAL_REDUCE {
        // small: waking the pool costs more than the adds
        add_block(0, grad);
    } else {
        grad.par_chunks_mut(REDUCE_BLOCK)
            .enumerate()
            .for_each(|(bi, dst)| add_block(bi * REDUCE_BLOCK, dst));
    }
}

/// Below this many additions the chunk-gradient sum runs on the calling thread.
const SERIAL_REDUCE: usize = 1 << 18;

pub(super) fn n_chunks(batch: usize) -> usize {
    batch.div_ceil(CHUNK_ROWS)
}

/// A scratch from the pool, or a new one (at most one per thread ever exists).
pub(super) fn take<T: Real>(
    pool: &Mutex<Vec<Scratch<T>>>,
    layers: &[Dense],
    wires: &[Wire],
    recompute: bool,
    dropout: bool,
) -> Scratch<T> {
    let got = pool.lock().ok().and_then(|mut p| p.pop());
    match got {
        Some(s) if s.cache.is_some() == recompute => s,
        _ => Scratch::new(layers, wires, CHUNK_ROWS, dropout, recompute),
    }
}

pub(super) fn give<T>(pool: &Mutex<Vec<Scratch<T>>>, s: Scratch<T>) {
    if let Ok(mut p) = pool.lock() {
        p.push(s);
    }
}

/// Buffers for one batch size: the outputs, the per-chunk activation caches (or none,
/// to recompute), per-thread scratch, and the chunk gradient buffers of one wave.
/// Allocate once per batch size and reuse across steps.
pub struct Workspace<T> {
    pub(super) batch: usize,
    num_params: usize,
    /// The output layer's values z, [`Network::outputs`] per row, row-major (the
    /// classifier logits, one per row).
    pub z: Vec<T>,
    /// Domain-head logits z_d (empty without a domain head).
    pub domain: Vec<T>,
    /// Mass-head outputs m (empty without a mass head).
    pub mass: Vec<T>,
    caches: Option<Vec<Cache<T>>>,
    pub(super) pool: Mutex<Vec<Scratch<T>>>,
    pub(super) grads: Vec<Vec<T>>,
    last_mode: Option<Mode>,
    /// Per-row loss contributions written by the fused pass's closure (f64; empty
    /// until the first [`Network::forward_backward`]).
    pub(super) row_loss: Vec<f64>,
    /// The parameters with every weight transposed, packed once per pass for the
    /// chunks' forward ([`super::linear::pack_transposed`]).
    pub(super) wt: Vec<T>,
}

impl<T: Real> Workspace<T> {
    /// A workspace for batches of `batch` rows that caches activations when they fit
    /// [`CACHE_BUDGET_BYTES`] and recomputes them otherwise.
    pub fn new(net: &Network, batch: usize) -> Workspace<T> {
        let bytes = batch
            .saturating_mul(net.cache_floats_per_row())
            .saturating_mul(std::mem::size_of::<T>());
        Workspace::with_caching(net, batch, bytes <= CACHE_BUDGET_BYTES)
    }

    /// A workspace that keeps every chunk's activations (`cache = true`) or none.
    pub fn with_caching(net: &Network, batch: usize, cache: bool) -> Workspace<T> {
        let layers = net.layers();
        let dropout = net.spec.dropout > 0.0;
        let caches = cache.then(|| {
            (0..n_chunks(batch))
                .map(|c| {
                    let rows = CHUNK_ROWS.min(batch - c * CHUNK_ROWS);
                    Cache::new(layers, &net.wires, rows, dropout)
                })
                .collect()
        });
        let p = net.num_params().max(1);
        let wave = (MAX_WAVE.min((1usize << 24) / p))
            .clamp(4, MAX_WAVE)
            .min(n_chunks(batch).max(1));
        let head = |o: Option<usize>| {
            if o.is_some() {
                vec![T::ZERO; batch]
            } else {
                Vec::new()
            }
        };
        Workspace {
            batch,
            num_params: net.num_params(),
            z: vec![T::ZERO; batch * net.outputs()],
            domain: head(net.domain_out),
            mass: head(net.mass_out),
            caches,
            pool: Mutex::new(Vec::new()),
            grads: (0..wave).map(|_| vec![T::ZERO; net.num_params()]).collect(),
            last_mode: None,
            row_loss: Vec::new(),
            wt: Vec::new(),
        }
    }

    /// The batch size this workspace serves.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Whether activations are kept from forward to backward.
    pub fn caches(&self) -> bool {
        self.caches.is_some()
    }

    pub(super) fn check_for(&self, net: &Network) -> Result<()> {
        if self.num_params != net.num_params() {
            return Err(Error::Usage(
                "network: this workspace was made for another network".into(),
            ));
        }
        Ok(())
    }
}
