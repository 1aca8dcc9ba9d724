//! Unit tests of the challenge metrics (truncated AUC, CvM flatness), the chi2 test with
//! its histograms and survival function, and the efficiencies: rejected inputs with their
//! messages and small cases worked by hand. Goldens are in validation/metrics.rs.

use super::*;
use crate::Error;

fn usage<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn truncated_auc_by_hand() {
    // perfect separation: 1; perfectly wrong: 0
    let s = [0.9, 0.8, 0.3, 0.1];
    assert_eq!(truncated_auc(&s, &[1, 1, 0, 0]).unwrap(), 1.0);
    assert_eq!(truncated_auc(&s, &[0, 0, 1, 1]).unwrap(), 0.0);
    // all tied: one segment (0,0)-(1,1); clipping at the two vertices gives
    // area(T) = T/2 (not the exact T - T^2/2, see the module doc), so A = 1/2
    let want = 0.5;
    let got = truncated_auc(&[0.5f32; 4], &[true, false, true, false]).unwrap();
    assert!((got - want).abs() < 1e-15, "{got} vs {want}");
}

#[test]
fn truncated_auc_errors() {
    let m = usage(truncated_auc(&[0.1, 1.5], &[1, 0]));
    assert!(m.contains("truncated_auc: scores[1] is 1.5"), "{m}");
    let m = usage(truncated_auc(&[-0.1, 0.5], &[1, 0]));
    assert!(m.contains("scores[0] is -0.1"), "{m}");
    let m = usage(truncated_auc(&[0.1, f64::NAN], &[1, 0]));
    assert!(m.contains("scores[1] is NaN"), "{m}");
    let m = usage(truncated_auc(&[0.1, 0.2], &[1, 1]));
    assert!(
        m.contains("truncated_auc: the negative (label 0) class"),
        "{m}"
    );
    let m = usage(truncated_auc(&[0.1, 0.2], &[1, 0, 1]));
    assert!(m.contains("labels has 3 entries but scores has 2"), "{m}");
    let m = usage(truncated_auc::<f64, u8>(&[], &[]));
    assert!(m.contains("total weight 0 over 0 events"), "{m}");
}

/// CvM by the README's steps, literally, in floating point.
fn cvm_literal(p: &[f64], mass: &[f64], n: usize, step: usize) -> f64 {
    let big_n = p.len();
    let mut order: Vec<usize> = (0..big_n).collect();
    order.sort_by(|&a, &b| mass[a].total_cmp(&mass[b]));
    let mut by_p: Vec<usize> = (0..big_n).collect();
    by_p.sort_by(|&a, &b| p[order[a]].total_cmp(&p[order[b]]));
    let mut rank = vec![0; big_n];
    for (r, &pos) in by_p.iter().enumerate() {
        rank[pos] = r;
    }
    let (mut sum, mut windows) = (0.0, 0.0);
    let mut start = 0;
    while start + n <= big_n {
        let w = &rank[start..start + n];
        let mut cvm = 0.0;
        for k in 0..big_n {
            let s = w.iter().filter(|&&r| r <= k).count();
            let d = (k + 1) as f64 / big_n as f64 - s as f64 / n as f64;
            cvm += d * d;
        }
        sum += cvm / big_n as f64;
        windows += 1.0;
        start += step;
    }
    sum / windows
}

#[test]
fn cvm_matches_the_literal_steps() {
    let mut state = 99u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for case in 0..40 {
        let big_n = 5 + (next() * 60.0) as usize;
        let mass: Vec<f64> = (0..big_n).map(|_| (next() * 10.0).floor()).collect();
        let p: Vec<f64> = (0..big_n)
            .map(|i| {
                if case % 3 == 0 {
                    0.5
                } else {
                    (next() * 6.0).floor() + mass[i] * (case % 2) as f64
                }
            })
            .collect();
        let n = 1 + (next() * big_n as f64) as usize;
        let step = 1 + (next() * 7.0) as usize;
        let opts = CvmOptions {
            n_neighbours: n,
            step,
        };
        let got = cvm_flatness(&p, &mass, &opts).unwrap();
        let want = cvm_literal(&p, &mass, n, step);
        assert!(
            (got - want).abs() <= 1e-13 * want.abs().max(1e-300),
            "case {case}: {got} vs {want}"
        );
    }
    // one window holding every event of a constant prediction: ranks 0..N-1 in order,
    // S_k = k + 1, so every term is 0
    let opts = CvmOptions {
        n_neighbours: 4,
        step: 1,
    };
    assert_eq!(
        cvm_flatness(&[1.0; 4], &[3.0, 1.0, 2.0, 0.0], &opts).unwrap(),
        0.0
    );
}

