//! `rootgrad sweep CONFIG.toml --set adaptation.lambda=0,0.1,1,10,100 [--repeat N]`:
//! train once per value (and per seed), then tabulate separation against agreement.
//!
//! Each `--set KEY=V1,V2,...` gives a list of values (commas inside brackets, as in
//! `network.hidden=[32,32],[64,64]`, do not split); several `--set` lists are combined
//! in every way. Each setting is trained `--repeat` times with seeds `training.seed`,
//! `+1`, ... into `OUT/run<i>_seed<s>/` (model.json, history.csv, summary.json). Then
//! every model is judged as `report` judges it ([`crate::evaluate`]): weighted AUC on
//! the validation (or out-of-fold) events, and the data/simulation KS and chi2/ndf of
//! the score in the control region. OUT/sweep.csv has one line per model, OUT/sweep.md
//! the mean and standard deviation per setting, and OUT/sweep.png (or .svg) AUC
//! against KS and against chi2/ndf, points in setting order, each labelled.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::cli::SweepArgs;
use crate::config::RunConfig;
use crate::evaluate::Evaluation;
use crate::interrupt::{catch as catch_interrupt, stop_flag};
use crate::progress::Progress;
use crate::report::{scatter, ScatterPlot, ScatterPoint, ScatterSeries};
use crate::run_folder;
use crate::{Error, Result};

