//! Reading a branch into a column: locate the baskets an entry range touches,
//! decompress them in parallel, interpret their bytes, concatenate, trim to the range.
//!
//! Only the baskets that overlap `[entry_start, entry_stop)` are read. Each basket is
//! read with one positioned read of its key and compressed bytes, decompressed and
//! decoded on a rayon worker.
//!
//! When every entry has the same size (scalars, fixed arrays, leaf lists) the column's
//! length is known before any basket is read, so the column is allocated once, cut into
//! one disjoint slice per basket in entry order, and each worker decompresses its basket
//! into a buffer it keeps for the next one and decodes straight into its slice: no
//! per-basket vectors, no final copy. Variable-size entries are decoded per basket and
//! joined in entry order. Either way each value's place is fixed by its entry number,
//! so the result does not depend on the number of threads.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::compress;
use super::cursor::Cursor;
use super::file::parse_key;
use super::interp::{decode_into, Interpretation, Shape, Value};
use super::tree::{BranchInfo, Tree};
use super::{Fault, Res};
use crate::{Error, Result};

/// How the values of a column divide into entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `width` values per entry (1 for scalars, n for `x[n]`).
    Flat { width: usize },
    /// Entry `i` holds `values[offsets[i]..offsets[i + 1]]`; `offsets.len()` is the
    /// number of entries plus one.
    Jagged { offsets: Vec<usize> },
    /// Lists of lists (`std::vector<std::vector<T>>`): entry `i` holds the inner lists
    /// `lists[i]..lists[i + 1]`, and inner list `j` holds
    /// `values[offsets[j]..offsets[j + 1]]`. `lists.len()` is the number of entries
    /// plus one, `offsets.len()` the number of inner lists plus one.
    Nested {
        lists: Vec<usize>,
        offsets: Vec<usize>,
    },
}

/// The values of one branch over an entry range.
#[derive(Debug, Clone, PartialEq)]
pub struct Column<T> {
    pub name: String,
    pub values: Vec<T>,
    pub layout: Layout,
}

impl<T> Column<T> {
    /// Number of entries.
    pub fn entries(&self) -> usize {
        match &self.layout {
            Layout::Flat { width } => self.values.len().checked_div(*width).unwrap_or(0),
            Layout::Jagged { offsets } => offsets.len().saturating_sub(1),
            Layout::Nested { lists, .. } => lists.len().saturating_sub(1),
        }
    }

    /// The values of entry `i` (empty if out of range); for a nested column, the values
    /// of all its inner lists, one after the other.
    pub fn entry(&self, i: usize) -> &[T] {
        let (a, b) = match &self.layout {
            Layout::Flat { width } => (i * width, (i + 1) * width),
            Layout::Jagged { offsets } => match (offsets.get(i), offsets.get(i + 1)) {
                (Some(&a), Some(&b)) => (a, b),
                _ => return &[],
            },
            Layout::Nested { lists, offsets } => {
                let first = lists.get(i).and_then(|&l| offsets.get(l));
                let last = lists.get(i + 1).and_then(|&l| offsets.get(l));
                match (first, last) {
                    (Some(&a), Some(&b)) => (a, b),
                    _ => return &[],
                }
            }
        };
        self.values.get(a..b).unwrap_or(&[])
    }

    /// For a nested column, the inner lists of entry `i`, each as its values (empty if
    /// out of range); for other layouts, the entry as one list.
    pub fn lists(&self, i: usize) -> Vec<&[T]> {
        let Layout::Nested { lists, offsets } = &self.layout else {
            return vec![self.entry(i)];
        };
        let (Some(&a), Some(&b)) = (lists.get(i), lists.get(i + 1)) else {
            return Vec::new();
        };
        (a..b)
            .map(|j| match (offsets.get(j), offsets.get(j + 1)) {
                (Some(&x), Some(&y)) => self.values.get(x..y).unwrap_or(&[]),
                _ => &[],
            })
            .collect()
    }
}

/// The bytes of one basket, ready to interpret.
pub(super) struct Loaded {
    pub(super) data: Vec<u8>,
    /// Start of each entry in `data` (when entries differ in size).
    pub(super) starts: Option<Vec<u32>>,
    pub(super) entries: usize,
}

