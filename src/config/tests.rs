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
