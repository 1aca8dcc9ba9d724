//! `rootgrad report --model DIR`: one HTML page, with its figures beside it, that shows
//! what a trained model does, readable from disk with no network.
//!
//! The run description is the one stored in DIR/model.json (as used, after `--set`);
//! its relative file names are resolved against the folder of `--config`, or of the
//! config file recorded in the model's provenance. The samples are read and split as
//! `train` split them ([`crate::evaluate`]), so the figures show the validation events
//! (or, with folds, every event scored by the model that never saw it). Figures:
//! training curves from DIR/history.csv ([`crate::run_folder`]); the ROC curve; the score of signal and
//! background; the score in the control region, data over simulation with a ratio
//! panel, for the model and, with `--baseline OTHER_DIR`, for the baseline too; every
//! input feature in the control region, data over simulation; and a metrics table.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::ReportArgs;
use crate::config::RunConfig;
use crate::evaluate::{Evaluation, Judged};
use crate::metrics::agreement::compare;
use crate::metrics::binning::{auto_edges, describe};
use crate::metrics::{cvm_flatness, roc_curve, truncated_auc, CvmOptions, OutOfRange};
use crate::model::ModelFile;
use crate::progress::Progress;
use crate::report::{
    data_mc, escape, histograms, roc, tails_matter, training, training_curves, DataMcPlot, Hist1D,
    HistOverlay, LabelledHist, Page, RocCurve, RocPlot, RocY,
};
use crate::run_folder::{self, config_of, History};
use crate::{Error, Result};

/// The page being built: its figures (file name, caption) and metrics table rows
/// (metric, value, on what).
struct Figures {
    dir: PathBuf,
    ext: &'static str,
    made: Vec<(String, String)>,
    rows: Vec<(String, String, String)>,
}

impl Figures {
    fn path(&self, name: &str) -> (PathBuf, String) {
        let file = format!("{name}.{}", self.ext);
        (self.dir.join(&file), file)
    }

    fn row(&mut self, metric: impl Into<String>, value: String, on: impl Into<String>) {
        self.rows.push((metric.into(), value, on.into()));
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.4}")
}

fn hist(values: &[f64], weights: &[f64], edges: &[f64]) -> Result<Hist1D> {
    Hist1D::fill(edges, values, weights, OutOfRange::Ignore)
}

/// Reads the model of a run folder, the run description it stores (anchored at
/// `config`), and judges it as `train` split it.
fn evaluate(
    dir: &Path,
    config: Option<&Path>,
    progress: &Progress,
) -> Result<(ModelFile, RunConfig, Evaluation)> {
    let path = run_folder::model_path(dir);
    let model = ModelFile::read(&path)?;
    let cfg = config_of(&model, &path, config)?;
    let ev = Evaluation::run(&cfg, &model, progress)?;
    Ok((model, cfg, ev))
}

pub fn run(o: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let model_path = run_folder::model_path(&o.model);
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
        Some(b) => Some(evaluate(b, o.config.as_deref(), &progress)?.2),
        None => None,
    };
    // removed again if no figure or page is written into it
    let _dir = crate::output::NewDir::create(&dir)?;
    let mut figs = Figures {
        dir: dir.clone(),
        ext: if o.svg { "svg" } else { "png" },
        made: Vec::new(),
        rows: Vec::new(),
    };
    if let Ok(h) = History::of(&o.model) {
        training_figure(&mut figs, &h, &model)?;
    }
    classification_figures(&mut figs, &ev, baseline.as_ref(), o.bins)?;
    flatness_row(&mut figs, &ev);
    control_region_figure(&mut figs, &ev, "score_control_region", "model", o.bins)?;
    if let Some(b) = &baseline {
        control_region_figure(
            &mut figs,
            b,
            "score_control_region_baseline",
            "baseline",
            o.bins,
        )?;
    }
    overtraining_figure(&mut figs, &ev, &model, o.bins)?;
    sculpting_figure(&mut figs, &ev, &cfg, o.bins)?;
    input_figures(&mut figs, &cfg, &ev, o.bins)?;
    write_page(&index, &o.model, &cfg, &figs)?;
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

/// The training curves from history.csv, with the kept epoch marked.
fn training_figure(figs: &mut Figures, h: &History, model: &ModelFile) -> Result<()> {
    let best = model
        .metrics
        .get(0)
        .and_then(|m| m.get("best_epoch"))
        .and_then(|b| b.as_f64());
    let Some(t) = training_curves(h, best) else {
        return Ok(());
    };
    let (p, f) = figs.path("training");
    training(&p, &t)?;
    let panels: Vec<&str> = t.panels.iter().map(|p| p.y_label.as_str()).collect();
    let folds = if t.title.is_some() {
        ", every fold"
    } else {
        ""
    };
    figs.made.push((
        f,
        format!(
            "Training curves per epoch{folds}: {}; the dashed line marks the epoch kept.",
            panels.join(", ")
        ),
    ));
    Ok(())
}

