//! Where the interesting bytes of a ROOT file are (header, directory records, keys,
//! TTree and basket headers, compression blocks) and the mutations aimed at them, for
//! the byte-mutation test in `mod.rs`.

use std::path::Path;
use std::sync::Arc;

use rootgrad::root::chain::list_trees;
use rootgrad::root::file::Key;
use rootgrad::root::{RootFile, Tree};

use super::{exercise, Exercised};

/// xorshift64 (Marsaglia 2003); never seeded with 0.
pub(super) struct XorShift(u64);

impl XorShift {
    pub(super) fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// Spreads consecutive case numbers over the seed space.
pub(super) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Byte ranges of a clean file worth aiming at.
#[derive(Debug, Clone, Default)]
pub(super) struct Regions {
    /// The top directory's key list (fSeekKeys, fNbytesKeys).
    pub(super) key_list: Option<(u64, u64)>,
    /// Streamer infos (fSeekInfo, fNbytesInfo).
    pub(super) streamers: Option<(u64, u64)>,
    /// Each tree's key: header and object (seek, nbytes).
    pub(super) trees: Vec<(u64, u64)>,
}

/// A clean file with one compressed object (a TTree or the streamer infos) stored
/// again, uncompressed, after the file's end, and the pointers to it moved there.
/// Mutations of its bytes reach the object parsers instead of stopping at a codec's
/// checksum.
#[derive(Debug, Clone)]
pub(super) struct Inlined {
    pub(super) what: String,
    pub(super) bytes: Vec<u8>,
    /// Where the uncompressed object starts, and its length.
    pub(super) at: u64,
    pub(super) len: u64,
}

/// One clean file and what to aim at in it.
pub(super) struct Base {
    pub(super) bytes: Vec<u8>,
    pub(super) regions: Regions,
    pub(super) inlined: Vec<Inlined>,
    pub(super) fields: Vec<Field>,
}

/// One integer field of a clean file: where, how wide, and what it is.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) at: u64,
    pub(super) width: u8,
    /// Little-endian (the sizes in a compression block header); ROOT is big-endian.
    pub(super) le: bool,
    pub(super) name: String,
    /// In which inlined variant (`None`: the file as written).
    pub(super) variant: Option<usize>,
}

// Record layouts as (field, width in bytes); width 0 is a file offset, 8 bytes in the
// 64-bit form of the record and 4 otherwise.
#[rustfmt::skip]
pub(super) const FILE_HEADER: &[(&str, usize)] = &[
    ("fVersion", 4), ("fBEGIN", 4), ("fEND", 0), ("fSeekFree", 0), ("fNbytesFree", 4),
    ("nfree", 4), ("fNbytesName", 4), ("fUnits", 1), ("fCompress", 4), ("fSeekInfo", 0),
    ("fNbytesInfo", 4),
];
#[rustfmt::skip]
pub(super) const DIRECTORY: &[(&str, usize)] = &[
    ("fVersion", 2), ("fDatimeC", 4), ("fDatimeM", 4), ("fNbytesKeys", 4), ("fNbytesName", 4),
    ("fSeekDir", 0), ("fSeekParent", 0), ("fSeekKeys", 0),
];
#[rustfmt::skip]
pub(super) const KEY: &[(&str, usize)] = &[
    ("fNbytes", 4), ("fVersion", 2), ("fObjlen", 4), ("fDatime", 4), ("fKeylen", 2),
    ("fCycle", 2), ("fSeekKey", 0), ("fSeekPdir", 0), ("class name length", 1),
];
/// The TBasket fields in the last 19 bytes of a basket's key header (a flag byte ends it).
#[rustfmt::skip]
pub(super) const BASKET: &[(&str, usize)] = &[
    ("fVersion", 2), ("fBufferSize", 4), ("fNevBufSize", 4), ("fNevBuf", 4), ("fLast", 4),
];

/// Where each field of a record at `at` is: (name, offset, width).
pub(super) fn layout(
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
pub(super) fn be(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(width)?)?;
    Some(b.iter().fold(0u64, |v, &x| v << 8 | x as u64))
}

/// The value of field `name` of a record laid out by [`layout`].
pub(super) fn get(bytes: &[u8], rec: &[(&str, usize, usize)], name: &str) -> Option<u64> {
    let &(_, at, w) = rec.iter().find(|f| f.0 == name)?;
    be(bytes, at, w)
}

/// The file header's fields this test needs (parsed here independently of the reader).
pub(super) struct Header {
    pub(super) big: bool,
    /// Offset of fSeekInfo in the header (fNbytesInfo follows it).
    pub(super) seek_info_at: usize,
    pub(super) seek_info: u64,
    pub(super) nbytes_info: u64,
    pub(super) seek_keys: u64,
    pub(super) nbytes_keys: u64,
}

/// A record's fields: (name, offset, width).
pub(super) type Fields = Vec<(&'static str, usize, usize)>;

/// The file header and the top directory record: big form or not, and their fields.
pub(super) fn records(bytes: &[u8]) -> Option<(bool, Fields, Fields)> {
    let big = be(bytes, 4, 4)? >= 1_000_000;
    let head = layout(4, FILE_HEADER, big);
    let dir_at = (get(bytes, &head, "fBEGIN")? + get(bytes, &head, "fNbytesName")?) as usize;
    let dir = layout(dir_at, DIRECTORY, be(bytes, dir_at, 2)? > 1000);
    Some((big, head, dir))
}

pub(super) fn header(bytes: &[u8]) -> Option<Header> {
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
pub(super) fn fields(bytes: &[u8], file: &RootFile, trees: &[Tree]) -> Vec<Field> {
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
pub(super) enum Pointer {
    /// The copy of the key's header in its directory's key list.
    KeyList,
    /// fSeekInfo and fNbytesInfo in the file header.
    Header { at: usize, big: bool },
}

/// Stores `key`'s object uncompressed after the end of `clean` (see [`Inlined`]).
/// `None` when the object is stored uncompressed already or its pointer is not found.
pub(super) fn inline_object(
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
pub(super) fn base(path: &Path) -> Base {
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
pub(super) fn object_fields(
    bytes: &[u8],
    inlined: &[Inlined],
    file: &RootFile,
    trees: &[Tree],
) -> Vec<Field> {
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
pub(super) fn mutate(base: &Base, rng: &mut XorShift) -> (Vec<u8>, String) {
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
pub(super) fn mutate_field(base: &Base, rng: &mut XorShift) -> (Vec<u8>, String) {
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
