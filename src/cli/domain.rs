//! The flags of the commands that bring simulation closer to data in the control
//! region: `reweight` (a per-event factor from a classifier) and `morph` (per-variable
//! quantile matching).

use std::path::PathBuf;

use clap::Args;

use super::count;
use crate::reweight::{ApplyTo, Target};

/// `rootgrad reweight`.
#[derive(Debug, Clone, Args)]
pub struct ReweightArgs {
    /// The run description ([inputs], [domain], [network], [training] with folds).
    pub config: PathBuf,
    /// Output folder (created if missing). Default: `rootgrad-reweight-<config name>`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override one key of the run description; repeatable. Applied after the
    /// reweighting classifier's own defaults (network.hidden=[128,128], relu, 60
    /// epochs, learning rate 1e-3), so e.g. `--set training.epochs=30` changes one.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Remove one key of the run description (dotted, e.g. `adaptation.lambda`) before
    /// the `--set` overrides; repeatable. A key of the file that an override makes
    /// irrelevant (`lambda` after `--set adaptation.method=none`) is ignored with a note.
    #[arg(long = "unset", value_name = "KEY")]
    pub unsets: Vec<String>,
    /// Train the reweighting classifier with the run description's [network] and
    /// [training] settings as written, instead of reweight's own defaults.
    #[arg(long)]
    pub classifier_from_config: bool,
    /// Cap the factor rw at this value (> 0). Default: no cap.
    #[arg(long)]
    pub max_weight: Option<f64>,
    /// What the reweighted simulation's total weight in the control region equals:
    /// its own total before (`mc`), the data's (`data`), or no normalisation.
    #[arg(long, value_enum, default_value_t = Target::Mc)]
    pub normalize: Target,
    /// Which entries get a factor: the control region ([domain.mc] cut; others get
    /// NaN) or every entry of the simulation files.
    #[arg(long, value_enum, default_value_t = ApplyTo::Region)]
    pub apply_to: ApplyTo,
    /// Another expression to compare before and after (besides the inputs); repeatable.
    #[arg(long = "check", value_name = "EXPR")]
    pub checks: Vec<String>,
    /// Bins of the histograms (chi2 and figures).
    #[arg(long, default_value_t = crate::metrics::binning::DEFAULT_BINS, value_parser = count)]
    pub bins: usize,
    /// SVG figures instead of PNG.
    #[arg(long)]
    pub svg: bool,
    /// Worker threads (default: every core).
    #[arg(long, value_parser = count)]
    pub threads: Option<usize>,
    /// Overwrite existing outputs.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub friend_format: super::apply::FriendFormatArgs,
    /// No progress bars or per-epoch lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `rootgrad morph`.
#[derive(Debug, Clone, Args)]
pub struct MorphArgs {
    /// The run description (its [domain] section is used).
    pub config: PathBuf,
    /// Expression to morph; repeatable.
    #[arg(long = "var", value_name = "EXPR", required = true)]
    pub vars: Vec<String>,
    /// Output folder (created if missing). Default: `rootgrad-morph-<config name>`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override one key of the run description; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Remove one key of the run description (dotted, e.g. `adaptation.lambda`) before
    /// the `--set` overrides; repeatable. A key of the file that an override makes
    /// irrelevant (`lambda` after `--set adaptation.method=none`) is ignored with a note.
    #[arg(long = "unset", value_name = "KEY")]
    pub unsets: Vec<String>,
    /// Bins of the histograms (chi2 and figures).
    #[arg(long, default_value_t = crate::metrics::binning::DEFAULT_BINS, value_parser = count)]
    pub bins: usize,
    /// SVG figures instead of PNG.
    #[arg(long)]
    pub svg: bool,
    /// Overwrite existing outputs.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub friend_format: super::apply::FriendFormatArgs,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// `morph --chain`: chained conditional quantile morphing (`crate::reweight::chain`).
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// Chained quantile morphing: the --var expressions are corrected in the order
    /// given, each conditioned on the --given expressions and the variables corrected
    /// before it (needs training.folds >= 2 and training.fold).
    #[arg(long = "chain")]
    pub on: bool,
    /// A conditioning expression (e.g. `pt`, `abs(eta)`, `nPV`); repeatable; required
    /// with --chain. Not corrected itself.
    #[arg(long = "given", value_name = "EXPR")]
    pub given: Vec<String>,
    /// Number of quantile levels Q, tau_j = (j + 1/2) / Q (--chain).
    #[arg(long, value_name = "Q", default_value_t = 21)]
    pub levels: usize,
    /// Hidden layer widths of every quantile and spike network, comma-separated
    /// (--chain). Default 64,64.
    #[arg(long, value_name = "WIDTHS", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Training epochs of every network (--chain). Default 12.
    #[arg(long, value_parser = count)]
    pub epochs: Option<usize>,
    /// Events per batch (--chain). Default 1024.
    #[arg(long, value_parser = count)]
    pub batch_size: Option<usize>,
    /// Adam's learning rate (--chain). Default 3e-3.
    #[arg(long)]
    pub learning_rate: Option<f64>,
    /// Worker threads (default: every core); the results are the same for any number.
    #[arg(long, value_parser = count)]
    pub threads: Option<usize>,
}
