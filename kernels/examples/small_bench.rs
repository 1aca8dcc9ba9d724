//! Throughput of the small-product kernels on one 512-row chunk of the reference
//! network's shapes, against matrixmultiply (`gemm`): GFLOP/s, best of several runs.
//!
//! ```text
//! cargo run --release -p rootgrad-kernels --example small_bench
//! ```

use std::time::Instant;

use rootgrad_kernels::gemm::{gemm, Layout};
use rootgrad_kernels::small::{gemm_nn, gemm_nt, gemm_tn};

fn best(flops: f64, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..20 {
        let t = Instant::now();
        for _ in 0..100 {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / 100.0);
    }
    flops / best / 1e9
}

fn main() {
    let m = 512;
    for (k, n) in [(30, 64), (64, 64)] {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
        let w: Vec<f32> = (0..n * k).map(|i| (i % 5) as f32 - 2.0).collect();
        let mut c = vec![0.0f32; m * n];
        let flops = 2.0 * (m * k * n) as f64;
        let nt = best(flops, || gemm_nt(&a, &w, &mut c, m, k, n).unwrap());
        let nn = best(flops, || {
            gemm_nn(&a, k, &w, &mut c, m, k, n, false).unwrap()
        });
        let mut dw = vec![0.0f32; n * k];
        let tn = best(flops, || gemm_tn(&c, &a, &mut dw, m, n, k, true).unwrap());
        let mm = best(flops, || {
            let (la, lw) = (Layout::row_major(m, k), Layout::row_major(n, k).t());
            gemm(1.0, &a, la, &w, lw, 0.0, &mut c, Layout::row_major(m, n)).unwrap()
        });
        println!(
            "m={m} k={k} n={n}: nt {nt:.1}, nn {nn:.1}, tn {tn:.1}, matrixmultiply nt {mm:.1} GFLOP/s"
        );
    }
}
