//! Seeded byte mutations of real ROOT files: the reader must answer every corrupt or
//! truncated file with an `Err`, never a panic and never a hang.
//!
//! Each case takes one small file of ../shared/rootfiles (different writers and codecs),
//! applies one mutation drawn from a xorshift64 stream: flip 1-8 bits, overwrite 1-64
//! bytes with zeros, 0xFF or random bytes, or truncate, biased toward the bytes the
//! reader trusts most (the header and top directory in the first 512 bytes, the top key
//! list, the TTree key and object, the streamer infos); or set one known integer field
//! (header, directory, key, TBasket, compression block, a TTree's fEntries and
//! fBasketSeek) to an awkward value. Compressed TTree and streamer objects are also
//! stored again uncompressed after the file's end, with their pointers moved, so that
//! mutations reach the object parsers instead of stopping at a codec's checksum. The
//! mutated bytes go to a temporary file, which is opened, its trees listed and opened,
//! and every readable branch read as `f64`. Each case runs on its own thread under
//! `catch_unwind`, watched with a timeout.
//!
//! The campaign runs once and is shared by two tests: no panics or hangs, and every
//! error message is one line naming the file. To rerun one case with the usual panic
//! output, set `ROOTGRAD_MUTATION_CASE=<file name>#<case index>` (both are printed in
//! the failure report) and run with `RUST_BACKTRACE=1`. To explore further, raise
//! ROOTGRAD_MUTATION_CASES_PER_FILE or change ROOTGRAD_MUTATION_SEED (a rerun of one case
//! needs the same seed).
//!
//! When ../shared is absent the tests say they skipped, unless ROOTGRAD_REQUIRE_SHARED=1.

use std::collections::HashSet;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rootgrad::root::chain::list_trees;
use rootgrad::root::read::read_column;
use rootgrad::root::{RootFile, Tree};

/// Small files from different writers (ROOT 5.23 to 6.x, uproot) and codecs. The
/// uncompressed ones let mutations reach the TTree, TBranch and basket parsers directly;
/// in compressed files most mutations past the key header end at a checksum.
const FILES: &[&str] = &[
    "uproot-HZZ-zlib.root",
    "uproot-HZZ-lz4.root",
    "uproot-HZZ-lzma.root",
    "uproot-HZZ-zstd.root",
    "uproot-from-geant4.root",
    "uproot-sample-5.23.02-zlib.root",
    "uproot-sample-6.16.00-uncompressed.root",
    "uproot-sample-6.20.04-uncompressed.root",
    "uproot-HZZ-uncompressed.root",
    "uproot-nesteddirs.root",
    "uproot-leaflist.root",
    "uproot-double32-float16.root",
    "uproot-small-dy-withoffsets.root",
    "uproot-small-flat-tree.root",
    "uproot-stl_containers.root",
    "uproot-mc10events.root",
];

/// Cases per file (override with ROOTGRAD_MUTATION_CASES_PER_FILE).
const CASES_PER_FILE: usize = 500;
/// The campaign's seed; case `i` of file `f` uses `splitmix64(seed ^ f << 32 ^ i)`.
/// ROOTGRAD_MUTATION_SEED (decimal or 0x-hex) explores elsewhere.
const BASE_SEED: u64 = 0x726f_6f74_6772_6164; // "rootgrad"
/// A case still running after this long is a hang.
const CASE_TIMEOUT: Duration = Duration::from_secs(10);
/// Cases slower than this are listed in the report (a hint of a huge allocation).
const SLOW: Duration = Duration::from_secs(1);

fn shared_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rootfiles");
    if d.is_dir() {
        return Some(d);
    }
    if std::env::var("ROOTGRAD_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("ROOTGRAD_REQUIRE_SHARED=1 but {} is absent", d.display());
    }
    eprintln!("SKIPPED: {} not found", d.display());
    None
}

// ---------------------------------------------------------------------------------------
// Random numbers and mutations

