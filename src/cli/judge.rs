//! The flags of the commands that judge a variable or a model: `agreement` (data vs
//! simulation), `roc` (signal vs background), `flatness` (a score against a mass) and
//! `report` (an HTML page for a trained model).

use std::path::PathBuf;

use clap::Args;

use super::count;

/// The data and simulation samples of `agreement` and `sf`: trees, weights, cuts and
/// friends.
#[derive(Debug, Clone, Args)]
pub struct DataMcArgs {
    /// Data, `FILE.root[:TREE]` (globs allowed), e.g. a tag-and-probe sample.
    #[arg(long)]
    pub data: String,
    /// Simulation, `FILE.root[:TREE]` (globs allowed).
    #[arg(long)]
    pub mc: String,
    /// Data weight expression, e.g. `sWeight` (default 1).
    #[arg(long, allow_hyphen_values = true)]
    pub data_weight: Option<String>,
    /// Simulation weight expression, e.g. `genWeight * puWeight` (default 1).
    #[arg(long, allow_hyphen_values = true)]
    pub mc_weight: Option<String>,
    /// Selection applied to both samples (for `sf`: the denominator, before the score
    /// cut).
    #[arg(long, allow_hyphen_values = true)]
    pub cut: Option<String>,
    /// Selection applied to data only (and-ed with --cut).
    #[arg(long, allow_hyphen_values = true)]
    pub data_cut: Option<String>,
    /// Selection applied to simulation only (and-ed with --cut).
    #[arg(long, allow_hyphen_values = true)]
    pub mc_cut: Option<String>,
    /// A friend tree, `[data=|mc=]FILE.root:TREE` (no prefix: both); repeatable.
    #[arg(long = "friend", value_name = "[SAMPLE=]FILE.root:TREE")]
    pub friends: Vec<String>,
}

/// `rootgrad agreement`.
#[derive(Debug, Clone, Args)]
pub struct AgreementArgs {
    #[command(flatten)]
    pub samples: DataMcArgs,
    /// The variable, an expression (docs/expressions.md), e.g. `score` or `abs(eta)`.
    #[arg(long, allow_hyphen_values = true)]
    pub var: String,
    /// Number of bins of the chi2 and the plot.
    #[arg(long, default_value_t = crate::metrics::binning::DEFAULT_BINS, value_parser = count)]
    pub bins: usize,
    /// Histogram range `LO,HI`. Default: [0, 1] for values in it, else the 0.1% to
    /// 99.9% quantiles.
    #[arg(long, allow_hyphen_values = true)]
    pub range: Option<String>,
    /// Write the plot here (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Logarithmic y axis in the plot.
    #[arg(long)]
    pub log_y: bool,
    /// x axis title of the plot (default: the expression).
    #[arg(long)]
    pub x_label: Option<String>,
    /// Overwrite an existing plot.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `rootgrad roc`.
#[derive(Debug, Clone, Args)]
pub struct RocArgs {
    /// Signal, `FILE.root[:TREE]`.
    #[arg(long)]
    pub signal: String,
    /// Background, `FILE.root[:TREE]`.
    #[arg(long)]
    pub background: String,
    /// The variable (a score in [0, 1] for the truncated AUC).
    #[arg(long, allow_hyphen_values = true)]
    pub var: String,
    /// Signal weight expression (default 1).
    #[arg(long, allow_hyphen_values = true)]
    pub signal_weight: Option<String>,
    /// Background weight expression (default 1).
    #[arg(long, allow_hyphen_values = true)]
    pub background_weight: Option<String>,
    /// Selection applied to both samples.
    #[arg(long, allow_hyphen_values = true)]
    pub cut: Option<String>,
    /// Selection of signal (and-ed with --cut), e.g. `genPartFlav == 1`.
    #[arg(long, allow_hyphen_values = true)]
    pub signal_cut: Option<String>,
    /// Selection of background (and-ed with --cut).
    #[arg(long, allow_hyphen_values = true)]
    pub background_cut: Option<String>,
    /// A friend tree, `[signal=|background=]FILE.root:TREE`; repeatable.
    #[arg(long = "friend", value_name = "[SAMPLE=]FILE.root:TREE")]
    pub friends: Vec<String>,
    /// Write the ROC plot here (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Plot background efficiency on a log axis instead of the rejection.
    #[arg(long)]
    pub log_y: bool,
    /// Overwrite an existing plot.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `rootgrad flatness`.
#[derive(Debug, Clone, Args)]
pub struct FlatnessArgs {
    /// The events, `FILE.root[:TREE]` (usually background).
    #[arg(long)]
    pub input: String,
    /// The score expression.
    #[arg(long, allow_hyphen_values = true)]
    pub var: String,
    /// The mass expression.
    #[arg(long, allow_hyphen_values = true)]
    pub mass: String,
    /// Selection.
    #[arg(long, allow_hyphen_values = true)]
    pub cut: Option<String>,
    /// A friend tree (e.g. the score from `apply`); repeatable.
    #[arg(long = "friend", value_name = "FILE.root:TREE")]
    pub friends: Vec<String>,
    /// Events per mass window.
    #[arg(long, default_value_t = 200, value_parser = count)]
    pub neighbours: usize,
    /// Events between window starts.
    #[arg(long, default_value_t = 50, value_parser = count)]
    pub step: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `rootgrad report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The folder `train` wrote (model.json, history.csv).
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// The run description, to locate its ntuples (default: the one recorded in the
    /// model). Its keys are not used: the model's stored description is.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Another model folder to compare with (e.g. trained without adaptation).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Output folder (default: MODEL/report).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Bins of the histograms.
    #[arg(long, default_value_t = crate::metrics::binning::DEFAULT_BINS, value_parser = count)]
    pub bins: usize,
    /// SVG figures instead of PNG.
    #[arg(long)]
    pub svg: bool,
    /// Overwrite an existing report.
    #[arg(long)]
    pub force: bool,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
