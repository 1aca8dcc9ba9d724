//! Figures a physicist reads: data against simulation with a ratio panel, ROC curves,
//! training curves, labelled scatter plots and histogram overlays, as PNG or SVG.
//!
//! Every figure is a plain-data spec in and one file out (`data_mc(path, &spec)`); the
//! format follows the file's extension. Plotting does no statistics: histograms arrive
//! binned ([`Hist1D`]), curves arrive as points. Text is drawn with DejaVu Sans compiled
//! into the binary (the `dejavu` crate), so no system font or fontconfig is needed.

mod data_mc;
#[cfg(test)]
mod figure_tests;
mod hist;
pub mod morph_extra;
mod overlay;
pub mod page;
mod plot;
mod roc;
mod scatter;
mod training;

pub use data_mc::{
    auto_ratio_range, data_mc, ratio_axis, tails_matter, DataMcPlot, Normalisation, RatioAxis,
};
pub use hist::{Hist1D, OutOfRange};
pub use morph_extra::{correlation_report, CorrelationInputs, CorrelationReport, SampleColumns};
pub use overlay::{histograms, HistOverlay, LabelledHist};
pub use page::{escape, write_before_after, Page};
pub use plot::{Format, PALETTE};
pub use roc::{roc, roc_y_title, RocCurve, RocPlot, RocY};
pub use scatter::{scatter, ScatterPlot, ScatterPoint, ScatterSeries};
pub use training::{training, training_curves, Panel, Series, TrainingPlot};
