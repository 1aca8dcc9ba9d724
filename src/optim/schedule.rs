//! Learning-rate schedules and the DANN gradient-reversal coefficient schedule.
//!
//! A schedule maps the base learning rate `lr0`, the epoch `e` (0 for the first) and the
//! training progress `p` in [0, 1] (steps done / total steps) to the learning rate of the
//! next step:
//!
//! - constant: `lr0`;
//! - step (torch's `StepLR`): `lr0 gamma^floor(e / step_size)` (gamma default 0.1;
//!   the gradient-reversal study's "lr / 10 every 5 epochs" is step_size 5, gamma 0.1);
//! - exponential (torch's `ExponentialLR`): `lr0 gamma^e`;
//! - Ganin's (Ganin & Lempitsky 2015): `mu_p = lr0 / (1 + alpha p)^beta`, alpha 10,
//!   beta 0.75.
//!
//! torch's step and exponential schedulers multiply the previous learning rate by gamma
//! once per boundary; [`Schedule::lr`] multiplies the same way (not `powi`), so the
//! learning rates agree with torch's bit for bit.
//!
//! The DANN coefficient `lambda_p = lambda_max (2 / (1 + exp(-gamma p)) - 1)`, gamma 10,
//! is [`dann_lambda`]; [`LambdaSchedule`] is its checked, configurable form.

use serde::Deserialize;

use crate::{Error, Result};

/// A schedule as written in a config (`kind = "step"`); missing values take defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum ScheduleConfig {
    #[default]
    Constant,
    /// `step_size` is required (epochs per decay), gamma defaults to 0.1.
    Step {
        step_size: Option<u64>,
        gamma: Option<f64>,
    },
    /// gamma is required.
    Exponential { gamma: Option<f64> },
    /// alpha defaults to 10, beta to 0.75.
    Ganin {
        alpha: Option<f64>,
        beta: Option<f64>,
    },
}

/// A checked schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    Constant,
    Step { step_size: u64, gamma: f64 },
    Exponential { gamma: f64 },
    Ganin { alpha: f64, beta: f64 },
}

fn positive(what: &str, key: &str, v: f64, example: &str) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::Usage(format!(
            "{what}: {key} = {v} must be a finite number > 0; set it, such as {key} = {example}"
        )))
    }
}

fn non_negative(what: &str, key: &str, v: f64, example: &str) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Error::Usage(format!(
            "{what}: {key} = {v} must be a finite number >= 0; set it, such as {key} = {example}"
        )))
    }
}

impl ScheduleConfig {
    /// Fills in defaults and checks every value once.
    pub fn validate(self) -> Result<Schedule> {
        Ok(match self {
            ScheduleConfig::Constant => Schedule::Constant,
            ScheduleConfig::Step { step_size, gamma } => {
                let w = "schedule `step`";
                let step_size = match step_size {
                    Some(s) if s >= 1 => s,
                    Some(s) => {
                        return Err(Error::Usage(format!(
                            "{w}: step_size = {s} must be at least 1 epoch; set it, such as step_size = 5"
                        )))
                    }
                    None => {
                        return Err(Error::Usage(format!(
                            "{w}: `step_size` is missing; set the epochs between decays, such as step_size = 5"
                        )))
                    }
                };
                Schedule::Step {
                    step_size,
                    gamma: positive(w, "gamma", gamma.unwrap_or(0.1), "0.1")?,
                }
            }
            ScheduleConfig::Exponential { gamma } => {
                let w = "schedule `exponential`";
                let Some(gamma) = gamma else {
                    return Err(Error::Usage(format!(
                        "{w}: `gamma` is missing; set the factor per epoch, such as gamma = 0.95"
                    )));
                };
                Schedule::Exponential {
                    gamma: positive(w, "gamma", gamma, "0.95")?,
                }
            }
            ScheduleConfig::Ganin { alpha, beta } => {
                let w = "schedule `ganin`";
                Schedule::Ganin {
                    alpha: non_negative(w, "alpha", alpha.unwrap_or(10.0), "10")?,
                    beta: non_negative(w, "beta", beta.unwrap_or(0.75), "0.75")?,
                }
            }
        })
    }
}

impl Schedule {
    /// The learning rate at `epoch` (0-based) and progress `p` in [0, 1], from `lr0`.
    /// Step and exponential read only the epoch, Ganin's only `p`.
    pub fn lr(&self, lr0: f64, epoch: u64, p: f64) -> f64 {
        match *self {
            Schedule::Constant => lr0,
            Schedule::Step { step_size, gamma } => repeat_mul(lr0, gamma, epoch / step_size),
            Schedule::Exponential { gamma } => repeat_mul(lr0, gamma, epoch),
            Schedule::Ganin { alpha, beta } => ganin_lr(lr0, alpha, beta, p),
        }
    }
}

/// `x gamma gamma ... gamma` (k factors), multiplied left to right as torch's chained
/// schedulers do.
fn repeat_mul(mut x: f64, gamma: f64, k: u64) -> f64 {
    for _ in 0..k {
        x *= gamma;
    }
    x
}

/// Ganin's annealing: `mu_p = mu_0 / (1 + alpha p)^beta`.
pub fn ganin_lr(mu_0: f64, alpha: f64, beta: f64, p: f64) -> f64 {
    mu_0 / (1.0 + alpha * p).powf(beta)
}

/// DANN's reversal coefficient: `lambda_p = lambda_max (2 / (1 + exp(-gamma p)) - 1)`;
/// 0 at p = 0, rising to `lambda_max tanh(gamma / 2)` at p = 1.
pub fn dann_lambda(lambda_max: f64, gamma: f64, p: f64) -> f64 {
    lambda_max * (2.0 / (1.0 + (-gamma * p).exp()) - 1.0)
}

/// The gradient-reversal coefficient as configured: constant, or DANN's schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LambdaSchedule {
    Constant(f64),
    Dann { lambda_max: f64, gamma: f64 },
}

impl LambdaSchedule {
    /// A constant lambda; finite and >= 0.
    pub fn constant(lambda: f64) -> Result<Self> {
        Ok(LambdaSchedule::Constant(non_negative(
            "gradient reversal",
            "lambda",
            lambda,
            "1",
        )?))
    }

    /// DANN's schedule; `gamma` defaults to 10.
    pub fn dann(lambda_max: f64, gamma: Option<f64>) -> Result<Self> {
        let w = "gradient reversal (dann schedule)";
        Ok(LambdaSchedule::Dann {
            lambda_max: non_negative(w, "lambda_max", lambda_max, "1")?,
            gamma: non_negative(w, "gamma", gamma.unwrap_or(10.0), "10")?,
        })
    }

    /// lambda at progress `p` in [0, 1].
    pub fn at(&self, p: f64) -> f64 {
        match *self {
            LambdaSchedule::Constant(l) => l,
            LambdaSchedule::Dann { lambda_max, gamma } => dann_lambda(lambda_max, gamma, p),
        }
    }
}
