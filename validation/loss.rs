//! Every loss term and its gradient against PyTorch autograd, by name.
//!
//! Golden values from validation/torch_loss.py (float64 torch, each term written with
//! torch ops as docs/maths.md (losses) defines it, gradients by autograd), in
//! validation/data/torch/loss.json: a classification batch of 64 events and a domain
//! batch of 48 (signed MC weights, sWeights some negative), a training background of 500
//! masses with signed weights for the equal-population mass bins.
//!
//! Tolerances: our f64 path agrees with torch's float64 to a relative 1e-10 per term: the
//! loss value, and each gradient element with |ours - torch| <= 1e-10 max(|ours|,
//! |torch|, 1e-6 max_j |torch_j|) (the floor keeps an element that cancelled to almost
//! nothing from being measured against itself). The histograms and the mass bin edges
//! are compared too (edges to 1e-15, from the same algorithm in numpy). Our f32 path,
//! which training runs, is compared with the same goldens at a relative 1e-5 of each
//! tensor's largest magnitude. The worst difference is printed per term by name.
//!
//! The quantile (pinball) loss through the non-crossing map has its own goldens,
//! validation/torch_quantile.py -> validation/data/torch/quantile.json, with the same
//! tolerances.

use rootgrad::loss::*;
use rootgrad_kernels::Real;
use serde_json::Value as Json;

const F64_RTOL: f64 = 1e-10;
const F32_RTOL: f64 = 1e-5;

fn golden() -> Json {
    crate::torch_golden::load("loss.json")
}

use crate::torch_golden::vec_f64;

fn num(j: &Json) -> f64 {
    j.as_f64().unwrap_or_else(|| panic!("not a number: {j}"))
}

fn cast<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// Worst relative difference of `ours` from `want` (see the module doc); panics naming
/// `what` beyond `rtol`. `f32_style` measures every element against the tensor's largest
/// magnitude instead.
fn compare(what: &str, ours: &[f64], want: &[f64], rtol: f64, f32_style: bool) -> f64 {
    let max = crate::torch_golden::max_abs(want);
    let floor = if f32_style { max } else { 1e-6 * max };
    crate::torch_golden::compare_rel(what, ours, want, rtol, floor)
}

fn compare_value(what: &str, ours: f64, want: f64, rtol: f64) -> f64 {
    compare(what, &[ours], &[want], rtol, false)
}

/// The batches of the golden file, in precision T.
struct Inputs<T> {
    z: Vec<T>,
    y: Vec<T>,
    w: Vec<T>,
    mass: Vec<T>,
    p: Vec<T>,
    target: Vec<T>,
    dom_z: Vec<T>,
    dom_zd: Vec<T>,
    dom_label: Vec<T>,
    dom_w: Vec<T>,
}

fn inputs<T: Real>(g: &Json) -> Inputs<T> {
    let c = &g["classification_batch"];
    let d = &g["domain_batch"];
    let m = &g["terms"]["mass_adversary"];
    Inputs {
        z: cast(&vec_f64(&c["z"])),
        y: cast(&vec_f64(&c["y"])),
        w: cast(&vec_f64(&c["w"])),
        mass: cast(&vec_f64(&c["mass"])),
        p: cast(&vec_f64(&m["p"])),
        target: cast(&vec_f64(&m["target"])),
        dom_z: cast(&vec_f64(&d["z"])),
        dom_zd: cast(&vec_f64(&d["z_d"])),
        dom_label: cast(&vec_f64(&d["label"])),
        dom_w: cast(&vec_f64(&d["w"])),
    }
}

fn flatness_config(g: &Json) -> FlatnessConfig {
    let t = &g["training_background"];
    let (mass, w) = (vec_f64(&t["mass"]), vec_f64(&t["w"]));
    let m = t["mass_bins"].as_u64().expect("mass_bins") as usize;
    let edges = equal_population_edges(&mass, Some(&w), m).expect("edges");
    let hist = HistogramConfig::new("bins", g["bins"].as_u64().expect("bins") as usize).unwrap();
    FlatnessConfig::new(hist, edges, &mass, &w).expect("flatness config")
}

