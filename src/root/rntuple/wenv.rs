//! The metadata of an RNTuple, written: the little-endian writer with record and list
//! frames, locators and envelopes with their XXH3-64 checksums, and the header, footer
//! and page-list envelopes of a flat ntuple (the write side of [`super::envelope`] and
//! [`super::meta`], binary format 1.0).
//!
//! Only what a friend needs is written: top-level leaf fields, one physical column each
//! (representation 0, never deferred or suppressed), one cluster group, and no schema
//! extension, alias columns or extra type information (their lists are present and
//! empty, as ROOT writes them).

use xxhash_rust::xxh3::xxh3_64;

/// A little-endian record being written.
#[derive(Default)]
pub(super) struct Wr {
    pub b: Vec<u8>,
}

impl Wr {
    pub fn u16(&mut self, v: u16) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }

    /// A string: its byte length (32 bits), then its UTF-8 bytes.
    pub fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.b.extend_from_slice(s.as_bytes());
    }

    /// A record frame around what `body` writes: its size (positive, counting the
    /// size itself), then the payload.
    pub fn record(&mut self, body: impl FnOnce(&mut Wr)) {
        let at = self.b.len();
        self.i64(0);
        body(self);
        let size = (self.b.len() - at) as i64;
        self.b[at..at + 8].copy_from_slice(&size.to_le_bytes());
    }

    /// A list frame of `n` items that `body` writes: minus its size, the item count,
    /// then the items.
    pub fn list(&mut self, n: usize, body: impl FnOnce(&mut Wr)) {
        let at = self.b.len();
        self.i64(0);
        self.u32(n as u32);
        body(self);
        let size = -((self.b.len() - at) as i64);
        self.b[at..at + 8].copy_from_slice(&size.to_le_bytes());
    }

    /// A locator of a byte range in the file: the standard one (32-bit size, 64-bit
    /// offset) when the size fits, else the large one (type 1: 64-bit size and offset).
    pub fn locator(&mut self, at: Place) {
        if at.size < (1 << 31) {
            self.i32(at.size as i32);
            self.u64(at.offset);
        } else {
            // size of the locator itself (20 bytes), type 1, the sign bit set
            let head = 20u32 | (1 << 24) | (1 << 31);
            self.u32(head);
            self.u64(at.size);
            self.u64(at.offset);
        }
    }

    /// An envelope link: the uncompressed length, then the locator.
    pub fn link(&mut self, len: u64, at: Place) {
        self.u64(len);
        self.locator(at);
    }
}

/// Where something was written: its offset in the file and the bytes stored there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Place {
    pub offset: u64,
    pub size: u64,
}

/// An envelope of type `kind` (1 header, 2 footer, 3 page list) around `payload`: the
/// type and total length in one 64-bit word, the payload, and the XXH3-64 of both.
pub(super) fn envelope(kind: u16, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 16) as u64;
    let mut e = Vec::with_capacity(len as usize);
    e.extend_from_slice(&(kind as u64 | (len << 16)).to_le_bytes());
    e.extend_from_slice(payload);
    let sum = xxh3_64(&e);
    e.extend_from_slice(&sum.to_le_bytes());
    e
}

/// One field of a flat ntuple and its one column.
pub(super) struct FieldOut<'a> {
    pub name: &'a str,
    /// The normalised C++ type (`float`, `std::int32_t`, ...).
    pub type_name: &'static str,
    /// The column type (`ENTupleColumnType`) and its bits on storage.
    pub column: u16,
    pub bits: u16,
}

