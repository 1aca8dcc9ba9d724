//! `rootgrad demo [--out DIR]`: the whole point of rootgrad in one command.
//!
//! 1. Generates the toy samples into DIR/samples (unless they are there).
//! 2. Scenario A (photon identification, Z->ee control region): trains a baseline, a
//!    histogram-loss model and a gradient-reversal model. Scenario B (tau -> 3 mu, D_s
//!    control channel): a baseline and a reversal + flatness model.
//! 3. Applies every model to the control-region files (friend trees under each model's
//!    folder).
//! 4. Judges every model as `report` does, on events it did not train on: AUC (and the
//!    truncated AUC for B) on the classification samples, KS and chi2/ndf of data
//!    against simulation of the score in the control region, and for B the CvM flatness
//!    of the score in the mass of the background.
//! 5. Prints one table, writes a report per scenario (adapted model against its
//!    baseline), and the commands that reproduce each step.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::samples::spec;
use crate::cli::DemoArgs;
use crate::config::RunConfig;
use crate::data::columns::{column, read};
use crate::evaluate::Evaluation;
use crate::expr::Expr;
use crate::interrupt::{catch as catch_interrupt, stop_flag};
use crate::metrics::agreement::Agreement;
use crate::metrics::binning::DEFAULT_BINS;
use crate::metrics::{cvm_flatness, truncated_auc, CvmOptions};
use crate::progress::Progress;
use crate::run_folder;
use crate::samples::{generate, GenerateOptions};
use crate::{Error, Result};

/// One model of the demo: its scenario, name and the `--set` overrides of the
/// scenario's run description.
struct Model {
    scenario: &'static str,
    config: &'static str,
    name: &'static str,
    what: &'static str,
    sets: &'static [&'static str],
}

const MODELS: &[Model] = &[
    Model {
        scenario: "A",
        config: "photon_id.toml",
        name: "baseline",
        what: "no adaptation",
        sets: &["adaptation.method=none"],
    },
    Model {
        scenario: "A",
        config: "photon_id.toml",
        name: "histogram",
        what: "histogram loss",
        sets: &["adaptation.method=histogram", "adaptation.lambda=10"],
    },
    Model {
        scenario: "A",
        config: "photon_id.toml",
        name: "reversal",
        what: "gradient reversal",
        sets: &["adaptation.method=reversal", "adaptation.lambda=15"],
    },
    Model {
        scenario: "B",
        config: "tau3mu.toml",
        name: "baseline",
        what: "no adaptation",
        sets: &["adaptation.method=none"],
    },
    Model {
        scenario: "B",
        config: "tau3mu.toml",
        name: "adapted",
        what: "reversal + flatness",
        sets: &[
            "adaptation.method=reversal",
            "adaptation.lambda=5",
            "decorrelation.mass=\"mass\"",
            "decorrelation.lambda=5",
        ],
    },
];

/// One line of the table.
struct Row {
    scenario: &'static str,
    name: &'static str,
    what: &'static str,
    auc: f64,
    tauc: Option<f64>,
    ks: Option<f64>,
    /// The control region's score, data against simulation (chi2 defined).
    chi2: Option<Agreement>,
    cvm: Option<f64>,
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

pub fn run(o: &DemoArgs, out: &mut dyn Write) -> Result<()> {
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    let progress = Progress::new(o.quiet);
    let samples = o.out.join("samples");
    ensure_samples(o, &samples, &progress)?;
    catch_interrupt(
        "stopping the demo: the models that finished stay in their folders, the one in \
         training is dropped; `rootgrad demo --force` runs it again",
    );
    let mut rows = Vec::new();
    let mut commands = vec![format!(
        "rootgrad samples generate --out {}",
        samples.display()
    )];
    for m in MODELS {
        rows.push(train_and_judge(o, m, &samples, &progress, &mut commands)?);
        if stop_flag().load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Usage(format!(
                "interrupted: the demo stopped after scenario {} {}; the models that finished \
                 are in {}; `rootgrad demo --force` runs it again",
                m.scenario,
                m.name,
                o.out.display()
            )));
        }
    }
    reports(o, &samples, &mut commands)?;
    let rw_dir = reweight(o, &samples, &progress, &mut commands)?;
    table(out, &rows).map_err(io)?;
    reweight_table(out, &rw_dir.join("reweight.json")).map_err(io)?;
    writeln!(out).map_err(io)?;
    writeln!(
        out,
        "report of the reweighting: {}",
        rw_dir.join("report/index.html").display()
    )
    .map_err(io)?;
    for (scenario, adapted) in ADAPTED {
        writeln!(
            out,
            "report {scenario}: {}",
            o.out
                .join(scenario)
                .join(adapted)
                .join("report/index.html")
                .display()
        )
        .map_err(io)?;
    }
    writeln!(out, "\nEach step again, by hand:").map_err(io)?;
    for c in &commands {
        writeln!(out, "  {c}").map_err(io)?;
    }
    Ok(())
}

