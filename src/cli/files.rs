//! The flags of the commands that look into ROOT files: `inspect` and `dump`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `rootgrad inspect`.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// `FILE.root` (every tree) or `FILE.root:TREE` (one tree, e.g. `f.root:dir/Events`);
    /// or a model file (`DIR/model.json`, or the run folder DIR): its inputs, folds,
    /// whether it is complete, and each model's numbers.
    pub target: String,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `rootgrad dump`.
#[derive(Debug, Clone, Args)]
pub struct DumpArgs {
    /// `FILE.root:TREE`; the tree may be omitted when the file has only one.
    pub target: String,
    /// Comma-separated branches; `x[1]` picks element 1 of an array branch.
    /// Default: every readable branch.
    #[arg(long, short = 'b', value_delimiter = ',')]
    pub branches: Vec<String>,
    /// First entry to print (counted from 0).
    #[arg(long, default_value_t = 0)]
    pub entry_start: u64,
    /// One past the last entry to print. Default: the end of the tree.
    #[arg(long)]
    pub entry_stop: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DumpFormat::Csv)]
    pub format: DumpFormat,
    /// Write to this file instead of standard output (refused if it exists,
    /// unless --force).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// How `dump` prints values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// One line per entry, comma-separated; array values joined with spaces in
    /// brackets.
    Csv,
    /// One JSON object per line (JSON Lines); arrays as lists.
    Json,
}
