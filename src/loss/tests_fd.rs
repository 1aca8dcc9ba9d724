//! Finite-difference checks, in f64, of every loss term's backward pass: each dL/dz_i
//! (dL/dp_i for the mass adversary) against the central difference
//! (L(z_i + h) - L(z_i - h)) / 2h. The relative error max_i |fd_i - dz_i| / max_i |dz_i|
//! is printed per term by name (`cargo test -- --nocapture` shows it). For the histogram
//! terms the logits are chosen so that no score lies within 1e-3 / K of a node, so the
//! piecewise-linear interpolation has no kink inside [z - h, z + h].

#![allow(clippy::needless_range_loop)]

use super::*;

/// A small deterministic generator (xorshift64*), so the tests need no dependency.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Uniform in [0, 1).
    pub(super) fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
}

/// A batch: logits in (-4, 4) away from the histogram nodes of `bins`, labels 0/1, signed
/// weights (a quarter negative), masses, adversary predictions.
pub(super) struct Batch {
    pub z: Vec<f64>,
    pub y: Vec<f64>,
    pub w: Vec<f64>,
    pub mass: Vec<f64>,
    pub p: Vec<f64>,
}

pub(super) fn batch(n: usize, bins: usize, seed: u64) -> Batch {
    let mut r = Rng::new(seed);
    let mut b = Batch {
        z: vec![],
        y: vec![],
        w: vec![],
        mass: vec![],
        p: vec![],
    };
    for i in 0..n {
        let z = loop {
            let z = r.range(-4.0, 4.0);
            let u = rootgrad_kernels::act::sigmoid(z) * bins as f64;
            if (u - u.round()).abs() > 1e-3 {
                break z;
            }
        };
        b.z.push(z);
        b.y.push(if i % 3 == 0 { 1.0 } else { 0.0 });
        let w = r.range(0.2, 1.5);
        b.w.push(if r.uniform() < 0.25 { -0.5 * w } else { w });
        b.mass.push(r.range(-2.0, 2.0));
        b.p.push(r.range(-1.5, 1.5));
    }
    b
}

/// Central differences of `loss` with respect to each entry of `x`, compared with
/// `grad`; prints and returns the relative error.
pub(super) fn check_fd(
    name: &str,
    x: &[f64],
    grad: &[f64],
    h: f64,
    tol: f64,
    loss: impl Fn(&[f64]) -> f64,
) -> f64 {
    let mut xs = x.to_vec();
    let mut max_err = 0.0f64;
    let mut max_g = 0.0f64;
    for i in 0..x.len() {
        xs[i] = x[i] + h;
        let lp = loss(&xs);
        xs[i] = x[i] - h;
        let lm = loss(&xs);
        xs[i] = x[i];
        let fd = (lp - lm) / (2.0 * h);
        max_err = max_err.max((fd - grad[i]).abs());
        max_g = max_g.max(grad[i].abs());
    }
    assert!(max_g > 0.0, "{name}: gradient is identically zero");
    let rel = max_err / max_g;
    println!("finite differences, {name}: max rel err {rel:.2e} (tolerance {tol:.0e})");
    assert!(
        rel < tol,
        "{name}: finite-difference rel err {rel:.3e} >= {tol:.0e}"
    );
    rel
}

const H: f64 = 1e-5;
const TOL: f64 = 1e-7;

fn set(what: &str, n: usize, w: f64) -> Normalisation {
    Normalisation::new(what, n, w).unwrap()
}

#[test]
fn fd_bce() {
    let b = batch(50, 10, 1);
    let norm = set("train", 5000, 3120.5).batch("batch", 50).unwrap();
    let mut dz = vec![0.0; 50];
    bce_backward(&mut dz, &b.z, &b.y, &b.w, &norm, 1.0);
    check_fd("classification (bce) dL_C/dz", &b.z, &dz, H, TOL, |z| {
        bce_forward(z, &b.y, &b.w, &norm)
    });
}

fn domain_setup(n: usize, bins: usize, seed: u64) -> (Batch, DomainBatch) {
    let b = batch(n, bins, seed);
    let dn = DomainNorm::new(set("data", 800, 310.25), set("mc", 1200, 987.5));
    let dom = dn.batch(&b.y).unwrap();
    (b, dom)
}

#[test]
fn fd_domain() {
    let (b, dom) = domain_setup(45, 10, 2);
    let mut dz = vec![0.0; b.z.len()];
    domain_backward(&mut dz, &b.z, &b.w, &b.y, &dom, 1.0);
    check_fd("domain dL_D/dz_d", &b.z, &dz, H, TOL, |z| {
        domain_forward(z, &b.w, &b.y, &dom)
    });
}

