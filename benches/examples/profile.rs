//! A loop to run under `valgrind --tool=callgrind`: `n` creations or
//! validations of one backend and suite, nothing else, so that instruction
//! counts show what is not crypto.
//!
//! ```text
//! cargo build -p keypackage-benches --release --example profile
//! valgrind --tool=callgrind target/release/examples/profile rustcrypto 1 create 200
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -60
//! ```
//!
//! Arguments: backend (`rustcrypto` | `ring`), suite number, operation
//! (`create` | `validate` | `bound-create` | `bound-validate` |
//! `set-one-by-one` | `set-batch`), count. The `set-*` operations validate
//! `count` key packages of `count / 10` signers, one by one or with the
//! batch API on one thread, inside `measured`: add
//! `--toggle-collect='*measured*'` to count only the validation.

use std::process::ExitCode;

use keypackage_benches::{BackendKind, Error, Fixture, now};
use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto};
use keypackage_core::{AcceptAnyCredential, Credential, KeyPackageBuilder, ValidationContext};

fn run<C: OpenMlsCrypto>(
    crypto: C,
    kind: BackendKind,
    suite: CipherSuite,
    op: &str,
    n: usize,
) -> Result<(), Error> {
    let fixture = Fixture::new(crypto, suite)?;
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    let builder = KeyPackageBuilder::new();
    match op {
        "create" => {
            for _ in 0..n {
                builder.build(
                    &fixture.crypto,
                    suite,
                    Credential::basic("bench"),
                    &fixture.signer,
                )?;
            }
        }
        "validate" => {
            let inputs = vec![fixture.key_package.clone(); n];
            for kp in inputs {
                kp.validate(&fixture.crypto, &ctx)?;
            }
        }
        "bound-create" => {
            let bound = fixture.bound(kind)?;
            for _ in 0..n {
                bound.create()?;
            }
        }
        "bound-validate" => {
            let bound = fixture.bound(kind)?;
            for _ in 0..n {
                if !bound.validate() {
                    return Err("bound validation failed".into());
                }
            }
        }
        "set-one-by-one" | "set-batch" => {
            let encoded =
                keypackage_benches::key_package_set(&fixture.crypto, suite, n.div_ceil(10), 10)?;
            let items = keypackage_benches::decode_all(&encoded)?;
            let valid = measured(items, &fixture.crypto, &ctx, op == "set-batch");
            if valid != encoded.len() {
                return Err("a key package of the set was refused".into());
            }
        }
        _ => return Err(format!("unknown operation {op}").into()),
    }
    Ok(())
}

/// The validation of a set, alone (for callgrind's `--toggle-collect`).
#[inline(never)]
fn measured<C: OpenMlsCrypto>(
    items: Vec<keypackage_core::KeyPackageIn>,
    crypto: &C,
    ctx: &ValidationContext<'_>,
    batch: bool,
) -> usize {
    let verdicts: Vec<_> = if batch {
        keypackage_core::validate_batch_with(
            items,
            crypto,
            ctx,
            keypackage_core::BatchOptions::new().threads(1),
        )
    } else {
        items
            .into_iter()
            .map(|kp| kp.validate(crypto, ctx))
            .collect()
    };
    verdicts.iter().filter(|v| v.is_ok()).count()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [backend, suite, op, n] = args.as_slice() else {
        eprintln!(
            "usage: profile <rustcrypto|ring> <suite> <create|validate|bound-create|bound-validate> <n>"
        );
        return ExitCode::FAILURE;
    };
    let (Ok(suite), Ok(n)) = (suite.parse::<u16>(), n.parse::<usize>()) else {
        eprintln!("suite and n are numbers");
        return ExitCode::FAILURE;
    };
    let suite = CipherSuite(suite);
    let result = match backend.as_str() {
        "rustcrypto" => run(RustCrypto::new(), BackendKind::RustCrypto, suite, op, n),
        "ring" => run(RingCrypto::new(), BackendKind::Ring, suite, op, n),
        other => Err(format!("unknown backend {other}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
