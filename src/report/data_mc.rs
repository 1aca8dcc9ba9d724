//! Data against simulation with a ratio panel, the standard figure of a HEP analysis.
//!
//! Upper panel (70% of the height): the simulation as a filled histogram with its
//! statistical uncertainty sqrt(sum w^2) as a translucent band, an optional second
//! simulation (e.g. after a correction) as a line, and the data as black points with
//! sqrt(sum w^2) error bars. Lower panel: data / simulation per bin with the data's error,
//! the simulation's relative uncertainty as a band around 1, and a line at 1. Bins where
//! the simulation is not positive get no ratio; empty data bins get no point; negative
//! contents (sWeights) are drawn below zero on a linear axis and left out on a log axis.

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::hist::Hist1D;
use super::plot::{
    bad, colour, font, log_limits, render, text_box, tick, DrawResult, Figure, LABEL_PX, TICK_PX,
};
use super::ratio::{ratio_axis, RatioAxis};
use crate::Result;

/// How the simulation is scaled before drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// Simulation (and the second simulation) scaled to the data's total weight.
    ToData,
    /// Data and simulations each scaled to unit area (sum of weights 1).
    UnitArea,
    /// Drawn as given.
    AsGiven,
}

/// Everything [`data_mc`] draws. Build with [`DataMcPlot::new`] and change fields.
#[derive(Debug, Clone)]
pub struct DataMcPlot {
    pub data: Hist1D,
    pub simulation: Hist1D,
    /// A second simulation drawn as a line (e.g. after reweighting); same edges.
    pub corrected: Option<Hist1D>,
    pub data_label: String,
    pub simulation_label: String,
    pub corrected_label: String,
    /// x axis title with unit, e.g. "m(K pi) [MeV/c^2]".
    pub x_label: String,
    pub y_label: String,
    pub normalisation: Normalisation,
    pub log_y: bool,
    /// Horizontal error bars of half the bin width on the data points.
    pub x_error_bars: bool,
    /// Lines of the metrics box, e.g. "KS = 0.031", "chi2/ndf = 12.3/18".
    pub metrics: Vec<String>,
    /// y range of the ratio panel when `ratio_auto` is false.
    pub ratio_range: (f64, f64),
    /// The ratio panel's range follows the data ([`auto_ratio_range`]): every ratio
    /// with its error bar is on the scale except outliers, drawn as off-scale markers.
    pub ratio_auto: bool,
    pub title: Option<String>,
    pub size: (u32, u32),
}

impl DataMcPlot {
    /// Defaults: simulation normalised to data, linear y, x error bars, the ratio
    /// panel's range from the data, 800x700 pixels, y title "Weighted events / bin"
    /// (the bins hold sums of weights).
    pub fn new(data: Hist1D, simulation: Hist1D, x_label: &str) -> Self {
        Self {
            data,
            simulation,
            corrected: None,
            data_label: "Data".to_string(),
            simulation_label: "Simulation".to_string(),
            corrected_label: "Simulation (corrected)".to_string(),
            x_label: x_label.to_string(),
            y_label: "Weighted events / bin".to_string(),
            normalisation: Normalisation::ToData,
            log_y: false,
            x_error_bars: true,
            metrics: Vec::new(),
            ratio_range: (0.5, 1.5),
            ratio_auto: true,
            title: None,
            size: (800, 700),
        }
    }
}