/// The adapted model of each scenario, reported against its scenario's baseline.
const ADAPTED: [(&str, &str); 2] = [("A", "histogram"), ("B", "adapted")];

/// Generates the toy samples into `samples` unless both run descriptions are there.
fn ensure_samples(o: &DemoArgs, samples: &Path, progress: &Progress) -> Result<()> {
    if !samples.join("photon_id.toml").exists() || !samples.join("tau3mu.toml").exists() {
        progress.say(&format!(
            "demo: generating the toy samples in {}",
            samples.display()
        ));
        generate(&GenerateOptions {
            out: samples.to_path_buf(),
            events: Some(o.events.unwrap_or(crate::samples::DEFAULT_EVENTS)),
            seed: o.seed,
            force: o.force,
            scenario: crate::samples::Scenario::Demo,
        })?;
    } else {
        progress.say(&format!("demo: using the samples in {}", samples.display()));
    }
    Ok(())
}

/// Trains one model of the demo into OUT/SCENARIO/NAME, judges it on events it did not
/// train on, and applies it to the control-region files; adds the commands that do the
/// same by hand.
fn train_and_judge(
    o: &DemoArgs,
    m: &Model,
    samples: &Path,
    progress: &Progress,
    commands: &mut Vec<String>,
) -> Result<Row> {
    let config = samples.join(m.config);
    let sets: Vec<String> = m.sets.iter().map(|s| s.to_string()).collect();
    let cfg = RunConfig::load(&config, &sets)?;
    let dir = o.out.join(m.scenario).join(m.name);
    let model_json = run_folder::model_path(&dir);
    if !o.force && model_json.exists() {
        return Err(Error::OutputExists { path: model_json });
    }
    // removed again if the model is not written (an error, Ctrl-C)
    let _dir = crate::output::NewDir::create(&dir)?;
    progress.say(&format!(
        "demo: scenario {}, {} ({})",
        m.scenario, m.name, m.what
    ));
    let outcome = crate::train::run(&cfg, progress, stop_flag());
    if stop_flag().load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::Usage(format!(
            "interrupted: the demo stopped in scenario {} {}, whose model was dropped; the \
             models that finished are in {}; `rootgrad demo --force` runs it again",
            m.scenario,
            m.name,
            o.out.display()
        )));
    }
    let outcome = outcome?;
    run_folder::write(&dir, &outcome.model, &outcome.history, &outcome.summary)?;
    let set_flags: String = sets.iter().map(|s| format!(" --set '{s}'")).collect();
    commands.push(format!(
        "rootgrad train {}{set_flags} --out {}",
        config.display(),
        dir.display()
    ));
    // judge it on events it did not train on
    let ev = Evaluation::run(&cfg, &outcome.model, &Progress::hidden())?;
    let head = ev.headline()?;
    let (s, y, _) = ev.classification();
    let tauc = (m.scenario == "B")
        .then(|| truncated_auc(&s, &y).ok())
        .flatten();
    let chi2 = ev
        .control_region(DEFAULT_BINS)?
        .map(|(a, _, _)| a)
        .filter(|a| a.chi2.is_some());
    let cvm = if m.scenario == "B" {
        flatness(&cfg, &ev)?
    } else {
        None
    };
    apply_to_control_region(&cfg, &dir, commands)?;
    Ok(Row {
        scenario: m.scenario,
        name: m.name,
        what: m.what,
        auc: head.auc,
        tauc,
        ks: head.ks,
        chi2,
        cvm,
    })
}