#[test]
fn cvm_errors() {
    let opts = CvmOptions::default();
    assert_eq!((opts.n_neighbours, opts.step), (200, 50));
    let m = usage(cvm_flatness(&[0.1; 199], &[1.0; 199], &opts));
    assert!(
        m.contains("199 events are fewer than one window of n_neighbours = 200"),
        "{m}"
    );
    let m = usage(cvm_flatness(&[0.1; 3], &[1.0; 2], &opts));
    assert!(
        m.contains("mass has 2 entries but predictions has 3"),
        "{m}"
    );
    let m = usage(cvm_flatness(&[0.1, f64::NAN], &[1.0; 2], &opts));
    assert!(m.contains("cvm_flatness: predictions[1] is NaN"), "{m}");
    let m = usage(cvm_flatness(&[0.1; 2], &[1.0, f64::NAN], &opts));
    assert!(m.contains("mass[1] is NaN"), "{m}");
    let zero = CvmOptions {
        n_neighbours: 2,
        step: 0,
    };
    let m = usage(cvm_flatness(&[0.1; 2], &[1.0; 2], &zero));
    assert!(m.contains("step is 0"), "{m}");
}

#[test]
fn histogram_fill_edges_and_out_of_range() {
    let edges = [0.0, 1.0, 2.0, 4.0];
    let v = [-1.0, 0.0, 0.5, 1.0, 3.9, 4.0, 4.5];
    let w = [1.0, 2.0, -1.0, 3.0, 0.5, 0.25, 8.0];
    let h = Histogram::fill(&edges, &v, &w, OutOfRange::Ignore).unwrap();
    assert_eq!(h.sum_w, vec![1.0, 3.0, 0.75]);
    assert_eq!(h.sum_w2, vec![5.0, 9.0, 0.3125]);
    let h = Histogram::fill(&edges, &v, &w, OutOfRange::Fold).unwrap();
    assert_eq!(h.sum_w, vec![2.0, 3.0, 8.75]);
    assert_eq!(h.total(), 13.75);
    let m = usage(Histogram::new(&[0.0]));
    assert!(m.contains("1 edges given"), "{m}");
    let m = usage(Histogram::new(&[0.0, 1.0, 1.0]));
    assert!(m.contains("edges[2] = 1 is not above edges[1] = 1"), "{m}");
    let m = usage(Histogram::fill(
        &edges,
        &[0.5, f64::NAN],
        &[1.0, 1.0],
        OutOfRange::Fold,
    ));
    assert!(m.contains("Histogram::fill: values[1] is NaN"), "{m}");
}

#[test]
fn chi2_by_hand() {
    let h = |w: Vec<f64>, w2: Vec<f64>| Histogram {
        edges: vec![0.0, 1.0, 2.0, 3.0],
        sum_w: w,
        sum_w2: w2,
    };
    // not normalised: (4-2)^2/(4+2) + (1-1)^2/2 + empty bin left out
    let d = h(vec![4.0, 1.0, 0.0], vec![4.0, 1.0, 0.0]);
    let m = h(vec![2.0, 1.0, 0.0], vec![2.0, 1.0, 0.0]);
    let r = chi2_test(&d, &m, false).unwrap();
    assert_eq!(r.chi2, 4.0 / 6.0);
    assert_eq!(r.ndf, 2);
    let want = (-r.chi2 / 2.0).exp(); // chi2(2) sf = e^{-x/2}
    assert!(
        (r.p_value - want).abs() <= 1e-15 * want,
        "{} vs {want}",
        r.p_value
    );
    assert!(!r.per_bin[2].used && r.per_bin[2].ratio.is_none());
    assert_eq!(r.per_bin[0].ratio, Some(2.0));
    assert_eq!(
        r.per_bin[0].ratio_error,
        Some((4.0f64 + 4.0 * 2.0).sqrt() / 2.0)
    );
    // normalised, identical shapes: chi2 = 0, p = 1
    let m2 = h(vec![8.0, 2.0, 0.0], vec![8.0, 2.0, 0.0]);
    let r = chi2_test(&d, &m2, true).unwrap();
    assert_eq!((r.chi2, r.ndf, r.p_value), (0.0, 1, 1.0));
}

