//! Cutting an expression's text into tokens, each with the column it starts at, so the
//! parser can point at the exact place a problem is.
//!
//! Columns count characters (not bytes) from 1, as an editor shows them. Numbers are
//! `1`, `1.5`, `1.`, `.5`, `1e-3`; a number running straight into letters, digits or a
//! second `.` (`2x`, `1.2.3`, `1e`) is one bad number, not two tokens. Names are
//! `[A-Za-z_][A-Za-z0-9_.]*` (so ROOT leaf-list columns `branch.leaf` are one name), or
//! any text between backticks.

use super::syntax_error;
use crate::Result;

/// The longest expression accepted, in characters.
pub(crate) const MAX_CHARS: usize = 10_000;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    /// A bare name: a branch, a constant, or (before `(`) a function.
    Name(String),
    /// A backtick-quoted name: always a branch.
    Quoted(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Question,
    QuestionQuestion,
    Colon,
    Plus,
    Minus,
    Star,
    StarStar,
    Slash,
    Percent,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    Bang,
    End,
}

impl Tok {
    /// How the token reads in a message ("found `)`").
    pub(crate) fn describe(&self) -> String {
        let s = match self {
            Tok::Num(x) => return format!("number `{x}`"),
            Tok::Name(n) => return format!("name `{n}`"),
            Tok::Quoted(n) => return format!("name `` `{n}` ``"),
            Tok::End => return "end of input".to_string(),
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Question => "?",
            Tok::QuestionQuestion => "??",
            Tok::Colon => ":",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::StarStar => "**",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
        };
        format!("`{s}`")
    }
}

/// A token and where it is: `col` is its 1-based character column, `start..end` its
/// byte range in the source (for quoting sub-expressions in messages).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub col: usize,
    pub start: usize,
    pub end: usize,
}

/// Splits `src` into tokens, ending with one `Tok::End` at the column after the text.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    if chars.len() > MAX_CHARS {
        let msg = format!(
            "the expression is {} characters long; the limit is {MAX_CHARS}",
            chars.len()
        );
        return Err(super::Error::Usage(format!(
            "expression `{}...`: {msg}",
            src.chars().take(40).collect::<String>()
        )));
    }
    let byte_at = |i: usize| chars.get(i).map_or(src.len(), |&(b, _)| b);
    let ch = |i: usize| chars.get(i).map(|&(_, c)| c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let begin = i;
        let tok =
            if c.is_ascii_digit() || (c == '.' && ch(i + 1).is_some_and(|d| d.is_ascii_digit())) {
                i = number_end(&chars, i);
                // A number running into letters, digits, `_` or `.` is one bad number.
                while ch(i).is_some_and(|d| d.is_ascii_alphanumeric() || d == '_' || d == '.') {
                    i += 1;
                }
                let text = &src[byte_at(begin)..byte_at(i)];
                match text.parse::<f64>() {
                    Ok(x) if number_end(&chars, begin) == i => Tok::Num(x),
                    _ => {
                        return Err(syntax_error(
                            src,
                            begin + 1,
                            &format!(
                            "bad number `{text}` (numbers look like `3`, `1.5`, `.5` or `1e-3`)"
                        ),
                        ))
                    }
                }
            } else if c.is_ascii_alphabetic() || c == '_' {
                while ch(i).is_some_and(|d| d.is_ascii_alphanumeric() || d == '_' || d == '.') {
                    i += 1;
                }
                Tok::Name(src[byte_at(begin)..byte_at(i)].to_string())
            } else if c == '`' {
                i += 1;
                while ch(i).is_some_and(|d| d != '`') {
                    i += 1;
                }
                if ch(i).is_none() {
                    return Err(syntax_error(
                        src,
                        begin + 1,
                        "this backtick-quoted name has no closing backtick",
                    ));
                }
                let name = &src[byte_at(begin + 1)..byte_at(i)];
                i += 1;
                if name.is_empty() {
                    return Err(syntax_error(src, begin + 1, "empty backtick-quoted name"));
                }
                Tok::Quoted(name.to_string())
            } else {
                let next = ch(i + 1);
                let (tok, len) = match (c, next) {
                    ('*', Some('*')) => (Tok::StarStar, 2),
                    ('<', Some('=')) => (Tok::Le, 2),
                    ('>', Some('=')) => (Tok::Ge, 2),
                    ('=', Some('=')) => (Tok::EqEq, 2),
                    ('!', Some('=')) => (Tok::Ne, 2),
                    ('&', Some('&')) => (Tok::AndAnd, 2),
                    ('|', Some('|')) => (Tok::OrOr, 2),
                    ('?', Some('?')) => (Tok::QuestionQuestion, 2),
                    ('(', _) => (Tok::LParen, 1),
                    (')', _) => (Tok::RParen, 1),
                    ('[', _) => (Tok::LBracket, 1),
                    (']', _) => (Tok::RBracket, 1),
                    (',', _) => (Tok::Comma, 1),
                    ('?', _) => (Tok::Question, 1),
                    (':', _) => (Tok::Colon, 1),
                    ('+', _) => (Tok::Plus, 1),
                    ('-', _) => (Tok::Minus, 1),
                    ('*', _) => (Tok::Star, 1),
                    ('/', _) => (Tok::Slash, 1),
                    ('%', _) => (Tok::Percent, 1),
                    ('<', _) => (Tok::Lt, 1),
                    ('>', _) => (Tok::Gt, 1),
                    ('!', _) => (Tok::Bang, 1),
                    _ => {
                        let hint = match c {
                            '=' => "; to compare, write `==`",
                            '&' => "; for logical and, write `&&`",
                            '|' => "; for logical or, write `||`",
                            '^' => "; for a power, write `**` or `pow(a, b)`",
                            '"' | '\'' => "; quote an unusual branch name with backticks: `name`",
                            _ => "",
                        };
                        return Err(syntax_error(
                            src,
                            begin + 1,
                            &format!("unexpected character `{c}`{hint}"),
                        ));
                    }
                };
                i += len;
                tok
            };
        out.push(Token {
            tok,
            col: begin + 1,
            start: byte_at(begin),
            end: byte_at(i),
        });
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len() + 1,
        start: src.len(),
        end: src.len(),
    });
    Ok(out)
}

/// The index just past the longest well-formed number starting at `i`: digits, an
/// optional `.` and digits, an optional exponent `e`/`E`, sign, digits.
fn number_end(chars: &[(usize, char)], mut i: usize) -> usize {
    let digit = |i: usize| chars.get(i).is_some_and(|&(_, c)| c.is_ascii_digit());
    while digit(i) {
        i += 1;
    }
    if chars.get(i).is_some_and(|&(_, c)| c == '.') {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if chars.get(i).is_some_and(|&(_, c)| c == 'e' || c == 'E') {
        let mut j = i + 1;
        if chars.get(j).is_some_and(|&(_, c)| c == '+' || c == '-') {
            j += 1;
        }
        if digit(j) {
            while digit(j) {
                j += 1;
            }
            i = j;
        }
    }
    i
}
