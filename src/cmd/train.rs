//! `rootgrad train CONFIG.toml`: check the run description, refuse to overwrite outputs
//! before any work is done, train, then write the run folder DIR ([`crate::run_folder`]:
//! model.json, history.csv and summary.json, each under a temporary name renamed when
//! complete).
//!
//! Ctrl-C stops after the current epoch. Without folds the best model so far is written
//! (summary.json says `"interrupted": true`). With k folds the folds that finished are
//! written as an incomplete model (`folds.missing` in model.json, `missing_folds` in
//! summary.json; each finished fold is written as soon as it finishes, so a run killed
//! outright keeps them too); the fold in training is dropped. `train CONFIG --resume`
//! (same `--out`, `--set`, `--unset`) trains the missing folds and writes the model an
//! uninterrupted run writes. A second Ctrl-C ends the program at once, writing nothing
//! more ([`crate::interrupt`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::TrainArgs;
use crate::config::{RunConfig, Split};
use crate::model::ModelFile;
use crate::progress::Progress;
use crate::run_folder::{self, EpochRecord, History};
use crate::train::folds::Earlier;
use crate::train::{ModelSummary, Outcome, Which};
use crate::{Error, Result};

/// The folder `train` writes to when `--out` is not given.
pub fn default_out(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or("run".into());
    PathBuf::from(format!("rootgrad-{stem}"))
}

/// The `train` command line that resumes this run: config, `--out`, `--set`, `--unset`.
fn resume_command(opts: &TrainArgs, dir: &Path) -> String {
    let mut c = format!(
        "rootgrad train {} --out {}",
        opts.config.display(),
        dir.display()
    );
    for u in &opts.unsets {
        c.push_str(&format!(" --unset {u}"));
    }
    for s in &opts.sets {
        c.push_str(&format!(" --set '{s}'"));
    }
    c + " --resume"
}

/// The finished folds in DIR for `--resume`, refused with the reason when there is
/// nothing to resume there.
fn earlier(dir: &Path) -> Result<Earlier> {
    let path = run_folder::model_path(dir);
    if !path.exists() {
        return Err(Error::Usage(format!(
            "--resume: {} does not exist, so there is nothing to resume in {}; give the --out \
             of the interrupted run, or train without --resume",
            path.display(),
            dir.display()
        )));
    }
    let model = ModelFile::read_incomplete(&path)?;
    match &model.folds {
        None => {
            return Err(Error::Usage(format!(
                "--resume: {} is a model without folds; only a k-fold training stopped by \
                 Ctrl-C can be resumed (a run without folds keeps its best epoch); train again \
                 with --force",
                path.display()
            )))
        }
        Some(f) if f.missing.is_empty() => {
            return Err(Error::Usage(format!(
                "--resume: {} is complete (all {} folds trained); nothing to resume",
                path.display(),
                f.k
            )))
        }
        Some(_) => {}
    }
    let hist = dir.join(run_folder::HISTORY);
    let history = EpochRecord::from_history(&History::read(&hist)?, &hist)?;
    let summ = dir.join(run_folder::SUMMARY);
    let seconds = std::fs::read_to_string(&summ)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["seconds"].as_f64())
        .unwrap_or(0.0);
    Ok(Earlier {
        model,
        history,
        seconds,
    })
}

/// Without `--force`: refuses a run folder that holds outputs, saying how to resume
/// when it is an incomplete model.
fn refuse_existing(dir: &Path, opts: &TrainArgs) -> Result<()> {
    let path = run_folder::model_path(dir);
    if let Ok(m) = ModelFile::read_incomplete(&path) {
        if let Some(note) = m.incomplete_note() {
            return Err(Error::Usage(format!(
                "{} exists: an {note}; `{}` trains the missing folds, --force trains every \
                 fold again",
                path.display(),
                resume_command(opts, dir)
            )));
        }
    }
    run_folder::refuse_existing(dir)
}

/// What the first Ctrl-C announces for this run.
fn on_interrupt(cfg: &RunConfig, opts: &TrainArgs) -> String {
    match (&cfg.training.split, opts.fold) {
        (Split::Folds { .. }, Some(k)) => {
            format!("stopping: fold {k} is dropped and nothing is written")
        }
        (Split::Folds { .. }, None) => {
            "saving the folds that finished as an incomplete model (the \
             fold in training is dropped; `train --resume` trains it and the others)"
                .into()
        }
        (Split::Fraction(_), _) => "saving the best model so far".into(),
    }
}

pub fn run(opts: &TrainArgs, out: &mut dyn Write) -> Result<()> {
    let cfg = RunConfig::load_with(&opts.config, &opts.sets, &opts.unsets)?;
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.config));
    let dir = match opts.fold {
        Some(k) => crate::batch::folds::fold_dir(&dir, k),
        None => dir,
    };
    let earlier = if opts.resume {
        let e = earlier(&dir)?;
        crate::train::check_resumable(&cfg, &e)?;
        Some(e)
    } else {
        if !opts.force {
            refuse_existing(&dir, opts)?;
        }
        None
    };
    // removed again if training fails before anything is written
    let _dir = crate::output::NewDir::create(&dir)?;
    catch_interrupt(&on_interrupt(&cfg, opts));
    let progress = Progress::new(opts.quiet);
    for n in &cfg.notes {
        progress.say(n);
    }
    if let Some(f) = earlier.as_ref().and_then(|e| e.model.folds.as_ref()) {
        progress.say(&format!(
            "resuming {}: fold(s) {} trained earlier are kept; training fold(s) {}",
            dir.display(),
            list(&f.trained()),
            list(&f.missing)
        ));
    }
    let which = Which {
        only: opts.fold,
        earlier: earlier.as_ref(),
    };
    let outcome = crate::train::run_with(&cfg, &progress, stop_flag(), &which, &mut |o| {
        run_folder::write(&dir, &o.model, &o.history, &o.summary)
    })?;
    run_folder::write(&dir, &outcome.model, &outcome.history, &outcome.summary)?;
    print(opts, &cfg, &dir, &outcome, &progress, out)
}

