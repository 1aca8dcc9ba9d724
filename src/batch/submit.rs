//! The submit files of a job folder: HTCondor (shared filesystem and file transfer) and
//! a Slurm job array, each running one rootgrad command per item: `batch run PLAN
//! --shard K` for the shards of an apply (all of them, or the ones a rescue reruns),
//! `train CONFIG --fold K` for the folds of a training.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the jobs ask the scheduler for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub cpus: usize,
    pub memory_mb: u64,
    /// Wall time per job, minutes.
    pub minutes: u64,
    /// HTCondor `+JobFlavour` (CERN); `None`: the shortest flavour that holds `minutes`.
    pub flavour: Option<String>,
    /// At most this many jobs of the Slurm array run at once (`%M`).
    pub max_running: usize,
}

/// The CERN HTCondor job flavours and their wall-time limits in minutes.
pub const FLAVOURS: &[(&str, u64)] = &[
    ("espresso", 20),
    ("microcentury", 60),
    ("longlunch", 120),
    ("workday", 480),
    ("tomorrow", 1440),
    ("testmatch", 4320),
    ("nextweek", 10080),
];

/// The shortest flavour whose limit holds `minutes` (`nextweek` beyond all).
pub fn flavour_for(minutes: u64) -> &'static str {
    FLAVOURS
        .iter()
        .find(|(_, m)| *m >= minutes)
        .map(|(f, _)| *f)
        .unwrap_or("nextweek")
}

/// The jobs of one submission: the same command for each item (a shard, a fold),
/// `{K}` standing for the item.
pub struct Submission<'a> {
    /// The arguments of every job, `{K}` for the item; e.g. `batch run DIR/plan.json
    /// --shard {K}`.
    pub args: String,
    /// The arguments in file-transfer mode (`None`: no file-transfer submit file).
    pub transfer_args: Option<String>,
    /// The rootgrad binary the jobs run (absolute).
    pub binary: &'a Path,
    /// The job folder (absolute), holding plan.json.
    pub dir: &'a Path,
    /// The model file (transferred in file-transfer mode).
    pub model: &'a Path,
    /// The shards to run, and for each the input files it reads (for file transfer).
    pub shards: Vec<(usize, Vec<PathBuf>)>,
    pub resources: &'a Resources,
}

/// `queue shard from FILE` table for the shared-filesystem submit file: one shard a line.
pub fn queue_table(s: &Submission) -> String {
    s.shards.iter().map(|(k, _)| format!("{k}\n")).collect()
}

/// The table for the file-transfer submit file: `shard inputs`, the inputs
/// comma-separated (the rest of the line goes to the last variable).
pub fn transfer_table(s: &Submission) -> String {
    s.shards
        .iter()
        .map(|(k, files)| {
            let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            format!("{k} {}\n", list.join(","))
        })
        .collect()
}

fn condor_common(s: &Submission, out: &mut String) {
    let r = s.resources;
    let flavour = r
        .flavour
        .clone()
        .unwrap_or_else(|| flavour_for(r.minutes).to_string());
    let _ = writeln!(out, "executable     = {}", s.binary.display());
    let _ = writeln!(out, "initialdir     = {}", s.dir.display());
    let _ = writeln!(out, "output         = logs/$(ClusterId).$(ProcId).out");
    let _ = writeln!(out, "error          = logs/$(ClusterId).$(ProcId).err");
    let _ = writeln!(out, "log            = logs/$(ClusterId).log");
    let _ = writeln!(out, "request_cpus   = {}", r.cpus);
    let _ = writeln!(out, "request_memory = {}", r.memory_mb);
    let _ = writeln!(out, "+JobFlavour    = \"{flavour}\"");
    let _ = writeln!(out, "+MaxRuntime    = {}", r.minutes * 60);
}

/// The HTCondor submit file for a shared filesystem (EOS, AFS): the jobs read the inputs
/// and write the shards where the plan says. `table` is the queue table's file name.
pub fn condor_shared(s: &Submission, table: &str) -> String {
    let mut out = String::from(
        "# rootgrad batch: HTCondor, shared filesystem (EOS/AFS paths; nothing transferred)\n",
    );
    condor_common(s, &mut out);
    // the new syntax (in double quotes): single quotes group, as in the Slurm script
    let _ = writeln!(
        out,
        "arguments      = \"{}\"",
        s.args.replace("{K}", "$(shard)")
    );
    out.push_str("should_transfer_files = NO\n");
    let _ = writeln!(out, "queue shard from {table}");
    out
}

/// The HTCondor submit file with file transfer: each job gets the plan, the model and
/// its shard's inputs in its scratch folder and sends `shards/` back to the job folder.
pub fn condor_transfer(s: &Submission, table: &str) -> String {
    let mut out = String::from(
        "# rootgrad batch: HTCondor, file transfer (inputs copied to the job; shards/ copied back)\n",
    );
    condor_common(s, &mut out);
    let args = s.transfer_args.as_deref().unwrap_or_default();
    let _ = writeln!(
        out,
        "arguments      = \"{}\"",
        args.replace("{K}", "$(shard)")
    );
    out.push_str("should_transfer_files   = YES\n");
    out.push_str("when_to_transfer_output = ON_EXIT\n");
    let _ = writeln!(
        out,
        "transfer_input_files    = plan.json, {}, $(inputs)",
        s.model.display()
    );
    out.push_str("transfer_output_files   = shards\n");
    let _ = writeln!(out, "queue shard, inputs from {table}");
    out
}

/// `0-(N-1)` for every shard of N, else the list `3,7,9`.
fn array_spec(shards: &[usize], of: usize) -> String {
    if shards.len() == of && shards.iter().enumerate().all(|(i, &k)| i == k) {
        format!("0-{}", of.saturating_sub(1))
    } else {
        let l: Vec<String> = shards.iter().map(|k| k.to_string()).collect();
        l.join(",")
    }
}

/// The Slurm job array script; `of` is the plan's shard count.
pub fn slurm(s: &Submission, of: usize) -> String {
    let r = s.resources;
    let ks: Vec<usize> = s.shards.iter().map(|(k, _)| *k).collect();
    let mut out = String::from("#!/bin/bash\n");
    let _ = writeln!(out, "#SBATCH --job-name=rootgrad");
    let _ = writeln!(
        out,
        "#SBATCH --array={}%{}",
        array_spec(&ks, of),
        r.max_running.max(1)
    );
    let _ = writeln!(out, "#SBATCH --cpus-per-task={}", r.cpus);
    let _ = writeln!(
        out,
        "#SBATCH --time={:02}:{:02}:00",
        r.minutes / 60,
        r.minutes % 60
    );
    let _ = writeln!(out, "#SBATCH --mem={}M", r.memory_mb);
    let _ = writeln!(
        out,
        "#SBATCH --output={}/logs/slurm-%A_%a.out",
        s.dir.display()
    );
    out.push_str("# rootgrad takes its thread count from SLURM_CPUS_PER_TASK\n");
    out.push_str("set -euo pipefail\n");
    let _ = writeln!(
        out,
        "exec {} {}",
        s.binary.display(),
        s.args.replace("{K}", "\"$SLURM_ARRAY_TASK_ID\"")
    );
    out
}
