//! Issue 17 item 11: what the figures compute, not their pixels: the ratio panel's range
//! follows the data (only outliers off scale), the log-y rule, the ROC's y title.

use super::*;
use crate::metrics::OutOfRange;

fn hist(edges: &[f64], values: &[f64]) -> Hist1D {
    Hist1D::fill(edges, values, &vec![1.0; values.len()], OutOfRange::Ignore).unwrap()
}

/// Before: the range was fixed at [0.6, 1.4] (then [0.5, 1.5]), so a ratio falling from
/// 3 to 0.2 across the control-region score drew every bin below 0.57 as an arrow.
#[test]
fn the_ratio_range_follows_the_data() {
    let edges: Vec<f64> = (0..=10).map(|i| i as f64).collect();
    let mut d = Hist1D::new(&edges).unwrap();
    let mut m = Hist1D::new(&edges).unwrap();
    for i in 0..10 {
        // data/sim ratio from 3.0 down to 0.3, small errors
        m.sum_w[i] = 1000.0;
        m.sum_w2[i] = 1000.0;
        d.sum_w[i] = 3000.0 * (1.0 - 0.09 * i as f64);
        d.sum_w2[i] = d.sum_w[i];
    }
    let (lo, hi) = auto_ratio_range(&d, &[&m]);
    for i in 0..10 {
        let (r, e) = (d.sum_w[i] / m.sum_w[i], d.error(i) / m.sum_w[i]);
        assert!(
            lo <= r - e && r + e <= hi,
            "bin {i}: {r} +- {e} outside [{lo}, {hi}]"
        );
    }
    assert!(hi < 3.6 && lo > 0.0, "[{lo}, {hi}] hugs the data");
    // one outlier among ratios near 1 stays off scale; the others set the range
    let mut d2 = m.clone();
    for i in 0..10 {
        d2.sum_w[i] = 1000.0 * (1.0 + 0.01 * (i as f64 - 5.0));
    }
    d2.sum_w[7] = 9000.0;
    let (lo, hi) = auto_ratio_range(&d2, &[&m]);
    assert!(hi < 9.0, "the outlier (ratio 9) is off scale: [{lo}, {hi}]");
    assert!(lo < 0.95 && hi > 1.04 && hi < 1.3, "[{lo}, {hi}]");
}

#[test]
fn log_y_when_tails_matter() {
    let edges: Vec<f64> = (0..=5).map(|i| i as f64).collect();
    let falling: Vec<f64> = (0..5)
        .flat_map(|i| std::iter::repeat_n(i as f64 + 0.5, 10usize.pow(4 - i as u32)))
        .collect();
    assert!(tails_matter(&hist(&edges, &falling)));
    let flat: Vec<f64> = (0..500).map(|i| (i % 5) as f64 + 0.5).collect();
    assert!(!tails_matter(&hist(&edges, &flat)));
}

#[test]
fn the_roc_reads_as_inverse_background_efficiency() {
    assert_eq!(
        roc_y_title(RocY::InverseBackgroundEfficiency),
        "1 / background efficiency"
    );
}

/// Before: ratios from 0.7 to 25 (a tail simulation misses) on a linear axis from 0 to
/// 28 squeezed every ratio near 1 onto the line at 1. Ratios spanning more than a
/// factor 8 get a log axis that holds every on-scale ratio; ratios near 1 stay linear.
#[test]
fn a_wide_ratio_range_is_logarithmic() {
    let edges: Vec<f64> = (0..=10).map(|i| i as f64).collect();
    let mut d = Hist1D::new(&edges).unwrap();
    let mut m = Hist1D::new(&edges).unwrap();
    for i in 0..10 {
        // data/sim from 0.7 rising smoothly to 0.7 * 1.5^9 = 27
        m.sum_w[i] = 1000.0;
        m.sum_w2[i] = 1000.0;
        d.sum_w[i] = 700.0 * 1.5f64.powi(i as i32);
        d.sum_w2[i] = d.sum_w[i];
    }
    let axis = ratio_axis(&d, &[&m]);
    assert!(axis.log, "{axis:?}");
    for i in 0..10 {
        let r = d.sum_w[i] / m.sum_w[i];
        assert!(axis.lo < r && r < axis.hi, "bin {i}: {r} outside {axis:?}");
    }
    assert!(axis.lo > 0.0 && axis.lo < 1.0 && axis.hi < 60.0, "{axis:?}");
    // the linear range is what auto_ratio_range reports
    assert_eq!(axis.linear_range(), auto_ratio_range(&d, &[&m]));
    let mut near_one = d.clone();
    for i in 0..10 {
        near_one.sum_w[i] = 1000.0 * (1.0 + 0.02 * (i as f64 - 5.0));
        near_one.sum_w2[i] = near_one.sum_w[i];
    }
    assert!(!ratio_axis(&near_one, &[&m]).log);
}