mod layout;
use layout::*;

/// What the reader made of one mutated file.
#[derive(Debug, Default)]
struct Exercised {
    /// The furthest step reached: 0 open, 1 list trees, 2 open a tree, 3 read branches.
    stage: usize,
    trees: usize,
    /// Branches read without error.
    reads_ok: usize,
    /// Every error message, from any step.
    errors: Vec<String>,
}

/// Opens the file, lists and opens its trees, and reads every readable branch.
fn exercise(path: &Path) -> Exercised {
    let mut x = Exercised::default();
    let file = match RootFile::open(path) {
        Ok(f) => Arc::new(f),
        Err(e) => {
            x.errors.push(e.to_string());
            return x;
        }
    };
    x.stage = 1;
    let trees = match list_trees(&file) {
        Ok(t) => t,
        Err(e) => {
            x.errors.push(e.to_string());
            return x;
        }
    };
    for t in trees {
        x.stage = x.stage.max(2);
        let tree = match Tree::open(file.clone(), &t) {
            Ok(t) => t,
            Err(e) => {
                x.errors.push(e.to_string());
                continue;
            }
        };
        x.trees += 1;
        x.stage = 3;
        let mut seen = HashSet::new();
        for b in &tree.branches {
            if b.interpretation.is_err() || !seen.insert(b.name.clone()) {
                continue;
            }
            match read_column::<f64>(&tree, &b.name, 0..u64::MAX) {
                Ok(_) => x.reads_ok += 1,
                Err(e) => x.errors.push(e.to_string()),
            }
        }
    }
    x
}

/// One case: which file, which mutation.
#[derive(Debug, Clone)]
struct Case {
    file: &'static str,
    index: usize,
    seed: u64,
    mutation: String,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}#{} (seed {:#018x}): {}",
            self.file, self.index, self.seed, self.mutation
        )
    }
}

#[derive(Debug)]
enum Outcome {
    Done {
        x: Exercised,
        took: Duration,
        path: PathBuf,
    },
    Panic(Seen),
    Hang,
}

/// A panic: its message, where, and the frames of rootgrad's code that led there.
#[derive(Debug, Clone, Default)]
struct Seen {
    msg: String,
    location: String,
    backtrace: String,
}

/// Panics recorded by the hook while the campaign runs (from case threads and from the
/// rayon workers the reader uses).
static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".into()
    }
}

/// The frames of a backtrace that are in rootgrad's own code, one per line.
fn rootgrad_frames(bt: &str) -> String {
    let lines: Vec<&str> = bt.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.contains("rootgrad::") && !l.contains("validation::mutation") {
            let at = lines
                .get(i + 1)
                .map(|s| s.trim())
                .filter(|s| s.starts_with("at "));
            out.push(format!("      {} {}", l.trim(), at.unwrap_or("")));
        }
    }
    out.join("\n")
}

/// Writes the case's bytes to a temporary file, runs [`exercise`] on a thread under
/// `catch_unwind`, and waits at most [`CASE_TIMEOUT`].
fn run_case(bytes: &[u8], case: &Case) -> Outcome {
    let path = std::env::temp_dir().join(format!(
        "rootgrad-mutation-{}-{}-{}.root",
        std::process::id(),
        case.file.trim_end_matches(".root"),
        case.index
    ));
    {
        let mut f = std::fs::File::create(&path).expect("create temp file");
        f.write_all(bytes).expect("write temp file");
    }
    let (tx, rx) = mpsc::channel();
    let p = path.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("mutcase-{}", case.index))
        .stack_size(8 << 20)
        .spawn(move || {
            let t0 = Instant::now();
            let r = catch_unwind(AssertUnwindSafe(|| exercise(&p)));
            let _ = tx.send((r.map_err(|e| payload_text(&*e)), t0.elapsed()));
        })
        .expect("spawn case thread");
    let out = match rx.recv_timeout(CASE_TIMEOUT) {
        Ok((Ok(x), took)) => {
            let _ = spawned.join();
            Outcome::Done {
                x,
                took,
                path: path.clone(),
            }
        }
        Ok((Err(msg), _)) => {
            let _ = spawned.join();
            // The hook saw it first, on this thread or on a rayon worker.
            let seen = SEEN
                .lock()
                .ok()
                .and_then(|v| v.iter().rev().find(|s| s.msg == msg).cloned());
            Outcome::Panic(seen.unwrap_or(Seen {
                msg,
                ..Seen::default()
            }))
        }
        // The thread is left running; it holds nothing but its own file handle.
        Err(_) => Outcome::Hang,
    };
    let _ = std::fs::remove_file(&path);
    out
}

