//! The command line: subcommands and their flags, each documented where it is defined.
//! docs/cli.md describes the same commands for users.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::reweight::{ApplyTo, Target};

/// rootgrad: train small classifiers on ROOT ntuples and write the scores back as
/// friend trees. One static binary; no Python.
#[derive(Debug, Parser)]
#[command(name = "rootgrad", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the trees of a file, or the branches of one tree, with their C++ types,
    /// interpretations and sizes.
    Inspect {
        /// `FILE.root` (every tree) or `FILE.root:TREE` (one tree, e.g. `f.root:dir/Events`).
        target: String,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print branch values entry by entry, like TTree::Scan.
    Dump {
        /// `FILE.root:TREE`; the tree may be omitted when the file has only one.
        target: String,
        /// Comma-separated branches; `x[1]` picks element 1 of an array branch.
        /// Default: every readable branch.
        #[arg(long, short = 'b', value_delimiter = ',')]
        branches: Vec<String>,
        /// First entry to print (counted from 0).
        #[arg(long, default_value_t = 0)]
        entry_start: u64,
        /// One past the last entry to print. Default: the end of the tree.
        #[arg(long)]
        entry_stop: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DumpFormat::Csv)]
        format: DumpFormat,
        /// Write to this file instead of standard output (refused if it exists,
        /// unless --force).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Train a classifier from the samples of a run description (TOML; see
    /// docs/config.md) and write DIR/model.json, DIR/history.csv and DIR/summary.json.
    Train {
        /// The run description, e.g. `photon_id.toml`.
        config: PathBuf,
        /// Output folder (created if missing). Default: `rootgrad-<config name>` in the
        /// current folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override one key of the run description, e.g.
        /// `--set training.learning_rate=3e-4`; repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Worker threads (default: every core). The model is the same for any number.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bars or per-epoch lines.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Overwrite model.json, history.csv and summary.json if they exist.
        #[arg(long)]
        force: bool,
    },
    /// Score ROOT files with a trained model and write one friend tree per input file,
    /// entry for entry.
    Apply {
        /// The model file `rootgrad train` wrote.
        #[arg(long, short = 'm')]
        model: PathBuf,
        /// Input trees, `FILE.root[:TREE]`; globs allowed (quote them). Each file gets
        /// its own friend file.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Output file (only with one input file).
        #[arg(long, short = 'o', conflicts_with = "output_dir")]
        output: Option<PathBuf>,
        /// Folder for the friend files, named `<input name>.<tree name>.root`. Default:
        /// next to each input.
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Name of the friend tree.
        #[arg(long, default_value = "rootgrad")]
        tree_name: String,
        /// Name of the score branch (float).
        #[arg(long, default_value = "score")]
        branch: String,
        /// A friend of the input tree holding some of the model's input branches,
        /// `F.root:TREE`; repeatable. With several inputs, each --friend pattern must
        /// match as many files as there are inputs, paired in sorted order.
        #[arg(long = "friend", value_name = "FILE.root:TREE")]
        friends: Vec<String>,
        /// With a k-fold model, also write `<branch>_fold0` .. `<branch>_fold{k-1}`:
        /// every fold model's score of every entry.
        #[arg(long)]
        all_folds: bool,
        /// Overwrite existing output files.
        #[arg(long)]
        force: bool,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Compare data and simulation in one variable: weighted KS, chi2/ndf and p-value,
    /// yields, and a plot with a ratio panel.
    Agreement {
        /// Data, `FILE.root[:TREE]` (globs allowed).
        #[arg(long)]
        data: String,
        /// Simulation, `FILE.root[:TREE]` (globs allowed).
        #[arg(long)]
        mc: String,
        /// The variable, an expression (docs/expressions.md), e.g. `score` or `abs(eta)`.
        #[arg(long, allow_hyphen_values = true)]
        var: String,
        /// Data weight expression, e.g. `sWeight` (default 1).
        #[arg(long, allow_hyphen_values = true)]
        data_weight: Option<String>,
        /// Simulation weight expression, e.g. `genWeight * puWeight` (default 1).
        #[arg(long, allow_hyphen_values = true)]
        mc_weight: Option<String>,
        /// Selection applied to both samples.
        #[arg(long, allow_hyphen_values = true)]
        cut: Option<String>,
        /// Selection applied to data only (and-ed with --cut).
        #[arg(long, allow_hyphen_values = true)]
        data_cut: Option<String>,
        /// Selection applied to simulation only (and-ed with --cut).
        #[arg(long, allow_hyphen_values = true)]
        mc_cut: Option<String>,
        /// A friend tree, `[data=|mc=]FILE.root:TREE` (no prefix: both); repeatable.
        #[arg(long = "friend", value_name = "[SAMPLE=]FILE.root:TREE")]
        friends: Vec<String>,
        /// Number of bins of the chi2 and the plot.
        #[arg(long, default_value_t = 40)]
        bins: usize,
        /// Histogram range `LO,HI`. Default: [0, 1] for values in it, else the 0.1% to
        /// 99.9% quantiles.
        #[arg(long, allow_hyphen_values = true)]
        range: Option<String>,
        /// Write the plot here (.png or .svg).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Logarithmic y axis in the plot.
        #[arg(long)]
        log_y: bool,
        /// x axis title of the plot (default: the expression).
        #[arg(long)]
        x_label: Option<String>,
        /// Overwrite an existing plot.
        #[arg(long)]
        force: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Separation of signal from background by one variable: weighted AUC, the truncated
    /// AUC of the Flavours of Physics challenge, efficiencies at working points, a ROC
    /// plot.
    Roc {
        /// Signal, `FILE.root[:TREE]`.
        #[arg(long)]
        signal: String,
        /// Background, `FILE.root[:TREE]`.
        #[arg(long)]
        background: String,
        /// The variable (a score in [0, 1] for the truncated AUC).
        #[arg(long, allow_hyphen_values = true)]
        var: String,
        /// Signal weight expression (default 1).
        #[arg(long, allow_hyphen_values = true)]
        signal_weight: Option<String>,
        /// Background weight expression (default 1).
        #[arg(long, allow_hyphen_values = true)]
        background_weight: Option<String>,
        /// Selection applied to both samples.
        #[arg(long, allow_hyphen_values = true)]
        cut: Option<String>,
        /// Selection of signal (and-ed with --cut), e.g. `genPartFlav == 1`.
        #[arg(long, allow_hyphen_values = true)]
        signal_cut: Option<String>,
        /// Selection of background (and-ed with --cut).
        #[arg(long, allow_hyphen_values = true)]
        background_cut: Option<String>,
        /// A friend tree, `[signal=|background=]FILE.root:TREE`; repeatable.
        #[arg(long = "friend", value_name = "[SAMPLE=]FILE.root:TREE")]
        friends: Vec<String>,
        /// Write the ROC plot here (.png or .svg).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Plot background efficiency on a log axis instead of the rejection.
        #[arg(long)]
        log_y: bool,
        /// Overwrite an existing plot.
        #[arg(long)]
        force: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Cramer-von Mises flatness of a score in a mass (the Flavours of Physics test).
    Flatness {
        /// The events, `FILE.root[:TREE]` (usually background).
        #[arg(long)]
        input: String,
        /// The score expression.
        #[arg(long, allow_hyphen_values = true)]
        var: String,
        /// The mass expression.
        #[arg(long, allow_hyphen_values = true)]
        mass: String,
        /// Selection.
        #[arg(long, allow_hyphen_values = true)]
        cut: Option<String>,
        /// A friend tree (e.g. the score from `apply`); repeatable.
        #[arg(long = "friend", value_name = "FILE.root:TREE")]
        friends: Vec<String>,
        /// Events per mass window.
        #[arg(long, default_value_t = 200)]
        neighbours: usize,
        /// Events between window starts.
        #[arg(long, default_value_t = 50)]
        step: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// An HTML page with figures for a trained model: training curves, ROC, the score in
    /// the control region (and a baseline's), every input data vs simulation, metrics.
    Report {
        /// The folder `train` wrote (model.json, history.csv).
        #[arg(long, short = 'm')]
        model: PathBuf,
        /// The run description, to locate its ntuples (default: the one recorded in the
        /// model). Its keys are not used: the model's stored description is.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Another model folder to compare with (e.g. trained without adaptation).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Output folder (default: MODEL/report).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Bins of the histograms.
        #[arg(long, default_value_t = 40)]
        bins: usize,
        /// SVG figures instead of PNG.
        #[arg(long)]
        svg: bool,
        /// Overwrite an existing report.
        #[arg(long)]
        force: bool,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Train once per value of a key (and per seed) and tabulate AUC against data/MC
    /// agreement, e.g. `--set adaptation.lambda=0,0.1,1,10,100`.
    Sweep {
        /// The run description.
        config: PathBuf,
        /// `KEY=V1,V2,...`; several are combined in every way.
        #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
        sets: Vec<String>,
        /// Trainings per setting, with seeds training.seed, +1, ...
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Output folder (default: rootgrad-sweep-<config name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Bins of the score histograms for chi2.
        #[arg(long, default_value_t = 20)]
        bins: usize,
        /// SVG figures instead of PNG.
        #[arg(long)]
        svg: bool,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
        /// No progress bars or per-epoch lines.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Reweight simulation to data: train a data-vs-simulation classifier on the control
    /// region ([domain], k folds) and write, per simulation file, a friend tree with the
    /// factor `rw` = s/(1-s) and `weight_rw`; with a before/after report.
    Reweight {
        /// The run description ([inputs], [domain], [network], [training] with folds).
        config: PathBuf,
        /// Output folder (created if missing). Default: `rootgrad-reweight-<config name>`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override one key of the run description; repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Cap the factor rw at this value (> 0). Default: no cap.
        #[arg(long)]
        max_weight: Option<f64>,
        /// What the reweighted simulation's total weight in the control region equals:
        /// its own total before (`mc`), the data's (`data`), or no normalisation.
        #[arg(long, value_enum, default_value_t = Target::Mc)]
        normalize: Target,
        /// Which entries get a factor: the control region ([domain.mc] cut; others get
        /// NaN) or every entry of the simulation files.
        #[arg(long, value_enum, default_value_t = ApplyTo::Region)]
        apply_to: ApplyTo,
        /// Another expression to compare before and after (besides the inputs); repeatable.
        #[arg(long = "check", value_name = "EXPR")]
        checks: Vec<String>,
        /// Bins of the histograms (chi2 and figures).
        #[arg(long, default_value_t = 40)]
        bins: usize,
        /// SVG figures instead of PNG.
        #[arg(long)]
        svg: bool,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
        /// No progress bars or per-epoch lines.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Morph simulation to data, variable by variable: T(x) = Q_data(F_mc(x)) with
    /// weighted CDFs of the control region, written as friend branches `<name>_morphed`.
    Morph {
        /// The run description (its [domain] section is used).
        config: PathBuf,
        /// Expression to morph; repeatable.
        #[arg(long = "var", value_name = "EXPR", required = true)]
        vars: Vec<String>,
        /// Output folder (created if missing). Default: `rootgrad-morph-<config name>`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override one key of the run description; repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Bins of the histograms (chi2 and figures).
        #[arg(long, default_value_t = 40)]
        bins: usize,
        /// SVG figures instead of PNG.
        #[arg(long)]
        svg: bool,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
        /// No progress bars.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// The whole point in one command: generate the toy samples, train a baseline and
    /// domain-adapted models on two scenarios, apply them, print a table of separation
    /// and data/simulation agreement, and write HTML reports.
    Demo {
        /// Output folder (samples, models, friend trees, reports).
        #[arg(long, default_value = "rootgrad-demo")]
        out: PathBuf,
        /// Events per sample (default 100000; fewer runs faster).
        #[arg(long)]
        events: Option<usize>,
        /// Seed of the samples.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Overwrite the outputs of an earlier demo in the same folder.
        #[arg(long)]
        force: bool,
        /// No progress bars or per-epoch lines.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// The toy samples of the demo (photon identification with Z->ee; tau -> 3 mu with
    /// D_s -> phi pi): `rootgrad samples generate`.
    Samples {
        #[command(subcommand)]
        action: SamplesAction,
    },
}

/// What `rootgrad samples` does.
#[derive(Debug, Subcommand)]
pub enum SamplesAction {
    /// Write the toy ROOT files of both demo scenarios and their run descriptions
    /// (photon_id.toml, tau3mu.toml) into one folder; deterministic for a seed.
    Generate {
        /// Output folder (created if missing).
        #[arg(long, default_value = "rootgrad-samples")]
        out: PathBuf,
        /// Events of each sample (the sizes of every file scale with it).
        #[arg(long, default_value_t = crate::samples::DEFAULT_EVENTS)]
        events: usize,
        /// Seed of every random stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

/// How `dump` prints values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// One line per entry, comma-separated; array values joined with spaces in
    /// brackets.
    Csv,
    /// One JSON object per line (JSON Lines); arrays as lists.
    Json,
}