#[test]
fn chi2_errors() {
    let a = Histogram::fill(
        &[0.0, 1.0, 2.0],
        &[0.5, 1.5],
        &[1.0, 1.0],
        OutOfRange::Ignore,
    )
    .unwrap();
    let mut b = a.clone();
    b.edges[1] = 1.5;
    let m = usage(chi2_test(&a, &b, true));
    assert!(
        m.contains("edges[1] is 1 in data but 1.5 in simulation"),
        "{m}"
    );
    let mut b = a.clone();
    b.sum_w = vec![1.0, -1.0];
    let m = usage(chi2_test(&a, &b, true));
    assert!(m.contains("the simulation histogram's total is 0"), "{m}");
    let mut b = a.clone();
    b.sum_w2[0] = -1.0;
    let m = usage(chi2_test(&a, &b, true));
    assert!(m.contains("(simulation histogram): sum_w2[0] is -1"), "{m}");
    let mut b = a.clone();
    b.sum_w.pop();
    let m = usage(chi2_test(&a, &b, false));
    assert!(m.contains("sum_w has 1 entries but edges - 1 has 2"), "{m}");
    let one = Histogram::fill(&[0.0, 1.0, 2.0], &[0.5], &[1.0], OutOfRange::Ignore).unwrap();
    let m = usage(chi2_test(&one, &one, true));
    assert!(m.contains("1 of 2 bins have nonzero variance"), "{m}");
}

