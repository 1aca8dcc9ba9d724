//! The optimiser's hyperparameters as a user writes them ([`OptimizerConfig`], every
//! value optional and defaulted to PyTorch's), and the checked form the optimiser runs
//! on ([`CheckedOptimizer`]), made once by [`OptimizerConfig::validate`].
//!
//! Each bad value is a [`crate::Error::Usage`] naming the optimiser, the key, the value
//! and the fix. The checks follow `torch.optim`'s constructors, a little stricter where
//! torch accepts values that cannot train (eps = 0, betas, rho, alpha and momentum of 1
//! or more, infinite values); see docs/maths.md (optimisers).

use serde::Deserialize;

use crate::{Error, Result};

/// SGD: `lr` has no default (as in torch, where it is required).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdConfig {
    pub lr: Option<f64>,
    /// Default 0 (plain SGD).
    pub momentum: Option<f64>,
    /// Default 0.
    pub dampening: Option<f64>,
    /// L2 penalty added to the gradient; default 0.
    pub weight_decay: Option<f64>,
    /// Default false; needs momentum > 0 and dampening 0.
    #[serde(default)]
    pub nesterov: bool,
}

/// Adam and AdamW: lr 1e-3, betas (0.9, 0.999), eps 1e-8; weight decay 0 for Adam
/// (added to the gradient), 1e-2 for AdamW (decoupled: `p *= 1 - lr wd`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamConfig {
    pub lr: Option<f64>,
    pub betas: Option<(f64, f64)>,
    pub eps: Option<f64>,
    pub weight_decay: Option<f64>,
    /// Default false.
    #[serde(default)]
    pub amsgrad: bool,
}

/// Adamax: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamaxConfig {
    pub lr: Option<f64>,
    pub betas: Option<(f64, f64)>,
    pub eps: Option<f64>,
    pub weight_decay: Option<f64>,
}

/// Adadelta: lr 1.0, rho 0.9, eps 1e-6, weight decay 0.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdadeltaConfig {
    pub lr: Option<f64>,
    pub rho: Option<f64>,
    pub eps: Option<f64>,
    pub weight_decay: Option<f64>,
}

/// RMSProp: lr 1e-2, alpha 0.99, eps 1e-8, weight decay 0, momentum 0, not centered.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RmsPropConfig {
    pub lr: Option<f64>,
    pub alpha: Option<f64>,
    pub eps: Option<f64>,
    pub weight_decay: Option<f64>,
    pub momentum: Option<f64>,
    #[serde(default)]
    pub centered: bool,
}

/// Which optimiser, with its hyperparameters as written (`name = "adam"` in a config).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum OptimizerConfig {
    Sgd(SgdConfig),
    Adam(AdamConfig),
    AdamW(AdamConfig),
    Adamax(AdamaxConfig),
    Adadelta(AdadeltaConfig),
    RmsProp(RmsPropConfig),
}

/// Checked hyperparameters, every default filled in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hyper {
    Sgd {
        lr: f64,
        momentum: f64,
        dampening: f64,
        weight_decay: f64,
        nesterov: bool,
    },
    /// Adam (`decoupled` false) and AdamW (`decoupled` true).
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
        amsgrad: bool,
        decoupled: bool,
    },
    Adamax {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
    },
    Adadelta {
        lr: f64,
        rho: f64,
        eps: f64,
        weight_decay: f64,
    },
    RmsProp {
        lr: f64,
        alpha: f64,
        eps: f64,
        weight_decay: f64,
        momentum: f64,
        centered: bool,
    },
}

/// Hyperparameters that passed [`OptimizerConfig::validate`]; the only way to build an
/// [`super::Optimizer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckedOptimizer(Hyper);

impl CheckedOptimizer {
    /// The checked hyperparameters.
    pub fn hyper(&self) -> &Hyper {
        &self.0
    }

    /// The base learning rate the schedules scale.
    pub fn lr(&self) -> f64 {
        match self.0 {
            Hyper::Sgd { lr, .. }
            | Hyper::Adam { lr, .. }
            | Hyper::Adamax { lr, .. }
            | Hyper::Adadelta { lr, .. }
            | Hyper::RmsProp { lr, .. } => lr,
        }
    }

    /// The optimiser's name as a config writes it.
    pub fn name(&self) -> &'static str {
        match self.0 {
            Hyper::Sgd { .. } => "sgd",
            Hyper::Adam {
                decoupled: false, ..
            } => "adam",
            Hyper::Adam {
                decoupled: true, ..
            } => "adamw",
            Hyper::Adamax { .. } => "adamax",
            Hyper::Adadelta { .. } => "adadelta",
            Hyper::RmsProp { .. } => "rmsprop",
        }
    }
}

