//! An RNTuple friend written page by page: the same columns as the TTree friend of
//! [`crate::root::write`], as an RNTuple (binary format 1.0, which ROOT 6.34 and later
//! and uproot 5.7 read) in the file around it ([`crate::root::wfile`]).
//!
//! Every column is a top-level leaf field with the column type ROOT itself writes by
//! default for its type: `float` SplitReal32, `double` SplitReal64, `std::int32_t`
//! SplitInt32 and `std::int64_t` SplitInt64 (zigzag, then split), `bool` Bit. A page
//! holds [`PAGE_ENTRIES`] values (the last of a cluster fewer), is compressed in ROOT's
//! block format with the file's compression (zstd level 1, setting 501: see
//! docs/formats.md for the measurement) unless that does not shrink it, and is followed
//! by the XXH3-64 of its stored bytes. Each page is an `RBlob` key of its own, the
//! pages of one flush compressed in parallel across the columns. A cluster holds
//! [`CLUSTER_ENTRIES`] entries (the last fewer); all clusters form one cluster group.
//!
//! At the end the header, the page list and the footer are written as `RBlob` keys
//! (compressed like the pages) and the anchor as the key `ROOT::RNTuple` named after the
//! ntuple, stored uncompressed as ROOT stores it. Memory is one page per column and the page
//! locations, whatever the entry count.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::super::wbuf::WBuf;
use super::super::wfile::{compress_blocks, FileWriter};
use super::super::write::{FriendData, FriendType, StreamColumn};
use super::wenv::{self, ClusterOut, FieldOut, PageOut, Place};

/// Values per page: 256 KiB of floats, 512 KiB of doubles (below ROOT's 1 MiB limit of
/// an uncompressed page).
pub const PAGE_ENTRIES: usize = 1 << 16;
/// Entries per cluster: 16 pages of every column.
pub const CLUSTER_ENTRIES: u64 = 1 << 20;
/// The format version in the anchor: 1.0.0.0, what ROOT 6.34 (the first to read format
/// 1) writes; later 1.x readers read it.
const VERSION: [u16; 4] = [1, 0, 0, 0];
/// The largest key ROOT writes for one blob (the anchor's `fMaxKeySize`, 1 GiB, ROOT's
/// default); every blob here is far smaller.
const MAX_KEY_SIZE: u64 = 1 << 30;

impl FriendType {
    /// The field's C++ type as an RNTuple names it, its column type and bits.
    fn rntuple_column(self) -> (&'static str, u16, u16) {
        match self {
            FriendType::F32 => ("float", 0x18, 32),
            FriendType::F64 => ("double", 0x19, 64),
            FriendType::I32 => ("std::int32_t", 0x13, 32),
            FriendType::I64 => ("std::int64_t", 0x15, 64),
            FriendType::Bool => ("bool", 0x00, 1),
        }
    }
}

/// The bytes of a split page: byte 0 of every value (little-endian), then byte 1, ...
fn split<const W: usize>(values: impl ExactSizeIterator<Item = [u8; W]>) -> Vec<u8> {
    let n = values.len();
    let mut out = vec![0u8; n * W];
    for (i, v) in values.enumerate() {
        for (k, b) in v.into_iter().enumerate() {
            out[k * n + i] = b;
        }
    }
    out
}

/// One page of `d`, encoded as its column type stores it.
fn encode(d: &FriendData) -> Vec<u8> {
    match d {
        FriendData::F32(v) => split(v.iter().map(|x| x.to_le_bytes())),
        FriendData::F64(v) => split(v.iter().map(|x| x.to_le_bytes())),
        // zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
        FriendData::I32(v) => split(v.iter().map(|&x| ((x << 1) ^ (x >> 31)).to_le_bytes())),
        FriendData::I64(v) => split(v.iter().map(|&x| ((x << 1) ^ (x >> 63)).to_le_bytes())),
        // bit i of the page is value i, least significant bit first
        FriendData::Bool(v) => {
            let mut out = vec![0u8; v.len().div_ceil(8)];
            for (i, _) in v.iter().enumerate().filter(|(_, &b)| b) {
                out[i / 8] |= 1 << (i % 8);
            }
            out
        }
    }
}

