//! Several weighted histograms on one set of axes, e.g. the classifier score of signal
//! and background: step outlines with a light fill and sqrt(sum w^2) error bars, either
//! as given or each normalised to unit area.

use std::path::Path;

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::hist::Hist1D;
use super::plot::{
    bad, colour, font, log_limits, render, tick, DrawResult, Figure, LABEL_PX, TICK_PX, TITLE_PX,
};
use crate::Result;

/// A histogram with its legend text.
#[derive(Debug, Clone)]
pub struct LabelledHist {
    pub label: String,
    pub hist: Hist1D,
}

/// Everything [`histograms`] draws.
#[derive(Debug, Clone)]
pub struct HistOverlay {
    pub hists: Vec<LabelledHist>,
    pub x_label: String,
    pub y_label: String,
    /// Scale each histogram to unit area (sum of weights 1) before drawing.
    pub normalise: bool,
    pub log_y: bool,
    pub title: Option<String>,
    pub size: (u32, u32),
}

impl HistOverlay {
    /// Defaults: as given, linear, y title "Events / bin", 800x600.
    pub fn new(hists: Vec<LabelledHist>, x_label: &str) -> Self {
        Self {
            hists,
            x_label: x_label.to_string(),
            y_label: "Events / bin".to_string(),
            normalise: false,
            log_y: false,
            title: None,
            size: (800, 600),
        }
    }
}

/// Writes the overlay to `path` (.png or .svg). Errors for no histograms, a malformed
/// or all-empty one, or one with total weight <= 0 when normalising. The histograms may
/// have different edges.
pub fn histograms(path: &Path, spec: &HistOverlay) -> Result<()> {
    if spec.hists.is_empty() {
        return Err(bad(path, "no histograms to draw"));
    }
    let mut hists = Vec::new();
    for h in &spec.hists {
        h.hist
            .check(&format!("{}: histogram `{}`", path.display(), h.label))?;
        if h.hist.is_empty() {
            return Err(bad(path, format!("histogram `{}` is empty", h.label)));
        }
        if spec.normalise {
            let t = h.hist.total();
            if !(t > 0.0) {
                return Err(bad(
                    path,
                    format!(
                        "histogram `{}` has total weight {t}; it cannot be normalised",
                        h.label
                    ),
                ));
            }
            hists.push(h.hist.scaled(1.0 / t));
        } else {
            hists.push(h.hist.clone());
        }
    }
    if spec.log_y && !hists.iter().any(|h| h.sum_w.iter().any(|&w| w > 0.0)) {
        return Err(bad(path, "log y axis but no bin is positive"));
    }
    render(path, &Fig { spec, hists })
}

struct Fig<'a> {
    spec: &'a HistOverlay,
    hists: Vec<Hist1D>,
}

impl Figure for Fig<'_> {
    fn size(&self) -> (u32, u32) {
        self.spec.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.spec;
        let x0 = self
            .hists
            .iter()
            .map(|h| h.edges[0])
            .fold(f64::INFINITY, f64::min);
        let x1 = self
            .hists
            .iter()
            .map(|h| h.edges[h.bins()])
            .fold(f64::NEG_INFINITY, f64::max);
        let mut values = Vec::new();
        for h in &self.hists {
            for i in 0..h.bins() {
                values.push(h.sum_w[i] + h.error(i));
                values.push(h.sum_w[i] - h.error(i));
            }
        }
        let mut b = ChartBuilder::on(root);
        b.margin(16)
            .margin_right(30)
            .set_label_area_size(LabelAreaPosition::Left, 100)
            .set_label_area_size(LabelAreaPosition::Bottom, 70);
        if let Some(t) = &s.title {
            b.caption(t, font(TITLE_PX));
        }
        if s.log_y {
            let (lo, hi) = log_limits(values.iter().copied(), 20.0).unwrap_or((0.1, 10.0));
            let mut chart = b.build_cartesian_2d(x0..x1, (lo..hi).log_scale())?;
            self.draw_hists(&mut chart, lo)
        } else {
            let lo = values.iter().copied().fold(0.0f64, f64::min);
            let hi = values.iter().copied().fold(0.0f64, f64::max);
            let (lo, hi) = if hi > lo {
                (lo - 0.02 * (hi - lo), hi + 0.3 * (hi - lo))
            } else {
                (0.0, 1.0)
            };
            let mut chart = b.build_cartesian_2d(x0..x1, lo..hi)?;
            self.draw_hists(&mut chart, lo.max(0.0).min(hi))
        }
    }
}

impl Fig<'_> {
    fn draw_hists<'a, DB, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
        base: f64,
    ) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let s = self.spec;
        let log = s.log_y;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .x_desc(s.x_label.as_str())
            .y_desc(s.y_label.as_str())
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()?;
        let y = |v: f64| if log { v.max(base) } else { v };
        for (k, (h, lh)) in self.hists.iter().zip(&s.hists).enumerate() {
            let col = colour(k);
            let fill = col.mix(0.15).filled();
            chart.draw_series(
                (0..h.bins())
                    .filter(|&i| !log || h.sum_w[i] > 0.0)
                    .map(|i| {
                        Rectangle::new([(h.edges[i], base), (h.edges[i + 1], h.sum_w[i])], fill)
                    }),
            )?;
            let mut pts = vec![(h.edges[0], base)];
            for i in 0..h.bins() {
                pts.push((h.edges[i], y(h.sum_w[i])));
                pts.push((h.edges[i + 1], y(h.sum_w[i])));
            }
            pts.push((h.edges[h.bins()], base));
            chart
                .draw_series(std::iter::once(PathElement::new(pts, col.stroke_width(3))))?
                .label(lh.label.as_str())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -7), (24, 7)], col.mix(0.15).filled())
                        + PathElement::new([(0, -7), (24, -7)], col.stroke_width(3))
                });
            let bars = (0..h.bins()).filter_map(|i| {
                let (c, e) = (h.sum_w[i], h.error(i));
                (e > 0.0 && (!log || c + e > 0.0)).then(|| {
                    PathElement::new(
                        [(h.centre(i), y(c - e)), (h.centre(i), c + e)],
                        col.stroke_width(2),
                    )
                })
            });
            chart.draw_series(bars)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(12)
            .legend_area_size(30)
            .label_font(font(TICK_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}
