//! `rootgrad dump`: branch values entry by entry, like TTree::Scan, as CSV or JSON
//! Lines. `x[1]` picks one element of an array branch.

use std::io::Write;

use crate::cli::{DumpArgs, DumpFormat};
use crate::output::write_atomically;
use crate::root::chain::{open_member, Member};
use crate::root::read::{read_column, Column, Layout};
use crate::root::rntuple::{self, Ntuple};
use crate::root::TreeSpec;
use crate::{Error, Result};

/// One requested column: a branch and its element index: none, `[i]`, or `[i][j]` for
/// a vector of vectors.
struct Pick {
    label: String,
    column: Column<f64>,
    index: Vec<usize>,
    integer: bool,
    /// Stored in single precision: printed as the shortest float32 text.
    single: bool,
}

/// Splits `x[1]` into (`x`, [1]) and `x[1][2]` into (`x`, [1, 2]) when the name is not
/// itself a branch (`is_branch`); at most two indices.
fn split_index(name: &str, is_branch: impl Fn(&str) -> bool) -> Result<(String, Vec<usize>)> {
    let mut base = name;
    let mut index = Vec::new();
    while !is_branch(base) && index.len() < 2 {
        let Some(inner) = base.strip_suffix(']') else {
            break;
        };
        let Some(open) = inner.rfind('[') else { break };
        let k = inner[open + 1..].trim().parse::<usize>().map_err(|_| {
            Error::Usage(format!(
                "`{name}`: the index in brackets must be a whole number, as in `x[1]` \
                 (or `x[1][0]` for a vector of vectors)"
            ))
        })?;
        index.insert(0, k);
        base = &inner[..open];
    }
    Ok((base.to_string(), index))
}

/// Checks the indices of a pick against its column: one for a list or an array, one
/// (a whole inner list) or two for a vector of vectors.
fn check_index(label: &str, column: &Column<f64>, index: &[usize]) -> Result<()> {
    let nested = matches!(column.layout, Layout::Nested { .. });
    if index.len() == 2 && !nested {
        return Err(Error::Usage(format!(
            "`{label}`: two indices are for vectors of vectors; this branch takes one, as in `x[1]`"
        )));
    }
    Ok(())
}

/// Runs `dump`: to `out`, or with `--output` to that file, written atomically.
pub fn run(opts: &DumpArgs, out: &mut dyn Write) -> Result<()> {
    match &opts.output {
        None => dump(opts, out),
        Some(path) => write_atomically(path, opts.force, |w| dump(opts, w)),
    }
}

fn dump(opts: &DumpArgs, out: &mut dyn Write) -> Result<()> {
    let (picks, stop) = read_picks(opts)?;
    write_rows(opts, &picks, stop, out)
}

/// Opens the one tree, checks the entry range and reads every requested column over
/// it; returns the columns and the entry one past the last.
fn read_picks(opts: &DumpArgs) -> Result<(Vec<Pick>, u64)> {
    let target = opts.target.as_str();
    let spec = TreeSpec::parse(target);
    let files = spec.files()?;
    if files.len() != 1 {
        return Err(Error::Usage(format!(
            "`{target}` names {} files; dump reads one",
            files.len()
        )));
    }
    let tree = match open_member(&files[0], spec.tree.as_deref())? {
        Member::Tree(t) => t,
        Member::Ntuple(n) => return ntuple_picks(opts, &n),
    };
    let place = format!("{}:{}", files[0].display(), tree.path);
    let names: Vec<String> = if opts.branches.is_empty() {
        tree.branches
            .iter()
            .filter(|b| b.interpretation.is_ok())
            .map(|b| b.name.clone())
            .collect()
    } else {
        listed_names(opts)
    };
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "{place}: no branches to print; name them with --branches a,b or leave the flag out for all"
        )));
    }
    let stop = opts.entry_stop.unwrap_or(tree.entries).min(tree.entries);
    if opts.entry_start > stop {
        let why = match opts.entry_stop {
            Some(s) if s < opts.entry_start => format!("is past --entry-stop {s}"),
            _ => format!(
                "is past the last entry (the tree has {} entries)",
                tree.entries
            ),
        };
        return Err(Error::Usage(format!(
            "{place}: --entry-start {} {why}",
            opts.entry_start
        )));
    }
    let mut picks = Vec::with_capacity(names.len());
    for name in &names {
        let (branch, index) = split_index(name, |n| tree.branches.iter().any(|b| b.name == n))?;
        let b = tree.branch(&branch)?;
        let integer = b
            .interpretation
            .as_ref()
            .map(|i| i.element.is_integer())
            .unwrap_or(false);
        let single = b.interpretation.as_ref().is_ok_and(|i| {
            matches!(
                i.element,
                crate::root::Element::F32 | crate::root::Element::Float16(_)
            )
        });
        let column = read_column::<f64>(&tree, &branch, opts.entry_start..stop)?;
        check_index(name, &column, &index)?;
        picks.push(Pick {
            label: name.clone(),
            column,
            index,
            integer,
            single,
        });
    }
    Ok((picks, stop))
}

/// One number as JSON text. Integers as integers (exact up to 2^53); floats in the
/// shortest form that reads back to the same float (float32 for float branches), always
/// with an exponent (`1.5e0`, `-0e0`, `1.7976931348623157e308`, `5e-324`); NaN and the
/// infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, which strict JSON
/// readers (JavaScript's JSON.parse, Python's json) accept and `float(x)` / `Number(x)`
/// turn back into the value.
pub(crate) fn json_number(v: f64, integer: bool, single: bool) -> String {
    if v.is_nan() {
        "\"NaN\"".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        }
        .into()
    } else if integer {
        // An integral f64 prints as its digits (beyond 2^53 the f64 nearest the value).
        format!("{v}")
    } else if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    }
}

