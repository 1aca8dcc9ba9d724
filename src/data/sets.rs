//! The arrays the training loop draws batches from: sets of events as index views into
//! the samples' raw f32 feature matrices (stored once, by the loader), with labels and
//! weights in f32; features are standardised row by row as a batch is gathered.
//!
//! Standardisation: x' = (x - mean) / std per feature, with the mean and the standard
//! deviation (population, divisor n) of the training events of both classes,
//! unweighted (weights may be negative, so a weighted variance can be negative too); a
//! feature with std 0 (constant in the training set) keeps std = 1 and is reported.
//! Computed in f64, stored in the model; applied in f64 and rounded to f32 once.

use rayon::prelude::*;
use rootgrad_kernels::gather::{prefetch_indexed, prefetch_range};

use super::Sample;
use crate::Result;
use crate::{random::SplitMix64, Error};

/// Per-feature mean and standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardize {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardize {
    /// From the rows `rows` of (n, width) raw features; returns the indices of constant
    /// features too. Two passes over `rows` (the mean, then the squared deviations), so
    /// nothing is collected.
    pub fn fit<'a>(
        width: usize,
        rows: impl Iterator<Item = &'a [f32]> + Clone,
    ) -> (Self, Vec<usize>) {
        let mut n = 0usize;
        let mut sum = vec![0.0f64; width];
        for r in rows.clone() {
            n += 1;
            for (s, &v) in sum.iter_mut().zip(r) {
                *s += v as f64;
            }
        }
        let nf = n.max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / nf).collect();
        let mut var = vec![0.0f64; width];
        for r in rows {
            for j in 0..width {
                let d = r[j] as f64 - mean[j];
                var[j] += d * d;
            }
        }
        let mut constant = Vec::new();
        let std = var
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let s = (v / nf).sqrt();
                if s > 0.0 && s.is_finite() {
                    s
                } else {
                    constant.push(j);
                    1.0
                }
            })
            .collect();
        (Standardize { mean, std }, constant)
    }

    /// `out = (raw - mean) / std`, row by row, rounded to f32.
    pub fn apply(&self, raw: &[f32], out: &mut [f32]) {
        let w = self.mean.len();
        for (r, o) in raw.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
            for (((o, &r), &m), &s) in o.iter_mut().zip(r).zip(&self.mean).zip(&self.std) {
                *o = ((r as f64 - m) / s) as f32;
            }
        }
    }

    /// [`Standardize::apply`] in place: `x = (x - mean) / std`, row by row, rounded to
    /// f32 (the same arithmetic, so the same bits).
    pub fn apply_in_place(&self, x: &mut [f32]) {
        let w = self.mean.len();
        for row in x.chunks_exact_mut(w) {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = ((*v as f64 - m) / s) as f32;
            }
        }
    }

    /// Checks that a loaded model's standardisation fits `width` features and is usable.
    pub fn check(&self, width: usize, what: &str) -> Result<()> {
        if self.mean.len() != width || self.std.len() != width {
            return Err(Error::Usage(format!(
                "{what}: standardize has {} means and {} standard deviations for {width} \
                 inputs",
                self.mean.len(),
                self.std.len()
            )));
        }
        if let Some(j) = (0..width)
            .find(|&j| !(self.mean[j].is_finite() && self.std[j].is_finite() && self.std[j] > 0.0))
        {
            return Err(Error::Usage(format!(
                "{what}: input {j} has mean {} and std {}; both must be finite and std > 0",
                self.mean[j], self.std[j]
            )));
        }
        Ok(())
    }
}

/// Rows copied, then standardised, per block when gathering (about 60 kB of 30 f32
/// features: well inside a core's cache).
const GATHER_ROWS: usize = 512;

/// How many rows ahead of the copy [`Set::fill_rows`] asks for a row (its references,
/// labels and weights are asked for a whole part ahead). Chosen by the profile in
/// docs/performance.md ("The epoch's call graph").
const PREFETCH_ROWS: usize = 16;

