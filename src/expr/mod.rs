//! The expression language for features, cuts, weights and fold variables: small, safe
//! formulas over branches such as `log(pfRelIso03_chg + 1e-3)`, `genPartFlav == 1`,
//! `event % 5` or `Jet_pt[0] ?? -1`. The user's reference is `docs/expressions.md`.
//!
//! An expression is parsed once ([`Expr::parse`]: tokens in `lexer.rs`, the tree in
//! `parser.rs`, operators and functions in `ast.rs`), checked against the branches a tree
//! has ([`Expr::check`]), and then evaluated column by column over chunks of entries
//! (`eval.rs`): every node becomes one `Vec<f64>` over a block of entries, never a walk
//! of the tree per entry. Before any value is computed, each column is checked against
//! the way the expression uses it (`shape.rs`: an index on arrays, none on scalars).
//! Only the branches the expression names are read ([`read_for`]).
//!
//! ```no_run
//! use rootgrad::expr::{read_for, Expr};
//! use rootgrad::root::{Chain, TreeSpec};
//! # fn main() -> rootgrad::Result<()> {
//! let chain = Chain::open(&TreeSpec::parse("ttbar.root:Events"))?;
//! let feature = Expr::parse("log((Muon_pfRelIso03_chg[0] ?? 0) + 1e-3)")?;
//! let weight = Expr::parse("genWeight * puWeight")?;
//! let cols = read_for(&[&feature, &weight], &chain, 0..100_000)?; // checks names first
//! let x: Vec<f64> = cols.eval(&feature)?;
//! let w: Vec<f64> = cols.eval(&weight)?;
//! # Ok(()) }
//! ```
//!
//! Every error is [`Error::Usage`]: parse errors name the expression and the column and
//! end with the expression and a caret under the place; evaluation errors name the
//! expression, the branch and, for a missing array element, the entry and its length.

mod ast;
mod cpp;
mod eval;
mod lexer;
mod parser;
mod shape;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_eval;
#[cfg(test)]
mod tests_nested;

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

pub use cpp::CppBranch;

use ast::Node;
use eval::{const_value, evaluate};
use parser::CONSTANTS;

use crate::error::nearest_first;
use crate::root::{Chain, Column};
use crate::{Error, Result};

/// A parse error at 1-based character `col` of `src`: one line saying what and where,
/// then the expression and a caret under the place.
pub(crate) fn syntax_error(src: &str, col: usize, msg: &str) -> Error {
    let pad = " ".repeat(col.saturating_sub(1));
    Error::Usage(format!(
        "expression `{src}` at column {col}: {msg}\n    {src}\n    {pad}^"
    ))
}

/// The columns an expression reads from: each branch's [`Column<f64>`] over the same
/// entries. `Sync`, because blocks of entries are evaluated in parallel.
pub trait Columns: Sync {
    /// The column of branch `name`, if there is one.
    fn column(&self, name: &str) -> Option<&Column<f64>>;
}

impl Columns for HashMap<String, Column<f64>> {
    fn column(&self, name: &str) -> Option<&Column<f64>> {
        self.get(name)
    }
}

/// Columns read over one entry range, with the range they cover: what [`read_for`]
/// returns and what [`ColumnSet::eval`] evaluates over.
#[derive(Debug, Clone, Default)]
pub struct ColumnSet {
    pub columns: HashMap<String, Column<f64>>,
    /// Branches read as f32 instead ([`read_for_f32`]: scalar branches whose values
    /// read as f32 are those read as f64 and rounded to f32), for a caller that uses
    /// them as they are; expressions never see them.
    pub floats: HashMap<String, Column<f32>>,
    /// Number of entries each column holds.
    pub entries: usize,
    /// Global (chain) entry number of the first entry, for messages.
    pub first_entry: u64,
}

impl Columns for ColumnSet {
    fn column(&self, name: &str) -> Option<&Column<f64>> {
        self.columns.get(name)
    }
}

impl ColumnSet {
    /// Evaluates `expr` over every entry of the set.
    pub fn eval(&self, expr: &Expr) -> Result<Vec<f64>> {
        expr.eval(self, self.entries, self.first_entry)
    }
}

/// Reads, once each, every branch that any of `exprs` names, over `range` of the chain's
/// entries (clamped to the entries it has). Each expression is first checked against
/// [`Chain::branch_names`], so a misspelt branch fails before anything is read.
pub fn read_for(exprs: &[&Expr], chain: &Chain, range: Range<u64>) -> Result<ColumnSet> {
    read_for_f32(exprs, &[], chain, range)
}

