//! The samples of a run description, read once, and the sets each model trains and
//! validates on: what `train` runs on, and what `report` rebuilds to show a model on the
//! events it was validated on.
//!
//! Reading: signal and background (with the mass when decorrelating), and the control
//! region's data and simulation when there is a [domain] section; the fold value of
//! every event with k folds. Class scales: `normalize = "equal"` multiplies each class's
//! weights so that both total (N_sig + N_bkg) / 2. Per model: the roles of the events
//! (`data::split::roles`, one stream per sample: 0 signal, 1 background, 2 data, 3
//! simulation), the standardisation from its training events, and the sets, with the
//! doped simulation added to the background for `method = "doping"`.

use crate::config::{AdaptationMethod, ClassNormalize, RunConfig, Split};
use crate::data::sets::{FitSets, Set, Standardize};
use crate::data::split::{roles, Role};
use crate::data::{load, Sample, Wanted};
use crate::expr::Expr;
use crate::progress::Progress;
use crate::random::Stream;
use crate::{Error, Result};

/// Every sample of a run, read.
pub struct Prepared {
    pub features: Vec<Expr>,
    pub sig: Sample,
    pub bkg: Sample,
    pub data: Option<Sample>,
    pub mc: Option<Sample>,
    /// The class scales of signal and background.
    pub scales: (f64, f64),
    /// Number of folds, if any.
    pub k: Option<usize>,
    /// The validation fraction.
    pub fraction: f64,
    pub seed: u64,
}

fn parse(what: &str, src: &str) -> Result<Expr> {
    Expr::parse(src).map_err(|e| Error::Usage(format!("{what}: {e}")))
}

/// The indices of the events with role `want`.
pub fn pick(r: &[Role], want: Role) -> Vec<usize> {
    (0..r.len()).filter(|&i| r[i] == want).collect()
}

