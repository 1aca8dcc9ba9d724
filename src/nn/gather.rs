//! The batch of a shuffled epoch: rows of a set copied into the network's input buffer
//! in the order of the epoch's permutation, split across the rayon pool.
//!
//! Every row comes from a random place in the set, so the copy waits on memory (see
//! [`rootgrad_kernels::gather`]); two threads keep twice as many misses in flight. The
//! copy moves bits, so the batch is the same whatever the thread count or the split.

use rayon::prelude::*;
use rootgrad_kernels::gather::gather_rows;

/// Rows per parallel task of [`gather_batch`]; smaller batches are copied on the
/// calling thread (waking the pool costs more than the copy).
pub const GATHER_BLOCK: usize = 256;

/// Copies rows `idx` of the set (`x`: (n, width) row-major, one label `y` and one weight
/// `w` per row) into the batch buffers, which are resized to `idx.len()` rows.
///
/// Panics if an index is out of range (indices come from the set's permutation).
#[allow(clippy::too_many_arguments)]
pub fn gather_batch(
    x: &[f32],
    y: &[f32],
    w: &[f32],
    width: usize,
    idx: &[u32],
    xb: &mut Vec<f32>,
    yb: &mut Vec<f32>,
    wb: &mut Vec<f32>,
) {
    let n = idx.len();
    xb.resize(n * width, 0.0);
    yb.resize(n, 0.0);
    wb.resize(n, 0.0);
    gather_into(x, y, w, width, idx, xb, yb, wb);
}

/// [`gather_batch`] into slices of exactly `idx.len()` rows (part of a larger batch, e.g.
/// the data half of a domain batch).
///
/// Panics if a slice has the wrong length or an index is out of range.
#[allow(clippy::too_many_arguments)]
pub fn gather_into(
    x: &[f32],
    y: &[f32],
    w: &[f32],
    width: usize,
    idx: &[u32],
    xb: &mut [f32],
    yb: &mut [f32],
    wb: &mut [f32],
) {
    let n = idx.len();
    let one = |xd: &mut [f32], yd: &mut [f32], wd: &mut [f32], ix: &[u32]| {
        gather_rows(xd, x, width, ix);
        gather_rows(yd, y, 1, ix);
        gather_rows(wd, w, 1, ix);
    };
    if n < 2 * GATHER_BLOCK || width == 0 {
        one(xb, yb, wb, idx);
        return;
    }
    xb.par_chunks_mut(GATHER_BLOCK * width)
        .zip(yb.par_chunks_mut(GATHER_BLOCK))
        .zip(wb.par_chunks_mut(GATHER_BLOCK))
        .zip(idx.par_chunks(GATHER_BLOCK))
        .for_each(|(((xd, yd), wd), ix)| one(xd, yd, wd, ix));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootgrad_kernels::gather::gather_rows_naive;

    #[test]
    fn parallel_gather_equals_the_naive_copy_for_1_2_3_threads() {
        let (n, width) = (3001, 30);
        let x: Vec<f32> = (0..n * width).map(|e| e as f32).collect();
        let y: Vec<f32> = (0..n).map(|i| (i % 2) as f32).collect();
        let w: Vec<f32> = (0..n).map(|i| i as f32 - 7.0).collect();
        let mut s = 12345u64;
        for len in [1, 511, 512, 513, 1027, 3001] {
            let idx: Vec<u32> = (0..len)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((s >> 33) % n as u64) as u32
                })
                .collect();
            let mut want = (vec![0.0; len * width], vec![0.0; len], vec![0.0; len]);
            gather_rows_naive(&mut want.0, &x, width, &idx);
            gather_rows_naive(&mut want.1, &y, 1, &idx);
            gather_rows_naive(&mut want.2, &w, 1, &idx);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let (mut xb, mut yb, mut wb) = (vec![f32::NAN; 3], Vec::new(), Vec::new());
                pool.install(|| gather_batch(&x, &y, &w, width, &idx, &mut xb, &mut yb, &mut wb));
                assert_eq!((xb, yb, wb), want.clone(), "len {len}, {threads} threads");
            }
        }
    }
}
