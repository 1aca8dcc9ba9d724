//! The toy samples of the demo (`rootgrad samples generate`): ROOT files made from a
//! known truth, so that what the demo shows (a classifier trained on simulation
//! disagrees between data and simulation in a control region; the adaptation terms fix
//! it; the flatness term keeps a mass unsculpted) can be checked against that truth.
//!
//! Two scenarios, the demo's (written by default), described with every parameter in
//! `samples/README.md`:
//!
//! - [`photon`]: photon identification with a Z->ee control region, simulation that
//!   mismodels the shower shapes and isolation tails, NLO-like signed generator weights,
//!   pileup weights, and data sWeights from an sPlot fit of m_ee ([`splot`]);
//! - [`tau3mu`]: a tau -> 3 mu style search with signal from simulation, background
//!   from data sidebands, a D_s -> phi pi control channel, mismodelled features and a
//!   background feature correlated with the mass.
//!
//! and, only with `--scenario morph-toy`, [`morph_toy`]: a control region with known
//! conditional and correlated mismodelling, for the chained quantile morph (issue 19).
//!
//! Every sample draws from its own [`SplitMix64`] stream keyed by `(seed, sample)`, so
//! the files depend only on the seed and the event count. The files are written with the
//! project's own tree writer ([`crate::root::write`]), tree `Events`; the run
//! descriptions `photon_id.toml` and `tau3mu.toml` are written next to them (their file
//! names are relative to their own folder), with `splot.json`, the fit results.

pub mod morph_toy;
pub mod photon;
pub mod splot;
pub mod tau3mu;

use std::path::PathBuf;

use crate::random::{SplitMix64, Stream};
use crate::root::write::{write_friend, FriendColumn, FriendData, FriendSpec};
use crate::{Error, Result};

/// The run descriptions, as in the repository's `samples/` folder.
pub const PHOTON_CONFIG: &str = include_str!("../../samples/photon_id.toml");
pub const TAU3MU_CONFIG: &str = include_str!("../../samples/tau3mu.toml");

/// The default number of events of the largest samples; `--events` replaces it and every
/// sample scales with it.
pub const DEFAULT_EVENTS: usize = 100_000;

/// The tree name of every sample file.
pub const TREE: &str = "Events";

/// The fewest events of the largest samples `generate` accepts: the sPlot fits need
/// events to fit.
pub const MIN_EVENTS: usize = 100;

/// Parses an event count of at least [`MIN_EVENTS`]: the value parser of `--events`
/// (`samples generate`, `demo`), so clap refuses a smaller count naming the flag.
pub fn parse_events(s: &str) -> std::result::Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if n < MIN_EVENTS {
        return Err(format!(
            "give at least {MIN_EVENTS} (the sPlot fits need events to fit)"
        ));
    }
    Ok(n)
}

/// Which samples `generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// The demo's two scenarios (photon identification, tau -> 3 mu): seven files,
    /// photon_id.toml, tau3mu.toml, splot.json.
    Demo,
    /// The morph toy: morph_toy_data.root, morph_toy_mc.root, morph_toy.toml.
    MorphToy,
}

/// What to generate. Also the flags of `rootgrad samples generate` (a clap `Args`; the
/// doc comments are its `--help` text), so they are declared once.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateOptions {
    /// Output folder (created if missing).
    #[arg(long, default_value = "rootgrad-samples")]
    pub out: PathBuf,
    /// Events of each sample (the sizes of every file scale with it) [default: 100000;
    /// 200000 with `--scenario morph-toy`].
    #[arg(long, value_parser = parse_events)]
    pub events: Option<usize>,
    /// Seed of every random stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
    /// Which samples: the demo's (`demo`) or the control region of the chained morph
    /// (`morph-toy`).
    #[arg(long, value_enum, default_value = "demo")]
    pub scenario: Scenario,
}

impl GenerateOptions {
    /// `--events`, or the scenario's default.
    pub fn events(&self) -> usize {
        self.events.unwrap_or(match self.scenario {
            Scenario::Demo => DEFAULT_EVENTS,
            Scenario::MorphToy => morph_toy::DEFAULT_EVENTS,
        })
    }
}

/// One sample, ready to be written.
pub struct SampleFile {
    pub name: &'static str,
    pub columns: Vec<FriendColumn>,
}

impl SampleFile {
    pub fn entries(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }
}

/// The results of one sPlot fit, written to `splot.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FitRecord {
    /// The file whose `sWeight` branch the fit made.
    pub file: &'static str,
    pub mass_branch: &'static str,
    pub window: [f64; 2],
    pub species: Vec<&'static str>,
    /// True numbers of events generated per species.
    pub generated: Vec<usize>,
    pub yields: Vec<f64>,
    pub errors: Vec<f64>,
    pub covariance: Vec<Vec<f64>>,
    /// Sum of the stored `sWeight` (the first species'), equal to its yield.
    pub sum_sweights: f64,
    pub negative_sweights: usize,
}

