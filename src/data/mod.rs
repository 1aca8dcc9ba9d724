//! Samples: the events of one role (signal, background, data, simulation) read from
//! ROOT files through the expressions of the run description.
//!
//! A sample is a chain of files (globs and several patterns, in order), with friend
//! trees joined by entry number. It is read in chunks of [`READ_CHUNK`] entries; per
//! chunk, the branches that the cut, the features, the weight and the fold and mass
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

pub mod columns;
pub mod sets;
pub mod split;

use serde::Serialize;

use crate::config::{NegativeWeights, SampleSpec};
use crate::expr::{read_for, Expr};
use crate::progress::Progress;
use crate::root::{Chain, TreeSpec};
use crate::{Error, Result};

/// Entries read per chunk.
pub const READ_CHUNK: u64 = 1 << 19;

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
        let part = Chain::open(&TreeSpec::parse(pattern))?;
        chain = Some(match chain {
            None => part,
            Some(mut c) => {
                for t in part.trees {
                    let last = c.entries();
                    c.starts.push(last + t.entries);
                    c.trees.push(t);
                }
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
    match chain.trees.get(i) {
        Some(t) => format!(
            "{}:{} entry {}",
            t.file.path().display(),
            t.path,
            e - chain.starts[i]
        ),
        None => format!("entry {e}"),
    }
}

struct Nonfinite {
    count: usize,
    first: Option<(String, u64)>,
}

/// Reads one sample.
pub fn load(spec: &SampleSpec, want: &Wanted, progress: &Progress) -> Result<Sample> {
    load_in_chunks(spec, want, progress, READ_CHUNK)
}

/// [`load`], reading `chunk` entries at a time (the tests use small chunks, so that
/// rows left out are closed up across chunk boundaries).
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
    let cut = spec.cut.as_deref().map(|c| parse("cut", c)).transpose()?;
    let weight = parse("weight", &spec.weight)?;
    let mut exprs: Vec<&Expr> = want.features.iter().collect();
    exprs.push(&weight);
    if let Some(c) = &cut {
        exprs.push(c);
    }
    if let Some((f, _)) = want.fold {
        exprs.push(f);
    }
    if let Some(m) = want.mass {
        exprs.push(m);
    }
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
    let width = want.features.len();
    let total = chain.entries();
    let bar = progress.bar(total, "entries", &short(&spec.key));
    let mut out = Sample {
        key: spec.key.clone(),
        width,
        x: Vec::new(),
        x64: Vec::new(),
        w: Vec::new(),
        fold: Vec::new(),
        mass: Vec::new(),
        report: SampleReport {
            sample: spec.key.clone(),
            files: chain
                .trees
                .iter()
                .map(|t| FileReport {
                    file: t.file.path().display().to_string(),
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
    let mut bad: Vec<Nonfinite> = (0..width)
        .map(|_| Nonfinite {
            count: 0,
            first: None,
        })
        .collect();
    if !want.f64 {
        // Room for every entry up front (pages never written cost no memory, and the
        // matrix is never moved while it grows), backed by huge pages where the system
        // allows, since training gathers its rows at random. If the room cannot be
        // had, the matrix grows chunk by chunk instead.
        let room = (total as usize).checked_mul(width);
        if room.is_some_and(|r| out.x.try_reserve_exact(r).is_ok()) {
            rootgrad_kernels::mem::advise_huge_pages(&out.x);
        }
    }
    let mut start = 0u64;
    while start < total {
        let stop = (start + chunk.max(1)).min(total);
        let cols = read_for(&exprs, &chain, start..stop).map_err(|e| in_sample(&spec.key, e))?;
        let n = cols.entries;
        // the chunk's entries that pass the cut
        let picked: Vec<u32> = match &cut {
            Some(c) => {
                let v = cols.eval(c)?;
                (0..n)
                    .filter(|&i| v[i] != 0.0 && !v[i].is_nan())
                    .map(|i| i as u32)
                    .collect()
            }
            None => (0..n as u32).collect(),
        };
        // one row per picked entry, filled feature by feature (one f64 column alive at a
        // time); the rows of events left out below are closed up afterwards
        let base = out.w.len();
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
                    bad[j].count += 1;
                    if bad[j].first.is_none() {
                        let e = start + i as u64;
                        bad[j].first = Some((locate(&chain, e), value.to_bits()));
                    }
                }
            }
        }
        let w = cols.eval(&weight)?;
        let fold = want.fold.map(|(f, _)| cols.eval(f)).transpose()?;
        let mass = want.mass.map(|m| cols.eval(m)).transpose()?;
        drop(cols);
        for (k, &i) in picked.iter().enumerate() {
            let i = i as usize;
            let e = start + i as u64;
            let file = chain.starts.partition_point(|&s| s <= e).saturating_sub(1);
            if let Some(r) = out.report.files.get_mut(file) {
                r.selected += 1;
            }
            let wi = w[i];
            if !wi.is_finite() {
                return Err(Error::Usage(format!(
                    "{}: the weight `{}` is {wi} at {}; weights must be finite numbers (fix \
                     the weight expression or add a cut)",
                    spec.key,
                    spec.weight,
                    locate(&chain, e)
                )));
            }
            if !finite[k] {
                out.report.nonfinite_dropped += 1;
                continue;
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
                        continue;
                    }
                    NegativeWeights::Abs => {
                        out.report.changed_events += 1;
                        out.report.changed_weight += -2.0 * wi;
                        wi = -wi;
                    }
                }
            }
            if let (Some(fold), Some((fx, k))) = (&fold, want.fold) {
                let v = fold[i];
                if !(v.is_finite() && v >= 0.0 && v < k as f64 && v.fract() == 0.0) {
                    return Err(Error::Usage(format!(
                        "{}: the fold expression `{}` gives {v} at {}; it must give an integer \
                         from 0 to {} (for example `event % {k}`)",
                        spec.key,
                        fx.source(),
                        locate(&chain, e),
                        k - 1
                    )));
                }
                out.fold.push(v as u32);
            }
            if let (Some(mass), Some(mx)) = (&mass, want.mass) {
                let v = mass[i];
                if !v.is_finite() {
                    return Err(Error::Usage(format!(
                        "{}: the mass `{}` is {v} at {}; the decorrelation needs a finite mass \
                         for every event (add a cut)",
                        spec.key,
                        mx.source(),
                        locate(&chain, e)
                    )));
                }
                out.mass.push(v);
            }
            // the event's row moves up over the rows of events left out before it
            let (from, to) = ((base + k) * width, out.w.len() * width);
            if from != to {
                if want.f64 {
                    out.x64.copy_within(from..from + width, to);
                } else {
                    out.x.copy_within(from..from + width, to);
                }
            }
            out.w.push(wi);
        }
        out.x.truncate(out.w.len() * width);
        out.x64.truncate(out.w.len() * width);
        bar.inc(stop - start);
        start = stop;
    }
    bar.finish_and_clear();
    out.x.shrink_to_fit();
    out.x64.shrink_to_fit();
    if !spec.drop_nonfinite {
        if let Some((j, b)) = bad.iter().enumerate().find(|(_, b)| b.count > 0) {
            let (place, bits) = b.first.clone().unwrap_or_default();
            return Err(Error::Usage(format!(
                "{}: the feature `{}` is not a finite number (or overflows a float) in {} \
                 selected events, first {} at {place}; fix the expression (e.g. log(x + 1e-3)), \
                 add a cut, or set drop_nonfinite = true in [{}] to leave such events out",
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
             positive total weight. Negative weights are used as they are; check the weight \
             expression, or set negative_weights = \"ignore\" or \"abs\" in [{}] if that is \
             really wanted",
            spec.key,
            out.w.len(),
            out.report.sum_weights,
            spec.weight,
            spec.key
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

fn short(key: &str) -> String {
    key.rsplit('.').next().unwrap_or(key).to_string()
}

fn in_sample(key: &str, e: Error) -> Error {
    match e {
        Error::Usage(m) => Error::Usage(format!("{key}: {m}")),
        other => other,
    }
}
