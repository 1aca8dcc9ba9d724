//! `rootgrad train CONFIG.toml`: check the run description, refuse to overwrite outputs
//! before any work is done, train, then write the run folder DIR ([`crate::run_folder`]:
//! model.json, history.csv and summary.json, each under a temporary name renamed when
//! complete).
//!
//! Ctrl-C stops after the current epoch and writes the best model so far (summary.json
//! says `"interrupted": true`); a second Ctrl-C ends the program at once, writing
//! nothing ([`crate::interrupt`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::TrainArgs;
use crate::config::RunConfig;
use crate::progress::Progress;
use crate::run_folder;
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
    let cfg = RunConfig::load_with(&opts.config, &opts.sets, &opts.unsets)?;
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.config));
    let dir = match opts.fold {
        Some(k) => crate::batch::folds::fold_dir(&dir, k),
        None => dir,
    };
    if !opts.force {
        run_folder::refuse_existing(&dir)?;
    }
    // removed again if training fails before anything is written
    let _dir = crate::output::NewDir::create(&dir)?;
    catch_interrupt();
    let progress = Progress::new(opts.quiet);
    for n in &cfg.notes {
        progress.say(n);
    }
    let outcome = crate::train::run_folds(&cfg, &progress, stop_flag(), opts.fold)?;
    run_folder::write(&dir, &outcome.model, &outcome.history, &outcome.summary)?;
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
    out_of_fold(&cfg, &outcome, &progress, out)?;
    if outcome.summary.interrupted {
        writeln!(out, "interrupted: the best model so far was saved").map_err(io)?;
    }
    for c in &outcome.summary.constant_features {
        progress.warn(&format!(
            "feature `{c}` is constant in the training set (std set to 1)"
        ));
    }
    writeln!(out, "wrote {}", run_folder::model_path(&dir).display()).map_err(io)?;
    Ok(())
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
    if validation > 0.0 || outcome.summary.interrupted {
        return Ok(());
    }
    let h = crate::evaluate::Evaluation::run(cfg, &outcome.model, progress)?.headline()?;
    let ks =
        h.ks.map_or("- (no [domain])".to_string(), |k| format!("{k:.4}"));
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
