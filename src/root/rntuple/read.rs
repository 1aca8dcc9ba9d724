//! Reading a leaf into a column: the pages an entry range touches, in every cluster it
//! touches, listed first, then read, checksummed, decompressed and decoded in
//! parallel, each page straight into its place in the column.
//!
//! In each cluster one representation of a field is primary (its columns are not
//! suppressed); that one is read. A column added late (deferred) has no pages for the
//! clusters before it existed, and its leading elements read as zeros, as the format
//! prescribes. Each page's values land at their place by element number, so the result
//! does not depend on the number of threads.
//!
//! Each worker thread keeps its two buffers (the page as stored, the page decompressed)
//! from page to page, so a page costs no allocation.

use std::cell::RefCell;
use std::ops::Range;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::super::interp::Value;
use super::super::read::{Column, Layout};
use super::super::{compress, Fault, Res};
use super::columns::{decode_index, decode_page_into, Kind};
use super::meta::{Cluster, ColumnDesc, Page};
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
    let Some(coll) = leaf.collection else {
        return Ok(Column {
            name: leaf.name.clone(),
            values: read_flat(nt, leaf, &chosen, start..stop)?,
            layout: Layout::Flat { width: leaf.width },
        });
    };
    let parts: Vec<Part<T>> = chosen
        .par_iter()
        .map(|&(i, c)| {
            let a = start.max(c.first) - c.first;
            let b = stop.min(c.first + c.entries) - c.first;
            read_jagged_cluster(nt, leaf, coll, (i, c), a..b)
        })
        .collect::<Res<_>>()?;
    let total: usize = parts.iter().map(|p| p.values.len()).sum();
    let mut values = Vec::with_capacity(total);
    let mut offsets = Vec::with_capacity((stop - start) as usize + 1);
    offsets.push(0usize);
    for p in parts {
        for n in p.counts {
            let last = offsets[offsets.len() - 1];
            offsets.push(last + n);
        }
        values.extend_from_slice(&p.values);
    }
    Ok(Column {
        name: leaf.name.clone(),
        values,
        layout: Layout::Jagged { offsets },
    })
}

/// A leaf outside any collection: the pages of every cluster in the range are listed,
/// then decoded in parallel into one column.
fn read_flat<T: Value>(
    nt: &Ntuple,
    leaf: &Leaf,
    chosen: &[(usize, &Cluster)],
    range: Range<u64>,
) -> Res<Vec<T>> {
    let w = leaf.width as u64;
    let cols = columns_of(&nt.schema, leaf.field);
    let mut pieces = Vec::new();
    for &(i, c) in chosen {
        let a = range.start.max(c.first) - c.first;
        let b = range.end.min(c.first + c.entries) - c.first;
        let need = c.entries.checked_mul(w).ok_or_else(too_many)?;
        plan_elements(nt, &cols, (i, c), need, a * w..b * w, &mut pieces)
            .map_err(|e| e.context(format!("field `{}`, cluster {i}", leaf.name)))?;
    }
    decode_pieces(nt, leaf, &pieces)
}

/// The part of a leaf inside a collection that lies in cluster `i`: its offsets, then
/// the values of the entries `r` (relative to the cluster).
fn read_jagged_cluster<T: Value>(
    nt: &Ntuple,
    leaf: &Leaf,
    coll: u32,
    (i, c): (usize, &Cluster),
    r: Range<u64>,
) -> Res<Part<T>> {
    let here = |e: Fault| e.context(format!("field `{}`, cluster {i}", leaf.name));
    let w = leaf.width as u64;
    let value_cols = columns_of(&nt.schema, leaf.field);
    let idx_cols = columns_of(&nt.schema, coll);
    let offs = read_offsets(nt, &idx_cols, c, c.entries).map_err(here)?;
    let total = offs.last().copied().unwrap_or(0);
    let at = |e: u64| if e == 0 { 0 } else { offs[e as usize - 1] };
    let (lo, hi) = (at(r.start), at(r.end));
    let need = total.checked_mul(w).ok_or_else(too_many).map_err(here)?;
    let mut pieces = Vec::new();
    plan_elements(nt, &value_cols, (i, c), need, lo * w..hi * w, &mut pieces).map_err(here)?;
    // decode_pieces names the field and cluster itself.
    let values = decode_pieces(nt, leaf, &pieces)?;
    let counts = (r.start..r.end)
        .map(|e| ((at(e + 1) - at(e)) * w) as usize)
        .collect();
    Ok(Part { values, counts })
}

