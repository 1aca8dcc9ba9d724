//! The expression language translated to C++17 (for `rootgrad export --format cpp`).
//!
//! Each node becomes a C++ expression of type `double` with the meaning `ast.rs` gives
//! it: numbers as `double` literals, a scalar branch as a `double` parameter, `x[i]` as
//! `(i < std::size(x) ? double(x[i]) : default)` on any container with `size()` and
//! `[]` (`ROOT::RVec`, `std::vector`) or a C array (a fixed-size array branch), `x[i][j]`
//! as `(i < std::size(x) && j < std::size(x[i]) ? double(x[i][j]) : default)` on a
//! container of containers (`std::vector<std::vector<T>>`, `ROOT::RVec<ROOT::RVec<T>>`),
//! truth as `!= 0.0` (so NaN is true, as here), the
//! comparisons and logical operators as `1.0`/`0.0`, `%` as the floored remainder, and
//! `min`/`max`/`clip`/`sign` through helpers that keep NaN as rootgrad does. The helpers
//! (`detail::...`) are written by the header ([`crate::export::cpp`]).
//!
//! One difference: where rootgrad stops with an error (an element `x[i]` missing and no
//! `?? default`), the C++ gives NaN for that element.

use super::ast::{BinOp, Func, Node, UnOp};
use super::Expr;
use crate::{Error, Result};

/// A branch the C++ reads: its name (a C++ identifier) and whether it is indexed (a
/// container parameter) or a scalar (`double`); a container indexed twice (`x[i][j]`)
/// is a container of containers (`std::vector<std::vector<T>>`,
/// `ROOT::RVec<ROOT::RVec<T>>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CppBranch {
    pub name: String,
    pub container: bool,
    pub nested: bool,
}

/// C++ keywords, and the header's own names a parameter would hide.
const RESERVED: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "class",
    "compl",
    "const",
    "constexpr",
    "const_cast",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
    "features",
    "out",
    "fold",
    "detail",
];

/// Whether `name` can be a C++ parameter name as it is.
fn is_identifier(name: &str) -> bool {
    let mut c = name.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !name.starts_with("__")
        && !RESERVED.contains(&name)
}

/// A `double` literal that reads back to `v` (finite: the parser makes no others).
fn literal(v: f64) -> String {
    if v.is_nan() {
        "std::numeric_limits<double>::quiet_NaN()".into()
    } else if v.is_infinite() {
        let s = if v < 0.0 { "-" } else { "" };
        format!("({s}std::numeric_limits<double>::infinity())")
    } else {
        // Rust's Debug form is the shortest that reads back and always has `.` or `e`
        let s = format!("{v:?}");
        if v < 0.0 {
            format!("({s})")
        } else {
            s
        }
    }
}

impl Expr {
    /// The expression as C++ (see the module doc); every branch it reads is added to
    /// `branches` once. An expression C++ cannot take is refused naming it: a branch
    /// whose name is not a C++ identifier, or one used both with and without an index.
    pub fn to_cpp(&self, branches: &mut Vec<CppBranch>) -> Result<String> {
        let seen_index = branches
            .iter()
            .filter(|b| b.container)
            .map(|b| b.name.clone())
            .collect();
        let mut t = Translator {
            src: &self.src,
            branches,
            seen_index,
        };
        t.node(&self.root)
    }
}

struct Translator<'a> {
    src: &'a str,
    branches: &'a mut Vec<CppBranch>,
    /// Containers whose index depth is already recorded in `branches`.
    seen_index: Vec<String>,
}

