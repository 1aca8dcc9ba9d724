//! `rootgrad report --model DIR`: one HTML page, with its figures beside it, that shows
//! what a trained model does, readable from disk with no network.
//!
//! The run description is the one stored in DIR/model.json (as used, after `--set`);
//! its relative file names are resolved against the folder of `--config`, or of the
//! config file recorded in the model's provenance. The samples are read and split as
//! `train` split them ([`crate::evaluate`]), so the figures show the validation events
//! (or, with folds, every event scored by the model that never saw it). Figures:
//! training curves from DIR/history.csv; the ROC curve; the score of signal and
//! background; the score in the control region, data over simulation with a ratio
//! panel, for the model and, with `--baseline OTHER_DIR`, for the baseline too; every
//! input feature in the control region, data over simulation; and a metrics table.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::samples::auto_edges;
use crate::cli::ReportArgs;
use crate::config::RunConfig;
use crate::evaluate::{Evaluation, Judged};
use crate::metrics::agreement::compare;
use crate::metrics::{cvm_flatness, roc_curve, truncated_auc, CvmOptions, OutOfRange};
use crate::model::ModelFile;
use crate::progress::Progress;
use crate::report::{
    data_mc, escape, histograms, roc, training, DataMcPlot, Hist1D, HistOverlay, LabelledHist,
    Page, Panel, RocCurve, RocPlot, Series, TrainingPlot,
};
use crate::{Error, Result};

/// history.csv as columns by name (empty cells are `None`).
pub struct History {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Option<f64>>>,
}

