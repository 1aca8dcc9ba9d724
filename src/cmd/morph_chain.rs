//! `rootgrad morph CONFIG --chain --var A --var B ... --given pt --given 'abs(eta)'`:
//! chained conditional quantile morphing ([`crate::reweight::chain`]). Trains the chain
//! on the control region with the run description's folds, writes `chain.json`, then
//! corrects every entry of the `[domain.mc]` files through that file's networks (the
//! same code path as `apply -m chain.json`) into friends `<stem>.morph.root:morph` with
//! `<name>_morphed` branches, morph.json and the HTML report.
//!
//! The before/after metrics are out of fold: every simulated control-region event is
//! corrected by the networks of its own fold, which never saw it, and compared with all
//! the data events (each fold's data events are those that fold's data networks never
//! saw), summed over the folds.

use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

use super::morph::{io_out, judge, print_results, MorphOptions, VarResult, TREE};
use crate::config::{Domain, RunConfig};
use crate::data::columns::column;
use crate::data::{load, open_chain, Sample, Wanted};
use crate::expr::{parse_all, Expr};
use crate::loss::QuantileLevels;
use crate::output::{refuse_existing, write_atomically, NewDir};
use crate::progress::Progress;
use crate::report::{
    correlation_report, CorrelationInputs, CorrelationReport, DataMcPlot, SampleColumns,
};
use crate::reweight::branch_name;
use crate::reweight::chain::apply::{file_start, write_corrected, Corrector};
use crate::reweight::chain::fit::Hyper;
use crate::reweight::chain::model::ChainModel;
use crate::reweight::chain::prepare::{branch_names, folds, FoldRule};
use crate::reweight::chain::train::{train, Columns, Setup, VarLog};
use crate::reweight::morph::{worse, HeldOut};
use crate::reweight::outputs::{default_out, plan_outputs};
use crate::root::write::FriendFormat;
use crate::root::Chain;
use crate::{Error, Result};

/// Everything checked before any work.
struct Plan {
    cfg: RunConfig,
    domain: Domain,
    folds: FoldRule,
    given: Vec<Expr>,
    vars: Vec<Expr>,
    fold: Expr,
    names: Vec<String>,
    chain: Chain,
    dir: PathBuf,
    friends: Vec<(PathBuf, Range<u64>)>,
    model_path: PathBuf,
    summary_path: PathBuf,
    report_dir: PathBuf,
}

/// The network settings from the flags (defaults [`Hyper::default`]).
fn hyper(o: &MorphOptions) -> Result<Hyper> {
    let c = &o.chain;
    let mut h = Hyper::default();
    if !c.hidden.is_empty() {
        if c.hidden.contains(&0) {
            return Err(Error::Usage(
                "--hidden: every width must be at least 1".into(),
            ));
        }
        h.hidden = c.hidden.clone();
    }
    h.epochs = c.epochs.unwrap_or(h.epochs);
    h.batch = c.batch_size.unwrap_or(h.batch);
    if let Some(lr) = c.learning_rate {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::Usage(format!(
                "--learning-rate {lr}: must be finite and > 0"
            )));
        }
        h.lr = lr;
    }
    Ok(h)
}