/// The score of the model in `dir` as friend trees of the control-region files, in
/// DIR/friends, as `rootgrad apply` writes them.
fn apply_to_control_region(cfg: &RunConfig, dir: &Path, commands: &mut Vec<String>) -> Result<()> {
    let model_json = run_folder::model_path(dir);
    let friends = dir.join("friends");
    let _friends = crate::output::NewDir::create(&friends)?;
    let Some(d) = &cfg.domain else {
        return Ok(());
    };
    let mut inputs = d.data.files.clone();
    inputs.extend(d.mc.files.clone());
    let opts = crate::cli::ApplyArgs {
        model: model_json.clone(),
        inputs: inputs.clone(),
        output: None,
        output_dir: Some(friends.clone()),
        tree_name: "rootgrad".into(),
        branch: "score".into(),
        friends: Vec::new(),
        all_folds: false,
        force: true,
        threads: None,
        quiet: true,
        split: Default::default(),
        friend_format: Default::default(),
    };
    super::apply::run(&opts, &mut std::io::sink())?;
    commands.push(format!(
        "rootgrad apply -m {} {} --output-dir {}",
        model_json.display(),
        inputs.join(" "),
        friends.display()
    ));
    Ok(())
}

/// A report per scenario: the adapted model against its baseline, as `rootgrad report`
/// writes it.
fn reports(o: &DemoArgs, samples: &Path, commands: &mut Vec<String>) -> Result<()> {
    for (scenario, adapted) in ADAPTED {
        let model = o.out.join(scenario).join(adapted);
        let baseline = o.out.join(scenario).join("baseline");
        let config = samples.join(if scenario == "A" {
            "photon_id.toml"
        } else {
            "tau3mu.toml"
        });
        let opts = crate::cli::ReportArgs {
            model: model.clone(),
            config: Some(config.clone()),
            baseline: Some(baseline.clone()),
            out: None,
            bins: DEFAULT_BINS,
            svg: false,
            force: true,
            quiet: true,
        };
        super::report::run(&opts, &mut std::io::sink())?;
        commands.push(format!(
            "rootgrad report -m {} --baseline {} --config {}",
            model.display(),
            baseline.display(),
            config.display()
        ));
    }
    Ok(())
}

/// Scenario A: reweights the control region's simulation to data, as `rootgrad
/// reweight` does, into OUT/A/reweight (returned).
fn reweight(
    o: &DemoArgs,
    samples: &Path,
    progress: &Progress,
    commands: &mut Vec<String>,
) -> Result<PathBuf> {
    let rw_dir = o.out.join("A").join("reweight");
    progress.say("demo: scenario A, reweighting the control region's simulation to data");
    let rw = crate::cli::ReweightArgs {
        config: samples.join("photon_id.toml"),
        out: Some(rw_dir.clone()),
        sets: Vec::new(),
        unsets: Vec::new(),
        classifier_from_config: false,
        max_weight: None,
        normalize: crate::reweight::Target::Mc,
        apply_to: crate::reweight::ApplyTo::Region,
        checks: Vec::new(),
        bins: DEFAULT_BINS,
        svg: false,
        threads: None,
        force: true,
        friend_format: Default::default(),
        quiet: true,
    };
    super::reweight::run(&rw, &mut std::io::sink())?;
    commands.push(format!(
        "rootgrad reweight {} --out {}",
        samples.join("photon_id.toml").display(),
        rw_dir.display()
    ));
    Ok(rw_dir)
}

