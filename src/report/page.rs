//! The one HTML page builder: a title, an introductory paragraph, a metrics table and
//! figures with captions, in one self-contained page with a small inline style. The
//! `report` page of a trained model and the before/after pages of `reweight` and
//! `morph` are all built here, so they look alike and escape text the same way.

use std::path::Path;

use super::{data_mc, DataMcPlot};
use crate::output::write_atomically;
use crate::{Error, Result};

/// Text made safe inside HTML (the pages are built from config keys and file names).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What one page shows. `intro_html` is already HTML (the caller escapes what it
/// interpolates); every other string is text and escaped here.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The `<title>` of the page.
    pub title: &'a str,
    /// The `<h1>` heading.
    pub heading: &'a str,
    /// The paragraph under the heading.
    pub intro_html: &'a str,
    /// The metrics table's column names.
    pub header: &'a [&'a str],
    /// The metrics table's rows, one string per column.
    pub rows: &'a [Vec<String>],
    /// The figures: (file name relative to the page, caption).
    pub figures: &'a [(String, String)],
}

impl Page<'_> {
    /// The page as HTML.
    pub fn html(&self) -> String {
        let mut h = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n\
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}\
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:left}}\
figure{{margin:1.5em 0}}img{{max-width:100%;border:1px solid #eee}}figcaption{{color:#555}}</style>\n\
</head><body>\n<h1>{}</h1>\n<p>{}</p>\n<h2>Metrics</h2>\n<table><tr>",
            escape(self.title),
            escape(self.heading),
            self.intro_html
        );
        for c in self.header {
            h.push_str(&format!("<th>{}</th>", escape(c)));
        }
        h.push_str("</tr>\n");
        for r in self.rows {
            h.push_str("<tr>");
            for c in r {
                h.push_str(&format!("<td>{}</td>", escape(c)));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n<h2>Figures</h2>\n");
        for (file, caption) in self.figures {
            h.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
                escape(file),
                escape(caption),
                escape(caption)
            ));
        }
        h.push_str("</body></html>\n");
        h
    }

    /// Writes the page to `path` (atomically; an existing page is replaced).
    pub fn write(&self, path: &Path) -> Result<()> {
        let html = self.html();
        write_atomically(path, true, |w| {
            w.write_all(html.as_bytes()).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })
        })
    }
}

/// A before/after page (`reweight`, `morph`): draws each data/simulation figure into
/// `dir` (`<name>.png` or `.svg`), captions it with its metrics, and writes
/// `dir/index.html` with the metrics table.
pub fn write_before_after(
    dir: &Path,
    title: &str,
    intro_html: &str,
    header: &[&str],
    rows: &[Vec<String>],
    plots: &[(String, DataMcPlot)],
    svg: bool,
) -> Result<()> {
    // removed again if no figure or page is written into it
    let _dir = crate::output::NewDir::create(dir)?;
    let ext = if svg { "svg" } else { "png" };
    let mut figures = Vec::with_capacity(plots.len());
    for (name, plot) in plots {
        let file = format!("{name}.{ext}");
        data_mc(&dir.join(&file), plot)?;
        let caption = format!(
            "`{}`: data over simulation, before and after ({}).",
            plot.x_label,
            plot.metrics.join("; ")
        );
        figures.push((file, caption));
    }
    Page {
        title,
        heading: title,
        intro_html,
        header,
        rows,
        figures: &figures,
    }
    .write(&dir.join("index.html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_intro_html_is_kept() {
        let rows = vec![vec!["a<b".to_string(), "\"q\"".to_string()]];
        let figs = vec![("x&y.png".to_string(), "cap <1>".to_string())];
        let h = Page {
            title: "t&t",
            heading: "h",
            intro_html: "<code>kept</code>",
            header: &["k", "v"],
            rows: &rows,
            figures: &figs,
        }
        .html();
        assert!(h.contains("<title>t&amp;t</title>"));
        assert!(h.contains("<p><code>kept</code></p>"));
        assert!(h.contains("<tr><td>a&lt;b</td><td>&quot;q&quot;</td></tr>"));
        assert!(h.contains("<img src=\"x&amp;y.png\" alt=\"cap &lt;1&gt;\">"));
        assert!(h.ends_with("</body></html>\n"));
    }
}
