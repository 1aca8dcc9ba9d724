//! The checks that build the run description's checked types (`types.rs`) from TOML:
//! samples, [network], [adaptation], [decorrelation] and the whole file ([training] is in
//! `training.rs`). Defaults live in these checks and in docs/config.md, nowhere else.

use std::path::{Path, PathBuf};

use rootgrad_kernels::Act;
use toml::Table;

use super::read::Section;
use super::training::training;
use super::types::{
    Adaptation, AdaptationMethod, ClassNormalize, Classification, Decorrelation,
    DecorrelationMethod, Domain, FeatureLabel, HeadConfig, NegativeWeights, NetworkConfig,
    ReversalSchedule, SampleSpec, MAX_MASS_BINS,
};
use super::RunConfig;
use crate::loss::HistogramConfig;
use crate::nn::Init;
use crate::Result;

const SAMPLE_KEYS: &[&str] = &[
    "files",
    "friends",
    "cut",
    "weight",
    "negative_weights",
    "drop_nonfinite",
];

pub(super) fn resolve(base: &Path, pattern: &str) -> String {
    // a URL (root://, https://) is not a path: left as it is, so that the reader can
    // say that remote files are not read
    if Path::new(pattern).is_absolute() || base == Path::new(".") || pattern.contains("://") {
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
    // `choice` admitted only the names of ACTIVATIONS, which act_of_name knows
    Ok(act_of_name(&name, alpha).unwrap_or(Act::Relu))
}

/// The activation of a name as the run description and the model file write it, with
/// the slope of leaky_relu or the alpha of elu (defaults 0.01 and 1); None for a name
/// rootgrad does not know. The inverse of [`act_name`].
pub fn act_of_name(name: &str, alpha: Option<f64>) -> Option<Act> {
    Some(match name {
        "relu" => Act::Relu,
        "leaky_relu" => Act::LeakyRelu(alpha.unwrap_or(0.01)),
        "elu" => Act::Elu(alpha.unwrap_or(1.0)),
        "selu" => Act::Selu,
        "tanh" => Act::Tanh,
        "sigmoid" => Act::Sigmoid,
        "silu" => Act::Silu,
        "identity" => Act::Identity,
        _ => return None,
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

/// `bins` of [adaptation] or [decorrelation]: K >= 1 (default 10) and at most
/// [`HistogramConfig::MAX_BINS`], checked here so that a wrong value fails before any
/// ntuple is read.
fn histogram_bins(s: &Section) -> Result<HistogramConfig> {
    let bins = s.positive("bins", HistogramConfig::DEFAULT_BINS, "10")?;
    HistogramConfig::new(&s.key("bins"), bins).map_err(|e| s.err(e.to_string()))
}

/// `decorrelation.mass_bins`: M >= 1 (default 10) and at most [`MAX_MASS_BINS`].
fn mass_bins(s: &Section) -> Result<usize> {
    let m = s.positive("mass_bins", 10, "10")?;
    if m > MAX_MASS_BINS {
        return Err(s.err(format!(
            "{} = {m}: too many mass bins (at most {MAX_MASS_BINS}; each bin needs \
             training background events of positive total weight)",
            s.key("mass_bins")
        )));
    }
    Ok(m)
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
                "`{}` is only used {when}; remove it, or pass --unset {} (method is \"{}\")",
                s.key(key),
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
        bins: histogram_bins(&s)?,
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
        mass_bins: mass_bins(&s)?,
        bins: histogram_bins(&s)?,
    }))
}

/// `[inputs.labels]`: an axis title and a unit per feature, keyed by the feature's
/// expression, e.g. `"abs(eta)" = { label = "|η|" }`, `pt = { label = "p_T", unit = "GeV" }`;
/// a feature not listed is titled by its expression.
fn feature_labels(inputs: &Section, features: &[String]) -> Result<Vec<FeatureLabel>> {
    let mut out: Vec<FeatureLabel> = features
        .iter()
        .map(|f| FeatureLabel {
            label: f.clone(),
            unit: None,
        })
        .collect();
    let Some(t) = inputs.table("labels")? else {
        return Ok(out);
    };
    for key in t.table.keys() {
        let Some(j) = features.iter().position(|f| f == key) else {
            return Err(t.err(format!(
                "`{}` is not a feature; label the features as listed in inputs.features ({})",
                t.key(key),
                features.join(", ")
            )));
        };
        let e = t.table(key)?.ok_or_else(|| {
            t.err(format!(
                "`{}` must be a table, e.g. {{ label = \"p_T\", unit = \"GeV\" }}",
                t.key(key)
            ))
        })?;
        e.check_keys(&["label", "unit"])?;
        if let Some(l) = e.string("label", "\"p_T\"")? {
            out[j].label = l;
        }
        out[j].unit = e
            .string("unit", "\"GeV\"")?
            .filter(|u| !u.trim().is_empty());
    }
    Ok(out)
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
    inputs.check_keys(&["features", "labels"])?;
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
    let labels = feature_labels(&inputs, &features)?;
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
    let config = RunConfig {
        path: PathBuf::new(),
        features,
        labels,
        classification,
        domain,
        network,
        training,
        adaptation,
        decorrelation,
        as_used: Table::new(),
        notes: Vec::new(),
    };
    super::checks::across(file, &config)?;
    Ok(config)
}
