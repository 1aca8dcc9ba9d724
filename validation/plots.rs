//! The figures of `rootgrad::report` as files: every kind written as PNG and SVG, the
//! PNG decoded back to the requested size, the SVG well formed with the axis titles and
//! legend texts it was given; unknown extensions, empty histograms and NaN inputs are
//! errors that leave no file; no temporary file is left behind.

use std::path::{Path, PathBuf};

use rootgrad::report::*;

/// A fresh, empty folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("plots")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

fn check_png(path: &Path, size: (u32, u32)) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes[..8], PNG_SIGNATURE, "{}", path.display());
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), size, "{}", path.display());
}

/// Well formed enough: one <svg> root, every opened <text> closed, and each of `texts`
/// present (as plotters writes them, XML-escaped).
fn check_svg(path: &Path, texts: &[&str]) {
    let svg = std::fs::read_to_string(path).unwrap();
    let s = svg.trim();
    assert!(
        s.starts_with("<svg") || s.starts_with("<?xml"),
        "{}",
        path.display()
    );
    assert!(s.ends_with("</svg>"), "{}", path.display());
    assert_eq!(s.matches("<svg").count(), 1);
    assert_eq!(s.matches("<text").count(), s.matches("</text>").count());
    assert_eq!(s.matches('<').count(), s.matches('>').count());
    for t in texts {
        assert!(svg.contains(t), "{}: no text `{t}`", path.display());
    }
    // Readable: no text smaller than 16 px.
    for size in svg.split("font-size=\"").skip(1) {
        let px: f64 = size.split('"').next().unwrap().parse().unwrap();
        assert!(px >= 16.0, "{}: font-size {px}", path.display());
    }
}

/// The embedded font draws: the rotated y axis title leaves dark pixels in the left
/// margin of the PNG, where nothing else is drawn.
fn check_png_has_y_title(path: &Path) {
    let img = image::open(path).unwrap().to_rgb8();
    let dark = (0..40)
        .flat_map(|x| (0..img.height()).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 100))
        .count();
    assert!(
        dark > 50,
        "{}: {dark} dark pixels in the y title",
        path.display()
    );
}

fn edges(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..=n)
        .map(|i| lo + (hi - lo) * i as f64 / n as f64)
        .collect()
}

/// A bump over a flat floor, `n` bins, scaled by `k`.
fn bump(n: usize, k: f64) -> Hist1D {
    let e = edges(0.0, 10.0, n);
    let w: Vec<f64> = (0..n)
        .map(|i| k * (20.0 + 100.0 * (-((i as f64 - n as f64 / 2.0) / 4.0).powi(2)).exp()))
        .collect();
    Hist1D {
        edges: e,
        sum_w2: w.iter().map(|x| x.abs()).collect(),
        sum_w: w,
    }
}

fn data_mc_spec() -> DataMcPlot {
    let mut spec = DataMcPlot::new(bump(20, 1.0), bump(20, 3.0), "m(D0) [GeV]");
    spec.corrected = Some(bump(20, 2.5));
    spec.corrected_label = "After reweighting".into();
    spec.y_label = "Candidates / 0.5 GeV".into();
    spec.metrics = vec!["KS = 0.031, chi2/ndf = 12.3/18".into()];
    spec
}

