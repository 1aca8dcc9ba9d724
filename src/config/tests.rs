//! Values that can be wrong fail when the run description is read, before any ntuple is
//! opened, with the file and the dotted key in the message: the histogram loss's bins
//! (issue 13: `adaptation.bins = 2000000` used to fail only once training began), the
//! flatness bins, loss weights, schedule and optimiser values, clipping, heads, and
//! every expression. The files named in the descriptions below do not exist: reading a
//! description never opens them.

use std::path::Path;

use super::RunConfig;

const BASE: &str = r#"
[inputs]
features = ["pt", "abs(eta)"]

[classification]
signal     = { files = ["nosuch.root:Events"], cut = "flav == 1", weight = "w" }
background = { files = ["nosuch.root:Events"], cut = "flav == 0" }

[domain]
data = { files = ["nosuch_data.root:Events"], weight = "sWeight" }
mc   = { files = ["nosuch_mc.root:Events"] }

[network]
hidden = [8, 8]
"#;

fn read(extra: &str, sets: &[&str]) -> crate::Result<RunConfig> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    RunConfig::from_str(&format!("{BASE}{extra}"), Path::new("run.toml"), &sets)
}

/// The error of reading `extra` with `sets`, which must name the file and each of `want`.
fn refused(extra: &str, sets: &[&str], want: &[&str]) -> String {
    let e = match read(extra, sets) {
        Ok(_) => panic!("accepted: {extra} {sets:?}"),
        Err(e) => e.to_string(),
    };
    assert!(e.starts_with("run.toml: "), "{e}");
    for w in want {
        assert!(e.contains(w), "`{w}` not in: {e}");
    }
    e
}

#[test]
fn the_base_description_and_the_largest_bins_are_accepted() {
    let c = read("", &[]).unwrap();
    assert_eq!(c.adaptation.bins.bins(), 10);
    let c = read(
        "[adaptation]\nmethod = \"histogram\"\nbins = 1000000\n",
        &["decorrelation.mass=m", "decorrelation.bins=1000000"],
    )
    .unwrap();
    assert_eq!(c.adaptation.bins.bins(), 1_000_000);
    assert_eq!(c.decorrelation.map(|d| d.bins.bins()), Some(1_000_000));
}

#[test]
fn too_many_histogram_bins_fail_at_read() {
    let e = refused(
        "[adaptation]\nmethod = \"histogram\"\nbins = 2000000\n",
        &[],
        &["adaptation.bins = 2000000", "at most 1000000"],
    );
    assert_eq!(
        e,
        "run.toml: adaptation.bins = 2000000: too many histogram bins (at most 1000000)"
    );
    refused(
        "[adaptation]\nmethod = \"both\"\n",
        &["adaptation.bins=0"],
        &["`adaptation.bins` = 0", "at least 1"],
    );
}

#[test]
fn bad_flatness_settings_fail_at_read() {
    let dec = "[decorrelation]\nmass = \"m\"\n";
    refused(
        &format!("{dec}bins = 2000000\n"),
        &[],
        &["decorrelation.bins = 2000000", "at most 1000000"],
    );
    refused(
        &format!("{dec}mass_bins = 2000000\n"),
        &[],
        &["decorrelation.mass_bins = 2000000", "at most 1000000"],
    );
    refused(
        &format!("{dec}mass_bins = 0\n"),
        &[],
        &["`decorrelation.mass_bins` = 0"],
    );
    refused(
        &format!("{dec}lambda = -1.0\n"),
        &[],
        &["`decorrelation.lambda` = -1", ">= 0"],
    );
    refused(
        &format!("{dec}method = \"adversary\"\nadversary_lambda = nan\n"),
        &[],
        &["`decorrelation.adversary_lambda` = NaN"],
    );
    refused(
        "[decorrelation]\nmass = \"m +\"\n",
        &[],
        &["decorrelation.mass:"],
    );
}

