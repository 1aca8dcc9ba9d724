//! Optimisers with PyTorch's exact update rules and defaults (SGD with momentum,
//! dampening, Nesterov and weight decay; Adam, AdamW, amsgrad; Adamax; Adadelta;
//! RMSProp with momentum and centering), learning-rate schedules, the DANN lambda
//! schedule, and gradient-norm clipping.
//!
//! Hyperparameters are written as an [`OptimizerConfig`] and checked once into a
//! [`CheckedOptimizer`]. An [`Optimizer`] keeps one flat buffer per moment, each as long
//! as the flat parameter buffer, so one element-wise kernel
//! (`rootgrad_kernels::optim`) updates every parameter of the network in one pass. The
//! learning rate is passed to every [`Optimizer::step`], so a [`Schedule`] drives it.
//! The rules, with the code's names and where torch's conventions matter, are in
//! docs/maths.md (optimisers); validation/optim.rs checks three steps of each against
//! torch.optim (validation/torch_optim.py).

mod clip;
mod config;
mod schedule;

pub use clip::{clip_grad_norm, GradClip, CLIP_EPS};
pub use config::{
    AdadeltaConfig, AdamConfig, AdamaxConfig, CheckedOptimizer, Hyper, OptimizerConfig,
    RmsPropConfig, SgdConfig,
};
pub use schedule::{dann_lambda, ganin_lr, LambdaSchedule, Schedule, ScheduleConfig};

use rootgrad_kernels::optim as k;
use rootgrad_kernels::Real;

/// An optimiser and its state for one flat parameter buffer of `n` values.
#[derive(Debug, Clone)]
pub struct Optimizer<T: Real> {
    hyper: Hyper,
    n: usize,
    /// Steps taken (torch's `state["step"]`).
    steps: u64,
    /// Up to three moment buffers, each empty or `n` long; their names are
    /// [`Optimizer::state_names`].
    moments: [Vec<T>; 3],
}

impl<T: Real> Optimizer<T> {
    /// A fresh optimiser for `n` parameters: every moment zero (torch's initial state).
    pub fn new(config: &CheckedOptimizer, n: usize) -> Self {
        let hyper = *config.hyper();
        let used = used_moments(&hyper);
        let moments = used.map(|u| if u { vec![T::ZERO; n] } else { Vec::new() });
        Optimizer {
            hyper,
            n,
            steps: 0,
            moments,
        }
    }

    /// One update of `params` from `grads` (both `n` long) at learning rate `lr` (from a
    /// schedule; the configured lr is [`CheckedOptimizer::lr`]).
    ///
    /// # Panics
    /// If `params` or `grads` is not `n` long (a bug in the caller, not bad input).
    pub fn step(&mut self, params: &mut [T], grads: &[T], lr: f64) {
        assert!(
            params.len() == self.n && grads.len() == self.n,
            "optimizer for {} parameters given {} parameters and {} gradients",
            self.n,
            params.len(),
            grads.len()
        );
        self.steps += 1;
        let [a, b, c] = &mut self.moments;
        match self.hyper {
            Hyper::Sgd {
                momentum,
                dampening,
                weight_decay,
                nesterov,
                ..
            } => k::sgd(
                params,
                grads,
                a,
                &k::SgdStep {
                    lr,
                    momentum,
                    dampening,
                    weight_decay,
                    nesterov,
                    first: self.steps == 1,
                },
            ),
            Hyper::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                amsgrad,
                decoupled,
                ..
            } => k::adam(
                params,
                grads,
                a,
                b,
                c,
                &k::AdamStep {
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    decoupled,
                    amsgrad,
                    step: self.steps,
                },
            ),
            Hyper::Adamax {
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => k::adamax(
                params,
                grads,
                a,
                b,
                &k::AdamaxStep {
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    step: self.steps,
                },
            ),
            Hyper::Adadelta {
                rho,
                eps,
                weight_decay,
                ..
            } => k::adadelta(
                params,
                grads,
                a,
                b,
                &k::AdadeltaStep {
                    lr,
                    rho,
                    eps,
                    weight_decay,
                },
            ),
            Hyper::RmsProp {
                alpha,
                eps,
                weight_decay,
                momentum,
                centered,
                ..
            } => k::rmsprop(
                params,
                grads,
                a,
                b,
                c,
                &k::RmsPropStep {
                    lr,
                    alpha,
                    eps,
                    weight_decay,
                    momentum,
                    centered,
                },
            ),
        }
    }

    /// The hyperparameters.
    pub fn hyper(&self) -> &Hyper {
        &self.hyper
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// torch's names of the three moment slots (an unused slot's buffer is empty).
    pub fn state_names(&self) -> [&'static str; 3] {
        match self.hyper {
            Hyper::Sgd { .. } => ["momentum_buffer", "", ""],
            Hyper::Adam { .. } => ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
            Hyper::Adamax { .. } => ["exp_avg", "exp_inf", ""],
            Hyper::Adadelta { .. } => ["square_avg", "acc_delta", ""],
            Hyper::RmsProp { .. } => ["square_avg", "momentum_buffer", "grad_avg"],
        }
    }

    /// The state as torch's `optimizer.state[p]` holds it: (name, flat buffer) for every
    /// moment in use.
    pub fn state(&self) -> Vec<(&'static str, &[T])> {
        self.state_names()
            .into_iter()
            .zip(&self.moments)
            .filter(|(name, m)| !name.is_empty() && !m.is_empty())
            .map(|(name, m)| (name, m.as_slice()))
            .collect()
    }

    /// One moment buffer by torch's name, if this optimiser keeps it.
    pub fn state_buffer(&self, name: &str) -> Option<&[T]> {
        self.state()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m)
    }
}

/// Which of the three moment slots an optimiser uses.
fn used_moments(h: &Hyper) -> [bool; 3] {
    match *h {
        Hyper::Sgd { momentum, .. } => [momentum != 0.0, false, false],
        Hyper::Adam { amsgrad, .. } => [true, true, amsgrad],
        Hyper::Adamax { .. } | Hyper::Adadelta { .. } => [true, true, false],
        Hyper::RmsProp {
            momentum, centered, ..
        } => [true, momentum > 0.0, centered],
    }
}

#[cfg(test)]
mod tests;
