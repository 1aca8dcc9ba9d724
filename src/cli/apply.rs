//! The flags of `apply`: score ROOT files with a trained model and write friend trees.

use std::path::PathBuf;

use clap::Args;

use super::count;
use crate::root::write::FriendFormat;

/// `--friend-format`, shared by every command that writes friends of an input chain
/// (`apply`, `batch apply`, `reweight`, `morph`).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct FriendFormatArgs {
    /// What the friend files hold: `ttree` (a TTree, for `TTree::AddFriend`) or
    /// `rntuple` (an RNTuple, read by ROOT 6.34 and later and uproot 5.7). Default: the
    /// input's own kind, an RNTuple friend for RNTuple inputs, a TTree friend for TTrees.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub friend_format: Option<FriendFormat>,
}

/// `rootgrad apply`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// The model file `rootgrad train` wrote.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Input trees, `FILE.root[:TREE]`; globs allowed (quote them). Each file gets
    /// its own friend file.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output file (only with one input file).
    #[arg(long, short = 'o', conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Folder for the friend files, named `<input name>.<tree name>.root`. Default:
    /// next to each input.
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Name of the friend tree.
    #[arg(long, default_value = "rootgrad")]
    pub tree_name: String,
    /// Name of the score branch (float).
    #[arg(long, default_value = "score")]
    pub branch: String,
    /// A friend of the input tree holding some of the model's input branches,
    /// `F.root:TREE`; repeatable. With several inputs, each --friend pattern must
    /// match as many files as there are inputs, paired in sorted order.
    #[arg(long = "friend", value_name = "FILE.root:TREE")]
    pub friends: Vec<String>,
    /// With a k-fold model, also write `<branch>_fold0` .. `<branch>_fold{k-1}`:
    /// every fold model's score of every entry.
    #[arg(long)]
    pub all_folds: bool,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: every core).
    #[arg(long, value_parser = count)]
    pub threads: Option<usize>,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Score part of the inputs: an entry range or a shard of a plan.
    #[command(flatten)]
    pub split: super::SplitArgs,
    #[command(flatten)]
    pub friend_format: FriendFormatArgs,
}
