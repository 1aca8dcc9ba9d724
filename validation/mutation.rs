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
use rootgrad::root::file::Key;
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

/// xorshift64 (Marsaglia 2003); never seeded with 0.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// Spreads consecutive case numbers over the seed space.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Byte ranges of a clean file worth aiming at.
#[derive(Debug, Clone, Default)]
struct Regions {
    /// The top directory's key list (fSeekKeys, fNbytesKeys).
    key_list: Option<(u64, u64)>,
    /// Streamer infos (fSeekInfo, fNbytesInfo).
    streamers: Option<(u64, u64)>,
    /// Each tree's key: header and object (seek, nbytes).
    trees: Vec<(u64, u64)>,
}

/// A clean file with one compressed object (a TTree or the streamer infos) stored
/// again, uncompressed, after the file's end, and the pointers to it moved there.
/// Mutations of its bytes reach the object parsers instead of stopping at a codec's
/// checksum.
#[derive(Debug, Clone)]
struct Inlined {
    what: String,
    bytes: Vec<u8>,
    /// Where the uncompressed object starts, and its length.
    at: u64,
    len: u64,
}

/// One clean file and what to aim at in it.
struct Base {
    bytes: Vec<u8>,
    regions: Regions,
    inlined: Vec<Inlined>,
    fields: Vec<Field>,
}

/// One integer field of a clean file: where, how wide, and what it is.
#[derive(Debug, Clone)]
struct Field {
    at: u64,
    width: u8,
    /// Little-endian (the sizes in a compression block header); ROOT is big-endian.
    le: bool,
    name: String,
    /// In which inlined variant (`None`: the file as written).
    variant: Option<usize>,
}

// Record layouts as (field, width in bytes); width 0 is a file offset, 8 bytes in the
// 64-bit form of the record and 4 otherwise.
#[rustfmt::skip]
const FILE_HEADER: &[(&str, usize)] = &[
    ("fVersion", 4), ("fBEGIN", 4), ("fEND", 0), ("fSeekFree", 0), ("fNbytesFree", 4),
    ("nfree", 4), ("fNbytesName", 4), ("fUnits", 1), ("fCompress", 4), ("fSeekInfo", 0),
    ("fNbytesInfo", 4),
];
#[rustfmt::skip]
const DIRECTORY: &[(&str, usize)] = &[
    ("fVersion", 2), ("fDatimeC", 4), ("fDatimeM", 4), ("fNbytesKeys", 4), ("fNbytesName", 4),
    ("fSeekDir", 0), ("fSeekParent", 0), ("fSeekKeys", 0),
];
#[rustfmt::skip]
const KEY: &[(&str, usize)] = &[
    ("fNbytes", 4), ("fVersion", 2), ("fObjlen", 4), ("fDatime", 4), ("fKeylen", 2),
    ("fCycle", 2), ("fSeekKey", 0), ("fSeekPdir", 0), ("class name length", 1),
];
/// The TBasket fields in the last 19 bytes of a basket's key header (a flag byte ends it).
#[rustfmt::skip]
const BASKET: &[(&str, usize)] = &[
    ("fVersion", 2), ("fBufferSize", 4), ("fNevBufSize", 4), ("fNevBuf", 4), ("fLast", 4),
];

