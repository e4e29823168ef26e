//! Helpers shared by the interoperability tests: loading the vectors in
//! `testdata/`, and naming the backends under test.

use std::path::PathBuf;

/// Path of a file under the workspace's `testdata/` folder.
pub fn testdata(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(relative)
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
