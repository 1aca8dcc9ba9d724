//! The scorer's rules on small hand-made networks: the owner rule, the shapes it
//! refuses, and that a row's logit does not depend on the rows scored with it (the
//! property apply, report and reweight rely on to give the same bits). The end-to-end
//! scores against a plain forward pass of model.json are in validation/workflow.

use super::file::{Layer, Scoring, StandardizeJson};
use super::scorer::{FoldNet, ScoreBuffers, Scorer};
use crate::expr::Expr;

/// A 2 -> 3 (relu) -> 1 network whose weights depend on `k`, so fold models differ.
fn fold_net(k: usize) -> FoldNet {
    let f = k as f32 + 1.0;
    let s = Scoring {
        standardize: StandardizeJson {
            mean: vec![0.5, -1.0],
            std: vec![2.0, 0.25],
        },
        layers: vec![
            Layer {
                weight: vec![vec![0.5 * f, -0.25], vec![-1.0, 0.75 * f], vec![0.125, 0.5]],
                bias: vec![0.1, -0.2 * f, 0.0],
                activation: "relu".into(),
                alpha: None,
            },
            Layer {
                weight: vec![vec![1.0, -0.5 * f, 2.0]],
                bias: vec![0.25],
                activation: "sigmoid".into(),
                alpha: None,
            },
        ],
    };
    let (net, params, standardize) = s.network(2, "test").expect("a valid network");
    FoldNet {
        net,
        params,
        standardize,
    }
}

fn inputs() -> Vec<Expr> {
    vec![Expr::parse("x").unwrap(), Expr::parse("y").unwrap()]
}

fn two_folds() -> Scorer {
    let fold = Expr::parse("event % 2").unwrap();
    Scorer::new(inputs(), vec![fold_net(0), fold_net(1)], Some(fold)).unwrap()
}

#[test]
fn the_owner_rule_takes_integers_from_0_to_k_minus_1() {
    let s = two_folds();
    assert_eq!(s.owner_of(0.0), Some(0));
    assert_eq!(s.owner_of(1.0), Some(1));
    for bad in [2.0, -1.0, 0.5, f64::NAN, f64::INFINITY, -1e-300] {
        assert_eq!(s.owner_of(bad), None, "fold value {bad}");
    }
}

#[test]
fn shapes_that_cannot_score_are_refused() {
    let fold = || Some(Expr::parse("event % 2").unwrap());
    // k networks need a fold expression, one network needs none
    assert!(Scorer::new(inputs(), vec![fold_net(0), fold_net(1)], None).is_err());
    assert!(Scorer::new(inputs(), vec![fold_net(0)], fold()).is_err());
    assert!(Scorer::new(inputs(), vec![], None).is_err());
    // the networks take 2 inputs; three expressions do not fit
    let mut three = inputs();
    three.push(Expr::parse("z").unwrap());
    let e = Scorer::new(three, vec![fold_net(0)], None).err().unwrap();
    assert!(e.to_string().contains("takes 2 inputs"), "{e}");
}

#[test]
fn a_rows_logit_does_not_depend_on_the_rows_scored_with_it() {
    let s = two_folds();
    let n = 37;
    let raw: Vec<f32> = (0..2 * n)
        .map(|i| ((i * 7919) % 23) as f32 / 4.0 - 2.5)
        .collect();
    let owner: Vec<u32> = (0..n as u32).map(|i| (i * 5) % 2).collect();
    let mut skip = vec![false; n];
    skip[3] = true;
    skip[20] = true;
    let all = s.logits_by_owner(&raw, &owner, &skip).unwrap();
    let mut buf = ScoreBuffers::default();
    for i in 0..n {
        if skip[i] {
            assert!(all[i].is_nan(), "row {i} is skipped: NaN");
            continue;
        }
        // the row alone, by its owner: the same bits
        let one = s
            .model_logits(owner[i] as usize, &raw, &[i as u32], &mut buf)
            .unwrap()[0];
        assert_eq!(one.to_bits(), all[i].to_bits(), "row {i}");
        // the other fold's model gives another logit (the models differ)
        let other = s
            .model_logits(1 - owner[i] as usize, &raw, &[i as u32], &mut buf)
            .unwrap()[0];
        assert_ne!(one.to_bits(), other.to_bits(), "row {i}");
    }
}

#[test]
fn a_logit_is_the_forward_pass_of_the_standardised_row() {
    // row (x, y) = (2.5, -0.5) by fold model 0, by hand in f64 (every value here is
    // exact in f32): u = ((2.5 - 0.5) / 2, (-0.5 + 1) / 0.25) = (1, 2);
    // h = relu(W1 u + b1) = relu(0.5 - 0.5 + 0.1, -1 + 1.5 - 0.2, 0.125 + 1) = (0.1, 0.3, 1.125);
    // z = 1 * 0.1 - 0.5 * 0.3 + 2 * 1.125 + 0.25 = 2.45
    let s = two_folds();
    let mut buf = ScoreBuffers::default();
    let z = s.model_logits(0, &[2.5, -0.5], &[0], &mut buf).unwrap()[0];
    assert!((z as f64 - 2.45).abs() < 1e-6, "z = {z}");
}

#[test]
fn f32_columns_and_f64_columns_give_the_logits_of_the_rows_laid_out_by_hand() {
    use crate::expr::ColumnSet;
    use crate::root::{Chain, Column, Layout};
    let s = Scorer::new(inputs(), vec![fold_net(0)], None).unwrap();
    // more rows than one tile and one parallel block of the layout, not a multiple of
    // either; values that round to f32, and a NaN, an infinity and an f32 overflow
    let n = 4096 + 300;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1013) as f64 / 97.3 - 4.1)
        .collect();
    let mut y: Vec<f64> = (0..n)
        .map(|i| ((i * 104_729) % 997) as f64 * 1e-3 + 0.1)
        .collect();
    y[5] = f64::NAN;
    y[300] = f64::INFINITY;
    y[4100] = 1e300;
    let col = |name: &str, v: Vec<f64>| Column {
        name: name.into(),
        values: v,
        layout: Layout::Flat { width: 1 },
    };
    let mut wide = ColumnSet {
        entries: n,
        first_entry: 0,
        ..ColumnSet::default()
    };
    wide.columns.insert("x".into(), col("x", x.clone()));
    wide.columns.insert("y".into(), col("y", y.clone()));
    // the same entries with x read as f32
    let mut narrow = wide.clone();
    let xs = narrow.columns.remove("x").unwrap();
    narrow.floats.insert(
        "x".into(),
        Column {
            name: "x".into(),
            values: xs.values.iter().map(|&v| v as f32).collect(),
            layout: xs.layout,
        },
    );
    let chain = Chain {
        trees: vec![],
        ntuples: vec![],
        starts: vec![0],
        friends: vec![],
    };
    // by hand: rows (x as f32, y as f32), a row with a non-finite value skipped
    let raw: Vec<f32> = (0..n).flat_map(|i| [x[i] as f32, y[i] as f32]).collect();
    let skip: Vec<bool> = (0..n).map(|i| !(y[i] as f32).is_finite()).collect();
    let want = s.logits_by_owner(&raw, &vec![0; n], &skip).unwrap();
    for set in [&wide, &narrow] {
        let mut buf = ScoreBuffers::default();
        let got = s.score_chunk(set, &chain, None, false, &mut buf).unwrap();
        assert_eq!(got.nonfinite, 3);
        for (i, (g, w)) in got.z.iter().zip(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "row {i}");
        }
        assert_eq!(got.z.len(), n);
    }
}
