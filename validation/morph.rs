//! `morph` on variables with point masses and integer values (issue 17, item 1): a
//! toy isolation with a spike at 0 in both samples (78% of the simulation, 55% of the
//! data) and a Poisson count (means 18 and 21). After morphing, the simulation's spike
//! fraction and integer pmf must be the data's within statistical error; the expected
//! values and errors come from validation/morph_golden.py (the formula and
//! scipy.stats.poisson, validation/data/morph/golden.json), which also cross-checks the
//! method with its own numpy implementation.

use std::path::Path;

use rootgrad::metrics::agreement::compare;
use rootgrad::random::SplitMix64;
use rootgrad::reweight::cdf::{morph, WeightedCdf};
use rootgrad::reweight::morph::{held_out, jitter, morph_events, worse, Events};
use serde_json::Value as Json;

use crate::workflow::json;

fn golden() -> Json {
    json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("validation/data/morph/golden.json"))
}

fn f(v: &Json) -> f64 {
    v.as_f64().expect("number")
}

/// A spike at 0 with fraction `p`, else exponential of scale `s`; then log(x + offset).
fn isolation(n: usize, p: f64, s: f64, offset: f64, seed: u64) -> Vec<f64> {
    let mut r = SplitMix64::new(&[seed, 1]);
    (0..n)
        .map(|_| {
            let x = if r.uniform() < p {
                0.0
            } else {
                -s * (1.0 - r.uniform()).ln()
            };
            (x + offset).ln()
        })
        .collect()
}

/// Poisson counts of mean `mu` (Knuth's product of uniforms).
fn poisson(n: usize, mu: f64, seed: u64) -> Vec<f64> {
    let mut r = SplitMix64::new(&[seed, 2]);
    let limit = (-mu).exp();
    (0..n)
        .map(|_| {
            let (mut k, mut prod) = (0.0, r.uniform());
            while prod > limit {
                k += 1.0;
                prod *= r.uniform();
            }
            k
        })
        .collect()
}

fn fraction(x: &[f64], w: &[f64], value: f64) -> f64 {
    let total: f64 = w.iter().sum();
    x.iter()
        .zip(w)
        .filter(|(&v, _)| v == value)
        .map(|(_, &w)| w)
        .sum::<f64>()
        / total
}

struct Toy {
    mc: Vec<f64>,
    data: Vec<f64>,
    ones_mc: Vec<f64>,
    ones_data: Vec<f64>,
    entries_mc: Vec<u64>,
    entries_data: Vec<u64>,
}

impl Toy {
    fn new(mc: Vec<f64>, data: Vec<f64>) -> Toy {
        Toy {
            ones_mc: vec![1.0; mc.len()],
            ones_data: vec![1.0; data.len()],
            entries_mc: (0..mc.len() as u64).collect(),
            entries_data: (0..data.len() as u64).collect(),
            mc,
            data,
        }
    }

    /// Morphed with CDFs of every event (what the friend tree gets).
    fn morphed(&self, seed: u64) -> Vec<f64> {
        let fm = WeightedCdf::new(&self.mc, &self.ones_mc, "mc").unwrap();
        let fd = WeightedCdf::new(&self.data, &self.ones_data, "data").unwrap();
        morph_events(&fm, &fd, &self.mc, &self.entries_mc, seed)
    }

    fn held_out(&self, seed: u64) -> rootgrad::reweight::morph::HeldOut {
        let d = Events {
            x: &self.data,
            w: &self.ones_data,
            entry: &self.entries_data,
        };
        let m = Events {
            x: &self.mc,
            w: &self.ones_mc,
            entry: &self.entries_mc,
        };
        held_out(d, m, seed, "toy").unwrap()
    }
}

fn isolation_toy(g: &Json) -> (Toy, f64) {
    let iso = &g["isolation"];
    let off = f(&iso["offset"]);
    let n_mc = g["n_mc"].as_u64().unwrap() as usize;
    let n_data = g["n_data"].as_u64().unwrap() as usize;
    let mc = isolation(n_mc, f(&iso["spike_mc"]), f(&iso["tail_mc"]), off, 1);
    let data = isolation(n_data, f(&iso["spike_data"]), f(&iso["tail_data"]), off, 2);
    (Toy::new(mc, data), (0.0 + off).ln())
}

