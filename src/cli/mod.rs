//! The command line: the subcommands, each with its flags in one clap `Args` struct,
//! documented where it is defined (the doc comments are the `--help` text).
//! docs/cli.md describes the same commands for users.
//!
//! Each struct is what the command's `cmd::X::run` takes, so a flag is declared once:
//! here. The structs are grouped by what the commands do ([`files`]: look into ROOT
//! files; [`train`]: train and the commands built on training; [`apply`]: write scores;
//! [`judge`]: measure separation and agreement; [`domain`]: reweight and morph
//! simulation to data). Counts are checked while parsing ([`count`]), so `--bins 0` is
//! refused by clap, naming the flag, before anything is read. The layers below the
//! command line never import this module: it imports only library types (such as
//! [`crate::reweight::Target`], a clap `ValueEnum`).

pub mod apply;
pub mod batch;
pub mod domain;
pub mod export;
pub mod files;
pub mod judge;
pub mod sf;
pub mod train;

use clap::{Parser, Subcommand};

pub use apply::{ApplyArgs, FriendFormatArgs};
pub use batch::{BatchAction, SplitArgs};
pub use domain::{MorphArgs, ReweightArgs};
pub use export::{ExportArgs, ExportFormat};
pub use files::{DumpArgs, DumpFormat, InspectArgs};
pub use judge::{AgreementArgs, DataMcArgs, FlatnessArgs, ReportArgs, RocArgs};
pub use sf::SfArgs;
pub use train::{DemoArgs, SweepArgs, TrainArgs};

/// rootgrad: train small classifiers on ROOT ntuples and write the scores back as
/// friend trees. One static binary; no Python.
#[derive(Debug, Parser)]
#[command(name = "rootgrad", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the trees of a file, or the branches of one tree, with their C++ types,
    /// interpretations and sizes.
    Inspect(InspectArgs),
    /// Print branch values entry by entry, like TTree::Scan.
    Dump(DumpArgs),
    /// Train a classifier from the samples of a run description (TOML; see
    /// docs/config.md) and write DIR/model.json, DIR/history.csv and DIR/summary.json.
    Train(TrainArgs),
    /// Score ROOT files with a trained model and write one friend tree per input file,
    /// entry for entry.
    Apply(ApplyArgs),
    /// Write a model as an ONNX file or a dependency-free C++17 header, for CMSSW,
    /// Athena, TMVA SOFIE, a ROOT macro or RDataFrame (docs/export.md).
    Export(ExportArgs),
    /// Compare data and simulation in one variable: weighted KS, chi2/ndf and p-value,
    /// yields, and a plot with a ratio panel.
    Agreement(AgreementArgs),
    /// Separation of signal from background by one variable: weighted AUC, the truncated
    /// AUC of the Flavours of Physics challenge, efficiencies at working points, a ROC
    /// plot.
    Roc(RocArgs),
    /// Data/simulation scale factors of score cuts: the efficiency of each working point
    /// in data (sWeighted) and in simulation in bins of a variable, SF = eff_data /
    /// eff_mc with uncertainties from sums of weights and of squared weights; JSON, CSV
    /// and figures.
    Sf(SfArgs),
    /// Cramer-von Mises flatness of a score in a mass (the Flavours of Physics test).
    Flatness(FlatnessArgs),
    /// An HTML page with figures for a trained model: training curves, ROC, the score in
    /// the control region (and a baseline's), every input data vs simulation, metrics.
    Report(ReportArgs),
    /// Train once per value of a key (and per seed) and tabulate AUC against data/MC
    /// agreement, e.g. `--set adaptation.lambda=0,0.1,1,10,100`.
    Sweep(SweepArgs),
    /// Reweight simulation to data: train a data-vs-simulation classifier on the control
    /// region ([domain], k folds) and write, per simulation file, a friend tree with the
    /// factor `rw` = s/(1-s) and `weight_rw`; with a before/after report.
    Reweight(ReweightArgs),
    /// Morph simulation to data, variable by variable: T(x) = Q_data(F_mc(x)) with
    /// weighted CDFs of the control region (ties and point masses spread over their
    /// quantile interval, reproducibly per entry), written as friend branches
    /// `<name>_morphed`; before/after metrics on a held-out half.
    Morph(MorphArgs),
    /// The whole point in one command: generate the toy samples, train a baseline and
    /// domain-adapted models on two scenarios, apply them, print a table of separation
    /// and data/simulation agreement, and write HTML reports.
    Demo(DemoArgs),
    /// Print a run description with every key at its default, commented (the reference
    /// of docs/config.md that travels with the binary): `rootgrad init > my.toml`.
    Init,
    /// Split an apply across batch jobs (HTCondor, Slurm): plan, submit files, status,
    /// rescue, merge. See docs/batch.md.
    Batch {
        #[command(subcommand)]
        action: BatchAction,
    },
    /// The toy samples of the demo (photon identification with Z->ee; tau -> 3 mu with
    /// D_s -> phi pi): `rootgrad samples generate`.
    Samples {
        #[command(subcommand)]
        action: SamplesAction,
    },
}

