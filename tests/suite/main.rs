//! The integration tests, as one test binary: each module is a theme, each
//! runs the real `kura` binary on small input folders under
//! tests/fixtures (or ones it writes) and asserts on what it wrote and said.
//! One binary instead of one per theme: each would link the whole library
//! again, which was most of the test build's time.

mod common;

mod audit;
mod errors;
mod fuzz;
mod incremental;
mod integrity;
mod maps;
mod mirror;
mod nist;
mod security;
mod site;
mod snapshots;
mod tlog;
