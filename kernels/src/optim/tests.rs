//! Tests of the optimiser kernels: every fast kernel against its naive twin, bit for
//! bit, over every option combination, f32 and f64, sizes that are not multiples of the
//! vector width, and three consecutive steps; plus hand-computed exact cases.

use super::*;

/// Deterministic values in [-2, 2) with exact zeros sprinkled in (a small LCG; no
/// dependency on a random crate).
fn values<T: Real>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if i % 11 == 3 {
                T::ZERO
            } else {
                T::from_f64(((s >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0)
            }
        })
        .collect()
}

const SIZES: [usize; 8] = [0, 1, 3, 7, 8, 9, 33, 1000];

fn same<T: Real>(what: &str, a: &[T], b: &[T]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x.to_f64().to_bits() == y.to_f64().to_bits(),
            "{what}[{i}]: fast {x} naive {y}"
        );
    }
}

/// Runs `steps` updates of a kernel with `nbuf` state buffers, fast and naive, from the
/// same start, and requires identical params and state after each step.
fn twin<T: Real>(
    what: &str,
    nbuf: usize,
    used: &[bool],
    mut fast: impl FnMut(&mut [T], &[T], &mut [Vec<T>], u64),
    mut naive: impl FnMut(&mut [T], &[T], &mut [Vec<T>], u64),
) {
    for &n in &SIZES {
        let mut pf = values::<T>(n, 1);
        let mut pn = pf.clone();
        let mut sf: Vec<Vec<T>> = (0..nbuf)
            .map(|k| {
                if used[k] {
                    vec![T::ZERO; n]
                } else {
                    Vec::new()
                }
            })
            .collect();
        let mut sn = sf.clone();
        for step in 1..=3u64 {
            let g = values::<T>(n, 100 + step);
            fast(&mut pf, &g, &mut sf, step);
            naive(&mut pn, &g, &mut sn, step);
            same(&format!("{what} n={n} step {step} params"), &pf, &pn);
            for k in 0..nbuf {
                same(
                    &format!("{what} n={n} step {step} state {k}"),
                    &sf[k],
                    &sn[k],
                );
            }
        }
    }
}

fn sgd_twins<T: Real>() {
    for wd in [0.0, 0.1] {
        for (momentum, dampening, nesterov) in [
            (0.0, 0.0, false),
            (0.9, 0.0, false),
            (0.9, 0.3, false),
            (0.9, 0.0, true),
        ] {
            let h = move |step: u64| SgdStep {
                lr: 0.05,
                momentum,
                dampening,
                weight_decay: wd,
                nesterov,
                first: step == 1,
            };
            twin::<T>(
                &format!("sgd wd={wd} m={momentum} d={dampening} nesterov={nesterov}"),
                1,
                &[momentum != 0.0],
                |p, g, s, k| sgd(p, g, &mut s[0], &h(k)),
                |p, g, s, k| sgd_naive(p, g, &mut s[0], &h(k)),
            );
        }
    }
}

fn adam_twins<T: Real>() {
    for (wd, decoupled) in [(0.0, false), (0.1, false), (0.01, true)] {
        for amsgrad in [false, true] {
            for beta1 in [0.9, 0.3] {
                let h = move |step: u64| AdamStep {
                    lr: 1e-3,
                    beta1,
                    beta2: 0.999,
                    eps: 1e-8,
                    weight_decay: wd,
                    decoupled,
                    amsgrad,
                    step,
                };
                twin::<T>(
                    &format!("adam wd={wd} decoupled={decoupled} amsgrad={amsgrad} b1={beta1}"),
                    3,
                    &[true, true, amsgrad],
                    |p, g, s, k| {
                        let [a, b, c] = s else { unreachable!() };
                        adam(p, g, a, b, c, &h(k))
                    },
                    |p, g, s, k| {
                        let [a, b, c] = s else { unreachable!() };
                        adam_naive(p, g, a, b, c, &h(k))
                    },
                );
            }
        }
    }
}

fn adamax_adadelta_twins<T: Real>() {
    for wd in [0.0, 0.1] {
        let h = move |step: u64| AdamaxStep {
            lr: 2e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: wd,
            step,
        };
        twin::<T>(
            &format!("adamax wd={wd}"),
            2,
            &[true, true],
            |p, g, s, k| {
                let [a, b] = s else { unreachable!() };
                adamax(p, g, a, b, &h(k))
            },
            |p, g, s, k| {
                let [a, b] = s else { unreachable!() };
                adamax_naive(p, g, a, b, &h(k))
            },
        );
        let h = AdadeltaStep {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: wd,
        };
        twin::<T>(
            &format!("adadelta wd={wd}"),
            2,
            &[true, true],
            |p, g, s, _| {
                let [a, b] = s else { unreachable!() };
                adadelta(p, g, a, b, &h)
            },
            |p, g, s, _| {
                let [a, b] = s else { unreachable!() };
                adadelta_naive(p, g, a, b, &h)
            },
        );
    }
}

