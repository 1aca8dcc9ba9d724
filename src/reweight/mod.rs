//! Correcting simulation to data in a control region: classifier reweighting
//! (`rootgrad reweight`) and weighted quantile morphing (`rootgrad morph`).
//!
//! **Reweighting.** A classifier s(x) is trained to tell control-region data (label 1)
//! from simulation (label 0) with the weighted cross-entropy, each side's signed weights
//! scaled so both total (N_data + N_mc) / 2. At the optimum
//! s(x) = p_data(x) / (p_data(x) + p_mc(x)), so the per-event factor that turns the
//! simulation's density into the data's is
//!
//! ```text
//! rw(x) = s / (1 - s) = exp(z),   z the logit,
//! ```
//!
//! computed from z directly (no 1 - s cancellation). It may be capped at `max_weight`.
//! The new weight is weight_rw = w * rw * c, with one constant c per run chosen so that
//! the selected simulation keeps its total weight (sum w * rw * c = sum w), or matches
//! the data's total, or c = 1 ([`Target`]). With k folds each event's factor comes
//! from the model that did not train on it ([`classifier`]).
//!
//! **Morphing.** Per variable, T(x) = Q_data(F_mc(x)) with weighted empirical CDFs; the
//! rule for signed weights is in [`cdf`]. Chained (conditional) morphing maps each value
//! through per-event curves built from predicted quantiles, with an optional point mass
//! ([`quantile_map`]).
//!
//! Both are applied to every entry of the simulation chain chunk by chunk ([`weigh`],
//! [`morph`]) and written as friends planned by [`outputs`].

pub mod cdf;
pub mod chain;
pub mod classifier;
pub mod morph;
pub mod outputs;
pub mod quantile_map;
pub mod weigh;

use crate::{Error, Result};

/// The reweighting classifier's own settings, applied as `--set` overrides before the
/// user's own `--set` (which win), unless `reweight --classifier-from-config`. A run
/// description's [network] and [training] describe the signal/background classifier;
/// the data/simulation density ratio of a control region is a different problem (steep
/// in the tails of a narrower, shifted r9; a step at the barrel/endcap boundary in
/// sieie), where that classifier underfits: on the demo's photon_id.toml as shipped
/// ([32, 32] elu, 10 epochs) r9 stays at chi2/ndf 870/28 and abs(eta), well modelled
/// before, goes from 35.7/38 to 112.8/38. Chosen by trying capacity, depth, epochs,
/// learning rate, weight decay and folds on that sample (docs/maths.md, "Classifier
/// reweighting: the classifier's defaults"). Folds, the fold expression, the batch
/// size and the seed stay the run description's.
pub const CLASSIFIER_DEFAULTS: &[&str] = &[
    "network.hidden=[128,128]",
    "network.activation=\"relu\"",
    "network.dropout=0",
    "training.epochs=60",
    "training.learning_rate=1e-3",
];

/// The `--set` list reweight loads the run description with: [`CLASSIFIER_DEFAULTS`]
/// then the user's, or the user's alone with `from_config`.
pub fn classifier_sets(user: &[String], from_config: bool) -> Vec<String> {
    let mut v: Vec<String> = if from_config {
        Vec::new()
    } else {
        CLASSIFIER_DEFAULTS.iter().map(|s| s.to_string()).collect()
    };
    v.extend(user.iter().cloned());
    v
}

/// What the reweighted simulation's total weight in the control region is made equal
/// to (`reweight --normalize`; the variants' docs are the command line's help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The simulation keeps its total weight in the control region.
    Mc,
    /// The simulation's total weight in the control region equals the data's.
    Data,
    /// weight_rw = w * rw.
    None,
}

impl Target {
    /// The name on the command line and in summary.json.
    pub fn name(self) -> &'static str {
        match self {
            Target::Mc => "mc",
            Target::Data => "data",
            Target::None => "none",
        }
    }
}

/// Which entries of the simulation get a factor (`reweight --apply-to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApplyTo {
    /// Entries selected by the [domain.mc] cut; the others get NaN.
    Region,
    /// Every entry.
    All,
}

impl ApplyTo {
    /// The name on the command line and in summary.json.
    pub fn name(self) -> &'static str {
        match self {
            ApplyTo::Region => "region",
            ApplyTo::All => "all",
        }
    }
}

/// The factor rw = exp(z), capped at `max_weight` when given. exp of an f32 logit in f64
/// cannot overflow (|z| < 3.5e38 gives exp(z) <= inf only beyond z ~ 709; an f32 logit
/// that large is capped by `max_weight` or written as it is).
pub fn factor(z: f32, max_weight: Option<f64>) -> f64 {
    let r = (z as f64).exp();
    match max_weight {
        Some(m) => r.min(m),
        None => r,
    }
}

