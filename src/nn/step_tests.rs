//! The fused pass ([`super::step`]) against forward, loss, backward run separately:
//! the same per-chunk arithmetic and the same chunk-ordered sum, so the same bits, in
//! f64 and f32, with both heads, with and without dropout, for batches that are not a
//! multiple of the chunk size; and the same bits with 1, 2 and 3 threads.

use rootgrad_kernels::gemm::Gemm;
use rootgrad_kernels::Act;

use rootgrad_kernels::gather::gather_rows_naive;

use super::{
    BatchInput, DropoutKey, HeadSpec, Init, Labels, Mode, Network, NetworkSpec, Upstream,
    Workspace, CHUNK_ROWS,
};
use crate::loss::{bce_backward, bce_forward, Normalisation};
use crate::random::SplitMix64;

fn spec(dropout: f64, heads: bool) -> NetworkSpec {
    let head = |from_layer: usize, width: usize| {
        heads.then_some(HeadSpec {
            from_layer,
            hidden: vec![width],
            activation: Act::Tanh,
        })
    };
    NetworkSpec {
        inputs: 7,
        hidden: vec![16, 12, 9],
        activation: Act::Silu,
        dropout,
        outputs: 1,
        domain_head: head(1, 5),
        mass_head: head(2, 4),
    }
}

fn randn<T: Gemm>(tag: u64, n: usize) -> Vec<T> {
    let mut r = SplitMix64::new(&[0x57E9, tag]);
    (0..n).map(|_| T::from_f64(r.normal())).collect()
}

/// A row-local upstream: dz_i = a_i tanh(z_i), dz_d = b_i z_d, dm = c_i m^2.
fn upstream_of<T: Gemm>(k: &[Vec<T>; 3], z: &[T], zd: &[T], m: &[T], row0: usize) -> [Vec<T>; 3] {
    [
        z.iter()
            .enumerate()
            .map(|(i, &v)| k[0][row0 + i] * v.tanh())
            .collect(),
        zd.iter()
            .enumerate()
            .map(|(i, &v)| k[1][row0 + i] * v)
            .collect(),
        m.iter()
            .enumerate()
            .map(|(i, &v)| k[2][row0 + i] * v * v)
            .collect(),
    ]
}

/// (gradient, logits z).
type GradZ<T> = (Vec<T>, Vec<T>);

/// (gradient, z) from forward, upstream, backward run separately, and from the fused pass.
fn both<T: Gemm>(net: &Network, batch: usize, mode: Mode, heads: bool) -> (GradZ<T>, GradZ<T>) {
    let params = net.new_params::<T>(Init::HeNormal, 3);
    let x = randn::<T>(1, batch * 7);
    let k = [
        randn::<T>(2, batch),
        randn::<T>(3, batch),
        randn::<T>(4, batch),
    ];
    let lambdas = (0.7, 1.3);

    let mut ws = Workspace::new(net, batch);
    net.forward(&mut ws, &params, &x, mode).unwrap();
    let [dz, dd, dm] = upstream_of(&k, &ws.z, &ws.domain, &ws.mass, 0);
    let mut g_sep = vec![T::ZERO; net.num_params()];
    let up = Upstream {
        dz: Some(&dz),
        ddomain: heads.then_some(&dd[..]),
        dmass: heads.then_some(&dm[..]),
        lambda_domain: lambdas.0,
        lambda_mass: lambdas.1,
    };
    net.backward(&mut g_sep, &mut ws, &params, &x, &up).unwrap();
    let z_sep = ws.z.clone();

    let mut ws = Workspace::for_fused(net, batch);
    let mut g_fused = vec![T::ZERO; net.num_params()];
    net.forward_backward(
        &mut g_fused,
        &mut ws,
        &params,
        &x,
        mode,
        lambdas,
        |o, up| {
            let [dz, dd, dm] = upstream_of(&k, o.z, o.domain, o.mass, o.row0);
            up.dz.copy_from_slice(&dz);
            up.ddomain.copy_from_slice(&dd);
            up.dmass.copy_from_slice(&dm);
        },
    )
    .unwrap();
    ((g_sep, z_sep), (g_fused, ws.z.clone()))
}

fn bits<T: Gemm>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

