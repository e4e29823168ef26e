#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Why the shared Ed25519 pre-check exists: on the 914 C2SP CCTV vectors
//! (`testdata/cctv-ed25519/`), ring's own `verify` accepts small-order and
//! non-canonical points that the policy refuses. The backend, with the
//! policy, accepts exactly the vectors carrying none of the flags
//! `low_order_A`, `low_order_R`, `non_canonical_A`, `non_canonical_R`,
//! `low_order_residue` (see `interop-tests/tests/cctv_ed25519.rs`, which
//! also compares with the other backend).

use std::path::PathBuf;

use backend_ring::RingCrypto;
use keypackage_traits::{CipherSuite, CipherSuiteProvider, OpenMlsCrypto, SignaturePublicKey};
use ring::signature::{ED25519, UnparsedPublicKey};

const REFUSED_FLAGS: [&str; 5] = [
    "low_order_A",
    "low_order_R",
    "non_canonical_A",
    "non_canonical_R",
    "low_order_residue",
];

#[test]
fn ring_alone_accepts_208_the_policy_43() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/cctv-ed25519/ed25519vectors.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let suite = RingCrypto::new()
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)
        .unwrap();
    let (mut raw, mut with_policy, mut expected) = (0, 0, 0);
    let vectors = json.as_array().unwrap();
    for v in vectors {
        let key = hex::decode(v["key"].as_str().unwrap()).unwrap();
        let sig = hex::decode(v["sig"].as_str().unwrap()).unwrap();
        let msg = v["msg"].as_str().unwrap().as_bytes();
        let flags: Vec<&str> = v["flags"]
            .as_array()
            .map(|f| f.iter().map(|s| s.as_str().unwrap()).collect())
            .unwrap_or_default();
        let by_ring = UnparsedPublicKey::new(&ED25519, &key)
            .verify(msg, &sig)
            .is_ok();
        let by_backend = suite
            .verifying_key(&SignaturePublicKey::new(key))
            .is_ok_and(|k| suite.verify_with(&k, msg, &sig).is_ok());
        let policy = !flags.iter().any(|f| REFUSED_FLAGS.contains(f));
        assert_eq!(
            by_backend, policy,
            "vector {}: flags {flags:?}",
            v["number"]
        );
        // The pre-check only ever removes acceptances.
        assert!(!by_backend || by_ring, "vector {}", v["number"]);
        raw += usize::from(by_ring);
        with_policy += usize::from(by_backend);
        expected += usize::from(policy);
    }
    println!(
        "CCTV Ed25519: {} vectors; ring's verify accepts {raw}, the backend {with_policy}, the flags say {expected}",
        vectors.len()
    );
    assert_eq!(vectors.len(), 914);
    assert_eq!(raw, 208);
    assert_eq!(with_policy, 43);
}
