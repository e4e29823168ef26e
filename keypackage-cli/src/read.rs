//! The commands that read key packages: `validate`, `inspect` and `ref`.

use std::process::ExitCode;

use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::OpenMlsCrypto;
use keypackage_core::traits::ProtocolVersion;
use keypackage_core::{
    AcceptAnyCredential, CredentialValidator, GroupParameters, KeyPackage, KeyPackageIn, Rule,
    ValidationContext, ValidationError,
};
use keypackage_core::{BatchOptions, validate_encoded_batch};
use serde_json::json;

use crate::backend;
use crate::cli::{InspectArgs, MaxLifetime, RefArgs, ValidateArgs};
use crate::error::{CliError, EXIT_INVALID};
use crate::input::{
    self, Classified, Decoded, Encoding, Item, MESSAGE_HEADER_LEN, Reader, strip_rule,
};
use crate::inspect::{self, Inspected};
use crate::output::Output;
use crate::prefetch::{Prefetch, Prefetched};
use crate::time::{self, DAY};
use crate::with_crypto;
use crate::x509;

/// The hour the library's default maximum adds for a backdated `not_before`.
const BACKDATE_ALLOWANCE: u64 = 3600;

/// An item's bytes and its decoding, or the KP-DECODE reason.
fn decode_item(item: &Item) -> Result<(Encoding, &[u8], Decoded), String> {
    let (encoding, bytes) = match &item.content {
        Ok((encoding, bytes)) => (*encoding, bytes.as_slice()),
        Err(reason) => return Err(reason.clone()),
    };
    let decoded = input::decode(bytes)?;
    Ok((encoding, bytes, decoded))
}

