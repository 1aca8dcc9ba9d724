//! Finite-difference checks, in f64, of every layer's backward against its forward:
//! linear (weight, bias, input), each activation fused with its bias, dropout with a
//! fixed mask, and the gradient reversal layer. The scalar checked is
//! `L = sum_i r_i out_i` with fixed random r, so dL/dout = r; the relative error
//! `max |analytic - numeric| / max |numeric|` is printed per tensor.

use rootgrad_kernels::Act;

use super::dropout::{dropout_backward, dropout_forward, DropoutKey};
use super::grl::{grl_backward, grl_forward};
use super::linear::{act_backward, act_forward, linear_backward, linear_forward};
use crate::random::SplitMix64;

fn randn(r: &mut SplitMix64, n: usize) -> Vec<f64> {
    (0..n).map(|_| r.normal()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Central differences of `f` at `x`, step 1e-6.
fn numeric(x: &[f64], f: &dyn Fn(&[f64]) -> f64) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let mut xp = x.to_vec();
            xp[i] += h;
            let mut xm = x.to_vec();
            xm[i] -= h;
            (f(&xp) - f(&xm)) / (2.0 * h)
        })
        .collect()
}

fn check(what: &str, analytic: &[f64], numeric: &[f64], tol: f64) {
    let scale = numeric
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-300);
    let err = analytic
        .iter()
        .zip(numeric)
        .fold(0.0f64, |m, (a, n)| m.max((a - n).abs()));
    println!(
        "{what:>28}: max |numeric| {scale:.3e}, relative error {:.3e}",
        err / scale
    );
    assert!(
        err / scale < tol,
        "{what}: relative error {} > {tol}",
        err / scale
    );
}

#[test]
fn linear_backward_matches_finite_differences() {
    let mut r = SplitMix64::new(&[1]);
    for &(b, i, o) in &[(1, 1, 1), (5, 3, 4), (13, 7, 9)] {
        let (x, w, bias, dout) = (
            randn(&mut r, b * i),
            randn(&mut r, o * i),
            randn(&mut r, o),
            randn(&mut r, b * o),
        );
        let loss = |x: &[f64], w: &[f64], bias: &[f64]| {
            let mut out = vec![f64::NAN; b * o];
            linear_forward(&mut out, x, w, Some(bias), b, i, o);
            dot(&out, &dout)
        };
        // analytic, added onto non-zero gradients to check that backward adds
        let (mut dx, mut dw, mut db) = (vec![1.0; b * i], vec![2.0; o * i], vec![3.0; o]);
        linear_backward(
            Some(&mut dx),
            &mut dw,
            Some(&mut db),
            &dout,
            &x,
            &w,
            b,
            i,
            o,
        );
        dx.iter_mut().for_each(|v| *v -= 1.0);
        dw.iter_mut().for_each(|v| *v -= 2.0);
        db.iter_mut().for_each(|v| *v -= 3.0);
        check(
            &format!("linear ({b},{i},{o}) weight"),
            &dw,
            &numeric(&w, &|w| loss(&x, w, &bias)),
            1e-8,
        );
        check(
            &format!("linear ({b},{i},{o}) bias"),
            &db,
            &numeric(&bias, &|bb| loss(&x, &w, bb)),
            1e-8,
        );
        check(
            &format!("linear ({b},{i},{o}) input"),
            &dx,
            &numeric(&x, &|xx| loss(xx, &w, &bias)),
            1e-8,
        );
    }
}

#[test]
fn activations_match_finite_differences() {
    let acts = [
        Act::Identity,
        Act::Relu,
        Act::LeakyRelu(0.1),
        Act::Elu(0.7),
        Act::Selu,
        Act::Tanh,
        Act::Sigmoid,
        Act::Silu,
    ];
    let (b, c) = (11, 6);
    let mut r = SplitMix64::new(&[2]);
    for act in acts {
        // keep pre-activations away from the kinks at 0 (relu, leaky relu, elu, selu)
        let pre: Vec<f64> = randn(&mut r, b * c)
            .into_iter()
            .map(|v| if v.abs() < 0.05 { v + 0.2 } else { 2.0 * v })
            .collect();
        let bias = vec![0.0; c];
        let dy = randn(&mut r, b * c);
        let loss = |p: &[f64]| {
            let (mut p, mut y) = (p.to_vec(), vec![f64::NAN; b * c]);
            act_forward(&mut y, &mut p, &bias, c, act);
            dot(&y, &dy)
        };
        let mut p = pre.clone();
        let mut y = vec![0.0; b * c];
        act_forward(&mut y, &mut p, &bias, c, act);
        let (mut dpre, mut db) = (vec![f64::NAN; b * c], vec![0.0; c]);
        act_backward(&mut dpre, &mut db, &dy, &p, &y, c, act);
        check(
            &format!("{act:?} pre-activation"),
            &dpre,
            &numeric(&pre, &loss),
            1e-7,
        );
        // the bias gradient is the column sum of dpre
        let col: Vec<f64> = (0..c)
            .map(|j| (0..b).map(|i| dpre[i * c + j]).sum())
            .collect();
        check(&format!("{act:?} bias"), &db, &col, 1e-14);
    }
}

