//! A bounds-checked big-endian reader over a byte slice, ROOT's serialisation primitives
//! (strings, version headers with byte counts, object pointers) on top of it.
//!
//! Every read checks the length first and returns a [`Fault`] instead of panicking, so a
//! corrupt or truncated file can never crash the reader. Positions are offsets into the
//! slice; `origin` is the slice's position in ROOT's own buffer numbering (ROOT counts
//! object references from the start of the key, so `origin = -fKeylen` for an object read
//! from a key).

use super::{Fault, Res};

/// ROOT marks a 32-bit word as a byte count with this bit.
pub const BYTE_COUNT_MASK: u32 = 0x4000_0000;
/// Tag announcing a class name follows (TBufferFile::kNewClassTag).
pub const NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
/// Bit marking a tag as a reference to an already-read class (kClassMask).
pub const CLASS_MASK: u32 = 0x8000_0000;
/// Offset ROOT adds to buffer positions in its reference maps (kMapOffset).
pub const MAP_OFFSET: i64 = 2;

/// A class version header: the version and, when written with a byte count, where the
/// object ends.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub version: i16,
    /// Position just past the object, when the writer recorded a byte count.
    pub end: Option<usize>,
}

/// Big-endian reader over `data` with a current position.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    origin: i64,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`, whose first byte is at ROOT buffer position
    /// `-origin_shift` (pass the key length for objects read from a key, 0 otherwise).
    pub fn new(data: &'a [u8], key_len: usize) -> Cursor<'a> {
        Cursor {
            data,
            pos: 0,
            origin: key_len as i64,
        }
    }

    /// Current position in the slice.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Position in ROOT's buffer numbering (used for object references).
    pub fn displacement(&self) -> i64 {
        self.pos as i64 + self.origin
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The underlying slice.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Moves to an absolute position (must be within the slice).
    pub fn seek(&mut self, pos: usize) -> Res<()> {
        if pos > self.data.len() {
            return Err(Fault::new(format!(
                "position {pos} is past the end of a {}-byte record",
                self.data.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Res<()> {
        self.take(n).map(|_| ())
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        if n > self.remaining() {
            return Err(Fault::new(format!(
                "record ends early: needed {n} bytes at position {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Res<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u8(&mut self) -> Res<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub fn i8(&mut self) -> Res<i8> {
        Ok(self.u8()? as i8)
    }
    pub fn u16(&mut self) -> Res<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub fn i16(&mut self) -> Res<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> Res<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Res<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Res<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub fn f32(&mut self) -> Res<f32> {
        Ok(f32::from_be_bytes(self.array()?))
    }
    pub fn f64(&mut self) -> Res<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// A TString: one length byte, or 255 followed by a 32-bit length, then the bytes.
    pub fn tstring(&mut self) -> Res<String> {
        let mut n = self.u8()? as usize;
        if n == 255 {
            n = self.u32()? as usize;
        }
        let s = self.take(n)?;
        Ok(String::from_utf8_lossy(s).into_owned())
    }

    /// A NUL-terminated C string (class names after a new-class tag).
    pub fn cstring(&mut self) -> Res<String> {
        let rest = &self.data[self.pos..];
        let limit = rest.len().min(4096);
        match rest[..limit].iter().position(|&b| b == 0) {
            Some(n) => {
                let s = String::from_utf8_lossy(&rest[..n]).into_owned();
                self.pos += n + 1;
                Ok(s)
            }
            None => Err(Fault::new(format!(
                "unterminated class name at position {}",
                self.pos
            ))),
        }
    }

    /// A class version header: an optional 32-bit byte count (flagged with
    /// [`BYTE_COUNT_MASK`]) then a 16-bit version. The byte count is checked against
    /// the record's length.
    pub fn header(&mut self) -> Res<Header> {
        let start = self.pos;
        let first = self.u32()?;
        if first & BYTE_COUNT_MASK != 0 {
            let count = (first & !BYTE_COUNT_MASK) as usize;
            let end = start + 4 + count;
            if count < 2 || end > self.data.len() {
                return Err(Fault::new(format!(
                    "byte count {count} at position {start} runs past the end of the record ({} bytes)",
                    self.data.len()
                )));
            }
            let version = self.i16()?;
            Ok(Header {
                version,
                end: Some(end),
            })
        } else {
            self.pos = start;
            let version = self.i16()?;
            Ok(Header { version, end: None })
        }
    }

    /// Moves to the end of an object read with [`Cursor::header`]; without a byte
    /// count this is an error naming `what`, since the object's length is unknown.
    pub fn skip_to_end(&mut self, h: &Header, what: &str) -> Res<()> {
        match h.end {
            Some(end) if end >= self.pos => self.seek(end),
            Some(end) => Err(Fault::new(format!(
                "{what} (version {}) read past its byte count: at {}, should end at {end}",
                h.version, self.pos
            ))),
            None => Err(Fault::new(format!(
                "{what} (version {}) has no byte count, so it cannot be skipped",
                h.version
            ))),
        }
    }

    /// TObject's members: version, fUniqueID, fBits, and the process id when the
    /// object is referenced.
    pub fn tobject(&mut self) -> Res<()> {
        let h = self.header()?;
        if h.end.is_some() {
            // Written by a streamer with a byte count (rare): trust it.
            return self.skip_to_end(&h, "TObject");
        }
        let _unique_id = self.u32()?;
        let bits = self.u32()?;
        if bits & (1 << 4) != 0 {
            let _pidf = self.u16()?;
        }
        Ok(())
    }

    /// TNamed: TObject, then name and title. Returns (name, title).
    pub fn tnamed(&mut self) -> Res<(String, String)> {
        let h = self.header()?;
        self.tobject()?;
        let name = self.tstring()?;
        let title = self.tstring()?;
        if h.end.is_some() {
            self.skip_to_end(&h, "TNamed")?;
        }
        Ok((name, title))
    }

    /// Skips a whole object written with a byte count (a base class such as TAttLine).
    pub fn skip_object(&mut self, what: &str) -> Res<()> {
        let h = self.header()?;
        self.skip_to_end(&h, what)
    }

    /// An array written with a leading "is array" byte then `n` values, as ROOT writes
    /// pointer members such as TBranch::fBasketBytes.
    pub fn fast_array<T>(
        &mut self,
        n: usize,
        mut read: impl FnMut(&mut Self) -> Res<T>,
    ) -> Res<Vec<T>> {
        let flag = self.u8()?;
        if flag == 0 {
            return Ok(Vec::new());
        }
        self.counted(n, &mut read)
    }

    /// `n` values in a row, with the count checked against the bytes left before any
    /// allocation.
    pub fn counted<T>(
        &mut self,
        n: usize,
        mut read: impl FnMut(&mut Self) -> Res<T>,
    ) -> Res<Vec<T>> {
        if n > self.remaining() {
            return Err(Fault::new(format!(
                "array of {n} values at position {} is longer than the {} bytes left",
                self.pos,
                self.remaining()
            )));
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(read(self)?);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_refuses_overruns() {
        let bytes = [0x01, 0x02, 0x03, 0x04, 0xff];
        let mut c = Cursor::new(&bytes, 0);
        assert_eq!(c.u32().unwrap(), 0x0102_0304);
        assert!(c.u16().is_err());
        assert_eq!(c.u8().unwrap(), 0xff);
    }

    #[test]
    fn tstring_long_form() {
        let mut bytes = vec![255, 0, 0, 1, 0];
        bytes.extend(std::iter::repeat_n(b'a', 256));
        let mut c = Cursor::new(&bytes, 0);
        assert_eq!(c.tstring().unwrap().len(), 256);
    }

    #[test]
    fn byte_count_past_end_is_an_error() {
        let bytes = [0x40, 0x00, 0x10, 0x00, 0x00, 0x01];
        let mut c = Cursor::new(&bytes, 0);
        assert!(c.header().is_err());
    }

    #[test]
    fn counted_refuses_huge_counts_without_allocating() {
        let bytes = [0u8; 8];
        let mut c = Cursor::new(&bytes, 0);
        assert!(c.counted(usize::MAX / 2, |c| c.u8()).is_err());
    }
}
