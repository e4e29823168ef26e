//! Reading key packages: from a file or stdin; one per line as hex or
//! base64, or one raw binary key package; bare or wrapped in an `MLSMessage`.
//!
//! The format is detected, not declared, from the first byte:
//!
//! * Input that starts with printable ASCII or whitespace is text: each
//!   non-blank line that does not start with `#` is one key package. A line
//!   of hex digits only (either case, even length) is hex; otherwise a line
//!   of base64 characters (standard or URL-safe alphabet, padding optional)
//!   is base64. A line holding any other byte is a KP-DECODE failure of that
//!   line, which names the column.
//! * Any other input is one raw binary key package (every encoding starts
//!   with the version `0x0001`, whose zero byte is not text).
//! * Decoded bytes are an `MLSMessage` when they decode as one with wire
//!   format `mls_key_package`, else a bare `KeyPackage`.
//!
//! A line that is neither hex nor base64, or bytes that are not a key
//! package, are a KP-DECODE failure of that one input; an input with no key
//! package at all is a usage error.
//!
//! Input is read as a stream, one line at a time ([`Reader`]): memory is
//! bounded by the longest line, not by the input. One line, or one binary
//! input, may hold at most `--max-input-bytes` bytes
//! ([`DEFAULT_MAX_INPUT_BYTES`]); a longer one ends the command with a
//! usage error naming the limit and the option, after the verdicts of the
//! inputs before it. The line buffer never grows past the limit.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use keypackage_core::traits::ProtocolVersion;
use keypackage_core::{DecodeError, KeyPackageIn, MlsMessageIn, WireFormat};

use crate::error::CliError;

/// The default limit of one input line, or of one binary input, in bytes
/// (1 MiB). A suite-1 key package with a basic credential is about 300
/// bytes (600 hex digits), the largest of the working group's vectors 803;
/// an X.509 credential adds its certificate chain, a few KiB per
/// certificate, tens of KiB for a long chain or post-quantum signatures.
/// RFC 9420 sets no maximum (a vector may be up to 2^30 - 1 bytes,
/// §2.1.2), so the limit is ours: a 512 KiB key package in hex, 768 KiB in
/// base64 or 1 MiB binary, over ten times the largest plausible one, and
/// small enough that a runaway input (`/dev/zero`) is refused at once.
pub(crate) const DEFAULT_MAX_INPUT_BYTES: usize = 1 << 20;

/// The largest value `--max-input-bytes` accepts (1 GiB).
pub(crate) const MAX_INPUT_BYTES_CEILING: usize = 1 << 30;

/// Read buffer size: one `read` per 64 KiB (a pipe's default capacity).
const READ_BUFFER: usize = 64 * 1024;

/// How an input's bytes were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Hexadecimal text.
    Hex,
    /// Base64 text.
    Base64,
    /// Raw bytes.
    Binary,
}

impl Encoding {
    /// The name used in `inspect` output.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex",
            Self::Base64 => "base64",
            Self::Binary => "binary",
        }
    }
}

/// One key package of the input, before decoding.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The 1-based line number for text input; `None` for binary input.
    pub line: Option<usize>,
    /// The bytes and how they were written, or why the text is neither hex
    /// nor base64.
    pub content: Result<(Encoding, Vec<u8>), String>,
}

impl Item {
    /// Where the item is, for messages: `line 3` or `input`.
    pub(crate) fn location(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}"),
            None => "input".to_owned(),
        }
    }

    /// The decoded bytes it holds (for memory accounting).
    pub(crate) fn size(&self) -> usize {
        self.content.as_ref().map_or(0, |(_, bytes)| bytes.len())
    }
}

/// A decoded, not yet validated key package and how it was wrapped.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    /// The key package.
    pub key_package: KeyPackageIn,
    /// `Some(version)` of the `MLSMessage` it came in, `None` when bare.
    pub message_version: Option<ProtocolVersion>,
    /// Where the bare `KeyPackage` starts in the input bytes (4 inside an
    /// `MLSMessage`, else 0).
    pub bare_offset: usize,
}

/// Where the reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing read yet: the first byte decides text or binary.
    Start,
    /// Text, `line` lines read so far.
    Text { line: usize },
    /// Everything has been returned.
    Done,
}

