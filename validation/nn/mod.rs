//! The network (src/nn) as a whole: every parameter gradient of the classifier and
//! both gradient-reversal heads against finite differences and against PyTorch, the
//! reversal's sign and scale, and bit-identical results for any thread count.
//!
//! - `golden`: tensor by tensor, by name, against validation/torch_nn.py's float64
//!   PyTorch network (validation/data/torch/nn.json): f64 at 1e-10, f32 at 1e-4.
//! - `finite_diff`: the whole network with both heads, dropout off and on (fixed mask),
//!   against central differences; the domain head's gradient reaching the shared
//!   layers as -lambda times the true gradient.
//! - `determinism`: 1, 2 and 3 threads give the same gradients and the same
//!   parameters after several steps, bit for bit; caching and recomputing workspaces
//!   agree bit for bit; batch sizes 1 to 10^6.

mod determinism;
mod finite_diff;
mod golden;
mod multi_output;

use rootgrad::nn::{Act, HeadSpec, Mode, Network, NetworkSpec, Upstream, Workspace};
use rootgrad_kernels::gemm::Gemm;

/// The shape torch_nn.py builds: 7 inputs, hidden [9, 8, 6], domain head from hidden
/// layer 1 with hidden [5], mass head from hidden layer 2 with hidden [4].
pub fn reference_spec(act: Act, head_act: Act, dropout: f64) -> NetworkSpec {
    NetworkSpec {
        inputs: 7,
        hidden: vec![9, 8, 6],
        activation: act,
        dropout,
        outputs: 1,
        domain_head: Some(HeadSpec {
            from_layer: 1,
            hidden: vec![5],
            activation: head_act,
        }),
        mass_head: Some(HeadSpec {
            from_layer: 2,
            hidden: vec![4],
            activation: head_act,
        }),
    }
}

/// A deterministic pseudo-normal vector (SplitMix64 stream `tag`).
pub fn randn(tag: u64, n: usize) -> Vec<f64> {
    let mut r = rootgrad::random::SplitMix64::new(&[0xFEED, tag]);
    (0..n).map(|_| r.normal()).collect()
}

pub fn cast<T: Gemm>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// The fixed upstream gradients of L = sum c z + sum e z_d + sum f m.
pub struct Probe<T> {
    pub c: Vec<T>,
    pub e: Vec<T>,
    pub f: Vec<T>,
}

/// Forward then backward onto a zeroed gradient; returns (gradient, z, z_d, m).
#[allow(clippy::too_many_arguments)]
pub fn run<T: Gemm>(
    net: &Network,
    ws: &mut Workspace<T>,
    params: &[T],
    x: &[T],
    mode: Mode,
    probe: &Probe<T>,
    lambdas: (f64, f64),
    heads: (bool, bool, bool),
) -> (Vec<T>, Vec<T>, Vec<T>, Vec<T>) {
    net.forward(ws, params, x, mode).unwrap();
    let mut grad = vec![T::ZERO; net.num_params()];
    let up = Upstream {
        dz: heads.0.then_some(&probe.c[..]),
        ddomain: heads.1.then_some(&probe.e[..]),
        dmass: heads.2.then_some(&probe.f[..]),
        lambda_domain: lambdas.0,
        lambda_mass: lambdas.1,
    };
    net.backward(&mut grad, ws, params, x, &up).unwrap();
    (grad, ws.z.clone(), ws.domain.clone(), ws.mass.clone())
}

/// `max |a - b| / max |b|`: the error relative to the tensor's scale.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}
