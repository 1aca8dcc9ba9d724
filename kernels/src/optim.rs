//! Element-wise parameter updates of the optimisers (SGD, Adam, AdamW, Adamax,
//! Adadelta, RMSProp) and the two passes of gradient-norm clipping, over flat slices:
//! the parameter buffer, its gradient, and one state buffer per moment, all the same
//! length.
//!
//! Each update follows the operation order of PyTorch's single-tensor implementation
//! (`torch/optim/*.py`, `_single_tensor_*`), so results agree to rounding: weight decay
//! `d = g + wd p` first (or AdamW's `p *= 1 - lr wd`), moving averages as torch's `lerp`
//! (`m + w (d - m)` for `w < 0.5`), second moments as `v beta + (1 - beta) d d`, and the
//! step as `p + (-step_size) m / denom`. Hyperparameters arrive as `f64` because torch
//! keeps them as Python floats and computes its per-step scalars (bias corrections) in
//! double precision; they are cast to `T` once per call.
//!
//! The fast kernels turn every option (weight decay on/off, momentum, Nesterov, amsgrad,
//! centered) into a const generic, so each inner loop is one branch-free pass the
//! compiler vectorises. The `*_naive` twins are literal per-element transcriptions of
//! torch's algorithm with the options tested inside the loop; the tests require the two
//! to agree bit for bit. docs/maths.md (optimisers) writes every rule out.

use crate::Real;

/// One SGD step's hyperparameters. `first` is true on the step that creates the
/// momentum buffer (torch sets it to the gradient rather than updating it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdStep {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub first: bool,
}

/// One Adam or AdamW step. `step` counts from 1 (the bias corrections use it);
/// `decoupled` selects AdamW's `p *= 1 - lr wd` instead of adding `wd p` to the gradient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub decoupled: bool,
    pub amsgrad: bool,
    pub step: u64,
}

/// One Adamax step; `step` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamaxStep {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub step: u64,
}

/// One Adadelta step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdadeltaStep {
    pub lr: f64,
    pub rho: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

/// One RMSProp step. Momentum is used when `momentum > 0` (torch's test).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropStep {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
}

/// Picks a monomorphised loop from runtime flags: each flag becomes a const generic.
macro_rules! dispatch {
    ($f:ident::<$t:ty $(, $done:literal)*>($($arg:expr),*) ;) => {
        $f::<$t $(, $done)*>($($arg),*)
    };
    ($f:ident::<$t:ty $(, $done:literal)*>($($arg:expr),*) ; $b:expr $(, $rest:expr)*) => {
        if $b {
            dispatch!($f::<$t $(, $done)*, true>($($arg),*) ; $($rest),*)
        } else {
            dispatch!($f::<$t $(, $done)*, false>($($arg),*) ; $($rest),*)
        }
    };
}

/// torch's `lerp(start, end, w)`: `start + w (end - start)` when `|w| < 0.5`, else
/// `end - (end - start)(1 - w)` (the naive kernels' form).
#[inline(always)]
fn lerp<T: Real>(start: T, end: T, w: T) -> T {
    if w.abs() < T::from_f64(0.5) {
        start + w * (end - start)
    } else {
        end - (end - start) * (T::ONE - w)
    }
}

/// The same `lerp` with the weight's test hoisted out of the loop: `coeff` is `w` or
/// `w - 1` and `small` picks the base. `(w - 1) = -(1 - w)` exactly, so this is bit for
/// bit [`lerp`].
#[derive(Clone, Copy)]
struct Lerp<T> {
    small: bool,
    coeff: T,
}

impl<T: Real> Lerp<T> {
    fn new(w: T) -> Self {
        let small = w.abs() < T::from_f64(0.5);
        let coeff = if small { w } else { w - T::ONE };
        Lerp { small, coeff }
    }
    #[inline(always)]
    fn at(self, start: T, end: T) -> T {
        let base = if self.small { start } else { end };
        base + self.coeff * (end - start)
    }
}

fn check(what: &str, n: usize, len: usize) {
    assert!(
        len == n,
        "optimiser kernel: {what} has {len} values, params {n}"
    );
}

