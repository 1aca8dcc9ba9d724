//! The ratio panel's y axis of the data/simulation figure ([`super::data_mc`]): which
//! ratios set its range (lone spikes are drawn off scale, huge error bars clipped), and
//! when it is logarithmic.

use super::hist::Hist1D;

/// The ratio panel's range for `data` over each of `dens` (as drawn: after
/// normalisation): from the lowest to the highest ratio -+ its error over the bins that
/// are not outliers (an error bar more than 3 times the typical one is clipped rather
/// than widening the range), with 1 always inside and 8% padding. A ratio is an outlier
/// when it jumps away from every neighbouring bin's ratio by more than 5 times the
/// larger of the typical step between neighbours and the two error bars: a lone spike,
/// not a trend (a ratio that rises smoothly to 100 sets the range). Only outliers are
/// drawn as off-scale markers. Bins with no data or a denominator <= 0 are left out;
/// with no ratio at all, [0.5, 1.5].
pub fn auto_ratio_range(data: &Hist1D, dens: &[&Hist1D]) -> (f64, f64) {
    ratio_axis(data, dens).linear_range()
}

/// The ratio panel's y axis: [`auto_ratio_range`]'s range on a linear axis, or a log
/// axis when the ratios drawn on the scale span more than [`RATIO_LOG_SPAN`] (a factor
/// of 8 between the lowest and highest ratio, 1 included) and are all positive: on a
/// linear axis from 0 to 25 the ratios near 1 would be squeezed into one line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioAxis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// [`auto_ratio_range`]'s linear range, kept for the linear case and for tests.
    linear: (f64, f64),
}

/// Above this factor between the highest and lowest ratio on the scale, the ratio
/// panel's axis is logarithmic.
pub const RATIO_LOG_SPAN: f64 = 8.0;

impl RatioAxis {
    /// A linear axis from `lo` to `hi` (a range the caller fixed).
    pub fn fixed(lo: f64, hi: f64) -> RatioAxis {
        RatioAxis {
            lo,
            hi,
            log: false,
            linear: (lo, hi),
        }
    }

    pub fn linear_range(&self) -> (f64, f64) {
        self.linear
    }
}

/// The ratio panel's axis for `data` over each of `dens` (see [`auto_ratio_range`] for
/// which ratios set it, and [`RatioAxis`] for when it is logarithmic). On a log axis
/// the range is set by the ratios themselves (error bars that reach 0 or below are cut
/// at the axis), with a quarter of a decade of padding at each end.
pub fn ratio_axis(data: &Hist1D, dens: &[&Hist1D]) -> RatioAxis {
    let kept = on_scale_ratios(data, dens);
    if kept.is_empty() {
        return RatioAxis {
            lo: 0.5,
            hi: 1.5,
            log: false,
            linear: (0.5, 1.5),
        };
    }
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    let (mut r_min, mut r_max) = (1.0f64, 1.0f64);
    for &(r, e) in &kept {
        lo = lo.min(r - e);
        hi = hi.max(r + e);
        r_min = r_min.min(r);
        r_max = r_max.max(r);
    }
    let pad = 0.08 * (hi - lo).max(0.02);
    let linear = (lo - pad, hi + pad);
    if r_min > 0.0 && r_max / r_min > RATIO_LOG_SPAN {
        let f = 10f64.powf(0.25);
        RatioAxis {
            lo: r_min / f,
            hi: r_max * f,
            log: true,
            linear,
        }
    } else {
        RatioAxis {
            lo: linear.0,
            hi: linear.1,
            log: false,
            linear,
        }
    }
}

/// The ratios (value, error as it sets the range) that are drawn on the scale: every
/// ratio but the lone spikes, with error bars more than 3 times the typical one
/// counted as 0 (they are clipped rather than widening the range).
fn on_scale_ratios(data: &Hist1D, dens: &[&Hist1D]) -> Vec<(f64, f64)> {
    let median = |mut v: Vec<f64>| {
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    };
    let mut kept = Vec::new();
    for den in dens {
        // the ratios of this denominator, in bin order
        let mut pts = Vec::new();
        for i in 0..data.bins().min(den.bins()) {
            let (c, e, m) = (data.sum_w[i], data.error(i), den.sum_w[i]);
            if (c == 0.0 && e == 0.0) || m.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let (r, re) = (c / m, e / m);
            if r.is_finite() && re.is_finite() {
                pts.push((r, re));
            }
        }
        let step = median(pts.windows(2).map(|w| (w[1].0 - w[0].0).abs()).collect());
        let med_err = median(pts.iter().map(|p| p.1).collect());
        for k in 0..pts.len() {
            let (r, re) = pts[k];
            let far = |n: usize| {
                let (rn, en) = pts[n];
                (r - rn).abs() > 5.0 * step.max(re).max(en)
            };
            let neighbours: Vec<usize> = [k.checked_sub(1), Some(k + 1)]
                .into_iter()
                .flatten()
                .filter(|&n| n < pts.len())
                .collect();
            if !neighbours.is_empty() && neighbours.iter().all(|&n| far(n)) {
                continue; // a lone spike: drawn off scale
            }
            let e = if re <= 3.0 * med_err.max(step) {
                re
            } else {
                0.0
            };
            kept.push((r, e));
        }
    }
    kept
}