#[test]
fn bad_adaptation_and_adversary_settings_fail_at_read() {
    refused(
        "[adaptation]\nmethod = \"histogram\"\nlambda = inf\n",
        &[],
        &["`adaptation.lambda` = inf", "finite"],
    );
    refused(
        "[adaptation]\nmethod = \"reversal\"\nlambda = -2\n",
        &[],
        &["`adaptation.lambda` = -2"],
    );
    refused(
        "[adaptation]\nmethod = \"both\"\nschedule = \"dann\"\ngamma = -1\n",
        &[],
        &["`adaptation.gamma` = -1"],
    );
    refused(
        "[adaptation]\nmethod = \"doping\"\ndoping_fraction = 0\n",
        &[],
        &["`adaptation.doping_fraction` = 0", "> 0"],
    );
    // a head reading a layer the network does not have
    refused(
        "[adaptation]\nmethod = \"reversal\"\n",
        &["network.domain_head.from_layer=2"],
        &["[network]", "network.domain_head.from_layer = 2"],
    );
    refused(
        "[decorrelation]\nmass = \"m\"\nmethod = \"adversary\"\n",
        &["network.mass_head.from_layer=5"],
        &["network.mass_head.from_layer = 5"],
    );
    refused(
        "[adaptation]\nmethod = \"doping\"\n[decorrelation]\nmass = \"m\"\n",
        &[],
        &["[decorrelation] and adaptation method \"doping\" cannot be combined"],
    );
}

#[test]
fn bad_schedule_optimiser_and_clipping_fail_at_read() {
    refused(
        "[training]\nschedule = { kind = \"step\", step_size = 0 }\n",
        &[],
        &["schedule `step`", "step_size = 0"],
    );
    refused(
        "[training]\nschedule = { kind = \"exponential\", gamma = -0.5 }\n",
        &[],
        &["schedule `exponential`", "gamma = -0.5"],
    );
    refused("[training]\nlearning_rate = -1e-3\n", &[], &["[training]"]);
    refused(
        "[training]\noptimizer = { name = \"adam\", betas = [0.9] }\n",
        &[],
        &["training.optimizer.betas"],
    );
    refused(
        "[training]\nclip_grad_norm = 0\n",
        &[],
        &["`training.clip_grad_norm` = 0"],
    );
    refused(
        "",
        &["network.activation=leaky_relu", "network.alpha=nan"],
        &["network.activation", "not a finite number"],
    );
}

#[test]
fn expressions_that_do_not_parse_fail_at_read() {
    refused(
        "",
        &["inputs.features=[\"pt\", \"abs(\"]"],
        &["inputs.features[1]:"],
    );
    refused(
        "",
        &["classification.background.cut=flav =="],
        &["classification.background cut:"],
    );
    refused("", &["domain.mc.weight=w *"], &["domain.mc weight:"]);
    refused(
        "",
        &["training.folds=2", "training.fold=event %"],
        &["training.fold:"],
    );
}

/// The loss plan is built from the description as read: which terms are on and with
/// what weights. `adaptation.lambda = 0` switches the histogram term off but keeps the
/// domain batches (as the trainer always did); the decorrelation terms stay on at 0.
#[test]
fn the_loss_plan_follows_adaptation_and_decorrelation() {
    use super::{AdversaryTerm, LossPlan};
    use crate::optim::LambdaSchedule;
    let plan = |extra: &str, sets: &[&str]| read(extra, sets).unwrap().loss_plan().unwrap();
    let p = plan("", &[]);
    assert_eq!(
        p,
        LossPlan {
            domain: None,
            flatness: None,
            adversary: None
        }
    );
    assert_eq!(p.heads(), (false, false));
    let p = plan(
        "[adaptation]\nmethod = \"both\"\nlambda = 3\nwarmup_epochs = 2\n",
        &["adaptation.reversal_lambda=0.5"],
    );
    assert_eq!(p.domain.as_ref().map(|d| d.warmup_epochs), Some(2));
    assert_eq!(p.histogram_lambda(), 3.0);
    assert_eq!(p.histogram().map(|h| h.bins.bins()), Some(10));
    assert_eq!(
        p.reversal().map(|r| r.lambda),
        Some(LambdaSchedule::Constant(0.5))
    );
    assert_eq!(p.heads(), (true, false));
    let p = plan(
        "[adaptation]\nmethod = \"reversal\"\nlambda = 2\nschedule = \"dann\"\ngamma = 5\n",
        &[],
    );
    assert!(p.histogram().is_none());
    assert_eq!(
        p.reversal().map(|r| r.lambda),
        Some(LambdaSchedule::Dann {
            lambda_max: 2.0,
            gamma: 5.0
        })
    );
    let p = plan("[adaptation]\nmethod = \"histogram\"\nlambda = 0\n", &[]);
    assert!(p.domain.is_some() && p.histogram().is_none() && p.reversal().is_none());
    assert_eq!(p.histogram_lambda(), 0.0);
    let p = plan("[adaptation]\nmethod = \"doping\"\n", &[]);
    assert!(p.domain.is_none());
    let p = plan(
        "[decorrelation]\nmass = \"m\"\nmethod = \"adversary\"\nlambda = 4\n",
        &[],
    );
    assert_eq!(p.flatness, None);
    assert_eq!(p.flatness_lambda(), 0.0);
    assert_eq!(p.adversary, Some(AdversaryTerm { lambda: 4.0 }));
    assert_eq!(p.heads(), (false, true));
    let p = plan(
        "[decorrelation]\nmass = \"m\"\nmethod = \"both\"\nlambda = 0\nmass_bins = 4\nbins = 7\n",
        &[],
    );
    let f = p.flatness.unwrap();
    assert_eq!((f.bins.bins(), f.mass_bins, f.lambda), (7, 4, 0.0));
    assert_eq!(p.adversary, Some(AdversaryTerm { lambda: 1.0 }));
}