/// Reads branch `name` of `tree` over `range` (clamped to the tree's entries).
pub fn read_column<T: Value>(tree: &Tree, name: &str, range: Range<u64>) -> Result<Column<T>> {
    let b = tree.branch(name)?;
    let interp = b.interpretation.clone().map_err(|why| Error::Root {
        path: tree.file.path().to_path_buf(),
        msg: format!(
            "tree `{}`, branch `{name}` cannot be read as numbers: {why}",
            tree.path
        ),
    })?;
    read_branch(tree, b, &interp, range).map_err(|e| {
        e.context(format!("tree `{}`, branch `{name}`", tree.path))
            .at(tree.file.path())
    })
}

/// Reads several branches, in parallel across branches and baskets.
pub fn read_columns<T: Value>(
    tree: &Tree,
    names: &[&str],
    range: Range<u64>,
) -> Result<Vec<Column<T>>> {
    names
        .par_iter()
        .map(|n| read_column(tree, n, range.clone()))
        .collect()
}

fn read_branch<T: Value>(
    tree: &Tree,
    b: &BranchInfo,
    interp: &Interpretation,
    range: Range<u64>,
) -> Res<Column<T>> {
    let stop = range.end.min(tree.entries);
    let start = range.start.min(stop);
    // Every basket with its entry range: those in their own keys, then embedded ones.
    let mut spans: Vec<(u64, u64, Source)> = b
        .baskets
        .iter()
        .enumerate()
        .map(|(i, loc)| (loc.first, loc.stop, Source::Key(i)))
        .collect();
    let mut next = b.baskets.last().map_or(0, |l| l.stop);
    for (i, e) in b.embedded.iter().enumerate() {
        spans.push((next, next + e.nevbuf as u64, Source::Embedded(i)));
        next += e.nevbuf as u64;
    }
    if next < stop {
        return Err(Fault::new(format!(
            "its baskets hold {next} entries but the tree has {}; the file may be truncated or still being written",
            tree.entries
        )));
    }
    let chosen: Vec<&(u64, u64, Source)> = spans
        .iter()
        .filter(|(a, z, _)| *z > start && *a < stop)
        .collect();
    if interp.shape == Shape::Nested {
        let loaded: Vec<Loaded> = chosen
            .par_iter()
            .map(|(_, _, src)| load(tree, b, src))
            .collect::<Res<_>>()?;
        let spans: Vec<(u64, u64)> = chosen.iter().map(|(a, z, _)| (*a, *z)).collect();
        return super::nested::read_baskets(b, interp, &loaded, &spans, start..stop);
    }
    if !matches!(interp.shape, Shape::Jagged { .. }) {
        return Ok(Column {
            name: b.name.clone(),
            values: read_flat(tree, b, interp, &chosen, start..stop)?,
            layout: Layout::Flat {
                width: interp.width(),
            },
        });
    }
    let mut loaded: Vec<Loaded> = chosen
        .par_iter()
        .map(|(_, _, src)| load(tree, b, src))
        .collect::<Res<_>>()?;
    // Jagged baskets written without entry offsets are split with the count leaf.
    if matches!(interp.shape, Shape::Jagged { .. }) && loaded.iter().any(|l| l.starts.is_none()) {
        if let Some((first, counts)) = count_values(tree, b, &chosen)? {
            for (l, (a, z, _)) in loaded.iter_mut().zip(&chosen) {
                if l.starts.is_none() {
                    let (i, j) = ((a - first) as usize, (z - first) as usize);
                    let part = counts.get(i..j).ok_or_else(|| {
                        Fault::new("count leaf has fewer entries than the branch")
                    })?;
                    l.starts = Some(starts_from_counts(interp, part));
                }
            }
        }
    }
    // Values per entry, per basket: known from the entry offsets before decoding.
    let counts: Vec<Vec<usize>> = loaded
        .par_iter()
        .zip(chosen.par_iter())
        .map(|(loaded, (a, z, _))| {
            let n = z.saturating_sub(*a) as usize;
            if loaded.entries != n {
                return Err(Fault::new(format!(
                    "basket at entry {a} holds {} entries, the branch says {n}",
                    loaded.entries
                )));
            }
            let lo = (start.max(*a) - a) as usize;
            let hi = ((stop.min(*z).max(*a) - a) as usize).max(lo);
            jagged_counts(interp, loaded, lo..hi)
                .map_err(|e| e.context(format!("basket at entry {a}")))
        })
        .collect::<Res<_>>()?;
    let mut offsets = Vec::with_capacity(counts.iter().map(Vec::len).sum::<usize>() + 1);
    offsets.push(0usize);
    let mut total = 0usize;
    for &c in counts.iter().flatten() {
        total += c;
        offsets.push(total);
    }
    // The counts come from bytes in memory, so `total` values fit in memory too.
    let mut values = vec![T::default(); total];
    let chunks = split_by(&mut values, counts.iter().map(|c| c.iter().sum()))?;
    loaded
        .par_iter()
        .zip(chosen.par_iter())
        .zip(counts.par_iter())
        .zip(chunks.into_par_iter())
        .try_for_each(|(((loaded, (a, _, _)), counts), out)| {
            let lo = (start.max(*a) - a) as usize;
            decode_jagged(interp, loaded, lo, counts, out)
                .map_err(|e| e.context(format!("basket at entry {a}")))
        })?;
    Ok(Column {
        name: b.name.clone(),
        values,
        layout: Layout::Jagged { offsets },
    })
}