/// Where each field of a record at `at` is: (name, offset, width).
fn layout(
    at: usize,
    table: &[(&'static str, usize)],
    big: bool,
) -> Vec<(&'static str, usize, usize)> {
    let mut a = at;
    let mut out = Vec::new();
    for &(name, w) in table {
        let w = match w {
            0 if big => 8,
            0 => 4,
            w => w,
        };
        out.push((name, a, w));
        a += w;
    }
    out
}

/// The big-endian unsigned integer of `width` bytes at `at`.
fn be(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(width)?)?;
    Some(b.iter().fold(0u64, |v, &x| v << 8 | x as u64))
}

/// The value of field `name` of a record laid out by [`layout`].
fn get(bytes: &[u8], rec: &[(&str, usize, usize)], name: &str) -> Option<u64> {
    let &(_, at, w) = rec.iter().find(|f| f.0 == name)?;
    be(bytes, at, w)
}

/// The file header's fields this test needs (parsed here independently of the reader).
struct Header {
    big: bool,
    /// Offset of fSeekInfo in the header (fNbytesInfo follows it).
    seek_info_at: usize,
    seek_info: u64,
    nbytes_info: u64,
    seek_keys: u64,
    nbytes_keys: u64,
}

/// The file header and the top directory record: big form or not, and their fields.
fn records(
    bytes: &[u8],
) -> Option<(
    bool,
    Vec<(&'static str, usize, usize)>,
    Vec<(&'static str, usize, usize)>,
)> {
    let big = be(bytes, 4, 4)? >= 1_000_000;
    let head = layout(4, FILE_HEADER, big);
    let dir_at = (get(bytes, &head, "fBEGIN")? + get(bytes, &head, "fNbytesName")?) as usize;
    let dir = layout(dir_at, DIRECTORY, be(bytes, dir_at, 2)? > 1000);
    Some((big, head, dir))
}

fn header(bytes: &[u8]) -> Option<Header> {
    let (big, head, dir) = records(bytes)?;
    Some(Header {
        big,
        seek_info_at: head.iter().find(|f| f.0 == "fSeekInfo")?.1,
        seek_info: get(bytes, &head, "fSeekInfo")?,
        nbytes_info: get(bytes, &head, "fNbytesInfo")?,
        seek_keys: get(bytes, &dir, "fSeekKeys")?,
        nbytes_keys: get(bytes, &dir, "fNbytesKeys")?,
    })
}

/// The integer fields the reader trusts: the file header, the top directory record,
/// every key header of the top key list, each tree's key (and its compression block
/// header), and the keys and TBasket headers of some baskets.
fn fields(bytes: &[u8], file: &RootFile, trees: &[Tree]) -> Vec<Field> {
    let mut all: Vec<(usize, usize, bool, String)> = Vec::new();
    let record = |all: &mut Vec<_>, at: usize, table, big, what: &str| {
        for (name, a, w) in layout(at, table, big) {
            all.push((a, w, false, format!("{what} {name}")));
        }
    };
    // A key header at `at`; returns its fKeylen.
    let key = |all: &mut Vec<_>, at: usize, what: &str| {
        record(all, at, KEY, be(bytes, at + 4, 2).unwrap_or(0) > 1000, what);
        be(bytes, at + 14, 2).unwrap_or(0) as usize
    };
    // A compression block header: "ZL", method, compressed and uncompressed sizes.
    let block = |all: &mut Vec<_>, a: usize, what: &str| {
        all.push((a, 2, false, format!("{what} compression tag")));
        all.push((a + 2, 1, false, format!("{what} compression method")));
        all.push((a + 3, 3, true, format!("{what} compressed size")));
        all.push((a + 6, 3, true, format!("{what} uncompressed size")));
    };
    if let Some((_, head, dir)) = records(bytes) {
        for (name, a, w) in head.into_iter().chain(dir.iter().copied()) {
            all.push((a, w, false, format!("header or top directory {name}")));
        }
        // The top key list: its own key, the count, then one key header per key.
        if let Some(mut a) = get(bytes, &dir, "fSeekKeys").map(|s| s as usize) {
            a += key(&mut all, a, "key list's own key");
            all.push((a, 4, false, "key list nkeys".into()));
            let n = be(bytes, a, 4).unwrap_or(0).min(200);
            a += 4;
            for i in 0..n {
                match key(&mut all, a, &format!("key list entry {i}")) {
                    0 => break,
                    kl => a += kl,
                }
            }
        }
    }
    // Each tree's key, its compression block header, and a few baskets.
    for t in trees {
        if let Ok(k) = file.key(&t.path) {
            let what = format!("TTree `{}`", t.path);
            let kl = key(&mut all, k.seek as usize, &format!("{what} key"));
            block(&mut all, k.seek as usize + kl, &what);
        }
        for b in t.branches.iter().filter(|b| !b.baskets.is_empty()).take(6) {
            for (i, loc) in b.baskets.iter().enumerate().take(2) {
                let what = format!("branch `{}` basket {i}", b.name);
                let a = loc.seek as usize;
                let kl = key(&mut all, a, &format!("{what} key"));
                record(&mut all, a + kl.saturating_sub(19), BASKET, false, &what);
                block(&mut all, a + kl, &what);
            }
        }
    }
    all.into_iter()
        .filter(|(a, w, _, _)| a + w <= bytes.len())
        .map(|(at, w, le, name)| Field {
            at: at as u64,
            width: w as u8,
            le,
            name,
            variant: None,
        })
        .collect()
}

/// Where a moved object's new place must be written.
enum Pointer {
    /// The copy of the key's header in its directory's key list.
    KeyList,
    /// fSeekInfo and fNbytesInfo in the file header.
    Header { at: usize, big: bool },
}

/// Stores `key`'s object uncompressed after the end of `clean` (see [`Inlined`]).
/// `None` when the object is stored uncompressed already or its pointer is not found.
fn inline_object(
    clean: &[u8],
    file: &RootFile,
    key: &Key,
    pointer: Pointer,
    what: &str,
) -> Option<Inlined> {
    let keylen = key.keylen as usize;
    if key.nbytes as usize - keylen == key.objlen as usize {
        return None;
    }
    let obj = file.read_object(key).ok()?;
    let seek = key.seek as usize;
    let old_header = clean.get(seek..seek + keylen)?;
    let new_seek = clean.len() as u64;
    let nbytes = (keylen + obj.len()) as u32;
    // A key header: fNbytes i32, fVersion i16, fObjlen i32, fDatime u32, fKeylen i16,
    // fCycle i16, then fSeekKey (u64 when fVersion > 1000, else u32).
    let patch = |h: &mut [u8]| {
        h[0..4].copy_from_slice(&nbytes.to_be_bytes());
        if i16::from_be_bytes([h[4], h[5]]) > 1000 {
            h[18..26].copy_from_slice(&new_seek.to_be_bytes());
        } else {
            h[18..22].copy_from_slice(&(new_seek as u32).to_be_bytes());
        }
    };
    let mut bytes = clean.to_vec();
    match pointer {
        Pointer::KeyList => {
            let copies: Vec<usize> = (0..clean.len() - keylen)
                .filter(|&i| i != seek && &clean[i..i + keylen] == old_header)
                .collect();
            if copies.is_empty() {
                return None;
            }
            for i in copies {
                patch(&mut bytes[i..i + keylen]);
            }
        }
        Pointer::Header { at, big } => {
            if big {
                bytes[at..at + 8].copy_from_slice(&new_seek.to_be_bytes());
                bytes[at + 8..at + 12].copy_from_slice(&nbytes.to_be_bytes());
            } else {
                bytes[at..at + 4].copy_from_slice(&(new_seek as u32).to_be_bytes());
                bytes[at + 4..at + 8].copy_from_slice(&nbytes.to_be_bytes());
            }
        }
    }
    let mut h = old_header.to_vec();
    patch(&mut h);
    bytes.extend_from_slice(&h);
    bytes.extend_from_slice(&obj);
    Some(Inlined {
        what: format!("{what} stored uncompressed at {}", new_seek + keylen as u64),
        bytes,
        at: new_seek + keylen as u64,
        len: obj.len() as u64,
    })
}

/// Reads a clean file's regions and builds its inlined variants, keeping only those
/// the reader reads exactly as it reads the clean file.
fn base(path: &Path) -> Base {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut regions = Regions::default();
    let head = header(&bytes);
    if let Some(h) = &head {
        regions.key_list = Some((h.seek_keys, h.nbytes_keys));
        regions.streamers = Some((h.seek_info, h.nbytes_info));
    }
    let file = Arc::new(RootFile::open(path).expect("a clean file opens"));
    let mut candidates = Vec::new();
    let mut trees = Vec::new();
    for t in list_trees(&file).expect("a clean file lists its trees") {
        trees.extend(Tree::open(file.clone(), &t).ok());
        let k = file.key(&t).expect("a listed tree has a key");
        regions.trees.push((k.seek, k.nbytes as u64));
        candidates.extend(inline_object(
            &bytes,
            &file,
            &k,
            Pointer::KeyList,
            &format!("TTree `{t}`"),
        ));
    }
    if let Some(h) = &head {
        if let Ok(k) = file.key_at(h.seek_info) {
            let p = Pointer::Header {
                at: h.seek_info_at,
                big: h.big,
            };
            candidates.extend(inline_object(&bytes, &file, &k, p, "streamer infos"));
        }
    }
    let summary = |x: &Exercised| (x.errors.clone(), x.reads_ok, x.trees);
    let want = summary(&exercise(path));
    let mut inlined = Vec::new();
    for c in candidates {
        let tmp = std::env::temp_dir().join(format!(
            "rootgrad-mutation-{}-inlined-{}",
            std::process::id(),
            path.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&tmp, &c.bytes).expect("write temp file");
        let mut got = summary(&exercise(&tmp));
        let _ = std::fs::remove_file(&tmp);
        // Error messages name the file; compare them without it.
        for e in &mut got.0 {
            *e = e.replace(&tmp.display().to_string(), &path.display().to_string());
        }
        if got == want {
            inlined.push(c);
        } else {
            eprintln!(
                "mutation: {}: not using {} (it reads differently: {:?} vs {:?})",
                path.display(),
                c.what,
                got,
                want
            );
        }
    }
    let mut fields = fields(&bytes, &file, &trees);
    fields.extend(object_fields(&bytes, &inlined, &file, &trees));
    if std::env::var_os("ROOTGRAD_MUTATION_VERBOSE").is_some() {
        let names: Vec<&str> = inlined.iter().map(|i| i.what.as_str()).collect();
        eprintln!("mutation: {}: inlined {names:?}", path.display());
        for f in &fields {
            eprintln!("mutation: {}: field {f:?}", path.display());
        }
    }
    Base {
        bytes,
        regions,
        inlined,
        fields,
    }
}

/// Fields inside each TTree object, where it can be mutated without a codec in the way
/// (stored uncompressed, or in an inlined variant): fEntries, fBasketSeek and
/// fBasketBytes, found by their values (a value that occurs more than four times is
/// skipped as ambiguous).
fn object_fields(bytes: &[u8], inlined: &[Inlined], file: &RootFile, trees: &[Tree]) -> Vec<Field> {
    let mut out = Vec::new();
    for t in trees {
        let Ok(k) = file.key(&t.path) else { continue };
        let mut objects: Vec<(Option<usize>, &[u8], usize)> = Vec::new();
        if k.nbytes as usize - k.keylen as usize == k.objlen as usize {
            let a = k.seek as usize + k.keylen as usize;
            objects.push((None, &bytes[a..a + k.objlen as usize], a));
        }
        let prefix = format!("TTree `{}` stored", t.path);
        for (i, v) in inlined
            .iter()
            .enumerate()
            .filter(|(_, v)| v.what.starts_with(&prefix))
        {
            objects.push((Some(i), &v.bytes[v.at as usize..], v.at as usize));
        }
        for (variant, obj, base_at) in objects {
            let mut look = |needle: Vec<u8>, name: String| {
                let hits: Vec<usize> = (0..obj.len().saturating_sub(needle.len()))
                    .filter(|&i| obj[i..i + needle.len()] == needle[..])
                    .collect();
                if hits.len() <= 4 {
                    for h in hits {
                        out.push(Field {
                            at: (base_at + h) as u64,
                            width: needle.len() as u8,
                            le: false,
                            name: format!("TTree `{}` {name}", t.path),
                            variant,
                        });
                    }
                }
            };
            look(t.entries.to_be_bytes().to_vec(), "fEntries".into());
            for b in t.branches.iter().filter(|b| !b.baskets.is_empty()).take(12) {
                for (i, loc) in b.baskets.iter().enumerate().take(3) {
                    look(
                        loc.seek.to_be_bytes().to_vec(),
                        format!("branch `{}` fBasketSeek[{i}]", b.name),
                    );
                    look(
                        loc.bytes.to_be_bytes().to_vec(),
                        format!("branch `{}` fBasketBytes[{i}]", b.name),
                    );
                }
            }
        }
    }
    out
}

/// Draws one mutation and applies it; returns the mutated bytes and a description that
/// names every changed byte range.
fn mutate(base: &Base, rng: &mut XorShift) -> (Vec<u8>, String) {
    if rng.below(100) < 20 && !base.fields.is_empty() {
        return mutate_field(base, rng);
    }
    let regions = &base.regions;
    let pick = rng.below(100);
    let (mut out, region, (lo, hi)) = if pick >= 75 && !base.inlined.is_empty() {
        let v = &base.inlined[rng.below(base.inlined.len() as u64) as usize];
        // Half the time aim at the object's first bytes: its class header, byte counts
        // and versions.
        let n = if rng.below(2) == 0 {
            v.len.min(256)
        } else {
            v.len
        };
        (v.bytes.clone(), v.what.clone(), (v.at, v.at + n.max(1)))
    } else {
        let clean = &base.bytes;
        let len = clean.len() as u64;
        let clamp = |(s, n): (u64, u64)| (s.min(len), s.saturating_add(n.max(1)).min(len));
        let (region, range) = match pick % 75 {
            0..=24 => ("anywhere", (0, len)),
            25..=39 => ("first 512 bytes", (0, len.min(512))),
            40..=51 => match regions.key_list {
                Some(k) => ("top key list", clamp(k)),
                None => ("anywhere", (0, len)),
            },
            52..=69 if !regions.trees.is_empty() => {
                let t = regions.trees[rng.below(regions.trees.len() as u64) as usize];
                // Half the time aim at the key header and the start of the object,
                // where the compression header and the TTree's first fields are.
                if rng.below(2) == 0 {
                    ("TTree key header", clamp((t.0, t.1.min(128))))
                } else {
                    ("TTree key object", clamp(t))
                }
            }
            _ => match regions.streamers {
                Some(s) => ("streamer infos", clamp(s)),
                None => ("anywhere", (0, len)),
            },
        };
        (clean.clone(), region.to_string(), range)
    };
    let len = out.len() as u64;
    let (lo, hi) = if hi > lo && hi <= len {
        (lo, hi)
    } else {
        (0, len)
    };
    let at = rng.range(lo, hi - 1);
    let what = match rng.below(100) {
        0..=29 => {
            let n = rng.range(1, 8);
            let mut bits = Vec::new();
            for _ in 0..n {
                // Bits near `at`: within 16 bytes, so a field gets several flips.
                let pos = (at + rng.below(16)).min(len - 1);
                let bit = rng.below(8);
                out[pos as usize] ^= 1 << bit;
                bits.push(format!("{pos}.{bit}"));
            }
            format!("flip bits (byte.bit) {}", bits.join(" "))
        }
        30..=79 => {
            let n = rng.range(1, 64).min(len - at);
            let kind = rng.below(3);
            for b in &mut out[at as usize..(at + n) as usize] {
                *b = match kind {
                    0 => 0,
                    1 => 0xff,
                    _ => rng.next() as u8,
                };
            }
            let name = ["zeros", "0xFF", "random bytes"][kind as usize];
            format!("overwrite {n} bytes at {at} with {name}")
        }
        _ => {
            out.truncate(at as usize);
            format!("truncate to {at} bytes")
        }
    };
    (out, format!("{what} ({region})"))
}

/// Sets one known integer field to an awkward value.
fn mutate_field(base: &Base, rng: &mut XorShift) -> (Vec<u8>, String) {
    let f = &base.fields[rng.below(base.fields.len() as u64) as usize];
    let (at, w) = (f.at as usize, f.width as usize);
    let (mut out, inlined) = match f.variant {
        Some(i) => (
            base.inlined[i].bytes.clone(),
            format!(" ({})", base.inlined[i].what),
        ),
        None => (base.bytes.clone(), String::new()),
    };
    let old = match f.le {
        true => out[at..at + w]
            .iter()
            .rev()
            .fold(0, |v, &x| v << 8 | x as u64),
        false => be(&out, at, w).unwrap_or(0),
    };
    let bits = 8 * w as u32;
    let mask = u64::MAX >> (64 - bits);
    let len = out.len() as u64;
    let v = match rng.below(12) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,        // -1
        3 => mask >> 1,       // the largest signed value
        4 => (mask >> 1) + 1, // the smallest signed value
        5 => len,
        6 => len + 1,
        7 => old.wrapping_add(1),
        8 => old.wrapping_sub(1),
        9 => old.wrapping_mul(2),
        10 => old.wrapping_add(1 << rng.below(bits as u64)),
        _ => rng.next(),
    } & mask;
    if f.le {
        out[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
    } else {
        out[at..at + w].copy_from_slice(&v.to_be_bytes()[8 - w..]);
    }
    (
        out,
        format!(
            "set {} at {at} ({w} bytes) from {old:#x} to {v:#x}{inlined}",
            f.name
        ),
    )
}

// ---------------------------------------------------------------------------------------
// Running one case

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
const PINNED: &[(&str, &str, &[(usize, &[u8])])] = &[
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
