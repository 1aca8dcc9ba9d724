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

use crate::apply::{
    check_name, for_each_in_order, plan_jobs, score_one, FriendRequest, OutputNames,
};
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
    let jobs = plan_jobs(&opts.inputs, &opts.friends, &names)?;
    if let Some(f) = &model.reweight {
        return apply_factor(opts, &scorer, f, &jobs, out);
    }
    let req = FriendRequest {
        branch: &opts.branch,
        tree_name: &opts.tree_name,
        all_folds: opts.all_folds,
        force: opts.force,
    };
    // open and check everything before writing anything
    let mut chains = Vec::with_capacity(jobs.len());
    for j in &jobs {
        if j.output.exists() && !opts.force {
            return Err(Error::OutputExists {
                path: j.output.clone(),
            });
        }
        let chain = open_chain(std::slice::from_ref(&j.input), &j.friends)?;
        scorer.check(&chain).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{}: {m}", j.input)),
            e => e,
        })?;
        chains.push(chain);
    }
    let progress = Progress::new(opts.quiet);
    let total: u64 = chains.iter().map(|c| c.entries()).sum();
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
        |i| score_one(&scorer, &jobs[i], &chains[i], &req, |n| bar.inc(n)),
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
                                chains[i].entries(),
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
            opts.force,
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
