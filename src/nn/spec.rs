//! The network's description as a user writes it ([`NetworkSpec`]), checked once into
//! the list of dense layers that [`crate::nn::params::ParamTable`] turns into named
//! slices of one flat buffer.
//!
//! Shape: `inputs -> hidden[0] -> ... -> hidden[L-1] -> classifier (outputs values z)`,
//! `outputs` = 1 for a classifier (one logit), more for a multi-output regression (the
//! Q raw quantile outputs of `morph --chain`); each hidden layer `h_l = dropout(act(W_l h_{l-1} + b_l))`. An optional domain head and an
//! optional mass head each read hidden layer `from_layer` (0-based, the output after
//! dropout) through a gradient reversal layer, run their own hidden layers (no dropout)
//! and end in one linear output unit (the domain logit z_d, the mass regression m).

use rootgrad_kernels::Act;

use crate::{Error, Result};

/// An adversary head: its own dense layers reading a shared hidden layer through a
/// gradient reversal layer, ending in one linear output.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadSpec {
    /// Which shared hidden layer the head reads, 0-based (`hidden.{from_layer}`).
    pub from_layer: usize,
    /// Widths of the head's hidden layers (may be empty: a linear head).
    pub hidden: Vec<usize>,
    /// Activation of the head's hidden layers.
    pub activation: Act,
}

/// What the user asks for; [`crate::nn::Network::new`] checks it once.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// Number of input features.
    pub inputs: usize,
    /// Widths of the shared hidden layers (empty: logistic regression).
    pub hidden: Vec<usize>,
    /// Activation of the shared hidden layers.
    pub activation: Act,
    /// Dropout probability after every shared hidden layer, in [0, 1); training only.
    pub dropout: f64,
    /// Width of the output (`classifier`) layer: 1 for a classifier (one logit per
    /// row), Q for a network with Q outputs per row (stored row-major). At least 1.
    pub outputs: usize,
    /// The gradient-reversal domain head (data vs simulation), if any.
    pub domain_head: Option<HeadSpec>,
    /// The gradient-reversal mass-regression head (decorrelation form (a)), if any.
    pub mass_head: Option<HeadSpec>,
}

/// Which part of the network a dense layer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Shared hidden layer `hidden.{i}`.
    Hidden(usize),
    /// The output layer (`outputs` units; one for a classifier).
    Classifier,
    /// The domain head (its hidden layers, then its output unit).
    Domain,
    /// The mass head.
    Mass,
}

/// One dense layer as planned from the spec: `out = act(inp W^T + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerPlan {
    /// Tensor name prefix: `hidden.0`, `classifier`, `domain.0`, `domain.out`, ...
    pub name: String,
    pub part: Part,
    pub inp: usize,
    pub out: usize,
    pub act: Act,
}

fn check_act(act: Act, key: &str) -> Result<()> {
    let bad = |v: f64| !v.is_finite();
    match act {
        Act::LeakyRelu(a) if bad(a) => Err(Error::Usage(format!(
            "{key}: leaky_relu slope {a} is not a finite number; use e.g. 0.01"
        ))),
        Act::Elu(a) if bad(a) => Err(Error::Usage(format!(
            "{key}: elu alpha {a} is not a finite number; use e.g. 1.0"
        ))),
        _ => Ok(()),
    }
}

fn check_widths(widths: &[usize], key: &str) -> Result<()> {
    if let Some(i) = widths.iter().position(|&w| w == 0) {
        return Err(Error::Usage(format!(
            "{key}[{i}] is 0; every layer needs at least one unit"
        )));
    }
    Ok(())
}

impl NetworkSpec {
    /// Checks every field and returns the dense layers in network order: shared hidden
    /// layers, classifier, domain head, mass head.
    pub fn plan(&self) -> Result<Vec<LayerPlan>> {
        if self.inputs == 0 {
            return Err(Error::Usage(
                "network.inputs is 0; the network needs at least one input feature".into(),
            ));
        }
        if self.outputs == 0 {
            return Err(Error::Usage(
                "network.outputs is 0; the output layer needs at least one unit (1 for a \
                 classifier)"
                    .into(),
            ));
        }
        check_widths(&self.hidden, "network.hidden")?;
        check_act(self.activation, "network.activation")?;
        if !(self.dropout >= 0.0 && self.dropout < 1.0) {
            return Err(Error::Usage(format!(
                "network.dropout = {} is outside [0, 1); use 0 to switch dropout off",
                self.dropout
            )));
        }
        let mut plan = Vec::new();
        let mut width = self.inputs;
        for (i, &w) in self.hidden.iter().enumerate() {
            plan.push(LayerPlan {
                name: format!("hidden.{i}"),
                part: Part::Hidden(i),
                inp: width,
                out: w,
                act: self.activation,
            });
            width = w;
        }
        plan.push(LayerPlan {
            name: "classifier".into(),
            part: Part::Classifier,
            inp: width,
            out: self.outputs,
            act: Act::Identity,
        });
        for (head, name, part) in [
            (&self.domain_head, "domain", Part::Domain),
            (&self.mass_head, "mass", Part::Mass),
        ] {
            let Some(h) = head else { continue };
            let key = format!("network.{name}_head");
            if h.from_layer >= self.hidden.len() {
                return Err(Error::Usage(format!(
                    "{key}.from_layer = {} but the network has {} hidden layers; \
                     use a value from 0 to {}",
                    h.from_layer,
                    self.hidden.len(),
                    self.hidden.len() as isize - 1
                )));
            }
            check_widths(&h.hidden, &format!("{key}.hidden"))?;
            check_act(h.activation, &format!("{key}.activation"))?;
            let mut width = self.hidden[h.from_layer];
            for (j, &w) in h.hidden.iter().enumerate() {
                plan.push(LayerPlan {
                    name: format!("{name}.{j}"),
                    part,
                    inp: width,
                    out: w,
                    act: h.activation,
                });
                width = w;
            }
            plan.push(LayerPlan {
                name: format!("{name}.out"),
                part,
                inp: width,
                out: 1,
                act: Act::Identity,
            });
        }
        Ok(plan)
    }
}
