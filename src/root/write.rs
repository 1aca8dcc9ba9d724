//! Writing friend trees: the scores of a run, one entry per entry of the input tree, in
//! a ROOT file of their own that `TTree::AddFriend` (or uproot, or a later rootgrad run)
//! joins to the input by entry number.
//!
//! A friend is a TTree or an RNTuple ([`FriendFormat`]); both carry the same columns and
//! the same source record, and go through the same checks, temporary file and rename.
//! [`write_friend_stream`] and [`write_friend`] write TTrees, [`write_friend_stream_as`]
//! and [`write_friend_as`] either (the RNTuple itself is [`super::rntuple::write`]).
//!
//! The bytes are our own ([`super::wtree`] streams the TTree, TBranch and TLeaf records
//! and writes the baskets, [`super::wfile`] the file around them): flat scalar branches,
//! baskets of [`ENTRIES_PER_BASKET`] entries (one cluster for all branches), compressed
//! with zstd level 1 by default ([`DEFAULT_COMPRESSION`]; docs/formats.md gives the
//! measurement behind the choice), 64-bit seeks past 2 GB as ROOT writes them, and the
//! source record of [`super::provenance`] as a `TNamed` key. ROOT 6.40 and uproot read
//! them (`validation/friend_uproot.py`, `validation/friend_root.py`).
//!
//! There is one writer path, [`write_friend_stream`]: the column names and types and the
//! entry count are given up front, and a producer, called again and again, returns the
//! next chunk of every column until the end. Memory is then one basket per column and
//! the producer's chunk, whatever the entry count (`rootgrad apply` scores chunk by
//! chunk into it). [`write_friend`], which takes whole columns, is a thin wrapper that
//! hands them over in chunks; the same values give the same bytes either way. Both
//! keep these guarantees:
//!
//! - every name (tree and columns) is a valid ROOT branch name, columns are unique, and
//!   all columns have one value per entry of the tree they befriend (a producer that
//!   gives more or fewer entries than announced, chunks of unequal lengths or of the
//!   wrong type is an error);
//! - the file is written under a temporary name in the output's folder
//!   (`.<name>.rootgrad-tmp-<pid>-<n>`), checked (header magic, `fEND` equal to the file
//!   length), synced and only then renamed to the output; on any failure, including an
//!   error returned by the producer part-way through the file, the temporary file is
//!   removed and nothing appears at the output path;
//! - the name the file records for itself is the output's file name, every key carries
//!   one fixed date, and the file's UUID is a hash of its name and source record, so
//!   the same output path and values give the same bytes in every run;
//! - an existing output is replaced only when the caller asks (`--force`);
//! - a panic inside the producer is caught and becomes an [`Error::Root`].
//!
//! A tree of zero entries has no baskets (`fEntries = 0`); ROOT and uproot read it as
//! empty.

use crate::{Error, Result};
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use super::chain::Chain;
use super::provenance::{FriendSource, SOURCE_KEY};
use super::rntuple::write::NtupleOut;
use super::wfile::FileWriter;
pub use super::wfile::{compress_blocks, Compression};
use super::wtree::TreeOut;

/// What a friend file holds: a TTree or an RNTuple of the same columns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum FriendFormat {
    /// A TTree, one branch per column (`TTree::AddFriend`).
    #[value(name = "ttree")]
    TTree,
    /// An RNTuple, one field per column (ROOT 6.34 and later; `RNTupleProcessor` joins).
    #[value(name = "rntuple")]
    RNTuple,
}

impl FriendFormat {
    /// The format chosen by `--friend-format`, or without it the input's own: an
    /// RNTuple friend for a chain of RNTuples, a TTree friend for TTrees.
    pub fn for_input(chosen: Option<FriendFormat>, chain: &Chain) -> FriendFormat {
        chosen.unwrap_or(if chain.ntuples.is_empty() {
            FriendFormat::TTree
        } else {
            FriendFormat::RNTuple
        })
    }

    /// `"TTree"` or `"RNTuple"`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            FriendFormat::TTree => "TTree",
            FriendFormat::RNTuple => "RNTuple",
        }
    }
}

/// Entries per basket (and per cluster): 256 KiB of floats, 512 KiB of doubles.
pub const ENTRIES_PER_BASKET: usize = 1 << 16;

/// The compression of friend files: zstd level 1 (ROOT setting 501). See
/// docs/formats.md for the sizes and speeds that chose it.
pub const DEFAULT_COMPRESSION: Compression = Compression::Zstd(1);

/// The longest tree or column name accepted. ROOT has no hard limit; this keeps names
/// short enough for every message and for ROOT's one-byte string lengths.
pub const MAX_NAME_LEN: usize = 250;

