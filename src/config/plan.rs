//! The loss plan: which terms of the training loss a run description switches on, each
//! with its weight and settings, decided once from the checked sections so that the
//! trainer (`train::fit`) matches on terms instead of re-deriving flags from
//! [adaptation] and [decorrelation], and so that a combination the terms cannot train
//! with fails when the description is read, before any ntuple is opened.
//!
//! The loss of one step (docs/maths.md#losses) is
//!
//! ```text
//! L = L_C + [lambda_H L_H + L_D(lambda_G)]  +  [lambda_F L_F + L_M(lambda_M)]
//!           domain batches                     classification batches
//! ```
//!
//! L_C is always on; [`LossPlan`] holds the others.

use super::types::{AdaptationMethod, DecorrelationMethod, ReversalSchedule};
use super::RunConfig;
use crate::loss::HistogramConfig;
use crate::optim::LambdaSchedule;
use crate::{Error, Result};

/// The terms of the training loss beside the classification term, which is always on.
#[derive(Debug, Clone, PartialEq)]
pub struct LossPlan {
    /// Data/simulation terms, on domain batches of the control region
    /// (`adaptation.method` = "histogram", "reversal" or "both").
    pub domain: Option<DomainTerms>,
    /// lambda_F L_F, on the background events of each classification batch
    /// (`decorrelation.method` = "flatness" or "both").
    pub flatness: Option<FlatnessTerm>,
    /// The mass head's L_M through its reversal layer with lambda_M
    /// (`decorrelation.method` = "adversary" or "both").
    pub adversary: Option<AdversaryTerm>,
}

/// What the domain batches compute, and from when.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainTerms {
    /// Epochs at the start without domain batches (`adaptation.warmup_epochs`).
    pub warmup_epochs: usize,
    /// None with method "reversal", and with lambda_H = 0 (`adaptation.lambda = 0`
    /// switches the term off). With method "histogram" and lambda_H = 0 the domain
    /// batches are still drawn and run forward and backward, adding nothing to the
    /// gradient, as they always were.
    pub histogram: Option<HistogramTerm>,
    /// None with method "histogram". On with lambda_G = 0 too: the domain head still
    /// learns, and its loss is still reported.
    pub reversal: Option<ReversalTerm>,
}

/// lambda_H L_H: the histogram loss on the classifier's own score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramTerm {
    /// K, `adaptation.bins`.
    pub bins: HistogramConfig,
    /// lambda_H > 0.
    pub lambda: f64,
}

/// The domain head's L_D through the gradient reversal layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReversalTerm {
    /// lambda_G over training: constant, or DANN's schedule in the progress p.
    pub lambda: LambdaSchedule,
}

/// lambda_F L_F: flatness of the score in the mass, on the training background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatnessTerm {
    /// K, the score bins (`decorrelation.bins`).
    pub bins: HistogramConfig,
    /// M, the equal-population mass bins (`decorrelation.mass_bins`).
    pub mass_bins: usize,
    /// lambda_F, >= 0 (0 still computes and reports the term).
    pub lambda: f64,
}

/// L_M: the mass head regresses the standardised mass through a reversal layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdversaryTerm {
    /// lambda_M, the reversal layer's scale.
    pub lambda: f64,
}

impl LossPlan {
    /// The histogram term, when the domain batches compute it.
    pub fn histogram(&self) -> Option<&HistogramTerm> {
        self.domain.as_ref().and_then(|d| d.histogram.as_ref())
    }

    /// The gradient reversal term, when the domain batches compute it.
    pub fn reversal(&self) -> Option<&ReversalTerm> {
        self.domain.as_ref().and_then(|d| d.reversal.as_ref())
    }

    /// lambda_H, or 0 without the histogram term (its weight in the reported losses).
    pub fn histogram_lambda(&self) -> f64 {
        self.histogram().map_or(0.0, |h| h.lambda)
    }

    /// lambda_F, or 0 without the flatness term (its weight in the reported losses).
    pub fn flatness_lambda(&self) -> f64 {
        self.flatness.map_or(0.0, |f| f.lambda)
    }

    /// Whether the network needs the domain head (gradient reversal) and the mass head
    /// (the adversary).
    pub fn heads(&self) -> (bool, bool) {
        (self.reversal().is_some(), self.adversary.is_some())
    }
}

