//! Scoring ntuples with a model file: the library half of `rootgrad apply`.
//!
//! A [`Scorer`] holds the model's input expressions, its network(s) and, with folds, the
//! fold expression. It scores a chain chunk by chunk ([`Scorer::stream`]): the branches
//! the expressions name over about [`APPLY_CHUNK`] entries (ending at a basket boundary
//! of the first branch read, so no basket is decompressed twice), the features, the
//! standardisation of the model that owns each entry (its fold's, with folds), the
//! forward pass in eval mode and the sigmoid. Reading runs one chunk ahead on a thread of
//! its own, through a queue of one, so the next chunk is decompressed while this one is
//! scored; memory is a few chunks' buffers and the model, whatever the entry count.
//!
//! Every entry gets a score, in order. An entry with a NaN or infinite feature gets a
//! NaN score and is counted (the friend tree must have every entry; the count is
//! reported so it is never silent). A fold expression that does not give an integer from
//! 0 to k - 1 is an error naming the file and entry. The scores do not depend on the
//! chunking or the thread count: each entry's features and forward pass are computed on
//! their own, and the forward runs over its rows in the same passes as
//! [`crate::train::eval::logits`].
//!
//! A feature that is a branch alone (`r9`) is taken from the column as read, without
//! evaluating it; the features are laid out row by row and standardised
//! ([`Standardize::apply`]) on parallel blocks of rows.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use crate::data::locate;
use crate::data::sets::Standardize;
use crate::expr::{read_for, ColumnSet, Expr};
use crate::model::{ModelFile, Scoring};
use crate::nn::{Network, Workspace};
use crate::root::{Chain, Layout};
use crate::train::eval::logits_into;
use crate::{Error, Result};

/// Entries per chunk, about: a chunk ends at the first basket boundary at or past this
/// many entries, or at [`MAX_CHUNK`] entries if there is none before. With 30 float
/// inputs a chunk's columns take 16 MB as read (as f64) and 8 MB as features.
pub const APPLY_CHUNK: u64 = 1 << 16;

/// The most entries in one chunk, whatever the baskets.
pub const MAX_CHUNK: u64 = 1 << 18;

/// A model ready to score.
pub struct Scorer {
    pub inputs: Vec<Expr>,
    models: Vec<(Network, Vec<f32>, Standardize)>,
    fold: Option<Expr>,
}

/// The scores of a chain.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// One per entry: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

impl Scorer {
    /// Builds the networks of a model file read from `path`.
    pub fn new(m: &ModelFile, path: &Path) -> Result<Scorer> {
        let what = path.display().to_string();
        let inputs = m
            .inputs
            .iter()
            .map(|i| {
                Expr::parse(&i.expression)
                    .map_err(|e| Error::Usage(format!("{what}: input `{}`: {e}", i.name)))
            })
            .collect::<Result<Vec<_>>>()?;
        let n = inputs.len();
        let build = |s: &Scoring, label: String| s.network(n, &label);
        let (models, fold) = match (&m.folds, m.single()) {
            (Some(f), _) => {
                let models = f
                    .models
                    .iter()
                    .enumerate()
                    .map(|(k, s)| build(s, format!("{what}: folds.models[{k}]")))
                    .collect::<Result<Vec<_>>>()?;
                let e = Expr::parse(&f.expression)
                    .map_err(|e| Error::Usage(format!("{what}: folds.expression: {e}")))?;
                (models, Some(e))
            }
            (None, Some(s)) => (vec![build(&s, what.clone())?], None),
            (None, None) => return Err(Error::Usage(format!("{what}: the model has no layers"))),
        };
        Ok(Scorer {
            inputs,
            models,
            fold,
        })
    }

    /// Number of fold models (1 without folds).
    pub fn models(&self) -> usize {
        self.models.len()
    }

    pub fn has_folds(&self) -> bool {
        self.fold.is_some()
    }

