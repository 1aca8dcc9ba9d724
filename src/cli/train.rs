//! The flags of `train` and of the commands built on training: `sweep` (many trainings)
//! and `demo` (generate, train, apply, judge, report, reweight in one go).

use std::path::PathBuf;

use clap::Args;

use super::count;
use crate::samples::parse_events;

/// `rootgrad train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The run description, e.g. `photon_id.toml`.
    pub config: PathBuf,
    /// Output folder (created if missing). Default: `rootgrad-<config name>` in the
    /// current folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override one key of the run description, e.g.
    /// `--set training.learning_rate=3e-4`; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Remove one key of the run description (dotted, e.g. `adaptation.lambda`) before
    /// the `--set` overrides; repeatable. A key of the file that an override makes
    /// irrelevant (`lambda` after `--set adaptation.method=none`) is ignored with a note.
    #[arg(long = "unset", value_name = "KEY")]
    pub unsets: Vec<String>,
    /// Worker threads (default: every core). The model is the same for any number.
    #[arg(long, value_parser = count)]
    pub threads: Option<usize>,
    /// No progress bars or per-epoch lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Overwrite model.json, history.csv and summary.json if they exist.
    #[arg(long)]
    pub force: bool,
    /// With k folds (training.folds): train fold K only (from 0), into OUT/fold-K/;
    /// `rootgrad batch combine OUT` then writes OUT/model.json, the same bytes as
    /// training every fold in one process. See docs/batch.md.
    #[arg(long, value_name = "K")]
    pub fold: Option<usize>,
    /// Finish a k-fold training that Ctrl-C stopped: OUT/model.json is then an
    /// incomplete model (the folds that finished); train only its missing folds, with
    /// the same description and the same --set/--unset flags (a change that alters the
    /// model is refused, naming the keys), and write the complete model, the one an
    /// uninterrupted run writes.
    #[arg(long, conflicts_with_all = ["force", "fold"])]
    pub resume: bool,
}

/// `rootgrad sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// The run description.
    pub config: PathBuf,
    /// `KEY=V1,V2,...`; several are combined in every way.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
    pub sets: Vec<String>,
    /// Remove one key of the run description (dotted, e.g. `adaptation.lambda`) before
    /// the `--set` overrides; repeatable. A key of the file that an override makes
    /// irrelevant (`lambda` after `--set adaptation.method=none`) is ignored with a note.
    #[arg(long = "unset", value_name = "KEY")]
    pub unsets: Vec<String>,
    /// Trainings per setting, with seeds training.seed, +1, ...
    #[arg(long, default_value_t = 1, value_parser = count)]
    pub repeat: usize,
    /// Output folder (default: rootgrad-sweep-<config name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Bins of the score histograms for chi2.
    #[arg(long, default_value_t = crate::metrics::binning::DEFAULT_BINS, value_parser = count)]
    pub bins: usize,
    /// SVG figures instead of PNG.
    #[arg(long)]
    pub svg: bool,
    /// Overwrite existing outputs.
    #[arg(long)]
    pub force: bool,
    /// No progress bars or per-epoch lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Train point P only (setting x seed, from 0, settings in order, seeds inner),
    /// into its run folder, without the table: one batch job of `batch sweep`.
    #[arg(long, value_name = "P", conflicts_with = "tabulate")]
    pub point: Option<usize>,
    /// Train nothing: tabulate the run folders the points' jobs wrote (every point
    /// must be there).
    #[arg(long)]
    pub tabulate: bool,
}

/// `rootgrad demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Output folder (samples, models, friend trees, reports).
    #[arg(long, default_value = "rootgrad-demo")]
    pub out: PathBuf,
    /// Events per sample (default 100000; fewer runs faster).
    #[arg(long, value_parser = parse_events)]
    pub events: Option<usize>,
    /// Seed of the samples.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Overwrite the outputs of an earlier demo in the same folder.
    #[arg(long)]
    pub force: bool,
    /// No progress bars or per-epoch lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
