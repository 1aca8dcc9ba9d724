//! `rootgrad reweight CONFIG.toml`: train a data-vs-simulation classifier on the
//! control region (k folds), and write, for each simulation file of `[domain.mc]`, a
//! friend tree with the factor `rw = exp(z)` and the new weight `weight_rw`, entry for
//! entry; then judge the result: data/simulation KS and chi2/ndf of every input and
//! every `--check` expression before and after, with figures, in an HTML report.
//!
//! Order of work: the run description and the flags are checked, the output names are
//! planned and refused if they exist (unless `--force`), the control region is read and
//! the k models trained; then every entry of the simulation chain is scored (the
//! control region only, or every entry with `--apply-to all`) for the normalisation,
//! and only then are the outputs written, each under a temporary name renamed when
//! complete: each friend streamed as its file's entries are scored again, so memory does
//! not grow with the chain ([`crate::reweight::weigh`]). The maths is in
//! [`crate::reweight`]. Last, `DIR/model.json`: the k classifiers with the factor's
//! definition (weight, cut, cap, normalisation target and constant), which `apply`
//! uses to write the same `rw` and `weight_rw` on other files and `export` exports.

use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::{Domain, RunConfig};
use crate::data::{load, open_chain, Sample, Wanted};
use crate::expr::{parse_all, Expr};
use crate::interrupt::{catch as catch_interrupt, stop_flag};
use crate::metrics::agreement::{compare, Agreement};
use crate::metrics::binning::auto_edges;
use crate::model::{ReweightFactor, FACTOR_DEFINITION};
use crate::output::{refuse_existing, write_atomically, NewDir};
use crate::progress::Progress;
use crate::report::{escape, DataMcPlot};
use crate::reweight::classifier::{folds_of, train, FoldInfo, Reweighter};
use crate::reweight::outputs::{default_out, plan_outputs};
use crate::reweight::weigh::{weigh_region, write_weighted, WeighSpec};
use crate::reweight::{branch_name, factor};
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
    /// The held-out agreement got worse ([`got_worse`]): flagged in the table, the
    /// report and a warning.
    pub worse: bool,
}