/// For a jagged branch whose baskets carry no entry offsets,
/// the values of its count leaf over the chosen baskets, with the first entry.
fn count_values(
    tree: &Tree,
    b: &BranchInfo,
    chosen: &[&(u64, u64, Source)],
) -> Res<Option<(u64, Vec<f64>)>> {
    let Some(count) = b.leaves.first().and_then(|l| l.count.as_ref()) else {
        return Ok(None);
    };
    let (Some(first), Some(last)) = (chosen.first(), chosen.last()) else {
        return Ok(None);
    };
    let cb = tree
        .branches
        .iter()
        .find(|x| x.name != b.name && x.leaves.iter().any(|l| &l.name == count))
        .ok_or_else(|| Fault::new(format!("its count leaf `{count}` is not in the tree")))?;
    let ci = cb
        .interpretation
        .clone()
        .map_err(|e| Fault::new(format!("count leaf `{count}`: {e}")))?;
    if !matches!(ci.shape, Shape::Scalar) {
        return Err(Fault::new(format!(
            "count leaf `{count}` is not one number per entry"
        )));
    }
    let col: Column<f64> = read_branch(tree, cb, &ci, first.0..last.1)?;
    Ok(Some((first.0, col.values)))
}

/// Entry start offsets in bytes from per-entry item counts.
fn starts_from_counts(interp: &Interpretation, counts: &[f64]) -> Vec<u32> {
    let (header, inner) = match interp.shape {
        Shape::Jagged { header, inner } => (header, inner),
        _ => (0, 1),
    };
    let item = interp.element.size() * inner;
    let mut at = 0u64;
    counts
        .iter()
        .map(|&n| {
            let s = at.min(u32::MAX as u64) as u32;
            at += header as u64 + (n.max(0.0) as u64).saturating_mul(item as u64);
            s
        })
        .collect()
}

enum Source {
    Key(usize),
    Embedded(usize),
}

