//! The quantile morphing applied to the simulation chain: every entry's value of each
//! variable mapped by the randomised quantile map
//! T(x, v) = Q_data(F_mc(x-) + v (F_mc(x) - F_mc(x-))) ([`super::cdf::morph_randomised`]),
//! read chunk by chunk ([`crate::data::chunks`]). A NaN or infinite value gives NaN.
//!
//! v is the entry's own uniform number, a pure function of (seed, [`Stream::MorphJitter`],
//! chain entry) ([`jitter`]): the same seed gives the same value for the same entry, on
//! any thread count and whichever chunk it is read in. The before/after metrics are
//! computed on a held-out half of the control region ([`held_out`]): CDFs built from the
//! events of one half judge the other half, so that a map that only fits its own events
//! cannot look good.

use crate::data::chunks::{chunk_plan, read_ahead, ChunkSize};
use crate::expr::Expr;
use crate::metrics::agreement::Agreement;
use crate::progress::Progress;
use crate::random::{key, Stream};
use crate::root::Chain;
use crate::Result;

use super::cdf::{morph_randomised, WeightedCdf};

/// Entry `entry`'s uniform number in (0, 1): the top 53 bits of key(seed, stream,
/// entry), shifted by half a step so that neither end is reached.
pub fn jitter(seed: u64, entry: u64) -> f64 {
    let h = key(&[seed, Stream::MorphJitter.id(), entry]);
    ((h >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Whether entry `entry` is in the judging half (the other half builds the CDFs the
/// held-out metrics use): the lowest bit of key(seed, stream, entry).
pub fn in_judging_half(seed: u64, entry: u64) -> bool {
    key(&[seed, Stream::MorphHalf.id(), entry]) & 1 == 1
}

/// One sample's values of a variable: value, signed weight and chain entry per event.
#[derive(Debug, Clone, Copy)]
pub struct Events<'a> {
    pub x: &'a [f64],
    pub w: &'a [f64],
    pub entry: &'a [u64],
}

impl Events<'_> {
    /// The (values, weights, entries) of the events in (`judging` true) or out of the
    /// judging half.
    fn half(&self, seed: u64, judging: bool) -> (Vec<f64>, Vec<f64>, Vec<u64>) {
        let mut out = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..self.x.len() {
            if in_judging_half(seed, self.entry[i]) == judging {
                out.0.push(self.x[i]);
                out.1.push(self.w[i]);
                out.2.push(self.entry[i]);
            }
        }
        out
    }
}

/// The morphed values of events (value, entry) with the CDF pair (simulation, data).
pub fn morph_events(
    fm: &WeightedCdf,
    fd: &WeightedCdf,
    x: &[f64],
    entry: &[u64],
    seed: u64,
) -> Vec<f64> {
    x.iter()
        .zip(entry)
        .map(|(&v, &e)| morph_value(fm, fd, v, jitter(seed, e)))
        .collect()
}

fn morph_value(fm: &WeightedCdf, fd: &WeightedCdf, x: f64, v: f64) -> f64 {
    if x.is_finite() {
        morph_randomised(fm, fd, x, v)
    } else {
        f64::NAN
    }
}

/// The held-out comparison of one variable: data and simulation of the judging half
/// (values, weights), and that simulation morphed with CDFs built from the other half.
#[derive(Debug, Clone)]
pub struct HeldOut {
    pub data: (Vec<f64>, Vec<f64>),
    pub mc: (Vec<f64>, Vec<f64>),
    pub morphed: Vec<f64>,
}

/// Splits both samples in halves by [`in_judging_half`], builds the CDFs from the
/// building half and morphs the judging half's simulation; `what` names the variable in
/// errors (a half with no events or no positive total weight).
pub fn held_out(data: Events, mc: Events, seed: u64, what: &str) -> Result<HeldOut> {
    let (bd, bdw, _) = data.half(seed, false);
    let (bm, bmw, _) = mc.half(seed, false);
    let fd = WeightedCdf::new(&bd, &bdw, &format!("{what} in domain.data (building half)"))?;
    let fm = WeightedCdf::new(&bm, &bmw, &format!("{what} in domain.mc (building half)"))?;
    let (jd, jdw, _) = data.half(seed, true);
    let (jm, jmw, jme) = mc.half(seed, true);
    let morphed = morph_events(&fm, &fd, &jm, &jme, seed);
    Ok(HeldOut {
        data: (jd, jdw),
        mc: (jm, jmw),
        morphed,
    })
}

/// A warning when morphing made the held-out agreement worse (a larger KS distance or
/// a larger chi2/ndf), naming the variable and both numbers; None otherwise.
pub fn worse(var: &str, before: &Agreement, after: &Agreement) -> Option<String> {
    let mut what = Vec::new();
    if after.ks > before.ks {
        what.push(format!("KS {:.4} -> {:.4}", before.ks, after.ks));
    }
    if let (Some(b), Some(a)) = (before.chi2_per_ndf(), after.chi2_per_ndf()) {
        if a > b {
            what.push(format!("chi2/ndf {b:.2} -> {a:.2}"));
        }
    }
    (!what.is_empty()).then(|| {
        format!(
            "morphing `{var}` made the held-out data/simulation agreement worse ({}); do not \
             use its morphed branch without looking at the figure",
            what.join(", ")
        )
    })
}

/// The morphed values of `vars` for every entry of `chain`, one column per variable;
/// `cdfs[j]` is variable j's (simulation, data) CDF pair; `seed` keys each entry's
/// [`jitter`].
pub fn morph_chain(
    chain: &Chain,
    vars: &[Expr],
    cdfs: &[(WeightedCdf, WeightedCdf)],
    seed: u64,
    progress: &Progress,
) -> Result<Vec<Vec<f64>>> {
    let exprs: Vec<&Expr> = vars.iter().collect();
    let total = chain.entries();
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(total as usize); vars.len()];
    let bar = progress.bar(total, "entries", "morphing");
    let ranges = chunk_plan(chain, &exprs, ChunkSize::SCORE);
    read_ahead(chain, &exprs, ranges, |read| -> Result<()> {
        while let Some(cols) = read() {
            let cols = cols?;
            let first = cols.first_entry;
            for ((e, (fm, fd)), out) in vars.iter().zip(cdfs).zip(&mut values) {
                let x = cols.eval(e)?;
                out.extend(
                    x.iter()
                        .enumerate()
                        .map(|(i, &v)| morph_value(fm, fd, v, jitter(seed, first + i as u64))),
                );
            }
            bar.inc(cols.entries as u64);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(values)
}
