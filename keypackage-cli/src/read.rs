//! The commands that read key packages: `validate`, `inspect` and `ref`.

use std::process::ExitCode;

use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::OpenMlsCrypto;
use keypackage_core::{
    AcceptAnyCredential, CredentialValidator, GroupParameters, KeyPackage, KeyPackageIn,
    ProtocolVersion, ValidationContext, ValidationError,
};
use serde_json::json;

use crate::backend;
use crate::cli::{InspectArgs, MaxLifetime, RefArgs, ValidateArgs};
use crate::error::{CliError, EXIT_INVALID};
use crate::input::{self, Decoded, Encoding, Item, strip_rule};
use crate::inspect::{self, Inspected};
use crate::output::Output;
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

/// Runs `kp validate`.
pub fn run_validate(args: &ValidateArgs) -> Result<ExitCode, CliError> {
    let data = input::read_source(args.file.as_deref())?;
    let items = input::split(&data)?;
    with_crypto!(args.backend, crypto => validate_all(&crypto, args, &items))
}

fn validate_all<C: OpenMlsCrypto>(
    crypto: &C,
    args: &ValidateArgs,
    items: &[Item],
) -> Result<ExitCode, CliError>
where
    C::Suite: 'static,
{
    if let Some(suite) = args.ciphersuite {
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
        .with_refuse_listed_defaults(!args.allow_listed_defaults);
    if let Some(suite) = args.ciphersuite {
        ctx = ctx.with_group(GroupParameters {
            cipher_suite: suite,
            version: ProtocolVersion::MLS10,
        });
    }

    let mut out = Output::new();
    let mut any_invalid = false;
    for item in items {
        let line = match verdict(crypto, &ctx, item)? {
            Ok(kp) => {
                let reference = hex::encode(kp.reference().as_slice());
                if args.json {
                    json!({
                        "line": item.line,
                        "status": "ok",
                        "reference": reference,
                        "cipher_suite": kp.ciphersuite().0,
                    })
                    .to_string()
                } else {
                    format!("ok {reference}")
                }
            }
            Err((rule, reason, credential_refusal)) => {
                any_invalid = true;
                if args.json {
                    let mut object = json!({
                        "line": item.line,
                        "status": "invalid",
                        "rule": rule,
                        "reason": reason,
                    });
                    // KP-CREDENTIAL: the kind of refusal (`expired`, …).
                    if let (Some(kind), Some(map)) = (credential_refusal, object.as_object_mut()) {
                        map.insert("credential_refusal".to_owned(), kind.into());
                    }
                    object.to_string()
                } else {
                    format!("invalid {rule} {}: {reason}", item.location())
                }
            }
        };
        if out.line(&line)?.is_err() {
            return Ok(exit_status(any_invalid));
        }
    }
    // A closed stdout at the end changes nothing that was decided.
    let _ = out.flush()?;
    Ok(exit_status(any_invalid))
}

/// A refusal: the rule, the reason, and for KP-CREDENTIAL the kind of
/// credential refusal.
type Refusal = (&'static str, String, Option<&'static str>);

/// The validated key package, or the refusal; an internal library error is
/// a [`CliError`].
fn verdict<C: OpenMlsCrypto>(
    crypto: &C,
    ctx: &ValidationContext<'_>,
    item: &Item,
) -> Result<Result<KeyPackage, Refusal>, CliError> {
    let decode_rule = keypackage_core::Rule::Decode.id();
    let (_, bytes, decoded) = match decode_item(item) {
        Ok(found) => found,
        Err(reason) => return Ok(Err((decode_rule, reason, None))),
    };
    let result = match decoded.message_version {
        // The message's version is checked too (KP-VER).
        Some(_) => KeyPackageIn::validate_message(bytes, crypto, ctx),
        None => decoded.key_package.validate(crypto, ctx),
    };
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

/// Prints a per-input problem on stderr: `kp: error: line 3: ...`.
fn report(item: &Item, message: &str) {
    eprintln!("kp: error: {}: {message}", item.location());
}

/// Runs `kp inspect`.
pub fn run_inspect(args: &InspectArgs) -> Result<ExitCode, CliError> {
    let data = input::read_source(args.file.as_deref())?;
    let items = input::split(&data)?;
    // RustCrypto has every suite (X448 on), so it computes every reference.
    let crypto = RustCrypto::new();
    let mut out = Output::new();
    let mut any_bad = false;
    let mut first = true;
    for item in &items {
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
pub fn run_ref(args: &RefArgs) -> Result<ExitCode, CliError> {
    let data = input::read_source(args.file.as_deref())?;
    let items = input::split(&data)?;
    let crypto = RustCrypto::new();
    let mut out = Output::new();
    let mut any_bad = false;
    for item in &items {
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