impl History {
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

/// The run description stored in a model file, anchored at `config` (or the config path
/// in its provenance).
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

struct Figures {
    dir: PathBuf,
    ext: &'static str,
    made: Vec<(String, String)>,
}

impl Figures {
    fn path(&self, name: &str) -> (PathBuf, String) {
        let file = format!("{name}.{}", self.ext);
        (self.dir.join(&file), file)
    }
}

fn series(h: &History, name: &str, label: &str) -> Option<Series> {
    let epoch = h.column("epoch");
    let fold = h.column("fold");
    let y = h.column(name);
    let mut x = Vec::new();
    let mut v = Vec::new();
    for i in 0..y.len() {
        // only the first fold's curve, so the panels stay readable
        if fold.get(i).copied().flatten().is_some_and(|f| f != 0.0) {
            continue;
        }
        if let (Some(e), Some(val)) = (epoch[i], y[i]) {
            if val.is_finite() {
                x.push(e + 1.0);
                v.push(val);
            }
        }
    }
    (!x.is_empty()).then(|| Series {
        label: label.to_string(),
        x,
        y: v,
    })
}

fn hist(values: &[f64], weights: &[f64], edges: &[f64]) -> Result<Hist1D> {
    Hist1D::fill(edges, values, weights, OutOfRange::Ignore)
}

pub fn run(o: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let model_path = o.model.join("model.json");
    let model = ModelFile::read(&model_path)?;
    let dir = o.out.clone().unwrap_or_else(|| o.model.join("report"));
    let index = dir.join("index.html");
    if index.exists() && !o.force {
        return Err(Error::OutputExists { path: index });
    }
    let cfg = config_of(&model, &model_path, o.config.as_deref())?;
    let progress = Progress::new(o.quiet);
    let ev = Evaluation::run(&cfg, &model, &progress)?;
    let baseline = match &o.baseline {
        Some(b) => {
            let p = b.join("model.json");
            let m = ModelFile::read(&p)?;
            let c = config_of(&m, &p, o.config.as_deref())?;
            Some(Evaluation::run(&c, &m, &progress)?)
        }
        None => None,
    };
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    let mut figs = Figures {
        dir: dir.clone(),
        ext: if o.svg { "svg" } else { "png" },
        made: Vec::new(),
    };
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let fmt = |v: f64| format!("{v:.4}");

    // training curves
    let history = History::read(&o.model.join("history.csv")).ok();
    if let Some(h) = &history {
        let mut panels = Vec::new();
        let loss: Vec<Series> = [
            ("train_loss", "training loss"),
            ("val_loss", "validation loss"),
            ("train_classification", "L_C (training)"),
            ("val_classification", "L_C (validation)"),
        ]
        .iter()
        .filter_map(|(c, l)| series(h, c, l))
        .collect();
        if !loss.is_empty() {
            panels.push(Panel {
                y_label: "Loss".into(),
                series: loss,
                log_y: false,
            });
        }
        let terms: Vec<Series> = [
            ("train_histogram", "L_H (training)"),
            ("val_histogram", "L_H (validation)"),
            ("train_domain", "L_D (training)"),
            ("train_mass", "L_M (training)"),
            ("train_flatness", "L_F (training)"),
            ("val_flatness", "L_F (validation)"),
        ]
        .iter()
        .filter_map(|(c, l)| series(h, c, l))
        .collect();
        if !terms.is_empty() {
            panels.push(Panel {
                y_label: "Adaptation terms".into(),
                series: terms,
                log_y: false,
            });
        }
        let auc: Vec<Series> = [("train_auc", "training"), ("val_auc", "validation")]
            .iter()
            .filter_map(|(c, l)| series(h, c, l))
            .collect();
        if !auc.is_empty() {
            panels.push(Panel {
                y_label: "AUC".into(),
                series: auc,
                log_y: false,
            });
        }
        if let Some(ks) = series(h, "val_ks", "validation, control region") {
            panels.push(Panel {
                y_label: "Data/MC KS".into(),
                series: vec![ks],
                log_y: false,
            });
        }
        if !panels.is_empty() {
            let mut t = TrainingPlot::new(panels);
            let best = model
                .metrics
                .get(0)
                .and_then(|m| m.get("best_epoch"))
                .and_then(|b| b.as_f64());
            t.best_epoch = best.map(|b| b + 1.0);
            if h.column("fold").iter().any(|f| f.is_some()) {
                t.title = Some("Training curves (fold 0)".into());
            }
            let (p, f) = figs.path("training");
            training(&p, &t)?;
            figs.made.push((f, "Training curves: every loss term, AUC and the data/simulation KS per epoch; the dashed line marks the epoch kept.".into()));
        }
    }

    // ROC and the score of signal and background
    let judged = match ev.judged {
        Judged::Validation => "validation events",
        Judged::OutOfFold => "every event, scored by the fold model that never saw it",
        Judged::Training => "training events (validation = 0: the model saw them)",
    };
    let (s, y, w) = ev.classification();
    let head = ev.headline()?;
    rows.push(("AUC (weighted)".into(), fmt(head.auc), judged.into()));
    if let Ok(t) = truncated_auc(&s, &y) {
        rows.push((
            "truncated AUC (Flavours of Physics)".into(),
            fmt(t),
            judged.into(),
        ));
    }
    let mut curves = Vec::new();
    let c = roc_curve(&s, &y, &w)?;
    curves.push(RocCurve {
        label: "model".into(),
        signal_eff: c.tpr,
        background_eff: c.fpr,
        auc: Some(head.auc),
    });
    if let Some(b) = &baseline {
        let (bs, by, bw) = b.classification();
        let bh = b.headline()?;
        let bc = roc_curve(&bs, &by, &bw)?;
        curves.push(RocCurve {
            label: "baseline".into(),
            signal_eff: bc.tpr,
            background_eff: bc.fpr,
            auc: Some(bh.auc),
        });
        rows.push(("AUC, baseline".into(), fmt(bh.auc), judged.into()));
    }
    let (p, f) = figs.path("roc");
    roc(&p, &RocPlot::new(curves))?;
    figs.made.push((f, format!("ROC curve on the {judged}.")));
    let edges01: Vec<f64> = (0..=o.bins).map(|i| i as f64 / o.bins as f64).collect();
    let mut ov = HistOverlay::new(
        vec![
            LabelledHist {
                label: "signal".into(),
                hist: hist(&ev.signal.scores, &ev.signal.weights, &edges01)?,
            },
            LabelledHist {
                label: "background".into(),
                hist: hist(&ev.background.scores, &ev.background.weights, &edges01)?,
            },
        ],
        "Classifier score",
    );
    ov.normalise = true;
    ov.y_label = "Fraction of weight / bin".into();
    let (p, f) = figs.path("score");
    histograms(&p, &ov)?;
    figs.made.push((
        f,
        "The score of signal and background (each normalised to unit area).".into(),
    ));

    // flatness in the mass, when the run decorrelates
    if !ev.prepared.bkg.mass.is_empty() {
        let mass: Vec<f64> = ev
            .background
            .index
            .iter()
            .map(|&i| ev.prepared.bkg.mass[i])
            .collect();
        if let Ok(cvm) = cvm_flatness(&ev.background.scores, &mass, &CvmOptions::default()) {
            rows.push((
                "CvM flatness in the mass (background)".into(),
                format!("{cvm:.5}"),
                "passes below 0.002".into(),
            ));
        }
    }

    // the score in the control region
    let mut score_cr = |e: &Evaluation, name: &str, label: &str| -> Result<()> {
        let (Some(d), Some(m)) = (&e.data, &e.mc) else {
            return Ok(());
        };
        if d.scores.is_empty() || m.scores.is_empty() {
            return Ok(());
        }
        let edges = auto_edges(&[&d.scores, &m.scores], o.bins, None)?;
        let (a, pd, pm) = compare(
            "score",
            (&d.scores, &d.weights),
            (&m.scores, &m.weights),
            &edges,
        )?;
        rows.push((
            format!("data/MC KS of the score, {label}"),
            fmt(a.ks),
            "control region".into(),
        ));
        rows.push((
            format!("data/MC chi2/ndf of the score, {label}"),
            a.chi2_text(),
            "control region".into(),
        ));
        let mut plot = DataMcPlot::new(pd, pm, "Classifier score");
        plot.title = Some(format!("Control region, {label}"));
        plot.metrics = a.lines();
        let (p, f) = figs.path(name);
        data_mc(&p, &plot)?;
        figs.made.push((
            f,
            format!("The score in the control region, data over simulation ({label})."),
        ));
        Ok(())
    };
    score_cr(&ev, "score_control_region", "model")?;
    if let Some(b) = &baseline {
        score_cr(b, "score_control_region_baseline", "baseline")?;
    }

    // every input in the control region
    if let (Some(d), Some(m)) = (&ev.prepared.data, &ev.prepared.mc) {
        for (j, name) in cfg.features.iter().enumerate() {
            let col = |s: &crate::data::Sample| -> Vec<f64> {
                (0..s.len()).map(|i| s.row(i)[j] as f64).collect()
            };
            let (dv, mv) = (col(d), col(m));
            let edges = auto_edges(&[&dv, &mv], o.bins, None)?;
            let (a, pd, pm) = compare(name, (&dv, &d.w), (&mv, &m.w), &edges)?;
            rows.push((
                format!("input `{name}`: KS, chi2/ndf"),
                format!("{:.4}, {}", a.ks, a.chi2_text()),
                "control region, all events".into(),
            ));
            let mut plot = DataMcPlot::new(pd, pm, name);
            plot.metrics = a.lines();
            let (p, f) = figs.path(&format!("input_{j}"));
            data_mc(&p, &plot)?;
            figs.made.push((
                f,
                format!("Input `{name}` in the control region, data over simulation."),
            ));
        }
    }

    let model = escape(&o.model.display().to_string());
    let intro = format!(
        "Model <code>{model}</code>, run description <code>{}</code>, features: {}.",
        escape(&cfg.path.display().to_string()),
        cfg.features
            .iter()
            .map(|f| format!("<code>{}</code>", escape(f)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(a, b, c)| vec![a, b, c]).collect();
    Page {
        title: &format!("rootgrad report: {}", o.model.display()),
        heading: "rootgrad report",
        intro_html: &intro,
        header: &["metric", "value", "on"],
        rows: &rows,
        figures: &figs.made,
    }
    .write(&index)?;
    writeln!(
        out,
        "wrote {} ({} figures)",
        index.display(),
        figs.made.len()
    )
    .map_err(|source| Error::Io {
        path: "<stdout>".into(),
        source,
    })?;
    Ok(())
}
