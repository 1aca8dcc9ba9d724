//! `rootgrad inspect`: the trees of a file, and for each its entries and branches with
//! C++ type, interpretation, and compressed and uncompressed bytes.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::cli::InspectArgs;
use crate::root::chain::list_trees;
use crate::root::interp::Shape;
use crate::root::tree::BranchInfo;
use crate::root::{RootFile, Tree, TreeSpec};
use crate::{Error, Result};

#[derive(Serialize)]
struct FileReport {
    file: String,
    root_version: String,
    bytes: u64,
    /// The file was not closed; its keys were recovered by scanning, as ROOT does.
    not_closed: bool,
    trees: Vec<TreeReport>,
}

#[derive(Serialize)]
struct TreeReport {
    path: String,
    title: String,
    entries: u64,
    branches: Vec<BranchReport>,
    /// Friends recorded with the tree (TTree::AddFriend before it was written).
    friends: Vec<FriendReport>,
}

/// A TFriendElement: alias, file name as recorded, tree name.
#[derive(Serialize)]
struct FriendReport {
    alias: String,
    file: String,
    tree: String,
}

#[derive(Serialize)]
struct BranchReport {
    name: String,
    cpp_type: String,
    /// The interpretation, or why the branch cannot be read as numbers.
    interpretation: String,
    readable: bool,
    baskets: usize,
    compressed_bytes: u64,
    uncompressed_bytes: u64,
}

/// The C++ type of a branch as ROOT users write it (`float`, `int32_t[3]`,
/// `float[]`, `std::vector<double>`); the leaf class when not a number.
pub fn cpp_type(b: &BranchInfo) -> String {
    match &b.interpretation {
        Ok(i) => {
            let t = i.element.cpp_name();
            match i.shape {
                Shape::Scalar => t.to_string(),
                Shape::Fixed(n) => format!("{t}[{n}]"),
                Shape::Jagged { .. } if i.vector => format!("std::vector<{t}>"),
                Shape::Jagged { inner, .. } if inner > 1 => format!("{t}[][{inner}]"),
                Shape::Jagged { .. } => format!("{t}[]"),
            }
        }
        Err(_) => b
            .element
            .as_ref()
            .map(|e| e.class_name.clone())
            .filter(|c| !c.is_empty())
            .or_else(|| b.leaves.first().map(|l| l.class.clone()))
            .unwrap_or_else(|| b.class.clone()),
    }
}

fn report_tree(t: &Tree) -> TreeReport {
    TreeReport {
        path: t.path.clone(),
        title: t.title.clone(),
        entries: t.entries,
        friends: t
            .friends
            .iter()
            .map(|f| FriendReport {
                alias: f.alias.clone(),
                file: f.file.clone(),
                tree: f.tree.clone(),
            })
            .collect(),
        branches: t
            .branches
            .iter()
            .map(|b| BranchReport {
                name: b.name.clone(),
                cpp_type: cpp_type(b),
                interpretation: match &b.interpretation {
                    Ok(i) => i.name(),
                    Err(why) => format!("not read: {why}"),
                },
                readable: b.interpretation.is_ok(),
                baskets: b.baskets.len() + b.embedded.len(),
                compressed_bytes: if b.leaf_list_of.is_some() {
                    0
                } else {
                    b.zip_bytes
                },
                uncompressed_bytes: if b.leaf_list_of.is_some() {
                    0
                } else {
                    b.tot_bytes
                },
            })
            .collect(),
    }
}

/// The friends a tree was written with, and how to read them with rootgrad (which
/// joins only the friends it is given).
fn write_friends(out: &mut dyn Write, f: &FileReport, t: &TreeReport) -> std::io::Result<()> {
    for fr in &t.friends {
        let file = if fr.file.is_empty() {
            f.file.clone()
        } else {
            // ROOT looks for a relative name from the current folder first, then next
            // to the tree's file; rootgrad suggests the latter.
            let dir = Path::new(&f.file).parent().unwrap_or(Path::new(""));
            dir.join(&fr.file).display().to_string()
        };
        writeln!(
            out,
            "    friend `{}`: tree `{}` in `{}` (recorded with the tree; rootgrad reads it \
             when named: `friends = [\"{file}:{}\"]` in a sample, `--friend {file}:{}` for apply)",
            fr.alias, fr.tree, fr.file, fr.tree, fr.tree
        )?;
    }
    Ok(())
}

/// Runs `inspect` on `target` (`file.root` or `file.root:tree`).
pub fn run(o: &InspectArgs, out: &mut dyn Write) -> Result<()> {
    let (target, json) = (o.target.as_str(), o.json);
    let spec = TreeSpec::parse(target);
    let mut reports = Vec::new();
    for path in spec.files()? {
        let file = Arc::new(RootFile::open(&path)?);
        let names = match &spec.tree {
            Some(t) => vec![t.clone()],
            None => list_trees(&file)?,
        };
        let trees = names
            .iter()
            .map(|n| Tree::open(file.clone(), n).map(|t| report_tree(&t)))
            .collect::<Result<Vec<_>>>()?;
        reports.push(FileReport {
            file: path.display().to_string(),
            root_version: file.root_version(),
            bytes: file.len(),
            not_closed: file.recovered,
            trees,
        });
    }
    let io = |source| Error::Io {
        path: Path::new("<stdout>").into(),
        source,
    };
    if json {
        serde_json::to_writer_pretty(&mut *out, &reports).map_err(|e| io(e.into()))?;
        writeln!(out).map_err(io)?;
        return Ok(());
    }
    for f in &reports {
        writeln!(
            out,
            "{} (ROOT {}, {} bytes)",
            f.file, f.root_version, f.bytes
        )
        .map_err(io)?;
        if f.not_closed {
            writeln!(
                out,
                "  not closed (its job ended before TFile::Close): keys recovered by \
                 scanning the file, as ROOT does; entries after the last AutoSave are lost"
            )
            .map_err(io)?;
        }
        if f.trees.is_empty() {
            writeln!(out, "  no TTree in this file").map_err(io)?;
        }
        for t in &f.trees {
            writeln!(
                out,
                "  tree {} \"{}\": {} entries, {} branches",
                t.path,
                t.title,
                t.entries,
                t.branches.len()
            )
            .map_err(io)?;
            write_friends(out, f, t).map_err(io)?;
            let w = t
                .branches
                .iter()
                .map(|b| b.name.len())
                .max()
                .unwrap_or(4)
                .clamp("branch".len(), 40);
            let wt = t
                .branches
                .iter()
                .map(|b| b.cpp_type.len())
                .max()
                .unwrap_or(4)
                .clamp("type".len(), 28);
            writeln!(
                out,
                "    {:w$}  {:wt$}  {:>12}  {:>12}  {:>7}  interpretation",
                "branch", "type", "compressed", "uncompressed", "baskets"
            )
            .map_err(io)?;
            for b in &t.branches {
                writeln!(
                    out,
                    "    {:w$}  {:wt$}  {:>12}  {:>12}  {:>7}  {}",
                    b.name,
                    b.cpp_type,
                    b.compressed_bytes,
                    b.uncompressed_bytes,
                    b.baskets,
                    b.interpretation
                )
                .map_err(io)?;
            }
        }
    }
    Ok(())
}
