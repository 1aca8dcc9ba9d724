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
//! An RNTuple friend file stores the same `TNamed` beside its anchor, so the record is
//! read the same way whichever format the friend (or its source) has.
//!
//! Identity: the source file's UUID ([`RootFile::uuid`]) when it has one, and always a
//! fingerprint of the tree's layout ([`fingerprint`]: the entry count and every basket's
//! seek, size and first entry, hashed; for an RNTuple [`ntuple_fingerprint`], every
//! page's place and element count), which a copy of the file keeps and a rewritten or
//! different file does not.

use serde::{Deserialize, Serialize};

use super::chain::Chain;
use super::file::RootFile;
use super::rntuple::Ntuple;
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

    /// The record of one RNTuple.
    pub fn of_ntuple(n: &Ntuple) -> SourceTree {
        SourceTree {
            file: n
                .file
                .path()
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| n.file.path().display().to_string()),
            tree: n.path.clone(),
            entries: n.entries,
            uuid: n.file.uuid(),
            fingerprint: ntuple_fingerprint(n),
        }
    }

    /// Whether `t` is this source: same entries, and the same UUID when both have one,
    /// else the same fingerprint.
    pub fn is(&self, t: &Tree) -> bool {
        self.entries == t.entries && self.same_as(&SourceTree::of_tree(t))
    }

    /// Whether `other` (the record of a tree or ntuple as it is now) is this source:
    /// same entries and fingerprint, and the same UUID when both have one.
    pub fn same_as(&self, other: &SourceTree) -> bool {
        if self.entries != other.entries || self.fingerprint != other.fingerprint {
            return false;
        }
        match (&self.uuid, &other.uuid) {
            (Some(a), Some(b)) => a == b,
            _ => true,
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
    /// The record of every tree (or RNTuple) of `chain`, in order.
    pub fn of_chain(chain: &Chain) -> FriendSource {
        FriendSource {
            format: FORMAT.into(),
            sources: members(chain),
        }
    }

    /// The record of the trees of `chain` whose entries lie in `range` (a friend written
    /// for part of a chain, one file of it or several).
    pub fn of_range(chain: &Chain, range: std::ops::Range<u64>) -> FriendSource {
        let sources = members(chain)
            .into_iter()
            .zip(&chain.starts)
            .filter(|(t, &s)| {
                let inside = s >= range.start && s + t.entries <= range.end;
                // an empty tree at the range's end belongs to the next range
                inside && !(t.entries == 0 && s == range.end && range.start < range.end)
            })
            .map(|(t, _)| t)
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

/// The records of the members of `chain` (its trees or its RNTuples), in chain order.
fn members(chain: &Chain) -> Vec<SourceTree> {
    let trees = chain.trees.iter().map(SourceTree::of_tree);
    trees
        .chain(chain.ntuples.iter().map(SourceTree::of_ntuple))
        .collect()
}

/// The files of the members of `chain`, in chain order.
fn member_files(chain: &Chain) -> Vec<&RootFile> {
    let trees = chain.trees.iter().map(|t| &*t.file);
    trees
        .chain(chain.ntuples.iter().map(|n| &*n.file))
        .collect()
}

/// A hash of an RNTuple's layout: entries, each field's name, and every cluster's
/// entries and every page's element count, offset and size, as 16 hex digits (xxh64).
pub fn ntuple_fingerprint(n: &Ntuple) -> String {
    let mut h = xxhash_rust::xxh64::Xxh64::new(0);
    h.update(&n.entries.to_le_bytes());
    for f in &n.schema.fields {
        h.update(f.name.as_bytes());
        h.update(&[0]);
    }
    for c in &n.clusters {
        h.update(&c.first.to_le_bytes());
        h.update(&c.entries.to_le_bytes());
        for r in &c.columns {
            for p in &r.pages {
                h.update(&p.elements.to_le_bytes());
                h.update(&p.at.offset.to_le_bytes());
                h.update(&p.at.size.to_le_bytes());
            }
        }
    }
    format!("{:016x}", h.digest())
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
    for file in member_files(friend) {
        match FriendSource::of_file(file)? {
            Some(r) => sources.extend(r.sources),
            None => return Ok(()),
        }
    }
    let name = |c: &Chain| {
        let all = c.members();
        let first = all
            .first()
            .map(|m| format!("{}:{}", m.file.display(), m.path))
            .unwrap_or_default();
        match all.len() {
            1 => first,
            n => format!("{first} and {} more file(s)", n - 1),
        }
    };
    let now = members(chain);
    let fits = sources.len() == now.len() && sources.iter().zip(&now).all(|(s, t)| s.same_as(t));
    if fits {
        return Ok(());
    }
    let made_for = sources
        .iter()
        .map(SourceTree::describe)
        .collect::<Vec<_>>()
        .join(", ");
    let attached_to = now
        .iter()
        .map(SourceTree::describe)
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
