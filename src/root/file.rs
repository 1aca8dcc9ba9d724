//! A ROOT file: its header, its directories and their keys, and reading the object a
//! key points to.
//!
//! The file is read with positioned reads (`pread`) on one open handle, so it is never
//! re-opened per basket and many threads can read baskets from it at once. Every seek
//! and length read from the file is checked against the file's size before use.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::compress;
use super::cursor::Cursor;
use super::{Fault, Res};
use crate::error::nearest_first;
use crate::{Error, Result};

/// The magic bytes every ROOT file starts with.
const MAGIC: &[u8; 4] = b"root";
/// Longest key header read when looking for one (class, name and title are short).
const KEY_PROBE: u64 = 4096;
/// Directories nest at most this deep (a loop in a corrupt file stops here).
const MAX_DEPTH: usize = 64;

/// One key of a directory: where an object is and what it is.
#[derive(Debug, Clone)]
pub struct Key {
    /// Bytes on disk, key header included (fNbytes).
    pub nbytes: u32,
    /// Uncompressed object length (fObjlen).
    pub objlen: u32,
    /// Length of the key header (fKeylen).
    pub keylen: u16,
    /// Cycle number (the `2` of `tree;2`).
    pub cycle: i16,
    /// Where the key header starts (fSeekKey).
    pub seek: u64,
    pub class: String,
    pub name: String,
    pub title: String,
}

impl Key {
    /// `name;cycle`.
    pub fn label(&self) -> String {
        format!("{};{}", self.name, self.cycle)
    }

    /// Whether this key holds a subdirectory.
    pub fn is_directory(&self) -> bool {
        self.class == "TDirectory" || self.class == "TDirectoryFile"
    }
}

/// An open ROOT file. Cheap to share between threads (`Arc<RootFile>`).
#[derive(Debug)]
pub struct RootFile {
    path: PathBuf,
    file: File,
    len: u64,
    /// fVersion from the header (e.g. 62208; +1000000 for files with 64-bit pointers).
    pub version: i32,
    /// The file-level compression setting (fCompress: algorithm * 100 + level).
    pub compress: i32,
    top: Vec<Key>,
    subdirs: OnceLock<std::sync::Mutex<HashMap<u64, Arc<Vec<Key>>>>>,
    streamers: OnceLock<Arc<super::objects::Streamers>>,
    seek_info: u64,
    nbytes_info: u32,
    uuid: Option<[u8; 16]>,
    /// The file was not closed (its top directory has no key list) and its keys were
    /// found by scanning the records from fBEGIN, as ROOT's TFile::Recover does.
    pub recovered: bool,
}

impl RootFile {
    /// Opens `path`, checks the header and reads the top directory's keys.
    pub fn open(path: &Path) -> Result<RootFile> {
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let len = file
            .metadata()
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        let mut f = RootFile {
            path: path.to_path_buf(),
            file,
            len,
            version: 0,
            compress: 0,
            top: Vec::new(),
            subdirs: OnceLock::new(),
            streamers: OnceLock::new(),
            seek_info: 0,
            nbytes_info: 0,
            uuid: None,
            recovered: false,
        };
        f.read_header().map_err(|e| e.at(path))?;
        Ok(f)
    }

    /// The path the file was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty (never true for an opened ROOT file).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// ROOT version that wrote the file, as `6.22/08`.
    pub fn root_version(&self) -> String {
        let v = self.version % 1_000_000;
        format!("{}.{:02}/{:02}", v / 10000, (v / 100) % 100, v % 100)
    }

    fn read_header(&mut self) -> Res<()> {
        if self.len < 64 {
            let head = self
                .read_at(0, self.len.min(4) as usize)
                .unwrap_or_default();
            if head.as_slice() != &MAGIC[..head.len().min(4)] || head.is_empty() {
                return Err(Fault::new(
                    "not a ROOT file (it does not start with `root`)",
                ));
            }
            return Err(Fault::new(format!(
                "truncated: only {} bytes, too short for a ROOT file header",
                self.len
            )));
        }
        let probe = self.read_at(0, self.len.min(512) as usize)?;
        let mut c = Cursor::new(&probe, 0);
        if c.take(4)? != MAGIC {
            return Err(Fault::new(
                "not a ROOT file (it does not start with `root`); check the path, or whether this is an RNTuple-only or HDF5 file",
            ));
        }
        let version = c.i32()?;
        let begin = c.i32()?;
        let big = version >= 1_000_000;
        let end = if big { c.u64()? } else { c.u32()? as u64 };
        let (_seek_free, _nbytes_free, _nfree) = if big {
            (c.u64()?, c.i32()?, c.i32()?)
        } else {
            (c.u32()? as u64, c.i32()?, c.i32()?)
        };
        let nbytes_name = c.i32()?;
        let _units = c.u8()?;
        let compress = c.i32()?;
        let (seek_info, nbytes_info) = if big {
            (c.u64()?, c.i32()?)
        } else {
            (c.u32()? as u64, c.i32()?)
        };
        self.version = version;
        self.compress = compress;
        self.seek_info = seek_info;
        self.nbytes_info = nbytes_info.max(0) as u32;
        if end > self.len {
            return Err(Fault::new(format!(
                "truncated: the header says the file is {end} bytes long but it has {}; the copy may be incomplete",
                self.len
            )));
        }
        if nbytes_name <= 0 || begin <= 0 {
            return Err(Fault::new(format!(
                "corrupt file header (fBEGIN {begin}, fNbytesName {nbytes_name})"
            )));
        }
        // The top directory's record follows the file's own key and name.
        let dir_at = begin as u64 + nbytes_name as u64;
        self.top = self.read_directory(dir_at)?;
        self.uuid = self.read_directory_uuid(dir_at);
        if self.top.is_empty() {
            self.recover(begin as u64)?;
        }
        Ok(())
    }