#[test]
fn morph_gives_a_spike_the_datas_fraction() {
    let g = golden();
    let iso = &g["isolation"];
    let (toy, spike) = isolation_toy(&g);
    let (want, sigma) = (f(&iso["want_spike_fraction"]), f(&iso["sigma"]));
    let got = fraction(&toy.morphed(7), &toy.ones_mc, spike);
    assert!(
        (got - want).abs() < 4.0 * sigma,
        "spike fraction {got}, want {want} +- {sigma}"
    );
    // held out: half the events on each side, so sqrt(2) times the error
    let h = toy.held_out(7);
    let got = fraction(&h.morphed, &h.mc.1, spike);
    assert!(
        (got - want).abs() < 4.0 * sigma * 2f64.sqrt(),
        "held-out spike fraction {got}, want {want}"
    );
    // the map before the fix sent the whole spike to one value above data's spike
    let fm = WeightedCdf::new(&toy.mc, &toy.ones_mc, "mc").unwrap();
    let fd = WeightedCdf::new(&toy.data, &toy.ones_data, "data").unwrap();
    let old: Vec<f64> = toy.mc.iter().map(|&x| morph(&fm, &fd, x)).collect();
    assert!(fraction(&old, &toy.ones_mc, spike) < want - 10.0 * sigma);
}

#[test]
fn morph_gives_an_integer_variable_the_datas_pmf() {
    let g = golden();
    let npv = &g["npv"];
    let n_mc = g["n_mc"].as_u64().unwrap() as usize;
    let n_data = g["n_data"].as_u64().unwrap() as usize;
    let toy = Toy::new(
        poisson(n_mc, f(&npv["mean_mc"]), 3),
        poisson(n_data, f(&npv["mean_data"]), 4),
    );
    let ks: Vec<f64> = npv["k"].as_array().unwrap().iter().map(f).collect();
    let want: Vec<f64> = npv["want_pmf"].as_array().unwrap().iter().map(f).collect();
    let sigma: Vec<f64> = npv["sigma"].as_array().unwrap().iter().map(f).collect();
    let morphed = toy.morphed(11);
    let h = toy.held_out(11);
    for i in 0..ks.len() {
        let got = fraction(&morphed, &toy.ones_mc, ks[i]);
        assert!(
            (got - want[i]).abs() < 4.5 * sigma[i],
            "P(nPV = {}) = {got}, want {} +- {}",
            ks[i],
            want[i],
            sigma[i]
        );
        let got = fraction(&h.morphed, &h.mc.1, ks[i]);
        assert!(
            (got - want[i]).abs() < 4.5 * sigma[i] * 2f64.sqrt(),
            "held out: P(nPV = {}) = {got}, want {}",
            ks[i],
            want[i]
        );
        // morphed values stay integers of data's support
        assert!(morphed.iter().all(|v| v.fract() == 0.0));
    }
}

#[test]
fn morph_is_reproducible_per_entry_and_warns_when_worse() {
    let g = golden();
    let (toy, _) = isolation_toy(&g);
    let fm = WeightedCdf::new(&toy.mc, &toy.ones_mc, "mc").unwrap();
    let fd = WeightedCdf::new(&toy.data, &toy.ones_data, "data").unwrap();
    let all = toy.morphed(5);
    // the same entry gives the same value in any order or subset
    let pick: Vec<usize> = (0..toy.mc.len()).rev().step_by(7).collect();
    let x: Vec<f64> = pick.iter().map(|&i| toy.mc[i]).collect();
    let e: Vec<u64> = pick.iter().map(|&i| i as u64).collect();
    let some = morph_events(&fm, &fd, &x, &e, 5);
    for (k, &i) in pick.iter().enumerate() {
        assert_eq!(some[k], all[i], "entry {i}");
    }
    assert_eq!(toy.morphed(5), all);
    assert_ne!(toy.morphed(6), all, "another seed, other jitters");
    assert!((0..1000u64).all(|e| {
        let v = jitter(5, e);
        v > 0.0 && v < 1.0
    }));
    // the held-out agreement: better after the morph, so no warning; swapped, a warning
    let h = toy.held_out(5);
    let edges: Vec<f64> = (0..=40).map(|i| -7.0 + 0.25 * i as f64).collect();
    let d = (&h.data.0[..], &h.data.1[..]);
    let (before, _, _) = compare("iso", d, (&h.mc.0, &h.mc.1), &edges).unwrap();
    let (after, _, _) = compare("iso", d, (&h.morphed, &h.mc.1), &edges).unwrap();
    assert!(after.ks < 0.1 * before.ks, "{} -> {}", before.ks, after.ks);
    assert!(worse("iso", &before, &after).is_none());
    let w = worse("iso", &after, &before).expect("a warning");
    assert!(w.contains("iso") && w.contains("worse"), "{w}");
}
