//! Labelled scatter plots, e.g. AUC against KS distance over a sweep of the adaptation
//! strength lambda: points joined in the given order, each with its own text label and
//! optional error bars (mean +- standard deviation over repeated trainings).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::{
    bad, check_finite, colour, font, padded, render, tick, DrawResult, Figure, LABEL_PX, TICK_PX,
    TITLE_PX,
};
use crate::Result;

/// One point, with optional symmetric errors and a label drawn beside it.
#[derive(Debug, Clone, Default)]
pub struct ScatterPoint {
    pub x: f64,
    pub y: f64,
    pub x_err: Option<f64>,
    pub y_err: Option<f64>,
    pub label: Option<String>,
}

/// A named set of points; `connect` joins them with a line in the given order.
#[derive(Debug, Clone)]
pub struct ScatterSeries {
    pub label: String,
    pub points: Vec<ScatterPoint>,
    pub connect: bool,
}

/// Everything [`scatter`] draws.
#[derive(Debug, Clone)]
pub struct ScatterPlot {
    pub series: Vec<ScatterSeries>,
    pub x_label: String,
    pub y_label: String,
    pub title: Option<String>,
    pub size: (u32, u32),
}

impl ScatterPlot {
    /// Defaults: no title, 800x600.
    pub fn new(series: Vec<ScatterSeries>, x_label: &str, y_label: &str) -> Self {
        Self {
            series,
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            title: None,
            size: (800, 600),
        }
    }
}

/// Writes the scatter figure to `path` (.png or .svg). Errors for no points, and for
/// coordinates or errors that are not finite or errors below zero.
pub fn scatter(path: &Path, spec: &ScatterPlot) -> Result<()> {
    if spec.series.iter().all(|s| s.points.is_empty()) {
        return Err(bad(path, "no points to draw"));
    }
    for s in &spec.series {
        for (i, p) in s.points.iter().enumerate() {
            let what = format!("series `{}` point {i}", s.label);
            check_finite(path, &what, &[p.x, p.y])?;
            for e in [p.x_err, p.y_err].into_iter().flatten() {
                if !(e >= 0.0 && e.is_finite()) {
                    return Err(bad(path, format!("{what} has error {e}; errors are >= 0")));
                }
            }
        }
    }
    render(path, &Fig(spec))
}

struct Fig<'a>(&'a ScatterPlot);

impl Figure for Fig<'_> {
    fn size(&self) -> (u32, u32) {
        self.0.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.0;
        let pts = s.series.iter().flat_map(|s| &s.points);
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for p in pts {
            let (ex, ey) = (p.x_err.unwrap_or(0.0), p.y_err.unwrap_or(0.0));
            x0 = x0.min(p.x - ex);
            x1 = x1.max(p.x + ex);
            y0 = y0.min(p.y - ey);
            y1 = y1.max(p.y + ey);
        }
        // Room on the right for point labels and on top for the legend.
        let (x0, x1) = padded(x0, x1, 0.08);
        // room on the right for the longest point label (about 9 px per character on
        // a plot area of about 650 px)
        let longest = s
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter_map(|p| p.label.as_ref().map(|l| l.chars().count()))
            .max()
            .unwrap_or(0) as f64;
        let room = (0.1f64).max((longest * 9.0 / 650.0).min(0.6));
        let (x1, (y0, y1)) = (x1 + room * (x1 - x0), padded(y0, y1, 0.1));
        let y1 = y1 + 0.15 * (y1 - y0);
        let mut b = ChartBuilder::on(root);
        b.margin(16)
            .margin_right(30)
            .set_label_area_size(LabelAreaPosition::Left, 100)
            .set_label_area_size(LabelAreaPosition::Bottom, 70);
        if let Some(t) = &s.title {
            b.caption(t, font(TITLE_PX));
        }
        let mut chart = b.build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(s.x_label.as_str())
            .y_desc(s.y_label.as_str())
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(230, 230, 230))
            .x_labels(7)
            .y_labels(7)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()?;
        for (k, ser) in s.series.iter().enumerate() {
            let col = colour(k);
            if ser.connect {
                chart.draw_series(std::iter::once(PathElement::new(
                    ser.points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>(),
                    col.mix(0.7).stroke_width(2),
                )))?;
            }
            let mut bars = Vec::new();
            for p in &ser.points {
                if let Some(e) = p.x_err.filter(|e| *e > 0.0) {
                    bars.push(PathElement::new(
                        [(p.x - e, p.y), (p.x + e, p.y)],
                        col.stroke_width(2),
                    ));
                }
                if let Some(e) = p.y_err.filter(|e| *e > 0.0) {
                    bars.push(PathElement::new(
                        [(p.x, p.y - e), (p.x, p.y + e)],
                        col.stroke_width(2),
                    ));
                }
            }
            chart.draw_series(bars)?;
            chart
                .draw_series(
                    ser.points
                        .iter()
                        .map(|p| Circle::new((p.x, p.y), 6, col.filled())),
                )?
                .label(ser.label.as_str())
                .legend(move |(x, y)| Circle::new((x + 12, y), 6, col.filled()));
            let label_style = font(TICK_PX).color(&col);
            let labels = ser.points.iter().filter_map(|p| {
                p.label.as_ref().map(|l| {
                    EmptyElement::at((p.x, p.y))
                        + Text::new(l.clone(), (10, -(TICK_PX as i32) - 4), label_style.clone())
                })
            });
            chart.draw_series(labels)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(12)
            .legend_area_size(30)
            .label_font(font(TICK_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}
