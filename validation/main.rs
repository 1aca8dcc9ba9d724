//! rootgrad's integration tests: one test binary, one module per concern.
//!
//! - `conformance`: every numeric branch of the real ROOT files in ../shared/rootfiles
//!   against what uproot reads (../shared/rootfiles/manifest.json).
//! - `mutation`: seeded byte mutations of real ROOT files give errors, never panics or hangs.
//! - `uproot_files`: files uproot wrote with each codec, a >16 MiB basket, 1,000 baskets
//!   per branch and no entries, read back bit for bit.

mod conformance;
mod mutation;
mod uproot_files;