/// AUC rows, the ROC curve (and the baseline's), and the score of signal and
/// background.
fn classification_figures(
    figs: &mut Figures,
    ev: &Evaluation,
    baseline: Option<&Evaluation>,
    bins: usize,
) -> Result<()> {
    let judged = match ev.judged {
        Judged::Validation => "validation events",
        Judged::OutOfFold => "every event, scored by the fold model that never saw it",
        Judged::Training => "training events (validation = 0: the model saw them)",
    };
    let (s, y, w) = ev.classification();
    let head = ev.headline()?;
    figs.row("AUC (weighted)", fmt(head.auc), judged);
    if let Ok(t) = truncated_auc(&s, &y) {
        figs.row("truncated AUC (Flavours of Physics)", fmt(t), judged);
    }
    let mut curves = Vec::new();
    let c = roc_curve(&s, &y, &w)?;
    curves.push(RocCurve {
        label: "model".into(),
        signal_eff: c.tpr,
        background_eff: c.fpr,
        auc: Some(head.auc),
    });
    if let Some(b) = baseline {
        let (bs, by, bw) = b.classification();
        let bh = b.headline()?;
        let bc = roc_curve(&bs, &by, &bw)?;
        curves.push(RocCurve {
            label: "baseline".into(),
            signal_eff: bc.tpr,
            background_eff: bc.fpr,
            auc: Some(bh.auc),
        });
        figs.row("AUC, baseline", fmt(bh.auc), judged);
    }
    let (p, f) = figs.path("roc");
    let mut rp = RocPlot::new(curves);
    rp.y = RocY::InverseBackgroundEfficiency;
    rp.log_y = true;
    roc(&p, &rp)?;
    figs.made.push((
        f,
        format!(
            "ROC curve: 1 / background efficiency (log scale) against signal efficiency; \
             events: {judged}."
        ),
    ));
    let edges01: Vec<f64> = (0..=bins).map(|i| i as f64 / bins as f64).collect();
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
    ov.log_y = true;
    ov.y_label = "Fraction of weight / bin".into();
    let (p, f) = figs.path("score");
    histograms(&p, &ov)?;
    figs.made.push((
        f,
        format!(
            "The score of signal and background (each normalised to unit area, log scale; \
             {}).",
            describe(&edges01)
        ),
    ));
    Ok(())
}

/// Training against held-out scores of each class, normalised, log y, with the KS
/// p-value of each class in the title and a table row.
fn overtraining_figure(
    figs: &mut Figures,
    ev: &Evaluation,
    model: &ModelFile,
    bins: usize,
) -> Result<()> {
    let Some(o) = ev.overtraining(model)? else {
        return Ok(());
    };
    if o.classes.is_empty() {
        return Ok(());
    }
    let edges01: Vec<f64> = (0..=bins).map(|i| i as f64 / bins as f64).collect();
    let mut hists = Vec::new();
    let mut title = Vec::new();
    for (name, train, test, d, p) in &o.classes {
        hists.push(LabelledHist {
            label: format!("{name}, training events"),
            hist: hist(&train.scores, &train.weights, &edges01)?,
        });
        hists.push(LabelledHist {
            label: format!("{name}, held-out events"),
            hist: hist(&test.scores, &test.weights, &edges01)?,
        });
        figs.row(
            format!("overtraining: KS training vs held-out, {name}"),
            format!("D = {d:.4}, p = {p:.3}"),
            "asymptotic KS p-value, Kish effective sizes",
        );
        title.push(format!("{name} p = {p:.3}"));
    }
    let mut ov = HistOverlay::new(hists, "Classifier score");
    ov.normalise = true;
    ov.log_y = true;
    ov.y_label = "Fraction of weight / bin".into();
    ov.title = Some(format!("Overtraining check: KS {}", title.join(", ")));
    let (p, f) = figs.path("overtraining");
    histograms(&p, &ov)?;
    figs.made.push((
        f,
        format!(
            "Overtraining check: the score of each class on the events the models trained on \
             and on held-out events, each normalised to unit area (log scale; {}); a small KS \
             p-value says the model scores its training events differently.",
            describe(&edges01)
        ),
    ));
    Ok(())
}

