//! The quantile curve and the spike mixture map: inverse pairs over the knots, the
//! segments and both tails; continuity of F and of its slope at the end knots;
//! monotonicity; zero-width segments; the identity map; the fraction mapped onto the
//! spike and the distribution off it (Monte Carlo, fixed seed, binomial tolerances); and
//! the mixture quantiles of a simulation sent to the data's (closed forms).

use super::*;
use crate::loss::QuantileLevels;
use crate::random::SplitMix64;

/// Irregular increasing knots: increments in (0.05, 1.5), starting at `start`.
fn knots(nq: usize, start: f64, seed: u64) -> Vec<f64> {
    let mut g = SplitMix64::new(&[seed, 0x9]);
    let mut q = vec![start];
    for _ in 1..nq {
        let last = *q.last().unwrap();
        q.push(last + g.uniform_in(0.05, 1.5));
    }
    q
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// cdf(quantile(p)) == p and quantile(cdf(y)) == y to 1e-12 at the knots, inside every
/// segment, and in both tails (for the upper tail also through survival, which keeps
/// 1 - F to full relative precision).
#[test]
fn cdf_and_quantile_are_inverse() {
    for nq in [2, 3, 21] {
        let levels = QuantileLevels::evenly(nq).unwrap();
        let q = knots(nq, -2.0, nq as u64);
        let c = QuantileCurve {
            taus: levels.taus(),
            q: &q,
        };
        let t = levels.taus();
        let mut ps: Vec<f64> = t.to_vec();
        ps.extend(
            t.windows(2)
                .flat_map(|w| [0.3 * w[0] + 0.7 * w[1], 0.5 * (w[0] + w[1])]),
        );
        ps.extend([1e-9, 1e-4, 0.5 * t[0], 0.99 * t[0]]);
        ps.extend([1.0 - 1e-4, 1.0 - 0.5 * (1.0 - t[nq - 1]), t[nq - 1] + 1e-6]);
        for &p in &ps {
            let y = c.quantile(p);
            let back = c.cdf(y);
            assert!(
                (back - p).abs() <= 1e-12 * p.min(1.0),
                "Q {nq} p {p}: cdf {back}"
            );
        }
        let mut ys: Vec<f64> = q.clone();
        ys.extend(q.windows(2).map(|w| 0.25 * w[0] + 0.75 * w[1]));
        ys.extend([q[0] - 0.01, q[0] - 0.5, q[0] - 3.0]);
        ys.extend([q[nq - 1] + 0.01, q[nq - 1] + 0.5, q[nq - 1] + 2.0]);
        for &y in &ys {
            let back = c.quantile(c.cdf(y));
            assert!(close(back, y, 1e-12), "Q {nq} y {y}: quantile {back}");
        }
        // the upper tail far out, through the survival pair
        for dy in [1.0, 5.0, 20.0] {
            let y = q[nq - 1] + dy;
            let s = c.survival(y);
            assert!(s > 0.0 && s < 1.0 - t[nq - 1]);
            assert!(
                close(c.quantile_of_survival(s), y, 1e-12),
                "survival at {y}"
            );
        }
    }
}

/// F and its slope are continuous at q_1 and q_Q: F reaches tau_1 / tau_Q from the
/// tails, and one-sided difference quotients on either side agree with the end
/// segment's slope to O(h).
#[test]
fn tails_join_continuously_with_the_end_slopes() {
    let levels = QuantileLevels::evenly(7).unwrap();
    let (t, q) = (levels.taus(), knots(7, 1.0, 3));
    let c = QuantileCurve { taus: t, q: &q };
    let d1 = (t[1] - t[0]) / (q[1] - q[0]);
    let dq = (t[6] - t[5]) / (q[6] - q[5]);
    let h = 1e-7;
    assert!((c.cdf(q[0] - h) - t[0]).abs() < 2.0 * d1 * h);
    assert!((c.cdf(q[6] - h) - t[6]).abs() < 2.0 * dq * h);
    assert!((c.cdf(q[6] + h) - t[6]).abs() < 2.0 * dq * h);
    assert_eq!(c.cdf(q[0]), t[0]);
    assert_eq!(c.cdf(q[6]), t[6]);
    let h = 1e-5;
    for (x, d) in [(q[0], d1), (q[6], dq)] {
        let left = (c.cdf(x) - c.cdf(x - h)) / h;
        let right = (c.cdf(x + h) - c.cdf(x)) / h;
        assert!(
            (left - d).abs() < 1e-3 * d,
            "left slope {left} vs {d} at {x}"
        );
        assert!(
            (right - d).abs() < 1e-3 * d,
            "right slope {right} vs {d} at {x}"
        );
    }
}

/// F non-decreasing in [0, 1] over a fine grid across both tails, quantile non-decreasing
/// over (0, 1), the limits, and NaN in, NaN out.
#[test]
fn cdf_and_quantile_are_monotone() {
    let levels = QuantileLevels::evenly(21).unwrap();
    let q = knots(21, -5.0, 4);
    let c = QuantileCurve {
        taus: levels.taus(),
        q: &q,
    };
    let (lo, hi) = (q[0] - 10.0, q[20] + 10.0);
    let mut last = 0.0;
    for i in 0..=20_000 {
        let f = c.cdf(lo + (hi - lo) * i as f64 / 20_000.0);
        assert!(
            f >= last && f <= 1.0,
            "cdf at grid point {i}: {f} after {last}"
        );
        last = f;
    }
    let mut last = f64::NEG_INFINITY;
    for i in 1..10_000 {
        let y = c.quantile(i as f64 / 10_000.0);
        assert!(y >= last, "quantile at {i}");
        last = y;
    }
    assert_eq!((c.cdf(f64::NEG_INFINITY), c.cdf(f64::INFINITY)), (0.0, 1.0));
    assert_eq!(c.quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(c.quantile(1.0), f64::INFINITY);
    assert!(c.cdf(f64::NAN).is_nan() && c.quantile(f64::NAN).is_nan());
}

/// Tied knots (zero-width segments) at the start, inside and at the end, and a curve
/// whose knots are all equal: no NaN anywhere, F jumps at a tie to the top tied level,
/// a level inside the jump maps to the tied knot, a zero-width end segment leaves its
/// tail empty.
#[test]
fn zero_width_segments_give_no_nan() {
    let levels = QuantileLevels::evenly(8).unwrap();
    let t = levels.taus();
    for q in [vec![1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0], vec![2.0; 8]] {
        let c = QuantileCurve { taus: t, q: &q };
        for i in 0..=1000 {
            let y = -1.0 + 6.0 * i as f64 / 1000.0;
            let f = c.cdf(y);
            assert!((0.0..=1.0).contains(&f), "cdf({y}) = {f} for {q:?}");
            let p = (i as f64 + 0.5) / 1001.0;
            let x = c.quantile(p);
            assert!(x.is_finite(), "quantile({p}) = {x} for {q:?}");
            assert!(c.cdf(x) >= p * (1.0 - 1e-15), "generalised inverse at {p}");
        }
        assert_eq!(c.cdf(q[0] - 0.5), 0.0, "empty lower tail");
        assert_eq!(c.cdf(q[7] + 0.5), 1.0, "empty upper tail");
        assert_eq!(c.quantile(0.5 * t[0]), q[0]);
        assert_eq!(c.quantile(0.5 * (1.0 + t[7])), q[7]);
    }
    let q = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0];
    let c = QuantileCurve { taus: t, q: &q };
    assert_eq!(c.cdf(3.0), t[5]);
    assert_eq!(c.quantile(0.5 * (t[3] + t[4])), 3.0);
    assert_eq!(c.cdf(2.5), 0.5 * (t[2] + t[3]));
}

fn curve_pair() -> (QuantileLevels, Vec<f64>, Vec<f64>) {
    let levels = QuantileLevels::evenly(21).unwrap();
    // simulation: exponential quantiles; data: uniform on [0.5, 2.5] at the knots
    let mc: Vec<f64> = levels.taus().iter().map(|t| -(1.0 - t).ln()).collect();
    let data: Vec<f64> = levels.taus().iter().map(|t| 0.5 + 2.0 * t).collect();
    (levels, mc, data)
}

/// Identical curves and p_mc == p_data: the map is the identity off the spike (within
/// the knots and the tails) and keeps spike events on the spike, for a spike at either
/// end and without one.
#[test]
fn identical_curves_map_to_the_identity() {
    let (levels, q, _) = curve_pair();
    let c = QuantileCurve {
        taus: levels.taus(),
        q: &q,
    };
    let low = Spike {
        value: 0.0,
        side: SpikeSide::Low,
    };
    let high = Spike {
        value: 9.0,
        side: SpikeSide::High,
    };
    let p = 0.3;
    for i in 0..400 {
        let y = 0.02 + 6.0 * i as f64 / 400.0;
        for spike in [None, Some((&low, p, p)), Some((&high, p, p))] {
            let got = map_value(y, spike, &c, &c, 0.5);
            assert!(close(got, y, 1e-12), "{spike:?} y {y}: {got}");
        }
    }
    for v in [0.0, 1e-9, 0.25, 0.5, 0.999999] {
        assert_eq!(map_value(0.0, Some((&low, p, p)), &c, &c, v), 0.0);
        assert_eq!(map_value(9.0, Some((&high, p, p)), &c, &c, v), 9.0);
    }
    assert!(map_value(f64::NAN, None, &c, &c, 0.5).is_nan());
    assert!(map_value(f64::INFINITY, Some((&low, p, p)), &c, &c, 0.5).is_nan());
    assert_eq!(map_value(1.0, Some((&low, p, 1.0)), &c, &c, 0.5), 0.0);
}

/// Draws `n` events from the simulation's mixture (the spike with probability p_mc, else
/// the curve's distribution by inversion), maps each with its own jitter v, and returns
/// the fraction mapped onto the spike and, per data knot q_j, the fraction mapped to at
/// most q_j.
fn mixture_run(spike: &Spike, p_mc: f64, p_data: f64, n: usize) -> (f64, Vec<f64>) {
    let (levels, mc_q, data_q) = curve_pair();
    let t = levels.taus();
    let mc = QuantileCurve { taus: t, q: &mc_q };
    let data = QuantileCurve {
        taus: t,
        q: &data_q,
    };
    let mut g = SplitMix64::new(&[19, 2]);
    let (mut on, mut below) = (0usize, vec![0usize; t.len()]);
    for _ in 0..n {
        let y = if g.uniform() < p_mc {
            spike.value
        } else {
            mc.quantile(1.0 - g.uniform()) // in (0, 1]: a finite value, the top one at 1
        };
        let v = 1.0 - g.uniform(); // in (0, 1]
        let out = map_value(
            y,
            Some((spike, p_mc, p_data)),
            &mc,
            &data,
            v.min(1.0 - 1e-16),
        );
        if out == spike.value {
            on += 1;
        } else {
            for (j, &qj) in data_q.iter().enumerate() {
                below[j] += usize::from(out <= qj);
            }
        }
    }
    let frac = |k: usize| k as f64 / n as f64;
    (frac(on), below.into_iter().map(frac).collect())
}

/// Events drawn from the simulation's mixture (p_mc = 0.2 on the spike) land on the spike
/// with the data's probability p_data = 0.35, and off it follow the data's curve: the
/// fraction of all events off the spike and at or below data knot q_j is
/// (1 - p_data) tau_j, for a spike at either end.
/// 200,000 events, fixed seed; each fraction is a binomial proportion, sigma =
/// sqrt(p (1 - p) / n) <= 0.0012, and the tolerance is 4.5 sigma.
#[test]
fn the_spike_fraction_and_the_rest_follow_the_data() {
    let n = 200_000;
    let (p_mc, p_data) = (0.2, 0.35);
    let tol = |p: f64| 4.5 * (p * (1.0 - p) / n as f64).sqrt();
    let (levels, _, _) = curve_pair();
    for side in [SpikeSide::Low, SpikeSide::High] {
        let value = if side == SpikeSide::Low { 0.0 } else { 9.0 };
        let spike = Spike { value, side };
        let (on, below) = mixture_run(&spike, p_mc, p_data, n);
        assert!(
            (on - p_data).abs() < tol(p_data),
            "{side:?}: {on} on the spike"
        );
        for (j, &tau) in levels.taus().iter().enumerate() {
            let want = (1.0 - p_data) * tau;
            assert!(
                (below[j] - want).abs() < tol(want),
                "{side:?}: {} at or below knot {j}, want {want}",
                below[j]
            );
        }
    }
}

/// Closed forms: the simulation off the spike is exponential at the knots (q_j =
/// -ln(1 - tau_j)), the data uniform on [0.5, 2.5] between its knots (Q_data(p) = 0.5 +
/// 2 p for p in [tau_1, tau_Q]). The simulation's mixture quantile at level alpha is sent
/// to the data's mixture quantile at alpha: for a low spike (p_mc = 0.2, p_data = 0.35)
/// alpha_j = p_mc + (1 - p_mc) tau_j at y = -ln(1 - tau_j) goes to the spike if alpha_j
/// < p_data, else to 0.5 + 2 (alpha_j - p_data) / (1 - p_data); for a high spike alpha_j
/// = (1 - p_mc) tau_j goes to the spike if alpha_j > 1 - p_data, else to 0.5 + 2 alpha_j /
/// (1 - p_data). Checked to 1e-12 where the data level lies within the knots.
#[test]
fn mixture_quantiles_go_to_the_data_mixture_quantiles() {
    let (levels, mc_q, data_q) = curve_pair();
    let t = levels.taus();
    let mc = QuantileCurve { taus: t, q: &mc_q };
    let data = QuantileCurve {
        taus: t,
        q: &data_q,
    };
    let (p_mc, p_data) = (0.2, 0.35);
    let (mut on_spike, mut inside) = (0, 0);
    for side in [SpikeSide::Low, SpikeSide::High] {
        let value = if side == SpikeSide::Low { 0.0 } else { 9.0 };
        let spike = Spike { value, side };
        for &tau in t {
            let y = -(1.0 - tau).ln();
            let got = map_value(y, Some((&spike, p_mc, p_data)), &mc, &data, 0.5);
            let (alpha, spike_side, level) = match side {
                SpikeSide::Low => {
                    let a = p_mc + (1.0 - p_mc) * tau;
                    (a, a < p_data, (a - p_data) / (1.0 - p_data))
                }
                SpikeSide::High => {
                    let a = (1.0 - p_mc) * tau;
                    (a, a > 1.0 - p_data, a / (1.0 - p_data))
                }
            };
            if spike_side {
                assert_eq!(got, value, "{side:?} alpha {alpha}");
                on_spike += 1;
            } else if level >= t[0] && level <= t[t.len() - 1] {
                let want = 0.5 + 2.0 * level;
                assert!(
                    close(got, want, 1e-12),
                    "{side:?} alpha {alpha}: {got} vs {want}"
                );
                inside += 1;
            }
        }
    }
    assert!(
        on_spike >= 6 && inside >= 20,
        "{on_spike} on the spike, {inside} inside"
    );
}
