//! `rootgrad apply --model M.json INPUT.root[:TREE]...`: one friend tree per input file,
//! with the same entry count and order, holding the score (and, with `--all-folds`,
//! every fold model's score).
//!
//! Everything that can be checked without scoring is checked before the first output is
//! written: the model, every input tree and friend, that every branch the model reads
//! exists, and that no output exists (unless `--force`) or would overwrite an input.
//! Files are then scored one after another, each output written completely (temporary
//! name, then rename) before the next input is read; an error found while scoring (a
//! fold value out of range) stops the run, names the input and entry, and leaves the
//! outputs already finished complete and the failing one unwritten.
//!
//! Inputs are taken in sorted order of their file names (after glob expansion), and
//! each `--friend` pattern's files are paired with them in that order.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply::Scorer;
use crate::data::open_chain;
use crate::model::ModelFile;
use crate::progress::Progress;
use crate::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};
use crate::root::TreeSpec;
use crate::{Error, Result};

pub struct ApplyOptions {
    pub model: PathBuf,
    pub inputs: Vec<String>,
    pub output: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub tree_name: String,
    pub branch: String,
    pub friends: Vec<String>,
    pub all_folds: bool,
    pub force: bool,
    pub quiet: bool,
}

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
    let scorer = Scorer::new(&model, &opts.model)?;
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
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    for (j, chain) in jobs.iter().zip(&chains) {
        let bar = progress.bar(chain.entries(), "entries", "scoring");
        let scores = scorer.score(chain, opts.all_folds, |n| bar.inc(n))?;
        bar.finish_and_clear();
        let mut columns = vec![FriendColumn {
            name: opts.branch.clone(),
            data: FriendData::F32(scores.score),
        }];
        for (k, s) in scores.per_fold.into_iter().enumerate() {
            columns.push(FriendColumn {
                name: format!("{}_fold{k}", opts.branch),
                data: FriendData::F32(s),
            });
        }
        write_friend(&FriendSpec {
            path: &j.output,
            tree: &opts.tree_name,
            columns: &columns,
            expected_entries: Some(chain.entries()),
            overwrite: opts.force,
        })?;
        writeln!(
            out,
            "{}: {} entries scored -> {}:{}",
            j.input,
            chain.entries(),
            j.output.display(),
            opts.tree_name
        )
        .map_err(io)?;
        if scores.nonfinite > 0 {
            eprintln!(
                "rootgrad: warning: {}: {} entries have a NaN or infinite input feature; their \
                 score is NaN",
                j.input, scores.nonfinite
            );
        }
    }
    Ok(())
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