/// For a run with a mass: the background's mass shape before and after score cuts at
/// three background efficiencies, each normalised to unit area.
fn sculpting_figure(
    figs: &mut Figures,
    ev: &Evaluation,
    cfg: &RunConfig,
    bins: usize,
) -> Result<()> {
    let Some(sets) = ev.sculpting(&[0.5, 0.2, 0.05]) else {
        return Ok(());
    };
    let edges = auto_edges(&[&sets[0].1], bins, None)?;
    let mut hists = Vec::new();
    for (label, m, w) in &sets {
        let h = hist(m, w, &edges)?;
        if h.total() > 0.0 {
            hists.push(LabelledHist {
                label: label.clone(),
                hist: h,
            });
        }
    }
    let mass = cfg
        .decorrelation
        .as_ref()
        .map_or("mass".to_string(), |d| d.mass.clone());
    let mut ov = HistOverlay::new(hists, &mass);
    ov.normalise = true;
    ov.y_label = "Fraction of weight / bin".into();
    ov.title = Some("Background mass after score cuts".into());
    let (p, f) = figs.path("mass_sculpting");
    histograms(&p, &ov)?;
    figs.made.push((
        f,
        format!(
            "Mass sculpting: the background's `{mass}` before any cut and after score cuts \
             keeping 50%, 20% and 5% of its weight, each normalised to unit area ({}); a \
             decorrelated score leaves the shape unchanged.",
            describe(&edges)
        ),
    ));
    Ok(())
}

/// The CvM flatness of the score in the mass of the background, when the run
/// decorrelates.
fn flatness_row(figs: &mut Figures, ev: &Evaluation) {
    if ev.prepared.bkg.mass.is_empty() {
        return;
    }
    let mass: Vec<f64> = ev
        .background
        .index
        .iter()
        .map(|&i| ev.prepared.bkg.mass[i])
        .collect();
    if let Ok(cvm) = cvm_flatness(&ev.background.scores, &mass, &CvmOptions::default()) {
        figs.row(
            "CvM flatness in the mass (background)",
            format!("{cvm:.5}"),
            "passes below 0.002",
        );
    }
}

/// The score in the control region, data over simulation, with its KS and chi2/ndf.
fn control_region_figure(
    figs: &mut Figures,
    e: &Evaluation,
    name: &str,
    label: &str,
    bins: usize,
) -> Result<()> {
    let Some((a, pd, pm)) = e.control_region(bins)? else {
        return Ok(());
    };
    figs.row(
        format!("data/MC KS of the score, {label}"),
        fmt(a.ks),
        "control region",
    );
    figs.row(
        format!("data/MC chi2/ndf of the score, {label}"),
        a.chi2_text(),
        "control region",
    );
    let mut plot = DataMcPlot::new(pd, pm, "Classifier score");
    plot.title = Some(format!("Control region, {label}"));
    plot.metrics = a.lines();
    plot.log_y = tails_matter(&plot.data);
    let (p, f) = figs.path(name);
    data_mc(&p, &plot)?;
    figs.made.push((
        f,
        format!(
            "The score in the control region, data over simulation ({label}; {}; \
             simulation normalised to data).",
            a.binning
        ),
    ));
    Ok(())
}

/// Every input feature in the control region, data over simulation.
fn input_figures(figs: &mut Figures, cfg: &RunConfig, ev: &Evaluation, bins: usize) -> Result<()> {
    let (Some(d), Some(m)) = (&ev.prepared.data, &ev.prepared.mc) else {
        return Ok(());
    };
    for (j, name) in cfg.features.iter().enumerate() {
        let col = |s: &crate::data::Sample| -> Vec<f64> {
            (0..s.len()).map(|i| s.row(i)[j] as f64).collect()
        };
        let (dv, mv) = (col(d), col(m));
        let edges = auto_edges(&[&dv, &mv], bins, None)?;
        let (a, pd, pm) = compare(name, (&dv, &d.w), (&mv, &m.w), &edges)?;
        figs.row(
            format!("input `{name}`: KS, chi2/ndf"),
            format!("{:.4}, {}", a.ks, a.chi2_text()),
            "control region, all events",
        );
        let axis = cfg.labels.get(j).map_or_else(|| name.clone(), |l| l.axis());
        let mut plot = DataMcPlot::new(pd, pm, &axis);
        plot.metrics = a.lines();
        plot.log_y = tails_matter(&plot.data);
        let (p, f) = figs.path(&format!("input_{j}"));
        data_mc(&p, &plot)?;
        figs.made.push((
            f,
            format!(
                "Input `{name}` ({}) in the control region, data over simulation ({}).",
                axis, a.binning
            ),
        ));
    }
    Ok(())
}

/// index.html: the intro, the metrics table and the figures.
fn write_page(index: &Path, model_dir: &Path, cfg: &RunConfig, figs: &Figures) -> Result<()> {
    let model = escape(&model_dir.display().to_string());
    let intro = format!(
        "Model <code>{model}</code>, run description <code>{}</code>, features: {}.",
        escape(&cfg.path.display().to_string()),
        cfg.features
            .iter()
            .map(|f| format!("<code>{}</code>", escape(f)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows: Vec<Vec<String>> = figs
        .rows
        .iter()
        .map(|(a, b, c)| vec![a.clone(), b.clone(), c.clone()])
        .collect();
    Page {
        title: &format!("rootgrad report: {}", model_dir.display()),
        heading: "rootgrad report",
        intro_html: &intro,
        header: &["metric", "value", "on"],
        rows: &rows,
        figures: &figs.made,
    }
    .write(index)
}
