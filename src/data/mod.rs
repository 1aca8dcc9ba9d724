//! Samples: the events of one role (signal, background, data, simulation) read from
//! ROOT files through the expressions of the run description.
//!
//! A sample is a chain of files (globs and several patterns, in order), with friend
//! trees joined by entry number. It is read in chunks of about [`READ_CHUNK`] entries
//! ([`chunks`], ending at basket boundaries, one read ahead); per chunk, the branches that the cut, the features, the weight and the fold and mass
//! expressions name are read once ([`crate::expr::read_for`]), the expressions are
//! evaluated column-wise, and the selected events are appended as a row of f32
//! features, an f64 weight and, when asked, a fold number and a mass.
//!
//! Memory: the features of a sample exist once, as its (events, width) f32 matrix
//! [`Sample::x`]. Each feature of a chunk is evaluated in f64 and written straight into
//! its column of the chunk's new rows before the next one is evaluated, so besides the
//! matrix only the chunk's branch columns and one f64 feature column are alive; the
//! chunk is dropped before the next is read. Training views this matrix through index
//! lists ([`sets::Set`]) and never copies it. `Wanted::f64` (the metrics and morphing
//! commands, which must not round) stores the matrix in f64 instead ([`Sample::x64`]).
//!
//! Weights are signed and used as they are. `negative_weights = "ignore"` leaves events
//! of negative weight out and `"abs"` uses |w|; both are reported (events and weight
//! changed) in the [`SampleReport`], and so is a keep. A sample whose total weight is
//! not positive is an error. A NaN or infinite feature is an error naming the sample,
//! the expression, the file and entry of the first one and how many there are, unless
//! the sample sets `drop_nonfinite = true` (then the events are left out and counted).
//! A NaN or infinite weight is always an error.

pub mod chunks;
pub mod columns;
pub mod prepare;
pub mod sets;
pub mod split;

use serde::Serialize;

use crate::config::{NegativeWeights, SampleSpec};
use crate::expr::{ColumnSet, Expr};

use crate::progress::Progress;
use crate::root::{Chain, TreeSpec};
use crate::{Error, Result};
use chunks::ChunkSize;

/// Entries read per chunk, about ([`ChunkSize::LOAD`]).
pub const READ_CHUNK: u64 = ChunkSize::LOAD.target;

/// What was read from one file of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub tree: String,
    /// Entries of the tree.
    pub entries: u64,
    /// Entries that passed the cut (before dropping non-finite features or ignored
    /// negative weights).
    pub selected: u64,
}

/// How a sample was read and what happened to its weights, for summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    pub sample: String,
    pub files: Vec<FileReport>,
    pub cut: Option<String>,
    pub weight: String,
    /// Events kept.
    pub events: usize,
    /// Their total weight (after the negative-weight policy).
    pub sum_weights: f64,
    /// Events with w < 0 among those selected, and their total weight, before the policy.
    pub negative_events: usize,
    pub negative_weight: f64,
    /// "keep", "ignore" or "abs".
    pub negative_weights: &'static str,
    /// Events the policy changed (left out, or flipped to |w|), and the weight it
    /// removed (ignore) or added (abs).
    pub changed_events: usize,
    pub changed_weight: f64,
    /// Events left out for a non-finite feature (with drop_nonfinite).
    pub nonfinite_dropped: usize,
}

/// The events of one sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The config key (`classification.signal`).
    pub key: String,
    /// Number of features per event.
    pub width: usize,
    /// Raw feature values, (events, width) row-major.
    pub x: Vec<f32>,
    /// Raw feature values in f64, (events, width), when [`Wanted::f64`] asked for them
    /// (then `x` is empty): for metrics and plots, which must not round.
    pub x64: Vec<f64>,
    /// Signed weights.
    pub w: Vec<f64>,
    /// Fold of each event (empty without folds).
    pub fold: Vec<u32>,
    /// Mass of each event (empty without a mass expression).
    pub mass: Vec<f64>,
    /// The chain entry of each event (global over the chain's files): what makes a
    /// per-event random number reproducible (`morph`'s jitter and held-out half).
    pub entry: Vec<u64>,
    pub report: SampleReport,
}

