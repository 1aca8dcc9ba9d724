//! A ROOT file written front to back: the header, the top directory's `TFile` record,
//! then keys (baskets and objects) appended one after the other, and at the end the
//! directory's key list, an (empty) `StreamerInfo` list and the free-segments record;
//! the header and the directory record are then rewritten with the final seeks.
//!
//! Keys whose seek is below [`BIG_FILE`] are written in ROOT's small form (32-bit
//! seeks, key version 4); keys past it in the large form (64-bit seeks, version 1004),
//! and the header and directory switch to the large form when the file ends past it,
//! as ROOT does (`TFile::kStartBigFile`). Files of any size up to 2^63 bytes.
//!
//! Objects are compressed in ROOT's block format ([`compress_blocks`]); a block that
//! does not shrink is stored as it is, as ROOT does.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use super::wbuf::WBuf;

/// Where the first key starts (`fBEGIN`).
const BEGIN: u64 = 100;
/// Past this offset ROOT switches to 64-bit seeks (`TFile::kStartBigFile`).
pub(super) const BIG_FILE: u64 = 2_000_000_000;
/// The ROOT version the header records (6.34/00): the streamed layouts we write
/// (TTree 20, TBranch 13, TLeaf 2) are those of ROOT 6.x.
const ROOT_VERSION: i32 = 63400;
/// Every key's date (`TDatime` 1995-01-01 00:00:00): a fixed date keeps the bytes of a
/// file a function of its contents and name.
const DATIME: u32 = (1 << 22) | (1 << 17);
/// The largest block ROOT's compressed format holds (3-byte lengths).
const MAX_BLOCK: usize = 0xFF_FFFF;

/// The codec and level of the compressed objects, as ROOT's compression setting
/// (`algorithm * 100 + level`); see docs/formats.md for the measurement behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored as they are (setting 0).
    None,
    /// zstd at this level (setting 500 + level).
    Zstd(i32),
    /// zlib (deflate) at this level (setting 100 + level), written with libdeflate.
    Zlib(i32),
}

impl Compression {
    /// ROOT's `fCompress` value for this setting.
    pub fn setting(self) -> i32 {
        match self {
            Compression::None => 0,
            Compression::Zstd(l) => 500 + l,
            Compression::Zlib(l) => 100 + l,
        }
    }
}

