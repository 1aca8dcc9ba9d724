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
