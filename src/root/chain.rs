//! Several files of one tree read as one (a chain), and friend trees joined to it by
//! entry number.
//!
//! A chain is made of TTrees or of RNTuples ([`super::rntuple`]), never both: the
//! members of one chain must read alike. A file holding one ntuple of either kind needs
//! no name.
//!
//! Files are named as users name them elsewhere: `file.root:tree`, `dir/*.root:Events`,
//! `file.root:dir/tree;2`. Globs expand in sorted order. A chain's entries are the files'
//! entries one after the other; a friend must have exactly as many entries as the chain
//! it joins, or it is refused.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::file::RootFile;
use super::interp::{Element, Shape, Value};
use super::provenance::{check_friend, FriendSource};
use super::read::{read_column, Column, Layout};
use super::rntuple::{self, list_ntuples, Ntuple};
use super::tree::Tree;
use crate::error::nearest_first;
use crate::{Error, Result};

/// A file pattern and the tree inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSpec {
    pub pattern: String,
    pub tree: Option<String>,
}

impl TreeSpec {
    /// Splits `file.root:tree` at the last `:` that follows `.root` (so Windows-style
    /// or URL-like paths with colons earlier still work). Without a tree part, the
    /// file's only tree is used.
    pub fn parse(s: &str) -> TreeSpec {
        if let Some(i) = s.rfind(".root:") {
            let (f, t) = s.split_at(i + 5);
            let t = &t[1..];
            return TreeSpec {
                pattern: f.to_string(),
                tree: if t.is_empty() {
                    None
                } else {
                    Some(t.to_string())
                },
            };
        }
        TreeSpec {
            pattern: s.to_string(),
            tree: None,
        }
    }

    /// The files the pattern names, in sorted order; a pattern matching nothing is an
    /// error.
    pub fn files(&self) -> Result<Vec<PathBuf>> {
        if let Some(i) = self.pattern.find("://") {
            let scheme = &self.pattern[..i];
            return Err(Error::Usage(format!(
                "`{}`: remote reading ({scheme}://) is not supported; copy the file first \
                 (`xrdcp {} .`) or, on lxplus, use its path under the /eos FUSE mount \
                 (e.g. /eos/cms/store/...)",
                self.pattern, self.pattern
            )));
        }
        let has_glob = self.pattern.contains(['*', '?', '[']);
        if !has_glob {
            return Ok(vec![PathBuf::from(&self.pattern)]);
        }
        let paths = glob::glob(&self.pattern)
            .map_err(|e| Error::Usage(format!("bad file pattern `{}`: {e}", self.pattern)))?;
        let mut out: Vec<PathBuf> = paths.filter_map(|p| p.ok()).collect();
        out.sort();
        if out.is_empty() {
            return Err(Error::Usage(format!("no file matches `{}`", self.pattern)));
        }
        Ok(out)
    }

    /// The input files the pattern names: [`TreeSpec::files`] less, for a glob, the
    /// friend files rootgrad wrote (recognised by their source record), so that
    /// rerunning a command on `probes_*.root` does not take `probes_0.rootgrad.root` as
    /// an input. Each file left out is named in a note on stderr.
    pub fn input_files(&self) -> Result<Vec<PathBuf>> {
        let files = self.files()?;
        if !self.pattern.contains(['*', '?', '[']) {
            return Ok(files);
        }
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let record = RootFile::open(&f)
                .ok()
                .and_then(|file| FriendSource::of_file(&file).ok().flatten());
            match record {
                Some(r) => eprintln!(
                    "note: leaving {} out of `{}`: it is a friend rootgrad wrote for {}",
                    f.display(),
                    self.pattern,
                    r.sources
                        .first()
                        .map(|s| format!("{}:{}", s.file, s.tree))
                        .unwrap_or_else(|| "no tree".into())
                ),
                None => out.push(f),
            }
        }
        if out.is_empty() {
            return Err(Error::Usage(format!(
                "`{}` matches only friend files rootgrad wrote, no input; name the input files",
                self.pattern
            )));
        }
        Ok(out)
    }
}

/// One ntuple of a file: a TTree or an RNTuple.
#[derive(Debug, Clone)]
pub enum Member {
    Tree(Tree),
    Ntuple(Ntuple),
}

