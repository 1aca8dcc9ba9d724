//! Row gather: copies the rows `idx` of a row-major table into consecutive rows of a
//! batch buffer, the data loader's copy of a shuffled batch.
//!
//! In a shuffled epoch every row of the batch comes from a random place in a set of
//! hundreds of megabytes, so the copy waits on memory (a cache miss and usually a TLB
//! miss per row), not on arithmetic. [`gather_rows_ahead`] can ask for the rows a
//! given distance ahead of the one it copies (software prefetch on x86-64);
//! [`gather_rows_naive`] is the plain loop it is tested against. All copy bits, so they
//! agree exactly. Splitting a batch across threads is the caller's business
//! (`rootgrad::nn::gather`).
//!
//! Measured, one thread, 2,000,000 x 30 f32 rows in a shuffled order, 1024-row batches
//! (`cargo run --release -p rootgrad-kernels --example gather_bench`, 2026-11-24 03:23
//! UTC, quiet machine, load 0.9): 39.1 ns per row for the naive loop, 37.6 to 39.3 for
//! prefetch distances 0 to 32, no gain from prefetching (the core already overlaps the
//! independent misses of consecutive rows). So [`PREFETCH_AHEAD`] is 0 and
//! [`gather_rows`] is the plain copy; the prefetching variant stays for the benchmark.

/// How many rows ahead of the copy [`gather_rows`] prefetches (0: none; see the module
/// doc for the measurement).
pub const PREFETCH_AHEAD: usize = 0;

/// `dst[r * width .. (r + 1) * width] = src[idx[r] * width .. (idx[r] + 1) * width]` for
/// every r: the reference loop.
///
/// Panics if `dst.len() != idx.len() * width` or an index is past the end of `src`
/// (a caller's bug: indices come from a permutation of the set, never from a file).
pub fn gather_rows_naive<T: Copy>(dst: &mut [T], src: &[T], width: usize, idx: &[u32]) {
    assert_eq!(dst.len(), idx.len() * width, "gather: dst length");
    for (r, &i) in idx.iter().enumerate() {
        let i = i as usize;
        dst[r * width..(r + 1) * width].copy_from_slice(&src[i * width..(i + 1) * width]);
    }
}

/// The same copy as [`gather_rows_naive`], with the rows [`PREFETCH_AHEAD`] places
/// ahead prefetched when that is above 0 (every cache line of the row).
pub fn gather_rows<T: Copy>(dst: &mut [T], src: &[T], width: usize, idx: &[u32]) {
    gather_rows_ahead(dst, src, width, idx, PREFETCH_AHEAD)
}

/// [`gather_rows`] with the prefetch distance `ahead` (rows) given, for the benchmark
/// that chose [`PREFETCH_AHEAD`] (`ahead = 0` prefetches nothing).
pub fn gather_rows_ahead<T: Copy>(
    dst: &mut [T],
    src: &[T],
    width: usize,
    idx: &[u32],
    ahead: usize,
) {
    assert_eq!(dst.len(), idx.len() * width, "gather: dst length");
    if width == 0 {
        return;
    }
    let row_bytes = width * std::mem::size_of::<T>();
    if ahead == 0 {
        for (r, d) in dst.chunks_exact_mut(width).enumerate() {
            let i = idx[r] as usize;
            d.copy_from_slice(&src[i * width..(i + 1) * width]);
        }
        return;
    }
    for &i in &idx[..idx.len().min(ahead)] {
        prefetch_row(src, i as usize * width, row_bytes);
    }
    for (r, d) in dst.chunks_exact_mut(width).enumerate() {
        if let Some(&next) = idx.get(r + ahead) {
            prefetch_row(src, next as usize * width, row_bytes);
        }
        let i = idx[r] as usize;
        d.copy_from_slice(&src[i * width..(i + 1) * width]);
    }
}