thread_local! {
    /// Each worker thread's buffer for decompressed baskets of fixed-size entries, kept
    /// from basket to basket: a fresh vector per basket costs a page fault per 4 kB.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads a branch whose entries all have the same size: allocates the column once, cuts
/// it into one slice per basket (in entry order) and decodes each basket, in parallel,
/// straight into its slice.
fn read_flat<T: Value>(
    tree: &Tree,
    b: &BranchInfo,
    interp: &Interpretation,
    chosen: &[&(u64, u64, Source)],
    range: Range<u64>,
) -> Res<Vec<T>> {
    // The values each basket gives: those of its entries inside the range.
    let mut counts = Vec::with_capacity(chosen.len());
    let mut total = 0usize;
    for (a, z, _) in chosen {
        let entries = range.end.min(*z).saturating_sub(range.start.max(*a));
        let n = usize::try_from(entries)
            .ok()
            .and_then(|e| flat_values(interp, e))
            .ok_or_else(|| {
                Fault::new(format!(
                    "basket at entry {a}: {entries} entries is too many"
                ))
            })?;
        total = total
            .checked_add(n)
            .ok_or_else(|| Fault::new(format!("{total} + {n} values is too many")))?;
        counts.push(n);
    }
    // The entry counts come from the file: ask for the memory before taking it, so that
    // an absurd count is an error rather than an abort. vec![0; n] then maps zeroed
    // pages lazily; each page is first touched by the worker that decodes into it.
    Vec::<T>::new().try_reserve_exact(total).map_err(|e| {
        Fault::new(format!(
            "cannot allocate {total} values for the baskets' {} entries ({e}); the \
             entry counts may be corrupt",
            range.end - range.start
        ))
    })?;
    let mut values = vec![T::default(); total];
    let chunks = split_by(&mut values, counts.iter().copied())?;
    chosen
        .par_iter()
        .zip(chunks.into_par_iter())
        .try_for_each(|(span, out)| decode_flat_basket(tree, b, interp, span, &range, out))?;
    Ok(values)
}

/// Splits `values` into consecutive disjoint slices of the given sizes, one per basket,
/// so that baskets can be decoded into the column in parallel.
fn split_by<T>(values: &mut [T], sizes: impl Iterator<Item = usize>) -> Res<Vec<&mut [T]>> {
    let mut chunks = Vec::new();
    let mut rest = values;
    for n in sizes {
        let (chunk, tail) = std::mem::take(&mut rest)
            .split_at_mut_checked(n)
            .ok_or_else(|| Fault::new("internal: basket slices exceed the column"))?;
        chunks.push(chunk);
        rest = tail;
    }
    Ok(chunks)
}

/// The number of values `entries` fixed-size entries decode to (as `decode_flat` writes
/// them), `None` on overflow.
fn flat_values(interp: &Interpretation, entries: usize) -> Option<usize> {
    let el = interp.element.size();
    match interp.leaf_list {
        None => {
            let size = interp.fixed_entry_size().unwrap_or(1).max(1);
            Some(entries.checked_mul(size)? / el)
        }
        Some(_) => entries.checked_mul(interp.width()),
    }
}

/// Reads the basket `span` (entries `a..z`) and decodes its entries inside `range` into
/// `out`, which holds exactly their values.
fn decode_flat_basket<T: Value>(
    tree: &Tree,
    b: &BranchInfo,
    interp: &Interpretation,
    span: &(u64, u64, Source),
    range: &Range<u64>,
    out: &mut [T],
) -> Res<()> {
    let (a, z, src) = span;
    let n = z.saturating_sub(*a) as usize;
    let lo = (range.start.max(*a) - a) as usize;
    let hi = ((range.end.min(*z).max(*a) - a) as usize).max(lo);
    let mut decode_here = |data: &[u8], entries: usize| -> Res<()> {
        if entries != n {
            return Err(Fault::new(format!(
                "basket at entry {a} holds {entries} entries, the branch says {n}"
            )));
        }
        decode_flat(interp, data, entries, lo..hi, out)
            .map_err(|e| e.context(format!("basket at entry {a}")))
    };
    match src {
        Source::Embedded(i) => {
            let e = b
                .embedded
                .get(*i)
                .ok_or_else(|| Fault::new("internal: embedded basket index"))?;
            decode_here(&e.data, e.nevbuf as usize)
        }
        Source::Key(i) if lo > 0 || hi < n => decode_partial(tree, b, *i, (lo, hi, n), decode_here),
        Source::Key(i) => {
            let raw = read_key_basket(tree, b, *i)?;
            let mut fresh = Vec::new();
            let result = SCRATCH.try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => Some(
                    raw.unzip_then(&mut scratch, |data, _, entries| decode_here(data, entries)),
                ),
                Err(_) => None,
            });
            match result {
                Ok(Some(done)) => done,
                // Thread-local storage being torn down, or re-entered: a fresh buffer.
                _ => raw.unzip_then(&mut fresh, |data, _, entries| decode_here(data, entries)),
            }
        }
    }
}

/// Baskets of fixed-size entries that a read decompressed but used only in part, because
/// they continue past the end of the entry range read: a reader that goes range by
/// range (`apply`'s chunks, whose ends need not be basket ends: baskets of 500,000
/// entries are read in chunks of 65,536) takes them from here instead of inflating
/// them again, and drops each once its last entry is read. Keyed by branch name and
/// basket index; at most [`PARTIAL_BYTES`] are kept (the oldest go first), so memory
/// stays about one basket per branch whatever the entry count.
#[derive(Debug, Default)]
pub struct PartialBaskets {
    pub(crate) kept: std::sync::Mutex<std::collections::VecDeque<Kept>>,
}