#[test]
fn fused_pass_gives_the_bits_of_forward_then_backward() {
    for (dropout, heads) in [(0.0, false), (0.0, true), (0.25, true)] {
        let net = Network::new(spec(dropout, heads)).unwrap();
        let mode = Mode::Train(DropoutKey { seed: 4, step: 2 });
        for batch in [1, CHUNK_ROWS - 1, 3 * CHUNK_ROWS + 77] {
            let ((g, z), (gf, zf)) = both::<f64>(&net, batch, mode, heads);
            assert_eq!(bits(&g), bits(&gf), "f64 gradient, batch {batch}");
            assert_eq!(bits(&z), bits(&zf), "f64 logits, batch {batch}");
            assert!(g.iter().any(|&v| v != 0.0));
            let ((g, z), (gf, zf)) = both::<f32>(&net, batch, mode, heads);
            assert_eq!(bits(&g), bits(&gf), "f32 gradient, batch {batch}");
            assert_eq!(bits(&z), bits(&zf), "f32 logits, batch {batch}");
        }
    }
}

/// Adam-free plain steps of the fused BCE pass with `threads` threads.
fn bce_steps(threads: usize, batch: usize) -> (Vec<f32>, Vec<f64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let net = Network::new(spec(0.1, false)).unwrap();
        let mut params = net.new_params::<f32>(Init::Torch, 1);
        let x = randn::<f32>(5, batch * 7);
        let y: Vec<f32> = randn::<f32>(6, batch)
            .iter()
            .map(|&v| f32::from(v > 0.0))
            .collect();
        // signed weights, some negative
        let w: Vec<f32> = randn::<f32>(7, batch).iter().map(|&v| v + 0.8).collect();
        let norm = Normalisation::of_weights("training set", &w).unwrap();
        let bn = norm.batch("training set", batch).unwrap();
        let mut ws = Workspace::for_fused(&net, batch);
        let mut losses = Vec::new();
        for step in 0..3 {
            let mode = Mode::Train(DropoutKey { seed: 2, step });
            let mut grad = vec![0.0f32; net.num_params()];
            let loss = net
                .train_step_bce(&mut grad, &mut ws, &params, &x, &y, &w, &bn, mode)
                .unwrap();
            // the same step, separately: forward, bce_backward, backward
            let mut ws2 = Workspace::new(&net, batch);
            net.forward(&mut ws2, &params, &x, mode).unwrap();
            let mut dz = vec![0.0f32; batch];
            bce_backward(&mut dz, &ws2.z, &y, &w, &bn, 1.0);
            let mut g2 = vec![0.0f32; net.num_params()];
            let up = Upstream {
                dz: Some(&dz),
                ddomain: None,
                dmass: None,
                lambda_domain: 0.0,
                lambda_mass: 0.0,
            };
            net.backward(&mut g2, &mut ws2, &params, &x, &up).unwrap();
            assert_eq!(
                bits(&grad),
                bits(&g2),
                "train_step_bce vs separate, step {step}"
            );
            assert_eq!(loss, bce_forward(&ws2.z, &y, &w, &bn));
            for (p, g) in params.iter_mut().zip(&grad) {
                *p -= 0.05 * g;
            }
            losses.push(loss);
        }
        (params, losses)
    })
}

#[test]
fn fused_bce_steps_are_identical_for_one_two_and_three_threads() {
    let batch = 4 * CHUNK_ROWS + 13;
    let (p1, l1) = bce_steps(1, batch);
    let (p2, l2) = bce_steps(2, batch);
    let (p3, l3) = bce_steps(3, batch);
    assert_eq!(bits(&p1), bits(&p2), "parameters, 1 vs 2 threads");
    assert_eq!(bits(&p1), bits(&p3), "parameters, 1 vs 3 threads");
    assert_eq!(l1, l2);
    assert_eq!(l1, l3);
    assert!(l1[2] < l1[0], "the loss goes down: {l1:?}");
}