/// Opens the TTree called `tree` in one file; without a name, the file must hold exactly
/// one TTree (an RNTuple is refused: use [`open_member`] to accept both).
pub fn open_tree(path: &Path, tree: Option<&str>) -> Result<Tree> {
    match open_member(path, tree)? {
        Member::Tree(t) => Ok(t),
        Member::Ntuple(n) => Err(Error::Usage(format!(
            "{}: `{}` is an RNTuple; this command reads TTrees only",
            path.display(),
            n.path
        ))),
    }
}

/// Opens the ntuple called `name` in one file, a TTree or an RNTuple by the class of
/// its key; without a name, the file must hold exactly one ntuple of either kind.
pub fn open_member(path: &Path, name: Option<&str>) -> Result<Member> {
    let file = Arc::new(RootFile::open(path)?);
    let (name, is_rntuple) = match name {
        Some(t) => {
            let key = file.key(t)?;
            (t.to_string(), rntuple::is_anchor_class(&key.class))
        }
        None => {
            let trees = list_trees(&file)?;
            let ntuples = list_ntuples(&file)?;
            let all: Vec<(String, bool)> = trees
                .into_iter()
                .map(|t| (t, false))
                .chain(ntuples.into_iter().map(|n| (n, true)))
                .collect();
            match all.len() {
                1 => all[0].clone(),
                0 => {
                    return Err(Error::Usage(format!(
                        "{}: the file holds no TTree and no RNTuple",
                        path.display()
                    )))
                }
                _ => {
                    let names: Vec<String> = all
                        .iter()
                        .map(|(n, r)| format!("{n} ({})", if *r { "RNTuple" } else { "TTree" }))
                        .collect();
                    return Err(Error::Usage(format!(
                        "{}: the file holds several ntuples; name one, as in `{}:{}` (ntuples: {})",
                        path.display(),
                        path.display(),
                        all[0].0,
                        names.join(", ")
                    )));
                }
            }
        }
    };
    if is_rntuple {
        Ntuple::open(file, &name).map(Member::Ntuple)
    } else {
        Tree::open(file, &name).map(Member::Tree)
    }
}

/// The paths of every TTree in a file (highest cycle of each name).
pub fn list_trees(file: &RootFile) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (path, key) in file.walk().map_err(|e| e.at(file.path()))? {
        if (key.class == "TTree" || key.class == "TNtuple" || key.class == "TNtupleD")
            && !out.contains(&path)
        {
            out.push(path);
        }
    }
    Ok(out)
}

/// Trees (or RNTuples) of several files read as one, with friends joined by entry
/// number. One of `trees` and `ntuples` is empty.
#[derive(Debug, Clone)]
pub struct Chain {
    pub trees: Vec<Tree>,
    pub ntuples: Vec<Ntuple>,
    /// First entry of each tree in the chain, plus the total at the end.
    pub starts: Vec<u64>,
    pub friends: Vec<Chain>,
}

/// Where one member of a chain is: file, ntuple path inside it, entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    pub file: PathBuf,
    pub path: String,
    pub entries: u64,
}

impl Chain {
    /// Opens every file of `spec` (a friend: every file its pattern matches).
    pub fn open(spec: &TreeSpec) -> Result<Chain> {
        Chain::open_files(spec, spec.files()?)
    }

    /// Opens the input files of `spec` ([`TreeSpec::input_files`]: a glob leaves out
    /// rootgrad's own friend files).
    pub fn open_inputs(spec: &TreeSpec) -> Result<Chain> {
        Chain::open_files(spec, spec.input_files()?)
    }

    fn open_files(spec: &TreeSpec, files: Vec<PathBuf>) -> Result<Chain> {
        let mut chain = Chain {
            trees: Vec::new(),
            ntuples: Vec::new(),
            starts: vec![0],
            friends: Vec::new(),
        };
        for f in &files {
            let before = chain.entries();
            match open_member(f, spec.tree.as_deref())? {
                Member::Tree(t) => {
                    chain.starts.push(before + t.entries);
                    chain.trees.push(t);
                }
                Member::Ntuple(n) => {
                    chain.starts.push(before + n.entries);
                    chain.ntuples.push(n);
                }
            }
            chain.refuse_mixed(f)?;
        }
        Ok(chain)
    }

