//! The shared backend conformance suite of `keypackage-traits`.

#[test]
fn rustcrypto_passes_the_crypto_conformance_suite() {
    keypackage_traits::conformance::crypto::run(&backend_rustcrypto::RustCrypto::new());
}
