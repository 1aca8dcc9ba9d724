//! Networks with several outputs per row (`NetworkSpec::outputs` = Q, the quantile
//! regressions of `morph --chain`): the output layer's Q values per row, row-major, in
//! `Workspace::z`, `Upstream::dz`, `ChunkOutputs::z` and `ChunkUpstream::dz`, both
//! heads still one output each.
//!
//! - finite differences in f64, Q = 3 and Q = 21, through `backward` and through the
//!   fused `forward_backward`, every parameter tensor, a batch over two chunks;
//! - the fused pass gives the bits of forward then backward, in f64 and f32;
//! - 1 and 2 threads give the same bits (fused and separate passes);
//! - `nn::eval::logits` gives the forward's Q values per row, whatever the pass a row
//!   falls in.
//!
//! The scalar is row-local and non-linear in every output:
//! L = sum_ij (c_ij z_ij + d_ij z_ij^2 / 2) + sum_i e_i z_d,i + sum_i f_i m_i, so
//! dL/dz_ij = c_ij + d_ij z_ij. Finite differences see the true gradient, which the
//! network's backward gives with both reversal strengths lambda = -1.

use rootgrad::nn::{
    eval, Act, ChunkOutputs, ChunkUpstream, DropoutKey, Init, Mode, Network, NetworkSpec, Upstream,
    Workspace, CHUNK_ROWS,
};
use rootgrad_kernels::gemm::Gemm;

use super::{cast, randn, reference_spec, rel_err};

/// reference_spec (7 inputs, hidden [9, 8, 6], both heads) with `q` outputs.
fn spec(q: usize, act: Act, dropout: f64) -> NetworkSpec {
    NetworkSpec {
        outputs: q,
        ..reference_spec(act, Act::Tanh, dropout)
    }
}

/// The fixed coefficients of the scalar L (module doc): c, d (batch * q), e, f (batch).
struct Coef<T> {
    c: Vec<T>,
    d: Vec<T>,
    e: Vec<T>,
    f: Vec<T>,
}

fn coef<T: Gemm>(batch: usize, q: usize, tag: u64) -> Coef<T> {
    Coef {
        c: cast(&randn(tag, batch * q)),
        d: cast(&randn(tag + 1, batch * q)),
        e: cast(&randn(tag + 2, batch)),
        f: cast(&randn(tag + 3, batch)),
    }
}

impl<T: Gemm> Coef<T> {
    /// dL/dz of the values `z` of rows `row0 ..` (Q per row), added into `dz`.
    fn dz(&self, z: &[T], row0: usize, q: usize, dz: &mut [T]) {
        let k0 = row0 * q;
        for (k, (g, &v)) in dz.iter_mut().zip(z).enumerate() {
            *g += self.c[k0 + k] + self.d[k0 + k] * v;
        }
    }

    /// The fused pass's row-local closure.
    fn upstream(&self, q: usize, o: &ChunkOutputs<T>, up: &mut ChunkUpstream<T>) {
        assert_eq!(o.z.len(), up.dz.len());
        assert_eq!(o.z.len(), q * o.domain.len(), "Q values per row, heads one");
        self.dz(o.z, o.row0, q, up.dz);
        for (i, g) in up.ddomain.iter_mut().enumerate() {
            *g += self.e[o.row0 + i];
        }
        for (i, g) in up.dmass.iter_mut().enumerate() {
            *g += self.f[o.row0 + i];
        }
    }
}

fn loss(net: &Network, params: &[f64], x: &[f64], mode: Mode, k: &Coef<f64>) -> f64 {
    let batch = k.e.len();
    let mut ws = Workspace::new(net, batch);
    net.forward(&mut ws, params, x, mode).unwrap();
    let mut l = 0.0;
    for (j, &z) in ws.z.iter().enumerate() {
        l += k.c[j] * z + 0.5 * k.d[j] * z * z;
    }
    for i in 0..batch {
        l += k.e[i] * ws.domain[i] + k.f[i] * ws.mass[i];
    }
    l
}

/// Forward, dL/dz, backward run separately; returns (gradient, z).
fn separate<T: Gemm>(
    net: &Network,
    params: &[T],
    x: &[T],
    mode: Mode,
    k: &Coef<T>,
    lambdas: (f64, f64),
) -> (Vec<T>, Vec<T>) {
    let (batch, q) = (k.e.len(), net.outputs());
    let mut ws = Workspace::new(net, batch);
    net.forward(&mut ws, params, x, mode).unwrap();
    assert_eq!(ws.z.len(), batch * q);
    assert_eq!((ws.domain.len(), ws.mass.len()), (batch, batch));
    let mut dz = vec![T::ZERO; batch * q];
    k.dz(&ws.z, 0, q, &mut dz);
    let up = Upstream {
        dz: Some(&dz),
        ddomain: Some(&k.e),
        dmass: Some(&k.f),
        lambda_domain: lambdas.0,
        lambda_mass: lambdas.1,
    };
    let mut grad = vec![T::ZERO; net.num_params()];
    net.backward(&mut grad, &mut ws, params, x, &up).unwrap();
    (grad, ws.z.clone())
}

