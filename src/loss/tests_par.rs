//! The histogram loss's parallel passes against their one-thread references
//! (`histogram_forward_naive`, `histogram_backward_naive`): the same bits for 1, 2 and 3
//! threads, batch sizes around the block size, f32 and f64, scores on the nodes
//! (integer logits, z = 0 gives s = 1/2), and outputs poisoned with NaN beforehand.

use super::tests_fd::batch;
use super::*;
use crate::loss::histogram::{
    histogram_backward_naive, histogram_forward_naive, HIST_BLOCK, HIST_PARALLEL_MIN,
};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Forward and backward of the parallel passes, run in `pool`, against the naive ones.
fn check<T: Real>(z: &[T], w: &[T], label: &[T], bins: usize) {
    let norm = Normalisation::new("d", 5000, 1234.5).unwrap();
    let norm_mc = Normalisation::new("m", 7000, 2222.0).unwrap();
    let dom = DomainNorm::new(norm, norm_mc).batch(label).unwrap();
    let cfg = HistogramConfig::new("bins", bins).unwrap();
    let poisoned = || Histograms {
        data: vec![f64::NAN; cfg.nodes()],
        mc: vec![f64::NAN; cfg.nodes()],
    };
    let mut want = poisoned();
    let l_want = histogram_forward_naive(&mut want, z, w, label, &cfg, &dom);
    let dz0: Vec<T> = (0..z.len())
        .map(|i| T::from_f64(i as f64 % 7.0 - 3.0))
        .collect();
    let mut dz_want = dz0.clone();
    histogram_backward_naive(&mut dz_want, z, w, label, &want, &cfg, &dom, 0.75);
    let bits = |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
    for threads in [1, 2, 3] {
        let mut got = poisoned();
        let l = pool(threads).install(|| histogram_forward(&mut got, z, w, label, &cfg, &dom));
        let n = z.len();
        assert_eq!(
            l.to_bits(),
            l_want.to_bits(),
            "L_H, {n} rows, {threads} threads"
        );
        assert_eq!(got, want, "histograms, {n} rows, {threads} threads");
        let mut dz = dz0.clone();
        pool(threads).install(|| histogram_backward(&mut dz, z, w, label, &got, &cfg, &dom, 0.75));
        assert_eq!(bits(&dz), bits(&dz_want), "dz, {n} rows, {threads} threads");
    }
}

#[test]
fn parallel_histogram_passes_equal_the_one_thread_references_bit_for_bit() {
    for n in [
        2,
        7,
        HIST_BLOCK + 1,
        3001,
        HIST_PARALLEL_MIN,
        HIST_PARALLEL_MIN + 1,
        HIST_PARALLEL_MIN + 2 * HIST_BLOCK + 3,
    ] {
        for bins in [1, 10, 37] {
            let b = batch(n, bins, n as u64 + 5);
            // labels alternate in runs so both domains are in every block
            let label: Vec<f64> = (0..n).map(|i| ((i / 3 + i) % 2) as f64).collect();
            check(&b.z, &b.w, &label, bins);
            let (z32, w32, l32): (Vec<f32>, Vec<f32>, Vec<f32>) = (
                b.z.iter().map(|&v| v as f32).collect(),
                b.w.iter().map(|&v| v as f32).collect(),
                label.iter().map(|&v| v as f32).collect(),
            );
            check(&z32, &w32, &l32, bins);
            // integer logits and weights: scores on the node 1/2 and away from it
            let zi: Vec<f32> = (0..n).map(|i| (i % 7) as f32 - 3.0).collect();
            let wi: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 1.0).collect();
            check(&zi, &wi, &l32, bins);
        }
    }
}
