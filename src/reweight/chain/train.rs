//! Training a whole chain on the control region: per variable, per fold, the data and
//! simulation quantile networks (and spike classifiers), then the simulation's values
//! of that variable corrected out of fold, which the next variable's simulation
//! networks read.

use std::time::Instant;

use serde::Serialize;

use super::apply::{Corrector, FoldStep, QNet, SNet, VarStep};
use super::fit::{fit, Events, Fitted, Hyper, Task};
use super::model::{ChainModel, ChainVar, FoldNets, FoldsJson, SpikeJson, FORMAT, VERSION};
use super::prepare::{check_events, find_spike, FoldRule, PointMass};
use crate::expr::Expr;
use crate::loss::QuantileLevels;
use crate::progress::Progress;
use crate::{Error, Result};

/// One sample's control-region events: columns (the given expressions then the
/// variables, in order), signed weights, folds, chain entries (the held-out slice's
/// key) and entries inside their own file (the jitter's key).
pub struct Columns {
    pub cols: Vec<Vec<f64>>,
    pub w: Vec<f64>,
    pub fold: Vec<u32>,
    pub entry: Vec<u64>,
    pub local: Vec<u64>,
}

/// What a chain is asked to do.
pub struct Setup<'a> {
    pub given: &'a [String],
    pub vars: &'a [String],
    pub branches: &'a [String],
    pub levels: &'a QuantileLevels,
    pub folds: &'a FoldRule,
    pub seed: u64,
    pub hyper: &'a Hyper,
}

/// How one network's training went (morph.json).
#[derive(Debug, Clone, Serialize)]
pub struct NetLog {
    pub fold: usize,
    /// `data`, `mc`, `spike_data` or `spike_mc`.
    pub network: &'static str,
    pub events: usize,
    pub held_out_loss: Vec<f64>,
    pub kept_epoch: usize,
}

/// One variable's training (morph.json).
#[derive(Debug, Clone, Serialize)]
pub struct VarLog {
    pub var: String,
    pub spike: Option<SpikeJson>,
    pub range: [f64; 2],
    pub seconds: f64,
    pub networks: Vec<NetLog>,
}

/// A trained chain: ready to correct, its model file, and the simulation's corrected
/// control-region values (each by its own fold's networks).
pub struct Trained {
    pub corrector: Corrector,
    pub model: ChainModel,
    pub corrected: Vec<Vec<f64>>,
    pub logs: Vec<VarLog>,
}

/// Row-major (n, d) inputs from columns.
fn rows(cols: &[&[f64]], idx: &[usize]) -> Vec<f64> {
    let mut x = Vec::with_capacity(idx.len() * cols.len());
    for &i in idx {
        x.extend(cols.iter().map(|c| c[i]));
    }
    x
}

/// One network fitted on the events `idx` of a sample.
struct Job<'a> {
    cols: &'a [&'a [f64]],
    y: &'a [f64],
    s: &'a Columns,
}

fn fit_on(
    task: Task,
    j: &Job,
    idx: &[usize],
    label: Option<f64>,
    h: &Hyper,
    id: &[u64],
    what: &str,
) -> Result<Fitted> {
    let x = rows(j.cols, idx);
    let y: Vec<f64> = match label {
        None => idx.iter().map(|&i| j.y[i]).collect(),
        Some(v) => idx
            .iter()
            .map(|&i| f64::from(u8::from(j.y[i] == v)))
            .collect(),
    };
    let w: Vec<f64> = idx.iter().map(|&i| j.s.w[i]).collect();
    let entry: Vec<u64> = idx.iter().map(|&i| j.s.entry[i]).collect();
    let e = Events {
        x: &x,
        y: &y,
        w: &w,
        entry: &entry,
    };
    fit(task, &e, j.cols.len(), h, id, what)
}