impl Sample {
    pub fn len(&self) -> usize {
        self.w.len()
    }

    pub fn is_empty(&self) -> bool {
        self.w.is_empty()
    }

    /// Row `i`'s features.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.width..(i + 1) * self.width]
    }
}

/// What to compute for every selected event besides the weight.
pub struct Wanted<'a> {
    pub features: &'a [Expr],
    /// The fold expression and k.
    pub fold: Option<(&'a Expr, usize)>,
    pub mass: Option<&'a Expr>,
    /// Keep the features in f64 (`Sample::x64`) instead of f32 (`Sample::x`).
    pub f64: bool,
}

/// Opens the chain of a sample: every file of every pattern, in order, with its friends.
pub fn open_chain(files: &[String], friends: &[String]) -> Result<Chain> {
    let mut chain: Option<Chain> = None;
    for pattern in files {
        let part = Chain::open_inputs(&TreeSpec::parse(pattern))?;
        chain = Some(match chain {
            None => part,
            Some(mut c) => {
                c.extend(part)?;
                c
            }
        });
    }
    let mut chain = chain.ok_or_else(|| Error::Usage("a sample needs at least one file".into()))?;
    for f in friends {
        let friend = Chain::open(&TreeSpec::parse(f))?;
        chain.add_friend(friend)?;
    }
    Ok(chain)
}

/// The file and local entry of global entry `e` of a chain, for messages.
pub fn locate(chain: &Chain, e: u64) -> String {
    let i = chain.starts.partition_point(|&s| s <= e).saturating_sub(1);
    match chain.members().get(i) {
        Some(t) => format!(
            "{}:{} entry {}",
            t.file.display(),
            t.path,
            e - chain.starts[i]
        ),
        None => format!("entry {e}"),
    }
}

/// The first non-finite value of one feature, and how many there are.
#[derive(Default)]
struct Nonfinite {
    count: usize,
    first: Option<(String, u64)>,
}

/// Reads one sample.
pub fn load(spec: &SampleSpec, want: &Wanted, progress: &Progress) -> Result<Sample> {
    load_in_chunks(spec, want, progress, READ_CHUNK)
}

/// The expressions of one sample: the cut and the weight, parsed.
struct SampleExprs {
    cut: Option<Expr>,
    weight: Expr,
}

/// A sample being filled chunk by chunk.
struct Loader<'a> {
    spec: &'a SampleSpec,
    want: &'a Wanted<'a>,
    exprs: &'a SampleExprs,
    chain: &'a Chain,
    out: Sample,
    bad: Vec<Nonfinite>,
    /// Rows kept before the current chunk: its picked entry k is row `chunk_base + k`
    /// until it is kept (moved up) or left out.
    chunk_base: usize,
}

/// The per-entry values of a chunk besides the features.
struct PerEvent<'c> {
    w: &'c [f64],
    fold: Option<&'c [f64]>,
    mass: Option<&'c [f64]>,
}