/// Computes every term on the golden batches in precision T and compares it with the
/// goldens; returns (term, worst value difference, worst gradient difference).
fn run<T: Real>(g: &Json, rtol: f64, f32_style: bool) -> Vec<(String, f64, f64)> {
    let x = inputs::<T>(g);
    let terms = &g["terms"];
    let c = &g["classification_batch"];
    let d = &g["domain_batch"];
    let mut out = Vec::new();
    let mut check = |name: &str, loss: f64, grad: Vec<T>, key: &str| {
        let t = &terms[name];
        let v = compare_value(&format!("{name} loss"), loss, num(&t["loss"]), rtol);
        let grad: Vec<f64> = grad.iter().map(|v| v.to_f64()).collect();
        let what = format!("{name} {key}");
        let gr = compare(&what, &grad, &vec_f64(&t[key]), rtol, f32_style);
        out.push((name.to_string(), v, gr));
    };

    // classification
    let n = x.z.len();
    let set = Normalisation::new(
        "training set",
        c["n_set"].as_u64().unwrap() as usize,
        num(&c["w_set"]),
    )
    .unwrap();
    let bn = set.batch("classification batch", n).unwrap();
    let loss = bce_forward(&x.z, &x.y, &x.w, &bn);
    let mut dz = vec![T::ZERO; n];
    bce_backward(&mut dz, &x.z, &x.y, &x.w, &bn, 1.0);
    check("classification", loss, dz, "dz");

    // histogram and domain, on the domain batch
    let dn = DomainNorm::new(
        Normalisation::new(
            "data",
            d["n_data"].as_u64().unwrap() as usize,
            num(&d["w_data"]),
        )
        .unwrap(),
        Normalisation::new("mc", d["n_mc"].as_u64().unwrap() as usize, num(&d["w_mc"])).unwrap(),
    );
    let dom = dn.batch(&x.dom_label).expect("domain batch");
    let cfg = HistogramConfig::new("bins", g["bins"].as_u64().unwrap() as usize).unwrap();
    let mut hist = Histograms::new(&cfg);
    let nd = x.dom_z.len();
    let loss = histogram_forward(&mut hist, &x.dom_z, &x.dom_w, &x.dom_label, &cfg, &dom);
    let mut dz = vec![T::ZERO; nd];
    histogram_backward(
        &mut dz,
        &x.dom_z,
        &x.dom_w,
        &x.dom_label,
        &hist,
        &cfg,
        &dom,
        1.0,
    );
    let h = &terms["histogram"];
    compare(
        "histogram h_data",
        &hist.data,
        &vec_f64(&h["h_data"]),
        rtol,
        f32_style,
    );
    compare(
        "histogram h_mc",
        &hist.mc,
        &vec_f64(&h["h_mc"]),
        rtol,
        f32_style,
    );
    check("histogram", loss, dz, "dz");

    let loss = domain_forward(&x.dom_zd, &x.dom_w, &x.dom_label, &dom);
    let mut dz = vec![T::ZERO; nd];
    domain_backward(&mut dz, &x.dom_zd, &x.dom_w, &x.dom_label, &dom, 1.0);
    check("domain", loss, dz, "dz");

    // mass adversary
    let m = &terms["mass_adversary"];
    let bkg = Normalisation::new(
        "background",
        m["n_bkg"].as_u64().unwrap() as usize,
        num(&m["w_bkg"]),
    )
    .unwrap();
    let loss = mass_mse_forward(&x.p, &x.target, &x.y, &x.w, &bkg);
    let mut dp = vec![T::ZERO; n];
    mass_mse_backward(&mut dp, &x.p, &x.target, &x.y, &x.w, &bkg, 1.0);
    check("mass_adversary", loss, dp, "dp");

    // flatness: the full batch, then the batch without the events of mass bin 2
    let fcfg = flatness_config(g);
    for name in ["flatness", "flatness_without_mass_bin_2"] {
        let keep: Vec<bool> = match terms[name].get("keep") {
            Some(k) => k
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect(),
            None => vec![true; n],
        };
        let pick = |v: &[T]| -> Vec<T> { (0..n).filter(|&i| keep[i]).map(|i| v[i]).collect() };
        let (z, y, w, mass) = (pick(&x.z), pick(&x.y), pick(&x.w), pick(&x.mass));
        let fb = FlatnessBatch::new(&fcfg, &y, &mass).expect("flatness batch");
        let mut fh = FlatnessHistograms::new(&fcfg);
        let loss = flatness_forward(&mut fh, &z, &w, &fb, &fcfg);
        let mut dz_kept = vec![T::ZERO; z.len()];
        flatness_backward(&mut dz_kept, &z, &w, &fb, &fh, &fcfg, 1.0);
        let mut dz = vec![T::ZERO; n];
        let mut k = 0;
        for i in 0..n {
            if keep[i] {
                dz[i] = dz_kept[k];
                k += 1;
            }
        }
        let t = &terms[name];
        compare(
            &format!("{name} h_bins"),
            &fh.bins,
            &vec_f64(&t["h_bins"]),
            rtol,
            f32_style,
        );
        compare(
            &format!("{name} h_all"),
            &fh.all,
            &vec_f64(&t["h_all"]),
            rtol,
            f32_style,
        );
        check(name, loss, dz, "dz");
    }
    out
}