impl RunConfig {
    /// The loss plan of this description, with the checks across sections that the
    /// terms need: a method other than "none" needs [domain]; a warm-up shorter than the
    /// training; a reversal head (domain or mass) needs a shared hidden layer;
    /// [decorrelation] cannot be combined with doping. The description is checked with it when it is read
    /// ([`RunConfig::load`]), so for a loaded description this does not fail.
    pub fn loss_plan(&self) -> Result<LossPlan> {
        plan(&self.path.display().to_string(), self)
    }

    /// The terms the sections ask for, without the checks of [`RunConfig::loss_plan`]
    /// (each value was checked with its section: lambdas finite and >= 0, bins in range).
    pub(super) fn terms(&self) -> LossPlan {
        let a = &self.adaptation;
        let (histogram, reversal) = match a.method {
            AdaptationMethod::Histogram => (true, false),
            AdaptationMethod::Reversal => (false, true),
            AdaptationMethod::Both => (true, true),
            AdaptationMethod::None | AdaptationMethod::Doping => (false, false),
        };
        let domain = (histogram || reversal).then(|| DomainTerms {
            warmup_epochs: a.warmup_epochs,
            histogram: (histogram && a.histogram_lambda > 0.0).then_some(HistogramTerm {
                bins: a.bins,
                lambda: a.histogram_lambda,
            }),
            reversal: reversal.then_some(ReversalTerm {
                lambda: match a.reversal_schedule {
                    ReversalSchedule::Constant => LambdaSchedule::Constant(a.reversal_lambda),
                    ReversalSchedule::Dann { gamma } => LambdaSchedule::Dann {
                        lambda_max: a.reversal_lambda,
                        gamma,
                    },
                },
            }),
        });
        let dec = self.decorrelation.as_ref();
        let (flatness, adversary) = match dec.map(|d| d.method) {
            Some(DecorrelationMethod::Flatness) => (true, false),
            Some(DecorrelationMethod::Adversary) => (false, true),
            Some(DecorrelationMethod::Both) => (true, true),
            None => (false, false),
        };
        LossPlan {
            domain,
            flatness: dec.filter(|_| flatness).map(|d| FlatnessTerm {
                bins: d.bins,
                mass_bins: d.mass_bins,
                lambda: d.flatness_lambda,
            }),
            adversary: dec.filter(|_| adversary).map(|d| AdversaryTerm {
                lambda: d.adversary_lambda,
            }),
        }
    }
}

/// [`RunConfig::loss_plan`], with `file` naming the description in messages.
pub(super) fn plan(file: &str, c: &RunConfig) -> Result<LossPlan> {
    let method = match c.adaptation.method {
        AdaptationMethod::None => "none",
        AdaptationMethod::Histogram => "histogram",
        AdaptationMethod::Reversal => "reversal",
        AdaptationMethod::Both => "both",
        AdaptationMethod::Doping => "doping",
    };
    if c.adaptation.method != AdaptationMethod::None && c.domain.is_none() {
        return Err(Error::Usage(format!(
            "{file}: [adaptation] method needs a [domain] section with the control region's \
             `data` and `mc` samples (`adaptation.method` = \"{method}\"; or set method = \
             \"none\")"
        )));
    }
    let p = c.terms();
    if c.network.hidden.is_empty() {
        let head = match p.heads() {
            (true, _) => Some(format!(
                "gradient reversal (`adaptation.method` = \"{method}\") needs a hidden layer \
                 for its domain head to read"
            )),
            (false, true) => Some(
                "the mass adversary (`decorrelation.method`) needs a hidden layer for its mass \
                 head to read"
                    .to_string(),
            ),
            (false, false) => None,
        };
        if let Some(head) = head {
            return Err(Error::Usage(format!(
                "{file}: {head}; set network.hidden = [64, 64] (say)"
            )));
        }
    }
    if let Some(d) = p
        .domain
        .as_ref()
        .filter(|d| d.warmup_epochs >= c.training.epochs)
    {
        return Err(Error::Usage(format!(
            "{file}: `adaptation.warmup_epochs` = {} is not below `training.epochs` = {}, so \
             the {method} adaptation would never be used; lower warmup_epochs (the epochs at the \
             start without them) or raise training.epochs",
            d.warmup_epochs, c.training.epochs
        )));
    }
    if c.decorrelation.is_some() && c.adaptation.method == AdaptationMethod::Doping {
        return Err(Error::Usage(format!(
            "{file}: [decorrelation] and adaptation method \"doping\" cannot be combined \
             (`adaptation.method` = \"doping\"): the doped simulation events have no mass in \
             the classification sample"
        )));
    }
    Ok(p)
}
