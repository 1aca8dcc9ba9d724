//! A flat TTree written basket by basket: every branch one scalar leaf, every basket
//! the same entries for all branches (one cluster), compressed in parallel across the
//! branches, then the TTree record (TTree 20, TBranch 13, TLeaf 2 and `TLeafF`/`D`/`I`/
//! `L`/`O` 1, as ROOT 6 streams them) once the values are all written.

use rayon::prelude::*;

use super::wbuf::WBuf;
use super::wfile::{compress_blocks, FileWriter};
use super::write::{FriendData, FriendType, StreamColumn};

/// `fBasketSize` recorded for every branch (ROOT's default); readers do not use it.
const BASKET_SIZE: i32 = 32000;

/// One branch being written.
struct BranchOut {
    name: String,
    kind: FriendType,
    /// The current basket's values, big-endian.
    buf: Vec<u8>,
    /// Per basket written: bytes on disk, first entry, seek.
    bytes: Vec<i32>,
    first: Vec<i64>,
    seek: Vec<i64>,
    /// Uncompressed and on-disk bytes of the baskets, key headers included.
    tot: i64,
    zip: i64,
}

/// The tree being written.
pub(super) struct TreeOut {
    name: String,
    branches: Vec<BranchOut>,
    entries: u64,
    /// Entries per basket (the cluster size, `fAutoFlush`).
    per_basket: usize,
    /// Entries in the current (unwritten) baskets.
    in_basket: usize,
}

impl FriendType {
    /// The leaf class and the type letter of the branch title.
    fn leaf(self) -> (&'static str, char) {
        match self {
            FriendType::F32 => ("TLeafF", 'F'),
            FriendType::F64 => ("TLeafD", 'D'),
            FriendType::I32 => ("TLeafI", 'I'),
            FriendType::I64 => ("TLeafL", 'L'),
            FriendType::Bool => ("TLeafO", 'O'),
        }
    }
}

/// Appends `d[range]` big-endian to `out`.
fn append(out: &mut Vec<u8>, d: &FriendData, range: std::ops::Range<usize>) {
    match d {
        FriendData::F32(v) => v[range]
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        FriendData::F64(v) => v[range]
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        FriendData::I32(v) => v[range]
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        FriendData::I64(v) => v[range]
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        FriendData::Bool(v) => out.extend(v[range].iter().map(|&b| b as u8)),
    }
}

impl TreeOut {
    /// A tree of `columns` with `per_basket` entries per basket.
    pub fn new(name: &str, columns: &[StreamColumn], per_basket: usize) -> TreeOut {
        TreeOut {
            name: name.to_string(),
            branches: columns
                .iter()
                .map(|c| BranchOut {
                    name: c.name.clone(),
                    kind: c.kind,
                    buf: Vec::with_capacity(per_basket * c.kind.width() as usize),
                    bytes: Vec::new(),
                    first: Vec::new(),
                    seek: Vec::new(),
                    tot: 0,
                    zip: 0,
                })
                .collect(),
            entries: 0,
            per_basket: per_basket.max(1),
            in_basket: 0,
        }
    }

    /// Adds a chunk (one column per branch, equal lengths, types checked by the caller),
    /// writing every basket that fills.
    pub fn push(&mut self, chunk: &[FriendData], fw: &mut FileWriter) -> std::io::Result<()> {
        let n = chunk.first().map_or(0, |c| c.len());
        let mut at = 0;
        while at < n {
            let take = (n - at).min(self.per_basket - self.in_basket);
            for (b, d) in self.branches.iter_mut().zip(chunk) {
                append(&mut b.buf, d, at..at + take);
            }
            at += take;
            self.in_basket += take;
            if self.in_basket == self.per_basket {
                self.flush(fw)?;
            }
        }
        Ok(())
    }

