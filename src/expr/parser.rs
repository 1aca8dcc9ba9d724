//! Turning tokens into the expression tree, by recursive descent with one function per
//! precedence level, lowest first: `?:`, `||`, `&&`, `== !=`, `< <= > >=`, `+ -`,
//! `* / %`, unary `- + !`, `**`, then indexing `name[k]` with its optional `?? default`,
//! then numbers, names, calls and parentheses.
//!
//! `**` sits above unary minus, and its right operand is a unary expression, as in
//! Python: `-x**2` is `-(x**2)` and `2 ** -1` is `0.5`. `**` and `?:` group to the right,
//! every other binary operator to the left. Function arity and the index of `name[k]`
//! are checked here, so a wrong expression fails when it is parsed, before any data is
//! read.

use super::ast::{BinOp, Func, Node, UnOp};
use super::eval::const_value;
use super::lexer::{Tok, Token};
use super::syntax_error;
use crate::error::nearest_first;
use crate::Result;

/// The named constants, and their values. A bare name that is one of these is the
/// constant; a branch of the same name must be written in backticks.
pub(crate) const CONSTANTS: [(&str, f64); 3] =
    [("pi", std::f64::consts::PI), ("true", 1.0), ("false", 0.0)];

/// The deepest nesting of parentheses, calls, indices, conditionals and prefix operators
/// the parser follows, and the deepest tree it accepts. Both keep every recursion over
/// the tree (parsing, evaluation, dropping) far from the end of a thread's stack.
pub(crate) const MAX_NESTING: usize = 64;
pub(crate) const MAX_DEPTH: usize = 256;

/// Parses the tokens of `src` into one expression that uses all of them.
pub(crate) fn parse_tokens(src: &str, toks: &[Token]) -> Result<Node> {
    if matches!(toks.first().map(|t| &t.tok), Some(Tok::End) | None) {
        return Err(syntax_error(
            src,
            1,
            "the expression is empty; write a branch name, a number or a formula",
        ));
    }
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        nesting: 0,
    };
    let node = p.ternary()?;
    let t = p.peek();
    if t.tok != Tok::End {
        let msg = format!(
            "expected an operator or the end of the expression, found {}",
            t.tok.describe()
        );
        return Err(syntax_error(src, t.col, &msg));
    }
    if depth(&node) > MAX_DEPTH {
        return Err(syntax_error(
            src,
            1,
            &format!("the expression is more than {MAX_DEPTH} operations deep; split it up"),
        ));
    }
    Ok(node)
}

