//! Data/simulation scale factors of a score cut: the efficiency of `score >= t` in data
//! (sWeighted) and in simulation, in bins of a variable, and their ratio
//! SF = eff_data / eff_mc, with statistical uncertainties from sums of weights and of
//! squared weights. What `rootgrad sf` tabulates; derived in docs/maths.md
//! ("Efficiencies and scale factors with signed weights").
//!
//! In one bin, with P = sum of the weights of the events that pass and F = sum of those
//! that fail (P2, F2 the sums of their squared weights):
//!
//! ```text
//! eff = P / (P + F)
//! var(eff) = (F^2 * P2 + P^2 * F2) / (P + F)^4
//! SF = eff_d / eff_m      var(SF) = SF^2 * (var(eff_d) / eff_d^2 + var(eff_m) / eff_m^2)
//! ```
//!
//! P and F are sums over disjoint events, so they are independent and each has variance
//! the sum of its squared weights; the formula holds for signed weights (NLO generator
//! weights, sWeights) where the binomial eff (1 - eff) / N does not. Negative weights
//! enter every sum with their sign; zero weights count as events and add nothing. An
//! event passes when its score is at or above the threshold (as `roc_curve` counts a
//! threshold). Values of the variable outside the edges are not counted.

use serde::Serialize;

use crate::{Error, Result};

/// The sums of one bin of one sample.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Counts {
    /// Events in the bin (any weight).
    pub events: usize,
    /// Sum of the weights of the events that pass, and of their squares.
    pub pass: f64,
    pub pass_w2: f64,
    /// Sum of the weights of the events that fail, and of their squares.
    pub fail: f64,
    pub fail_w2: f64,
}

impl Counts {
    /// The efficiency P / (P + F) and its standard deviation (module doc); `None` when
    /// P + F is zero (no events, or weights that cancel).
    pub fn efficiency(&self) -> Option<(f64, f64)> {
        let t = self.pass + self.fail;
        if t == 0.0 || !t.is_finite() {
            return None;
        }
        let eff = self.pass / t;
        // d eff / dP = F / t^2, d eff / dF = -P / t^2; P and F independent
        let var = (self.fail * self.fail * self.pass_w2 + self.pass * self.pass * self.fail_w2)
            / (t * t * t * t);
        Some((eff, var.max(0.0).sqrt()))
    }
}

/// One bin of the variable at one working point.
#[derive(Debug, Clone, Serialize)]
pub struct SfBin {
    pub lo: f64,
    pub hi: f64,
    pub data: Counts,
    pub mc: Counts,
    pub eff_data: Option<f64>,
    pub eff_data_err: Option<f64>,
    pub eff_mc: Option<f64>,
    pub eff_mc_err: Option<f64>,
    pub sf: Option<f64>,
    pub sf_err: Option<f64>,
}

/// The scale factors of one working point, bin by bin.
#[derive(Debug, Clone, Serialize)]
pub struct WorkingPointSf {
    /// The score threshold: an event passes when score >= threshold.
    pub threshold: f64,
    pub bins: Vec<SfBin>,
}

/// One sample: the variable, the score and the weight of every event.
#[derive(Debug, Clone, Copy)]
pub struct SfSample<'a> {
    pub name: &'a str,
    pub var: &'a [f64],
    pub score: &'a [f64],
    pub weight: &'a [f64],
}