/// Elements `want` of leaf `leaf`'s value columns `cols`, whose part in cluster `c`
/// holds `need` elements (the nested reader's access to the page decoding).
pub(super) fn read_elements<T: Value>(
    nt: &Ntuple,
    leaf: &Leaf,
    cols: &[u32],
    c: &Cluster,
    need: u64,
    want: Range<u64>,
) -> Res<Vec<T>> {
    let i = nt
        .clusters
        .iter()
        .position(|x| std::ptr::eq(x, c))
        .unwrap_or(0);
    let mut pieces = Vec::new();
    plan_elements(nt, cols, (i, c), need, want, &mut pieces)?;
    decode_pieces(nt, leaf, &pieces)
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

/// A stretch of a column read: `len` values from one page (from its value `skip`
/// on), or `len` zeros (the leading elements of a column added later).
struct Piece<'n> {
    len: usize,
    page: Option<PagePart<'n>>,
}

/// Where a piece's values come from.
struct PagePart<'n> {
    /// Cluster index (for messages).
    cluster: usize,
    /// Page index in the cluster's page list of the column (for messages).
    index: usize,
    desc: &'n ColumnDesc,
    kind: Kind,
    page: &'n Page,
    skip: usize,
}

/// Lists the pieces that give elements `want` of a column whose part in cluster `c`
/// holds `need` elements, after checking that the page list agrees with `need`.
fn plan_elements<'n>(
    nt: &'n Ntuple,
    cols: &[u32],
    (i, c): (usize, &'n Cluster),
    need: u64,
    want: Range<u64>,
    pieces: &mut Vec<Piece<'n>>,
) -> Res<()> {
    let piece = |len: u64| usize::try_from(len).map_err(|_| too_many());
    let Some((id, pages)) = primary(cols, c) else {
        pieces.push(Piece {
            len: piece(want.end - want.start)?,
            page: None,
        });
        return Ok(());
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
        pieces.push(Piece {
            len: piece(at.min(want.end) - want.start)?,
            page: None,
        });
    }
    for (index, page) in pages.iter().enumerate() {
        let (a, z) = (at, at + page.elements as u64);
        at = z;
        if z <= want.start || a >= want.end {
            continue;
        }
        let skip = want.start.max(a) - a;
        pieces.push(Piece {
            len: piece(want.end.min(z) - a - skip)?,
            page: Some(PagePart {
                cluster: i,
                index,
                desc,
                kind,
                page,
                skip: skip as usize,
            }),
        });
    }
    Ok(())
}

/// Decodes `pieces` into one new column, in parallel.
fn decode_pieces<T: Value>(nt: &Ntuple, leaf: &Leaf, pieces: &[Piece]) -> Res<Vec<T>> {
    let total = pieces
        .iter()
        .try_fold(0usize, |t, p| t.checked_add(p.len))
        .ok_or_else(too_many)?;
    // The counts come from the file: ask for the memory before taking it, so that an
    // absurd count is an error rather than an abort. vec![0; n] then maps zeroed pages
    // lazily; each is first touched by the worker that decodes into it. (Asking for
    // 2 MiB pages here, as the training matrix does, cut the page faults from 60,000 to
    // 17,000 on 2M x 30 floats but doubled the system time: the kernel compacts memory
    // to find them.)
    Vec::<T>::new().try_reserve_exact(total).map_err(|e| {
        Fault::new(format!(
            "field `{}`: cannot allocate {total} values ({e}); the page list may be corrupt",
            leaf.name
        ))
    })?;
    let mut values = vec![T::default(); total];
    let mut outs = Vec::with_capacity(pieces.len());
    let mut rest = values.as_mut_slice();
    for p in pieces {
        let (out, tail) = std::mem::take(&mut rest).split_at_mut(p.len);
        outs.push(out);
        rest = tail;
    }
    pieces
        .par_iter()
        .zip(outs.into_par_iter())
        .try_for_each(|(p, out)| match &p.page {
            None => Ok(()),
            Some(part) => decode_piece(nt, leaf, part, out).map_err(|e| {
                e.context(format!("page {}", part.index))
                    .context(format!("field `{}`, cluster {}", leaf.name, part.cluster))
            }),
        })?;
    Ok(values)
}

