//! Writing friend trees: the scores of a run, one entry per entry of the input tree, in
//! a ROOT file of their own that `TTree::AddFriend` (or uproot, or a later rootgrad run)
//! joins to the input by entry number.
//!
//! The bytes are written by oxyroot's writer (`oxyroot::WriterTree`), whose files
//! uproot reads back bit-exact for flat scalar branches (uncompressed, below its 32-bit
//! seek-pointer limit; `validation/friend_uproot.py` checks every value and header).
//! This module exists to put our own checks around it, because oxyroot itself checks
//! little and panics on some problems.
//!
//! There is one writer path, [`write_friend_stream`]: the column names and types and the
//! entry count are given up front, and a producer, called again and again from a
//! writer thread, returns the next chunk of every column until the end. Memory is then
//! a few chunks per column whatever the entry count (`rootgrad apply` scores chunk by
//! chunk into it). [`write_friend`], which takes whole columns, is a thin wrapper that
//! hands them over in chunks; the same values give the same bytes either way. Both
//! keep these guarantees:
//!
//! - every name (tree and columns) is a valid ROOT branch name, columns are unique, and
//!   all columns have one value per entry of the tree they befriend (a producer that
//!   gives more or fewer entries than announced, chunks of unequal lengths or of the
//!   wrong type is an error);
//! - an output that would pass [`MAX_FILE_BYTES`] is refused before anything is written;
//! - the file is written under a temporary name in the output's folder
//!   (`.<name>.rootgrad-tmp-<pid>-<n>`), checked (header magic, `fEND` equal to the file
//!   length, since oxyroot's final buffered write can fail silently on drop), synced and
//!   only then renamed to the output; on any failure, including an error returned by
//!   the producer part-way through the file, the temporary file is removed and nothing
//!   appears at the output path;
//! - the name the file records for itself (oxyroot writes the path it created, i.e. the
//!   temporary one, into the TFile and directory records) has the pid and counter
//!   zeroed, so the same output path gives the same bytes in every run;
//! - an existing output is replaced only when the caller asks (`--force`);
//! - a panic inside oxyroot (or inside the producer) is caught and becomes an
//!   [`Error::Root`].
//!
//! What oxyroot 0.1.25 does, and what we do about it:
//!
//! - **bool** branches get the right leaf (`TLeafO`, leaf title = branch name, one byte
//!   per value), but the branch title is `name/B` (the code for `Char_t`) where ROOT
//!   writes `name/O`. Readers go by the leaf class, so values read right either way, but
//!   `TTree::Print` and anything that parses the title would see a char branch. We
//!   rewrite the one byte in the written (uncompressed) TTree record; see
//!   [`fix_bool_titles`].
//! - **zero entries**: oxyroot writes a valid empty tree (one empty basket per branch,
//!   `fEntries = 0`); uproot reads it as zero entries. We allow it.
//! - **baskets** are a fixed 32 KiB of values per branch (4095 `double`s, 8191 `float`s
//!   or `int`s, 32767 `bool`s), streamed from an iterator, so oxyroot's own memory stays
//!   a few MB for any entry count. When the entry count is a multiple of a basket's
//!   capacity, the last basket on disk is empty (`fBasketEntry` ends `.., n, n`);
//!   uproot reads such files right, and a reader that finds baskets through
//!   `fBasketEntry` never needs to load it.
//! - oxyroot needs the values as owned `'static` iterators, one per branch, and pulls
//!   one value of each branch in turn per entry. A scoped thread calls the producer and
//!   sends each column's chunk down that column's channel, which holds at most two
//!   chunks ([`distribute`]); the branch's iterator walks the chunks it receives. Since
//!   every column gets chunks of the same lengths and oxyroot takes the columns in
//!   lockstep, no channel can fill while another one it waits on is empty.

use crate::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};