/// Writes the data/simulation figure to `path` (.png or .svg). Errors for mismatched
/// edges, non-finite contents, an all-empty data histogram, a simulation whose total
/// weight is not positive when it must be normalised, or a bad ratio range.
pub fn data_mc(path: &Path, spec: &DataMcPlot) -> Result<()> {
    let p = path.display();
    spec.data.check(&format!("{p}: data histogram"))?;
    spec.simulation
        .check(&format!("{p}: simulation histogram"))?;
    let mut sims = vec![&spec.simulation];
    if let Some(c) = &spec.corrected {
        c.check(&format!("{p}: corrected simulation histogram"))?;
        sims.push(c);
    }
    for s in &sims {
        if s.edges != spec.data.edges {
            return Err(bad(
                path,
                "data and simulation histograms have different bin edges",
            ));
        }
    }
    if spec.data.is_empty() {
        return Err(bad(path, "the data histogram is empty (every bin is zero)"));
    }
    let (r_lo, r_hi) = spec.ratio_range;
    if !(r_lo.is_finite() && r_hi.is_finite() && r_lo < r_hi) {
        return Err(bad(
            path,
            format!("ratio range [{r_lo}, {r_hi}] is not an interval"),
        ));
    }
    let scale = |h: &Hist1D, to: f64, what: &str| -> Result<Hist1D> {
        let t = h.total();
        if !(t > 0.0) {
            return Err(bad(
                path,
                format!("{what} has total weight {t}; it cannot be normalised"),
            ));
        }
        Ok(h.scaled(to / t))
    };
    let (data, sim, corr) = match spec.normalisation {
        Normalisation::AsGiven => (
            spec.data.clone(),
            spec.simulation.clone(),
            spec.corrected.clone(),
        ),
        Normalisation::ToData => {
            let t = spec.data.total();
            (
                spec.data.clone(),
                scale(&spec.simulation, t, "the simulation")?,
                match &spec.corrected {
                    Some(c) => Some(scale(c, t, "the corrected simulation")?),
                    None => None,
                },
            )
        }
        Normalisation::UnitArea => (
            scale(&spec.data, 1.0, "the data")?,
            scale(&spec.simulation, 1.0, "the simulation")?,
            match &spec.corrected {
                Some(c) => Some(scale(c, 1.0, "the corrected simulation")?),
                None => None,
            },
        ),
    };
    let ratio = if spec.ratio_auto {
        let mut dens = vec![&sim];
        dens.extend(&corr);
        ratio_axis(&data, &dens)
    } else {
        RatioAxis::fixed(r_lo, r_hi)
    };
    render(
        path,
        &Fig {
            spec,
            data,
            sim,
            corr,
            ratio,
        },
    )
}

/// Whether a histogram's tails matter enough for a log y axis: its largest bin holds
/// more than 50 times its smallest nonzero bin (a falling spectrum, a score piled up
/// at 0 and 1). Bins with a content <= 0 are left out.
pub fn tails_matter(h: &Hist1D) -> bool {
    let pos = h.sum_w.iter().copied().filter(|&c| c > 0.0);
    let max = pos.clone().fold(0.0f64, f64::max);
    let min = pos.fold(f64::INFINITY, f64::min);
    max > 0.0 && max > 50.0 * min
}

struct Fig<'a> {
    spec: &'a DataMcPlot,
    data: Hist1D,
    sim: Hist1D,
    corr: Option<Hist1D>,
    /// The ratio panel's y axis.
    ratio: RatioAxis,
}

const SIM_FILL: RGBColor = RGBColor(160, 200, 232);
const Y_AREA: u32 = 100;

impl Figure for Fig<'_> {
    fn size(&self) -> (u32, u32) {
        self.spec.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.spec;
        let root = match &s.title {
            Some(t) => root.titled(t, font(super::plot::TITLE_PX))?,
            None => root.clone(),
        };
        let h = root.dim_in_pixel().1;
        let (upper, lower) = root.split_vertically((h as f64 * 0.70) as u32);
        let edges = &self.data.edges;
        let x_range = edges[0]..edges[edges.len() - 1];

        // Every value the upper panel must show, with errors.
        let mut values = Vec::new();
        for hst in [&self.data, &self.sim].into_iter().chain(&self.corr) {
            for i in 0..hst.bins() {
                values.push(hst.sum_w[i] + hst.error(i));
                values.push(hst.sum_w[i] - hst.error(i));
            }
        }
        if s.log_y {
            // from the bin contents (not content - error, which can be any tiny
            // positive number), at most 7 decades below the highest bin
            let contents = [&self.data, &self.sim]
                .into_iter()
                .chain(&self.corr)
                .flat_map(|h| h.sum_w.iter().copied());
            let (lo, hi) = log_limits(contents, 30.0).unwrap_or((0.1, 10.0));
            let lo = lo.max(hi / 30.0 * 1e-7);
            let hi = self.clear_of_boxes(&upper, lo, hi, true)?;
            let mut chart = upper_chart(&upper, x_range.clone(), (lo..hi).log_scale())?;
            self.draw_upper(&mut chart, lo)?;
        } else {
            let lo = values.iter().copied().fold(0.0f64, f64::min);
            let hi = values.iter().copied().fold(0.0f64, f64::max);
            // Headroom for the legend and the metrics box.
            let (lo, hi) = if hi > lo {
                (lo - 0.02 * (hi - lo), hi + 0.45 * (hi - lo))
            } else {
                (0.0, 1.0)
            };
            let hi = self.clear_of_boxes(&upper, lo, hi, false)?;
            let mut chart = upper_chart(&upper, x_range.clone(), lo..hi)?;
            self.draw_upper(&mut chart, lo.max(0.0).min(hi))?;
        }
        self.draw_ratio(&lower, x_range)
    }
}

/// The upper panel's chart over x and a linear or log y.
type Upper<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

