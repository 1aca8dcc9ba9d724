//! The chi2 survival function, P(X >= chi2) for X ~ chi2(ndf), through the regularised
//! upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a):
//!
//! ```text
//! chi2_sf(chi2, ndf) = Q(ndf / 2, chi2 / 2)
//! ```
//!
//! Q is computed from the prefactor x^a e^-x / Gamma(a) and either the series of the
//! lower function (x < a + 1, Q = 1 - P) or the continued fraction of the upper one
//! (x >= a + 1, modified Lentz):
//!
//! ```text
//! P(a, x) = x^a e^-x / Gamma(a + 1) * sum_{j>=0} x^j / ((a+1)(a+2)...(a+j))
//! Q(a, x) = x^a e^-x / Gamma(a) * 1 / (x+1-a - 1(1-a) / (x+3-a - 2(2-a) / (x+5-a - ...)))
//! ```
//!
//! For large a the prefactor is the cancellation-prone part (a ln x and ln Gamma(a) are
//! both about a ln a); for a >= 10 it is formed from Stirling's series instead,
//!
//! ```text
//! x^a e^-x / Gamma(a) = sqrt(a / 2 pi) exp(-a (e - ln(1 + e)) - mu(a)),  e = (x - a) / a,
//! mu(a) = ln Gamma(a) - (a - 1/2) ln a + a - ln(2 pi) / 2
//!       = 1/(12a) - 1/(360a^3) + 1/(1260a^5) - 1/(1680a^7) + 1/(1188a^9)
//!         - 691/(360360a^11) + 1/(156a^13) - ...,
//! ```
//!
//! with e - ln(1 + e) summed as a series for |e| < 1/2. Below a = 10 the prefactor is
//! x^a e^-x / exp(ln Gamma(a)), each factor rounded on its own (the log form
//! exp(a ln x - x - ln Gamma(a)) where a factor would overflow), ln Gamma being the
//! Lanczos approximation (g = 7, 9 terms). The test in src/metrics/tests.rs and the
//! golden in validation/metrics.rs compare with scipy.stats.chi2.sf over ndf 1 to 10^5.

use std::f64::consts::PI;

/// P(X >= `chi2`) for X chi2-distributed with `ndf` degrees of freedom (`ndf` > 0, need
/// not be an integer). `chi2 <= 0` gives 1; NaN in gives NaN.
pub fn chi2_sf(chi2: f64, ndf: f64) -> f64 {
    gamma_q(ndf / 2.0, chi2 / 2.0)
}

/// The regularised upper incomplete gamma function Q(a, x), a > 0 (NaN otherwise).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    let prefix = prefactor(a, x);
    if x < a + 1.0 {
        1.0 - prefix / a * lower_series(a, x)
    } else {
        prefix * upper_fraction(a, x)
    }
}

const MAX_TERMS: usize = 1_000_000;

/// sum_{j>=0} x^j / ((a+1)...(a+j)), for x < a + 1 (terms shrink from the start).
fn lower_series(a: f64, x: f64) -> f64 {
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for j in 1..MAX_TERMS {
        term *= x / (a + j as f64);
        sum += term;
        if term < sum * f64::EPSILON / 4.0 {
            break;
        }
    }
    sum
}

/// The continued fraction of Gamma(a, x) e^x x^-a, modified Lentz, for x >= a + 1.
fn upper_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for j in 1..MAX_TERMS {
        let an = -(j as f64) * (j as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < f64::EPSILON / 2.0 {
            break;
        }
    }
    h
}

/// x^a e^-x / Gamma(a).
fn prefactor(a: f64, x: f64) -> f64 {
    if a < 10.0 {
        let log_power = a * x.ln();
        if x < 700.0 && log_power < 700.0 {
            // each factor rounded on its own: the error does not grow with x
            return x.powf(a) * (-x).exp() / ln_gamma(a).exp();
        }
        return (log_power - x - ln_gamma(a)).exp();
    }
    let e = (x - a) / a;
    (a / (2.0 * PI)).sqrt() * (-a * e_minus_ln1p(e) - stirling_correction(a)).exp()
}

/// e - ln(1 + e), without cancellation for small e.
fn e_minus_ln1p(e: f64) -> f64 {
    if e.abs() >= 0.5 {
        return e - e.ln_1p();
    }
    // sum_{j>=2} (-1)^j e^j / j
    let (mut power, mut sum) = (e * e, 0.0f64);
    for j in 2..200 {
        let term = power / j as f64;
        sum += if j % 2 == 0 { term } else { -term };
        if term.abs() < sum.abs() * f64::EPSILON / 4.0 {
            break;
        }
        power *= e;
    }
    sum
}

/// mu(a) = ln Gamma(a) - [(a - 1/2) ln a - a + ln(2 pi) / 2], Stirling's series, a >= 10
/// (the first omitted term is below 1e-16 there).
fn stirling_correction(a: f64) -> f64 {
    let r = 1.0 / a;
    let r2 = r * r;
    r * (1.0 / 12.0
        - r2 * (1.0 / 360.0
            - r2 * (1.0 / 1260.0
                - r2 * (1.0 / 1680.0
                    - r2 * (1.0 / 1188.0 - r2 * (691.0 / 360360.0 - r2 / 156.0))))))
}

/// ln Gamma(a), a > 0: Lanczos (g = 7, n = 9), about 1e-15.
fn ln_gamma(a: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if a < 0.5 {
        // reflection: Gamma(a) Gamma(1 - a) = pi / sin(pi a)
        return (PI / (PI * a).sin()).ln() - ln_gamma(1.0 - a);
    }
    let z = a - 1.0;
    let mut sum = C[0];
    for (i, &c) in C.iter().enumerate().skip(1) {
        sum += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    0.5 * (2.0 * PI).ln() + (z + 0.5) * t.ln() - t + sum.ln()
}
