//! The arrays the training loop draws batches from: standardised features, labels and
//! weights in f32, each set stored once.
//!
//! Standardisation: x' = (x - mean) / std per feature, with the mean and the standard
//! deviation (population, divisor n) of the training events of both classes,
//! unweighted (weights may be negative, so a weighted variance can be negative too); a
//! feature with std 0 (constant in the training set) keeps std = 1 and is reported.
//! Computed in f64, stored in the model; applied in f64 and rounded to f32 once.

use super::Sample;
use crate::Result;
use crate::{nn::rng::SplitMix64, Error};

/// Per-feature mean and standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardize {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardize {
    /// From the rows `rows` of (n, width) raw features; returns the indices of constant
    /// features too.
    pub fn fit<'a>(width: usize, rows: impl Iterator<Item = &'a [f32]>) -> (Self, Vec<usize>) {
        let mut n = 0usize;
        let mut sum = vec![0.0f64; width];
        let mut all: Vec<&[f32]> = Vec::new();
        for r in rows {
            n += 1;
            for (s, &v) in sum.iter_mut().zip(r) {
                *s += v as f64;
            }
            all.push(r);
        }
        let nf = n.max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / nf).collect();
        let mut var = vec![0.0f64; width];
        for r in &all {
            for j in 0..width {
                let d = r[j] as f64 - mean[j];
                var[j] += d * d;
            }
        }
        let mut constant = Vec::new();
        let std = var
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let s = (v / nf).sqrt();
                if s > 0.0 && s.is_finite() {
                    s
                } else {
                    constant.push(j);
                    1.0
                }
            })
            .collect();
        (Standardize { mean, std }, constant)
    }

    /// `out = (raw - mean) / std`, row by row, rounded to f32.
    pub fn apply(&self, raw: &[f32], out: &mut [f32]) {
        let w = self.mean.len();
        for (r, o) in raw.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
            for j in 0..w {
                o[j] = ((r[j] as f64 - self.mean[j]) / self.std[j]) as f32;
            }
        }
    }

    /// Checks that a loaded model's standardisation fits `width` features and is usable.
    pub fn check(&self, width: usize, what: &str) -> Result<()> {
        if self.mean.len() != width || self.std.len() != width {
            return Err(Error::Usage(format!(
                "{what}: standardize has {} means and {} standard deviations for {width} \
                 inputs",
                self.mean.len(),
                self.std.len()
            )));
        }
        if let Some(j) = (0..width)
            .find(|&j| !self.mean[j].is_finite() || !(self.std[j].is_finite() && self.std[j] > 0.0))
        {
            return Err(Error::Usage(format!(
                "{what}: input {j} has mean {} and std {}; both must be finite and std > 0",
                self.mean[j], self.std[j]
            )));
        }
        Ok(())
    }
}

/// Events ready for the network: standardised features, label, weight, and the raw
/// mass (for decorrelation; empty without).
#[derive(Debug, Clone, Default)]
pub struct Set {
    pub width: usize,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub w: Vec<f32>,
    pub mass: Vec<f32>,
}

impl Set {
    pub fn new(width: usize) -> Set {
        Set {
            width,
            ..Set::default()
        }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Appends the events `idx` of `s` with label `y`, weights times `scale`,
    /// standardised by `st`.
    pub fn extend(&mut self, s: &Sample, idx: &[usize], y: f32, scale: f64, st: &Standardize) {
        let w = self.width;
        let start = self.x.len();
        self.x.resize(start + idx.len() * w, 0.0);
        for (k, &i) in idx.iter().enumerate() {
            let o = start + k * w;
            st.apply(s.row(i), &mut self.x[o..o + w]);
            self.y.push(y);
            self.w.push((s.w[i] * scale) as f32);
            if !s.mass.is_empty() {
                self.mass.push(s.mass[i] as f32);
            }
        }
    }

    /// Copies rows `idx` into the batch buffers (cleared first).
    pub fn gather(&self, idx: &[u32], b: &mut Batch) {
        let w = self.width;
        b.x.clear();
        b.y.clear();
        b.w.clear();
        b.mass.clear();
        for &i in idx {
            let i = i as usize;
            b.x.extend_from_slice(&self.x[i * w..(i + 1) * w]);
            b.y.push(self.y[i]);
            b.w.push(self.w[i]);
            if !self.mass.is_empty() {
                b.mass.push(self.mass[i]);
            }
        }
    }

    /// Sum of weights in f64, in event order.
    pub fn sum_w(&self) -> f64 {
        self.w.iter().map(|&v| v as f64).sum()
    }
}

/// One batch's rows.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub w: Vec<f32>,
    pub mass: Vec<f32>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Appends another batch (the domain batch is data then simulation).
    pub fn append(&mut self, other: &Batch) {
        self.x.extend_from_slice(&other.x);
        self.y.extend_from_slice(&other.y);
        self.w.extend_from_slice(&other.w);
        self.mass.extend_from_slice(&other.mass);
    }
}

/// Draws batches of `size` from a set, reshuffled every time the set is used up
/// (consecutive batches never repeat an event within one pass).
#[derive(Debug, Clone)]
pub struct Cycler {
    order: Vec<u32>,
    pos: usize,
    rng: SplitMix64,
}

impl Cycler {
    pub fn new(n: usize, rng: SplitMix64) -> Cycler {
        let mut c = Cycler {
            order: Vec::new(),
            pos: 0,
            rng,
        };
        c.order = super::split::permutation(n, &mut c.rng);
        c
    }

    /// The next `size` indices (at most the set's size), wrapping with a fresh shuffle.
    pub fn next(&mut self, size: usize) -> Vec<u32> {
        let n = self.order.len();
        let size = size.min(n);
        let mut out = Vec::with_capacity(size);
        while out.len() < size {
            if self.pos == n {
                self.order = super::split::permutation(n, &mut self.rng);
                self.pos = 0;
            }
            let take = (size - out.len()).min(n - self.pos);
            out.extend_from_slice(&self.order[self.pos..self.pos + take]);
            self.pos += take;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardize_matches_the_formula() {
        let rows: Vec<[f32; 2]> = vec![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]];
        let (st, constant) = Standardize::fit(2, rows.iter().map(|r| &r[..]));
        assert_eq!(st.mean, vec![3.0, 5.0]);
        // population variance of 1, 2, 3, 6: (4 + 1 + 0 + 9) / 4
        assert_eq!(st.std[0], (14.0f64 / 4.0).sqrt());
        assert_eq!(st.std[1], 1.0);
        assert_eq!(constant, vec![1]);
        let mut out = [0.0f32; 2];
        st.apply(&[6.0, 5.0], &mut out);
        assert_eq!(out, [(3.0 / (3.5f64).sqrt()) as f32, 0.0]);
    }

    #[test]
    fn cycler_covers_every_event_once_per_pass() {
        let mut c = Cycler::new(10, SplitMix64::new(&[3]));
        let mut a = c.next(4);
        a.extend(c.next(4));
        a.extend(c.next(2));
        a.sort();
        assert_eq!(a, (0..10).collect::<Vec<u32>>());
        assert_eq!(c.next(25).len(), 10);
    }
}
