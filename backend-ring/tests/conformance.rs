//! The shared crypto backend conformance suite (`keypackage_traits::conformance`).

#[test]
fn ring_passes_the_crypto_conformance_suite() {
    keypackage_traits::conformance::crypto::run(&backend_ring::RingCrypto::new());
}