/// Whether reweighting made the agreement in a variable worse: chi2/ndf after above
/// chi2/ndf before (same binning), or, where the chi2 is not defined, a larger KS.
pub fn got_worse(before: &Agreement, after: &Agreement) -> bool {
    match (before.chi2_per_ndf(), after.chi2_per_ndf()) {
        (Some(b), Some(a)) => a > b,
        _ => after.ks > before.ks,
    }
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

/// Everything checked before any work: the run description, the expressions, the
/// simulation chain and the outputs.
struct Plan {
    cfg: RunConfig,
    domain: Domain,
    k: usize,
    features: Vec<Expr>,
    checks: Vec<Expr>,
    fold: Expr,
    weight: Expr,
    cut: Option<Expr>,
    chain: Chain,
    dir: PathBuf,
    friends: Vec<(PathBuf, Range<u64>)>,
    summary_path: PathBuf,
    model_path: PathBuf,
    report_dir: PathBuf,
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
    let plan = Plan::new(o)?;
    let progress = Progress::new(o.quiet);
    for n in &plan.cfg.notes {
        progress.say(n);
    }
    let (data_all, mc_all) = read_region(&plan, &progress, out)?;
    let nf = plan.features.len();
    let (data, mc) = (narrow(&data_all, nf), narrow(&mc_all, nf));
    catch_interrupt(
        "stopping without writing anything (a reweighting needs the classifier of every fold); \
         run the same command again",
    );
    let models = train(&plan.cfg, &data, &mc, &progress, stop_flag())?;
    for f in &models.folds {
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

    // every entry of the simulation chain, for the normalisation
    let spec = WeighSpec {
        scorer: &models.scorer,
        weight: &plan.weight,
        cut: plan.cut.as_ref(),
        apply_to: o.apply_to,
        max_weight: o.max_weight,
    };
    let region =
        weigh_region(&plan.chain, &spec, &progress).map_err(|e| in_place("domain.mc", e))?;
    let c = region.sums.constant(o.normalize, data.report.sum_weights)?;

    // before and after, on the control region as read (out-of-fold factors)
    let judged = judge(o, &plan, &models, (&data_all, &data), (&mc_all, &mc), c)?;

    // write: friends, summary, report
    let mut written = write_friends(o, &plan, &spec, c, out)?;
    // the model file is written after the summary; the summary lists it with the friends
    written.push(plan.model_path.display().to_string());
    if region.nonfinite > 0 {
        progress.warn(&format!(
            "domain.mc: {} entries have a NaN or infinite input feature; their rw and \
             weight_rw are NaN",
            region.nonfinite
        ));
    }
    let summary = Summary {
        config: plan.cfg.path.display().to_string(),
        folds: &models.folds,
        training_scales: models.scales,
        max_weight: o.max_weight,
        normalize: o.normalize.name(),
        normalisation: c,
        apply_to: o.apply_to.name(),
        control_region_mc_events: region.region_events,
        clipped_events: judged.clipped,
        outputs: written,
        checks: &judged.results,
    };
    write_summary(&plan, &summary)?;
    write_model(o, &plan, &models, c)?;
    write_report(o, &plan, &summary, &judged, mc.len(), out)
}

impl Plan {
    /// Checks the run description and the flags, plans the outputs and refuses existing
    /// ones (unless `--force`), before anything is read.
    fn new(o: &ReweightOptions) -> Result<Plan> {
        let sets = crate::reweight::classifier_sets(&o.sets, o.classifier_from_config);
        let cfg = RunConfig::load_with(&o.config, &sets, &o.unsets)?;
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
                "{}: training.init ({}) is not supported by reweight (its models start \
                 fresh); remove the key",
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
        let one = |key: &str, src: &String| -> Result<Expr> {
            Ok(parse_all(key, std::slice::from_ref(src))?.remove(0))
        };
        let features = parse_all("inputs.features", &cfg.features)?;
        let checks = parse_all("--check", &o.checks)?;
        let fold = one("training.fold", &fold_src)?;
        let weight = one("domain.mc.weight", &domain.mc.weight)?;
        let cut = domain
            .mc
            .cut
            .as_ref()
            .map(|c| one("domain.mc.cut", c))
            .transpose()?;

        let dir = o
            .out
            .clone()
            .unwrap_or_else(|| default_out(&o.config, TREE));
        let chain = open_chain(&domain.mc.files, &domain.mc.friends)
            .map_err(|e| in_place("domain.mc", e))?;
        let friends = plan_outputs(&chain, &dir, TREE)?;
        let report_dir = dir.join("report");
        let summary_path = dir.join("reweight.json");
        let model_path = dir.join("model.json");
        let mut all: Vec<PathBuf> = friends.iter().map(|(p, _)| p.clone()).collect();
        all.push(summary_path.clone());
        all.push(model_path.clone());
        all.push(report_dir.join("index.html"));
        let mut exprs: Vec<&Expr> = features.iter().collect();
        exprs.extend([&fold, &weight]);
        exprs.extend(cut.as_ref());
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
        Ok(Plan {
            cfg,
            domain,
            k,
            features,
            checks,
            fold,
            weight,
            cut,
            chain,
            dir,
            friends,
            summary_path,
            model_path,
            report_dir,
        })
    }
}

/// Reads the control region's data and simulation, with the `--check` expressions as
/// extra columns after the features, and says what was read.
fn read_region(plan: &Plan, progress: &Progress, out: &mut dyn Write) -> Result<(Sample, Sample)> {
    let mut wanted: Vec<Expr> = plan.features.clone();
    wanted.extend(plan.checks.iter().cloned());
    let want = Wanted {
        features: &wanted,
        fold: Some((&plan.fold, plan.k)),
        mass: None,
        f64: false,
    };
    let cfg = &plan.cfg;
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
    let data = load(&plan.domain.data, &want, progress)?;
    let mc = load(&plan.domain.mc, &want, progress)?;
    for s in [&data, &mc] {
        let r = &s.report;
        writeln!(
            out,
            "{}: {} events, sum of weights {:.6}, {} negative",
            r.sample, r.events, r.sum_weights, r.negative_events
        )
        .map_err(io_out)?;
    }
    Ok((data, mc))
}

/// The before/after comparison of every input and `--check` variable.
struct Judged {
    results: Vec<CheckResult>,
    plots: Vec<(String, DataMcPlot)>,
    /// Control-region simulation events whose factor was capped.
    clipped: usize,
}

/// Data against simulation on the control region as read, before and after the
/// out-of-fold factors (and, for contrast, the in-sample ones), for every input and
/// `--check` variable. `data`/`mc` are (with the checks, features only).
fn judge(
    o: &ReweightOptions,
    plan: &Plan,
    models: &Reweighter,
    (data_all, data): (&Sample, &Sample),
    (mc_all, mc): (&Sample, &Sample),
    c: f64,
) -> Result<Judged> {
    let z_oof = models.out_of_fold(mc)?;
    let z_in = models.in_sample(mc)?;
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
    for (j, name) in plan.cfg.features.iter().chain(&o.checks).enumerate() {
        let (dv, mv) = (col32(data_all, j), col32(mc_all, j));
        let edges = auto_edges(&[&dv, &mv], o.bins, None)?;
        let (before, pd, pm) = compare(name, (&dv, &data.w), (&mv, &mc.w), &edges)?;
        let (after, _, pa) = compare(name, (&dv, &data.w), (&mv, &w_after), &edges)?;
        let in_ks = if plan.k > 1 {
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
            format!("chi2/ndf {} -> {}", chi2_text2(&before), chi2_text2(&after)),
        ];
        plot.title = Some("Control region".into());
        plots.push((format!("var_{j}_{}", branch_name(name)), plot));
        let worse = got_worse(&before, &after);
        results.push(CheckResult {
            var: name.clone(),
            before,
            after,
            after_in_sample_ks: in_ks,
            worse,
        });
    }
    Ok(Judged {
        results,
        plots,
        clipped,
    })
}

/// chi2/ndf with two decimals, or n/a.
fn chi2_text2(a: &Agreement) -> String {
    a.chi2_per_ndf().map_or("n/a".into(), |v| format!("{v:.2}"))
}

/// Writes one friend per simulation file, streamed (the chain weighed again, file by
/// file): rw and weight_rw = w * rw * c; returns the paths written.
fn write_friends(
    o: &ReweightOptions,
    plan: &Plan,
    spec: &WeighSpec,
    c: f64,
    out: &mut dyn Write,
) -> Result<Vec<String>> {
    // removed again if no friend is written into it
    let _dir = NewDir::create(&plan.dir)?;
    let mut written = Vec::new();
    for (path, range) in &plan.friends {
        let how = (o.force, o.friend_format.friend_format);
        write_weighted(&plan.chain, spec, (path, range.clone()), TREE, c, how)
            .map_err(|e| in_place("domain.mc", e))?;
        writeln!(
            out,
            "{} entries -> {}:{TREE} (rw, weight_rw)",
            range.end - range.start,
            path.display()
        )
        .map_err(io_out)?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// The reweighter as a model file (DIR/model.json): its networks and the factor's
/// definition, for `apply` and `export`.
fn write_model(o: &ReweightOptions, plan: &Plan, models: &Reweighter, c: f64) -> Result<()> {
    let factor = ReweightFactor {
        definition: FACTOR_DEFINITION.into(),
        max_weight: o.max_weight,
        normalize: o.normalize.name().into(),
        normalisation: c,
        weight: plan.domain.mc.weight.clone(),
        cut: plan.domain.mc.cut.clone(),
        apply_to: o.apply_to.name().into(),
    };
    let json = models.model_file(&plan.cfg, factor)?.to_json()?;
    let path = &plan.model_path;
    write_atomically(path, true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })
    })
}

fn write_summary(plan: &Plan, summary: &Summary) -> Result<()> {
    let path = &plan.summary_path;
    let json = serde_json::to_string_pretty(summary)
        .map_err(|e| Error::Usage(format!("reweight.json: {e}")))?;
    write_atomically(path, true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })
    })
}