// ---------------------------------------------------------------------------------- SGD

/// SGD: `d = g + wd p`; with momentum, `buf = d` on the first step, else
/// `buf = momentum buf + (1 - dampening) d`, then `d = d + momentum buf` (Nesterov) or
/// `d = buf`; finally `p = p - lr d`. `momentum_buffer` may be empty when momentum is 0.
pub fn sgd<T: Real>(params: &mut [T], grads: &[T], momentum_buffer: &mut [T], h: &SgdStep) {
    // params, grads, momentum_buffer are (n,)
    let n = params.len();
    check("grads", n, grads.len());
    let mom = h.momentum != 0.0;
    if mom {
        check("momentum_buffer", n, momentum_buffer.len());
    }
    let (p, g) = (params, grads);
    dispatch!(sgd_loop::<T>(p, g, momentum_buffer, h) ; h.weight_decay != 0.0, mom, h.first, h.nesterov)
}

fn sgd_loop<T: Real, const WD: bool, const MOM: bool, const FIRST: bool, const NEST: bool>(
    params: &mut [T],
    grads: &[T],
    buf: &mut [T],
    h: &SgdStep,
) {
    let n = params.len();
    let (p, g) = (&mut params[..n], &grads[..n]);
    let buf = if MOM { &mut buf[..n] } else { &mut buf[..0] };
    let wd = T::from_f64(h.weight_decay);
    let momentum = T::from_f64(h.momentum);
    let one_minus_damp = T::from_f64(1.0 - h.dampening);
    let neg_lr = T::from_f64(-h.lr);
    for i in 0..n {
        let mut d = g[i];
        if WD {
            d += wd * p[i];
        }
        if MOM {
            let b = if FIRST {
                d
            } else {
                buf[i] * momentum + one_minus_damp * d
            };
            buf[i] = b;
            d = if NEST { d + momentum * b } else { b };
        }
        p[i] += neg_lr * d;
    }
}

/// Naive twin of [`sgd`].
pub fn sgd_naive<T: Real>(params: &mut [T], grads: &[T], momentum_buffer: &mut [T], h: &SgdStep) {
    let n = params.len();
    check("grads", n, grads.len());
    for i in 0..n {
        let mut d = grads[i];
        if h.weight_decay != 0.0 {
            d += T::from_f64(h.weight_decay) * params[i];
        }
        if h.momentum != 0.0 {
            if h.first {
                momentum_buffer[i] = d;
            } else {
                momentum_buffer[i] = momentum_buffer[i] * T::from_f64(h.momentum)
                    + T::from_f64(1.0 - h.dampening) * d;
            }
            if h.nesterov {
                d += T::from_f64(h.momentum) * momentum_buffer[i];
            } else {
                d = momentum_buffer[i];
            }
        }
        params[i] += T::from_f64(-h.lr) * d;
    }
}

// --------------------------------------------------------------------------- Adam, AdamW

/// Adam / AdamW. AdamW first `p *= 1 - lr wd`; Adam with weight decay uses `d = g + wd p`.
/// `m = lerp(m, d, 1 - beta1)`, `v = v beta2 + (1 - beta2) d d`, amsgrad
/// `v_max = max(v_max, v)` (used in place of `v`), `denom = sqrt(v) / sqrt(bc2) + eps`,
/// `p = p - (lr / bc1) m / denom` with `bc_k = 1 - beta_k^step`.
/// `max_exp_avg_sq` may be empty unless amsgrad.
pub fn adam<T: Real>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_avg_sq: &mut [T],
    max_exp_avg_sq: &mut [T],
    h: &AdamStep,
) {
    // params, grads, exp_avg, exp_avg_sq, max_exp_avg_sq are (n,)
    let n = params.len();
    check("grads", n, grads.len());
    check("exp_avg", n, exp_avg.len());
    check("exp_avg_sq", n, exp_avg_sq.len());
    if h.amsgrad {
        check("max_exp_avg_sq", n, max_exp_avg_sq.len());
    }
    let wd_on = h.weight_decay != 0.0;
    let (p, g, m, v, vm) = (params, grads, exp_avg, exp_avg_sq, max_exp_avg_sq);
    dispatch!(adam_loop::<T>(p, g, m, v, vm, h) ; wd_on && !h.decoupled, wd_on && h.decoupled, h.amsgrad)
}