/// validation/torch_loss.py: every term and gradient, f64, relative 1e-10.
#[test]
fn loss_terms_match_torch_f64() {
    let g = golden();
    for (name, v, gr) in run::<f64>(&g, F64_RTOL, false) {
        println!("loss golden f64 {name}: value rel diff {v:.2e}, gradient rel diff {gr:.2e} (tolerance {F64_RTOL:e})");
    }
}

/// validation/torch_loss.py: the f32 path against the float64 goldens, relative 1e-5 of
/// each tensor's largest magnitude.
#[test]
fn loss_terms_match_torch_f32() {
    let g = golden();
    for (name, v, gr) in run::<f32>(&g, F32_RTOL, true) {
        println!("loss golden f32 {name}: value rel diff {v:.2e}, gradient rel diff {gr:.2e} (tolerance {F32_RTOL:e})");
    }
}

/// validation/torch_loss.py: the equal-population edges and the per-bin training
/// background count and weight, against the same algorithm in numpy.
#[test]
fn equal_population_edges_match_numpy() {
    let g = golden();
    let t = &g["training_background"];
    let (mass, w) = (vec_f64(&t["mass"]), vec_f64(&t["w"]));
    let m = t["mass_bins"].as_u64().unwrap() as usize;
    let edges = equal_population_edges(&mass, Some(&w), m).unwrap();
    compare(
        "mass bin edges",
        edges.edges(),
        &vec_f64(&t["edges"]),
        1e-15,
        false,
    );
    let cfg = flatness_config(&g);
    let n_bin = vec_f64(&t["n_bin"]);
    let w_bin = vec_f64(&t["w_bin"]);
    for k in 0..m {
        assert_eq!(cfg.bin_norm(k).n_set(), n_bin[k], "mass bin {k} count");
        compare(
            &format!("mass bin {k} weight"),
            &[cfg.bin_norm(k).w_set()],
            &[w_bin[k]],
            1e-12,
            false,
        );
    }
}

/// The quantile loss of one golden case ("q3", "q21") in precision T: the value, the
/// quantiles of the non-crossing map and dL_Q/dr, against torch; returns the worst
/// (value, gradient) differences.
fn quantile_case<T: Real>(case: &Json, rtol: f64, f32_style: bool) -> (f64, f64) {
    let levels = QuantileLevels::new(vec_f64(&case["taus"])).expect("levels");
    let rows = case["rows"].as_u64().unwrap() as usize;
    let nq = levels.len();
    let (r, y, w): (Vec<T>, Vec<T>, Vec<T>) = (
        cast(&vec_f64(&case["r"])),
        cast(&vec_f64(&case["y"])),
        cast(&vec_f64(&case["w"])),
    );
    let norm = Normalisation::new(
        "training set",
        case["n_set"].as_u64().unwrap() as usize,
        num(&case["w_set"]),
    )
    .unwrap()
    .batch("quantile batch", rows)
    .unwrap();
    let mut q = vec![T::ZERO; rows * nq];
    for i in 0..rows {
        monotone_quantiles(&r[i * nq..(i + 1) * nq], &mut q[i * nq..(i + 1) * nq]);
    }
    let q: Vec<f64> = q.iter().map(|v| v.to_f64()).collect();
    compare("quantiles q", &q, &vec_f64(&case["q"]), rtol, f32_style);
    let loss = pinball_forward(&levels, &r, &y, &w, &norm);
    let v = compare_value("pinball loss", loss, num(&case["loss"]), rtol);
    let mut dr = vec![T::ZERO; rows * nq];
    pinball_backward(&levels, &r, &y, &w, &norm, 1.0, &mut dr);
    let dr: Vec<f64> = dr.iter().map(|v| v.to_f64()).collect();
    let gr = compare("pinball dr", &dr, &vec_f64(&case["dr"]), rtol, f32_style);
    (v, gr)
}

