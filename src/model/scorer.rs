//! The one scorer: a model's input expressions, its networks (one, or one per fold),
//! each with its standardisation, the rule that says which fold model owns an entry,
//! and the eval-mode scoring of rows. `apply` (streaming, chunk by chunk), `report` and
//! `sweep` (through [`crate::evaluate`]) and `reweight` (its k classifiers, trained in
//! memory) all score through it.
//!
//! Scoring a row: its raw features x (f64 as evaluated, rounded to f32), standardised by
//! the owning model as `((x as f64 - mean) / std) as f32` ([`Standardize::apply`]), the
//! network's forward pass in eval mode ([`crate::nn::eval`]) giving the logit z, and for
//! a score the sigmoid s = 1 / (1 + e^-z). A row's logit depends on that row alone, so
//! the results do not depend on which rows are scored together, the chunking or the
//! thread count.
//!
//! The owner rule: with k folds, the fold expression evaluated on an entry must give an
//! integer f with 0 <= f < k, and model f scores that entry (it never trained on it). A
//! value that is not such an integer is an error naming the file and entry.
//!
//! Rows with a feature that is NaN or infinite as f32 get a NaN logit and are counted,
//! so the count can be reported: never silent.

use std::borrow::Cow;
use std::path::Path;

use rayon::prelude::*;

use super::file::{ModelFile, Scoring};
use crate::data::locate;
use crate::data::sets::Standardize;
use crate::expr::{ColumnSet, Expr};
use crate::nn::eval::logits_into;
use crate::nn::{Network, Workspace};
use crate::root::{Chain, Layout};
use crate::{Error, Result};

/// One scoring network with its parameters and standardisation.
pub struct FoldNet {
    pub net: Network,
    pub params: Vec<f32>,
    pub standardize: Standardize,
}

/// A model ready to score (see the module doc).
pub struct Scorer {
    inputs: Vec<Expr>,
    nets: Vec<FoldNet>,
    fold: Option<Expr>,
}

/// The logits of one chunk of entries.
#[derive(Debug, Clone, Default)]
pub struct ChunkLogits {
    /// Chain entry of the first logit.
    pub first_entry: u64,
    /// One per entry of the chunk: the owning model's logit; NaN for an entry not
    /// selected or with a non-finite feature.
    pub z: Vec<f32>,
    /// With `all_folds`: every fold model's logit of every entry of the chunk.
    pub per_fold: Vec<Vec<f32>>,
    /// Selected entries of the chunk with a non-finite feature (their logit is NaN).
    pub nonfinite: u64,
}

/// What a scorer keeps from call to call, so scoring chunk after chunk allocates little.
#[derive(Default)]
pub struct ScoreBuffers {
    /// One forward workspace per model.
    ws: Vec<Option<Workspace<f32>>>,
    /// The raw features of every entry of a chunk, row-major.
    raw: Vec<f32>,
    /// The standardised features of the rows a model scores, row-major.
    x: Vec<f32>,
    /// Their logits.
    z: Vec<f32>,
}

/// Rows per parallel job of [`layout_rows`] and [`standardize_rows`].
const GATHER_ROWS: usize = 4096;

impl Scorer {
    /// The networks of a model file read from `path` (named in errors).
    pub fn from_file(m: &ModelFile, path: &Path) -> Result<Scorer> {
        let what = path.display().to_string();
        if let Some(note) = m.incomplete_note() {
            return Err(Error::Usage(format!(
                "{what}: {note}; it cannot score events until `rootgrad train ... --resume` \
                 trains the missing folds"
            )));
        }
        let inputs = m
            .inputs
            .iter()
            .map(|i| {
                Expr::parse(&i.expression)
                    .map_err(|e| Error::Usage(format!("{what}: input `{}`: {e}", i.name)))
            })
            .collect::<Result<Vec<_>>>()?;
        let n = inputs.len();
        let build = |s: &Scoring, label: String| -> Result<FoldNet> {
            let (net, params, standardize) = s.network(n, &label)?;
            if net.outputs() != 1 {
                return Err(Error::Usage(format!(
                    "{label}: the network has {} outputs, not a classifier's one logit; apply, \
                     export, report and the other scoring commands need a classifier model \
                     (the model.json of `rootgrad train`); a `morph --chain` model is applied \
                     with `rootgrad apply -m DIR/chain.json`",
                    net.outputs()
                )));
            }
            Ok(FoldNet {
                net,
                params,
                standardize,
            })
        };
        let (nets, fold) = match (&m.folds, m.single()) {
            (Some(f), _) => {
                let nets = f
                    .models
                    .iter()
                    .enumerate()
                    .map(|(k, s)| build(s, format!("{what}: folds.models[{k}]")))
                    .collect::<Result<Vec<_>>>()?;
                let e = Expr::parse(&f.expression)
                    .map_err(|e| Error::Usage(format!("{what}: folds.expression: {e}")))?;
                (nets, Some(e))
            }
            (None, Some(s)) => (vec![build(&s, what.clone())?], None),
            (None, None) => return Err(Error::Usage(format!("{what}: the model has no layers"))),
        };
        Scorer::new(inputs, nets, fold)
    }

