//! Reading key packages: from a file or stdin; one per line as hex or
//! base64, or one raw binary key package; bare or wrapped in an `MLSMessage`.
//!
//! The format is detected, not declared:
//!
//! * Input made only of printable ASCII and whitespace is text: each
//!   non-blank line that does not start with `#` is one key package. A line
//!   of hex digits only (either case, even length) is hex; otherwise a line
//!   of base64 characters (standard or URL-safe alphabet, padding optional)
//!   is base64.
//! * Any other input is one raw binary key package (every encoding starts
//!   with the version `0x0001`, whose zero byte is not text).
//! * Decoded bytes are an `MLSMessage` when they decode as one with wire
//!   format `mls_key_package`, else a bare `KeyPackage`.
//!
//! A line that is neither hex nor base64, or bytes that are not a key
//! package, are a KP-DECODE failure of that one input; an input with no key
//! package at all is a usage error.

use std::io::{IsTerminal, Read};
use std::path::Path;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use keypackage_core::{DecodeError, KeyPackageIn, MlsMessageIn, ProtocolVersion};

use crate::error::CliError;

/// How an input's bytes were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hexadecimal text.
    Hex,
    /// Base64 text.
    Base64,
    /// Raw bytes.
    Binary,
}

impl Encoding {
    /// The name used in `inspect` output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex",
            Self::Base64 => "base64",
            Self::Binary => "binary",
        }
    }
}

/// One key package of the input, before decoding.
#[derive(Debug, Clone)]
pub struct Item {
    /// The 1-based line number for text input; `None` for binary input.
    pub line: Option<usize>,
    /// The bytes and how they were written, or why the text is neither hex
    /// nor base64.
    pub content: Result<(Encoding, Vec<u8>), String>,
}

impl Item {
    /// Where the item is, for messages: `line 3` or `input`.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}"),
            None => "input".to_owned(),
        }
    }
}

/// A decoded, not yet validated key package and how it was wrapped.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The key package.
    pub key_package: KeyPackageIn,
    /// `Some(version)` of the `MLSMessage` it came in, `None` when bare.
    pub message_version: Option<ProtocolVersion>,
    /// Where the bare `KeyPackage` starts in the input bytes (4 inside an
    /// `MLSMessage`, else 0).
    pub bare_offset: usize,
}

/// Reads all of `path`, or stdin for `None` and `-`. Reading a terminal is
/// refused: the user most likely forgot the file.
pub fn read_source(path: Option<&Path>) -> Result<Vec<u8>, CliError> {
    let mut data = Vec::new();
    match path {
        Some(path) if path.as_os_str() != "-" => {
            if path.is_dir() {
                return Err(CliError::usage(format!(
                    "cannot read {}: is a directory",
                    path.display()
                )));
            }
            data = std::fs::read(path).map_err(|e| CliError::io("cannot read", Some(path), &e))?;
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(CliError::usage(
                    "no input: give a FILE, or pipe key packages to stdin",
                ));
            }
            stdin
                .lock()
                .read_to_end(&mut data)
                .map_err(|e| CliError::io("cannot read", Some(Path::new("stdin")), &e))?;
        }
    }
    Ok(data)
}

/// Splits the input into key packages (see the module docs). An input with
/// none is a usage error.
pub fn split(data: &[u8]) -> Result<Vec<Item>, CliError> {
    if data.is_empty() {
        return Err(CliError::usage(
            "no key package in input: the input is empty",
        ));
    }
    if !is_text(data) {
        return Ok(vec![Item {
            line: None,
            content: Ok((Encoding::Binary, data.to_vec())),
        }]);
    }
    let mut items = Vec::new();
    for (index, raw) in data.split(|b| *b == b'\n').enumerate() {
        // `is_text` held, so every line is ASCII.
        let text = String::from_utf8_lossy(raw);
        let trimmed = text.trim_start();
        let leading = text.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        items.push(Item {
            line: Some(index + 1),
            content: decode_text(trimmed, leading),
        });
    }
    if items.is_empty() {
        return Err(CliError::usage(
            "no key package in input: only blank or comment lines",
        ));
    }
    Ok(items)
}

/// Printable ASCII and whitespace only.
fn is_text(data: &[u8]) -> bool {
    data.iter()
        .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~'))
}

