//! backend-common's conformance suites: keypackage-traits' crypto suite
//! (the provider traits' contract) and the Wycheproof runner.

#[test]
fn ring_passes_the_conformance_suites() {
    backend_common::conformance::run(&backend_ring::RingCrypto::new());
}