/// A kept basket: branch name, basket index, its decompressed entries' data.
type Kept = (String, usize, Arc<Vec<u8>>);

/// The most decompressed bytes [`PartialBaskets`] keeps.
const PARTIAL_BYTES: usize = 512 << 20;

impl PartialBaskets {
    fn get(&self, branch: &str, i: usize) -> Option<Arc<Vec<u8>>> {
        let kept = self.kept.lock().ok()?;
        kept.iter()
            .find(|(b, k, _)| *k == i && b == branch)
            .map(|(_, _, d)| d.clone())
    }

    fn put(&self, branch: &str, i: usize, data: Arc<Vec<u8>>) {
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.iter().any(|(b, k, _)| *k == i && b == branch) {
            return;
        }
        kept.push_back((branch.to_string(), i, data));
        while kept.iter().map(|(_, _, d)| d.len()).sum::<usize>() > PARTIAL_BYTES {
            kept.pop_front();
        }
    }

    fn drop_basket(&self, branch: &str, i: usize) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.retain(|(b, k, _)| !(*k == i && b == branch));
        }
    }
}

/// Decodes entries `lo..hi` of key basket `i` (of `n` entries), which the range reads
/// only in part, through [`PartialBaskets`]: decompressed once, kept while entries past
/// the range remain.
fn decode_partial(
    tree: &Tree,
    b: &BranchInfo,
    i: usize,
    (lo, hi, n): (usize, usize, usize),
    decode_here: impl FnOnce(&[u8], usize) -> Res<()>,
) -> Res<()> {
    let data = match tree.partial.get(&b.name, i) {
        Some(d) => d,
        None => {
            let raw = read_key_basket(tree, b, i)?;
            let l = raw.unzip_owned()?;
            if l.entries != n {
                return decode_here(&l.data, l.entries);
            }
            Arc::new(l.data)
        }
    };
    decode_here(&data, n)?;
    if hi < n {
        tree.partial.put(&b.name, i, data);
    } else if lo > 0 {
        tree.partial.drop_basket(&b.name, i);
    }
    Ok(())
}

/// Decodes entries `r` of a basket of `entries` fixed-size entries into `out`.
fn decode_flat<T: Value>(
    interp: &Interpretation,
    data: &[u8],
    entries: usize,
    r: Range<usize>,
    out: &mut [T],
) -> Res<()> {
    let el = &interp.element;
    let size = interp.fixed_entry_size().unwrap_or(1).max(1);
    if !matches!(entries.checked_mul(size), Some(need) if need <= data.len()) {
        return Err(Fault::new(format!(
            "{} bytes for {entries} entries of {size} bytes",
            data.len()
        )));
    }
    match interp.leaf_list {
        None => {
            let bytes = data.get(r.start * size..r.end * size).ok_or_else(|| {
                Fault::new(format!("entries {r:?} are outside the basket's {entries}"))
            })?;
            decode_into(el, bytes, out)
        }
        Some((off, _)) => {
            let n = el.size() * interp.width();
            let per = n / el.size();
            if per == 0 {
                return Ok(());
            }
            for (e, out) in r.zip(out.chunks_exact_mut(per)) {
                let at = e * size + off;
                let bytes = data.get(at..at + n).ok_or_else(|| {
                    Fault::new(format!(
                        "entry {e}: leaf bytes {off}..{} are outside its {size} bytes",
                        off + n
                    ))
                })?;
                decode_into(el, bytes, out)?;
            }
            Ok(())
        }
    }
}

/// A basket's key and compressed bytes as read from the file, header checked.
struct KeyBasket {
    raw: Vec<u8>,
    /// Where the basket's key starts in the file (for messages).
    seek: u64,
    keylen: usize,
    nbytes: usize,
    objlen: usize,
    nevbuf: usize,
    /// fLast: end of the entries' data, counted from the start of the key.
    last: usize,
}

