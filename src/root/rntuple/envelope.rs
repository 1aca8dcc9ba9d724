//! The outer layers of an RNTuple: the anchor (the `ROOT::RNTuple` key object), the
//! little-endian reader with record and list frames, locators, and envelopes with their
//! XXH3-64 checksums.
//!
//! Every size read from the file is checked against what is left before it is used, so
//! a corrupt size is a [`Fault`], never a panic or a huge allocation. Frames are left by
//! the size they declare, so fields a newer writer appends to a frame are skipped.

use xxhash_rust::xxh3::xxh3_64;

use super::super::cursor::Cursor;
use super::super::file::{Key, RootFile};
use super::super::{compress, Fault, Res};

/// Where the header and footer are (the anchor of the ROOT file embedding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub version: [u16; 4],
    pub seek_header: u64,
    pub nbytes_header: u64,
    pub len_header: u64,
    pub seek_footer: u64,
    pub nbytes_footer: u64,
    pub len_footer: u64,
    pub max_key_size: u64,
}

/// Reads the anchor from its key: a class version header, eleven big-endian integers
/// and the XXH3-64 of their bytes.
pub fn read_anchor(file: &RootFile, key: &Key) -> Res<Anchor> {
    let data = file.read_object(key)?;
    let mut c = Cursor::new(&data, key.keylen as usize);
    let h = c.header()?;
    let start = c.pos();
    // The byte count covers the fields; the checksum follows it.
    let end = h.end.unwrap_or(data.len().saturating_sub(8));
    if end < start + 64 || end + 8 > data.len() {
        return Err(Fault::new(format!(
            "the anchor object is {} bytes, shorter than the 72 of format 1.0",
            data.len().saturating_sub(start)
        )));
    }
    let mut v = [0u16; 4];
    for x in &mut v {
        *x = c.u16()?;
    }
    let mut n = [0u64; 7];
    for x in &mut n {
        *x = c.u64()?;
    }
    // Fields a newer writer appends are inside the byte count, before the checksum.
    let fields = &data[start..end];
    let stored = u64::from_be_bytes(data[end..end + 8].try_into().unwrap_or([0; 8]));
    if xxh3_64(fields) != stored {
        return Err(Fault::new(
            "the anchor's checksum does not match its contents (corrupt file)",
        ));
    }
    if v[0] != 1 {
        return Err(Fault::new(format!(
            "RNTuple format version {}.{}.{}.{}: only epoch 1 (ROOT 6.34 and later) is read",
            v[0], v[1], v[2], v[3]
        )));
    }
    Ok(Anchor {
        version: v,
        seek_header: n[0],
        nbytes_header: n[1],
        len_header: n[2],
        seek_footer: n[3],
        nbytes_footer: n[4],
        len_footer: n[5],
        max_key_size: n[6],
    })
}

/// Longest envelope or page accepted (1 GiB uncompressed per envelope; larger sizes are
/// taken for corruption rather than allocated).
pub const MAX_ENVELOPE: u64 = 1 << 30;

/// A byte range in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Locator {
    pub offset: u64,
    pub size: u64,
}

/// Reads, decompresses and checks one envelope of type `kind` (1 header, 2 footer,
/// 3 page list); returns its payload (without the type/length word and checksum) and
/// the checksum (which footers and page lists repeat to tie themselves to the header).
pub fn read_envelope(file: &RootFile, at: Locator, len: u64, kind: u16) -> Res<(Vec<u8>, u64)> {
    let what = match kind {
        1 => "header",
        2 => "footer",
        _ => "page list",
    };
    if !(16..=MAX_ENVELOPE).contains(&len) || at.size > MAX_ENVELOPE {
        return Err(Fault::new(format!(
            "the {what} envelope claims {len} bytes ({} stored): impossible",
            at.size
        )));
    }
    let raw = file.read_at(at.offset, at.size as usize)?;
    let bytes = compress::decompress(&raw, len as usize)
        .map_err(|e| e.context(format!("{what} envelope")))?;
    let n = bytes.len();
    let stored = u64::from_le_bytes(bytes[n - 8..].try_into().unwrap_or([0; 8]));
    let sum = xxh3_64(&bytes[..n - 8]);
    if sum != stored {
        return Err(Fault::new(format!(
            "the {what} envelope's checksum does not match its contents (corrupt file)"
        )));
    }
    let word = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
    let (ty, length) = ((word & 0xffff) as u16, word >> 16);
    if ty != kind {
        return Err(Fault::new(format!(
            "expected a {what} envelope (type {kind}), found type {ty}"
        )));
    }
    if length != len {
        return Err(Fault::new(format!(
            "the {what} envelope says it is {length} bytes, its link says {len}"
        )));
    }
    Ok((bytes[8..n - 8].to_vec(), sum))
}