/// The largest file oxyroot's writer can make: it switches to 64-bit seek pointers only
/// past this offset (`kStartBigFile` = 2,000,000,000 bytes, a little under 2 GiB), and
/// that path of its writer is unfinished. Outputs estimated above it are refused.
pub const MAX_FILE_BYTES: u64 = 2_000_000_000;

/// The longest tree or column name accepted. ROOT has no hard limit; this keeps every
/// name (and the `name/O` title) in the one-byte-length form of a ROOT string, which
/// [`fix_bool_titles`] relies on.
pub const MAX_NAME_LEN: usize = 250;

/// oxyroot's basket size (`DEFAULT_BASKET_SIZE`): a branch's buffer is written out once
/// it would reach this many bytes.
const BASKET_BYTES: u64 = 32 * 1024;

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
    fn width(self) -> u64 {
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
}

/// The next chunk of every column, in the order of [`FriendStream::columns`], all of
/// one length; `None` once every entry has been given. An error stops the write and
/// leaves no output; it is returned by [`write_friend_stream`] as it is.
pub type Chunk = Result<Option<Vec<FriendData>>>;

/// Writes the friend tree; see module docs for the guarantees.
pub fn write_friend(spec: &FriendSpec) -> Result<()> {
    write_friend_with(spec, MAX_FILE_BYTES, publish)
}

/// Writes a friend tree whose values come chunk by chunk from `produce`, called from a
/// writer thread until it returns `Ok(None)`; see the module docs for the guarantees.
/// Names, the entry count and the size limit are checked, and the output checked, before
/// `produce` is first called.
pub fn write_friend_stream(
    spec: &FriendStream,
    produce: impl FnMut() -> Chunk + Send,
) -> Result<()> {
    write_stream_with(spec, produce, MAX_FILE_BYTES, publish)
}

/// The uncompressed size the file would have (for the 2 GiB check and for messages).
///
/// An upper bound: exact for the values and the per-basket headers oxyroot writes,
/// with the tree name counted at [`MAX_NAME_LEN`] bytes in each basket key and a fixed
/// allowance for the file header, streamer infos and the TTree record. It is at most
/// about 1% and 64 KiB above the real size.
pub fn estimated_size(columns: &[FriendColumn]) -> u64 {
    let entries = columns.first().map_or(0, |c| c.data.len() as u64);
    let kinds: Vec<StreamColumn> = columns
        .iter()
        .map(|c| StreamColumn {
            name: c.name.clone(),
            kind: c.data.kind(),
        })
        .collect();
    stream_size(&kinds, entries)
}

/// [`estimated_size`] from the names, types and entry count alone.
pub fn stream_size(columns: &[StreamColumn], entries: u64) -> u64 {
    // file header, TFile key and directory, streamer infos, key list, free segments
    const FIXED: u64 = 64 * 1024;
    // TBranch and TLeaf records in the TTree, including the basket arrays that are
    // padded to at least 10 baskets
    const PER_COLUMN: u64 = 2048;
    // key: 26 fixed bytes + class "TBasket" as a ROOT string (8) + two length bytes;
    // basket header: 19 bytes; TTree record: fBasketBytes (4), fBasketEntry (8),
    // fBasketSeek (8)
    const PER_BASKET: u64 = 26 + 8 + 2 + 19 + 20;
    let mut total = FIXED;
    for c in columns {
        let width = c.kind.width();
        let n = entries;
        let per_basket = BASKET_BYTES.div_ceil(width) - 1;
        // oxyroot starts a new basket each time one fills, and always writes the last
        let baskets = n / per_basket + 1;
        let key_names = c.name.len() as u64 + MAX_NAME_LEN as u64;
        total += PER_COLUMN + 4 * c.name.len() as u64;
        total += n * width + baskets * (PER_BASKET + key_names);
    }
    total
}

/// [`write_friend`] with the size limit and the final rename as parameters, so tests
/// can exercise the refusal and the clean-up without 2 GB of data. The whole columns go
/// through the streaming path in [`FEED_CHUNK`]-value chunks.
fn write_friend_with(
    spec: &FriendSpec,
    max_bytes: u64,
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
    write_stream_with(&stream, produce, max_bytes, publish)
}