/// The key packages of one input, one at a time (see the module docs).
pub(crate) struct Reader {
    inner: BufReader<Box<dyn Read + Send>>,
    /// The name in I/O errors: the path, or `stdin`.
    name: PathBuf,
    limit: usize,
    mode: Mode,
    /// Whether a key package was found (an input without one is an error).
    found: bool,
    /// Whether the input is a regular file (reads never wait).
    regular: bool,
    /// The current line, reused.
    line: Vec<u8>,
}

impl Reader {
    /// Opens `path`, or stdin for `None` and `-`, with `limit` bytes per
    /// input. Reading a terminal is refused: the user most likely forgot
    /// the file. A directory is refused.
    pub(crate) fn open(path: Option<&Path>, limit: usize) -> Result<Self, CliError> {
        match path {
            Some(path) if path.as_os_str() != "-" => {
                let file =
                    File::open(path).map_err(|e| CliError::io("cannot read", Some(path), &e))?;
                let metadata = file
                    .metadata()
                    .map_err(|e| CliError::io("cannot read", Some(path), &e))?;
                if metadata.is_dir() {
                    return Err(CliError::usage(format!(
                        "cannot read {}: is a directory",
                        path.display()
                    )));
                }
                let mut reader = Self::new(Box::new(file), path, limit);
                reader.regular = metadata.is_file();
                Ok(reader)
            }
            _ => {
                let stdin = io::stdin();
                if stdin.is_terminal() {
                    return Err(CliError::usage(
                        "no input: give a FILE, or pipe key packages to stdin",
                    ));
                }
                Ok(Self::new(Box::new(stdin), Path::new("stdin"), limit))
            }
        }
    }

    /// A reader over any byte stream (`name` is used in messages).
    pub(crate) fn new(inner: Box<dyn Read + Send>, name: &Path, limit: usize) -> Self {
        Self {
            inner: BufReader::with_capacity(READ_BUFFER, inner),
            name: name.to_path_buf(),
            limit,
            mode: Mode::Start,
            found: false,
            regular: false,
            line: Vec::new(),
        }
    }

    /// Whether the next read may wait for a writer: the input is not a
    /// regular file and nothing read is left in the buffer. Callers flush
    /// their output then, so a slow producer sees its verdicts at once.
    pub(crate) fn may_wait(&self) -> bool {
        !self.regular && self.inner.buffer().is_empty()
    }

    /// The next key package, `None` at the end. An input without any key
    /// package, a line or binary input over the limit, and read errors are
    /// errors, after which the reader returns nothing more.
    pub(crate) fn next_item(&mut self) -> Result<Option<Item>, CliError> {
        let next = self.read_item();
        if next.is_err() {
            self.mode = Mode::Done;
        }
        next
    }

    fn read_item(&mut self) -> Result<Option<Item>, CliError> {
        loop {
            match self.mode {
                Mode::Done => return Ok(None),
                Mode::Start => {
                    let first = fill(&mut self.inner, &self.name)?.first().copied();
                    match first {
                        None => {
                            self.mode = Mode::Done;
                            return Err(CliError::usage(
                                "no key package in input: the input is empty",
                            ));
                        }
                        Some(byte) if is_text_byte(byte) => self.mode = Mode::Text { line: 0 },
                        Some(_) => {
                            self.mode = Mode::Done;
                            return self.read_binary().map(Some);
                        }
                    }
                }
                Mode::Text { line } => {
                    let line = line.saturating_add(1);
                    if !self.read_line(line)? {
                        self.mode = Mode::Done;
                        if self.found {
                            return Ok(None);
                        }
                        return Err(CliError::usage(
                            "no key package in input: only blank or comment lines",
                        ));
                    }
                    self.mode = Mode::Text { line };
                    if let Some(item) = text_item(&self.line, line) {
                        self.found = true;
                        return Ok(Some(item));
                    }
                }
            }
        }
    }

    /// Reads line `number` into `self.line`, without its `\n`; `false` at
    /// the end of the input. A line over the limit is an error: the buffer
    /// never holds more than the limit.
    fn read_line(&mut self, number: usize) -> Result<bool, CliError> {
        self.line.clear();
        let limit = self.limit;
        let mut any = false;
        loop {
            let available = fill(&mut self.inner, &self.name)?;
            if available.is_empty() {
                return Ok(any);
            }
            any = true;
            let newline = available.iter().position(|b| *b == b'\n');
            let piece = match newline {
                Some(end) => available.get(..end).unwrap_or_default(),
                None => available,
            };
            if piece.len() > limit.saturating_sub(self.line.len()) {
                return Err(too_long(&format!("line {number}"), limit));
            }
            extend_bounded(&mut self.line, piece, limit);
            let taken = piece.len() + usize::from(newline.is_some());
            self.inner.consume(taken);
            if newline.is_some() {
                return Ok(true);
            }
        }
    }

