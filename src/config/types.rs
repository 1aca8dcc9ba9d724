//! The checked types of the run description: what [`super::RunConfig`] holds once every
//! key has passed its check (in `sections.rs` and `training.rs`).

use std::path::PathBuf;

use rootgrad_kernels::Act;

use crate::loss::HistogramConfig;
use crate::nn::Init;
use crate::optim::{CheckedOptimizer, GradClip, Schedule};

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

/// A feature's axis title and unit (`[inputs.labels]`).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureLabel {
    /// The axis title (default: the feature's expression).
    pub label: String,
    /// The unit, e.g. "GeV"; none for a dimensionless feature.
    pub unit: Option<String>,
}

impl FeatureLabel {
    /// "label [unit]", or the label alone.
    pub fn axis(&self) -> String {
        match &self.unit {
            Some(u) => format!("{} [{u}]", self.label),
            None => self.label.clone(),
        }
    }
}

/// The `[network]` section.
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
    /// The gradient-norm clipping threshold, checked (finite, > 0).
    pub clip_grad_norm: Option<GradClip>,
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
    /// K, the histogram loss's bins, checked (1 ..= [`HistogramConfig::MAX_BINS`]).
    pub bins: HistogramConfig,
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
    /// M, the flatness term's mass bins (1 ..= [`MAX_MASS_BINS`]).
    pub mass_bins: usize,
    /// K, the flatness term's score bins, checked (1 ..= [`HistogramConfig::MAX_BINS`]).
    pub bins: HistogramConfig,
}

/// The most mass bins `decorrelation.mass_bins` may ask for (each needs training
/// background events of positive weight, so far fewer work in practice).
pub const MAX_MASS_BINS: usize = 1_000_000;
