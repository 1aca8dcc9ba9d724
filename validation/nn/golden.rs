//! The network against PyTorch, tensor by tensor, by name.
//!
//! Golden values: validation/data/torch/nn.json, written by validation/torch_nn.py
//! (float64 torch; weights from torch's own seeded nn.Linear init, loaded here by name
//! into the flat buffer; upstream gradients c, e, f of L = sum c z + sum e z_d +
//! sum f m; reversal strengths 0.7 (domain) and 1.3 (mass); seven activation pairs,
//! one case with dropout 0.3 whose masks the script draws with rootgrad's keyed RNG,
//! one case whose output layer has 5 units: z and c are (batch, 5) row-major).
//! Our f64 path must agree to 1e-10 relative per tensor, our f32 path to 1e-4.

use rootgrad::nn::{Act, DropoutKey, Mode, Network, NetworkSpec, Workspace};
use rootgrad_kernels::gemm::Gemm;
use serde_json::Value;

use super::{cast, reference_spec, rel_err, run, Probe};

fn golden() -> Value {
    crate::torch_golden::load("nn.json")
}

use crate::torch_golden::vec_f64 as floats;

fn act(v: &Value) -> Act {
    let a = v.as_array().unwrap();
    let arg = || a[1].as_f64().unwrap();
    match a[0].as_str().unwrap() {
        "relu" => Act::Relu,
        "leaky_relu" => Act::LeakyRelu(arg()),
        "elu" => Act::Elu(arg()),
        "selu" => Act::Selu,
        "tanh" => Act::Tanh,
        "sigmoid" => Act::Sigmoid,
        "silu" => Act::Silu,
        other => panic!("unknown activation {other}"),
    }
}

/// Runs one case in precision T and returns the worst relative error over outputs and
/// gradient tensors, printing each.
fn compare_case<T: Gemm>(g: &Value, case: &Value, tol: f64, label: &str) -> f64 {
    let p = case["dropout"].as_f64().unwrap();
    // the output layer's width: 1 (a classifier) unless the case says
    let outputs = case["outputs"].as_u64().unwrap_or(1) as usize;
    let net = Network::new(NetworkSpec {
        outputs,
        ..reference_spec(act(&case["activation"]), act(&case["head_activation"]), p)
    })
    .unwrap();
    let batch = g["batch"].as_u64().unwrap() as usize;
    // load torch's weights by name; the names must be exactly ours
    let mut params = vec![T::ZERO; net.num_params()];
    let torch_params = case["params"].as_object().unwrap();
    assert_eq!(
        torch_params.len(),
        net.table().tensors().len(),
        "tensor count"
    );
    for (name, vals) in torch_params {
        let dst = net.table().slice_mut(&mut params, name).unwrap();
        dst.copy_from_slice(&cast::<T>(&floats(vals)));
    }
    let x = cast::<T>(&floats(&case["x"]));
    let probe = Probe {
        c: cast::<T>(&floats(&case["dz"])),
        e: cast::<T>(&floats(&case["ddomain"])),
        f: cast::<T>(&floats(&case["dmass"])),
    };
    let mode = if p > 0.0 {
        Mode::Train(DropoutKey {
            seed: g["dropout_seed"].as_u64().unwrap(),
            step: g["dropout_step"].as_u64().unwrap(),
        })
    } else {
        Mode::Eval
    };
    let lambdas = (
        g["lambda_domain"].as_f64().unwrap(),
        g["lambda_mass"].as_f64().unwrap(),
    );
    let mut ws = Workspace::new(&net, batch);
    let (grad, z, zd, m) = run(
        &net,
        &mut ws,
        &params,
        &x,
        mode,
        &probe,
        lambdas,
        (true, true, true),
    );
    let f64s = |v: &[T]| v.iter().map(|x| x.to_f64()).collect::<Vec<_>>();
    let name = case["name"].as_str().unwrap();
    assert_eq!(z.len(), batch * outputs, "{name}: outputs per row");
    let mut worst = 0.0f64;
    let mut report = |what: &str, ours: Vec<f64>, theirs: Vec<f64>| {
        let e = rel_err(&ours, &theirs);
        println!("{label} {name:>20} {what:>18}: relative error {e:.2e}");
        assert!(
            e < tol,
            "{label} {name} {what}: relative error {e:.3e} > {tol}"
        );
        worst = worst.max(e);
    };
    report("z", f64s(&z), floats(&case["z"]));
    report("z_domain", f64s(&zd), floats(&case["domain"]));
    report("mass", f64s(&m), floats(&case["mass"]));
    for t in net.table().tensors() {
        let theirs = floats(&case["grads"][&t.name]);
        report(&t.name, f64s(&grad[t.range()]), theirs);
    }
    worst
}

// Golden values from validation/torch_nn.py (validation/data/torch/nn.json).
#[test]
fn every_gradient_matches_pytorch_float64_by_name() {
    let g = golden();
    let mut worst = 0.0f64;
    for case in g["cases"].as_array().unwrap() {
        worst = worst.max(compare_case::<f64>(&g, case, 1e-10, "f64"));
    }
    println!("f64: worst relative error over every case and tensor {worst:.2e}");
    let q: Vec<u64> = g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outputs"].as_u64().unwrap_or(1))
        .collect();
    assert!(q.contains(&5), "a multi-output case is in nn.json: {q:?}");
}

// Golden values from validation/torch_nn.py (validation/data/torch/nn.json).
#[test]
fn every_gradient_matches_pytorch_in_f32_by_name() {
    let g = golden();
    let mut worst = 0.0f64;
    for case in g["cases"].as_array().unwrap() {
        worst = worst.max(compare_case::<f32>(&g, case, 1e-4, "f32"));
    }
    println!("f32: worst relative error over every case and tensor {worst:.2e}");
}
