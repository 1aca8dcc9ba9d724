//! Reading a branch into a column: locate the baskets an entry range touches,
//! decompress them in parallel, interpret their bytes, concatenate, trim to the range.
//!
//! Only the baskets that overlap `[entry_start, entry_stop)` are read. Each basket is
//! read with one positioned read of its key and compressed bytes, decompressed and
//! decoded on a rayon worker; the per-basket pieces are joined in entry order, so the
//! result does not depend on the number of threads.

use std::ops::Range;

use rayon::prelude::*;

use super::compress;
use super::cursor::Cursor;
use super::file::parse_key;
use super::interp::{decode, Interpretation, Shape, Value};
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
        }
    }

    /// The values of entry `i` (empty if out of range).
    pub fn entry(&self, i: usize) -> &[T] {
        let (a, b) = match &self.layout {
            Layout::Flat { width } => (i * width, (i + 1) * width),
            Layout::Jagged { offsets } => match (offsets.get(i), offsets.get(i + 1)) {
                (Some(&a), Some(&b)) => (a, b),
                _ => return &[],
            },
        };
        self.values.get(a..b).unwrap_or(&[])
    }
}

/// The bytes of one basket, ready to interpret.
struct Loaded {
    data: Vec<u8>,
    /// Start of each entry in `data` (when entries differ in size).
    starts: Option<Vec<u32>>,
    entries: usize,
}

/// One decoded piece of a column.
struct Piece<T> {
    values: Vec<T>,
    counts: Vec<usize>,
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
    let pieces: Vec<Piece<T>> = loaded
        .par_iter()
        .zip(chosen.par_iter())
        .map(|(loaded, (a, z, _))| {
            let n = (z - a) as usize;
            if loaded.entries != n {
                return Err(Fault::new(format!(
                    "basket at entry {a} holds {} entries, the branch says {n}",
                    loaded.entries
                )));
            }
            let lo = (start.max(*a) - a) as usize;
            let hi = (stop.min(*z) - a) as usize;
            decode_entries(interp, loaded, lo..hi)
                .map_err(|e| e.context(format!("basket at entry {a}")))
        })
        .collect::<Res<_>>()?;
    let total: usize = pieces.iter().map(|p| p.values.len()).sum();
    let mut values = Vec::with_capacity(total);
    let layout = match interp.shape {
        Shape::Jagged { .. } => {
            let mut offsets = Vec::with_capacity((stop - start) as usize + 1);
            offsets.push(0);
            for p in &pieces {
                for &c in &p.counts {
                    let last = offsets[offsets.len() - 1];
                    offsets.push(last + c);
                }
            }
            Layout::Jagged { offsets }
        }
        _ => Layout::Flat {
            width: interp.width(),
        },
    };
    for p in pieces {
        values.extend_from_slice(&p.values);
    }
    Ok(Column {
        name: b.name.clone(),
        values,
        layout,
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

fn load(tree: &Tree, b: &BranchInfo, src: &Source) -> Res<Loaded> {
    match src {
        Source::Embedded(i) => {
            let e = &b.embedded[*i];
            Ok(Loaded {
                data: e.data.clone(),
                starts: e.offsets.clone(),
                entries: e.nevbuf as usize,
            })
        }
        Source::Key(i) => {
            let loc = &b.baskets[*i];
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
            let data = compress::decompress(&raw[keylen..key.nbytes as usize], key.objlen as usize)
                .map_err(|e| e.context(format!("basket at offset {}", loc.seek)))?;
            let border = last as usize - keylen;
            if border > data.len() {
                return Err(Fault::new(format!(
                    "basket at offset {}: data end {border} is past its {} bytes",
                    loc.seek,
                    data.len()
                )));
            }
            let starts = if border < data.len() {
                let mut oc = Cursor::new(&data[border..], 0);
                let _n = oc.i32()?;
                let offs = oc.counted(nevbuf as usize, |c| c.i32())?;
                Some(
                    offs.into_iter()
                        .map(|o| (o as i64 - keylen as i64).clamp(0, u32::MAX as i64) as u32)
                        .collect(),
                )
            } else {
                None
            };
            let mut data = data;
            data.truncate(border);
            Ok(Loaded {
                data,
                starts,
                entries: nevbuf as usize,
            })
        }
    }
}

fn decode_entries<T: Value>(interp: &Interpretation, l: &Loaded, r: Range<usize>) -> Res<Piece<T>> {
    let el = &interp.element;
    let mut values = Vec::new();
    let mut counts = Vec::new();
    match interp.shape {
        Shape::Jagged { header, .. } => {
            let Some(starts) = &l.starts else {
                return Err(Fault::new(
                    "variable-length entries but the basket has no entry offsets",
                ));
            };
            counts.reserve(r.len());
            for e in r {
                let a = starts[e] as usize;
                let z = if e + 1 < l.entries {
                    starts[e + 1] as usize
                } else {
                    l.data.len()
                };
                if a > z || z > l.data.len() {
                    return Err(Fault::new(format!(
                        "entry {e}: corrupt byte offsets {a}..{z}"
                    )));
                }
                let body = &l.data[a..z];
                let body = if body.len() >= header {
                    &body[header..]
                } else {
                    &[][..]
                };
                if body.len() % el.size() != 0 {
                    return Err(Fault::new(format!(
                        "entry {e}: {} bytes is not a whole number of {}-byte values",
                        body.len(),
                        el.size()
                    )));
                }
                let before = values.len();
                decode(el, body, &mut values);
                counts.push(values.len() - before);
            }
        }
        _ => {
            let size = interp.fixed_entry_size().unwrap_or(1).max(1);
            let need = l.entries * size;
            if l.data.len() < need {
                return Err(Fault::new(format!(
                    "{} bytes for {} entries of {size} bytes",
                    l.data.len(),
                    l.entries
                )));
            }
            match interp.leaf_list {
                None => decode(el, &l.data[r.start * size..r.end * size], &mut values),
                Some((off, _)) => {
                    let n = el.size() * interp.width();
                    for e in r {
                        let a = e * size + off;
                        decode(el, &l.data[a..a + n], &mut values);
                    }
                }
            }
        }
    }
    Ok(Piece { values, counts })
}