fn upper_chart<'a, DB: DrawingBackend, Y: AsRangedCoord<Value = f64>>(
    area: &'a DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    y: Y,
) -> std::result::Result<Upper<'a, DB, Y::CoordDescType>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(area)
        .margin_top(12)
        .margin_left(16)
        .margin_right(24)
        .set_label_area_size(LabelAreaPosition::Left, Y_AREA)
        .set_label_area_size(LabelAreaPosition::Bottom, 0)
        .build_cartesian_2d(x, y)
}

/// The legend's and the metrics box's rows, in pixels (the text's size plus spacing).
const ROW_PX: f64 = TICK_PX as f64 + 6.0;

impl Fig<'_> {
    /// The top of the upper panel's y axis, raised from `hi` until no bin's content
    /// (with its error bar) reaches under the metrics box (top left) or the legend (top
    /// right): their sizes in pixels are estimated from their text, the bins under them
    /// must stay below their lower edge. `lo` is the bottom of the axis.
    fn clear_of_boxes<DB: DrawingBackend>(
        &self,
        upper: &DrawingArea<DB, Shift>,
        lo: f64,
        hi: f64,
        log: bool,
    ) -> std::result::Result<f64, DrawingAreaErrorKind<DB::ErrorType>> {
        let s = self.spec;
        let (w, h) = upper.dim_in_pixel();
        // the plotting area of `upper_chart`: margins and the y label area
        let plot_w = (w as f64 - 16.0 - 24.0 - Y_AREA as f64).max(1.0);
        let plot_h = (h as f64 - 12.0).max(1.0);
        let style = font(TICK_PX);
        let widest = |lines: &mut dyn Iterator<Item = &str>| {
            let mut m = 0.0f64;
            for l in lines {
                m = m.max(upper.estimate_text_size(l, &style)?.0 as f64);
            }
            Ok::<f64, DrawingAreaErrorKind<DB::ErrorType>>(m)
        };
        // (left, right, bottom) of each box in pixels of the plotting area
        let mut boxes = Vec::new();
        if !s.metrics.is_empty() {
            let bw = widest(&mut s.metrics.iter().map(String::as_str))? + 16.0;
            boxes.push((
                14.0,
                14.0 + bw,
                12.0 + ROW_PX * s.metrics.len() as f64 + 8.0,
            ));
        }
        let mut labels = vec![
            s.simulation_label.as_str(),
            "Sim. stat. unc.",
            s.data_label.as_str(),
        ];
        if self.corr.is_some() {
            labels.push(s.corrected_label.as_str());
        }
        let lw = widest(&mut labels.iter().copied())? + 30.0 + 24.0;
        boxes.push((
            plot_w - 12.0 - lw,
            plot_w - 12.0,
            12.0 + ROW_PX * labels.len() as f64 + 8.0,
        ));
        let edges = &self.data.edges;
        let (x0, x1) = (edges[0], edges[edges.len() - 1]);
        let px = |x: f64| (x - x0) / (x1 - x0) * plot_w;
        let mut top = hi;
        for (left, right, bottom) in boxes {
            // the highest point may sit a few pixels under the box's lower edge
            let free = 1.0 - (bottom + 6.0) / plot_h;
            if free <= 0.2 {
                continue; // a box this tall cannot be cleared; keep the axis
            }
            for i in 0..self.data.bins() {
                if px(edges[i + 1]) < left || px(edges[i]) > right {
                    continue;
                }
                for hst in [&self.data, &self.sim].into_iter().chain(&self.corr) {
                    let v = hst.sum_w[i] + hst.error(i);
                    if log {
                        if v > lo && v.is_finite() {
                            top = top.max(lo * (v / lo).powf(1.0 / free));
                        }
                    } else if v > lo && v.is_finite() {
                        top = top.max(lo + (v - lo) / free);
                    }
                }
            }
        }
        Ok(top)
    }

    fn draw_upper<'a, DB, Y>(
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
            .y_desc(s.y_label.as_str())
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .y_labels(6)
            .x_labels(8)
            .y_label_formatter(&tick)
            .x_label_formatter(&|_| String::new())
            .draw()?;
        let sim = &self.sim;
        let ok = |v: f64| !log || v > 0.0;
        // Simulation: filled bars from the base (0, or the axis bottom on a log scale).
        let bars = (0..sim.bins()).filter(|&i| ok(sim.sum_w[i])).map(|i| {
            Rectangle::new(
                [(sim.edges[i], base), (sim.edges[i + 1], sim.sum_w[i])],
                SIM_FILL.filled(),
            )
        });
        chart
            .draw_series(bars)?
            .label(s.simulation_label.as_str())
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], SIM_FILL.filled()));
        chart.draw_series(std::iter::once(PathElement::new(
            step_points(sim, base, log),
            colour(0).stroke_width(2),
        )))?;
        // Statistical band of the simulation.
        let band_colour = RGBAColor(40, 40, 40, 0.30);
        let band = (0..sim.bins()).filter_map(|i| {
            let (c, e) = (sim.sum_w[i], sim.error(i));
            let lo = if log { (c - e).max(base) } else { c - e };
            (ok(c + e) && e > 0.0).then(|| {
                Rectangle::new(
                    [(sim.edges[i], lo), (sim.edges[i + 1], c + e)],
                    band_colour.filled(),
                )
            })
        });
        chart
            .draw_series(band)?
            .label("Sim. stat. unc.")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 7), (x + 24, y + 7)], band_colour.filled())
            });
        if let Some(c) = &self.corr {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    step_points(c, base, log),
                    colour(1).stroke_width(3),
                )))?
                .label(s.corrected_label.as_str())
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour(1).stroke_width(3))
                });
        }
        // Data points with error bars; empty bins get no point.
        let d = &self.data;
        let mut elements: Vec<PathElement<(f64, f64)>> = Vec::new();
        let mut dots = Vec::new();
        for i in 0..d.bins() {
            let (c, e) = (d.sum_w[i], d.error(i));
            if (c == 0.0 && e == 0.0) || !ok(c) {
                continue;
            }
            let x = d.centre(i);
            let lo = if log { (c - e).max(base) } else { c - e };
            elements.push(PathElement::new(
                [(x, lo), (x, c + e)],
                BLACK.stroke_width(2),
            ));
            if s.x_error_bars {
                elements.push(PathElement::new(
                    [(d.edges[i], c), (d.edges[i + 1], c)],
                    BLACK.stroke_width(2),
                ));
            }
            dots.push(Circle::new((x, c), 4, BLACK.filled()));
        }
        chart.draw_series(elements)?;
        chart
            .draw_series(dots)?
            .label(s.data_label.as_str())
            .legend(|(x, y)| {
                EmptyElement::at((x + 12, y))
                    + Circle::new((0, 0), 4, BLACK.filled())
                    + PathElement::new([(0, -8), (0, 8)], BLACK.stroke_width(2))
                    + PathElement::new([(-10, 0), (10, 0)], BLACK.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(12)
            .legend_area_size(30)
            .label_font(font(TICK_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        let area = chart.plotting_area().strip_coord_spec();
        text_box(&area, (14, 12), &s.metrics)?;
        Ok(())
    }

    fn draw_ratio<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: std::ops::Range<f64>,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let RatioAxis { lo, hi, log, .. } = self.ratio;
        let builder = |area| {
            let mut b = ChartBuilder::on(area);
            b.margin_top(6)
                .margin_left(16)
                .margin_right(24)
                .margin_bottom(8)
                .set_label_area_size(LabelAreaPosition::Left, Y_AREA)
                .set_label_area_size(LabelAreaPosition::Bottom, 62);
            b
        };
        if log {
            let mut chart = builder(area).build_cartesian_2d(x.clone(), (lo..hi).log_scale())?;
            self.draw_ratio_in(&mut chart, x, (lo, hi))
        } else {
            let mut chart = builder(area).build_cartesian_2d(x.clone(), lo..hi)?;
            self.draw_ratio_in(&mut chart, x, (lo, hi))
        }
    }

    /// The ratio panel's contents on its chart, linear or log.
    fn draw_ratio_in<'a, DB, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
        x: std::ops::Range<f64>,
        (lo, hi): (f64, f64),
    ) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let s = self.spec;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .x_desc(s.x_label.as_str())
            .y_desc("Data / Sim.")
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .x_labels(8)
            .y_labels(5)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()?;
        let clamp = |v: f64| v.clamp(lo, hi);
        let sim = &self.sim;
        // Simulation's relative uncertainty around 1.
        let band = (0..sim.bins()).filter_map(|i| {
            let (c, e) = (sim.sum_w[i], sim.error(i));
            (c > 0.0).then(|| {
                let r = e / c;
                Rectangle::new(
                    [
                        (sim.edges[i], clamp(1.0 - r)),
                        (sim.edges[i + 1], clamp(1.0 + r)),
                    ],
                    RGBAColor(40, 40, 40, 0.30).filled(),
                )
            })
        });
        chart.draw_series(band)?;
        chart.draw_series(std::iter::once(PathElement::new(
            [(x.start, 1.0), (x.end, 1.0)],
            BLACK.stroke_width(1),
        )))?;
        let mut ratios = vec![(sim, BLACK)];
        if let Some(c) = &self.corr {
            ratios.push((c, colour(1)));
        }
        let d = &self.data;
        for (k, (den, col)) in ratios.into_iter().enumerate() {
            let mut lines = Vec::new();
            let mut dots = Vec::new();
            let mut arrows = Vec::new();
            for i in 0..d.bins() {
                let (c, e, m) = (d.sum_w[i], d.error(i), den.sum_w[i]);
                if (c == 0.0 && e == 0.0) || !(m > 0.0) {
                    continue;
                }
                // The second ratio is shifted by a sixth of the bin so both stay visible.
                let x = d.centre(i) + k as f64 * (d.edges[i + 1] - d.edges[i]) / 6.0;
                let (r, re) = (c / m, e / m);
                if r - re < hi && r + re > lo {
                    lines.push(PathElement::new(
                        [(x, clamp(r - re)), (x, clamp(r + re))],
                        col.stroke_width(2),
                    ));
                }
                if r > hi || r < lo {
                    // Off the scale: a triangle inside the panel, tip on the edge, pointing the way out.
                    let (y, dir) = if r > hi { (hi, 1) } else { (lo, -1) };
                    arrows.push(
                        EmptyElement::at((x, y))
                            + Polygon::new(
                                vec![(-6, 10 * dir), (6, 10 * dir), (0, 0)],
                                col.filled(),
                            ),
                    );
                } else {
                    dots.push(Circle::new((x, r), 4, col.filled()));
                }
            }
            chart.draw_series(lines)?;
            chart.draw_series(dots)?;
            chart.draw_series(arrows)?;
        }
        Ok(())
    }
}

