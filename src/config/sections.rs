//! The sections of the run description, their checked types, and the checks that build
//! them from TOML. Defaults live here and in docs/config.md, nowhere else.

use std::path::{Path, PathBuf};

use rootgrad_kernels::Act;
use toml::{Table, Value};

use super::read::Section;
use super::RunConfig;
use crate::nn::Init;
use crate::optim::{
    AdadeltaConfig, AdamConfig, AdamaxConfig, CheckedOptimizer, OptimizerConfig, RmsPropConfig,
    Schedule, ScheduleConfig, SgdConfig,
};
use crate::{Error, Result};

/// What to do with events of negative weight in one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegativeWeights {
    /// Use them as they are (the default, and the right thing for NLO weights and
    /// sWeights).
    Keep,
    /// Leave the events out (reported: how many, and their total weight).
    Ignore,
    /// Use |w| (reported: how many changed, and by how much weight).
    Abs,
}

/// One sample: a chain of files (globs, `file.root:tree`), friends, a cut and a weight.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSpec {
    /// The dotted config key (`classification.signal`), for messages.
    pub key: String,
    /// `file.root:tree` patterns, resolved against the config's folder.
    pub files: Vec<String>,
    /// Friend trees joined by entry number, `file.root:tree` patterns.
    pub friends: Vec<String>,
    /// Selection expression; `None` keeps every entry.
    pub cut: Option<String>,
    /// Weight expression; "1" when not given.
    pub weight: String,
    pub negative_weights: NegativeWeights,
    /// Drop events with a NaN or infinite feature (and report how many) instead of
    /// stopping with an error.
    pub drop_nonfinite: bool,
}

/// How the two classes' weights are scaled before training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassNormalize {
    /// Both classes scaled to the same total weight.
    Equal,
    /// Weights as the expressions give them.
    None,
}

#[derive(Debug, Clone)]
pub struct Classification {
    pub signal: SampleSpec,
    pub background: SampleSpec,
    pub normalize: ClassNormalize,
}

#[derive(Debug, Clone)]
pub struct Domain {
    pub data: SampleSpec,
    pub mc: SampleSpec,
}

/// A reversal head's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadConfig {
    /// Which shared hidden layer it reads (0-based); default the last.
    pub from_layer: usize,
    pub hidden: Vec<usize>,
    pub activation: Act,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConfig {
    pub hidden: Vec<usize>,
    pub activation: Act,
    pub dropout: f64,
    pub init: Init,
    pub domain_head: HeadConfig,
    pub mass_head: HeadConfig,
}

/// How events are held out.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// A random fraction (seeded) for validation; 0 trains on everything.
    Fraction(f64),
    /// k models; model k never sees the events whose `expression` is k. Inside the
    /// other folds, `validation` is held out at random for early stopping.
    Folds {
        k: usize,
        expression: String,
        validation: f64,
    },
}

