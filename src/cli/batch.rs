//! The flags of `batch` (split an apply across batch jobs) and of `apply`'s entry-range
//! and shard flags.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::count;

/// `apply --entry-start/--entry-stop/--shard`: score part of the inputs.
#[derive(Debug, Clone, Default, Args)]
pub struct SplitArgs {
    /// First entry to score, counted over the chain of all inputs (in sorted order).
    /// Each input file with entries in the range gets a friend of those entries only,
    /// named `<input name>.<tree name>.<first>-<stop>.root` (its own entry numbers).
    #[arg(long, conflicts_with = "shard")]
    pub entry_start: Option<u64>,
    /// One past the last entry to score (see --entry-start); default: the end.
    #[arg(long, conflicts_with = "shard")]
    pub entry_stop: Option<u64>,
    /// Score shard I of N (from 0) of a plan over every input file and entry, cut at
    /// cluster boundaries and balanced by compressed bytes. Needs --output-dir DIR: the
    /// plan goes to DIR/plan.json (checked against an existing one), the shard's friends
    /// to DIR/shards/NNNN/ and its result to DIR/shards/NNNN.json; `rootgrad batch merge
    /// DIR` joins them.
    #[arg(long, value_name = "I/N", value_parser = crate::batch::parse_shard)]
    pub shard: Option<(usize, usize)>,
}

/// `rootgrad batch`.
#[derive(Debug, Subcommand)]
pub enum BatchAction {
    /// Plan an apply in N shards and write a job folder: plan.json, HTCondor submit
    /// files (shared filesystem and file transfer) and a Slurm job-array script.
    Apply(BatchApplyArgs),
    /// Run one shard of a plan (what each batch job runs).
    Run(BatchRunArgs),
    /// List the shards of a job folder: done, failed, running, killed, missing.
    Status(BatchDirArgs),
    /// Write submit files that rerun only the shards that are not done.
    Rescue(BatchRescueArgs),
    /// Check that every shard is done and no input changed, and write one friend per
    /// input file (the same values a single `apply` writes).
    Merge(BatchMergeArgs),
    /// Write a job folder that trains each fold of a k-fold run description as one
    /// job (`train CONFIG --fold K --out OUT`).
    Train(BatchTrainArgs),
    /// Join the folds trained by `train --fold K --out DIR` into DIR/model.json (the
    /// bytes one `train` of every fold writes), history.csv and summary.json.
    Combine(BatchMergeArgs),
    /// Write a job folder that trains each point of a sweep as one job (`sweep ...
    /// --point P`); `sweep ... --tabulate` then writes the table.
    Sweep(BatchSweepArgs),
}

/// `rootgrad batch sweep`.
#[derive(Debug, Clone, Args)]
pub struct BatchSweepArgs {
    /// The run description.
    pub config: PathBuf,
    /// `KEY=V1,V2,...` as in `sweep` (no spaces or quotes); repeatable.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
    pub sets: Vec<String>,
    /// Seeds per setting, as in `sweep`.
    #[arg(long, default_value_t = 1, value_parser = count)]
    pub repeat: usize,
    /// The sweep's output folder (its run folders and, after --tabulate, the table).
    #[arg(long)]
    pub out: PathBuf,
    /// The job folder (created): submit files and logs.
    #[arg(long)]
    pub dir: PathBuf,
    #[command(flatten)]
    pub resources: ResourceArgs,
}

/// `rootgrad batch train`.
#[derive(Debug, Clone, Args)]
pub struct BatchTrainArgs {
    /// The run description; it must have training.folds.
    pub config: PathBuf,
    /// The run folder the folds train into (OUT/fold-K) and `combine` writes.
    #[arg(long)]
    pub out: PathBuf,
    /// The job folder (created): submit files and logs.
    #[arg(long)]
    pub dir: PathBuf,
    #[command(flatten)]
    pub resources: ResourceArgs,
}

