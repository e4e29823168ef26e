//! `kp speed`: how long creating and validating one key package takes.
//!
//! A measurement, not a test. K key packages are created with one signer
//! (as a client does: one signature key, fresh HPKE keys each time), then
//! each is decoded and validated from its encoding (as a delivery service
//! does). Every operation is timed on its own with `Instant`; the report
//! gives the median (`*_us`) and the mean (`*_mean_us`) in microseconds.
//! Single-threaded: one core does the work, the core count is printed for
//! comparison. Then the same encodings are validated once more as one batch
//! on every core (`batch_validate_us`, the mean per key package).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use keypackage_core::traits::{CipherSuiteProvider, OpenMlsCrypto};
use keypackage_core::{
    AcceptAnyCredential, Credential, KeyPackageBuilder, KeyPackageIn, ValidationContext,
};
use keypackage_core::{BatchOptions, validate_encoded_batch};
use serde_json::json;

use crate::backend::{self, Backend, suite_label};
use crate::cli::SpeedArgs;
use crate::error::CliError;
use crate::output::print_lines;
use crate::progress::Progress;
use crate::time;
use crate::with_crypto;

/// Median and mean of a set of timings, in microseconds.
#[derive(Debug, Clone, Copy)]
struct Summary {
    median_us: f64,
    mean_us: f64,
}

fn summarize(samples: &mut [Duration]) -> Summary {
    samples.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let n = samples.len();
    let median_us = match n {
        0 => 0.0,
        _ if n % 2 == 1 => samples.get(n / 2).copied().map_or(0.0, micros),
        _ => {
            let a = samples.get(n / 2 - 1).copied().map_or(0.0, micros);
            let b = samples.get(n / 2).copied().map_or(0.0, micros);
            (a + b) / 2.0
        }
    };
    let total: Duration = samples.iter().sum();
    let mean_us = if n == 0 {
        0.0
    } else {
        micros(total) / n as f64
    };
    Summary { median_us, mean_us }
}

/// The largest `--count`. `kp speed` keeps every encoding and two timings
/// per key package in memory (about 0.4 KB for suite 1, under 1 KB for any
/// suite): 100,000 is under 100 MB and a few minutes at most, and far more
/// samples than a stable median needs.
pub(crate) const MAX_COUNT: usize = 100_000;

/// Runs `kp speed`.
pub(crate) fn run(args: &SpeedArgs) -> Result<ExitCode, CliError> {
    if args.count == 0 {
        return Err(CliError::usage("--count must be at least 1"));
    }
    if args.count > MAX_COUNT {
        return Err(CliError::usage(format!(
            "--count must be at most {MAX_COUNT} (kp speed keeps every key package in memory)"
        )));
    }
    with_crypto!(args.backend, crypto => measure(&crypto, args.backend, args))
}

fn measure<C: OpenMlsCrypto>(
    crypto: &C,
    backend: Backend,
    args: &SpeedArgs,
) -> Result<ExitCode, CliError> {
    let suite = backend::provider(crypto, backend, args.cipher_suite)?;
    let internal =
        |what: &str, e: &dyn std::fmt::Display| CliError::internal(format!("{what}: {e}"));
    let pair = suite
        .signature_generate_key_pair()
        .map_err(|e| internal("cannot make a signature key", &e))?;
    let signer = suite
        .signer(&pair.private)
        .map_err(|e| internal("cannot load the signature key", &e))?;
    let builder = KeyPackageBuilder::new();
    let credential = Credential::basic("kp-speed");

    let mut create = Vec::with_capacity(args.count);
    let mut encoded = Vec::with_capacity(args.count);
    let mut progress = Progress::new("created", args.count);
    for done in 1..=args.count {
        let credential = credential.clone();
        let start = Instant::now();
        let bundle = builder
            .build(crypto, args.cipher_suite, credential, &signer)
            .map_err(|e| internal("cannot create a key package", &e))?;
        create.push(start.elapsed());
        encoded.push(
            bundle
                .key_package()
                .encode()
                .map_err(|e| internal("cannot encode", &e))?,
        );
        progress.update(done);
    }
    progress.finish();

    let ctx = ValidationContext::new(time::now(), &AcceptAnyCredential);
    let mut validate = Vec::with_capacity(args.count);
    let mut progress = Progress::new("validated", args.count);
    for (done, bytes) in encoded.iter().enumerate() {
        let start = Instant::now();
        let result = KeyPackageIn::decode(bytes)
            .map_err(keypackage_core::ValidationError::from)
            .and_then(|kp| kp.validate(crypto, &ctx));
        validate.push(start.elapsed());
        result.map_err(|e| internal("a key package we made does not validate", &e))?;
        progress.update(done + 1);
    }
    progress.finish();

    let batch = batch_validate_us(crypto, &encoded, &ctx)?;
    let create = summarize(&mut create);
    let validate = summarize(&mut validate);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let lines = if args.json {
        let mut report = json!({
            "backend": backend.name(),
            "cipher_suite": args.cipher_suite.0,
            "count": args.count,
            "cores": cores,
            "statistic": "median",
            "create_us": round(create.median_us),
            "create_mean_us": round(create.mean_us),
            "validate_us": round(validate.median_us),
            "validate_mean_us": round(validate.mean_us),
        });
        if let (Some((batch, threads)), Some(map)) = (batch, report.as_object_mut()) {
            map.insert("batch_validate_us".to_owned(), json!(round(batch)));
            map.insert("batch_threads".to_owned(), json!(threads));
        }
        vec![report.to_string()]
    } else {
        let mut lines = vec![
            format!("backend: {}", backend.name()),
            format!("cipher_suite: {}", suite_label(args.cipher_suite)),
            format!("count: {}", args.count),
            format!("cores: {cores} (one used)"),
            format!(
                "create_us: {:.1} median, {:.1} mean",
                create.median_us, create.mean_us
            ),
            format!(
                "validate_us: {:.1} median, {:.1} mean",
                validate.median_us, validate.mean_us
            ),
        ];
        if let Some((batch, threads)) = batch {
            lines.push(format!(
                "batch_validate_us: {batch:.1} mean ({threads} threads)"
            ));
        }
        lines
    };
    print_lines(&lines)?;
    Ok(ExitCode::SUCCESS)
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Microseconds per key package (mean) and the number of threads, when
/// `encoded` is validated as one batch with
/// [`keypackage_core::validate_encoded_batch`] on every core
/// (decoding included, as in the single measurement).
fn batch_validate_us<C: OpenMlsCrypto>(
    crypto: &C,
    encoded: &[Vec<u8>],
    ctx: &ValidationContext<'_>,
) -> Result<Option<(f64, usize)>, CliError> {
    let options = BatchOptions::new();
    let start = Instant::now();
    let verdicts = validate_encoded_batch(encoded, crypto, ctx, options);
    let elapsed = start.elapsed();
    if let Some(Err(e)) = verdicts.iter().find(|v| v.is_err()) {
        return Err(CliError::internal(format!(
            "batch validation refused a key package we made: {e}"
        )));
    }
    let count = encoded.len().max(1) as f64;
    Ok(Some((
        elapsed.as_secs_f64() * 1e6 / count,
        options.threads_for(encoded.len()),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mean() {
        let mut odd = [3, 1, 2].map(Duration::from_micros);
        let s = summarize(&mut odd);
        assert_eq!((s.median_us, s.mean_us), (2.0, 2.0));
        let mut even = [4, 1, 2, 9].map(Duration::from_micros);
        let s = summarize(&mut even);
        assert_eq!((s.median_us, s.mean_us), (3.0, 4.0));
    }
}
