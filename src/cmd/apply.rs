//! `rootgrad apply --model M.json INPUT.root[:TREE]...`: one friend tree per input file,
//! with the same entry count and order, holding the score (and, with `--all-folds`,
//! every fold model's score).
//!
//! Everything that can be checked without scoring is checked before the first output is
//! written: the model, every input tree and friend, that every branch the model reads
//! exists, and that no output exists (unless `--force`) or would overwrite an input.
//!
//! Each file is then streamed: read chunk by chunk, scored, and handed chunk by chunk to
//! the friend writer (`write_friend_stream`), so memory does not grow with the entry
//! count. Several files are scored at once (as many as there are worker threads, at most
//! [`MAX_FILES_AT_ONCE`]), each also using the threads within it. An error found while
//! scoring one file (a fold value out of range, a corrupt basket, a failed write) is
//! reported on standard error naming the input (and the entry, where known); that
//! file's output is not written (no partial or temporary file is left), the other files
//! are scored and written completely, and the run ends with an error naming every input
//! that failed (exit code 2). The per-file lines on standard output come in input
//! order, and the scores are the same whatever the thread count or the number of files
//! at once.
//!
//! A reweighter's model (the model.json `rootgrad reweight` saves, with a `reweight`
//! section) writes `rw` and `weight_rw` instead of a score, file by file, with the
//! factor's definition from the model ([`apply_factor`]): the values `reweight` wrote on
//! its own files.
//!
//! Inputs are taken in sorted order of their file names (after glob expansion), and
//! each `--friend` pattern's files are paired with them in that order.

use std::io::Write;

use std::ops::Range;
use std::path::Path;

use crate::apply::{
    check_name, for_each_in_order, plan_jobs, score_range, FriendRequest, Job, OutputNames,
};
use crate::batch::shard::Inputs;
use crate::batch::{Plan, PlanRequest};
use crate::data::open_chain;
use crate::expr::Expr;
use crate::model::{ModelFile, ReweightFactor, Scorer};
use crate::progress::Progress;
use crate::reweight::weigh::{write_weighted, WeighSpec};
use crate::reweight::ApplyTo;
use crate::{Error, Result};

/// The most input files scored at once. Each holds a few chunks' buffers (tens of MB
/// with tens of inputs), so this bounds the memory of a run over many files.
pub const MAX_FILES_AT_ONCE: usize = 4;

/// The flags of `rootgrad apply` ([`crate::cli::ApplyArgs`]).
pub use crate::cli::ApplyArgs as ApplyOptions;

