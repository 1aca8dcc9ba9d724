//! Which events train and which are held out: a seeded random validation fraction, and
//! k folds by an integer expression of the event (TMVA's `int([eventID]) % k` habit).
//!
//! The validation events of a sample are exactly `round(fraction * n)` events chosen by
//! a Fisher-Yates shuffle of its event indices from a [`SplitMix64`] stream keyed by
//! (seed, [`Stream`] of the sample, fold): the same for the same seed whatever the thread count.
//! With k folds, model k trains on the events whose fold is not k (and validates on a
//! random fraction of those); the events of fold k are never seen by model k, and only
//! model k scores them.

use crate::random::{SplitMix64, Stream};

/// The role of each event of one sample for one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Train,
    Validate,
    /// In the fold this model must never see.
    HeldOut,
}

/// Assigns roles to `n` events: those with `fold[i] == held_out` (when folds are used)
/// are held out, and `round(fraction * m)` of the other m are validation events.
pub fn roles(
    n: usize,
    fold: Option<(&[u32], u32)>,
    fraction: f64,
    seed: u64,
    stream: Stream,
) -> Vec<Role> {
    let mut roles = vec![Role::Train; n];
    let mut pool: Vec<usize> = Vec::with_capacity(n);
    for (i, r) in roles.iter_mut().enumerate() {
        match fold {
            Some((f, k)) if f[i] == k => *r = Role::HeldOut,
            _ => pool.push(i),
        }
    }
    let k = fold.map_or(u64::MAX, |(_, k)| k as u64);
    let mut rng = SplitMix64::new(&[seed, 0x5917_u64, stream.id(), k]);
    let take = (fraction * pool.len() as f64).round() as usize;
    // partial Fisher-Yates: the first `take` positions get a uniform random subset
    for j in 0..take.min(pool.len()) {
        let span = (pool.len() - j) as u64;
        let pick = j + (rng.next_u64() % span) as usize;
        pool.swap(j, pick);
        roles[pool[j]] = Role::Validate;
    }
    roles
}

/// A seeded permutation of 0..n (Fisher-Yates), for shuffling batches each epoch.
pub fn permutation(n: usize, rng: &mut SplitMix64) -> Vec<u32> {
    let mut p = Vec::new();
    permutation_into(n, rng, &mut p);
    p
}

/// [`permutation`] into `p` (cleared first, its memory reused: the trainer's epochs
/// draw one permutation each into the same buffer). The same values from the same
/// stream.
pub fn permutation_into(n: usize, rng: &mut SplitMix64, p: &mut Vec<u32>) {
    p.clear();
    p.extend(0..n as u32);
    for j in (1..n).rev() {
        let pick = (rng.next_u64() % (j as u64 + 1)) as usize;
        p.swap(j, pick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_fraction_is_exact_and_seeded() {
        let r = roles(1000, None, 0.2, 7, Stream::SplitSignal);
        let v = r.iter().filter(|&&x| x == Role::Validate).count();
        assert_eq!(v, 200);
        assert_eq!(r, roles(1000, None, 0.2, 7, Stream::SplitSignal));
        assert_ne!(r, roles(1000, None, 0.2, 8, Stream::SplitSignal));
        assert!(roles(10, None, 0.0, 1, Stream::SplitSignal)
            .iter()
            .all(|&x| x == Role::Train));
    }

    #[test]
    fn held_out_fold_is_never_trained_or_validated_on() {
        let fold: Vec<u32> = (0..100).map(|i| i % 5).collect();
        let r = roles(100, Some((&fold, 3)), 0.25, 1, Stream::SplitSignal);
        for i in 0..100 {
            assert_eq!(r[i] == Role::HeldOut, fold[i] == 3, "event {i}");
        }
        assert_eq!(r.iter().filter(|&&x| x == Role::Validate).count(), 20);
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut rng = SplitMix64::new(&[1]);
        let mut p = permutation(1000, &mut rng);
        p.sort();
        assert!(p.iter().enumerate().all(|(i, &v)| i as u32 == v));
    }
}
