//! `rootgrad flatness`: does a score depend on a mass? The Cramer-von Mises flatness of
//! the LHCb "Flavours of Physics" challenge (unweighted; passed below 0.002), over
//! windows of `--neighbours` events in mass order every `--step` events.

use std::io::Write;

use serde::Serialize;

use super::samples::{friends_for, parse, spec};
use crate::cli::FlatnessArgs;
use crate::data::columns::{column, read};
use crate::metrics::{cvm_flatness, CvmOptions};
use crate::progress::Progress;
use crate::{Error, Result};

/// The `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct FlatnessJson {
    pub var: String,
    pub mass: String,
    pub cvm: f64,
    pub events: usize,
    pub n_neighbours: usize,
    pub step: usize,
}

pub fn run(o: &FlatnessArgs, out: &mut dyn Write) -> Result<()> {
    let vars = [parse("--var", &o.var)?, parse("--mass", &o.mass)?];
    let progress = Progress::new(o.quiet || o.json);
    let s = spec(
        "input",
        &o.input,
        friends_for("input", &["input"], &o.friends)?,
        o.cut.as_deref(),
        None,
    );
    let sample = read(&s, &vars, &progress)?;
    let (pred, mass) = (column(&sample, 0), column(&sample, 1));
    let opts = CvmOptions {
        n_neighbours: o.neighbours,
        step: o.step,
    };
    let cvm = cvm_flatness(&pred, &mass, &opts)?;
    let r = FlatnessJson {
        var: o.var.clone(),
        mass: o.mass.clone(),
        cvm,
        events: sample.len(),
        n_neighbours: o.neighbours,
        step: o.step,
    };
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    if o.json {
        let j = serde_json::to_string(&r).map_err(|e| Error::Usage(e.to_string()))?;
        writeln!(out, "{j}").map_err(io)?;
    } else {
        writeln!(
            out,
            "CvM flatness of `{}` in `{}`: {:.6} ({} events, windows of {} every {}; the \
             challenge's test passes below 0.002)",
            r.var, r.mass, r.cvm, r.events, r.n_neighbours, r.step
        )
        .map_err(io)?;
    }
    Ok(())
}
