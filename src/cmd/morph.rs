//! `rootgrad morph CONFIG.toml --var EXPR...`: weighted quantile matching of simulation
//! to data in the control region, one variable at a time, T(x) = Q_data(F_mc(x)) with
//! ties and point masses spread over their quantile interval
//! ([`crate::reweight::cdf::morph_randomised`], [`crate::reweight::morph`]; with its
//! rule for signed weights), written for every
//! entry of each `[domain.mc]` file as a friend branch `<name>_morphed` (name from
//! [`crate::reweight::branch_name`]); before/after KS, chi2/ndf and figures in an HTML
//! report, and morph.json.
//!
//! The CDFs are built from the control region as `[domain.data]` and `[domain.mc]`
//! select and weight it (signed weights as they are, after each sample's
//! `negative_weights` policy). T is then applied to every entry of the simulation
//! files, inside the control region or not; a NaN or infinite value gives NaN. The
//! before/after metrics are held out ([`crate::reweight::morph::held_out`]), and a
//! variable whose agreement gets worse is warned about and marked in the table.

use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::{Domain, RunConfig};
use crate::data::columns::column;
use crate::data::{load, open_chain, Wanted};
use crate::expr::{parse_all, Expr};
use crate::metrics::agreement::{compare, Agreement};
use crate::metrics::binning::auto_edges;
use crate::output::{refuse_existing, write_atomically, NewDir};
use crate::progress::Progress;
use crate::report::DataMcPlot;
use crate::reweight::branch_name;
use crate::reweight::cdf::WeightedCdf;
use crate::reweight::chain::prepare::check_flags;
use crate::reweight::morph::{held_out, morph_chain, worse, Events, HeldOut};
use crate::reweight::outputs::{default_out, plan_outputs};
use crate::root::provenance::FriendSource;
use crate::root::write::{write_friend_as, FriendColumn, FriendData, FriendFormat, FriendSpec};
use crate::root::Chain;
use crate::{Error, Result};

/// The flags of `rootgrad morph` ([`crate::cli::MorphArgs`]).
pub use crate::cli::MorphArgs as MorphOptions;

/// The friend tree's name and the file tag: `<stem>.morph.root:morph`.
pub const TREE: &str = "morph";

#[derive(Debug, Serialize)]
pub(super) struct VarResult {
    pub(super) var: String,
    pub(super) branch: String,
    /// Held-out: data and simulation of the judging half, the map built from the other
    /// (the chained morph: every simulated event corrected out of fold).
    pub(super) before: Agreement,
    pub(super) after: Agreement,
    /// Whether the held-out agreement got worse (KS or chi2/ndf).
    pub(super) worse: bool,
}

/// Prints one line per variable (KS and chi2/ndf before -> after, `how` they were
/// judged) and returns the report table's rows.
pub(super) fn print_results(
    out: &mut dyn Write,
    results: &[VarResult],
    how: &str,
) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for r in results {
        writeln!(
            out,
            "{} -> {}: KS {:.4} -> {:.4}, chi2/ndf {} -> {} ({how}){}",
            r.var,
            r.branch,
            r.before.ks,
            r.after.ks,
            r.before.chi2_text(),
            r.after.chi2_text(),
            if r.worse { "  WORSE" } else { "" }
        )
        .map_err(io_out)?;
        rows.push(vec![
            r.var.clone(),
            r.branch.clone(),
            format!("{:.4}", r.before.ks),
            format!("{:.4}", r.after.ks),
            r.before.chi2_text(),
            r.after.chi2_text(),
        ]);
    }
    Ok(rows)
}

pub(super) fn io_out(source: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source,
    }
}

/// Everything checked before any work: the variables, their branch names, the
/// simulation chain and the outputs.
struct Plan {
    cfg: RunConfig,
    domain: Domain,
    vars: Vec<Expr>,
    names: Vec<String>,
    chain: Chain,
    dir: PathBuf,
    friends: Vec<(PathBuf, Range<u64>)>,
    summary_path: PathBuf,
    report_dir: PathBuf,
}

