//! The [training] section: the optimiser (a name or a table of its own keys), the
//! learning-rate schedule, batch sizes, epochs, early stopping, the validation fraction
//! and the folds.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::read::Section;
use super::sections::resolve;
use super::types::{Split, Training};
use crate::optim::{
    AdadeltaConfig, AdamConfig, AdamaxConfig, CheckedOptimizer, GradClip, OptimizerConfig,
    RmsPropConfig, Schedule, ScheduleConfig, SgdConfig,
};
use crate::Result;

/// Builds torch's optimiser config from `optimizer = "adam"` or
/// `optimizer = { name = "adam", betas = [0.9, 0.999], ... }`, with `learning_rate`
/// from [training] overriding the optimiser's default.
fn optimizer(s: &Section, lr: Option<f64>) -> Result<CheckedOptimizer> {
    const NAMES: &[&str] = &["sgd", "adam", "adamw", "adamax", "adadelta", "rmsprop"];
    let empty = Table::new();
    let (name, opts) = match s.get("optimizer") {
        None => (
            "adam".to_string(),
            Section::new(s.file, s.key("optimizer"), &empty),
        ),
        Some(Value::String(_)) => (
            s.choice("optimizer", NAMES, "adam")?,
            Section::new(s.file, s.key("optimizer"), &empty),
        ),
        Some(Value::Table(_)) => {
            let t = s
                .table("optimizer")?
                .ok_or_else(|| s.err("optimizer".into()))?;
            let name = t.choice("name", NAMES, "adam")?;
            (name, t)
        }
        Some(_) => {
            return Err(s.err(
                "`training.optimizer` must be a name such as \"adam\" or a table \
                 { name = \"adam\", betas = [0.9, 0.999] }"
                    .into(),
            ))
        }
    };
    let keys: &[&str] = match name.as_str() {
        "sgd" => &["name", "momentum", "dampening", "weight_decay", "nesterov"],
        "adam" | "adamw" => &["name", "betas", "eps", "weight_decay", "amsgrad"],
        "adamax" => &["name", "betas", "eps", "weight_decay"],
        "adadelta" => &["name", "rho", "eps", "weight_decay"],
        _ => &[
            "name",
            "alpha",
            "eps",
            "weight_decay",
            "momentum",
            "centered",
        ],
    };
    opts.check_keys(keys)?;
    let betas = match opts.get("betas") {
        None => None,
        Some(Value::Array(a)) if a.len() == 2 => {
            let f = |v: &Value| v.as_float().or(v.as_integer().map(|i| i as f64));
            match (f(&a[0]), f(&a[1])) {
                (Some(b1), Some(b2)) => Some((b1, b2)),
                _ => None,
            }
        }
        Some(_) => None,
    };
    if opts.get("betas").is_some() && betas.is_none() {
        return Err(opts.err(format!(
            "`{}` must be two numbers, e.g. betas = [0.9, 0.999]",
            opts.key("betas")
        )));
    }
    let wd = opts.f64("weight_decay", "0.0")?;
    let eps = opts.f64("eps", "1e-8")?;
    let cfg = match name.as_str() {
        "sgd" => OptimizerConfig::Sgd(SgdConfig {
            lr: Some(lr.unwrap_or(0.01)),
            momentum: opts.f64("momentum", "0.9")?,
            dampening: opts.f64("dampening", "0.0")?,
            weight_decay: wd,
            nesterov: opts.bool("nesterov", false)?,
        }),
        "adam" | "adamw" => {
            let c = AdamConfig {
                lr,
                betas,
                eps,
                weight_decay: wd,
                amsgrad: opts.bool("amsgrad", false)?,
            };
            if name == "adam" {
                OptimizerConfig::Adam(c)
            } else {
                OptimizerConfig::AdamW(c)
            }
        }
        "adamax" => OptimizerConfig::Adamax(AdamaxConfig {
            lr,
            betas,
            eps,
            weight_decay: wd,
        }),
        "adadelta" => OptimizerConfig::Adadelta(AdadeltaConfig {
            lr,
            rho: opts.f64("rho", "0.9")?,
            eps,
            weight_decay: wd,
        }),
        _ => OptimizerConfig::RmsProp(RmsPropConfig {
            lr,
            alpha: opts.f64("alpha", "0.99")?,
            eps,
            weight_decay: wd,
            momentum: opts.f64("momentum", "0.0")?,
            centered: opts.bool("centered", false)?,
        }),
    };
    cfg.validate().map_err(|e| s.err(format!("[training] {e}")))
}