    /// Reads the whole input as one binary key package, at most the limit.
    fn read_binary(&mut self) -> Result<Item, CliError> {
        let limit = self.limit;
        let mut bytes = Vec::new();
        loop {
            let available = fill(&mut self.inner, &self.name)?;
            if available.is_empty() {
                break;
            }
            if available.len() > limit.saturating_sub(bytes.len()) {
                return Err(too_long("the binary input", limit));
            }
            extend_bounded(&mut bytes, available, limit);
            let taken = available.len();
            self.inner.consume(taken);
        }
        Ok(Item {
            line: None,
            content: Ok((Encoding::Binary, bytes)),
        })
    }
}

/// The buffered bytes, reading more when none are left (empty at the end
/// of the input); retries interrupted reads.
fn fill<'a>(
    inner: &'a mut BufReader<Box<dyn Read + Send>>,
    name: &Path,
) -> Result<&'a [u8], CliError> {
    loop {
        match inner.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CliError::io("cannot read", Some(name), &e)),
        }
    }
    Ok(inner.buffer())
}

/// Appends `piece` to `buffer`, growing it geometrically but never past
/// `limit` bytes of capacity (the caller checked that it fits).
fn extend_bounded(buffer: &mut Vec<u8>, piece: &[u8], limit: usize) {
    let needed = buffer.len().saturating_add(piece.len());
    if needed > buffer.capacity() {
        let target = buffer.capacity().saturating_mul(2).min(limit).max(needed);
        buffer.reserve_exact(target - buffer.len());
    }
    buffer.extend_from_slice(piece);
}

/// The error for an input over the limit.
fn too_long(what: &str, limit: usize) -> CliError {
    CliError::usage(format!(
        "{what} is longer than {limit} bytes, the limit for one key package; --max-input-bytes raises it"
    ))
}

/// Printable ASCII or whitespace: the first byte of a text input.
fn is_text_byte(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | b'\r' | b' '..=b'~')
}

/// The blanks trimmed around a line of text.
fn is_blank(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\r' | b' ')
}

/// The item of one line of text; `None` for a blank or comment line.
fn text_item(raw: &[u8], line: usize) -> Option<Item> {
    let leading = raw.iter().take_while(|b| is_blank(**b)).count();
    let rest = raw.get(leading..).unwrap_or_default();
    let trailing = rest.iter().rev().take_while(|b| is_blank(**b)).count();
    let trimmed = rest
        .get(..rest.len().saturating_sub(trailing))
        .unwrap_or_default();
    if trimmed.is_empty() || trimmed.first() == Some(&b'#') {
        return None;
    }
    Some(Item {
        line: Some(line),
        content: decode_line(trimmed, leading),
    })
}

/// Decodes one trimmed line of text: a byte outside the hex and base64
/// alphabets is named with its column; the rest is [`decode_text`].
fn decode_line(line: &[u8], leading: usize) -> Result<(Encoding, Vec<u8>), String> {
    let bad = line.iter().enumerate().find(|(_, b)| {
        !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'='))
    });
    if let Some((at, byte)) = bad {
        let shown = if byte.is_ascii() {
            format!("{:?}", char::from(*byte))
        } else {
            format!("byte {byte:#04x}")
        };
        return Err(format!(
            "column {}: {shown} is not a hex or base64 character",
            leading + at + 1
        ));
    }
    // Only ASCII is left.
    let text = std::str::from_utf8(line).map_err(|e| format!("not text: {e}"))?;
    decode_text(text)
}

