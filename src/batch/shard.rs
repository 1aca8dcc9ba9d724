//! One shard of a plan, as one batch job runs it: a friend per piece in
//! `DIR/shards/NNNN/`, then the result `DIR/shards/NNNN.json`.
//!
//! The job first writes `NNNN.started` (host, pid, time) and removes the temporary
//! files that an earlier attempt killed mid-write left in its folder; a failure writes
//! `NNNN.failed` with the message. A rerun replaces the pieces of an earlier attempt.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{piece_dir, piece_name, result_path, Identity, Plan};
use crate::apply::{score_range, FriendRequest, Job};
use crate::data::open_chain;
use crate::model::{ModelFile, Scorer};
use crate::output::{remove_stale_temps, write_atomically};
use crate::root::TreeSpec;
use crate::{Error, Result};

/// The format tag of a shard result.
pub const RESULT_FORMAT: &str = "rootgrad batch shard 1";

/// One piece as scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PieceResult {
    pub input: usize,
    pub file: PathBuf,
    pub start: u64,
    pub stop: u64,
    pub entries_scored: u64,
    /// Entries with a NaN or infinite input feature (scored NaN).
    pub nonfinite: u64,
    /// The piece's friend file, relative to the plan's folder.
    pub output: PathBuf,
    /// The input as the job saw it.
    pub identity: Identity,
}

/// `DIR/shards/NNNN.json`: what one shard did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardResult {
    pub format: String,
    pub plan_id: String,
    pub shard: usize,
    pub shards: usize,
    pub pieces: Vec<PieceResult>,
    pub entries_scored: u64,
    pub host: String,
    pub pid: u32,
    pub threads: usize,
    /// Seconds since 1970 at the start and the end.
    pub started: f64,
    pub finished: f64,
    pub seconds: f64,
}

/// Where a shard's inputs and model are: where the plan says (a shared filesystem), or
/// in the job's working folder under their own names (HTCondor file transfer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inputs {
    AsPlanned,
    Here,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomically(path, true, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e.into(),
        })
    })
}

/// `path` in the working folder under its own name (file transfer).
fn here(path: &Path) -> PathBuf {
    PathBuf::from(path.file_name().unwrap_or(path.as_os_str()))
}

/// Moves the file part of `FILE[:TREE]` into the working folder.
fn spec_here(spec: &str, file: &Path) -> String {
    let local = here(file).display().to_string();
    match spec.strip_prefix(&file.display().to_string()) {
        Some(rest) => format!("{local}{rest}"),
        None => spec.to_string(),
    }
}

/// Runs shard `k` of the plan at `plan_path` (its folder receives the outputs); returns
/// its result. Any error is also written to `NNNN.failed`.
pub fn run(plan_path: &Path, k: usize, n: Option<usize>, inputs: Inputs) -> Result<ShardResult> {
    let plan = Plan::read(plan_path)?;
    let dir = super::plan_dir(plan_path);
    let shards = plan.shards.len();
    if k >= shards || n.is_some_and(|n| n != shards) {
        return Err(Error::Usage(format!(
            "{}: shard {k}{} is out of range: this plan has {shards} shards (0 to {})",
            plan_path.display(),
            n.map(|n| format!(" of {n}")).unwrap_or_default(),
            shards.saturating_sub(1)
        )));
    }
    let folder = piece_dir(&dir, k);
    // removed again if the shard writes no piece into it
    let _folder = crate::output::NewDir::create(&folder)?;
    remove_stale_temps(&folder);
    remove_stale_temps(&dir.join("shards"));
    let marker = |ext: &str| dir.join("shards").join(format!("{k:04}.{ext}"));
    let _ = std::fs::remove_file(marker("failed"));
    let started = now();
    write_json(
        &marker("started"),
        &serde_json::json!({"host": host(), "pid": std::process::id(), "started": started}),
    )?;
    let result = score_shard(&plan, &dir, k, inputs, started);
    match &result {
        Ok(r) => write_json(&result_path(&dir, k), r)?,
        Err(e) => {
            let _ = write_atomically(&marker("failed"), true, |w| {
                writeln!(w, "{e}").map_err(|source| Error::Io {
                    path: marker("failed"),
                    source,
                })
            });
        }
    }
    result
}