/// The fused BCE step with each chunk's rows gathered inside the pass
/// ([`BatchInput::Fill`]) and its labels and weights looked up through the indices
/// ([`Labels`] with `idx`), as the trainer runs its shuffled batches, gives the bits of
/// the same step on rows, labels and weights gathered beforehand, with 1, 2 and 3
/// threads; every row is filled once, by the chunk it belongs to, and the buffer's old
/// contents (NaN) are not read.
#[test]
fn rows_filled_inside_the_pass_give_the_bits_of_rows_gathered_before() {
    let (n, batch) = (5000, 3 * CHUNK_ROWS + 45);
    let net = Network::new(spec(0.1, false)).unwrap();
    let params = net.new_params::<f32>(Init::Torch, 1);
    let table = randn::<f32>(8, n * 7);
    let mut r = SplitMix64::new(&[0xF111]);
    let idx: Vec<u32> = (0..batch)
        .map(|_| (r.next_u64() % n as u64) as u32)
        .collect();
    let mut x = vec![0.0f32; batch * 7];
    gather_rows_naive(&mut x, &table, 7, &idx);
    // the set's labels and weights; the batch's are rows idx of them
    let ys: Vec<f32> = (0..n).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let wset: Vec<f32> = (0..n).map(|i| 1.0 - (i % 7) as f32 * 0.2).collect();
    let y: Vec<f32> = idx.iter().map(|&i| ys[i as usize]).collect();
    let w: Vec<f32> = idx.iter().map(|&i| wset[i as usize]).collect();
    let bn = Normalisation::of_weights("set", &w)
        .unwrap()
        .batch("set", batch)
        .unwrap();
    let mode = Mode::Train(DropoutKey { seed: 9, step: 1 });
    let mut ws = Workspace::for_fused(&net, batch);
    let mut want = vec![0.0f32; net.num_params()];
    let lw = net
        .train_step_bce(&mut want, &mut ws, &params, &x, &y, &w, &bn, mode)
        .unwrap();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let calls = std::sync::Mutex::new(Vec::new());
        let fill = |row0: usize, rows: &mut [f32]| {
            let k = rows.len() / 7;
            calls.lock().unwrap().push((row0, k));
            gather_rows_naive(rows, &table, 7, &idx[row0..row0 + k]);
        };
        let mut buf = vec![f32::NAN; batch * 7];
        let mut grad = vec![0.0f32; net.num_params()];
        let mut ws = Workspace::for_fused(&net, batch);
        let input = BatchInput::Fill(&mut buf, &fill);
        let labels = Labels {
            y: &ys,
            w: &wset,
            idx: Some(&idx),
        };
        let l = pool
            .install(|| {
                net.train_step_bce_input(&mut grad, &mut ws, &params, input, labels, &bn, mode)
            })
            .unwrap();
        assert_eq!(bits(&grad), bits(&want), "{threads} threads");
        assert_eq!(l, lw, "{threads} threads");
        assert_eq!(bits(&buf), bits(&x), "the filled rows, {threads} threads");
        let mut calls = calls.into_inner().unwrap();
        calls.sort();
        let chunks: Vec<(usize, usize)> = (0..batch.div_ceil(CHUNK_ROWS))
            .map(|c| (c * CHUNK_ROWS, CHUNK_ROWS.min(batch - c * CHUNK_ROWS)))
            .collect();
        assert_eq!(calls, chunks, "one fill per chunk, {threads} threads");
    }
}

#[test]
fn fused_pass_refuses_mismatched_inputs() {
    let net = Network::new(spec(0.0, false)).unwrap();
    let params = net.new_params::<f64>(Init::Torch, 1);
    let mut ws = Workspace::for_fused(&net, 10);
    let mut grad = vec![0.0; net.num_params()];
    let x = vec![0.0; 9 * 7];
    let r = net.forward_backward(
        &mut grad,
        &mut ws,
        &params,
        &x,
        Mode::Eval,
        (0.0, 0.0),
        |_, _| {},
    );
    assert!(r.is_err());
    let x = vec![0.0; 10 * 7];
    let r = net.forward_backward(
        &mut grad,
        &mut ws,
        &params,
        &x,
        Mode::Eval,
        (f64::NAN, 0.0),
        |_, _| {},
    );
    assert!(r.is_err());
    let (y, w) = (vec![1.0; 10], vec![1.0; 10]);
    let norm = Normalisation::of_weights("set", &w).unwrap();
    let bn = norm.batch("set", 11).unwrap();
    let r = net.train_step_bce(&mut grad, &mut ws, &params, &x, &y, &w, &bn, Mode::Eval);
    assert!(r.is_err());
}

#[test]
fn overwriting_the_input_gradient_equals_adding_into_zeros() {
    use super::linear::{linear_backward_into, Accumulate};
    for (b, inp, out) in [(7, 5, 1), (13, 9, 6), (33, 17, 20)] {
        let (dout, x, w) = (
            randn::<f64>(10, b * out),
            randn::<f64>(11, b * inp),
            randn::<f64>(12, out * inp),
        );
        let run = |start: f64, into: Accumulate| {
            let mut dinp = vec![start; b * inp];
            let mut dw = vec![0.0; out * inp];
            let d = Some((&mut dinp[..], into));
            linear_backward_into(d, &mut dw, None, &dout, &x, &w, b, inp, out);
            (dinp, dw)
        };
        // NaN-poisoned: the old contents must not be read
        let (d_over, w_over) = run(f64::NAN, Accumulate::Overwrite);
        let (d_add, w_add) = run(0.0, Accumulate::Add);
        assert_eq!(bits(&d_over), bits(&d_add), "dinp, {b}x{inp}->{out}");
        assert_eq!(bits(&w_over), bits(&w_add), "dweight, {b}x{inp}->{out}");
    }
}