/// [`write_friend_stream`] with the size limit and the final rename as parameters.
fn write_stream_with(
    spec: &FriendStream,
    produce: impl FnMut() -> Chunk + Send,
    max_bytes: u64,
    publish: fn(&Path, &Path, bool) -> Result<()>,
) -> Result<()> {
    check_names(
        spec.path,
        spec.tree,
        spec.columns.iter().map(|c| c.name.as_str()),
    )?;
    let entries = spec.entries;
    let size = stream_size(spec.columns, entries);
    if size > max_bytes {
        return Err(Error::Usage(format!(
            "friend tree `{}` for {} would be about {} ({size} bytes, {entries} entries), \
             more than the {max_bytes} bytes oxyroot's writer can address (it writes 32-bit \
             file offsets); split the input into several files and write one friend per file",
            spec.tree,
            spec.path.display(),
            human_bytes(size),
        )));
    }
    let folder = check_output(spec.path, spec.overwrite)?;
    let tmp = TempFile::create(&folder, spec.path)?;
    write_tmp(tmp.path(), spec, produce)?;
    publish(tmp.path(), spec.path, spec.overwrite)?;
    tmp.disarm();
    Ok(())
}

#[path = "write_checks.rs"]
mod checks;
use checks::{check_complete, check_names, check_output, check_spec, fix_bool_titles};

#[path = "write_temp.rs"]
mod temp;
use crate::output::TempFile;
use temp::{canonical_temp_name, replace_recorded_name};

/// Where oxyroot put the TTree record: (seek, bytes including the key header).
type TreeRecord = (u64, u64);

/// Writes the whole file at `tmp` with oxyroot, then checks and fixes it.
fn write_tmp(tmp: &Path, spec: &FriendStream, produce: impl FnMut() -> Chunk + Send) -> Result<()> {
    // Errors name the output the user asked for; the temporary name is in the message
    // of format errors only, since it is gone by the time the user reads it.
    let to_error = |e: OxyFailure| match e {
        OxyFailure::Producer(e) => e,
        OxyFailure::Io(source) => Error::Io {
            path: spec.path.to_path_buf(),
            source,
        },
        OxyFailure::Other(msg) => Error::Root {
            path: spec.path.to_path_buf(),
            msg: format!(
                "writing friend tree `{}` (through {}): {msg}",
                spec.tree,
                tmp.display()
            ),
        },
    };
    let record = guarded(|| run_oxyroot(tmp, spec, produce)).map_err(to_error)?;
    let finish = || -> std::result::Result<(), OxyFailure> {
        let mut file = OpenOptions::new().read(true).write(true).open(tmp)?;
        check_complete(&mut file)?;
        fix_bool_titles(&mut file, record, spec)?;
        // the recorded name: the temporary path with pid and counter zeroed
        let name = spec
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let (Some(t), Some(folder)) = (tmp.to_str(), tmp.parent()) {
            let canonical = folder.join(canonical_temp_name(&name));
            if let Some(c) = canonical.to_str() {
                if c.len() == t.len() {
                    replace_recorded_name(&mut file, t.as_bytes(), c.as_bytes())?;
                }
            }
        }
        Ok(file.sync_all()?)
    };
    finish().map_err(to_error)
}

/// Runs `f`, turning a panic (oxyroot `unwrap`s, `assert`s and `unimplemented!`s on
/// some problems) into a failure. The panic message still goes to stderr through the
/// default hook; replacing the process-wide hook from a library would be worse.
fn guarded<T>(
    f: impl FnOnce() -> std::result::Result<T, OxyFailure>,
) -> std::result::Result<T, OxyFailure> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(OxyFailure::Other(format!(
            "oxyroot panicked: {}",
            panic_message(&*payload)
        ))),
    }
}