/// The fused pass; returns (gradient, z).
fn fused<T: Gemm>(
    net: &Network,
    params: &[T],
    x: &[T],
    mode: Mode,
    k: &Coef<T>,
    lambdas: (f64, f64),
) -> (Vec<T>, Vec<T>) {
    let (batch, q) = (k.e.len(), net.outputs());
    let mut ws = Workspace::for_fused(net, batch);
    let mut grad = vec![T::ZERO; net.num_params()];
    net.forward_backward(&mut grad, &mut ws, params, x, mode, lambdas, |o, up| {
        k.upstream(q, o, up)
    })
    .unwrap();
    (grad, ws.z.clone())
}

#[test]
fn multi_output_gradients_match_finite_differences() {
    let batch = CHUNK_ROWS + 37; // two chunks, the second partial
    for (case, (q, act, p)) in [(3, Act::Tanh, 0.0), (21, Act::Silu, 0.2)]
        .into_iter()
        .enumerate()
    {
        let net = Network::new(spec(q, act, p)).unwrap();
        assert_eq!(net.outputs(), q);
        let t = case as u64;
        let params = net.new_params::<f64>(Init::Torch, 60 + t);
        let x = randn(300 + t, batch * 7);
        let k = coef::<f64>(batch, q, 400 + 4 * t);
        // dropout with a fixed key: the same mask in every evaluation
        let mode = if p > 0.0 {
            Mode::Train(DropoutKey { seed: 3, step: t })
        } else {
            Mode::Eval
        };
        let h = 1e-6;
        let mut pp = params.clone();
        let num: Vec<f64> = (0..params.len())
            .map(|i| {
                pp[i] = params[i] + h;
                let lp = loss(&net, &pp, &x, mode, &k);
                pp[i] = params[i] - h;
                let lm = loss(&net, &pp, &x, mode, &k);
                pp[i] = params[i];
                (lp - lm) / (2.0 * h)
            })
            .collect();
        let (g_sep, _) = separate(&net, &params, &x, mode, &k, (-1.0, -1.0));
        let (g_fused, _) = fused(&net, &params, &x, mode, &k, (-1.0, -1.0));
        for t in net.table().tensors() {
            for (how, g) in [("backward", &g_sep), ("forward_backward", &g_fused)] {
                let e = rel_err(&g[t.range()], &num[t.range()]);
                println!("Q = {q} {how}: {:>20} relative error {e:.2e}", t.name);
                assert!(e < 1e-6, "Q = {q} {how}: {} relative error {e:.3e}", t.name);
            }
        }
        let out = net
            .table()
            .tensors()
            .iter()
            .find(|t| t.name == "classifier.weight");
        assert_eq!(out.map(|t| t.shape.clone()), Some(vec![q, 6]));
    }
}

#[test]
fn multi_output_fused_pass_gives_the_bits_of_forward_then_backward() {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let net = Network::new(spec(5, Act::Relu, 0.25)).unwrap();
    let mode = Mode::Train(DropoutKey { seed: 11, step: 4 });
    for batch in [1, CHUNK_ROWS - 1, 3 * CHUNK_ROWS + 77] {
        let params = net.new_params::<f64>(Init::HeNormal, 5);
        let x = randn(20, batch * 7);
        let k = coef::<f64>(batch, 5, 30);
        let (g, z) = separate(&net, &params, &x, mode, &k, (0.7, 1.3));
        let (gf, zf) = fused(&net, &params, &x, mode, &k, (0.7, 1.3));
        assert_eq!(bits(&g), bits(&gf), "f64 gradient, batch {batch}");
        assert_eq!(bits(&z), bits(&zf), "f64 outputs, batch {batch}");
        let (p32, x32) = (cast::<f32>(&params), cast::<f32>(&x));
        let k32 = coef::<f32>(batch, 5, 30);
        let (g, z) = separate(&net, &p32, &x32, mode, &k32, (0.7, 1.3));
        let (gf, zf) = fused(&net, &p32, &x32, mode, &k32, (0.7, 1.3));
        assert_eq!(bits32(&g), bits32(&gf), "f32 gradient, batch {batch}");
        assert_eq!(bits32(&z), bits32(&zf), "f32 outputs, batch {batch}");
    }
}

