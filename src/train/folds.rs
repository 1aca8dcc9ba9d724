//! What k-fold training adds to the loop of one model: each fold judged on its own test
//! part, and resuming a run that Ctrl-C stopped (`train --resume`).
//!
//! **Test part.** Fold m's model never trains on the events whose fold expression gives
//! m. After it is trained, those events are scored as `apply` scores them (the model
//! file's scoring network: [`Scoring::network`] through the [`Scorer`]), giving the
//! fold's weighted AUC on its classification events (class scales of `normalize`
//! applied, as `report` weighs them) and, with a [domain], the KS distance of its
//! control-region data and simulation. With `validation = 0` these are the only honest
//! numbers a single fold has; `train` prints them per fold.
//!
//! **Resuming.** An interrupted k-fold run saves the folds that finished as an
//! incomplete model ([`crate::model::Folds::missing`]). Each fold's model depends only on
//! the description, the samples and its own fold's seed (`training.seed + fold *
//! 1_000_003`), so training the missing folds later, with the same description and
//! samples, gives the models an uninterrupted run gives, bit for bit. [`Earlier`] holds
//! the finished folds; [`changed_keys`] and [`check_samples`] refuse a resume whose
//! description or samples are not the ones the finished folds were trained on.

use std::collections::BTreeMap;

use super::ModelSummary;
use crate::data::prepare::Prepared;
use crate::data::Sample;
use crate::metrics::{ks_distance, roc_auc};
use crate::model::{FoldNet, ModelFile, ScoreBuffers, Scorer, Scoring};
use crate::run_folder::EpochRecord;
use crate::{Error, Result};

/// Fold m's numbers on its test part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestPart {
    /// Classification events of the test part (signal and background).
    pub events: usize,
    pub auc: f64,
    /// Control-region data/simulation KS of the score; `None` without a [domain].
    pub ks: Option<f64>,
}

/// Scores, weights (times `scale`) of the events of `s` in fold `m`, by `scorer`.
fn fold_scores(
    scorer: &Scorer,
    s: &Sample,
    m: usize,
    scale: f64,
    buf: &mut ScoreBuffers,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let idx: Vec<u32> = (0..s.len() as u32)
        .filter(|&i| s.fold[i as usize] as usize == m)
        .collect();
    let z = scorer.model_logits(0, &s.x, &idx, buf)?;
    let scores = z
        .iter()
        .map(|&z| rootgrad_kernels::act::sigmoid(z) as f64)
        .collect();
    let weights = idx.iter().map(|&i| s.w[i as usize] * scale).collect();
    Ok((scores, weights))
}

/// Fold `m`'s model (`scoring`, as written to the model file) on the events of fold m.
pub fn test_part(prep: &Prepared, m: usize, scoring: &Scoring) -> Result<TestPart> {
    let what = format!("fold {m}'s model");
    let (net, params, standardize) = scoring.network(prep.features.len(), &what)?;
    let scorer = Scorer::new(
        prep.features.clone(),
        vec![FoldNet {
            net,
            params,
            standardize,
        }],
        None,
    )?;
    let mut buf = ScoreBuffers::default();
    let (mut s, mut w) = fold_scores(&scorer, &prep.sig, m, prep.scales.0, &mut buf)?;
    let n_sig = s.len();
    let (sb, wb) = fold_scores(&scorer, &prep.bkg, m, prep.scales.1, &mut buf)?;
    s.extend(sb);
    w.extend(wb);
    let mut y = vec![true; n_sig];
    y.resize(s.len(), false);
    let auc = roc_auc(&s, &y, &w)
        .map_err(|e| Error::Usage(format!("fold {m}: the AUC of its test part: {e}")))?;
    let ks = match (&prep.data, &prep.mc) {
        (Some(d), Some(mc)) => {
            let (sd, wd) = fold_scores(&scorer, d, m, 1.0, &mut buf)?;
            let (sm, wm) = fold_scores(&scorer, mc, m, 1.0, &mut buf)?;
            if sd.is_empty() || sm.is_empty() {
                None
            } else {
                Some(ks_distance(&sd, &wd, &sm, &wm)?)
            }
        }
        _ => None,
    };
    Ok(TestPart {
        events: y.len(),
        auc,
        ks,
    })
}

/// The finished folds of an interrupted run (its incomplete model file and their rows
/// of history.csv), which `train --resume` keeps and does not train again.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub model: ModelFile,
    pub history: Vec<EpochRecord>,
    /// The training seconds its summary recorded.
    pub seconds: f64,
}

impl Earlier {
    /// The number of folds and those still missing; `None` for a model without folds.
    pub fn folds(&self) -> Option<(usize, &[usize])> {
        self.model.folds.as_ref().map(|f| (f.k, &f.missing[..]))
    }

    /// Whether fold `f` was trained by the earlier run.
    pub fn has(&self, f: usize) -> bool {
        self.folds()
            .is_some_and(|(k, missing)| f < k && !missing.contains(&f))
    }

