//! The checks that need more than one section of the run description, run once every
//! section has been read and before any ntuple is opened: the sections' combinations are
//! allowed (the loss plan, `plan.rs`), every expression parses (features, cuts, weights,
//! the fold and the mass), and the network with the heads its loss terms need can be
//! built from [network]. Each message names the file and the key.

use super::types::SampleSpec;
use super::RunConfig;
use crate::expr::Expr;
use crate::{Error, Result};

/// Parses `src` as the value of `what`, to refuse a syntax error now rather than after
/// other samples were read.
fn parses(file: &str, what: &str, src: &str) -> Result<()> {
    Expr::parse(src)
        .map(|_| ())
        .map_err(|e| Error::Usage(format!("{file}: {what}: {e}")))
}

fn sample_exprs(file: &str, s: &SampleSpec) -> Result<()> {
    if let Some(c) = &s.cut {
        parses(file, &format!("{} cut", s.key), c)?;
    }
    parses(file, &format!("{} weight", s.key), &s.weight)
}

/// Every expression of the description parses.
fn expressions(file: &str, c: &RunConfig) -> Result<()> {
    for (i, f) in c.features.iter().enumerate() {
        parses(file, &format!("inputs.features[{i}]"), f)?;
    }
    let mut samples = Vec::new();
    if let Some(cls) = &c.classification {
        samples.extend([&cls.signal, &cls.background]);
    }
    if let Some(d) = &c.domain {
        samples.extend([&d.data, &d.mc]);
    }
    for s in samples {
        sample_exprs(file, s)?;
    }
    if let super::Split::Folds { expression, .. } = &c.training.split {
        parses(file, "training.fold", expression)?;
    }
    if let Some(d) = &c.decorrelation {
        parses(file, "decorrelation.mass", &d.mass)?;
    }
    Ok(())
}

/// The checks across sections of a description whose sections each passed: the loss
/// plan's (see [`super::plan::plan`]), every expression, the network with its heads.
pub(super) fn across(file: &str, c: &RunConfig) -> Result<()> {
    let plan = super::plan::plan(file, c)?;
    expressions(file, c)?;
    // the network's shape, with the heads the loss needs (a head reading a layer that
    // does not exist, a non-finite activation parameter)
    c.network_spec_for(&plan)
        .plan()
        .map_err(|e| Error::Usage(format!("{file}: [network] {e}")))?;
    Ok(())
}
