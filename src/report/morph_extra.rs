//! The correlation part of a morph report: what a chained (conditional) correction is
//! for and a per-variable one cannot show. From the corrected variables of data,
//! simulation before and simulation after (with weights and the conditioning columns),
//! [`correlation_report`] computes
//!
//! - the weighted correlation matrices of the three samples and the differences
//!   data - before and data - after (with their largest |delta rho| and Frobenius norm),
//!   ([`crate::metrics::correlation::weighted_correlation`]);
//! - per variable and conditioning variable, the data/simulation KS and chi2/ndf in each
//!   conditioning bin, before and after
//!   ([`crate::metrics::correlation::conditional_agreement`]),
//!
//! and [`CorrelationReport::html`] renders them as one HTML fragment (tables coloured by
//! value, blue negative, red positive) to place inside a report page. The numbers are
//! serialisable, so the caller can also write them into its JSON.

use serde::Serialize;

use super::page::escape;
use crate::metrics::agreement::Agreement;
use crate::metrics::binning::{auto_edges, DEFAULT_BINS};
use crate::metrics::correlation::{
    conditional_agreement, matrix_distance, mean_ks, weighted_correlation, BinAgreement, CondSample,
};
use crate::{Error, Result};

/// One sample's columns: `vars[k]` the k-th corrected variable, `conds[c]` the c-th
/// conditioning variable, `w` the weights (all one value per event).
#[derive(Debug, Clone)]
pub struct SampleColumns<'a> {
    pub vars: Vec<&'a [f64]>,
    pub conds: Vec<&'a [f64]>,
    pub w: &'a [f64],
}

/// What [`correlation_report`] compares.
#[derive(Debug, Clone)]
pub struct CorrelationInputs<'a> {
    /// The corrected variables' names, in the columns' order.
    pub vars: &'a [String],
    /// The conditioning variables' names with their bin edges (at least two each).
    pub conds: &'a [(String, Vec<f64>)],
    pub data: SampleColumns<'a>,
    /// Simulation before and after the correction.
    pub before: SampleColumns<'a>,
    pub after: SampleColumns<'a>,
    /// The histogram edges of each variable for the chi2; None: [`auto_edges`] with
    /// [`DEFAULT_BINS`] over the pooled data and simulation-before values.
    pub x_edges: Option<&'a [Vec<f64>]>,
}

/// One variable in bins of one conditioning variable, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionalRow {
    pub var: String,
    pub cond: String,
    pub before: Vec<BinAgreement>,
    pub after: Vec<BinAgreement>,
    /// The mean over bins of the KS distance, before and after.
    pub mean_ks_before: Option<f64>,
    pub mean_ks_after: Option<f64>,
}

/// Every number of the fragment.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationReport {
    pub vars: Vec<String>,
    pub data: Vec<Vec<f64>>,
    pub before: Vec<Vec<f64>>,
    pub after: Vec<Vec<f64>>,
    /// max |rho_data - rho_mc| and the Frobenius norm of the difference.
    pub max_delta_before: f64,
    pub frobenius_before: f64,
    pub max_delta_after: f64,
    pub frobenius_after: f64,
    pub conditional: Vec<ConditionalRow>,
}

fn check_shape(s: &SampleColumns, what: &str, nv: usize, nc: usize) -> Result<()> {
    if s.vars.len() != nv || s.conds.len() != nc {
        return Err(Error::Usage(format!(
            "correlation report: the {what} sample has {} variables and {} conditioning \
             columns, expected {nv} and {nc}",
            s.vars.len(),
            s.conds.len()
        )));
    }
    Ok(())
}

/// The k-th variable against the c-th conditioning column of one sample.
fn cond_sample<'a>(s: &SampleColumns<'a>, k: usize, c: usize) -> CondSample<'a> {
    CondSample {
        x: s.vars[k],
        cond: s.conds[c],
        w: s.w,
    }
}

