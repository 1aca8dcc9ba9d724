//! `rootgrad inspect`: the trees of a file, and for each its entries and branches with
//! C++ type, interpretation, and compressed and uncompressed bytes; its RNTuples, with
//! their clusters and, per field, type, column types (encodings) and bytes. Given a
//! model file (or a run folder), its inputs, folds, whether it is complete (an
//! interrupted k-fold training is not, and `train --resume` completes it) and each
//! model's numbers.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::cli::InspectArgs;
use crate::root::chain::list_trees;
use crate::root::interp::Shape;
use crate::root::rntuple::{is_anchor_class, list_ntuples, Ntuple};
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
    ntuples: Vec<NtupleReport>,
}

#[derive(Serialize)]
struct NtupleReport {
    path: String,
    entries: u64,
    /// ROOT release (or program) that wrote it, and the format version.
    writer: String,
    format: String,
    /// First entry of each cluster.
    clusters: Vec<u64>,
    fields: Vec<FieldReport>,
}

#[derive(Serialize)]
struct FieldReport {
    name: String,
    cpp_type: String,
    /// Column types, one per representation (`SplitReal32|Real16`), or why the field
    /// is not read.
    columns: String,
    readable: bool,
    /// `scalar`, `fixed[N]` or `jagged`.
    shape: String,
    compressed_bytes: u64,
    uncompressed_bytes: u64,
}

fn report_ntuple(n: &Ntuple) -> NtupleReport {
    let mut fields: Vec<FieldReport> = n
        .leaves
        .iter()
        .map(|l| {
            let (zipped, total) = n.leaf_bytes(l);
            FieldReport {
                name: l.name.clone(),
                cpp_type: l.type_name.clone(),
                columns: n.leaf_columns(l),
                readable: true,
                shape: match (l.collection, l.width) {
                    _ if l.is_nested() => "nested".into(),
                    (Some(_), _) => "jagged".into(),
                    (None, 1) => "scalar".into(),
                    (None, w) => format!("fixed[{w}]"),
                },
                compressed_bytes: zipped,
                uncompressed_bytes: total,
            }
        })
        .collect();
    fields.extend(n.skipped.iter().map(|(name, why)| FieldReport {
        name: name.clone(),
        cpp_type: String::new(),
        columns: format!("not read: {why}"),
        readable: false,
        shape: String::new(),
        compressed_bytes: 0,
        uncompressed_bytes: 0,
    }));
    let v = n.anchor.version;
    NtupleReport {
        path: n.path.clone(),
        entries: n.entries,
        writer: n.schema.writer.clone(),
        format: format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]),
        clusters: n.clusters.iter().map(|c| c.first).collect(),
        fields,
    }
}

fn print_ntuple(n: &NtupleReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "  RNTuple {}: {} entries, {} fields, {} clusters (format {}, written by {})",
        n.path,
        n.entries,
        n.fields.len(),
        n.clusters.len(),
        n.format,
        n.writer
    )?;
    let w = n
        .fields
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let wt = n
        .fields
        .iter()
        .map(|f| f.cpp_type.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 28);
    writeln!(
        out,
        "    {:w$}  {:wt$}  {:>12}  {:>12}  {:9}  columns",
        "field", "type", "compressed", "uncompressed", "shape"
    )?;
    for f in &n.fields {
        writeln!(
            out,
            "    {:w$}  {:wt$}  {:>12}  {:>12}  {:9}  {}",
            f.name, f.cpp_type, f.compressed_bytes, f.uncompressed_bytes, f.shape, f.columns
        )?;
    }
    Ok(())
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
                Shape::Nested => format!("std::vector<std::vector<{t}>>"),
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
/// The model file `inspect` was given: a `.json` file, or a run folder holding
/// model.json.
fn model_target(target: &str) -> Option<std::path::PathBuf> {
    let p = Path::new(target);
    let in_dir = p.join(crate::run_folder::MODEL);
    if p.is_dir() && in_dir.is_file() {
        return Some(in_dir);
    }
    (target.ends_with(".json") && p.is_file()).then(|| p.to_path_buf())
}

