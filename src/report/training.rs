//! Training curves: one panel per quantity (loss terms, AUC, KS) stacked over a shared
//! epoch axis, several series per panel, and a dashed vertical line at the best epoch.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::{
    bad, check_finite, colour, font, padded, render, tick, DrawResult, Figure, LABEL_PX, TICK_PX,
    TITLE_PX,
};
use crate::run_folder::History;
use crate::Result;

/// A named line: `x` and `y` of the same length. Used by training curves and overlays.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// One panel of a training figure: its y axis title and its series.
#[derive(Debug, Clone)]
pub struct Panel {
    pub y_label: String,
    pub series: Vec<Series>,
    pub log_y: bool,
}

/// Everything [`training`] draws. `size: None` picks 800 wide and 600, or 250 pixels
/// per panel plus the axis, whichever is taller.
#[derive(Debug, Clone)]
pub struct TrainingPlot {
    pub panels: Vec<Panel>,
    pub x_label: String,
    /// Marked with a dashed vertical line in every panel.
    pub best_epoch: Option<f64>,
    pub title: Option<String>,
    pub size: Option<(u32, u32)>,
}

impl TrainingPlot {
    /// Defaults: x title "Epoch", no best-epoch marker, automatic size.
    pub fn new(panels: Vec<Panel>) -> Self {
        Self {
            panels,
            x_label: "Epoch".to_string(),
            best_epoch: None,
            title: None,
            size: None,
        }
    }
}

/// The training curves of a run's history.csv: a loss panel, the adaptation terms, AUC
/// and the data/simulation KS, each panel only when its columns have values; with
/// folds, every fold's curves (labelled by fold).
/// `best_epoch` (0-based) is marked. `None` when no column has a value.
pub fn training_curves(h: &History, best_epoch: Option<f64>) -> Option<TrainingPlot> {
    let panel = |y_label: &str, columns: &[(&str, &str)]| -> Option<Panel> {
        let series: Vec<Series> = columns
            .iter()
            .flat_map(|(c, l)| history_series(h, c, l))
            .collect();
        (!series.is_empty()).then(|| Panel {
            y_label: y_label.into(),
            series,
            log_y: false,
        })
    };
    let panels: Vec<Panel> = [
        panel(
            "Loss",
            &[
                ("train_loss", "training loss"),
                ("val_loss", "validation loss"),
                ("train_classification", "L_C (training)"),
                ("val_classification", "L_C (validation)"),
            ],
        ),
        panel(
            "Adaptation terms",
            &[
                ("train_histogram", "L_H (training)"),
                ("val_histogram", "L_H (validation)"),
                ("train_domain", "L_D (training)"),
                ("train_mass", "L_M (training)"),
                ("train_flatness", "L_F (training)"),
                ("val_flatness", "L_F (validation)"),
            ],
        ),
        panel(
            "AUC",
            &[("train_auc", "training"), ("val_auc", "validation")],
        ),
        panel("Data/MC KS", &[("val_ks", "validation, control region")]),
    ]
    .into_iter()
    .flatten()
    .collect();
    if panels.is_empty() {
        return None;
    }
    let mut t = TrainingPlot::new(panels);
    t.best_epoch = best_epoch.map(|b| b + 1.0);
    if h.column("fold").iter().any(|f| f.is_some()) {
        t.title = Some("Training curves of every fold".into());
    }
    Some(t)
}

/// One column of the history against the epoch (counted from 1), one series per fold
/// (labelled "fold k" when the run has folds), finite values only; empty when nothing is
/// left.
fn history_series(h: &History, name: &str, label: &str) -> Vec<Series> {
    let epoch = h.column("epoch");
    let fold = h.column("fold");
    let y = h.column(name);
    let mut folds: Vec<Option<i64>> = (0..y.len())
        .map(|i| fold.get(i).copied().flatten().map(|f| f as i64))
        .collect();
    folds.sort();
    folds.dedup();
    let mut out = Vec::new();
    for f in folds {
        let mut x = Vec::new();
        let mut v = Vec::new();
        for i in 0..y.len() {
            if fold.get(i).copied().flatten().map(|g| g as i64) != f {
                continue;
            }
            if let (Some(e), Some(val)) = (epoch[i], y[i]) {
                if val.is_finite() {
                    x.push(e + 1.0);
                    v.push(val);
                }
            }
        }
        if !x.is_empty() {
            let label = match f {
                Some(k) => format!("{label}, fold {k}"),
                None => label.to_string(),
            };
            out.push(Series { label, x, y: v });
        }
    }
    out
}