/// [`load`], reading chunks of about `chunk` entries (the tests use small fixed chunks,
/// so that rows left out are closed up across chunk boundaries). The chunks are
/// [`chunks::chunk_plan`]'s, read one ahead ([`chunks::read_ahead`]); with `chunk` below
/// [`READ_CHUNK`] they are exactly `chunk` entries long.
fn load_in_chunks(
    spec: &SampleSpec,
    want: &Wanted,
    progress: &Progress,
    chunk: u64,
) -> Result<Sample> {
    let chain = open_chain(&spec.files, &spec.friends).map_err(|e| in_sample(&spec.key, e))?;
    let parse = |what: &str, src: &str| {
        Expr::parse(src).map_err(|e| Error::Usage(format!("{} {what}: {e}", spec.key)))
    };
    let sx = SampleExprs {
        cut: spec.cut.as_deref().map(|c| parse("cut", c)).transpose()?,
        weight: parse("weight", &spec.weight)?,
    };
    let mut exprs: Vec<&Expr> = want.features.iter().collect();
    exprs.push(&sx.weight);
    exprs.extend(sx.cut.as_ref());
    exprs.extend(want.fold.map(|(f, _)| f));
    exprs.extend(want.mass);
    let available = chain.branch_names();
    for e in &exprs {
        e.check(&available).map_err(|err| {
            Error::Usage(format!(
                "{} (files {}): {err}",
                spec.key,
                spec.files.join(", ")
            ))
        })?;
    }
    let total = chain.entries();
    let size = if chunk >= READ_CHUNK {
        ChunkSize::LOAD
    } else {
        ChunkSize {
            target: chunk,
            max: chunk,
        }
    };
    let ranges = chunks::chunk_plan(&chain, &exprs, size);
    let mut loader = Loader::new(spec, want, &sx, &chain);
    let bar = progress.bar(total, "entries", &short(&spec.key));
    chunks::read_ahead(&chain, &exprs, ranges, |read| -> Result<()> {
        while let Some(cols) = read() {
            let cols = cols.map_err(|e| in_sample(&spec.key, e))?;
            let n = cols.entries as u64;
            loader.add(cols)?;
            bar.inc(n);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    loader.finish(total)
}

impl<'a> Loader<'a> {
    fn new(
        spec: &'a SampleSpec,
        want: &'a Wanted<'a>,
        exprs: &'a SampleExprs,
        chain: &'a Chain,
    ) -> Loader<'a> {
        let width = want.features.len();
        let mut out = Sample {
            key: spec.key.clone(),
            width,
            x: Vec::new(),
            x64: Vec::new(),
            w: Vec::new(),
            fold: Vec::new(),
            mass: Vec::new(),
            entry: Vec::new(),
            report: SampleReport {
                sample: spec.key.clone(),
                files: chain
                    .members()
                    .iter()
                    .map(|t| FileReport {
                        file: t.file.display().to_string(),
                        tree: t.path.clone(),
                        entries: t.entries,
                        selected: 0,
                    })
                    .collect(),
                cut: spec.cut.clone(),
                weight: spec.weight.clone(),
                events: 0,
                sum_weights: 0.0,
                negative_events: 0,
                negative_weight: 0.0,
                negative_weights: match spec.negative_weights {
                    NegativeWeights::Keep => "keep",
                    NegativeWeights::Ignore => "ignore",
                    NegativeWeights::Abs => "abs",
                },
                changed_events: 0,
                changed_weight: 0.0,
                nonfinite_dropped: 0,
            },
        };
        if !want.f64 {
            // Room for every entry up front (pages never written cost no memory, and the
            // matrix is never moved while it grows), backed by huge pages where the
            // system allows, since training gathers its rows at random. If the room
            // cannot be had, the matrix grows chunk by chunk instead.
            let room = (chain.entries() as usize).checked_mul(width);
            if room.is_some_and(|r| out.x.try_reserve_exact(r).is_ok()) {
                rootgrad_kernels::mem::advise_huge_pages(&out.x);
            }
        }
        Loader {
            spec,
            want,
            exprs,
            chain,
            out,
            bad: (0..width).map(|_| Nonfinite::default()).collect(),
            chunk_base: 0,
        }
    }

    /// Appends the events of one chunk that pass the cut.
    fn add(&mut self, cols: ColumnSet) -> Result<()> {
        let n = cols.entries;
        // the chunk's entries that pass the cut
        let picked: Vec<u32> = match &self.exprs.cut {
            Some(c) => {
                let v = cols.eval(c)?;
                (0..n)
                    .filter(|&i| v[i] != 0.0 && !v[i].is_nan())
                    .map(|i| i as u32)
                    .collect()
            }
            None => (0..n as u32).collect(),
        };
        let finite = self.fill_features(&cols, &picked)?;
        let w = cols.eval(&self.exprs.weight)?;
        let fold = self.want.fold.map(|(f, _)| cols.eval(f)).transpose()?;
        let mass = self.want.mass.map(|m| cols.eval(m)).transpose()?;
        let start = cols.first_entry;
        drop(cols);
        let per_event = PerEvent {
            w: &w,
            fold: fold.as_deref(),
            mass: mass.as_deref(),
        };
        for (k, &i) in picked.iter().enumerate() {
            self.keep(start, i as usize, k, finite[k], &per_event)?;
        }
        let width = self.out.width;
        self.out.x.truncate(self.out.w.len() * width);
        self.out.x64.truncate(self.out.w.len() * width);
        Ok(())
    }

    /// One row per picked entry, filled feature by feature (one f64 column alive at a
    /// time); the rows of events left out later are closed up by [`Loader::keep`].
    /// Returns, per picked entry, whether all its features are finite.
    fn fill_features(&mut self, cols: &ColumnSet, picked: &[u32]) -> Result<Vec<bool>> {
        let (want, out) = (self.want, &mut self.out);
        let width = out.width;
        let base = out.w.len();
        self.chunk_base = base;
        let rows_end = (base + picked.len()) * width;
        if want.f64 {
            out.x64.resize(rows_end, 0.0);
        } else {
            out.x.resize(rows_end, 0.0);
        }
        let mut finite = vec![true; picked.len()];
        for (j, f) in want.features.iter().enumerate() {
            let v = cols.eval(f)?;
            for (k, &i) in picked.iter().enumerate() {
                let value = v[i as usize];
                let o = (base + k) * width + j;
                let ok = if want.f64 {
                    out.x64[o] = value;
                    value.is_finite()
                } else {
                    // finite in f32 implies finite in f64; too large for f32 is not finite
                    out.x[o] = value as f32;
                    out.x[o].is_finite()
                };
                if !ok {
                    finite[k] = false;
                    let bad = &mut self.bad[j];
                    bad.count += 1;
                    if bad.first.is_none() {
                        let e = cols.first_entry + i as u64;
                        bad.first = Some((locate(self.chain, e), value.to_bits()));
                    }
                }
            }
        }
        Ok(finite)
    }

    /// Keeps or leaves out picked entry `i` of the chunk starting at chain entry
    /// `start` (row `base + k` of the matrix): its weight, by the negative-weight
    /// policy, fold and mass, and its row moved up over the rows left out before it.
    fn keep(&mut self, start: u64, i: usize, k: usize, finite: bool, ev: &PerEvent) -> Result<()> {
        let (spec, chain) = (self.spec, self.chain);
        let out = &mut self.out;
        let e = start + i as u64;
        let file = chain.starts.partition_point(|&s| s <= e).saturating_sub(1);
        if let Some(r) = out.report.files.get_mut(file) {
            r.selected += 1;
        }
        let wi = ev.w[i];
        if !wi.is_finite() {
            return Err(Error::Usage(format!(
                "{}: the weight `{}` is {wi} at {}; weights must be finite numbers (fix the \
                 weight expression or add a cut)",
                spec.key,
                spec.weight,
                locate(chain, e)
            )));
        }
        if !finite {
            out.report.nonfinite_dropped += 1;
            return Ok(());
        }
        let mut wi = wi;
        if wi < 0.0 {
            out.report.negative_events += 1;
            out.report.negative_weight += wi;
            match spec.negative_weights {
                NegativeWeights::Keep => {}
                NegativeWeights::Ignore => {
                    out.report.changed_events += 1;
                    out.report.changed_weight += wi;
                    return Ok(());
                }
                NegativeWeights::Abs => {
                    out.report.changed_events += 1;
                    out.report.changed_weight += -2.0 * wi;
                    wi = -wi;
                }
            }
        }
        if let (Some(fold), Some((fx, k))) = (ev.fold, self.want.fold) {
            let v = fold[i];
            if !(v.is_finite() && v >= 0.0 && v < k as f64 && v.fract() == 0.0) {
                return Err(Error::Usage(format!(
                    "{}: the fold expression `{}` gives {v} at {}; it must give an integer \
                     from 0 to {} (for example `event % {k}`)",
                    spec.key,
                    fx.source(),
                    locate(chain, e),
                    k - 1
                )));
            }
            out.fold.push(v as u32);
        }
        if let (Some(mass), Some(mx)) = (ev.mass, self.want.mass) {
            let v = mass[i];
            if !v.is_finite() {
                return Err(Error::Usage(format!(
                    "{}: the mass `{}` is {v} at {}; the decorrelation needs a finite mass for \
                     every event (add a cut)",
                    spec.key,
                    mx.source(),
                    locate(chain, e)
                )));
            }
            out.mass.push(v);
        }
        // the event's row moves up over the rows of events left out before it
        let width = out.width;
        let (from, to) = ((self.chunk_base + k) * width, out.w.len() * width);
        if from != to {
            if self.want.f64 {
                out.x64.copy_within(from..from + width, to);
            } else {
                out.x.copy_within(from..from + width, to);
            }
        }
        out.w.push(wi);
        out.entry.push(e);
        Ok(())
    }

    /// The sample, once every chunk is in: the non-finite features refused (unless
    /// `drop_nonfinite`), the totals, and a sample with no events or a total weight that
    /// is not positive refused.
    fn finish(self, total: u64) -> Result<Sample> {
        let (spec, want, mut out) = (self.spec, self.want, self.out);
        out.x.shrink_to_fit();
        out.x64.shrink_to_fit();
        if !spec.drop_nonfinite {
            if let Some((j, b)) = self.bad.iter().enumerate().find(|(_, b)| b.count > 0) {
                let (place, bits) = b.first.clone().unwrap_or_default();
                return Err(Error::Usage(format!(
                    "{}: the feature `{}` is not a finite number (or overflows a float) in {} \
                     selected events, first {} at {place}; fix the expression (e.g. log(x + \
                     1e-3)), add a cut, or set drop_nonfinite = true in [{}] to leave such \
                     events out",
                    spec.key,
                    want.features[j].source(),
                    b.count,
                    f64::from_bits(bits),
                    spec.key
                )));
            }
        }
        out.report.events = out.w.len();
        out.report.sum_weights = out.w.iter().sum();
        if out.w.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no events selected from {} entries ({}); check the cut{}",
                spec.key,
                total,
                spec.files.join(", "),
                spec.cut
                    .as_deref()
                    .map(|c| format!(" `{c}`"))
                    .unwrap_or_default()
            )));
        }
        if !(out.report.sum_weights > 0.0) {
            return Err(Error::Usage(format!(
                "{}: the total weight of its {} events is {} (weight `{}`); a sample needs a \
                 positive total weight. Negative weights are used as they are; check the \
                 weight expression, or set negative_weights = \"ignore\" or \"abs\" in [{}] \
                 if that is really wanted",
                spec.key,
                out.w.len(),
                out.report.sum_weights,
                spec.weight,
                spec.key
            )));
        }
        Ok(out)
    }
}
fn short(key: &str) -> String {
    key.rsplit('.').next().unwrap_or(key).to_string()
}

/// An error of opening or reading sample `key`, prefixed with the sample: a missing file
/// names the config key and the path as resolved (relative names are relative to the
/// run description's folder); a missing tree or a damaged file names the sample.
fn in_sample(key: &str, e: Error) -> Error {
    match e {
        Error::Usage(m) => Error::Usage(format!("{key}: {m}")),
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Usage(format!(
                "{key}.files: `{}` does not exist (file names in the run description are \
                 relative to its folder; this is the path as resolved)",
                path.display()
            ))
        }
        e @ (Error::Io { .. } | Error::Root { .. } | Error::NotFound { .. }) => {
            Error::Usage(format!("{key}: {e}"))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests;
