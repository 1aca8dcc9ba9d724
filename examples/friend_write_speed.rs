//! Speed of the friend writer (issue 18.4: at least 50 M values/s): writes N entries of
//! C float score columns (a logistic of a xorshift-normal, so they compress as scores
//! do) through `write_friend_stream` in chunks of 65,536, R times, and prints the median
//! wall time and values per second. The fifth argument, `ttree` (default) or `rntuple`,
//! chooses the friend's format.
//!
//! ```text
//! cargo run --release --example friend_write_speed -- OUT.root [N] [C] [R] [ttree|rntuple]
//! ```

use std::path::Path;
use std::time::Instant;

use rootgrad::root::write::{
    write_friend_stream_as, FriendData, FriendFormat, FriendStream, FriendType, StreamColumn,
};

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
    // one chunk of scores, reused: the writer's cost, not the generator's
    let values: Vec<f32> = (0..chunk)
        .map(|_| {
            let z = (next() + next() + next() - 1.5) * 4.0;
            (1.0 / (1.0 + (-z).exp())) as f32
        })
        .collect();
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
}