#[test]
fn chi2_sf_closed_forms() {
    // ndf 2: e^{-x/2}; ndf 1: erfc(sqrt(x/2)) checked at points with known values
    for &x in &[0.0, 0.1, 1.0, 2.0, 10.0, 50.0, 700.0] {
        let want = (-x / 2.0f64).exp();
        let got = chi2_sf(x, 2.0);
        assert!(
            (got - want).abs() <= 1e-14 * want,
            "x = {x}: {got} vs {want}"
        );
    }
    // P(chi2(1) >= 3.841458820694124) = 0.05 (the 95% quantile)
    assert!((chi2_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-15);
    assert!(chi2_sf(f64::NAN, 3.0).is_nan() && chi2_sf(1.0, 0.0).is_nan());
    assert_eq!(chi2_sf(f64::INFINITY, 3.0), 0.0);
}

#[test]
fn efficiencies_by_hand() {
    // signal 0.9, 0.7, 0.4; background 0.8, 0.3: curve (0,0) (0,1/3) (1/2,1/3) (1/2,2/3)
    // (1/2,1) (1,1)
    let s = [0.9, 0.8, 0.7, 0.4, 0.3];
    let y = [1, 0, 1, 1, 0];
    let w = [1.0; 5];
    // at fpr 1/4: halfway along (0,1/3)-(1/2,1/3): 1/3, threshold 0.9
    assert_eq!(
        signal_efficiency_at(&s, &y, &w, 0.25).unwrap(),
        (0.9, 1.0 / 3.0)
    );
    // at fpr 1/2 exactly: the top of the vertical stretch
    assert_eq!(signal_efficiency_at(&s, &y, &w, 0.5).unwrap(), (0.4, 1.0));
    // background at tpr 1/3: the left end of the flat stretch, fpr 0 at threshold 0.9
    assert_eq!(
        background_efficiency_at(&s, &y, &w, 1.0 / 3.0).unwrap(),
        (0.9, 0.0)
    );
    // tpr 1/2: between (0,1/3) and (1/2,2/3)? no: between (1/2,1/3) and (1/2,2/3): 1/2
    assert_eq!(
        background_efficiency_at(&s, &y, &w, 0.5).unwrap(),
        (0.7, 0.5)
    );
    let wp = standard_working_points(&s, &y, &w).unwrap();
    assert_eq!(wp.len(), 3);
    assert_eq!(wp[2].background_efficiency, 0.1);
    assert_eq!(wp[2].signal_efficiency, 1.0 / 3.0);
    let m = usage(signal_efficiency_at(&s, &y, &w, 1.5));
    assert!(
        m.contains("signal_efficiency_at: background_efficiency is 1.5"),
        "{m}"
    );
    let m = usage(background_efficiency_at(&s, &y, &w, f64::NAN));
    assert!(m.contains("signal_efficiency is NaN"), "{m}");
    let m = usage(signal_efficiency_at(
        &s,
        &y,
        &[1.0, -0.5, 1.0, 1.0, 1.0],
        0.1,
    ));
    assert!(m.contains("fpr steps back at vertex 2"), "{m}");
    let m = usage(signal_efficiency_at(&s, &[1, 1, 1, 1, 1], &w, 0.1));
    assert!(
        m.contains("signal_efficiency_at: the negative (label 0) class"),
        "{m}"
    );
}

/// Issue 17 item 8: every output states the binning next to its chi2 (the text, the
/// JSON object and a figure's metrics box all carry it).
#[test]
fn the_binning_is_stated_with_every_chi2() {
    use super::agreement::compare;
    use super::binning::{auto_edges, describe, DEFAULT_BINS};
    let edges: Vec<f64> = (0..=40).map(|i| i as f64 / 40.0).collect();
    assert_eq!(describe(&edges), "40 equal bins from 0 to 1");
    assert_eq!(describe(&[0.0, 1.0, 3.0]), "2 bins from 0 to 3");
    assert_eq!(describe(&[-2.5, 0.0, 2.5]), "2 equal bins from -2.5 to 2.5");
    let d: Vec<f64> = (0..500).map(|i| ((i * 37) % 500) as f64 / 500.0).collect();
    let m: Vec<f64> = (0..400).map(|i| ((i * 53) % 400) as f64 / 400.0).collect();
    let (wd, wm) = (vec![1.0; d.len()], vec![0.5; m.len()]);
    let e = auto_edges(&[&d, &m], DEFAULT_BINS, None).unwrap();
    let (a, _, _) = compare("score", (&d, &wd), (&m, &wm), &e).unwrap();
    assert_eq!(a.binning, "40 equal bins from 0 to 1");
    assert!(
        a.chi2_text().contains("40 equal bins from 0 to 1"),
        "{}",
        a.chi2_text()
    );
    assert!(a.lines().iter().any(|l| l.contains("40 equal bins")));
    let json = serde_json::to_string(&a).unwrap();
    assert!(
        json.contains("\"binning\":\"40 equal bins from 0 to 1\""),
        "{json}"
    );
}

/// Issue 17 item 11: integer variables (SPDhits, nPV) get integer-aware bins: edges on
/// half-integers, every bin the same number of integers, so a flat count distribution
/// fills every bin equally (equal-width bins over 0..600 in 40 bins alternate 15 and 16
/// integers: the sawtooth).
#[test]
fn integer_variables_get_integer_aware_bins() {
    use super::binning::{auto_edges, DEFAULT_BINS};
    let v: Vec<f64> = (0..6010).map(|i| (i % 601) as f64).collect();
    let e = auto_edges(&[&v], DEFAULT_BINS, None).unwrap();
    assert!(e.len() - 1 <= DEFAULT_BINS);
    for x in &e {
        assert_eq!((x + 0.5).fract(), 0.0, "edge {x} is not a half-integer");
    }
    let h = Histogram::fill(&e, &v, &vec![1.0; v.len()], OutOfRange::Ignore).unwrap();
    let n = h.bins();
    // every full bin holds the same number of integers, hence the same count
    let full = &h.sum_w[..n - 1];
    assert!(full.iter().all(|&c| c == full[0]), "{:?}", h.sum_w);
    // 0/1 flags: two bins, one per value
    let flags: Vec<f64> = (0..100).map(|i| (i % 2) as f64).collect();
    assert_eq!(
        auto_edges(&[&flags], 40, None).unwrap(),
        vec![-0.5, 0.5, 1.5]
    );
}
