//! Whole-network finite differences in f64: every parameter tensor of the shared
//! layers, the classifier, the domain head and the mass head, for several activation
//! pairs, dropout off and on (the mask is fixed by the dropout key, so it is the same
//! in every evaluation), with a batch that spans three chunks.
//!
//! The scalar is L = sum_i c_i z_i + sum_i e_i z_d,i + sum_i f_i m_i. Finite
//! differences see the true gradient, which the network's backward gives when both
//! reversal strengths are lambda = -1 (the reversal multiplies by -lambda = +1).

use rootgrad::nn::{Act, DropoutKey, Init, Mode, Network, Workspace};

use super::{randn, reference_spec, rel_err, run, Probe};

fn loss(net: &Network, params: &[f64], x: &[f64], mode: Mode, probe: &Probe<f64>) -> f64 {
    let batch = probe.c.len();
    let mut ws = Workspace::new(net, batch);
    net.forward(&mut ws, params, x, mode).unwrap();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    dot(&ws.z, &probe.c) + dot(&ws.domain, &probe.e) + dot(&ws.mass, &probe.f)
}

fn probe(batch: usize, tag: u64) -> Probe<f64> {
    Probe {
        c: randn(tag, batch),
        e: randn(tag + 1, batch),
        f: randn(tag + 2, batch),
    }
}

/// Central differences of L for every parameter, step 1e-6.
fn numeric_grad(net: &Network, params: &[f64], x: &[f64], mode: Mode, p: &Probe<f64>) -> Vec<f64> {
    let h = 1e-6;
    let mut q = params.to_vec();
    (0..params.len())
        .map(|i| {
            q[i] = params[i] + h;
            let lp = loss(net, &q, x, mode, p);
            q[i] = params[i] - h;
            let lm = loss(net, &q, x, mode, p);
            q[i] = params[i];
            (lp - lm) / (2.0 * h)
        })
        .collect()
}

fn check_by_tensor(net: &Network, what: &str, analytic: &[f64], numeric: &[f64], tol: f64) {
    for t in net.table().tensors() {
        let e = rel_err(&analytic[t.range()], &numeric[t.range()]);
        println!("{what}: {:>20} relative error {e:.2e}", t.name);
        assert!(e < tol, "{what}: {} relative error {e:.3e} > {tol}", t.name);
    }
}

#[test]
fn whole_network_with_both_heads_matches_finite_differences() {
    let batch = 1100; // three chunks of 512, the last partial
    let cases = [
        (Act::Tanh, Act::Relu, 0.0),
        (Act::Silu, Act::Elu(0.7), 0.0),
        (Act::Selu, Act::Sigmoid, 0.0),
        (Act::Tanh, Act::Silu, 0.3),
        (Act::LeakyRelu(0.1), Act::Tanh, 0.25),
    ];
    for (k, (act, head_act, p)) in cases.into_iter().enumerate() {
        let net = Network::new(reference_spec(act, head_act, p)).unwrap();
        let params = net.new_params::<f64>(Init::Torch, 40 + k as u64);
        let x = randn(100 + k as u64, batch * 7);
        let pr = probe(batch, 200 + 3 * k as u64);
        let mode = if p > 0.0 {
            Mode::Train(DropoutKey {
                seed: 8,
                step: k as u64,
            })
        } else {
            Mode::Eval
        };
        let mut ws = Workspace::new(&net, batch);
        let (grad, ..) = super::run(
            &net,
            &mut ws,
            &params,
            &x,
            mode,
            &pr,
            (-1.0, -1.0),
            (true, true, true),
        );
        let num = numeric_grad(&net, &params, &x, mode, &pr);
        check_by_tensor(
            &net,
            &format!("{act:?}/{head_act:?} dropout {p}"),
            &grad,
            &num,
            1e-6,
        );
    }
}

/// The domain head's gradient reaches the shared layers with its sign flipped and
/// scaled by lambda: with only the domain loss upstream, the shared layers' gradient is
/// -lambda times the finite-difference gradient of L_D, the domain head's own
/// gradient is the plain one, and the classifier gets nothing. With every term
/// upstream, shared(lambda_d, lambda_m) = shared(0, 0) - lambda_d * domain-only true
/// gradient - lambda_m * mass-only true gradient.
#[test]
fn reversal_flips_and_scales_the_heads_gradient_into_the_shared_layers() {
    let batch = 700;
    let net = Network::new(reference_spec(Act::Tanh, Act::Silu, 0.0)).unwrap();
    let params = net.new_params::<f64>(Init::Torch, 3);
    let x = randn(7, batch * 7);
    let pr = probe(batch, 11);
    let mut ws = Workspace::new(&net, batch);
    let lambda = 0.7;
    let (g_rev, ..) = run(
        &net,
        &mut ws,
        &params,
        &x,
        Mode::Eval,
        &pr,
        (lambda, 0.0),
        (false, true, false),
    );
    let domain_only = Probe {
        c: vec![0.0; batch],
        e: pr.e.clone(),
        f: vec![0.0; batch],
    };
    let truth = numeric_grad(&net, &params, &x, Mode::Eval, &domain_only);
    for t in net.table().tensors() {
        let (ours, fd) = (&g_rev[t.range()], &truth[t.range()]);
        let shared = t.name.starts_with("hidden.");
        let expect: Vec<f64> = if shared {
            fd.iter().map(|g| -lambda * g).collect()
        } else {
            fd.to_vec()
        };
        let scale = expect.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if scale == 0.0 {
            // the classifier, the mass head and hidden.2 (above the domain head) get nothing
            assert!(
                ours.iter().all(|&g| g == 0.0),
                "{} should get no gradient",
                t.name
            );
            println!(
                "domain only, lambda {lambda}: {:>20} zero, as expected",
                t.name
            );
            continue;
        }
        let e = rel_err(ours, &expect);
        println!(
            "domain only, lambda {lambda}: {:>20} vs {} FD: {e:.2e}",
            t.name,
            if shared { "-lambda x" } else { "plain" }
        );
        assert!(e < 1e-6, "{}: {e}", t.name);
    }
    // linearity in lambda, with every loss term upstream
    let all = (true, true, true);
    let (g_0, ..) = run(&net, &mut ws, &params, &x, Mode::Eval, &pr, (0.0, 0.0), all);
    let (g_l, ..) = run(&net, &mut ws, &params, &x, Mode::Eval, &pr, (0.7, 1.3), all);
    let (g_d, ..) = run(
        &net,
        &mut ws,
        &params,
        &x,
        Mode::Eval,
        &pr,
        (-1.0, 0.0),
        (false, true, false),
    );
    let (g_m, ..) = run(
        &net,
        &mut ws,
        &params,
        &x,
        Mode::Eval,
        &pr,
        (0.0, -1.0),
        (false, false, true),
    );
    for t in net.table().tensors() {
        let r = t.range();
        let expect: Vec<f64> = if t.name.starts_with("hidden.") {
            r.clone()
                .map(|i| g_0[i] - 0.7 * g_d[i] - 1.3 * g_m[i])
                .collect()
        } else {
            g_0[r.clone()].to_vec()
        };
        let e = rel_err(&g_l[r], &expect);
        println!(
            "lambda (0.7, 1.3) vs (0, 0) - lambda x heads: {:>20} {e:.2e}",
            t.name
        );
        assert!(e < 1e-12, "{}: {e}", t.name);
    }
}
