//! An extended maximum-likelihood fit of species yields in one discriminating variable
//! (a mass), and the sWeights of sPlot (Pivk and Le Diberder, NIM A 555 (2005) 356).
//!
//! With K species of known, normalised shapes f_k(m) on a window [lo, hi] and yields
//! N_k, the extended log-likelihood of n events is
//!
//! ```text
//! ln L(N) = -sum_k N_k + sum_e ln D_e,      D_e = sum_k N_k f_k(m_e)
//! ```
//!
//! Its gradient and Hessian in the yields are
//!
//! ```text
//! g_j  = -1 + sum_e f_j(m_e) / D_e
//! H_jk = -sum_e f_j(m_e) f_k(m_e) / D_e^2
//! ```
//!
//! so Newton's method (`N <- N - H^-1 g`, step halved while some D_e <= 0) converges in a
//! handful of steps. At the maximum, the inverse covariance of the yields is
//! `V^-1 = -H`, and the sWeight of event e for species n is
//!
//! ```text
//! sW_n(e) = sum_j V_nj f_j(m_e) / D_e
//! ```
//!
//! Two exact properties follow from g = 0 and are tested: `sum_e sW_n(e) = N_n` (the
//! sWeights of a species sum to its fitted yield) and `sum_n sW_n(e) = 1` for every event.
//! Events whose mass is typical of another species get negative sWeights.
//!
//! The shapes are fixed here (their parameters are inputs, as when they are taken from
//! simulation); only the yields float.

/// A shape of the discriminating variable, normalised on the fit window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A Gaussian peak, truncated to the window.
    Gauss { mean: f64, sigma: f64 },
    /// `exp(slope * m)`, truncated to the window (slope < 0: falling).
    Exp { slope: f64 },
}

/// A shape on a window, with its normalisation computed once.
#[derive(Debug, Clone, Copy)]
pub struct WindowShape {
    pub shape: Shape,
    pub lo: f64,
    pub hi: f64,
    norm: f64,
}

impl WindowShape {
    pub fn new(shape: Shape, lo: f64, hi: f64) -> WindowShape {
        let norm = match shape {
            Shape::Exp { slope } if slope.abs() > 1e-12 => {
                ((slope * hi).exp() - (slope * lo).exp()) / slope
            }
            Shape::Exp { .. } => hi - lo,
            // Simpson's rule on 4000 intervals: the window is a few sigma wide, so the
            // relative error is far below 1e-12.
            Shape::Gauss { .. } => {
                let n = 4000;
                let h = (hi - lo) / n as f64;
                let mut s = raw(shape, lo) + raw(shape, hi);
                for i in 1..n {
                    let c = if i % 2 == 1 { 4.0 } else { 2.0 };
                    s += c * raw(shape, lo + i as f64 * h);
                }
                s * h / 3.0
            }
        };
        WindowShape {
            shape,
            lo,
            hi,
            norm,
        }
    }

    /// The normalised density at `m` (0 outside the window).
    pub fn pdf(&self, m: f64) -> f64 {
        if m < self.lo || m > self.hi {
            return 0.0;
        }
        raw(self.shape, m) / self.norm
    }

    /// One draw from the shape on the window.
    pub fn sample(&self, rng: &mut crate::random::SplitMix64) -> f64 {
        match self.shape {
            Shape::Gauss { mean, sigma } => loop {
                let m = mean + sigma * rng.normal();
                if m >= self.lo && m <= self.hi {
                    return m;
                }
            },
            Shape::Exp { slope } if slope.abs() > 1e-12 => {
                // inverse of the truncated exponential's CDF
                let u = rng.uniform();
                let a = (slope * self.lo).exp();
                let b = (slope * self.hi).exp();
                ((a + u * (b - a)).ln() / slope).clamp(self.lo, self.hi)
            }
            Shape::Exp { .. } => rng.uniform_in(self.lo, self.hi),
        }
    }
}

fn raw(shape: Shape, m: f64) -> f64 {
    match shape {
        Shape::Gauss { mean, sigma } => {
            let z = (m - mean) / sigma;
            (-0.5 * z * z).exp()
        }
        Shape::Exp { slope } => (slope * m).exp(),
    }
}

/// The result of the yield fit.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Fitted yields, one per species.
    pub yields: Vec<f64>,
    /// Covariance of the yields, `V = (-H)^-1` at the maximum.
    pub covariance: Vec<Vec<f64>>,
    /// Newton iterations used.
    pub iterations: usize,
    /// `ln L` at the maximum.
    pub log_likelihood: f64,
}