/// Four plain steps (params -= 0.1 grad / batch) in f32 with dropout, Q = 21, with `threads`
/// threads, fused or separate; the final parameters and the last outputs.
fn steps(threads: usize, batch: usize, fuse: bool) -> (Vec<f32>, Vec<f32>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let net = Network::new(spec(21, Act::Silu, 0.2)).unwrap();
        let mut params = net.new_params::<f32>(Init::HeNormal, 7);
        let x = cast::<f32>(&randn(50, batch * 7));
        let k = coef::<f32>(batch, 21, 60);
        let mut z = Vec::new();
        for step in 0..4 {
            let mode = Mode::Train(DropoutKey { seed: 6, step });
            let run = if fuse { fused } else { separate };
            let (grad, zs) = run(&net, &params, &x, mode, &k, (0.7, 1.3));
            // the gradient is a sum over rows: a step of 0.1 / batch per unit
            let lr = 0.1 / batch as f32;
            for (p, g) in params.iter_mut().zip(&grad) {
                *p -= lr * g;
            }
            z = zs;
        }
        (params, z)
    })
}

#[test]
fn multi_output_one_and_two_threads_give_identical_bits() {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let batch = 4 * CHUNK_ROWS + 13;
    for fuse in [true, false] {
        let (p1, z1) = steps(1, batch, fuse);
        let (p2, z2) = steps(2, batch, fuse);
        assert_eq!(bits(&p1), bits(&p2), "parameters, fused {fuse}");
        assert_eq!(bits(&z1), bits(&z2), "outputs, fused {fuse}");
        assert!(p1.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn multi_output_eval_logits_are_the_forward_values_row_major() {
    let q = 4;
    let net = Network::new(spec(q, Act::Elu(1.0), 0.0)).unwrap();
    let params = net.new_params::<f32>(Init::Torch, 2);
    let n = 2 * CHUNK_ROWS + 5;
    let x = cast::<f32>(&randn(70, n * 7));
    let all = eval::logits(&net, &params, &x).unwrap();
    assert_eq!(all.len(), n * q);
    let mut ws = Workspace::new(&net, n);
    net.forward(&mut ws, &params, &x, Mode::Eval).unwrap();
    assert_eq!(all, ws.z);
    // a row's Q values do not depend on the rows around it
    let (a, b) = (CHUNK_ROWS - 3, CHUNK_ROWS + 9);
    let part = eval::logits(&net, &params, &x[a * 7..b * 7]).unwrap();
    assert_eq!(part[..], all[a * q..b * q]);
    // row i's values at i*q .. (i+1)*q: one row alone gives the same
    let one = eval::logits(&net, &params, &x[a * 7..(a + 1) * 7]).unwrap();
    assert_eq!(one[..], all[a * q..(a + 1) * q]);
}

#[test]
fn outputs_zero_and_mismatched_upstream_are_usage_errors() {
    match Network::new(spec(0, Act::Relu, 0.0)) {
        Err(rootgrad::Error::Usage(m)) => assert!(m.contains("network.outputs"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
    let net = Network::new(spec(3, Act::Relu, 0.0)).unwrap();
    let params = net.new_params::<f64>(Init::Torch, 1);
    let x = randn(1, 10 * 7);
    let mut ws = Workspace::new(&net, 10);
    net.forward(&mut ws, &params, &x, Mode::Eval).unwrap();
    // one dL/dz per row is too few for 3 outputs
    let dz = vec![0.0; 10];
    let up = Upstream {
        dz: Some(&dz),
        ddomain: None,
        dmass: None,
        lambda_domain: 0.0,
        lambda_mass: 0.0,
    };
    let mut grad = vec![0.0; net.num_params()];
    match net.backward(&mut grad, &mut ws, &params, &x, &up) {
        Err(rootgrad::Error::Usage(m)) => assert!(m.contains("30 are needed"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
    // the BCE step needs a classifier
    let (y, w) = (vec![1.0; 10], vec![1.0; 10]);
    let bn = rootgrad::loss::Normalisation::of_weights("set", &w)
        .unwrap()
        .batch("set", 10)
        .unwrap();
    let r = net.train_step_bce(&mut grad, &mut ws, &params, &x, &y, &w, &bn, Mode::Eval);
    match r {
        Err(rootgrad::Error::Usage(m)) => assert!(m.contains("3 outputs"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
}