/// Decodes one line of text as hex or base64. `leading` is the number of
/// blanks before it, for the column in messages.
fn decode_text(text: &str, leading: usize) -> Result<(Encoding, Vec<u8>), String> {
    if text.bytes().all(|b| b.is_ascii_hexdigit()) {
        if text.len() % 2 == 1 {
            return Err(format!(
                "not hex: odd number of hex digits ({})",
                text.len()
            ));
        }
        return hex::decode(text)
            .map(|bytes| (Encoding::Hex, bytes))
            .map_err(|e| format!("not hex: {e}"));
    }
    let url_safe = text.contains(['-', '_']);
    let standard = text.contains(['+', '/']);
    let bad = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=')));
    if let Some((at, c)) = bad {
        return Err(format!(
            "column {}: {c:?} is not a hex or base64 character",
            leading + at + 1
        ));
    }
    if url_safe && standard {
        return Err("not base64: mixes the standard (+/) and URL-safe (-_) alphabets".to_owned());
    }
    base64_engine(url_safe)
        .decode(text)
        .map(|bytes| (Encoding::Base64, bytes))
        .map_err(|e| format!("not hex, and not base64: {e}"))
}

/// A base64 decoder that accepts padded and unpadded input.
fn base64_engine(url_safe: bool) -> GeneralPurpose {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if url_safe {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config)
}

/// Decodes bytes as an `MLSMessage` carrying a key package, or as a bare
/// `KeyPackage`. On failure, the reason names the byte position where the
/// library's error allows it.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    let mut welcome = false;
    let message_error = match MlsMessageIn::decode(bytes) {
        Ok(MlsMessageIn::KeyPackage {
            version,
            key_package,
        }) => {
            return Ok(Decoded {
                key_package,
                message_version: Some(version),
                bare_offset: MESSAGE_HEADER_LEN,
            });
        }
        Ok(MlsMessageIn::Welcome { .. }) => {
            welcome = true;
            None
        }
        Err(e) => Some(e),
    };
    let bare_error = match KeyPackageIn::decode(bytes) {
        Ok(key_package) => {
            return Ok(Decoded {
                key_package,
                message_version: None,
                bare_offset: 0,
            });
        }
        Err(e) => e,
    };
    if welcome {
        return Err("an MLSMessage carrying a Welcome (wire format 3), not a key package".into());
    }
    // Neither decodes: explain the reading the header points to. An
    // MLSMessage of a key package starts 0001 0005 0001 (version, wire
    // format, the key package's own version); a bare key package has its
    // init_key's length where the inner version would be.
    let looks_like_message = bytes.get(2..6) == Some(&[0, 5, 0, 1][..]);
    match (looks_like_message, message_error) {
        (true, Some(error)) => Err(format!(
            "MLSMessage: {}",
            describe_decode_error(&error, bytes.len())
        )),
        _ => Err(describe_decode_error(&bare_error, bytes.len())),
    }
}

/// Length of the `MLSMessage` header before the key package: version and
/// wire format.
pub const MESSAGE_HEADER_LEN: usize = 4;

/// A decoding error as text, with the byte position where it is known:
/// truncation happens at the end of the input, trailing bytes start a
/// known number of bytes before it.
fn describe_decode_error(error: &DecodeError, total: usize) -> String {
    match error {
        DecodeError::Truncated => {
            format!("truncated: the input ends inside a field, at byte {total}")
        }
        DecodeError::TrailingBytes(n) => format!(
            "{n} trailing byte{} after the key package, from byte {}",
            if *n == 1 { "" } else { "s" },
            total.saturating_sub(*n)
        ),
        other => strip_rule(&other.to_string(), "KP-DECODE").to_owned(),
    }
}

/// Removes a leading `"<RULE>: "` from a library message (the rule ID is
/// printed in its own column).
pub fn strip_rule<'a>(text: &'a str, rule: &str) -> &'a str {
    text.strip_prefix(rule)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_are_hex_or_base64() {
        let items = split(b"# comment\n\n0a0B\n  AAECAw==\nAA-_\n").unwrap();
        let lines: Vec<_> = items.iter().map(|i| i.line).collect();
        assert_eq!(lines, [Some(3), Some(4), Some(5)]);
        assert_eq!(items[0].content, Ok((Encoding::Hex, vec![0x0a, 0x0b])));
        assert_eq!(items[1].content, Ok((Encoding::Base64, vec![0, 1, 2, 3])));
        assert_eq!(items[2].content, Ok((Encoding::Base64, vec![0, 15, 191])));
    }

    #[test]
    fn bad_text_names_the_column() {
        let items = split(b"  00z!\n").unwrap();
        let error = items[0].content.clone().unwrap_err();
        assert_eq!(error, "column 6: '!' is not a hex or base64 character");
        let items = split(b"abc\n").unwrap();
        assert!(items[0].content.clone().unwrap_err().contains("odd number"));
    }

    #[test]
    fn binary_is_one_item_and_empty_is_refused() {
        let items = split(&[0, 1, 2]).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].line, None);
        assert!(split(b"").is_err());
        assert!(split(b"\n \n# x\n").is_err());
    }
}