    /// Appends the members of `other` (another pattern of the same sample).
    pub fn extend(&mut self, other: Chain) -> Result<()> {
        let file = other
            .members()
            .first()
            .map(|m| m.file.clone())
            .unwrap_or_default();
        for m in other.members() {
            let last = self.entries();
            self.starts.push(last + m.entries);
        }
        self.trees.extend(other.trees);
        self.ntuples.extend(other.ntuples);
        self.refuse_mixed(&file)
    }

    fn refuse_mixed(&self, file: &Path) -> Result<()> {
        if let (Some(t), Some(n)) = (self.trees.first(), self.ntuples.first()) {
            return Err(Error::Usage(format!(
                "{}: one sample mixes TTrees (`{}:{}`) and RNTuples (`{}:{}`); give each kind its own sample, or convert one (e.g. with ROOT's RNTupleImporter)",
                file.display(),
                t.file.path().display(),
                t.path,
                n.file.path().display(),
                n.path
            )));
        }
        Ok(())
    }

    /// File, path and entries of each member, in chain order.
    pub fn members(&self) -> Vec<MemberInfo> {
        let t = self.trees.iter().map(|t| MemberInfo {
            file: t.file.path().to_path_buf(),
            path: t.path.clone(),
            entries: t.entries,
        });
        let n = self.ntuples.iter().map(|n| MemberInfo {
            file: n.file.path().to_path_buf(),
            path: n.path.clone(),
            entries: n.entries,
        });
        t.chain(n).collect()
    }

