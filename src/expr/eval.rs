//! Column-wise evaluation: each node of the tree becomes one vector over a block of the
//! chunk's entries (or one number, when nothing below it reads a branch), computed by a
//! loop over slices that the compiler specialises per operator. Nothing is allocated per
//! entry; an operator reuses the buffer of its left operand. Blocks of 16,384 entries
//! keep the live vectors in cache and run in parallel (rayon); the result is the same
//! for any number of threads.
//!
//! Missing array elements (`Jet_pt[0]` in an entry with no jets, and no `?? default`)
//! are not an error at once: they are marked, and the mark travels with the values.
//! `c ? a : b`, `where(c, a, b)`, `&&` and `||` keep only the marks of the side each
//! entry actually uses, so `nJet > 0 && Jet_pt[0] > 30` and
//! `nJet > 0 ? Jet_pt[0] : -1` work as they would in C. A mark that reaches the result
//! is an error naming the first such entry.

use super::ast::{truth, BinOp, Func, Node, UnOp};
use super::shape::{check_column, check_shapes, err};
use super::Columns;
use crate::root::{Column, Layout};
use crate::{Error, Result};
use rayon::prelude::*;

/// The values of a node: one number for every entry, or one per entry.
pub(crate) enum Vals {
    One(f64),
    Many(Vec<f64>),
}

impl Vals {
    #[inline(always)]
    fn at(&self, i: usize) -> f64 {
        match self {
            Vals::One(x) => *x,
            Vals::Many(v) => v[i],
        }
    }
}

/// Values plus, when some entry is missing an element, one mark per entry: 0 where the
/// value is good, `r + 1` where it is missing for reason `r` (an index into
/// `Eval::reasons`).
struct Val {
    v: Vals,
    miss: Option<Vec<u32>>,
}

impl Val {
    fn clean(v: Vals) -> Val {
        Val { v, miss: None }
    }
}

/// The value of `node` if it reads no branch.
pub(crate) fn const_value(node: &Node) -> Option<f64> {
    let c = const_value;
    Some(match node {
        Node::Num(x) | Node::Const(_, x) => *x,
        Node::Branch { .. } | Node::Index { .. } => return None,
        Node::Unary(op, a) => op.apply(c(a)?),
        Node::Binary(op, a, b) => op.apply(c(a)?, c(b)?),
        Node::Select(k, a, b) => {
            let (k, a, b) = (c(k)?, c(a)?, c(b)?);
            if truth(k) {
                a
            } else {
                b
            }
        }
        Node::Call(f, args) => match args.as_slice() {
            [a] => f.apply1(c(a)?),
            [a, b] => f.apply2(c(a)?, c(b)?),
            [a, b, d] => f.apply3(c(a)?, c(b)?, c(d)?),
            _ => return None,
        },
    })
}

/// Entries per block: the chunk is evaluated block by block so that the few vectors
/// alive at once (128 KiB each) stay in cache, and blocks run in parallel.
const BLOCK: usize = 1 << 14;

/// Evaluates `root` over the `n` entries of `cols`: checks each column it reads once,
/// then evaluates blocks of [`BLOCK`] entries in parallel and joins them in entry
/// order. Each value depends only on its own entry, so the result does not depend on
/// the number of threads; of several errors, the one of the earliest block is reported.
pub(crate) fn evaluate(
    src: &str,
    root: &Node,
    cols: &dyn Columns,
    n: usize,
    first_entry: u64,
) -> Result<Vec<f64>> {
    let mut names = Vec::new();
    root.visit_branches(&mut |name, _| names.push(name.to_string()));
    names.sort();
    names.dedup();
    for name in &names {
        check_column(src, cols, name, n)?;
    }
    check_shapes(src, root, cols)?;
    let blocks: Vec<usize> = (0..n).step_by(BLOCK).collect();
    let parts: Vec<Result<Vec<f64>>> = blocks
        .par_iter()
        .map(|&lo| {
            let mut ev = Eval {
                src,
                cols,
                lo,
                n: BLOCK.min(n - lo),
                first_entry,
                reasons: Vec::new(),
            };
            ev.run(root)
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend_from_slice(&p?);
    }
    Ok(out)
}

/// One evaluation of one expression over one block of a chunk: entries `lo..lo + n`.
struct Eval<'a> {
    src: &'a str,
    cols: &'a dyn Columns,
    lo: usize,
    n: usize,
    first_entry: u64,
    /// Why entries are missing: (branch, the index expression as written).
    reasons: Vec<(String, String)>,
}

