//! Reading a chain chunk by chunk: the one chunk iterator that `apply`, `reweight` and
//! the sample loader share.
//!
//! The entries of a chain are cut into consecutive ranges of about
//! [`ChunkSize::target`] entries, each ending at a basket boundary of the first branch
//! read (so no basket is decompressed for two chunks), or at `target` entries when no
//! boundary falls within [`ChunkSize::max`] entries. [`read_ahead`] reads the branches
//! the expressions name over each range ([`read_for`]) on a thread of its own, one
//! chunk ahead of the consumer, through a queue of one: the next chunk is decompressed
//! while this one is used, and at most two chunks' columns are alive. Nothing computed
//! from a chunk may depend on where the chunk boundaries fall.

use std::ops::Range;
use std::sync::mpsc::sync_channel;

use crate::expr::{read_for_f32, ColumnSet, Expr};
use crate::root::Chain;
use crate::Result;

/// How many entries a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSize {
    /// A chunk ends at the first basket boundary at or past this many entries...
    pub target: u64,
    /// ... unless that boundary is more than this many entries on, or there is none:
    /// then it ends at `target` entries.
    pub max: u64,
}

impl ChunkSize {
    /// Scoring (`apply`, `reweight`): with 30 float inputs a chunk's columns take 16 MB
    /// read as f64 (8 MB where apply reads them as f32) and 8 MB as features.
    pub const SCORE: ChunkSize = ChunkSize {
        target: 1 << 16,
        max: 1 << 18,
    };
    /// The sample loader: larger chunks, since the loader keeps only the selected rows.
    /// `max` is a quarter over `target`: where a basket boundary falls within it
    /// (baskets of 50,000 or 100,000 entries: chunks of 300,000) chunks end at basket
    /// boundaries, while a layout of larger baskets (uproot's 500,000-entry `extend` calls, a large
    /// AutoFlush) is cut at `target` entries: two chunks' columns (read as f64) stay
    /// under 160 MB with 30 inputs, which keeps training's peak memory within
    /// 1.5 x the f32 feature matrix + 200 MB (docs/performance.md, "Memory"). Such a
    /// basket is read by each chunk it spans.
    pub const LOAD: ChunkSize = ChunkSize {
        target: 1 << 18,
        max: (1 << 18) + (1 << 16),
    };
}

/// The entry ranges `chain` is read in for `exprs`: consecutive, covering every entry,
/// each ending at a basket boundary of the first (by name) branch the expressions read
/// where one falls within `size`.
pub fn chunk_plan(chain: &Chain, exprs: &[&Expr], size: ChunkSize) -> Vec<Range<u64>> {
    chunk_plan_in(chain, exprs, size, 0..chain.entries())
}

/// [`chunk_plan`] over the entries `range` of the chain only (one file of a chain).
pub fn chunk_plan_in(
    chain: &Chain,
    exprs: &[&Expr],
    size: ChunkSize,
    range: Range<u64>,
) -> Vec<Range<u64>> {
    let first = exprs.iter().flat_map(|e| e.branches()).min();
    let bounds = first.map(|b| chain.basket_starts(&b)).unwrap_or_default();
    let stop = range.end.min(chain.entries());
    chunk_ranges(range.start.min(stop)..stop, &bounds, size)
}

/// Splits the entries `entries` into consecutive ranges of about `size.target`
/// entries: each ends at the first of `bounds` (sorted entry numbers) at or past
/// `start + size.target`, unless that is more than `size.max` entries on or there is
/// none, when it ends at `start + size.target`.
pub fn chunk_ranges(entries: Range<u64>, bounds: &[u64], size: ChunkSize) -> Vec<Range<u64>> {
    let target = size.target.max(1);
    let total = entries.end;
    let mut out = Vec::new();
    let mut start = entries.start;
    while start < total {
        let want = start + target;
        let at = bounds.partition_point(|&b| b < want);
        let stop = match bounds.get(at) {
            Some(&b) if b <= start + size.max => b,
            _ => want,
        }
        .min(total);
        out.push(start..stop);
        start = stop;
    }
    out
}