    /// For a file whose writer never closed it (the top directory has no key list):
    /// walks the records from fBEGIN to the end of the file, as ROOT's TFile::Recover
    /// does, each record a key header (or, with a negative length, a free gap), and keeps
    /// the keys of objects in the top directory; the streamer infos' key too, when the
    /// header does not point to one. Stops at the first record that is not a key.
    fn recover(&mut self, begin: u64) -> Res<()> {
        let mut pos = begin;
        let mut found = Vec::new();
        while pos + 4 <= self.len {
            let probe = self.read_at(pos, (self.len - pos).min(KEY_PROBE) as usize)?;
            let nbytes = i32::from_be_bytes(probe[..4].try_into().unwrap_or([0; 4]));
            if nbytes < 0 {
                pos += nbytes.unsigned_abs() as u64;
                continue;
            }
            let mut c = Cursor::new(&probe, 0);
            let Ok(key) = parse_key(&mut c) else { break };
            if nbytes == 0 || key.seek != pos {
                break;
            }
            let version = i16::from_be_bytes([probe[4], probe[5]]);
            let pdir = if version > 1000 {
                probe
                    .get(26..34)
                    .map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
            } else {
                probe
                    .get(22..26)
                    .map(|b| u32::from_be_bytes(b.try_into().unwrap_or([0; 4])) as u64)
            };
            if key.name == "StreamerInfo" && key.class == "TList" {
                // Not a directory entry (ROOT's key lists leave it out either).
                if self.seek_info == 0 {
                    self.seek_info = key.seek;
                    self.nbytes_info = key.nbytes;
                }
            } else if pdir == Some(begin) && !matches!(key.class.as_str(), "TFile" | "TBasket") {
                found.push(key);
            }
            pos += nbytes as u64;
        }
        self.recovered = !found.is_empty();
        self.top = found;
        Ok(())
    }

    /// The file's UUID, as ROOT prints it (`TUUID::AsString`: 8-4-4-4-12 hex digits),
    /// taken from the top directory's record. ROOT gives every file a new one when it
    /// creates it, so it tells two files of equal name and size apart. Files too old to
    /// record one (or whose record is cut short) have none.
    pub fn uuid(&self) -> Option<String> {
        let u = self.uuid?;
        let hex =
            |r: std::ops::Range<usize>| u[r].iter().map(|b| format!("{b:02x}")).collect::<String>();
        Some(format!(
            "{}-{}-{}-{}-{}",
            hex(0..4),
            hex(4..6),
            hex(6..8),
            hex(8..10),
            hex(10..16)
        ))
    }

    /// Reads the UUID that follows the seek pointers of a TDirectory record (a
    /// version number of two bytes, then 16 bytes); `None` if the record has none.
    fn read_directory_uuid(&self, seek: u64) -> Option<[u8; 16]> {
        let n = (self.len - seek.min(self.len)).min(128) as usize;
        let rec = self.read_at(seek, n).ok()?;
        let mut c = Cursor::new(&rec, 0);
        let version = c.i16().ok()?;
        // fDatimeC, fDatimeM, fNbytesKeys, fNbytesName, then three seek pointers.
        c.take(16).ok()?;
        c.take(if version > 1000 { 24 } else { 12 }).ok()?;
        let _uuid_version = c.u16().ok()?;
        let bytes = c.take(16).ok()?;
        let mut out = [0u8; 16];
        out.copy_from_slice(bytes);
        (out != [0u8; 16]).then_some(out)
    }