/// What `rootgrad samples` does.
#[derive(Debug, Subcommand)]
pub enum SamplesAction {
    /// Write the toy ROOT files of both demo scenarios and their run descriptions
    /// (photon_id.toml, tau3mu.toml) into one folder, or with `--scenario morph-toy` the
    /// morph toy (morph_toy.toml); deterministic for a seed.
    Generate(crate::samples::GenerateOptions),
}

/// The value parser of every count flag (`--bins`, `--threads`, `--repeat`,
/// `--neighbours`, `--step`): a whole number of at least 1. clap names the flag in the
/// message: `invalid value '0' for '--bins <BINS>': give at least 1`.
pub fn count(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if n == 0 {
        return Err("give at least 1".into());
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn counts_refuse_zero_naming_the_flag() {
        assert_eq!(count("3"), Ok(3));
        assert!(count("0").is_err());
        assert!(count("-1").is_err());
        for args in [
            &[
                "rootgrad",
                "agreement",
                "--data",
                "d",
                "--mc",
                "m",
                "--var",
                "x",
                "--bins",
                "0",
            ][..],
            &["rootgrad", "report", "-m", "dir", "--bins", "0"][..],
            &["rootgrad", "train", "c.toml", "--threads", "0"][..],
            &[
                "rootgrad", "sweep", "c.toml", "--set", "a=1", "--repeat", "0",
            ][..],
            &["rootgrad", "samples", "generate", "--events", "50"][..],
        ] {
            let e = Cli::try_parse_from(args).unwrap_err();
            let flag = args[args.len() - 2];
            assert!(e.to_string().contains(flag), "{args:?}: {e}");
        }
    }

    /// Issue 17 item 8: the demo table and `sweep` binned the control-region score in 20
    /// bins, `report` and `agreement` in 40, so one model had chi2/ndf 60.9 in one table
    /// and 1249/39 in another. Every command that bins a quantity defaults to the one
    /// rule, [`crate::metrics::binning::DEFAULT_BINS`].
    #[test]
    fn every_comparison_defaults_to_the_same_bins() {
        use crate::metrics::binning::DEFAULT_BINS;
        let bins = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
            Command::Agreement(a) => a.bins,
            Command::Report(a) => a.bins,
            Command::Sweep(a) => a.bins,
            Command::Reweight(a) => a.bins,
            Command::Morph(a) => a.bins,
            _ => unreachable!("not a binning command: {args:?}"),
        };
        let cases: [&[&str]; 5] = [
            &[
                "rootgrad",
                "agreement",
                "--data",
                "d",
                "--mc",
                "m",
                "--var",
                "x",
            ],
            &["rootgrad", "report", "-m", "dir"],
            &["rootgrad", "sweep", "c.toml", "--set", "a=1,2"],
            &["rootgrad", "reweight", "c.toml"],
            &["rootgrad", "morph", "c.toml", "--var", "x"],
        ];
        for args in cases {
            assert_eq!(bins(args), DEFAULT_BINS, "{args:?}");
        }
    }
}