/// The table on standard output and the HTML report.
fn write_report(
    o: &ReweightOptions,
    plan: &Plan,
    summary: &Summary,
    judged: &Judged,
    mc_events: usize,
    out: &mut dyn Write,
) -> Result<()> {
    let mut rows = Vec::new();
    for r in &judged.results {
        rows.push(vec![
            r.var.clone(),
            format!("{:.4}", r.before.ks),
            format!("{:.4}", r.after.ks),
            r.after_in_sample_ks
                .map_or("-".into(), |v| format!("{v:.4}")),
            r.before.chi2_text(),
            r.after.chi2_text(),
            if r.worse { "WORSE" } else { "" }.into(),
        ]);
        let c = |a: &Agreement| match (a.chi2, a.ndf, a.p_value) {
            (Some(c), Some(n), Some(p)) => format!("{c:.1}/{n} (p = {p:.3})"),
            _ => "n/a".into(),
        };
        writeln!(
            out,
            "{}: KS {:.4} -> {:.4}, chi2/ndf {} -> {} ({}){}",
            r.var,
            r.before.ks,
            r.after.ks,
            c(&r.before),
            c(&r.after),
            r.after.binning,
            if r.worse {
                "  WORSE after reweighting"
            } else {
                ""
            }
        )
        .map_err(io_out)?;
    }
    let worse: Vec<&str> = judged
        .results
        .iter()
        .filter(|r| r.worse)
        .map(|r| r.var.as_str())
        .collect();
    if !worse.is_empty() {
        Progress::new(o.quiet).warn(&format!(
            "reweighting made the held-out agreement worse in {}: check these inputs' \
             figures; a more flexible or longer-trained classifier (--set network.hidden, \
             training.epochs) or morphing that variable may do better",
            worse.join(", ")
        ));
    }
    let intro = format!(
        "Run description <code>{}</code>. Classifier reweighting with {} folds: every \
         simulation event is weighted by the model of its own fold, which never saw it, so \
         the \"after\" columns are held-out numbers (inputs whose chi2/ndf got worse are \
         marked WORSE); \"in-sample\" weights each event with a \
         model that trained on it, and a much lower KS there than out-of-fold means the \
         factor does not generalise. Normalisation c = {:.6} ({}), {} of {} control-region \
         simulation events capped at max_weight.",
        escape(&plan.cfg.path.display().to_string()),
        plan.k,
        summary.normalisation,
        summary.normalize,
        summary.clipped_events,
        mc_events
    );
    crate::report::write_before_after(
        &plan.report_dir,
        "rootgrad reweight",
        &intro,
        &[
            "variable",
            "KS before",
            "KS after",
            "KS after, in-sample",
            "chi2/ndf before",
            "chi2/ndf after",
            "worse after?",
        ],
        &rows,
        &judged.plots,
        o.svg,
    )?;
    writeln!(
        out,
        "wrote {} and {}",
        plan.summary_path.display(),
        plan.report_dir.join("index.html").display()
    )
    .map_err(io_out)
}

fn in_place(key: &str, e: Error) -> Error {
    match e {
        Error::Usage(m) => Error::Usage(format!("{key}: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::got_worse;
    use crate::metrics::agreement::compare;

    /// Issue 17 item 7: an input whose held-out agreement gets worse is flagged.
    #[test]
    fn worse_agreement_is_flagged() {
        let d: Vec<f64> = (0..2000)
            .map(|i| ((i * 7919) % 2000) as f64 / 2000.0)
            .collect();
        let w = vec![1.0; d.len()];
        let edges: Vec<f64> = (0..=20).map(|i| i as f64 / 20.0).collect();
        let shifted: Vec<f64> = d.iter().map(|x| (x * 0.9).min(1.0)).collect();
        let (good, _, _) = compare("x", (&d, &w), (&d, &w), &edges).unwrap();
        let (bad, _, _) = compare("x", (&d, &w), (&shifted, &w), &edges).unwrap();
        assert!(got_worse(&good, &bad));
        assert!(!got_worse(&bad, &good));
    }
}
