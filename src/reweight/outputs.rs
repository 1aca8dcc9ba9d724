//! Where `reweight` and `morph` write: one friend file per tree of the simulation chain,
//! `DIR/<file stem>.<tag>.root`, holding that tree's entry range of the chain, and the
//! default output folder `rootgrad-<command>-<config stem>`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::root::Chain;
use crate::{Error, Result};

/// The friend output of each tree of a chain: `DIR/<file stem>.<tag>.root`, with the
/// chain's entry range; two trees that would write one file are refused.
pub fn plan_outputs(chain: &Chain, dir: &Path, tag: &str) -> Result<Vec<(PathBuf, Range<u64>)>> {
    let mut out: Vec<(PathBuf, Range<u64>)> = Vec::new();
    for (i, t) in chain.members().iter().enumerate() {
        let stem = t
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or("input".into());
        let path = dir.join(format!("{stem}.{tag}.root"));
        if out.iter().any(|(p, _)| *p == path) {
            return Err(Error::Usage(format!(
                "{}: two simulation files (or trees) would write this output; give the files \
                 different names",
                path.display()
            )));
        }
        out.push((path, chain.starts[i]..chain.starts[i] + t.entries));
    }
    Ok(out)
}

/// The output folder when `--out` is not given: `rootgrad-<cmd>-<config stem>`.
pub fn default_out(config: &Path, cmd: &str) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or("run".into());
    PathBuf::from(format!("rootgrad-{cmd}-{stem}"))
}