#[test]
fn dropout_and_reversal_match_finite_differences() {
    let (b, c, p) = (9, 5, 0.4);
    let mut r = SplitMix64::new(&[3]);
    let (x, dout) = (randn(&mut r, b * c), randn(&mut r, b * c));
    let k = DropoutKey { seed: 4, step: 9 };
    // dropout with its mask fixed by (seed, step, layer, row, column)
    let loss = |x: &[f64]| {
        let (mut out, mut mask) = (vec![0.0; b * c], vec![0.0; b * c]);
        dropout_forward(&mut out, &mut mask, x, p, k, 2, 40, b, c);
        dot(&out, &dout)
    };
    let (mut out, mut mask) = (vec![0.0; b * c], vec![0.0; b * c]);
    dropout_forward(&mut out, &mut mask, &x, p, k, 2, 40, b, c);
    let mut dx = vec![f64::NAN; b * c];
    dropout_backward(&mut dx, &dout, &mask);
    check("dropout input", &dx, &numeric(&x, &loss), 1e-8);
    // reversal: forward the identity, backward -lambda times the true gradient
    let lambda = 0.35;
    let mut y = vec![f64::NAN; b * c];
    grl_forward(&mut y, &x);
    assert_eq!(y, x);
    let mut dx = vec![0.0; b * c];
    grl_backward(&mut dx, &dout, lambda);
    let truth = numeric(&x, &|x| dot(x, &dout));
    let reversed: Vec<f64> = truth.iter().map(|g| -lambda * g).collect();
    check("reversal input (x -lambda)", &dx, &reversed, 1e-8);
}

#[test]
fn bias_gradient_through_gemm_with_stride_zero_row_of_ones() {
    let (b, o) = (1000, 3);
    let dout: Vec<f64> = (0..b * o).map(|k| (k % 7) as f64 - 3.0).collect();
    let mut db = vec![0.5; o];
    let mut dw = vec![0.0; o];
    linear_backward(
        None,
        &mut dw,
        Some(&mut db),
        &dout,
        &vec![0.0; b],
        &[0.0; 3],
        b,
        1,
        o,
    );
    for j in 0..o {
        let s: f64 = (0..b).map(|i| dout[i * o + j]).sum();
        assert_eq!(db[j], 0.5 + s);
    }
}

#[test]
fn bad_specs_are_usage_errors_naming_the_key() {
    use super::spec::{HeadSpec, NetworkSpec};
    use super::Network;
    let good = NetworkSpec {
        inputs: 3,
        hidden: vec![4, 2],
        activation: Act::Relu,
        dropout: 0.0,
        outputs: 1,
        domain_head: Some(HeadSpec {
            from_layer: 1,
            hidden: vec![],
            activation: Act::Tanh,
        }),
        mass_head: None,
    };
    assert!(Network::new(good.clone()).is_ok());
    let cases: Vec<(NetworkSpec, &str)> = vec![
        (
            NetworkSpec {
                inputs: 0,
                ..good.clone()
            },
            "network.inputs",
        ),
        (
            NetworkSpec {
                hidden: vec![4, 0],
                ..good.clone()
            },
            "network.hidden[1]",
        ),
        (
            NetworkSpec {
                dropout: 1.0,
                ..good.clone()
            },
            "network.dropout",
        ),
        (
            NetworkSpec {
                dropout: -0.1,
                ..good.clone()
            },
            "network.dropout",
        ),
        (
            NetworkSpec {
                dropout: f64::NAN,
                ..good.clone()
            },
            "network.dropout",
        ),
        (
            NetworkSpec {
                outputs: 0,
                ..good.clone()
            },
            "network.outputs",
        ),
        (
            NetworkSpec {
                activation: Act::Elu(f64::INFINITY),
                ..good.clone()
            },
            "network.activation",
        ),
        (
            NetworkSpec {
                domain_head: Some(HeadSpec {
                    from_layer: 2,
                    hidden: vec![],
                    activation: Act::Tanh,
                }),
                ..good.clone()
            },
            "network.domain_head.from_layer",
        ),
        (
            NetworkSpec {
                mass_head: Some(HeadSpec {
                    from_layer: 0,
                    hidden: vec![3, 0],
                    activation: Act::Tanh,
                }),
                ..good.clone()
            },
            "network.mass_head.hidden[1]",
        ),
    ];
    for (spec, key) in cases {
        match Network::new(spec) {
            Err(crate::Error::Usage(msg)) => assert!(msg.contains(key), "{msg} should name {key}"),
            other => panic!("{key}: expected a usage error, got {other:?}"),
        }
    }
}

