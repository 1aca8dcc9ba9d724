//! `rootgrad init`: prints [`crate::config::init::TEMPLATE`], a run description with
//! every key at its default, to standard output.

use std::io::Write;

use crate::{Error, Result};

pub fn run(out: &mut dyn Write) -> Result<()> {
    out.write_all(crate::config::init::TEMPLATE.as_bytes())
        .map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })
}