/// Reads basket `i` of `b` with one positioned read and checks its key and header.
fn read_key_basket(tree: &Tree, b: &BranchInfo, i: usize) -> Res<KeyBasket> {
    let loc = b
        .baskets
        .get(i)
        .ok_or_else(|| Fault::new("internal: basket index"))?;
    let raw = tree.file.read_at(loc.seek, loc.bytes as usize)?;
    let mut c = Cursor::new(&raw, 0);
    let key = parse_key(&mut c)?;
    let keylen = key.keylen as usize;
    if keylen < 19
        || keylen > raw.len()
        || key.nbytes as usize > raw.len()
        || (key.nbytes as usize) < keylen
    {
        return Err(Fault::new(format!(
            "basket key at offset {} is corrupt (fKeylen {keylen}, fNbytes {}, {} bytes expected)",
            loc.seek, key.nbytes, loc.bytes
        )));
    }
    c.seek(keylen - 19)?;
    let _version = c.u16()?;
    let _buffer_size = c.i32()?;
    let _nevbuf_size = c.i32()?;
    let nevbuf = c.i32()?;
    let last = c.i32()?;
    if nevbuf < 0 || (last as i64) < keylen as i64 {
        return Err(Fault::new(format!(
            "basket at offset {}: corrupt header (entries {nevbuf}, fLast {last})",
            loc.seek
        )));
    }
    Ok(KeyBasket {
        seek: loc.seek,
        keylen,
        nbytes: key.nbytes as usize,
        objlen: key.objlen as usize,
        nevbuf: nevbuf as usize,
        last: last as usize,
        raw,
    })
}

impl KeyBasket {
    /// The compressed object after the key.
    fn stored(&self) -> &[u8] {
        self.raw.get(self.keylen..self.nbytes).unwrap_or(&[])
    }

    /// Decompresses the basket into `scratch` (reused; see [`compress::decompress_scratch`])
    /// and calls `f` with the entries' data, their start offsets in it (when the basket
    /// has them) and the number of entries.
    fn unzip_then<R>(
        &self,
        scratch: &mut Vec<u8>,
        f: impl FnOnce(&[u8], Option<Vec<u32>>, usize) -> Res<R>,
    ) -> Res<R> {
        let data = compress::decompress_scratch(self.stored(), self.objlen, scratch)
            .map_err(|e| e.context(format!("basket at offset {}", self.seek)))?;
        let (border, starts) = self.split(data)?;
        f(&data[..border], starts, self.nevbuf)
    }

    /// Decompresses the basket into a vector of its own.
    fn unzip_owned(&self) -> Res<Loaded> {
        let mut data = compress::decompress(self.stored(), self.objlen)
            .map_err(|e| e.context(format!("basket at offset {}", self.seek)))?;
        let (border, starts) = self.split(&data)?;
        data.truncate(border);
        Ok(Loaded {
            data,
            starts,
            entries: self.nevbuf,
        })
    }

    /// Where the entries' data ends in the uncompressed `data` (fLast), and the entry
    /// start offsets that follow it, if any.
    fn split(&self, data: &[u8]) -> Res<(usize, Option<Vec<u32>>)> {
        let border = self.last - self.keylen;
        if border > data.len() {
            return Err(Fault::new(format!(
                "basket at offset {}: data end {border} is past its {} bytes",
                self.seek,
                data.len()
            )));
        }
        if border == data.len() {
            return Ok((border, None));
        }
        let mut oc = Cursor::new(&data[border..], 0);
        let _n = oc.i32()?;
        let offs = oc.counted(self.nevbuf, |c| c.i32())?;
        let keylen = self.keylen as i64;
        let starts = offs
            .into_iter()
            .map(|o| (o as i64 - keylen).clamp(0, u32::MAX as i64) as u32)
            .collect();
        Ok((border, Some(starts)))
    }
}

fn load(tree: &Tree, b: &BranchInfo, src: &Source) -> Res<Loaded> {
    match src {
        Source::Embedded(i) => {
            let e = b
                .embedded
                .get(*i)
                .ok_or_else(|| Fault::new("internal: embedded basket index"))?;
            Ok(Loaded {
                data: e.data.clone(),
                starts: e.offsets.clone(),
                entries: e.nevbuf as usize,
            })
        }
        Source::Key(i) => read_key_basket(tree, b, *i)?.unzip_owned(),
    }
}