/// An empty page buffer of `kind`.
fn empty(kind: FriendType, cap: usize) -> FriendData {
    match kind {
        FriendType::F32 => FriendData::F32(Vec::with_capacity(cap)),
        FriendType::F64 => FriendData::F64(Vec::with_capacity(cap)),
        FriendType::I32 => FriendData::I32(Vec::with_capacity(cap)),
        FriendType::I64 => FriendData::I64(Vec::with_capacity(cap)),
        FriendType::Bool => FriendData::Bool(Vec::with_capacity(cap)),
    }
}

/// Appends `from[range]` to `to` (of the same type, checked by the caller).
fn extend(to: &mut FriendData, from: &FriendData, r: std::ops::Range<usize>) {
    match (to, from) {
        (FriendData::F32(a), FriendData::F32(b)) => a.extend_from_slice(&b[r]),
        (FriendData::F64(a), FriendData::F64(b)) => a.extend_from_slice(&b[r]),
        (FriendData::I32(a), FriendData::I32(b)) => a.extend_from_slice(&b[r]),
        (FriendData::I64(a), FriendData::I64(b)) => a.extend_from_slice(&b[r]),
        (FriendData::Bool(a), FriendData::Bool(b)) => a.extend_from_slice(&b[r]),
        _ => {}
    }
}

/// The ntuple being written.
pub(in crate::root) struct NtupleOut {
    name: String,
    columns: Vec<StreamColumn>,
    per_page: usize,
    per_cluster: u64,
    /// The current page of every column.
    pending: Vec<FriendData>,
    in_page: usize,
    /// Finished clusters, then the current one (its pages so far).
    clusters: Vec<ClusterOut>,
    current: ClusterOut,
}

impl NtupleOut {
    /// An ntuple of `columns`, [`PAGE_ENTRIES`] per page and [`CLUSTER_ENTRIES`] per
    /// cluster.
    pub fn new(name: &str, columns: &[StreamColumn]) -> NtupleOut {
        NtupleOut::with_sizes(name, columns, PAGE_ENTRIES, CLUSTER_ENTRIES)
    }

    /// With other page and cluster sizes (tests make several clusters of a few
    /// entries). A cluster ends a page, so pages hold at most `per_page` entries.
    pub fn with_sizes(
        name: &str,
        columns: &[StreamColumn],
        per_page: usize,
        per_cluster: u64,
    ) -> NtupleOut {
        let per_page = per_page.max(1);
        NtupleOut {
            name: name.to_string(),
            columns: columns.to_vec(),
            per_page,
            per_cluster: per_cluster.max(1),
            pending: columns.iter().map(|c| empty(c.kind, per_page)).collect(),
            in_page: 0,
            clusters: Vec::new(),
            current: ClusterOut {
                first: 0,
                entries: 0,
                pages: vec![Vec::new(); columns.len()],
            },
        }
    }

    /// Adds a chunk (one equal-length column per field, checked by the caller),
    /// writing every page and closing every cluster it completes.
    pub fn push(&mut self, chunk: &[FriendData], fw: &mut FileWriter) -> std::io::Result<()> {
        let n = chunk.first().map_or(0, |c| c.len());
        let mut at = 0;
        while at < n {
            let cluster_left = (self.per_cluster - self.current.entries) as usize;
            let room = (self.per_page - self.in_page).min(cluster_left);
            let take = room.min(n - at);
            for (p, c) in self.pending.iter_mut().zip(chunk) {
                extend(p, c, at..at + take);
            }
            self.in_page += take;
            self.current.entries += take as u64;
            at += take;
            if self.in_page == self.per_page || self.current.entries == self.per_cluster {
                self.flush(fw)?;
            }
            if self.current.entries == self.per_cluster {
                self.close_cluster();
            }
        }
        Ok(())
    }