/// The names given with `--branches`, trimmed, empty ones dropped.
fn listed_names(opts: &DumpArgs) -> Vec<String> {
    opts.branches
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The picks of an RNTuple: like those of a tree, by field name (`muon.pt`, `x[1]`).
fn ntuple_picks(opts: &DumpArgs, n: &Ntuple) -> Result<(Vec<Pick>, u64)> {
    let place = format!("{}:{}", n.file.path().display(), n.path);
    let names: Vec<String> = if opts.branches.is_empty() {
        n.leaves.iter().map(|l| l.name.clone()).collect()
    } else {
        listed_names(opts)
    };
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "{place}: no fields to print; name them with --branches a,b or leave the flag out for all"
        )));
    }
    let stop = opts.entry_stop.unwrap_or(n.entries).min(n.entries);
    if opts.entry_start > stop {
        return Err(Error::Usage(format!(
            "{place}: --entry-start {} is past the last entry (or --entry-stop); the RNTuple has {} entries",
            opts.entry_start, n.entries
        )));
    }
    let mut picks = Vec::with_capacity(names.len());
    for name in &names {
        let (field, index) = split_index(name, |f| n.leaves.iter().any(|l| l.name == f))?;
        let leaf = n.leaf(&field)?;
        let t = leaf.type_name.as_str();
        let column = rntuple::read_column::<f64>(n, &field, opts.entry_start..stop)?;
        check_index(name, &column, &index)?;
        picks.push(Pick {
            label: name.clone(),
            column,
            index,
            integer: !matches!(t, "float" | "double" | "Double32_t"),
            single: t == "float",
        });
    }
    Ok((picks, stop))
}

/// The text of one cell: entry `i` of a column, as CSV or JSON. A list is `[a b]` in
/// CSV and `[a, b]` in JSON; a list of lists `[[a b] []]` and `[[a, b], []]`. An element
/// that does not exist is an empty cell (CSV) or `null` (JSON).
fn cell(p: &Pick, i: usize, format: DumpFormat) -> String {
    let one = |v: f64| -> String {
        match format {
            DumpFormat::Json => json_number(v, p.integer, p.single),
            DumpFormat::Csv if p.single && v.is_finite() => format!("{}", v as f32),
            DumpFormat::Csv if p.integer && v.is_finite() && v.abs() < 9.007e15 => {
                format!("{}", v as i64)
            }
            DumpFormat::Csv if v.is_nan() => "nan".into(),
            DumpFormat::Csv => format!("{v}"),
        }
    };
    let sep = match format {
        DumpFormat::Json => ", ",
        DumpFormat::Csv => " ",
    };
    let list = |vals: &[f64]| {
        format!(
            "[{}]",
            vals.iter().map(|&v| one(v)).collect::<Vec<_>>().join(sep)
        )
    };
    let missing = || match format {
        DumpFormat::Json => "null".to_string(),
        DumpFormat::Csv => String::new(),
    };
    if let Layout::Nested { .. } = p.column.layout {
        let lists = p.column.lists(i);
        return match p.index.as_slice() {
            [] => format!(
                "[{}]",
                lists.iter().map(|l| list(l)).collect::<Vec<_>>().join(sep)
            ),
            [k] => lists.get(*k).map_or_else(missing, |l| list(l)),
            [k, j, ..] => lists
                .get(*k)
                .and_then(|l| l.get(*j))
                .map_or_else(missing, |&v| one(v)),
        };
    }
    let vals = p.column.entry(i);
    let is_list = !matches!(p.column.layout, Layout::Flat { width: 1 });
    match p.index.first() {
        Some(&k) => vals.get(k).map_or_else(missing, |&v| one(v)),
        None if is_list => list(vals),
        None => vals.first().map_or_else(missing, |&v| one(v)),
    }
}

/// Prints the header (CSV) and one line per entry.
fn write_rows(opts: &DumpArgs, picks: &[Pick], stop: u64, out: &mut dyn Write) -> Result<()> {
    let io = |source| Error::Io {
        path: "<output>".into(),
        source,
    };
    if opts.format == DumpFormat::Csv {
        let header: Vec<&str> = std::iter::once("entry")
            .chain(picks.iter().map(|p| p.label.as_str()))
            .collect();
        writeln!(out, "{}", header.join(",")).map_err(io)?;
    }
    let n = (stop - opts.entry_start) as usize;
    let mut line = String::new();
    for i in 0..n {
        line.clear();
        let entry = opts.entry_start + i as u64;
        match opts.format {
            DumpFormat::Csv => line.push_str(&entry.to_string()),
            DumpFormat::Json => line.push_str(&format!("{{\"entry\": {entry}")),
        }
        for p in picks {
            let text = cell(p, i, opts.format);
            match opts.format {
                DumpFormat::Csv => {
                    line.push(',');
                    line.push_str(&text);
                }
                DumpFormat::Json => {
                    line.push_str(&format!(
                        ", {}: {text}",
                        serde_json::Value::String(p.label.clone())
                    ));
                }
            }
        }
        if opts.format == DumpFormat::Json {
            line.push('}');
        }
        writeln!(out, "{line}").map_err(io)?;
    }
    Ok(())
}
