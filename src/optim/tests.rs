//! Unit tests of the optimiser front end: PyTorch's defaults, every rejected
//! hyperparameter with its message, config parsing, schedules and clipping. The update
//! rules themselves are checked against torch in validation/optim.rs.

use super::*;
use crate::Error;

fn usage(r: crate::Result<CheckedOptimizer>) -> String {
    match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn defaults_are_pytorchs() {
    let adam = OptimizerConfig::Adam(AdamConfig::default())
        .validate()
        .unwrap();
    assert_eq!(
        *adam.hyper(),
        Hyper::Adam {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            decoupled: false
        }
    );
    let adamw = OptimizerConfig::AdamW(AdamConfig::default())
        .validate()
        .unwrap();
    assert!(matches!(
        adamw.hyper(),
        Hyper::Adam { weight_decay, decoupled: true, .. } if *weight_decay == 1e-2
    ));
    assert_eq!(adamw.name(), "adamw");
    let adamax = OptimizerConfig::Adamax(AdamaxConfig::default())
        .validate()
        .unwrap();
    assert_eq!(adamax.lr(), 2e-3);
    let adadelta = OptimizerConfig::Adadelta(AdadeltaConfig::default())
        .validate()
        .unwrap();
    assert_eq!(
        *adadelta.hyper(),
        Hyper::Adadelta {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0
        }
    );
    let rms = OptimizerConfig::RmsProp(RmsPropConfig::default())
        .validate()
        .unwrap();
    assert_eq!(
        *rms.hyper(),
        Hyper::RmsProp {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false
        }
    );
}

#[test]
fn bad_hyperparameters_name_the_key_and_the_fix() {
    let m = usage(OptimizerConfig::Sgd(SgdConfig::default()).validate());
    assert!(
        m.contains("`sgd`") && m.contains("`lr` is missing") && m.contains("set `lr`"),
        "{m}"
    );
    let cases: Vec<(OptimizerConfig, &str)> = vec![
        (
            OptimizerConfig::Adam(AdamConfig {
                lr: Some(-0.1),
                ..Default::default()
            }),
            "lr = -0.1 is negative",
        ),
        (
            OptimizerConfig::Adam(AdamConfig {
                lr: Some(f64::NAN),
                ..Default::default()
            }),
            "lr = NaN is not a finite number",
        ),
        (
            OptimizerConfig::AdamW(AdamConfig {
                betas: Some((1.0, 0.999)),
                ..Default::default()
            }),
            "betas[0] = 1 is outside [0, 1)",
        ),
        (
            OptimizerConfig::Adamax(AdamaxConfig {
                betas: Some((0.9, -0.5)),
                ..Default::default()
            }),
            "betas[1] = -0.5 is outside [0, 1)",
        ),
        (
            OptimizerConfig::Adadelta(AdadeltaConfig {
                eps: Some(0.0),
                ..Default::default()
            }),
            "eps = 0 is not positive",
        ),
        (
            OptimizerConfig::RmsProp(RmsPropConfig {
                weight_decay: Some(-1e-4),
                ..Default::default()
            }),
            "weight_decay = -0.0001 is negative",
        ),
        (
            OptimizerConfig::RmsProp(RmsPropConfig {
                alpha: Some(f64::INFINITY),
                ..Default::default()
            }),
            "alpha = inf is not a finite number",
        ),
        (
            OptimizerConfig::Sgd(SgdConfig {
                lr: Some(0.1),
                nesterov: true,
                ..Default::default()
            }),
            "nesterov = true needs momentum > 0 and dampening = 0",
        ),
        (
            OptimizerConfig::Sgd(SgdConfig {
                lr: Some(0.1),
                momentum: Some(0.9),
                dampening: Some(0.1),
                nesterov: true,
                ..Default::default()
            }),
            "dampening = 0.1",
        ),
    ];
    for (c, want) in cases {
        let m = usage(c.clone().validate());
        assert!(m.contains(want), "{c:?}: message {m:?} lacks {want:?}");
        assert!(m.starts_with("optimizer `"), "{m}");
        assert!(m.contains("set ") || m.contains("such as"), "no fix in {m}");
    }
}

#[test]
fn config_parses_with_torchs_names() {
    let c: OptimizerConfig =
        serde_json::from_str(r#"{"name": "adamw", "lr": 0.01, "betas": [0.8, 0.99]}"#).unwrap();
    let h = c.validate().unwrap();
    assert!(matches!(
        h.hyper(),
        Hyper::Adam { lr, beta1, beta2, weight_decay, decoupled: true, .. }
            if *lr == 0.01 && *beta1 == 0.8 && *beta2 == 0.99 && *weight_decay == 1e-2
    ));
    let bad =
        serde_json::from_str::<OptimizerConfig>(r#"{"name": "sgd", "lr": 1, "momentun": 0.9}"#);
    assert!(bad.unwrap_err().to_string().contains("momentun"));
    let s: ScheduleConfig = serde_json::from_str(r#"{"kind": "step", "step_size": 5}"#).unwrap();
    assert_eq!(
        s.validate().unwrap(),
        Schedule::Step {
            step_size: 5,
            gamma: 0.1
        }
    );
}

#[test]
fn optimizer_state_has_torchs_names_and_lengths() {
    let c = OptimizerConfig::Adam(AdamConfig {
        amsgrad: true,
        ..Default::default()
    })
    .validate()
    .unwrap();
    let mut opt = Optimizer::<f32>::new(&c, 5);
    let mut p = vec![1.0f32; 5];
    opt.step(&mut p, &[1.0; 5], c.lr());
    assert_eq!(opt.steps(), 1);
    let names: Vec<&str> = opt.state().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
    assert_eq!(opt.state_buffer("exp_avg").unwrap().len(), 5);
    let sgd = OptimizerConfig::Sgd(SgdConfig {
        lr: Some(0.1),
        ..Default::default()
    })
    .validate()
    .unwrap();
    assert!(Optimizer::<f64>::new(&sgd, 5).state().is_empty());
}

#[test]
fn schedules() {
    // The gradient-reversal study: lr / 10 every 5 epochs.
    let s = ScheduleConfig::Step {
        step_size: Some(5),
        gamma: None,
    }
    .validate()
    .unwrap();
    let lrs: Vec<f64> = (0..12).map(|e| s.lr(1e-3, e, 0.0)).collect();
    assert_eq!(lrs[0..5], [1e-3; 5]);
    assert_eq!(lrs[5..10], [1e-3 * 0.1; 5]);
    assert_eq!(lrs[10], 1e-3 * 0.1 * 0.1);
    let e = ScheduleConfig::Exponential { gamma: Some(0.5) }
        .validate()
        .unwrap();
    assert_eq!(e.lr(1.0, 3, 0.0), 0.125);
    let g = ScheduleConfig::Ganin {
        alpha: None,
        beta: None,
    }
    .validate()
    .unwrap();
    assert_eq!(g.lr(0.01, 0, 0.0), 0.01);
    assert!((g.lr(0.01, 0, 1.0) - 0.01 / 11f64.powf(0.75)).abs() < 1e-18);
    assert_eq!(Schedule::Constant.lr(0.3, 7, 0.5), 0.3);
    for bad in [
        ScheduleConfig::Step {
            step_size: None,
            gamma: None,
        },
        ScheduleConfig::Step {
            step_size: Some(0),
            gamma: None,
        },
        ScheduleConfig::Step {
            step_size: Some(5),
            gamma: Some(-0.1),
        },
        ScheduleConfig::Exponential { gamma: None },
        ScheduleConfig::Ganin {
            alpha: Some(f64::NAN),
            beta: None,
        },
    ] {
        let m = bad.clone().validate().unwrap_err().to_string();
        assert!(
            m.starts_with("schedule `") && m.contains("such as"),
            "{bad:?}: {m}"
        );
    }
    // DANN: 0 at the start, lambda_max tanh(gamma / 2) at the end.
    let l = LambdaSchedule::dann(2.0, None).unwrap();
    assert_eq!(l.at(0.0), 0.0);
    assert!((l.at(1.0) - 2.0 * 5f64.tanh()).abs() < 1e-15);
    assert!(LambdaSchedule::constant(f64::NAN).is_err());
    assert!(LambdaSchedule::dann(-1.0, None).is_err());
}

#[test]
fn clipping_scales_only_above_the_threshold() {
    let mut g = vec![3.0f64, 4.0];
    let clip = GradClip::new(10.0).unwrap();
    assert_eq!(clip.apply(&mut g), 5.0);
    assert_eq!(g, [3.0, 4.0]);
    let n = clip_grad_norm(&mut g, 1.0);
    assert_eq!(n, 5.0);
    let s = 1.0 / (5.0 + CLIP_EPS);
    assert_eq!(g, [3.0 * s, 4.0 * s]);
    assert!(GradClip::new(0.0).is_err());
    assert!(GradClip::new(f64::NAN).is_err());
}