/// Decodes one line of text, of hex and base64 characters only, as hex or
/// base64.
fn decode_text(text: &str) -> Result<(Encoding, Vec<u8>), String> {
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
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, String> {
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

/// What [`decode`] would make of some bytes, found with as little work as
/// possible: most inputs are left for the batch validator to decode, on
/// its workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Classified {
    /// Not a key package: the KP-DECODE reason [`decode`] gives.
    Refused(String),
    /// A bare `KeyPackage`, or bytes that can only be one: [`decode`] gives
    /// what `KeyPackageIn::decode` gives, and when that fails, the reason
    /// [`describe_decode_error`] makes of its error.
    Bare,
    /// An `MLSMessage` of this version carrying a key package, which starts
    /// at [`MESSAGE_HEADER_LEN`] and decodes.
    Message(ProtocolVersion),
}

/// Classifies `bytes` as [`decode`] would. The `MLSMessage` reading can
/// only succeed, or name a Welcome, when bytes 2-3 (the wire format, RFC
/// 9420 §6) are `mls_key_package` or `mls_welcome`: for any other value
/// `decode` falls back to the bare reading without further condition, so
/// no decoding is done here.
pub(crate) fn classify(bytes: &[u8]) -> Classified {
    let wire_format = bytes
        .get(2..MESSAGE_HEADER_LEN)
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(|b| WireFormat(u16::from_be_bytes(b)));
    if !matches!(
        wire_format,
        Some(WireFormat::KEY_PACKAGE | WireFormat::WELCOME)
    ) {
        return Classified::Bare;
    }
    match decode(bytes) {
        Ok(Decoded {
            message_version: Some(version),
            ..
        }) => Classified::Message(version),
        Ok(_) => Classified::Bare,
        Err(reason) => Classified::Refused(reason),
    }
}

/// Length of the `MLSMessage` header before the key package: version and
/// wire format.
pub(crate) const MESSAGE_HEADER_LEN: usize = 4;

/// A decoding error as text, with the byte position where it is known:
/// truncation happens at the end of the input, trailing bytes start a
/// known number of bytes before it.
pub(crate) fn describe_decode_error(error: &DecodeError, total: usize) -> String {
    match error {
        DecodeError::Truncated => {
            format!("truncated: the input ends inside a field, at byte {total}")
        }
        DecodeError::TrailingBytes { count: n } => format!(
            "{n} trailing byte{} after the key package, from byte {}",
            if *n == 1 { "" } else { "s" },
            total.saturating_sub(*n)
        ),
        other => strip_rule(&other.to_string(), "KP-DECODE").to_owned(),
    }
}

/// Removes a leading `"<RULE>: "` from a library message (the rule ID is
/// printed in its own column).
pub(crate) fn strip_rule<'a>(text: &'a str, rule: &str) -> &'a str {
    text.strip_prefix(rule)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item of `data`, or the first error.
    fn split(data: &[u8]) -> Result<Vec<Item>, CliError> {
        split_with(data, DEFAULT_MAX_INPUT_BYTES)
    }

    fn split_with(data: &[u8], limit: usize) -> Result<Vec<Item>, CliError> {
        let mut reader = Reader::new(
            Box::new(io::Cursor::new(data.to_vec())),
            Path::new("test"),
            limit,
        );
        let mut items = Vec::new();
        while let Some(item) = reader.next_item()? {
            items.push(item);
        }
        Ok(items)
    }

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
    fn a_byte_that_is_not_text_fails_its_line_only() {
        let items = split(b"0a0b\n0a\x000b\n\t0c\xff\n0d0e").unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].content, Ok((Encoding::Hex, vec![0x0a, 0x0b])));
        assert_eq!(
            items[1].content,
            Err("column 3: '\\0' is not a hex or base64 character".to_owned())
        );
        assert_eq!(
            items[2].content,
            Err("column 4: byte 0xff is not a hex or base64 character".to_owned())
        );
        assert_eq!(items[3].line, Some(4));
        assert_eq!(items[3].content, Ok((Encoding::Hex, vec![0x0d, 0x0e])));
    }

    #[test]
    fn binary_is_one_item_and_empty_is_refused() {
        let items = split(&[0, 1, 2, b'\n', b'a']).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].line, None);
        assert_eq!(
            items[0].content,
            Ok((Encoding::Binary, vec![0, 1, 2, b'\n', b'a']))
        );
        assert!(split(b"").is_err());
        assert!(split(b"\n \n# x\n").is_err());
    }

    #[test]
    fn a_line_or_binary_input_over_the_limit_is_an_error() {
        // Exactly the limit passes, with or without its newline.
        let items = split_with(b"0a0b0c0d\n0a0b0c0d", 8).unwrap();
        assert_eq!(items.len(), 2);
        // One byte more does not, and names the line, the limit and the option.
        let error = split_with(b"0a0b0c0d\n0a0b0c0d0\n", 8).unwrap_err();
        assert_eq!(
            error.message,
            "line 2 is longer than 8 bytes, the limit for one key package; --max-input-bytes raises it"
        );
        // Comment lines count too: memory is bounded whatever the line holds.
        assert!(split_with(b"# 123456789\n0a", 8).is_err());
        let error = split_with(&[0; 9], 8).unwrap_err();
        assert!(
            error
                .message
                .starts_with("the binary input is longer than 8 bytes")
        );
        assert_eq!(split_with(&[0; 8], 8).unwrap().len(), 1);
        // After an error, nothing more.
        let mut reader = Reader::new(
            Box::new(io::Cursor::new(b"123456789\n0a0b\n".to_vec())),
            Path::new("test"),
            8,
        );
        assert!(reader.next_item().is_err());
        assert!(matches!(reader.next_item(), Ok(None)));
    }

    /// `classify` agrees with `decode` on every input: the same messages,
    /// the same refusals, and for `Bare` the bare reading with the same
    /// reason.
    #[test]
    fn classify_agrees_with_decode() {
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 1, 0],
            vec![0, 1, 0, 5],
            vec![0, 1, 0, 3],
            vec![0, 1, 0, 5, 0, 1],
            vec![0, 1, 0, 3, 0, 1, 0, 0],
            b"0001000300010000".to_vec(),
        ];
        // Every short input of four chosen byte values, and a pseudo-random
        // spread of longer ones.
        let values = [0u8, 1, 3, 5];
        for a in values {
            for b in values {
                for c in values {
                    for d in values {
                        for len in 1..=6 {
                            inputs.push([0, a, b, c, d, a].get(..len).unwrap().to_vec());
                        }
                    }
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 64) as usize;
            let mut bytes: Vec<u8> = (0..len)
                .map(|i| (state >> (i % 8 * 8)) as u8 & 0x07)
                .collect();
            if let Some(wire) = bytes.get_mut(3) {
                *wire = [3, 5, 1][(state % 3) as usize];
            }
            inputs.push(bytes);
        }
        // Real key packages and messages, and every prefix of them: suite 5
        // (0x0005) puts a bare key package's cipher suite where a message
        // has its wire format.
        let crypto = keypackage_core::rustcrypto::RustCrypto::new();
        for suite in [1, 5] {
            use keypackage_core::traits::{CipherSuiteProvider, OpenMlsCrypto};
            let suite = keypackage_core::traits::CipherSuite(suite);
            let provider = crypto.suite(suite).unwrap();
            let pair = provider.signature_generate_key_pair().unwrap();
            let signer = provider.signer(&pair.private).unwrap();
            let bundle = keypackage_core::KeyPackageBuilder::new()
                .build(
                    &crypto,
                    suite,
                    keypackage_core::Credential::basic("a"),
                    &signer,
                )
                .unwrap();
            let bare = bundle.key_package().encode().unwrap();
            let message =
                keypackage_core::encode_key_package_message(bundle.key_package()).unwrap();
            for whole in [bare, message] {
                for end in 0..=whole.len() {
                    inputs.push(whole.get(..end).unwrap().to_vec());
                }
                let mut longer = whole.clone();
                longer.push(0);
                inputs.push(longer);
            }
        }
        let mut kinds = [0; 3];
        for bytes in &inputs {
            let decoded = decode(bytes);
            kinds[match classify(bytes) {
                Classified::Message(_) => 0,
                Classified::Refused(_) => 1,
                Classified::Bare => 2,
            }] += 1;
            match classify(bytes) {
                Classified::Message(version) => {
                    let decoded = decoded.unwrap();
                    assert_eq!(decoded.message_version, Some(version));
                    assert_eq!(decoded.bare_offset, MESSAGE_HEADER_LEN);
                }
                Classified::Refused(reason) => assert_eq!(decoded.unwrap_err(), reason),
                Classified::Bare => match KeyPackageIn::decode(bytes) {
                    Ok(_) => assert_eq!(decoded.unwrap().message_version, None),
                    Err(error) => assert_eq!(
                        decoded.unwrap_err(),
                        describe_decode_error(&error, bytes.len()),
                        "{bytes:?}"
                    ),
                },
            }
        }
        assert!(kinds.iter().all(|n| *n >= 2), "{kinds:?}");
    }

    #[test]
    fn buffers_never_grow_past_the_limit() {
        let limit = 100_000;
        let mut buffer = Vec::new();
        for _ in 0..limit / 7 {
            extend_bounded(&mut buffer, &[1; 7], limit);
            assert!(buffer.capacity() <= limit);
        }
        extend_bounded(&mut buffer, &[1; 5], limit);
        assert_eq!(buffer.len(), limit);
        assert!(buffer.capacity() <= limit, "{}", buffer.capacity());
    }
}