    /// Writes the current page of every column: encoded and compressed in parallel,
    /// then each as an `RBlob` key followed by its checksum.
    fn flush(&mut self, fw: &mut FileWriter) -> std::io::Result<()> {
        if self.in_page == 0 {
            return Ok(());
        }
        let how = fw.compression();
        let stored: Vec<Vec<u8>> = self
            .pending
            .par_iter()
            .map(|d| {
                let raw = encode(d);
                let mut page = compress_blocks(&raw, how).unwrap_or(raw);
                let sum = xxh3_64(&page);
                page.extend_from_slice(&sum.to_le_bytes());
                page
            })
            .collect();
        for (k, page) in stored.iter().enumerate() {
            let offset = fw.pos + fw.next_keylen("RBlob", "", "") as u64;
            fw.put("RBlob", "", "", &[], page, None)?;
            self.current.pages[k].push(PageOut {
                elements: self.in_page as u32,
                at: Place {
                    offset,
                    size: page.len() as u64 - 8,
                },
            });
        }
        for (p, c) in self.pending.iter_mut().zip(&self.columns) {
            *p = empty(c.kind, self.per_page);
        }
        self.in_page = 0;
        Ok(())
    }

    /// Ends the current cluster; the next starts after it.
    fn close_cluster(&mut self) {
        let first = self.current.first + self.current.entries;
        let next = ClusterOut {
            first,
            entries: 0,
            pages: vec![Vec::new(); self.columns.len()],
        };
        let done = std::mem::replace(&mut self.current, next);
        if done.entries > 0 {
            self.clusters.push(done);
        }
    }

    /// Writes the last pages, the header, page list and footer envelopes and the
    /// anchor; returns the entry count.
    pub fn finish(mut self, fw: &mut FileWriter) -> std::io::Result<u64> {
        self.flush(fw)?;
        self.close_cluster();
        let entries = self.current.first;
        let fields: Vec<FieldOut> = self
            .columns
            .iter()
            .map(|c| {
                let (type_name, column, bits) = c.kind.rntuple_column();
                FieldOut {
                    name: &c.name,
                    type_name,
                    column,
                    bits,
                }
            })
            .collect();
        let writer = format!("rootgrad {}", env!("CARGO_PKG_VERSION"));
        let header = wenv::envelope(1, &wenv::header(&self.name, &writer, &fields));
        let header_sum = tail_sum(&header);
        let (header_at, header_len) = put_envelope(fw, &header)?;
        let setting = fw.compression().setting() as u32;
        let group = if self.clusters.is_empty() {
            None
        } else {
            let list = wenv::envelope(3, &wenv::page_list(header_sum, &self.clusters, setting));
            let (at, len) = put_envelope(fw, &list)?;
            Some((entries, self.clusters.len() as u32, len, at))
        };
        let footer = wenv::envelope(2, &wenv::footer(header_sum, group));
        let (footer_at, footer_len) = put_envelope(fw, &footer)?;
        let anchor = [
            header_at.offset,
            header_at.size,
            header_len,
            footer_at.offset,
            footer_at.size,
            footer_len,
            MAX_KEY_SIZE,
        ];
        let name = self.name.clone();
        fw.put_object_stored("ROOT::RNTuple", &name, "", |_| anchor_record(&anchor))?;
        Ok(entries)
    }
}

/// The checksum an envelope ends with.
fn tail_sum(envelope: &[u8]) -> u64 {
    let n = envelope.len();
    u64::from_le_bytes(envelope[n - 8..].try_into().unwrap_or([0; 8]))
}

/// Writes an envelope as an `RBlob` (compressed when that shrinks it); returns where it
/// is and its uncompressed length.
fn put_envelope(fw: &mut FileWriter, envelope: &[u8]) -> std::io::Result<(Place, u64)> {
    let stored = compress_blocks(envelope, fw.compression()).unwrap_or_else(|| envelope.to_vec());
    let offset = fw.pos + fw.next_keylen("RBlob", "", "") as u64;
    fw.put("RBlob", "", "", &[], &stored, None)?;
    Ok((
        Place {
            offset,
            size: stored.len() as u64,
        },
        envelope.len() as u64,
    ))
}

/// The anchor object (`ROOT::RNTuple`, class version 2): a byte count and version, the
/// format version and the seven sizes and offsets, big-endian as ROOT streams them,
/// then the XXH3-64 of those 64 bytes.
fn anchor_record(n: &[u64; 7]) -> Vec<u8> {
    let mut w = WBuf::new(0);
    let at = w.begin(2);
    let fields = w.b.len();
    for v in VERSION {
        w.i16(v as i16);
    }
    for &v in n {
        w.i64(v as i64);
    }
    let sum = xxh3_64(&w.b[fields..]);
    w.end(at);
    w.i64(sum as i64);
    w.b
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