/// Reads, checks, decompresses and decodes one page, and puts its values from `skip`
/// on into `out`.
fn decode_piece<T: Value>(nt: &Ntuple, leaf: &Leaf, p: &PagePart, out: &mut [T]) -> Res<()> {
    let n = p.page.elements as usize;
    let len = p.kind.page_bytes(n).ok_or_else(too_many)?;
    with_buffers(|raw, scratch| {
        let bytes = page_bytes(nt, p.page, len, raw, scratch)?;
        if p.skip == 0 && out.len() == n {
            return decode_page_into(&p.kind, p.desc, leaf.target, bytes, out);
        }
        // A page the range takes only in part.
        let mut whole = vec![T::default(); n];
        decode_page_into(&p.kind, p.desc, leaf.target, bytes, &mut whole)?;
        let part = whole
            .get(p.skip..p.skip + out.len())
            .ok_or_else(|| Fault::new("internal: a piece outside its page"))?;
        out.copy_from_slice(part);
        Ok(())
    })
}

thread_local! {
    /// Each thread's buffers for a page as stored and decompressed, kept from page to page.
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Buffers above this size are given back after use rather than kept for the next page.
const KEEP_BYTES: usize = 64 << 20;

/// Runs `f` with this thread's page buffers (fresh ones if they are in use, or the
/// thread is ending).
fn with_buffers<R>(mut f: impl FnMut(&mut Vec<u8>, &mut Vec<u8>) -> R) -> R {
    let kept = BUFFERS.try_with(|cell| {
        let mut b = cell.try_borrow_mut().ok()?;
        let (raw, scratch) = &mut *b;
        let r = f(raw, scratch);
        for v in [raw, scratch] {
            if v.capacity() > KEEP_BYTES {
                *v = Vec::new();
            }
        }
        Some(r)
    });
    match kept {
        Ok(Some(r)) => r,
        _ => f(&mut Vec::new(), &mut Vec::new()),
    }
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
    for (k, p) in pages.iter().enumerate() {
        let n = p.elements as usize;
        let len = kind.page_bytes(n).ok_or_else(too_many)?;
        with_buffers(|raw, scratch| {
            let bytes = page_bytes(nt, p, len, raw, scratch)?;
            decode_index(&kind, bytes, n, &mut out)
        })
        .map_err(|e| e.context(format!("offset page {k}")))?;
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

/// Reads one page into `raw`, checks its checksum, and decompresses it to `len` bytes
/// (into `scratch`, unless it is stored uncompressed).
fn page_bytes<'s>(
    nt: &Ntuple,
    p: &Page,
    len: usize,
    raw: &'s mut Vec<u8>,
    scratch: &'s mut Vec<u8>,
) -> Res<&'s [u8]> {
    if p.at.size > super::envelope::MAX_ENVELOPE || len as u64 > super::envelope::MAX_ENVELOPE {
        return Err(Fault::new(format!(
            "a page of {} bytes ({len} uncompressed): impossible size",
            p.at.size
        )));
    }
    let extra = if p.checksum { 8 } else { 0 };
    let stored = nt
        .file
        .read_into(p.at.offset, p.at.size as usize + extra, raw)?;
    let (data, sum) = stored.split_at(p.at.size as usize);
    if p.checksum {
        let stored = u64::from_le_bytes(sum.try_into().unwrap_or([0; 8]));
        if xxh3_64(data) != stored {
            return Err(Fault::new(
                "the page's checksum does not match its contents (corrupt file)",
            ));
        }
    }
    if data.len() == len {
        return Ok(data);
    }
    let out = compress::decompress_scratch(data, len, scratch)?;
    if out.len() != len {
        return Err(Fault::new("a page decompressed short"));
    }
    Ok(out)
}