#[test]
fn every_figure_kind_as_png_and_svg() {
    let dir = folder("every_kind");
    let dm = data_mc_spec();
    let rc = RocPlot::new(vec![RocCurve {
        label: "Baseline".into(),
        signal_eff: vec![0.0, 0.5, 0.9, 1.0],
        background_eff: vec![0.0, 0.05, 0.3, 1.0],
        auc: Some(0.912),
    }]);
    let tr = TrainingPlot::new(vec![
        Panel {
            y_label: "Loss".into(),
            series: vec![Series {
                label: "train BCE".into(),
                x: vec![1.0, 2.0, 3.0],
                y: vec![0.7, 0.5, 0.45],
            }],
            log_y: false,
        },
        Panel {
            y_label: "KS".into(),
            series: vec![Series {
                label: "control region".into(),
                x: vec![1.0, 2.0, 3.0],
                y: vec![0.1, 0.03, 0.02],
            }],
            log_y: true,
        },
    ]);
    let sc = ScatterPlot::new(
        vec![ScatterSeries {
            label: "lambda sweep".into(),
            points: (0..4)
                .map(|i| ScatterPoint {
                    x: 0.1 / (1.0 + i as f64),
                    y: 0.9 - 0.01 * i as f64,
                    x_err: Some(0.002),
                    y_err: None,
                    label: Some(format!("lambda = {i}")),
                })
                .collect(),
            connect: true,
        }],
        "KS distance",
        "ROC AUC",
    );
    let ov = HistOverlay::new(
        vec![
            LabelledHist {
                label: "Signal".into(),
                hist: bump(10, 1.0),
            },
            LabelledHist {
                label: "Background".into(),
                hist: Hist1D::fill(
                    &edges(0.0, 10.0, 10),
                    &[0.5, 1.5, 1.6, 7.0],
                    &[1.0, 2.0, -0.5, 1.0],
                    OutOfRange::Ignore,
                )
                .unwrap(),
            },
        ],
        "Classifier score",
    );
    for ext in ["png", "svg"] {
        let p = |name: &str| dir.join(format!("{name}.{ext}"));
        data_mc(&p("data_mc"), &dm).unwrap();
        roc(&p("roc"), &rc).unwrap();
        training(&p("training"), &tr).unwrap();
        scatter(&p("scatter"), &sc).unwrap();
        histograms(&p("overlay"), &ov).unwrap();
    }
    check_png(&dir.join("data_mc.png"), (800, 700));
    check_png(&dir.join("roc.png"), (800, 600));
    check_png(&dir.join("training.png"), (800, 600));
    check_png(&dir.join("scatter.png"), (800, 600));
    check_png(&dir.join("overlay.png"), (800, 600));
    for name in ["data_mc", "roc", "training", "scatter", "overlay"] {
        check_png_has_y_title(&dir.join(format!("{name}.png")));
    }
    check_svg(
        &dir.join("data_mc.svg"),
        &[
            "m(D0) [GeV]",
            "Candidates / 0.5 GeV",
            "Data",
            "Simulation",
            "After reweighting",
            "Data / Sim.",
            "KS = 0.031, chi2/ndf = 12.3/18",
        ],
    );
    check_svg(
        &dir.join("roc.svg"),
        &[
            "Signal efficiency",
            "Background rejection",
            "Baseline (AUC = 0.912)",
        ],
    );
    check_svg(
        &dir.join("training.svg"),
        &["Epoch", "Loss", "KS", "train BCE", "control region"],
    );
    check_svg(
        &dir.join("scatter.svg"),
        &["KS distance", "ROC AUC", "lambda sweep", "lambda = 3"],
    );
    check_svg(
        &dir.join("overlay.svg"),
        &["Classifier score", "Signal", "Background"],
    );
    let names = listing(&dir);
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
}

#[test]
fn requested_sizes_and_options() {
    let dir = folder("sizes");
    let mut dm = data_mc_spec();
    dm.size = (1200, 900);
    dm.log_y = true;
    dm.normalisation = Normalisation::UnitArea;
    dm.x_error_bars = false;
    dm.title = Some("log y, unit area".into());
    data_mc(&dir.join("a.png"), &dm).unwrap();
    check_png(&dir.join("a.png"), (1200, 900));
    let mut rc = RocPlot::new(vec![RocCurve {
        label: "x".into(),
        signal_eff: vec![0.0, 0.5, 1.0],
        background_eff: vec![0.0, 0.01, 1.0],
        auc: None,
    }]);
    rc.y = RocY::BackgroundEfficiency;
    rc.log_y = true;
    rc.size = (640, 480);
    roc(&dir.join("b.PNG"), &rc).unwrap();
    check_png(&dir.join("b.PNG"), (640, 480));
    // Writing again replaces the file.
    roc(&dir.join("b.PNG"), &rc).unwrap();
    assert_eq!(listing(&dir), ["a.png", "b.PNG"]);
}

/// sWeighted data: negative bins and an empty bin are drawn (linear and log y), and a
/// simulation bin of zero gives no ratio instead of a division by zero.
#[test]
fn negative_and_empty_bins_are_drawn() {
    let dir = folder("negative");
    let mut dm = data_mc_spec();
    dm.data.sum_w[0] = -15.0;
    dm.data.sum_w[1] = 0.0;
    dm.data.sum_w2[1] = 0.0;
    dm.simulation.sum_w[2] = 0.0;
    dm.simulation.sum_w2[2] = 0.0;
    dm.simulation.sum_w[3] = -4.0;
    data_mc(&dir.join("lin.png"), &dm).unwrap();
    dm.log_y = true;
    data_mc(&dir.join("log.svg"), &dm).unwrap();
    assert_eq!(listing(&dir), ["lin.png", "log.svg"]);
}

#[test]
fn unknown_or_missing_extension_is_an_error_naming_it() {
    let dir = folder("extension");
    let dm = data_mc_spec();
    let err = data_mc(&dir.join("plot.pdf"), &dm).unwrap_err().to_string();
    assert!(err.contains(".pdf") && err.contains(".png"), "{err}");
    let err = data_mc(&dir.join("plot"), &dm).unwrap_err().to_string();
    assert!(err.contains("no file extension"), "{err}");
    let err = data_mc(&dir.join("no/such/folder/plot.png"), &dm)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert!(listing(&dir).is_empty());
}

