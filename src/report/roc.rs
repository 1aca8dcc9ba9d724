//! ROC curves: signal efficiency against background rejection (or efficiency), several
//! classifiers on one set of axes, each legend entry with its AUC.
//!
//! The curves arrive as points (e.g. from `metrics::roc_curve`); nothing is recomputed.
//! On a log axis points with zero background efficiency are left out.

use std::path::Path;

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::{
    bad, check_finite, colour, font, render, tick, DrawResult, Figure, LABEL_PX, TICK_PX, TITLE_PX,
};
use crate::Result;

/// One classifier's ROC curve: efficiencies in [0, 1], same length, in threshold order.
#[derive(Debug, Clone)]
pub struct RocCurve {
    pub label: String,
    pub signal_eff: Vec<f64>,
    pub background_eff: Vec<f64>,
    /// Shown in the legend as "label (AUC = 0.912)".
    pub auc: Option<f64>,
}

/// What the y axis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RocY {
    /// 1 - background efficiency.
    BackgroundRejection,
    /// Background efficiency (usually with `log_y`).
    BackgroundEfficiency,
    /// 1 / background efficiency, with `log_y`: what a physicist reads off at a
    /// working point (a background rejection factor of 100 at 80% signal efficiency).
    InverseBackgroundEfficiency,
}

/// Everything [`roc`] draws.
#[derive(Debug, Clone)]
pub struct RocPlot {
    pub curves: Vec<RocCurve>,
    pub y: RocY,
    pub log_y: bool,
    pub title: Option<String>,
    pub size: (u32, u32),
}

impl RocPlot {
    /// Defaults: background rejection, linear, 800x600.
    pub fn new(curves: Vec<RocCurve>) -> Self {
        Self {
            curves,
            y: RocY::BackgroundRejection,
            log_y: false,
            title: None,
            size: (800, 600),
        }
    }
}

/// Writes the ROC figure to `path` (.png or .svg). Errors for no curves, curves of
/// unequal length or with no points, and values that are not finite.
pub fn roc(path: &Path, spec: &RocPlot) -> Result<()> {
    if spec.curves.is_empty() {
        return Err(bad(path, "no ROC curves to draw"));
    }
    let mut positive = false;
    for c in &spec.curves {
        if c.signal_eff.is_empty() || c.signal_eff.len() != c.background_eff.len() {
            return Err(bad(
                path,
                format!(
                    "ROC curve `{}` has {} signal and {} background efficiencies; \
                     it needs the same number, at least one",
                    c.label,
                    c.signal_eff.len(),
                    c.background_eff.len()
                ),
            ));
        }
        check_finite(path, &format!("`{}` signal_eff", c.label), &c.signal_eff)?;
        check_finite(
            path,
            &format!("`{}` background_eff", c.label),
            &c.background_eff,
        )?;
        if let Some(a) = c.auc {
            check_finite(path, &format!("`{}` auc", c.label), &[a])?;
        }
        positive |= c.background_eff.iter().any(|&b| y_of(spec.y, b) > 0.0);
    }
    if spec.log_y && !positive {
        return Err(bad(path, "log y axis but no curve has a positive y value"));
    }
    render(path, &Fig(spec))
}

fn y_of(y: RocY, b: f64) -> f64 {
    match y {
        RocY::BackgroundRejection => 1.0 - b,
        RocY::BackgroundEfficiency => b,
        RocY::InverseBackgroundEfficiency => 1.0 / b,
    }
}

/// The y title of each kind of ROC figure.
pub fn roc_y_title(y: RocY) -> &'static str {
    match y {
        RocY::BackgroundRejection => "Background rejection",
        RocY::BackgroundEfficiency => "Background efficiency",
        RocY::InverseBackgroundEfficiency => "1 / background efficiency",
    }
}

struct Fig<'a>(&'a RocPlot);

impl Figure for Fig<'_> {
    fn size(&self) -> (u32, u32) {
        self.0.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.0;
        let mut b = ChartBuilder::on(root);
        b.margin(16)
            .margin_right(30)
            .set_label_area_size(LabelAreaPosition::Left, 100)
            .set_label_area_size(LabelAreaPosition::Bottom, 70);
        if let Some(t) = &s.title {
            b.caption(t, font(TITLE_PX));
        }
        if s.log_y {
            let ys = || {
                s.curves
                    .iter()
                    .flat_map(|c| c.background_eff.iter().map(|&v| y_of(s.y, v)))
                    .filter(|v| *v > 0.0 && v.is_finite())
            };
            let lo = ys().fold(1.0f64, f64::min);
            let hi = ys().fold(1.0f64, f64::max);
            let mut chart = b.build_cartesian_2d(0.0..1.0, (lo / 2.0..hi * 1.5).log_scale())?;
            self.curves(&mut chart, |v| v > 0.0 && v.is_finite())
        } else {
            let mut chart = b.build_cartesian_2d(0.0..1.0, 0.0..1.02)?;
            self.curves(&mut chart, |_| true)
        }
    }
}

impl Fig<'_> {
    fn curves<'a, DB, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
        keep: impl Fn(f64) -> bool,
    ) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let s = self.0;
        let y_desc = roc_y_title(s.y);
        chart
            .configure_mesh()
            .x_desc("Signal efficiency")
            .y_desc(y_desc)
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()?;
        // The classifier that guesses: background efficiency equals signal efficiency.
        // Evenly spaced, plus log-spaced near zero so the line reaches down a log axis.
        let mut grid: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
        grid.extend((1..=80).map(|k| 10f64.powf(-2.0 - k as f64 / 10.0)));
        grid.sort_by(f64::total_cmp);
        let guess: Vec<(f64, f64)> = grid
            .into_iter()
            .map(|e| (e, y_of(s.y, e)))
            .filter(|p| keep(p.1))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                guess,
                8,
                6,
                RGBColor(140, 140, 140).stroke_width(2),
            ))?
            .label("Random guess")
            .legend(|(x, y)| {
                PathElement::new(
                    [(x, y), (x + 24, y)],
                    RGBColor(140, 140, 140).stroke_width(2),
                )
            });
        for (k, c) in s.curves.iter().enumerate() {
            let pts: Vec<(f64, f64)> = c
                .signal_eff
                .iter()
                .zip(&c.background_eff)
                .map(|(&e, &b)| (e, y_of(s.y, b)))
                .filter(|p| keep(p.1))
                .collect();
            let label = match c.auc {
                Some(a) => format!("{} (AUC = {a:.3})", c.label),
                None => c.label.clone(),
            };
            let col = colour(k);
            chart
                .draw_series(LineSeries::new(pts, col.stroke_width(3)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], col.stroke_width(3)));
        }
        let pos = match (s.y, s.log_y) {
            (RocY::BackgroundRejection, _) => SeriesLabelPosition::LowerLeft,
            (RocY::BackgroundEfficiency, true) => SeriesLabelPosition::LowerRight,
            (RocY::BackgroundEfficiency, false) => SeriesLabelPosition::UpperLeft,
            (RocY::InverseBackgroundEfficiency, _) => SeriesLabelPosition::UpperRight,
        };
        chart
            .configure_series_labels()
            .position(pos)
            .margin(14)
            .legend_area_size(30)
            .label_font(font(TICK_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}
