//! The bytes of ROOT's streamed records, written: big-endian numbers, `TString`s, the
//! byte-count-and-version header of a versioned object, `TObject`/`TNamed`, and object
//! pointers with their class tags (the write side of [`super::cursor`]).

/// Set in a byte count to say it is one (`kByteCountMask`).
const BYTE_COUNT_MASK: u32 = 0x4000_0000;
/// A pointer to an object of a class not yet seen in this record (`kNewClassTag`).
const NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
/// Set in a pointer that refers to a class seen before (`kClassMask`).
const CLASS_MASK: u32 = 0x8000_0000;
/// Offsets in pointer maps are counted from here so none is 0 (`kMapOffset`).
const MAP_OFFSET: u32 = 2;
/// `fBits` as ROOT writes them for an object on the heap (`kNotDeleted | kIsOnHeap`).
pub(super) const OBJECT_BITS: u32 = 0x0300_0000;

/// A record being written. `origin` is the length of the key header in front of it:
/// ROOT counts the offsets of object and class tags from the start of the key.
pub(super) struct WBuf {
    pub b: Vec<u8>,
    origin: u32,
    classes: Vec<(&'static str, u32)>,
}

impl WBuf {
    /// An empty record that will sit behind a key header of `origin` bytes.
    pub fn new(origin: usize) -> WBuf {
        WBuf {
            b: Vec::new(),
            origin: origin as u32,
            classes: Vec::new(),
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.b.push(v);
    }
    pub fn i16(&mut self, v: i16) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }

    /// A `TString`: one length byte, or 255 and a 4-byte length, then the bytes.
    pub fn string(&mut self, s: &str) {
        let n = s.len();
        if n < 255 {
            self.u8(n as u8);
        } else {
            self.u8(255);
            self.i32(n as i32);
        }
        self.b.extend_from_slice(s.as_bytes());
    }

    /// Starts a versioned object: a byte count to fill in, then the version. Returns
    /// where the byte count is, for [`WBuf::end`].
    pub fn begin(&mut self, version: i16) -> usize {
        let at = self.b.len();
        self.u32(0);
        self.i16(version);
        at
    }

    /// Fills in the byte count of the object started at `at`.
    pub fn end(&mut self, at: usize) {
        let n = (self.b.len() - at - 4) as u32 | BYTE_COUNT_MASK;
        self.b[at..at + 4].copy_from_slice(&n.to_be_bytes());
    }

    /// `TObject` as streamed inside another object: version 1, unique id 0, `fBits`.
    pub fn tobject(&mut self) {
        self.i16(1);
        self.u32(0);
        self.u32(OBJECT_BITS);
    }

    /// `TNamed` (version 1).
    pub fn tnamed(&mut self, name: &str, title: &str) {
        let at = self.begin(1);
        self.tobject();
        self.string(name);
        self.string(title);
        self.end(at);
    }

    /// The offset ROOT maps for something written at `pos` of this record.
    fn tag(&self, pos: usize) -> u32 {
        pos as u32 + self.origin + MAP_OFFSET
    }

    /// A pointer to a new object of `class`, whose body `body` writes (starting with
    /// its own version header). Returns the object's tag, for [`WBuf::reference`].
    pub fn object(&mut self, class: &'static str, body: impl FnOnce(&mut WBuf)) -> u32 {
        let at = self.b.len();
        self.u32(0);
        match self.classes.iter().find(|(c, _)| *c == class) {
            Some(&(_, tag)) => self.u32(tag | CLASS_MASK),
            None => {
                let tag = self.tag(self.b.len());
                self.u32(NEW_CLASS_TAG);
                self.b.extend_from_slice(class.as_bytes());
                self.u8(0);
                self.classes.push((class, tag));
            }
        }
        body(self);
        self.end(at);
        self.tag(at)
    }

    /// A pointer to an object already written in this record.
    pub fn reference(&mut self, tag: u32) {
        self.u32(tag);
    }

    /// A null pointer.
    pub fn null(&mut self) {
        self.u32(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_long_and_short() {
        let mut w = WBuf::new(0);
        w.string("ab");
        assert_eq!(w.b, [2, b'a', b'b']);
        let long = "x".repeat(300);
        let mut w = WBuf::new(0);
        w.string(&long);
        assert_eq!(&w.b[..5], &[255, 0, 0, 1, 44]);
        assert_eq!(w.b.len(), 305);
    }

    #[test]
    fn class_tags_are_reused_and_offsets_count_the_key() {
        let mut w = WBuf::new(100);
        let first = w.object("TLeafF", |w| w.u8(7));
        let second = w.object("TLeafF", |w| w.u8(8));
        // first: byte count at 0, new-class tag at 4 -> map 100 + 0 + 2
        assert_eq!(first, 102);
        assert_eq!(&w.b[4..8], &NEW_CLASS_TAG.to_be_bytes());
        let second_at = (second - 102) as usize;
        let class_ref = u32::from_be_bytes(w.b[second_at + 4..second_at + 8].try_into().unwrap());
        assert_eq!(class_ref, (100 + 4 + 2) | CLASS_MASK);
        // byte count of the first object: tag 4 + "TLeafF\0" 7 + body 1
        assert_eq!(
            u32::from_be_bytes(w.b[0..4].try_into().unwrap()),
            12 | BYTE_COUNT_MASK
        );
    }
}