    /// Every expression the scorer evaluates.
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

    /// The entry ranges the chain is read in: consecutive, covering every entry, each
    /// ending at a basket boundary of the first branch the model reads where one falls
    /// between [`APPLY_CHUNK`] and [`MAX_CHUNK`] entries on.
    pub fn chunks(&self, chain: &Chain) -> Vec<Range<u64>> {
        let first = self.exprs().iter().flat_map(|e| e.branches()).min();
        let bounds = first.map(|b| chain.basket_starts(&b)).unwrap_or_default();
        chunk_ranges(chain.entries(), &bounds)
    }

    /// Scores `chain` chunk by chunk: calls `body` with a source of the chunks' scores,
    /// in entry order (`Ok(None)` after the last), while a thread reads one chunk ahead.
    /// The reader stops when `body` returns, whether or not it took every chunk.
    pub fn stream<R>(
        &self,
        chain: &Chain,
        all_folds: bool,
        body: impl FnOnce(&mut (dyn FnMut() -> Result<Option<ChunkScores>> + Send)) -> R,
    ) -> R {
        let exprs = self.exprs();
        let ranges = self.chunks(chain);
        std::thread::scope(|s| {
            let (tx, rx) = sync_channel::<Result<ColumnSet>>(1);
            let exprs = &exprs;
            s.spawn(move || {
                for r in ranges {
                    let cols = read_for(exprs, chain, r);
                    let failed = cols.is_err();
                    if tx.send(cols).is_err() || failed {
                        break;
                    }
                }
            });
            let mut buffers = Buffers::default();
            let mut next = move || -> Result<Option<ChunkScores>> {
                match rx.recv() {
                    Err(_) => Ok(None),
                    Ok(cols) => self
                        .score_columns(&cols?, chain, all_folds, &mut buffers)
                        .map(Some),
                }
            };
            // `next` (and with it the receiver) is dropped when `body` returns, so a
            // reader waiting to send sees the closed queue and stops.
            body(&mut next)
        })
    }

    /// Scores every entry of `chain` into memory; `progress(n)` is called after each
    /// chunk. (`rootgrad apply` streams instead: see [`Scorer::stream`].)
    pub fn score(
        &self,
        chain: &Chain,
        all_folds: bool,
        mut progress: impl FnMut(u64),
    ) -> Result<Scores> {
        self.stream(chain, all_folds, |next| {
            let mut out = Scores::default();
            while let Some(c) = next()? {
                progress(c.score.len() as u64);
                out.score.extend_from_slice(&c.score);
                out.per_fold.resize_with(c.per_fold.len(), Vec::new);
                for (all, part) in out.per_fold.iter_mut().zip(&c.per_fold) {
                    all.extend_from_slice(part);
                }
                out.nonfinite += c.nonfinite;
            }
            Ok(out)
        })
    }