/// [`adam_body`] compiled for AVX-512 when the CPU has it (16 lanes for the sqrt and
/// the divisions), else for the baseline target. The same bits either way: every step
/// is one correctly rounded IEEE operation, and Rust never fuses a multiply and an add.
fn adam_loop<T: Real, const L2: bool, const DECOUPLED: bool, const AMS: bool>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_avg_sq: &mut [T],
    max_exp_avg_sq: &mut [T],
    h: &AdamStep,
) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        fn avx512<T: Real, const L2: bool, const DECOUPLED: bool, const AMS: bool>(
            params: &mut [T],
            grads: &[T],
            exp_avg: &mut [T],
            exp_avg_sq: &mut [T],
            max_exp_avg_sq: &mut [T],
            h: &AdamStep,
        ) {
            adam_body::<T, L2, DECOUPLED, AMS>(
                params,
                grads,
                exp_avg,
                exp_avg_sq,
                max_exp_avg_sq,
                h,
            )
        }
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
            // SAFETY: the running CPU has every feature `avx512` was compiled for.
            return unsafe {
                avx512::<T, L2, DECOUPLED, AMS>(
                    params,
                    grads,
                    exp_avg,
                    exp_avg_sq,
                    max_exp_avg_sq,
                    h,
                )
            };
        }
    }
    adam_body::<T, L2, DECOUPLED, AMS>(params, grads, exp_avg, exp_avg_sq, max_exp_avg_sq, h)
}

#[inline(always)]
fn adam_body<T: Real, const L2: bool, const DECOUPLED: bool, const AMS: bool>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_avg_sq: &mut [T],
    max_exp_avg_sq: &mut [T],
    h: &AdamStep,
) {
    let n = params.len();
    let (p, g, m, v) = (
        &mut params[..n],
        &grads[..n],
        &mut exp_avg[..n],
        &mut exp_avg_sq[..n],
    );
    let vm = if AMS {
        &mut max_exp_avg_sq[..n]
    } else {
        &mut max_exp_avg_sq[..0]
    };
    let step = h.step as f64;
    let bias_correction1 = 1.0 - h.beta1.powf(step);
    let bias_correction2 = 1.0 - h.beta2.powf(step);
    let neg_step_size = T::from_f64(-(h.lr / bias_correction1));
    let bias_correction2_sqrt = T::from_f64(bias_correction2.sqrt());
    let decay = T::from_f64(1.0 - h.lr * h.weight_decay);
    let wd = T::from_f64(h.weight_decay);
    let lerp1 = Lerp::new(T::from_f64(1.0 - h.beta1));
    let beta2 = T::from_f64(h.beta2);
    let one_minus_beta2 = T::from_f64(1.0 - h.beta2);
    let eps = T::from_f64(h.eps);
    for i in 0..n {
        let mut pi = p[i];
        if DECOUPLED {
            pi *= decay;
        }
        let d = if L2 { g[i] + wd * pi } else { g[i] };
        let mi = lerp1.at(m[i], d);
        m[i] = mi;
        let vi = v[i] * beta2 + one_minus_beta2 * d * d;
        v[i] = vi;
        let vu = if AMS {
            let x = vm[i].max(vi);
            vm[i] = x;
            x
        } else {
            vi
        };
        let denom = vu.sqrt() / bias_correction2_sqrt + eps;
        p[i] = pi + neg_step_size * mi / denom;
    }
}

