//! The conformance suites every backend runs from one test (feature
//! `conformance`): [`run`] runs keypackage-traits' crypto suite (the
//! provider traits' contract) and this crate's [`wycheproof`] runner.

use crate::backend::Backend;
use crate::provider::Provider;

pub mod wycheproof;

/// Runs both suites against `crypto`; panics on the first failure.
pub fn run<B: Backend>(crypto: &Provider<B>) {
    keypackage_traits::conformance::crypto::run(crypto);
    wycheproof::run(crypto);
}