fn score_shard(
    plan: &Plan,
    dir: &Path,
    k: usize,
    inputs: Inputs,
    started: f64,
) -> Result<ShardResult> {
    let clock = Instant::now();
    let model_path = match inputs {
        Inputs::AsPlanned => plan.model.clone(),
        Inputs::Here => here(&plan.model),
    };
    let bytes = std::fs::read(&model_path).map_err(|source| Error::Io {
        path: model_path.clone(),
        source,
    })?;
    if super::digest(&bytes) != plan.model_digest {
        return Err(Error::Usage(format!(
            "{}: the model changed since the plan was made; make a new plan",
            model_path.display()
        )));
    }
    let scorer = Scorer::from_file(&ModelFile::read(&model_path)?, &model_path)?;
    let req = FriendRequest {
        branch: &plan.columns[0],
        tree_name: &plan.tree_name,
        all_folds: plan.all_folds,
        force: true,
        format: plan.friend_format,
    };
    let mut pieces = Vec::new();
    for p in &plan.shards[k] {
        let inp = &plan.inputs[p.input];
        let (file, spec, friends) = match inputs {
            Inputs::AsPlanned => (inp.file.clone(), inp.input.clone(), inp.friends.clone()),
            Inputs::Here => {
                let friends = inp
                    .friends
                    .iter()
                    .map(|f| {
                        let ff = TreeSpec::parse(f);
                        spec_here(f, Path::new(&ff.pattern))
                    })
                    .collect();
                (here(&inp.file), spec_here(&inp.input, &inp.file), friends)
            }
        };
        let identity = Identity::of(&file)?;
        if let Some(why) = identity.differs(&inp.identity, inputs == Inputs::AsPlanned) {
            return Err(Error::Usage(format!(
                "{}: {why}; the plan no longer matches its inputs, make a new one",
                file.display()
            )));
        }
        let chain = open_chain(&[spec], &friends)?;
        let rel = PathBuf::from("shards")
            .join(format!("{k:04}"))
            .join(piece_name(plan, p));
        let job = Job {
            input: inp.input.clone(),
            friends: Vec::new(),
            output: dir.join(&rel),
        };
        let nonfinite = score_range(&scorer, &job, &chain, &req, p.start..p.stop, |_| {}).map_err(
            |e| match e {
                Error::Usage(m) => Error::Usage(format!("{}: {m}", inp.input)),
                e => e,
            },
        )?;
        pieces.push(PieceResult {
            input: p.input,
            file: inp.file.clone(),
            start: p.start,
            stop: p.stop,
            entries_scored: p.stop - p.start,
            nonfinite,
            output: rel,
            identity,
        });
    }
    Ok(ShardResult {
        format: RESULT_FORMAT.into(),
        plan_id: plan.id.clone(),
        shard: k,
        shards: plan.shards.len(),
        entries_scored: pieces.iter().map(|p| p.entries_scored).sum(),
        pieces,
        host: host(),
        pid: std::process::id(),
        threads: rayon::current_num_threads(),
        started,
        finished: now(),
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// Reads a shard result, refusing one of another plan (naming the file).
pub fn read_result(path: &Path, plan: &Plan) -> Result<ShardResult> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let r: ShardResult = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: not a shard result: {e}", path.display())))?;
    if r.plan_id != plan.id || r.shards != plan.shards.len() {
        return Err(Error::Usage(format!(
            "{}: a shard of another plan (plan {} with {} shards; this folder's plan is {} \
             with {}); remove it and rerun that shard",
            path.display(),
            r.plan_id,
            r.shards,
            plan.id,
            plan.shards.len()
        )));
    }
    Ok(r)
}

/// The thread count a batch scheduler granted this job: Slurm's
/// `SLURM_CPUS_PER_TASK`, else HTCondor's slot cores (`Cpus` in the machine ad file
/// `_CONDOR_MACHINE_AD`, else `OMP_NUM_THREADS`, which HTCondor sets to the slot's cores
/// inside a job); `None` outside a batch job.
pub fn granted_threads() -> Option<usize> {
    let var = |k: &str| std::env::var(k).ok();
    let positive = |s: &str| s.trim().parse::<usize>().ok().filter(|&n| n > 0);
    if let Some(n) = var("SLURM_CPUS_PER_TASK").as_deref().and_then(positive) {
        return Some(n);
    }
    if let Some(ad) = var("_CONDOR_MACHINE_AD") {
        if let Ok(text) = std::fs::read_to_string(ad) {
            let cpus = text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "Cpus").then(|| positive(v)).flatten()
            });
            if cpus.is_some() {
                return cpus;
            }
        }
    }
    if var("_CONDOR_SCRATCH_DIR").is_some() {
        return var("OMP_NUM_THREADS").as_deref().and_then(positive);
    }
    None
}
