//! The run folder: what `train` (and `sweep`, `demo`) write for one training run and
//! what `report` reads back. One module so the file names and the history.csv format
//! are written down once:
//!
//! - `model.json`: the model file ([`crate::model::ModelFile`]);
//! - `history.csv`: one line per epoch (and fold), [`EpochRecord`]; empty cells are
//!   quantities the run does not have (no validation set, no adaptation term);
//! - `summary.json`: the run's summary, as the trainer reports it.
//!
//! Each file is written under a temporary name and renamed when complete
//! ([`crate::output::write_atomically`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::RunConfig;
use crate::model::ModelFile;
use crate::output::write_atomically;
use crate::{Error, Result};

/// The model file's name in a run folder.
pub const MODEL: &str = "model.json";
/// The training history's name in a run folder.
pub const HISTORY: &str = "history.csv";
/// The summary's name in a run folder.
pub const SUMMARY: &str = "summary.json";

/// One line of history.csv.
#[derive(Debug, Clone, Serialize)]
pub struct EpochRecord {
    pub fold: Option<usize>,
    pub epoch: usize,
    pub learning_rate: f64,
    pub reversal_lambda: f64,
    pub train_loss: f64,
    pub train_classification: f64,
    pub train_histogram: Option<f64>,
    pub train_domain: Option<f64>,
    pub train_mass: Option<f64>,
    pub train_flatness: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_classification: Option<f64>,
    pub val_histogram: Option<f64>,
    pub val_flatness: Option<f64>,
    pub train_auc: f64,
    pub val_auc: Option<f64>,
    pub val_ks: Option<f64>,
    pub seconds: f64,
}

/// model.json, history.csv and summary.json in `dir`.
pub fn files(dir: &Path) -> [PathBuf; 3] {
    [MODEL, HISTORY, SUMMARY].map(|f| dir.join(f))
}

/// The model file of the run folder `dir`.
pub fn model_path(dir: &Path) -> PathBuf {
    dir.join(MODEL)
}

/// [`Error::OutputExists`] for the first of the three files that is already in `dir`.
pub fn refuse_existing(dir: &Path) -> Result<()> {
    match files(dir).into_iter().find(|p| p.exists()) {
        Some(path) => Err(Error::OutputExists { path }),
        None => Ok(()),
    }
}

/// Writes the three files of a training run into `dir` (which exists), each under a
/// temporary name renamed when complete; existing files are replaced.
pub fn write(
    dir: &Path,
    model: &ModelFile,
    history: &[EpochRecord],
    summary: &impl Serialize,
) -> Result<()> {
    let files = files(dir);
    let json = model.to_json()?;
    write_atomically(&files[0], true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: files[0].clone(),
            source,
        })
    })?;
    write_atomically(&files[1], true, |w| write_history(w, history, &files[1]))?;
    let summary =
        serde_json::to_string_pretty(summary).map_err(|e| Error::Usage(format!("summary: {e}")))?;
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

/// history.csv as columns by name (empty cells are `None`).
pub struct History {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Option<f64>>>,
}

impl History {
    /// Reads the history.csv of the run folder `dir`.
    pub fn of(dir: &Path) -> Result<History> {
        History::read(&dir.join(HISTORY))
    }

    pub fn read(path: &Path) -> Result<History> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(String::from)
            .collect();
        if !header.iter().any(|h| h == "epoch") {
            return Err(Error::Usage(format!(
                "{}: not a rootgrad history.csv (no `epoch` column)",
                path.display()
            )));
        }
        let rows = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|c| c.trim().parse::<f64>().ok()).collect())
            .collect();
        Ok(History { header, rows })
    }

    /// The column `name`, one value per row; empty when there is no such column.
    pub fn column(&self, name: &str) -> Vec<Option<f64>> {
        match self.header.iter().position(|h| h == name) {
            Some(j) => self
                .rows
                .iter()
                .map(|r| r.get(j).copied().flatten())
                .collect(),
            None => Vec::new(),
        }
    }
}

