//! `rootgrad agreement`: how well simulation describes data in one variable.
//!
//! Reads the variable and the weights of both samples (sWeights for data, generator
//! weights for simulation; signed, as they are), then reports the weighted KS distance
//! (every value, no binning), the chi2 of the two histograms normalised to unit area
//! with sum-of-w^2 uncertainties, its ndf and p-value, and the yields; `--plot` draws
//! data over simulation with a ratio panel, `--json` prints one object.

use std::io::Write;

use super::samples::{parse, parse_range, read_data_mc};
use crate::cli::AgreementArgs;
use crate::data::columns::column;
use crate::metrics::agreement::compare;
use crate::metrics::binning::auto_edges;
use crate::progress::Progress;
use crate::report::{data_mc, DataMcPlot};
use crate::{Error, Result};

pub fn run(o: &AgreementArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(p) = &o.plot {
        if p.exists() && !o.force {
            return Err(Error::OutputExists { path: p.clone() });
        }
    }
    let var = parse("--var", &o.var)?;
    let range = o.range.as_deref().map(parse_range).transpose()?;
    let progress = Progress::new(o.quiet || o.json);
    let (d, m) = read_data_mc(&o.samples, std::slice::from_ref(&var), &progress)?;
    let (dv, mv) = (column(&d, 0), column(&m, 0));
    let edges = auto_edges(&[&dv, &mv], o.bins, range)?;
    let (a, pd, pm) = compare(&o.var, (&dv, &d.w), (&mv, &m.w), &edges)?;
    if let Some(path) = &o.plot {
        let mut p = DataMcPlot::new(pd, pm, o.x_label.as_deref().unwrap_or(&o.var));
        p.log_y = o.log_y;
        p.metrics = a.lines();
        data_mc(path, &p)?;
    }
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    if o.json {
        let s = serde_json::to_string(&a).map_err(|e| Error::Usage(e.to_string()))?;
        writeln!(out, "{s}").map_err(io)?;
    } else {
        writeln!(out, "variable   {}", a.var).map_err(io)?;
        for (name, y) in [("data", &a.data), ("simulation", &a.mc)] {
            writeln!(
                out,
                "{name:<10} {} events, sum of weights {:.6} ({} negative weights)",
                y.events, y.sum_weights, y.negative_events
            )
            .map_err(io)?;
        }
        writeln!(out, "KS         {:.6}", a.ks).map_err(io)?;
        match (a.chi2, a.ndf, a.p_value) {
            (Some(c), Some(n), Some(p)) => writeln!(
                out,
                "chi2/ndf   {c:.3}/{n} = {:.3}, p-value {p:.4} ({} bins from {} to {})",
                c / n as f64,
                edges.len() - 1,
                edges[0],
                edges[edges.len() - 1]
            ),
            _ => writeln!(
                out,
                "chi2/ndf   not defined: {}",
                a.chi2_note.as_deref().unwrap_or("")
            ),
        }
        .map_err(io)?;
        if let Some(p) = &o.plot {
            writeln!(out, "plot       {}", p.display()).map_err(io)?;
        }
    }
    Ok(())
}
