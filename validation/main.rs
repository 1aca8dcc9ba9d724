//! rootgrad's integration tests: one test binary, one module per concern.
//!
//! - `conformance`: every numeric branch of the real ROOT files in ../shared/rootfiles
//!   against what uproot reads (../shared/rootfiles/manifest.json).
//! - `uproot_files`: files uproot wrote with each codec, a >16 MiB basket, 1,000 baskets
//!   per branch and no entries, read back bit for bit.

mod conformance;
mod uproot_files;
