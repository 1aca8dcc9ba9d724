//! Unit tests of the metrics: every rejected input with its message, small cases worked
//! by hand (exact), ties, signed weights, f32 inputs and the pair-count identity. The
//! golden comparisons with scikit-learn and scipy are in validation/metrics.rs.

use super::*;
use crate::Error;

fn usage<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

/// AUC by counting weighted pairs, O(n^2): the independent definition.
fn auc_pairs(s: &[f64], y: &[bool], w: &[f64]) -> f64 {
    let (mut num, mut wp, mut wn) = (0.0, 0.0, 0.0);
    for i in 0..s.len() {
        if y[i] {
            wp += w[i];
        } else {
            wn += w[i];
        }
        for j in 0..s.len() {
            if y[i] && !y[j] {
                let credit = if s[i] > s[j] {
                    1.0
                } else if s[i] == s[j] {
                    0.5
                } else {
                    0.0
                };
                num += w[i] * w[j] * credit;
            }
        }
    }
    num / (wp * wn)
}

#[test]
fn auc_by_hand() {
    // signal 0.9, 0.4; background 0.8, 0.1: pairs won 3 of 4
    let s = [0.9, 0.8, 0.4, 0.1];
    let y = [1u8, 0, 1, 0];
    assert_eq!(roc_auc(&s, &y, &[1.0; 4]).unwrap(), 0.75);
    // a tie between classes is worth half a pair
    assert_eq!(
        roc_auc(&[0.5, 0.5], &[true, false], &[1.0, 1.0]).unwrap(),
        0.5
    );
    // weights: the signal at 0.4 (weight 3) loses to the background at 0.8 (weight 1)
    let w = [1.0, 1.0, 3.0, 1.0];
    assert_eq!(roc_auc(&s, &y, &w).unwrap(), (1.0 + 1.0 + 3.0) / 8.0);
}

#[test]
fn curve_merges_ties_and_skips_zero_weights() {
    let s = [0.7f32, 0.7, 0.2, 0.5, 0.9];
    let y = [true, false, false, true, false];
    let w = [1.0f32, 1.0, 1.0, 1.0, 0.0]; // the 0.9 event weighs nothing: no threshold
    let c = roc_curve(&s, &y, &w).unwrap();
    assert_eq!(c.thresholds[0], f64::INFINITY);
    assert_eq!(
        &c.thresholds[1..],
        &[0.7f32 as f64, 0.5f32 as f64, 0.2f32 as f64]
    );
    assert_eq!(c.fpr, vec![0.0, 0.5, 0.5, 1.0]);
    assert_eq!(c.tpr, vec![0.0, 0.5, 1.0, 1.0]);
}

#[test]
fn negative_and_positive_zero_are_one_threshold() {
    let c = roc_curve(&[0.0, -0.0, 1.0], &[1, 0, 1], &[1.0, 1.0, 1.0]).unwrap();
    assert_eq!(c.thresholds.len(), 3);
    assert_eq!(roc_auc(&[0.0, -0.0], &[1, 0], &[1.0, 1.0]).unwrap(), 0.5);
    assert_eq!(ks_distance(&[0.0], &[1.0], &[-0.0], &[1.0]).unwrap(), 0.0);
}

#[test]
fn auc_with_signed_weights_is_the_pair_count() {
    // a background event with a negative weight makes fpr step back; the trapezoid sum
    // still equals the weighted pair count
    let s = [0.9, 0.8, 0.75, 0.6, 0.5, 0.5, 0.3, 0.2, 0.1, 0.05];
    let y = [
        true, false, true, false, true, false, false, true, false, false,
    ];
    let w = [1.0, 0.5, -0.4, -0.7, 2.0, 1.5, 1.0, 0.25, -0.5, 2.0];
    let got = roc_auc(&s, &y, &w).unwrap();
    let want = auc_pairs(&s, &y, &w);
    assert!((got - want).abs() <= 1e-15, "{got} vs {want}");
    let c = roc_curve(&s, &y, &w).unwrap();
    assert!(
        c.fpr.windows(2).any(|p| p[1] < p[0]),
        "fpr should step back here"
    );
    assert!((c.fpr.last().unwrap() - 1.0).abs() <= 1e-15);
}

#[test]
fn auc_errors_name_the_problem() {
    let m = usage(roc_auc(&[0.1, 0.2], &[1, 0, 1], &[1.0, 1.0]));
    assert!(m.contains("labels has 3 entries but scores has 2"), "{m}");
    let m = usage(roc_auc(&[0.1, 0.2], &[1, 0], &[1.0]));
    assert!(m.contains("weights has 1 entries but scores has 2"), "{m}");
    let m = usage(roc_auc(&[0.1, f64::NAN, 0.3], &[1, 0, 1], &[1.0; 3]));
    assert!(m.contains("roc_auc: scores[1] is NaN"), "{m}");
    let m = usage(roc_auc(&[0.1, 0.2, f32::INFINITY], &[1, 0, 1], &[1.0; 3]));
    assert!(m.contains("scores[2] is inf"), "{m}");
    let m = usage(roc_auc(&[0.1, 0.2], &[1, 0], &[1.0, f64::NEG_INFINITY]));
    assert!(m.contains("weights[1] is -inf"), "{m}");
    let m = usage(roc_auc(&[0.1, 0.2], &[1, 2], &[1.0, 1.0]));
    assert!(m.contains("labels[1] is 2; labels must be 0 or 1"), "{m}");
    let m = usage(roc_auc(&[0.1, 0.2], &[1.0, 0.5], &[1.0, 1.0]));
    assert!(m.contains("labels[1] is 0.5"), "{m}");
    let m = usage(roc_curve(&[0.1, 0.2], &[1, 1], &[1.0, 1.0]));
    assert!(
        m.contains("roc_curve: the negative (label 0) class has total weight 0"),
        "{m}"
    );
    let m = usage(roc_auc(&[0.1, 0.2, 0.3], &[1, 0, 1], &[1.0, 1.0, -1.0]));
    assert!(
        m.contains("the positive (label 1) class has total weight 0"),
        "{m}"
    );
    let m = usage(roc_auc(&[0.1, 0.2, 0.3], &[1, 0, 0], &[1.0, 1.0, -2.0]));
    assert!(
        m.contains("negative (label 0) class has total weight -1"),
        "{m}"
    );
    let m = usage(roc_auc::<f64, bool, f64>(&[], &[], &[]));
    assert!(m.contains("total weight 0 over 0 events"), "{m}");
    let m = usage(roc_auc(&[0.1, 0.2], &[1, 0], &[0.0, 1.0]));
    assert!(
        m.contains("positive (label 1) class has total weight 0"),
        "{m}"
    );
    // a total that overflows is refused (each weight alone is finite)
    let m = usage(roc_auc(
        &[0.1, 0.2, 0.3],
        &[1, 1, 0],
        &[f64::MAX, f64::MAX, 1.0],
    ));
    assert!(m.contains("total weight inf"), "{m}");
}

