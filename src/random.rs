//! A small deterministic random number generator, so that initial weights and dropout
//! masks depend only on the seed: never on the thread count, the chunking of a batch or
//! the platform. No crate is needed for this.
//!
//! [`splitmix64`] is Steele, Lea and Flood's mixing function (the finalizer of
//! `java.util.SplittableRandom`): a bijection of u64 that scrambles every input bit into
//! every output bit. [`SplitMix64`] is the counter-based generator built on it (state
//! advances by the golden-ratio increment, output is the mix of the state); it seeds
//! each parameter tensor's stream from `(seed, tensor index)`. [`key`] folds a tuple of
//! integers into one u64 by chained mixing; dropout draws its mask bit for element
//! `(seed, step, layer, row, column)` from `splitmix64(key(seed, step, layer, row) +
//! column)`, a pure function of those five numbers.
//!
//! Every stream that splits, shuffles or generates events is named by a [`Stream`]:
//! its key part is written once, here, so the train/validation split that `train`
//! draws is the one `evaluate`, `report` and `reweight` redraw to judge held-out events.
//!
//! `validation/torch_nn.py` reimplements `splitmix64`, `key` and [`unit_f64`] in Python
//! integers to draw the same dropout masks for its golden values.

/// The golden-ratio increment of SplitMix64.
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function applied to `z + GOLDEN`: a bijective scramble of u64.
#[inline]
pub fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Folds integers into one key: `h = 0; for k in parts { h = splitmix64(h ^ k) }`.
#[inline]
pub fn key(parts: &[u64]) -> u64 {
    let mut h = 0u64;
    for &k in parts {
        h = splitmix64(h ^ k);
    }
    h
}

/// The top 53 bits of `x` as a double in [0, 1): `(x >> 11) * 2^-53`.
#[inline]
pub fn unit_f64(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The named random streams. [`Stream::id`] is the number mixed into the stream's key;
/// changing one changes every model and sample that depends on it (the golden files
/// and the behaviour check under `validation/` would show it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The validation events of the signal sample (per fold).
    SplitSignal,
    /// The validation events of the background sample (per fold).
    SplitBackground,
    /// The validation events of the control region's data (per fold).
    SplitData,
    /// The validation events of the control region's simulation (per fold).
    SplitMc,
    /// The order of the classification batches, epoch after epoch.
    BatchOrder,
    /// The data half of each domain batch (cycled through the control region's data).
    DomainData,
    /// The simulation half of each domain batch.
    DomainMc,
    /// The toy samples (`samples generate`): photon+jet simulation.
    ToyPhotonMc,
    /// Z -> ee data (before the sPlot fit).
    ToyZeeData,
    /// Z -> ee simulation.
    ToyZeeMc,
    /// tau -> 3 mu simulated signal.
    ToyTau3MuMc,
    /// tau -> 3 mu data (background only).
    ToyTau3MuData,
    /// D_s -> phi pi data over combinatorial background.
    ToyDsData,
    /// D_s -> phi pi simulation.
    ToyDsMc,
    /// The morph toy (`samples generate --scenario morph-toy`): control-region data.
    ToyMorphData,
    /// The morph toy: control-region simulation.
    ToyMorphMc,
    /// `morph`: each entry's uniform number that places it inside its CDF step.
    MorphJitter,
    /// `morph`: which half of the control region builds the CDFs that the other half
    /// judges (the held-out before/after metrics).
    MorphHalf,
    /// `morph --chain`: each entry's uniform number that places a value on a point mass
    /// inside the mass's probability (per entry and variable).
    ChainJitter,
    /// `morph --chain`: the order of a quantile or spike network's batches.
    ChainBatch,
    /// `morph --chain`: the held-out slice of a network's training events (its loss per
    /// epoch, and the epoch kept).
    ChainHoldout,
    /// `morph --chain`: a network's initial weights.
    ChainInit,
}

impl Stream {
    /// The number this stream mixes into its key (kept from the literals the code used
    /// before the streams were named, so models and samples are unchanged).
    pub const fn id(self) -> u64 {
        match self {
            Stream::SplitSignal => 0,
            Stream::SplitBackground => 1,
            Stream::SplitData => 2,
            Stream::SplitMc => 3,
            Stream::BatchOrder => 0xBA7C,
            Stream::DomainData => 0xDA7A,
            Stream::DomainMc => 0x3C,
            Stream::ToyPhotonMc => 1,
            Stream::ToyZeeData => 2,
            Stream::ToyZeeMc => 3,
            Stream::ToyTau3MuMc => 11,
            Stream::ToyTau3MuData => 12,
            Stream::ToyDsData => 13,
            Stream::ToyDsMc => 14,
            Stream::ToyMorphData => 21,
            Stream::ToyMorphMc => 22,
            Stream::MorphJitter => 0x3017,
            Stream::MorphHalf => 0x3012,
            Stream::ChainJitter => 0xC4A1,
            Stream::ChainBatch => 0xC4A2,
            Stream::ChainHoldout => 0xC4A3,
            Stream::ChainInit => 0xC4A4,
        }
    }
}

/// The counter-based SplitMix64 stream: `state += GOLDEN; output mix(state)`.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A stream keyed by `parts` (e.g. `[seed, tensor_index]`).
    pub fn new(parts: &[u64]) -> SplitMix64 {
        SplitMix64 { state: key(parts) }
    }

    /// The named stream `stream` of a seed: keyed by `[seed, stream.id()]`.
    pub fn named(seed: u64, stream: Stream) -> SplitMix64 {
        SplitMix64::new(&[seed, stream.id()])
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let out = splitmix64(self.state);
        self.state = self.state.wrapping_add(GOLDEN);
        out
    }

    /// Uniform on [0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// Uniform on [lo, hi).
    #[inline]
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal by Box-Muller: `sqrt(-2 ln u1) cos(2 pi u2)` with u1 in (0, 1]
    /// (two uniforms per draw; the sine partner is not kept, so the stream has no state
    /// beyond its counter).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first outputs of SplitMix64 seeded with 0 (state starts at 0; reference values
    /// from the published C implementation, as listed by Vigna's xoshiro page).
    #[test]
    fn splitmix64_reference_values() {
        let mut r = SplitMix64 { state: 0 };
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = SplitMix64::new(&[7, 3]);
        let n = 200_000;
        let (mut s1, mut s2, mut u_sum) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = r.normal();
            s1 += x;
            s2 += x * x;
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            u_sum += u;
        }
        let n = n as f64;
        assert!((s1 / n).abs() < 0.01, "normal mean {}", s1 / n);
        assert!((s2 / n - 1.0).abs() < 0.015, "normal variance {}", s2 / n);
        assert!((u_sum / n - 0.5).abs() < 0.005);
    }
}
