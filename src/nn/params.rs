//! The one table that names every parameter tensor and places it in one flat buffer.
//!
//! Parameters, gradients and optimiser moments are each one contiguous `Vec<T>` of
//! [`ParamTable::len`] elements, laid out by this table: for every dense layer in
//! network order, `<layer>.weight` (out, in) row-major, then `<layer>.bias` (out). The
//! table is generated from the checked layer plan ([`crate::nn::spec::NetworkSpec::plan`]),
//! so there is no second list of sizes to keep in step.

use std::ops::Range;

use rootgrad_kernels::Act;

use super::spec::{LayerPlan, Part};
use crate::{Error, Result};

/// One named tensor: `buf[offset .. offset + len]`, with PyTorch's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// `hidden.0.weight`, `hidden.0.bias`, ..., `classifier.weight`, `domain.out.bias`.
    pub name: String,
    pub offset: usize,
    /// `[out, in]` for a weight, `[out]` for a bias.
    pub shape: Vec<usize>,
    /// Fan-in and fan-out of the layer the tensor belongs to (for initialisation).
    pub fan_in: usize,
    pub fan_out: usize,
}

impl Tensor {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements (never, for a checked spec).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tensor's range in the flat buffer.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }

    /// Whether this is a bias (1-D) tensor.
    pub fn is_bias(&self) -> bool {
        self.shape.len() == 1
    }
}

/// One dense layer `out = act(inp W^T + b)` with its place in the flat buffer: the
/// weight at `weight..weight + out * inp`, the bias right after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub name: String,
    pub part: Part,
    pub inp: usize,
    pub out: usize,
    pub act: Act,
    /// Offset of `<name>.weight`.
    pub weight: usize,
    /// Offset of `<name>.bias` (= weight + out * inp).
    pub bias: usize,
}

impl Dense {
    /// The weight and bias of this layer, split out of a flat buffer.
    pub fn slices<'a, T>(&self, buf: &'a [T]) -> (&'a [T], &'a [T]) {
        let w = &buf[self.weight..self.bias];
        let b = &buf[self.bias..self.bias + self.out];
        (w, b)
    }

    /// The weight and bias of this layer, split mutably out of a flat buffer.
    pub fn slices_mut<'a, T>(&self, buf: &'a mut [T]) -> (&'a mut [T], &'a mut [T]) {
        let (w, b) = buf[self.weight..self.bias + self.out].split_at_mut(self.bias - self.weight);
        (w, b)
    }
}

/// Every named tensor of a network, in buffer order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamTable {
    tensors: Vec<Tensor>,
    layers: Vec<Dense>,
    len: usize,
}

impl ParamTable {
    /// Lays out the layers of a checked plan: weight then bias, layer after layer.
    pub fn from_plan(plan: &[LayerPlan]) -> ParamTable {
        let mut tensors = Vec::with_capacity(2 * plan.len());
        let mut layers = Vec::with_capacity(plan.len());
        let mut offset = 0;
        for l in plan {
            let weight = offset;
            let bias = weight + l.out * l.inp;
            for (suffix, at, shape) in [
                ("weight", weight, vec![l.out, l.inp]),
                ("bias", bias, vec![l.out]),
            ] {
                tensors.push(Tensor {
                    name: format!("{}.{suffix}", l.name),
                    offset: at,
                    shape,
                    fan_in: l.inp,
                    fan_out: l.out,
                });
            }
            offset = bias + l.out;
            layers.push(Dense {
                name: l.name.clone(),
                part: l.part,
                inp: l.inp,
                out: l.out,
                act: l.act,
                weight,
                bias,
            });
        }
        ParamTable {
            tensors,
            layers,
            len: offset,
        }
    }

    /// Length of the flat parameter (and gradient, and moment) buffer.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty (never, for a checked spec).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every tensor, in buffer order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// Every dense layer, in network order.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// The tensor called `name`; the error lists the names there are, nearest first.
    pub fn get(&self, name: &str) -> Result<&Tensor> {
        self.tensors.iter().find(|t| t.name == name).ok_or_else(|| {
            let near =
                crate::error::nearest_first(name, self.tensors.iter().map(|t| t.name.clone()));
            Error::Usage(format!(
                "no parameter tensor called `{name}`; the network has: {}",
                near.join(", ")
            ))
        })
    }

    /// The slice of `buf` holding tensor `name`.
    pub fn slice<'a, T>(&self, buf: &'a [T], name: &str) -> Result<&'a [T]> {
        let r = self.get(name)?.range();
        self.check_len(buf.len())?;
        Ok(&buf[r])
    }

    /// The mutable slice of `buf` holding tensor `name`.
    pub fn slice_mut<'a, T>(&self, buf: &'a mut [T], name: &str) -> Result<&'a mut [T]> {
        let r = self.get(name)?.range();
        self.check_len(buf.len())?;
        Ok(&mut buf[r])
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len != self.len {
            return Err(Error::Usage(format!(
                "a parameter buffer has {len} elements but the network has {}",
                self.len
            )));
        }
        Ok(())
    }
}
