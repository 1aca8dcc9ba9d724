//! Reading a leaf into a column: the clusters an entry range touches, in parallel;
//! in each, the pages that hold the range: read, checksum, decompress, decode, trim.
//!
//! In each cluster one representation of a field is primary (its columns are not
//! suppressed); that one is read. A column added late (deferred) has no pages for the
//! clusters before it existed, and its leading elements read as zeros, as the format
//! prescribes. Each cluster's values land at their place by entry number, so the
//! result does not depend on the number of threads.

use std::ops::Range;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::super::interp::Value;
use super::super::read::{Column, Layout};
use super::super::{compress, Fault, Res};
use super::columns::{decode_index, decode_page, Kind, Target};
use super::meta::{Cluster, Page};
use super::schema::{columns_of, Leaf};
use super::Ntuple;
use crate::Result;

/// Reads leaf `name` of `nt` over `range` (clamped to the ntuple's entries).
pub fn read_column<T: Value>(nt: &Ntuple, name: &str, range: Range<u64>) -> Result<Column<T>> {
    let leaf = nt.leaf(name)?;
    read_leaf(nt, leaf, range).map_err(|e| {
        e.context(format!("RNTuple `{}`", nt.path))
            .at(nt.file.path())
    })
}

/// The values of one cluster's part of the range, and its entry offsets (jagged).
struct Part<T> {
    values: Vec<T>,
    counts: Vec<usize>,
}

fn read_leaf<T: Value>(nt: &Ntuple, leaf: &Leaf, range: Range<u64>) -> Res<Column<T>> {
    let stop = range.end.min(nt.entries);
    let start = range.start.min(stop);
    if leaf.is_nested() {
        return super::nested::read_leaf(nt, leaf, start..stop);
    }
    let chosen: Vec<(usize, &Cluster)> = nt
        .clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.first < stop && c.first + c.entries > start && c.entries > 0)
        .collect();
    let parts: Vec<Part<T>> = chosen
        .par_iter()
        .map(|(i, c)| {
            let a = start.max(c.first) - c.first;
            let b = stop.min(c.first + c.entries) - c.first;
            read_cluster(nt, leaf, c, a..b)
                .map_err(|e| e.context(format!("field `{}`, cluster {i}", leaf.name)))
        })
        .collect::<Res<_>>()?;
    let total: usize = parts.iter().map(|p| p.values.len()).sum();
    let mut values = Vec::with_capacity(total);
    let layout = match leaf.collection {
        None => {
            for p in parts {
                values.extend_from_slice(&p.values);
            }
            Layout::Flat { width: leaf.width }
        }
        Some(_) => {
            let mut offsets = Vec::with_capacity((stop - start) as usize + 1);
            offsets.push(0usize);
            for p in parts {
                for n in p.counts {
                    let last = offsets[offsets.len() - 1];
                    offsets.push(last + n);
                }
                values.extend_from_slice(&p.values);
            }
            Layout::Jagged { offsets }
        }
    };
    Ok(Column {
        name: leaf.name.clone(),
        values,
        layout,
    })
}

fn read_cluster<T: Value>(nt: &Ntuple, leaf: &Leaf, c: &Cluster, r: Range<u64>) -> Res<Part<T>> {
    let w = leaf.width as u64;
    let value_cols = columns_of(&nt.schema, leaf.field);
    match leaf.collection {
        None => {
            let need = c.entries.checked_mul(w).ok_or_else(too_many)?;
            let values = read_elements(
                nt,
                &value_cols,
                leaf.target,
                c,
                need,
                r.start * w..r.end * w,
            )?;
            Ok(Part {
                values,
                counts: Vec::new(),
            })
        }
        Some(coll) => {
            let idx_cols = columns_of(&nt.schema, coll);
            let offs = read_offsets(nt, &idx_cols, c, c.entries)?;
            let total = offs.last().copied().unwrap_or(0);
            let at = |e: u64| if e == 0 { 0 } else { offs[e as usize - 1] };
            let (lo, hi) = (at(r.start), at(r.end));
            let need = total.checked_mul(w).ok_or_else(too_many)?;
            let values = read_elements(nt, &value_cols, leaf.target, c, need, lo * w..hi * w)?;
            let counts = (r.start..r.end)
                .map(|e| ((at(e + 1) - at(e)) * w) as usize)
                .collect();
            Ok(Part { values, counts })
        }
    }
}

fn too_many() -> Fault {
    Fault::new("impossible element count")
}

/// The primary representation's column in cluster `c`: its id and pages; `None` when
/// no representation has pages here (a column added later).
pub(super) fn primary<'c>(cols: &[u32], c: &'c Cluster) -> Option<(u32, &'c [Page])> {
    cols.iter().find_map(|&id| {
        c.columns
            .get(id as usize)
            .filter(|r| !r.suppressed)
            .map(|r| (id, r.pages.as_slice()))
    })
}

