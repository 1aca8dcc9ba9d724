//! The reweighter applied to the simulation chain: every entry's factor rw = exp(z) from
//! the model of its own fold ([`super::classifier::Reweighter`]'s [`Scorer`]), read
//! chunk by chunk ([`crate::data::chunks`]).
//!
//! Entries outside the control region (the `[domain.mc]` cut) get a factor only with
//! [`ApplyTo::All`]; otherwise NaN. An entry with a NaN or infinite feature gets NaN and
//! is counted. The weight of every entry is kept as evaluated, signed, whether or not it
//! is in the region (the friend's `weight_rw` is w * rw * c for every entry).
//!
//! Two passes, so memory does not grow with the chain: [`weigh_region`] scores every
//! entry once for the normalisation's sums over the control region ([`NormSums`], in
//! entry order, so c is the same as from the whole columns); [`write_weighted`] scores
//! each file's entries again and streams its friend (`rw`, `weight_rw`). Scoring is
//! deterministic, so both passes give every entry the same factor.

use std::ops::Range;
use std::path::Path;

use crate::data::chunks::{chunk_plan_in, read_ahead, ChunkSize};
use crate::expr::Expr;
use crate::model::{ScoreBuffers, Scorer};
use crate::progress::Progress;
use crate::root::provenance::FriendSource;
use crate::root::write::{
    write_friend_stream_as, FriendData, FriendFormat, FriendStream, FriendType, StreamColumn,
};
use crate::root::Chain;
use crate::Result;

use super::{factor, ApplyTo, NormSums};

/// How to weigh a chain.
pub struct WeighSpec<'a> {
    pub scorer: &'a Scorer,
    pub weight: &'a Expr,
    pub cut: Option<&'a Expr>,
    pub apply_to: ApplyTo,
    pub max_weight: Option<f64>,
}

/// One chunk of a weighed chain, one value per entry.
struct Weighed {
    /// The factor rw (capped at `max_weight`), NaN where not computed.
    rw: Vec<f64>,
    /// The weight expression's value.
    w: Vec<f64>,
    /// Whether the entry passes the control region's cut.
    region: Vec<bool>,
    /// Entries that should have had a factor but have a non-finite feature.
    nonfinite: u64,
}

/// What the first pass finds over the control region.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegionSums {
    /// sum w and sum w rw over the region's entries with a factor.
    pub sums: NormSums,
    /// Entries in the control region.
    pub region_events: usize,
    /// Entries that should have had a factor but have a non-finite feature.
    pub nonfinite: u64,
}

/// Weighs the entries `range` of `chain` chunk by chunk: calls `body` with a source of
/// the weighed chunks, in entry order (`Ok(None)` after the last), while the next chunk
/// is read ahead ([`read_ahead`]).
fn weighed<R>(
    chain: &Chain,
    spec: &WeighSpec,
    range: Range<u64>,
    body: impl FnOnce(&mut (dyn FnMut() -> Result<Option<Weighed>> + Send)) -> R,
) -> R {
    let mut exprs = spec.scorer.exprs();
    exprs.push(spec.weight);
    exprs.extend(spec.cut);
    let ranges = chunk_plan_in(chain, &exprs, ChunkSize::SCORE, range);
    read_ahead(chain, &exprs, ranges, |read| {
        let mut buf = ScoreBuffers::default();
        let mut next = move || -> Result<Option<Weighed>> {
            let Some(cols) = read() else {
                return Ok(None);
            };
            let cols = cols?;
            let n = cols.entries;
            let region: Vec<bool> = match spec.cut {
                Some(c) => cols
                    .eval(c)?
                    .iter()
                    .map(|&v| v != 0.0 && !v.is_nan())
                    .collect(),
                None => vec![true; n],
            };
            let select = (spec.apply_to == ApplyTo::Region).then_some(&region[..]);
            let c = spec
                .scorer
                .score_chunk(&cols, chain, select, false, &mut buf)?;
            let rw =
                c.z.iter()
                    .map(|&z| {
                        if z.is_nan() {
                            f64::NAN
                        } else {
                            factor(z, spec.max_weight)
                        }
                    })
                    .collect();
            Ok(Some(Weighed {
                rw,
                w: cols.eval(spec.weight)?,
                region,
                nonfinite: c.nonfinite,
            }))
        };
        body(&mut next)
    })
}

/// The first pass: every entry of `chain` weighed, the normalisation's sums taken over
/// the control region in entry order.
pub fn weigh_region(chain: &Chain, spec: &WeighSpec, progress: &Progress) -> Result<RegionSums> {
    let mut out = RegionSums::default();
    let bar = progress.bar(chain.entries(), "entries", "weighting");
    weighed(chain, spec, 0..chain.entries(), |next| -> Result<()> {
        while let Some(c) = next()? {
            for ((&w, &rw), &inside) in c.w.iter().zip(&c.rw).zip(&c.region) {
                if inside {
                    out.region_events += 1;
                    out.sums.add(w, rw);
                }
            }
            out.nonfinite += c.nonfinite;
            bar.inc(c.w.len() as u64);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(out)
}

/// The second pass for one file of the chain (its entries `range`): its friend tree
/// `tree` at `path` with `rw` and `weight_rw = w * rw * c` (both double), streamed, as
/// a TTree or an RNTuple (`format`; `None` follows the chain's own kind).
pub fn write_weighted(
    chain: &Chain,
    spec: &WeighSpec,
    (path, range): (&Path, Range<u64>),
    tree: &str,
    c: f64,
    (overwrite, format): (bool, Option<FriendFormat>),
) -> Result<()> {
    let format = FriendFormat::for_input(format, chain);
    let columns = [
        StreamColumn {
            name: "rw".into(),
            kind: FriendType::F64,
        },
        StreamColumn {
            name: "weight_rw".into(),
            kind: FriendType::F64,
        },
    ];
    let source = FriendSource::of_range(chain, range.clone());
    let stream = FriendStream {
        path,
        tree,
        columns: &columns,
        entries: range.end - range.start,
        overwrite,
        source: Some(&source),
    };
    weighed(chain, spec, range, |next| {
        write_friend_stream_as(&stream, format, || {
            let Some(ch) = next()? else {
                return Ok(None);
            };
            let weight_rw =
                ch.w.iter()
                    .zip(&ch.rw)
                    .map(|(&w, &rw)| w * rw * c)
                    .collect();
            Ok(Some(vec![
                FriendData::F64(ch.rw),
                FriendData::F64(weight_rw),
            ]))
        })
    })
}
