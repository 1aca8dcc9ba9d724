//! Writes a friend tree of deterministic values, for checking the writer against
//! uproot (`validation/friend_uproot.py` recomputes the same formulas in numpy).
//!
//! ```text
//! cargo run --release --example write_friend -- OUT.root N [--force] [--rntuple]
//! ```
//!
//! writes tree `friends` (an RNTuple `friends` with `--rntuple`) with N entries and the columns below, where `i` is the entry
//! number. Each formula is one IEEE operation per step (no fused multiply-add), so numpy
//! reproduces it bit for bit.
//!
//! | branch | type    | value                                                      |
//! |--------|---------|------------------------------------------------------------|
//! | `f32`  | float   | `f32(i) * 0.37 - 1000`, times `1e30` when `i % 11 == 5`    |
//! | `f64`  | double  | `(f64(i) - 500.25) / 3`, times `1e300` when `i % 13 == 7`  |
//! | `i32`  | int32_t | `(i * 7919) % 2000000007 - 1000000000`                     |
//! | `i64`  | int64_t | `(i - 500) * 4294967311`, or `i64::MAX - i` when `i % 17 == 0` |
//! | `flag` | bool    | `i % 3 == 0`                                               |

use rootgrad::root::provenance::FriendSource;
use rootgrad::root::write::{write_friend_as, FriendColumn, FriendData, FriendFormat, FriendSpec};
use rootgrad::root::{Chain, TreeSpec};
use std::path::Path;
use std::process::ExitCode;

fn columns(n: u64) -> Vec<FriendColumn> {
    let f32s = (0..n)
        .map(|i| {
            let x = i as f32 * 0.37 - 1000.0;
            if i % 11 == 5 {
                x * 1e30
            } else {
                x
            }
        })
        .collect();
    let f64s = (0..n)
        .map(|i| {
            let x = (i as f64 - 500.25) / 3.0;
            if i % 13 == 7 {
                x * 1e300
            } else {
                x
            }
        })
        .collect();
    let i32s = (0..n)
        .map(|i| ((i as i64 * 7919) % 2_000_000_007 - 1_000_000_000) as i32)
        .collect();
    let i64s = (0..n)
        .map(|i| {
            let i = i as i64;
            if i % 17 == 0 {
                i64::MAX - i
            } else {
                (i - 500) * 4_294_967_311
            }
        })
        .collect();
    let flags = (0..n).map(|i| i % 3 == 0).collect();
    let col = |name: &str, data| FriendColumn {
        name: name.to_string(),
        data,
    };
    vec![
        col("f32", FriendData::F32(f32s)),
        col("f64", FriendData::F64(f64s)),
        col("i32", FriendData::I32(i32s)),
        col("i64", FriendData::I64(i64s)),
        col("flag", FriendData::Bool(flags)),
    ]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let force = args.iter().any(|a| a == "--force");
    let format = if args.iter().any(|a| a == "--rntuple") {
        FriendFormat::RNTuple
    } else {
        FriendFormat::TTree
    };
    // --source FILE.root:TREE records that tree as the friend's source
    let source_at = args.iter().position(|a| a == "--source");
    let source = match source_at.and_then(|i| args.get(i + 1)) {
        Some(s) => match Chain::open(&TreeSpec::parse(s)) {
            Ok(chain) => Some(FriendSource::of_chain(&chain)),
            Err(e) => {
                eprintln!("write_friend: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let rest: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            *a != "--force"
                && *a != "--rntuple"
                && Some(*i) != source_at
                && Some(*i) != source_at.map(|k| k + 1)
        })
        .map(|(_, a)| a)
        .collect();
    let (out, n) = match rest[..] {
        [out, n] => match n.parse::<u64>() {
            Ok(n) => (out, n),
            Err(e) => {
                eprintln!("write_friend: N must be a whole number, got `{n}`: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!(
                "usage: write_friend OUT.root N [--force] [--rntuple] [--source FILE.root:TREE]"
            );
            return ExitCode::from(2);
        }
    };
    let columns = columns(n);
    let spec = FriendSpec {
        path: Path::new(out),
        tree: "friends",
        columns: &columns,
        expected_entries: Some(n),
        overwrite: force,
        source: source.as_ref(),
    };
    match write_friend_as(&spec, format) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("write_friend: {e}");
            ExitCode::from(2)
        }
    }
}
