//! Nested leaves: a list of lists per entry. Two kinds of field give them:
//!
//! - a collection inside a collection (`std::vector<std::vector<T>>`,
//!   `ROOT::RVec<ROOT::RVec<T>>`): the outer field's offset column gives, per entry,
//!   the end of its inner lists; the inner field's offset column gives, per inner list,
//!   the end of its values (both cluster-relative, as every offset column);
//! - fixed-size arrays inside a collection (`std::vector<std::array<T, N>>`): the
//!   outer offsets give the arrays of each entry, and each array is an inner list of N
//!   values.
//!
//! Each cluster's share is read on its own, in parallel, and joined in entry order into
//! [`Layout::Nested`].

use std::ops::Range;

use rayon::prelude::*;

use super::super::interp::Value;
use super::super::read::Column;
use super::super::{Fault, Res};
use super::meta::Cluster;
use super::read::{primary, read_elements, read_offsets};
use super::schema::{columns_of, Leaf};
use super::Ntuple;

/// One cluster's share of the range.
struct Part<T> {
    /// Inner lists of each entry.
    lists: Vec<usize>,
    /// Values of each inner list.
    lens: Vec<usize>,
    values: Vec<T>,
}

/// Reads nested leaf `leaf` over entries `range` (already clamped to the ntuple).
pub(super) fn read_leaf<T: Value>(nt: &Ntuple, leaf: &Leaf, range: Range<u64>) -> Res<Column<T>> {
    let (start, stop) = (range.start, range.end);
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
    Ok(super::super::nested::join_parts(
        &leaf.name,
        parts.into_iter().map(|p| (p.lists, p.lens, p.values)),
    ))
}

/// The elements the primary column of `cols` stores in cluster `c` (0 if none).
fn stored(cols: &[u32], c: &Cluster) -> u64 {
    primary(cols, c).map_or(0, |(_, pages)| {
        pages.iter().map(|p| p.elements as u64).sum()
    })
}

fn read_cluster<T: Value>(nt: &Ntuple, leaf: &Leaf, c: &Cluster, r: Range<u64>) -> Res<Part<T>> {
    let outer_id = leaf
        .collection
        .ok_or_else(|| Fault::new("internal: a nested leaf without a collection"))?;
    let w = leaf.width as u64;
    let outer = read_offsets(nt, &columns_of(&nt.schema, outer_id), c, c.entries)?;
    // Offsets are end positions: element k starts where element k - 1 ends.
    let end = |offs: &[u64], k: u64| if k == 0 { 0 } else { offs[k as usize - 1] };
    let (l0, l1) = (end(&outer, r.start), end(&outer, r.end));
    let lists = (r.start..r.end)
        .map(|e| (end(&outer, e + 1) - end(&outer, e)) as usize)
        .collect();
    let items = outer.last().copied().unwrap_or(0);
    let value_cols = columns_of(&nt.schema, leaf.field);
    let (lens, want, need): (Vec<usize>, Range<u64>, u64) = match leaf.inner {
        Some(inner_id) => {
            let cols = columns_of(&nt.schema, inner_id);
            // The outer offsets come from the file: the inner offset column must hold
            // that many elements, checked before anything is allocated for them.
            let have = stored(&cols, c);
            if items != have {
                return Err(Fault::new(format!(
                    "the outer offsets give {items} inner lists, the inner offset column holds \
                     {have} (corrupt page)"
                )));
            }
            let inner = read_offsets(nt, &cols, c, items)?;
            let lens = (l0..l1)
                .map(|j| ((end(&inner, j + 1) - end(&inner, j)) * w) as usize)
                .collect();
            let total = inner.last().copied().unwrap_or(0);
            let need = total.checked_mul(w).ok_or_else(too_many)?;
            (lens, end(&inner, l0) * w..end(&inner, l1) * w, need)
        }
        None => {
            let need = items.checked_mul(w).ok_or_else(too_many)?;
            // The values first: reading them checks `need` against the stored column
            // before `lens` is allocated from the offsets.
            let want = l0.checked_mul(w).ok_or_else(too_many)?..l1 * w;
            let values = read_elements(nt, leaf, &value_cols, c, need, want)?;
            let lens = vec![w as usize; (l1 - l0) as usize];
            return Ok(Part {
                lists,
                lens,
                values,
            });
        }
    };
    let values = read_elements(nt, leaf, &value_cols, c, need, want)?;
    Ok(Part {
        lists,
        lens,
        values,
    })
}

fn too_many() -> Fault {
    Fault::new("impossible element count")
}