impl Fit {
    /// The uncertainty of yield `k`: sqrt(V_kk).
    pub fn error(&self, k: usize) -> f64 {
        self.covariance[k][k].sqrt()
    }
}

/// Fits the yields of `shapes` to the masses `m` by extended maximum likelihood.
/// Returns `None` when there are no events or the fit does not converge.
pub fn fit_yields(m: &[f64], shapes: &[WindowShape]) -> Option<Fit> {
    let k = shapes.len();
    let n = m.len();
    if n == 0 || k == 0 {
        return None;
    }
    // f[e * k + j] = f_j(m_e)
    let f: Vec<f64> = m
        .iter()
        .flat_map(|&x| shapes.iter().map(move |s| s.pdf(x)))
        .collect();
    let loglik = |y: &[f64]| -> Option<f64> {
        let mut s = -y.iter().sum::<f64>();
        for e in 0..n {
            let d: f64 = (0..k).map(|j| y[j] * f[e * k + j]).sum();
            if d <= 0.0 {
                return None;
            }
            s += d.ln();
        }
        Some(s)
    };
    let mut y = vec![n as f64 / k as f64; k];
    let mut ll = loglik(&y)?;
    for it in 0..200 {
        let (g, h) = grad_hess(&f, &y, k);
        let neg_h: Vec<Vec<f64>> = h.iter().map(|r| r.iter().map(|v| -v).collect()).collect();
        let inv = invert(&neg_h)?;
        // Newton step: delta = (-H)^-1 g
        let delta: Vec<f64> = (0..k)
            .map(|a| (0..k).map(|b| inv[a][b] * g[b]).sum())
            .collect();
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let trial: Vec<f64> = (0..k).map(|a| y[a] + t * delta[a]).collect();
            if let Some(l) = loglik(&trial) {
                if l >= ll - 1e-9 * ll.abs().max(1.0) {
                    accepted = Some((trial, l));
                    break;
                }
            }
            t *= 0.5;
        }
        let (trial, l) = accepted?;
        let step: f64 = (0..k).map(|a| (trial[a] - y[a]).abs()).fold(0.0, f64::max);
        y = trial;
        ll = l;
        if step < 1e-9 * (n as f64).max(1.0) {
            // one more exact Newton step's worth of polish is already in; compute V here
            let (_, h) = grad_hess(&f, &y, k);
            let neg_h: Vec<Vec<f64>> = h.iter().map(|r| r.iter().map(|v| -v).collect()).collect();
            let covariance = invert(&neg_h)?;
            return Some(Fit {
                yields: y,
                covariance,
                iterations: it + 1,
                log_likelihood: ll,
            });
        }
    }
    None
}

/// The sWeights of every species for every event: `out[j][e] = sW_j(m_e)`.
pub fn sweights(m: &[f64], shapes: &[WindowShape], fit: &Fit) -> Vec<Vec<f64>> {
    let k = shapes.len();
    let mut out = vec![Vec::with_capacity(m.len()); k];
    for &x in m {
        let fx: Vec<f64> = shapes.iter().map(|s| s.pdf(x)).collect();
        let d: f64 = (0..k).map(|j| fit.yields[j] * fx[j]).sum();
        for (a, col) in out.iter_mut().enumerate() {
            // sW_a = sum_j V_aj f_j / D
            let num: f64 = (0..k).map(|j| fit.covariance[a][j] * fx[j]).sum();
            col.push(num / d);
        }
    }
    out
}

fn grad_hess(f: &[f64], y: &[f64], k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut g = vec![-1.0; k];
    let mut h = vec![vec![0.0; k]; k];
    for fe in f.chunks_exact(k) {
        let d: f64 = (0..k).map(|j| y[j] * fe[j]).sum();
        let d2 = d * d;
        for a in 0..k {
            // dlnL/dN_a gets f_a / D
            g[a] += fe[a] / d;
            for b in 0..k {
                // d2lnL/dN_a dN_b gets -f_a f_b / D^2
                h[a][b] -= fe[a] * fe[b] / d2;
            }
        }
    }
    (g, h)
}

