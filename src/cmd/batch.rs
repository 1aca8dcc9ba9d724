//! `rootgrad batch apply|run|status|rescue|merge`: an apply split across batch jobs
//! (see [`crate::batch`] and docs/batch.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::batch::merge::{merge, not_done, status, State};
use crate::batch::shard::{granted_threads, Inputs};
use crate::batch::submit::{
    condor_shared, condor_transfer, queue_table, slurm, transfer_table, Resources, Submission,
};
use crate::batch::{Plan, PlanRequest};
use crate::cli::batch::{
    BatchAction, BatchApplyArgs, BatchSweepArgs, BatchTrainArgs, ResourceArgs,
};
use crate::output::{write_atomically, NewDir};
use crate::{Error, Result};

pub fn run(action: &BatchAction, out: &mut dyn Write) -> Result<()> {
    match action {
        BatchAction::Apply(a) => plan_apply(a, out),
        BatchAction::Run(a) => {
            super::set_threads(a.threads.or_else(granted_threads))?;
            let inputs = if a.inputs_here {
                Inputs::Here
            } else {
                Inputs::AsPlanned
            };
            let r = crate::batch::shard::run(&a.plan, a.shard, None, inputs)?;
            say(
                out,
                &format!(
                    "shard {} of {}: {} entries scored in {} pieces, {:.1} s on {} threads",
                    r.shard,
                    r.shards,
                    r.entries_scored,
                    r.pieces.len(),
                    r.seconds,
                    r.threads
                ),
            )
        }
        BatchAction::Status(a) => print_status(&plan_in(&a.dir)?, out),
        BatchAction::Rescue(a) => rescue(&a.dir, &a.resources, out),
        BatchAction::Train(a) => plan_train(a, out),
        BatchAction::Sweep(a) => plan_sweep(a, out),
        BatchAction::Combine(a) => {
            let k = crate::batch::folds::combine(&a.dir, a.force)?;
            say(
                out,
                &format!(
                    "{} folds combined -> {}",
                    k,
                    crate::run_folder::model_path(&a.dir).display()
                ),
            )
        }
        BatchAction::Merge(a) => {
            for (path, n) in merge(&plan_in(&a.dir)?, a.force)? {
                say(out, &format!("{}: {n} entries", path.display()))?;
            }
            Ok(())
        }
    }
}

fn say(out: &mut dyn Write, line: &str) -> Result<()> {
    writeln!(out, "{line}").map_err(|source| Error::Io {
        path: "<stdout>".into(),
        source,
    })
}

/// `DIR/plan.json`, refused (naming it) when absent.
fn plan_in(dir: &Path) -> Result<PathBuf> {
    let p = dir.join("plan.json");
    if !p.is_file() {
        return Err(Error::Usage(format!(
            "{}: no plan here; make one with `rootgrad batch apply ... --dir {}`",
            p.display(),
            dir.display()
        )));
    }
    Ok(p)
}

fn abs(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|source| Error::Io {
        path: p.to_path_buf(),
        source,
    })
}

fn resources(r: &ResourceArgs) -> Resources {
    Resources {
        cpus: r.cpus,
        memory_mb: r.memory,
        minutes: r.minutes,
        flavour: r.flavour.clone(),
        max_running: r.max_running,
    }
}

fn binary(r: &ResourceArgs) -> Result<PathBuf> {
    match &r.binary {
        Some(b) => abs(b),
        None => std::env::current_exe().map_err(|source| Error::Io {
            path: "rootgrad".into(),
            source,
        }),
    }
}

fn plan_apply(a: &BatchApplyArgs, out: &mut dyn Write) -> Result<()> {
    crate::apply::check_name(&a.branch, "--branch")?;
    crate::apply::check_name(&a.tree_name, "--tree-name")?;
    let plan = Plan::make(&PlanRequest {
        model: &a.model,
        inputs: &a.inputs,
        friends: &a.friends,
        output_dir: a.output_dir.as_deref(),
        tree_name: &a.tree_name,
        branch: &a.branch,
        all_folds: a.all_folds,
        shards: a.shards,
        friend_format: a.friend_format.friend_format,
    })?;
    let dir = abs(&a.dir)?;
    // both removed again if the plan is not written; `logs/` is kept empty on success
    let dirs = [NewDir::create(&dir)?, NewDir::create(&dir.join("logs"))?];
    plan.write(&dir.join("plan.json"), a.force)?;
    let all: Vec<usize> = (0..plan.shards.len()).collect();
    write_submission(&plan, &dir, &all, "", &a.resources)?;
    dirs.into_iter().for_each(NewDir::keep);
    say(
        out,
        &format!(
            "{}: plan {} of {} entries in {} files, {} shards; submit with\n  \
             condor_submit {0}/condor.sub   (or condor-transfer.sub without a shared \
             filesystem)\n  sbatch {0}/slurm.sh\nthen `rootgrad batch status {0}` and \
             `rootgrad batch merge {0}`",
            dir.display(),
            plan.id,
            plan.inputs.iter().map(|i| i.entries).sum::<u64>(),
            plan.inputs.len(),
            plan.shards.len()
        ),
    )
}

