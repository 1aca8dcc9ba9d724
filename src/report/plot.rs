//! What every figure shares: the output format from the file's extension, the embedded
//! font, the house style (sizes, palette) and the atomic write of the finished file.
//!
//! A figure implements [`Figure`] once, generically over the plotters backend, and
//! [`render`] draws it into memory (RGB buffer or SVG string) and only then writes the
//! file, to a temporary name in the same folder renamed into place, so a failed figure
//! leaves nothing behind.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Error, Result};

/// The result type of drawing code: plotters' errors, boxed.
pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Okabe-Ito colours, distinguishable with the common colour-vision deficiencies:
/// blue, orange, bluish green, vermillion, sky blue, reddish purple, yellow, black.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// The colour of series `i`, cycling through [`PALETTE`].
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Font family name the embedded font is registered under.
pub(crate) const FAMILY: &str = "sans-serif";
// plotters' font size is the glyph box height: the em (what SVG's font-size says) is
// size / 1.24, so 20 here is a 16 px font.
/// Axis titles (19 px em).
pub(crate) const LABEL_PX: u32 = 24;
/// Tick labels, legend and text boxes (16 px em).
pub(crate) const TICK_PX: u32 = 20;
/// Figure titles (21 px em).
pub(crate) const TITLE_PX: u32 = 26;

pub(crate) fn font(px: u32) -> TextStyle<'static> {
    (FAMILY, px).into_font().color(&BLACK)
}

/// The two file formats, chosen by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// `.png` or `.svg` (any case); any other extension is an error naming it.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            "" => Err(Error::Usage(format!(
                "{}: no file extension; name the figure .png or .svg",
                path.display()
            ))),
            other => Err(Error::Usage(format!(
                "{}: unknown figure format `.{other}`; use .png or .svg",
                path.display()
            ))),
        }
    }
}

/// A figure: its pixel size and how to draw it on any plotters backend.
pub(crate) trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Registers DejaVu Sans with plotters once per process.
pub(crate) fn register_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(
            "the embedded DejaVu Sans font could not be read".to_string(),
        ))
    }
}

/// Draws `fig` in the format of `path`'s extension and writes it atomically. A figure of
/// zero width or height is an error; an existing file is replaced.
pub(crate) fn render(path: &Path, fig: &impl Figure) -> Result<()> {
    let format = Format::from_path(path)?;
    let (w, h) = fig.size();
    if w < 100 || h < 100 || w > 20_000 || h > 20_000 {
        return Err(Error::Usage(format!(
            "{}: figure size {w}x{h} pixels; use 100 to 20000 in each direction",
            path.display()
        )));
    }
    register_font()?;
    let failed = |e: Box<dyn std::error::Error>| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("drawing the figure failed: {e}")),
    };
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                root.fill(&WHITE).map_err(|e| failed(e.into()))?;
                fig.draw(&root).map_err(failed)?;
                root.present().map_err(|e| failed(e.into()))?;
            }
            svg.into_bytes()
        }
        Format::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                root.fill(&WHITE).map_err(|e| failed(e.into()))?;
                fig.draw(&root).map_err(failed)?;
                root.present().map_err(|e| failed(e.into()))?;
            }
            encode_png(&rgb, w, h).map_err(|e| failed(e.into()))?
        }
    };
    crate::output::write_atomically(path, true, |out| {
        std::io::Write::write_all(out, &bytes).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(rgb, w, h, image::ColorType::Rgb8)?;
    Ok(out)
}

/// Checks that every value is finite; `what` names them in the error.
pub(crate) fn check_finite(path: &Path, what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::Usage(format!(
            "{}: {what}[{i}] is {}; plots need finite numbers",
            path.display(),
            values[i]
        ))),
    }
}

/// A usage error about the figure at `path`.
pub(crate) fn bad(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {msg}", path.display()))
}

/// `[lo, hi]` widened by `frac` of its span on each side; a zero span becomes +-0.5.
pub(crate) fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if hi > lo {
        let pad = (hi - lo) * frac;
        (lo - pad, hi + pad)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Lower and upper limits of a log axis holding the positive `values`, with headroom
/// `top` (a factor) above; `None` when no value is positive.
pub(crate) fn log_limits(values: impl Iterator<Item = f64>, top: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (hi > 0.0).then(|| (lo / 2.0, (hi * top).max(lo * 10.0)))
}

/// Tick label text: short, no float noise (0.30000000000000004 prints as 0.3).
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        // Shortest exact form: 1e-4, 2.5e-5.
        return format!("{v:e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Draws a framed box of text lines with its top-left corner at pixel `(x, y)` of
/// `area`. Nothing is drawn for no lines.
pub(crate) fn text_box<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    lines: &[String],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if lines.is_empty() {
        return Ok(());
    }
    let style = font(TICK_PX);
    let mut width = 0;
    for l in lines {
        let (tw, _) = area.estimate_text_size(l, &style)?;
        width = width.max(tw as i32);
    }
    let line_h = TICK_PX as i32 + 6;
    let h = line_h * lines.len() as i32 + 8;
    area.draw(&Rectangle::new(
        [(x, y), (x + width + 16, y + h)],
        WHITE.mix(0.85).filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x, y), (x + width + 16, y + h)],
        BLACK.stroke_width(1),
    ))?;
    for (i, l) in lines.iter().enumerate() {
        area.draw(&Text::new(
            l.clone(),
            (x + 8, y + 6 + i as i32 * line_h),
            style.clone(),
        ))?;
    }
    Ok(())
}