/// Naive twin of [`adam`].
pub fn adam_naive<T: Real>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_avg_sq: &mut [T],
    max_exp_avg_sq: &mut [T],
    h: &AdamStep,
) {
    let n = params.len();
    check("grads", n, grads.len());
    let step = h.step as f64;
    let bias_correction1 = 1.0 - h.beta1.powf(step);
    let bias_correction2 = 1.0 - h.beta2.powf(step);
    let step_size = h.lr / bias_correction1;
    let bias_correction2_sqrt = bias_correction2.sqrt();
    for i in 0..n {
        let mut d = grads[i];
        if h.weight_decay != 0.0 {
            if h.decoupled {
                params[i] *= T::from_f64(1.0 - h.lr * h.weight_decay);
            } else {
                d += T::from_f64(h.weight_decay) * params[i];
            }
        }
        exp_avg[i] = lerp(exp_avg[i], d, T::from_f64(1.0 - h.beta1));
        exp_avg_sq[i] = exp_avg_sq[i] * T::from_f64(h.beta2) + T::from_f64(1.0 - h.beta2) * d * d;
        let second = if h.amsgrad {
            max_exp_avg_sq[i] = max_exp_avg_sq[i].max(exp_avg_sq[i]);
            max_exp_avg_sq[i]
        } else {
            exp_avg_sq[i]
        };
        let denom = second.sqrt() / T::from_f64(bias_correction2_sqrt) + T::from_f64(h.eps);
        params[i] += T::from_f64(-step_size) * exp_avg[i] / denom;
    }
}

// -------------------------------------------------------------------------------- Adamax

/// Adamax: `d = g + wd p`, `m = lerp(m, d, 1 - beta1)`,
/// `u = max(beta2 u, |d| + eps)`, `p = p - (lr / bc1) m / u`.
pub fn adamax<T: Real>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_inf: &mut [T],
    h: &AdamaxStep,
) {
    // params, grads, exp_avg, exp_inf are (n,)
    let n = params.len();
    check("grads", n, grads.len());
    check("exp_avg", n, exp_avg.len());
    check("exp_inf", n, exp_inf.len());
    let (p, g, m, u) = (params, grads, exp_avg, exp_inf);
    dispatch!(adamax_loop::<T>(p, g, m, u, h) ; h.weight_decay != 0.0)
}

fn adamax_loop<T: Real, const WD: bool>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_inf: &mut [T],
    h: &AdamaxStep,
) {
    let n = params.len();
    let (p, g, m, u) = (
        &mut params[..n],
        &grads[..n],
        &mut exp_avg[..n],
        &mut exp_inf[..n],
    );
    let bias_correction = 1.0 - h.beta1.powf(h.step as f64);
    let neg_clr = T::from_f64(-(h.lr / bias_correction));
    let wd = T::from_f64(h.weight_decay);
    let lerp1 = Lerp::new(T::from_f64(1.0 - h.beta1));
    let beta2 = T::from_f64(h.beta2);
    let eps = T::from_f64(h.eps);
    for i in 0..n {
        let d = if WD { g[i] + wd * p[i] } else { g[i] };
        let mi = lerp1.at(m[i], d);
        m[i] = mi;
        let ui = (u[i] * beta2).max(d.abs() + eps);
        u[i] = ui;
        p[i] += neg_clr * mi / ui;
    }
}

/// Naive twin of [`adamax`].
pub fn adamax_naive<T: Real>(
    params: &mut [T],
    grads: &[T],
    exp_avg: &mut [T],
    exp_inf: &mut [T],
    h: &AdamaxStep,
) {
    let n = params.len();
    check("grads", n, grads.len());
    let clr = h.lr / (1.0 - h.beta1.powf(h.step as f64));
    for i in 0..n {
        let mut d = grads[i];
        if h.weight_decay != 0.0 {
            d += T::from_f64(h.weight_decay) * params[i];
        }
        exp_avg[i] = lerp(exp_avg[i], d, T::from_f64(1.0 - h.beta1));
        exp_inf[i] = (exp_inf[i] * T::from_f64(h.beta2)).max(d.abs() + T::from_f64(h.eps));
        params[i] += T::from_f64(-clr) * exp_avg[i] / exp_inf[i];
    }
}

// ------------------------------------------------------------------------------ Adadelta