/// Asks for the cache line of `src[idx[j]]` for every j (software prefetch on x86-64,
/// nothing elsewhere): the labels, weights or row references of a shuffled batch, a few
/// bytes each from random places in arrays of megabytes. A loop of prefetches keeps many
/// misses in flight at once, where a loop that uses each value right away (a loss, a
/// copy) waits for them a few at a time. An index past the end is skipped. Changes no
/// value anywhere.
#[inline]
pub fn prefetch_indexed<T>(src: &[T], idx: &[u32]) {
    for &i in idx {
        if let Some(v) = src.get(i as usize) {
            prefetch(v as *const T as *const u8);
        }
    }
}

/// Asks for every cache line of `src[start .. start + len]` (clipped to `src`): a row
/// about to be copied. Changes no value.
#[inline]
pub fn prefetch_range<T>(src: &[T], start: usize, len: usize) {
    prefetch_row(src, start, len * std::mem::size_of::<T>());
}

/// Prefetches the bytes `[start, start + bytes)` of `src` (element `start` on), one
/// request per 64-byte line; nothing past the end of `src` is touched.
#[inline(always)]
fn prefetch_row<T>(src: &[T], start: usize, bytes: usize) {
    let Some(first) = src.get(start) else {
        return;
    };
    let p = first as *const T as *const u8;
    let end = std::mem::size_of_val(src) - start * std::mem::size_of::<T>();
    let bytes = bytes.min(end);
    if bytes == 0 {
        return;
    }
    let mut off = 0;
    while off < bytes {
        prefetch(p.wrapping_add(off));
        off += 64;
    }
    // the last byte's line, when the row straddles one more line than the steps reach
    prefetch(p.wrapping_add(bytes - 1));
}

#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: a prefetch is a hint; it never faults and does not change memory.
        // `p` points into (or one line past the start of) a live slice.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of `n` rows of `width` integer-valued floats, value = 1000 row + column.
    fn table(n: usize, width: usize) -> Vec<f32> {
        (0..n * width)
            .map(|e| (1000 * (e / width) + e % width) as f32)
            .collect()
    }

    fn shuffled(n: usize, len: usize, seed: u64) -> Vec<u32> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) % n as u64) as u32
            })
            .collect()
    }

    #[test]
    fn fast_gather_equals_naive_for_odd_widths_and_lengths() {
        for width in [1, 3, 16, 17, 30, 33] {
            let n = 101;
            let src = table(n, width);
            for len in [0, 1, 7, 8, 9, 100, 257] {
                let idx = shuffled(n, len, (width * 31 + len) as u64);
                let mut a = vec![f32::NAN; len * width];
                let mut b = vec![f32::NAN; len * width];
                gather_rows_naive(&mut a, &src, width, &idx);
                gather_rows(&mut b, &src, width, &idx);
                assert_eq!(a, b, "width {width} len {len}");
                for ahead in [0, 1, 3, 64] {
                    let mut c = vec![f32::NAN; len * width];
                    gather_rows_ahead(&mut c, &src, width, &idx, ahead);
                    assert_eq!(a, c, "width {width} len {len} ahead {ahead}");
                }
                for (r, &i) in idx.iter().enumerate() {
                    assert_eq!(b[r * width], (1000 * i) as f32);
                }
            }
        }
    }

    #[test]
    fn gather_copies_bits_including_nan_payloads() {
        let src: Vec<f32> = [1.0f32, f32::NAN, -0.0, f32::from_bits(0x7fc0_1234)].repeat(3);
        let idx = [2u32, 0, 1, 2, 1, 0];
        let mut a = vec![0.0f32; idx.len() * 4];
        let mut b = vec![0.0f32; idx.len() * 4];
        gather_rows_naive(&mut a, &src, 4, &idx);
        gather_rows(&mut b, &src, 4, &idx);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
    }

    #[test]
    fn the_last_row_of_the_table_is_gathered() {
        let src = table(5, 30);
        let idx = [4u32; 20];
        let mut b = vec![f32::NAN; 20 * 30];
        gather_rows(&mut b, &src, 30, &idx);
        assert!(b.chunks(30).all(|r| r == &src[120..150]));
    }

    #[test]
    #[should_panic]
    fn an_index_past_the_end_panics() {
        let src = table(5, 3);
        let mut b = vec![0.0f32; 3];
        gather_rows(&mut b, &src, 3, &[5]);
    }
}