#[test]
fn fd_histogram() {
    for bins in [1, 3, 10, 25] {
        let (b, dom) = domain_setup(60, bins, 3 + bins as u64);
        let cfg = HistogramConfig::new("bins", bins).unwrap();
        let mut hist = Histograms::new(&cfg);
        histogram_forward(&mut hist, &b.z, &b.w, &b.y, &cfg, &dom);
        let mut dz = vec![0.0; b.z.len()];
        histogram_backward(&mut dz, &b.z, &b.w, &b.y, &hist, &cfg, &dom, 1.0);
        let name = format!("histogram (K = {bins}) dL_H/dz");
        check_fd(&name, &b.z, &dz, H, TOL, |z| {
            let mut h = Histograms::new(&cfg);
            histogram_forward(&mut h, z, &b.w, &b.y, &cfg, &dom)
        });
    }
}

#[test]
fn fd_mass_adversary() {
    let b = batch(40, 10, 4);
    let bkg = set("bkg", 3000, 2500.0);
    let mut dp = vec![0.0; 40];
    mass_mse_backward(&mut dp, &b.p, &b.mass, &b.y, &b.w, &bkg, 1.0);
    check_fd("mass adversary dL_M/dp", &b.p, &dp, H, TOL, |p| {
        mass_mse_forward(p, &b.mass, &b.y, &b.w, &bkg)
    });
}

pub(super) fn flatness_setup(bins: usize, m: usize, seed: u64) -> (Batch, FlatnessConfig) {
    // the training background: 600 masses with signed weights
    let mut r = Rng::new(seed ^ 0xF1A7);
    let train_mass: Vec<f64> = (0..600).map(|_| r.range(-2.0, 2.0)).collect();
    let train_w: Vec<f64> = (0..600)
        .map(|_| {
            let w = r.range(0.2, 1.5);
            if r.uniform() < 0.2 {
                -0.5 * w
            } else {
                w
            }
        })
        .collect();
    let edges = equal_population_edges(&train_mass, Some(&train_w), m).unwrap();
    let hist = HistogramConfig::new("bins", bins).unwrap();
    let cfg = FlatnessConfig::new(hist, edges, &train_mass, &train_w).unwrap();
    (batch(80, bins, seed), cfg)
}

#[test]
fn fd_flatness() {
    for (bins, m) in [(10, 4), (5, 2), (7, 6)] {
        let (b, cfg) = flatness_setup(bins, m, 5 + m as u64);
        let fb = FlatnessBatch::new(&cfg, &b.y, &b.mass).unwrap();
        let mut hist = FlatnessHistograms::new(&cfg);
        flatness_forward(&mut hist, &b.z, &b.w, &fb, &cfg);
        let mut dz = vec![0.0; b.z.len()];
        flatness_backward(&mut dz, &b.z, &b.w, &fb, &hist, &cfg, 1.0);
        let name = format!("flatness (K = {bins}, M = {m}) dL_F/dz");
        let rel = check_fd(&name, &b.z, &dz, H, TOL, |z| {
            let mut h = FlatnessHistograms::new(&cfg);
            flatness_forward(&mut h, z, &b.w, &fb, &cfg)
        });
        assert!(rel.is_finite());
        // signal events (y = 1) get no flatness gradient
        for i in 0..b.z.len() {
            if b.y[i] == 1.0 {
                assert_eq!(dz[i], 0.0);
            }
        }
    }
}

/// A small batch where some mass bins are empty: they leave the average, and the
/// gradient still matches finite differences.
#[test]
fn fd_flatness_with_empty_mass_bins() {
    let (mut b, cfg) = flatness_setup(10, 8, 9);
    b.z.truncate(7);
    b.y.truncate(7);
    b.w.truncate(7);
    b.mass.truncate(7);
    let fb = FlatnessBatch::new(&cfg, &b.y, &b.mass).unwrap();
    assert!(
        fb.populated() < 8 && fb.populated() > 1,
        "{}",
        fb.populated()
    );
    let mut hist = FlatnessHistograms::new(&cfg);
    flatness_forward(&mut hist, &b.z, &b.w, &fb, &cfg);
    let mut dz = vec![0.0; b.z.len()];
    flatness_backward(&mut dz, &b.z, &b.w, &fb, &hist, &cfg, 1.0);
    check_fd(
        "flatness (empty mass bins) dL_F/dz",
        &b.z,
        &dz,
        H,
        TOL,
        |z| {
            let mut h = FlatnessHistograms::new(&cfg);
            flatness_forward(&mut h, z, &b.w, &fb, &cfg)
        },
    );
}
