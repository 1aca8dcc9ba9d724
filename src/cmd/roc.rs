//! `rootgrad roc`: how well a variable separates signal from background.
//!
//! The weighted ROC AUC (signed weights as they are), the truncated AUC of the LHCb
//! "Flavours of Physics" challenge (unweighted, scores in [0, 1]), the signal
//! efficiency at background efficiencies 0.001, 0.01 and 0.1 (on the monotone envelope
//! of the signed curve when negative weights make it step back:
//! [`crate::metrics::signed_working_points`]), and a ROC plot.

use std::io::Write;

use serde::Serialize;

use super::samples::{parse, read_two, Named};
use crate::cli::RocArgs;
use crate::data::columns::column;
use crate::metrics::{roc_auc, roc_curve, signed_working_points, truncated_auc};
use crate::progress::Progress;
use crate::report::{roc, RocCurve, RocPlot, RocY};
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct WorkingPointJson {
    pub background_efficiency: f64,
    pub signal_efficiency: f64,
    pub threshold: f64,
}

/// The `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct RocJson {
    pub var: String,
    pub auc: f64,
    pub truncated_auc: f64,
    /// On the signed curve's monotone envelope (`working_points_note` says when negative
    /// background weights made it differ from the curve).
    pub working_points: Vec<WorkingPointJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_points_note: Option<String>,
    pub signal_events: usize,
    pub background_events: usize,
}

pub fn run(o: &RocArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(p) = &o.plot {
        if p.exists() && !o.force {
            return Err(Error::OutputExists { path: p.clone() });
        }
    }
    let var = parse("--var", &o.var)?;
    let progress = Progress::new(o.quiet || o.json);
    let (sig, bkg) = read_two(
        [
            Named {
                name: "signal",
                tree: &o.signal,
                weight: o.signal_weight.as_deref(),
                cut: o.signal_cut.as_deref(),
            },
            Named {
                name: "background",
                tree: &o.background,
                weight: o.background_weight.as_deref(),
                cut: o.background_cut.as_deref(),
            },
        ],
        o.cut.as_deref(),
        &o.friends,
        std::slice::from_ref(&var),
        &progress,
    )?;
    let mut s = column(&sig, 0);
    s.extend(column(&bkg, 0));
    let mut y = vec![true; sig.len()];
    y.resize(s.len(), false);
    let mut w = sig.w.clone();
    w.extend_from_slice(&bkg.w);
    let auc = roc_auc(&s, &y, &w)?;
    let tauc = truncated_auc(&s, &y).map_err(|e| {
        Error::Usage(format!(
            "{e} (the truncated AUC of the Flavours of Physics challenge needs scores in [0, 1]; \
             map the variable into [0, 1], e.g. --var '({} + 1) / 2' for a BDT output in [-1, 1])",
            o.var
        ))
    })?;
    let (wps, note) = match signed_working_points(&s, &y, &w) {
        Ok((w, false)) => (w, None),
        Ok((w, true)) => (
            w,
            Some(
                "with negative background weights, loosening the cut can lower the \
                 background efficiency (a negative-weight event enters); each working point \
                 is the loosest cut whose background efficiency never exceeded the target \
                 as the cut was loosened (the running maximum of the signed ROC curve; \
                 docs/metrics.md)"
                    .to_string(),
            ),
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let r = RocJson {
        var: o.var.clone(),
        auc,
        truncated_auc: tauc,
        working_points: wps
            .iter()
            .map(|p| WorkingPointJson {
                background_efficiency: p.background_efficiency,
                signal_efficiency: p.signal_efficiency,
                threshold: p.threshold,
            })
            .collect(),
        working_points_note: note,
        signal_events: sig.len(),
        background_events: bkg.len(),
    };
    if let Some(path) = &o.plot {
        let c = roc_curve(&s, &y, &w)?;
        let mut p = RocPlot::new(vec![RocCurve {
            label: o.var.clone(),
            signal_eff: c.tpr.clone(),
            background_eff: c.fpr.clone(),
            auc: Some(auc),
        }]);
        if o.log_y {
            p.y = RocY::BackgroundEfficiency;
            p.log_y = true;
        }
        roc(path, &p)?;
    }
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    if o.json {
        let j = serde_json::to_string(&r).map_err(|e| Error::Usage(e.to_string()))?;
        writeln!(out, "{j}").map_err(io)?;
        return Ok(());
    }
    writeln!(out, "variable       {}", r.var).map_err(io)?;
    writeln!(
        out,
        "events         {} signal, {} background",
        r.signal_events, r.background_events
    )
    .map_err(io)?;
    writeln!(out, "AUC            {:.6}  (weighted)", r.auc).map_err(io)?;
    writeln!(
        out,
        "truncated AUC  {:.6}  (Flavours of Physics, unweighted)",
        r.truncated_auc
    )
    .map_err(io)?;
    for p in &r.working_points {
        writeln!(
            out,
            "signal efficiency {:.4} at background efficiency {} (threshold {:.6})",
            p.signal_efficiency, p.background_efficiency, p.threshold
        )
        .map_err(io)?;
    }
    if let Some(n) = &r.working_points_note {
        writeln!(out, "note: {n}").map_err(io)?;
    }
    if let Some(p) = &o.plot {
        writeln!(out, "plot           {}", p.display()).map_err(io)?;
    }
    Ok(())
}