    /// Fold `f`'s model and its line of the model's metrics.
    pub fn fold(&self, f: usize) -> Result<Option<(Scoring, ModelSummary)>> {
        let Some(folds) = self.model.folds.as_ref() else {
            return Ok(None);
        };
        let Some(at) = folds.trained().iter().position(|&t| t == f) else {
            return Ok(None);
        };
        let line = self
            .model
            .metrics
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|m| m.get("fold").and_then(|v| v.as_u64()) == Some(f as u64))
            })
            .cloned()
            .ok_or_else(|| {
                Error::Usage(format!(
                    "the incomplete model has fold {f}'s network but no line for it in its \
                     `metrics`; train again with --force"
                ))
            })?;
        let summary: ModelSummary = serde_json::from_value(line).map_err(|e| {
            Error::Usage(format!(
                "the incomplete model's metrics of fold {f} cannot be read: {e}"
            ))
        })?;
        Ok(Some((folds.models[at].clone(), summary)))
    }

    /// The history rows of fold `f`.
    pub fn history_of(&self, f: usize) -> impl Iterator<Item = &EpochRecord> {
        self.history.iter().filter(move |r| r.fold == Some(f))
    }
}

/// Keys that only label figures and leave the model unchanged.
const COSMETIC: &[&str] = &["inputs.labels"];

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// The keys (dotted) whose values differ between the description stored in a model file
/// (`stored`, its `training`) and `now`, each as `key (was -> now)`; keys that only
/// label figures (`inputs.labels`) are left out.
pub fn changed_keys(stored: &serde_json::Value, now: &toml::Table) -> Vec<String> {
    let now = serde_json::to_value(now).unwrap_or(serde_json::Value::Null);
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten("", stored, &mut a);
    flatten("", &now, &mut b);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| {
            !COSMETIC
                .iter()
                .any(|c| *k == c || k.starts_with(&format!("{c}.")))
        })
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&String>| v.cloned().unwrap_or("(not set)".into());
            format!("{k} ({} -> {})", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

/// A sample's record as compared: its name, events, total weight and the file names of
/// its chain without their folders (the run description's folder may be reached by
/// another path when resuming).
fn identity(v: &serde_json::Value) -> serde_json::Value {
    let files: Vec<String> = v["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .map(|f| {
            std::path::Path::new(f)
                .file_name()
                .map_or(f.to_string(), |n| n.to_string_lossy().into_owned())
        })
        .collect();
    serde_json::json!([v["sample"], v["events"], v["sum_weights"], files])
}

/// Refuses a resume whose samples (events, total weights, file names: the model's
/// `provenance.samples`) differ from those the finished folds were trained on;
/// `now` is the same record of this run's samples.
pub fn check_samples(earlier: &Earlier, now: &serde_json::Value) -> Result<()> {
    let was = earlier.model.provenance.get("samples");
    let (Some(was), Some(now_a)) = (was.and_then(|v| v.as_array()), now.as_array()) else {
        return Ok(());
    };
    for (a, b) in was.iter().zip(now_a) {
        if identity(a) != identity(b) {
            let name = b
                .get("sample")
                .and_then(|s| s.as_str())
                .unwrap_or("a sample");
            let show = |v: &serde_json::Value| {
                format!(
                    "{} events, total weight {}",
                    v.get("events").unwrap_or(&serde_json::Value::Null),
                    v.get("sum_weights").unwrap_or(&serde_json::Value::Null)
                )
            };
            return Err(Error::Usage(format!(
                "--resume: {name} is not the sample the finished folds were trained on (then \
                 {}, files {}; now {}, files {}); the ntuples changed, so train every fold \
                 again with --force instead",
                show(a),
                a.get("files").unwrap_or(&serde_json::Value::Null),
                show(b),
                b.get("files").unwrap_or(&serde_json::Value::Null)
            )));
        }
    }
    if was.len() != now_a.len() {
        return Err(Error::Usage(format!(
            "--resume: the finished folds were trained on {} samples, this description reads \
             {}; train every fold again with --force",
            was.len(),
            now_a.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_keys_name_what_changed_and_ignore_labels() {
        let stored = serde_json::json!({
            "training": {"epochs": 10, "seed": 1},
            "inputs": {"features": ["a"], "labels": {"a": "A"}}
        });
        let now: toml::Table = toml::from_str(
            "[training]\nepochs = 20\nseed = 1\nbatch_size = 64\n[inputs]\nfeatures = [\"a\"]\n\
             labels = { a = \"A [GeV]\" }\n",
        )
        .unwrap();
        assert_eq!(
            changed_keys(&stored, &now),
            vec![
                "training.batch_size ((not set) -> 64)".to_string(),
                "training.epochs (10 -> 20)".to_string()
            ]
        );
        let same: toml::Table =
            toml::from_str("[training]\nepochs = 10\nseed = 1\n[inputs]\nfeatures = [\"a\"]\n")
                .unwrap();
        assert!(changed_keys(&stored, &same).is_empty());
    }
}