// ---------------------------------------------------------------------------------------
// The campaign

#[derive(Debug, Default)]
struct Report {
    cases: usize,
    /// Cases where every step succeeded.
    clean: usize,
    /// Cases with at least one `Err`.
    with_errors: usize,
    error_messages: usize,
    reads_ok: usize,
    /// Cases by the furthest step reached (open, list trees, open a tree, read).
    stages: [usize; 4],
    failures: Vec<(Case, Outcome)>,
    slow: Vec<(Case, Duration)>,
    /// Error messages that span lines or do not name the file.
    bad_messages: Vec<(Case, String)>,
    took: Duration,
    /// Slowest case.
    max_case: Duration,
}

fn base_seed() -> u64 {
    match std::env::var("ROOTGRAD_MUTATION_SEED") {
        Ok(s) => match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16),
            None => s.parse(),
        }
        .expect("ROOTGRAD_MUTATION_SEED is a number"),
        Err(_) => BASE_SEED,
    }
}

fn cases_per_file() -> usize {
    std::env::var("ROOTGRAD_MUTATION_CASES_PER_FILE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES_PER_FILE)
}

/// Runs every case (or the one named by ROOTGRAD_MUTATION_CASE) on all cores.
fn campaign(dir: &Path) -> Report {
    let only = std::env::var("ROOTGRAD_MUTATION_CASE").ok();
    let per_file = cases_per_file();
    let base_seed = base_seed();
    let mut cases: Vec<(usize, usize)> = Vec::new();
    let mut bases: Vec<Base> = Vec::new();
    for (fi, name) in FILES.iter().enumerate() {
        bases.push(base(&dir.join(name)));
        for ci in 0..per_file {
            if only.as_deref().is_none_or(|o| o == format!("{name}#{ci}")) {
                cases.push((fi, ci));
            }
        }
    }
    assert!(
        !cases.is_empty(),
        "no case matches ROOTGRAD_MUTATION_CASE={only:?}"
    );

    // Panics are recorded, not printed (one case's panic is not the test's panic); a
    // single case named in the environment keeps the usual output.
    let quiet = only.is_none();
    let prev = Arc::new(std::panic::take_hook());
    {
        let prev = prev.clone();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().map(str::to_string);
            let ours = name.as_deref().is_none_or(|n| n.starts_with("mutcase-"));
            if !ours || !quiet {
                prev(info);
            }
            if ours {
                let bt = std::backtrace::Backtrace::force_capture().to_string();
                let seen = Seen {
                    msg: payload_text(info.payload()),
                    location: info.location().map(|l| l.to_string()).unwrap_or_default(),
                    backtrace: rootgrad_frames(&bt),
                };
                if let Ok(mut v) = SEEN.lock() {
                    v.push(seen);
                }
            }
        }));
    }

    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let report = Mutex::new(Report::default());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(fi, ci)) = cases.get(i) else { break };
                let seed = splitmix64(base_seed ^ ((fi as u64) << 32) ^ ci as u64);
                let mut rng = XorShift::new(seed);
                let (bytes, mutation) = mutate(&bases[fi], &mut rng);
                let case = Case {
                    file: FILES[fi],
                    index: ci,
                    seed,
                    mutation,
                };
                if std::env::var_os("ROOTGRAD_MUTATION_VERBOSE").is_some() {
                    eprintln!("case {case}");
                }
                let out = run_case(&bytes, &case);
                let mut r = report.lock().unwrap();
                r.cases += 1;
                match out {
                    Outcome::Done { x, took, path } => {
                        r.reads_ok += x.reads_ok;
                        r.stages[x.stage] += 1;
                        r.error_messages += x.errors.len();
                        if x.errors.is_empty() {
                            r.clean += 1;
                        } else {
                            r.with_errors += 1;
                        }
                        let fname = path.file_name().unwrap().to_string_lossy().into_owned();
                        for e in x.errors {
                            if e.contains('\n') || !e.contains(&fname) {
                                r.bad_messages.push((case.clone(), e));
                            }
                        }
                        r.max_case = r.max_case.max(took);
                        if took > SLOW {
                            r.slow.push((case, took));
                        }
                    }
                    other => r.failures.push((case, other)),
                }
            });
        }
    });
    let mut report = report.into_inner().unwrap();
    report.took = t0.elapsed();

    let _ = std::panic::take_hook();
    if let Ok(prev) = Arc::try_unwrap(prev) {
        std::panic::set_hook(prev);
    }
    let key = |c: &Case| (c.file, c.index);
    report.failures.sort_by_key(|(c, _)| key(c));
    report.slow.sort_by_key(|(c, _)| key(c));
    report.bad_messages.sort_by_key(|(c, _)| key(c));
    eprintln!(
        "mutation: {} cases ({} files, seed {base_seed:#x}) in {:.1} s on {workers} threads: {} read cleanly, {} gave errors \
         ({} error messages, {} branches read; furthest step reached: open {}, list {}, open tree {}, read {}), {} panics or hangs, slowest case {:.2} s, {} over {:?}",
        report.cases,
        FILES.len(),
        report.took.as_secs_f64(),
        report.clean,
        report.with_errors,
        report.error_messages,
        report.reads_ok,
        report.stages[0],
        report.stages[1],
        report.stages[2],
        report.stages[3],
        report.failures.len(),
        report.max_case.as_secs_f64(),
        report.slow.len(),
        SLOW,
    );
    for (c, t) in &report.slow {
        eprintln!("SLOW {:.2} s: {c}", t.as_secs_f64());
    }
    report
}