impl<'a> Eval<'a> {
    fn err(&self, msg: String) -> Error {
        err(self.src, msg)
    }

    /// Evaluates the whole tree into one value per entry.
    pub(crate) fn run(&mut self, node: &Node) -> Result<Vec<f64>> {
        let val = self.node(node)?;
        if let Some(miss) = &val.miss {
            if let Some(i) = miss.iter().position(|&m| m != 0) {
                let (name, text) = &self.reasons[miss[i] as usize - 1];
                let entry = self.first_entry + (self.lo + i) as u64;
                let has = self
                    .cols
                    .column(name)
                    .map_or(String::new(), |c| what_entry_has(c, self.lo + i));
                return Err(self.err(format!(
                    "entry {entry}: branch `{name}` has {has} there, so `{text}` does not exist; \
                     give a default with `{text} ?? -1` (any number), or cut such entries away"
                )));
            }
        }
        Ok(match val.v {
            Vals::One(x) => vec![x; self.n],
            Vals::Many(v) => v,
        })
    }

    /// The column of `name` (checked by [`check_column`] before any block runs).
    fn column(&self, name: &str) -> Result<&'a Column<f64>> {
        self.cols
            .column(name)
            .ok_or_else(|| self.err(format!("no column for branch `{name}` was given")))
    }

    fn node(&mut self, node: &Node) -> Result<Val> {
        Ok(match node {
            Node::Num(x) | Node::Const(_, x) => Val::clean(Vals::One(*x)),
            Node::Branch { name, .. } => {
                let col = self.column(name)?;
                match &col.layout {
                    Layout::Flat { width: 1 } => {
                        Val::clean(Vals::Many(col.values[self.lo..self.lo + self.n].to_vec()))
                    }
                    _ => return Err(self.err(format!("branch `{name}` is not a scalar"))),
                }
            }
            Node::Index {
                name,
                index,
                inner: None,
                text,
                default,
            } => self.index(name, *index, text, default.as_deref())?,
            Node::Index {
                name,
                index,
                inner: Some(j),
                text,
                default,
            } => {
                let (out, short) = self.nested(name, *index, *j, text)?;
                self.fill_missing(name, text, out, short, default.as_deref())?
            }
            Node::Unary(op, a) => {
                let a = self.node(a)?;
                Val {
                    v: unary(*op, a.v),
                    miss: a.miss,
                }
            }
            Node::Binary(op, a, b) => {
                let a = self.node(a)?;
                let b = self.node(b)?;
                let mut miss = a.miss;
                // `&&` and `||` only need their right side where the left does not decide.
                match op {
                    BinOp::And => merge(&mut miss, b.miss, |i| truth(a.v.at(i))),
                    BinOp::Or => merge(&mut miss, b.miss, |i| !truth(a.v.at(i))),
                    _ => merge(&mut miss, b.miss, |_| true),
                }
                Val {
                    v: binary(*op, a.v, b.v),
                    miss,
                }
            }
            Node::Select(c, a, b) => self.select(c, a, b)?,
            Node::Call(Func::Where, args) if args.len() == 3 => {
                self.select(&args[0], &args[1], &args[2])?
            }
            Node::Call(f, args) => {
                let mut vals = Vec::with_capacity(args.len());
                let mut miss = None;
                for a in args {
                    let v = self.node(a)?;
                    merge(&mut miss, v.miss, |_| true);
                    vals.push(v.v);
                }
                Val {
                    v: call(*f, vals, self.n),
                    miss,
                }
            }
        })
    }

    fn select(&mut self, c: &Node, a: &Node, b: &Node) -> Result<Val> {
        let c = self.node(c)?;
        let a = self.node(a)?;
        let b = self.node(b)?;
        let mut miss = c.miss;
        merge(&mut miss, a.miss, |i| truth(c.v.at(i)));
        merge(&mut miss, b.miss, |i| !truth(c.v.at(i)));
        let v = match (&c.v, a.v, b.v) {
            (Vals::One(k), a, b) => {
                if truth(*k) {
                    a
                } else {
                    b
                }
            }
            (Vals::Many(k), a, b) => Vals::Many(
                (0..self.n)
                    .map(|i| if truth(k[i]) { a.at(i) } else { b.at(i) })
                    .collect(),
            ),
        };
        Ok(Val { v, miss })
    }

    fn index(&mut self, name: &str, k: usize, text: &str, default: Option<&Node>) -> Result<Val> {
        let col = self.column(name)?;
        let offsets = match &col.layout {
            // `check_shapes` refused these before any block ran.
            Layout::Flat { width } if *width == 1 || k >= *width => {
                return Err(self.err(format!("`{text}` is out of range")))
            }
            Layout::Flat { width } => {
                let block = &col.values[self.lo * width..(self.lo + self.n) * width];
                let v: Vec<f64> = block.iter().skip(k).step_by(*width).copied().collect();
                return Ok(Val::clean(Vals::Many(v)));
            }
            Layout::Jagged { offsets } => &offsets[self.lo..=self.lo + self.n],
            Layout::Nested { .. } => return Err(self.err(format!("`{text}` needs a second index"))),
        };
        let mut out = vec![0.0; self.n];
        let mut short = Vec::new();
        for (i, (o, w)) in out.iter_mut().zip(offsets.windows(2)).enumerate() {
            if w[0] + k < w[1] {
                *o = col.values[w[0] + k];
            } else {
                short.push(i);
            }
        }
        self.fill_missing(name, text, out, short, default)
    }

    /// `x[i][j]` over the block: value `j` of inner list `i` of each entry, and the
    /// entries (block-relative) that have no such value.
    fn nested(
        &mut self,
        name: &str,
        i: usize,
        j: usize,
        text: &str,
    ) -> Result<(Vec<f64>, Vec<usize>)> {
        let col = self.column(name)?;
        let Layout::Nested { lists, offsets } = &col.layout else {
            // `check_shapes` refused this before any block ran.
            return Err(self.err(format!("`{text}` has one index too many")));
        };
        let lists = &lists[self.lo..=self.lo + self.n];
        let mut out = vec![0.0; self.n];
        let mut short = Vec::new();
        for (e, (o, w)) in out.iter_mut().zip(lists.windows(2)).enumerate() {
            // `check_column` made sure lists and offsets are in order and in range.
            let value = (w[0] + i < w[1])
                .then(|| (offsets[w[0] + i], offsets[w[0] + i + 1]))
                .filter(|(a, z)| a + j < *z)
                .map(|(a, _)| col.values[a + j]);
            match value {
                Some(v) => *o = v,
                None => short.push(e),
            }
        }
        Ok((out, short))
    }

    /// The values of an index with the entries in `short` missing: with no default
    /// they are marked (an error if the mark reaches the result), with `?? default`
    /// they take the default's value.
    fn fill_missing(
        &mut self,
        name: &str,
        text: &str,
        mut out: Vec<f64>,
        short: Vec<usize>,
        default: Option<&Node>,
    ) -> Result<Val> {
        if short.is_empty() {
            return Ok(Val::clean(Vals::Many(out)));
        }
        let Some(default) = default else {
            self.reasons.push((name.to_string(), text.to_string()));
            let mut miss = vec![0u32; self.n];
            let mark = self.reasons.len() as u32;
            for &i in &short {
                miss[i] = mark;
                out[i] = f64::NAN;
            }
            return Ok(Val {
                v: Vals::Many(out),
                miss: Some(miss),
            });
        };
        let d = self.node(default)?;
        let mut miss = None;
        if let Some(dm) = d.miss {
            // The default's own missing marks matter only where the default is used.
            let mut m = vec![0u32; self.n];
            for &i in &short {
                m[i] = dm[i];
            }
            miss = Some(m);
        }
        for &i in &short {
            out[i] = d.v.at(i);
        }
        Ok(Val {
            v: Vals::Many(out),
            miss,
        })
    }
}