/// Why a step under oxyroot failed.
enum OxyFailure {
    /// The producer's own error (or a chunk that breaks the announced shape), returned
    /// as it is.
    Producer(Error),
    Io(std::io::Error),
    Other(String),
}

impl From<std::io::Error> for OxyFailure {
    fn from(e: std::io::Error) -> Self {
        OxyFailure::Io(e)
    }
}

/// oxyroot's error type is private; its `Debug` shows `Io(Os { code: 28, .. })` for
/// operating-system errors, which we turn back into an `io::Error` so the user sees
/// "No space left on device" rather than a debug dump.
fn oxyroot_failure(e: impl std::fmt::Debug) -> OxyFailure {
    let text = format!("{e:?}");
    let code = text
        .strip_prefix("Io(Os { code: ")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<i32>().ok());
    match code {
        Some(code) => OxyFailure::Io(std::io::Error::from_raw_os_error(code)),
        None => OxyFailure::Other(format!("oxyroot: {text}")),
    }
}

/// The calls into oxyroot, run under `catch_unwind`.
fn run_oxyroot(
    tmp: &Path,
    spec: &FriendStream,
    produce: impl FnMut() -> Chunk + Send,
) -> std::result::Result<TreeRecord, OxyFailure> {
    // oxyroot takes the path as &str and would panic on non-UTF-8; check_output has
    // already refused those.
    let tmp = tmp
        .to_str()
        .ok_or_else(|| OxyFailure::Other("temporary path is not UTF-8".into()))?;
    let mut file = oxyroot::RootFile::create(tmp).map_err(oxyroot_failure)?;
    let record = std::thread::scope(|s| {
        let mut tree = oxyroot::WriterTree::new(spec.tree);
        let mut senders = Vec::with_capacity(spec.columns.len());
        for c in spec.columns {
            let name = c.name.as_str();
            senders.push(match c.kind {
                FriendType::F32 => Sender::F32(branch(&mut tree, name)),
                FriendType::F64 => Sender::F64(branch(&mut tree, name)),
                FriendType::I32 => Sender::I32(branch(&mut tree, name)),
                FriendType::I64 => Sender::I64(branch(&mut tree, name)),
                FriendType::Bool => Sender::Bool(branch(&mut tree, name)),
            });
        }
        let feeder = std::thread::Builder::new()
            .name("rootgrad-friend-feed".into())
            .spawn_scoped(s, move || distribute(spec, produce, senders))
            .map_err(|e| {
                OxyFailure::Other(format!(
                    "cannot start the thread that feeds the columns: {e}"
                ))
            })?;
        let written = tree.write(&mut file).map_err(oxyroot_failure);
        // Dropping the tree drops the receiving ends, so a feeder still sending (after a
        // failed write) sees a closed channel and stops before the join.
        drop(tree);
        let fed = match feeder.join() {
            Ok(r) => r,
            Err(payload) => Err(OxyFailure::Other(format!(
                "the producer of the values panicked: {}",
                panic_message(&*payload)
            ))),
        };
        // The producer's error explains a short tree better than anything after it.
        fed?;
        written?;
        Ok::<_, OxyFailure>(
            file.keys()
                .iter()
                .find(|k| k.class_name() == "TTree" && oxyroot::Named::name(*k) == spec.tree)
                .map(|k| (k.seek_key(), k.n_bytes())),
        )
    })?;
    file.close().map_err(oxyroot_failure)?;
    // Dropping the file flushes oxyroot's last buffered write (the header) and ignores
    // any error; check_complete catches a file that did not get it.
    drop(file);
    match record {
        Some((seek, n)) if seek > 0 && n > 0 => Ok((seek as u64, n as u64)),
        _ => Err(OxyFailure::Other(format!(
            "oxyroot wrote no TTree key `{}`",
            spec.tree
        ))),
    }
}