/// A loss term without what it needs fails when the description is read, naming the
/// key: a reversal head (domain or mass) without a shared hidden layer, an adaptation
/// method without [domain].
#[test]
fn loss_terms_without_what_they_need_fail_at_read() {
    refused(
        "[adaptation]\nmethod = \"reversal\"\n",
        &["network.hidden=[]"],
        &["`adaptation.method` = \"reversal\"", "network.hidden"],
    );
    refused(
        "[decorrelation]\nmass = \"m\"\nmethod = \"adversary\"\n",
        &["network.hidden=[]"],
        &["`decorrelation.method`", "mass head", "network.hidden"],
    );
    // the histogram loss has no head: no hidden layer is fine
    read(
        "[adaptation]\nmethod = \"histogram\"\n",
        &["network.hidden=[]"],
    )
    .unwrap();
    let no_domain = BASE
        .replace("[domain]", "[unused]")
        .replace("data = {", "# data = {");
    let no_domain = no_domain
        .replace("mc   = {", "# mc   = {")
        .replace("[unused]\n", "");
    let e = RunConfig::from_str(
        &format!("{no_domain}[adaptation]\nmethod = \"histogram\"\n"),
        Path::new("run.toml"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("run.toml: "), "{e}");
    assert!(e.contains("[domain] section"), "{e}");
    assert!(e.contains("`adaptation.method` = \"histogram\""), "{e}");
}

/// Regression: a warm-up as long as the training (`warmup_epochs = 10` with
/// `epochs = 10`) used to train without any adaptation term and say nothing; it is
/// refused when the description is read, naming both keys. One epoch less is fine.
#[test]
fn a_warmup_as_long_as_the_training_is_refused() {
    refused(
        "[adaptation]\nmethod = \"reversal\"\nwarmup_epochs = 4\n",
        &["training.epochs=4"],
        &["`adaptation.warmup_epochs` = 4", "`training.epochs` = 4"],
    );
    read(
        "[adaptation]\nmethod = \"reversal\"\nwarmup_epochs = 3\n",
        &["training.epochs=4"],
    )
    .unwrap();
}

/// Regression: `hidden = [64, 0]` was refused as "not an integer"; the message now
/// names the value that is wrong.
#[test]
fn a_zero_width_layer_is_named() {
    refused(
        "",
        &["network.hidden=[64, 0]"],
        &["`network.hidden`", "its value 2 is 0"],
    );
}

/// Issue 17 item 11: `[inputs.labels]` gives a feature its axis title and unit; a key
/// that is not a feature is refused, listing the features.
#[test]
fn feature_labels_and_units() {
    let c = read(
        "[inputs.labels]\npt = { label = \"Photon p_T\", unit = \"GeV\" }\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.labels[0].axis(), "Photon p_T [GeV]");
    assert_eq!(c.labels[1].axis(), "abs(eta)");
    refused(
        "[inputs.labels]\neta = { label = \"eta\" }\n",
        &[],
        &["inputs.labels.eta", "pt, abs(eta)"],
    );
}