fn rmsprop_twins<T: Real>() {
    for wd in [0.0, 0.1] {
        for centered in [false, true] {
            for momentum in [0.0, 0.9] {
                for alpha in [0.99, 0.3] {
                    let h = RmsPropStep {
                        lr: 1e-2,
                        alpha,
                        eps: 1e-8,
                        weight_decay: wd,
                        momentum,
                        centered,
                    };
                    twin::<T>(
                        &format!("rmsprop wd={wd} centered={centered} m={momentum} a={alpha}"),
                        3,
                        &[true, momentum > 0.0, centered],
                        |p, g, s, _| {
                            let [a, b, c] = s else { unreachable!() };
                            rmsprop(p, g, a, b, c, &h)
                        },
                        |p, g, s, _| {
                            let [a, b, c] = s else { unreachable!() };
                            rmsprop_naive(p, g, a, b, c, &h)
                        },
                    );
                }
            }
        }
    }
}

#[test]
fn fast_kernels_equal_naive_twins_bit_for_bit() {
    sgd_twins::<f64>();
    sgd_twins::<f32>();
    adam_twins::<f64>();
    adam_twins::<f32>();
    adamax_adadelta_twins::<f64>();
    adamax_adadelta_twins::<f32>();
    rmsprop_twins::<f64>();
    rmsprop_twins::<f32>();
}

#[test]
fn sgd_first_step_overwrites_a_nan_poisoned_buffer() {
    // Integer-valued inputs, lr 0.5: every result is exact.
    let mut p = vec![3.0f64, -2.0, 0.0, 5.0, 1.0];
    let g = vec![2.0f64, 4.0, -6.0, 0.0, 1.0];
    let mut buf = vec![f64::NAN; 5];
    let h = SgdStep {
        lr: 0.5,
        momentum: 0.5,
        dampening: 0.5,
        weight_decay: 0.0,
        nesterov: false,
        first: true,
    };
    sgd(&mut p, &g, &mut buf, &h);
    // first step: buf = g (no dampening), p = p - 0.5 g
    assert_eq!(buf, g);
    assert_eq!(p, vec![2.0, -4.0, 3.0, 5.0, 0.5]);
    // second step: buf = 0.5 buf + 0.5 g = g, p -= 0.5 g
    sgd(&mut p, &g, &mut buf, &SgdStep { first: false, ..h });
    assert_eq!(p, vec![1.0, -6.0, 6.0, 5.0, 0.0]);
    // Nesterov, weight decay 0.5: d = g + 0.5 p; buf = d (first); d = d + 0.5 buf = 1.5 d
    let mut p = vec![2.0f64, -4.0];
    let g = vec![1.0f64, 2.0];
    let mut buf = vec![f64::NAN; 2];
    let h = SgdStep {
        lr: 0.5,
        momentum: 0.5,
        dampening: 0.0,
        weight_decay: 0.5,
        nesterov: true,
        first: true,
    };
    sgd(&mut p, &g, &mut buf, &h);
    // d = [2, 0]; buf = [2, 0]; step = 0.5 * 1.5 d = [1.5, 0]
    assert_eq!(buf, vec![2.0, 0.0]);
    assert_eq!(p, vec![0.5, -4.0]);
}

#[test]
fn adam_and_adamax_first_step_move_by_lr_times_sign() {
    // Step 1: m = (1-b1) g, v = (1-b2) g^2, so m/bc1 / (sqrt(v)/sqrt(bc2) + eps) ~ sign(g).
    let g = vec![3.0f64, -0.5, 0.0, 1e-3];
    let mut p = vec![1.0f64; 4];
    let (mut m, mut v, mut vm) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 4]);
    let h = AdamStep {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled: false,
        amsgrad: true,
        step: 1,
    };
    adam(&mut p, &g, &mut m, &mut v, &mut vm, &h);
    let want = [0.99, 1.01, 1.0, 0.99];
    for i in 0..4 {
        assert!((p[i] - want[i]).abs() < 1e-7, "adam p[{i}] = {}", p[i]);
    }
    assert_eq!(v, vm);
    let mut p = vec![1.0f64; 4];
    let (mut m, mut u) = (vec![0.0; 4], vec![0.0; 4]);
    let h = AdamaxStep {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        step: 1,
    };
    adamax(&mut p, &g, &mut m, &mut u, &h);
    for i in 0..4 {
        assert!((p[i] - want[i]).abs() < 1e-7, "adamax p[{i}] = {}", p[i]);
    }
}

#[test]
fn sum_squares_matches_naive_and_is_exact_on_integers() {
    for &n in &SIZES {
        let x = values::<f64>(n, 7);
        let (a, b) = (sum_squares(&x), sum_squares_naive(&x));
        assert!((a - b).abs() <= 1e-14 * b.abs(), "n={n}: {a} vs {b}");
        let ints: Vec<f32> = (0..n).map(|i| (i % 13) as f32 - 6.0).collect();
        let want: f64 = (0..n).map(|i| ((i % 13) as f64 - 6.0).powi(2)).sum();
        assert_eq!(sum_squares(&ints), want, "n={n}");
    }
    let mut x = vec![2.0f32, -4.0, 0.0];
    scale(&mut x, 0.5);
    assert_eq!(x, vec![1.0, -2.0, 0.0]);
}