/// Writes the training-curve figure to `path` (.png or .svg). Errors for no panels, a
/// panel without points, series of unequal length and values that are not finite (a
/// diverged loss must be dropped or capped by the caller, who knows why it happened).
pub fn training(path: &Path, spec: &TrainingPlot) -> Result<()> {
    if spec.panels.is_empty() {
        return Err(bad(path, "no panels to draw"));
    }
    for p in &spec.panels {
        if p.series.iter().all(|s| s.x.is_empty()) {
            return Err(bad(path, format!("panel `{}` has no points", p.y_label)));
        }
        for s in &p.series {
            check_series(path, s)?;
            if p.log_y && s.y.iter().any(|&v| v <= 0.0) {
                return Err(bad(
                    path,
                    format!("`{}` has values <= 0 on a log axis", s.label),
                ));
            }
        }
    }
    if let Some(b) = spec.best_epoch {
        check_finite(path, "best_epoch", &[b])?;
    }
    render(path, &Fig(spec))
}

/// Equal lengths and finite values.
pub(crate) fn check_series(path: &Path, s: &Series) -> Result<()> {
    if s.x.len() != s.y.len() {
        return Err(bad(
            path,
            format!(
                "series `{}` has {} x and {} y values",
                s.label,
                s.x.len(),
                s.y.len()
            ),
        ));
    }
    check_finite(path, &format!("`{}` x", s.label), &s.x)?;
    check_finite(path, &format!("`{}` y", s.label), &s.y)
}

struct Fig<'a>(&'a TrainingPlot);

const X_AREA: u32 = 70;

impl Figure for Fig<'_> {
    fn size(&self) -> (u32, u32) {
        self.0
            .size
            .unwrap_or((800, (250 * self.0.panels.len() as u32 + X_AREA).max(600)))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.0;
        let root = match &s.title {
            Some(t) => root.titled(t, font(TITLE_PX))?,
            None => root.clone(),
        };
        let all_x = s.panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.x);
        let (x_lo, x_hi) = all_x.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
        let (x_lo, x_hi) = padded(x_lo, x_hi, 0.02);
        // The last panel also holds the x axis, so it is that much taller.
        let n = s.panels.len() as u32;
        let h = root.dim_in_pixel().1;
        let panel_h = h.saturating_sub(X_AREA) / n;
        let mut rest = root.clone();
        for (k, p) in s.panels.iter().enumerate() {
            let last = k + 1 == s.panels.len();
            // The best-epoch line is named in the first panel's legend only.
            let show_best = k == 0 && s.best_epoch.is_some();
            let area = if last {
                rest.clone()
            } else {
                let (a, b) = rest.split_vertically(panel_h);
                rest = b;
                a
            };
            let ys = p.series.iter().flat_map(|s| &s.y).copied();
            let (y_lo, y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
            let mut b = ChartBuilder::on(&area);
            b.margin_top(10)
                .margin_left(16)
                .margin_right(24)
                .set_label_area_size(LabelAreaPosition::Left, 100)
                .set_label_area_size(LabelAreaPosition::Bottom, if last { X_AREA } else { 0 });
            if p.log_y {
                let (y_lo, y_hi) = (y_lo / 1.5, y_hi * 1.5);
                let (pos, y_hi) =
                    legend_place(p, show_best, (x_lo, x_hi), (y_lo, y_hi), true, panel_h);
                let mut chart = b.build_cartesian_2d(x_lo..x_hi, (y_lo..y_hi).log_scale())?;
                let mut mesh = chart.configure_mesh();
                mesh.y_label_formatter(&tick);
                style_mesh(&mut mesh, s, p, last);
                mesh.draw()?;
                series(&mut chart, p, s.best_epoch, show_best, (y_lo, y_hi), pos)?;
            } else {
                let (y_lo, y_hi) = padded(y_lo, y_hi, 0.08);
                let (pos, y_hi) =
                    legend_place(p, show_best, (x_lo, x_hi), (y_lo, y_hi), false, panel_h);
                let mut chart = b.build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
                let mut mesh = chart.configure_mesh();
                mesh.y_label_formatter(&tick);
                style_mesh(&mut mesh, s, p, last);
                mesh.draw()?;
                series(&mut chart, p, s.best_epoch, show_best, (y_lo, y_hi), pos)?;
            }
        }
        Ok(())
    }
}

