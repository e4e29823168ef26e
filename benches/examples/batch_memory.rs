//! Peak memory of batch validation: 10,000 suite-1 key packages (1,000
//! signers, ten each), validated from their encodings with
//! `validate_encoded_batch` on every core.
//!
//! ```text
//! cargo build -p keypackage-benches --release --example batch_memory
//! /usr/bin/time -v target/release/examples/batch_memory [rustcrypto|ring] [count]
//! ```
//!
//! Prints `VmHWM` (peak resident set) for the whole process, and for the
//! validation alone: the peak is reset (`5` into `/proc/self/clear_refs`,
//! Linux ≥ 4.0) once the encodings exist, so the second figure is what
//! validation adds on top of the inputs, results included.

use std::process::ExitCode;

use keypackage_benches::{Error, key_package_set, now, proc_status_kib};
use keypackage_core::ring::RingCrypto;
use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto};
use keypackage_core::{AcceptAnyCredential, ValidationContext};
use keypackage_core::{BatchOptions, validate_encoded_batch};

fn run<C: OpenMlsCrypto>(crypto: &C, count: usize) -> Result<(), Error> {
    let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
    let per_signer = 10;
    let encoded = key_package_set(crypto, suite, count.div_ceil(per_signer), per_signer)?;
    let input_bytes: usize = encoded.iter().map(Vec::len).sum();
    let after_create = proc_status_kib("VmHWM");
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before = proc_status_kib("VmRSS");

    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    let start = std::time::Instant::now();
    let verdicts = validate_encoded_batch(&encoded, crypto, &ctx, BatchOptions::new());
    let elapsed = start.elapsed();
    let peak = proc_status_kib("VmHWM");
    let valid = verdicts.iter().filter(|v| v.is_ok()).count();
    if valid != encoded.len() {
        return Err(format!(
            "{} of {} key packages refused",
            encoded.len() - valid,
            encoded.len()
        )
        .into());
    }

    let mib = |kib: Option<u64>| {
        kib.map_or("n/a".to_owned(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    println!("backend: {}", crypto.name());
    println!(
        "key packages: {} ({} bytes encoded), all valid",
        encoded.len(),
        input_bytes
    );
    println!(
        "threads: {}",
        BatchOptions::new().threads_for(encoded.len())
    );
    println!(
        "validation: {:.1} ms, {:.1} µs per key package",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / encoded.len() as f64
    );
    println!("VmHWM after creating the inputs: {}", mib(after_create));
    println!("VmRSS before validation: {}", mib(rss_before));
    if reset {
        println!(
            "VmHWM during validation (peak reset before it): {}",
            mib(peak)
        );
    } else {
        println!(
            "VmHWM (peak could not be reset, whole process): {}",
            mib(peak)
        );
    }
    drop(verdicts);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().map_or("rustcrypto", String::as_str);
    let count = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let result = match backend {
        "rustcrypto" => run(&RustCrypto::new(), count),
        "ring" => run(&RingCrypto::new(), count),
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