/// `0, 2`.
fn list(folds: &[usize]) -> String {
    folds
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn stdout_err(source: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source,
    }
}

/// What `train` prints: one line per sample, one per model, the out-of-fold line, and
/// what Ctrl-C left.
fn print(
    opts: &TrainArgs,
    cfg: &RunConfig,
    dir: &Path,
    outcome: &Outcome,
    progress: &Progress,
    out: &mut dyn Write,
) -> Result<()> {
    let io = stdout_err;
    for r in &outcome.summary.samples {
        let mut line = format!(
            "{}: {} events, total weight {:.6}",
            r.sample, r.events, r.sum_weights
        );
        if r.negative_events > 0 {
            line.push_str(&format!(
                "; {} with negative weight (sum {:.6}), {}",
                r.negative_events,
                r.negative_weight,
                match r.negative_weights {
                    "ignore" => format!("left out ({} events)", r.changed_events),
                    "abs" => format!("used as |w| ({} events)", r.changed_events),
                    _ => "kept as they are".to_string(),
                }
            ));
        }
        if r.nonfinite_dropped > 0 {
            line.push_str(&format!(
                "; {} dropped for a non-finite feature",
                r.nonfinite_dropped
            ));
        }
        writeln!(out, "{line}").map_err(io)?;
    }
    for m in &outcome.summary.models {
        writeln!(out, "{}", model_line(m)).map_err(io)?;
    }
    let s = &outcome.summary;
    if s.missing_folds.is_empty() && opts.fold.is_none() {
        out_of_fold(cfg, outcome, progress, out)?;
    }
    if !s.resumed_folds.is_empty() {
        writeln!(
            out,
            "resumed: fold(s) {} from the interrupted run, the others trained now",
            list(&s.resumed_folds)
        )
        .map_err(io)?;
    }
    if s.interrupted {
        let line = match (s.dropped_fold, &outcome.model.folds) {
            (Some(d), Some(f)) => format!(
                "interrupted during fold {} ({} epoch(s) run, dropped): fold(s) {} saved as an \
                 incomplete model, fold(s) {} not trained; finish it with: {}",
                d.fold,
                d.epochs,
                list(&f.trained()),
                list(&s.missing_folds),
                resume_command(opts, dir)
            ),
            (None, Some(_)) => "interrupted in the last epoch of the last fold: nothing was \
                                lost, the model is complete"
                .to_string(),
            _ => "interrupted: the best model so far was saved".to_string(),
        };
        writeln!(out, "{line}").map_err(io)?;
    }
    for c in &s.constant_features {
        progress.warn(&format!(
            "feature `{c}` is constant in the training set (std set to 1)"
        ));
    }
    writeln!(out, "wrote {}", run_folder::model_path(dir).display()).map_err(io)
}

/// One model's line: its events, the kept epoch, and what is known of it: the
/// validation numbers, or with `validation = 0` and folds the fold's own test part.
fn model_line(m: &ModelSummary) -> String {
    let fold = m.fold.map(|f| format!("fold {f}: ")).unwrap_or_default();
    let f = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or("-".into());
    if m.validation_events > 0 {
        return format!(
            "{fold}{} training and {} validation events; best epoch {} of {}; validation loss \
             {}, AUC {}, data/MC KS {}",
            m.train_events,
            m.validation_events,
            m.best_epoch + 1,
            m.epochs_run,
            f(m.val_loss),
            f(m.val_auc),
            f(m.val_ks)
        );
    }
    let head = format!(
        "{fold}{} training events, no validation set: epoch {} of {} kept",
        m.train_events,
        m.best_epoch + 1,
        m.epochs_run
    );
    match (m.test_events, m.test_auc) {
        (Some(n), Some(auc)) => format!(
            "{head}; on its test part ({n} events it never saw): AUC {auc:.4}, control-region \
             data/MC KS {}",
            m.test_ks
                .map_or("n/a (no [domain])".to_string(), |k| format!("{k:.4}"))
        ),
        _ => format!("{head} (`report` judges it on the events it trained on)"),
    }
}

/// Ctrl-C handling for the commands that train ([`crate::interrupt`]; `reweight` calls
/// these names).
pub use crate::interrupt::{catch as catch_interrupt, stop_flag};

/// With folds and `validation = 0` the per-fold lines have no validation numbers: the
/// out-of-fold AUC (every event scored by the model that did not train on it) and the
/// control region's data/simulation KS of those scores instead ([`Evaluation`]).
fn out_of_fold(
    cfg: &RunConfig,
    outcome: &crate::train::Outcome,
    progress: &Progress,
    out: &mut dyn Write,
) -> Result<()> {
    let crate::config::Split::Folds { validation, .. } = cfg.training.split else {
        return Ok(());
    };
    if validation > 0.0 {
        return Ok(());
    }
    let h = crate::evaluate::Evaluation::run(cfg, &outcome.model, progress)?.headline()?;
    let ks =
        h.ks.map_or("n/a (no [domain])".to_string(), |k| format!("{k:.4}"));
    writeln!(
        out,
        "out of fold (each event scored by the model that never saw it): AUC {:.4}, \
         control-region data/MC KS {ks}",
        h.auc
    )
    .map_err(|source| Error::Io {
        path: "<stdout>".into(),
        source,
    })
}