pub fn run(o: &MorphOptions, out: &mut dyn Write) -> Result<()> {
    let t0 = Instant::now();
    let plan = Plan::new(o)?;
    let h = hyper(o)?;
    let levels = QuantileLevels::evenly(o.chain.levels)?;
    let progress = Progress::new(o.quiet);
    for n in &plan.cfg.notes {
        progress.say(n);
    }
    let mut features: Vec<Expr> = plan.given.clone();
    features.extend(plan.vars.iter().cloned());
    let want = Wanted {
        features: &features,
        fold: Some((&plan.fold, plan.folds.k)),
        mass: None,
        f64: true,
    };
    let data = load(&plan.domain.data, &want, &progress)?;
    let mc = load(&plan.domain.mc, &want, &progress)?;
    let t_read = t0.elapsed().as_secs_f64();
    let data_cols = columns(&data, features.len(), None);
    let mc_cols = columns(&mc, features.len(), Some(&plan.chain));
    let setup = Setup {
        given: &o.chain.given,
        vars: &o.vars,
        branches: &plan.names,
        levels: &levels,
        folds: &plan.folds,
        seed: plan.cfg.training.seed,
        hyper: &h,
    };
    let t1 = Instant::now();
    let trained = train(&setup, &data_cols, &mc_cols, &progress)?;
    let t_train = t1.elapsed().as_secs_f64();

    let g = o.chain.given.len();
    let mut results = Vec::new();
    let mut plots = Vec::new();
    for (k, v) in o.vars.iter().enumerate() {
        let judged = HeldOut {
            data: (data_cols.cols[g + k].clone(), data.w.clone()),
            mc: (mc_cols.cols[g + k].clone(), mc.w.clone()),
            morphed: trained.corrected[k].clone(),
        };
        let (mut plot, before, after) = judge(o, v, &judged)?;
        plot.title = Some("Control region, each event corrected out of fold".into());
        plot.corrected_label = "Simulation, chain-morphed".into();
        if let Some(w) = worse(v, &before, &after) {
            progress.warn(&w);
        }
        plots.push((format!("var_{k}_{}", branch_name(v)), plot));
        results.push(VarResult {
            var: v.clone(),
            branch: plan.names[k].clone(),
            worse: worse(v, &before, &after).is_some(),
            before,
            after,
        });
    }

    let corr = correlations(o, &data_cols, &mc_cols, &trained.corrected)?;

    // removed again if nothing is written into it
    let _dir = NewDir::create(&plan.dir)?;
    let json = trained.model.to_json()?;
    write_atomically(&plan.model_path, o.force, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: plan.model_path.clone(),
            source,
        })
    })?;
    // the friends are written by the corrector of the file just written, as apply does
    let model = ChainModel::read(&plan.model_path)?;
    let corrector = Corrector::from_model(&model, &plan.model_path.display().to_string())?;
    let t2 = Instant::now();
    let written = write_friends(o, &plan, &corrector, out)?;
    let t_write = t2.elapsed().as_secs_f64();
    let timings = serde_json::json!({
        "read_seconds": t_read, "train_seconds": t_train, "friends_seconds": t_write,
        "total_seconds": t0.elapsed().as_secs_f64(),
    });
    let runs = Runs {
        logs: &trained.logs,
        corr: &corr,
        timings,
    };
    write_summary(&plan, o, &h, &written, &results, &runs)?;
    write_report(o, &plan, &results, &plots, &corr, out)
}

/// A sample's columns for the chain; `chain` (the simulation's) gives each entry's
/// number inside its file.
fn columns(s: &Sample, width: usize, chain: Option<&Chain>) -> Columns {
    let local = match chain {
        Some(c) => s.entry.iter().map(|&e| e - file_start(c, e)).collect(),
        None => s.entry.clone(),
    };
    Columns {
        cols: (0..width).map(|j| column(s, j)).collect(),
        w: s.w.clone(),
        fold: s.fold.clone(),
        entry: s.entry.clone(),
        local,
    }
}