/// Gauss-Jordan inverse with partial pivoting; `None` when singular.
fn invert(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = r.clone();
            row.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            row
        })
        .collect();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[p][c].abs() < 1e-300 || !m[p][c].is_finite() {
            return None;
        }
        m.swap(c, p);
        let piv = m[c][c];
        for v in m[c].iter_mut() {
            *v /= piv;
        }
        let pivot_row = m[c].clone();
        for (r, row) in m.iter_mut().enumerate() {
            let fac = row[c];
            if r != c && fac != 0.0 {
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x -= fac * p;
                }
            }
        }
    }
    Some(m.into_iter().map(|r| r[n..].to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix64;

    fn toy(seed: u64, ns: usize, nb: usize) -> (Vec<f64>, Vec<WindowShape>) {
        let sig = WindowShape::new(
            Shape::Gauss {
                mean: 91.0,
                sigma: 3.0,
            },
            60.0,
            120.0,
        );
        let bkg = WindowShape::new(Shape::Exp { slope: -0.04 }, 60.0, 120.0);
        let mut rng = SplitMix64::new(&[seed]);
        let mut m: Vec<f64> = (0..ns).map(|_| sig.sample(&mut rng)).collect();
        m.extend((0..nb).map(|_| bkg.sample(&mut rng)));
        (m, vec![sig, bkg])
    }

    #[test]
    fn shapes_are_normalised() {
        for s in [
            Shape::Gauss {
                mean: 91.0,
                sigma: 3.0,
            },
            Shape::Exp { slope: -0.04 },
            Shape::Exp { slope: 0.0 },
        ] {
            let w = WindowShape::new(s, 60.0, 120.0);
            let n = 100_000;
            let h = 60.0 / n as f64;
            let integral: f64 = (0..n).map(|i| w.pdf(60.0 + (i as f64 + 0.5) * h) * h).sum();
            assert!((integral - 1.0).abs() < 1e-6, "{s:?}: {integral}");
        }
    }

    /// Yields recovered within errors, over several seeds; the errors are about
    /// Poisson-sized.
    #[test]
    fn yields_recovered_within_errors() {
        let mut pulls = Vec::new();
        for seed in 0..8 {
            let (m, shapes) = toy(seed, 3000, 5000);
            let fit = fit_yields(&m, &shapes).expect("fit converges");
            let pull = (fit.yields[0] - 3000.0) / fit.error(0);
            assert!(pull.abs() < 4.0, "seed {seed}: pull {pull}");
            assert!((fit.yields[0] + fit.yields[1] - 8000.0).abs() < 1e-6 * 8000.0);
            assert!(fit.error(0) > 55.0_f64.sqrt() && fit.error(0) < 120.0);
            pulls.push(pull);
        }
        let mean: f64 = pulls.iter().sum::<f64>() / pulls.len() as f64;
        assert!(mean.abs() < 1.5, "mean pull {mean}");
    }

    /// The sPlot properties: each species' sWeights sum to its yield, every event's
    /// sWeights sum to 1, and some signal sWeights are negative.
    #[test]
    fn sweights_sum_to_yields() {
        let (m, shapes) = toy(42, 4000, 6000);
        let fit = fit_yields(&m, &shapes).unwrap();
        let sw = sweights(&m, &shapes, &fit);
        for (k, col) in sw.iter().enumerate() {
            let s: f64 = col.iter().sum();
            assert!(
                (s - fit.yields[k]).abs() < 1e-8 * fit.yields[k],
                "species {k}: {s} vs {}",
                fit.yields[k]
            );
        }
        for (a, b) in sw[0].iter().zip(&sw[1]) {
            assert!((a + b - 1.0).abs() < 1e-9);
        }
        assert!(sw[0].iter().any(|&w| w < 0.0));
        assert!(sw[0].iter().any(|&w| w > 1.0));
    }

    /// A case with an exact answer: two narrow peaks far apart make the fit count the
    /// events at each, with Poisson variances.
    #[test]
    fn disjoint_shapes_count_events() {
        let a = WindowShape::new(
            Shape::Gauss {
                mean: 0.0,
                sigma: 0.05,
            },
            -1.0,
            1.0,
        );
        let b = WindowShape::new(
            Shape::Gauss {
                mean: 0.8,
                sigma: 0.05,
            },
            -1.0,
            1.0,
        );
        let mut m = vec![0.0; 30];
        m.extend(vec![0.8; 70]);
        let fit = fit_yields(&m, &[a, b]).unwrap();
        assert!((fit.yields[0] - 30.0).abs() < 1e-6);
        assert!((fit.yields[1] - 70.0).abs() < 1e-6);
        assert!((fit.covariance[0][0] - 30.0).abs() < 1e-4);
    }
}
