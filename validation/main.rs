//! rootgrad's integration tests: one test binary, one module per concern.
//!
//! - `conformance`: every numeric branch of the real ROOT files in ../shared/rootfiles
//!   against what uproot reads (../shared/rootfiles/manifest.json).

mod conformance;