fn style_mesh<DB, X, Y>(
    mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, DB>,
    s: &TrainingPlot,
    p: &Panel,
    last: bool,
) where
    DB: DrawingBackend,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>
        + plotters::coord::ranged1d::ValueFormatter<f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>
        + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    mesh.y_desc(p.y_label.as_str())
        .axis_desc_style(font(LABEL_PX))
        .label_style(font(TICK_PX))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(230, 230, 230))
        .y_labels(8)
        .x_labels(10);
    if last {
        mesh.x_desc(s.x_label.as_str()).x_label_formatter(&tick);
    } else {
        mesh.x_label_formatter(&|_| String::new());
    }
}

fn series<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    p: &Panel,
    best: Option<f64>,
    show_best: bool,
    (y_lo, y_hi): (f64, f64),
    pos: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    if let Some(b) = best {
        // Dashes drawn as separate segments (plotters' dashed path dropped a vertical line
        // in some panels), evenly spaced in axis fraction, so also on a log axis.
        let at = |t: f64| {
            if p.log_y {
                y_lo * (y_hi / y_lo).powf(t)
            } else {
                y_lo + t * (y_hi - y_lo)
            }
        };
        let dashes = (0..30).map(|k| {
            let t = k as f64 / 30.0;
            PathElement::new(
                [(b, at(t)), (b, at(t + 0.55 / 30.0))],
                RGBColor(120, 120, 120).stroke_width(2),
            )
        });
        let line = chart.draw_series(dashes)?;
        if show_best {
            line.label(format!("best epoch ({})", tick(&b)))
                .legend(|(x, y)| {
                    PathElement::new(
                        [(x, y), (x + 24, y)],
                        RGBColor(120, 120, 120).stroke_width(2),
                    )
                });
        }
    }
    for (k, s) in p.series.iter().enumerate() {
        let col = colour(k);
        let pts: Vec<(f64, f64)> = s.x.iter().copied().zip(s.y.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), col.stroke_width(3)))?
            .label(s.label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], col.stroke_width(3)));
        if pts.len() <= 40 {
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, col.filled())))?;
        }
    }
    chart
        .configure_series_labels()
        .position(pos)
        .margin(10)
        .legend_area_size(30)
        .label_font(font(TICK_PX))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Where the legend of panel `p` covers no curve: upper right, lower right, upper left
/// or lower left, judged from the points under each corner's box (its size estimated
/// from the entry count and label length). When every corner is taken, upper right with
/// the y range raised so the legend sits above the curves. Returns the position and the
/// (possibly raised) top of the y range.
fn legend_place(
    p: &Panel,
    show_best: bool,
    (x_lo, x_hi): (f64, f64),
    (y_lo, y_hi): (f64, f64),
    log: bool,
    panel_h: u32,
) -> (SeriesLabelPosition, f64) {
    let entries = p.series.len() + usize::from(show_best);
    let chars = p
        .series
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    let plot_h = panel_h.saturating_sub(30).max(60) as f64;
    let h_frac = ((entries as f64 * 24.0 + 20.0) / plot_h).min(0.9);
    let w_frac = ((chars as f64 * 10.0 + 70.0) / 650.0).min(0.95);
    let fy = |y: f64| {
        if log {
            (y.ln() - y_lo.ln()) / (y_hi.ln() - y_lo.ln())
        } else {
            (y - y_lo) / (y_hi - y_lo)
        }
    };
    let points = || {
        p.series.iter().flat_map(|s| {
            s.x.iter()
                .zip(&s.y)
                .map(|(&x, &y)| ((x - x_lo) / (x_hi - x_lo), fy(y)))
        })
    };
    let free = |right: bool, top: bool| {
        !points().any(|(fx, fy)| {
            let in_x = if right {
                fx > 1.0 - w_frac
            } else {
                fx < w_frac
            };
            let in_y = if top { fy > 1.0 - h_frac } else { fy < h_frac };
            in_x && in_y
        })
    };
    for (right, top, pos) in [
        (true, true, SeriesLabelPosition::UpperRight),
        (true, false, SeriesLabelPosition::LowerRight),
        (false, true, SeriesLabelPosition::UpperLeft),
        (false, false, SeriesLabelPosition::LowerLeft),
    ] {
        if free(right, top) {
            return (pos, y_hi);
        }
    }
    // Raise the top so the curves stay below the legend's box.
    let raised = if log {
        (y_lo.ln() + (y_hi.ln() - y_lo.ln()) / (1.0 - h_frac)).exp()
    } else {
        y_lo + (y_hi - y_lo) / (1.0 - h_frac)
    };
    (SeriesLabelPosition::UpperRight, raised)
}
