//! `rootgrad sf`: data/simulation scale factors of score cuts.
//!
//! Reads the score, the variable and the weights of data (sWeights: signed, as they are)
//! and simulation, then at every working point (score threshold) computes the efficiency
//! in data and in simulation in bins of the variable, and SF = eff_data / eff_mc, with
//! uncertainties from sums of weights and of squared weights
//! ([`crate::metrics::scale_factor`]; derived in docs/maths.md). Writes OUT/sf.json,
//! OUT/sf.csv and two figures (the SF and both efficiencies against the variable), each
//! under a temporary name renamed when complete; existing outputs are refused unless
//! `--force`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::samples::{parse, read_data_mc};
use crate::cli::SfArgs;
use crate::data::columns::column;
use crate::metrics::scale_factor::{check_binning, scale_factors, SfSample, WorkingPointSf};
use crate::output::{refuse_existing, write_atomically};
use crate::progress::Progress;
use crate::report::{scatter, ScatterPlot, ScatterPoint, ScatterSeries};
use crate::{Error, Result};

/// The `sf.json` object.
#[derive(Debug, Serialize)]
struct Table<'a> {
    var: &'a str,
    score: &'a str,
    data: &'a str,
    mc: &'a str,
    data_weight: &'a str,
    mc_weight: &'a str,
    /// "an event passes when score >= threshold"
    pass: &'static str,
    /// How the uncertainties are computed.
    uncertainty: &'static str,
    edges: &'a [f64],
    working_points: &'a [WorkingPointSf],
}

const UNCERTAINTY: &str = "statistical only: var(eff) = (F^2 P2 + P^2 F2) / (P + F)^4 from the \
     sums of weights P, F and squared weights P2, F2 of passing and failing events (right \
     for signed weights); relative variances of data and simulation add in the SF; the \
     uncertainty of the sWeights' own fit is not included";

/// Parses a comma-separated list of numbers given to `flag`.
fn numbers(flag: &str, s: &str, example: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{flag} `{s}`: `{}` is not a number; give comma-separated numbers, e.g. \
                     {flag} {example}",
                        t.trim()
                    ))
                })
        })
        .collect()
}

pub fn run(o: &SfArgs, out: &mut dyn Write) -> Result<()> {
    let edges = numbers("--edges", &o.edges, "20,30,50,100")?;
    let thresholds = numbers("--wp", &o.working_points, "0.5,0.9")?;
    check_binning(&edges, &thresholds)?;
    let score = parse("--score", &o.score)?;
    let var = parse("--var", &o.var)?;
    let ext = if o.svg { "svg" } else { "png" };
    let files: Vec<PathBuf> = [
        "sf.json",
        "sf.csv",
        &format!("sf.{ext}"),
        &format!("sf_eff.{ext}"),
    ]
    .iter()
    .map(|f| o.out.join(f))
    .collect();
    refuse_existing(&files, o.force)?;
    let progress = Progress::new(o.quiet);
    let (d, m) = read_data_mc(&o.samples, &[score.clone(), var.clone()], &progress)?;
    let (ds, dv, ms, mv) = (column(&d, 0), column(&d, 1), column(&m, 0), column(&m, 1));
    let sample = |name, var, score, weight| SfSample {
        name,
        var,
        score,
        weight,
    };
    let wps = scale_factors(
        sample("data", &dv, &ds, &d.w),
        sample("simulation", &mv, &ms, &m.w),
        &edges,
        &thresholds,
    )?;
    let table = Table {
        var: &o.var,
        score: &o.score,
        data: &o.samples.data,
        mc: &o.samples.mc,
        data_weight: o.samples.data_weight.as_deref().unwrap_or("1"),
        mc_weight: o.samples.mc_weight.as_deref().unwrap_or("1"),
        pass: "an event passes when score >= threshold",
        uncertainty: UNCERTAINTY,
        edges: &edges,
        working_points: &wps,
    };
    // removed again if nothing is written into it
    let _dir = crate::output::NewDir::create(&o.out)?;
    let json = serde_json::to_string_pretty(&table).map_err(|e| Error::Usage(e.to_string()))?;
    write_text(&files[0], o.force, &json)?;
    write_text(&files[1], o.force, &csv(&wps))?;
    let x_label = o.x_label.as_deref().unwrap_or(&o.var);
    figures(&files[2], &files[3], &wps, x_label)?;
    print(out, &table, &files)
}