pub fn run(o: &MorphOptions, out: &mut dyn Write) -> Result<()> {
    let c = &o.chain;
    check_flags(&o.vars, &c.given, c.on, c.levels)?;
    if c.on {
        return super::morph_chain::run(o, out);
    }
    let knobs = [
        ("--hidden", !c.hidden.is_empty()),
        ("--epochs", c.epochs.is_some()),
        ("--batch-size", c.batch_size.is_some()),
        ("--learning-rate", c.learning_rate.is_some()),
        ("--levels", c.levels != 21),
    ];
    if let Some((flag, _)) = knobs.iter().find(|k| k.1) {
        return Err(Error::Usage(format!(
            "{flag} sets the networks of chained morphing; add --chain (the per-variable \
             morph has no networks)"
        )));
    }
    let plan = Plan::new(o)?;
    let progress = Progress::new(o.quiet);
    for n in &plan.cfg.notes {
        progress.say(n);
    }
    let want = Wanted {
        features: &plan.vars,
        fold: None,
        mass: None,
        f64: true,
    };
    let data = load(&plan.domain.data, &want, &progress)?;
    let mc = load(&plan.domain.mc, &want, &progress)?;
    let seed = plan.cfg.training.seed;
    let mut cdfs = Vec::new();
    let mut results = Vec::new();
    let mut plots = Vec::new();
    for (j, v) in o.vars.iter().enumerate() {
        let (dv, mv) = (column(&data, j), column(&mc, j));
        let judged = held_out(
            Events {
                x: &dv,
                w: &data.w,
                entry: &data.entry,
            },
            Events {
                x: &mv,
                w: &mc.w,
                entry: &mc.entry,
            },
            seed,
            v,
        )?;
        let (plot, before, after) = judge(o, v, &judged)?;
        if let Some(w) = worse(v, &before, &after) {
            progress.warn(&w);
        }
        plots.push((format!("var_{j}_{}", branch_name(v)), plot));
        results.push(VarResult {
            var: v.clone(),
            branch: plan.names[j].clone(),
            worse: worse(v, &before, &after).is_some(),
            before,
            after,
        });
        // the map written to the friends is built from the whole control region
        let fd = WeightedCdf::new(&dv, &data.w, &format!("{v} in domain.data"))?;
        let fm = WeightedCdf::new(&mv, &mc.w, &format!("{v} in domain.mc"))?;
        cdfs.push((fm, fd));
    }

    // every entry of every simulation file
    let values = morph_chain(&plan.chain, &plan.vars, &cdfs, seed, &progress)?;
    let written = write_friends(o, &plan, &values, out)?;
    write_summary(&plan, &written, &results)?;
    write_report(o, &plan, &results, &plots, out)
}

/// The held-out before/after metrics of one variable and its figure.
pub(super) fn judge(
    o: &MorphOptions,
    v: &str,
    h: &HeldOut,
) -> Result<(DataMcPlot, Agreement, Agreement)> {
    let (dv, dw) = (&h.data.0, &h.data.1);
    let (mv, mw) = (&h.mc.0, &h.mc.1);
    let edges = auto_edges(&[dv, mv], o.bins, None)?;
    let (before, pd, pm) = compare(v, (dv, dw), (mv, mw), &edges)?;
    let (after, _, pa) = compare(v, (dv, dw), (&h.morphed, mw), &edges)?;
    let mut plot = DataMcPlot::new(pd, pm, v);
    plot.corrected = Some(pa);
    plot.corrected_label = "Simulation, morphed".into();
    plot.title = Some("Control region, held-out half".into());
    plot.metrics = vec![
        format!("KS {:.4} -> {:.4}", before.ks, after.ks),
        format!(
            "chi2/ndf {} -> {}",
            before
                .chi2_per_ndf()
                .map_or("n/a".into(), |x| format!("{x:.2}")),
            after
                .chi2_per_ndf()
                .map_or("n/a".into(), |x| format!("{x:.2}"))
        ),
    ];
    Ok((plot, before, after))
}