/// Computes the numbers of the fragment. Errors (`Error::Usage`): samples with another
/// number of columns than names; those of the metrics (lengths, non-finite values,
/// weights summing to <= 0, bad edges), naming the sample and variable.
pub fn correlation_report<'a>(inp: &CorrelationInputs<'a>) -> Result<CorrelationReport> {
    let (nv, nc) = (inp.vars.len(), inp.conds.len());
    for (s, what) in [
        (&inp.data, "data"),
        (&inp.before, "simulation (before)"),
        (&inp.after, "simulation (after)"),
    ] {
        check_shape(s, what, nv, nc)?;
    }
    let corr = |s: &SampleColumns, what: &str| {
        weighted_correlation(&s.vars, s.w)
            .map_err(|e| Error::Usage(format!("correlation report, {what}: {e}")))
    };
    let data = corr(&inp.data, "data")?;
    let before = corr(&inp.before, "simulation before")?;
    let after = corr(&inp.after, "simulation after")?;
    let (max_delta_before, frobenius_before) = matrix_distance(&data, &before).unwrap_or_default();
    let (max_delta_after, frobenius_after) = matrix_distance(&data, &after).unwrap_or_default();

    let mut conditional = Vec::with_capacity(nv * nc);
    for (k, var) in inp.vars.iter().enumerate() {
        let edges = match inp.x_edges {
            Some(e) => e.get(k).cloned().ok_or_else(|| {
                Error::Usage(format!(
                    "correlation report: no histogram edges for `{var}`"
                ))
            })?,
            None => auto_edges(&[inp.data.vars[k], inp.before.vars[k]], DEFAULT_BINS, None)?,
        };
        for (c, (cond, cond_edges)) in inp.conds.iter().enumerate() {
            let cs = |s: &SampleColumns<'a>| cond_sample(s, k, c);
            let ctx = |e: Error| Error::Usage(format!("correlation report, `{cond}`: {e}"));
            let before =
                conditional_agreement(var, cs(&inp.data), cs(&inp.before), cond_edges, &edges)
                    .map_err(ctx)?;
            let after =
                conditional_agreement(var, cs(&inp.data), cs(&inp.after), cond_edges, &edges)
                    .map_err(ctx)?;
            conditional.push(ConditionalRow {
                var: var.clone(),
                cond: cond.clone(),
                mean_ks_before: mean_ks(&before),
                mean_ks_after: mean_ks(&after),
                before,
                after,
            });
        }
    }
    Ok(CorrelationReport {
        vars: inp.vars.to_vec(),
        data,
        before,
        after,
        max_delta_before,
        frobenius_before,
        max_delta_after,
        frobenius_after,
        conditional,
    })
}

/// A background colour for `v` in [-1, 1]: white at 0, towards red for positive and
/// blue for negative values (saturating at |v| = `full`); grey for NaN.
fn cell_colour(v: f64, full: f64) -> String {
    if !v.is_finite() {
        return "#ddd".into();
    }
    let t = (v.abs() / full).min(1.0);
    let fade = |c: f64| (255.0 - t * (255.0 - c)).round() as u8;
    let (r, g, b) = if v >= 0.0 {
        (fade(214.0), fade(39.0), fade(40.0))
    } else {
        (fade(31.0), fade(119.0), fade(180.0))
    };
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn number(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:+.digits$}")
    } else {
        "n/a".into()
    }
}