    /// A scorer of networks trained in memory (`reweight`'s classifiers): one network
    /// without a fold expression, or k >= 2 with one.
    pub fn new(inputs: Vec<Expr>, nets: Vec<FoldNet>, fold: Option<Expr>) -> Result<Scorer> {
        let ok = match &fold {
            None => nets.len() == 1,
            Some(_) => nets.len() >= 2,
        };
        if !ok {
            return Err(Error::Usage(format!(
                "a model has one network without folds, or k >= 2 networks with a fold \
                 expression (here {} networks, {})",
                nets.len(),
                if fold.is_some() {
                    "with a fold expression"
                } else {
                    "without one"
                }
            )));
        }
        if let Some(bad) = nets
            .iter()
            .position(|f| f.net.spec().inputs != inputs.len())
        {
            return Err(Error::Usage(format!(
                "network {bad} takes {} inputs but the model lists {}",
                nets[bad].net.spec().inputs,
                inputs.len()
            )));
        }
        Ok(Scorer { inputs, nets, fold })
    }

    /// The input expressions, in the networks' order.
    pub fn inputs(&self) -> &[Expr] {
        &self.inputs
    }

    /// The networks, in fold order.
    pub fn nets(&self) -> &[FoldNet] {
        &self.nets
    }

    /// Number of models (1 without folds).
    pub fn models(&self) -> usize {
        self.nets.len()
    }

    pub fn has_folds(&self) -> bool {
        self.fold.is_some()
    }

