//! Scenario B, a tau -> 3 mu style search: signal from simulation, background from the
//! mass sidebands of data, and a D_s -> phi(mu mu) pi control channel in simulation and
//! in sWeighted data. The simulation underestimates the detector occupancy (`SPDhits`)
//! and makes the muon identification too good (`min_mu_pid`), in signal and control
//! channel alike, so a plain classifier learns part "simulated vs real". In the
//! background the candidate's `pt` rises with its mass, so a classifier that uses `pt`
//! sculpts the mass unless it is decorrelated. Every number is in samples/README.md.

use super::splot::{Shape, WindowShape};
use super::{
    expo, gauss, permutation, splot_fit, stream, Columns, FitRecord, SampleFile, SplotSample,
};
use crate::random::{SplitMix64, Stream};
use crate::Result;

/// The tau mass window of the data (GeV) and the signal peak.
pub const TAU_WINDOW: (f64, f64) = (1.62, 1.94);
pub const TAU_PEAK: Shape = Shape::Gauss {
    mean: 1.777,
    sigma: 0.010,
};
/// The combinatorial background's mass shape.
pub const TAU_BACKGROUND: Shape = Shape::Exp { slope: -2.0 };
/// The D_s window and the shapes of its sPlot fit.
pub const DS_WINDOW: (f64, f64) = (1.90, 2.04);
pub const DS_PEAK: Shape = Shape::Gauss {
    mean: 1.9683,
    sigma: 0.009,
};
pub const DS_BACKGROUND: Shape = Shape::Exp { slope: -3.0 };
pub const DS_PURITY: f64 = 0.60;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Three true muons from a displaced tau (or the D_s channel's phi -> mu mu pi).
    Signal,
    /// Combinatorial background.
    Background,
}

#[derive(Default)]
struct Rows {
    fds: Vec<f64>,
    vchi2: Vec<f64>,
    ipsig: Vec<f64>,
    mu_ipsig: Vec<f64>,
    iso: Vec<f64>,
    pt: Vec<f64>,
    spd: Vec<i32>,
    pid: Vec<f64>,
    mass: Vec<f64>,
}

fn chi2_3(rng: &mut SplitMix64) -> f64 {
    (0..3).map(|_| rng.normal().powi(2)).sum()
}

impl Rows {
    /// One candidate of `kind` at `mass`, in data (`sim = false`) or simulation.
    fn push(&mut self, rng: &mut SplitMix64, kind: Kind, sim: bool, mass: f64) {
        let sig = kind == Kind::Signal;
        self.fds.push(if sig {
            gauss(rng, 3.2, 0.7).exp()
        } else {
            gauss(rng, 2.4, 0.9).exp()
        });
        self.vchi2
            .push(if sig { chi2_3(rng) } else { 2.5 * chi2_3(rng) });
        self.ipsig
            .push(gauss(rng, 0.0, if sig { 1.5 } else { 3.5 }).abs());
        self.mu_ipsig.push(if sig {
            gauss(rng, 1.9, 0.6).exp()
        } else {
            gauss(rng, 1.5, 0.8).exp()
        });
        self.iso.push(expo(rng, if sig { 0.6 } else { 1.6 }));
        // background pt rises with the mass: ln pt ~ N(ln 4.5 + 5 (m - 1.777), 0.5)
        self.pt.push(if sig {
            gauss(rng, 7.0f64.ln(), 0.45).exp()
        } else {
            gauss(rng, 4.5f64.ln() + 5.0 * (mass - 1.777), 0.5).exp()
        });
        // occupancy: the same for every kind in data; too low in simulation
        let spd = if sim {
            gauss(rng, 240.0, 80.0)
        } else {
            gauss(rng, 300.0, 100.0)
        };
        self.spd.push(spd.round().max(20.0) as i32);
        // muon identification of the worst muon: true muons near 1, fakes spread out;
        // the simulation's true muons are too good
        let tail = match (sig, sim) {
            (true, false) => 0.10,
            (true, true) => 0.06,
            (false, _) => 0.30,
        };
        self.pid.push((1.0 - expo(rng, tail)).max(0.0));
        self.mass.push(mass);
    }