    /// Reads `n` bytes at `seek`, refusing ranges outside the file.
    pub fn read_at(&self, seek: u64, n: usize) -> Res<Vec<u8>> {
        self.check_range(seek, n)?;
        let mut buf = vec![0u8; n];
        self.file
            .read_exact_at(&mut buf, seek)
            .map_err(|e| Fault::new(format!("read of {n} bytes at offset {seek} failed: {e}")))?;
        Ok(buf)
    }

    fn check_range(&self, seek: u64, n: usize) -> Res<()> {
        let end = seek.checked_add(n as u64);
        if end.is_none_or(|e| e > self.len) {
            return Err(Fault::new(format!(
                "truncated or corrupt: {n} bytes at offset {seek} run past the end of the file ({} bytes)",
                self.len
            )));
        }
        Ok(())
    }

    /// Reads `n` bytes at `seek` into `buf`, which grows as needed and never shrinks (so
    /// a buffer kept from read to read is allocated and zeroed once): the bytes are the
    /// returned `buf[..n]`. Ranges outside the file are refused.
    pub fn read_into<'b>(&self, seek: u64, n: usize, buf: &'b mut Vec<u8>) -> Res<&'b [u8]> {
        self.check_range(seek, n)?;
        if buf.len() < n {
            buf.resize(n, 0);
        }
        let dst = &mut buf[..n];
        self.file
            .read_exact_at(dst, seek)
            .map_err(|e| Fault::new(format!("read of {n} bytes at offset {seek} failed: {e}")))?;
        Ok(dst)
    }

    /// Parses a TDirectory record at `seek` and reads its keys.
    fn read_directory(&self, seek: u64) -> Res<Vec<Key>> {
        let n = (self.len - seek.min(self.len)).min(128) as usize;
        let rec = self.read_at(seek, n)?;
        let mut c = Cursor::new(&rec, 0);
        let version = c.i16()?;
        let _ctime = c.u32()?;
        let _mtime = c.u32()?;
        let nbytes_keys = c.i32()?;
        let _nbytes_name = c.i32()?;
        let seek_keys = if version > 1000 {
            let _dir = c.u64()?;
            let _parent = c.u64()?;
            c.u64()?
        } else {
            let _dir = c.u32()?;
            let _parent = c.u32()?;
            c.u32()? as u64
        };
        if seek_keys == 0 || nbytes_keys <= 0 {
            // A directory that was never written to has no key list.
            return Ok(Vec::new());
        }
        let list = self
            .read_at(seek_keys, nbytes_keys as usize)
            .map_err(|e| e.context("directory key list"))?;
        let mut c = Cursor::new(&list, 0);
        let _self_key = parse_key(&mut c).map_err(|e| e.context("directory key list"))?;
        let nkeys = c.i32()?;
        if nkeys < 0 {
            return Err(Fault::new(format!("corrupt directory: {nkeys} keys")));
        }
        let mut keys = Vec::with_capacity((nkeys as usize).min(list.len() / 20));
        for i in 0..nkeys {
            let k = parse_key(&mut c).map_err(|e| e.context(format!("directory key {i}")))?;
            keys.push(k);
        }
        Ok(keys)
    }

    /// The keys of the top directory.
    pub fn keys(&self) -> &[Key] {
        &self.top
    }

    /// The keys of a subdirectory, read once and cached.
    pub fn dir_keys(&self, dir: &Key) -> Res<Arc<Vec<Key>>> {
        let cache = self
            .subdirs
            .get_or_init(|| std::sync::Mutex::new(HashMap::new()));
        if let Ok(map) = cache.lock() {
            if let Some(k) = map.get(&dir.seek) {
                return Ok(k.clone());
            }
        }
        let keys = Arc::new(
            self.read_directory(dir.seek + dir.keylen as u64)
                .map_err(|e| e.context(format!("directory `{}`", dir.name)))?,
        );
        if let Ok(mut map) = cache.lock() {
            map.insert(dir.seek, keys.clone());
        }
        Ok(keys)
    }

    /// Every key below the top directory, with its path (`one/two/tree`), depth first.
    pub fn walk(&self) -> Res<Vec<(String, Key)>> {
        let mut out = Vec::new();
        self.walk_into("", &self.top, 0, &mut out)?;
        Ok(out)
    }

    fn walk_into(
        &self,
        prefix: &str,
        keys: &[Key],
        depth: usize,
        out: &mut Vec<(String, Key)>,
    ) -> Res<()> {
        if depth > MAX_DEPTH {
            return Err(Fault::new(
                "directories nest too deep (a loop in a corrupt file?)",
            ));
        }
        for k in keys {
            let path = format!("{prefix}{}", k.name);
            out.push((path.clone(), k.clone()));
            if k.is_directory() {
                let sub = self.dir_keys(k)?;
                self.walk_into(&format!("{path}/"), &sub, depth + 1, out)?;
            }
        }
        Ok(())
    }

    /// Finds a key by path: `tree`, `dir/sub/tree`, `tree;2`. Without a cycle the
    /// highest cycle wins. A missing key lists those that exist, nearest first.
    pub fn key(&self, path: &str) -> Result<Key> {
        // `name;2` selects a cycle; a `;` not followed by a number is part of the name.
        let (name_path, cycle) = match path.rsplit_once(';') {
            Some((p, c)) => match c.parse::<i16>() {
                Ok(c) => (p, Some(c)),
                Err(_) => (path, None),
            },
            None => (path, None),
        };
        let parts: Vec<&str> = name_path.split('/').filter(|s| !s.is_empty()).collect();
        let mut keys: Arc<Vec<Key>> = Arc::new(self.top.clone());
        let mut walked = String::new();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let found = keys
                .iter()
                .filter(|k| k.name == *part && (!last || cycle.is_none_or(|c| k.cycle == c)))
                .max_by_key(|k| k.cycle)
                .cloned();
            let Some(k) = found else {
                let available = nearest_first(
                    part,
                    keys.iter().map(|k| {
                        format!(
                            "{walked}{}",
                            if last && cycle.is_some() {
                                k.label()
                            } else {
                                k.name.clone()
                            }
                        )
                    }),
                );
                return Err(Error::NotFound {
                    path: self.path.clone(),
                    what: "key".into(),
                    name: path.to_string(),
                    available,
                });
            };
            if last {
                return Ok(k);
            }
            if !k.is_directory() {
                return Err(Error::Usage(format!(
                    "{}: `{walked}{part}` is a {}, not a directory",
                    self.path.display(),
                    k.class
                )));
            }
            keys = self.dir_keys(&k).map_err(|e| e.at(&self.path))?;
            walked.push_str(part);
            walked.push('/');
        }
        Err(Error::Usage(format!(
            "{}: empty object path; name a tree, as in `file.root:Events`",
            self.path.display()
        )))
    }

    /// Reads the key header at `seek` (used for baskets, whose keys are not listed in
    /// any directory).
    pub fn key_at(&self, seek: u64) -> Res<Key> {
        let n = (self.len.saturating_sub(seek)).min(KEY_PROBE) as usize;
        let bytes = self.read_at(seek, n)?;
        parse_key(&mut Cursor::new(&bytes, 0))
    }

    /// The uncompressed bytes of the object a key points to.
    pub fn read_object(&self, key: &Key) -> Res<Vec<u8>> {
        let stored = (key.nbytes as u64)
            .checked_sub(key.keylen as u64)
            .ok_or_else(|| {
                Fault::new(format!(
                    "key `{}`: fNbytes {} is smaller than fKeylen {}",
                    key.name, key.nbytes, key.keylen
                ))
            })?;
        let raw = self
            .read_at(key.seek + key.keylen as u64, stored as usize)
            .map_err(|e| e.context(format!("key `{}`", key.label())))?;
        compress::decompress(&raw, key.objlen as usize)
            .map_err(|e| e.context(format!("key `{}` ({})", key.label(), key.class)))
    }

    /// The file's streamer infos (class layouts), read on first use.
    pub fn streamers(&self) -> Arc<super::objects::Streamers> {
        self.streamers
            .get_or_init(|| {
                Arc::new(super::objects::Streamers::read(
                    self,
                    self.seek_info,
                    self.nbytes_info,
                ))
            })
            .clone()
    }
}