    /// Every expression the scorer evaluates: the inputs, then the fold expression.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut v: Vec<&Expr> = self.inputs.iter().collect();
        if let Some(f) = &self.fold {
            v.push(f);
        }
        v
    }

    /// Checks that `chain` has every branch the model reads (before anything is
    /// written).
    pub fn check(&self, chain: &Chain) -> Result<()> {
        let names = chain.branch_names();
        for e in self.exprs() {
            e.check(&names)?;
        }
        Ok(())
    }

    /// The owner rule: the model that scores an entry whose fold expression gives `v`
    /// (None when `v` is not an integer from 0 to k - 1).
    pub fn owner_of(&self, v: f64) -> Option<u32> {
        let k = self.nets.len();
        (v.is_finite() && v >= 0.0 && v < k as f64 && v.fract() == 0.0).then_some(v as u32)
    }

    /// The logits by model `m` of rows `rows` (increasing) of `raw` ((n, inputs) raw
    /// features, row-major): each row standardised by model m, then its eval-mode
    /// forward pass.
    pub fn model_logits<'b>(
        &self,
        m: usize,
        raw: &[f32],
        rows: &[u32],
        buf: &'b mut ScoreBuffers,
    ) -> Result<&'b [f32]> {
        let f = &self.nets[m];
        let width = self.inputs.len();
        if buf.ws.len() < self.nets.len() {
            buf.ws.resize_with(self.nets.len(), || None);
        }
        buf.x.resize(rows.len() * width, 0.0);
        standardize_rows(raw, width, &f.standardize, rows, &mut buf.x);
        buf.z.clear();
        logits_into(&f.net, &f.params, &buf.x, &mut buf.ws[m], &mut buf.z)?;
        Ok(&buf.z)
    }

    /// The logits of raw rows `raw` ((n, inputs) row-major), row i by model `owner[i]`;
    /// rows with `skip[i]` get NaN.
    pub fn logits_by_owner(&self, raw: &[f32], owner: &[u32], skip: &[bool]) -> Result<Vec<f32>> {
        let n = owner.len();
        let mut out = vec![f32::NAN; n];
        let mut buf = ScoreBuffers::default();
        for m in 0..self.nets.len() {
            let rows: Vec<u32> = (0..n as u32)
                .filter(|&i| owner[i as usize] == m as u32 && !skip[i as usize])
                .collect();
            if rows.is_empty() {
                continue;
            }
            let z = self.model_logits(m, raw, &rows, &mut buf)?;
            for (&i, &z) in rows.iter().zip(z) {
                out[i as usize] = z;
            }
        }
        Ok(out)
    }

    /// Scores one chunk of columns read over entries starting at `cols.first_entry` of
    /// `chain`. `select` (one flag per entry) limits the entries scored: the others get
    /// NaN and are neither checked nor counted. With `all_folds`, every fold model also
    /// scores every entry.
    pub fn score_chunk(
        &self,
        cols: &ColumnSet,
        chain: &Chain,
        select: Option<&[bool]>,
        all_folds: bool,
        buf: &mut ScoreBuffers,
    ) -> Result<ChunkLogits> {
        let n = cols.entries;
        let start = cols.first_entry;
        let feats = self.features(cols)?;
        let width = self.inputs.len();
        let mut bad = vec![false; n];
        let picked = |i: usize| select.is_none_or(|s| s[i]);
        let count_bad = |bad: &[bool]| (0..n).filter(|&i| bad[i] && picked(i)).count() as u64;
        if let ([f], None) = (&self.nets[..], &self.fold) {
            // one model: lay out and standardise in one pass and run every row (a row's
            // forward pass depends on that row alone); rows with a feature that is not
            // finite as f32, or not selected, get NaN
            buf.x.resize(n * width, 0.0);
            layout_rows(&feats, Some(&f.standardize), &mut buf.x, &mut bad);
            buf.z.clear();
            if buf.ws.is_empty() {
                buf.ws.push(None);
            }
            logits_into(&f.net, &f.params, &buf.x, &mut buf.ws[0], &mut buf.z)?;
            let z = (0..n)
                .map(|i| {
                    if bad[i] || !picked(i) {
                        f32::NAN
                    } else {
                        buf.z[i]
                    }
                })
                .collect();
            return Ok(ChunkLogits {
                first_entry: start,
                z,
                per_fold: Vec::new(),
                nonfinite: count_bad(&bad),
            });
        }
        // the raw features, row-major as f32
        let mut raw = std::mem::take(&mut buf.raw);
        raw.resize(n * width, 0.0);
        layout_rows(&feats, None, &mut raw, &mut bad);
        let owner = self.owners(cols, chain, &bad, &picked)?;
        let per_fold = all_folds && self.fold.is_some();
        let mut out = ChunkLogits {
            first_entry: start,
            z: vec![f32::NAN; n],
            per_fold: Vec::new(),
            nonfinite: count_bad(&bad),
        };
        for m in 0..self.nets.len() {
            let rows: Vec<u32> = (0..n as u32)
                .filter(|&i| {
                    let i = i as usize;
                    !bad[i] && picked(i) && (per_fold || owner[i] == m as u32)
                })
                .collect();
            let z = self.model_logits(m, &raw, &rows, buf)?;
            let mut mine = if per_fold {
                vec![f32::NAN; n]
            } else {
                Vec::new()
            };
            for (&i, &z) in rows.iter().zip(z) {
                let i = i as usize;
                if owner[i] == m as u32 {
                    out.z[i] = z;
                }
                if per_fold {
                    mine[i] = z;
                }
            }
            if per_fold {
                out.per_fold.push(mine);
            }
        }
        buf.raw = raw;
        Ok(out)
    }

    /// The features of a chunk: a lone scalar branch as read (as f32 when the chunk
    /// holds it so, see [`Scorer::f32_branches`]), anything else evaluated (which also
    /// checks its shape).
    fn features<'c>(&self, cols: &'c ColumnSet) -> Result<Vec<Feature<'c>>> {
        let n = cols.entries;
        let flat = Layout::Flat { width: 1 };
        self.inputs
            .iter()
            .map(|e| {
                let b = e.plain_branch();
                if let Some(c) = b.and_then(|b| cols.floats.get(b)) {
                    if c.layout == flat && c.values.len() == n {
                        return Ok(Feature::F32(&c.values));
                    }
                }
                match b.and_then(|b| cols.columns.get(b)) {
                    Some(c) if c.layout == flat && c.values.len() == n => {
                        Ok(Feature::F64(Cow::Borrowed(&c.values[..])))
                    }
                    _ => cols.eval(e).map(|v| Feature::F64(Cow::Owned(v))),
                }
            })
            .collect()
    }

    /// The branches a chunk may hold as f32 ([`crate::expr::read_for_f32`]): inputs that
    /// are a lone branch read exactly as f32 ([`Chain::exact_as_f32`]) and that no other
    /// expression of the scorer evaluates. A row's features are rounded to f32 anyway,
    /// so the scores are the same bits as with f64 columns.
    pub fn f32_branches(&self, chain: &Chain) -> Vec<String> {
        let evaluated: Vec<String> = self
            .exprs()
            .iter()
            .filter(|e| e.plain_branch().is_none())
            .flat_map(|e| e.branches())
            .collect();
        let mut out: Vec<String> = self
            .inputs
            .iter()
            .filter_map(|e| e.plain_branch())
            .filter(|b| !evaluated.iter().any(|e| e == b) && chain.exact_as_f32(b))
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The model that owns each entry of a chunk (0 without folds); entries not picked
    /// or with a bad feature are not checked.
    fn owners(
        &self,
        cols: &ColumnSet,
        chain: &Chain,
        bad: &[bool],
        picked: &dyn Fn(usize) -> bool,
    ) -> Result<Vec<u32>> {
        let n = cols.entries;
        let Some(fe) = &self.fold else {
            return Ok(vec![0; n]);
        };
        let k = self.nets.len();
        let fv = cols.eval(fe)?;
        let mut owner = vec![0u32; n];
        for (i, &v) in fv.iter().enumerate() {
            if bad[i] || !picked(i) {
                continue;
            }
            owner[i] = self.owner_of(v).ok_or_else(|| {
                Error::Usage(format!(
                    "the fold expression `{}` gives {v} at {}; the model has {k} folds, so it \
                     must give an integer from 0 to {}",
                    fe.source(),
                    locate(chain, cols.first_entry + i as u64),
                    k - 1
                ))
            })?;
        }
        Ok(owner)
    }
}