    /// Scores one chunk of columns read by [`read_for`] over entries starting at
    /// `cols.first_entry` of `chain`.
    fn score_columns(
        &self,
        cols: &ColumnSet,
        chain: &Chain,
        all_folds: bool,
        buf: &mut Buffers,
    ) -> Result<ChunkScores> {
        let n = cols.entries;
        let start = cols.first_entry;
        let k = self.models.len();
        let per_fold = all_folds && self.fold.is_some();
        // the features as f64 columns: a lone scalar branch as read, anything else
        // evaluated (which also checks the shape)
        let feats: Vec<Cow<[f64]>> = self
            .inputs
            .iter()
            .map(|e| {
                let plain = e.plain_branch().and_then(|b| cols.columns.get(b));
                match plain {
                    Some(c) if c.layout == (Layout::Flat { width: 1 }) && c.values.len() == n => {
                        Ok(Cow::Borrowed(&c.values[..]))
                    }
                    _ => cols.eval(e).map(Cow::Owned),
                }
            })
            .collect::<Result<_>>()?;
        let width = self.inputs.len();
        let mut bad = vec![false; n];
        if let ([(net, params, st)], None) = (&self.models[..], &self.fold) {
            // one model: lay out and standardise in one pass, and run every row (a row's
            // forward pass depends on that row alone); rows with a feature that is not
            // finite as f32 get NaN
            buf.x.resize(n * width, 0.0);
            layout_rows(&feats, Some(st), &mut buf.x, &mut bad);
            buf.z.clear();
            if buf.ws.is_empty() {
                buf.ws.push(None);
            }
            logits_into(net, params, &buf.x, &mut buf.ws[0], &mut buf.z)?;
            let score = buf
                .z
                .iter()
                .zip(&bad)
                .map(|(&z, &b)| {
                    if b {
                        f32::NAN
                    } else {
                        rootgrad_kernels::act::sigmoid(z)
                    }
                })
                .collect();
            return Ok(ChunkScores {
                first_entry: start,
                score,
                per_fold: Vec::new(),
                nonfinite: bad.iter().filter(|&&b| b).count() as u64,
            });
        }
        // the raw features, row-major as f32; entries with a feature that is not finite
        // as f32 get no forward pass
        buf.raw.resize(n * width, 0.0);
        layout_rows(&feats, None, &mut buf.raw, &mut bad);
        // which model owns each entry
        let owner: Vec<u32> = match &self.fold {
            None => vec![0; n],
            Some(fe) => {
                let fv = cols.eval(fe)?;
                let mut owner = Vec::with_capacity(n);
                for (i, &v) in fv.iter().enumerate() {
                    if v.is_finite() && v >= 0.0 && v < k as f64 && v.fract() == 0.0 {
                        owner.push(v as u32);
                    } else {
                        return Err(Error::Usage(format!(
                            "the fold expression `{}` gives {v} at {}; the model has {k} \
                             folds, so it must give an integer from 0 to {}",
                            fe.source(),
                            locate(chain, start + i as u64),
                            k - 1
                        )));
                    }
                }
                owner
            }
        };
        let mut out = ChunkScores {
            first_entry: start,
            score: vec![f32::NAN; n],
            per_fold: Vec::new(),
            nonfinite: bad.iter().filter(|&&b| b).count() as u64,
        };
        if buf.ws.len() < k {
            buf.ws.resize_with(k, || None);
        }
        for (m, (net, params, st)) in self.models.iter().enumerate() {
            buf.rows.clear();
            buf.rows.extend(
                (0..n as u32)
                    .filter(|&i| !bad[i as usize] && (per_fold || owner[i as usize] == m as u32)),
            );
            buf.x.resize(buf.rows.len() * width, 0.0);
            standardize_rows(&buf.raw, width, st, &buf.rows, &mut buf.x);
            buf.z.clear();
            logits_into(net, params, &buf.x, &mut buf.ws[m], &mut buf.z)?;
            let mut mine = if per_fold {
                vec![f32::NAN; n]
            } else {
                Vec::new()
            };
            for (&i, &z) in buf.rows.iter().zip(&buf.z) {
                let s = rootgrad_kernels::act::sigmoid(z);
                let i = i as usize;
                if owner[i] == m as u32 {
                    out.score[i] = s;
                }
                if per_fold {
                    mine[i] = s;
                }
            }
            if per_fold {
                out.per_fold.push(mine);
            }
        }
        Ok(out)
    }
}

