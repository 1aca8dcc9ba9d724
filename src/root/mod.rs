//! The only module that knows the ROOT file format.
//!
//! Reading is a named sequence, as in uproot: open the file and its directories
//! ([`file`]), find the tree's key and parse the TTree, TBranch and TLeaf metadata
//! ([`tree`]), then for each branch locate the baskets an entry range touches, decompress
//! them ([`compress`]), interpret their bytes ([`interp`]) and concatenate the values
//! into the caller's column ([`read`]). Several files of one tree read as one chain, and
//! friend trees join by entry number ([`chain`]). Writing friend trees is in [`write`]
//! (with `wbuf`, `wfile` and `wtree`); the record of a friend's source and its check in
//! [`provenance`].
//!
//! Inside this module errors are [`Fault`]s: a message without the file name. The public
//! entry points attach the path and turn them into [`crate::Error`].

pub mod chain;
pub mod compress;
pub mod cursor;
pub mod file;
pub mod identify;
pub mod interp;
pub mod members;
mod nested;
pub mod objects;
pub mod provenance;
pub mod read;
pub mod rntuple;
pub mod tree;
mod wbuf;
mod wfile;
pub mod write;
mod wtree;

pub use chain::{Chain, TreeSpec};
pub use file::RootFile;
pub use interp::{Element, Interpretation, Shape};
pub use read::{Column, Layout};
pub use tree::{BranchInfo, Tree};

use std::path::Path;

/// A problem found in the bytes of a ROOT file, before the file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault(pub String);

impl Fault {
    /// A fault with a message.
    pub fn new(msg: impl Into<String>) -> Fault {
        Fault(msg.into())
    }

    /// Prefixes the message with where it happened (`"branch `x`, basket 3"`).
    pub fn context(self, place: impl std::fmt::Display) -> Fault {
        Fault(format!("{place}: {}", self.0))
    }

    /// Attaches the file path, making the public error.
    pub fn at(self, path: &Path) -> crate::Error {
        crate::Error::Root {
            path: path.to_path_buf(),
            msg: self.0,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Result inside the ROOT module.
pub type Res<T> = std::result::Result<T, Fault>;
