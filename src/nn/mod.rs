//! The network: one flat parameter buffer with named slices, dense layers with
//! hand-derived forward and backward passes, activations, dropout, gradient reversal.
//!
//! - [`spec`]: [`NetworkSpec`] as a user writes it, checked once into a layer plan.
//! - [`params`]: the one table naming every tensor (`hidden.0.weight`, ...,
//!   `classifier.bias`, `domain.out.weight`, `mass.0.bias`) in one flat buffer.
//! - [`init`]: PyTorch's `nn.Linear` default, He normal, Glorot uniform; seeded.
//! - random numbers (init, dropout masks) come from [`crate::random`].
//! - [`linear`]: `linear_forward`/`linear_backward` (strided gemm) and the fused
//!   bias + activation `act_forward`/`act_backward`.
//! - [`dropout`], [`grl`]: inverted dropout and the gradient reversal layer.
//! - [`mlp`]: [`Network`] and its [`Workspace`]: forward and backward of the classifier
//!   and both heads over fixed 512-row chunks on rayon, gradients summed in chunk order
//!   (bit-identical for any thread count).
//! - [`eval`]: the eval-mode forward every scorer uses: logits of many rows in passes of
//!   [`eval::EVAL_ROWS`], dropout off.
//! - [`gather`]: a shuffled batch's rows copied into the input buffer, in parallel.
//! - [`step`]: the fused pass, forward, row-local loss gradient and backward chunk by
//!   chunk ([`Network::forward_backward`], [`Network::train_step_bce`]), the same bits.
//!
//! The maths, with these names, is in docs/maths.md (the network).

mod chunk;
pub mod dropout;
pub mod eval;
pub mod gather;
pub mod grl;
pub mod init;
pub mod linear;
pub mod mlp;
pub mod params;
pub mod spec;
pub mod step;

pub use dropout::DropoutKey;
pub use init::Init;
pub use mlp::{Mode, Network, Upstream, Workspace, CHUNK_ROWS};
pub use params::{ParamTable, Tensor};
pub use rootgrad_kernels::Act;
pub use spec::{HeadSpec, NetworkSpec};
pub use step::{BatchInput, ChunkOutputs, ChunkUpstream, FillRows, Labels};

#[cfg(test)]
mod layer_tests;
#[cfg(test)]
mod step_tests;
