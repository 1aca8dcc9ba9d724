//! The reweighter applied to the simulation chain: every entry's factor rw = exp(z) from
//! the model of its own fold ([`super::classifier::Reweighter`]'s [`Scorer`]), read
//! chunk by chunk ([`crate::data::chunks`]).
//!
//! Entries outside the control region (the `[domain.mc]` cut) get a factor only with
//! [`ApplyTo::All`]; otherwise NaN. An entry with a NaN or infinite feature gets NaN and
//! is counted. The weight of every entry is kept as evaluated, signed, whether or not it
//! is in the region (the friend's `weight_rw` is w * rw * c for every entry).

use crate::data::chunks::{chunk_plan, read_ahead, ChunkSize};
use crate::expr::Expr;
use crate::model::{ScoreBuffers, Scorer};
use crate::progress::Progress;
use crate::root::Chain;
use crate::Result;

use super::{factor, ApplyTo};

/// What weighing a chain gives, one value per entry.
#[derive(Debug, Clone, Default)]
pub struct Weighing {
    /// The factor rw (capped at `max_weight`), NaN where not computed.
    pub rw: Vec<f64>,
    /// The weight expression's value.
    pub w: Vec<f64>,
    /// Whether the entry passes the control region's cut.
    pub region: Vec<bool>,
    /// Entries that should have had a factor but have a non-finite feature.
    pub nonfinite: u64,
}

/// How to weigh a chain.
pub struct WeighSpec<'a> {
    pub scorer: &'a Scorer,
    pub weight: &'a Expr,
    pub cut: Option<&'a Expr>,
    pub apply_to: ApplyTo,
    pub max_weight: Option<f64>,
}

/// Weighs every entry of `chain` (see the module doc).
pub fn weigh_chain(chain: &Chain, spec: &WeighSpec, progress: &Progress) -> Result<Weighing> {
    let mut exprs = spec.scorer.exprs();
    exprs.push(spec.weight);
    if let Some(c) = spec.cut {
        exprs.push(c);
    }
    let total = chain.entries() as usize;
    let mut out = Weighing {
        rw: Vec::with_capacity(total),
        w: Vec::with_capacity(total),
        region: Vec::with_capacity(total),
        nonfinite: 0,
    };
    let bar = progress.bar(total as u64, "entries", "weighting");
    let ranges = chunk_plan(chain, &exprs, ChunkSize::SCORE);
    read_ahead(chain, &exprs, ranges, |read| -> Result<()> {
        let mut buf = ScoreBuffers::default();
        while let Some(cols) = read() {
            let cols = cols?;
            let n = cols.entries;
            let sel: Vec<bool> = match spec.cut {
                Some(c) => cols
                    .eval(c)?
                    .iter()
                    .map(|&v| v != 0.0 && !v.is_nan())
                    .collect(),
                None => vec![true; n],
            };
            let select = (spec.apply_to == ApplyTo::Region).then_some(&sel[..]);
            let c = spec
                .scorer
                .score_chunk(&cols, chain, select, false, &mut buf)?;
            out.nonfinite += c.nonfinite;
            out.rw.extend(c.z.iter().map(|&z| {
                if z.is_nan() {
                    f64::NAN
                } else {
                    factor(z, spec.max_weight)
                }
            }));
            out.w.extend(cols.eval(spec.weight)?);
            out.region.extend(sel);
            bar.inc(n as u64);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(out)
}