/// The constant c of weight_rw = w * rw * c. Sums run over the selected simulation
/// events in order, signed weights as they are, skipping events whose factor is NaN
/// (a non-finite feature). `data_total` is the data's total weight.
pub fn normalisation(w: &[f64], rw: &[f64], target: Target, data_total: f64) -> Result<f64> {
    let mut sums = NormSums::default();
    for (&wi, &ri) in w.iter().zip(rw) {
        sums.add(wi, ri);
    }
    sums.constant(target, data_total)
}

/// The two sums behind [`normalisation`], filled event by event (in order) as a chain
/// is weighed, so the factors need not be kept: sum w and sum w * rw over the events
/// whose factor is not NaN.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NormSums {
    pub before: f64,
    pub after: f64,
}

impl NormSums {
    /// Adds one selected event of weight `w` and factor `rw` (skipped when rw is NaN).
    pub fn add(&mut self, w: f64, rw: f64) {
        if rw.is_nan() {
            return;
        }
        self.before += w;
        self.after += w * rw;
    }

    /// The constant c for `target`.
    pub fn constant(&self, target: Target, data_total: f64) -> Result<f64> {
        let (before, after) = (self.before, self.after);
        let goal = match target {
            Target::None => return Ok(1.0),
            Target::Mc => before,
            Target::Data => data_total,
        };
        if !(after > 0.0 && after.is_finite()) {
            return Err(Error::Usage(format!(
                "the reweighted simulation has total weight {after}; it cannot be normalised \
                 (use --max-weight, or --normalize none)"
            )));
        }
        Ok(goal / after)
    }
}

/// The training scales of data and simulation: both sides then total (N_d + N_m) / 2.
pub fn balance(n_data: usize, w_data: f64, n_mc: usize, w_mc: f64) -> (f64, f64) {
    let half = (n_data + n_mc) as f64 / 2.0;
    (half / w_data, half / w_mc)
}

/// A branch name from an expression: every run of characters other than ASCII letters,
/// digits and `_` becomes one `_`, leading and trailing `_` are dropped, and a name that
/// would start with a digit (or be empty) gets a `v_` in front.
/// `log(pt + 1)` -> `log_pt_1`, `abs(eta)` -> `abs_eta`.
pub fn branch_name(expr: &str) -> String {
    let mut s = String::new();
    for c in expr.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17 item 7: `reweight` trains its classifier with its own defaults (a run
    /// description's [network] is the signal/background classifier's, [8, 8] here), the
    /// user's `--set` still wins, and `--classifier-from-config` keeps the file's.
    #[test]
    fn reweight_has_its_own_classifier_defaults() {
        use crate::config::RunConfig;
        let text = "[inputs]\nfeatures = [\"pt\"]\n[domain]\ndata = { files = [\"d.root:T\"] }\n\
                    mc = { files = [\"m.root:T\"] }\n[network]\nhidden = [8, 8]\n\
                    [training]\nepochs = 10\nlearning_rate = 2e-3\n";
        let load = |user: &[&str], from_config: bool| {
            let user: Vec<String> = user.iter().map(|s| s.to_string()).collect();
            let sets = classifier_sets(&user, from_config);
            RunConfig::from_str(text, std::path::Path::new("run.toml"), &sets).unwrap()
        };
        let c = load(&[], false);
        assert_eq!(c.network.hidden, vec![128, 128]);
        assert_eq!(c.training.epochs, 60);
        let c = load(&["training.epochs=30"], false);
        assert_eq!(c.training.epochs, 30, "the user's --set wins");
        let c = load(&[], true);
        assert_eq!(c.network.hidden, vec![8, 8]);
        assert_eq!(c.training.epochs, 10);
    }

    #[test]
    fn names() {
        assert_eq!(branch_name("log(pt + 1)"), "log_pt_1");
        assert_eq!(branch_name("abs(eta)"), "abs_eta");
        assert_eq!(branch_name("x[1]"), "x_1");
        assert_eq!(branch_name("1/x"), "v_1_x");
        assert_eq!(branch_name("pt_1"), "pt_1");
    }

    #[test]
    fn factor_and_normalisation() {
        assert_eq!(factor(0.0, None), 1.0);
        assert_eq!(factor(10.0, Some(5.0)), 5.0);
        let w = [1.0, -0.5, 2.0];
        let rw = [2.0, 1.0, f64::NAN];
        // before 0.5, after 1.5
        assert_eq!(normalisation(&w, &rw, Target::Mc, 9.0).unwrap(), 0.5 / 1.5);
        assert_eq!(normalisation(&w, &rw, Target::Data, 9.0).unwrap(), 6.0);
        assert_eq!(normalisation(&w, &rw, Target::None, 9.0).unwrap(), 1.0);
        assert!(normalisation(&[-1.0], &[1.0], Target::Mc, 1.0).is_err());
    }
}