/// Reads the branches `exprs` name over each of `ranges` in order on a thread of its
/// own, one chunk ahead, and calls `body` with a source of the chunks (`None` after the
/// last; a read error is passed on and ends the reading). The reader stops when `body`
/// returns, whether or not it took every chunk.
pub fn read_ahead<R>(
    chain: &Chain,
    exprs: &[&Expr],
    ranges: Vec<Range<u64>>,
    body: impl FnOnce(&mut (dyn FnMut() -> Option<Result<ColumnSet>> + Send)) -> R,
) -> R {
    read_ahead_f32(chain, exprs, &[], ranges, body)
}

/// [`read_ahead`] with the branches `as_f32` read as f32 into [`ColumnSet::floats`]
/// ([`read_for_f32`]).
pub fn read_ahead_f32<R>(
    chain: &Chain,
    exprs: &[&Expr],
    as_f32: &[String],
    ranges: Vec<Range<u64>>,
    body: impl FnOnce(&mut (dyn FnMut() -> Option<Result<ColumnSet>> + Send)) -> R,
) -> R {
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Result<ColumnSet>>(1);
        s.spawn(move || {
            for r in ranges {
                let cols = read_for_f32(exprs, as_f32, chain, r);
                let failed = cols.is_err();
                if tx.send(cols).is_err() || failed {
                    break;
                }
            }
        });
        let mut next = move || rx.recv().ok();
        // `next` (and with it the receiver) is dropped when `body` returns, so a reader
        // waiting to send sees the closed queue and stops.
        body(&mut next)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_basket_boundaries_and_cover_every_entry() {
        let size = ChunkSize::SCORE;
        // baskets of 100000 entries: each chunk is one basket
        let bounds: Vec<u64> = (0..=10).map(|b| b * 100_000).collect();
        let r = chunk_ranges(0..1_000_000, &bounds, size);
        assert_eq!(r.len(), 10);
        assert!(r.iter().all(|c| c.end - c.start == 100_000));
        // small baskets: the first boundary at or past the target
        let bounds: Vec<u64> = (0..=100).map(|b| b * 1000).collect();
        let r = chunk_ranges(0..100_000, &bounds, size);
        assert_eq!(r[0], 0..66_000);
        assert_eq!(r[1], 66_000..100_000);
        // no boundary within max, or none at all: fixed-size chunks
        let t = size.target;
        for bounds in [vec![0, 10_000_000], vec![]] {
            let r = chunk_ranges(0..3 * t - 5, &bounds, size);
            assert_eq!(r, [0..t, t..2 * t, 2 * t..3 * t - 5]);
        }
        assert!(chunk_ranges(0..0, &[], size).is_empty());
        // the loader: 50,000- and 100,000-entry baskets keep their boundaries (300,000
        // entries a chunk); 500,000-entry baskets are cut at the target, so no chunk
        // exceeds it (the memory bound)
        let load = ChunkSize::LOAD;
        for basket in [50_000u64, 100_000] {
            let bounds: Vec<u64> = (0..=40).map(|b| b * basket).collect();
            let r = chunk_ranges(0..2_000_000, &bounds, load);
            assert!(r[..r.len() - 1].iter().all(|c| c.end - c.start == 300_000));
        }
        let bounds: Vec<u64> = (0..=4).map(|b| b * 500_000).collect();
        let r = chunk_ranges(0..2_000_000, &bounds, load);
        assert!(r.iter().all(|c| c.end - c.start <= load.target));
        // a part of the entries: the same boundaries, from its start
        let bounds: Vec<u64> = (0..=200).map(|b| b * 1000).collect();
        assert_eq!(
            chunk_ranges(50_500..120_000, &bounds, size),
            [50_500..117_000, 117_000..120_000]
        );
    }

    #[test]
    fn tiny_targets_still_advance() {
        let size = ChunkSize { target: 0, max: 0 };
        assert_eq!(chunk_ranges(0..3, &[], size), [0..1, 1..2, 2..3]);
    }
}
