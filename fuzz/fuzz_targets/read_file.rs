//! Fuzzes the ROOT reader the way a user's corrupt or truncated file would reach it:
//! open, list the trees, parse each, and read every branch that has an interpretation
//! as `f64`; the same for the RNTuples (anchor, envelopes, page lists, every leaf over
//! its first 2^16 entries). Any panic, hang, out-of-memory or sanitizer report is a reader bug; an
//! `Err` is the right answer to bad bytes and is ignored. The seeded byte mutations of
//! `validation/mutation.rs` cover the same path in `cargo test`; this target lets
//! libFuzzer search much further, guided by coverage.
//!
//! `RootFile::open` takes a path only, so each input is written to one temporary file
//! per process (set TMPDIR to a tmpfs such as /dev/shm to keep it off the disk).

#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use rootgrad::root::chain::list_trees;
use rootgrad::root::read::read_column;
use rootgrad::root::rntuple::{self, list_ntuples, Ntuple};
use rootgrad::root::{RootFile, Tree};

/// The per-process file each input is written to.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("rootgrad-fuzz-{}.root", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    // A failed write is the machine's problem, not an input the reader got.
    if std::fs::write(path, data).is_err() {
        return;
    }
    let Ok(file) = RootFile::open(path) else {
        return;
    };
    let file = Arc::new(file);
    for name in list_ntuples(&file).unwrap_or_default() {
        let Ok(nt) = Ntuple::open(file.clone(), &name) else {
            continue;
        };
        for l in &nt.leaves {
            let _ = rntuple::read_column::<f64>(&nt, &l.name, 0..1 << 16);
        }
    }
    let Ok(trees) = list_trees(&file) else {
        return;
    };
    for name in trees {
        let Ok(tree) = Tree::open(file.clone(), &name) else {
            continue;
        };
        for b in tree.branches.iter().filter(|b| b.interpretation.is_ok()) {
            let _ = read_column::<f64>(&tree, &b.name, 0..tree.entries);
        }
    }
});