/// Events ready for the network, as a view: each event is a row of one of the samples'
/// raw feature matrices ([`Sample::x`], never copied), standardised by `st` only when it
/// is gathered into a batch (the same f64 arithmetic as [`Standardize::apply`], so the
/// values are the ones a standardised copy would hold), with its label, weight and raw
/// mass (for decorrelation; empty without) stored per event.
///
/// Memory per event: 8 bytes of row reference and 12 of label, weight and mass; the
/// features stay where the loader put them, once.
#[derive(Clone)]
pub struct Set<'a> {
    pub width: usize,
    st: &'a Standardize,
    /// The raw (events, width) matrices the rows come from.
    sources: Vec<&'a [f32]>,
    /// (source, row) of each event.
    at: Vec<(u32, u32)>,
    pub y: Vec<f32>,
    pub w: Vec<f32>,
    pub mass: Vec<f32>,
}

/// Sizes only: the sources are whole samples' matrices.
impl std::fmt::Debug for Set<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Set")
            .field("events", &self.len())
            .field("width", &self.width)
            .field("sources", &self.sources.len())
            .field("mass", &!self.mass.is_empty())
            .finish()
    }
}

impl<'a> Set<'a> {
    /// An empty set of `width` features, standardised by `st`.
    pub fn new(width: usize, st: &'a Standardize) -> Set<'a> {
        Set {
            width,
            st,
            sources: Vec::new(),
            at: Vec::new(),
            y: Vec::new(),
            w: Vec::new(),
            mass: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The standardisation applied when rows are gathered.
    pub fn standardize(&self) -> &'a Standardize {
        self.st
    }

    /// The index of `x` among the sources, added if new.
    fn source(&mut self, x: &'a [f32]) -> u32 {
        match self.sources.iter().position(|s| std::ptr::eq(*s, x)) {
            Some(k) => k as u32,
            None => {
                self.sources.push(x);
                (self.sources.len() - 1) as u32
            }
        }
    }

    /// Appends the events `idx` of `s` with label `y` and weights times `scale`. The
    /// rows are referenced, not copied.
    pub fn extend(&mut self, s: &'a Sample, idx: &[usize], y: f32, scale: f64) {
        debug_assert_eq!(s.width, self.width);
        let src = self.source(&s.x);
        self.at.reserve(idx.len());
        for &i in idx {
            self.at.push((src, i as u32));
            self.y.push(y);
            self.w.push((s.w[i] * scale) as f32);
            if !s.mass.is_empty() {
                self.mass.push(s.mass[i] as f32);
            }
        }
    }

    /// Appends every event of `other` (same standardisation) with label `y` and its
    /// weights times `scale` (`(w as f64 * scale) as f32`), and its masses if any.
    pub fn append(&mut self, other: &Set<'a>, y: f32, scale: f64) {
        debug_assert!(std::ptr::eq(self.st, other.st) || self.st == other.st);
        let map: Vec<u32> = other.sources.iter().map(|&x| self.source(x)).collect();
        self.at
            .extend(other.at.iter().map(|&(k, r)| (map[k as usize], r)));
        self.y.resize(self.y.len() + other.len(), y);
        self.w
            .extend(other.w.iter().map(|&w| (w as f64 * scale) as f32));
        self.mass.extend_from_slice(&other.mass);
    }

    /// The events `idx` of this set, in that order, as a new view.
    pub fn select(&self, idx: &[u32]) -> Set<'a> {
        let mut out = Set {
            sources: self.sources.clone(),
            at: Vec::with_capacity(idx.len()),
            y: Vec::with_capacity(idx.len()),
            w: Vec::with_capacity(idx.len()),
            mass: Vec::new(),
            ..Set::new(self.width, self.st)
        };
        for &i in idx {
            let i = i as usize;
            out.at.push(self.at[i]);
            out.y.push(self.y[i]);
            out.w.push(self.w[i]);
            if !self.mass.is_empty() {
                out.mass.push(self.mass[i]);
            }
        }
        out
    }

    /// The raw features of event `i`.
    pub fn raw_row(&self, i: usize) -> &'a [f32] {
        let (k, r) = self.at[i];
        let r = r as usize;
        &self.sources[k as usize][r * self.width..(r + 1) * self.width]
    }

    /// The standardised features of events `range`, (len, width) row-major, into `x`
    /// (cleared first): what evaluation passes read, a block at a time. Blocks of
    /// [`GATHER_ROWS`] rows are filled in parallel ([`Set::fill_rows`]), the same values
    /// whatever the thread count.
    pub fn rows(&self, range: std::ops::Range<usize>, x: &mut Vec<f32>) {
        let idx: Vec<u32> = range.map(|i| i as u32).collect();
        let width = self.width.max(1);
        x.clear();
        x.resize(idx.len() * self.width, 0.0);
        x.par_chunks_mut(GATHER_ROWS * width)
            .zip(idx.par_chunks(GATHER_ROWS))
            .for_each(|(xs, ids)| self.fill_rows(ids, xs));
    }