fn schedule(s: &Section) -> Result<Schedule> {
    const KINDS: &[&str] = &["constant", "step", "exponential", "ganin"];
    let empty = Table::new();
    let (kind, t) = match s.get("schedule") {
        None => return Ok(Schedule::Constant),
        Some(Value::String(_)) => (
            s.choice("schedule", KINDS, "constant")?,
            Section::new(s.file, s.key("schedule"), &empty),
        ),
        Some(Value::Table(_)) => {
            let t = s
                .table("schedule")?
                .ok_or_else(|| s.err("schedule".into()))?;
            (t.choice("kind", KINDS, "constant")?, t)
        }
        Some(_) => {
            return Err(s.err(
                "`training.schedule` must be \"constant\" or a table such as \
                 { kind = \"step\", step_size = 5, gamma = 0.1 }"
                    .into(),
            ))
        }
    };
    let cfg = match kind.as_str() {
        "step" => {
            t.check_keys(&["kind", "step_size", "gamma"])?;
            ScheduleConfig::Step {
                step_size: t.u64("step_size", "5")?,
                gamma: t.f64("gamma", "0.1")?,
            }
        }
        "exponential" => {
            t.check_keys(&["kind", "gamma"])?;
            ScheduleConfig::Exponential {
                gamma: t.f64("gamma", "0.95")?,
            }
        }
        "ganin" => {
            t.check_keys(&["kind", "alpha", "beta"])?;
            ScheduleConfig::Ganin {
                alpha: t.f64("alpha", "10")?,
                beta: t.f64("beta", "0.75")?,
            }
        }
        _ => {
            t.check_keys(&["kind"])?;
            ScheduleConfig::Constant
        }
    };
    cfg.validate().map_err(|e| s.err(format!("[training] {e}")))
}

fn fraction(s: &Section, key: &str, default: f64) -> Result<f64> {
    let v = s.finite(key, default, "0.2")?;
    if !(0.0..1.0).contains(&v) {
        return Err(s.err(format!(
            "`{}` = {v} must be in [0, 1): the fraction of events held out",
            s.key(key)
        )));
    }
    Ok(v)
}

pub(super) fn training(s: Option<Section>, base: &Path) -> Result<Training> {
    let empty = Table::new();
    let s = s.unwrap_or(Section::new("", "training", &empty));
    s.check_keys(&[
        "optimizer",
        "learning_rate",
        "schedule",
        "batch_size",
        "domain_batch_size",
        "domain_every",
        "epochs",
        "early_stopping",
        "validation",
        "folds",
        "fold",
        "seed",
        "clip_grad_norm",
        "init",
        "metric_events",
    ])?;
    let lr = s.f64("learning_rate", "1e-3")?;
    let optimizer = optimizer(&s, lr)?;
    let batch_size = s.positive("batch_size", 1024, "1024")?;
    let validation = fraction(&s, "validation", 0.2)?;
    let folds = s.usize("folds", 0, "5")?;
    let split = if folds == 0 {
        if s.get("fold").is_some() {
            return Err(s.err(
                "`training.fold` is set but `training.folds` is not; set folds = 5 (say) to \
                 train one model per fold"
                    .into(),
            ));
        }
        Split::Fraction(validation)
    } else {
        if folds < 2 {
            return Err(s.err(format!(
                "`training.folds` = {folds}: k-fold training needs at least 2 folds (0 switches \
                 folds off)"
            )));
        }
        let Some(expression) = s.string("fold", "\"event % 5\"")? else {
            return Err(s.err(format!(
                "`training.folds` = {folds} needs `training.fold`, the integer expression of \
                 the event that picks its fold, e.g. fold = \"event % {folds}\""
            )));
        };
        Split::Folds {
            k: folds,
            expression,
            validation,
        }
    };
    let clip = match s.f64("clip_grad_norm", "1.0")? {
        None => None,
        Some(v) if v.is_finite() && v > 0.0 => {
            Some(GradClip::new(v).map_err(|e| s.err(e.to_string()))?)
        }
        Some(v) => {
            return Err(s.err(format!(
                "`training.clip_grad_norm` = {v} must be a number > 0 (leave it out for no \
                 clipping)"
            )))
        }
    };
    Ok(Training {
        optimizer,
        schedule: schedule(&s)?,
        batch_size,
        domain_batch_size: s.positive("domain_batch_size", batch_size, "2048")?,
        domain_every: s.positive("domain_every", 1, "1")?,
        epochs: s.positive("epochs", 20, "30")?,
        early_stopping: s.usize("early_stopping", 5, "5")?,
        split,
        seed: s.u64("seed", "1")?.unwrap_or(1),
        clip_grad_norm: clip,
        init: s
            .string("init", "\"previous/model.json\"")?
            .map(|p| PathBuf::from(resolve(base, &p))),
        metric_events: s.positive("metric_events", 200_000, "200000")?,
    })
}