/// Before/after chi2/ndf and KS of every input, from reweight.json.
fn reweight_table(out: &mut dyn Write, summary: &std::path::Path) -> std::io::Result<()> {
    let text = std::fs::read_to_string(summary)?;
    let Ok(j) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(checks) = j.get("checks").and_then(|c| c.as_array()) else {
        return Ok(());
    };
    writeln!(
        out,
        "\nScenario A, simulation reweighted to data in the control region (factor from a \
         data-vs-simulation classifier, each event weighted by the fold model that did \
         not see it, so \"after\" is held out):"
    )?;
    writeln!(
        out,
        "{:<28} {:>10} {:>10} {:>15} {:>15}",
        "input", "KS before", "KS after", "chi2/ndf before", "chi2/ndf after"
    )?;
    let ratio = |a: &serde_json::Value| -> String {
        match (
            a.get("chi2").and_then(|v| v.as_f64()),
            a.get("ndf").and_then(|v| v.as_f64()),
        ) {
            (Some(c), Some(n)) if n > 0.0 => format!("{c:.1}/{n}"),
            _ => "-".into(),
        }
    };
    for c in checks {
        let ks = |a: &serde_json::Value| {
            a.get("ks")
                .and_then(|v| v.as_f64())
                .map_or("-".into(), |v| format!("{v:.4}"))
        };
        let worse = c.get("worse").and_then(|v| v.as_bool()) == Some(true);
        writeln!(
            out,
            "{:<28} {:>10} {:>10} {:>15} {:>15}{}",
            c.get("var").and_then(|v| v.as_str()).unwrap_or("?"),
            ks(&c["before"]),
            ks(&c["after"]),
            ratio(&c["before"]),
            ratio(&c["after"]),
            if worse { "  worse" } else { "" }
        )?;
    }
    let binning = checks
        .first()
        .and_then(|c| c["after"].get("binning"))
        .and_then(|b| b.as_str())
        .map(|b| format!(" ({b} for a score; each input over its own range)"))
        .unwrap_or_default();
    writeln!(
        out,
        "chi2 with {DEFAULT_BINS} bins per input{binning}; \"worse\": chi2/ndf after above \
         before (README: why well-modelled inputs move)."
    )?;
    Ok(())
}

/// The CvM flatness of the score in the mass of the background events judged.
fn flatness(cfg: &RunConfig, ev: &Evaluation) -> Result<Option<f64>> {
    let Some(cls) = &cfg.classification else {
        return Ok(None);
    };
    let mass = Expr::parse("mass")?;
    let s = spec(
        "background",
        &cls.background.files[0],
        cls.background.friends.clone(),
        cls.background.cut.as_deref(),
        None,
    );
    let sample = read(&s, std::slice::from_ref(&mass), &Progress::hidden())?;
    let m = column(&sample, 0);
    let masses: Vec<f64> = ev.background.index.iter().map(|&i| m[i]).collect();
    Ok(cvm_flatness(&ev.background.scores, &masses, &CvmOptions::default()).ok())
}

fn table(out: &mut dyn Write, rows: &[Row]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<3} {:<10} {:<20} {:>7} {:>9} {:>8} {:>12} {:>9}",
        "", "model", "", "AUC", "trunc.AUC", "KS", "chi2/ndf", "CvM"
    )?;
    let mut binning = None;
    for r in rows {
        let chi2 = match &r.chi2 {
            Some(a) => {
                binning.get_or_insert_with(|| a.binning.clone());
                chi2_ndf(a)
            }
            None => "-".into(),
        };
        writeln!(
            out,
            "{:<3} {:<10} {:<20} {:>7.4} {:>9} {:>8} {:>12} {:>9}",
            r.scenario,
            r.name,
            r.what,
            r.auc,
            fmt(r.tauc, 4),
            fmt(r.ks, 4),
            chi2,
            fmt(r.cvm, 5)
        )?;
    }
    writeln!(
        out,
        "AUC on events each model did not train on (weighted); KS and chi2/ndf: data vs \
         simulation of the score in the control region (the challenge passes KS < 0.09; \
         chi2 in {}, as `report`, `sweep` and `agreement` bin it); CvM: flatness of the \
         score in the mass (passes < 0.002).",
        binning.unwrap_or_else(|| format!("{DEFAULT_BINS} equal bins"))
    )?;
    Ok(())
}

/// "chi2/ndf" as the two numbers, e.g. "1249.4/39", as every command prints it.
fn chi2_ndf(a: &Agreement) -> String {
    match (a.chi2, a.ndf) {
        (Some(c), Some(n)) => format!("{c:.1}/{n}"),
        _ => "-".into(),
    }
}
