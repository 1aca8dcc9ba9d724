//! RNTuple, ROOT's columnar successor of TTree (binary format 1.0, ROOT 6.34 and
//! later), read from its specification (`tree/ntuple/doc/BinaryFormatSpecification.md`
//! in ROOT's repository).
//!
//! Reading is the same named sequence as for a TTree: the anchor (the `ROOT::RNTuple`
//! key) points to the header and footer envelopes ([`envelope`]); the header lists
//! fields and columns, the footer the cluster groups, whose page lists say where each
//! column's pages are in each cluster ([`meta`]); the fields become readable numeric
//! leaves ([`schema`]); a leaf is read cluster by cluster, page by page: checksum,
//! decompress, decode ([`columns`], [`read`]). A chunk of a chain is a cluster.

pub mod columns;
pub mod envelope;
pub mod meta;
mod nested;
pub mod read;
pub mod schema;
mod wenv;
pub mod write;

use std::sync::Arc;

use super::file::{Key, RootFile};
use super::Res;
use crate::error::nearest_first;
use crate::{Error, Result};

pub use meta::{Cluster, ColumnDesc, FieldDesc, Schema};
pub use read::read_column;
pub use schema::Leaf;

/// The class names of an RNTuple anchor key (the second before ROOT 6.34).
pub fn is_anchor_class(class: &str) -> bool {
    class == "ROOT::RNTuple" || class == "ROOT::Experimental::RNTuple"
}

/// An RNTuple's metadata, ready to read.
#[derive(Debug, Clone)]
pub struct Ntuple {
    pub file: Arc<RootFile>,
    /// Path of the anchor key inside the file (`dir/Events`).
    pub path: String,
    pub entries: u64,
    pub anchor: envelope::Anchor,
    pub schema: Schema,
    /// Clusters in entry order, covering `0..entries`.
    pub clusters: Vec<Cluster>,
    pub leaves: Vec<Leaf>,
    /// Fields that are not read, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Ntuple {
    /// Reads the RNTuple at `path` in `file`.
    pub fn open(file: Arc<RootFile>, path: &str) -> Result<Ntuple> {
        let key = file.key(path)?;
        if !is_anchor_class(&key.class) {
            return Err(Error::Usage(format!(
                "{}: `{path}` is a {}, not an RNTuple",
                file.path().display(),
                key.class
            )));
        }
        if key.class != "ROOT::RNTuple" {
            return Err(Error::Root {
                path: file.path().to_path_buf(),
                msg: format!(
                    "RNTuple `{path}` was written by a pre-release RNTuple (ROOT::Experimental, before ROOT 6.34), whose format is not read; rewrite it with ROOT 6.34 or later"
                ),
            });
        }
        Ntuple::from_key(file.clone(), path, &key)
            .map_err(|e| e.context(format!("RNTuple `{path}`")).at(file.path()))
    }

    fn from_key(file: Arc<RootFile>, path: &str, key: &Key) -> Res<Ntuple> {
        let anchor = envelope::read_anchor(&file, key)?;
        let (mut schema, hsum) = meta::read_header(&file, &anchor)?;
        let groups = meta::read_footer(&file, &anchor, &mut schema, hsum)?;
        let mut clusters = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            let part = meta::read_page_list(&file, g, hsum, schema.columns.len())
                .map_err(|e| e.context(format!("cluster group {i}")))?;
            if part.len() != g.clusters as usize {
                return Err(super::Fault::new(format!(
                    "cluster group {i} announces {} clusters, its page list has {}",
                    g.clusters,
                    part.len()
                )));
            }
            clusters.extend(part);
        }
        clusters.sort_by_key(|c| c.first);
        let mut entries = 0u64;
        for (i, c) in clusters.iter().enumerate() {
            if c.first != entries {
                return Err(super::Fault::new(format!(
                    "cluster {i} starts at entry {} but the clusters before it end at {entries} (corrupt page list)",
                    c.first
                )));
            }
            entries = entries.checked_add(c.entries).ok_or_else(|| {
                super::Fault::new(format!("cluster {i}: impossible entry count {}", c.entries))
            })?;
        }
        let (leaves, skipped) = schema::leaves(&schema);
        Ok(Ntuple {
            file,
            path: path.to_string(),
            entries,
            anchor,
            schema,
            clusters,
            leaves,
            skipped,
        })
    }

    /// The ntuple's name (from its header).
    pub fn name(&self) -> &str {
        &self.schema.name
    }

    /// The leaf called `name`; a name that is not read says why, one that does not
    /// exist lists those that do, nearest first.
    pub fn leaf(&self, name: &str) -> Result<&Leaf> {
        if let Some(l) = self.leaves.iter().find(|l| l.name == name) {
            return Ok(l);
        }
        if let Some((_, why)) = self.skipped.iter().find(|(n, _)| n == name) {
            return Err(Error::Root {
                path: self.file.path().to_path_buf(),
                msg: format!(
                    "RNTuple `{}`, field `{name}` cannot be read as numbers: {why}",
                    self.path
                ),
            });
        }
        Err(Error::NotFound {
            path: self.file.path().to_path_buf(),
            what: format!("field in RNTuple `{}`", self.path),
            name: name.to_string(),
            available: nearest_first(name, self.leaves.iter().map(|l| l.name.clone())),
        })
    }

    /// The first entry of every cluster, then the total.
    pub fn cluster_starts(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.clusters.iter().map(|c| c.first).collect();
        v.push(self.entries);
        v.dedup();
        v
    }

    /// Bytes stored and uncompressed for the columns of a leaf (for `inspect`).
    pub fn leaf_bytes(&self, leaf: &Leaf) -> (u64, u64) {
        let cols = schema::columns_of(&self.schema, leaf.field);
        let (mut zipped, mut total) = (0u64, 0u64);
        for c in &self.clusters {
            for &id in &cols {
                let Some(r) = c.columns.get(id as usize) else {
                    continue;
                };
                let bits = columns::Kind::of(&self.schema.columns[id as usize])
                    .map(|k| k.bits as u64)
                    .unwrap_or(0);
                for p in &r.pages {
                    zipped += p.at.size;
                    total += (p.elements as u64 * bits).div_ceil(8);
                }
            }
        }
        (zipped, total)
    }

    /// A readable description of a leaf's column types (`SplitReal32`, or several
    /// representations joined by `|`).
    pub fn leaf_columns(&self, leaf: &Leaf) -> String {
        schema::columns_of(&self.schema, leaf.field)
            .iter()
            .map(|&c| {
                let d = &self.schema.columns[c as usize];
                match d.kind {
                    0x1C | 0x1D => format!("{}({})", columns::kind_name(d.kind), d.bits),
                    k => columns::kind_name(k).to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// The paths of every RNTuple in a file (highest cycle of each name).
pub fn list_ntuples(file: &RootFile) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (path, key) in file.walk().map_err(|e| e.at(file.path()))? {
        if is_anchor_class(&key.class) && !out.contains(&path) {
            out.push(path);
        }
    }
    Ok(out)
}
