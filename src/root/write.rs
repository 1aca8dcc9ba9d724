//! Writing friend trees: the scores of a run, one entry per entry of the input tree, in
//! a ROOT file of their own that `TTree::AddFriend` (or uproot, or a later rootgrad run)
//! joins to the input by entry number.
//!
//! The bytes are written by oxyroot's writer (`oxyroot::WriterTree`), whose files
//! uproot reads back bit-exact for flat scalar branches (uncompressed, below its 32-bit
//! seek-pointer limit; `validation/friend_uproot.py` checks every value and header). This module exists to put our own checks around
//! it, because oxyroot itself checks little and panics on some problems:
//!
//! - every name (tree and columns) is a valid ROOT branch name, columns are unique, and
//!   all columns have one value per entry of the tree they befriend;
//! - an output that would pass [`MAX_FILE_BYTES`] is refused before anything is written;
//! - the file is written under a temporary name in the output's folder
//!   (`.<name>.rootgrad-tmp-<pid>-<n>`), checked (header magic, `fEND` equal to the file
//!   length, since oxyroot's final buffered write can fail silently on drop), synced and
//!   only then renamed to the output; on any failure the temporary file is removed and
//!   nothing appears at the output path;
//! - an existing output is replaced only when the caller asks (`--force`);
//! - a panic inside oxyroot is caught and becomes an [`Error::Root`].
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
//! - oxyroot needs the values as owned `'static` iterators; rather than copy each
//!   column whole (which doubled peak memory: 493 MB for 10 million entries of five
//!   columns), a scoped thread per column feeds it in chunks ([`feed`]), so writing
//!   needs a few MB beyond the columns themselves.