/// What entry `e` of a column holds, for the message about a missing element:
/// `2 elements`, or for a vector of vectors `3 lists (of 0, 2 and 1 values)`.
fn what_entry_has(c: &Column<f64>, e: usize) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if !matches!(c.layout, Layout::Nested { .. }) {
        return plural(c.entry(e).len(), "element", "elements");
    }
    let lens: Vec<String> = c.lists(e).iter().map(|l| l.len().to_string()).collect();
    let of = match lens.as_slice() {
        [] => String::new(),
        [one] => format!(" (of {one} values)"),
        [rest @ .., last] => format!(" (of {} and {last} values)", rest.join(", ")),
    };
    format!("{}{of}", plural(lens.len(), "list", "lists"))
}

/// Adds the marks of `other` to `into` at the entries where `keep(i)` holds.
fn merge(into: &mut Option<Vec<u32>>, other: Option<Vec<u32>>, keep: impl Fn(usize) -> bool) {
    let Some(other) = other else { return };
    match into {
        None => {
            let mut m = other;
            for (i, x) in m.iter_mut().enumerate() {
                if *x != 0 && !keep(i) {
                    *x = 0;
                }
            }
            *into = Some(m);
        }
        Some(m) => {
            for (i, (x, &y)) in m.iter_mut().zip(&other).enumerate() {
                if *x == 0 && y != 0 && keep(i) {
                    *x = y;
                }
            }
        }
    }
}