#[test]
fn ks_by_hand() {
    // data 0.1, 0.4, 0.7; simulation 0.2, 0.4: at t = 0.4 S_data = 2/3, S_mc = 1/2 ...
    let d = ks_distance(&[0.1, 0.4, 0.7], &[1.0; 3], &[0.2, 0.4], &[1.0; 2]).unwrap();
    // t = 0.7: 1/3 - 0; t = 0.4: 2/3 - 1/2; t = 0.2: 2/3 - 1; t = 0.1: 0
    assert_eq!(d, (2.0f64 / 3.0 - 1.0).abs());
    // ties across the samples are merged before comparing
    assert_eq!(ks_distance(&[0.5], &[1.0], &[0.5], &[1.0]).unwrap(), 0.0);
    // weights are normalised per sample
    let d = ks_distance(&[1.0, 2.0], &[3.0, 1.0], &[1.0, 2.0], &[30.0, 10.0]).unwrap();
    assert_eq!(d, 0.0);
    // signed weights: S_data(2) = (-1)/1 = -1, S_mc(2) = 1/2
    let d = ks_distance(&[1.0f32, 2.0], &[2.0f32, -1.0], &[1.0, 2.0], &[1.0, 1.0]).unwrap();
    assert_eq!(d, 1.5);
}

#[test]
fn ks_errors_name_the_sample() {
    let m = usage(ks_distance(&[0.1, 0.2], &[1.0], &[0.1], &[1.0]));
    assert!(
        m.contains("ks_distance (data sample): weights has 1 entries but scores has 2"),
        "{m}"
    );
    let m = usage(ks_distance(&[0.1], &[1.0], &[0.1, f64::NAN], &[1.0, 1.0]));
    assert!(
        m.contains("ks_distance (simulation sample): scores[1] is NaN"),
        "{m}"
    );
    let m = usage(ks_distance(&[0.1], &[f64::NAN], &[0.1], &[1.0]));
    assert!(m.contains("(data sample): weights[0] is NaN"), "{m}");
    let m = usage(ks_distance(&[0.1, 0.2], &[1.0, -1.5], &[0.1], &[1.0]));
    assert!(
        m.contains("(data sample): the weights of its 2 events sum to -0.5"),
        "{m}"
    );
    let m = usage(ks_distance::<f64, f64>(&[0.1], &[1.0], &[], &[]));
    assert!(
        m.contains("(simulation sample): the weights of its 0 events sum to 0"),
        "{m}"
    );
}

/// KS by brute force, O((n + m)^2): S at every score of either sample.
fn ks_brute(a: &[f64], wa: &[f64], b: &[f64], wb: &[f64]) -> f64 {
    let surv = |s: &[f64], w: &[f64], t: f64| {
        let total: f64 = w.iter().sum();
        let above: f64 = s
            .iter()
            .zip(w)
            .filter(|(&x, _)| x >= t)
            .map(|(_, &v)| v)
            .sum();
        above / total
    };
    a.iter()
        .chain(b)
        .map(|&t| (surv(a, wa, t) - surv(b, wb, t)).abs())
        .fold(0.0, f64::max)
}

#[test]
fn random_small_cases_match_brute_force() {
    // a tiny LCG: scores on 8 levels (heavy ties), a quarter of the weights negative
    let mut state = 12345u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let mut checked = (0, 0);
    for _ in 0..300 {
        let n = 2 + (next() * 30.0) as usize;
        let s: Vec<f64> = (0..n).map(|_| (next() * 8.0).floor() / 8.0).collect();
        let y: Vec<bool> = (0..n).map(|_| next() < 0.5).collect();
        let w: Vec<f64> = (0..n)
            .map(|_| if next() < 0.25 { -next() } else { 0.5 + next() })
            .collect();
        if let Ok(got) = roc_auc(&s, &y, &w) {
            let want = auc_pairs(&s, &y, &w);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{got} vs {want}"
            );
            checked.0 += 1;
        }
        let m = n / 2;
        if let Ok(got) = ks_distance(&s[..m], &w[..m], &s[m..], &w[m..]) {
            let want = ks_brute(&s[..m], &w[..m], &s[m..], &w[m..]);
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1.0),
                "{got} vs {want}"
            );
            checked.1 += 1;
        }
    }
    assert!(checked.0 > 100 && checked.1 > 100, "{checked:?}");
}
