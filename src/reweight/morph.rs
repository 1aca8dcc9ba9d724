//! The quantile morphing applied to the simulation chain: every entry's value of each
//! variable mapped by T(x) = Q_data(F_mc(x)) ([`super::cdf::morph`]), read chunk by chunk
//! ([`crate::data::chunks`]). A NaN or infinite value gives NaN.

use crate::data::chunks::{chunk_plan, read_ahead, ChunkSize};
use crate::expr::Expr;
use crate::progress::Progress;
use crate::root::Chain;
use crate::Result;

use super::cdf::{morph, WeightedCdf};

/// The morphed values of `vars` for every entry of `chain`, one column per variable;
/// `cdfs[j]` is variable j's (simulation, data) CDF pair.
pub fn morph_chain(
    chain: &Chain,
    vars: &[Expr],
    cdfs: &[(WeightedCdf, WeightedCdf)],
    progress: &Progress,
) -> Result<Vec<Vec<f64>>> {
    let exprs: Vec<&Expr> = vars.iter().collect();
    let total = chain.entries();
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(total as usize); vars.len()];
    let bar = progress.bar(total, "entries", "morphing");
    let ranges = chunk_plan(chain, &exprs, ChunkSize::SCORE);
    read_ahead(chain, &exprs, ranges, |read| -> Result<()> {
        while let Some(cols) = read() {
            let cols = cols?;
            for ((e, (fm, fd)), out) in vars.iter().zip(cdfs).zip(&mut values) {
                out.extend(cols.eval(e)?.iter().map(|&x| {
                    if x.is_finite() {
                        morph(fm, fd, x)
                    } else {
                        f64::NAN
                    }
                }));
            }
            bar.inc(cols.entries as u64);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(values)
}