/// Writes `condor{tag}.sub`, `condor{tag}-transfer.sub`, their queue tables and
/// `slurm{tag}.sh` for `shards` of the plan in `dir`.
fn write_submission(
    plan: &Plan,
    dir: &Path,
    shards: &[usize],
    tag: &str,
    r: &ResourceArgs,
) -> Result<()> {
    let bin = binary(r)?;
    let res = resources(r);
    let plan_path = dir.join("plan.json");
    let sub = Submission {
        args: format!("batch run {} --shard {{K}}", plan_path.display()),
        transfer_args: Some("batch run plan.json --shard {K} --inputs-here".into()),
        binary: &bin,
        dir,
        model: &plan.model,
        shards: shards
            .iter()
            .map(|&k| {
                let mut files: Vec<PathBuf> = Vec::new();
                for p in &plan.shards[k] {
                    let inp = &plan.inputs[p.input];
                    let mut all = vec![inp.file.clone()];
                    for f in &inp.friends {
                        all.push(crate::root::TreeSpec::parse(f).pattern.into());
                    }
                    for f in all {
                        if !files.contains(&f) {
                            files.push(f);
                        }
                    }
                }
                (k, files)
            })
            .collect(),
        resources: &res,
    };
    let shared_table = format!("shards{tag}.txt");
    let transfer_tbl = format!("shards{tag}-transfer.txt");
    let files = [
        (shared_table.clone(), queue_table(&sub)),
        (transfer_tbl.clone(), transfer_table(&sub)),
        (
            format!("condor{tag}.sub"),
            condor_shared(&sub, &shared_table),
        ),
        (
            format!("condor{tag}-transfer.sub"),
            condor_transfer(&sub, &transfer_tbl),
        ),
        (format!("slurm{tag}.sh"), slurm(&sub, plan.shards.len())),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        write_atomically(&path, true, |w| {
            w.write_all(text.as_bytes()).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })
        })?;
    }
    Ok(())
}

fn print_status(plan_path: &Path, out: &mut dyn Write) -> Result<()> {
    let (plan, states) = status(plan_path)?;
    for (k, s) in states.iter().enumerate() {
        let detail = match s {
            State::Done(r) => format!(
                "{} entries, {:.1} s on {}",
                r.entries_scored, r.seconds, r.host
            ),
            State::Failed(m) => m.clone(),
            State::Started { host, pid, .. } => format!("pid {pid} on {host}, no result"),
            State::Missing => String::new(),
        };
        say(
            out,
            &format!(
                "shard {k:4}  {:8} {:>12} entries  {detail}",
                s.label(),
                plan.shard_entries(k)
            ),
        )?;
    }
    let done = states
        .iter()
        .filter(|s| matches!(s, State::Done(_)))
        .count();
    let count = |l: &str| states.iter().filter(|s| s.label() == l).count();
    say(
        out,
        &format!(
            "{done} of {} shards done, {} failed, {} killed, {} running, {} missing",
            states.len(),
            count("failed"),
            count("killed"),
            count("running"),
            count("missing")
        ),
    )
}