    /// Copies events `idx` into the batch buffers (cleared first), standardising the
    /// features: the only copy of feature values training makes, B rows at a time.
    ///
    /// Blocks of [`GATHER_ROWS`] events are gathered in parallel; each value is the
    /// same whatever the thread count (a row's standardisation depends on that row
    /// alone).
    pub fn gather(&self, idx: &[u32], b: &mut Batch) {
        let n = idx.len();
        b.x.resize(n * self.width, 0.0);
        b.y.resize(n, 0.0);
        b.w.resize(n, 0.0);
        self.gather_slices(idx, &mut b.x, &mut b.y, &mut b.w);
        b.mass.clear();
        if !self.mass.is_empty() {
            b.mass.extend(idx.iter().map(|&i| self.mass[i as usize]));
        }
    }

    /// Two sets' events into one batch, `self`'s events `idx` then `other`'s events
    /// `other_idx`, both halves gathered in one parallel region: the same values as
    /// [`Set::gather`] of each, one batch after the other (the domain batch: data then
    /// simulation).
    pub fn gather_pair(&self, idx: &[u32], other: &Set, other_idx: &[u32], b: &mut Batch) {
        let (n1, n) = (idx.len(), idx.len() + other_idx.len());
        let w = self.width;
        b.x.resize(n * w, 0.0);
        b.y.resize(n, 0.0);
        b.w.resize(n, 0.0);
        let (x1, x2) = b.x.split_at_mut(n1 * w);
        let (y1, y2) = b.y.split_at_mut(n1);
        let (w1, w2) = b.w.split_at_mut(n1);
        rayon::join(
            || self.gather_slices(idx, x1, y1, w1),
            || other.gather_slices(other_idx, x2, y2, w2),
        );
        b.mass.clear();
        if !self.mass.is_empty() {
            b.mass.extend(idx.iter().map(|&i| self.mass[i as usize]));
        }
        if !other.mass.is_empty() {
            b.mass
                .extend(other_idx.iter().map(|&i| other.mass[i as usize]));
        }
    }

    /// Events `idx` into slices of exactly their size: blocks of [`GATHER_ROWS`] rows
    /// in parallel, each copied raw and then standardised in place while in cache.
    fn gather_slices(&self, idx: &[u32], x: &mut [f32], y: &mut [f32], w: &mut [f32]) {
        let width = self.width.max(1);
        x.par_chunks_mut(GATHER_ROWS * width)
            .zip(y.par_chunks_mut(GATHER_ROWS))
            .zip(w.par_chunks_mut(GATHER_ROWS))
            .zip(idx.par_chunks(GATHER_ROWS))
            .for_each(|(((xs, ys), ws), ids)| {
                for ((&i, yv), wv) in ids.iter().zip(ys).zip(ws) {
                    *yv = self.y[i as usize];
                    *wv = self.w[i as usize];
                }
                self.fill_rows(ids, xs);
            });
    }

    /// The standardised features of events `idx` into `x` (exactly `idx.len()` rows),
    /// on the calling thread, each row standardised from its raw values straight into
    /// `x` (the arithmetic of [`Standardize::apply`]). The values of [`Set::gather`]'s
    /// rows, bit for bit (a row's standardisation depends on that row alone), and of
    /// the copy-then-standardise loop it replaced (kept as the tests' reference).
    ///
    /// A shuffled batch's rows, their references and their labels and weights are
    /// scattered over arrays of megabytes, so the copy waits on memory. It first asks
    /// for the references, labels and weights of every event of `idx` (one loop of
    /// prefetches, so the misses overlap; the fused step's loss reads the labels and
    /// weights right after the chunk's forward), then copies row r while row
    /// r + [`PREFETCH_ROWS`] is on its way.
    ///
    /// Panics if `x` does not hold `idx.len()` rows.
    pub fn fill_rows(&self, idx: &[u32], x: &mut [f32]) {
        let width = self.width.max(1);
        assert_eq!(
            x.len(),
            idx.len() * self.width,
            "Set::fill_rows: buffer length"
        );
        prefetch_indexed(&self.at, idx);
        prefetch_indexed(&self.y, idx);
        prefetch_indexed(&self.w, idx);
        for (r, (row, &i)) in x.chunks_exact_mut(width).zip(idx).enumerate() {
            if let Some(&(k, next)) = idx
                .get(r + PREFETCH_ROWS)
                .and_then(|&j| self.at.get(j as usize))
            {
                prefetch_range(
                    self.sources[k as usize],
                    next as usize * self.width,
                    self.width,
                );
            }
            self.st.apply(self.raw_row(i as usize), row);
        }
    }