impl Prepared {
    /// Reads every sample of `cfg`.
    pub fn load(cfg: &RunConfig, progress: &Progress) -> Result<Prepared> {
        let Some(cls) = &cfg.classification else {
            return Err(Error::Usage(format!(
                "{}: `train` needs a [classification] section with `signal` and `background` \
                 samples",
                cfg.path.display()
            )));
        };
        let features: Vec<Expr> = cfg
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| parse(&format!("inputs.features[{i}]"), f))
            .collect::<Result<_>>()?;
        let fold_expr = match &cfg.training.split {
            Split::Folds { k, expression, .. } => Some((parse("training.fold", expression)?, *k)),
            _ => None,
        };
        let mass_expr = cfg
            .decorrelation
            .as_ref()
            .map(|d| parse("decorrelation.mass", &d.mass))
            .transpose()?;
        let fold = fold_expr.as_ref().map(|(e, k)| (e, *k));
        let want_cls = Wanted {
            features: &features,
            fold,
            mass: mass_expr.as_ref(),
            f64: false,
        };
        let want_dom = Wanted {
            features: &features,
            fold,
            mass: None,
            f64: false,
        };
        let sig = load(&cls.signal, &want_cls, progress)?;
        let bkg = load(&cls.background, &want_cls, progress)?;
        let (data, mc) = match &cfg.domain {
            Some(d) => (
                Some(load(&d.data, &want_dom, progress)?),
                Some(load(&d.mc, &want_dom, progress)?),
            ),
            None => (None, None),
        };
        let scales = match cls.normalize {
            ClassNormalize::None => (1.0, 1.0),
            ClassNormalize::Equal => {
                let half = (sig.len() + bkg.len()) as f64 / 2.0;
                (half / sig.report.sum_weights, half / bkg.report.sum_weights)
            }
        };
        let (k, fraction) = match &cfg.training.split {
            Split::Fraction(f) => (None, *f),
            Split::Folds { k, validation, .. } => (Some(*k), *validation),
        };
        Ok(Prepared {
            features,
            sig,
            bkg,
            data,
            mc,
            scales,
            k,
            fraction,
            seed: cfg.training.seed,
        })
    }

    /// The models to train: `[None]`, or one per fold.
    pub fn models(&self) -> Vec<Option<usize>> {
        match self.k {
            None => vec![None],
            Some(k) => (0..k).map(Some).collect(),
        }
    }

    /// The roles of sample `s` (stream `stream`) for model `m`.
    pub fn roles(&self, s: &Sample, stream: Stream, m: Option<usize>) -> Vec<Role> {
        let f = m.map(|k| (&s.fold[..], k as u32));
        roles(s.len(), f, self.fraction, self.seed, stream)
    }

    /// The standardisation of model `m` from its training events of both classes, and
    /// the indices of constant features.
    pub fn standardize(&self, m: Option<usize>) -> (Standardize, Vec<usize>) {
        let r_sig = self.roles(&self.sig, Stream::SplitSignal, m);
        let r_bkg = self.roles(&self.bkg, Stream::SplitBackground, m);
        let rows = pick(&r_sig, Role::Train)
            .into_iter()
            .map(|i| self.sig.row(i))
            .chain(
                pick(&r_bkg, Role::Train)
                    .into_iter()
                    .map(|i| self.bkg.row(i)),
            );
        Standardize::fit(self.features.len(), rows)
    }

    /// The sets model `m` trains and validates on, standardised by `st`: index views
    /// into the samples' feature matrices (nothing is copied but labels and weights).
    pub fn sets<'a>(
        &'a self,
        cfg: &RunConfig,
        m: Option<usize>,
        st: &'a Standardize,
    ) -> Result<FitSets<'a>> {
        let (s_sig, s_bkg) = self.scales;
        let r_sig = self.roles(&self.sig, Stream::SplitSignal, m);
        let r_bkg = self.roles(&self.bkg, Stream::SplitBackground, m);
        let width = self.features.len();
        let mut train = Set::new(width, st);
        let mut val = Set::new(width, st);
        for (s, r, y, scale) in [
            (&self.sig, &r_sig, 1.0, s_sig),
            (&self.bkg, &r_bkg, 0.0, s_bkg),
        ] {
            train.extend(s, &pick(r, Role::Train), y, scale);
            val.extend(s, &pick(r, Role::Validate), y, scale);
        }
        let fold_note = m.map(|k| format!(" of fold {k}")).unwrap_or_default();
        let (mut domain_train, mut domain_val) = (None, None);
        if let (Some(d), Some(s)) = (&self.data, &self.mc) {
            let r_d = self.roles(d, Stream::SplitData, m);
            let r_m = self.roles(s, Stream::SplitMc, m);
            let mut parts = Vec::new();
            for want in [Role::Train, Role::Validate] {
                let mut ds = Set::new(width, st);
                ds.extend(d, &pick(&r_d, want), 1.0, 1.0);
                let mut ms = Set::new(width, st);
                ms.extend(s, &pick(&r_m, want), 0.0, 1.0);
                parts.push((ds, ms));
            }
            let v = parts.pop();
            let t = parts.pop();
            if cfg.adaptation.method == AdaptationMethod::Doping {
                // the control region's simulation joins the background with a total
                // weight of doping_fraction times the background's
                for (set, part) in [(&mut train, &t), (&mut val, &v)] {
                    let Some((_, ms)) = part else { continue };
                    let w_bkg: f64 = (0..set.len())
                        .filter(|&i| set.y[i] == 0.0)
                        .map(|i| set.w[i] as f64)
                        .sum();
                    if ms.is_empty() {
                        continue;
                    }
                    let w_mc = ms.sum_w();
                    if w_mc.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                        return Err(Error::Usage(format!(
                            "doping: the control region's simulation{fold_note} has total \
                             weight {w_mc} in a training or validation part; doping scales it \
                             to a fraction of the background's weight, which needs a positive \
                             total"
                        )));
                    }
                    let scale = cfg.adaptation.doping_fraction * w_bkg / w_mc;
                    set.append(ms, 0.0, scale);
                }
            }
            if cfg.uses_domain_batches() {
                if let Some((ds, ms)) = &t {
                    if ds.is_empty() || ms.is_empty() {
                        return Err(Error::Usage(format!(
                            "the control region has {} data and {} simulation events in the \
                             training part{fold_note}; both are needed for the adaptation \
                             terms (lower training.validation, or add events)",
                            ds.len(),
                            ms.len(),
                        )));
                    }
                }
            }
            domain_train = t;
            // no validation part of the control region without validation events
            domain_val = v.filter(|(ds, ms)| !ds.is_empty() && !ms.is_empty());
        }
        let one_class = val.y.iter().all(|&y| y == 1.0) || val.y.iter().all(|&y| y == 0.0);
        if !val.is_empty() && one_class {
            return Err(Error::Usage(format!(
                "the validation set{fold_note} holds only one class ({} events); raise \
                 training.validation or add events",
                val.len()
            )));
        }
        Ok(FitSets {
            train,
            val,
            domain_train,
            domain_val,
        })
    }
}