impl SfSample<'_> {
    fn check(&self) -> Result<()> {
        if self.var.len() != self.score.len() || self.var.len() != self.weight.len() {
            return Err(Error::Usage(format!(
                "scale factors: {} has {} values of the variable, {} scores and {} weights; \
                 they must be equal",
                self.name,
                self.var.len(),
                self.score.len(),
                self.weight.len()
            )));
        }
        for (i, (&s, &w)) in self.score.iter().zip(self.weight).enumerate() {
            if !s.is_finite() || !w.is_finite() {
                return Err(Error::Usage(format!(
                    "scale factors: {} event {i} has score {s} and weight {w}; both must be \
                     finite (select the events with --cut)",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// The sums of every bin of `edges` at `threshold`.
    fn counts(&self, edges: &[f64], threshold: f64) -> Vec<Counts> {
        let n = edges.len() - 1;
        let mut c = vec![Counts::default(); n];
        for ((&x, &s), &w) in self.var.iter().zip(self.score).zip(self.weight) {
            if !(x >= edges[0] && x <= edges[n]) {
                continue;
            }
            // the bin [e_i, e_{i+1}); the last bin includes its upper edge
            let i = edges
                .partition_point(|&e| e <= x)
                .saturating_sub(1)
                .min(n - 1);
            let b = &mut c[i];
            b.events += 1;
            if s >= threshold {
                b.pass += w;
                b.pass_w2 += w * w;
            } else {
                b.fail += w;
                b.fail_w2 += w * w;
            }
        }
        c
    }
}

/// Checks the bin edges (finite, increasing, at least two) and the thresholds (at least
/// one, finite), before anything is read.
pub fn check_binning(edges: &[f64], thresholds: &[f64]) -> Result<()> {
    if edges.len() < 2
        || edges.iter().any(|e| !e.is_finite())
        || edges.windows(2).any(|e| e[0] >= e[1])
    {
        return Err(Error::Usage(format!(
            "scale factors: bin edges {edges:?} must be finite and increasing, at least two, \
             e.g. --edges 20,30,50,100"
        )));
    }
    if thresholds.is_empty() || thresholds.iter().any(|t| !t.is_finite()) {
        return Err(Error::Usage(format!(
            "scale factors: working points {thresholds:?}: give at least one finite score \
             threshold, e.g. --wp 0.5,0.8"
        )));
    }
    Ok(())
}

/// The scale factors at every threshold, in the bins of `edges` (increasing, at least two).
pub fn scale_factors(
    data: SfSample,
    mc: SfSample,
    edges: &[f64],
    thresholds: &[f64],
) -> Result<Vec<WorkingPointSf>> {
    check_binning(edges, thresholds)?;
    data.check()?;
    mc.check()?;
    Ok(thresholds
        .iter()
        .map(|&t| {
            let (cd, cm) = (data.counts(edges, t), mc.counts(edges, t));
            let bins = cd
                .iter()
                .zip(&cm)
                .enumerate()
                .map(|(i, (d, m))| bin(edges[i], edges[i + 1], *d, *m))
                .collect();
            WorkingPointSf { threshold: t, bins }
        })
        .collect())
}

fn bin(lo: f64, hi: f64, d: Counts, m: Counts) -> SfBin {
    let (ed, em) = (d.efficiency(), m.efficiency());
    let sf = match (ed, em) {
        (Some((a, sa)), Some((b, sb))) if a != 0.0 && b != 0.0 => {
            let r = a / b;
            // independent samples: relative variances add
            let rel = (sa / a).powi(2) + (sb / b).powi(2);
            Some((r, r.abs() * rel.sqrt()))
        }
        _ => None,
    };
    SfBin {
        lo,
        hi,
        data: d,
        mc: m,
        eff_data: ed.map(|e| e.0),
        eff_data_err: ed.map(|e| e.1),
        eff_mc: em.map(|e| e.0),
        eff_mc_err: em.map(|e| e.1),
        sf: sf.map(|s| s.0),
        sf_err: sf.map(|s| s.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_weights_give_the_binomial_error() {
        // 3 of 4 pass, unit weights: eff 0.75, var = eff (1 - eff) / N
        let c = Counts {
            events: 4,
            pass: 3.0,
            pass_w2: 3.0,
            fail: 1.0,
            fail_w2: 1.0,
        };
        let (e, s) = c.efficiency().unwrap();
        assert_eq!(e, 0.75);
        assert!((s - (0.75f64 * 0.25 / 4.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn bad_edges_and_lengths_are_refused() {
        let v = [1.0, 2.0];
        let s = SfSample {
            name: "data",
            var: &v,
            score: &v,
            weight: &v[..1],
        };
        let ok = SfSample { weight: &v, ..s };
        assert!(scale_factors(ok, ok, &[1.0], &[0.5]).is_err());
        assert!(scale_factors(ok, ok, &[2.0, 1.0], &[0.5]).is_err());
        assert!(scale_factors(ok, ok, &[0.0, 3.0], &[]).is_err());
        let e = scale_factors(s, ok, &[0.0, 3.0], &[0.5]).unwrap_err();
        assert!(e.to_string().contains("data has 2 values"), "{e}");
    }
}