    /// [`Set::fill_rows`] as it was before the prefetching: the raw rows copied, then
    /// standardised in place, [`GATHER_ROWS`] rows at a time; the tests' reference.
    #[cfg(test)]
    pub(crate) fn fill_rows_naive(&self, idx: &[u32], x: &mut [f32]) {
        let width = self.width.max(1);
        assert_eq!(x.len(), idx.len() * self.width);
        for (xs, ids) in x
            .chunks_mut(GATHER_ROWS * width)
            .zip(idx.chunks(GATHER_ROWS))
        {
            for (row, &i) in xs.chunks_exact_mut(width).zip(ids) {
                row.copy_from_slice(self.raw_row(i as usize));
            }
            self.st.apply_in_place(xs);
        }
    }

    /// Sum of weights in f64, in event order.
    pub fn sum_w(&self) -> f64 {
        self.w.iter().map(|&v| v as f64).sum()
    }
}

/// One event of a [`PackedSet`]: where its features are (source matrix, row) and its
/// label and weight, in 16 bytes, so a shuffled batch's look-up of an event costs one
/// cache line instead of three (the set's `at`, `y` and `w` arrays).
#[derive(Debug, Clone, Copy, PartialEq)]
struct EventRef {
    src: u32,
    row: u32,
    y: f32,
    w: f32,
}

/// A set's events packed for shuffled batches (the trainer's classification set, built
/// once per model): per event its row reference, label and weight side by side
/// ([`EventRef`]), 16 bytes per event beside the set's own arrays. The rows and values
/// it hands out are the set's, bit for bit.
pub struct PackedSet<'s, 'a> {
    set: &'s Set<'a>,
    refs: Vec<EventRef>,
}

impl<'s, 'a> PackedSet<'s, 'a> {
    pub fn new(set: &'s Set<'a>) -> Self {
        let refs = set
            .at
            .iter()
            .zip(&set.y)
            .zip(&set.w)
            .map(|((&(src, row), &y), &w)| EventRef { src, row, y, w })
            .collect();
        PackedSet { set, refs }
    }

    /// The labels and weights of events `idx` into `y` and `w` (resized to
    /// `idx.len()`): `set.y[i]`, `set.w[i]`. A tight loop, so the misses of a shuffled
    /// batch overlap; it also brings the events' row references into the cache for
    /// [`PackedSet::fill_rows`].
    pub fn labels(&self, idx: &[u32], y: &mut Vec<f32>, w: &mut Vec<f32>) {
        y.resize(idx.len(), 0.0);
        w.resize(idx.len(), 0.0);
        for ((&i, yv), wv) in idx.iter().zip(y.iter_mut()).zip(w.iter_mut()) {
            let e = self.refs[i as usize];
            *yv = e.y;
            *wv = e.w;
        }
    }

    /// [`Set::fill_rows`] through the packed references: the standardised features of
    /// events `idx` into `x` (exactly `idx.len()` rows), row r + [`PREFETCH_ROWS`]
    /// asked for while row r is standardised. The same bits as [`Set::fill_rows`].
    ///
    /// Panics if `x` does not hold `idx.len()` rows.
    pub fn fill_rows(&self, idx: &[u32], x: &mut [f32]) {
        let set = self.set;
        let (w, width) = (set.width, set.width.max(1));
        assert_eq!(
            x.len(),
            idx.len() * w,
            "PackedSet::fill_rows: buffer length"
        );
        prefetch_indexed(&self.refs, idx);
        let row_of = |e: EventRef| {
            let r = e.row as usize;
            &set.sources[e.src as usize][r * w..(r + 1) * w]
        };
        for (r, (row, &i)) in x.chunks_exact_mut(width).zip(idx).enumerate() {
            if let Some(e) = idx
                .get(r + PREFETCH_ROWS)
                .and_then(|&j| self.refs.get(j as usize))
            {
                prefetch_range(set.sources[e.src as usize], e.row as usize * w, w);
            }
            set.st.apply(row_of(self.refs[i as usize]), row);
        }
    }
}

