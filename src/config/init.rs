//! `rootgrad init`: a run description with every key at its default, commented, so
//! that the reference travels with the binary (docs/config.md says the same at length).
//!
//! Keys that are required have a placeholder to replace; keys whose default depends on
//! another key, or that the defaults would refuse as unused (the adaptation method's
//! own keys with `method = "none"`), are commented out with their default. The test
//! below reads the template back and checks it equals the defaults, and that every key
//! of docs/config.md appears in it.

/// The template `rootgrad init` prints.
pub const TEMPLATE: &str = r##"# rootgrad run description: every key with its default (rootgrad init).
# Relative file names are relative to this file's folder. Lines starting with "# key ="
# are optional keys shown with their default; uncomment to change them.
# Reference: docs/config.md in the source tree.

[inputs]
# One expression per network input, in this order (required).
features = ["pt", "abs(eta)"]
# Axis titles and units of the features in figures ("label [unit]"); a feature left out
# is titled by its expression.
# [inputs.labels]
# pt = { label = "Photon p_T", unit = "GeV" }
# "abs(eta)" = { label = "Photon |eta|" }

[classification]
normalize = "equal"               # "equal" (both classes the same total weight) or "none"

[classification.signal]           # labelled 1 (required)
files = ["signal.root:Events"]    # FILE.root:TREE patterns, globs allowed (required)
# friends = []                    # FILE.root:TREE friend trees, joined entry by entry
# cut = ""                        # selection; an entry is kept when non-zero and not NaN
weight = "1"                      # weight expression (signed weights are kept)
negative_weights = "keep"         # "keep", "ignore" or "abs"
drop_nonfinite = false            # leave out events with a non-finite feature

[classification.background]       # labelled 0 (required); same keys as signal
files = ["background.root:Events"]
weight = "1"
negative_weights = "keep"
drop_nonfinite = false

# The control region: needed by every adaptation method except "none" (then it only
# monitors the data/simulation KS of the score). Same keys as the samples above.
# [domain.data]
# files = ["data.root:Events"]
# [domain.mc]
# files = ["mc.root:Events"]

[network]
hidden = [64, 64, 64]             # widths of the shared hidden layers
activation = "relu"               # relu, leaky_relu, elu, selu, tanh, sigmoid, silu
# alpha = 0.01                    # leaky_relu slope (0.01) or elu alpha (1.0)
dropout = 0.0                     # in [0, 1)
init = "torch"                    # "torch", "he" or "glorot"

[network.domain_head]             # the domain classifier of gradient reversal
# from_layer = 2                  # default: the last hidden layer, len(hidden) - 1
hidden = [32]
# activation = "relu"             # default: network.activation (and its alpha)
# alpha = 0.01

[network.mass_head]               # the mass regressor of the decorrelation adversary
# from_layer = 2                  # default: the last hidden layer
hidden = [32]
# activation = "relu"             # default: network.activation
# alpha = 0.01

[training]
optimizer = "adam"                # sgd, adam, adamw, adamax, adadelta, rmsprop, or a table:
# optimizer = { name = "sgd", momentum = 0.0, dampening = 0.0, weight_decay = 0.0, nesterov = false }
# optimizer = { name = "adam", betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0.0, amsgrad = false }
# optimizer = { name = "adamw", betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0.01, amsgrad = false }
# optimizer = { name = "adamax", betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0.0 }
# optimizer = { name = "adadelta", rho = 0.9, eps = 1e-6, weight_decay = 0.0 }
# optimizer = { name = "rmsprop", alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0, centered = false }
# learning_rate = 1e-3            # default: the optimiser's (sgd 0.01, adam 1e-3,
#                                 # adamw 1e-3, adamax 2e-3, adadelta 1.0, rmsprop 0.01)
schedule = "constant"             # "constant", "ganin", or a table:
# schedule = { kind = "step", step_size = 10, gamma = 0.1 }
# schedule = { kind = "exponential", gamma = 0.95 }
# schedule = { kind = "ganin", alpha = 10.0, beta = 0.75 }
batch_size = 1024                 # classification events per step
# domain_batch_size = 1024        # default: batch_size
domain_every = 1                  # a domain batch every this many steps
epochs = 20
early_stopping = 5                # patience in epochs; 0 switches it off
validation = 0.2                  # fraction held out for validation; 0 trains on all
folds = 0                         # k-fold training with k >= 2; 0 switches folds off
# fold = "event % 5"              # required with folds: the event's fold, 0..k-1
seed = 1
# clip_grad_norm = 1.0            # default: no clipping
# init = "model.json"             # default: none; start from this model file
metric_events = 200000            # events for each per-epoch AUC

[adaptation]
method = "none"                   # "none", "histogram", "reversal", "both", "doping"
# The method's own keys; a key the method does not use is refused, so they are shown
# commented out with their defaults:
# lambda = 10.0                   # lambda_H (histogram, both; 10), lambda_G (reversal; 1)
# reversal_lambda = 1.0           # lambda_G with "both"
# schedule = "constant"           # reversal, both: "constant" or "dann"
# gamma = 10.0                    # with schedule = "dann"
# bins = 10                       # histogram, both: bins of the histogram loss
# warmup_epochs = 0               # epochs without domain batches
# doping_fraction = 0.1           # doping: the control region's share of the background

# Optional: keep the score independent of a mass.
# [decorrelation]
# mass = "mass"                   # required in this section
# method = "flatness"             # "flatness", "adversary" or "both"
# lambda = 1.0                    # lambda_F
# adversary_lambda = 1.0          # lambda_M; default lambda with "adversary", else 1
# mass_bins = 10                  # mass bins of the flatness loss
# bins = 10                       # score bins of the flatness loss
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;
    use std::path::Path;

    /// The placeholders of the required keys, and nothing else.
    const MINIMAL: &str = r#"
[inputs]
features = ["pt", "abs(eta)"]
[classification.signal]
files = ["signal.root:Events"]
[classification.background]
files = ["background.root:Events"]
"#;

    fn plain(text: &str) -> String {
        let mut c = RunConfig::from_str(text, Path::new("init.toml"), &[]).unwrap();
        c.as_used = toml::Table::new();
        format!("{c:?}")
    }

    #[test]
    fn the_template_reads_back_as_the_defaults() {
        assert_eq!(plain(TEMPLATE), plain(MINIMAL));
        // every commented default is valid TOML too, once uncommented one at a time
        for line in TEMPLATE.lines() {
            let Some(rest) = line.strip_prefix("# ") else {
                continue;
            };
            let code = rest.split("  #").next().unwrap_or("").trim();
            if code.contains(" = ") && !code.starts_with('[') {
                let t: Result<toml::Table, _> = toml::from_str(code);
                assert!(t.is_ok(), "{code}");
            }
        }
    }

    #[test]
    fn every_key_of_the_docs_is_in_the_template() {
        let docs = include_str!("../../docs/config.md");
        let mut n = 0;
        for line in docs.lines() {
            // the first cell of a table row: | `key` | ...
            let Some(cell) = line.strip_prefix("| `") else {
                continue;
            };
            let Some(key) = cell.split('`').next() else {
                continue;
            };
            if !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                continue;
            }
            n += 1;
            let found = TEMPLATE.contains(&format!("{key} ="))
                || TEMPLATE.contains(&format!("\"{key}\""))
                || TEMPLATE.contains(&format!(".{key}]"));
            assert!(
                found,
                "docs/config.md key `{key}` is not in the init template"
            );
        }
        assert!(n > 40, "{n} keys read from docs/config.md");
    }
}