impl Plan {
    fn new(o: &MorphOptions) -> Result<Plan> {
        let cfg = RunConfig::load_with(&o.config, &o.sets, &o.unsets)?;
        let Some(domain) = cfg.domain.clone() else {
            return Err(Error::Usage(format!(
                "{}: morphing needs a [domain] section with `data` and `mc` samples (the \
                 control region)",
                cfg.path.display()
            )));
        };
        let folds = folds(&cfg.training, &cfg.path.display().to_string())?;
        let vars = parse_all("--var", &o.vars)?;
        let given = parse_all("--given", &o.chain.given)?;
        let fold = Expr::parse(&folds.expression)
            .map_err(|e| Error::Usage(format!("training.fold `{}`: {e}", folds.expression)))?;
        let names = branch_names(&o.vars)?;
        let dir = o
            .out
            .clone()
            .unwrap_or_else(|| default_out(&o.config, TREE));
        let chain = open_chain(&domain.mc.files, &domain.mc.friends).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("domain.mc: {m}")),
            e => e,
        })?;
        let friends = plan_outputs(&chain, &dir, TREE)?;
        let available = chain.branch_names();
        let flagged = o
            .vars
            .iter()
            .map(|v| ("--var", v))
            .chain(o.chain.given.iter().map(|g| ("--given", g)));
        for ((flag, src), e) in flagged.zip(vars.iter().chain(&given)) {
            e.check(&available).map_err(|err| {
                Error::Usage(format!(
                    "{flag} `{src}` in domain.mc (files {}): {err}",
                    domain.mc.files.join(", ")
                ))
            })?;
        }
        let model_path = dir.join("chain.json");
        let summary_path = dir.join("morph.json");
        let report_dir = dir.join("report");
        let mut all: Vec<PathBuf> = friends.iter().map(|(p, _)| p.clone()).collect();
        all.extend([
            model_path.clone(),
            summary_path.clone(),
            report_dir.join("index.html"),
        ]);
        refuse_existing(&all, o.force)?;
        Ok(Plan {
            cfg,
            domain,
            folds,
            given,
            vars,
            fold,
            names,
            chain,
            dir,
            friends,
            model_path,
            summary_path,
            report_dir,
        })
    }
}

fn write_friends(
    o: &MorphOptions,
    plan: &Plan,
    c: &Corrector,
    out: &mut dyn Write,
) -> Result<Vec<String>> {
    let format: Option<FriendFormat> = o.friend_format.friend_format;
    let mut written = Vec::new();
    for (path, range) in &plan.friends {
        write_corrected(
            c,
            &plan.chain,
            &plan.names,
            (path, range.clone()),
            TREE,
            (o.force, format),
        )?;
        writeln!(
            out,
            "{} entries -> {}:{TREE} ({})",
            range.end - range.start,
            path.display(),
            plan.names.join(", ")
        )
        .map_err(io_out)?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

fn write_summary(
    plan: &Plan,
    o: &MorphOptions,
    h: &Hyper,
    written: &[String],
    results: &[VarResult],
    runs: &Runs,
) -> Result<()> {
    let path = &plan.summary_path;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "config": plan.cfg.path.display().to_string(),
        "method": "chain",
        "variables": o.vars,
        "conditioning": o.chain.given,
        "levels": o.chain.levels,
        "folds": { "k": plan.folds.k, "expression": plan.folds.expression },
        "networks": { "hidden": h.hidden, "epochs": h.epochs, "batch_size": h.batch,
                      "learning_rate": h.lr, "held_out_fraction": h.holdout,
                      "min_steps": h.min_steps },
        "model": plan.model_path.display().to_string(),
        "outputs": written,
        "metrics_note": "out of fold: each simulated control-region event corrected by the \
            networks of its own fold (never trained on it), compared with every data event \
            (each fold's data events unseen by that fold's data networks), summed over folds",
        "results": results,
        "correlation": runs.corr,
        "training": runs.logs,
        "timings": runs.timings,
    }))
    .map_err(|e| Error::Usage(format!("morph.json: {e}")))?;
    write_atomically(path, true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })
    })
}

