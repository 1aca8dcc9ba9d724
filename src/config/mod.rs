//! The run description: one TOML file, checked once into [`RunConfig`].
//!
//! Every key of every section is known ([`read::Section::check_keys`]); an unknown key,
//! a value of the wrong type or out of range is an error that names the key by its
//! dotted path (`training.learning_rate`) and says how to fix it, before any file is
//! read. `--set KEY=VALUE` overrides are applied to the parsed TOML first, so they are
//! checked the same way. docs/config.md lists every key with its default.
//!
//! Relative file names in sample `files` and `friends`, and `training.init`, are taken
//! relative to the folder holding the config file, so a config and its ntuples can move
//! together; absolute names are used as they are.

mod checks;
pub mod init;
mod overrides;
mod plan;
pub(crate) mod read;
mod sections;
#[cfg(test)]
mod tests;
mod training;
mod types;

use std::path::{Path, PathBuf};

pub use plan::{AdversaryTerm, DomainTerms, FlatnessTerm, HistogramTerm, LossPlan, ReversalTerm};
pub use sections::{act_name, act_of_name};
pub use types::{
    Adaptation, AdaptationMethod, ClassNormalize, Classification, Decorrelation,
    DecorrelationMethod, Domain, FeatureLabel, HeadConfig, NegativeWeights, NetworkConfig,
    ReversalSchedule, SampleSpec, Split, Training, MAX_MASS_BINS,
};

use crate::nn::{HeadSpec, NetworkSpec};
use crate::{Error, Result};

/// A checked run description.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// Feature expressions, in input order.
    pub features: Vec<String>,
    /// The axis title and unit of each feature (`[inputs.labels]`), in input order.
    pub labels: Vec<FeatureLabel>,
    /// Labelled simulation (signal and background); required by `train`.
    pub classification: Option<Classification>,
    /// The control region (data and simulation); required by adaptation.
    pub domain: Option<Domain>,
    pub network: NetworkConfig,
    pub training: Training,
    pub adaptation: Adaptation,
    pub decorrelation: Option<Decorrelation>,
    /// The TOML as used (after `--set`), recorded in the model file.
    pub as_used: toml::Table,
    /// Notes for the user: keys of the file that a `--set` or `--unset` made irrelevant
    /// and that were therefore ignored.
    pub notes: Vec<String>,
}

const TOP_KEYS: &[&str] = &[
    "inputs",
    "classification",
    "domain",
    "network",
    "training",
    "adaptation",
    "decorrelation",
];

impl RunConfig {
    /// Reads and checks `path`, after applying each `--set KEY=VALUE` in order.
    pub fn load(path: &Path, sets: &[String]) -> Result<RunConfig> {
        Self::load_with(path, sets, &[])
    }

    /// Reads and checks `path` after `--unset KEY` and `--set KEY=VALUE`
    /// ([`overrides::apply`]): keys of the file that an override makes irrelevant are
    /// dropped with a note (`notes`).
    pub fn load_with(path: &Path, sets: &[String], unsets: &[String]) -> Result<RunConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_str_with(&text, path, sets, unsets)
    }

    /// Checks a run description given as text; `path` names it in messages and anchors
    /// relative file names.
    pub fn from_str(text: &str, path: &Path, sets: &[String]) -> Result<RunConfig> {
        Self::from_str_with(text, path, sets, &[])
    }

    /// [`RunConfig::from_str`] with `--unset` keys.
    pub fn from_str_with(
        text: &str,
        path: &Path,
        sets: &[String],
        unsets: &[String],
    ) -> Result<RunConfig> {
        let name = path.display().to_string();
        let mut table: toml::Table = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            Error::Usage(format!(
                "{name}{at}: not valid TOML: {}",
                e.message().trim()
            ))
        })?;
        let notes = overrides::apply(&mut table, sets, unsets)?;
        let mut c = Self::from_table(table, path)?;
        c.notes = notes;
        Ok(c)
    }

    /// Checks a parsed run description (the `training` table of a model file, say);
    /// `path` names it in messages and anchors relative file names.
    pub fn from_table(table: toml::Table, path: &Path) -> Result<RunConfig> {
        let name = path.display().to_string();
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        sections::check(&name, &table, &base).map(|mut c| {
            c.path = path.to_path_buf();
            c.as_used = table.clone();
            c
        })
    }

    /// The network this description asks for, with the training heads its loss terms
    /// need: the domain head for gradient reversal, the mass head for the adversary.
    /// Its shape is checked when the description is read.
    pub fn network_spec(&self) -> NetworkSpec {
        self.network_spec_for(&self.terms())
    }

    /// The network of [network] with the heads that `plan`'s terms need.
    pub fn network_spec_for(&self, plan: &LossPlan) -> NetworkSpec {
        let (reversal, adversary) = plan.heads();
        let head_spec = |h: &HeadConfig| HeadSpec {
            from_layer: h.from_layer,
            hidden: h.hidden.clone(),
            activation: h.activation,
        };
        let n = &self.network;
        NetworkSpec {
            inputs: self.features.len(),
            hidden: n.hidden.clone(),
            activation: n.activation,
            dropout: n.dropout,
            // a classifier: one logit (there is no key for it)
            outputs: 1,
            domain_head: reversal.then(|| head_spec(&n.domain_head)),
            mass_head: adversary.then(|| head_spec(&n.mass_head)),
        }
    }

    /// Whether the loss has data/simulation terms (histogram or reversal), which need
    /// domain batches.
    pub fn uses_domain_batches(&self) -> bool {
        self.terms().domain.is_some()
    }
}

/// The top-level keys, for messages.
pub(crate) fn top_keys() -> &'static [&'static str] {
    TOP_KEYS
}
