//! `rootgrad train CONFIG.toml`: check the run description, refuse to overwrite outputs
//! before any work is done, train, then write DIR/model.json, DIR/history.csv and
//! DIR/summary.json, each under a temporary name renamed when complete.
//!
//! Ctrl-C stops after the current epoch and writes the best model so far (summary.json
//! says `"interrupted": true`); a second Ctrl-C ends the program at once, writing
//! nothing ([`crate::interrupt`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::TrainArgs;
use crate::config::RunConfig;
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::train::fit::EpochRecord;
use crate::{Error, Result};

/// The folder `train` writes to when `--out` is not given.
pub fn default_out(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or("run".into());
    PathBuf::from(format!("rootgrad-{stem}"))
}

pub fn run(opts: &TrainArgs, out: &mut dyn Write) -> Result<()> {
    let cfg = RunConfig::load(&opts.config, &opts.sets)?;
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.config));
    let files = output_files(&dir);
    if !opts.force {
        if let Some(p) = files.iter().find(|p| p.exists()) {
            return Err(Error::OutputExists { path: p.clone() });
        }
    }
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    catch_interrupt();
    let progress = Progress::new(opts.quiet);
    let outcome = crate::train::run(&cfg, &progress, stop_flag())?;
    write_outputs(&dir, &outcome)?;
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
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
        let fold = m.fold.map(|f| format!("fold {f}: ")).unwrap_or_default();
        let f = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or("-".into());
        writeln!(
            out,
            "{fold}{} training and {} validation events; best epoch {} of {}; validation loss {}, AUC {}, data/MC KS {}",
            m.train_events,
            m.validation_events,
            m.best_epoch + 1,
            m.epochs_run,
            f(m.val_loss),
            f(m.val_auc),
            f(m.val_ks)
        )
        .map_err(io)?;
    }
    if outcome.summary.interrupted {
        writeln!(out, "interrupted: the best model so far was saved").map_err(io)?;
    }
    for c in &outcome.summary.constant_features {
        progress.warn(&format!(
            "feature `{c}` is constant in the training set (std set to 1)"
        ));
    }
    writeln!(out, "wrote {}", files[0].display()).map_err(io)?;
    Ok(())
}

/// model.json, history.csv and summary.json in `dir`.
pub fn output_files(dir: &Path) -> [PathBuf; 3] {
    ["model.json", "history.csv", "summary.json"].map(|f| dir.join(f))
}

/// Ctrl-C handling for the commands that train ([`crate::interrupt`]; `reweight` calls
/// these names).
pub use crate::interrupt::{catch as catch_interrupt, stop_flag};

/// Writes the three outputs of a training run into `dir` (which exists), each under a
/// temporary name renamed when complete.
pub fn write_outputs(dir: &Path, outcome: &crate::train::Outcome) -> Result<()> {
    let files = output_files(dir);
    let json = outcome.model.to_json()?;
    write_atomically(&files[0], true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: files[0].clone(),
            source,
        })
    })?;
    write_atomically(&files[1], true, |w| {
        write_history(w, &outcome.history, &files[1])
    })?;
    let summary = serde_json::to_string_pretty(&outcome.summary)
        .map_err(|e| Error::Usage(format!("summary: {e}")))?;
    write_atomically(&files[2], true, |w| {
        w.write_all(summary.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|source| Error::Io {
                path: files[2].clone(),
                source,
            })
    })
}

fn csv(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

fn write_history(w: &mut dyn Write, rows: &[EpochRecord], path: &Path) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    writeln!(
        w,
        "fold,epoch,learning_rate,reversal_lambda,train_loss,train_classification,train_histogram,train_domain,train_mass,train_flatness,val_loss,val_classification,val_histogram,val_flatness,train_auc,val_auc,val_ks,seconds"
    )
    .map_err(io)?;
    for r in rows {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3}",
            r.fold.map(|f| f.to_string()).unwrap_or_default(),
            r.epoch,
            r.learning_rate,
            r.reversal_lambda,
            r.train_loss,
            r.train_classification,
            csv(r.train_histogram),
            csv(r.train_domain),
            csv(r.train_mass),
            csv(r.train_flatness),
            csv(r.val_loss),
            csv(r.val_classification),
            csv(r.val_histogram),
            csv(r.val_flatness),
            r.train_auc,
            csv(r.val_auc),
            csv(r.val_ks),
            r.seconds
        )
        .map_err(io)?;
    }
    Ok(())
}
