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
//! Inputs are taken in sorted order of their file names (after glob expansion), and
//! each `--friend` pattern's files are paired with them in that order.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;

use indicatif::ProgressBar;

use crate::data::open_chain;
use crate::model::{ModelFile, Scorer};
use crate::progress::Progress;
use crate::root::write::{write_friend_stream, FriendData, FriendStream, FriendType, StreamColumn};
use crate::root::{Chain, TreeSpec};
use crate::{Error, Result};

/// The most input files scored at once. Each holds a few chunks' buffers (tens of MB
/// with tens of inputs), so this bounds the memory of a run over many files.
pub const MAX_FILES_AT_ONCE: usize = 4;

/// The flags of `rootgrad apply` ([`crate::cli::ApplyArgs`]).
pub use crate::cli::ApplyArgs as ApplyOptions;

/// One input file with its tree name, its friends and its output.
struct Job {
    input: String,
    friends: Vec<String>,
    output: PathBuf,
}

fn with_tree(file: &Path, tree: &Option<String>) -> String {
    match tree {
        Some(t) => format!("{}:{t}", file.display()),
        None => file.display().to_string(),
    }
}

fn plan(opts: &ApplyOptions) -> Result<Vec<Job>> {
    let mut inputs: Vec<(PathBuf, Option<String>)> = Vec::new();
    for i in &opts.inputs {
        let spec = TreeSpec::parse(i);
        for f in spec.files()? {
            inputs.push((f, spec.tree.clone()));
        }
    }
    inputs.sort();
    inputs.dedup();
    let mut friends: Vec<Vec<String>> = vec![Vec::new(); inputs.len()];
    for f in &opts.friends {
        let spec = TreeSpec::parse(f);
        let files = spec.files()?;
        if files.len() != inputs.len() {
            return Err(Error::Usage(format!(
                "--friend `{f}` matches {} files but there are {} inputs; each --friend must \
                 give one friend file per input (paired in sorted order)",
                files.len(),
                inputs.len()
            )));
        }
        for (k, file) in files.iter().enumerate() {
            friends[k].push(with_tree(file, &spec.tree));
        }
    }
    if opts.output.is_some() && inputs.len() != 1 {
        return Err(Error::Usage(format!(
            "-o names one output file but there are {} input files; use --output-dir DIR",
            inputs.len()
        )));
    }
    let mut jobs = Vec::new();
    for ((file, tree), friends) in inputs.into_iter().zip(friends) {
        let output = match (&opts.output, &opts.output_dir) {
            (Some(o), _) => o.clone(),
            (None, dir) => {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or("input".into());
                let name = format!("{stem}.{}.root", opts.tree_name);
                match dir {
                    Some(d) => d.join(name),
                    None => file.with_file_name(name),
                }
            }
        };
        if output == file
            || std::fs::canonicalize(&output).ok() == std::fs::canonicalize(&file).ok()
                && output.exists()
        {
            return Err(Error::Usage(format!(
                "{}: the output would overwrite the input; choose another -o or --output-dir",
                output.display()
            )));
        }
        jobs.push(Job {
            input: with_tree(&file, &tree),
            friends,
            output,
        });
    }
    for (i, j) in jobs.iter().enumerate() {
        if jobs[..i].iter().any(|o| o.output == j.output) {
            return Err(Error::Usage(format!(
                "two inputs would write the same output {}; use -o per input or inputs with \
                 different names",
                j.output.display()
            )));
        }
    }
    Ok(jobs)
}

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
    if let Some(d) = &opts.output_dir {
        std::fs::create_dir_all(d).map_err(|source| Error::Io {
            path: d.clone(),
            source,
        })?;
    }
    let jobs = plan(opts)?;
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
        |i| score_one(&scorer, &jobs[i], &chains[i], opts, &bar),
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

/// Runs `work(i)` for `i` in `0..n` on up to `at_once` threads, and `done(i, result)` on
/// the calling thread in order of `i`, each as soon as it and every earlier one have
/// finished.
fn for_each_in_order<T: Send>(
    n: usize,
    at_once: usize,
    work: impl Fn(usize) -> T + Sync,
    mut done: impl FnMut(usize, T),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = channel::<(usize, T)>();
    std::thread::scope(|s| {
        for _ in 0..at_once.min(n) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || tx.send((i, work(i))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting: Vec<Option<T>> = (0..n).map(|_| None).collect();
        let mut first = 0;
        for (i, r) in rx {
            waiting[i] = Some(r);
            while let Some(r) = waiting.get_mut(first).and_then(Option::take) {
                done(first, r);
                first += 1;
            }
        }
    });
}

/// Scores one input into its friend file, streaming; returns the count of entries with
/// a non-finite feature.
fn score_one(
    scorer: &Scorer,
    job: &Job,
    chain: &Chain,
    opts: &ApplyOptions,
    bar: &ProgressBar,
) -> Result<u64> {
    let mut columns = vec![StreamColumn {
        name: opts.branch.clone(),
        kind: FriendType::F32,
    }];
    if opts.all_folds {
        for k in 0..scorer.models() {
            columns.push(StreamColumn {
                name: format!("{}_fold{k}", opts.branch),
                kind: FriendType::F32,
            });
        }
    }
    let spec = FriendStream {
        path: &job.output,
        tree: &opts.tree_name,
        columns: &columns,
        entries: chain.entries(),
        overwrite: opts.force,
    };
    let mut nonfinite = 0;
    crate::apply::stream(scorer, chain, opts.all_folds, |next| {
        write_friend_stream(&spec, || {
            let Some(c) = next()? else {
                return Ok(None);
            };
            bar.inc(c.score.len() as u64);
            nonfinite += c.nonfinite;
            let mut chunk = Vec::with_capacity(1 + c.per_fold.len());
            chunk.push(FriendData::F32(c.score));
            chunk.extend(c.per_fold.into_iter().map(FriendData::F32));
            Ok(Some(chunk))
        })
    })?;
    Ok(nonfinite)
}

fn check_name(name: &str, flag: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{flag} `{name}`: use letters, digits and _ only, not starting with a digit"
        )))
    }
}