/// What every job asks the scheduler for.
#[derive(Debug, Clone, Args)]
pub struct ResourceArgs {
    /// Cores per job (`request_cpus`, `--cpus-per-task`); the job uses as many threads
    /// as the scheduler grants.
    #[arg(long, default_value = "1", value_parser = count)]
    pub cpus: usize,
    /// Memory per job in MB (`request_memory`, `--mem`).
    #[arg(long, default_value = "2000")]
    pub memory: u64,
    /// Wall time per job in minutes (`--time`, `+MaxRuntime`).
    #[arg(long, default_value = "60", value_parser = clap::value_parser!(u64).range(1..))]
    pub minutes: u64,
    /// HTCondor `+JobFlavour` (CERN: espresso 20 min, microcentury 1 h, longlunch 2 h,
    /// workday 8 h, tomorrow 1 d, testmatch 3 d, nextweek 1 w). Default: the shortest
    /// that holds --minutes.
    #[arg(long)]
    pub flavour: Option<String>,
    /// At most this many jobs of the Slurm array at once (`--array=...%M`).
    #[arg(long, default_value = "50", value_parser = count)]
    pub max_running: usize,
    /// The rootgrad binary the jobs run (default: this one). Give the portable build
    /// for a farm whose nodes differ from this machine.
    #[arg(long)]
    pub binary: Option<PathBuf>,
}

/// `rootgrad batch apply`.
#[derive(Debug, Clone, Args)]
pub struct BatchApplyArgs {
    /// The model file `rootgrad train` wrote.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Input trees, `FILE.root[:TREE]`; globs allowed (quote them).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Number of shards (jobs).
    #[arg(long, value_parser = count)]
    pub shards: usize,
    /// The job folder (created): plan, submit files, logs, shard outputs.
    #[arg(long)]
    pub dir: PathBuf,
    /// Folder for the merged friends; default: next to each input.
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Name of the friend tree.
    #[arg(long, default_value = "rootgrad")]
    pub tree_name: String,
    /// Name of the score branch (float).
    #[arg(long, default_value = "score")]
    pub branch: String,
    /// A friend of the input tree, `F.root:TREE`; repeatable (as in `apply`).
    #[arg(long = "friend", value_name = "FILE.root:TREE")]
    pub friends: Vec<String>,
    /// Also write every fold model's score (as in `apply`).
    #[arg(long)]
    pub all_folds: bool,
    /// Replace an existing plan in --dir.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub friend_format: super::apply::FriendFormatArgs,
    #[command(flatten)]
    pub resources: ResourceArgs,
}

/// `rootgrad batch run`.
#[derive(Debug, Clone, Args)]
pub struct BatchRunArgs {
    /// The plan, `DIR/plan.json`.
    pub plan: PathBuf,
    /// The shard to run, from 0.
    #[arg(long)]
    pub shard: usize,
    /// The model and inputs are in the working folder under their own names (HTCondor
    /// file transfer) rather than where the plan says.
    #[arg(long)]
    pub inputs_here: bool,
    /// Worker threads (default: what the scheduler granted, SLURM_CPUS_PER_TASK or
    /// the HTCondor slot's cores; outside a batch job every core).
    #[arg(long, value_parser = count)]
    pub threads: Option<usize>,
}

/// `rootgrad batch status`.
#[derive(Debug, Clone, Args)]
pub struct BatchDirArgs {
    /// The job folder (holding plan.json).
    pub dir: PathBuf,
}

/// `rootgrad batch rescue`.
#[derive(Debug, Clone, Args)]
pub struct BatchRescueArgs {
    /// The job folder (holding plan.json).
    pub dir: PathBuf,
    #[command(flatten)]
    pub resources: ResourceArgs,
}

/// `rootgrad batch merge` and `rootgrad batch combine`.
#[derive(Debug, Clone, Args)]
pub struct BatchMergeArgs {
    /// The job folder holding plan.json (merge), or the run folder holding fold-K
    /// (combine).
    pub dir: PathBuf,
    /// Overwrite existing merged friends (merge) or model.json, history.csv and
    /// summary.json (combine).
    #[arg(long)]
    pub force: bool,
}