/// What one sPlot fit is of, for its [`FitRecord`].
pub(crate) struct SplotSample {
    pub file: &'static str,
    pub mass_branch: &'static str,
    /// The mass in messages ("m_ee").
    pub what: &'static str,
    pub window: [f64; 2],
    pub species: [&'static str; 2],
    pub generated: [usize; 2],
}

/// Fits the two yields of `mass` (signal shape first) and returns the record of the fit
/// and the signal's sWeights, one per event.
pub(crate) fn splot_fit(
    s: SplotSample,
    mass: &[f64],
    shapes: [splot::WindowShape; 2],
) -> Result<(FitRecord, Vec<f64>)> {
    let fit = splot::fit_yields(mass, &shapes)
        .ok_or_else(|| Error::Usage(format!("the sPlot fit of {} did not converge", s.what)))?;
    let mut sw = splot::sweights(mass, &shapes, &fit);
    let signal = std::mem::take(&mut sw[0]);
    let record = FitRecord {
        file: s.file,
        mass_branch: s.mass_branch,
        window: s.window,
        species: s.species.to_vec(),
        generated: s.generated.to_vec(),
        yields: fit.yields.clone(),
        errors: vec![fit.error(0), fit.error(1)],
        covariance: fit.covariance.clone(),
        sum_sweights: signal.iter().sum(),
        negative_sweights: signal.iter().filter(|&&w| w < 0.0).count(),
    };
    Ok((record, signal))
}

/// Every file and fit of both scenarios.
pub struct Generated {
    pub files: Vec<SampleFile>,
    pub fits: Vec<FitRecord>,
}

/// Draws both scenarios in memory.
pub fn draw(events: usize, seed: u64) -> Result<Generated> {
    let mut files = Vec::new();
    let mut fits = Vec::new();
    let (f, r) = photon::generate(events, seed)?;
    files.extend(f);
    fits.push(r);
    let (f, r) = tau3mu::generate(events, seed)?;
    files.extend(f);
    fits.push(r);
    Ok(Generated { files, fits })
}

/// Generates and writes everything into `opts.out`; returns the paths written with
/// their entry counts. Existing outputs are refused (before anything is written) unless
/// `force`.
pub fn generate(opts: &GenerateOptions) -> Result<(Generated, Vec<(PathBuf, usize)>)> {
    let events = opts.events();
    if events < MIN_EVENTS {
        return Err(Error::Usage(format!(
            "--events {events}: give at least {MIN_EVENTS} (the sPlot fits need events to fit)"
        )));
    }
    // removed again if nothing is written into it
    let _dir = crate::output::NewDir::create(&opts.out)?;
    let (g, texts) = match opts.scenario {
        Scenario::Demo => {
            let g = draw(events, opts.seed)?;
            let json = serde_json::to_string_pretty(&g.fits)
                .map_err(|e| Error::Usage(format!("splot.json: {e}")))?;
            let texts: Vec<(&str, String)> = vec![
                ("photon_id.toml", PHOTON_CONFIG.to_string()),
                ("tau3mu.toml", TAU3MU_CONFIG.to_string()),
                ("splot.json", json + "\n"),
            ];
            (g, texts)
        }
        Scenario::MorphToy => {
            let g = Generated {
                files: morph_toy::generate(events, opts.seed),
                fits: Vec::new(),
            };
            (g, vec![("morph_toy.toml", morph_toy::CONFIG.to_string())])
        }
    };
    if !opts.force {
        let names = g
            .files
            .iter()
            .map(|f| f.name)
            .chain(texts.iter().map(|t| t.0));
        for name in names {
            let p = opts.out.join(name);
            if p.exists() {
                return Err(Error::OutputExists { path: p });
            }
        }
    }
    let mut written = Vec::new();
    for f in &g.files {
        let path = opts.out.join(f.name);
        write_friend(&FriendSpec {
            path: &path,
            tree: TREE,
            columns: &f.columns,
            expected_entries: None,
            overwrite: opts.force,
            // the sample file is written by this same command; no source to record
            source: None,
        })?;
        written.push((path, f.entries()));
    }
    for (name, text) in &texts {
        let path = opts.out.join(name);
        crate::output::write_atomically(&path, opts.force, |w| {
            w.write_all(text.as_bytes()).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })
        })?;
        written.push((path, 0));
    }
    Ok((g, written))
}

/// The stream of one toy sample of a seed.
pub(crate) fn stream(seed: u64, sample: Stream) -> SplitMix64 {
    SplitMix64::new(&[0x5A4D_504C_4553, seed, sample.id()])
}

/// Exponential draw of mean `mean`.
pub(crate) fn expo(rng: &mut SplitMix64, mean: f64) -> f64 {
    -mean * (1.0 - rng.uniform()).ln()
}

/// Normal draw.
pub(crate) fn gauss(rng: &mut SplitMix64, mean: f64, sigma: f64) -> f64 {
    mean + sigma * rng.normal()
}

/// Columns under construction, by name, in insertion order.
#[derive(Default)]
pub(crate) struct Columns {
    cols: Vec<FriendColumn>,
}

impl Columns {
    pub fn f32(&mut self, name: &str, v: Vec<f64>) {
        self.push(
            name,
            FriendData::F32(v.into_iter().map(|x| x as f32).collect()),
        );
    }
    pub fn f64(&mut self, name: &str, v: Vec<f64>) {
        self.push(name, FriendData::F64(v));
    }
    pub fn i32(&mut self, name: &str, v: Vec<i32>) {
        self.push(name, FriendData::I32(v));
    }
    pub fn i64(&mut self, name: &str, v: Vec<i64>) {
        self.push(name, FriendData::I64(v));
    }
    fn push(&mut self, name: &str, data: FriendData) {
        self.cols.push(FriendColumn {
            name: name.into(),
            data,
        });
    }
    pub fn into_file(self, name: &'static str) -> SampleFile {
        SampleFile {
            name,
            columns: self.cols,
        }
    }
}

/// Shuffles the order of `n` items deterministically (Fisher-Yates), so that species
/// drawn one after the other are mixed in the file.
pub(crate) fn permutation(rng: &mut SplitMix64, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}
