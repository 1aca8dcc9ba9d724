//! Scoring ntuples with a model file: the library half of `rootgrad apply`.
//!
//! A chain is scored chunk by chunk ([`stream`]): the chunks of [`crate::data::chunks`]
//! (about [`ChunkSize::SCORE`] entries, ending at basket boundaries, read one chunk
//! ahead on a thread of their own; inputs that are a lone float branch read as f32,
//! [`Scorer::f32_branches`]), each scored by the model's [`Scorer`] and turned
//! into scores s = sigmoid(z); memory is a few chunks' buffers and the model, whatever
//! the entry count.
//!
//! Every entry gets a score, in order. An entry with a NaN or infinite feature gets a
//! NaN score and is counted (the friend tree must have every entry; the count is
//! reported so it is never silent). A fold expression that does not give an integer from
//! 0 to k - 1 is an error naming the file and entry. The scores do not depend on the
//! chunking or the thread count (see [`crate::model::scorer`]).
//!
//! The jobs of a run ([`plan_jobs`]: inputs, their friends, their outputs), several
//! files at once with results in input order ([`for_each_in_order`]), and one input's
//! friend written as it is scored ([`score_one`]).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;

use crate::data::chunks::{chunk_plan_in, read_ahead_f32, ChunkSize};
use crate::model::{ChunkLogits, ScoreBuffers, Scorer};
use crate::root::provenance::FriendSource;
use crate::root::write::{
    write_friend_stream_as, FriendData, FriendFormat, FriendStream, FriendType, StreamColumn,
};
use crate::root::{Chain, TreeSpec};
use crate::{Error, Result};

/// The scores of a chain.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// One per entry: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

/// The scores of one chunk.
#[derive(Debug, Clone, Default)]
pub struct ChunkScores {
    /// Chain entry of the first score.
    pub first_entry: u64,
    /// One per entry of the chunk: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry of the chunk.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries of the chunk with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

/// s = sigmoid(z), NaN for a NaN logit (an entry not scored).
fn score_of(z: f32) -> f32 {
    if z.is_nan() {
        f32::NAN
    } else {
        rootgrad_kernels::act::sigmoid(z)
    }
}

impl From<ChunkLogits> for ChunkScores {
    fn from(c: ChunkLogits) -> ChunkScores {
        let scores = |z: Vec<f32>| z.into_iter().map(score_of).collect();
        ChunkScores {
            first_entry: c.first_entry,
            score: scores(c.z),
            per_fold: c.per_fold.into_iter().map(scores).collect(),
            nonfinite: c.nonfinite,
        }
    }
}

/// Scores `chain` chunk by chunk: calls `body` with a source of the chunks' scores, in
/// entry order (`Ok(None)` after the last), while a thread reads one chunk ahead. The
/// reader stops when `body` returns, whether or not it took every chunk.
pub fn stream<R>(
    scorer: &Scorer,
    chain: &Chain,
    all_folds: bool,
    body: impl FnOnce(&mut (dyn FnMut() -> Result<Option<ChunkScores>> + Send)) -> R,
) -> R {
    stream_range(scorer, chain, all_folds, 0..chain.entries(), body)
}

/// [`stream`] over the chain entries `range` only (a shard of a batch plan, or
/// `--entry-start/--entry-stop`); the scores are those of the same entries in a whole run.
pub fn stream_range<R>(
    scorer: &Scorer,
    chain: &Chain,
    all_folds: bool,
    range: Range<u64>,
    body: impl FnOnce(&mut (dyn FnMut() -> Result<Option<ChunkScores>> + Send)) -> R,
) -> R {
    let exprs = scorer.exprs();
    let ranges = chunk_plan_in(chain, &exprs, ChunkSize::SCORE, range);
    // plain float inputs stay f32 from the reader to the network (the same scores)
    let floats = scorer.f32_branches(chain);
    read_ahead_f32(chain, &exprs, &floats, ranges, |read| {
        let mut buf = ScoreBuffers::default();
        let mut next = move || -> Result<Option<ChunkScores>> {
            match read() {
                None => Ok(None),
                Some(cols) => scorer
                    .score_chunk(&cols?, chain, None, all_folds, &mut buf)
                    .map(|c| Some(c.into())),
            }
        };
        body(&mut next)
    })
}

/// Scores every entry of `chain` into memory; `progress(n)` is called after each chunk.
/// (`rootgrad apply` streams instead: see [`stream`].)
pub fn score(
    scorer: &Scorer,
    chain: &Chain,
    all_folds: bool,
    mut progress: impl FnMut(u64),
) -> Result<Scores> {
    stream(scorer, chain, all_folds, |next| {
        let mut out = Scores::default();
        while let Some(c) = next()? {
            progress(c.score.len() as u64);
            out.score.extend_from_slice(&c.score);
            out.per_fold.resize_with(c.per_fold.len(), Vec::new);
            for (all, part) in out.per_fold.iter_mut().zip(&c.per_fold) {
                all.extend_from_slice(part);
            }
            out.nonfinite += c.nonfinite;
        }
        Ok(out)
    })
}

/// One input file with its tree name, its friends and its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub input: String,
    pub friends: Vec<String>,
    pub output: PathBuf,
}

