//! Scenario C, the morph toy (`samples generate --scenario morph-toy`): a control region
//! of data and simulation with three conditioning variables (pt, eta, rho) and six
//! shower-shape-like variables whose mismodelling is known and is of the kinds a
//! per-variable morph cannot fix: a shift that depends on |eta| (and changes sign
//! between barrel and endcap), a correlation the simulation gets wrong with matching
//! marginals, a point mass at 0 whose fraction depends on eta and pt, and a variable
//! computed from earlier ones (so the chain order matters). Every number is listed in
//! samples/README.md, "C. The morph toy".

use super::{expo, gauss, stream, Columns, SampleFile};
use crate::random::{SplitMix64, Stream};

/// The run description written next to the files.
pub const CONFIG: &str = include_str!("../../samples/morph_toy.toml");
/// The default number of events of each file.
pub const DEFAULT_EVENTS: usize = 200_000;
/// Fraction of negative generator weights of the simulation.
pub const NEGATIVE_FRACTION: f64 = 0.10;
/// The correlation of the standardised sieie and sipip: data, simulation.
pub const RHO_SHAPES: (f64, f64) = (0.6, 0.2);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Data,
    Sim,
}

/// Barrel or endcap eta, |eta| < 2.5 without the gap 1.4442 < |eta| < 1.566.
fn draw_eta(rng: &mut SplitMix64) -> f64 {
    loop {
        let eta = rng.uniform_in(-2.5, 2.5);
        if !(1.4442..1.566).contains(&eta.abs()) {
            return eta;
        }
    }
}

/// The simulation's shift of r9 at |eta|: +0.012 in the barrel, -0.010 in the endcap,
/// plus the trend 0.004 (|eta| - 1.25) everywhere.
pub fn r9_shift(abs_eta: f64) -> f64 {
    let step = if abs_eta < 1.5 { 0.012 } else { -0.010 };
    step + 0.004 * (abs_eta - 1.25)
}

/// The probability that iso is exactly 0, data and simulation, at |eta| and pt.
pub fn iso_zero_probability(abs_eta: f64, pt: f64, sim: bool) -> f64 {
    let p = if sim {
        0.80 - 0.04 * abs_eta + 0.0010 * (pt - 45.0)
    } else {
        0.72 - 0.08 * abs_eta + 0.0015 * (pt - 45.0)
    };
    p.clamp(0.05, 0.95)
}

struct Event {
    pt: f64,
    eta: f64,
    rho: f64,
    r9: f64,
    sieie: f64,
    sipip: f64,
    iso: f64,
    hoe: f64,
    etaw: f64,
}

fn event(rng: &mut SplitMix64, src: Source) -> Event {
    let sim = src == Source::Sim;
    // conditioning variables: the same distributions in data and simulation
    let pt = 25.0 + expo(rng, 20.0);
    let eta = draw_eta(rng);
    let rho = gauss(rng, 30.0, 8.0).max(0.0);
    let a = eta.abs();
    // r9: falls with pileup; the simulation's shift depends on |eta|
    let mut r9 = gauss(rng, 0.930 - 0.0010 * (rho - 30.0), 0.030);
    if sim {
        r9 += r9_shift(a);
    }
    let r9 = if r9 > 1.0 { 2.0 - r9 } else { r9 }.max(0.5);
    // sieie, sipip: a bivariate normal with correlation 0.6 (data) or 0.2 (sim)
    let rho_s = if sim { RHO_SHAPES.1 } else { RHO_SHAPES.0 };
    let z1 = rng.normal();
    let z2 = rho_s * z1 + (1.0 - rho_s * rho_s).sqrt() * rng.normal();
    let (m1, m2) = if sim {
        (0.0106, 0.0123)
    } else {
        (0.0110, 0.0120)
    };
    let sieie = m1 + 0.0010 * z1;
    let sipip = m2 + 0.0012 * z2;
    // iso: a point mass at 0 (probability by eta and pt), an exponential tail above
    let p0 = iso_zero_probability(a, pt, sim);
    let tail = if sim { 0.60 } else { 0.80 } + 0.02 * rho;
    let iso = if rng.uniform() < p0 {
        0.0
    } else {
        expo(rng, tail)
    };
    // hoe: made from r9 and iso by the same formula in data and simulation
    let hoe = 0.05 * (1.0 - r9) + 0.002 * iso + expo(rng, 0.004);
    // etaw: falls with pt; the simulation's is 10% narrower
    let etaw = 0.0090 + 0.1 / pt + gauss(rng, 0.0, if sim { 0.00072 } else { 0.00080 });
    Event {
        pt,
        eta,
        rho,
        r9,
        sieie,
        sipip,
        iso,
        hoe,
        etaw,
    }
}