impl Translator<'_> {
    fn refuse(&self, why: String) -> Error {
        Error::Usage(format!(
            "expression `{}` cannot be exported to format cpp: {why}",
            self.src
        ))
    }

    /// Records that container `name` is indexed twice (`nested`) or once; a branch
    /// indexed both ways is refused, naming it.
    fn depth(&mut self, name: &str, nested: bool) -> Result<()> {
        let first = !self.seen_index.iter().any(|n| n == name);
        let b = self.branches.iter_mut().find(|b| b.name == name);
        match b {
            Some(b) if first => {
                b.nested = nested;
                self.seen_index.push(name.to_string());
                Ok(())
            }
            Some(b) if b.nested != nested => Err(self.refuse(format!(
                "branch `{name}` is indexed both once (`{name}[i]`) and twice \
                 (`{name}[i][j]`); a vector of vectors takes two indices, a vector one"
            ))),
            _ => Ok(()),
        }
    }

    fn branch(&mut self, name: &str, container: bool) -> Result<String> {
        if !is_identifier(name) {
            return Err(self.refuse(format!(
                "branch `{name}` is not a C++ identifier (or is a C++ keyword or a name the \
                 header uses); rename the branch, or export to onnx and compute the \
                 features yourself"
            )));
        }
        match self.branches.iter().find(|b| b.name == name) {
            Some(b) if b.container != container => {
                return Err(self.refuse(format!(
                    "branch `{name}` is read both with and without an index"
                )))
            }
            Some(_) => {}
            None => self.branches.push(CppBranch {
                name: name.to_string(),
                container,
                nested: false,
            }),
        }
        Ok(name.to_string())
    }

    fn node(&mut self, n: &Node) -> Result<String> {
        Ok(match n {
            Node::Num(v) => literal(*v),
            Node::Const(_, v) => literal(*v),
            Node::Branch { name, .. } => {
                let b = self.branch(name, false)?;
                format!("static_cast<double>({b})")
            }
            Node::Index {
                name,
                index,
                inner,
                default,
                ..
            } => {
                let b = self.branch(name, true)?;
                self.depth(name, inner.is_some())?;
                let d = match default {
                    Some(d) => self.node(d)?,
                    None => literal(f64::NAN),
                };
                match inner {
                    None => format!(
                        "(static_cast<std::size_t>({index}u) < std::size({b}) ? \
                         static_cast<double>({b}[{index}u]) : {d})"
                    ),
                    // `&&` stops before `x[i]` when the entry has no list `i`.
                    Some(j) => format!(
                        "((static_cast<std::size_t>({index}u) < std::size({b}) && \
                         static_cast<std::size_t>({j}u) < std::size({b}[{index}u])) ? \
                         static_cast<double>({b}[{index}u][{j}u]) : {d})"
                    ),
                }
            }
            Node::Unary(op, a) => {
                let a = self.node(a)?;
                match op {
                    UnOp::Neg => format!("(-{a})"),
                    UnOp::Plus => a,
                    UnOp::Not => format!("({a} != 0.0 ? 0.0 : 1.0)"),
                }
            }
            Node::Binary(op, a, b) => {
                let (a, b) = (self.node(a)?, self.node(b)?);
                let cmp = |o: &str| format!("({a} {o} {b} ? 1.0 : 0.0)");
                match op {
                    BinOp::Or => format!("(({a} != 0.0) || ({b} != 0.0) ? 1.0 : 0.0)"),
                    BinOp::And => format!("(({a} != 0.0) && ({b} != 0.0) ? 1.0 : 0.0)"),
                    BinOp::Eq => cmp("=="),
                    BinOp::Ne => cmp("!="),
                    BinOp::Lt => cmp("<"),
                    BinOp::Le => cmp("<="),
                    BinOp::Gt => cmp(">"),
                    BinOp::Ge => cmp(">="),
                    BinOp::Add => format!("({a} + {b})"),
                    BinOp::Sub => format!("({a} - {b})"),
                    BinOp::Mul => format!("({a} * {b})"),
                    BinOp::Div => format!("({a} / {b})"),
                    BinOp::Rem => format!("detail::floor_rem({a}, {b})"),
                    BinOp::Pow => format!("std::pow({a}, {b})"),
                }
            }
            Node::Select(c, a, b) => {
                let (c, a, b) = (self.node(c)?, self.node(a)?, self.node(b)?);
                format!("({c} != 0.0 ? {a} : {b})")
            }
            Node::Call(f, args) => {
                let a = args
                    .iter()
                    .map(|x| self.node(x))
                    .collect::<Result<Vec<_>>>()?;
                call(*f, &a)
            }
        })
    }
}

/// A call of built-in `f` on translated arguments.
fn call(f: Func, a: &[String]) -> String {
    let std1 = |name: &str| format!("std::{name}({})", a[0]);
    match f {
        Func::Abs => std1("fabs"),
        Func::Sqrt => std1("sqrt"),
        Func::Cbrt => std1("cbrt"),
        Func::Exp => std1("exp"),
        Func::Expm1 => std1("expm1"),
        Func::Log => std1("log"),
        Func::Log10 => std1("log10"),
        Func::Log2 => std1("log2"),
        Func::Log1p => std1("log1p"),
        Func::Sin => std1("sin"),
        Func::Cos => std1("cos"),
        Func::Tan => std1("tan"),
        Func::Asin => std1("asin"),
        Func::Acos => std1("acos"),
        Func::Atan => std1("atan"),
        Func::Sinh => std1("sinh"),
        Func::Cosh => std1("cosh"),
        Func::Tanh => std1("tanh"),
        Func::Floor => std1("floor"),
        Func::Ceil => std1("ceil"),
        Func::Round => std1("round"),
        Func::Trunc => std1("trunc"),
        Func::Sign => format!("detail::sign({})", a[0]),
        Func::Isnan => format!("(std::isnan({}) ? 1.0 : 0.0)", a[0]),
        Func::Isfinite => format!("(std::isfinite({}) ? 1.0 : 0.0)", a[0]),
        Func::Atan2 => format!("std::atan2({}, {})", a[0], a[1]),
        Func::Hypot => format!("std::hypot({}, {})", a[0], a[1]),
        Func::Pow => format!("std::pow({}, {})", a[0], a[1]),
        Func::Min => format!("detail::min({}, {})", a[0], a[1]),
        Func::Max => format!("detail::max({}, {})", a[0], a[1]),
        Func::Clip => format!("detail::min(detail::max({}, {}), {})", a[0], a[1], a[2]),
        Func::Where => format!("({} != 0.0 ? {} : {})", a[0], a[1], a[2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpp(src: &str) -> Result<(String, Vec<CppBranch>)> {
        let mut b = Vec::new();
        let s = Expr::parse(src)?.to_cpp(&mut b)?;
        Ok((s, b))
    }

    #[test]
    fn branches_and_refusals() {
        let (_, b) = cpp("log(pt + 1) + (Jet_pt[0] ?? -1) * eta").unwrap();
        let names: Vec<(&str, bool)> = b.iter().map(|b| (b.name.as_str(), b.container)).collect();
        assert_eq!(names, [("pt", false), ("Jet_pt", true), ("eta", false)]);
        let e = cpp("`a.b` + 1").unwrap_err().to_string();
        assert!(e.contains("`a.b`") && e.contains("format cpp"), "{e}");
        let e = cpp("`int` * 2").unwrap_err().to_string();
        assert!(e.contains("`int`"), "{e}");
        let e = cpp("x + x[0]").unwrap_err().to_string();
        assert!(e.contains("both with and without"), "{e}");
    }
}
