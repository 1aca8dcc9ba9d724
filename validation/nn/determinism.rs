//! Same inputs, same seed, any number of threads: the same gradients and the same
//! parameters, bit for bit. Also: a workspace that caches activations and one that
//! recomputes them give identical bits, and batch sizes from 1 to 10^6 run (outputs of a
//! row do not depend on the batch around it).

use rootgrad::nn::{Act, DropoutKey, Init, Mode, Network, Workspace, CHUNK_ROWS};

use super::{cast, randn, reference_spec, run, Probe};

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

/// Several plain gradient steps (forward, backward, params -= 0.01 grad) in f32 with
/// dropout and both heads; returns the final parameters and the last gradient.
fn train(threads: usize, batch: usize, cache: bool) -> (Vec<f32>, Vec<f32>) {
    pool(threads).install(|| {
        let net = Network::new(reference_spec(Act::Silu, Act::Tanh, 0.2)).unwrap();
        let mut params = net.new_params::<f32>(Init::HeNormal, 9);
        let x = cast::<f32>(&randn(1, batch * 7));
        let probe = Probe {
            c: cast::<f32>(&randn(2, batch)),
            e: cast::<f32>(&randn(3, batch)),
            f: cast::<f32>(&randn(4, batch)),
        };
        let mut ws = Workspace::with_caching(&net, batch, cache);
        let mut last = Vec::new();
        for step in 0..4 {
            let mode = Mode::Train(DropoutKey { seed: 5, step });
            let (grad, ..) = run(
                &net,
                &mut ws,
                &params,
                &x,
                mode,
                &probe,
                (0.7, 1.3),
                (true, true, true),
            );
            for (p, g) in params.iter_mut().zip(&grad) {
                *p -= 0.01 * g;
            }
            last = grad;
        }
        (params, last)
    })
}

#[test]
fn one_two_and_three_threads_give_identical_bits() {
    let batch = 5 * CHUNK_ROWS + 77;
    let (p1, g1) = train(1, batch, true);
    let (p2, g2) = train(2, batch, true);
    let (p3, g3) = train(3, batch, true);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&g1), bits(&g2), "gradients, 1 vs 2 threads");
    assert_eq!(bits(&g1), bits(&g3), "gradients, 1 vs 3 threads");
    assert_eq!(
        bits(&p1),
        bits(&p2),
        "parameters after 4 steps, 1 vs 2 threads"
    );
    assert_eq!(
        bits(&p1),
        bits(&p3),
        "parameters after 4 steps, 1 vs 3 threads"
    );
    // recomputing activations inside backward gives the same bits as caching them
    let (p2r, g2r) = train(2, batch, false);
    assert_eq!(bits(&g1), bits(&g2r), "gradients, caching vs recomputing");
    assert_eq!(bits(&p1), bits(&p2r), "parameters, caching vs recomputing");
    assert!(g1.iter().all(|g| g.is_finite()) && g1.iter().any(|&g| g != 0.0));
}

#[test]
fn batch_sizes_from_one_to_a_million() {
    let net = Network::new(reference_spec(Act::Relu, Act::Relu, 0.1)).unwrap();
    let params = net.new_params::<f32>(Init::Torch, 1);
    let big = 1_000_000;
    let x = cast::<f32>(&randn(5, big * 7));
    let probe = |b: usize| Probe {
        c: vec![1.0f32; b],
        e: vec![0.5f32; b],
        f: vec![-0.25f32; b],
    };
    let mode = Mode::Train(DropoutKey { seed: 1, step: 0 });
    let mut z_small = Vec::new();
    for b in [1, 2, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, 3000] {
        let mut ws = Workspace::new(&net, b);
        let (grad, z, zd, m) = run(
            &net,
            &mut ws,
            &params,
            &x[..b * 7],
            mode,
            &probe(b),
            (1.0, 1.0),
            (true, true, true),
        );
        assert!(
            grad.iter()
                .chain(&z)
                .chain(&zd)
                .chain(&m)
                .all(|v| v.is_finite()),
            "batch {b}"
        );
        z_small = z;
    }
    // 10^6 rows without caching activations: memory bounded by a chunk per thread
    let mut ws = Workspace::with_caching(&net, big, false);
    let (grad, z, ..) = run(
        &net,
        &mut ws,
        &params,
        &x,
        mode,
        &probe(big),
        (1.0, 1.0),
        (true, true, true),
    );
    assert!(grad.iter().all(|g| g.is_finite()));
    // a row's output (dropout mask included) does not depend on the rows around it
    assert_eq!(&z[..z_small.len()], &z_small[..]);
}
