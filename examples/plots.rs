//! Writes every figure kind of `rootgrad::report` as PNG and SVG into one folder, so a
//! person can look at them: `cargo run --example plots [-- <folder>]` (default
//! `target/plots`). The inputs are made up here from a fixed seed.

use std::path::PathBuf;

use rootgrad::report::*;

/// splitmix64 to uniform (0, 1), Box-Muller for normals: enough for made-up figures.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 + 1e-17
    }
    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

fn edges(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..=n)
        .map(|i| lo + (hi - lo) * i as f64 / n as f64)
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/plots".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let mut rng = Rng(42);

    // A mass peak over a falling background; the simulation is a little narrower and
    // the "corrected" simulation a little wider.
    let mass = |rng: &mut Rng, width: f64, n: usize| -> Vec<f64> {
        (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    5280.0 + width * rng.normal()
                } else {
                    5150.0 - 120.0 * rng.uniform().ln()
                }
            })
            .collect()
    };
    let e = edges(5150.0, 5450.0, 40);
    let d = mass(&mut rng, 18.0, 6_000);
    let s = mass(&mut rng, 15.0, 40_000);
    let c = mass(&mut rng, 17.5, 40_000);
    let ones = |v: &[f64]| vec![1.0; v.len()];
    let sim_w: Vec<f64> = s.iter().map(|_| 0.5 + rng.uniform()).collect();
    let mut spec = DataMcPlot::new(
        Hist1D::fill(&e, &d, &ones(&d), OutOfRange::Ignore)?,
        Hist1D::fill(&e, &s, &sim_w, OutOfRange::Ignore)?,
        "m(K⁺π⁻μ⁺μ⁻) [MeV/c²]",
    );
    spec.corrected = Some(Hist1D::fill(&e, &c, &ones(&c), OutOfRange::Ignore)?);
    spec.y_label = "Candidates / 7.5 MeV/c²".into();
    spec.metrics = vec!["KS = 0.031".into(), "χ²/ndf = 12.3/18".into()];
    for ext in ["png", "svg"] {
        rootgrad::report::data_mc(&dir.join(format!("data_mc.{ext}")), &spec)?;
    }
    let mut log = spec.clone();
    log.log_y = true;
    log.normalisation = Normalisation::UnitArea;
    log.y_label = "Fraction / 7.5 MeV/c²".into();
    log.x_error_bars = false;
    rootgrad::report::data_mc(&dir.join("data_mc_log.png"), &log)?;

    // sWeighted data: some bins negative, some empty.
    let sw: Vec<f64> = d
        .iter()
        .map(|&m| {
            if (m - 5280.0).abs() < 40.0 {
                1.0
            } else {
                -0.35
            }
        })
        .collect();
    let mut sdata = Hist1D::fill(&e, &d, &sw, OutOfRange::Ignore)?;
    sdata.sum_w[3] = 0.0;
    sdata.sum_w2[3] = 0.0;
    let sig: Vec<f64> = (0..20_000).map(|_| 5280.0 + 16.0 * rng.normal()).collect();
    let mut sw_spec = DataMcPlot::new(
        sdata,
        Hist1D::fill(&e, &sig, &ones(&sig), OutOfRange::Ignore)?,
        "m [MeV/c²]",
    );
    sw_spec.simulation_label = "Signal simulation".into();
    sw_spec.y_label = "sWeighted candidates".into();
    sw_spec.title = Some("sWeights: negative and empty bins".into());
    rootgrad::report::data_mc(&dir.join("data_mc_sweights.png"), &sw_spec)?;

    // ROC curves of made-up classifiers: background efficiency = signal efficiency^k.
    let curve = |label: &str, k: f64, auc: f64| RocCurve {
        label: label.into(),
        signal_eff: (0..=200).map(|i| i as f64 / 200.0).collect(),
        // Counted on 10^4 background events, as a real curve would be.
        background_eff: (0..=200)
            .map(|i| ((i as f64 / 200.0).powf(k) * 1e4).ceil() / 1e4)
            .collect(),
        auc: Some(auc),
    };
    let curves = vec![
        curve("Baseline", 6.0, 6.0 / 7.0),
        curve("Histogram loss, λ = 10", 4.0, 0.8),
        curve("Gradient reversal", 3.0, 0.75),
    ];
    let mut r = RocPlot::new(curves);
    for ext in ["png", "svg"] {
        roc(&dir.join(format!("roc.{ext}")), &r)?;
    }
    r.y = RocY::BackgroundEfficiency;
    r.log_y = true;
    roc(&dir.join("roc_log.png"), &r)?;

    // Training curves: loss terms, AUC and KS over 60 epochs.
    let ep: Vec<f64> = (1..=60).map(|i| i as f64).collect();
    let ser = |label: &str, f: &dyn Fn(f64) -> f64| Series {
        label: label.into(),
        x: ep.clone(),
        y: ep.iter().map(|&x| f(x)).collect(),
    };
    let t = TrainingPlot {
        panels: vec![
            Panel {
                y_label: "Loss".into(),
                series: vec![
                    ser("train BCE", &|x| 0.35 + 0.3 * (-x / 8.0).exp()),
                    ser("validation BCE", &|x| {
                        0.38 + 0.3 * (-x / 8.0).exp() + 0.0004 * x
                    }),
                    ser("histogram loss", &|x| 0.05 + 0.2 * (-x / 15.0).exp()),
                ],
                log_y: false,
            },
            Panel {
                y_label: "ROC AUC".into(),
                series: vec![
                    ser("train", &|x| 0.92 - 0.1 * (-x / 6.0).exp()),
                    ser("validation", &|x| {
                        0.905 - 0.1 * (-x / 6.0).exp() - 0.0002 * x
                    }),
                ],
                log_y: false,
            },
            Panel {
                y_label: "KS (data vs sim.)".into(),
                series: vec![ser("control region", &|x| 0.01 + 0.08 * (-x / 10.0).exp())],
                log_y: true,
            },
        ],
        x_label: "Epoch".into(),
        best_epoch: Some(34.0),
        title: None,
        size: None,
    };
    for ext in ["png", "svg"] {
        training(&dir.join(format!("training.{ext}")), &t)?;
    }

    // AUC against KS over a lambda sweep, mean +- std over five repeats.
    let lambdas = [0.0, 1.0, 3.0, 10.0, 30.0, 100.0];
    let points = lambdas
        .iter()
        .enumerate()
        .map(|(i, &l)| ScatterPoint {
            x: 0.09 / (1.0 + 0.6 * i as f64),
            y: 0.915 - 0.012 * i as f64 * (1.0 + 0.3 * i as f64) / 2.0,
            x_err: Some(0.004),
            y_err: Some(0.002 + 0.0005 * i as f64),
            label: Some(format!("λ = {l}")),
        })
        .collect();
    let sc = ScatterPlot::new(
        vec![ScatterSeries {
            label: "histogram loss".into(),
            points,
            connect: true,
        }],
        "KS distance (data vs simulation)",
        "ROC AUC (signal vs background)",
    );
    for ext in ["png", "svg"] {
        scatter(&dir.join(format!("scatter.{ext}")), &sc)?;
    }

    // Score of signal and background.
    let se = edges(0.0, 1.0, 25);
    let sig: Vec<f64> = (0..5000)
        .map(|_| (0.75 + 0.15 * rng.normal()).clamp(0.0, 1.0))
        .collect();
    let bkg: Vec<f64> = (0..8000).map(|_| rng.uniform().powf(2.5)).collect();
    let mut ov = HistOverlay::new(
        vec![
            LabelledHist {
                label: "Signal (simulation)".into(),
                hist: Hist1D::fill(&se, &sig, &ones(&sig), OutOfRange::Ignore)?,
            },
            LabelledHist {
                label: "Background (sidebands)".into(),
                hist: Hist1D::fill(&se, &bkg, &ones(&bkg), OutOfRange::Ignore)?,
            },
        ],
        "Classifier score",
    );
    ov.normalise = true;
    ov.y_label = "Fraction / 0.04".into();
    for ext in ["png", "svg"] {
        histograms(&dir.join(format!("score.{ext}")), &ov)?;
    }
    ov.log_y = true;
    histograms(&dir.join("score_log.png"), &ov)?;
    println!("figures written to {}", dir.display());
    Ok(())
}