/// A bounds-checked little-endian reader over part of an envelope.
#[derive(Debug, Clone)]
pub struct Rd<'a> {
    b: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Rd<'a> {
    pub fn new(b: &'a [u8]) -> Rd<'a> {
        Rd {
            b,
            pos: 0,
            end: b.len(),
        }
    }

    /// Bytes left in this reader's range.
    pub fn left(&self) -> usize {
        self.end - self.pos
    }

    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        if n > self.left() {
            return Err(Fault::new(format!(
                "needs {n} bytes at envelope offset {} but its frame ends {} bytes later (corrupt sizes)",
                self.pos,
                self.left()
            )));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u16(&mut self) -> Res<u16> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().unwrap_or([0; 2]),
        ))
    }
    pub fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    pub fn i32(&mut self) -> Res<i32> {
        Ok(self.u32()? as i32)
    }
    pub fn u64(&mut self) -> Res<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    pub fn i64(&mut self) -> Res<i64> {
        Ok(self.u64()? as i64)
    }
    pub fn f64(&mut self) -> Res<f64> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A string: a 32-bit length and UTF-8 bytes.
    pub fn string(&mut self) -> Res<String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    /// Feature flags: 64-bit words while the previous one is negative. Any bit set is
    /// a format feature this reader does not know (none is defined in format 1.0).
    pub fn features(&mut self) -> Res<()> {
        let mut k = 0;
        loop {
            let w = self.i64()?;
            if w & i64::MAX != 0 {
                return Err(Fault::new(format!(
                    "the file uses RNTuple format features this reader does not know (feature word {k} = {w:#x}); read it with a newer rootgrad or ROOT"
                )));
            }
            if w >= 0 {
                return Ok(());
            }
            k += 1;
        }
    }

    /// Enters a frame: returns a reader bounded to its payload and, for a list frame,
    /// its item count; this reader moves past the frame by its declared size.
    pub fn frame(&mut self) -> Res<(Rd<'a>, Option<u32>)> {
        let start = self.pos;
        let size = self.i64()?;
        let list = size < 0;
        let len = size.unsigned_abs();
        let count = if list { Some(self.u32()?) } else { None };
        let pre = (self.pos - start) as u64;
        if len < pre || len > (self.end - start) as u64 {
            return Err(Fault::new(format!(
                "a frame at envelope offset {start} claims {len} bytes, but {} are left (corrupt sizes)",
                self.end - start
            )));
        }
        let end = start + len as usize;
        let inner = Rd {
            b: self.b,
            pos: self.pos,
            end,
        };
        self.pos = end;
        Ok((inner, count))
    }

    /// A record frame.
    pub fn record(&mut self) -> Res<Rd<'a>> {
        match self.frame()? {
            (r, None) => Ok(r),
            _ => Err(Fault::new("expected a record frame, found a list frame")),
        }
    }

    /// A list frame: the reader over its items and their number. The count is
    /// checked against the bytes the frame holds (each item needs at least `min_item`).
    pub fn list(&mut self, min_item: usize) -> Res<(Rd<'a>, usize)> {
        match self.frame()? {
            (r, Some(n)) => {
                if (n as usize).saturating_mul(min_item) > r.left() {
                    return Err(Fault::new(format!(
                        "a list frame claims {n} items but holds {} bytes (corrupt sizes)",
                        r.left()
                    )));
                }
                Ok((r, n as usize))
            }
            _ => Err(Fault::new("expected a list frame, found a record frame")),
        }
    }

    /// A locator: a signed 32-bit size then a 64-bit offset, or (negative size) a
    /// non-standard locator, of which the large one (64-bit size and offset) is read.
    pub fn locator(&mut self) -> Res<Locator> {
        let start = self.pos;
        let head = self.i32()?;
        if head >= 0 {
            let offset = self.u64()?;
            return Ok(Locator {
                offset,
                size: head as u64,
            });
        }
        let h = head as u32;
        let own = (h & 0xffff) as usize;
        let ty = (h >> 24) & 0x7f;
        if ty != 1 {
            return Err(Fault::new(format!(
                "a locator of type {ty} (not in a file) cannot be read"
            )));
        }
        let size = self.u64()?;
        let offset = self.u64()?;
        if own >= self.pos - start && own <= self.end - start {
            self.pos = start + own;
        }
        Ok(Locator { offset, size })
    }

    /// An envelope link: the uncompressed size, then a locator.
    pub fn link(&mut self) -> Res<(u64, Locator)> {
        let len = self.u64()?;
        Ok((len, self.locator()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_skip_unknown_trailing_bytes() {
        // A record frame of 20 bytes holding one u32 and 8 unknown bytes, then a u16.
        let mut b = Vec::new();
        b.extend_from_slice(&20i64.to_le_bytes());
        b.extend_from_slice(&7u32.to_le_bytes());
        b.extend_from_slice(&[0xaa; 8]);
        b.extend_from_slice(&9u16.to_le_bytes());
        let mut r = Rd::new(&b);
        let mut f = r.record().unwrap();
        assert_eq!(f.u32().unwrap(), 7);
        assert_eq!(r.u16().unwrap(), 9);
    }

    #[test]
    fn impossible_sizes_are_faults() {
        let mut b = Vec::new();
        b.extend_from_slice(&(-(1i64 << 40)).to_le_bytes());
        b.extend_from_slice(&3u32.to_le_bytes());
        assert!(Rd::new(&b).list(1).is_err());
        let mut b = Vec::new();
        b.extend_from_slice(&(-12i64).to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Rd::new(&b).list(1).is_err());
        assert!(Rd::new(&[1, 2]).u32().is_err());
    }
}