#[derive(Debug, Clone)]
pub struct Training {
    pub optimizer: CheckedOptimizer,
    pub schedule: Schedule,
    pub batch_size: usize,
    pub domain_batch_size: usize,
    pub domain_every: usize,
    pub epochs: usize,
    /// Patience in epochs; 0 switches early stopping off.
    pub early_stopping: usize,
    pub split: Split,
    pub seed: u64,
    pub clip_grad_norm: Option<f64>,
    /// Start from this model's standardisation and weights.
    pub init: Option<PathBuf>,
    /// At most this many events per set for the per-epoch AUC and KS.
    pub metric_events: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdaptationMethod {
    None,
    Histogram,
    Reversal,
    Both,
    Doping,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReversalSchedule {
    Constant,
    /// DANN: lambda_p = lambda (2 / (1 + exp(-gamma p)) - 1).
    Dann {
        gamma: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Adaptation {
    pub method: AdaptationMethod,
    /// lambda_H.
    pub histogram_lambda: f64,
    /// lambda_G (maximum, with the DANN schedule).
    pub reversal_lambda: f64,
    pub reversal_schedule: ReversalSchedule,
    pub bins: usize,
    pub warmup_epochs: usize,
    pub doping_fraction: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecorrelationMethod {
    Flatness,
    Adversary,
    Both,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decorrelation {
    pub mass: String,
    pub method: DecorrelationMethod,
    /// lambda_F for flatness.
    pub flatness_lambda: f64,
    /// lambda_M for the adversary.
    pub adversary_lambda: f64,
    pub mass_bins: usize,
    pub bins: usize,
}

const SAMPLE_KEYS: &[&str] = &[
    "files",
    "friends",
    "cut",
    "weight",
    "negative_weights",
    "drop_nonfinite",
];

fn resolve(base: &Path, pattern: &str) -> String {
    if Path::new(pattern).is_absolute() || base == Path::new(".") {
        pattern.to_string()
    } else {
        base.join(pattern).to_string_lossy().into_owned()
    }
}

fn sample(parent: &Section, key: &str, base: &Path) -> Result<Option<SampleSpec>> {
    let Some(s) = parent.table(key)? else {
        return Ok(None);
    };
    s.check_keys(SAMPLE_KEYS)?;
    let example = "[\"mc_*.root:Events\"]";
    let files = s.strings("files", example)?.unwrap_or_default();
    if files.is_empty() {
        return Err(s.err(format!(
            "`{}` is missing or empty; give the ntuples as files = {example}",
            s.key("files")
        )));
    }
    let friends = s.strings("friends", "[\"extra.root:Friends\"]")?;
    let neg = s.choice("negative_weights", &["keep", "ignore", "abs"], "keep")?;
    let weight = s.string("weight", "\"genWeight\"")?;
    let weight = match weight {
        Some(w) if w.trim().is_empty() => {
            return Err(s.err(format!(
                "`{}` is empty; leave it out for unit weights",
                s.key("weight")
            )))
        }
        Some(w) => w,
        None => "1".to_string(),
    };
    Ok(Some(SampleSpec {
        key: s.path.clone(),
        files: files.iter().map(|f| resolve(base, f)).collect(),
        friends: friends
            .unwrap_or_default()
            .iter()
            .map(|f| resolve(base, f))
            .collect(),
        cut: s
            .string("cut", "\"nJet > 0\"")?
            .filter(|c| !c.trim().is_empty()),
        weight,
        negative_weights: match neg.as_str() {
            "ignore" => NegativeWeights::Ignore,
            "abs" => NegativeWeights::Abs,
            _ => NegativeWeights::Keep,
        },
        drop_nonfinite: s.bool("drop_nonfinite", false)?,
    }))
}

const ACTIVATIONS: &[&str] = &[
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "tanh",
    "sigmoid",
    "silu",
];

fn activation(s: &Section, key: &str, alpha_key: &str, default: &str) -> Result<Act> {
    let name = s.choice(key, ACTIVATIONS, default)?;
    let alpha = s.f64(alpha_key, "0.01")?;
    Ok(match name.as_str() {
        "leaky_relu" => Act::LeakyRelu(alpha.unwrap_or(0.01)),
        "elu" => Act::Elu(alpha.unwrap_or(1.0)),
        "selu" => Act::Selu,
        "tanh" => Act::Tanh,
        "sigmoid" => Act::Sigmoid,
        "silu" => Act::Silu,
        _ => Act::Relu,
    })
}

/// The config name of an activation (the inverse of [`activation`]).
pub fn act_name(a: Act) -> (&'static str, Option<f64>) {
    match a {
        Act::Identity => ("identity", None),
        Act::Relu => ("relu", None),
        Act::LeakyRelu(x) => ("leaky_relu", Some(x)),
        Act::Elu(x) => ("elu", Some(x)),
        Act::Selu => ("selu", None),
        Act::Tanh => ("tanh", None),
        Act::Sigmoid => ("sigmoid", None),
        Act::Silu => ("silu", None),
    }
}

fn head(s: &Section, key: &str, n_hidden: usize, shared: Act) -> Result<HeadConfig> {
    let default = HeadConfig {
        from_layer: n_hidden.saturating_sub(1),
        hidden: vec![32],
        activation: shared,
    };
    let Some(h) = s.table(key)? else {
        return Ok(default);
    };
    h.check_keys(&["from_layer", "hidden", "activation", "alpha"])?;
    let from_layer = h.usize("from_layer", default.from_layer, "0")?;
    let activation = if h.get("activation").is_some() {
        activation(&h, "activation", "alpha", "relu")?
    } else {
        shared
    };
    Ok(HeadConfig {
        from_layer,
        hidden: h.widths("hidden", "[32]")?.unwrap_or(default.hidden),
        activation,
    })
}

fn network(s: Option<Section>) -> Result<NetworkConfig> {
    let empty = Table::new();
    let s = s.unwrap_or(Section::new("", "network", &empty));
    s.check_keys(&[
        "hidden",
        "activation",
        "alpha",
        "dropout",
        "init",
        "domain_head",
        "mass_head",
    ])?;
    let hidden = s
        .widths("hidden", "[64, 64, 64]")?
        .unwrap_or(vec![64, 64, 64]);
    let act = activation(&s, "activation", "alpha", "relu")?;
    let dropout = s.finite("dropout", 0.0, "0.1")?;
    if !(0.0..1.0).contains(&dropout) {
        return Err(s.err(format!(
            "`network.dropout` = {dropout} is outside [0, 1); 0 switches dropout off"
        )));
    }
    let init = match s
        .choice("init", &["torch", "he", "glorot"], "torch")?
        .as_str()
    {
        "he" => Init::HeNormal,
        "glorot" => Init::GlorotUniform,
        _ => Init::Torch,
    };
    let n = hidden.len();
    Ok(NetworkConfig {
        domain_head: head(&s, "domain_head", n, act)?,
        mass_head: head(&s, "mass_head", n, act)?,
        hidden,
        activation: act,
        dropout,
        init,
    })
}

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

fn training(s: Option<Section>, base: &Path) -> Result<Training> {
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
        Some(v) if v.is_finite() && v > 0.0 => Some(v),
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

fn lambda(s: &Section, key: &str, default: f64) -> Result<f64> {
    let v = s.finite(key, default, "1.0")?;
    if v < 0.0 {
        return Err(s.err(format!(
            "`{}` = {v}: a loss weight must be >= 0 (0 switches the term off)",
            s.key(key)
        )));
    }
    Ok(v)
}

fn adaptation(s: Option<Section>) -> Result<Adaptation> {
    let empty = Table::new();
    let s = s.unwrap_or(Section::new("", "adaptation", &empty));
    s.check_keys(&[
        "method",
        "lambda",
        "reversal_lambda",
        "schedule",
        "gamma",
        "bins",
        "warmup_epochs",
        "doping_fraction",
    ])?;
    let method = match s
        .choice(
            "method",
            &["none", "histogram", "reversal", "both", "doping"],
            "none",
        )?
        .as_str()
    {
        "histogram" => AdaptationMethod::Histogram,
        "reversal" => AdaptationMethod::Reversal,
        "both" => AdaptationMethod::Both,
        "doping" => AdaptationMethod::Doping,
        _ => AdaptationMethod::None,
    };
    // `lambda` is the method's own weight: lambda_H for histogram and both, lambda_G for
    // reversal; `reversal_lambda` sets lambda_G for both.
    let (histogram_lambda, reversal_lambda) = match method {
        AdaptationMethod::Reversal => {
            if s.get("reversal_lambda").is_some() && s.get("lambda").is_some() {
                return Err(s.err(
                    "[adaptation] with method = \"reversal\": give `lambda` or \
                     `reversal_lambda`, not both"
                        .into(),
                ));
            }
            let key = if s.get("reversal_lambda").is_some() {
                "reversal_lambda"
            } else {
                "lambda"
            };
            (0.0, lambda(&s, key, 1.0)?)
        }
        _ => (
            lambda(&s, "lambda", 10.0)?,
            lambda(&s, "reversal_lambda", 1.0)?,
        ),
    };
    let reversal_schedule = match s
        .choice("schedule", &["constant", "dann"], "constant")?
        .as_str()
    {
        "dann" => ReversalSchedule::Dann {
            gamma: lambda(&s, "gamma", 10.0)?,
        },
        _ => ReversalSchedule::Constant,
    };
    // keys that the chosen method would ignore are refused, so nothing is silently unused
    let unused = |key: &str, when: &str| -> Result<()> {
        if s.get(key).is_some() {
            return Err(s.err(format!(
                "`{}` is only used {when}; remove it (method is \"{}\")",
                s.key(key),
                s.choice(
                    "method",
                    &["none", "histogram", "reversal", "both", "doping"],
                    "none"
                )?
            )));
        }
        Ok(())
    };
    if !matches!(method, AdaptationMethod::Reversal | AdaptationMethod::Both) {
        unused("schedule", "with method = \"reversal\" or \"both\"")?;
        unused(
            "reversal_lambda",
            "with method = \"both\" (for \"reversal\", `lambda` is its weight)",
        )?;
    }
    if reversal_schedule == ReversalSchedule::Constant {
        unused("gamma", "with schedule = \"dann\"")?;
    }
    if method != AdaptationMethod::Doping {
        unused("doping_fraction", "with method = \"doping\"")?;
    }
    if !matches!(method, AdaptationMethod::Histogram | AdaptationMethod::Both) {
        unused("bins", "with method = \"histogram\" or \"both\"")?;
    }
    if method == AdaptationMethod::None || method == AdaptationMethod::Doping {
        unused("lambda", "by the histogram loss and gradient reversal")?;
        unused(
            "warmup_epochs",
            "by the histogram loss and gradient reversal",
        )?;
    }
    let doping_fraction = s.finite("doping_fraction", 0.1, "0.1")?;
    if !(doping_fraction > 0.0) {
        return Err(s.err(format!(
            "`adaptation.doping_fraction` = {doping_fraction} must be > 0: the simulation's \
             total weight as a fraction of the background's"
        )));
    }
    Ok(Adaptation {
        method,
        histogram_lambda,
        reversal_lambda,
        reversal_schedule,
        bins: s.positive("bins", 10, "10")?,
        warmup_epochs: s.usize("warmup_epochs", 0, "0")?,
        doping_fraction,
    })
}

fn decorrelation(s: Option<Section>) -> Result<Option<Decorrelation>> {
    let Some(s) = s else { return Ok(None) };
    s.check_keys(&[
        "mass",
        "method",
        "lambda",
        "adversary_lambda",
        "mass_bins",
        "bins",
    ])?;
    let Some(mass) = s.string("mass", "\"mass\"")? else {
        return Err(s.err(
            "[decorrelation] needs `mass`, the expression of the mass the score must not \
             depend on, e.g. mass = \"mass\""
                .into(),
        ));
    };
    let method = match s
        .choice("method", &["flatness", "adversary", "both"], "flatness")?
        .as_str()
    {
        "adversary" => DecorrelationMethod::Adversary,
        "both" => DecorrelationMethod::Both,
        _ => DecorrelationMethod::Flatness,
    };
    let l = lambda(&s, "lambda", 1.0)?;
    Ok(Some(Decorrelation {
        mass,
        method,
        flatness_lambda: l,
        adversary_lambda: match method {
            DecorrelationMethod::Adversary => lambda(&s, "adversary_lambda", l)?,
            _ => lambda(&s, "adversary_lambda", 1.0)?,
        },
        mass_bins: s.positive("mass_bins", 10, "10")?,
        bins: s.positive("bins", 10, "10")?,
    }))
}

/// Checks the whole description.
pub(super) fn check(file: &str, table: &Table, base: &Path) -> Result<RunConfig> {
    let top = Section::new(file, "", table);
    top.check_keys(super::top_keys())?;
    let inputs = top.table("inputs")?.ok_or_else(|| {
        top.err(
            "the [inputs] section is missing; list the features, e.g.\n  [inputs]\n  \
             features = [\"pt\", \"abs(eta)\"]"
                .into(),
        )
    })?;
    inputs.check_keys(&["features"])?;
    let features = inputs
        .strings("features", "[\"pt\", \"abs(eta)\"]")?
        .unwrap_or_default();
    if features.is_empty() {
        return Err(inputs.err(
            "`inputs.features` is missing or empty; list at least one feature expression".into(),
        ));
    }
    for (i, f) in features.iter().enumerate() {
        if features[..i].contains(f) {
            return Err(inputs.err(format!(
                "`inputs.features` lists `{f}` twice; each feature once"
            )));
        }
    }
    let classification = match top.table("classification")? {
        None => None,
        Some(c) => {
            c.check_keys(&["signal", "background", "normalize"])?;
            let need = |k: &str| {
                c.err(format!(
                    "[classification] needs `{k}`, e.g. {k} = {{ files = [\"mc.root:Events\"], \
                     cut = \"...\", weight = \"genWeight\" }}"
                ))
            };
            Some(Classification {
                signal: sample(&c, "signal", base)?.ok_or_else(|| need("signal"))?,
                background: sample(&c, "background", base)?.ok_or_else(|| need("background"))?,
                normalize: match c.choice("normalize", &["equal", "none"], "equal")?.as_str() {
                    "none" => ClassNormalize::None,
                    _ => ClassNormalize::Equal,
                },
            })
        }
    };
    let domain = match top.table("domain")? {
        None => None,
        Some(d) => {
            d.check_keys(&["data", "mc"])?;
            let need = |k: &str| {
                d.err(format!(
                    "[domain] needs `{k}`, e.g. {k} = {{ files = [\"{k}.root:Events\"], weight = \
                     \"sWeight\" }}"
                ))
            };
            Some(Domain {
                data: sample(&d, "data", base)?.ok_or_else(|| need("data"))?,
                mc: sample(&d, "mc", base)?.ok_or_else(|| need("mc"))?,
            })
        }
    };
    let network = network(top.table("network")?)?;
    let training = training(top.table("training")?, base)?;
    let adaptation = adaptation(top.table("adaptation")?)?;
    let decorrelation = decorrelation(top.table("decorrelation")?)?;
    if adaptation.method != AdaptationMethod::None && domain.is_none() {
        return Err(Error::Usage(format!(
            "{file}: [adaptation] method needs a [domain] section with the control region's \
             `data` and `mc` samples (or set method = \"none\")"
        )));
    }
    if network.hidden.is_empty() {
        let needs_head = matches!(
            adaptation.method,
            AdaptationMethod::Reversal | AdaptationMethod::Both
        ) || decorrelation.as_ref().is_some_and(|d| {
            matches!(
                d.method,
                DecorrelationMethod::Adversary | DecorrelationMethod::Both
            )
        });
        if needs_head {
            return Err(Error::Usage(format!(
                "{file}: gradient reversal needs a hidden layer for its head to read; set \
                 network.hidden = [64, 64] (say)"
            )));
        }
    }
    Ok(RunConfig {
        path: PathBuf::new(),
        features,
        classification,
        domain,
        network,
        training,
        adaptation,
        decorrelation,
        as_used: Table::new(),
    })
}