    /// Writes the current baskets, compressed in parallel.
    fn flush(&mut self, fw: &mut FileWriter) -> std::io::Result<()> {
        if self.in_basket == 0 {
            return Ok(());
        }
        let how = fw.compression();
        let packed: Vec<Option<Vec<u8>>> = self
            .branches
            .par_iter()
            .map(|b| compress_blocks(&b.buf, how))
            .collect();
        let first = self.entries as i64;
        for (b, p) in self.branches.iter_mut().zip(packed) {
            let keylen = fw.next_keylen("TBasket", &b.name, &self.name) + 19;
            let mut extra = WBuf::new(0);
            extra.i16(3);
            extra.i32(BASKET_SIZE);
            extra.i32(b.kind.width() as i32);
            extra.i32(self.in_basket as i32);
            extra.i32((keylen + b.buf.len()) as i32);
            extra.u8(0);
            let head = fw.put("TBasket", &b.name, &self.name, &extra.b, &b.buf, p)?;
            b.bytes.push(head.nbytes as i32);
            b.first.push(first);
            b.seek.push(head.seek as i64);
            b.tot += (head.keylen as u32 + head.objlen) as i64;
            b.zip += head.nbytes as i64;
            b.buf.clear();
        }
        self.entries += self.in_basket as u64;
        self.in_basket = 0;
        Ok(())
    }

    /// Writes the last baskets and the TTree record; returns the entry count.
    pub fn finish(mut self, fw: &mut FileWriter) -> std::io::Result<u64> {
        self.flush(fw)?;
        let name = self.name.clone();
        let setting = fw.compression().setting();
        fw.put_object("TTree", &name, "", |keylen| self.record(keylen, setting))?;
        Ok(self.entries)
    }

    /// The TTree record, for a key header of `keylen` bytes.
    fn record(&self, keylen: usize, compress: i32) -> Vec<u8> {
        let mut w = WBuf::new(keylen);
        let at = w.begin(20);
        w.tnamed(&self.name, "");
        let line = w.begin(2);
        w.i16(602);
        w.i16(1);
        w.i16(1);
        w.end(line);
        let fill = w.begin(2);
        w.i16(0);
        w.i16(1001);
        w.end(fill);
        let marker = w.begin(2);
        w.i16(1);
        w.i16(1);
        w.f32(1.0);
        w.end(marker);
        let tot: i64 = self.branches.iter().map(|b| b.tot).sum();
        let zip: i64 = self.branches.iter().map(|b| b.zip).sum();
        w.i64(self.entries as i64); // fEntries
        w.i64(tot); // fTotBytes
        w.i64(zip); // fZipBytes
        w.i64(zip); // fSavedBytes
        w.i64(zip); // fFlushedBytes
        w.f64(1.0); // fWeight
        w.i32(0); // fTimerInterval
        w.i32(25); // fScanField
        w.i32(0); // fUpdate
        w.i32(1000); // fDefaultEntryOffsetLen
        w.i32(0); // fNClusterRange
        w.i64(1_000_000_000_000); // fMaxEntries
        w.i64(1_000_000_000_000); // fMaxEntryLoop
        w.i64(0); // fMaxVirtualSize
        w.i64(-300_000_000); // fAutoSave
        w.i64(self.per_basket as i64); // fAutoFlush: entries per cluster
        w.i64(1_000_000); // fEstimate
        w.u8(0); // fClusterRangeEnd: no array
        w.u8(0); // fClusterSize: no array
        io_features(&mut w);
        let mut leaves = Vec::with_capacity(self.branches.len());
        objarray(&mut w, self.branches.len(), |w| {
            for b in &self.branches {
                w.object("TBranch", |w| leaves.push(self.branch(w, b, compress)));
            }
        });
        objarray(&mut w, leaves.len(), |w| {
            leaves.iter().for_each(|&t| w.reference(t))
        });
        w.null(); // fAliases
        w.i32(0); // fIndexValues (TArrayD)
        w.i32(0); // fIndex (TArrayI)
        w.null(); // fTreeIndex
        w.null(); // fFriends
        w.null(); // fUserInfo
        w.null(); // fBranchRef
        w.end(at);
        w.b
    }