/// Checks one optimiser's values, naming it in every message.
struct Check(&'static str);

impl Check {
    fn err(&self, key: &str, v: f64, why: &str, fix: &str) -> Error {
        Error::Usage(format!("optimizer `{}`: {key} = {v} {why}; {fix}", self.0))
    }
    fn finite(&self, key: &str, v: f64, fix: &str) -> Result<f64> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(key, v, "is not a finite number", fix))
        }
    }
    fn lr(&self, v: f64) -> Result<f64> {
        let fix = "set `lr` to a finite number >= 0, such as 1e-3";
        self.finite("lr", v, fix)?;
        if v < 0.0 {
            return Err(self.err("lr", v, "is negative", fix));
        }
        Ok(v)
    }
    /// A value in [0, 1): betas, rho, alpha, momentum.
    fn unit(&self, key: &str, v: f64, example: &str) -> Result<f64> {
        let fix = format!("set `{key}` in [0, 1), such as {example}");
        self.finite(key, v, &fix)?;
        if !(0.0..1.0).contains(&v) {
            return Err(self.err(key, v, "is outside [0, 1)", &fix));
        }
        Ok(v)
    }
    fn eps(&self, v: f64, example: &str) -> Result<f64> {
        let fix = format!("set `eps` to a small positive number, such as {example}");
        self.finite("eps", v, &fix)?;
        if v <= 0.0 {
            return Err(self.err("eps", v, "is not positive", &fix));
        }
        Ok(v)
    }
    fn weight_decay(&self, v: f64) -> Result<f64> {
        let fix = "set `weight_decay` to a finite number >= 0 (0 turns it off)";
        self.finite("weight_decay", v, fix)?;
        if v < 0.0 {
            return Err(self.err("weight_decay", v, "is negative", fix));
        }
        Ok(v)
    }
    fn betas(&self, b: (f64, f64)) -> Result<(f64, f64)> {
        Ok((
            self.unit("betas[0]", b.0, "0.9")?,
            self.unit("betas[1]", b.1, "0.999")?,
        ))
    }
}

impl OptimizerConfig {
    /// Fills in PyTorch's defaults and checks every value once.
    pub fn validate(self) -> Result<CheckedOptimizer> {
        let hyper = match self {
            OptimizerConfig::Sgd(c) => {
                let k = Check("sgd");
                let lr = c.lr.ok_or_else(|| {
                    Error::Usage(
                        "optimizer `sgd`: `lr` is missing and SGD has no default; \
                         set `lr`, such as lr = 0.01"
                            .into(),
                    )
                })?;
                let momentum = k.unit("momentum", c.momentum.unwrap_or(0.0), "0.9")?;
                let dampening = k.unit("dampening", c.dampening.unwrap_or(0.0), "0")?;
                if c.nesterov && (momentum <= 0.0 || dampening != 0.0) {
                    return Err(Error::Usage(format!(
                        "optimizer `sgd`: nesterov = true needs momentum > 0 and dampening = 0 \
                         (momentum = {momentum}, dampening = {dampening}); set momentum, \
                         such as 0.9, and dampening = 0, or nesterov = false"
                    )));
                }
                Hyper::Sgd {
                    lr: k.lr(lr)?,
                    momentum,
                    dampening,
                    weight_decay: k.weight_decay(c.weight_decay.unwrap_or(0.0))?,
                    nesterov: c.nesterov,
                }
            }
            OptimizerConfig::Adam(c) => adam(c, false)?,
            OptimizerConfig::AdamW(c) => adam(c, true)?,
            OptimizerConfig::Adamax(c) => {
                let k = Check("adamax");
                let (beta1, beta2) = k.betas(c.betas.unwrap_or((0.9, 0.999)))?;
                Hyper::Adamax {
                    lr: k.lr(c.lr.unwrap_or(2e-3))?,
                    beta1,
                    beta2,
                    eps: k.eps(c.eps.unwrap_or(1e-8), "1e-8")?,
                    weight_decay: k.weight_decay(c.weight_decay.unwrap_or(0.0))?,
                }
            }
            OptimizerConfig::Adadelta(c) => {
                let k = Check("adadelta");
                Hyper::Adadelta {
                    lr: k.lr(c.lr.unwrap_or(1.0))?,
                    rho: k.unit("rho", c.rho.unwrap_or(0.9), "0.9")?,
                    eps: k.eps(c.eps.unwrap_or(1e-6), "1e-6")?,
                    weight_decay: k.weight_decay(c.weight_decay.unwrap_or(0.0))?,
                }
            }
            OptimizerConfig::RmsProp(c) => {
                let k = Check("rmsprop");
                Hyper::RmsProp {
                    lr: k.lr(c.lr.unwrap_or(1e-2))?,
                    alpha: k.unit("alpha", c.alpha.unwrap_or(0.99), "0.99")?,
                    eps: k.eps(c.eps.unwrap_or(1e-8), "1e-8")?,
                    weight_decay: k.weight_decay(c.weight_decay.unwrap_or(0.0))?,
                    momentum: k.unit("momentum", c.momentum.unwrap_or(0.0), "0.9")?,
                    centered: c.centered,
                }
            }
        };
        Ok(CheckedOptimizer(hyper))
    }
}

fn adam(c: AdamConfig, decoupled: bool) -> Result<Hyper> {
    let k = Check(if decoupled { "adamw" } else { "adam" });
    let (beta1, beta2) = k.betas(c.betas.unwrap_or((0.9, 0.999)))?;
    let wd_default = if decoupled { 1e-2 } else { 0.0 };
    Ok(Hyper::Adam {
        lr: k.lr(c.lr.unwrap_or(1e-3))?,
        beta1,
        beta2,
        eps: k.eps(c.eps.unwrap_or(1e-8), "1e-8")?,
        weight_decay: k.weight_decay(c.weight_decay.unwrap_or(wd_default))?,
        amsgrad: c.amsgrad,
        decoupled,
    })
}
