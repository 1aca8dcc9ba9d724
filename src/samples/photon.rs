//! Scenario A, photon identification: simulated photon+jet events (prompt photons and
//! fakes from jets), and a Z->ee control region in data and simulation in which the
//! simulation mismodels the shower shapes (r9 too high and too narrow, sigma_ieta_ieta
//! too small) and underestimates the isolation tails. Data carries sWeights from an
//! sPlot fit of m_ee; simulation carries signed NLO-like generator weights and a pileup
//! weight. Every number is listed in samples/README.md.

use super::splot::{Shape, WindowShape};
use super::{
    expo, gauss, permutation, splot_fit, stream, Columns, FitRecord, SampleFile, SplotSample,
};
use crate::random::{SplitMix64, Stream};
use crate::Result;

/// The m_ee window of the control region and the shapes of the sPlot fit.
pub const MEE_WINDOW: (f64, f64) = (60.0, 120.0);
pub const Z_PEAK: Shape = Shape::Gauss {
    mean: 91.19,
    sigma: 3.0,
};
pub const Z_BACKGROUND: Shape = Shape::Exp { slope: -0.04 };
/// Fraction of Z signal among the data events in the window.
pub const Z_PURITY: f64 = 0.70;
/// Fraction of generator weights that are negative.
pub const NEGATIVE_FRACTION: f64 = 0.10;

/// Where an event's shower shapes come from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Data,
    Sim,
}

struct Shower {
    r9: f64,
    sieie: f64,
    hoe: f64,
    iso_chg: f64,
    iso_all: f64,
}

/// Barrel or endcap |eta|, avoiding the gap 1.4442 < |eta| < 1.566.
fn draw_eta(rng: &mut SplitMix64) -> f64 {
    loop {
        let eta = rng.uniform_in(-2.5, 2.5);
        if !(1.4442..1.566).contains(&eta.abs()) {
            return eta;
        }
    }
}

fn reflect_r9(r9: f64) -> f64 {
    let r = if r9 > 1.0 { 2.0 - r9 } else { r9 };
    r.clamp(0.2, 1.0)
}

/// The shower shapes and isolation of a prompt photon or electron (`prompt`) or of a
/// jet faking one, in data or in simulation.
fn shower(rng: &mut SplitMix64, prompt: bool, src: Source, endcap: bool, npv: f64) -> Shower {
    let sim = src == Source::Sim;
    let (r9, sieie, hoe, iso_chg, neutral);
    if prompt {
        // 30% converted photons (or bremsstrahlung electrons): lower, wider r9
        let converted = rng.uniform() < 0.30;
        r9 = reflect_r9(match (converted, sim) {
            (false, false) => gauss(rng, 0.940, 0.030),
            (false, true) => gauss(rng, 0.946, 0.025),
            (true, false) => gauss(rng, 0.800, 0.080),
            (true, true) => gauss(rng, 0.810, 0.070),
        });
        let s = match (endcap, sim) {
            (false, false) => gauss(rng, 0.0100, 0.0009),
            (false, true) => gauss(rng, 0.0096, 0.0008),
            (true, false) => gauss(rng, 0.0270, 0.0022),
            (true, true) => gauss(rng, 0.0262, 0.0020),
        };
        sieie = s.max(0.004);
        hoe = expo(rng, 0.012);
        // charged isolation: zero in most events, an exponential tail otherwise; the
        // simulation has fewer and softer tails
        let (p0, tail) = if sim { (0.78, 0.020) } else { (0.70, 0.030) };
        iso_chg = if rng.uniform() < p0 {
            0.0
        } else {
            expo(rng, tail)
        };
        neutral = expo(rng, if sim { 0.016 } else { 0.025 });
    } else {
        r9 = reflect_r9(gauss(rng, if sim { 0.79 } else { 0.78 }, 0.12));
        let s = match (endcap, sim) {
            (false, false) => gauss(rng, 0.0125, 0.0022),
            (false, true) => gauss(rng, 0.0120, 0.0021),
            (true, false) => gauss(rng, 0.0320, 0.0050),
            (true, true) => gauss(rng, 0.0310, 0.0048),
        };
        sieie = s.max(0.004);
        hoe = expo(rng, 0.045);
        iso_chg = if rng.uniform() < 0.15 {
            0.0
        } else {
            expo(rng, 0.22)
        };
        neutral = expo(rng, 0.12);
    }
    // pileup adds to the total isolation in proportion to the number of vertices
    let pileup = 0.0008 * npv * (0.5 + rng.uniform());
    Shower {
        r9,
        sieie,
        hoe,
        iso_chg,
        iso_all: iso_chg + neutral + pileup,
    }
}