pub fn run(opts: &ApplyOptions, out: &mut dyn Write) -> Result<()> {
    if crate::reweight::chain::model::is_chain_model(&opts.model) {
        return apply_chain(opts, out);
    }
    let model = ModelFile::read(&opts.model)?;
    let scorer = Scorer::from_file(&model, &opts.model)?;
    if opts.all_folds && !scorer.has_folds() {
        return Err(Error::Usage(format!(
            "--all-folds: {} has no folds (it was trained without training.folds)",
            opts.model.display()
        )));
    }
    check_name(&opts.branch, "--branch")?;
    check_name(&opts.tree_name, "--tree-name")?;
    if model.reweight.is_some()
        && (opts.split.shard.is_some()
            || opts.split.entry_start.is_some()
            || opts.split.entry_stop.is_some())
    {
        return Err(Error::Usage(format!(
            "{} is a reweighter's model, applied to whole files (its normalisation is over \
             each file); --shard and --entry-start/--entry-stop are for classifier models",
            opts.model.display()
        )));
    }
    if let Some((i, n)) = opts.split.shard {
        return run_shard(opts, i, n, out);
    }
    // removed again if nothing is written into it
    let _dir = opts
        .output_dir
        .as_deref()
        .map(crate::output::NewDir::create)
        .transpose()?;
    let names = OutputNames {
        output: opts.output.as_deref(),
        output_dir: opts.output_dir.as_deref(),
        tree_name: &opts.tree_name,
    };
    let mut jobs = plan_jobs(&opts.inputs, &opts.friends, &names)?;
    if let Some(f) = &model.reweight {
        return apply_factor(opts, &scorer, f, &jobs, out);
    }
    let req = FriendRequest {
        branch: &opts.branch,
        tree_name: &opts.tree_name,
        all_folds: opts.all_folds,
        force: opts.force,
        format: opts.friend_format.friend_format,
    };
    // open and check everything before writing anything
    let mut chains = Vec::with_capacity(jobs.len());
    for j in &jobs {
        let chain = open_chain(std::slice::from_ref(&j.input), &j.friends)?;
        scorer.check(&chain).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{}: {m}", j.input)),
            e => e,
        })?;
        chains.push(chain);
    }
    let ranges = entry_ranges(opts, &mut jobs, &mut chains)?;
    for j in &jobs {
        if j.output.exists() && !opts.force {
            return Err(Error::OutputExists {
                path: j.output.clone(),
            });
        }
        if let Some(folder) = j.output.parent() {
            crate::output::remove_stale_temps(folder);
        }
    }
    let progress = Progress::new(opts.quiet);
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let bar = progress.bar(total, "entries", "scoring");
    let at_once = rayon::current_num_threads().clamp(1, MAX_FILES_AT_ONCE);
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    let mut failed: Vec<&str> = Vec::new();
    let mut write_error = None;
    for_each_in_order(
        jobs.len(),
        at_once,
        |i| {
            let r = ranges[i].clone();
            score_range(&scorer, &jobs[i], &chains[i], &req, r, |n| bar.inc(n))
        },
        |i, result| {
            let j = &jobs[i];
            match result {
                Ok(nonfinite) => {
                    bar.suspend(|| {
                        if write_error.is_none() {
                            write_error = writeln!(
                                out,
                                "{}: {} entries scored -> {}:{}",
                                j.input,
                                ranges[i].end - ranges[i].start,
                                j.output.display(),
                                opts.tree_name
                            )
                            .err();
                        }
                        if nonfinite > 0 {
                            progress.warn(&format!(
                                "{}: {nonfinite} entries have a NaN or infinite input \
                                 feature; their score is NaN",
                                j.input
                            ));
                        }
                    });
                }
                Err(e) => {
                    bar.suspend(|| {
                        progress.error(&format!(
                            "{}: {e}; its output {} was not written",
                            j.input,
                            j.output.display()
                        ))
                    });
                    failed.push(&j.input);
                }
            }
        },
    );
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(io(e));
    }
    if !failed.is_empty() {
        return Err(Error::Usage(format!(
            "{} of {} inputs failed and got no output (see the errors above): {}; the \
             other outputs were written completely",
            failed.len(),
            jobs.len(),
            failed.join(", ")
        )));
    }
    Ok(())
}

/// A reweighter's model: per input, its friend with `rw` and `weight_rw` as `reweight`
/// makes them ([`write_weighted`]), with the model's weight expression, cut, cap and
/// normalisation constant. Every input is checked before the first is written.
fn apply_factor(
    opts: &ApplyOptions,
    scorer: &Scorer,
    f: &ReweightFactor,
    jobs: &[crate::apply::Job],
    out: &mut dyn Write,
) -> Result<()> {
    let what = opts.model.display();
    if opts.all_folds || opts.branch != "score" {
        return Err(Error::Usage(format!(
            "{what} is a reweighter's model: it writes `rw` and `weight_rw`; --all-folds and \
             --branch are for classifier models"
        )));
    }
    let parse = |key: &str, src: &str| {
        Expr::parse(src).map_err(|e| Error::Usage(format!("{what}: reweight.{key}: {e}")))
    };
    let weight = parse("weight", &f.weight)?;
    let apply_to = match f.apply_to.as_str() {
        "region" => ApplyTo::Region,
        "all" => ApplyTo::All,
        other => {
            return Err(Error::Usage(format!(
                "{what}: reweight.apply_to `{other}`: must be `region` or `all`"
            )))
        }
    };
    let cut = f.cut.as_ref().map(|c| parse("cut", c)).transpose()?;
    let spec = WeighSpec {
        scorer,
        weight: &weight,
        cut: cut.as_ref(),
        apply_to,
        max_weight: f.max_weight,
    };
    let mut chains = Vec::with_capacity(jobs.len());
    for j in jobs {
        if j.output.exists() && !opts.force {
            return Err(Error::OutputExists {
                path: j.output.clone(),
            });
        }
        let chain = open_chain(std::slice::from_ref(&j.input), &j.friends)?;
        let names = chain.branch_names();
        let mut exprs = scorer.exprs();
        exprs.push(&weight);
        exprs.extend(cut.as_ref());
        for e in exprs {
            e.check(&names)
                .map_err(|e| Error::Usage(format!("{}: {e}", j.input)))?;
        }
        chains.push(chain);
    }
    for (j, chain) in jobs.iter().zip(&chains) {
        let range = 0..chain.entries();
        write_weighted(
            chain,
            &spec,
            (&j.output, range),
            &opts.tree_name,
            f.normalisation,
            (opts.force, opts.friend_format.friend_format),
        )
        .map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{}: {m}", j.input)),
            e => e,
        })?;
        writeln!(
            out,
            "{}: {} entries weighted -> {}:{} (rw, weight_rw)",
            j.input,
            chain.entries(),
            j.output.display(),
            opts.tree_name
        )
        .map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })?;
    }
    Ok(())
}