/// The outline of `h` as a step line from the base at the left edge to the right edge.
fn step_points(h: &Hist1D, base: f64, log: bool) -> Vec<(f64, f64)> {
    let y = |v: f64| if log { v.max(base) } else { v };
    let mut pts = vec![(h.edges[0], base)];
    for i in 0..h.bins() {
        pts.push((h.edges[i], y(h.sum_w[i])));
        pts.push((h.edges[i + 1], y(h.sum_w[i])));
    }
    pts.push((h.edges[h.bins()], base));
    pts
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::backend::BitMapBackend;

    /// Before: the metrics box (top left) was drawn over a spike in the first bins (78%
    /// of the events at isolation 0): the axis's headroom did not know where the box
    /// was. Every bin under the box or the legend now ends below their lower edges, on
    /// a log and on a linear axis.
    #[test]
    fn the_metrics_box_and_legend_leave_the_bins_under_them_clear() {
        let edges: Vec<f64> = (0..=40).map(|i| i as f64).collect();
        let mut d = Hist1D::new(&edges).unwrap();
        for i in 0..40 {
            let c = if i == 0 {
                50_000.0
            } else if i == 39 {
                20_000.0
            } else {
                100.0 + 30.0 * i as f64
            };
            d.sum_w[i] = c;
            d.sum_w2[i] = c;
        }
        super::super::plot::register_font().unwrap();
        let mut spec = DataMcPlot::new(d.clone(), d.clone(), "x");
        spec.metrics = (0..6)
            .map(|k| format!("a metric line number {k}"))
            .collect();
        for log in [true, false] {
            spec.log_y = log;
            let fig = Fig {
                spec: &spec,
                data: d.clone(),
                sim: d.clone(),
                corr: None,
                ratio: ratio_axis(&d, &[&d]),
            };
            let mut buf = vec![0u8; 800 * 490 * 3];
            let area = BitMapBackend::with_buffer(&mut buf, (800, 490)).into_drawing_area();
            let (lo, hi0) = if log {
                (0.5, 50_000.0 * 30.0)
            } else {
                (0.0, 50_000.0 * 1.45)
            };
            let hi = fig.clear_of_boxes(&area, lo, hi0, log).unwrap();
            assert!(hi >= hi0);
            // the box: 6 rows from pixel 12; the legend: 3 rows; plot height 490 - 12
            let plot_h = 478.0;
            for (bin, rows) in [(0usize, 6.0), (39, 3.0)] {
                let bottom = 12.0 + 26.0 * rows + 8.0;
                let v = d.sum_w[bin] + d.error(bin);
                let frac = if log {
                    (v / lo).ln() / (hi / lo).ln()
                } else {
                    (v - lo) / (hi - lo)
                };
                assert!(
                    frac <= 1.0 - bottom / plot_h,
                    "log {log}: bin {bin} reaches {frac} of the height, under a box ending at {}",
                    bottom / plot_h
                );
            }
        }
    }
}
