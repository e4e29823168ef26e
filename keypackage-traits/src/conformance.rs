//! Conformance suites, generic over the traits, that every implementation
//! runs with a one-line test: [`crypto`] for crypto backends, [`key_store`]
//! for key stores.

pub mod crypto;
pub mod key_store;