fn exit_status(any_bad: bool) -> ExitCode {
    if any_bad {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs `kp validate`: the input is read ahead on a thread of its own
/// ([`Prefetch`]) and validated chunk by chunk with the batch validator on
/// every core (or `--threads`); each chunk's verdicts are printed, in input
/// order, before the next chunk is taken.
pub(crate) fn run_validate(args: &ValidateArgs) -> Result<ExitCode, CliError> {
    let reader = Reader::open(args.file.as_deref(), args.limit.max_input_bytes)?;
    with_crypto!(args.backend, crypto => validate_all(&crypto, args, reader))
}

fn validate_all<C: OpenMlsCrypto>(
    crypto: &C,
    args: &ValidateArgs,
    reader: Reader,
) -> Result<ExitCode, CliError>
where
    C::Suite: 'static,
{
    if let Some(suite) = args.cipher_suite {
        backend::provider(crypto, args.backend, suite)?;
    }
    // --trust-anchors: x509 credentials are path-validated (keypackage-x509).
    let x509_validator = match &args.trust_anchors {
        Some(anchors) => Some(x509::validator(crypto, anchors, &args.crl)?),
        None => None,
    };
    let credential_validator: &dyn CredentialValidator = match &x509_validator {
        Some(validator) => validator,
        None => &AcceptAnyCredential,
    };
    let max_lifetime = match args.max_lifetime {
        MaxLifetime::Off => None,
        MaxLifetime::Days(days) => {
            Some(days.saturating_mul(DAY).saturating_add(BACKDATE_ALLOWANCE))
        }
    };
    let mut ctx = ValidationContext::new(args.now.unwrap_or_else(time::now), credential_validator)
        .with_max_lifetime(max_lifetime)
        .with_refuse_listed_defaults(!args.allow_listed_defaults)
        .with_own_capabilities_required(!args.allow_unlisted_own_capabilities);
    if let Some(suite) = args.cipher_suite {
        ctx = ctx.with_group(GroupParameters {
            cipher_suite: suite,
            version: ProtocolVersion::MLS10,
        });
    }
    let options = BatchOptions::new().threads(args.threads);

    let prefetch = Prefetch::start(reader)?;
    let mut out = Output::new();
    let mut any_invalid = false;
    loop {
        let chunk = match prefetch.next_chunk() {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(error) => {
                // The verdicts before the bad input stand.
                let _ = out.flush()?;
                return Err(error);
            }
        };
        let verdicts = judge_chunk(crypto, &ctx, options, &chunk);
        for (Prefetched { item, .. }, verdict) in chunk.iter().zip(verdicts) {
            let line = match verdict {
                Ok(Ok(kp)) => {
                    let reference = hex::encode(kp.reference().as_slice());
                    if args.json {
                        json!({
                            "line": item.line,
                            "status": "ok",
                            "reference": reference,
                            "cipher_suite": kp.cipher_suite().0,
                        })
                        .to_string()
                    } else {
                        format!("ok {reference}")
                    }
                }
                Ok(Err((rule, reason, credential_refusal))) => {
                    any_invalid = true;
                    if args.json {
                        let mut object = json!({
                            "line": item.line,
                            "status": "invalid",
                            "rule": rule,
                            "reason": reason,
                        });
                        // KP-CREDENTIAL: the kind of refusal (`expired`, …).
                        if let (Some(kind), Some(map)) =
                            (credential_refusal, object.as_object_mut())
                        {
                            map.insert("credential_refusal".to_owned(), kind.into());
                        }
                        object.to_string()
                    } else {
                        format!("invalid {rule} {}: {reason}", item.location())
                    }
                }
                Err(error) => {
                    let _ = out.flush()?;
                    return Err(error);
                }
            };
            if out.line(&line)?.is_err() {
                return Ok(exit_status(any_invalid));
            }
        }
        if out.flush()?.is_err() {
            return Ok(exit_status(any_invalid));
        }
    }
    Ok(exit_status(any_invalid))
}

/// A refusal: the rule, the reason, and for KP-CREDENTIAL the kind of
/// credential refusal.
type Refusal = (&'static str, String, Option<&'static str>);

/// A verdict: the validated key package, or the refusal; an internal
/// library error is a [`CliError`].
type Verdict = Result<Result<KeyPackage, Refusal>, CliError>;

/// Where an item of a chunk gets its verdict.
enum Slot {
    /// KP-DECODE, with the reason.
    Decode(String),
    /// The next result of the batch; `bare` when the batch decodes the
    /// whole input (its decoding errors are then the input's KP-DECODE).
    Batch { bare: bool },
    /// Decided on its own (boxed: it is rare, and large).
    Done(Box<Result<KeyPackage, ValidationError>>),
}

/// The verdicts of a chunk, in its order. Every key package is decoded and
/// validated by one [`validate_encoded_batch`] call on every core, which
/// gives exactly what `KeyPackageIn::decode` then [`KeyPackageIn::validate`]
/// give for each.
///
/// An `MLSMessage` is judged as [`KeyPackageIn::validate_message`] judges
/// it: that checks the message version against the expected one, then the
/// key package's version against the message's, then validates the key
/// package (KP-VER, RFC 9420 §6, §10). When the message version is the
/// expected one, the second check is the key package's own KP-VER, which
/// `validate` makes first with the same error; so the key package of such
/// a message joins the batch, and a message of another version gets
/// `validate_message`'s verdict.
fn judge_chunk<C: OpenMlsCrypto>(
    crypto: &C,
    ctx: &ValidationContext<'_>,
    options: BatchOptions,
    chunk: &[Prefetched],
) -> Vec<Verdict> {
    let mut encoded: Vec<&[u8]> = Vec::with_capacity(chunk.len());
    let slots: Vec<Slot> = chunk
        .iter()
        .map(|Prefetched { item, classified }| {
            let bytes = match &item.content {
                Ok((_, bytes)) => bytes.as_slice(),
                Err(reason) => return Slot::Decode(reason.clone()),
            };
            match classified {
                Classified::Refused(reason) => Slot::Decode(reason.clone()),
                Classified::Bare => {
                    encoded.push(bytes);
                    Slot::Batch { bare: true }
                }
                Classified::Message(version) if *version == ctx.expected_version => {
                    encoded.push(bytes.get(MESSAGE_HEADER_LEN..).unwrap_or_default());
                    Slot::Batch { bare: false }
                }
                Classified::Message(_) => {
                    Slot::Done(Box::new(KeyPackageIn::validate_message(bytes, crypto, ctx)))
                }
            }
        })
        .collect();
    let mut results = validate_encoded_batch(&encoded, crypto, ctx, options).into_iter();
    chunk
        .iter()
        .zip(slots)
        .map(|(Prefetched { item, .. }, slot)| match slot {
            Slot::Decode(reason) => Ok(Err((Rule::Decode.id(), reason, None))),
            Slot::Done(result) => judged(*result, item),
            Slot::Batch { bare } => match results.next() {
                // The input is not a key package: described as `decode`
                // describes it, with positions for truncation and trailing
                // bytes (the other decoding errors read the same either
                // way, as `ValidationError::Decode` displays its cause).
                Some(Err(ValidationError::Decode(error))) if bare => Ok(Err((
                    Rule::Decode.id(),
                    input::describe_decode_error(&error, item.size()),
                    None,
                ))),
                Some(result) => judged(result, item),
                None => Err(CliError::internal(format!(
                    "{}: the batch validator returned too few verdicts",
                    item.location()
                ))),
            },
        })
        .collect()
}

/// A library verdict as a [`Verdict`]: an error without a rule is internal.
fn judged(result: Result<KeyPackage, ValidationError>, item: &Item) -> Verdict {
    match result {
        Ok(kp) => Ok(Ok(kp)),
        Err(error) => match error.rule() {
            Some(rule) => {
                let kind = match &error {
                    ValidationError::Credential(rejected) => Some(rejected.kind.name()),
                    _ => None,
                };
                Ok(Err((rule.id(), reason_of(&error, rule.id()), kind)))
            }
            None => Err(CliError::internal(format!("{}: {error}", item.location()))),
        },
    }
}

/// The library's message without its leading rule ID.
fn reason_of(error: &ValidationError, rule: &str) -> String {
    strip_rule(&error.to_string(), rule).to_owned()
}

/// The next item for `inspect` and `ref`, which print as they read. Output
/// is flushed before a read that may wait (a pipe with nothing buffered),
/// and before a read error is returned, so the results before it stand.
fn next_item(reader: &mut Reader, out: &mut Output) -> Result<Option<Item>, CliError> {
    if reader.may_wait() {
        // A closed stdout is noticed at the next line written.
        let _ = out.flush()?;
    }
    match reader.next_item() {
        Ok(item) => Ok(item),
        Err(error) => {
            let _ = out.flush()?;
            Err(error)
        }
    }
}

/// Prints a per-input problem on stderr: `kp: error: line 3: ...`.
fn report(item: &Item, message: &str) {
    eprintln!("kp: error: {}: {message}", item.location());
}

/// Runs `kp inspect`.
pub(crate) fn run_inspect(args: &InspectArgs) -> Result<ExitCode, CliError> {
    let mut reader = Reader::open(args.file.as_deref(), args.limit.max_input_bytes)?;
    // RustCrypto has every suite (X448 on), so it computes every reference.
    let crypto = RustCrypto::new();
    let mut out = Output::new();
    let mut any_bad = false;
    let mut first = true;
    while let Some(item) = next_item(&mut reader, &mut out)? {
        let item = &item;
        let (encoding, bytes, decoded) = match decode_item(item) {
            Ok(found) => found,
            Err(reason) => {
                any_bad = true;
                report(item, &format!("not a key package (KP-DECODE): {reason}"));
                continue;
            }
        };
        let bare = bytes.get(decoded.bare_offset..).unwrap_or_default();
        let inspected = Inspected {
            location: item.location(),
            line: item.line,
            encoding,
            decoded: &decoded,
            reference: inspect::reference(&crypto, &decoded.key_package, bare),
        };
        let text = if args.json {
            inspect::json(&inspected).to_string()
        } else {
            let mut text = inspect::text(&inspected);
            // Blocks are separated by one blank line.
            if !first {
                text.insert(0, '\n');
            }
            text.pop();
            text
        };
        first = false;
        if out.line(&text)?.is_err() {
            return Ok(exit_status(any_bad));
        }
    }
    let _ = out.flush()?;
    Ok(exit_status(any_bad))
}

/// Runs `kp ref`.
pub(crate) fn run_ref(args: &RefArgs) -> Result<ExitCode, CliError> {
    let mut reader = Reader::open(args.file.as_deref(), args.limit.max_input_bytes)?;
    let crypto = RustCrypto::new();
    let mut out = Output::new();
    let mut any_bad = false;
    while let Some(item) = next_item(&mut reader, &mut out)? {
        let item = &item;
        let (_, bytes, decoded) = match decode_item(item) {
            Ok(found) => found,
            Err(reason) => {
                any_bad = true;
                report(item, &format!("not a key package (KP-DECODE): {reason}"));
                continue;
            }
        };
        let bare = bytes.get(decoded.bare_offset..).unwrap_or_default();
        let Some(reference) = inspect::reference(&crypto, &decoded.key_package, bare) else {
            any_bad = true;
            report(
                item,
                &format!(
                    "cipher suite {} is not supported (KP-SUITE): no hash for the reference",
                    backend::suite_label(decoded.key_package.cipher_suite)
                ),
            );
            continue;
        };
        if out.line(&reference)?.is_err() {
            return Ok(exit_status(any_bad));
        }
    }
    let _ = out.flush()?;
    Ok(exit_status(any_bad))
}
