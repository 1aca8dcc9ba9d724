//! `rootgrad reweight CONFIG.toml`: train a data-vs-simulation classifier on the
//! control region (k folds), and write, for each simulation file of `[domain.mc]`, a
//! friend tree with the factor `rw = exp(z)` and the new weight `weight_rw`, entry for
//! entry; then judge the result: data/simulation KS and chi2/ndf of every input and
//! every `--check` expression before and after, with figures, in an HTML report.
//!
//! Order of work: the run description and the flags are checked, the output names are
//! planned and refused if they exist (unless `--force`), the control region is read and
//! the k models trained; then every entry of the simulation chain is scored (the
//! control region only, or every entry with `--apply-to all`), the normalisation is
//! computed, and only then are the outputs written, each under a temporary name renamed
//! when complete. The maths is in [`crate::reweight`].

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::RunConfig;
use crate::data::{load, locate, open_chain, Sample, Wanted};
use crate::expr::{read_for, Expr};
use crate::metrics::agreement::{compare, Agreement};
use crate::metrics::binning::auto_edges;
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::report::{escape, DataMcPlot};
use crate::reweight::classifier::{folds_of, train, FoldInfo};
use crate::reweight::{branch_name, factor, normalisation, ApplyTo};
use crate::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};
use crate::root::Chain;
use crate::{Error, Result};

/// The flags of `rootgrad reweight` ([`crate::cli::ReweightArgs`]).
pub use crate::cli::ReweightArgs as ReweightOptions;

/// The friend tree's name and the file tag: `<stem>.reweight.root:reweight`.
pub const TREE: &str = "reweight";

/// Metrics of one variable before and after.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub var: String,
    pub before: Agreement,
    pub after: Agreement,
    /// KS after, with each event weighted by a model that trained on it (in-sample);
    /// compared with `after.ks` (out-of-fold) it shows how well the factor generalises.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_in_sample_ks: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Summary<'a> {
    config: String,
    folds: &'a [FoldInfo],
    training_scales: (f64, f64),
    max_weight: Option<f64>,
    normalize: &'static str,
    normalisation: f64,
    apply_to: &'static str,
    control_region_mc_events: usize,
    clipped_events: usize,
    outputs: Vec<String>,
    checks: &'a [CheckResult],
}

/// The friend output of each tree of a chain: `DIR/<file stem>.<tag>.root`, with the
/// chain's entry range; two trees that would write one file are refused.
pub fn plan_outputs(chain: &Chain, dir: &Path, tag: &str) -> Result<Vec<(PathBuf, Range<u64>)>> {
    let mut out: Vec<(PathBuf, Range<u64>)> = Vec::new();
    for (i, t) in chain.trees.iter().enumerate() {
        let stem = t
            .file
            .path()
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or("input".into());
        let path = dir.join(format!("{stem}.{tag}.root"));
        if out.iter().any(|(p, _)| *p == path) {
            return Err(Error::Usage(format!(
                "{}: two simulation files (or trees) would write this output; give the files \
                 different names",
                path.display()
            )));
        }
        out.push((path, chain.starts[i]..chain.starts[i] + t.entries));
    }
    Ok(out)
}

/// The output folder when `--out` is not given: `rootgrad-<cmd>-<config stem>`.
pub fn default_out(config: &Path, cmd: &str) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or("run".into());
    PathBuf::from(format!("rootgrad-{cmd}-{stem}"))
}

pub(crate) fn parse_all(flag: &str, src: &[String]) -> Result<Vec<Expr>> {
    src.iter()
        .map(|s| Expr::parse(s).map_err(|e| Error::Usage(format!("{flag} `{s}`: {e}"))))
        .collect()
}

/// Refuses existing outputs (unless `force`).
pub(crate) fn refuse_existing(files: &[PathBuf], force: bool) -> Result<()> {
    if !force {
        if let Some(p) = files.iter().find(|p| p.exists()) {
            return Err(Error::OutputExists { path: p.clone() });
        }
    }
    Ok(())
}

/// Creates the output folder (just before the first output is written).
pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

fn io_out(source: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source,
    }
}

/// Column j of a sample read in f32.
fn col32(s: &Sample, j: usize) -> Vec<f64> {
    (0..s.len()).map(|i| s.row(i)[j] as f64).collect()
}