/// An NLO-like generator weight: |w| = exp(0.1 N(0,1)), negative with probability 10%.
fn gen_weight(rng: &mut SplitMix64) -> f64 {
    let mag = (0.1 * rng.normal()).exp();
    if rng.uniform() < NEGATIVE_FRACTION {
        -mag
    } else {
        mag
    }
}

fn sample(events: usize, seed: u64, src: Source) -> SampleFile {
    let s = match src {
        Source::Data => Stream::ToyMorphData,
        Source::Sim => Stream::ToyMorphMc,
    };
    let mut rng = stream(seed, s);
    let mut cols: [Vec<f64>; 9] = Default::default();
    let mut genw = Vec::new();
    for _ in 0..events {
        let e = event(&mut rng, src);
        let vals = [
            e.pt, e.eta, e.rho, e.r9, e.sieie, e.sipip, e.iso, e.hoe, e.etaw,
        ];
        for (c, v) in cols.iter_mut().zip(vals) {
            c.push(v);
        }
        if src == Source::Sim {
            genw.push(gen_weight(&mut rng));
        }
    }
    let mut c = Columns::default();
    let names = [
        "pt", "eta", "rho", "r9", "sieie", "sipip", "iso", "hoe", "etaw",
    ];
    for (name, v) in names.into_iter().zip(cols) {
        c.f32(name, v);
    }
    if src == Source::Sim {
        c.f64("genWeight", genw);
    }
    c.i64("event", (0..events as i64).collect());
    c.into_file(match src {
        Source::Data => "morph_toy_data.root",
        Source::Sim => "morph_toy_mc.root",
    })
}

/// The two files of the scenario: data and simulation, `events` entries each.
pub fn generate(events: usize, seed: u64) -> Vec<SampleFile> {
    vec![
        sample(events, seed, Source::Data),
        sample(events, seed, Source::Sim),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::correlation::weighted_correlation;

    fn column(f: &SampleFile, name: &str) -> Vec<f64> {
        let c = f.columns.iter().find(|c| c.name == name).unwrap();
        match &c.data {
            crate::root::write::FriendData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            crate::root::write::FriendData::F64(v) => v.clone(),
            _ => panic!("{name}"),
        }
    }

    // The truth of samples/README.md, "C. The morph toy", checked on 40,000 events: the
    // shape correlation (data 0.6, sim 0.2; standard error ~0.005), the iso point mass
    // fraction, the negative weight fraction.
    #[test]
    fn the_toy_has_its_documented_truth() {
        let files = generate(40_000, 1);
        let (data, mc) = (&files[0], &files[1]);
        assert_eq!(data.entries(), 40_000);
        let corr = |f: &SampleFile, w: &[f64]| {
            let (a, b) = (column(f, "sieie"), column(f, "sipip"));
            weighted_correlation(&[&a, &b], w).unwrap()[0][1]
        };
        let ones = vec![1.0; 40_000];
        let r_data = corr(data, &ones);
        let r_mc = corr(mc, &ones);
        assert!((r_data - 0.6).abs() < 0.02, "{r_data}");
        assert!((r_mc - 0.2).abs() < 0.02, "{r_mc}");
        let w = column(mc, "genWeight");
        let neg = w.iter().filter(|&&x| x < 0.0).count() as f64 / w.len() as f64;
        assert!((neg - 0.10).abs() < 0.01, "{neg}");
        let iso = column(data, "iso");
        let zero = iso.iter().filter(|&&x| x == 0.0).count() as f64 / iso.len() as f64;
        // mean of 0.72 - 0.08 |eta| + 0.0015 (pt - 45) over |eta| ~ U(0, 2.5) (gap
        // aside) and pt = 25 + Exp(20): 0.72 - 0.1 + 0 = 0.62
        assert!((zero - 0.62).abs() < 0.02, "{zero}");
        assert!(mc.columns.iter().any(|c| c.name == "genWeight"));
        assert!(!data.columns.iter().any(|c| c.name == "genWeight"));
    }

    #[test]
    fn shift_changes_sign_between_barrel_and_endcap() {
        assert!(r9_shift(0.5) > 0.0 && r9_shift(2.0) < 0.0);
        assert!((r9_shift(1.25) - 0.012).abs() < 1e-15);
    }
}