impl EpochRecord {
    /// The rows of a history.csv read back (`train --resume` keeps the finished folds'
    /// rows); a row without `epoch` or `train_loss` is refused, naming the file.
    pub fn from_history(h: &History, path: &Path) -> Result<Vec<EpochRecord>> {
        let col = |name: &str| h.column(name);
        let cols: Vec<Vec<Option<f64>>> = [
            "fold",
            "epoch",
            "learning_rate",
            "reversal_lambda",
            "train_loss",
            "train_classification",
            "train_histogram",
            "train_domain",
            "train_mass",
            "train_flatness",
            "val_loss",
            "val_classification",
            "val_histogram",
            "val_flatness",
            "train_auc",
            "val_auc",
            "val_ks",
            "seconds",
        ]
        .iter()
        .map(|n| col(n))
        .collect();
        let mut out = Vec::with_capacity(h.rows.len());
        for i in 0..h.rows.len() {
            let v = |c: usize| cols[c].get(i).copied().flatten();
            let need = |c: usize, name: &str| {
                v(c).ok_or_else(|| {
                    Error::Usage(format!(
                        "{}: row {} has no `{name}`; not a history.csv rootgrad wrote",
                        path.display(),
                        i + 2
                    ))
                })
            };
            out.push(EpochRecord {
                fold: v(0).map(|f| f as usize),
                epoch: need(1, "epoch")? as usize,
                learning_rate: v(2).unwrap_or(f64::NAN),
                reversal_lambda: v(3).unwrap_or(0.0),
                train_loss: need(4, "train_loss")?,
                train_classification: v(5).unwrap_or(f64::NAN),
                train_histogram: v(6),
                train_domain: v(7),
                train_mass: v(8),
                train_flatness: v(9),
                val_loss: v(10),
                val_classification: v(11),
                val_histogram: v(12),
                val_flatness: v(13),
                train_auc: v(14).unwrap_or(f64::NAN),
                val_auc: v(15),
                val_ks: v(16),
                seconds: v(17).unwrap_or(0.0),
            });
        }
        Ok(out)
    }
}

/// The run description stored in a model file (as used, after `--set`), anchored at
/// `config` (or the config path in its provenance) so its relative file names resolve.
pub fn config_of(model: &ModelFile, model_path: &Path, config: Option<&Path>) -> Result<RunConfig> {
    let recorded = model
        .provenance
        .get("config")
        .and_then(|c| c.as_str())
        .map(PathBuf::from);
    let anchor = match (config, recorded) {
        (Some(c), _) => c.to_path_buf(),
        (None, Some(r)) if r.exists() => r,
        (None, r) => {
            return Err(Error::Usage(format!(
                "{}: the run description's folder is needed to find its ntuples, and the \
                 recorded config {} is not there from here; pass --config PATH/TO/run.toml",
                model_path.display(),
                r.map(|p| format!("`{}`", p.display()))
                    .unwrap_or("(none)".into())
            )))
        }
    };
    let table: toml::Table = serde_json::from_value(model.training.clone()).map_err(|e| {
        Error::Usage(format!(
            "{}: the stored run description cannot be read back: {e}",
            model_path.display()
        ))
    })?;
    RunConfig::from_table(table, &anchor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fold: Option<usize>, epoch: usize) -> EpochRecord {
        EpochRecord {
            fold,
            epoch,
            learning_rate: 0.001,
            reversal_lambda: 0.0,
            train_loss: 0.5,
            train_classification: 0.5,
            train_histogram: None,
            train_domain: Some(0.25),
            train_mass: None,
            train_flatness: None,
            val_loss: Some(0.625),
            val_classification: None,
            val_histogram: None,
            val_flatness: None,
            train_auc: 0.75,
            val_auc: Some(0.875),
            val_ks: None,
            seconds: 1.23456,
        }
    }

    #[test]
    fn history_written_is_read_back_by_column() {
        let dir = std::env::temp_dir().join(format!("rootgrad-run-folder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(HISTORY);
        let mut bytes = Vec::new();
        write_history(&mut bytes, &[row(Some(0), 0), row(Some(1), 1)], &path).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with("0.75,0.875,,1.235\n"), "{text}");
        std::fs::write(&path, &text).unwrap();
        let h = History::read(&path).unwrap();
        assert_eq!(h.column("epoch"), vec![Some(0.0), Some(1.0)]);
        assert_eq!(h.column("fold"), vec![Some(0.0), Some(1.0)]);
        assert_eq!(h.column("train_histogram"), vec![None, None]);
        assert_eq!(h.column("val_loss"), vec![Some(0.625), Some(0.625)]);
        assert!(h.column("no_such_column").is_empty());
        // read back as records and written again: the same text
        let back = EpochRecord::from_history(&h, &path).unwrap();
        let mut again = Vec::new();
        write_history(&mut again, &back, &path).unwrap();
        assert_eq!(String::from_utf8(again).unwrap(), text);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
