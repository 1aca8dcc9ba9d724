//! Loss behaviour other than gradients: checked hyperparameters and their messages,
//! known values, stable forms, the node interpolation against its O(K) definition,
//! equal-population edges, backward adding into (not overwriting) gradients, and the f32
//! path against the f64 one.

#![allow(clippy::needless_range_loop)]

use super::tests_fd::{batch, flatness_setup};
use super::*;

fn usage(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn bad_hyperparameters_are_usage_errors() {
    assert!(usage(HistogramConfig::new("histogram_bins", 0)).contains("histogram_bins = 0"));
    assert!(usage(checked_lambda("lambda_h", f64::NAN)).contains("lambda_h = NaN"));
    assert!(usage(checked_lambda("lambda_h", -0.5)).contains(">= 0"));
    assert!(usage(checked_lambda("lambda_f", f64::INFINITY)).contains("lambda_f"));
    assert!(usage(LossWeights::new(1.0, f64::NAN)).contains("lambda_f"));
    assert_eq!(checked_lambda("lambda_h", 0.0).unwrap(), 0.0);
    assert!(usage(Normalisation::new("training set", 0, 1.0)).contains("no events"));
    assert!(usage(Normalisation::new("training set", 10, -3.0)).contains("total weight -3"));
    assert!(usage(Normalisation::new("training set", 10, 0.0)).contains("positive"));
    assert!(usage(Normalisation::new("training set", 10, f64::NAN)).contains("finite"));
    let n = Normalisation::new("training set", 10, 2.0).unwrap();
    assert!(usage(n.batch("classification batch", 0)).contains("empty batch"));
}

#[test]
fn domain_batches_need_both_domains_and_0_1_labels() {
    let one = Normalisation::new("d", 5, 1.0).unwrap();
    let dn = DomainNorm::new(one, one);
    assert!(usage(dn.batch(&[1.0f64, 1.0])).contains("no simulation events"));
    assert!(usage(dn.batch(&[0.0f32, 0.0])).contains("no data events"));
    assert!(usage(dn.batch::<f64>(&[])).contains("no data events"));
    assert!(usage(dn.batch(&[1.0f64, 0.5])).contains("event 1 has domain label 0.5"));
    let b = dn.batch(&[1.0f64, 0.0, 0.0]).unwrap();
    assert_eq!((b.data.batch_len(), b.mc.batch_len()), (1, 2));
}

#[test]
fn softplus_is_stable_and_bce_has_known_values() {
    assert_eq!(softplus(1000.0f64), 1000.0);
    assert_eq!(softplus(1000.0f32), 1000.0);
    assert!(softplus(-1000.0f64) == 0.0 && softplus(-1000.0f32) == 0.0);
    assert!((softplus(-30.0f64) / (-30.0f64).exp() - 1.0).abs() < 1e-12);
    assert!((softplus(0.0f64) - std::f64::consts::LN_2).abs() < 1e-16);
    // z = 0: l = ln 2 for any label; N / (|B| W) sum w ln 2 with sum w = 2, N = 4, W = 8
    let norm = Normalisation::new("t", 4, 8.0)
        .unwrap()
        .batch("b", 2)
        .unwrap();
    let l = bce_forward(&[0.0f64, 0.0], &[1.0, 0.0], &[3.0, -1.0], &norm);
    assert!((l - 4.0 / (2.0 * 8.0) * 2.0 * std::f64::consts::LN_2).abs() < 1e-15);
    // huge logits of the right sign cost nothing and give no NaN in f32
    let l = bce_forward(&[200.0f32, -200.0], &[1.0, 0.0], &[1.0, 1.0], &norm);
    assert_eq!(l, 0.0);
}

/// for_each_node visits exactly the nodes where max(0, 1 - |s - t_n| / D) > 0, with that
/// value and slope, for scores inside, on the nodes of, and outside [0, 1].
#[test]
fn two_node_interpolation_matches_the_definition() {
    for k in [1usize, 2, 7, 10, 64] {
        let cfg = HistogramConfig::new("bins", k).unwrap();
        let d = 1.0 / k as f64;
        let mut scores: Vec<f64> = (0..=4 * k).map(|j| j as f64 / (4 * k) as f64).collect();
        scores.extend([
            -0.5 * d,
            -1.5 * d,
            1.0 + 0.3 * d,
            1.0 + 2.0 * d,
            0.123456,
            0.999,
        ]);
        for &s in &scores {
            let mut got = vec![(0.0, 0.0); k + 1];
            let mut visits = 0;
            cfg.for_each_node(s, |n, dn, slope| {
                got[n] = (dn, slope);
                visits += 1;
            });
            assert!(visits <= 3);
            let mut total = 0.0;
            for n in 0..=k {
                let t = n as f64 / k as f64;
                let want = (1.0 - (s - t).abs() / d).max(0.0);
                assert_eq!(got[n].0, want, "K {k} s {s} node {n}");
                let slope = if want > 0.0 && s != t {
                    -(s - t).signum() / d
                } else {
                    0.0
                };
                assert_eq!(got[n].1, slope, "K {k} s {s} node {n} slope");
                total += want;
            }
            if (0.0..=1.0).contains(&s) {
                assert!((total - 1.0).abs() < 1e-12, "weights sum to {total}");
            }
        }
        let mut none = true;
        cfg.for_each_node(f64::NAN, |_, _, _| none = false);
        assert!(none);
    }
}

#[test]
fn identical_domains_give_zero_histogram_loss_and_gradient() {
    let b = batch(20, 10, 11);
    let mut z = b.z[..10].to_vec();
    z.extend_from_slice(&b.z[..10]);
    let mut w = b.w[..10].to_vec();
    w.extend_from_slice(&b.w[..10]);
    let label: Vec<f64> = (0..20).map(|i| if i < 10 { 1.0 } else { 0.0 }).collect();
    let same = Normalisation::new("d", 100, 40.0).unwrap();
    let dom = DomainNorm::new(same, same).batch(&label).unwrap();
    let cfg = HistogramConfig::new("bins", 10).unwrap();
    let mut hist = Histograms::new(&cfg);
    assert_eq!(
        histogram_forward(&mut hist, &z, &w, &label, &cfg, &dom),
        0.0
    );
    assert_eq!(hist.data, hist.mc);
    let mut dz = vec![0.0; 20];
    histogram_backward(&mut dz, &z, &w, &label, &hist, &cfg, &dom, 1.0);
    assert!(dz.iter().all(|&g| g == 0.0));
}

/// Every backward adds scale * gradient into what is there.
#[test]
fn backward_adds_scaled_gradients() {
    let b = batch(30, 10, 12);
    let n = 30;
    let norm = Normalisation::new("t", 900, 500.0).unwrap();
    let bn = norm.batch("b", n).unwrap();
    let dom = DomainNorm::new(norm, norm).batch(&b.y).unwrap();
    let cfg = HistogramConfig::new("bins", 10).unwrap();
    let mut hist = Histograms::new(&cfg);
    histogram_forward(&mut hist, &b.z, &b.w, &b.y, &cfg, &dom);
    let (fb_b, fcfg) = flatness_setup(10, 3, 12);
    let fb = FlatnessBatch::new(&fcfg, &fb_b.y, &fb_b.mass).unwrap();
    let mut fh = FlatnessHistograms::new(&fcfg);
    flatness_forward(&mut fh, &fb_b.z, &fb_b.w, &fb, &fcfg);
    type Bwd<'a> = Box<dyn Fn(&mut [f64], f64) + 'a>;
    let terms: Vec<(&str, Bwd)> = vec![
        (
            "bce",
            Box::new(|d, s| bce_backward(d, &b.z, &b.y, &b.w, &bn, s)),
        ),
        (
            "domain",
            Box::new(|d, s| domain_backward(d, &b.z, &b.w, &b.y, &dom, s)),
        ),
        (
            "histogram",
            Box::new(|d, s| histogram_backward(d, &b.z, &b.w, &b.y, &hist, &cfg, &dom, s)),
        ),
        (
            "mass",
            Box::new(|d, s| mass_mse_backward(d, &b.p, &b.mass, &b.y, &b.w, &norm, s)),
        ),
        (
            "flatness",
            Box::new(|d, s| flatness_backward(d, &fb_b.z, &fb_b.w, &fb, &fh, &fcfg, s)),
        ),
    ];
    for (name, bwd) in &terms {
        let len = if *name == "flatness" { fb_b.z.len() } else { n };
        let mut g1 = vec![0.0; len];
        bwd(&mut g1, 1.0);
        let mut g = vec![1.0; len];
        bwd(&mut g, 0.25);
        for i in 0..len {
            let want = 1.0 + 0.25 * g1[i];
            assert!(
                (g[i] - want).abs() <= 1e-15 * want.abs().max(1.0),
                "{name} {i}"
            );
        }
    }
}

#[test]
fn equal_population_edges_unit_weights_ties_and_errors() {
    let masses: Vec<f64> = (0..100).map(|i| i as f64).collect();
    let e = equal_population_edges(&masses, None, 4).unwrap();
    assert_eq!(e.edges(), &[24.5, 49.5, 74.5]);
    assert_eq!((e.bin_of(24.0), e.bin_of(24.5), e.bin_of(1e9)), (0, 1, 3));
    assert_eq!(e.bin_of(-1e9), 0);
    assert_eq!(equal_population_edges(&masses, None, 1).unwrap().bins(), 1);
    // weights: the first 50 events carry 3 times the weight of the last 50
    let w: Vec<f64> = (0..100).map(|i| if i < 50 { 3.0 } else { 1.0 }).collect();
    let e = equal_population_edges(&masses, Some(&w), 2).unwrap();
    assert_eq!(e.edges(), &[33.5]); // running sum 3 * 34 = 102 >= 100 at mass 33
                                    // a negative weight lowers the running sum: the edge moves up
    let mut wn = vec![1.0f64; 100];
    wn[10] = -20.0;
    let e = equal_population_edges(&masses, Some(&wn), 2).unwrap();
    assert_eq!(e.edges(), &[60.5]); // W = 79, level 39.5, reached at mass 60 (sum 40)
                                    // ties share a bin: 60 events at mass 1, then 40 spread
    let mut tied = vec![1.0f64; 60];
    tied.extend((0..40).map(|i| 2.0 + i as f64));
    let e = equal_population_edges(&tied, None, 2).unwrap();
    assert_eq!(e.edges(), &[1.5]);
    assert!(usage(equal_population_edges(&tied, None, 4)).contains("use fewer mass bins"));
    assert!(usage(equal_population_edges(&masses, None, 0)).contains("at least 1"));
    assert!(usage(equal_population_edges::<f64>(&[], None, 2)).contains("no background"));
    assert!(usage(equal_population_edges(&[1.0, f64::NAN], None, 2)).contains("finite"));
    assert!(usage(equal_population_edges(&[1.0, 2.0], Some(&[1.0, -2.0]), 2)).contains("total"));
    assert!(usage(MassBins::new(vec![1.0, 1.0])).contains("increase strictly"));
    assert!(usage(MassBins::new(vec![f64::INFINITY])).contains("finite"));
}

#[test]
fn flatness_config_refuses_bins_without_positive_weight() {
    let hist = HistogramConfig::new("bins", 10).unwrap();
    let bins = MassBins::new(vec![0.0, 1.0]).unwrap();
    let mass = [-1.0f64, -0.5, 0.5, 2.0];
    let w = [1.0f64, 1.0, -1.0, 1.0];
    let err = usage(FlatnessConfig::new(hist, bins.clone(), &mass, &w));
    assert!(
        err.contains("mass bin 1 of 3") && err.contains("fewer"),
        "{err}"
    );
    let err = usage(FlatnessConfig::new(hist, bins, &mass[..2], &w[..2]));
    assert!(err.contains("mass bin 1 of 3 holds 0"), "{err}");
}

#[test]
fn flatness_is_zero_for_one_mass_bin_or_no_background() {
    let (b, cfg) = flatness_setup(10, 1, 13);
    let fb = FlatnessBatch::new(&cfg, &b.y, &b.mass).unwrap();
    let mut h = FlatnessHistograms::new(&cfg);
    assert_eq!(flatness_forward(&mut h, &b.z, &b.w, &fb, &cfg), 0.0);
    let (b, cfg) = flatness_setup(10, 4, 13);
    let mut h = FlatnessHistograms::new(&cfg);
    let ones = vec![1.0f64; b.y.len()];
    let fb = FlatnessBatch::new(&cfg, &ones, &b.mass).unwrap();
    assert_eq!(fb.populated(), 0);
    assert_eq!(flatness_forward(&mut h, &b.z, &b.w, &fb, &cfg), 0.0);
    let mut dz = vec![0.0; b.z.len()];
    flatness_backward(&mut dz, &b.z, &b.w, &fb, &h, &cfg, 1.0);
    assert!(dz.iter().all(|&g| g == 0.0));
    let bkg = Normalisation::new("bkg", 10, 5.0).unwrap();
    assert_eq!(mass_mse_forward(&b.p, &b.mass, &ones, &b.w, &bkg), 0.0);
    let mut nan = b.mass.clone();
    nan[1] = f64::NAN;
    let zeros = vec![0.0f64; b.y.len()];
    assert!(usage(FlatnessBatch::new(&cfg, &zeros, &nan)).contains("event 1"));
}

/// The f32 path (what training runs) agrees with the f64 one to f32 precision.
#[test]
fn f32_path_matches_f64() {
    let b = batch(64, 10, 14);
    let to32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let (z32, y32, w32) = (to32(&b.z), to32(&b.y), to32(&b.w));
    let norm = Normalisation::new("t", 5000, 3120.5)
        .unwrap()
        .batch("b", 64)
        .unwrap();
    let l64 = bce_forward(&b.z, &b.y, &b.w, &norm);
    let l32 = bce_forward(&z32, &y32, &w32, &norm);
    assert!(((l64 - l32) / l64).abs() < 1e-6, "bce {l64} {l32}");
    let dn = DomainNorm::new(
        Normalisation::new("d", 800, 310.25).unwrap(),
        Normalisation::new("m", 1200, 987.5).unwrap(),
    );
    let dom = dn.batch(&b.y).unwrap();
    let cfg = HistogramConfig::new("bins", 10).unwrap();
    let (mut h64, mut h32) = (Histograms::new(&cfg), Histograms::new(&cfg));
    let l64 = histogram_forward(&mut h64, &b.z, &b.w, &b.y, &cfg, &dom);
    let l32 = histogram_forward(&mut h32, &z32, &w32, &y32, &cfg, &dom);
    assert!(((l64 - l32) / l64).abs() < 1e-5, "histogram {l64} {l32}");
    let (mut d64, mut d32) = (vec![0.0f64; 64], vec![0.0f32; 64]);
    histogram_backward(&mut d64, &b.z, &b.w, &b.y, &h64, &cfg, &dom, 1.0);
    histogram_backward(&mut d32, &z32, &w32, &y32, &h32, &cfg, &dom, 1.0);
    let max = d64.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    for i in 0..64 {
        assert!(
            (d64[i] - d32[i] as f64).abs() < 1e-5 * max,
            "histogram dz {i}"
        );
    }
}
