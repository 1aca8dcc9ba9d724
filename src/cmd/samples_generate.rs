//! `rootgrad samples generate`: writes the toy samples of the demo and their run
//! descriptions into one folder and says what it wrote, with the sPlot fit results.

use std::io::Write;

use crate::samples::{generate, GenerateOptions};
use crate::{Error, Result};

/// Generates, writes, and prints one line per file and per fit.
pub fn run(opts: &GenerateOptions, out: &mut dyn Write) -> Result<()> {
    let (g, written) = generate(opts)?;
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    for (path, entries) in &written {
        if *entries > 0 {
            writeln!(out, "wrote {}:Events ({entries} entries)", path.display()).map_err(io)?;
        } else {
            writeln!(out, "wrote {}", path.display()).map_err(io)?;
        }
    }
    for f in &g.fits {
        writeln!(
            out,
            "sPlot fit of {}:{}: {} yield {:.1} +- {:.1} (generated {}), {} yield {:.1} +- {:.1} \
             (generated {}); sum of sWeight {:.1}, {} negative",
            f.file,
            f.mass_branch,
            f.species[0],
            f.yields[0],
            f.errors[0],
            f.generated[0],
            f.species[1],
            f.yields[1],
            f.errors[1],
            f.generated[1],
            f.sum_sweights,
            f.negative_sweights
        )
        .map_err(io)?;
    }
    Ok(())
}