/// `data` in ROOT's compressed block format: blocks of at most 16 MiB, each with a
/// 9-byte header (`ZS\x01` or `ZL\x08`, compressed size and uncompressed size as 3-byte
/// little-endian numbers). `None` when compression would not make it smaller (ROOT then
/// stores the object as it is).
pub fn compress_blocks(data: &[u8], how: Compression) -> Option<Vec<u8>> {
    if data.is_empty() || how == Compression::None {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    for block in data.chunks(MAX_BLOCK) {
        let (magic, packed): (&[u8; 3], Vec<u8>) = match how {
            Compression::Zstd(level) => (b"ZS\x01", zstd::bulk::compress(block, level).ok()?),
            Compression::Zlib(level) => {
                let mut c =
                    libdeflater::Compressor::new(libdeflater::CompressionLvl::new(level).ok()?);
                let mut buf = vec![0u8; c.zlib_compress_bound(block.len())];
                let n = c.zlib_compress(block, &mut buf).ok()?;
                buf.truncate(n);
                (b"ZL\x08", buf)
            }
            Compression::None => return None,
        };
        if packed.len() > MAX_BLOCK {
            return None;
        }
        out.extend_from_slice(magic);
        out.extend_from_slice(&(packed.len() as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&(block.len() as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&packed);
    }
    (out.len() < data.len()).then_some(out)
}

/// Bytes of `s` as a `TString`.
fn tstring_len(s: &str) -> usize {
    s.len() + if s.len() < 255 { 1 } else { 5 }
}

/// A key header, as the directory's key list repeats it.
#[derive(Debug, Clone)]
pub(super) struct KeyHead {
    pub nbytes: u32,
    pub objlen: u32,
    pub keylen: u16,
    pub seek: u64,
    pub pdir: u64,
    pub class: &'static str,
    pub name: String,
    pub title: String,
}

impl KeyHead {
    fn big(&self) -> bool {
        self.seek >= BIG_FILE
    }

    /// The header's length for a key at `seek` with these strings.
    pub fn len_at(seek: u64, class: &str, name: &str, title: &str) -> usize {
        let strings = [class, name, title]
            .iter()
            .map(|s| tstring_len(s))
            .sum::<usize>();
        (if seek >= BIG_FILE { 34 } else { 26 }) + strings
    }

    fn write(&self, w: &mut WBuf) {
        w.u32(self.nbytes);
        w.i16(if self.big() { 1004 } else { 4 });
        w.u32(self.objlen);
        w.u32(DATIME);
        w.i16(self.keylen as i16);
        w.i16(1);
        if self.big() {
            w.i64(self.seek as i64);
            w.i64(self.pdir as i64);
        } else {
            w.i32(self.seek as i32);
            w.i32(self.pdir as i32);
        }
        w.string(self.class);
        w.string(&self.name);
        w.string(&self.title);
    }
}

/// A file being written.
pub(super) struct FileWriter {
    out: BufWriter<File>,
    /// Where the next key goes.
    pub pos: u64,
    /// The name the file records for itself.
    name: String,
    uuid: [u8; 16],
    compression: Compression,
    /// The top directory's keys (objects, not baskets).
    keys: Vec<KeyHead>,
}

impl FileWriter {
    /// Starts the file: room for the header and the `TFile` record, written at the end.
    pub fn create(
        file: File,
        name: &str,
        uuid: [u8; 16],
        compression: Compression,
    ) -> std::io::Result<FileWriter> {
        let mut w = FileWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            name: name.to_string(),
            uuid,
            compression,
            keys: Vec::new(),
        };
        let head = w.top_record(0, 0, 0);
        w.out.write_all(&vec![0u8; BEGIN as usize])?;
        w.out.write_all(&head)?;
        w.pos = BEGIN + head.len() as u64;
        Ok(w)
    }

    /// The key, name and directory record of the top directory (at [`BEGIN`]).
    fn top_record(&self, seek_keys: u64, nbytes_keys: u32, end: u64) -> Vec<u8> {
        let mut body = WBuf::new(0);
        body.string(&self.name);
        body.string("");
        let named = body.b.len();
        let big = end > BIG_FILE;
        body.i16(if big { 1005 } else { 5 });
        body.u32(DATIME);
        body.u32(DATIME);
        body.u32(nbytes_keys);
        debug_assert_eq!(
            self.nbytes_name(),
            KeyHead::len_at(BEGIN, "TFile", &self.name, "") + named
        );
        body.i32(self.nbytes_name() as i32);
        let keylen = KeyHead::len_at(BEGIN, "TFile", &self.name, "");
        if big {
            body.i64(BEGIN as i64);
            body.i64(0);
            body.i64(seek_keys as i64);
        } else {
            body.i32(BEGIN as i32);
            body.i32(0);
            body.i32(seek_keys as i32);
        }
        body.i16(1);
        body.b.extend_from_slice(&self.uuid);
        if !big {
            body.b.extend_from_slice(&[0u8; 12]);
        }
        let head = KeyHead {
            nbytes: (keylen + body.b.len()) as u32,
            objlen: body.b.len() as u32,
            keylen: keylen as u16,
            seek: BEGIN,
            pdir: 0,
            class: "TFile",
            name: self.name.clone(),
            title: String::new(),
        };
        let mut w = WBuf::new(0);
        head.write(&mut w);
        w.b.extend_from_slice(&body.b);
        w.b
    }

    /// `fNbytesName`: the top key's header and the file's name and title.
    fn nbytes_name(&self) -> usize {
        KeyHead::len_at(BEGIN, "TFile", &self.name, "") + tstring_len(&self.name) + tstring_len("")
    }

    /// The header length of a key written next with these strings.
    pub fn next_keylen(&self, class: &str, name: &str, title: &str) -> usize {
        KeyHead::len_at(self.pos, class, name, title)
    }

    /// Appends a key whose header is `extra` bytes longer than the standard one (the
    /// basket header) and whose object is `data`, compressed when it shrinks. Returns
    /// the key's header (for its seek and sizes).
    pub fn put(
        &mut self,
        class: &'static str,
        name: &str,
        title: &str,
        extra: &[u8],
        data: &[u8],
        packed: Option<Vec<u8>>,
    ) -> std::io::Result<KeyHead> {
        let keylen = self.next_keylen(class, name, title) + extra.len();
        let stored: &[u8] = packed.as_deref().unwrap_or(data);
        let head = KeyHead {
            nbytes: (keylen + stored.len()) as u32,
            objlen: data.len() as u32,
            keylen: keylen as u16,
            seek: self.pos,
            pdir: BEGIN,
            class,
            name: name.to_string(),
            title: title.to_string(),
        };
        let mut w = WBuf::new(0);
        head.write(&mut w);
        w.b.extend_from_slice(extra);
        self.out.write_all(&w.b)?;
        self.out.write_all(stored)?;
        self.pos += head.nbytes as u64;
        Ok(head)
    }

    /// Appends an object listed in the top directory; `body` is its record, given the
    /// key length (offsets inside the record count from the key's start).
    pub fn put_object(
        &mut self,
        class: &'static str,
        name: &str,
        title: &str,
        body: impl FnOnce(usize) -> Vec<u8>,
    ) -> std::io::Result<()> {
        self.put_listed(class, name, title, body, true)
    }

    /// Appends an object listed in the top directory, stored uncompressed whatever the
    /// file's compression (the RNTuple anchor, which ROOT stores so).
    pub fn put_object_stored(
        &mut self,
        class: &'static str,
        name: &str,
        title: &str,
        body: impl FnOnce(usize) -> Vec<u8>,
    ) -> std::io::Result<()> {
        self.put_listed(class, name, title, body, false)
    }

    /// Appends an object listed in the top directory, compressed with the file's
    /// setting or stored as it is.
    fn put_listed(
        &mut self,
        class: &'static str,
        name: &str,
        title: &str,
        body: impl FnOnce(usize) -> Vec<u8>,
        compress: bool,
    ) -> std::io::Result<()> {
        let keylen = self.next_keylen(class, name, title);
        let data = body(keylen);
        let packed = if compress {
            compress_blocks(&data, self.compression)
        } else {
            None
        };
        let head = self.put(class, name, title, &[], &data, packed)?;
        self.keys.push(head);
        Ok(())
    }

    /// The compression setting of this file.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Writes the key list, the streamer-info list and the free segments, then the
    /// header and the directory record; flushes and returns the file.
    pub fn finish(mut self) -> std::io::Result<File> {
        // the key list: a key of its own, then the number of keys and their headers
        let mut list = WBuf::new(0);
        list.i32(self.keys.len() as i32);
        for k in &self.keys {
            k.write(&mut list);
        }
        let name = self.name.clone();
        let keys = self.put("TFile", &name, "", &[], &list.b, None)?;
        // an empty TList of streamer infos: ROOT and uproot know the classes written
        let info = self.put_list()?;
        let free_at = self.pos;
        let big = free_at > BIG_FILE;
        let mut free = WBuf::new(0);
        free.i16(if big { 1001 } else { 1 });
        let keylen = KeyHead::len_at(free_at, "TFile", &name, "");
        let free_len = keylen + 2 + if big { 16 } else { 8 };
        let end = free_at + free_len as u64;
        if big {
            free.i64(end as i64);
            free.i64(i64::MAX / 2);
        } else {
            free.i32(end as i32);
            free.i32(BIG_FILE as i32);
        }
        let free_key = self.put("TFile", &name, "", &[], &free.b, None)?;
        debug_assert_eq!(self.pos, end);
        let big = end > BIG_FILE;
        let top = self.top_record(keys.seek, keys.nbytes, end);
        let mut h = WBuf::new(0);
        h.b.extend_from_slice(b"root");
        h.i32(ROOT_VERSION + if big { 1_000_000 } else { 0 });
        h.i32(BEGIN as i32);
        let nbytes_name = self.nbytes_name() as i32;
        if big {
            h.i64(end as i64);
            h.i64(free_key.seek as i64);
            h.u32(free_key.nbytes);
            h.i32(1);
            h.i32(nbytes_name);
            h.u8(8);
            h.i32(self.compression.setting());
            h.i64(info.seek as i64);
            h.u32(info.nbytes);
        } else {
            h.i32(end as i32);
            h.i32(free_key.seek as i32);
            h.u32(free_key.nbytes);
            h.i32(1);
            h.i32(nbytes_name);
            h.u8(4);
            h.i32(self.compression.setting());
            h.i32(info.seek as i32);
            h.u32(info.nbytes);
        }
        h.i16(1);
        h.b.extend_from_slice(&self.uuid);
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&h.b)?;
        file.seek(SeekFrom::Start(BEGIN))?;
        file.write_all(&top)?;
        Ok(file)
    }

    /// The `StreamerInfo` key: an empty `TList`.
    fn put_list(&mut self) -> std::io::Result<KeyHead> {
        let mut l = WBuf::new(0);
        let at = l.begin(5);
        l.tobject();
        l.string("");
        l.i32(0);
        l.end(at);
        self.put(
            "TList",
            "StreamerInfo",
            "Doubly linked list",
            &[],
            &l.b,
            None,
        )
    }
}