/// Splits `KEY=V1,V2,...` at commas outside brackets and quotes.
pub fn split_values(assignment: &str) -> Result<(String, Vec<String>)> {
    let Some((key, values)) = assignment.split_once('=') else {
        return Err(Error::Usage(format!(
            "--set `{assignment}`: expected KEY=V1,V2,..., e.g. --set adaptation.lambda=0,1,10"
        )));
    };
    let mut out = Vec::new();
    let (mut depth, mut quote, mut cur) = (0i32, false, String::new());
    for c in values.chars() {
        match c {
            '"' => quote = !quote,
            '[' | '{' if !quote => depth += 1,
            ']' | '}' if !quote => depth -= 1,
            ',' if depth == 0 && !quote => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    let out: Vec<String> = out.into_iter().map(|v| v.trim().to_string()).collect();
    if out.iter().any(|v| v.is_empty()) {
        return Err(Error::Usage(format!(
            "--set `{assignment}`: an empty value in the list"
        )));
    }
    Ok((key.trim().to_string(), out))
}

/// One trained model of the sweep.
struct Row {
    setting: usize,
    label: String,
    seed: u64,
    dir: PathBuf,
    auc: f64,
    ks: Option<f64>,
    chi2_ndf: Option<f64>,
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

pub fn run(o: &SweepArgs, out: &mut dyn Write) -> Result<()> {
    if o.sets.is_empty() {
        return Err(Error::Usage(
            "sweep needs at least one --set KEY=V1,V2,... (e.g. --set adaptation.lambda=0,1,10)"
                .into(),
        ));
    }
    let lists = o
        .sets
        .iter()
        .map(|s| split_values(s))
        .collect::<Result<Vec<_>>>()?;
    // every combination, the first --set varying slowest
    let mut settings: Vec<Vec<String>> = vec![Vec::new()];
    for (key, values) in &lists {
        let mut next = Vec::new();
        for s in &settings {
            for v in values {
                let mut t = s.clone();
                t.push(format!("{key}={v}"));
                next.push(t);
            }
        }
        settings = next;
    }
    // check every setting before training any
    let base = RunConfig::load_with(&o.config, &[], &o.unsets)?;
    let progress = Progress::new(o.quiet);
    for s in &settings {
        for n in RunConfig::load_with(&o.config, s, &o.unsets)?.notes {
            progress.say(&format!("{}: {n}", s.join(" ")));
        }
    }
    let dir = o.out.clone().unwrap_or_else(|| {
        let stem = o
            .config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or("run".into());
        PathBuf::from(format!("rootgrad-sweep-{stem}"))
    });
    let table = dir.join("sweep.csv");
    if o.point.is_none() && table.exists() && !o.force {
        return Err(Error::OutputExists { path: table });
    }
    let _dir = crate::output::NewDir::create(&dir)?;
    catch_interrupt(
        "writing the table of the models that finished (the model in training is saved as \
         `train` saves it: without folds its best epoch so far, which enters the table; with \
         folds the folds that finished, an incomplete model left out of the table)",
    );
    let points: Vec<(usize, u64)> = (0..settings.len())
        .flat_map(|i| (0..o.repeat).map(move |r| (i, r as u64)))
        .map(|(i, r)| (i, base.training.seed + r))
        .collect();
    if let Some(p) = o.point {
        let Some(&(i, seed)) = points.get(p) else {
            return Err(Error::Usage(format!(
                "--point {p}: this sweep has {} points (settings x --repeat), 0 to {}",
                points.len(),
                points.len() - 1
            )));
        };
        let Some((run_dir, _, model)) = train_point(o, &dir, &settings[i], i, seed, &progress)?
        else {
            return Err(Error::Usage(format!(
                "--point {p}: interrupted before the model had anything to keep; nothing written"
            )));
        };
        let note = model
            .incomplete_note()
            .map(|n| format!(" (interrupted: an {n})"))
            .unwrap_or_default();
        return writeln!(out, "point {p}: wrote {}{note}", run_dir.display()).map_err(|source| {
            Error::Io {
                path: "<stdout>".into(),
                source,
            }
        });
    }
    let mut rows = Vec::new();
    let mut binning: Option<String> = None;
    for &(i, seed) in &points {
        let s = &settings[i];
        let (run_dir, cfg, model) = if o.tabulate {
            let p = points.iter().position(|&x| x == (i, seed)).unwrap_or(0);
            trained_point(o, &dir, s, (p, i, seed))?
        } else {
            match train_point(o, &dir, s, i, seed, &progress)? {
                Some(t) => t,
                None => break,
            }
        };
        if let Some(note) = model.incomplete_note() {
            progress.say(&format!(
                "sweep: interrupted: {} (seed {seed}) in {} is an {note}; it is left out of \
                 the table",
                s.join(" "),
                run_dir.display()
            ));
            break;
        }
        let ev = Evaluation::run(&cfg, &model, &Progress::hidden())?;
        let head = ev.headline()?;
        let cr = ev.control_region(o.bins)?.map(|(a, _, _)| a);
        let chi2_ndf = cr.as_ref().and_then(|a| a.chi2_per_ndf());
        if binning.is_none() {
            binning = cr.map(|a| a.binning);
        }
        rows.push(Row {
            setting: i,
            label: s.join(" "),
            seed,
            dir: run_dir,
            auc: head.auc,
            ks: head.ks,
            chi2_ndf,
        });
        if stop_flag().load(Ordering::SeqCst) {
            progress.say("sweep: interrupted; writing the table of the models that finished");
            break;
        }
    }
    if rows.is_empty() {
        return Err(Error::Usage(format!(
            "sweep: interrupted before the first model finished; no table written (what was \
             saved is in {})",
            dir.display()
        )));
    }
    let binning = binning.unwrap_or_else(|| format!("{} bins", o.bins));
    write_table(&dir, &rows, &settings, o.repeat, &binning)?;
    plot(&dir, &rows, &settings, o.svg, &binning)?;
    let io = |source| Error::Io {
        path: "<stdout>".into(),
        source,
    };
    let md = std::fs::read_to_string(dir.join("sweep.md")).unwrap_or_default();
    write!(out, "{md}").map_err(io)?;
    writeln!(out, "wrote {}", dir.join("sweep.csv").display()).map_err(io)?;
    Ok(())
}

/// `OUT/run<i>_seed<s>`: the run folder of setting i with seed s.
fn point_dir(dir: &Path, i: usize, seed: u64) -> PathBuf {
    dir.join(format!("run{i}_seed{seed}"))
}

/// The run folder, description and model of point `p` (setting `i`, `seed`), trained
/// earlier by `--point p`; refused, naming it, when it is not there.
fn trained_point(
    o: &SweepArgs,
    dir: &Path,
    s: &[String],
    (p, i, seed): (usize, usize, u64),
) -> Result<(PathBuf, RunConfig, crate::model::ModelFile)> {
    let run_dir = point_dir(dir, i, seed);
    let mut sets = s.to_vec();
    sets.push(format!("training.seed={seed}"));
    let cfg = RunConfig::load_with(&o.config, &sets, &o.unsets)?;
    let path = run_folder::model_path(&run_dir);
    if !path.exists() {
        return Err(Error::Usage(format!(
            "{}: point {p} ({} seed {seed}) was not trained; run `rootgrad sweep ... \
             --point {p}` (its batch job) first",
            path.display(),
            s.join(" ")
        )));
    }
    let model = crate::model::ModelFile::read(&path)?;
    Ok((run_dir, cfg, model))
}

/// Trains setting `i` (`s`) with `seed` into its run folder; `None` when Ctrl-C stopped
/// it before it had a model to keep.
fn train_point(
    o: &SweepArgs,
    dir: &Path,
    s: &[String],
    i: usize,
    seed: u64,
    progress: &Progress,
) -> Result<Option<(PathBuf, RunConfig, crate::model::ModelFile)>> {
    let mut sets = s.to_vec();
    sets.push(format!("training.seed={seed}"));
    let cfg = RunConfig::load_with(&o.config, &sets, &o.unsets)?;
    let run_dir = point_dir(dir, i, seed);
    // removed again if training fails before anything is written into it
    let _run_dir = crate::output::NewDir::create(&run_dir)?;
    if !o.force {
        run_folder::refuse_existing(&run_dir)?;
    }
    progress.say(&format!("sweep: {} (seed {seed})", s.join(" ")));
    let outcome = match crate::train::run(&cfg, progress, stop_flag()) {
        // Ctrl-C before this model had anything to keep: the sweep tabulates the others
        Err(e) if stop_flag().load(Ordering::SeqCst) => {
            progress.say(&format!("sweep: interrupted: {e}"));
            return Ok(None);
        }
        r => r?,
    };
    run_folder::write(&run_dir, &outcome.model, &outcome.history, &outcome.summary)?;
    Ok(Some((run_dir, cfg, outcome.model)))
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

fn write_table(
    dir: &Path,
    rows: &[Row],
    settings: &[Vec<String>],
    repeat: usize,
    binning: &str,
) -> Result<()> {
    let mut csv = String::from("setting,values,seed,auc,ks,chi2_ndf,chi2_binning,dir\n");
    for r in rows {
        let _ = writeln!(
            csv,
            "{},\"{}\",{},{},{},{},\"{binning}\",{}",
            r.setting,
            r.label.replace('"', "'"),
            r.seed,
            r.auc,
            opt(r.ks),
            opt(r.chi2_ndf),
            r.dir.display()
        );
    }
    let mut md = String::from(
        "| setting | models | AUC | data/MC KS | data/MC chi2/ndf |\n|---|---|---|---|---|\n",
    );
    for (i, s) in settings.iter().enumerate() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.setting == i).collect();
        if mine.is_empty() {
            continue;
        }
        let f = |v: Vec<f64>| {
            if v.is_empty() {
                "-".to_string()
            } else if repeat > 1 {
                let (m, sd) = mean_std(&v);
                format!("{m:.4} ± {sd:.4}")
            } else {
                format!("{:.4}", v[0])
            }
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} |",
            s.join(" "),
            mine.len(),
            f(mine.iter().map(|r| r.auc).collect()),
            f(mine.iter().filter_map(|r| r.ks).collect()),
            f(mine.iter().filter_map(|r| r.chi2_ndf).collect())
        );
    }
    let _ = writeln!(
        md,
        "\nchi2/ndf: the score in the control region, data against simulation, in \
         {binning} (as `report`, `agreement` and `demo` bin it)."
    );
    for (name, text) in [("sweep.csv", csv), ("sweep.md", md)] {
        let p = dir.join(name);
        crate::output::write_atomically(&p, true, |w| {
            w.write_all(text.as_bytes()).map_err(|source| Error::Io {
                path: p.clone(),
                source,
            })
        })?;
    }
    Ok(())
}

fn plot(
    dir: &Path,
    rows: &[Row],
    settings: &[Vec<String>],
    svg: bool,
    binning: &str,
) -> Result<()> {
    let ext = if svg { "svg" } else { "png" };
    for (metric, file, label) in [
        (
            0usize,
            "sweep_ks",
            "Data/MC KS of the score (control region)",
        ),
        (
            1,
            "sweep_chi2",
            "Data/MC chi2/ndf of the score (control region)",
        ),
    ] {
        let label = if metric == 1 {
            format!("{label}, {binning}")
        } else {
            label.to_string()
        };
        let mut points = Vec::new();
        for (i, s) in settings.iter().enumerate() {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.setting == i).collect();
            let xs: Vec<f64> = mine
                .iter()
                .filter_map(|r| if metric == 0 { r.ks } else { r.chi2_ndf })
                .collect();
            let ys: Vec<f64> = mine.iter().map(|r| r.auc).collect();
            if xs.is_empty() || ys.is_empty() {
                continue;
            }
            let (x, xe) = mean_std(&xs);
            let (y, ye) = mean_std(&ys);
            // label with the keys that vary, without their section
            let short: Vec<String> = s
                .iter()
                .enumerate()
                .filter(|(k, _)| settings.iter().any(|o| o[*k] != s[*k]))
                .map(|(_, a)| a.rsplit('.').next().unwrap_or(a).to_string())
                .collect();
            points.push(ScatterPoint {
                x,
                y,
                x_err: (xs.len() > 1).then_some(xe),
                y_err: (ys.len() > 1).then_some(ye),
                label: Some(short.join(" ")),
            });
        }
        if points.is_empty() {
            continue;
        }
        let p = ScatterPlot::new(
            vec![ScatterSeries {
                label: "models".into(),
                points,
                connect: true,
            }],
            &label,
            "AUC (weighted)",
        );
        scatter(&dir.join(format!("{file}.{ext}")), &p)?;
    }
    Ok(())
}