    /// Total entries.
    pub fn entries(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Joins a friend; its entry count must equal this chain's, and a friend rootgrad
    /// wrote must have been written for this chain's trees ([`check_friend`]).
    pub fn add_friend(&mut self, friend: Chain) -> Result<()> {
        if friend.entries() != self.entries() {
            let name = |c: &Chain| {
                c.members()
                    .first()
                    .map(|m| format!("{}:{}", m.file.display(), m.path))
                    .unwrap_or_default()
            };
            return Err(Error::Usage(format!(
                "friend `{}` has {} entries but `{}` has {}; a friend must have one entry per entry of its tree",
                name(&friend),
                friend.entries(),
                name(self),
                self.entries()
            )));
        }
        check_friend(self, &friend)?;
        self.friends.push(friend);
        Ok(())
    }

    /// The chain entries at which a basket of branch `name` starts, in order, the ends of
    /// the trees included; empty when the chain's own trees do not have the branch (it
    /// comes from a friend). Readers that go chunk by chunk end their chunks here so that
    /// no basket is decompressed twice.
    pub fn basket_starts(&self, name: &str) -> Vec<u64> {
        let mut out = Vec::new();
        for (t, &start) in self.trees.iter().zip(&self.starts) {
            let Ok(b) = t.branch(name) else {
                return Vec::new();
            };
            out.extend(b.baskets.iter().map(|k| start + k.first));
            out.push(start + t.entries);
        }
        // An RNTuple's chunks are its clusters, the same for every field.
        for (n, &start) in self.ntuples.iter().zip(&self.starts) {
            if !n.leaves.iter().any(|l| l.name == name) {
                return Vec::new();
            }
            out.extend(n.cluster_starts().iter().map(|c| start + c));
        }
        out.dedup();
        out
    }

    /// Whether branch `name` read as f32 gives, bit for bit, its values read as f64 and
    /// rounded to f32: a scalar branch, in every tree of the chain (or of the first friend
    /// that has it, as [`Chain::read`] picks), of any type but a 64-bit integer (which
    /// `as f32` rounds once and `as f64 as f32` twice). RNTuple fields say no.
    pub fn exact_as_f32(&self, name: &str) -> bool {
        if !self.has(name) {
            return self
                .friends
                .iter()
                .find(|f| f.has_anywhere(name))
                .is_some_and(|f| f.exact_as_f32(name));
        }
        self.ntuples.is_empty()
            && self.trees.iter().all(|t| {
                t.branch(name).is_ok_and(|b| {
                    b.interpretation.as_ref().is_ok_and(|i| {
                        i.shape == Shape::Scalar
                            && !matches!(i.element, Element::I64 | Element::U64)
                    })
                })
            })
    }

    /// Every readable branch name, the chain's first, then the friends'.
    pub fn branch_names(&self) -> Vec<String> {
        let mut out: Vec<String> = match (self.trees.first(), self.ntuples.first()) {
            (Some(t), _) => t
                .branches
                .iter()
                .filter(|b| b.interpretation.is_ok())
                .map(|b| b.name.clone())
                .collect(),
            (None, Some(n)) => n.leaves.iter().map(|l| l.name.clone()).collect(),
            _ => Vec::new(),
        };
        for f in &self.friends {
            out.extend(f.branch_names());
        }
        out
    }

    fn has(&self, name: &str) -> bool {
        self.trees
            .first()
            .is_some_and(|t| t.branches.iter().any(|b| b.name == name))
            || self
                .ntuples
                .first()
                .is_some_and(|n| n.leaves.iter().any(|l| l.name == name))
    }

    /// Whether this chain or any friend, at any depth, has the branch.
    fn has_anywhere(&self, name: &str) -> bool {
        self.has(name) || self.friends.iter().any(|f| f.has_anywhere(name))
    }

    /// Reads `name` over `range` of the chain's entries, from the chain or, if it does
    /// not have it, from the first friend that does.
    pub fn read<T: Value>(&self, name: &str, range: Range<u64>) -> Result<Column<T>> {
        if !self.has(name) {
            if let Some(f) = self.friends.iter().find(|f| f.has_anywhere(name)) {
                return f.read(name, range);
            }
            let first = self.members().into_iter().next();
            let kind = if self.ntuples.is_empty() {
                "branch in tree"
            } else {
                "field in RNTuple"
            };
            return Err(Error::NotFound {
                path: first.as_ref().map(|m| m.file.clone()).unwrap_or_default(),
                what: format!(
                    "{kind} `{}`",
                    first.as_ref().map(|m| m.path.as_str()).unwrap_or("?")
                ),
                name: name.to_string(),
                available: nearest_first(name, self.branch_names()),
            });
        }
        let stop = range.end.min(self.entries());
        let start = range.start.min(stop);
        let members = self.members();
        let read_one = |i: usize, r: Range<u64>| -> Result<Column<T>> {
            match self.trees.get(i) {
                Some(t) => read_column::<T>(t, name, r),
                None => rntuple::read_column::<T>(&self.ntuples[i - self.trees.len()], name, r),
            }
        };
        let mut out: Option<Column<T>> = None;
        for (i, m) in members.iter().enumerate() {
            let (a, z) = (self.starts[i], self.starts[i + 1]);
            if z <= start || a >= stop {
                continue;
            }
            let part = read_one(i, start.max(a) - a..stop.min(z) - a)?;
            out = Some(match out {
                None => part,
                Some(mut acc) => {
                    append(&mut acc, part).map_err(|msg| Error::Root {
                        path: m.file.clone(),
                        msg: format!("branch `{name}`: {msg}"),
                    })?;
                    acc
                }
            });
        }
        match out {
            Some(c) => Ok(c),
            // An empty range: read nothing from the first member for the layout.
            None if !members.is_empty() => read_one(0, 0..0),
            None => Err(Error::Usage("empty chain".into())),
        }
    }
}

fn append<T: Copy>(acc: &mut Column<T>, part: Column<T>) -> std::result::Result<(), String> {
    match (&mut acc.layout, part.layout) {
        (Layout::Flat { width: a }, Layout::Flat { width: b }) if *a == b => {}
        (Layout::Jagged { offsets }, Layout::Jagged { offsets: more }) => {
            let base = offsets.last().copied().unwrap_or(0);
            offsets.extend(more.iter().skip(1).map(|o| o + base));
        }
        (
            Layout::Nested { lists, offsets },
            Layout::Nested {
                lists: more_lists,
                offsets: more,
            },
        ) => {
            let base = lists.last().copied().unwrap_or(0);
            lists.extend(more_lists.iter().skip(1).map(|o| o + base));
            let base = offsets.last().copied().unwrap_or(0);
            offsets.extend(more.iter().skip(1).map(|o| o + base));
        }
        _ => return Err("the files of the chain give it different shapes".into()),
    }
    acc.values.extend_from_slice(&part.values);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_splits_after_root_suffix() {
        let s = TreeSpec::parse("data/a*.root:dir/Events;2");
        assert_eq!(s.pattern, "data/a*.root");
        assert_eq!(s.tree.as_deref(), Some("dir/Events;2"));
        assert_eq!(TreeSpec::parse("x.root").tree, None);
    }
}