/// One batch's rows.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub w: Vec<f32>,
    pub mass: Vec<f32>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// Draws batches of `size` from a set, reshuffled every time the set is used up
/// (consecutive batches never repeat an event within one pass).
#[derive(Debug, Clone)]
pub struct Cycler {
    order: Vec<u32>,
    pos: usize,
    rng: SplitMix64,
}

impl Cycler {
    pub fn new(n: usize, rng: SplitMix64) -> Cycler {
        let mut c = Cycler {
            order: Vec::new(),
            pos: 0,
            rng,
        };
        c.order = super::split::permutation(n, &mut c.rng);
        c
    }

    /// The next `size` indices (at most the set's size), wrapping with a fresh shuffle.
    pub fn next(&mut self, size: usize) -> Vec<u32> {
        let n = self.order.len();
        let size = size.min(n);
        let mut out = Vec::with_capacity(size);
        while out.len() < size {
            if self.pos == n {
                self.order = super::split::permutation(n, &mut self.rng);
                self.pos = 0;
            }
            let take = (size - out.len()).min(n - self.pos);
            out.extend_from_slice(&self.order[self.pos..self.pos + take]);
            self.pos += take;
        }
        out
    }
}

/// The sets one model trains and validates on: views into the samples' feature
/// matrices (see [`Set`]): what the trainer's `fit` takes.
pub struct FitSets<'a> {
    pub train: Set<'a>,
    pub val: Set<'a>,
    /// Control-region data and simulation, training part.
    pub domain_train: Option<(Set<'a>, Set<'a>)>,
    pub domain_val: Option<(Set<'a>, Set<'a>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardize_matches_the_formula() {
        let rows: Vec<[f32; 2]> = vec![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]];
        let (st, constant) = Standardize::fit(2, rows.iter().map(|r| &r[..]));
        assert_eq!(st.mean, vec![3.0, 5.0]);
        // population variance of 1, 2, 3, 6: (4 + 1 + 0 + 9) / 4
        assert_eq!(st.std[0], (14.0f64 / 4.0).sqrt());
        assert_eq!(st.std[1], 1.0);
        assert_eq!(constant, vec![1]);
        let mut out = [0.0f32; 2];
        st.apply(&[6.0, 5.0], &mut out);
        assert_eq!(out, [(3.0 / (3.5f64).sqrt()) as f32, 0.0]);
    }

    #[test]
    fn cycler_covers_every_event_once_per_pass() {
        let mut c = Cycler::new(10, SplitMix64::new(&[3]));
        let mut a = c.next(4);
        a.extend(c.next(4));
        a.extend(c.next(2));
        a.sort();
        assert_eq!(a, (0..10).collect::<Vec<u32>>());
        assert_eq!(c.next(25).len(), 10);
    }

    fn sample(key: &str, x: Vec<f32>, w: Vec<f64>) -> Sample {
        let report = crate::data::SampleReport {
            sample: key.into(),
            files: vec![],
            cut: None,
            weight: "w".into(),
            events: w.len(),
            sum_weights: w.iter().sum(),
            negative_events: 0,
            negative_weight: 0.0,
            negative_weights: "keep",
            changed_events: 0,
            changed_weight: 0.0,
            nonfinite_dropped: 0,
        };
        Sample {
            key: key.into(),
            width: 2,
            x,
            x64: vec![],
            w,
            fold: vec![],
            mass: vec![],
            entry: vec![],
            report,
        }
    }

    /// Sets are index views into the samples' matrices: every row a set (or a selection
    /// of it, or a set appended to it) hands out is the sample's own memory, and what a
    /// batch gets is exactly what a standardised copy would have held. A design that
    /// copies rows into the set cannot pass the pointer checks.
    #[test]
    fn sets_are_views_into_the_one_matrix() {
        let sig = sample("s", vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5], vec![1.0, 2.0, 3.0]);
        let bkg = sample("b", vec![-1.0, 0.5, 7.0, 8.25], vec![0.5, -0.25]);
        let (st, _) = Standardize::fit(2, (0..3).map(|i| sig.row(i)).chain([bkg.row(1)]));
        let mut set = Set::new(2, &st);
        set.extend(&sig, &[2, 0], 1.0, 2.0);
        set.extend(&bkg, &[1], 0.0, 1.0);
        let mut dom = Set::new(2, &st);
        dom.extend(&bkg, &[0], 0.0, 1.0);
        set.append(&dom, 0.0, 0.5);
        let sources = [(&sig, 2), (&sig, 0), (&bkg, 1), (&bkg, 0)];
        assert_eq!(set.len(), 4);
        for (k, (s, i)) in sources.iter().enumerate() {
            assert!(
                std::ptr::eq(set.raw_row(k), s.row(*i)),
                "event {k} is not a view"
            );
        }
        assert_eq!(set.y, vec![1.0, 1.0, 0.0, 0.0]);
        assert_eq!(set.w, vec![6.0, 2.0, -0.25, 0.25]);
        // a selection is a view of the same rows
        let sel = set.select(&[3, 1]);
        assert!(std::ptr::eq(sel.raw_row(0), bkg.row(0)));
        assert!(std::ptr::eq(sel.raw_row(1), sig.row(0)));
        // gathered rows are the standardised rows, bit for bit, in the asked order
        let mut b = Batch::default();
        set.gather(&[3, 0, 2], &mut b);
        let mut want = vec![0.0f32; 6];
        for (r, k) in [3usize, 0, 2].iter().enumerate() {
            let (s, i) = sources[*k];
            st.apply(s.row(i), &mut want[r * 2..r * 2 + 2]);
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&b.x), bits(&want));
        assert_eq!(b.y, vec![0.0, 1.0, 0.0]);
        assert_eq!(b.w, vec![0.25, 6.0, -0.25]);
        let mut block = Vec::new();
        set.rows(1..3, &mut block);
        let mut want = vec![0.0f32; 4];
        st.apply(sig.row(0), &mut want[..2]);
        st.apply(bkg.row(1), &mut want[2..]);
        assert_eq!(bits(&block), bits(&want));
    }

    /// The fused step's gather ([`Set::fill_rows`], chunk by chunk) on any split of the
    /// indices gives the features [`Set::gather`] gives, bit for bit, and reads none of
    /// the buffer's old contents.
    #[test]
    fn filled_rows_equal_the_gather() {
        let n = 3 * GATHER_ROWS + 11;
        let x: Vec<f32> = (0..2 * n).map(|v| (v % 89) as f32 * 0.53 - 7.0).collect();
        let s = sample("s", x, (0..n).map(|i| 0.5 - (i % 5) as f64 * 0.3).collect());
        let (st, _) = Standardize::fit(2, (0..n).map(|i| s.row(i)));
        let mut set = Set::new(2, &st);
        let all: Vec<usize> = (0..n).collect();
        set.extend(&s, &all, 1.0, 1.0);
        let idx: Vec<u32> = (0..n as u32).map(|i| (i * 7919) % n as u32).collect();
        let mut want = Batch::default();
        set.gather(&idx, &mut want);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for cut in [0, 1, GATHER_ROWS, n - 5] {
            let mut x = vec![f32::NAN; 2 * n];
            let (x1, x2) = x.split_at_mut(2 * cut);
            set.fill_rows(&idx[..cut], x1);
            set.fill_rows(&idx[cut..], x2);
            assert_eq!(bits(&x), bits(&want.x), "split at {cut}");
        }
    }

    /// The prefetching fill ([`Set::fill_rows`]) against the loop it replaced
    /// ([`Set::fill_rows_naive`]: copy, then standardise in place): the same bits for a
    /// shuffled order over two sources, parts shorter and longer than the prefetch
    /// distance and than a block, and the last rows of each source.
    #[test]
    fn prefetching_fill_gives_the_bits_of_the_naive_fill() {
        let (n1, n2) = (GATHER_ROWS + 29, 3 * PREFETCH_ROWS + 5);
        let x1: Vec<f32> = (0..2 * n1).map(|v| (v % 89) as f32 * 0.53 - 7.0).collect();
        let x2: Vec<f32> = (0..2 * n2).map(|v| (v % 13) as f32 * 1.7 + 0.1).collect();
        let a = sample("a", x1, vec![1.0; n1]);
        let b = sample("b", x2, (0..n2).map(|i| i as f64 - 4.0).collect());
        let (st, _) = Standardize::fit(2, (0..n1).map(|i| a.row(i)));
        let mut set = Set::new(2, &st);
        set.extend(&a, &(0..n1).collect::<Vec<_>>(), 1.0, 1.0);
        set.extend(&b, &(0..n2).rev().collect::<Vec<_>>(), 0.0, 1.0);
        let n = (n1 + n2) as u32;
        let idx: Vec<u32> = (0..n).map(|i| (i * 7919 + 3) % n).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for len in [
            0,
            1,
            PREFETCH_ROWS,
            PREFETCH_ROWS + 1,
            GATHER_ROWS + 7,
            idx.len(),
        ] {
            let part = &idx[idx.len() - len..];
            let mut got = vec![f32::NAN; 2 * len];
            let mut want = vec![0.0f32; 2 * len];
            set.fill_rows(part, &mut got);
            set.fill_rows_naive(part, &mut want);
            assert_eq!(bits(&got), bits(&want), "{len} rows");
        }
    }

    /// The packed set ([`PackedSet`]) hands out the set's labels, weights and
    /// standardised rows, bit for bit against the naive fill, for a shuffled order over
    /// two sources and parts around the prefetch distance.
    #[test]
    fn packed_set_gives_the_sets_rows_labels_and_weights() {
        let (n1, n2) = (GATHER_ROWS + 29, 3 * PREFETCH_ROWS + 5);
        let x1: Vec<f32> = (0..2 * n1).map(|v| (v % 89) as f32 * 0.53 - 7.0).collect();
        let x2: Vec<f32> = (0..2 * n2).map(|v| (v % 13) as f32 * 1.7 + 0.1).collect();
        let a = sample(
            "a",
            x1,
            (0..n1).map(|i| 0.5 - (i % 7) as f64 * 0.25).collect(),
        );
        let b = sample("b", x2, (0..n2).map(|i| i as f64 - 4.0).collect());
        let (st, _) = Standardize::fit(2, (0..n2).map(|i| b.row(i)));
        let mut set = Set::new(2, &st);
        set.extend(&b, &(0..n2).rev().collect::<Vec<_>>(), 0.0, 1.0);
        set.extend(&a, &(0..n1).collect::<Vec<_>>(), 1.0, 0.5);
        let packed = PackedSet::new(&set);
        let n = (n1 + n2) as u32;
        let idx: Vec<u32> = (0..n).map(|i| (i * 7919 + 11) % n).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for len in [0, 1, PREFETCH_ROWS + 1, GATHER_ROWS + 7, idx.len()] {
            let part = &idx[..len];
            let mut got = vec![f32::NAN; 2 * len];
            let mut want = vec![0.0f32; 2 * len];
            packed.fill_rows(part, &mut got);
            set.fill_rows_naive(part, &mut want);
            assert_eq!(bits(&got), bits(&want), "{len} rows");
            let (mut y, mut w) = (vec![7.0f32; 3], Vec::new());
            packed.labels(part, &mut y, &mut w);
            let y_want: Vec<f32> = part.iter().map(|&i| set.y[i as usize]).collect();
            let w_want: Vec<f32> = part.iter().map(|&i| set.w[i as usize]).collect();
            assert_eq!(bits(&y), bits(&y_want), "labels, {len} rows");
            assert_eq!(bits(&w), bits(&w_want), "weights, {len} rows");
        }
    }

    /// Gathers longer than one copy-then-standardise block give every row once, in order.
    #[test]
    fn gather_across_blocks_matches_row_by_row() {
        let n = 2 * GATHER_ROWS + 37;
        let x: Vec<f32> = (0..2 * n).map(|v| (v % 97) as f32 * 0.37 - 5.0).collect();
        let s = sample("s", x, vec![1.0; n]);
        let (st, _) = Standardize::fit(2, (0..n).map(|i| s.row(i)));
        let mut set = Set::new(2, &st);
        let all: Vec<usize> = (0..n).collect();
        set.extend(&s, &all, 1.0, 1.0);
        let idx: Vec<u32> = (0..n as u32).rev().collect();
        let mut b = Batch::default();
        set.gather(&idx, &mut b);
        assert_eq!(b.x.len(), 2 * n);
        for (r, &i) in idx.iter().enumerate() {
            let mut want = [0.0f32; 2];
            st.apply(s.row(i as usize), &mut want);
            assert_eq!(b.x[2 * r..2 * r + 2], want, "row {r}");
        }
    }
}