#[inline(always)]
fn map1(a: Vals, f: impl Fn(f64) -> f64) -> Vals {
    match a {
        Vals::One(x) => Vals::One(f(x)),
        Vals::Many(mut v) => {
            for x in &mut v {
                *x = f(*x);
            }
            Vals::Many(v)
        }
    }
}

#[inline(always)]
fn map2(a: Vals, b: Vals, f: impl Fn(f64, f64) -> f64) -> Vals {
    match (a, b) {
        (Vals::One(x), Vals::One(y)) => Vals::One(f(x, y)),
        (Vals::Many(mut v), Vals::One(y)) => {
            for x in &mut v {
                *x = f(*x, y);
            }
            Vals::Many(v)
        }
        (Vals::One(x), Vals::Many(mut v)) => {
            for y in &mut v {
                *y = f(x, *y);
            }
            Vals::Many(v)
        }
        (Vals::Many(mut v), Vals::Many(w)) => {
            for (x, &y) in v.iter_mut().zip(&w) {
                *x = f(*x, y);
            }
            Vals::Many(v)
        }
    }
}

/// One loop per operator, so each loop body is the operator alone.
fn unary(op: UnOp, a: Vals) -> Vals {
    macro_rules! each {
        ($($v:ident),*) => { match op { $(UnOp::$v => map1(a, |x| UnOp::$v.apply(x)),)* } };
    }
    each!(Neg, Plus, Not)
}

fn binary(op: BinOp, a: Vals, b: Vals) -> Vals {
    macro_rules! each {
        ($($v:ident),*) => { match op { $(BinOp::$v => map2(a, b, |x, y| BinOp::$v.apply(x, y)),)* } };
    }
    each!(Or, And, Eq, Ne, Lt, Le, Gt, Ge, Add, Sub, Mul, Div, Rem, Pow)
}

fn call(f: Func, mut args: Vec<Vals>, n: usize) -> Vals {
    macro_rules! one {
        ($a:expr; $($v:ident),*) => {
            match f { $(Func::$v => map1($a, |x| Func::$v.apply1(x)),)* _ => map1($a, |x| f.apply1(x)) }
        };
    }
    macro_rules! two {
        ($a:expr, $b:expr; $($v:ident),*) => {
            match f { $(Func::$v => map2($a, $b, |x, y| Func::$v.apply2(x, y)),)* _ => map2($a, $b, |x, y| f.apply2(x, y)) }
        };
    }
    let c = args.pop();
    let b = args.pop();
    let a = args.pop();
    match (a, b, c) {
        (None, None, Some(a)) => {
            one!(a; Abs, Sqrt, Exp, Log, Log10, Log1p, Sin, Cos, Tan, Floor, Ceil)
        }
        (None, Some(a), Some(b)) => two!(a, b; Atan2, Hypot, Pow, Min, Max),
        (Some(a), Some(b), Some(c)) => match (&a, &b, &c) {
            (Vals::One(x), Vals::One(y), Vals::One(z)) => Vals::One(f.apply3(*x, *y, *z)),
            _ => Vals::Many(
                (0..n)
                    .map(|i| f.apply3(a.at(i), b.at(i), c.at(i)))
                    .collect(),
            ),
        },
        // The parser checks arity, so no other shape reaches here.
        _ => Vals::One(f64::NAN),
    }
}
