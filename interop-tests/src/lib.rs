//! Helpers shared by the interoperability tests: loading the vectors in
//! `testdata/`, and naming the backends under test.

use std::path::PathBuf;

#[cfg(feature = "differential")]
pub mod differential;

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

use keypackage_core::traits::{CipherSuite, CipherSuiteProvider, OpenMlsCrypto};

/// The backend's own in-memory signer type for a suite.
pub type SignerOf<C> = <<C as OpenMlsCrypto>::Suite as CipherSuiteProvider>::Signer;

/// A fresh signature key for `suite`, made and held by the backend itself,
/// through the generic traits only.
pub fn fresh_signer<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
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

/// The order of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// A DER INTEGER (tag, length, minimal content) for a non-negative
/// big-endian value.
fn der_integer(value: &[u8]) -> Vec<u8> {
    let first = value
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(value.len().saturating_sub(1));
    let mut body = value.get(first..).unwrap_or_default().to_vec();
    if body.first().is_some_and(|b| b & 0x80 != 0) {
        body.insert(0, 0);
    }
    let mut out = vec![0x02, u8::try_from(body.len()).unwrap_or(0)];
    out.extend(body);
    out
}

/// A DER INTEGER's value as 32 big-endian bytes; `None` if it does not fit.
fn to_32(value: &[u8]) -> Option<[u8; 32]> {
    let value = value.strip_prefix(&[0]).unwrap_or(value);
    let mut out = [0u8; 32];
    out.get_mut(32usize.checked_sub(value.len())?..)?
        .copy_from_slice(value);
    Some(out)
}

/// The twin `(r, n - s)` of a DER ECDSA P-256 signature: it verifies under
/// the same key and message (ECDSA is malleable; RFC 9420 does not require
/// low-S, docs/DESIGN.md §5.7). `None` for anything that is not a
/// short-form DER P-256 signature.
pub fn ecdsa_p256_twin(signature: &[u8]) -> Option<Vec<u8>> {
    let body = signature.strip_prefix(&[0x30])?.get(1..)?;
    let r_len = usize::from(*body.get(1)?);
    let r = body.get(2..2 + r_len)?;
    let rest = body.get(2 + r_len..)?;
    let s = rest.get(2..2 + usize::from(*rest.get(1)?))?;
    let (r, s) = (to_32(r)?, to_32(s)?);
    // n - s, big-endian, with borrow.
    let mut twin = [0u8; 32];
    let mut borrow = 0u16;
    for i in (0..32).rev() {
        let (n, s) = (
            u16::from(*P256_ORDER.get(i)?),
            u16::from(*s.get(i)?) + borrow,
        );
        borrow = u16::from(n < s);
        *twin.get_mut(i)? = u8::try_from((n + 256 * borrow - s) & 0xFF).ok()?;
    }
    let mut content = der_integer(&r);
    content.extend(der_integer(&twin));
    let mut out = vec![0x30, u8::try_from(content.len()).ok()?];
    out.extend(content);
    Some(out)
}
