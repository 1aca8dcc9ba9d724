//! Speed of the friend writer (issue 18.4: at least 50 M values/s): writes N entries of
//! C float score columns (a logistic of a xorshift-normal, so they compress as scores
//! do) through `write_friend_stream` in chunks of 65,536, R times, and prints the median
//! wall time and values per second. The fifth argument, `ttree` (default) or `rntuple`,
//! chooses the friend's format. Then the codec choice on the same scores: each
//! codec and level compresses them basket by basket ([`ENTRIES_PER_BASKET`] floats,
//! big-endian, as the TTree writer does) on one thread, R times; it prints the size as a
//! fraction of the raw bytes and the median speed (docs/performance.md, "Friend writer").
//! With `SCORES` (`FILE.root:TREE`, a friend `rootgrad apply` wrote), the scores are
//! its `score` branch (repeated to N entries) instead of the generated ones.
//!
//! ```text
//! cargo run --release --example friend_write_speed -- OUT.root [N] [C] [R] [ttree|rntuple] [SCORES]
//! ```

use std::path::Path;
use std::time::Instant;

use rootgrad::root::chain::open_tree;
use rootgrad::root::read::read_column;
use rootgrad::root::write::{
    compress_blocks, write_friend_stream_as, Compression, FriendData, FriendFormat, FriendStream,
    FriendType, StreamColumn, ENTRIES_PER_BASKET,
};
use rootgrad::root::TreeSpec;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args.first().map(String::as_str).unwrap_or("speed.root");
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (n, c, r) = (arg(1, 20_000_000), arg(2, 1) as usize, arg(3, 5) as usize);
    let format = match args.get(4).map(String::as_str) {
        None | Some("ttree") => FriendFormat::TTree,
        Some("rntuple") => FriendFormat::RNTuple,
        Some(other) => panic!("format `{other}`: give ttree or rntuple"),
    };
    let chunk = 1usize << 16;
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    // scores (a whole basket's worth or more), reused: the writer's cost, not the
    // generator's
    let values: Vec<f32> = match args.get(5) {
        Some(src) => read_scores(src),
        None => (0..chunk)
            .map(|_| {
                let z = (next() + next() + next() - 1.5) * 4.0;
                (1.0 / (1.0 + (-z).exp())) as f32
            })
            .collect(),
    };
    let chunk = chunk.min(values.len());
    let columns: Vec<StreamColumn> = (0..c)
        .map(|k| StreamColumn {
            name: format!("score{k}"),
            kind: FriendType::F32,
        })
        .collect();
    let mut times = Vec::new();
    for _ in 0..r {
        let spec = FriendStream {
            path: Path::new(out),
            tree: "rootgrad",
            columns: &columns,
            entries: n,
            overwrite: true,
            source: None,
        };
        let mut given = 0u64;
        let t = Instant::now();
        write_friend_stream_as(&spec, format, || {
            if given >= n {
                return Ok(None);
            }
            let m = (n - given).min(chunk as u64) as usize;
            given += m as u64;
            Ok(Some(
                (0..c)
                    .map(|_| FriendData::F32(values[..m].to_vec()))
                    .collect(),
            ))
        })
        .expect("write");
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let med = times[times.len() / 2];
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "friend_write_speed: {} friend, {n} entries x {c} float columns, median of {r}: {med:.3} s, {:.1} M values/s, file {size} bytes ({:.3} of raw)",
        format.name(),
        (n as f64 * c as f64) / med / 1e6,
        size as f64 / (n as f64 * c as f64 * 4.0)
    );
    codecs(&values, r);
}

/// The `score` branch of a friend file `FILE.root:TREE`.
fn read_scores(src: &str) -> Vec<f32> {
    let spec = TreeSpec::parse(src);
    let tree = open_tree(Path::new(&spec.pattern), spec.tree.as_deref()).expect("scores file");
    let v = read_column::<f32>(&tree, "score", 0..u64::MAX)
        .expect("a `score` branch")
        .values;
    assert!(!v.is_empty(), "{src}: no scores");
    v
}

/// Size and single-thread speed of each codec on `values`, basket by basket.
fn codecs(values: &[f32], reps: usize) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let basket = ENTRIES_PER_BASKET * 4;
    for how in [
        Compression::Zlib(1),
        Compression::Zlib(6),
        Compression::Zstd(1),
        Compression::Zstd(3),
        Compression::Zstd(5),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..reps.max(1) {
            let t = Instant::now();
            size = bytes
                .chunks(basket)
                .map(|b| compress_blocks(b, how).map_or(b.len(), |p| p.len()))
                .sum::<usize>();
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let med = times[times.len() / 2];
        println!(
            "codec setting {}: {} values, size {:.4} of raw, {:.0} MB/s = {:.0} M values/s (one thread, median of {})",
            how.setting(),
            values.len(),
            size as f64 / bytes.len() as f64,
            bytes.len() as f64 / med / 1e6,
            values.len() as f64 / med / 1e6,
            times.len()
        );
    }
}
