//! The domain loss L_D of gradient reversal: the weighted cross-entropy of the domain
//! head's logit z_d against the domain label (data 1, simulation 0), each domain
//! normalised to the same total weight at the set level.
//!
//! ```text
//! l_i = softplus(z_d,i) - d_i z_d,i
//! L_D = 1/2 [ (N_data / (|B_data| W_data)) sum_{i in B_data} w_i l_i
//!           + (N_mc   / (|B_mc|   W_mc))   sum_{i in B_mc}   w_i l_i ]
//! dL_D/dz_d,i = 1/2 (N / (|B| W))_{domain of i} w_i (sigmoid(z_d,i) - d_i)
//! ```
//!
//! Each bracket estimates its domain's set-level weighted mean cross-entropy, so the two
//! domains count equally whatever their sizes and weight scales (sWeights and MC weights
//! have unrelated normalisations); the 1/2 makes L_D the mean of the two, so a head that
//! cannot tell the domains apart (z_d = 0) has L_D = ln 2 in expectation. The
//! [`DomainBatch`] of a batch checks the labels and that both domains are present.

use super::bce::{bce_row_grad, bce_row_loss};
use super::{BatchNorm, Normalisation};
use crate::{Error, Result};
use rootgrad_kernels::Real;

/// The set-level N and W of the data (sWeights) and the simulation (MC weights) of the
/// control region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainNorm {
    pub data: Normalisation,
    pub mc: Normalisation,
}

impl DomainNorm {
    pub fn new(data: Normalisation, mc: Normalisation) -> Self {
        DomainNorm { data, mc }
    }

    /// Checks one domain batch's labels (each exactly 1 for data or 0 for simulation)
    /// and that it holds at least one event of each domain, and returns its constants.
    pub fn batch<T: Real>(&self, label: &[T]) -> Result<DomainBatch> {
        let mut n_data = 0usize;
        let mut n_mc = 0usize;
        for (i, &d) in label.iter().enumerate() {
            if d == T::ONE {
                n_data += 1;
            } else if d == T::ZERO {
                n_mc += 1;
            } else {
                return Err(Error::Usage(format!(
                    "domain batch: event {i} has domain label {d}; it must be 1 (data) or \
                     0 (simulation)"
                )));
            }
        }
        if n_data == 0 || n_mc == 0 {
            let missing = if n_data == 0 { "data" } else { "simulation" };
            return Err(Error::Usage(format!(
                "domain batch of {} events has no {missing} events; the histogram and \
                 domain losses compare the two, so each domain batch needs both (raise the \
                 domain batch size, or check that the control-region {missing} sample is \
                 not empty)",
                label.len()
            )));
        }
        Ok(DomainBatch {
            data: self.data.batch_unchecked(n_data),
            mc: self.mc.batch_unchecked(n_mc),
        })
    }
}

/// The constants of one checked domain batch: |B_data| >= 1 and |B_mc| >= 1 with their
/// domains' N and W.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainBatch {
    pub data: BatchNorm,
    pub mc: BatchNorm,
}

impl DomainBatch {
    pub(crate) fn check_lengths(&self, z: usize, w: usize, label: usize) {
        assert_eq!(
            z,
            self.data.batch_len() + self.mc.batch_len(),
            "domain batch: z length and the checked batch disagree"
        );
        assert_eq!(w, z, "domain batch: w and z lengths differ");
        assert_eq!(label, z, "domain batch: label and z lengths differ");
    }
}

/// L_D = 1/2 (norm_data sum_data w_i l_i + norm_mc sum_mc w_i l_i).
pub fn domain_forward<T: Real>(z_d: &[T], w: &[T], label: &[T], norm: &DomainBatch) -> f64 {
    // z_d, w, label are (|B|,) over the domain batch
    norm.check_lengths(z_d.len(), w.len(), label.len());
    let mut sum_data = 0.0f64;
    let mut sum_mc = 0.0f64;
    for i in 0..z_d.len() {
        // w_i l_i, l_i = softplus(z_d,i) - d_i z_d,i: the BCE row
        let wl = bce_row_loss(z_d[i], label[i], w[i]);
        if label[i] == T::ONE {
            sum_data += wl;
        } else {
            sum_mc += wl;
        }
    }
    let (d, m) = (&norm.data, &norm.mc);
    let norm_data = d.n_set / (d.batch_len * d.w_set); // N_data / (|B_data| W_data)
    let norm_mc = m.n_set / (m.batch_len * m.w_set); // N_mc / (|B_mc| W_mc)
    0.5 * (norm_data * sum_data + norm_mc * sum_mc)
}

/// dz_d,i += scale * dL_D/dz_d,i = scale * 1/2 norm_domain w_i (sigmoid(z_d,i) - d_i).
pub fn domain_backward<T: Real>(
    dz_d: &mut [T],
    z_d: &[T],
    w: &[T],
    label: &[T],
    norm: &DomainBatch,
    scale: f64,
) {
    // dz_d, z_d, w, label are (|B|,)
    norm.check_lengths(z_d.len(), w.len(), label.len());
    assert_eq!(dz_d.len(), z_d.len(), "domain: dz_d and z_d lengths differ");
    let (d, m) = (&norm.data, &norm.mc);
    let norm_data = d.n_set / (d.batch_len * d.w_set); // N_data / (|B_data| W_data)
    let norm_mc = m.n_set / (m.batch_len * m.w_set); // N_mc / (|B_mc| W_mc)
                                                     // dL/dL_D * 1/2 * norm of each domain
    let c_data = T::from_f64(scale * 0.5 * norm_data);
    let c_mc = T::from_f64(scale * 0.5 * norm_mc);
    for i in 0..z_d.len() {
        let c = if label[i] == T::ONE { c_data } else { c_mc };
        // c w_i dl_i/dz_d,i, dl_i/dz_d,i = sigmoid(z_d,i) - d_i: the BCE row
        dz_d[i] += bce_row_grad(z_d[i], label[i], w[i], c);
    }
}