fn write_text(path: &Path, force: bool, text: &str) -> Result<()> {
    write_atomically(path, force, |w| {
        w.write_all(text.as_bytes()).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    })
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// One row per working point and bin; empty cells where a quantity is not defined.
fn csv(wps: &[WorkingPointSf]) -> String {
    let mut s = String::from(
        "threshold,lo,hi,data_events,data_pass,data_pass_w2,data_fail,data_fail_w2,\
         mc_events,mc_pass,mc_pass_w2,mc_fail,mc_fail_w2,eff_data,eff_data_err,eff_mc,\
         eff_mc_err,sf,sf_err\n",
    );
    for wp in wps {
        for b in &wp.bins {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                wp.threshold,
                b.lo,
                b.hi,
                b.data.events,
                b.data.pass,
                b.data.pass_w2,
                b.data.fail,
                b.data.fail_w2,
                b.mc.events,
                b.mc.pass,
                b.mc.pass_w2,
                b.mc.fail,
                b.mc.fail_w2,
                opt(b.eff_data),
                opt(b.eff_data_err),
                opt(b.eff_mc),
                opt(b.eff_mc_err),
                opt(b.sf),
                opt(b.sf_err)
            );
        }
    }
    s
}

/// Points at the bin centres, x error half the bin width, where `y` is defined.
fn points(
    wp: &WorkingPointSf,
    y: impl Fn(&crate::metrics::scale_factor::SfBin) -> (Option<f64>, Option<f64>),
) -> Vec<ScatterPoint> {
    wp.bins
        .iter()
        .filter_map(|b| match y(b) {
            (Some(v), Some(e)) if v.is_finite() && e.is_finite() => Some(ScatterPoint {
                x: 0.5 * (b.lo + b.hi),
                y: v,
                x_err: Some(0.5 * (b.hi - b.lo)),
                y_err: Some(e),
                label: None,
            }),
            _ => None,
        })
        .collect()
}

/// sf.png: the SF of every working point against the variable; sf_eff.png: the
/// efficiencies in data and in simulation.
fn figures(sf_path: &Path, eff_path: &Path, wps: &[WorkingPointSf], x_label: &str) -> Result<()> {
    let series = |name: &str, wp: &WorkingPointSf, pts| ScatterSeries {
        label: format!("{name}score >= {}", wp.threshold),
        points: pts,
        connect: false,
    };
    let sf: Vec<ScatterSeries> = wps
        .iter()
        .map(|wp| series("", wp, points(wp, |b| (b.sf, b.sf_err))))
        .collect();
    let mut eff = Vec::new();
    for wp in wps {
        eff.push(series(
            "data, ",
            wp,
            points(wp, |b| (b.eff_data, b.eff_data_err)),
        ));
        eff.push(series(
            "simulation, ",
            wp,
            points(wp, |b| (b.eff_mc, b.eff_mc_err)),
        ));
    }
    for (path, series, y, title) in [
        (
            sf_path,
            sf,
            "Scale factor eff(data) / eff(simulation)",
            "Data/simulation scale factors",
        ),
        (
            eff_path,
            eff,
            "Efficiency (weighted)",
            "Efficiency of the score cut",
        ),
    ] {
        if series.iter().all(|s| s.points.is_empty()) {
            return Err(Error::Usage(format!(
                "{}: no bin has a defined {}; check --edges against the variable's range \
                 and the samples' weights",
                path.display(),
                if title.starts_with("Data") {
                    "scale factor"
                } else {
                    "efficiency"
                }
            )));
        }
        let mut p = ScatterPlot::new(series, x_label, y);
        p.title = Some(format!("{title} (statistical uncertainties)"));
        scatter(path, &p)?; // written atomically by the plotting layer
    }
    Ok(())
}

fn print(out: &mut dyn Write, t: &Table, files: &[PathBuf]) -> Result<()> {
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    let f = |v: Option<f64>, e: Option<f64>| match (v, e) {
        (Some(v), Some(e)) => format!("{v:.4} ± {e:.4}"),
        _ => "-".into(),
    };
    for wp in t.working_points {
        writeln!(out, "working point: {} >= {}", t.score, wp.threshold).map_err(io)?;
        writeln!(
            out,
            "{:>22} {:>20} {:>20} {:>20}",
            t.var, "eff data", "eff simulation", "SF"
        )
        .map_err(io)?;
        for b in &wp.bins {
            writeln!(
                out,
                "{:>22} {:>20} {:>20} {:>20}",
                format!("[{}, {})", b.lo, b.hi),
                f(b.eff_data, b.eff_data_err),
                f(b.eff_mc, b.eff_mc_err),
                f(b.sf, b.sf_err)
            )
            .map_err(io)?;
        }
    }
    writeln!(out, "uncertainties: {}", t.uncertainty).map_err(io)?;
    for p in files {
        writeln!(out, "wrote {}", p.display()).map_err(io)?;
    }
    Ok(())
}