/// Parses a TKey header at the cursor.
pub fn parse_key(c: &mut Cursor) -> Res<Key> {
    let start = c.pos();
    let nbytes = c.i32()?;
    let version = c.i16()?;
    let objlen = c.i32()?;
    let _datime = c.u32()?;
    let keylen = c.i16()?;
    let cycle = c.i16()?;
    let seek = if version > 1000 {
        let s = c.u64()?;
        let _pdir = c.u64()?;
        s
    } else {
        let s = c.u32()? as u64;
        let _pdir = c.u32()?;
        s
    };
    let class = c.tstring()?;
    let name = c.tstring()?;
    let title = c.tstring()?;
    if nbytes < 0 || objlen < 0 || keylen <= 0 || (keylen as usize) < c.pos() - start {
        return Err(Fault::new(format!(
            "corrupt key `{}` (fNbytes {nbytes}, fObjlen {objlen}, fKeylen {keylen})",
            printable(&name)
        )));
    }
    Ok(Key {
        nbytes: nbytes as u32,
        objlen: objlen as u32,
        keylen: keylen as u16,
        cycle,
        seek,
        class,
        name,
        title,
    })
}

/// A name from a file made safe for a one-line message: control and non-ASCII
/// characters escaped, long names cut.
pub fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(48)
        .flat_map(|c| c.escape_default())
        .collect();
    if s.chars().count() > 48 {
        out.push_str("...");
    }
    out
}
