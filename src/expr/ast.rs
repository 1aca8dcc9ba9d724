//! The parsed form of an expression, and the one place each operator and function is
//! defined on plain numbers.
//!
//! Both evaluation paths use the scalar definitions here: constant folding (a node with
//! no branch below it is one number) and the column loops in `eval.rs`, which call them
//! once per entry inside loops the compiler specialises per operator.

/// An expression tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Num(f64),
    /// `pi`, `true`, `false`.
    Const(&'static str, f64),
    /// A branch read without an index: it must hold one value per entry.
    Branch {
        name: String,
        quoted: bool,
    },
    /// `name[index]`, or `name[index][inner]` for a vector of vectors, with `text` as
    /// written (for messages) and an optional `?? default` used for entries with too
    /// few elements.
    Index {
        name: String,
        index: usize,
        inner: Option<usize>,
        text: String,
        default: Option<Box<Node>>,
    },
    Unary(UnOp, Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    /// `cond ? a : b`.
    Select(Box<Node>, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

impl Node {
    /// Calls `f` on every branch name the node reads, with whether it was quoted.
    pub(crate) fn visit_branches(&self, f: &mut dyn FnMut(&str, bool)) {
        match self {
            Node::Num(_) | Node::Const(..) => {}
            Node::Branch { name, quoted } => f(name, *quoted),
            Node::Index { name, default, .. } => {
                f(name, false);
                if let Some(d) = default {
                    d.visit_branches(f);
                }
            }
            Node::Unary(_, a) => a.visit_branches(f),
            Node::Binary(_, a, b) => {
                a.visit_branches(f);
                b.visit_branches(f);
            }
            Node::Select(c, a, b) => {
                c.visit_branches(f);
                a.visit_branches(f);
                b.visit_branches(f);
            }
            Node::Call(_, args) => args.iter().for_each(|a| a.visit_branches(f)),
        }
    }
}

/// Truth as the language sees it: any non-zero number (NaN included, as in C) is true.
#[inline(always)]
pub(crate) fn truth(x: f64) -> bool {
    x != 0.0
}

#[inline(always)]
fn b(x: bool) -> f64 {
    if x {
        1.0
    } else {
        0.0
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Not,
}

impl UnOp {
    #[inline(always)]
    pub(crate) fn apply(self, x: f64) -> f64 {
        match self {
            UnOp::Neg => -x,
            UnOp::Plus => x,
            UnOp::Not => b(!truth(x)),
        }
    }
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

/// The floored remainder: the result has the sign of `y` (so `x % 5` is in `[0, 5)` for
/// every `x`, negative event numbers included). `x % 0` is NaN.
#[inline(always)]
pub(crate) fn floor_rem(x: f64, y: f64) -> f64 {
    let r = x % y;
    if r != 0.0 && (r < 0.0) != (y < 0.0) {
        r + y
    } else {
        r
    }
}

impl BinOp {
    #[inline(always)]
    pub(crate) fn apply(self, x: f64, y: f64) -> f64 {
        match self {
            BinOp::Or => b(truth(x) || truth(y)),
            BinOp::And => b(truth(x) && truth(y)),
            BinOp::Eq => b(x == y),
            BinOp::Ne => b(x != y),
            BinOp::Lt => b(x < y),
            BinOp::Le => b(x <= y),
            BinOp::Gt => b(x > y),
            BinOp::Ge => b(x >= y),
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
            BinOp::Rem => floor_rem(x, y),
            BinOp::Pow => x.powf(y),
        }
    }
}

/// Generates the function table: variant, name, arity, argument names.
macro_rules! functions {
    ($($v:ident $name:literal $sig:literal;)*) => {
        /// The built-in functions.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Func { $($v),* }

        impl Func {
            /// Every function, in the order the docs list them.
            pub(crate) const ALL: [Func; [$($name),*].len()] = [$(Func::$v),*];

            pub(crate) fn name(self) -> &'static str {
                match self { $(Func::$v => $name),* }
            }

            /// The argument list as the docs write it, e.g. `x, lo, hi`.
            pub(crate) fn signature(self) -> &'static str {
                match self { $(Func::$v => $sig),* }
            }
        }
    };
}

functions! {
    Abs "abs" "x";
    Sqrt "sqrt" "x";
    Cbrt "cbrt" "x";
    Exp "exp" "x";
    Expm1 "expm1" "x";
    Log "log" "x";
    Log10 "log10" "x";
    Log2 "log2" "x";
    Log1p "log1p" "x";
    Sin "sin" "x";
    Cos "cos" "x";
    Tan "tan" "x";
    Asin "asin" "x";
    Acos "acos" "x";
    Atan "atan" "x";
    Sinh "sinh" "x";
    Cosh "cosh" "x";
    Tanh "tanh" "x";
    Floor "floor" "x";
    Ceil "ceil" "x";
    Round "round" "x";
    Trunc "trunc" "x";
    Sign "sign" "x";
    Isnan "isnan" "x";
    Isfinite "isfinite" "x";
    Atan2 "atan2" "y, x";
    Hypot "hypot" "x, y";
    Pow "pow" "x, y";
    Min "min" "x, y";
    Max "max" "x, y";
    Clip "clip" "x, lo, hi";
    Where "where" "cond, a, b";
}

impl Func {
    pub(crate) fn by_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    pub(crate) fn arity(self) -> usize {
        self.signature().split(',').count()
    }

    /// One-argument functions on a number (None for the others).
    #[inline(always)]
    pub(crate) fn apply1(self, x: f64) -> f64 {
        match self {
            Func::Abs => x.abs(),
            Func::Sqrt => x.sqrt(),
            Func::Cbrt => x.cbrt(),
            Func::Exp => x.exp(),
            Func::Expm1 => x.exp_m1(),
            Func::Log => x.ln(),
            Func::Log10 => x.log10(),
            Func::Log2 => x.log2(),
            Func::Log1p => x.ln_1p(),
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
            Func::Floor => x.floor(),
            Func::Ceil => x.ceil(),
            Func::Round => x.round(),
            Func::Trunc => x.trunc(),
            Func::Sign => sign(x),
            Func::Isnan => b(x.is_nan()),
            Func::Isfinite => b(x.is_finite()),
            _ => f64::NAN,
        }
    }

    /// Two-argument functions on numbers.
    #[inline(always)]
    pub(crate) fn apply2(self, x: f64, y: f64) -> f64 {
        match self {
            Func::Atan2 => x.atan2(y),
            Func::Hypot => x.hypot(y),
            Func::Pow => x.powf(y),
            Func::Min => min(x, y),
            Func::Max => max(x, y),
            _ => f64::NAN,
        }
    }

    /// Three-argument functions on numbers.
    #[inline(always)]
    pub(crate) fn apply3(self, x: f64, y: f64, z: f64) -> f64 {
        match self {
            Func::Clip => min(max(x, y), z),
            Func::Where => {
                if truth(x) {
                    y
                } else {
                    z
                }
            }
            _ => f64::NAN,
        }
    }
}

/// -1, 0 or 1 (and NaN for NaN; `sign(-0.0)` is 0).
#[inline(always)]
pub(crate) fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x.is_nan() {
        f64::NAN
    } else {
        0.0
    }
}

/// The smaller of two numbers; NaN if either is NaN (unlike `f64::min`, a NaN is not
/// hidden).
#[inline(always)]
pub(crate) fn min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.min(y)
    }
}

/// The larger of two numbers; NaN if either is NaN.
#[inline(always)]
pub(crate) fn max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.max(y)
    }
}
