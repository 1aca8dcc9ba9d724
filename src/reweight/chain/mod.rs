//! Chained quantile morphing (`rootgrad morph --chain`): simulated variables y_1 .. y_K
//! moved onto data one after the other, each conditioned on the conditioning variables
//! c (kinematics, not corrected) and on the variables corrected before it.
//!
//! **The map.** For variable k, with x = (c, ŷ_1 .. ŷ_{k-1}) the simulated event's
//! conditioning values and already corrected values, a *data* network gives Q
//! conditional quantiles of y_k in data (trained with data's own x = (c, y_1 ..
//! y_{k-1})) and a *simulation* network Q conditional quantiles of y_k in simulation
//! (trained with the simulation's corrected ŷ_<k, as the method requires). Each
//! simulated value is moved from its level under the simulation's conditional
//! distribution to the same level of data's: ŷ_k = Q_data(F_mc(y_k | x) | x), the curves
//! between and beyond the Q levels as [`crate::reweight::quantile_map`] defines them,
//! and clamped to the data's control-region range of the variable.
//!
//! **Folds.** With k folds (`training.folds`, `training.fold`, the owner rule of
//! [`crate::model::scorer`]), fold f's networks (data and simulation) are trained on the
//! control-region events of the other folds and correct only the entries of fold f. The
//! corrected values ŷ_<k a simulation network trains on are therefore out-of-fold
//! values, computed by the networks of each event's own fold, and every corrected value
//! written comes from networks that never saw the event. A new file given to `apply`
//! uses each entry's fold networks through the whole chain.
//!
//! **Point masses.** A value that holds at least [`prepare::POINT_MASS_FRACTION`] of
//! either sample's weight at the lowest (or highest) value of a variable (isolation =
//! 0) is a spike: per fold and sample a spike classifier (weighted BCE) gives p(y =
//! spike | x), the quantile networks train on the events off the spike, and the mixture
//! map [`crate::reweight::quantile_map::map_value`] moves each value, with the entry's
//! own uniform number v ([`jitter`]) placing an event on the spike inside the spike's
//! probability. A point mass anywhere else is refused.
//!
//! **Training** ([`fit`]): a small loop of its own: Adam, shuffled batches, the fused
//! pass with the pinball loss per row (f32, like the classifier trainer), inputs and
//! target standardised from the training events; a held-out slice of the training
//! events gives the loss per epoch and the epoch whose parameters are kept. Everything
//! is keyed by the seed; results are the same bits for any thread count.
//!
//! Modules: [`prepare`] (flags, folds, spikes, event counts), [`fit`] (one network),
//! [`model`] (chain.json), [`apply`] (correcting entries, chunk by chunk).

pub mod apply;
pub mod fit;
pub mod model;
pub mod prepare;
pub mod train;

use crate::random::{key, Stream};

/// Entry `entry`'s uniform number in (0, 1) for variable `var` (its index in the
/// chain): the top 53 bits of key(seed, [`Stream::ChainJitter`], entry, var), shifted
/// by half a step so that neither end is reached. `entry` is the entry number inside its
/// own file, so `apply` on one file gives the values `morph` wrote for it.
pub fn jitter(seed: u64, entry: u64, var: usize) -> f64 {
    let h = key(&[seed, Stream::ChainJitter.id(), entry, var as u64]);
    ((h >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}
