//! Checks that come before any value is computed: each column an expression reads is
//! there and holds the chunk's entries, and each branch is used as its layout allows
//! (scalars without an index, arrays with one, fixed-size arrays within their size,
//! vectors of vectors with two).
//! They need only the layouts, so they work on a chunk of zero entries too.

use super::ast::Node;
use super::Columns;
use crate::root::Layout;
use crate::Error;
use crate::Result;

/// An error about expression `src`.
pub(crate) fn err(src: &str, msg: String) -> Error {
    Error::Usage(format!("expression `{src}`: {msg}"))
}

/// Checks that every branch is used as its layout allows: scalars without an index,
/// arrays with one, fixed-size arrays within their size. This needs only the layouts,
/// so it fails the same way for a chunk of zero entries.
pub(crate) fn check_shapes(src: &str, node: &Node, cols: &dyn Columns) -> Result<()> {
    let layout = |name: &str| {
        cols.column(name)
            .map(|c| &c.layout)
            .ok_or_else(|| err(src, format!("no column for branch `{name}` was given")))
    };
    match node {
        Node::Num(_) | Node::Const(..) => Ok(()),
        Node::Branch { name, .. } => match layout(name)? {
            Layout::Flat { width: 1 } => Ok(()),
            Layout::Flat { width } => Err(err(
                src,
                format!(
                    "branch `{name}` holds {width} values per entry (a fixed-size array); \
                     pick one with an index, e.g. `{name}[0]`"
                ),
            )),
            Layout::Jagged { .. } => Err(err(
                src,
                format!(
                    "branch `{name}` holds a variable number of values per entry; \
                     pick one with an index, e.g. `{name}[0] ?? -1`"
                ),
            )),
            Layout::Nested { .. } => Err(err(
                src,
                format!(
                    "branch `{name}` holds a list of lists per entry (a vector of vectors); \
                     pick one value with two indices, e.g. `{name}[0][0] ?? -1`"
                ),
            )),
        },
        Node::Index {
            name,
            index,
            inner,
            text,
            default,
        } => {
            let l = layout(name)?;
            let nested = matches!(l, Layout::Nested { .. });
            if nested && inner.is_none() {
                return Err(err(
                    src,
                    format!(
                        "branch `{name}` holds a list of lists per entry (a vector of vectors), \
                         so `{text}` is a whole list; pick one value with a second index, \
                         e.g. `{name}[{index}][0] ?? -1`"
                    ),
                ));
            }
            if !nested && inner.is_some() {
                let what = match l {
                    Layout::Flat { width: 1 } => "one value",
                    Layout::Flat { .. } => "a fixed-size array (flattened: one index)",
                    _ => "one list of values",
                };
                return Err(err(
                    src,
                    format!(
                        "branch `{name}` holds {what} per entry, so `{text}` has one index \
                         too many; two indices are for vectors of vectors"
                    ),
                ));
            }
            match l {
                Layout::Flat { width: 1 } => {
                    return Err(err(
                        src,
                        format!(
                        "branch `{name}` holds one value per entry, so `{text}` cannot index it; \
                             write `{name}`"
                    ),
                    ))
                }
                Layout::Flat { width } if index >= width => {
                    return Err(err(
                        src,
                        format!(
                            "branch `{name}` is a fixed-size array of {width} values per entry, so \
                             `{text}` is out of range; indices run from 0 to {}",
                            width - 1
                        ),
                    ))
                }
                _ => {}
            }
            match default {
                Some(d) => check_shapes(src, d, cols),
                None => Ok(()),
            }
        }
        Node::Unary(_, a) => check_shapes(src, a, cols),
        Node::Binary(_, a, b) => {
            check_shapes(src, a, cols)?;
            check_shapes(src, b, cols)
        }
        Node::Select(c, a, b) => {
            check_shapes(src, c, cols)?;
            check_shapes(src, a, cols)?;
            check_shapes(src, b, cols)
        }
        Node::Call(_, args) => args.iter().try_for_each(|a| check_shapes(src, a, cols)),
    }
}

/// Checks that the column of `name` is there and holds exactly `n` entries.
pub(crate) fn check_column(src: &str, cols: &dyn Columns, name: &str, n: usize) -> Result<()> {
    let col = cols.column(name).ok_or_else(|| {
        err(
            src,
            format!(
                "no column for branch `{name}` was given; read it first (see `expr::read_for`)"
            ),
        )
    })?;
    let ok = match &col.layout {
        Layout::Flat { width } => col.values.len() == n * width,
        Layout::Jagged { offsets } => {
            offsets.len() == n + 1
                && offsets.windows(2).all(|w| w[0] <= w[1])
                && offsets.last().is_some_and(|&z| z <= col.values.len())
        }
        Layout::Nested { lists, offsets } => {
            lists.len() == n + 1
                && lists.windows(2).all(|w| w[0] <= w[1])
                && lists.last().is_some_and(|&z| z < offsets.len())
                && offsets.windows(2).all(|w| w[0] <= w[1])
                && offsets.last().is_some_and(|&z| z <= col.values.len())
        }
    };
    if !ok {
        return Err(err(
            src,
            format!(
                "the column of branch `{name}` does not hold {n} entries ({} values, layout {:?})",
                col.values.len(),
                col.layout
            ),
        ));
    }
    Ok(())
}