/// Where the friends go: one named file (`-o`, one input only), or
/// `<stem>.<tree_name>.root` in `output_dir` or beside each input.
pub struct OutputNames<'a> {
    pub output: Option<&'a Path>,
    pub output_dir: Option<&'a Path>,
    pub tree_name: &'a str,
}

fn with_tree(file: &Path, tree: &Option<String>) -> String {
    match tree {
        Some(t) => format!("{}:{t}", file.display()),
        None => file.display().to_string(),
    }
}

/// The jobs of an apply: inputs (`FILE[:TREE]` patterns, globs expanded, sorted, each
/// file once), each `--friend` pattern's files paired with them in that order, and each
/// one's output; an output that would overwrite its input, or two inputs writing one
/// output, are refused.
pub fn plan_jobs(inputs: &[String], friends: &[String], names: &OutputNames) -> Result<Vec<Job>> {
    let patterns = inputs;
    let mut inputs: Vec<(PathBuf, Option<String>)> = Vec::new();
    for i in patterns {
        let spec = TreeSpec::parse(i);
        for f in spec.input_files()? {
            inputs.push((f, spec.tree.clone()));
        }
    }
    inputs.sort();
    inputs.dedup();
    let mut paired: Vec<Vec<String>> = vec![Vec::new(); inputs.len()];
    for f in friends {
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
            paired[k].push(with_tree(file, &spec.tree));
        }
    }
    if names.output.is_some() && inputs.len() != 1 {
        return Err(Error::Usage(format!(
            "-o names one output file but there are {} input files; use --output-dir DIR",
            inputs.len()
        )));
    }
    let mut jobs = Vec::new();
    for ((file, tree), friends) in inputs.into_iter().zip(paired) {
        let output = match (names.output, names.output_dir) {
            (Some(o), _) => o.to_path_buf(),
            (None, dir) => {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or("input".into());
                let name = format!("{stem}.{}.root", names.tree_name);
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

/// Runs `work(i)` for `i` in `0..n` on up to `at_once` threads, and `done(i, result)` on
/// the calling thread in order of `i`, each as soon as it and every earlier one have
/// finished.
pub fn for_each_in_order<T: Send>(
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

/// The friend tree `apply` writes: its score branch (and `<branch>_fold<k>` with
/// `all_folds`), tree name, and whether an existing output may be replaced.
pub struct FriendRequest<'a> {
    pub branch: &'a str,
    pub tree_name: &'a str,
    pub all_folds: bool,
    pub force: bool,
    /// `--friend-format`; `None` follows the input ([`FriendFormat::for_input`]).
    pub format: Option<FriendFormat>,
}

/// Scores one input into its friend file, streaming (`done(n)` after each chunk of n
/// entries); returns the count of entries with a non-finite feature.
pub fn score_one(
    scorer: &Scorer,
    job: &Job,
    chain: &Chain,
    req: &FriendRequest,
    done: impl FnMut(u64) + Send,
) -> Result<u64> {
    score_range(scorer, job, chain, req, 0..chain.entries(), done)
}

/// [`score_one`] over the chain entries `range` only: `job.output` gets a friend of
/// `range.end - range.start` entries, the scores of those entries.
pub fn score_range(
    scorer: &Scorer,
    job: &Job,
    chain: &Chain,
    req: &FriendRequest,
    range: Range<u64>,
    mut done: impl FnMut(u64) + Send,
) -> Result<u64> {
    let stop = range.end.min(chain.entries());
    let range = range.start.min(stop)..stop;
    let mut columns = vec![StreamColumn {
        name: req.branch.to_string(),
        kind: FriendType::F32,
    }];
    if req.all_folds {
        for k in 0..scorer.models() {
            columns.push(StreamColumn {
                name: format!("{}_fold{k}", req.branch),
                kind: FriendType::F32,
            });
        }
    }
    let source = FriendSource::of_chain(chain);
    let spec = FriendStream {
        path: &job.output,
        tree: req.tree_name,
        columns: &columns,
        entries: range.end - range.start,
        overwrite: req.force,
        source: Some(&source),
    };
    let mut nonfinite = 0;
    stream_range(scorer, chain, req.all_folds, range, |next| {
        let format = FriendFormat::for_input(req.format, chain);
        write_friend_stream_as(&spec, format, || {
            let Some(c) = next()? else {
                return Ok(None);
            };
            done(c.score.len() as u64);
            nonfinite += c.nonfinite;
            let mut chunk = Vec::with_capacity(1 + c.per_fold.len());
            chunk.push(FriendData::F32(c.score));
            chunk.extend(c.per_fold.into_iter().map(FriendData::F32));
            Ok(Some(chunk))
        })
    })?;
    Ok(nonfinite)
}

/// A branch or tree name rootgrad writes: letters, digits and _, not starting with a digit.
pub fn check_name(name: &str, flag: &str) -> Result<()> {
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