impl Plan {
    /// Checks the flags and the variables, plans the outputs and refuses existing ones
    /// (unless `--force`), before anything is read.
    fn new(o: &MorphOptions) -> Result<Plan> {
        let cfg = RunConfig::load_with(&o.config, &o.sets, &o.unsets)?;
        let Some(domain) = cfg.domain.clone() else {
            return Err(Error::Usage(format!(
                "{}: morphing needs a [domain] section with `data` and `mc` samples (the \
                 control region)",
                cfg.path.display()
            )));
        };
        if o.vars.is_empty() {
            return Err(Error::Usage("give at least one --var EXPR to morph".into()));
        }
        let vars = parse_all("--var", &o.vars)?;
        let names: Vec<String> = o
            .vars
            .iter()
            .map(|v| format!("{}_morphed", branch_name(v)))
            .collect();
        for (i, n) in names.iter().enumerate() {
            if let Some(j) = names[..i].iter().position(|m| m == n) {
                return Err(Error::Usage(format!(
                    "--var `{}` and --var `{}` both give the branch name `{n}`; morph each \
                     variable once",
                    o.vars[j], o.vars[i]
                )));
            }
        }
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
        for (v, e) in o.vars.iter().zip(&vars) {
            e.check(&available).map_err(|err| {
                Error::Usage(format!(
                    "--var `{v}` in domain.mc (files {}): {err}",
                    domain.mc.files.join(", ")
                ))
            })?;
        }
        let summary_path = dir.join("morph.json");
        let report_dir = dir.join("report");
        let mut all: Vec<PathBuf> = friends.iter().map(|(p, _)| p.clone()).collect();
        all.push(summary_path.clone());
        all.push(report_dir.join("index.html"));
        refuse_existing(&all, o.force)?;
        Ok(Plan {
            cfg,
            domain,
            vars,
            names,
            chain,
            dir,
            friends,
            summary_path,
            report_dir,
        })
    }
}

/// One friend per simulation file with the morphed branches; returns the paths written.
fn write_friends(
    o: &MorphOptions,
    plan: &Plan,
    values: &[Vec<f64>],
    out: &mut dyn Write,
) -> Result<Vec<String>> {
    // removed again if no friend is written into it
    let _dir = NewDir::create(&plan.dir)?;
    let mut written = Vec::new();
    for (path, range) in &plan.friends {
        let r = range.start as usize..range.end as usize;
        let columns: Vec<FriendColumn> = plan
            .names
            .iter()
            .zip(values)
            .map(|(n, v)| FriendColumn {
                name: n.clone(),
                data: FriendData::F64(v[r.clone()].to_vec()),
            })
            .collect();
        let format = FriendFormat::for_input(o.friend_format.friend_format, &plan.chain);
        write_friend_as(
            &FriendSpec {
                path,
                tree: TREE,
                columns: &columns,
                expected_entries: Some(range.end - range.start),
                overwrite: o.force,
                source: Some(&FriendSource::of_range(&plan.chain, range.clone())),
            },
            format,
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

fn write_summary(plan: &Plan, written: &[String], results: &[VarResult]) -> Result<()> {
    let path = &plan.summary_path;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "config": plan.cfg.path.display().to_string(),
        "outputs": written,
        "variables": results,
    }))
    .map_err(|e| Error::Usage(format!("morph.json: {e}")))?;
    write_atomically(path, true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })
    })
}

/// The table on standard output and the HTML report.
fn write_report(
    o: &MorphOptions,
    plan: &Plan,
    results: &[VarResult],
    plots: &[(String, DataMcPlot)],
    out: &mut dyn Write,
) -> Result<()> {
    let rows = print_results(out, results, "held-out half")?;
    let intro = format!(
        "Run description <code>{}</code>. Each variable of the simulation is mapped by \
         T(x) = Q_data(u), u = F_mc(x-) + v (F_mc(x) - F_mc(x-)), with weighted empirical \
         CDFs of the control region and v a uniform number of each entry (reproducible \
         from the seed and the entry): events that share a value (a point mass, an \
         integer) are spread over their quantile interval. With negative weights the \
         cumulative fractions are replaced by their isotonic (least-squares \
         non-decreasing) fit, clipped to [0, 1]. The metrics are held out: the control \
         region is split in two halves by entry, CDFs built from one half map the other, \
         and data is compared with that half's simulation before and after.",
        crate::report::escape(&plan.cfg.path.display().to_string())
    );
    crate::report::write_before_after(
        &plan.report_dir,
        "rootgrad morph",
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
        "wrote {} and {}",
        plan.summary_path.display(),
        plan.report_dir.join("index.html").display()
    )
    .map_err(io_out)?;
    Ok(())
}
