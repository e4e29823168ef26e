//! The reference for `kp generate`'s cost: makes `n` suite-1 key packages
//! (RustCrypto) with the builder settings `kp generate` uses and prints each
//! in hex, one per line, as `kp generate` does, but stores nothing. So
//!
//! ```text
//! cargo build --release -p keypackage-cli -p keypackage-benches --example create_only
//! hyperfine -N --warmup 2 --prepare 'rm -rf /tmp/kp-bench' \
//!     'target/release/examples/create_only 2000' \
//!     'target/release/kp generate --count 2000 --keystore /tmp/kp-bench/ks.sqlite'
//! ```
//!
//! measures what storing costs on top of creating (BENCHMARKS.md, "Key
//! store"). Argument: the count (default 2000).

use std::io::Write;
use std::process::ExitCode;

use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
use keypackage_core::traits::{CipherSuite, SignatureScheme};
use keypackage_core::{Credential, KeyPackageBuilder};

/// `kp generate`'s default lifetime: 84 days.
const LIFETIME: u64 = 84 * 24 * 60 * 60;

fn main() -> ExitCode {
    let n: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 2000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: create_only [COUNT]");
            return ExitCode::from(2);
        }
    };
    let crypto = RustCrypto::new();
    let Ok(signer) = RustCryptoSigner::generate(SignatureScheme::Ed25519) else {
        return ExitCode::FAILURE;
    };
    let builder = KeyPackageBuilder::new()
        .max_lifetime(None)
        .lifetime_seconds(LIFETIME)
        .grease(true);
    let credential = Credential::basic("bench");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for _ in 0..n {
        let made = builder
            .build(
                &crypto,
                CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
                credential.clone(),
                &signer,
            )
            .map_err(|e| e.to_string())
            .and_then(|bundle| bundle.key_package().encode().map_err(|e| e.to_string()));
        let line = match made {
            Ok(bytes) => hex::encode(bytes) + "\n",
            Err(err) => {
                eprintln!("create_only: {err}");
                return ExitCode::FAILURE;
            }
        };
        if out.write_all(line.as_bytes()).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