/// The first `width` columns of a sample (the features, without the checks).
fn narrow(s: &Sample, width: usize) -> Sample {
    let mut x = Vec::with_capacity(s.len() * width);
    for i in 0..s.len() {
        x.extend_from_slice(&s.row(i)[..width]);
    }
    Sample {
        width,
        x,
        ..s.clone()
    }
}

pub fn run(o: &ReweightOptions, out: &mut dyn Write) -> Result<()> {
    let cfg = RunConfig::load(&o.config, &o.sets)?;
    let Some(domain) = cfg.domain.clone() else {
        return Err(Error::Usage(format!(
            "{}: reweighting needs a [domain] section with `data` and `mc` samples (the \
             control region)",
            cfg.path.display()
        )));
    };
    let (k, fold_src, _) = folds_of(&cfg)?;
    if let Some(init) = &cfg.training.init {
        return Err(Error::Usage(format!(
            "{}: training.init ({}) is not supported by reweight (its models start fresh);              remove the key",
            cfg.path.display(),
            init.display()
        )));
    }
    if let Some(m) = o.max_weight {
        if !(m.is_finite() && m > 0.0) {
            return Err(Error::Usage(format!(
                "--max-weight {m}: give a positive number, e.g. --max-weight 10"
            )));
        }
    }
    let features = parse_all("inputs.features", &cfg.features)?;
    let checks = parse_all("--check", &o.checks)?;
    let fold_expr = parse_all("training.fold", &[fold_src])?.remove(0);
    let weight = parse_all("domain.mc.weight", std::slice::from_ref(&domain.mc.weight))?.remove(0);
    let cut = match &domain.mc.cut {
        Some(c) => Some(parse_all("domain.mc.cut", std::slice::from_ref(c))?.remove(0)),
        None => None,
    };

    // outputs, refused before any work
    let dir = o
        .out
        .clone()
        .unwrap_or_else(|| default_out(&o.config, TREE));
    let chain =
        open_chain(&domain.mc.files, &domain.mc.friends).map_err(|e| in_place("domain.mc", e))?;
    let friends = plan_outputs(&chain, &dir, TREE)?;
    let report_dir = dir.join("report");
    let summary_path = dir.join("reweight.json");
    let index = report_dir.join("index.html");
    let mut all: Vec<PathBuf> = friends.iter().map(|(p, _)| p.clone()).collect();
    all.push(summary_path.clone());
    all.push(index.clone());
    let mut exprs: Vec<&Expr> = features.iter().collect();
    exprs.push(&fold_expr);
    exprs.push(&weight);
    if let Some(c) = &cut {
        exprs.push(c);
    }
    let names = chain.branch_names();
    for e in &exprs {
        e.check(&names).map_err(|err| {
            Error::Usage(format!(
                "domain.mc (files {}): {err}",
                domain.mc.files.join(", ")
            ))
        })?;
    }
    refuse_existing(&all, o.force)?;

    // the control region, with the checks as extra columns
    let mut wanted: Vec<Expr> = features.clone();
    wanted.extend(checks.iter().cloned());
    let want = Wanted {
        features: &wanted,
        fold: Some((&fold_expr, k)),
        mass: None,
        f64: false,
    };
    let progress = Progress::new(o.quiet);
    for (present, section) in [
        (
            cfg.as_used.contains_key("classification"),
            "[classification]",
        ),
        (cfg.as_used.contains_key("adaptation"), "[adaptation]"),
        (cfg.decorrelation.is_some(), "[decorrelation]"),
    ] {
        if present {
            writeln!(out, "note: {section} is not used by reweight").map_err(io_out)?;
        }
    }
    let data_all = load(&domain.data, &want, &progress)?;
    let mc_all = load(&domain.mc, &want, &progress)?;
    for s in [&data_all, &mc_all] {
        let r = &s.report;
        writeln!(
            out,
            "{}: {} events, sum of weights {:.6}, {} negative",
            r.sample, r.events, r.sum_weights, r.negative_events
        )
        .map_err(io_out)?;
    }
    let nf = features.len();
    let (data, mc) = (narrow(&data_all, nf), narrow(&mc_all, nf));
    super::train::catch_interrupt();
    let rw_models = train(&cfg, &data, &mc, &progress, super::train::stop_flag())?;
    for f in &rw_models.folds {
        writeln!(
            out,
            "fold {}: {} training and {} validation events, best epoch {}, validation loss \
             {}, AUC {}",
            f.fold,
            f.train_events,
            f.validation_events,
            f.best_epoch + 1,
            f.val_loss.map_or("-".into(), |v| format!("{v:.4}")),
            f.val_auc.map_or("-".into(), |v| format!("{v:.4}"))
        )
        .map_err(io_out)?;
    }

    // every entry of the simulation chain
    let total = chain.entries();
    let mut rw = vec![f64::NAN; total as usize];
    let mut w_all = vec![f64::NAN; total as usize];
    let mut region = vec![false; total as usize];
    let mut nonfinite = 0u64;
    let bar = progress.bar(total, "entries", "weighting");
    let mut start = 0u64;
    while start < total {
        let stop = (start + crate::apply::APPLY_CHUNK).min(total);
        let cols = read_for(&exprs, &chain, start..stop).map_err(|e| in_place("domain.mc", e))?;
        let n = cols.entries;
        let sel: Vec<bool> = match &cut {
            Some(c) => cols
                .eval(c)?
                .iter()
                .map(|&v| v != 0.0 && !v.is_nan())
                .collect(),
            None => vec![true; n],
        };
        let feats: Vec<Vec<f64>> = features
            .iter()
            .map(|f| cols.eval(f))
            .collect::<Result<_>>()?;
        let fv = cols.eval(&fold_expr)?;
        let wv = cols.eval(&weight)?;
        let mut raw = vec![0.0f32; n * nf];
        let mut skip = vec![false; n];
        let mut owner = vec![0usize; n];
        for i in 0..n {
            let e = start as usize + i;
            region[e] = sel[i];
            w_all[e] = wv[i];
            if !(sel[i] || o.apply_to == ApplyTo::All) {
                skip[i] = true;
                continue;
            }
            for j in 0..nf {
                let v = feats[j][i] as f32;
                raw[i * nf + j] = v;
                if !v.is_finite() {
                    skip[i] = true;
                }
            }
            if skip[i] {
                nonfinite += 1;
                continue;
            }
            let v = fv[i];
            if !(v.is_finite() && v >= 0.0 && v < k as f64 && v.fract() == 0.0) {
                return Err(Error::Usage(format!(
                    "domain.mc: the fold expression `{}` gives {v} at {}; it must give an \
                     integer from 0 to {}",
                    fold_expr.source(),
                    locate(&chain, start + i as u64),
                    k - 1
                )));
            }
            owner[i] = v as usize;
        }
        let z = rw_models.logits(&raw, &owner, &skip)?;
        for i in 0..n {
            if !skip[i] {
                rw[start as usize + i] = factor(z[i], o.max_weight);
            }
        }
        bar.inc(stop - start);
        start = stop;
    }
    bar.finish_and_clear();
    let (w_cr, rw_cr): (Vec<f64>, Vec<f64>) = (0..total as usize)
        .filter(|&e| region[e])
        .map(|e| (w_all[e], rw[e]))
        .unzip();
    let c = normalisation(&w_cr, &rw_cr, o.normalize, data.report.sum_weights)?;
    let weight_rw: Vec<f64> = (0..total as usize).map(|e| w_all[e] * rw[e] * c).collect();

    // before and after, on the control region as read (out-of-fold factors)
    let z_oof = rw_models.out_of_fold(&mc)?;
    let z_in = rw_models.in_sample(&mc)?;
    let clipped = z_oof
        .iter()
        .filter(|&&z| o.max_weight.is_some_and(|m| (z as f64).exp() > m))
        .count();
    let w_after: Vec<f64> = (0..mc.len())
        .map(|i| mc.w[i] * factor(z_oof[i], o.max_weight) * c)
        .collect();
    let w_in: Vec<f64> = (0..mc.len())
        .map(|i| mc.w[i] * factor(z_in[i], o.max_weight) * c)
        .collect();
    let mut results = Vec::new();
    let mut plots = Vec::new();
    for (j, name) in cfg.features.iter().chain(&o.checks).enumerate() {
        let (dv, mv) = (col32(&data_all, j), col32(&mc_all, j));
        let edges = auto_edges(&[&dv, &mv], o.bins, None)?;
        let (before, pd, pm) = compare(name, (&dv, &data.w), (&mv, &mc.w), &edges)?;
        let (after, _, pa) = compare(name, (&dv, &data.w), (&mv, &w_after), &edges)?;
        let in_ks = if k > 1 {
            crate::metrics::ks_distance(&dv, &data.w, &mv, &w_in).ok()
        } else {
            None
        };
        let mut plot = DataMcPlot::new(pd, pm, name);
        plot.corrected = Some(pa);
        plot.simulation_label = "Simulation".into();
        plot.corrected_label = "Simulation, reweighted".into();
        plot.metrics = vec![
            format!("KS {:.4} -> {:.4}", before.ks, after.ks),
            format!(
                "chi2/ndf {} -> {}",
                before
                    .chi2_per_ndf()
                    .map_or("n/a".into(), |v| format!("{v:.2}")),
                after
                    .chi2_per_ndf()
                    .map_or("n/a".into(), |v| format!("{v:.2}"))
            ),
        ];
        plot.title = Some("Control region".into());
        plots.push((format!("var_{j}_{}", branch_name(name)), plot));
        results.push(CheckResult {
            var: name.clone(),
            before,
            after,
            after_in_sample_ks: in_ks,
        });
    }

    // write: friends, summary, report
    create_dir(&dir)?;
    let mut written = Vec::new();
    for (path, range) in &friends {
        let r = range.start as usize..range.end as usize;
        let columns = vec![
            FriendColumn {
                name: "rw".into(),
                data: FriendData::F64(rw[r.clone()].to_vec()),
            },
            FriendColumn {
                name: "weight_rw".into(),
                data: FriendData::F64(weight_rw[r].to_vec()),
            },
        ];
        write_friend(&FriendSpec {
            path,
            tree: TREE,
            columns: &columns,
            expected_entries: Some(range.end - range.start),
            overwrite: o.force,
        })?;
        writeln!(
            out,
            "{} entries -> {}:{TREE} (rw, weight_rw)",
            range.end - range.start,
            path.display()
        )
        .map_err(io_out)?;
        written.push(path.display().to_string());
    }
    if nonfinite > 0 {
        eprintln!(
            "rootgrad: warning: domain.mc: {nonfinite} entries have a NaN or infinite input \
             feature; their rw and weight_rw are NaN"
        );
    }
    let summary = Summary {
        config: cfg.path.display().to_string(),
        folds: &rw_models.folds,
        training_scales: rw_models.scales,
        max_weight: o.max_weight,
        normalize: o.normalize.name(),
        normalisation: c,
        apply_to: o.apply_to.name(),
        control_region_mc_events: w_cr.len(),
        clipped_events: clipped,
        outputs: written,
        checks: &results,
    };
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::Usage(format!("reweight.json: {e}")))?;
    write_atomically(&summary_path, true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: summary_path.clone(),
            source,
        })
    })?;
    let mut rows = Vec::new();
    for r in &results {
        rows.push(vec![
            r.var.clone(),
            format!("{:.4}", r.before.ks),
            format!("{:.4}", r.after.ks),
            r.after_in_sample_ks
                .map_or("-".into(), |v| format!("{v:.4}")),
            r.before.chi2_text(),
            r.after.chi2_text(),
        ]);
        writeln!(
            out,
            "{}: KS {:.4} -> {:.4}, chi2/ndf {} -> {}",
            r.var,
            r.before.ks,
            r.after.ks,
            r.before.chi2_text(),
            r.after.chi2_text()
        )
        .map_err(io_out)?;
    }
    let intro = format!(
        "Run description <code>{}</code>. Classifier reweighting with {k} folds: every \
         simulation event is weighted by the model of its own fold, which never saw it, so \
         the \"after\" columns are held-out numbers; \"in-sample\" weights each event with a \
         model that trained on it, and a much lower KS there than out-of-fold means the \
         factor does not generalise. Normalisation c = {c:.6} ({}), {} of {} control-region \
         simulation events capped at max_weight.",
        escape(&cfg.path.display().to_string()),
        summary.normalize,
        clipped,
        mc.len()
    );
    crate::report::write_before_after(
        &report_dir,
        "rootgrad reweight",
        &intro,
        &[
            "variable",
            "KS before",
            "KS after",
            "KS after, in-sample",
            "chi2/ndf before",
            "chi2/ndf after",
        ],
        &rows,
        &plots,
        o.svg,
    )?;
    writeln!(
        out,
        "wrote {} and {}",
        summary_path.display(),
        index.display()
    )
    .map_err(io_out)?;
    Ok(())
}

fn in_place(key: &str, e: Error) -> Error {
    match e {
        Error::Usage(m) => Error::Usage(format!("{key}: {m}")),
        other => other,
    }
}