/// The campaign, run once for both tests that look at it.
fn shared_report() -> Option<&'static Report> {
    static REPORT: OnceLock<Option<Report>> = OnceLock::new();
    REPORT
        .get_or_init(|| shared_dir().map(|d| campaign(&d)))
        .as_ref()
}

#[test]
fn mutated_files_never_panic_or_hang() {
    let Some(r) = shared_report() else { return };
    // One bug usually panics in many cases: list the distinct places first, each with
    // its first case and how many cases hit it, then the first 20 cases.
    let place = |o: &Outcome| match o {
        Outcome::Panic(p) => format!("PANIC at {}: {}", p.location, p.msg),
        _ => format!("HANG (> {CASE_TIMEOUT:?})"),
    };
    let mut places: Vec<(String, usize, &Case, &Outcome)> = Vec::new();
    for (c, o) in &r.failures {
        let p = place(o);
        match places.iter_mut().find(|x| x.0 == p) {
            Some(x) => x.1 += 1,
            None => places.push((p, 1, c, o)),
        }
    }
    let mut text = String::new();
    for (p, n, c, o) in &places {
        text += &format!("{p}\n    {n} cases, first {c}\n");
        if let Outcome::Panic(Seen { backtrace, .. }) = o {
            text += &format!("{backtrace}\n");
        }
    }
    text += "first 20 cases:\n";
    for (c, o) in r.failures.iter().take(20) {
        text += &format!("  {c}\n    {}\n", place(o));
    }
    assert!(
        r.failures.is_empty(),
        "{} of {} mutated files made the reader panic or hang, in {} places:\n{text}",
        r.failures.len(),
        r.cases,
        places.len()
    );
    assert!(
        r.cases >= 3000
            || std::env::var_os("ROOTGRAD_MUTATION_CASE").is_some()
            || cases_per_file() < CASES_PER_FILE
    );
}