/// Bad inputs: each is an error (never a panic) naming what is wrong, and no file.
#[test]
fn empty_and_nan_inputs_are_errors() {
    let dir = folder("bad_inputs");
    let out = dir.join("x.png");
    let expect = |r: rootgrad::Result<()>, needle: &str| {
        let err = r.expect_err(needle).to_string();
        assert!(err.contains(needle), "`{err}` does not say `{needle}`");
        assert!(err.contains("x.png"), "`{err}` does not name the file");
    };

    let mut dm = data_mc_spec();
    dm.data = Hist1D {
        edges: vec![0.0],
        sum_w: vec![],
        sum_w2: vec![],
    };
    expect(data_mc(&out, &dm), "needs at least 2 (one bin)");
    let mut dm = data_mc_spec();
    dm.data.sum_w.iter_mut().for_each(|w| *w = 0.0);
    dm.data.sum_w2.iter_mut().for_each(|w| *w = 0.0);
    expect(data_mc(&out, &dm), "empty");
    let mut dm = data_mc_spec();
    dm.simulation.sum_w[4] = f64::NAN;
    expect(data_mc(&out, &dm), "sum_w[4] is NaN");
    let mut dm = data_mc_spec();
    dm.simulation = bump(21, 1.0);
    expect(data_mc(&out, &dm), "different bin edges");
    let mut dm = data_mc_spec();
    dm.simulation.sum_w.iter_mut().for_each(|w| *w = 0.0);
    expect(data_mc(&out, &dm), "cannot be normalised");
    let mut dm = data_mc_spec();
    dm.ratio_range = (1.5, 0.5);
    expect(data_mc(&out, &dm), "ratio range");

    expect(roc(&out, &RocPlot::new(vec![])), "no ROC curves");
    let nan_roc = RocCurve {
        label: "bad".into(),
        signal_eff: vec![0.0, f64::NAN],
        background_eff: vec![0.0, 1.0],
        auc: None,
    };
    expect(roc(&out, &RocPlot::new(vec![nan_roc])), "NaN");

    let panel = |y: Vec<f64>| Panel {
        y_label: "Loss".into(),
        series: vec![Series {
            label: "train".into(),
            x: (0..y.len()).map(|i| i as f64).collect(),
            y,
        }],
        log_y: false,
    };
    expect(training(&out, &TrainingPlot::new(vec![])), "no panels");
    expect(
        training(&out, &TrainingPlot::new(vec![panel(vec![])])),
        "no points",
    );
    expect(
        training(
            &out,
            &TrainingPlot::new(vec![panel(vec![0.5, f64::INFINITY])]),
        ),
        "inf",
    );

    expect(
        scatter(&out, &ScatterPlot::new(vec![], "x", "y")),
        "no points",
    );
    let p = ScatterPoint {
        x: f64::NAN,
        ..Default::default()
    };
    let s = ScatterSeries {
        label: "s".into(),
        points: vec![p],
        connect: false,
    };
    expect(scatter(&out, &ScatterPlot::new(vec![s], "x", "y")), "NaN");

    expect(
        histograms(&out, &HistOverlay::new(vec![], "x")),
        "no histograms",
    );
    let empty = LabelledHist {
        label: "nothing".into(),
        hist: Hist1D::new(&[0.0, 1.0, 2.0]).unwrap(),
    };
    expect(
        histograms(&out, &HistOverlay::new(vec![empty], "x")),
        "empty",
    );

    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
}

#[test]
fn hist_fill_bins_edges_and_weights() {
    let h = Hist1D::fill(
        &[0.0, 1.0, 2.0],
        &[0.0, 0.5, 1.0, 1.99, 2.0, -0.1, 2.1],
        &[1.0, 2.0, -1.0, 0.5, 3.0, 7.0, 7.0],
        OutOfRange::Ignore,
    )
    .unwrap();
    // 1.0 opens the second bin; the upper edge 2.0 goes to the last bin; outside is left out.
    assert_eq!(h.sum_w, [3.0, 2.5]);
    assert_eq!(h.sum_w2, [5.0, 10.25]);
    assert!(Hist1D::fill(&[0.0, 1.0], &[f64::NAN], &[1.0], OutOfRange::Ignore).is_err());
    assert!(Hist1D::fill(&[0.0, 1.0], &[0.5], &[f64::NAN], OutOfRange::Ignore).is_err());
    assert!(Hist1D::fill(&[0.0, 1.0], &[0.5], &[1.0, 1.0], OutOfRange::Ignore).is_err());
    assert!(Hist1D::new(&[0.0, 0.0]).is_err());
    assert!(Hist1D::new(&[0.0, f64::NAN]).is_err());
}
