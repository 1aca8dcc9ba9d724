//! What each subcommand does: one file per command, each `run` taking the command's
//! flags ([`crate::cli`]) and the writer for standard output. [`run`] only dispatches.
//! Commands orchestrate library calls; they write to the writer they are given and
//! return errors; they never exit.

pub mod agreement;
pub mod apply;
pub mod batch;
pub mod demo;
pub mod dump;
pub mod export;
pub mod flatness;
pub mod init;
pub mod inspect;
pub mod morph;
pub mod morph_chain;
pub mod report;
pub mod reweight;
pub mod roc;
pub mod samples;
pub mod samples_generate;
pub mod sf;
pub mod sweep;
pub mod train;

use std::io::Write;

use crate::cli::{Cli, Command, SamplesAction};
use crate::{Error, Result};

/// Runs one parsed command line: the command's `run` with its flags, writing to standard
/// output.
pub fn run(cli: Cli) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let out = &mut out;
    let r = match &cli.command {
        Command::Inspect(a) => inspect::run(a, out),
        Command::Dump(a) => dump::run(a, out),
        Command::Train(a) => set_threads(a.threads).and_then(|_| train::run(a, out)),
        Command::Apply(a) => {
            set_threads(a.threads.or_else(granted_threads)).and_then(|_| apply::run(a, out))
        }
        Command::Export(a) => export::run(a, out),
        Command::Agreement(a) => agreement::run(a, out),
        Command::Roc(a) => roc::run(a, out),
        Command::Sf(a) => sf::run(a, out),
        Command::Flatness(a) => flatness::run(a, out),
        Command::Report(a) => report::run(a, out),
        Command::Sweep(a) => sweep::run(a, out),
        Command::Reweight(a) => set_threads(a.threads).and_then(|_| reweight::run(a, out)),
        Command::Morph(a) => set_threads(a.chain.threads).and_then(|_| morph::run(a, out)),
        Command::Demo(a) => demo::run(a, out),
        Command::Init => init::run(out),
        Command::Batch { action } => batch::run(action, out),
        Command::Samples {
            action: SamplesAction::Generate(a),
        } => samples_generate::run(a, out),
    };
    let r = r.and_then(|_| {
        out.flush().map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })
    });
    match r {
        // The reader of our output went away (`rootgrad dump ... | head`): stop quietly.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

use crate::batch::shard::granted_threads;

/// Sizes rayon's pool (`--threads`, at least 1: clap checks it); results do not depend
/// on it.
pub(crate) fn set_threads(threads: Option<usize>) -> Result<()> {
    let Some(n) = threads else { return Ok(()) };
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| Error::Usage(format!("--threads {n}: {e}")))
}