    /// One TBranch record (after its class tag); returns its leaf's tag.
    fn branch(&self, w: &mut WBuf, b: &BranchOut, compress: i32) -> u32 {
        let (leaf_class, letter) = b.kind.leaf();
        let at = w.begin(13);
        w.tnamed(&b.name, &format!("{}/{letter}", b.name));
        let fill = w.begin(2);
        w.i16(0);
        w.i16(1001);
        w.end(fill);
        let n = b.bytes.len();
        let max = (n + 1).max(10);
        w.i32(compress); // fCompress
        w.i32(BASKET_SIZE); // fBasketSize
        w.i32(0); // fEntryOffsetLen: fixed-size values
        w.i32(n as i32); // fWriteBasket
        w.i64(self.entries as i64); // fEntryNumber
        io_features(w);
        w.i32(0); // fOffset
        w.i32(max as i32); // fMaxBaskets
        w.i32(0); // fSplitLevel
        w.i64(self.entries as i64); // fEntries
        w.i64(0); // fFirstEntry
        w.i64(b.tot);
        w.i64(b.zip);
        objarray(w, 0, |_| {}); // fBranches
        let mut tag = 0;
        objarray(w, 1, |w| {
            tag = w.object(leaf_class, |w| leaf(w, &b.name, b.kind));
        });
        objarray(w, 0, |_| {}); // fBaskets: all on disk
        w.u8(1);
        (0..max).for_each(|i| w.i32(b.bytes.get(i).copied().unwrap_or(0)));
        w.u8(1);
        (0..max).for_each(|i| {
            let v = match i.cmp(&n) {
                std::cmp::Ordering::Less => b.first[i],
                std::cmp::Ordering::Equal => self.entries as i64,
                std::cmp::Ordering::Greater => 0,
            };
            w.i64(v)
        });
        w.u8(1);
        (0..max).for_each(|i| w.i64(b.seek.get(i).copied().unwrap_or(0)));
        w.string(""); // fFileName
        w.end(at);
        tag
    }
}

/// `ROOT::TIOFeatures`: no features. ROOT streams this class (version 1, no
/// `ClassDef`) as version 0 followed by its checksum.
fn io_features(w: &mut WBuf) {
    let at = w.begin(0);
    w.u32(0x1aa1_2f10);
    w.u8(0);
    w.end(at);
}

/// A `TObjArray` (version 3) of `n` objects written by `items`.
fn objarray(w: &mut WBuf, n: usize, items: impl FnOnce(&mut WBuf)) {
    let at = w.begin(3);
    w.tobject();
    w.string("");
    w.i32(n as i32);
    w.i32(0);
    items(w);
    w.end(at);
}

/// A scalar leaf: `TLeafX` (version 1) around `TLeaf` (version 2), minimum and maximum 0.
fn leaf(w: &mut WBuf, name: &str, kind: FriendType) {
    let at = w.begin(1);
    let base = w.begin(2);
    w.tnamed(name, name);
    w.i32(1); // fLen
    w.i32(kind.width() as i32); // fLenType
    w.i32(0); // fOffset
    w.u8(0); // fIsRange
    w.u8(0); // fIsUnsigned
    w.null(); // fLeafCount
    w.end(base);
    match kind {
        FriendType::F32 => (0..2).for_each(|_| w.f32(0.0)),
        FriendType::F64 => (0..2).for_each(|_| w.f64(0.0)),
        FriendType::I32 => (0..2).for_each(|_| w.i32(0)),
        FriendType::I64 => (0..2).for_each(|_| w.i64(0)),
        FriendType::Bool => (0..2).for_each(|_| w.u8(0)),
    }
    w.end(at);
}