/// Adadelta: `d = g + wd p`, `sq = rho sq + (1 - rho) d d`,
/// `delta = sqrt(acc + eps) / sqrt(sq + eps) d`, `acc = rho acc + (1 - rho) delta delta`,
/// `p = p - lr delta`.
pub fn adadelta<T: Real>(
    params: &mut [T],
    grads: &[T],
    square_avg: &mut [T],
    acc_delta: &mut [T],
    h: &AdadeltaStep,
) {
    // params, grads, square_avg, acc_delta are (n,)
    let n = params.len();
    check("grads", n, grads.len());
    check("square_avg", n, square_avg.len());
    check("acc_delta", n, acc_delta.len());
    let (p, g, s, a) = (params, grads, square_avg, acc_delta);
    dispatch!(adadelta_loop::<T>(p, g, s, a, h) ; h.weight_decay != 0.0)
}

fn adadelta_loop<T: Real, const WD: bool>(
    params: &mut [T],
    grads: &[T],
    square_avg: &mut [T],
    acc_delta: &mut [T],
    h: &AdadeltaStep,
) {
    let n = params.len();
    let (p, g, s, a) = (
        &mut params[..n],
        &grads[..n],
        &mut square_avg[..n],
        &mut acc_delta[..n],
    );
    let wd = T::from_f64(h.weight_decay);
    let rho = T::from_f64(h.rho);
    let one_minus_rho = T::from_f64(1.0 - h.rho);
    let eps = T::from_f64(h.eps);
    let neg_lr = T::from_f64(-h.lr);
    for i in 0..n {
        let d = if WD { g[i] + wd * p[i] } else { g[i] };
        let si = s[i] * rho + one_minus_rho * d * d;
        s[i] = si;
        let std = (si + eps).sqrt();
        let delta = (a[i] + eps).sqrt() / std * d;
        a[i] = a[i] * rho + one_minus_rho * delta * delta;
        p[i] += neg_lr * delta;
    }
}

/// Naive twin of [`adadelta`].
pub fn adadelta_naive<T: Real>(
    params: &mut [T],
    grads: &[T],
    square_avg: &mut [T],
    acc_delta: &mut [T],
    h: &AdadeltaStep,
) {
    let n = params.len();
    check("grads", n, grads.len());
    for i in 0..n {
        let mut d = grads[i];
        if h.weight_decay != 0.0 {
            d += T::from_f64(h.weight_decay) * params[i];
        }
        square_avg[i] = square_avg[i] * T::from_f64(h.rho) + T::from_f64(1.0 - h.rho) * d * d;
        let std = (square_avg[i] + T::from_f64(h.eps)).sqrt();
        let delta = (acc_delta[i] + T::from_f64(h.eps)).sqrt() / std * d;
        acc_delta[i] = acc_delta[i] * T::from_f64(h.rho) + T::from_f64(1.0 - h.rho) * delta * delta;
        params[i] += T::from_f64(-h.lr) * delta;
    }
}

// ------------------------------------------------------------------------------- RMSProp

/// RMSProp: `d = g + wd p`, `sq = alpha sq + (1 - alpha) d d`; centered:
/// `ga = lerp(ga, d, 1 - alpha)`, `avg = sqrt(sq - ga ga) + eps`, else
/// `avg = sqrt(sq) + eps`; with momentum `buf = momentum buf + d / avg`,
/// `p = p - lr buf`, else `p = p - lr d / avg`. `momentum_buffer` may be empty unless
/// momentum > 0, `grad_avg` unless centered.
pub fn rmsprop<T: Real>(
    params: &mut [T],
    grads: &[T],
    square_avg: &mut [T],
    momentum_buffer: &mut [T],
    grad_avg: &mut [T],
    h: &RmsPropStep,
) {
    // params, grads, square_avg, momentum_buffer, grad_avg are (n,)
    let n = params.len();
    check("grads", n, grads.len());
    check("square_avg", n, square_avg.len());
    let mom = h.momentum > 0.0;
    if mom {
        check("momentum_buffer", n, momentum_buffer.len());
    }
    if h.centered {
        check("grad_avg", n, grad_avg.len());
    }
    let (p, g, s, b, ga) = (params, grads, square_avg, momentum_buffer, grad_avg);
    dispatch!(rmsprop_loop::<T>(p, g, s, b, ga, h) ; h.weight_decay != 0.0, h.centered, mom)
}