/// The type of a friend branch, without its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FriendType {
    F32,
    F64,
    I32,
    I64,
    Bool,
}

impl FriendType {
    /// The C++ type of the branch, as uproot and `inspect` name it: `"float"`,
    /// `"double"`, `"int32_t"`, `"int64_t"` or `"bool"`.
    pub fn type_name(self) -> &'static str {
        match self {
            FriendType::F32 => "float",
            FriendType::F64 => "double",
            FriendType::I32 => "int32_t",
            FriendType::I64 => "int64_t",
            FriendType::Bool => "bool",
        }
    }

    /// Bytes per value on disk.
    pub(super) fn width(self) -> u64 {
        match self {
            FriendType::F32 | FriendType::I32 => 4,
            FriendType::F64 | FriendType::I64 => 8,
            FriendType::Bool => 1,
        }
    }
}

/// The values of one friend branch.
#[derive(Debug, Clone, PartialEq)]
pub enum FriendData {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

impl FriendData {
    /// Number of entries (values) in the column.
    pub fn len(&self) -> usize {
        match self {
            FriendData::F32(v) => v.len(),
            FriendData::F64(v) => v.len(),
            FriendData::I32(v) => v.len(),
            FriendData::I64(v) => v.len(),
            FriendData::Bool(v) => v.len(),
        }
    }

    /// True when the column has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type of the values.
    pub fn kind(&self) -> FriendType {
        match self {
            FriendData::F32(_) => FriendType::F32,
            FriendData::F64(_) => FriendType::F64,
            FriendData::I32(_) => FriendType::I32,
            FriendData::I64(_) => FriendType::I64,
            FriendData::Bool(_) => FriendType::Bool,
        }
    }

    /// The C++ type of the branch (see [`FriendType::type_name`]).
    pub fn type_name(&self) -> &'static str {
        self.kind().type_name()
    }

    /// Values `range` as a column of their own.
    fn slice(&self, range: std::ops::Range<usize>) -> FriendData {
        match self {
            FriendData::F32(v) => FriendData::F32(v[range].to_vec()),
            FriendData::F64(v) => FriendData::F64(v[range].to_vec()),
            FriendData::I32(v) => FriendData::I32(v[range].to_vec()),
            FriendData::I64(v) => FriendData::I64(v[range].to_vec()),
            FriendData::Bool(v) => FriendData::Bool(v[range].to_vec()),
        }
    }
}

/// One branch of a friend tree.
#[derive(Debug, Clone, PartialEq)]
pub struct FriendColumn {
    /// The branch name; letters, digits and `_`, not starting with a digit.
    pub name: String,
    /// The values, one per entry.
    pub data: FriendData,
}

/// What to write and where.
pub struct FriendSpec<'a> {
    /// The output file.
    pub path: &'a Path,
    /// The tree name inside it, e.g. `"rootgrad"`.
    pub tree: &'a str,
    /// The branches, in the order they are written.
    pub columns: &'a [FriendColumn],
    /// The source tree's entry count; when given, every column must have exactly this
    /// length.
    pub expected_entries: Option<u64>,
    /// Replace an existing output (`--force`).
    pub overwrite: bool,
    /// Where the entries come from, recorded in the file (every command gives it).
    pub source: Option<&'a FriendSource>,
}

/// A branch of a streamed friend tree: its name and type, given before any value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamColumn {
    /// The branch name; letters, digits and `_`, not starting with a digit.
    pub name: String,
    /// The type every chunk of this column must have.
    pub kind: FriendType,
}

/// What to write and where, for [`write_friend_stream`].
pub struct FriendStream<'a> {
    /// The output file.
    pub path: &'a Path,
    /// The tree name inside it, e.g. `"rootgrad"`.
    pub tree: &'a str,
    /// The branches, in the order they are written (and in which each chunk gives
    /// them).
    pub columns: &'a [StreamColumn],
    /// The entry count: the producer must give exactly this many values per column.
    pub entries: u64,
    /// Replace an existing output (`--force`).
    pub overwrite: bool,
    /// Where the entries come from, recorded in the file (every command gives it).
    pub source: Option<&'a FriendSource>,
}

/// The next chunk of every column, in the order of [`FriendStream::columns`], all of
/// one length; `None` once every entry has been given. An error stops the write and
/// leaves no output; it is returned by [`write_friend_stream`] as it is.
pub type Chunk = Result<Option<Vec<FriendData>>>;

/// Writes the friend tree; see module docs for the guarantees.
pub fn write_friend(spec: &FriendSpec) -> Result<()> {
    write_friend_with(spec, FriendFormat::TTree, publish)
}

/// [`write_friend`] as a TTree or an RNTuple.
pub fn write_friend_as(spec: &FriendSpec, format: FriendFormat) -> Result<()> {
    write_friend_with(spec, format, publish)
}