/// Number of primary vertices: Normal(mean, sd) rounded, at least 1.
const NPV_DATA: (f64, f64) = (32.0, 8.0);
const NPV_SIM: (f64, f64) = (28.0, 10.0);

fn draw_npv(rng: &mut SplitMix64, (m, s): (f64, f64)) -> f64 {
    gauss(rng, m, s).round().max(1.0)
}

fn normal_density(x: f64, (m, s): (f64, f64)) -> f64 {
    let z = (x - m) / s;
    (-0.5 * z * z).exp() / s
}

/// The pileup weight: the ratio of the data and simulation nPV densities.
fn pu_weight(npv: f64) -> f64 {
    normal_density(npv, NPV_DATA) / normal_density(npv, NPV_SIM)
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

#[derive(Default)]
struct Rows {
    pt: Vec<f64>,
    eta: Vec<f64>,
    r9: Vec<f64>,
    sieie: Vec<f64>,
    hoe: Vec<f64>,
    iso_chg: Vec<f64>,
    iso_all: Vec<f64>,
    npv: Vec<f64>,
}

impl Rows {
    fn push(&mut self, pt: f64, eta: f64, npv: f64, s: Shower) {
        self.pt.push(pt);
        self.eta.push(eta);
        self.r9.push(s.r9);
        self.sieie.push(s.sieie);
        self.hoe.push(s.hoe);
        self.iso_chg.push(s.iso_chg);
        self.iso_all.push(s.iso_all);
        self.npv.push(npv);
    }

    fn permuted(self, p: &[usize]) -> Rows {
        let pick = |v: Vec<f64>| p.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Rows {
            pt: pick(self.pt),
            eta: pick(self.eta),
            r9: pick(self.r9),
            sieie: pick(self.sieie),
            hoe: pick(self.hoe),
            iso_chg: pick(self.iso_chg),
            iso_all: pick(self.iso_all),
            npv: pick(self.npv),
        }
    }

    fn into_columns(self) -> Columns {
        let mut c = Columns::default();
        c.f32("pt", self.pt);
        c.f32("eta", self.eta);
        c.f32("r9", self.r9);
        c.f32("sieie", self.sieie);
        c.f32("hoe", self.hoe);
        c.f32("pfRelIso03_chg", self.iso_chg);
        c.f32("pfRelIso03_all", self.iso_all);
        c.i32("nPV", self.npv.iter().map(|&x| x as i32).collect());
        c
    }
}

/// Electron pt from Z decays: a Jacobian-like peak near 40 GeV, above 25 GeV.
fn electron_pt(rng: &mut SplitMix64) -> f64 {
    loop {
        let pt = gauss(rng, 41.0, 7.0) + expo(rng, 3.0) - 3.0;
        if pt > 25.0 {
            return pt;
        }
    }
}

/// Generates the three files of the scenario and the record of its sPlot fit.
pub fn generate(events: usize, seed: u64) -> Result<(Vec<SampleFile>, FitRecord)> {
    let events_i = |n: usize, offset: i64| (0..n as i64).map(|i| offset + i).collect::<Vec<_>>();

    // photon_mc.root: photon+jet simulation, half prompt photons, half fakes
    let mut rng = stream(seed, Stream::ToyPhotonMc);
    let mut rows = Rows::default();
    let (mut flav, mut genw, mut puw) = (vec![], vec![], vec![]);
    for _ in 0..events {
        let prompt = rng.uniform() < 0.5;
        let eta = draw_eta(&mut rng);
        let pt = 20.0 + expo(&mut rng, if prompt { 30.0 } else { 20.0 });
        let npv = draw_npv(&mut rng, NPV_SIM);
        let s = shower(&mut rng, prompt, Source::Sim, eta.abs() > 1.5, npv);
        rows.push(pt, eta, npv, s);
        flav.push(if prompt { 1 } else { 0 });
        genw.push(gen_weight(&mut rng));
        puw.push(pu_weight(npv));
    }
    let mut c = rows.into_columns();
    c.i32("genPartFlav", flav);
    c.f64("genWeight", genw);
    c.f32("puWeight", puw);
    c.i64("event", events_i(events, 0));
    let photon_mc = c.into_file("photon_mc.root");

    // zee_data.root: Z->ee probes over a falling background of jets, in the m_ee window
    let (lo, hi) = MEE_WINDOW;
    let peak = WindowShape::new(Z_PEAK, lo, hi);
    let bkg = WindowShape::new(Z_BACKGROUND, lo, hi);
    let n_sig = (Z_PURITY * events as f64).round() as usize;
    let n_bkg = events - n_sig;
    let mut rng = stream(seed, Stream::ToyZeeData);
    let mut rows = Rows::default();
    let (mut mee, mut truth) = (vec![], vec![]);
    for i in 0..events {
        let is_z = i < n_sig;
        let eta = draw_eta(&mut rng);
        let pt = if is_z {
            electron_pt(&mut rng)
        } else {
            25.0 + expo(&mut rng, 15.0)
        };
        let npv = draw_npv(&mut rng, NPV_DATA);
        let s = shower(&mut rng, is_z, Source::Data, eta.abs() > 1.5, npv);
        rows.push(pt, eta, npv, s);
        mee.push(if is_z {
            peak.sample(&mut rng)
        } else {
            bkg.sample(&mut rng)
        });
        truth.push(is_z as i32);
    }
    let p = permutation(&mut rng, events);
    let rows = rows.permuted(&p);
    let mee: Vec<f64> = p.iter().map(|&i| mee[i]).collect();
    let truth: Vec<i32> = p.iter().map(|&i| truth[i]).collect();
    let (record, sweight) = splot_fit(
        SplotSample {
            file: "zee_data.root",
            mass_branch: "mee",
            what: "m_ee",
            window: [lo, hi],
            species: ["Z->ee", "background"],
            generated: [n_sig, n_bkg],
        },
        &mee,
        [peak, bkg],
    )?;
    let mut c = rows.into_columns();
    c.f32("mee", mee);
    c.f64("sWeight", sweight);
    c.i32("truth_isZ", truth);
    c.i64("event", events_i(events, 0));
    let zee_data = c.into_file("zee_data.root");

    // zee_mc.root: Drell-Yan simulation of Z->ee probes
    let mut rng = stream(seed, Stream::ToyZeeMc);
    let mut rows = Rows::default();
    let (mut mee, mut genw, mut puw) = (vec![], vec![], vec![]);
    for _ in 0..events {
        let eta = draw_eta(&mut rng);
        let pt = electron_pt(&mut rng);
        let npv = draw_npv(&mut rng, NPV_SIM);
        let s = shower(&mut rng, true, Source::Sim, eta.abs() > 1.5, npv);
        rows.push(pt, eta, npv, s);
        mee.push(peak.sample(&mut rng));
        genw.push(gen_weight(&mut rng));
        puw.push(pu_weight(npv));
    }
    let mut c = rows.into_columns();
    c.f32("mee", mee);
    c.f64("genWeight", genw);
    c.f32("puWeight", puw);
    c.i64("event", events_i(events, 0));
    let zee_mc = c.into_file("zee_mc.root");

    Ok((vec![photon_mc, zee_data, zee_mc], record))
}