fn rmsprop_loop<T: Real, const WD: bool, const CENTERED: bool, const MOM: bool>(
    params: &mut [T],
    grads: &[T],
    square_avg: &mut [T],
    momentum_buffer: &mut [T],
    grad_avg: &mut [T],
    h: &RmsPropStep,
) {
    let n = params.len();
    let (p, g, s) = (&mut params[..n], &grads[..n], &mut square_avg[..n]);
    let b = if MOM {
        &mut momentum_buffer[..n]
    } else {
        &mut momentum_buffer[..0]
    };
    let ga = if CENTERED {
        &mut grad_avg[..n]
    } else {
        &mut grad_avg[..0]
    };
    let wd = T::from_f64(h.weight_decay);
    let alpha = T::from_f64(h.alpha);
    let one_minus_alpha = T::from_f64(1.0 - h.alpha);
    let lerp_a = Lerp::new(one_minus_alpha);
    let eps = T::from_f64(h.eps);
    let momentum = T::from_f64(h.momentum);
    let neg_lr = T::from_f64(-h.lr);
    for i in 0..n {
        let d = if WD { g[i] + wd * p[i] } else { g[i] };
        let si = s[i] * alpha + one_minus_alpha * d * d;
        s[i] = si;
        let avg = if CENTERED {
            let gai = lerp_a.at(ga[i], d);
            ga[i] = gai;
            (si + -gai * gai).sqrt()
        } else {
            si.sqrt()
        };
        let avg = avg + eps;
        if MOM {
            let bi = b[i] * momentum + d / avg;
            b[i] = bi;
            p[i] += neg_lr * bi;
        } else {
            p[i] += neg_lr * d / avg;
        }
    }
}

/// Naive twin of [`rmsprop`].
pub fn rmsprop_naive<T: Real>(
    params: &mut [T],
    grads: &[T],
    square_avg: &mut [T],
    momentum_buffer: &mut [T],
    grad_avg: &mut [T],
    h: &RmsPropStep,
) {
    let n = params.len();
    check("grads", n, grads.len());
    for i in 0..n {
        let mut d = grads[i];
        if h.weight_decay != 0.0 {
            d += T::from_f64(h.weight_decay) * params[i];
        }
        square_avg[i] = square_avg[i] * T::from_f64(h.alpha) + T::from_f64(1.0 - h.alpha) * d * d;
        let mut avg = if h.centered {
            grad_avg[i] = lerp(grad_avg[i], d, T::from_f64(1.0 - h.alpha));
            (square_avg[i] + T::from_f64(-1.0) * grad_avg[i] * grad_avg[i]).sqrt()
        } else {
            square_avg[i].sqrt()
        };
        avg += T::from_f64(h.eps);
        if h.momentum > 0.0 {
            momentum_buffer[i] = momentum_buffer[i] * T::from_f64(h.momentum) + d / avg;
            params[i] += T::from_f64(-h.lr) * momentum_buffer[i];
        } else {
            params[i] += T::from_f64(-h.lr) * d / avg;
        }
    }
}

// ----------------------------------------------------------------------------- clipping

/// Sum of squares of `x`, accumulated in f64 (also for f32 input) over 8 interleaved
/// partial sums combined in a fixed order, so the result depends only on `x`, never on
/// threads.
pub fn sum_squares<T: Real>(x: &[T]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            let v = c[k].to_f64();
            acc[k] += v * v;
        }
    }
    for (k, v) in tail.iter().enumerate() {
        let v = v.to_f64();
        acc[k] += v * v;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Naive twin of [`sum_squares`]: one running sum in index order (equal to rounding).
pub fn sum_squares_naive<T: Real>(x: &[T]) -> f64 {
    let mut s = 0.0;
    for v in x {
        s += v.to_f64() * v.to_f64();
    }
    s
}

/// `x *= s`, element-wise.
pub fn scale<T: Real>(x: &mut [T], s: T) {
    for v in x.iter_mut() {
        *v *= s;
    }
}

#[cfg(test)]
mod tests;