#[test]
fn table_names_offsets_and_init_statistics() {
    use super::init::Init;
    use super::spec::{HeadSpec, NetworkSpec};
    use super::Network;
    let spec = NetworkSpec {
        inputs: 400,
        hidden: vec![300, 200],
        activation: Act::Relu,
        dropout: 0.0,
        outputs: 1,
        domain_head: None,
        mass_head: Some(HeadSpec {
            from_layer: 0,
            hidden: vec![5],
            activation: Act::Tanh,
        }),
    };
    let net = Network::new(spec.clone()).unwrap();
    let names: Vec<&str> = net
        .table()
        .tensors()
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "hidden.0.weight",
            "hidden.0.bias",
            "hidden.1.weight",
            "hidden.1.bias",
            "classifier.weight",
            "classifier.bias",
            "mass.0.weight",
            "mass.0.bias",
            "mass.out.weight",
            "mass.out.bias"
        ]
    );
    // contiguous, in order, covering the buffer
    let mut at = 0;
    for t in net.table().tensors() {
        assert_eq!(t.offset, at, "{}", t.name);
        at += t.len();
    }
    assert_eq!(at, net.num_params());
    assert_eq!(
        net.table().get("hidden.1.weight").unwrap().shape,
        vec![200, 300]
    );
    match net.table().get("hidden.1.weigth") {
        Err(crate::Error::Usage(m)) => assert!(m.contains("hidden.1.weight"), "{m}"),
        other => panic!("{other:?}"),
    }
    let stats = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let maxabs = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        (mean, var.sqrt(), maxabs)
    };
    let w0 = |p: &[f64]| net.table().slice(p, "hidden.0.weight").unwrap().to_vec();
    // Torch default: U(+-1/sqrt(400)) = U(+-0.05): std 0.05/sqrt(3)
    let p = net.new_params::<f64>(Init::Torch, 1);
    let (m, s, a) = stats(&w0(&p));
    assert!(
        m.abs() < 1e-3 && (s - 0.05 / 3f64.sqrt()).abs() < 5e-4 && a <= 0.05,
        "{m} {s} {a}"
    );
    let b0 = net.table().slice(&p, "hidden.0.bias").unwrap();
    assert!(b0.iter().all(|b| b.abs() <= 0.05) && b0.iter().any(|&b| b != 0.0));
    // He normal: std sqrt(2/400); zero biases
    let p = net.new_params::<f64>(Init::HeNormal, 1);
    let (m, s, _) = stats(&w0(&p));
    assert!(
        m.abs() < 1e-3 && (s - (2.0f64 / 400.0).sqrt()).abs() < 1e-3,
        "{m} {s}"
    );
    assert!(net
        .table()
        .slice(&p, "hidden.0.bias")
        .unwrap()
        .iter()
        .all(|&b| b == 0.0));
    // Glorot uniform: U(+-sqrt(6/700))
    let p = net.new_params::<f64>(Init::GlorotUniform, 1);
    let bound = (6.0f64 / 700.0).sqrt();
    let (m, s, a) = stats(&w0(&p));
    assert!(
        m.abs() < 1e-3 && (s - bound / 3f64.sqrt()).abs() < 1e-3 && a <= bound,
        "{m} {s} {a}"
    );
    // the same seed gives the same values; the shared layers do not change when a
    // head is added after them
    assert_eq!(
        net.new_params::<f64>(Init::Torch, 1),
        net.new_params::<f64>(Init::Torch, 1)
    );
    let bare = Network::new(NetworkSpec {
        mass_head: None,
        ..spec
    })
    .unwrap();
    let q = bare.new_params::<f64>(Init::Torch, 1);
    let p = net.new_params::<f64>(Init::Torch, 1);
    assert_eq!(q[..], p[..q.len()]);
}
