//! `rootgrad morph CONFIG.toml --var EXPR...`: weighted quantile matching of simulation
//! to data in the control region, one variable at a time, T(x) = Q_data(F_mc(x))
//! ([`crate::reweight::cdf`], with its rule for signed weights), written for every
//! entry of each `[domain.mc]` file as a friend branch `<name>_morphed` (name from
//! [`crate::reweight::branch_name`]); before/after KS, chi2/ndf and figures in an HTML
//! report, and morph.json.
//!
//! The CDFs are built from the control region as `[domain.data]` and `[domain.mc]`
//! select and weight it (signed weights as they are, after each sample's
//! `negative_weights` policy). T is then applied to every entry of the simulation
//! files, inside the control region or not; a NaN or infinite value gives NaN.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::reweight::{create_dir, default_out, parse_all, plan_outputs, refuse_existing};
use crate::config::RunConfig;
use crate::data::columns::column;
use crate::data::{load, open_chain, Wanted};
use crate::expr::read_for;
use crate::metrics::agreement::{compare, Agreement};
use crate::metrics::binning::auto_edges;
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::report::DataMcPlot;
use crate::reweight::branch_name;
use crate::reweight::cdf::{morph, WeightedCdf};
use crate::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};
use crate::{Error, Result};

/// The flags of `rootgrad morph` ([`crate::cli::MorphArgs`]).
pub use crate::cli::MorphArgs as MorphOptions;

/// The friend tree's name and the file tag: `<stem>.morph.root:morph`.
pub const TREE: &str = "morph";

#[derive(Debug, Serialize)]
struct VarResult {
    var: String,
    branch: String,
    before: Agreement,
    after: Agreement,
}

fn io_out(source: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source,
    }
}

pub fn run(o: &MorphOptions, out: &mut dyn Write) -> Result<()> {
    let cfg = RunConfig::load(&o.config, &o.sets)?;
    let Some(domain) = cfg.domain.clone() else {
        return Err(Error::Usage(format!(
            "{}: morphing needs a [domain] section with `data` and `mc` samples (the control \
             region)",
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
    let index = report_dir.join("index.html");
    let mut all: Vec<PathBuf> = friends.iter().map(|(p, _)| p.clone()).collect();
    all.push(summary_path.clone());
    all.push(index.clone());
    refuse_existing(&all, o.force)?;

    let progress = Progress::new(o.quiet);
    let want = Wanted {
        features: &vars,
        fold: None,
        mass: None,
        f64: true,
    };
    let data = load(&domain.data, &want, &progress)?;
    let mc = load(&domain.mc, &want, &progress)?;
    let mut cdfs = Vec::new();
    let mut results = Vec::new();
    let mut plots = Vec::new();
    for (j, v) in o.vars.iter().enumerate() {
        let (dv, mv) = (column(&data, j), column(&mc, j));
        let fd = WeightedCdf::new(&dv, &data.w, &format!("{v} in domain.data"))?;
        let fm = WeightedCdf::new(&mv, &mc.w, &format!("{v} in domain.mc"))?;
        let morphed: Vec<f64> = mv.iter().map(|&x| morph(&fm, &fd, x)).collect();
        let edges = auto_edges(&[&dv, &mv], o.bins, None)?;
        let (before, pd, pm) = compare(v, (&dv, &data.w), (&mv, &mc.w), &edges)?;
        let (after, _, pa) = compare(v, (&dv, &data.w), (&morphed, &mc.w), &edges)?;
        let mut plot = DataMcPlot::new(pd, pm, v);
        plot.corrected = Some(pa);
        plot.corrected_label = "Simulation, morphed".into();
        plot.title = Some("Control region".into());
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
        plots.push((format!("var_{j}_{}", branch_name(v)), plot));
        results.push(VarResult {
            var: v.clone(),
            branch: names[j].clone(),
            before,
            after,
        });
        cdfs.push((fm, fd));
    }

    // every entry of every simulation file
    let exprs: Vec<&crate::expr::Expr> = vars.iter().collect();
    let total = chain.entries();
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(total as usize); vars.len()];
    let bar = progress.bar(total, "entries", "morphing");
    let mut start = 0u64;
    while start < total {
        let stop = (start + crate::apply::APPLY_CHUNK).min(total);
        let cols = read_for(&exprs, &chain, start..stop)?;
        for (j, e) in vars.iter().enumerate() {
            let (fm, fd) = &cdfs[j];
            values[j].extend(cols.eval(e)?.iter().map(|&x| {
                if x.is_finite() {
                    morph(fm, fd, x)
                } else {
                    f64::NAN
                }
            }));
        }
        bar.inc(stop - start);
        start = stop;
    }
    bar.finish_and_clear();

    create_dir(&dir)?;
    let mut written = Vec::new();
    for (path, range) in &friends {
        let r = range.start as usize..range.end as usize;
        let columns: Vec<FriendColumn> = names
            .iter()
            .zip(&values)
            .map(|(n, v)| FriendColumn {
                name: n.clone(),
                data: FriendData::F64(v[r.clone()].to_vec()),
            })
            .collect();
        write_friend(&FriendSpec {
            path,
            tree: TREE,
            columns: &columns,
            expected_entries: Some(range.end - range.start),
            overwrite: o.force,
        })?;
        writeln!(
            out,
            "{} entries -> {}:{TREE} ({})",
            range.end - range.start,
            path.display(),
            names.join(", ")
        )
        .map_err(io_out)?;
        written.push(path.display().to_string());
    }
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "config": cfg.path.display().to_string(),
        "outputs": written,
        "variables": results,
    }))
    .map_err(|e| Error::Usage(format!("morph.json: {e}")))?;
    write_atomically(&summary_path, true, |w| {
        w.write_all(json.as_bytes()).map_err(|source| Error::Io {
            path: summary_path.clone(),
            source,
        })
    })?;
    let mut rows = Vec::new();
    for r in &results {
        writeln!(
            out,
            "{} -> {}: KS {:.4} -> {:.4}, chi2/ndf {} -> {}",
            r.var,
            r.branch,
            r.before.ks,
            r.after.ks,
            r.before.chi2_text(),
            r.after.chi2_text()
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
    let intro = format!(
        "Run description <code>{}</code>. Each variable of the simulation is mapped by \
         T(x) = Q_data(F_mc(x)) with weighted empirical CDFs of the control region; with \
         negative weights the cumulative fractions are replaced by their isotonic \
         (least-squares non-decreasing) fit, clipped to [0, 1]. The metrics compare data \
         with the simulation on the same control-region events, before and after.",
        crate::report::escape(&cfg.path.display().to_string())
    );
    crate::report::write_before_after(
        &report_dir,
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