/// validation/torch_quantile.py: the pinball loss through the non-crossing map (Q = 3
/// and 21, signed weights, N and W not the batch's), value and dL_Q/dr by autograd, f64
/// at relative 1e-10 and the f32 path at 1e-5 of each tensor's largest magnitude.
#[test]
fn quantile_loss_matches_torch() {
    let g = crate::torch_golden::load("quantile.json");
    for name in ["q3", "q21"] {
        let (v, gr) = quantile_case::<f64>(&g[name], F64_RTOL, false);
        println!("quantile golden f64 {name}: value {v:.2e}, dr {gr:.2e} (tolerance {F64_RTOL:e})");
        let (v, gr) = quantile_case::<f32>(&g[name], F32_RTOL, true);
        println!("quantile golden f32 {name}: value {v:.2e}, dr {gr:.2e} (tolerance {F32_RTOL:e})");
    }
}

/// L_Q with every row's quantiles equal to `q` (strictly increasing): each row's raw
/// outputs are the inverse of the non-crossing map, r_1 = q_1, r_j = ln(expm1(q_j -
/// q_{j-1})).
fn quantile_loss_at(levels: &QuantileLevels, q: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let mut row = vec![q[0]];
    row.extend(q.windows(2).map(|p| (p[1] - p[0]).exp_m1().ln()));
    let r: Vec<f64> = (0..y.len()).flat_map(|_| row.iter().copied()).collect();
    let norm = Normalisation::of_weights("t", w)
        .unwrap()
        .batch("b", y.len())
        .unwrap();
    pinball_forward(levels, &r, y, w, &norm)
}

/// With positive weights L_Q over constant quantiles is convex and piecewise linear in
/// each q_j, with its kinks at the sample values, so q_j is its minimiser exactly when
/// L_Q there is no larger than at the neighbouring sample values. The weighted quantile
/// of `WeightedCdf::quantile` (20,000 exponential values, weights in (0.5, 1.5)) passes
/// that test for each level, and a scan over a grid finds nothing lower.
#[test]
fn quantile_loss_minimiser_is_the_weighted_quantile() {
    let mut g = rootgrad::random::SplitMix64::new(&[19, 1]);
    let n = 20_000;
    let y: Vec<f64> = (0..n).map(|_| -(1.0 - g.uniform()).ln()).collect();
    let w: Vec<f64> = (0..n).map(|_| g.uniform_in(0.5, 1.5)).collect();
    let levels = QuantileLevels::new(vec![0.25, 0.8]).unwrap();
    let cdf = rootgrad::reweight::cdf::WeightedCdf::new(&y, &w, "sample").unwrap();
    let best: Vec<f64> = levels.taus().iter().map(|&t| cdf.quantile(t)).collect();
    let at_best = quantile_loss_at(&levels, &best, &y, &w);
    let slack = 1e-12 * at_best;
    for j in 0..2 {
        let k = cdf.values.partition_point(|&v| v < best[j]);
        assert_eq!(cdf.values[k], best[j]);
        for nb in [cdf.values[k - 1], cdf.values[k + 1]] {
            let mut q = best.clone();
            q[j] = nb;
            let l = quantile_loss_at(&levels, &q, &y, &w);
            assert!(
                l >= at_best - slack,
                "level {j}: L({nb}) = {l} < L(q*) = {at_best}"
            );
        }
        for s in -50..=50 {
            let mut q = best.clone();
            q[j] += 0.004 * s as f64;
            let l = quantile_loss_at(&levels, &q, &y, &w);
            assert!(l >= at_best - slack, "level {j}: grid step {s}");
        }
    }
}
