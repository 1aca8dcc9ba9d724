//! Optimisers, schedules and gradient clipping against PyTorch.
//!
//! Golden values from validation/torch_optim.py (torch.optim single-tensor
//! implementations in float64), in validation/data/torch/optim.json: three steps of every
//! optimiser and option combination on 37 parameters, the state after the last step,
//! StepLR / ExponentialLR learning rates per epoch, Ganin's annealing, the DANN lambda,
//! and clip_grad_norm_.
//!
//! Tolerances: our f64 path must agree with torch's float64 to a relative 1e-12 per value
//! (|ours - torch| <= 1e-12 max(|ours|, |torch|)); both follow the same operation order,
//! and what remains is torch's fused multiply-adds and ulp-level differences. Our f32 path
//! is compared with the same float64 goldens at a relative 1e-5, where a value that
//! cancelled to near zero is measured against a floor of 1e-3 times the largest magnitude
//! in its tensor (f32 rounds relative to the O(1) terms that cancelled, not to the
//! result: an SGD-Nesterov parameter that went from 1.1 to 1.3e-3 differs by 1.8e-8,
//! 1.4e-5 of itself). Every failure names the case, the step or state buffer, and the
//! index.

use rootgrad::optim::{
    clip_grad_norm, dann_lambda, ganin_lr, Optimizer, OptimizerConfig, Schedule, ScheduleConfig,
};
use rootgrad_kernels::Real;
use serde_json::Value as Json;

const F64_RTOL: f64 = 1e-12;
const F32_RTOL: f64 = 1e-5;

fn golden() -> Json {
    crate::torch_golden::load("optim.json")
}

use crate::torch_golden::vec_f64;

/// Largest relative difference of `ours` from `want`; panics naming `what` beyond `rtol`.
/// f32 values are measured against at least 1e-3 of the tensor's largest magnitude.
fn compare<T: Real>(what: &str, ours: &[T], want: &[f64], rtol: f64) -> f64 {
    let floor = if std::mem::size_of::<T>() == 4 {
        1e-3 * crate::torch_golden::max_abs(want)
    } else {
        0.0
    };
    let ours: Vec<f64> = ours.iter().map(|o| o.to_f64()).collect();
    crate::torch_golden::compare_rel(what, &ours, want, rtol, floor)
}