/// Each job's entries: all of them, or with --entry-start/--entry-stop (counted over the
/// chain of all inputs) the part of the range in each file, whose output is then named
/// `<stem>.<tree>.<first>-<stop>.root` (its own entry numbers); files outside the
/// range are dropped.
fn entry_ranges(
    opts: &ApplyOptions,
    jobs: &mut Vec<Job>,
    chains: &mut Vec<crate::root::Chain>,
) -> Result<Vec<Range<u64>>> {
    let total: u64 = chains.iter().map(|c| c.entries()).sum();
    let (start, stop) = (opts.split.entry_start, opts.split.entry_stop);
    if start.is_none() && stop.is_none() {
        return Ok(chains.iter().map(|c| 0..c.entries()).collect());
    }
    let (a, b) = (start.unwrap_or(0), stop.unwrap_or(total).min(total));
    if a >= b {
        return Err(Error::Usage(format!(
            "--entry-start {a} --entry-stop {b}: an empty range; the inputs have {total} \
             entries (from 0)"
        )));
    }
    let mut ranges = Vec::new();
    let mut kept_jobs = Vec::new();
    let mut kept_chains = Vec::new();
    let mut first = 0;
    for (mut j, c) in jobs.drain(..).zip(chains.drain(..)) {
        let n = c.entries();
        let (lo, hi) = (a.max(first) - first, b.min(first + n).saturating_sub(first));
        first += n;
        if lo >= hi.min(n) {
            continue;
        }
        if opts.output.is_none() {
            let name = j
                .output
                .file_name()
                .map(|s| s.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            let stem = name.strip_suffix(".root").unwrap_or(&name);
            j.output = j.output.with_file_name(format!("{stem}.{lo}-{hi}.root"));
        }
        ranges.push(lo..hi);
        kept_jobs.push(j);
        kept_chains.push(c);
    }
    *jobs = kept_jobs;
    *chains = kept_chains;
    Ok(ranges)
}

/// `apply --shard I/N --output-dir DIR`: plans (or checks DIR/plan.json against the
/// plan these flags give) and runs shard I.
fn run_shard(opts: &ApplyOptions, i: usize, n: usize, out: &mut dyn Write) -> Result<()> {
    let Some(dir) = opts.output_dir.as_deref() else {
        return Err(Error::Usage(
            "--shard needs --output-dir DIR: the plan, the shards' friends and their results \
             go there"
                .into(),
        ));
    };
    if opts.output.is_some() || opts.split.entry_start.is_some() {
        return Err(Error::Usage(
            "--shard: -o and --entry-start/--entry-stop do not go with it".into(),
        ));
    }
    let plan = Plan::make(&PlanRequest {
        model: &opts.model,
        inputs: &opts.inputs,
        friends: &opts.friends,
        output_dir: Some(dir),
        tree_name: &opts.tree_name,
        branch: &opts.branch,
        all_folds: opts.all_folds,
        shards: n,
        friend_format: opts.friend_format.friend_format,
    })?;
    // removed again if the shard writes nothing into it
    let _dir = crate::output::NewDir::create(dir)?;
    let path = dir.join("plan.json");
    same_plan(&path, &plan)?;
    let r = crate::batch::shard::run(&path, i, Some(n), Inputs::AsPlanned)?;
    writeln!(
        out,
        "shard {i} of {n}: {} entries scored in {} pieces -> {}",
        r.entries_scored,
        r.pieces.len(),
        crate::batch::result_path(dir, i).display()
    )
    .map_err(|source| Error::Io {
        path: "<stdout>".into(),
        source,
    })
}

/// Writes `plan` as `path`, or checks that the plan there (written by another shard)
/// is the same one.
fn same_plan(path: &Path, plan: &Plan) -> Result<()> {
    if !path.exists() {
        match plan.write(path, false) {
            Err(Error::OutputExists { .. }) => {} // another shard was first
            r => return r,
        }
    }
    let there = Plan::read(path)?;
    if there.id != plan.id {
        return Err(Error::Usage(format!(
            "{}: a plan of other inputs, model or shard count is there (id {}; these flags \
             give {}); use another --output-dir, or remove it to start over",
            path.display(),
            there.id,
            plan.id
        )));
    }
    Ok(())
}

/// A chain model (`morph --chain`'s chain.json): per input, its friend with the
/// corrected `<name>_morphed` branches, streamed chunk by chunk
/// ([`crate::reweight::chain::apply::write_corrected`], the path `morph --chain` writes
/// its own friends with). Every input is checked before the first is written.
fn apply_chain(opts: &ApplyOptions, out: &mut dyn Write) -> Result<()> {
    use crate::reweight::chain::apply::{write_corrected, Corrector};
    use crate::reweight::chain::model::ChainModel;
    let what = opts.model.display().to_string();
    let refused = [
        ("--all-folds", opts.all_folds),
        ("--branch", opts.branch != "score"),
        ("--shard", opts.split.shard.is_some()),
        (
            "--entry-start/--entry-stop",
            opts.split.entry_start.is_some() || opts.split.entry_stop.is_some(),
        ),
    ];
    if let Some((flag, _)) = refused.iter().find(|r| r.1) {
        return Err(Error::Usage(format!(
            "{what} is a chain model (morph --chain): it writes one `<name>_morphed` branch \
             per corrected variable for every entry of whole files, each entry through its \
             own fold's networks; {flag} is for classifier models"
        )));
    }
    check_name(&opts.tree_name, "--tree-name")?;
    let model = ChainModel::read(&opts.model)?;
    let corrector = Corrector::from_model(&model, &what)?;
    let names: Vec<String> = model.variables.iter().map(|v| v.branch.clone()).collect();
    let _dir = opts
        .output_dir
        .as_deref()
        .map(crate::output::NewDir::create)
        .transpose()?;
    let out_names = OutputNames {
        output: opts.output.as_deref(),
        output_dir: opts.output_dir.as_deref(),
        tree_name: &opts.tree_name,
    };
    let jobs = plan_jobs(&opts.inputs, &opts.friends, &out_names)?;
    let mut chains = Vec::with_capacity(jobs.len());
    for j in &jobs {
        if j.output.exists() && !opts.force {
            return Err(Error::OutputExists {
                path: j.output.clone(),
            });
        }
        let chain = open_chain(std::slice::from_ref(&j.input), &j.friends)?;
        let available = chain.branch_names();
        for e in corrector.exprs() {
            e.check(&available)
                .map_err(|e| Error::Usage(format!("{}: {e} (read by {what})", j.input)))?;
        }
        chains.push(chain);
    }
    let format = opts.friend_format.friend_format;
    for (j, chain) in jobs.iter().zip(&chains) {
        let range = 0..chain.entries();
        write_corrected(
            &corrector,
            chain,
            &names,
            (&j.output, range),
            &opts.tree_name,
            (opts.force, format),
        )
        .map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{}: {m}", j.input)),
            e => e,
        })?;
        writeln!(
            out,
            "{}: {} entries corrected -> {}:{} ({})",
            j.input,
            chain.entries(),
            j.output.display(),
            opts.tree_name,
            names.join(", ")
        )
        .map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })?;
    }
    Ok(())
}