/// The cluster-relative end offset of each of the `n` elements (entries, or items of an
/// outer collection) of a collection in cluster `c`, checked to be non-decreasing.
pub(super) fn read_offsets(nt: &Ntuple, cols: &[u32], c: &Cluster, n: u64) -> Res<Vec<u64>> {
    let mut out = Vec::with_capacity(n.min(1 << 24) as usize);
    let Some((id, pages)) = primary(cols, c) else {
        // A collection added later: empty in the clusters before.
        out.resize(n as usize, 0);
        return Ok(out);
    };
    let desc = &nt.schema.columns[id as usize];
    let kind = Kind::of(desc).map_err(Fault::new)?;
    let stored: u64 = pages.iter().map(|p| p.elements as u64).sum();
    if stored > n {
        return Err(Fault::new(format!(
            "the offset column has {stored} elements for {n} entries (corrupt page list)"
        )));
    }
    out.resize((n - stored) as usize, 0);
    let mut scratch = Vec::new();
    for (k, p) in pages.iter().enumerate() {
        let n = p.elements as usize;
        let bytes = page_bytes(
            nt,
            p,
            kind.page_bytes(n).ok_or_else(too_many)?,
            &mut scratch,
        )
        .map_err(|e| e.context(format!("offset page {k}")))?;
        decode_index(&kind, bytes, n, &mut out)?;
    }
    let mut last = 0;
    for (i, &o) in out.iter().enumerate() {
        if o < last {
            return Err(Fault::new(format!(
                "collection offsets decrease at entry {i} of the cluster (corrupt page)"
            )));
        }
        last = o;
    }
    Ok(out)
}

/// Elements `want` of a column whose cluster part holds `need` elements.
pub(super) fn read_elements<T: Value>(
    nt: &Ntuple,
    cols: &[u32],
    target: Target,
    c: &Cluster,
    need: u64,
    want: Range<u64>,
) -> Res<Vec<T>> {
    let mut out = Vec::with_capacity((want.end - want.start).min(1 << 26) as usize);
    let Some((id, pages)) = primary(cols, c) else {
        out.resize((want.end - want.start) as usize, T::default());
        return Ok(out);
    };
    let desc = &nt.schema.columns[id as usize];
    let kind = Kind::of(desc).map_err(Fault::new)?;
    let stored: u64 = pages.iter().map(|p| p.elements as u64).sum();
    if stored > need || (stored < need && desc.first_element == 0) {
        return Err(Fault::new(format!(
            "its column holds {stored} elements in this cluster, the entries need {need} (corrupt or truncated page list)"
        )));
    }
    // Leading zeros of a deferred column.
    let mut at = need - stored;
    if want.start < at {
        out.resize((at.min(want.end) - want.start) as usize, T::default());
    }
    let mut scratch = Vec::new();
    let mut tmp: Vec<T> = Vec::new();
    for (k, p) in pages.iter().enumerate() {
        let n = p.elements as u64;
        let (a, z) = (at, at + n);
        at = z;
        if z <= want.start || a >= want.end {
            continue;
        }
        let bytes = page_bytes(
            nt,
            p,
            kind.page_bytes(n as usize).ok_or_else(too_many)?,
            &mut scratch,
        )
        .map_err(|e| e.context(format!("page {k}")))?;
        if a >= want.start && z <= want.end {
            decode_page(&kind, desc, target, bytes, n as usize, &mut out)?;
        } else {
            tmp.clear();
            decode_page(&kind, desc, target, bytes, n as usize, &mut tmp)?;
            let s = (want.start.max(a) - a) as usize;
            let e = (want.end.min(z) - a) as usize;
            out.extend_from_slice(&tmp[s..e]);
        }
    }
    Ok(out)
}

/// Reads one page, checks its checksum, and decompresses it to `len` bytes.
fn page_bytes<'s>(nt: &Ntuple, p: &Page, len: usize, scratch: &'s mut Vec<u8>) -> Res<&'s [u8]> {
    if p.at.size > super::envelope::MAX_ENVELOPE || len as u64 > super::envelope::MAX_ENVELOPE {
        return Err(Fault::new(format!(
            "a page of {} bytes ({len} uncompressed): impossible size",
            p.at.size
        )));
    }
    let extra = if p.checksum { 8 } else { 0 };
    let raw = nt.file.read_at(p.at.offset, p.at.size as usize + extra)?;
    let (data, sum) = raw.split_at(p.at.size as usize);
    if p.checksum {
        let stored = u64::from_le_bytes(sum.try_into().unwrap_or([0; 8]));
        if xxh3_64(data) != stored {
            return Err(Fault::new(
                "the page's checksum does not match its contents (corrupt file)",
            ));
        }
    }
    if data.len() == len {
        scratch.clear();
        scratch.extend_from_slice(data);
        return Ok(&scratch[..]);
    }
    compress::decompress_scratch(data, len, scratch)?;
    scratch
        .get(..len)
        .ok_or_else(|| Fault::new("a page decompressed short"))
}
