//! k-fold training on a farm: `train --fold K --out DIR` trains fold K alone into
//! `DIR/fold-K/` (a run folder whose model file holds that fold's model only), and
//! [`combine`] joins the k folds into `DIR/model.json`, `history.csv` and
//! `summary.json`. Each fold's model depends only on its own events and seed, so the
//! combined model.json is the bytes one `train` of every fold writes.

use std::path::{Path, PathBuf};

use crate::model::ModelFile;
use crate::output::write_atomically;
use crate::run_folder;
use crate::{Error, Result};

/// `DIR/fold-K`, where `train --fold K --out DIR` writes.
pub fn fold_dir(dir: &Path, k: usize) -> PathBuf {
    dir.join(format!("fold-{k}"))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            source.kind(),
            format!("{source}; run `rootgrad train CONFIG --fold K --out DIR` for that fold"),
        ),
    })
}

/// One fold's model file, checked to hold fold `k` of a k-fold run.
fn read_fold(dir: &Path, k: usize, want: Option<usize>) -> Result<ModelFile> {
    let path = run_folder::model_path(&fold_dir(dir, k));
    let m: ModelFile = serde_json::from_str(&read_text(&path)?)
        .map_err(|e| Error::Usage(format!("{}: not a fold's model file: {e}", path.display())))?;
    let folds = m.folds.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "{}: a model without folds; `--fold` needs training.folds",
            path.display()
        ))
    })?;
    if folds.models.len() != 1 || want.is_some_and(|n| n != folds.k) {
        return Err(Error::Usage(format!(
            "{}: not fold {k} of the same {}-fold run (it holds {} models of {} folds)",
            path.display(),
            want.unwrap_or(folds.k),
            folds.models.len(),
            folds.k
        )));
    }
    Ok(m)
}

/// Combines `DIR/fold-0` .. `DIR/fold-(k-1)` into DIR's model.json, history.csv and
/// summary.json; refuses, naming it, a missing fold or one of another run. Returns k.
pub fn combine(dir: &Path, force: bool) -> Result<usize> {
    if !force {
        run_folder::refuse_existing(dir)?;
    }
    let first = read_fold(dir, 0, None)?;
    let k = first.folds.as_ref().map_or(0, |f| f.k);
    let mut model = first.clone();
    let mut metrics = Vec::new();
    let mut history = String::new();
    let mut summary: Option<serde_json::Value> = None;
    let mut seconds = 0.0;
    for f in 0..k {
        let m = if f == 0 {
            first.clone()
        } else {
            read_fold(dir, f, Some(k))?
        };
        if (&m.inputs, &m.training, &m.provenance)
            != (&first.inputs, &first.training, &first.provenance)
        {
            return Err(Error::Usage(format!(
                "{}: fold {f} was trained from another run description or samples than fold 0",
                fold_dir(dir, f).display()
            )));
        }
        if let Some(a) = m.metrics.as_array() {
            metrics.extend(a.iter().cloned());
        }
        if f > 0 {
            let folds = model.folds.as_mut().expect("fold 0 has folds");
            folds.models.extend(m.folds.expect("checked").models);
        }
        let [_, hist, summ] = run_folder::files(&fold_dir(dir, f));
        let h = read_text(&hist)?;
        let mut lines = h.lines();
        let header = lines.next().unwrap_or_default();
        if f == 0 {
            history.push_str(header);
            history.push('\n');
        }
        for l in lines {
            history.push_str(l);
            history.push('\n');
        }
        let s: serde_json::Value = serde_json::from_str(&read_text(&summ)?)
            .map_err(|e| Error::Usage(format!("{}: {e}", summ.display())))?;
        seconds += s["seconds"].as_f64().unwrap_or(0.0);
        summary = Some(match summary {
            None => s,
            Some(mut all) => {
                if let (Some(a), Some(b)) = (all["models"].as_array_mut(), s["models"].as_array()) {
                    a.extend(b.iter().cloned());
                }
                all
            }
        });
    }
    model.metrics = serde_json::Value::Array(metrics);
    let mut summary = summary.unwrap_or_default();
    summary["seconds"] = seconds.into();
    let [model_path, hist_path, summ_path] = run_folder::files(dir);
    let json = model.to_json()?;
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n";
    for (path, body) in [
        (&model_path, &json),
        (&hist_path, &history),
        (&summ_path, &text),
    ] {
        write_atomically(path, true, |w| {
            w.write_all(body.as_bytes()).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })
        })?;
    }
    Ok(k)
}