/// Runs one golden case in precision T; returns the worst relative difference.
fn run_case<T: Real>(case: &Json, start: &[f64], grads: &[Vec<f64>], rtol: f64) -> f64 {
    let name = case["name"].as_str().expect("name");
    let config: OptimizerConfig =
        serde_json::from_value(case["config"].clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let checked = config.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    let lr_per_step = case.get("lr_per_step").map(vec_f64);
    let clip = case.get("clip_max_norm").and_then(Json::as_f64);
    let mut opt = Optimizer::<T>::new(&checked, start.len());
    let mut params: Vec<T> = start.iter().map(|&x| T::from_f64(x)).collect();
    let mut worst = 0.0f64;
    for (k, (g, want)) in grads
        .iter()
        .zip(case["params"].as_array().unwrap())
        .enumerate()
    {
        let mut g: Vec<T> = g.iter().map(|&x| T::from_f64(x)).collect();
        if let Some(max_norm) = clip {
            clip_grad_norm(&mut g, max_norm);
        }
        let lr = lr_per_step.as_ref().map_or(checked.lr(), |l| l[k]);
        opt.step(&mut params, &g, lr);
        let what = format!("{name} step {} params", k + 1);
        worst = worst.max(compare(&what, &params, &vec_f64(want), rtol));
    }
    let state = case["state"].as_object().expect("state");
    let ours = opt.state();
    let mut names: Vec<&str> = ours.iter().map(|(n, _)| *n).collect();
    let mut theirs: Vec<&str> = state.keys().map(String::as_str).collect();
    names.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(names, theirs, "{name}: state buffers");
    for (buf, values) in ours {
        let what = format!("{name} state {buf} after step 3");
        worst = worst.max(compare(&what, values, &vec_f64(&state[buf]), rtol));
    }
    worst
}

fn run_all<T: Real>(rtol: f64, label: &str) {
    let g = golden();
    let start = vec_f64(&g["start_params"]);
    let grads: Vec<Vec<f64>> = g["grads"].as_array().unwrap().iter().map(vec_f64).collect();
    let cases = g["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "optim.json has {} cases", cases.len());
    for case in cases {
        let worst = run_case::<T>(case, &start, &grads, rtol);
        eprintln!(
            "{label} {:<32} worst relative difference {worst:.2e}",
            case["name"].as_str().unwrap()
        );
    }
}

// Golden values: validation/torch_optim.py.
#[test]
fn optimisers_match_torch_in_f64() {
    run_all::<f64>(F64_RTOL, "f64");
}

// Golden values: validation/torch_optim.py (float64), our f32 path.
#[test]
fn optimisers_match_torch_in_f32() {
    run_all::<f32>(F32_RTOL, "f32");
}

// Golden values: validation/torch_optim.py (StepLR, ExponentialLR, Ganin, DANN by formula).
#[test]
fn schedules_match_torch() {
    let g = golden();
    for s in g["schedules"].as_array().unwrap() {
        let config: ScheduleConfig = serde_json::from_value(s["config"].clone()).unwrap();
        let sched: Schedule = config.validate().unwrap();
        let lr0 = s["lr0"].as_f64().unwrap();
        let ours: Vec<f64> = (0..vec_f64(&s["lrs"]).len() as u64)
            .map(|e| sched.lr(lr0, e, 0.0))
            .collect();
        compare(
            &format!("{sched:?} lr per epoch"),
            &ours,
            &vec_f64(&s["lrs"]),
            F64_RTOL,
        );
    }
    for s in g["ganin"].as_array().unwrap() {
        let (a, b) = (s["alpha"].as_f64().unwrap(), s["beta"].as_f64().unwrap());
        let sched = ScheduleConfig::Ganin {
            alpha: Some(a),
            beta: Some(b),
        }
        .validate()
        .unwrap();
        let lr0 = s["lr0"].as_f64().unwrap();
        let ps = vec_f64(&s["p"]);
        let ours: Vec<f64> = ps.iter().map(|&p| sched.lr(lr0, 0, p)).collect();
        compare(
            &format!("ganin alpha {a} beta {b}"),
            &ours,
            &vec_f64(&s["lrs"]),
            F64_RTOL,
        );
        let direct: Vec<f64> = ps.iter().map(|&p| ganin_lr(lr0, a, b, p)).collect();
        assert_eq!(ours, direct);
    }
    for s in g["dann"].as_array().unwrap() {
        let (lm, gm) = (
            s["lambda_max"].as_f64().unwrap(),
            s["gamma"].as_f64().unwrap(),
        );
        let ours: Vec<f64> = vec_f64(&s["p"])
            .iter()
            .map(|&p| dann_lambda(lm, gm, p))
            .collect();
        compare(
            &format!("dann lambda_max {lm} gamma {gm}"),
            &ours,
            &vec_f64(&s["lambdas"]),
            F64_RTOL,
        );
    }
}

// Golden values: validation/torch_optim.py (torch.nn.utils.clip_grad_norm_).
#[test]
fn clipping_matches_torch() {
    let g = golden();
    for c in g["clip"].as_array().unwrap() {
        let max_norm = c["max_norm"].as_f64().unwrap();
        let mut grad = vec_f64(&c["grad"]);
        let total = clip_grad_norm(&mut grad, max_norm);
        let what = format!("clip max_norm {max_norm}");
        compare(
            &format!("{what} total norm"),
            &[total],
            &[c["total_norm"].as_f64().unwrap()],
            F64_RTOL,
        );
        compare(
            &format!("{what} gradient"),
            &grad,
            &vec_f64(&c["clipped"]),
            F64_RTOL,
        );
        let mut g32: Vec<f32> = vec_f64(&c["grad"]).iter().map(|&x| x as f32).collect();
        clip_grad_norm(&mut g32, max_norm);
        compare(
            &format!("{what} gradient f32"),
            &g32,
            &vec_f64(&c["clipped"]),
            F32_RTOL,
        );
    }
}
