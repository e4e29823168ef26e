//! The pure-Rust crypto backend of keypackage: RustCrypto primitives and
//! hpke-rs behind the [`OpenMlsCrypto`](keypackage_traits::OpenMlsCrypto)
//! trait, for the MLS cipher suites of RFC 9420 §17.1.
//!
//! | suite | KEM | AEAD | hash | signature | build |
//! |---|---|---|---|---|---|
//! | 1 `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519` | X25519 | AES-128-GCM | SHA-256 | Ed25519 | default |
//! | 2 `MLS_128_DHKEMP256_AES128GCM_SHA256_P256` | P-256 | AES-128-GCM | SHA-256 | ECDSA P-256 | default |
//! | 3 `MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519` | X25519 | ChaCha20-Poly1305 | SHA-256 | Ed25519 | default |
//! | 4 `MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448` | X448 | AES-256-GCM | SHA-512 | Ed448 | feature `x448` |
//! | 5 `MLS_256_DHKEMP521_AES256GCM_SHA512_P521` | P-521 | AES-256-GCM | SHA-512 | ECDSA P-521 | default |
//! | 6 `MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448` | X448 | ChaCha20-Poly1305 | SHA-512 | Ed448 | feature `x448` |
//! | 7 `MLS_256_DHKEMP384_AES256GCM_SHA384_P384` | P-384 | AES-256-GCM | SHA-384 | ECDSA P-384 | default |
//!
//! Suites 4 and 6 sit behind the `x448` feature because the `x448` and
//! `ed448-goldilocks` crates are pre-releases;
//! [`supported_cipher_suites`](keypackage_traits::OpenMlsCrypto::supported_cipher_suites)
//! lists exactly the suites of the build.
//!
//! # How
//!
//! This crate supplies primitives; backend-common writes the rest once for
//! both backends (the provider traits, DHKEM and `DeriveKeyPair`, HPKE, key
//! generation, the key policies). The public face is [`RustCrypto`], its
//! per-suite [`RustCryptoSuite`], and the in-memory [`RustCryptoSigner`].
//!
//! * `primitives.rs`: hashes, HMAC/HKDF, AEADs (sha2, hkdf and hmac,
//!   aes-gcm, chacha20poly1305) and randomness: the operating system (`getrandom`),
//!   nothing else; there is no test-only random source.
//! * `dh.rs`: the Diffie-Hellman groups of the KEMs: X25519 (curve25519-dalek),
//!   X448 (x448), P-256/P-384/P-521 (p256, p384, p521 through `nist.rs`).
//! * `signature.rs`: Ed25519 (ed25519-dalek), ECDSA (p256, p384, p521),
//!   Ed448 (ed448-goldilocks).
//! * `provider.rs`: the suite list and the two type aliases.
//!
//! # Encoding rules (docs/DESIGN.md §3 P7)
//!
//! Enforced by this crate or backend-common, not left to the underlying
//! crates:
//!
//! * P-256/P-384/P-521 public keys (HPKE and ECDSA) only as uncompressed
//!   SEC1 points, on the curve, not the identity; private scalars exactly
//!   `Nsk` bytes in `[1, n)` (`nist.rs`: RustCrypto's parsers would also
//!   take compressed points);
//! * an all-zero X25519/X448 shared secret is
//!   [`CryptoError::ZeroSharedSecret`](keypackage_traits::CryptoError::ZeroSharedSecret)
//!   (RFC 9180 §7.1.4), when encrypting and when decrypting;
//! * ECDSA signatures are DER, produced deterministically (RFC 6979);
//!   high-S signatures verify, as with every peer;
//! * Ed25519 follows the written policy
//!   [`ED25519_POLICY`](backend_common::ED25519_POLICY), checked by
//!   backend-common before ed25519-dalek's cofactorless `verify`; Ed448
//!   encodings follow [`backend_common::ed448`]. The ring backend gets the
//!   same checks from the same code.
//!
//! Private keys are [`Secret`](keypackage_traits::Secret)-backed
//! (zeroized on drop, redacted in `Debug`); so is [`RustCryptoSigner`]. The
//! AES-GCM and ChaCha20-Poly1305 key schedules, the SHA-2 states (HMAC's
//! keyed states among them) and HMAC's input buffers wipe themselves on
//! drop: the crates' `zeroize` features are on.
//!
//! # Example
//!
//! ```
//! use backend_rustcrypto::RustCrypto;
//! use keypackage_traits::{CipherSuiteProvider, CipherSuite, OpenMlsCrypto, Signer};
//!
//! let crypto = RustCrypto::new();
//! let suite = crypto.suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)?;
//!
//! // Sign with an in-memory signer, verify with the public key.
//! let keys = suite.signature_generate_key_pair()?;
//! let signer = suite.signer(&keys.private)?;
//! let signature = signer.sign(b"key package")?;
//! suite.verify(signer.public_key(), b"key package", &signature)?;
//!
//! // HPKE to an init key, and back with its private key.
//! let init = suite.hpke_generate_key_pair()?;
//! let sealed = suite.hpke_seal(&init.public, b"info", b"", b"group secrets")?;
//! let opened = suite.hpke_open(
//!     &init.private,
//!     sealed.kem_output.as_slice(),
//!     b"info",
//!     b"",
//!     sealed.ciphertext.as_slice(),
//! )?;
//! assert_eq!(opened.expose(), b"group secrets");
//! # Ok::<(), keypackage_traits::CryptoError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dh;
mod nist;
mod primitives;
mod provider;
mod signature;

pub use provider::{RustCrypto, RustCryptoSuite};
pub use signature::RustCryptoSigner;