/// The bytes of entry `e` of a basket of variable-size entries, after its `header`.
pub(super) fn entry_body(l: &Loaded, header: usize, e: usize) -> Res<&[u8]> {
    let Some(starts) = &l.starts else {
        return Err(Fault::new(
            "variable-length entries but the basket has no entry offsets",
        ));
    };
    let a = starts.get(e).map_or(usize::MAX, |&s| s as usize);
    let z = if e + 1 < l.entries {
        starts.get(e + 1).map_or(usize::MAX, |&s| s as usize)
    } else {
        l.data.len()
    };
    if a > z || z > l.data.len() {
        return Err(Fault::new(format!(
            "entry {e}: corrupt byte offsets {a}..{z}"
        )));
    }
    let body = &l.data[a..z];
    Ok(body.get(header..).unwrap_or(&[]))
}

/// The number of values in each entry `r` of a basket of variable-size entries,
/// checking that each is a whole number of values.
fn jagged_counts(interp: &Interpretation, l: &Loaded, r: Range<usize>) -> Res<Vec<usize>> {
    let Shape::Jagged { header, .. } = interp.shape else {
        return Err(Fault::new("internal: not a jagged branch"));
    };
    let size = interp.element.size();
    r.map(|e| {
        let body = entry_body(l, header, e)?;
        if body.len() % size != 0 {
            return Err(Fault::new(format!(
                "entry {e}: {} bytes is not a whole number of {size}-byte values",
                body.len()
            )));
        }
        Ok(body.len() / size)
    })
    .collect()
}

/// Decodes the entries `first..first + counts.len()` of a basket of variable-size
/// entries into `out`, which holds exactly their values (`counts` from [`jagged_counts`]).
fn decode_jagged<T: Value>(
    interp: &Interpretation,
    l: &Loaded,
    first: usize,
    counts: &[usize],
    out: &mut [T],
) -> Res<()> {
    let Shape::Jagged { header, .. } = interp.shape else {
        return Err(Fault::new("internal: not a jagged branch"));
    };
    let mut rest = out;
    for (e, &n) in (first..).zip(counts) {
        let (here, tail) = std::mem::take(&mut rest)
            .split_at_mut_checked(n)
            .ok_or_else(|| Fault::new("internal: entry values exceed the basket's slice"))?;
        decode_into(&interp.element, entry_body(l, header, e)?, here)?;
        rest = tail;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::root::RootFile;

    /// Every readable branch of `validation/data/uproot/<name>`, tree `t`, over `range`,
    /// read with a rayon pool of `threads` threads.
    fn read_all<T: Value>(name: &str, range: Range<u64>, threads: usize) -> Vec<Column<T>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("validation/data/uproot")
            .join(name);
        let file = Arc::new(RootFile::open(&path).expect("open"));
        let tree = Tree::open(file, "t").expect("tree");
        let names: Vec<&str> = tree
            .branches
            .iter()
            .filter(|b| b.interpretation.is_ok())
            .map(|b| b.name.as_str())
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        pool.install(|| read_columns::<T>(&tree, &names, range))
            .expect("read")
    }

    fn same_bits<T: Value>(a: &[Column<T>], b: &[Column<T>], bits: impl Fn(T) -> u64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.name, y.name);
            assert_eq!(x.layout, y.layout, "{}", x.name);
            assert_eq!(x.values.len(), y.values.len(), "{}", x.name);
            let differ = x
                .values
                .iter()
                .zip(&y.values)
                .position(|(&p, &q)| bits(p) != bits(q));
            assert_eq!(differ, None, "{}: first differing value", x.name);
        }
    }

    /// Same file, one thread or two: the same columns, bit for bit (flat and jagged
    /// branches of every type, whole tree and ranges cutting baskets).
    #[test]
    fn thread_count_does_not_change_the_values() {
        for name in ["codec-zlib.root", "codec-lz4.root", "many-baskets.root"] {
            for range in [0..u64::MAX, 7..1_500, 1_000..1_001] {
                let one = read_all::<f64>(name, range.clone(), 1);
                let two = read_all::<f64>(name, range.clone(), 2);
                assert!(
                    one.iter().any(|c| !c.values.is_empty()),
                    "{name}: nothing read"
                );
                same_bits(&one, &two, f64::to_bits);
                let one = read_all::<f32>(name, range.clone(), 1);
                let two = read_all::<f32>(name, range, 2);
                same_bits(&one, &two, |v: f32| v.to_bits() as u64);
            }
        }
    }
}
