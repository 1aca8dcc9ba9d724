//! Row gather of a shuffled epoch, one thread: ns per row of `gather_rows_naive` and of
//! `gather_rows_ahead` at several prefetch distances, on a 2,000,000 x 30 f32 table
//! (240 MB) in an order shuffled once, 1024-row batches, the variants alternating.
//!
//! ```text
//! cargo run --release -p rootgrad-kernels --example gather_bench [ROWS] [WIDTH]
//! ```

use rootgrad_kernels::gather::{gather_rows_ahead, gather_rows_naive};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let width: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    let b = 1024;
    let src: Vec<f32> = (0..n * width).map(|e| (e % 1000) as f32).collect();
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut order: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        order.swap(i, (s % (i as u64 + 1)) as usize);
    }
    let mut dst = vec![0.0f32; b * width];
    let variants: [(&str, Option<usize>); 6] = [
        ("naive", None),
        ("ahead 0", Some(0)),
        ("ahead 4", Some(4)),
        ("ahead 8", Some(8)),
        ("ahead 16", Some(16)),
        ("ahead 32", Some(32)),
    ];
    let mut best = vec![f64::INFINITY; variants.len()];
    for _round in 0..5 {
        for (v, (_, ahead)) in variants.iter().enumerate() {
            let t = Instant::now();
            let mut check = 0.0f32;
            for idx in order.chunks_exact(b) {
                match ahead {
                    None => gather_rows_naive(&mut dst, &src, width, idx),
                    Some(a) => gather_rows_ahead(&mut dst, &src, width, idx, *a),
                }
                check += dst[0];
            }
            let ns = t.elapsed().as_secs_f64() * 1e9 / (n / b * b) as f64;
            best[v] = best[v].min(ns);
            std::hint::black_box(check);
        }
    }
    for ((name, _), ns) in variants.iter().zip(&best) {
        println!("{name:>10}: {ns:.1} ns/row (best of 5)");
    }
}
