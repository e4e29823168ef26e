//! Helpers shared by the interoperability tests: loading the vectors in
//! `testdata/`, and naming the backends under test.

use std::path::PathBuf;

/// Path of a file under the workspace's `testdata/` folder.
pub fn testdata(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(relative)
}

/// Reads and parses a JSON vector file under `testdata/`.
pub fn load_json(relative: &str) -> Result<serde_json::Value, String> {
    let path = testdata(relative);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Decodes a hex string from a vector file.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text).map_err(|e| format!("bad hex in vector: {e}"))
}

use keypackage_core::traits::{CipherSuiteProvider, Ciphersuite, OpenMlsCrypto};

/// The backend's own in-memory signer type for a suite.
pub type SignerOf<C> = <<C as OpenMlsCrypto>::Suite as CipherSuiteProvider>::Signer;

/// A fresh signature key for `suite`, made and held by the backend itself,
/// through the generic traits only.
pub fn fresh_signer<C: OpenMlsCrypto>(
    crypto: &C,
    suite: Ciphersuite,
) -> Result<SignerOf<C>, String> {
    let provider = crypto.suite(suite).map_err(|e| e.to_string())?;
    let pair = provider
        .signature_generate_key_pair()
        .map_err(|e| e.to_string())?;
    provider.signer(&pair.private).map_err(|e| e.to_string())
}

/// The current time, for tests that build key packages with the default lifetime.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