#[test]
fn mutated_file_errors_are_one_line_and_name_the_file() {
    let Some(r) = shared_report() else { return };
    let mut text = String::new();
    for (c, e) in r.bad_messages.iter().take(20) {
        text += &format!("{c}\n    {e:?}\n");
    }
    assert!(
        r.bad_messages.is_empty(),
        "{} error messages span lines or do not name the file (first 20):\n{text}",
        r.bad_messages.len()
    );
}

/// Mutations the campaign once found panicking or giving a bad message, pinned so they
/// stay fixed: (file, what went wrong, byte edits as (offset, new bytes)).
/// Byte edits: (offset, new bytes).
type Edits = &'static [(usize, &'static [u8])];

const PINNED: &[(&str, &str, Edits)] = &[
    (
        "uproot-small-flat-tree.root",
        "fBEGIN = -1 overflowed `fBEGIN + fNbytesName` in RootFile::read_header",
        &[(8, &[0xff, 0xff, 0xff, 0xff])],
    ),
    (
        "uproot-mc10events.root",
        "a key list entry named `Event;` was listed as a tree, then refused as a bad cycle \
         by a message without the file name",
        &[(181435, b";")],
    ),
];

#[test]
fn pinned_mutations_give_errors_naming_the_file() {
    let Some(dir) = shared_dir() else { return };
    let mut bad = Vec::new();
    for (i, (file, what, edits)) in PINNED.iter().enumerate() {
        let mut bytes = std::fs::read(dir.join(file)).unwrap();
        for (at, new) in edits.iter() {
            bytes[*at..*at + new.len()].copy_from_slice(new);
        }
        let case = Case {
            file,
            index: 1_000_000 + i,
            seed: 0,
            mutation: what.to_string(),
        };
        match run_case(&bytes, &case) {
            Outcome::Done { x, path, .. } => {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                for e in x
                    .errors
                    .iter()
                    .filter(|e| e.contains('\n') || !e.contains(&name))
                {
                    bad.push(format!("{file}: {what}: message {e:?}"));
                }
            }
            Outcome::Panic(p) => {
                bad.push(format!("{file}: {what}: PANIC {} {}", p.msg, p.location))
            }
            Outcome::Hang => bad.push(format!("{file}: {what}: HANG")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn non_root_inputs_are_refused() {
    let Some(dir) = shared_dir() else { return };
    let real = std::fs::read(dir.join("uproot-HZZ-zlib.root")).unwrap();
    let mut rng = XorShift::new(BASE_SEED);
    let random: Vec<u8> = (0..100).map(|_| rng.next() as u8).collect();
    let png: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa";
    let inputs: [(&str, &[u8]); 5] = [
        ("empty", &[]),
        ("hello", b"hello"),
        ("random", &random),
        ("png", png),
        ("first-63-bytes", &real[..63]),
    ];
    let mut bad = Vec::new();
    for (name, bytes) in inputs {
        let path = std::env::temp_dir().join(format!(
            "rootgrad-nonroot-{}-{name}.root",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        let r = catch_unwind(|| RootFile::open(&path).map(|_| ()));
        let _ = std::fs::remove_file(&path);
        match r {
            Ok(Err(e)) => {
                let msg = e.to_string();
                if !(msg.contains("not a ROOT file") || msg.contains("truncated"))
                    || msg.contains('\n')
                {
                    bad.push(format!("{name}: unhelpful error {msg:?}"));
                }
            }
            Ok(Ok(())) => bad.push(format!("{name}: opened as a ROOT file")),
            Err(p) => bad.push(format!("{name}: panicked: {}", payload_text(&*p))),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