/// Writes `condor-rescue-K.sub`, `slurm-rescue-K.sh` (K counting up) for the shards
/// that are not done (running ones included: check `status` first).
fn rescue(dir: &Path, r: &ResourceArgs, out: &mut dyn Write) -> Result<()> {
    let plan_path = plan_in(dir)?;
    let (plan, states) = status(&plan_path)?;
    let todo = not_done(&states);
    if todo.is_empty() {
        return say(out, "every shard is done; nothing to rescue: merge");
    }
    let dir = abs(dir)?;
    let k = (1..)
        .find(|k| !dir.join(format!("slurm-rescue-{k}.sh")).exists())
        .unwrap_or(1);
    let tag = format!("-rescue-{k}");
    write_submission(&plan, &dir, &todo, &tag, r)?;
    let list: Vec<String> = todo.iter().map(|k| k.to_string()).collect();
    say(
        out,
        &format!(
            "{} shards to rerun: {}; submit with\n  condor_submit {2}/condor{tag}.sub\n  \
             sbatch {2}/slurm{tag}.sh",
            todo.len(),
            list.join(","),
            dir.display()
        ),
    )
}

/// `batch train`: one job per fold of the run description.
fn plan_train(a: &BatchTrainArgs, out: &mut dyn Write) -> Result<()> {
    let cfg = crate::config::RunConfig::load(&a.config, &[])?;
    let k = match &cfg.training.split {
        crate::config::Split::Folds { k, .. } => *k,
        _ => {
            return Err(Error::Usage(format!(
                "{}: no training.folds; `batch train` runs one job per fold",
                a.config.display()
            )))
        }
    };
    let dir = abs(&a.dir)?;
    // both removed again if the plan is not written; `logs/` is kept empty on success
    let dirs = [NewDir::create(&dir)?, NewDir::create(&dir.join("logs"))?];
    let bin = binary(&a.resources)?;
    let res = resources(&a.resources);
    let sub = Submission {
        args: format!(
            "train {} --fold {{K}} --out {} -q --force",
            abs(&a.config)?.display(),
            abs(&a.out)?.display()
        ),
        transfer_args: None,
        binary: &bin,
        dir: &dir,
        model: &a.config,
        shards: (0..k).map(|f| (f, Vec::new())).collect(),
        resources: &res,
    };
    write_jobs(&dir, &sub, "folds.txt", k)?;
    dirs.into_iter().for_each(NewDir::keep);
    say(
        out,
        &format!(
            "{}: {k} fold jobs; submit with condor_submit {0}/condor.sub or sbatch \
             {0}/slurm.sh, then `rootgrad batch combine {}`",
            dir.display(),
            a.out.display()
        ),
    )
}

/// Writes the queue table, `condor.sub` and `slurm.sh` of `items` jobs into `dir`.
fn write_jobs(dir: &Path, sub: &Submission, table: &str, items: usize) -> Result<()> {
    let files = [
        (table.to_string(), queue_table(sub)),
        ("condor.sub".to_string(), condor_shared(sub, table)),
        ("slurm.sh".to_string(), slurm(sub, items)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        write_atomically(&path, true, |w| {
            w.write_all(text.as_bytes()).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })
        })?;
    }
    Ok(())
}

/// `batch sweep`: one job per point (setting x seed) of the sweep.
fn plan_sweep(a: &BatchSweepArgs, out: &mut dyn Write) -> Result<()> {
    let mut points = a.repeat;
    for s in &a.sets {
        if s.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            return Err(Error::Usage(format!(
                "--set `{s}`: write it without spaces or quotes for a batch job"
            )));
        }
        points *= super::sweep::split_values(s)?.1.len();
    }
    let config = abs(&a.config)?;
    crate::config::RunConfig::load(&config, &[])?;
    let dir = abs(&a.dir)?;
    // both removed again if the plan is not written; `logs/` is kept empty on success
    let dirs = [NewDir::create(&dir)?, NewDir::create(&dir.join("logs"))?];
    let bin = binary(&a.resources)?;
    let res = resources(&a.resources);
    let mut args = format!("sweep {}", config.display());
    for s in &a.sets {
        args.push_str(&format!(" --set '{s}'"));
    }
    let tail = format!(" --repeat {} --out {} -q", a.repeat, abs(&a.out)?.display());
    args.push_str(&tail);
    let sub = Submission {
        args: format!("{args} --point {{K}}"),
        transfer_args: None,
        binary: &bin,
        dir: &dir,
        model: &a.config,
        shards: (0..points).map(|p| (p, Vec::new())).collect(),
        resources: &res,
    };
    write_jobs(&dir, &sub, "points.txt", points)?;
    dirs.into_iter().for_each(NewDir::keep);
    say(
        out,
        &format!(
            "{}: {points} point jobs; submit with condor_submit {0}/condor.sub or sbatch \
             {0}/slurm.sh, then `rootgrad {args} --tabulate`",
            dir.display()
        ),
    )
}