/// The depth of the tree, found without recursion.
fn depth(root: &Node) -> usize {
    let mut stack = vec![(root, 1)];
    let mut deepest = 0;
    while let Some((node, d)) = stack.pop() {
        deepest = deepest.max(d);
        match node {
            Node::Num(_) | Node::Const(..) | Node::Branch { .. } => {}
            Node::Index { default, .. } => stack.extend(default.as_deref().map(|x| (x, d + 1))),
            Node::Unary(_, a) => stack.push((a, d + 1)),
            Node::Binary(_, a, b) => stack.extend([(&**a, d + 1), (&**b, d + 1)]),
            Node::Select(c, a, b) => stack.extend([(&**c, d + 1), (&**a, d + 1), (&**b, d + 1)]),
            Node::Call(_, args) => stack.extend(args.iter().map(|x| (x, d + 1))),
        }
    }
    deepest
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    /// How many `ternary` or prefix-operator calls are open.
    nesting: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &'a Token {
        // The token list always ends with `End`, and `pos` never passes it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    /// Where the last token taken ends.
    fn prev_end(&self) -> usize {
        self.toks[self.pos.saturating_sub(1).min(self.toks.len() - 1)].end
    }

    fn bump(&mut self) -> &'a Token {
        let t = self.peek();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if &self.peek().tok == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<&'a Token> {
        let t = self.peek();
        if t.tok == tok {
            return Ok(self.bump());
        }
        let msg = format!("expected {what}, found {}", t.tok.describe());
        Err(syntax_error(self.src, t.col, &msg))
    }

    /// Enters one level of nesting, refusing to go deeper than [`MAX_NESTING`].
    fn enter(&mut self) -> Result<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            let msg = format!("the expression nests more than {MAX_NESTING} levels deep");
            return Err(syntax_error(self.src, self.peek().col, &msg));
        }
        Ok(())
    }

    fn ternary(&mut self) -> Result<Node> {
        self.enter()?;
        let node = self.ternary_inner();
        self.nesting -= 1;
        node
    }

    fn ternary_inner(&mut self) -> Result<Node> {
        let cond = self.binary(0)?;
        if !self.eat(&Tok::Question) {
            return Ok(cond);
        }
        let yes = self.ternary()?;
        self.expect(Tok::Colon, "`:` (the form is `condition ? a : b`)")?;
        let no = self.ternary()?;
        Ok(Node::Select(Box::new(cond), Box::new(yes), Box::new(no)))
    }

    /// Binary operators from precedence level `level` up (left-associative).
    fn binary(&mut self, level: usize) -> Result<Node> {
        const LEVELS: [&[(Tok, BinOp)]; 6] = [
            &[(Tok::OrOr, BinOp::Or)],
            &[(Tok::AndAnd, BinOp::And)],
            &[(Tok::EqEq, BinOp::Eq), (Tok::Ne, BinOp::Ne)],
            &[
                (Tok::Lt, BinOp::Lt),
                (Tok::Le, BinOp::Le),
                (Tok::Gt, BinOp::Gt),
                (Tok::Ge, BinOp::Ge),
            ],
            &[(Tok::Plus, BinOp::Add), (Tok::Minus, BinOp::Sub)],
            &[
                (Tok::Star, BinOp::Mul),
                (Tok::Slash, BinOp::Div),
                (Tok::Percent, BinOp::Rem),
            ],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        loop {
            let t = &self.peek().tok;
            let Some((_, op)) = ops.iter().find(|(k, _)| k == t) else {
                return Ok(left);
            };
            self.bump();
            let right = self.binary(level + 1)?;
            left = Node::Binary(*op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Node> {
        let op = match self.peek().tok {
            Tok::Minus => UnOp::Neg,
            Tok::Plus => UnOp::Plus,
            Tok::Bang => UnOp::Not,
            _ => return self.power(),
        };
        self.bump();
        self.enter()?;
        let inner = self.unary();
        self.nesting -= 1;
        let inner = inner?;
        Ok(match (op, inner) {
            // `-1` is a number, so `Jet_pt[0] ?? -1` and constant folding stay simple.
            (UnOp::Neg, Node::Num(x)) => Node::Num(-x),
            (op, inner) => Node::Unary(op, Box::new(inner)),
        })
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.postfix()?;
        if !self.eat(&Tok::StarStar) {
            return Ok(base);
        }
        // Right operand is unary, which comes back here: `2 ** 3 ** 2` is `2 ** 9`.
        let exp = self.unary()?;
        Ok(Node::Binary(BinOp::Pow, Box::new(base), Box::new(exp)))
    }

    /// A primary, then `[k]` and `?? default` if it is a branch name.
    fn postfix(&mut self) -> Result<Node> {
        let first = self.peek();
        let node = self.primary()?;
        let Node::Branch { name, .. } = &node else {
            if self.peek().tok == Tok::LBracket {
                return Err(syntax_error(
                    self.src,
                    self.peek().col,
                    "only a branch can be indexed, as in `Jet_pt[0]`",
                ));
            }
            return self.no_default_here(node);
        };
        if self.peek().tok != Tok::LBracket {
            return self.no_default_here(node);
        }
        let k = self.one_index(name)?;
        // A second index picks a value of an inner list: `x[i][j]` on a vector of vectors.
        let inner = if self.peek().tok == Tok::LBracket {
            Some(self.one_index(name)?)
        } else {
            None
        };
        if self.peek().tok == Tok::LBracket {
            return Err(syntax_error(
                self.src,
                self.peek().col,
                "at most two indices, as in `x[0][1]` for a vector of vectors",
            ));
        }
        let close_end = self.prev_end();
        let text = self.src[first.start..close_end].to_string();
        let default = if self.eat(&Tok::QuestionQuestion) {
            Some(Box::new(self.unary()?))
        } else {
            None
        };
        Ok(Node::Index {
            name: name.clone(),
            index: k,
            inner,
            text,
            default,
        })
    }

    /// `[k]`: a constant, non-negative whole number in brackets.
    fn one_index(&mut self, name: &str) -> Result<usize> {
        self.bump(); // `[`
        let inner_start = self.peek();
        let index = self.ternary()?;
        let close = self.expect(Tok::RBracket, "`]` to close the index")?;
        let inner_text = &self.src[inner_start.start..close.start.max(inner_start.start)];
        match const_value(&index) {
            Some(k) if k >= 0.0 && k.fract() == 0.0 && k <= u32::MAX as f64 => Ok(k as usize),
            _ => {
                let msg = format!(
                    "the index in `{name}[{}]` must be a non-negative whole number such as `{name}[0]`",
                    inner_text.trim()
                );
                Err(syntax_error(self.src, inner_start.col, &msg))
            }
        }
    }

    /// `??` may only follow an index; anywhere else it is an error that says so.
    fn no_default_here(&self, node: Node) -> Result<Node> {
        let t = self.peek();
        if t.tok == Tok::QuestionQuestion {
            return Err(syntax_error(
                self.src,
                t.col,
                "`??` gives a default for a missing array element and must directly follow an index, as in `Jet_pt[0] ?? -1`",
            ));
        }
        Ok(node)
    }

    fn primary(&mut self) -> Result<Node> {
        let t = self.bump();
        match &t.tok {
            Tok::Num(x) => Ok(Node::Num(*x)),
            Tok::Quoted(name) => Ok(Node::Branch {
                name: name.clone(),
                quoted: true,
            }),
            Tok::Name(name) if self.peek().tok == Tok::LParen => self.call(name, t),
            Tok::Name(name) => match CONSTANTS.iter().find(|(c, _)| c == name) {
                Some(&(c, v)) => Ok(Node::Const(c, v)),
                None => Ok(Node::Branch {
                    name: name.clone(),
                    quoted: false,
                }),
            },
            Tok::LParen => {
                let inner = self.ternary()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            other => {
                let msg = format!(
                    "expected a number, a branch name, a function call or `(`, found {}",
                    other.describe()
                );
                Err(syntax_error(self.src, t.col, &msg))
            }
        }
    }

    fn call(&mut self, name: &str, at: &Token) -> Result<Node> {
        let Some(f) = Func::by_name(name) else {
            let near = nearest_first(name, Func::ALL.iter().map(|f| f.name().to_string()));
            let msg = format!(
                "unknown function `{name}`; did you mean `{}`? functions: {}",
                near.first().map_or("abs", String::as_str),
                Func::ALL.map(Func::name).join(", ")
            );
            return Err(syntax_error(self.src, at.col, &msg));
        };
        self.expect(Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                args.push(self.ternary()?);
                if self.eat(&Tok::Comma) {
                    continue;
                }
                self.expect(Tok::RParen, "`,` or `)` in the arguments")?;
                break;
            }
        }
        if args.len() != f.arity() {
            let plural = if f.arity() == 1 { "" } else { "s" };
            let msg = format!(
                "`{name}` takes {} argument{plural} ({}), found {}",
                f.arity(),
                f.signature(),
                args.len()
            );
            return Err(syntax_error(self.src, at.col, &msg));
        }
        Ok(Node::Call(f, args))
    }
}
