//! The values of a few expressions of one sample, in f64, for the commands that judge a
//! variable (`agreement`, `roc`, `flatness`, `demo`, `morph`): read with [`load`] as a
//! training sample would be (cut, weight, friends, negative-weight policy), then taken
//! column by column.

use crate::config::SampleSpec;
use crate::data::{load, Sample, Wanted};
use crate::expr::Expr;
use crate::progress::Progress;
use crate::Result;

/// Reads the values of `vars` (f64, one column per expression, row-major) and the
/// weights of a sample.
pub fn read(spec: &SampleSpec, vars: &[Expr], progress: &Progress) -> Result<Sample> {
    load(
        spec,
        &Wanted {
            features: vars,
            fold: None,
            mass: None,
            f64: true,
        },
        progress,
    )
}

/// Column `j` of a sample read with [`read`].
pub fn column(s: &Sample, j: usize) -> Vec<f64> {
    s.x64.iter().skip(j).step_by(s.width).copied().collect()
}