/// Writes a friend tree whose values come chunk by chunk from `produce`, called until
/// it returns `Ok(None)`; see the module docs for the guarantees. Names and the output
/// are checked before `produce` is first called.
pub fn write_friend_stream(
    spec: &FriendStream,
    produce: impl FnMut() -> Chunk + Send,
) -> Result<()> {
    write_stream_with(spec, FriendFormat::TTree, produce, publish)
}

/// [`write_friend_stream`] as a TTree or an RNTuple.
pub fn write_friend_stream_as(
    spec: &FriendStream,
    format: FriendFormat,
    produce: impl FnMut() -> Chunk + Send,
) -> Result<()> {
    write_stream_with(spec, format, produce, publish)
}

/// [`write_friend`] with the final rename as a parameter, so tests can exercise the
/// clean-up. The whole columns go through the streaming path in [`FEED_CHUNK`]-value
/// chunks.
fn write_friend_with(
    spec: &FriendSpec,
    format: FriendFormat,
    publish: fn(&Path, &Path, bool) -> Result<()>,
) -> Result<()> {
    let entries = check_spec(spec)?;
    let columns: Vec<StreamColumn> = spec
        .columns
        .iter()
        .map(|c| StreamColumn {
            name: c.name.clone(),
            kind: c.data.kind(),
        })
        .collect();
    let stream = FriendStream {
        path: spec.path,
        tree: spec.tree,
        columns: &columns,
        entries,
        overwrite: spec.overwrite,
        source: spec.source,
    };
    let mut at = 0usize;
    let n = entries as usize;
    let produce = move || -> Chunk {
        if at >= n {
            return Ok(None);
        }
        let end = (at + FEED_CHUNK).min(n);
        let chunk = spec.columns.iter().map(|c| c.data.slice(at..end)).collect();
        at = end;
        Ok(Some(chunk))
    };
    write_stream_with(&stream, format, produce, publish)
}

/// [`write_friend_stream`] with the final rename as a parameter.
fn write_stream_with(
    spec: &FriendStream,
    format: FriendFormat,
    produce: impl FnMut() -> Chunk + Send,
    publish: fn(&Path, &Path, bool) -> Result<()>,
) -> Result<()> {
    check_names(
        spec.path,
        spec.tree,
        spec.columns.iter().map(|c| c.name.as_str()),
    )?;
    let folder = check_output(spec.path, spec.overwrite)?;
    let tmp = TempFile::create(&folder, spec.path)?;
    write_tmp(tmp.path(), spec, format, produce)?;
    publish(tmp.path(), spec.path, spec.overwrite)?;
    tmp.disarm();
    Ok(())
}

#[path = "write_checks.rs"]
mod checks;
use checks::{check_complete, check_names, check_output, check_spec};

use crate::output::TempFile;

/// Whole columns are handed to the streaming path in chunks of this many values.
const FEED_CHUNK: usize = 1 << 16;

