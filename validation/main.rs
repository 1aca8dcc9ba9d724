//! rootgrad's integration tests: one test binary, one module per concern.
//!
//! - `architecture`: the layers of `src/` (docs/architecture.md): imports only downward,
//!   no circles, every module placed; `kernels/src/gemm.rs` a leaf.
//! - `chain`: several files of one tree as one chain (globs, ranges across the file
//!   boundary, jagged offsets), friends joined by entry number or refused, error messages.
//! - `chain_morph`: `morph --chain` on a toy with a known conditional map (entry by
//!   entry against the formula, the correlation, the spike fraction per bin), against
//!   the per-variable morph; `apply -m chain.json` bit for bit; 1 vs 2 threads; bad input.
//! - `cli`: the `rootgrad` binary as a user meets it: `inspect` and `dump` output against
//!   the library, one-line errors with exit code 2, and `dump -o` written atomically.
//! - `day_one`: issue 17's first-day problems end to end: errors naming the sample, key
//!   and resolved path, no empty output folders, `--set`/`--unset` switching the method,
//!   the out-of-fold line of k-fold training with `validation = 0`, `init`.
//! - `conformance`: every numeric branch of the real ROOT files in ../shared/rootfiles
//!   against what uproot reads (../shared/rootfiles/manifest.json).
//! - `nn`: the network's gradients (shared layers, classifier, both reversal heads) against
//!   finite differences and PyTorch by tensor name; 1 vs 2 threads bit for bit.
//! - `optim`: three steps of every optimiser, the schedules and gradient clipping against
//!   torch.optim in f64 (relative 1e-12) and f32 (1e-5) (validation/torch_optim.py).
//! - `loss`: every loss term and its gradient against PyTorch autograd by name, f64
//!   (relative 1e-10) and f32 (1e-5) (validation/torch_loss.py); the quantile loss
//!   through its non-crossing map likewise (validation/torch_quantile.py).
//! - `metrics`: weighted ROC AUC and curve against scikit-learn, weighted KS distance
//!   against scipy and numpy, relative 1e-12 (validation/metrics_golden.py); the
//!   truncated AUC, CvM flatness (on the real flavours file), the chi2 test and its
//!   p-value (scipy, mpmath) and efficiencies (validation/metrics_golden_more.py).
//! - `expr`: the expression language on real files (jagged, fixed-size and scalar branches,
//!   a chunk across two files) against the same formulas in plain Rust, bit for bit.
//!   against scipy and numpy, relative 1e-12 (validation/metrics_golden.py).
//! - `plots`: every figure kind as PNG (decoded back to its size) and SVG (axis titles and
//!   legend texts present); bad extensions, empty histograms and NaN inputs are errors
//!   that leave no file, and no temporary file is left behind.
//! - `reweight`: `reweight` and `morph`: weighted CDFs with signed weights, quantiles, the
//!   morph and the reweighting factor against numpy/scikit-learn
//!   (validation/reweight_golden.py); the learned factor against the analytic ratio of two
//!   Gaussians; friend trees entry for entry; bad inputs.
//! - `morph`: the morph of a spike and of an integer variable against the data's
//!   fraction and pmf (validation/morph_golden.py); per-entry reproducibility; the warning.
//! - `roc_signed`: working points with negative weights on the signed ROC's envelope
//!   against scikit-learn (validation/roc_signed_golden.py).
//! - `nested`: `std::vector<std::vector<T>>` branches as lists of lists: ROOT 6.20's
//!   against uproot; ROOT 6.40's of every number type and split level against ROOT's own
//!   reading (the files validation/root640/generate.py writes in CI).
//! - `mutation`: seeded byte mutations of real ROOT files give errors, never panics or hangs.
//! - `uproot_files`: files uproot wrote with each codec, a >16 MiB basket, 1,000 baskets
//!   per branch and no entries, read back bit for bit.
//! - `rntuple`: every numeric leaf of the 22 RNTuple files in ../shared/rntuple against
//!   uproot (../shared/rntuple/manifest.json); corrupt RNTuples refused, never a panic.
//! - `samples`: `rootgrad samples generate` with few events: same seed, same bytes; the
//!   documented trees, branches and entry counts; sWeights summing to the fitted yields,
//!   some negative; about 10% negative generator weights.
//! - `workflow`: `train` and `apply` end to end on ntuples written in the test: outputs,
//!   1 vs 2 threads bit for bit, folds entry by entry, scores against a plain forward
//!   pass of model.json, and every bad input (exit code 2, no output).
//! - `sf`: `rootgrad sf` (data/simulation scale factors with signed weights) against
//!   numpy (validation/sf/sf_reference.py).
//! - `torch_golden`: loading the PyTorch goldens and the shared relative comparison.

mod architecture;
mod chain;
mod chain_morph;
mod cli;
mod conformance;
mod day_one;
mod expr;
mod loss;
mod metrics;
mod morph;
mod mutation;
mod nested;
mod nn;
mod optim;
mod plots;
mod reweight;
mod rntuple;
mod roc_signed;
mod samples;
mod sf;
mod torch_golden;
mod uproot_files;
mod workflow;