/// The scores of one chunk.
#[derive(Debug, Clone, Default)]
pub struct ChunkScores {
    /// Chain entry of the first score.
    pub first_entry: u64,
    /// One per entry of the chunk: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry of the chunk.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries of the chunk with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

/// What a stream keeps from chunk to chunk, so it allocates little per chunk.
#[derive(Default)]
struct Buffers {
    /// One forward workspace per model.
    ws: Vec<Option<Workspace<f32>>>,
    /// The raw features of every entry of the chunk, row-major.
    raw: Vec<f32>,
    /// The standardised features of the rows a model scores, row-major.
    x: Vec<f32>,
    /// Their logits.
    z: Vec<f32>,
    /// The entries (within the chunk) a model scores.
    rows: Vec<u32>,
}

/// Rows per parallel job of [`layout_rows`] and [`standardize_rows`].
const GATHER_ROWS: usize = 4096;

/// Lays the feature columns out row by row as f32 (`raw[i][j] = feats[j][i] as f32`)
/// and marks the entries with a value that is not finite as f32, a block of rows at a
/// time so each column's part stays in cache. With `st`, each value is standardised as
/// it is placed, with [`Standardize::apply`]'s arithmetic (so the same bits as laying
/// out and then standardising).
fn layout_rows(feats: &[Cow<[f64]>], st: Option<&Standardize>, raw: &mut [f32], bad: &mut [bool]) {
    let width = feats.len();
    if width == 0 {
        return;
    }
    raw.par_chunks_mut(GATHER_ROWS * width)
        .zip(bad.par_chunks_mut(GATHER_ROWS))
        .enumerate()
        .for_each(|(b, (xs, bs))| {
            let first = b * GATHER_ROWS;
            for (j, f) in feats.iter().enumerate() {
                let f = &f[first..first + bs.len()];
                let rows = xs.chunks_exact_mut(width).zip(f).zip(bs.iter_mut());
                match st {
                    None => {
                        for ((row, v), bad) in rows {
                            let v = *v as f32;
                            row[j] = v;
                            *bad |= !v.is_finite();
                        }
                    }
                    Some(st) => {
                        let (m, s) = (st.mean[j], st.std[j]);
                        for ((row, v), bad) in rows {
                            let v = *v as f32;
                            row[j] = ((v as f64 - m) / s) as f32;
                            *bad |= !v.is_finite();
                        }
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
    if rows.len() * width == raw.len() {
        // every row, in order: no gather
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

/// Splits entries `0..total` into consecutive ranges of about [`APPLY_CHUNK`] entries:
/// each ends at the first of `bounds` (sorted entry numbers) at or past
/// `start + APPLY_CHUNK`, unless that is more than [`MAX_CHUNK`] entries on or there is
/// none, when it ends at `start + APPLY_CHUNK`.
fn chunk_ranges(total: u64, bounds: &[u64]) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < total {
        let want = start + APPLY_CHUNK;
        let at = bounds.partition_point(|&b| b < want);
        let stop = match bounds.get(at) {
            Some(&b) if b <= start + MAX_CHUNK => b,
            _ => want,
        }
        .min(total);
        out.push(start..stop);
        start = stop;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_basket_boundaries_and_cover_every_entry() {
        // baskets of 100000 entries: each chunk is one basket
        let bounds: Vec<u64> = (0..=10).map(|b| b * 100_000).collect();
        let r = chunk_ranges(1_000_000, &bounds);
        assert_eq!(r.len(), 10);
        assert!(r.iter().all(|c| c.end - c.start == 100_000));
        // small baskets: the first boundary at or past APPLY_CHUNK
        let bounds: Vec<u64> = (0..=100).map(|b| b * 1000).collect();
        let r = chunk_ranges(100_000, &bounds);
        assert_eq!(r[0], 0..66_000);
        assert_eq!(r[1], 66_000..100_000);
        // no boundary within MAX_CHUNK, or none at all: fixed-size chunks
        for bounds in [vec![0, 10_000_000], vec![]] {
            let r = chunk_ranges(3 * APPLY_CHUNK - 5, &bounds);
            assert_eq!(
                r,
                [
                    0..APPLY_CHUNK,
                    APPLY_CHUNK..2 * APPLY_CHUNK,
                    2 * APPLY_CHUNK..3 * APPLY_CHUNK - 5
                ]
            );
        }
        assert!(chunk_ranges(0, &[]).is_empty());
    }
}
