//! Benchmark helper for validation/bench/read_bench.py (and rntuple_bench.py): reads
//! every readable branch of `FILE.root:TREE` (or every leaf of an RNTuple) into memory as f32 and prints one JSON line with the entries, the
//! branch count, the wall time of the read (open to last value) and the float64 sum of
//! every value (to check against uproot), and the CPU seconds of the read (every
//! thread's run time, from /proc/self/task/*/schedstat: user and system, nanoseconds;
//! null where that file does not exist). Threads: the default rayon pool
//! (RAYON_NUM_THREADS).

use std::time::Instant;

use rayon::prelude::*;
use rootgrad::root::chain::{open_member, Member};
use rootgrad::root::read::read_columns;
use rootgrad::root::rntuple;
use rootgrad::root::TreeSpec;

/// CPU time of every thread of this process so far, in seconds (None off Linux).
fn cpu_seconds() -> Option<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 * 1e-9)
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let cpu0 = cpu_seconds();
    let spec = TreeSpec::parse(&arg);
    let run = || -> rootgrad::Result<(u64, usize, f64, Option<f64>, f64)> {
        let t0 = Instant::now();
        let tree = match open_member(std::path::Path::new(&spec.pattern), spec.tree.as_deref())? {
            Member::Tree(t) => t,
            Member::Ntuple(n) => {
                let cols = n
                    .leaves
                    .par_iter()
                    .map(|l| rntuple::read_column::<f32>(&n, &l.name, 0..u64::MAX))
                    .collect::<rootgrad::Result<Vec<_>>>()?;
                let seconds = t0.elapsed().as_secs_f64();
                let cpu = cpu_seconds();
                let sum: f64 = cols
                    .iter()
                    .map(|c| c.values.iter().map(|&v| v as f64).sum::<f64>())
                    .sum();
                return Ok((n.entries, cols.len(), seconds, cpu, sum));
            }
        };
        let names: Vec<&str> = tree
            .branches
            .iter()
            .filter(|b| b.interpretation.is_ok())
            .map(|b| b.name.as_str())
            .collect();
        let cols = read_columns::<f32>(&tree, &names, 0..u64::MAX)?;
        let seconds = t0.elapsed().as_secs_f64();
        let cpu = cpu_seconds();
        let sum: f64 = cols
            .iter()
            .map(|c| c.values.iter().map(|&v| v as f64).sum::<f64>())
            .sum();
        Ok((tree.entries, names.len(), seconds, cpu, sum))
    };
    match run() {
        Ok((entries, branches, seconds, cpu, checksum)) => {
            let cpu = match (cpu0, cpu) {
                (Some(a), Some(b)) => format!("{}", b - a),
                _ => "null".to_string(),
            };
            println!("{{\"entries\": {entries}, \"branches\": {branches}, \"seconds\": {seconds}, \"cpu_seconds\": {cpu}, \"checksum\": {checksum}}}");
        }
        Err(e) => {
            eprintln!("read_all: {e}");
            std::process::exit(2);
        }
    }
}
