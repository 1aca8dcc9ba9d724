//! One error type for the whole of rootgrad.
//!
//! Library code returns these and never prints or exits; `main` prints the message once
//! as `rootgrad: <message>` and exits with [`Error::exit_code`]: 130 after a second
//! Ctrl-C ([`Error::Interrupted`]), 2 for every other error. Every variant names the place the
//! problem is in (file, tree, branch, entry, key) and, where one exists, the fix.

use std::path::PathBuf;

/// Every error rootgrad reports to a user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a read or a write.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The bytes of a ROOT file are not what the format says they must be, or use a part
    /// of the format rootgrad does not read. `msg` says where (key, tree, branch, basket).
    #[error("{}: {msg}", path.display())]
    Root { path: PathBuf, msg: String },

    /// A named thing (key, tree, branch) is not there. `available` lists what is, nearest
    /// first.
    #[error("{}: {}", path.display(), not_found_message(what, name, available))]
    NotFound {
        path: PathBuf,
        what: String,
        name: String,
        available: Vec<String>,
    },

    /// An output file exists and the caller did not ask to overwrite it.
    #[error("{}: output exists; pass --force to overwrite it", path.display())]
    OutputExists { path: PathBuf },

    /// A command-line or configuration value is wrong; the message says which and how to
    /// fix it.
    #[error("{0}")]
    Usage(String),

    /// Ctrl-C was pressed twice during a training run ([`crate::interrupt`]): the run
    /// stops at once and writes nothing more.
    #[error("interrupted twice; stopping now, writing nothing more")]
    Interrupted,
}

impl Error {
    /// The process exit code `main` ends with for this error: 130 (128 + SIGINT, what
    /// a shell reports for a program ended by Ctrl-C) for [`Error::Interrupted`], 2 for
    /// every other error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted => 130,
            _ => 2,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn not_found_message(what: &str, name: &str, available: &[String]) -> String {
    if available.is_empty() {
        return format!("no {what} called `{name}` (there are none)");
    }
    let shown: Vec<&str> = available.iter().take(8).map(String::as_str).collect();
    let more = if available.len() > shown.len() {
        format!(", ... ({} in all)", available.len())
    } else {
        String::new()
    };
    format!(
        "no {what} called `{name}`; did you mean `{}`? available: {}{more}",
        shown[0],
        shown.join(", ")
    )
}

/// Orders `candidates` by closeness to `name`: exact case-insensitive match first, then
/// names that contain it, then by edit distance. Used to build "did you mean" hints.
pub fn nearest_first(name: &str, candidates: impl IntoIterator<Item = String>) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .map(|c| {
            let cl = c.to_lowercase();
            let score = if cl == lower {
                0
            } else if cl.contains(&lower) || lower.contains(&cl) {
                1 + cl.len().abs_diff(lower.len())
            } else {
                1000 + strsim::levenshtein(&cl, &lower)
            };
            (score, c)
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_first_puts_close_names_first() {
        let got = nearest_first(
            "muon_pt",
            ["Jet_pt", "Muon_pt", "Muon_eta", "nMuon"].map(String::from),
        );
        assert_eq!(got[0], "Muon_pt");
    }
}