/// One input's values over a chunk: a branch read as f32, or f64 (read or evaluated).
enum Feature<'c> {
    F32(&'c [f32]),
    F64(Cow<'c, [f64]>),
}

/// Rows of a block that [`layout_rows`] converts one column at a time before placing
/// the values in the rows (a column's part, 1 KiB as f32, stays in L1).
const TILE: usize = 256;

/// Lays the feature columns out row by row as f32 (`raw[i][j] = feats[j][i] as f32`)
/// and marks the entries with a value that is not finite as f32. With `st`, each value
/// is standardised on the way, with [`Standardize::apply`]'s arithmetic (so the same bits
/// as laying out and then standardising). Blocks of [`GATHER_ROWS`] rows in parallel;
/// within one, [`TILE`] rows of one column are converted (and standardised) in a
/// contiguous pass the compiler vectorises, then stored into their rows.
fn layout_rows(feats: &[Feature], st: Option<&Standardize>, raw: &mut [f32], bad: &mut [bool]) {
    let width = feats.len();
    if width == 0 {
        return;
    }
    raw.par_chunks_mut(GATHER_ROWS * width)
        .zip(bad.par_chunks_mut(GATHER_ROWS))
        .enumerate()
        .for_each(|(b, (xs, bs))| {
            let mut col = [0f32; TILE];
            let tiles = xs.chunks_mut(TILE * width).zip(bs.chunks_mut(TILE));
            for (t, (xs, bs)) in tiles.enumerate() {
                let at = b * GATHER_ROWS + t * TILE;
                let col = &mut col[..bs.len()];
                for (j, f) in feats.iter().enumerate() {
                    match f {
                        Feature::F32(v) => col.copy_from_slice(&v[at..at + bs.len()]),
                        Feature::F64(v) => {
                            for (o, &v) in col.iter_mut().zip(&v[at..at + bs.len()]) {
                                *o = v as f32;
                            }
                        }
                    }
                    for (bad, v) in bs.iter_mut().zip(col.iter()) {
                        *bad |= !v.is_finite();
                    }
                    if let Some(st) = st {
                        let (m, s) = (st.mean[j], st.std[j]);
                        for v in col.iter_mut() {
                            *v = ((*v as f64 - m) / s) as f32;
                        }
                    }
                    for (row, &v) in xs.chunks_exact_mut(width).zip(col.iter()) {
                        row[j] = v;
                    }
                }
            }
        });
}

/// Standardises rows `rows` of `raw` ((n, width) row-major) into `x`, one row after
/// the other: [`Standardize::apply`], on parallel blocks of rows.
fn standardize_rows(raw: &[f32], width: usize, st: &Standardize, rows: &[u32], x: &mut [f32]) {
    if width == 0 {
        return;
    }
    // `rows` is increasing, so as many rows as `raw` has means every row, in order
    if rows.len() * width == raw.len() {
        x.par_chunks_mut(GATHER_ROWS * width)
            .zip(raw.par_chunks(GATHER_ROWS * width))
            .for_each(|(xs, rs)| st.apply(rs, xs));
        return;
    }
    x.par_chunks_mut(GATHER_ROWS * width)
        .zip(rows.par_chunks(GATHER_ROWS))
        .for_each(|(xs, rs)| {
            for (o, &i) in xs.chunks_exact_mut(width).zip(rs) {
                let i = i as usize;
                st.apply(&raw[i * width..(i + 1) * width], o);
            }
        });
}
