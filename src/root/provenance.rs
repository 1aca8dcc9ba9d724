//! Where a friend's entries come from: the record every friend rootgrad writes, and the
//! check made when a friend is attached.
//!
//! The record ([`FriendSource`]) is format-neutral: it names the source trees (a TTree
//! or an RNTuple) by file, name, entry count and identity, and travels as one line of
//! JSON ([`FriendSource::to_text`]). A TTree friend file stores it as a `TNamed` called
//! [`SOURCE_KEY`] whose title is that text (ROOT: `f.Get("rootgrad_source")->GetTitle()`;
//! uproot: `f["rootgrad_source"].member("fTitle")`); the key's title in the directory
//! holds the same text, so it is read without reading the object.
//!
//! Identity: the source file's UUID ([`RootFile::uuid`]) when it has one, and always a
//! fingerprint of the tree's layout ([`fingerprint`]: the entry count and every basket's
//! seek, size and first entry, hashed), which a copy of the file keeps and a rewritten
//! or different file does not.

use serde::{Deserialize, Serialize};

use super::chain::Chain;
use super::file::RootFile;
use super::tree::Tree;
use crate::{Error, Result};

/// The name of the key that holds the record in a friend file.
pub const SOURCE_KEY: &str = "rootgrad_source";
/// What the record's `format` says, so other JSON is never taken for one.
const FORMAT: &str = "rootgrad friend source 1";

/// One source tree (or ntuple) of a friend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTree {
    /// The source file's name (without its folder: the same record whether the file was
    /// named by a relative or an absolute path, or read from a copy elsewhere; the
    /// identity is in `uuid` and `fingerprint`).
    pub file: String,
    /// The tree's path in the file (or the ntuple's name).
    pub tree: String,
    pub entries: u64,
    /// The file's UUID (`TUUID::AsString`), when it records one.
    pub uuid: Option<String>,
    /// [`fingerprint`] of the tree (or of the ntuple's pages).
    pub fingerprint: String,
}

/// The record of a friend: its source trees, in entry order (the friend's entries are
/// theirs one after the other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendSource {
    pub format: String,
    pub sources: Vec<SourceTree>,
}

impl SourceTree {
    /// The record of one TTree.
    pub fn of_tree(t: &Tree) -> SourceTree {
        SourceTree {
            file: t
                .file
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| t.file.path().display().to_string()),
            tree: t.path.clone(),
            entries: t.entries,
            uuid: t.file.uuid(),
            fingerprint: fingerprint(t),
        }
    }

    /// Whether `t` is this source: same entries, and the same UUID when both have one,
    /// else the same fingerprint.
    pub fn is(&self, t: &Tree) -> bool {
        if self.entries != t.entries {
            return false;
        }
        match (&self.uuid, t.file.uuid()) {
            (Some(a), Some(b)) => *a == b && self.fingerprint == fingerprint(t),
            _ => self.fingerprint == fingerprint(t),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{}:{} ({} entries{})",
            self.file,
            self.tree,
            self.entries,
            self.uuid
                .as_ref()
                .map(|u| format!(", UUID {u}"))
                .unwrap_or_default()
        )
    }
}

impl FriendSource {
    /// The record of every tree of `chain`, in order.
    pub fn of_chain(chain: &Chain) -> FriendSource {
        FriendSource {
            format: FORMAT.into(),
            sources: chain.trees.iter().map(SourceTree::of_tree).collect(),
        }
    }

    /// The record of the trees of `chain` whose entries lie in `range` (a friend written
    /// for part of a chain, one file of it or several).
    pub fn of_range(chain: &Chain, range: std::ops::Range<u64>) -> FriendSource {
        let sources = chain
            .trees
            .iter()
            .zip(&chain.starts)
            .filter(|(t, &s)| {
                let inside = s >= range.start && s + t.entries <= range.end;
                // an empty tree at the range's end belongs to the next range
                inside && !(t.entries == 0 && s == range.end && range.start < range.end)
            })
            .map(|(t, _)| SourceTree::of_tree(t))
            .collect();
        FriendSource {
            format: FORMAT.into(),
            sources,
        }
    }

    /// The record as one line of JSON.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a record written by [`FriendSource::to_text`].
    pub fn from_text(s: &str) -> std::result::Result<FriendSource, String> {
        let r: FriendSource = serde_json::from_str(s).map_err(|e| e.to_string())?;
        if r.format != FORMAT {
            return Err(format!("unknown record format `{}`", r.format));
        }
        Ok(r)
    }

    /// The record a file carries: `None` for a file rootgrad did not write as a friend.
    pub fn of_file(file: &RootFile) -> Result<Option<FriendSource>> {
        let Some(key) = file
            .keys()
            .iter()
            .find(|k| k.name == SOURCE_KEY && k.class == "TNamed")
        else {
            return Ok(None);
        };
        FriendSource::from_text(&key.title)
            .map(Some)
            .map_err(|e| Error::Root {
                path: file.path().to_path_buf(),
                msg: format!("the friend-source record `{SOURCE_KEY}` cannot be read: {e}"),
            })
    }
}

/// A hash of a tree's layout: entries, and each branch's name and baskets (seek, bytes,
/// first entry), as 16 hex digits (xxh64).
pub fn fingerprint(t: &Tree) -> String {
    let mut h = xxhash_rust::xxh64::Xxh64::new(0);
    h.update(&t.entries.to_le_bytes());
    for b in &t.branches {
        h.update(b.name.as_bytes());
        h.update(&[0]);
        for k in &b.baskets {
            h.update(&k.seek.to_le_bytes());
            h.update(&k.bytes.to_le_bytes());
            h.update(&k.first.to_le_bytes());
        }
        h.update(&(b.embedded.len() as u64).to_le_bytes());
    }
    format!("{:016x}", h.digest())
}

/// Refuses `friend` for `chain` when the friend's files carry records that name other
/// trees. Friends without records (not written by rootgrad) are not checked here.
pub fn check_friend(chain: &Chain, friend: &Chain) -> Result<()> {
    let mut sources = Vec::new();
    for t in &friend.trees {
        match FriendSource::of_file(&t.file)? {
            Some(r) => sources.extend(r.sources),
            None => return Ok(()),
        }
    }
    let name = |c: &Chain| {
        let first = c
            .trees
            .first()
            .map(|t| format!("{}:{}", t.file.path().display(), t.path))
            .unwrap_or_default();
        match c.trees.len() {
            1 => first,
            n => format!("{first} and {} more file(s)", n - 1),
        }
    };
    let fits = sources.len() == chain.trees.len()
        && sources.iter().zip(&chain.trees).all(|(s, t)| s.is(t));
    if fits {
        return Ok(());
    }
    let made_for = sources
        .iter()
        .map(SourceTree::describe)
        .collect::<Vec<_>>()
        .join(", ");
    let attached_to = chain
        .trees
        .iter()
        .map(|t| SourceTree::of_tree(t).describe())
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::Usage(format!(
        "friend `{}` was written for {made_for}, not for {attached_to} (`{}`); attach it to \
         the sample it was made from (`--friend NAME=FILE:TREE`), or rerun `apply` on this \
         input to make its own friend",
        name(friend),
        name(chain),
    )))
}
