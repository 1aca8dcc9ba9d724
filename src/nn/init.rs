//! Seeded initialisation of the flat parameter buffer, one named tensor at a time.
//!
//! Each tensor draws from its own [`SplitMix64`] stream keyed by `(seed, index of the
//! tensor in the table)`, in row-major order; so the shared layers get the same values
//! whether or not heads are added after them, and nothing depends on threads.
//!
//! - [`Init::Torch`] (the default): PyTorch's `nn.Linear.reset_parameters`, weights and
//!   biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)). (PyTorch writes the weight bound as
//!   `kaiming_uniform_(a = sqrt(5))`: gain sqrt(2 / (1 + 5)) times sqrt(3 / fan_in) =
//!   1/sqrt(fan_in).)
//! - [`Init::HeNormal`]: `torch.nn.init.kaiming_normal_(w, a=0, mode="fan_in",
//!   nonlinearity="relu")`, weights N(0, std^2) with std = gain / sqrt(fan_in), gain =
//!   sqrt(2); biases 0.
//! - [`Init::GlorotUniform`]: `torch.nn.init.xavier_uniform_(w, gain=1)`, weights
//!   U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); biases 0.

use rootgrad_kernels::Real;

use super::params::ParamTable;
use crate::random::SplitMix64;

/// How the weights and biases start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Init {
    /// PyTorch's nn.Linear default: U(+-1/sqrt(fan_in)) for weights and biases.
    #[default]
    Torch,
    /// Kaiming/He normal, fan-in, ReLU gain: N(0, 2/fan_in); zero biases.
    HeNormal,
    /// Xavier/Glorot uniform: U(+-sqrt(6/(fan_in+fan_out))); zero biases.
    GlorotUniform,
}

/// Fills `params` (laid out by `table`) from `seed`.
pub fn init_params<T: Real>(params: &mut [T], table: &ParamTable, init: Init, seed: u64) {
    assert_eq!(params.len(), table.len(), "init_params: buffer length");
    for (index, t) in table.tensors().iter().enumerate() {
        let mut rng = SplitMix64::new(&[seed, index as u64]);
        let fan_in = t.fan_in as f64;
        let fan_out = t.fan_out as f64;
        let dst = &mut params[t.range()];
        match init {
            Init::Torch => {
                let bound = 1.0 / fan_in.sqrt();
                for x in dst.iter_mut() {
                    *x = T::from_f64(rng.uniform_in(-bound, bound));
                }
            }
            Init::HeNormal | Init::GlorotUniform if t.is_bias() => {
                dst.iter_mut().for_each(|x| *x = T::ZERO);
            }
            Init::HeNormal => {
                let std = 2f64.sqrt() / fan_in.sqrt();
                for x in dst.iter_mut() {
                    *x = T::from_f64(std * rng.normal());
                }
            }
            Init::GlorotUniform => {
                let a = (6.0 / (fan_in + fan_out)).sqrt();
                for x in dst.iter_mut() {
                    *x = T::from_f64(rng.uniform_in(-a, a));
                }
            }
        }
    }
}