/// The header envelope's payload: no feature flags, the names, then the schema (every
/// field a top-level leaf with its own id as parent; column `i` belongs to field `i`).
pub(super) fn header(name: &str, writer: &str, fields: &[FieldOut]) -> Vec<u8> {
    let mut w = Wr::default();
    w.i64(0);
    w.string(name);
    w.string("");
    w.string(writer);
    w.list(fields.len(), |w| {
        for (i, f) in fields.iter().enumerate() {
            w.record(|w| {
                w.u32(0); // field version
                w.u32(0); // type version
                w.u32(i as u32); // parent: itself, a top-level field
                w.u16(0); // structural role: leaf
                w.u16(0); // flags: not repetitive, not projected, no type checksum
                w.string(f.name);
                w.string(f.type_name);
                w.string(""); // type alias
                w.string(""); // description
            });
        }
    });
    w.list(fields.len(), |w| {
        for (i, f) in fields.iter().enumerate() {
            w.record(|w| {
                w.u16(f.column);
                w.u16(f.bits);
                w.u32(i as u32); // field id
                w.u16(0); // flags: not deferred, no value range
                w.u16(0); // representation index
            });
        }
    });
    w.list(0, |_| {}); // alias columns
    w.list(0, |_| {}); // extra type information
    w.b
}

/// One page of a column in a cluster: its element count and where it is (an XXH3-64
/// checksum of the stored bytes follows it).
#[derive(Debug, Clone, Copy)]
pub(super) struct PageOut {
    pub elements: u32,
    pub at: Place,
}

/// One cluster: its entries and, per column, its pages.
pub(super) struct ClusterOut {
    pub first: u64,
    pub entries: u64,
    pub pages: Vec<Vec<PageOut>>,
}

/// The page-list envelope's payload for `clusters`: the header checksum, the cluster
/// summaries, then per cluster, per column, the pages (each with a checksum), the
/// column's first element in the cluster and its compression setting.
pub(super) fn page_list(header_sum: u64, clusters: &[ClusterOut], compression: u32) -> Vec<u8> {
    let mut w = Wr::default();
    w.u64(header_sum);
    w.list(clusters.len(), |w| {
        for c in clusters {
            w.record(|w| {
                w.u64(c.first);
                w.u64(c.entries); // flags (top byte) 0: not sharded
            });
        }
    });
    w.list(clusters.len(), |w| {
        for c in clusters {
            w.list(c.pages.len(), |w| {
                for pages in &c.pages {
                    w.list(pages.len(), |w| {
                        for p in pages {
                            // negative: a checksum follows the page
                            w.i32(-(p.elements as i32));
                            w.locator(p.at);
                        }
                        // every column has one element per entry
                        w.i64(c.first as i64);
                        w.u32(compression);
                    });
                }
            });
        }
    });
    w.b
}

/// The footer envelope's payload: no feature flags, the header checksum, an empty
/// schema extension, and the one cluster group (none for an ntuple without entries).
pub(super) fn footer(header_sum: u64, group: Option<(u64, u32, u64, Place)>) -> Vec<u8> {
    let mut w = Wr::default();
    w.i64(0);
    w.u64(header_sum);
    w.record(|w| {
        for _ in 0..4 {
            w.list(0, |_| {});
        }
    });
    let groups: Vec<_> = group.into_iter().collect();
    w.list(groups.len(), |w| {
        for &(entries, clusters, len, at) in &groups {
            w.record(|w| {
                w.u64(0); // first entry of the group
                w.u64(entries); // entry span
                w.u32(clusters);
                w.link(len, at);
            });
        }
    });
    w.b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_count_their_own_size() {
        let mut w = Wr::default();
        w.record(|w| w.u32(7));
        assert_eq!(&w.b[..8], &12i64.to_le_bytes());
        let mut w = Wr::default();
        w.list(2, |w| {
            w.u16(1);
            w.u16(2);
        });
        assert_eq!(&w.b[..8], &(-16i64).to_le_bytes());
        assert_eq!(&w.b[8..12], &2u32.to_le_bytes());
    }

    #[test]
    fn envelope_word_holds_type_and_total_length() {
        let e = envelope(3, &[1, 2, 3]);
        assert_eq!(e.len(), 19);
        assert_eq!(
            u64::from_le_bytes(e[..8].try_into().unwrap()),
            3 | (19 << 16)
        );
        let sum = u64::from_le_bytes(e[11..].try_into().unwrap());
        assert_eq!(sum, xxh3_64(&e[..11]));
    }
}
