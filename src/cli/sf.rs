//! The flags of `rootgrad sf`: data/simulation scale factors of score cuts.

use std::path::PathBuf;

use clap::Args;

use super::DataMcArgs;

/// `rootgrad sf`.
#[derive(Debug, Clone, Args)]
pub struct SfArgs {
    #[command(flatten)]
    pub samples: DataMcArgs,
    /// The score, an expression (docs/expressions.md), e.g. `score` from a friend tree
    /// written by `rootgrad apply`.
    #[arg(long, allow_hyphen_values = true)]
    pub score: String,
    /// Working points: score thresholds, comma-separated (an event passes when
    /// score >= threshold), e.g. `--wp 0.5,0.9`.
    #[arg(
        long = "wp",
        value_name = "T1,T2,...",
        required = true,
        allow_hyphen_values = true
    )]
    pub working_points: String,
    /// The variable to bin in, an expression, e.g. `pt` or `abs(eta)`.
    #[arg(long, allow_hyphen_values = true)]
    pub var: String,
    /// Bin edges of the variable, increasing, comma-separated, e.g. `20,30,50,100`.
    /// Events outside them are not counted.
    #[arg(long, allow_hyphen_values = true)]
    pub edges: String,
    /// Output folder for sf.json, sf.csv and the figures sf.png and sf_eff.png.
    #[arg(long, default_value = "rootgrad-sf")]
    pub out: PathBuf,
    /// Axis title of the variable with its unit, e.g. `p_T [GeV]` (default: the
    /// expression).
    #[arg(long)]
    pub x_label: Option<String>,
    /// SVG figures instead of PNG.
    #[arg(long)]
    pub svg: bool,
    /// Overwrite existing outputs.
    #[arg(long)]
    pub force: bool,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