/// Trains the chain (see the module doc of [`super`]).
pub fn train(su: &Setup, data: &Columns, mc: &Columns, progress: &Progress) -> Result<Trained> {
    let g = su.given.len();
    let mut steps: Vec<VarStep> = Vec::new();
    let mut vars_json = Vec::new();
    let mut corrected: Vec<Vec<f64>> = Vec::new();
    let mut logs = Vec::new();
    let mut corrector = Corrector {
        given: parse(su.given)?,
        fold: Expr::parse(&su.folds.expression)?,
        k: su.folds.k,
        taus: su.levels.taus().to_vec(),
        seed: su.seed,
        steps: Vec::new(),
    };
    for (k, var) in su.vars.iter().enumerate() {
        let t0 = Instant::now();
        let (yd, ym) = (&data.cols[g + k], &mc.cols[g + k]);
        let spike = find_spike(var, (yd, &data.w), (ym, &mc.w))?;
        // the clamp: the data's range, off the point mass when there is one (so that
        // no value off the spike is moved onto it by the clamp)
        let off = |v: &f64| spike.is_none_or(|p| *v != p.value);
        let range = [
            yd.iter().copied().filter(off).fold(f64::INFINITY, f64::min),
            yd.iter()
                .copied()
                .filter(off)
                .fold(f64::NEG_INFINITY, f64::max),
        ];
        let dcols: Vec<&[f64]> = data.cols[..g + k].iter().map(|c| &c[..]).collect();
        let mut mcols: Vec<&[f64]> = mc.cols[..g].iter().map(|c| &c[..]).collect();
        mcols.extend(corrected.iter().map(|c| &c[..]));
        let jd = Job {
            cols: &dcols,
            y: yd,
            s: data,
        };
        let jm = Job {
            cols: &mcols,
            y: ym,
            s: mc,
        };
        let mut folds = Vec::new();
        let mut folds_json = Vec::new();
        let mut nets = Vec::new();
        for f in 0..su.folds.k {
            let bar = format!("{var}: fold {f}");
            progress.say(&format!("chain: training {bar}"));
            let (step, json, log) = fit_fold(su, (k, f), (&jd, &jm), spike.as_ref(), &bar)?;
            folds.push(step);
            folds_json.push(json);
            nets.extend(log);
        }
        steps.push(VarStep {
            expr: Expr::parse(var)?,
            spike,
            range,
            folds,
        });
        corrector.steps = std::mem::take(&mut steps);
        let yhat = corrector.correct_var(k, &mcols, ym, &mc.fold, &mc.local)?;
        steps = std::mem::take(&mut corrector.steps);
        let spike_json = spike.map(|p| SpikeJson {
            value: p.value,
            side: p.side.name().into(),
        });
        vars_json.push(ChainVar {
            expression: var.clone(),
            branch: su.branches[k].clone(),
            range,
            spike: spike_json.clone(),
            folds: folds_json,
        });
        logs.push(VarLog {
            var: var.clone(),
            spike: spike_json,
            range,
            seconds: t0.elapsed().as_secs_f64(),
            networks: nets,
        });
        corrected.push(yhat);
    }
    corrector.steps = steps;
    let h = su.hyper;
    let model = ChainModel {
        format: FORMAT.into(),
        version: VERSION,
        given: su.given.to_vec(),
        levels: su.levels.taus().to_vec(),
        folds: FoldsJson {
            k: su.folds.k,
            expression: su.folds.expression.clone(),
        },
        seed: su.seed,
        variables: vars_json,
        training: serde_json::json!({
            "hidden": h.hidden, "activation": "relu", "epochs": h.epochs,
            "batch_size": h.batch, "learning_rate": h.lr, "optimizer": "adam",
            "held_out_fraction": h.holdout, "min_steps": h.min_steps,
        }),
    };
    Ok(Trained {
        corrector,
        model,
        corrected,
        logs,
    })
}

fn parse(src: &[String]) -> Result<Vec<Expr>> {
    src.iter().map(|s| Expr::parse(s)).collect()
}

/// The networks of variable `k`, fold `f`.
fn fit_fold(
    su: &Setup,
    (k, f): (usize, usize),
    (jd, jm): (&Job, &Job),
    spike: Option<&PointMass>,
    what: &str,
) -> Result<(FoldStep, FoldNets, Vec<NetLog>)> {
    let q = su.levels.len();
    let var = &su.vars[k];
    let mut logs = Vec::new();
    let mut fitted = Vec::new();
    for (si, (name, j)) in [("domain.data", jd), ("domain.mc", jm)]
        .into_iter()
        .enumerate()
    {
        let train: Vec<usize> = (0..j.y.len())
            .filter(|&i| j.s.fold[i] as usize != f)
            .collect();
        let off: Vec<usize> = match spike {
            Some(p) => train
                .iter()
                .copied()
                .filter(|&i| j.y[i] != p.value)
                .collect(),
            None => train.clone(),
        };
        check_events(var, name, f, off.len(), q)?;
        let id = [su.seed, k as u64, f as u64, si as u64, 0];
        let qn = fit_on(
            Task::Quantiles(su.levels),
            j,
            &off,
            None,
            su.hyper,
            &id,
            &format!("{what} {name}"),
        )?;
        let tag = if si == 0 { "data" } else { "mc" };
        logs.push(NetLog {
            fold: f,
            network: tag,
            events: off.len(),
            held_out_loss: qn.held_out.clone(),
            kept_epoch: qn.kept_epoch,
        });
        let sp = match spike {
            Some(p) => {
                let id = [su.seed, k as u64, f as u64, si as u64, 1];
                let w = format!("{what} {name} spike classifier");
                let s = fit_on(Task::Spike, j, &train, Some(p.value), su.hyper, &id, &w)?;
                logs.push(NetLog {
                    fold: f,
                    network: if si == 0 { "spike_data" } else { "spike_mc" },
                    events: train.len(),
                    held_out_loss: s.held_out.clone(),
                    kept_epoch: s.kept_epoch,
                });
                Some(SNet(s.net))
            }
            None => None,
        };
        fitted.push((
            QNet {
                net: qn.net,
                target: qn.target,
            },
            sp,
        ));
    }
    let (mc, smc) = fitted
        .pop()
        .ok_or_else(|| Error::Usage("internal: no mc network".into()))?;
    let (data, sdata) = fitted
        .pop()
        .ok_or_else(|| Error::Usage("internal: no data network".into()))?;
    let json = FoldNets {
        data: data.to_json(),
        mc: mc.to_json(),
        spike_data: sdata.as_ref().map(|s| s.to_json()),
        spike_mc: smc.as_ref().map(|s| s.to_json()),
    };
    let spike = match (sdata, smc) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok((FoldStep { data, mc, spike }, json, logs))
}