    fn permuted(self, p: &[usize]) -> Rows {
        let pick = |v: Vec<f64>| p.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Rows {
            fds: pick(self.fds),
            vchi2: pick(self.vchi2),
            ipsig: pick(self.ipsig),
            mu_ipsig: pick(self.mu_ipsig),
            iso: pick(self.iso),
            pt: pick(self.pt),
            spd: p.iter().map(|&i| self.spd[i]).collect(),
            pid: pick(self.pid),
            mass: pick(self.mass),
        }
    }

    fn into_columns(self) -> Columns {
        let n = self.mass.len();
        let mut c = Columns::default();
        c.f32("FlightDistanceSig", self.fds);
        c.f32("VertexChi2", self.vchi2);
        c.f32("IPSig", self.ipsig);
        c.f32("min_mu_IPSig", self.mu_ipsig);
        c.f32("iso", self.iso);
        c.f32("pt", self.pt);
        c.i32("SPDhits", self.spd);
        c.f32("min_mu_pid", self.pid);
        c.f32("mass", self.mass);
        c.i64("event", (0..n as i64).collect());
        c
    }
}

/// Generates the four files of the scenario and the record of the D_s sPlot fit.
pub fn generate(events: usize, seed: u64) -> Result<(Vec<SampleFile>, FitRecord)> {
    // tau3mu_mc.root: simulated signal
    let peak = WindowShape::new(TAU_PEAK, TAU_WINDOW.0, TAU_WINDOW.1);
    let mut rng = stream(seed, Stream::ToyTau3MuMc);
    let mut rows = Rows::default();
    for _ in 0..events {
        let m = peak.sample(&mut rng);
        rows.push(&mut rng, Kind::Signal, true, m);
    }
    let tau_mc = rows.into_columns().into_file("tau3mu_mc.root");

    // tau3mu_data.root: data in the whole window, background only (the toy has no
    // signal in data); training uses the sidebands, the flatness check everything
    let bkg = WindowShape::new(TAU_BACKGROUND, TAU_WINDOW.0, TAU_WINDOW.1);
    let mut rng = stream(seed, Stream::ToyTau3MuData);
    let mut rows = Rows::default();
    for _ in 0..events {
        let m = bkg.sample(&mut rng);
        rows.push(&mut rng, Kind::Background, false, m);
    }
    let tau_data = rows.into_columns().into_file("tau3mu_data.root");

    // ds_data.root: D_s -> phi pi over combinatorial background, sWeighted
    let (lo, hi) = DS_WINDOW;
    let ds_peak = WindowShape::new(DS_PEAK, lo, hi);
    let ds_bkg = WindowShape::new(DS_BACKGROUND, lo, hi);
    let n_sig = (DS_PURITY * events as f64).round() as usize;
    let n_bkg = events - n_sig;
    let mut rng = stream(seed, Stream::ToyDsData);
    let mut rows = Rows::default();
    for i in 0..events {
        if i < n_sig {
            let m = ds_peak.sample(&mut rng);
            rows.push(&mut rng, Kind::Signal, false, m);
        } else {
            let m = ds_bkg.sample(&mut rng);
            rows.push(&mut rng, Kind::Background, false, m);
        }
    }
    let truth: Vec<i32> = (0..events).map(|i| (i < n_sig) as i32).collect();
    let p = permutation(&mut rng, events);
    let rows = rows.permuted(&p);
    let truth: Vec<i32> = p.iter().map(|&i| truth[i]).collect();
    let (record, sweight) = splot_fit(
        SplotSample {
            file: "ds_data.root",
            mass_branch: "mass",
            what: "the D_s mass",
            window: [lo, hi],
            species: ["D_s -> phi pi", "background"],
            generated: [n_sig, n_bkg],
        },
        &rows.mass,
        [ds_peak, ds_bkg],
    )?;
    let mut c = rows.into_columns();
    c.f64("sWeight", sweight);
    c.i32("truth_isDs", truth);
    let ds_data = c.into_file("ds_data.root");

    // ds_mc.root: simulated D_s -> phi pi
    let mut rng = stream(seed, Stream::ToyDsMc);
    let mut rows = Rows::default();
    for _ in 0..events {
        let m = ds_peak.sample(&mut rng);
        rows.push(&mut rng, Kind::Signal, true, m);
    }
    let ds_mc = rows.into_columns().into_file("ds_mc.root");

    Ok((vec![tau_mc, tau_data, ds_data, ds_mc], record))
}