/// `inspect` of a model file: its inputs, its folds, whether it is complete (and how to
/// complete it), and each model's kept epoch and held-out numbers.
fn inspect_model(path: &Path, json: bool, out: &mut dyn Write) -> Result<()> {
    let m = crate::model::ModelFile::read_incomplete(path)?;
    let io = |source| Error::Io {
        path: Path::new("<stdout>").into(),
        source,
    };
    let inputs: Vec<&str> = m.inputs.iter().map(|i| i.expression.as_str()).collect();
    let folds = m.folds.as_ref();
    let missing = folds.map(|f| f.missing.clone()).unwrap_or_default();
    if json {
        let v = serde_json::json!({
            "file": path.display().to_string(),
            "inputs": inputs,
            "folds": folds.map(|f| f.k),
            "fold_expression": folds.map(|f| f.expression.clone()),
            "trained_folds": folds.map(|f| f.trained()),
            "missing_folds": missing,
            "complete": missing.is_empty(),
            "reweighter": m.reweight.is_some(),
            "metrics": m.metrics,
        });
        serde_json::to_writer_pretty(&mut *out, &v).map_err(|e| io(e.into()))?;
        return writeln!(out).map_err(io);
    }
    let shape = match folds {
        Some(f) => format!("{} folds by `{}`", f.k, f.expression),
        None => "one model, no folds".into(),
    };
    writeln!(
        out,
        "{}: rootgrad model (version {}), {} inputs, {shape}{}",
        path.display(),
        m.version,
        inputs.len(),
        if m.reweight.is_some() {
            ", a reweighter"
        } else {
            ""
        }
    )
    .map_err(io)?;
    writeln!(out, "  inputs: {}", inputs.join(", ")).map_err(io)?;
    match m.incomplete_note() {
        Some(note) => writeln!(out, "  {note}; {}", m.resume_hint(path)).map_err(io)?,
        None => writeln!(out, "  complete").map_err(io)?,
    }
    let f4 = |v: &serde_json::Value| v.as_f64().map(|x| format!("{x:.4}"));
    for line in m.metrics.as_array().into_iter().flatten() {
        let fold = line["fold"]
            .as_u64()
            .map(|f| format!("fold {f}: "))
            .unwrap_or_default();
        let mut t = format!(
            "  {fold}epoch {} of {} kept",
            line["best_epoch"].as_u64().map_or(0, |e| e + 1),
            line["epochs_run"].as_u64().unwrap_or(0)
        );
        if let Some(a) = f4(&line["val_auc"]) {
            t.push_str(&format!("; validation AUC {a}"));
        }
        if let Some(a) = f4(&line["test_auc"]) {
            t.push_str(&format!("; test-part AUC {a}"));
        }
        if let Some(k) = f4(&line["test_ks"]).or_else(|| f4(&line["val_ks"])) {
            t.push_str(&format!(", control-region data/MC KS {k}"));
        }
        writeln!(out, "{t}").map_err(io)?;
    }
    Ok(())
}

pub fn run(o: &InspectArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(model) = model_target(&o.target) {
        return inspect_model(&model, o.json, out);
    }
    let (target, json) = (o.target.as_str(), o.json);
    let spec = TreeSpec::parse(target);
    let mut reports = Vec::new();
    for path in spec.files()? {
        let file = Arc::new(RootFile::open(&path)?);
        let (names, ntuple_names) = match &spec.tree {
            Some(t) if is_anchor_class(&file.key(t)?.class) => (vec![], vec![t.clone()]),
            Some(t) => (vec![t.clone()], vec![]),
            None => (list_trees(&file)?, list_ntuples(&file)?),
        };
        let trees = names
            .iter()
            .map(|n| Tree::open(file.clone(), n).map(|t| report_tree(&t)))
            .collect::<Result<Vec<_>>>()?;
        let ntuples = ntuple_names
            .iter()
            .map(|n| Ntuple::open(file.clone(), n).map(|t| report_ntuple(&t)))
            .collect::<Result<Vec<_>>>()?;
        reports.push(FileReport {
            file: path.display().to_string(),
            root_version: file.root_version(),
            bytes: file.len(),
            not_closed: file.recovered,
            trees,
            ntuples,
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
        if f.trees.is_empty() && f.ntuples.is_empty() {
            writeln!(out, "  no TTree and no RNTuple in this file").map_err(io)?;
        }
        for n in &f.ntuples {
            print_ntuple(n, out).map_err(io)?;
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
                .clamp("type".len(), 40);
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