/// Chunks a column's channel holds before the feeder waits.
const QUEUED_CHUNKS: usize = 2;

/// The sending end of one column's channel.
enum Sender {
    F32(SyncSender<Vec<f32>>),
    F64(SyncSender<Vec<f64>>),
    I32(SyncSender<Vec<i32>>),
    I64(SyncSender<Vec<i64>>),
    Bool(SyncSender<Vec<bool>>),
}

/// Adds branch `name` to `tree`, fed from a channel of chunks; returns its sending end.
/// oxyroot needs a `'static` iterator: the receiver moves into it.
fn branch<T>(tree: &mut oxyroot::WriterTree, name: &str) -> SyncSender<Vec<T>>
where
    T: oxyroot::Marshaler + Send + 'static,
{
    let (tx, rx) = sync_channel::<Vec<T>>(QUEUED_CHUNKS);
    tree.new_branch(name, rx.into_iter().flatten());
    tx
}

/// Whole columns are handed to the streaming path in chunks of this many values
/// (512 KiB of doubles).
const FEED_CHUNK: usize = 1 << 16;

/// The feeder: calls `produce` until it gives `None`, checks each chunk against the
/// announced columns and entry count, and sends every column's part down its channel.
/// Returns when the values are all sent, when the producer fails (its error), or when
/// the writer has stopped (a closed channel; the writer reports its own error). Ending
/// early drops the senders, so oxyroot sees every column end at the same entry.
fn distribute(
    spec: &FriendStream,
    mut produce: impl FnMut() -> Chunk,
    senders: Vec<Sender>,
) -> std::result::Result<(), OxyFailure> {
    let mut given = 0u64;
    let shape = |msg: String| {
        OxyFailure::Producer(Error::Root {
            path: spec.path.to_path_buf(),
            msg: format!("writing friend tree `{}`: {msg}", spec.tree),
        })
    };
    loop {
        let chunk = match panic::catch_unwind(AssertUnwindSafe(&mut produce)) {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(OxyFailure::Producer(e)),
            Err(payload) => {
                return Err(OxyFailure::Other(format!(
                    "the producer of the values panicked: {}",
                    panic_message(&*payload)
                )))
            }
        };
        if chunk.len() != spec.columns.len() {
            return Err(shape(format!(
                "a chunk has {} columns, expected {}",
                chunk.len(),
                spec.columns.len()
            )));
        }
        let n = chunk[0].len() as u64;
        for (c, d) in spec.columns.iter().zip(&chunk) {
            if d.kind() != c.kind || d.len() as u64 != n {
                return Err(shape(format!(
                    "column `{}` got a chunk of {} {} values where {n} {} values were due",
                    c.name,
                    d.len(),
                    d.type_name(),
                    c.kind.type_name()
                )));
            }
        }
        given += n;
        if given > spec.entries {
            return Err(shape(format!(
                "the values run past the {} entries announced",
                spec.entries
            )));
        }
        for (tx, d) in senders.iter().zip(chunk) {
            let sent = match (tx, d) {
                (Sender::F32(tx), FriendData::F32(v)) => tx.send(v).is_ok(),
                (Sender::F64(tx), FriendData::F64(v)) => tx.send(v).is_ok(),
                (Sender::I32(tx), FriendData::I32(v)) => tx.send(v).is_ok(),
                (Sender::I64(tx), FriendData::I64(v)) => tx.send(v).is_ok(),
                (Sender::Bool(tx), FriendData::Bool(v)) => tx.send(v).is_ok(),
                _ => false, // types were checked above
            };
            if !sent {
                return Ok(()); // the writer stopped; its error is reported there
            }
        }
    }
    if given != spec.entries {
        return Err(shape(format!(
            "the values ended after {given} entries, but {} were announced",
            spec.entries
        )));
    }
    Ok(())
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

/// `1.9 GB`, `12.3 MB`, `512 bytes`: sizes in messages.
fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} GB", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} kB", n as f64 / 1e3),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