/// Why writing the temporary file failed.
enum Failure {
    /// The producer's own error (or a chunk that breaks the announced shape), returned
    /// as it is.
    Producer(Error),
    Io(std::io::Error),
    Other(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Writes the whole file at `tmp`, then checks it.
fn write_tmp(
    tmp: &Path,
    spec: &FriendStream,
    format: FriendFormat,
    produce: impl FnMut() -> Chunk,
) -> Result<()> {
    // Errors name the output the user asked for; the temporary name is in the message
    // of format errors only, since it is gone by the time the user reads it.
    let to_error = |e: Failure| match e {
        Failure::Producer(e) => e,
        Failure::Io(source) => Error::Io {
            path: spec.path.to_path_buf(),
            source,
        },
        Failure::Other(msg) => Error::Root {
            path: spec.path.to_path_buf(),
            msg: format!(
                "writing friend {} `{}` (through {}): {msg}",
                format.name(),
                spec.tree,
                tmp.display()
            ),
        },
    };
    let run = || -> std::result::Result<(), Failure> {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .truncate(true)
            .open(tmp)?;
        let mut file = write_file(file, spec, format, produce)?;
        check_complete(&mut file)?;
        Ok(file.sync_all()?)
    };
    run().map_err(to_error)
}

/// The file's UUID: a hash of the recorded name and the source record.
fn file_uuid(name: &str, record: &str) -> [u8; 16] {
    let a = xxhash_rust::xxh64::xxh64(name.as_bytes(), 1);
    let b = xxhash_rust::xxh64::xxh64(record.as_bytes(), 2);
    let mut u = [0u8; 16];
    u[..8].copy_from_slice(&a.to_be_bytes());
    u[8..].copy_from_slice(&b.to_be_bytes());
    u
}

/// Writes the tree, the source record and the directory into `file`.
fn write_file(
    file: fs::File,
    spec: &FriendStream,
    format: FriendFormat,
    mut produce: impl FnMut() -> Chunk,
) -> std::result::Result<fs::File, Failure> {
    let name = spec
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let record = spec.source.map(|s| s.to_text());
    let uuid = file_uuid(&name, record.as_deref().unwrap_or(""));
    let mut fw = FileWriter::create(file, &name, uuid, DEFAULT_COMPRESSION)?;
    let mut tree = Out::new(format, spec);
    let mut given = 0u64;
    loop {
        let chunk = match panic::catch_unwind(AssertUnwindSafe(&mut produce)) {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(Failure::Producer(e)),
            Err(payload) => {
                return Err(Failure::Other(format!(
                    "the producer of the values panicked: {}",
                    panic_message(&*payload)
                )))
            }
        };
        given += check_chunk(spec, &chunk, given).map_err(Failure::Producer)?;
        tree.push(&chunk, &mut fw)?;
    }
    if given != spec.entries {
        return Err(Failure::Producer(shape_error(
            spec,
            format!(
                "the values ended after {given} entries, but {} were announced",
                spec.entries
            ),
        )));
    }
    tree.finish(&mut fw)?;
    if let Some(text) = &record {
        fw.put_object("TNamed", SOURCE_KEY, text, |_| {
            let mut w = super::wbuf::WBuf::new(0);
            w.tnamed(SOURCE_KEY, text);
            w.b
        })?;
    }
    Ok(fw.finish()?)
}

/// The tree or ntuple being written.
enum Out {
    Tree(TreeOut),
    Ntuple(NtupleOut),
}

impl Out {
    fn new(format: FriendFormat, spec: &FriendStream) -> Out {
        match format {
            FriendFormat::TTree => {
                Out::Tree(TreeOut::new(spec.tree, spec.columns, ENTRIES_PER_BASKET))
            }
            FriendFormat::RNTuple => Out::Ntuple(NtupleOut::new(spec.tree, spec.columns)),
        }
    }

    fn push(&mut self, chunk: &[FriendData], fw: &mut FileWriter) -> std::io::Result<()> {
        match self {
            Out::Tree(t) => t.push(chunk, fw),
            Out::Ntuple(n) => n.push(chunk, fw),
        }
    }

    fn finish(self, fw: &mut FileWriter) -> std::io::Result<u64> {
        match self {
            Out::Tree(t) => t.finish(fw),
            Out::Ntuple(n) => n.finish(fw),
        }
    }
}

/// An error about the shape of the producer's values.
fn shape_error(spec: &FriendStream, msg: String) -> Error {
    Error::Root {
        path: spec.path.to_path_buf(),
        msg: format!("writing friend tree `{}`: {msg}", spec.tree),
    }
}

/// Checks a chunk against the announced columns and entry count (`given` so far);
/// returns its length.
fn check_chunk(spec: &FriendStream, chunk: &[FriendData], given: u64) -> Result<u64> {
    if chunk.len() != spec.columns.len() {
        return Err(shape_error(
            spec,
            format!(
                "a chunk has {} columns, expected {}",
                chunk.len(),
                spec.columns.len()
            ),
        ));
    }
    let n = chunk.first().map_or(0, |c| c.len() as u64);
    for (c, d) in spec.columns.iter().zip(chunk) {
        if d.kind() != c.kind || d.len() as u64 != n {
            return Err(shape_error(
                spec,
                format!(
                    "column `{}` got a chunk of {} {} values where {n} {} values were due",
                    c.name,
                    d.len(),
                    d.type_name(),
                    c.kind.type_name()
                ),
            ));
        }
    }
    if given + n > spec.entries {
        return Err(shape_error(
            spec,
            format!("the values run past the {} entries announced", spec.entries),
        ));
    }
    Ok(n)
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// Moves the finished temporary file to the output. Without `overwrite` it links
/// rather than renames where it can, so an output that appeared while we were writing
/// is not replaced.
fn publish(tmp: &Path, path: &Path, overwrite: bool) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if !overwrite {
        match fs::hard_link(tmp, path) {
            Ok(()) => {
                // The output is complete; a temporary name that cannot be removed
                // is the caller's TempFile's to retry, not a failed write.
                let _ = fs::remove_file(tmp);
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::OutputExists {
                    path: path.to_path_buf(),
                })
            }
            // filesystems without hard links (some network ones): check, then rename
            Err(_) if path.exists() => {
                return Err(Error::OutputExists {
                    path: path.to_path_buf(),
                })
            }
            Err(_) => {}
        }
    }
    fs::rename(tmp, path).map_err(io)
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
