//! The command line: subcommands and their flags, each documented where it is defined.
//! docs/cli.md describes the same commands for users.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
    Inspect {
        /// `FILE.root` (every tree) or `FILE.root:TREE` (one tree, e.g. `f.root:dir/Events`).
        target: String,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print branch values entry by entry, like TTree::Scan.
    Dump {
        /// `FILE.root:TREE`; the tree may be omitted when the file has only one.
        target: String,
        /// Comma-separated branches; `x[1]` picks element 1 of an array branch.
        /// Default: every readable branch.
        #[arg(long, short = 'b', value_delimiter = ',')]
        branches: Vec<String>,
        /// First entry to print (counted from 0).
        #[arg(long, default_value_t = 0)]
        entry_start: u64,
        /// One past the last entry to print. Default: the end of the tree.
        #[arg(long)]
        entry_stop: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DumpFormat::Csv)]
        format: DumpFormat,
        /// Write to this file instead of standard output (refused if it exists,
        /// unless --force).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Train a classifier from the samples of a run description (TOML; see
    /// docs/config.md) and write DIR/model.json, DIR/history.csv and DIR/summary.json.
    Train {
        /// The run description, e.g. `photon_id.toml`.
        config: PathBuf,
        /// Output folder (created if missing). Default: `rootgrad-<config name>` in the
        /// current folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override one key of the run description, e.g.
        /// `--set training.learning_rate=3e-4`; repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Worker threads (default: every core). The model is the same for any number.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bars or per-epoch lines.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Overwrite model.json, history.csv and summary.json if they exist.
        #[arg(long)]
        force: bool,
    },
    /// Score ROOT files with a trained model and write one friend tree per input file,
    /// entry for entry.
    Apply {
        /// The model file `rootgrad train` wrote.
        #[arg(long, short = 'm')]
        model: PathBuf,
        /// Input trees, `FILE.root[:TREE]`; globs allowed (quote them). Each file gets
        /// its own friend file.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Output file (only with one input file).
        #[arg(long, short = 'o', conflicts_with = "output_dir")]
        output: Option<PathBuf>,
        /// Folder for the friend files, named `<input name>.<tree name>.root`. Default:
        /// next to each input.
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Name of the friend tree.
        #[arg(long, default_value = "rootgrad")]
        tree_name: String,
        /// Name of the score branch (float).
        #[arg(long, default_value = "score")]
        branch: String,
        /// A friend of the input tree holding some of the model's input branches,
        /// `F.root:TREE`; repeatable. With several inputs, each --friend pattern must
        /// match as many files as there are inputs, paired in sorted order.
        #[arg(long = "friend", value_name = "FILE.root:TREE")]
        friends: Vec<String>,
        /// With a k-fold model, also write `<branch>_fold0` .. `<branch>_fold{k-1}`:
        /// every fold model's score of every entry.
        #[arg(long)]
        all_folds: bool,
        /// Overwrite existing output files.
        #[arg(long)]
        force: bool,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
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