/// One matrix as a coloured table, `full` the |value| of full colour.
fn matrix_table(title: &str, vars: &[String], m: &[Vec<f64>], full: f64) -> String {
    let mut h = format!(
        "<table class=\"rg-corr\"><caption>{}</caption><tr><th></th>",
        escape(title)
    );
    for v in vars {
        h.push_str(&format!("<th>{}</th>", escape(v)));
    }
    h.push_str("</tr>\n");
    for (v, row) in vars.iter().zip(m) {
        h.push_str(&format!("<tr><th>{}</th>", escape(v)));
        for &x in row {
            h.push_str(&format!(
                "<td style=\"background:{}\">{}</td>",
                cell_colour(x, full),
                number(x, 2)
            ));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    h
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |x| format!("{x:.digits$}"))
}

fn bin_cells(b: &BinAgreement) -> String {
    let chi2 = b.agreement.as_ref().and_then(Agreement::chi2_per_ndf);
    format!("<td>{}</td><td>{}</td>", opt(b.ks(), 4), opt(chi2, 2))
}

impl CorrelationReport {
    /// The fragment: a heading, the five matrices side by side, then per conditioning
    /// variable one table of KS and chi2/ndf per bin, before and after. Self-contained
    /// (its own small style block, class names prefixed `rg-`).
    pub fn html(&self) -> String {
        let mut h = String::from(
            "<div class=\"rg-morph-extra\">\n<style>.rg-corr{border-collapse:collapse;\
margin:0 1.5em 1em 0;display:inline-table}.rg-corr td,.rg-corr th{border:1px solid #ccc;\
padding:3px 7px;text-align:right;font-variant-numeric:tabular-nums}\
.rg-corr caption{font-weight:bold;text-align:left;padding-bottom:3px}\
.rg-corr th[colspan]{text-align:center}.rg-better,.rg-worse{white-space:nowrap}\
.rg-better{color:#1a7f37}.rg-worse{color:#b42318}</style>\n\
<h2>Correlations between the corrected variables</h2>\n",
        );
        h.push_str(&format!(
            "<p>Weighted Pearson correlations (signed weights). Data - simulation: largest \
             |&Delta;&rho;| {:.3} before, {:.3} after; Frobenius norm {:.3} before, {:.3} \
             after.</p>\n",
            self.max_delta_before,
            self.max_delta_after,
            self.frobenius_before,
            self.frobenius_after
        ));
        let diff = |a: &[Vec<f64>], b: &[Vec<f64>]| -> Vec<Vec<f64>> {
            a.iter()
                .zip(b)
                .map(|(r, s)| r.iter().zip(s).map(|(x, y)| x - y).collect())
                .collect()
        };
        h.push_str(&matrix_table("data", &self.vars, &self.data, 1.0));
        h.push_str(&matrix_table(
            "simulation before",
            &self.vars,
            &self.before,
            1.0,
        ));
        h.push_str(&matrix_table(
            "simulation after",
            &self.vars,
            &self.after,
            1.0,
        ));
        h.push_str("<br>\n");
        let d_before = diff(&self.data, &self.before);
        let d_after = diff(&self.data, &self.after);
        // differences coloured on their own scale: full colour at the largest |delta|
        let full = self.max_delta_before.max(self.max_delta_after).max(0.05);
        h.push_str(&matrix_table("data - before", &self.vars, &d_before, full));
        h.push_str(&matrix_table("data - after", &self.vars, &d_after, full));
        h.push_str(&self.conditional_html());
        h.push_str("</div>\n");
        h
    }

    fn conditional_html(&self) -> String {
        let mut h = String::from(
            "<h2>Agreement in bins of the conditioning variables</h2>\n<p>Data against \
             simulation in each bin: weighted KS distance and chi2/ndf of the normalised \
             histograms, before and after; the mean KS over the bins in green where it \
             went down, red where it went up.</p>\n",
        );
        // each conditioning variable once, in order of first appearance (the rows go
        // variable by variable, so a plain dedup would repeat every table per variable)
        let mut conds: Vec<&str> = Vec::new();
        for r in &self.conditional {
            if !conds.contains(&r.cond.as_str()) {
                conds.push(r.cond.as_str());
            }
        }
        for cond in conds {
            let rows: Vec<&ConditionalRow> =
                self.conditional.iter().filter(|r| r.cond == cond).collect();
            let Some(first) = rows.first() else { continue };
            h.push_str(&format!(
                "<table class=\"rg-corr\"><caption>in bins of {}</caption>\n<tr><th rowspan=\"2\">variable</th><th rowspan=\"2\">mean KS before &rarr; after</th>",
                escape(cond)
            ));
            for b in &first.before {
                h.push_str(&format!(
                    "<th colspan=\"4\">[{}, {}]</th>",
                    short(b.lo),
                    short(b.hi)
                ));
            }
            h.push_str("</tr>\n<tr>");
            for _ in &first.before {
                h.push_str("<th>KS before</th><th>&chi;&sup2;/ndf before</th><th>KS after</th><th>&chi;&sup2;/ndf after</th>");
            }
            h.push_str("</tr>\n");
            for r in rows {
                let class = match (r.mean_ks_before, r.mean_ks_after) {
                    (Some(b), Some(a)) if a < b => "rg-better",
                    (Some(b), Some(a)) if a > b => "rg-worse",
                    _ => "",
                };
                h.push_str(&format!(
                    "<tr><th>{}</th><td class=\"{class}\">{} &rarr; {}</td>",
                    escape(&r.var),
                    opt(r.mean_ks_before, 4),
                    opt(r.mean_ks_after, 4)
                ));
                for (b, a) in r.before.iter().zip(&r.after) {
                    h.push_str(&bin_cells(b));
                    h.push_str(&bin_cells(a));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        }
        h
    }
}

/// A bin edge: up to 3 decimals, trailing zeros dropped.
fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        // a, b correlated in "data"; c the conditioning variable
        let n = 400;
        let c: Vec<f64> = (0..n).map(|i| (i % 20) as f64 / 10.0).collect();
        let a: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 101.0).collect();
        let b: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| x + ((i * 53) % 89) as f64 / 89.0)
            .collect();
        let b_shuffled: Vec<f64> = (0..n).map(|i| b[(i * 7) % n]).collect();
        (a, b, b_shuffled, c)
    }

    /// Before: with two variables and two conditioning variables the rows came variable
    /// by variable (a-c, a-d, b-c, b-d) and each conditioning table was written twice.
    #[test]
    fn each_conditioning_table_once() {
        let (a, b, _, c) = toy();
        let w = vec![1.0; a.len()];
        let vars = vec!["a".to_string(), "b".to_string()];
        let conds = vec![
            ("c".to_string(), vec![0.0, 1.0, 2.0]),
            ("d".to_string(), vec![0.0, 1.0, 2.0]),
        ];
        let s = SampleColumns {
            vars: vec![&a, &b],
            conds: vec![&c, &c],
            w: &w,
        };
        let r = correlation_report(&CorrelationInputs {
            vars: &vars,
            conds: &conds,
            data: s.clone(),
            before: s.clone(),
            after: s,
            x_edges: None,
        })
        .unwrap();
        assert_eq!(r.conditional.len(), 4);
        let h = r.html();
        for cap in [
            "<caption>in bins of c</caption>",
            "<caption>in bins of d</caption>",
        ] {
            assert_eq!(h.matches(cap).count(), 1, "{cap}");
        }
    }

    #[test]
    fn report_numbers_and_fragment() {
        let (a, b, b_shuffled, c) = toy();
        let w = vec![1.0; a.len()];
        let vars = vec!["a".to_string(), "b<1>".to_string()];
        let conds = vec![("c".to_string(), vec![0.0, 1.0, 2.0])];
        let data = SampleColumns {
            vars: vec![&a, &b],
            conds: vec![&c],
            w: &w,
        };
        let before = SampleColumns {
            vars: vec![&a, &b_shuffled],
            conds: vec![&c],
            w: &w,
        };
        let r = correlation_report(&CorrelationInputs {
            vars: &vars,
            conds: &conds,
            data: data.clone(),
            before,
            after: data,
            x_edges: None,
        })
        .unwrap();
        // after == data: no difference; before: the correlation is broken by the shuffle
        assert_eq!(r.max_delta_after, 0.0);
        assert_eq!(r.frobenius_after, 0.0);
        let want = (r.data[0][1] - r.before[0][1]).abs();
        assert!(want > 0.3, "{want}");
        assert_eq!(r.max_delta_before, want);
        assert_eq!(r.conditional.len(), 2);
        assert_eq!(r.conditional[0].after[0].ks(), Some(0.0));
        assert_eq!(r.conditional[1].mean_ks_after, Some(0.0));
        let h = r.html();
        assert!(h.contains("<caption>data - after</caption>"));
        assert!(h.contains("b&lt;1&gt;"), "names are escaped");
        assert!(h.contains("<th colspan=\"4\">[0, 1]</th>"));
        assert!(h.contains("rg-better"));
        assert!(h.starts_with("<div") && h.ends_with("</div>\n"));
    }

    fn cols(v: &[Vec<f64>]) -> Vec<&[f64]> {
        v.iter().map(|c| c.as_slice()).collect()
    }

    fn toy_column(f: &crate::samples::SampleFile, name: &str) -> Vec<f64> {
        let c = f.columns.iter().find(|c| c.name == name).unwrap();
        match &c.data {
            crate::root::write::FriendData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            crate::root::write::FriendData::F64(v) => v.clone(),
            _ => panic!("{name}"),
        }
    }

    // The morph toy with an "after" made by a positive affine map per variable (each
    // simulated variable moved to data's weighted mean and standard deviation): Pearson
    // correlations are invariant under such maps, so the data - after differences must
    // equal data - before (to rounding), while the marginal KS gets smaller. With
    // ROOTGRAD_FRAGMENT_HTML=PATH the fragment is written there, to look at.
    #[test]
    fn affine_per_variable_map_leaves_the_correlation_wrong() {
        let files = crate::samples::morph_toy::generate(20_000, 3);
        let (d, m) = (&files[0], &files[1]);
        let names: Vec<String> = ["r9", "sieie", "sipip", "iso", "hoe", "etaw"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let dv: Vec<Vec<f64>> = names.iter().map(|n| toy_column(d, n)).collect();
        let mv: Vec<Vec<f64>> = names.iter().map(|n| toy_column(m, n)).collect();
        let wd = vec![1.0; dv[0].len()];
        let wm = toy_column(m, "genWeight");
        let moments = |x: &[f64], w: &[f64]| {
            let sw: f64 = w.iter().sum();
            let mean = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
            let var = x
                .iter()
                .zip(w)
                .map(|(a, b)| b * (a - mean).powi(2))
                .sum::<f64>()
                / sw;
            (mean, var.sqrt())
        };
        let after: Vec<Vec<f64>> = dv
            .iter()
            .zip(&mv)
            .map(|(x_d, x_m)| {
                let ((md, sd), (mm, sm)) = (moments(x_d, &wd), moments(x_m, &wm));
                x_m.iter().map(|x| md + (x - mm) * sd / sm).collect()
            })
            .collect();
        let abs_eta = |f| -> Vec<f64> { toy_column(f, "eta").iter().map(|e| e.abs()).collect() };
        let (cd, cm) = (
            [toy_column(d, "pt"), abs_eta(d), toy_column(d, "rho")],
            [toy_column(m, "pt"), abs_eta(m), toy_column(m, "rho")],
        );
        let conds = vec![
            ("pt".to_string(), vec![25.0, 35.0, 50.0, 80.0, 1000.0]),
            ("abs(eta)".to_string(), vec![0.0, 0.8, 1.4442, 2.0, 2.5]),
            ("rho".to_string(), vec![0.0, 24.0, 30.0, 36.0, 100.0]),
        ];
        let r = correlation_report(&CorrelationInputs {
            vars: &names,
            conds: &conds,
            data: SampleColumns {
                vars: cols(&dv),
                conds: cols(&cd),
                w: &wd,
            },
            before: SampleColumns {
                vars: cols(&mv),
                conds: cols(&cm),
                w: &wm,
            },
            after: SampleColumns {
                vars: cols(&after),
                conds: cols(&cm),
                w: &wm,
            },
            x_edges: None,
        })
        .unwrap();
        // sieie-sipip: 0.6 in data, 0.2 in simulation (samples/README.md, C)
        let gap = r.data[1][2] - r.before[1][2];
        assert!((gap - 0.4).abs() < 0.05, "{gap}");
        assert!((r.max_delta_after - r.max_delta_before).abs() < 1e-9);
        assert!((r.frobenius_after - r.frobenius_before).abs() < 1e-9);
        let ks = |i: usize| {
            (
                r.conditional[i].mean_ks_before.unwrap(),
                r.conditional[i].mean_ks_after.unwrap(),
            )
        };
        // sieie in bins of pt (row 1 * 3 conds + 0): the shift is fixed
        let (b, a) = ks(3);
        assert!(a < 0.5 * b, "sieie mean KS {b} -> {a}");
        if let Ok(path) = std::env::var("ROOTGRAD_FRAGMENT_HTML") {
            let page = format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{}</body></html>",
                r.html()
            );
            std::fs::write(path, page).unwrap();
        }
    }

    #[test]
    fn wrong_column_count_is_a_usage_error() {
        let (a, _, _, c) = toy();
        let w = vec![1.0; a.len()];
        let vars = vec!["a".to_string(), "b".to_string()];
        let s = SampleColumns {
            vars: vec![&a],
            conds: vec![&c],
            w: &w,
        };
        let e = correlation_report(&CorrelationInputs {
            vars: &vars,
            conds: &[("c".to_string(), vec![0.0, 2.0])],
            data: s.clone(),
            before: s.clone(),
            after: s,
            x_edges: None,
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("data sample has 1 variables"), "{e}");
    }

    #[test]
    fn colours() {
        assert_eq!(cell_colour(0.0, 1.0), "#ffffff");
        assert_eq!(cell_colour(1.0, 1.0), "#d62728");
        assert_eq!(cell_colour(-2.0, 1.0), "#1f77b4");
        assert_eq!(cell_colour(f64::NAN, 1.0), "#ddd");
    }
}