fn write_report(
    o: &MorphOptions,
    plan: &Plan,
    results: &[VarResult],
    plots: &[(String, DataMcPlot)],
    corr: &CorrelationReport,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(
        out,
        "correlation matrix, max |data - simulation|: {:.4} -> {:.4} (Frobenius {:.4} -> {:.4})",
        corr.max_delta_before, corr.max_delta_after, corr.frobenius_before, corr.frobenius_after
    )
    .map_err(io_out)?;
    let rows = print_results(out, results, "out of fold")?;
    let esc = crate::report::escape;
    let intro = format!(
        "Run description <code>{}</code>. Chained quantile morphing: the variables are \
         corrected in the order {}, each conditioned on {} and the variables corrected \
         before it. Per variable, data and simulation networks give {} conditional \
         quantiles; each simulated value is moved from its level under the simulation's \
         conditional distribution to the same level of data's. With {} folds \
         (<code>{}</code>), fold f's networks train on the other folds and correct fold f \
         only. The metrics are out of fold: every simulated event is corrected by networks \
         that never saw it and compared with every data event, summed over the folds.{}",
        esc(&plan.cfg.path.display().to_string()),
        esc(&o.vars.join(", ")),
        esc(&o.chain.given.join(", ")),
        o.chain.levels,
        plan.folds.k,
        esc(&plan.folds.expression),
        corr.html(),
    );
    crate::report::write_before_after(
        &plan.report_dir,
        "rootgrad morph --chain",
        &intro,
        &[
            "variable",
            "branch",
            "KS before",
            "KS after",
            "chi2/ndf before",
            "chi2/ndf after",
        ],
        &rows,
        plots,
        o.svg,
    )?;
    writeln!(
        out,
        "wrote {}, {} and {}",
        plan.model_path.display(),
        plan.summary_path.display(),
        plan.report_dir.join("index.html").display()
    )
    .map_err(io_out)?;
    Ok(())
}

/// What morph.json records of the training besides the results.
struct Runs<'a> {
    logs: &'a [VarLog],
    corr: &'a CorrelationReport,
    timings: serde_json::Value,
}

/// Bins of each conditioning variable for the conditional agreement.
const COND_BINS: usize = 5;

/// Edges with about equal numbers of data events: the data's conditioning values at the
/// quantiles 0, 1/B, ..., 1 by event count (repeated values merged, so an integer
/// variable gets fewer bins).
fn population_edges(x: &[f64], bins: usize) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = Vec::new();
    if v.is_empty() {
        return edges;
    }
    for b in 0..=bins {
        let e = v[((v.len() - 1) * b) / bins];
        if edges.last().is_none_or(|&l| e > l) {
            edges.push(e);
        }
    }
    edges
}

/// The correlation matrices of data and simulation before/after, and the agreement of
/// each variable in bins of each conditioning variable, before and after (out of fold,
/// as the table) ([`correlation_report`]).
fn correlations(
    o: &MorphOptions,
    data: &Columns,
    mc: &Columns,
    corrected: &[Vec<f64>],
) -> Result<CorrelationReport> {
    let g = o.chain.given.len();
    let conds: Vec<(String, Vec<f64>)> = o
        .chain
        .given
        .iter()
        .enumerate()
        .map(|(c, name)| (name.clone(), population_edges(&data.cols[c], COND_BINS)))
        .filter(|(_, e)| e.len() >= 2)
        .collect();
    let keep: Vec<usize> = (0..g)
        .filter(|&c| population_edges(&data.cols[c], COND_BINS).len() >= 2)
        .collect();
    let data_s = SampleColumns {
        vars: data.cols[g..].iter().map(|c| &c[..]).collect(),
        conds: keep.iter().map(|&c| &data.cols[c][..]).collect(),
        w: &data.w,
    };
    let before = SampleColumns {
        vars: mc.cols[g..].iter().map(|c| &c[..]).collect(),
        conds: keep.iter().map(|&c| &mc.cols[c][..]).collect(),
        w: &mc.w,
    };
    let after = SampleColumns {
        vars: corrected.iter().map(|c| &c[..]).collect(),
        conds: before.conds.clone(),
        w: &mc.w,
    };
    correlation_report(&CorrelationInputs {
        vars: &o.vars,
        conds: &conds,
        data: data_s,
        before,
        after,
        x_edges: None,
    })
}
