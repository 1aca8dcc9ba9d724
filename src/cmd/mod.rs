//! What each subcommand does. Library code: it writes to the writer it is given and
//! returns errors; it never exits.

pub mod agreement;
pub mod apply;
pub mod demo;
pub mod dump;
pub mod flatness;
pub mod inspect;
pub mod morph;
pub mod report;
pub mod reweight;
pub mod roc;
pub mod samples;
pub mod samples_generate;
pub mod sweep;
pub mod train;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::{Error, Result};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let r = match cli.command {
        Command::Inspect { target, json } => inspect::run(&target, json, &mut out),
        Command::Dump {
            target,
            branches,
            entry_start,
            entry_stop,
            format,
            output,
            force,
        } => {
            let opts = dump::DumpOptions {
                branches,
                entry_start,
                entry_stop,
                format,
            };
            match output {
                None => dump::run(&target, &opts, &mut out),
                Some(path) => {
                    crate::output::write_atomically(&path, force, |w| dump::run(&target, &opts, w))
                }
            }
        }
        Command::Train {
            config,
            out: dir,
            sets,
            threads,
            quiet,
            force,
        } => set_threads(threads).and_then(|_| {
            let opts = train::TrainOptions {
                config,
                out: dir,
                sets,
                quiet,
                force,
            };
            train::run(&opts, &mut out)
        }),
        Command::Apply {
            model,
            inputs,
            output,
            output_dir,
            tree_name,
            branch,
            friends,
            all_folds,
            force,
            threads,
            quiet,
        } => set_threads(threads).and_then(|_| {
            let opts = apply::ApplyOptions {
                model,
                inputs,
                output,
                output_dir,
                tree_name,
                branch,
                friends,
                all_folds,
                force,
                quiet,
            };
            apply::run(&opts, &mut out)
        }),
        Command::Agreement {
            data,
            mc,
            var,
            data_weight,
            mc_weight,
            cut,
            data_cut,
            mc_cut,
            friends,
            bins,
            range,
            plot,
            log_y,
            x_label,
            force,
            json,
            quiet,
        } => agreement::run(
            &agreement::AgreementOptions {
                data,
                mc,
                var,
                data_weight,
                mc_weight,
                cut,
                data_cut,
                mc_cut,
                friends,
                bins,
                range,
                plot,
                log_y,
                x_label,
                force,
                json,
                quiet,
            },
            &mut out,
        ),
        Command::Roc {
            signal,
            background,
            var,
            signal_weight,
            background_weight,
            cut,
            signal_cut,
            background_cut,
            friends,
            plot,
            log_y,
            force,
            json,
            quiet,
        } => roc::run(
            &roc::RocOptions {
                signal,
                background,
                var,
                signal_weight,
                background_weight,
                cut,
                signal_cut,
                background_cut,
                friends,
                plot,
                log_y,
                force,
                json,
                quiet,
            },
            &mut out,
        ),
        Command::Flatness {
            input,
            var,
            mass,
            cut,
            friends,
            neighbours,
            step,
            json,
            quiet,
        } => flatness::run(
            &flatness::FlatnessOptions {
                input,
                var,
                mass,
                cut,
                friends,
                neighbours,
                step,
                json,
                quiet,
            },
            &mut out,
        ),
        Command::Report {
            model,
            config,
            baseline,
            out: dir,
            bins,
            svg,
            force,
            quiet,
        } => report::run(
            &report::ReportOptions {
                model,
                config,
                baseline,
                out: dir,
                bins,
                svg,
                force,
                quiet,
            },
            &mut out,
        ),
        Command::Sweep {
            config,
            sets,
            repeat,
            out: dir,
            bins,
            svg,
            force,
            quiet,
        } => sweep::run(
            &sweep::SweepOptions {
                config,
                sets,
                repeat,
                out: dir,
                bins,
                svg,
                force,
                quiet,
            },
            &mut out,
        ),
        Command::Reweight {
            config,
            out: dir,
            sets,
            max_weight,
            normalize,
            apply_to,
            checks,
            bins,
            svg,
            threads,
            force,
            quiet,
        } => set_threads(threads).and_then(|_| {
            reweight::run(
                &reweight::ReweightOptions {
                    config,
                    out: dir,
                    sets,
                    max_weight,
                    normalize,
                    apply_to,
                    checks,
                    bins,
                    svg,
                    force,
                    quiet,
                },
                &mut out,
            )
        }),
        Command::Morph {
            config,
            vars,
            out: dir,
            sets,
            bins,
            svg,
            force,
            quiet,
        } => morph::run(
            &morph::MorphOptions {
                config,
                vars,
                out: dir,
                sets,
                bins,
                svg,
                force,
                quiet,
            },
            &mut out,
        ),
        Command::Demo {
            out: dir,
            events,
            seed,
            force,
            quiet,
        } => demo::run(
            &demo::DemoOptions {
                out: dir,
                events,
                seed,
                force,
                quiet,
            },
            &mut out,
        ),
        Command::Samples {
            action:
                crate::cli::SamplesAction::Generate {
                    out: dir,
                    events,
                    seed,
                    force,
                },
        } => samples_generate::run(
            &crate::samples::GenerateOptions {
                out: dir,
                events,
                seed,
                force,
            },
            &mut out,
        ),
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

/// Sizes rayon's pool (`--threads`); results do not depend on it.
fn set_threads(threads: Option<usize>) -> Result<()> {
    let Some(n) = threads else { return Ok(()) };
    if n == 0 {
        return Err(Error::Usage(
            "--threads 0: give at least 1 (or leave it out for every core)".into(),
        ));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| Error::Usage(format!("--threads {n}: {e}")))
}