/// [`read_for`], except that the branches in `as_f32` go to [`ColumnSet::floats`], read
/// as f32, and not to [`ColumnSet::columns`]: for branches no expression of `exprs`
/// evaluates (a scorer's plain-branch inputs), whose f32 values the caller has checked
/// are the f64 values rounded ([`Chain::exact_as_f32`]).
pub fn read_for_f32(
    exprs: &[&Expr],
    as_f32: &[String],
    chain: &Chain,
    range: Range<u64>,
) -> Result<ColumnSet> {
    let available = chain.branch_names();
    for e in exprs {
        e.check(&available)?;
    }
    let mut names: Vec<String> = exprs.iter().flat_map(|e| e.branches()).collect();
    names.sort();
    names.dedup();
    let stop = range.end.min(chain.entries());
    let start = range.start.min(stop);
    // each branch as f64 (`Ok(Ok(..))`) or as f32 (`Ok(Err(..))`)
    let read = |n: &String| -> Result<std::result::Result<Column<f64>, Column<f32>>> {
        Ok(if as_f32.contains(n) {
            Err(chain.read::<f32>(n, start..stop)?)
        } else {
            Ok(chain.read::<f64>(n, start..stop)?)
        })
    };
    let read: Vec<_> = names.par_iter().map(read).collect::<Result<_>>()?;
    let mut set = ColumnSet {
        entries: (stop - start) as usize,
        first_entry: start,
        ..ColumnSet::default()
    };
    for (n, c) in names.into_iter().zip(read) {
        match c {
            Ok(wide) => {
                set.columns.insert(n, wide);
            }
            Err(narrow) => {
                set.floats.insert(n, narrow);
            }
        }
    }
    Ok(set)
}

/// Parses each of `src`, naming `flag` (a flag or a dotted key) and the expression in
/// an error.
pub fn parse_all(flag: &str, src: &[String]) -> Result<Vec<Expr>> {
    src.iter()
        .map(|s| Expr::parse(s).map_err(|e| Error::Usage(format!("{flag} `{s}`: {e}"))))
        .collect()
}

/// A parsed expression: its source text and its tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    src: String,
    root: Node,
}

impl Expr {
    /// Parses `src`. A mistake is an [`Error::Usage`] naming the expression and the
    /// column, with a caret line under it.
    pub fn parse(src: &str) -> Result<Expr> {
        let toks = lexer::tokenize(src)?;
        let root = parser::parse_tokens(src, &toks)?;
        Ok(Expr {
            src: src.to_string(),
            root,
        })
    }

    /// The branch name when the expression is that branch alone (`r9`), so a caller
    /// can use the column's values without evaluating: the values are the same.
    pub fn plain_branch(&self) -> Option<&str> {
        match &self.root {
            Node::Branch { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// The branches the expression reads, sorted, each once.
    pub fn branches(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root
            .visit_branches(&mut |n, _| out.push(n.to_string()));
        out.sort();
        out.dedup();
        out
    }

    /// The value, if the expression reads no branch (`2 * pi`).
    pub fn constant(&self) -> Option<f64> {
        const_value(&self.root)
    }

    /// Checks that every branch the expression reads is in `available`, and that no
    /// bare constant name (`pi`, `true`, `false`) is also a branch there (the
    /// constant would silently win; backticks name the branch). The error lists the
    /// nearest available names.
    pub fn check(&self, available: &[String]) -> Result<()> {
        let mut missing: Option<String> = None;
        self.root.visit_branches(&mut |n, _| {
            if missing.is_none() && !available.iter().any(|a| a == n) {
                missing = Some(n.to_string());
            }
        });
        if let Some(name) = missing {
            let near = nearest_first(&name, available.iter().cloned());
            let shown: Vec<&str> = near.iter().take(8).map(String::as_str).collect();
            let msg = match shown.first() {
                None => format!("no branch called `{name}` (the tree has none)"),
                Some(best) => format!(
                    "no branch called `{name}`; did you mean `{best}`? available: {}{}",
                    shown.join(", "),
                    if near.len() > shown.len() {
                        format!(", ... ({} in all)", near.len())
                    } else {
                        String::new()
                    }
                ),
            };
            return Err(Error::Usage(format!("expression `{}`: {msg}", self.src)));
        }
        for (c, v) in CONSTANTS {
            if available.iter().any(|a| a == c) && mentions_constant(&self.root, c) {
                return Err(Error::Usage(format!(
                    "expression `{}`: `{c}` is the constant {v}, but the tree also has a branch \
                         `{c}`; write `` `{c}` `` (in backticks) for the branch, or the number {v} \
                         for the constant",
                    self.src
                )));
            }
        }
        Ok(())
    }

    /// Evaluates over `n` entries whose first global entry number is `first_entry`
    /// (used in messages). `cols` gives each branch in [`Expr::branches`] as a
    /// [`Column<f64>`] over exactly those entries. How each branch is used (index or
    /// not, index within a fixed size) is checked against the layouts first, so with
    /// zero entries (`read_for` over `0..0`) this checks shapes without reading data.
    pub fn eval(&self, cols: &dyn Columns, n: usize, first_entry: u64) -> Result<Vec<f64>> {
        evaluate(&self.src, &self.root, cols, n, first_entry)
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.src)
    }
}

fn mentions_constant(node: &Node, name: &str) -> bool {
    match node {
        Node::Const(c, _) => *c == name,
        Node::Num(_) | Node::Branch { .. } => false,
        Node::Index { default, .. } => default
            .as_deref()
            .is_some_and(|d| mentions_constant(d, name)),
        Node::Unary(_, a) => mentions_constant(a, name),
        Node::Binary(_, a, b) => mentions_constant(a, name) || mentions_constant(b, name),
        Node::Select(c, a, b) => [c, a, b].iter().any(|x| mentions_constant(x, name)),
        Node::Call(_, args) => args.iter().any(|x| mentions_constant(x, name)),
    }
}