use crate::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

    /// The C++ type of the branch, as uproot and `inspect` name it: `"float"`,
    /// `"double"`, `"int32_t"`, `"int64_t"` or `"bool"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            FriendData::F32(_) => "float",
            FriendData::F64(_) => "double",
            FriendData::I32(_) => "int32_t",
            FriendData::I64(_) => "int64_t",
            FriendData::Bool(_) => "bool",
        }
    }

    /// Bytes per value on disk.
    fn width(&self) -> u64 {
        match self {
            FriendData::F32(_) | FriendData::I32(_) => 4,
            FriendData::F64(_) | FriendData::I64(_) => 8,
            FriendData::Bool(_) => 1,
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

/// Writes the friend tree; see module docs for the guarantees.
pub fn write_friend(spec: &FriendSpec) -> Result<()> {
    write_friend_with(spec, MAX_FILE_BYTES, publish)
}

/// The uncompressed size the file would have (for the 2 GiB check and for messages).
///
/// An upper bound: exact for the values and the per-basket headers oxyroot writes,
/// with the tree name counted at [`MAX_NAME_LEN`] bytes in each basket key and a fixed
/// allowance for the file header, streamer infos and the TTree record. It is at most
/// about 1% and 64 KiB above the real size.
pub fn estimated_size(columns: &[FriendColumn]) -> u64 {
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
        let width = c.data.width();
        let n = c.data.len() as u64;
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
/// can exercise the refusal and the clean-up without 2 GB of data.
fn write_friend_with(
    spec: &FriendSpec,
    max_bytes: u64,
    publish: fn(&Path, &Path, bool) -> Result<()>,
) -> Result<()> {
    let entries = check_spec(spec)?;
    let size = estimated_size(spec.columns);
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
    write_tmp(tmp.path(), spec)?;
    publish(tmp.path(), spec.path, spec.overwrite)?;
    tmp.disarm();
    Ok(())
}

/// Checks names and lengths; returns the entry count.
fn check_spec(spec: &FriendSpec) -> Result<u64> {
    check_name("friend tree", spec.tree)?;
    let Some(first) = spec.columns.first() else {
        return Err(Error::Usage(format!(
            "friend tree `{}` for {} has no columns; give at least one",
            spec.tree,
            spec.path.display()
        )));
    };
    for (i, c) in spec.columns.iter().enumerate() {
        check_name("friend column", &c.name)?;
        if let Some(j) = spec.columns[..i].iter().position(|d| d.name == c.name) {
            return Err(Error::Usage(format!(
                "friend column `{}` is given twice (columns {} and {}); branch names in a \
                 tree must be unique",
                c.name,
                j + 1,
                i + 1
            )));
        }
    }
    let entries = first.data.len() as u64;
    for c in spec.columns {
        let n = c.data.len() as u64;
        if let Some(expected) = spec.expected_entries {
            if n != expected {
                return Err(Error::Usage(format!(
                    "friend column `{}` has {n} entries but its tree has {expected}; a friend \
                     must have one entry per entry of its tree (writing `{}` to {})",
                    c.name,
                    spec.tree,
                    spec.path.display()
                )));
            }
        } else if n != entries {
            return Err(Error::Usage(format!(
                "friend column `{}` has {n} entries but column `{}` has {entries}; all \
                 columns of a friend tree must have the same length (writing `{}` to {})",
                c.name,
                first.name,
                spec.tree,
                spec.path.display()
            )));
        }
    }
    Ok(entries)
}

/// A valid ROOT branch (or tree) name: letters, digits and `_`, not starting with a
/// digit, at most [`MAX_NAME_LEN`] bytes.
fn check_name(what: &str, name: &str) -> Result<()> {
    let rule = "use letters, digits and `_`, not starting with a digit";
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_NAME_LEN {
        Some(format!(
            "it is {} bytes long, more than {MAX_NAME_LEN}",
            name.len()
        ))
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        Some("it starts with a digit".to_string())
    } else {
        name.chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(|c| format!("it contains {c:?}"))
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Error::Usage(format!(
            "{what} name `{name}` is not a valid ROOT branch name: {p}; {rule}"
        ))),
    }
}

/// Checks the output path before anything is written; returns its folder.
fn check_output(path: &Path, overwrite: bool) -> Result<PathBuf> {
    if path.to_str().is_none() {
        return Err(Error::Usage(format!(
            "output path {} is not valid UTF-8, which the ROOT writer needs; rename it",
            path.display()
        )));
    }
    if path.file_name().is_none() {
        return Err(Error::Usage(format!(
            "output path {} does not name a file; give one such as friend.root",
            path.display()
        )));
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::Io {
                path: folder,
                source: std::io::Error::other("is not a folder, so the output cannot go in it"),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Io {
                path: folder,
                source: std::io::Error::new(
                    e.kind(),
                    "the output's folder does not exist; create it or choose another output",
                ),
            })
        }
        Err(e) => {
            return Err(Error::Io {
                path: folder,
                source: e,
            })
        }
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::Usage(format!(
            "output {} is a folder; give a file name such as {}",
            path.display(),
            path.join("friend.root").display()
        ))),
        Ok(_) if !overwrite => Err(Error::OutputExists {
            path: path.to_path_buf(),
        }),
        Ok(_) => Ok(folder),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(folder),
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// The temporary output, removed on drop unless [`TempFile::disarm`]ed.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates `.<name>.rootgrad-tmp-<pid>-<n>` next to `output`, failing if the folder
    /// is not writable.
    fn create(folder: &Path, output: &Path) -> Result<TempFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = folder.join(format!(".{name}.rootgrad-tmp-{}-{n}", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(_) => {
                    return Ok(TempFile {
                        path: tmp,
                        armed: true,
                    })
                }
                // left over from a crashed run that had our pid; take the next number
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::Io {
                        path: folder.to_path_buf(),
                        source: std::io::Error::new(
                            e.kind(),
                            format!("cannot create the output in this folder: {e}"),
                        ),
                    })
                }
            }
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The file has been renamed to the output; nothing to remove.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: the error being returned matters more than a stray file.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Where oxyroot put the TTree record: (seek, bytes including the key header).
type TreeRecord = (u64, u64);

/// Writes the whole file at `tmp` with oxyroot, then checks and fixes it.
fn write_tmp(tmp: &Path, spec: &FriendSpec) -> Result<()> {
    // Errors name the output the user asked for; the temporary name is in the message
    // of format errors only, since it is gone by the time the user reads it.
    let to_error = |e: OxyFailure| match e {
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
    let record = guarded(|| run_oxyroot(tmp, spec)).map_err(to_error)?;
    let finish = || -> std::result::Result<(), OxyFailure> {
        let mut file = OpenOptions::new().read(true).write(true).open(tmp)?;
        check_complete(&mut file)?;
        fix_bool_titles(&mut file, record, spec)?;
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
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            Err(OxyFailure::Other(format!("oxyroot panicked: {what}")))
        }
    }
}

/// Why a step under oxyroot failed.
enum OxyFailure {
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
fn run_oxyroot(tmp: &Path, spec: &FriendSpec) -> std::result::Result<TreeRecord, OxyFailure> {
    // oxyroot takes the path as &str and would panic on non-UTF-8; check_output has
    // already refused those.
    let tmp = tmp
        .to_str()
        .ok_or_else(|| OxyFailure::Other("temporary path is not UTF-8".into()))?;
    let mut file = oxyroot::RootFile::create(tmp).map_err(oxyroot_failure)?;
    // The tree (and with it the receiving ends of the feeders) is dropped inside the
    // scope, so feeders of a failed write see a closed channel and stop before the join.
    let record = std::thread::scope(|s| {
        let mut tree = oxyroot::WriterTree::new(spec.tree);
        for c in spec.columns {
            let name = c.name.as_str();
            match &c.data {
                FriendData::F32(v) => tree.new_branch(name, feed(s, name, v)?),
                FriendData::F64(v) => tree.new_branch(name, feed(s, name, v)?),
                FriendData::I32(v) => tree.new_branch(name, feed(s, name, v)?),
                FriendData::I64(v) => tree.new_branch(name, feed(s, name, v)?),
                FriendData::Bool(v) => tree.new_branch(name, feed(s, name, v)?),
            }
        }
        tree.write(&mut file).map_err(oxyroot_failure)?;
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

/// Values per chunk a feeder hands to oxyroot (512 KiB of doubles).
const FEED_CHUNK: usize = 1 << 16;

/// A `'static` iterator over `values`, as oxyroot's `new_branch` needs, without copying
/// the whole column: a scoped thread sends it in [`FEED_CHUNK`]-value chunks through a
/// channel that holds at most two, so each column costs about 1.5 MB extra at a time.
/// oxyroot pulls one value per branch per entry, in turn, so every feeder keeps moving.
fn feed<'scope, 'env, T>(
    s: &'scope std::thread::Scope<'scope, 'env>,
    name: &str,
    values: &'env [T],
) -> std::result::Result<impl Iterator<Item = T> + 'static, OxyFailure>
where
    T: Copy + Send + Sync + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<T>>(2);
    std::thread::Builder::new()
        .name(format!("rootgrad-feed-{name}"))
        .spawn_scoped(s, move || {
            for chunk in values.chunks(FEED_CHUNK) {
                if tx.send(chunk.to_vec()).is_err() {
                    break; // the writer stopped early; its error is reported there
                }
            }
        })
        .map_err(|e| {
            OxyFailure::Other(format!(
                "cannot start a thread to feed column `{name}`: {e}"
            ))
        })?;
    Ok(rx.into_iter().flatten())
}

/// Checks the file header: the `root` magic, a small-file version, and `fEND` equal to
/// the file's length (so the last write reached the disk).
fn check_complete(file: &mut File) -> std::result::Result<(), OxyFailure> {
    let len = file.metadata()?.len();
    let mut head = [0u8; 16];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut head)?;
    let be = |i: usize| i32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let (version, end) = (be(4), be(12));
    if &head[..4] != b"root" || version >= 1_000_000 || end < 0 || end as u64 != len {
        return Err(OxyFailure::Other(format!(
            "the written file is incomplete (header says version {version}, {end} bytes; \
             the file has {len}); is the disk full?"
        )));
    }
    Ok(())
}

/// Makes each bool branch's title `name/O`, as ROOT writes it, where oxyroot 0.1.25
/// writes `name/B`.
///
/// oxyroot takes the title letter from `Marshaler::root_code`, which is `B` for `bool`
/// and cannot be overridden from outside the crate (its leaf factory matches on the
/// Rust type name, so a wrapper type is not possible either). The leaf it writes is
/// already right (`TLeafO`, title = name, 1 byte per value). oxyroot never compresses,
/// so the TTree record holds the branch's `TNamed` as plain ROOT strings: a length
/// byte, the name, a length byte, the title. We find that exact sequence in the record,
/// require it to be there once, and change `B` to `O`: same length, nothing else moves.
fn fix_bool_titles(
    file: &mut File,
    (seek, n_bytes): TreeRecord,
    spec: &FriendSpec,
) -> std::result::Result<(), OxyFailure> {
    let bools: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| matches!(c.data, FriendData::Bool(_)))
        .map(|c| c.name.as_str())
        .collect();
    if bools.is_empty() {
        return Ok(());
    }
    let mut record = vec![0u8; n_bytes as usize];
    file.seek(SeekFrom::Start(seek))?;
    file.read_exact(&mut record)?;
    for name in bools {
        // check_name keeps names to MAX_NAME_LEN (250), so both lengths fit in a byte
        let n = name.len();
        let mut pattern = Vec::with_capacity(2 * n + 4);
        pattern.push(n as u8);
        pattern.extend_from_slice(name.as_bytes());
        pattern.push((n + 2) as u8);
        pattern.extend_from_slice(name.as_bytes());
        pattern.extend_from_slice(b"/B");
        let hits: Vec<usize> = record
            .windows(pattern.len())
            .enumerate()
            .filter(|(_, w)| *w == pattern.as_slice())
            .map(|(i, _)| i)
            .collect();
        let [at] = hits[..] else {
            return Err(OxyFailure::Other(format!(
                "found the title `{name}/B` of bool branch `{name}` {} times in the TTree \
                 record, expected once; cannot correct it to `{name}/O` (has oxyroot changed \
                 its layout?)",
                hits.len()
            )));
        };
        file.seek(SeekFrom::Start(seek + (at + pattern.len() - 1) as u64))?;
        file.write_all(b"O")?;
    }
    Ok(())
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
mod tests {
    use super::*;
    use oxyroot::RootFile;

    /// A fresh folder under the system temp dir, removed when dropped.
    struct TestDir(PathBuf);

    impl TestDir {
        fn new(name: &str) -> TestDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "rootgrad-write-test-{}-{name}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TestDir(dir)
        }

        fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }

        /// Every file name in the folder, sorted (temporary files included).
        fn names(&self) -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn col(name: &str, data: FriendData) -> FriendColumn {
        FriendColumn {
            name: name.to_string(),
            data,
        }
    }

    /// One column of each type, n entries, values that are awkward for a writer:
    /// negatives, fractions, huge magnitudes, integers past 2^31.
    fn all_types(n: usize) -> Vec<FriendColumn> {
        vec![
            col(
                "score",
                FriendData::F32((0..n).map(|i| i as f32 * 0.25 - 7.5).collect()),
            ),
            col(
                "logit",
                FriendData::F64((0..n).map(|i| (i as f64 - 3.0) / 7.0 * 1e200).collect()),
            ),
            col(
                "fold",
                FriendData::I32((0..n).map(|i| i as i32 * 37 - 1000).collect()),
            ),
            col(
                "event",
                FriendData::I64((0..n).map(|i| (i as i64 - 5) * 4_294_967_311).collect()),
            ),
            col(
                "selected",
                FriendData::Bool((0..n).map(|i| i % 3 == 0).collect()),
            ),
        ]
    }

    fn spec<'a>(path: &'a Path, columns: &'a [FriendColumn]) -> FriendSpec<'a> {
        FriendSpec {
            path,
            tree: "rootgrad",
            columns,
            expected_entries: None,
            overwrite: false,
        }
    }

    fn usage(r: Result<()>) -> String {
        match r {
            Err(Error::Usage(msg)) => msg,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    /// Reads every column back with oxyroot's reader and compares bit for bit.
    fn assert_reads_back(path: &Path, tree: &str, columns: &[FriendColumn]) {
        let mut f = RootFile::open(path).unwrap();
        let t = f.get_tree(tree).unwrap();
        let n = columns[0].data.len();
        assert_eq!(t.entries(), n as i64);
        for c in columns {
            let b = t.branch(&c.name).unwrap();
            assert_eq!(b.entries(), n as i64, "{}", c.name);
            let got = match &c.data {
                FriendData::F32(_) => FriendData::F32(b.as_iter::<f32>().unwrap().collect()),
                FriendData::F64(_) => FriendData::F64(b.as_iter::<f64>().unwrap().collect()),
                FriendData::I32(_) => FriendData::I32(b.as_iter::<i32>().unwrap().collect()),
                FriendData::I64(_) => FriendData::I64(b.as_iter::<i64>().unwrap().collect()),
                FriendData::Bool(_) => FriendData::Bool(b.as_iter_unchecked::<bool>().collect()),
            };
            assert_eq!(got, c.data, "column {}", c.name);
        }
    }

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    #[test]
    fn writes_every_type_and_reads_back_bit_exact() {
        let dir = TestDir::new("types");
        let out = dir.join("friend.root");
        let columns = all_types(20_000);
        write_friend(&FriendSpec {
            expected_entries: Some(20_000),
            ..spec(&out, &columns)
        })
        .unwrap();
        assert_eq!(dir.names(), ["friend.root"], "no temporary file left");
        assert_reads_back(&out, "rootgrad", &columns);
    }

    #[test]
    fn bool_branch_title_is_name_slash_o_and_leaf_is_tleafo() {
        let dir = TestDir::new("bool");
        let out = dir.join("b.root");
        let columns = vec![
            col("flag", FriendData::Bool(vec![true, false, true])),
            col("x", FriendData::F32(vec![1.0, 2.0, 3.0])),
        ];
        write_friend(&spec(&out, &columns)).unwrap();
        let bytes = fs::read(&out).unwrap();
        // branch TNamed: "flag" then "flag/O"; leaf TNamed: "flag" then "flag"
        assert_eq!(count(&bytes, b"\x04flag\x06flag/O"), 1);
        assert_eq!(count(&bytes, b"\x04flag\x06flag/B"), 0);
        assert_eq!(count(&bytes, b"\x04flag\x04flag"), 1);
        // the class tag of the leaf in the TTree record (oxyroot writes no streamer info
        // for the leaf classes; ROOT and uproot have them built in)
        assert_eq!(count(&bytes, b"TLeafO"), 1);
        assert_eq!(count(&bytes, b"\x01x\x03x/F"), 1, "other titles untouched");
        assert_reads_back(&out, "rootgrad", &columns);
    }

    #[test]
    fn bool_fix_finds_its_branch_when_names_overlap() {
        let dir = TestDir::new("bool-overlap");
        let out = dir.join("b.root");
        let columns = vec![
            col("B", FriendData::Bool(vec![true])),
            col("B_B", FriendData::Bool(vec![false])),
            col("BB", FriendData::I32(vec![1])),
        ];
        write_friend(&spec(&out, &columns)).unwrap();
        let bytes = fs::read(&out).unwrap();
        assert_eq!(count(&bytes, b"\x01B\x03B/O"), 1);
        assert_eq!(count(&bytes, b"\x03B_B\x05B_B/O"), 1);
        assert_eq!(count(&bytes, b"\x02BB\x04BB/I"), 1);
    }

    #[test]
    fn zero_entries_write_an_empty_tree() {
        let dir = TestDir::new("empty");
        let out = dir.join("empty.root");
        let columns = all_types(0);
        write_friend(&FriendSpec {
            expected_entries: Some(0),
            ..spec(&out, &columns)
        })
        .unwrap();
        let mut f = RootFile::open(&out).unwrap();
        assert_eq!(f.get_tree("rootgrad").unwrap().entries(), 0);
    }

    #[test]
    fn basket_boundaries_read_back() {
        // 4095 doubles fill one basket exactly, leaving an empty last basket
        let dir = TestDir::new("baskets");
        for n in [4094, 4095, 4096, 8191, 32767, 32768] {
            let out = dir.join(&format!("n{n}.root"));
            let columns = all_types(n);
            write_friend(&spec(&out, &columns)).unwrap();
            assert_reads_back(&out, "rootgrad", &columns);
        }
    }

    #[test]
    fn estimated_size_bounds_the_real_size_closely() {
        let dir = TestDir::new("size");
        for n in [0, 1, 4095, 100_000, 1_000_003] {
            let out = dir.join(&format!("n{n}.root"));
            let columns = all_types(n);
            write_friend(&spec(&out, &columns)).unwrap();
            let real = fs::metadata(&out).unwrap().len();
            let est = estimated_size(&columns);
            assert!(est >= real, "n={n}: estimate {est} < real {real}");
            assert!(
                est <= real + real / 100 + 64 * 1024,
                "n={n}: estimate {est} too far above real {real}"
            );
        }
    }

    #[test]
    fn no_columns_is_refused() {
        let dir = TestDir::new("nocols");
        let out = dir.join("f.root");
        let msg = usage(write_friend(&spec(&out, &[])));
        assert!(msg.contains("no columns"), "{msg}");
        assert!(dir.names().is_empty());
    }

    #[test]
    fn bad_column_names_are_refused_naming_the_column() {
        let dir = TestDir::new("names");
        let out = dir.join("f.root");
        let long = "x".repeat(MAX_NAME_LEN + 1);
        for (name, why) in [
            ("", "empty"),
            ("1score", "starts with a digit"),
            ("score-2", "contains '-'"),
            ("s.core", "contains '.'"),
            ("sc ore", "contains ' '"),
            ("scöre", "contains 'ö'"),
            (long.as_str(), "bytes long"),
        ] {
            let columns = vec![col(name, FriendData::F32(vec![1.0]))];
            let msg = usage(write_friend(&spec(&out, &columns)));
            assert!(msg.contains(&format!("`{name}`")), "{msg}");
            assert!(msg.contains(why), "{name:?}: {msg}");
        }
        for good in ["_x", "Score2", "B_DTF_M", "x"] {
            let columns = vec![col(good, FriendData::F32(vec![1.0]))];
            let out = dir.join(&format!("{good}.root"));
            write_friend(&spec(&out, &columns)).unwrap();
        }
    }

    #[test]
    fn duplicate_columns_are_refused() {
        let dir = TestDir::new("dup");
        let out = dir.join("f.root");
        let columns = vec![
            col("score", FriendData::F32(vec![1.0])),
            col("w", FriendData::F64(vec![1.0])),
            col("score", FriendData::I32(vec![1])),
        ];
        let msg = usage(write_friend(&spec(&out, &columns)));
        assert!(
            msg.contains("`score`") && msg.contains("columns 1 and 3"),
            "{msg}"
        );
        assert!(dir.names().is_empty());
    }

    #[test]
    fn bad_tree_name_is_refused() {
        let dir = TestDir::new("tree");
        let out = dir.join("f.root");
        let columns = all_types(3);
        for tree in ["", "my tree", "9t", "dir/tree"] {
            let msg = usage(write_friend(&FriendSpec {
                tree,
                ..spec(&out, &columns)
            }));
            assert!(msg.contains("friend tree name") && msg.contains(&format!("`{tree}`")));
        }
        assert!(dir.names().is_empty());
    }

    #[test]
    fn unequal_lengths_are_refused() {
        let dir = TestDir::new("len");
        let out = dir.join("f.root");
        let columns = vec![
            col("a", FriendData::F32(vec![1.0; 4])),
            col("b", FriendData::Bool(vec![true; 5])),
        ];
        let msg = usage(write_friend(&spec(&out, &columns)));
        assert!(
            msg.contains("`b` has 5 entries") && msg.contains("`a` has 4"),
            "{msg}"
        );
        assert!(dir.names().is_empty());
    }

    #[test]
    fn length_must_match_the_source_tree() {
        let dir = TestDir::new("expected");
        let out = dir.join("f.root");
        let columns = vec![col("score", FriendData::F32(vec![0.5; 999]))];
        let msg = usage(write_friend(&FriendSpec {
            expected_entries: Some(1000),
            ..spec(&out, &columns)
        }));
        assert!(msg.contains("`score` has 999 entries"), "{msg}");
        assert!(msg.contains("has 1000"), "{msg}");
        assert!(msg.contains("one entry per entry"), "{msg}");
        assert!(dir.names().is_empty());
    }

    #[test]
    fn existing_output_is_kept_unless_overwrite() {
        let dir = TestDir::new("exists");
        let out = dir.join("f.root");
        fs::write(&out, b"precious").unwrap();
        let columns = all_types(10);
        match write_friend(&spec(&out, &columns)) {
            Err(Error::OutputExists { path }) => assert_eq!(path, out),
            other => panic!("expected OutputExists, got {other:?}"),
        }
        assert_eq!(fs::read(&out).unwrap(), b"precious");
        assert_eq!(dir.names(), ["f.root"]);

        write_friend(&FriendSpec {
            overwrite: true,
            ..spec(&out, &columns)
        })
        .unwrap();
        assert_reads_back(&out, "rootgrad", &columns);
        assert_eq!(dir.names(), ["f.root"]);
    }

    #[test]
    fn missing_folder_is_an_io_error_naming_it() {
        let dir = TestDir::new("nofolder");
        let folder = dir.join("not/there");
        let out = folder.join("f.root");
        let columns = all_types(1);
        match write_friend(&spec(&out, &columns)) {
            Err(e @ Error::Io { .. }) => {
                let Error::Io { path, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(path, &folder);
                assert!(e.to_string().contains("does not exist"), "{e}");
            }
            other => panic!("expected Io, got {other:?}"),
        }
        assert!(!folder.exists());
    }

    #[test]
    fn folder_as_output_is_refused() {
        let dir = TestDir::new("isdir");
        fs::create_dir(dir.join("out")).unwrap();
        let out = dir.join("out");
        let columns = all_types(1);
        for overwrite in [false, true] {
            let msg = usage(write_friend(&FriendSpec {
                overwrite,
                ..spec(&out, &columns)
            }));
            assert!(msg.contains("is a folder"), "{msg}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn read_only_folder_is_an_io_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TestDir::new("readonly");
        let folder = dir.join("ro");
        fs::create_dir(&folder).unwrap();
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).unwrap();
        let out = folder.join("f.root");
        let columns = all_types(1);
        let r = write_friend(&spec(&out, &columns));
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
        // root may write anywhere; then the write simply succeeds
        match r {
            Ok(()) => assert_reads_back(&out, "rootgrad", &columns),
            Err(Error::Io { path, .. }) => assert_eq!(path, folder),
            Err(e) => panic!("expected Io, got {e:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_path_is_refused() {
        use std::os::unix::ffi::OsStrExt;
        let dir = TestDir::new("utf8");
        let out = dir.0.join(std::ffi::OsStr::from_bytes(b"f\xff.root"));
        let columns = all_types(1);
        let msg = usage(write_friend(&spec(&out, &columns)));
        assert!(msg.contains("UTF-8"), "{msg}");
        assert!(dir.names().is_empty());
    }

    #[test]
    fn too_large_is_refused_before_writing() {
        let dir = TestDir::new("large");
        let out = dir.join("f.root");
        let columns = all_types(100_000);
        let limit = estimated_size(&columns) - 1;
        let msg = usage(write_friend_with(&spec(&out, &columns), limit, publish));
        assert!(msg.contains("32-bit"), "{msg}");
        assert!(msg.contains("split the input into several files"), "{msg}");
        assert!(dir.names().is_empty());
        // the real limit is oxyroot's kStartBigFile
        assert_eq!(MAX_FILE_BYTES, 2_000_000_000);
    }

    #[test]
    fn failure_after_writing_leaves_no_file() {
        fn failing_publish(_: &Path, path: &Path, _: bool) -> Result<()> {
            Err(Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("injected"),
            })
        }
        let dir = TestDir::new("fail");
        let out = dir.join("f.root");
        let columns = all_types(5000);
        let r = write_friend_with(&spec(&out, &columns), MAX_FILE_BYTES, failing_publish);
        assert!(matches!(r, Err(Error::Io { .. })));
        assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
    }

    #[test]
    fn feed_yields_every_value_in_order_and_stops_when_dropped() {
        let values: Vec<i64> = (0..(3 * FEED_CHUNK as i64 + 17)).collect();
        let (all, few) = std::thread::scope(|s| {
            let all: Vec<i64> = feed(s, "all", &values).ok().unwrap().collect();
            // a reader that stops early (a failed write) must not leave the feeder
            // blocked, or the scope would never end
            let few: Vec<i64> = feed(s, "few", &values).ok().unwrap().take(5).collect();
            (all, few)
        });
        assert_eq!(all, values);
        assert_eq!(few, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn panics_become_errors() {
        match guarded(|| -> std::result::Result<(), OxyFailure> { panic!("boom {}", 7) }) {
            Err(OxyFailure::Other(m)) => assert_eq!(m, "oxyroot panicked: boom 7"),
            _ => panic!("panic not caught"),
        }
        match guarded(|| -> std::result::Result<(), OxyFailure> { panic!("static") }) {
            Err(OxyFailure::Other(m)) => assert_eq!(m, "oxyroot panicked: static"),
            _ => panic!("panic not caught"),
        }
    }

    #[test]
    fn oxyroot_io_errors_become_io_errors() {
        #[derive(Debug)]
        #[allow(dead_code)]
        enum Fake {
            Io(std::io::Error),
        }
        let e = Fake::Io(std::io::Error::from_raw_os_error(28));
        match oxyroot_failure(e) {
            OxyFailure::Io(e) => assert_eq!(e.raw_os_error(), Some(28)),
            OxyFailure::Other(m) => panic!("not recognised: {m}"),
        }
        match oxyroot_failure("NameContainsSlash(\"a/b\")") {
            OxyFailure::Other(m) => assert!(m.contains("NameContainsSlash")),
            OxyFailure::Io(e) => panic!("misread as io: {e}"),
        }
    }

    #[test]
    fn type_names_and_lengths() {
        let c = all_types(7);
        let names: Vec<&str> = c.iter().map(|c| c.data.type_name()).collect();
        assert_eq!(names, ["float", "double", "int32_t", "int64_t", "bool"]);
        assert!(c.iter().all(|c| c.data.len() == 7 && !c.data.is_empty()));
        assert!(FriendData::Bool(vec![]).is_empty());
    }
}
