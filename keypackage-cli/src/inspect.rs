//! `kp inspect`: every field of a key package, as indented text or JSON.
//!
//! Both layouts are documented in the crate's README and are stable:
//! scripts parse them. Add fields only at the end of a block (text) or as
//! new keys (JSON); never rename or reorder.

use keypackage_core::traits::OpenMlsCrypto;
use keypackage_core::{Credential, Extension, KeyPackageIn, LeafNodeSource, labeled};
use serde_json::{Value, json};

use crate::input::{Decoded, Encoding};
use crate::time::rfc3339;

/// A code point with its registry name, `GREASE`, or none.
#[derive(Debug, Clone, Copy)]
struct CodePoint {
    value: u16,
    name: Option<&'static str>,
}

/// Builds a [`CodePoint`] from any of the code-point newtypes.
macro_rules! cp {
    ($x:expr) => {{
        let x = $x;
        CodePoint {
            value: x.0,
            name: if x.is_grease() {
                Some("GREASE")
            } else {
                x.name()
            },
        }
    }};
}

impl CodePoint {
    /// `0x0001 basic`, `0x0a0a GREASE`, `0xf001 unknown`.
    fn text(self) -> String {
        format!("{:#06x} {}", self.value, self.name.unwrap_or("unknown"))
    }

    /// `{"value": 1, "name": "basic"}`, name `null` when unknown.
    fn json(self) -> Value {
        json!({ "value": self.value, "name": self.name })
    }
}

fn list_text(items: &[CodePoint]) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    items
        .iter()
        .map(|c| c.text())
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_json(items: &[CodePoint]) -> Value {
    Value::Array(items.iter().map(|c| c.json()).collect())
}

/// What `inspect` shows of one input, besides the key package itself.
pub(crate) struct Inspected<'a> {
    /// Where the input was: `line 3` or `input`.
    pub location: String,
    /// The line number, for JSON.
    pub line: Option<usize>,
    /// How the bytes were written.
    pub encoding: Encoding,
    /// The decoded key package and its wrapping.
    pub decoded: &'a Decoded,
    /// The KeyPackageRef in hex, when the suite is known.
    pub reference: Option<String>,
}

/// The KeyPackageRef (RFC 9420 §5.2) of the bare encoding `bare`, with the
/// hash of the key package's own suite; `None` when `crypto` lacks it.
pub(crate) fn reference<C: OpenMlsCrypto>(
    crypto: &C,
    kp: &KeyPackageIn,
    bare: &[u8],
) -> Option<String> {
    let suite = crypto.suite(kp.cipher_suite).ok()?;
    labeled::key_package_ref(&suite, bare)
        .ok()
        .map(|r| hex::encode(r.as_slice()))
}

fn wrapping_text(decoded: &Decoded) -> String {
    match decoded.message_version {
        Some(version) => format!("mls-message (MLSMessage version {})", cp!(version).text()),
        None => "bare".to_owned(),
    }
}

fn quoted_utf8(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.chars().any(char::is_control) {
        return None;
    }
    Some(format!("{text:?}"))
}

fn extension_line(e: &Extension) -> String {
    let data = e.extension_data.as_slice();
    let mut line = format!(
        "- {} ({} byte{})",
        cp!(e.extension_type).text(),
        data.len(),
        if data.len() == 1 { "" } else { "s" }
    );
    if !data.is_empty() {
        line.push_str(": ");
        line.push_str(&hex::encode(data));
    }
    line
}

/// The text layout (see the README): `key: value` lines, two spaces of
/// indent per level.
pub(crate) fn text(item: &Inspected<'_>) -> String {
    let kp = &item.decoded.key_package;
    let leaf = &kp.leaf_node;
    let caps = &leaf.capabilities;
    let mut out = Vec::<String>::new();
    let mut push = |indent: usize, line: String| out.push(format!("{}{line}", "  ".repeat(indent)));

    push(0, format!("key_package: {}", item.location));
    push(
        1,
        format!(
            "input: {}, {}",
            item.encoding.name(),
            wrapping_text(item.decoded)
        ),
    );
    push(1, format!("version: {}", cp!(kp.version).text()));
    push(1, format!("cipher_suite: {}", cp!(kp.cipher_suite).text()));
    push(
        1,
        format!(
            "reference: {}",
            item.reference
                .as_deref()
                .unwrap_or("unavailable (cipher suite not supported)")
        ),
    );
    push(
        1,
        format!("init_key: {}", hex::encode(kp.init_key.as_slice())),
    );
    push(1, "leaf_node:".to_owned());
    push(
        2,
        format!(
            "encryption_key: {}",
            hex::encode(leaf.encryption_key.as_slice())
        ),
    );
    push(
        2,
        format!(
            "signature_key: {}",
            hex::encode(leaf.signature_key.as_slice())
        ),
    );
    push(
        2,
        format!(
            "credential: {}",
            cp!(leaf.credential.credential_type()).text()
        ),
    );
    match &leaf.credential {
        Credential::Basic { identity } => {
            let bytes = identity.as_slice();
            let mut line = format!("identity: {}", hex::encode(bytes));
            if let Some(text) = quoted_utf8(bytes) {
                line.push(' ');
                line.push_str(&text);
            }
            push(3, line);
        }
        Credential::X509 { certificates } => {
            push(3, format!("certificates: {}", certificates.len()));
            for cert in certificates.iter() {
                let der = cert.cert_data.as_slice();
                push(3, format!("- {} bytes: {}", der.len(), hex::encode(der)));
                // What the certificate says (keypackage-x509), one level in.
                for line in crate::x509::certificate_lines(der) {
                    push(4, line);
                }
            }
        }
        Credential::Other { data, .. } => {
            push(3, format!("data: {}", hex::encode(data.as_slice())));
        }
    }
    push(2, "capabilities:".to_owned());
    let versions: Vec<_> = caps.versions.iter().map(|v| cp!(*v)).collect();
    let suites: Vec<_> = caps.cipher_suites.iter().map(|v| cp!(*v)).collect();
    let extensions: Vec<_> = caps.extensions.iter().map(|v| cp!(*v)).collect();
    let proposals: Vec<_> = caps.proposals.iter().map(|v| cp!(*v)).collect();
    let credentials: Vec<_> = caps.credentials.iter().map(|v| cp!(*v)).collect();
    push(3, format!("versions: {}", list_text(&versions)));
    push(3, format!("cipher_suites: {}", list_text(&suites)));
    push(3, format!("extensions: {}", list_text(&extensions)));
    push(3, format!("proposals: {}", list_text(&proposals)));
    push(3, format!("credentials: {}", list_text(&credentials)));
    push(
        2,
        format!("leaf_node_source: {}", source_text(&leaf.leaf_node_source)),
    );
    match &leaf.leaf_node_source {
        LeafNodeSource::KeyPackage(lifetime) => {
            push(2, "lifetime:".to_owned());
            push(
                3,
                format!(
                    "not_before: {} ({})",
                    rfc3339(lifetime.not_before),
                    lifetime.not_before
                ),
            );
            push(
                3,
                format!(
                    "not_after: {} ({})",
                    rfc3339(lifetime.not_after),
                    lifetime.not_after
                ),
            );
            push(
                3,
                format!(
                    "duration: {}",
                    lifetime
                        .duration()
                        .map(duration_text)
                        .unwrap_or_else(|| "negative (not_after < not_before)".to_owned())
                ),
            );
        }
        LeafNodeSource::Commit(parent_hash) => {
            push(
                2,
                format!("parent_hash: {}", hex::encode(parent_hash.as_slice())),
            );
        }
        LeafNodeSource::Update => {}
    }
    if leaf.extensions.is_empty() {
        push(2, "extensions: (none)".to_owned());
    } else {
        push(2, "extensions:".to_owned());
        for e in leaf.extensions.iter() {
            push(3, extension_line(e));
        }
    }
    push(
        2,
        format!("signature: {}", hex::encode(leaf.signature.as_slice())),
    );
    if kp.extensions.is_empty() {
        push(1, "extensions: (none)".to_owned());
    } else {
        push(1, "extensions:".to_owned());
        for e in kp.extensions.iter() {
            push(2, extension_line(e));
        }
    }
    push(
        1,
        format!(
            "last_resort: {}",
            if kp.is_last_resort() { "yes" } else { "no" }
        ),
    );
    push(
        1,
        format!("signature: {}", hex::encode(kp.signature.as_slice())),
    );
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn source_text(source: &LeafNodeSource) -> String {
    match source {
        LeafNodeSource::KeyPackage(_) => "1 key_package".to_owned(),
        LeafNodeSource::Update => "2 update".to_owned(),
        LeafNodeSource::Commit(_) => "3 commit".to_owned(),
    }
}

fn source_json(source: &LeafNodeSource) -> Value {
    let name = match source {
        LeafNodeSource::KeyPackage(_) => "key_package",
        LeafNodeSource::Update => "update",
        LeafNodeSource::Commit(_) => "commit",
    };
    json!({ "value": source.value(), "name": name })
}

/// `7261200 s (84 d 01:00:00)`: seconds, then days and h:m:s.
fn duration_text(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    format!(
        "{seconds} s ({days} d {:02}:{:02}:{:02})",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn extensions_json(list: &keypackage_core::Extensions) -> Value {
    Value::Array(
        list.iter()
            .map(|e| {
                json!({
                    "type": cp!(e.extension_type).json(),
                    "data": hex::encode(e.extension_data.as_slice()),
                })
            })
            .collect(),
    )
}

fn credential_json(credential: &Credential) -> Value {
    let kind = cp!(credential.credential_type()).json();
    match credential {
        Credential::Basic { identity } => json!({
            "type": kind,
            "identity": hex::encode(identity.as_slice()),
            "identity_utf8": std::str::from_utf8(identity.as_slice()).ok(),
        }),
        Credential::X509 { certificates } => json!({
            "type": kind,
            "certificates": certificates
                .iter()
                .map(|c| hex::encode(c.cert_data.as_slice()))
                .collect::<Vec<_>>(),
            "certificate_details": certificates
                .iter()
                .map(|c| crate::x509::certificate_json(c.cert_data.as_slice()))
                .collect::<Vec<_>>(),
        }),
        Credential::Other { data, .. } => json!({
            "type": kind,
            "data": hex::encode(data.as_slice()),
        }),
    }
}

/// The JSON layout (see the README): one object per key package.
pub(crate) fn json(item: &Inspected<'_>) -> Value {
    let kp = &item.decoded.key_package;
    let leaf = &kp.leaf_node;
    let caps = &leaf.capabilities;
    let lifetime = leaf.leaf_node_source.lifetime().map(|l| {
        json!({
            "not_before": l.not_before,
            "not_after": l.not_after,
            "not_before_rfc3339": rfc3339(l.not_before),
            "not_after_rfc3339": rfc3339(l.not_after),
        })
    });
    let parent_hash = match &leaf.leaf_node_source {
        LeafNodeSource::Commit(hash) => Some(hex::encode(hash.as_slice())),
        _ => None,
    };
    let codes = |list: Vec<CodePoint>| list_json(&list);
    json!({
        "line": item.line,
        "encoding": item.encoding.name(),
        "wrapping": if item.decoded.message_version.is_some() { "mls-message" } else { "bare" },
        "message_version": item.decoded.message_version.map(|v| cp!(v).json()),
        "version": cp!(kp.version).json(),
        "cipher_suite": cp!(kp.cipher_suite).json(),
        "reference": item.reference,
        "init_key": hex::encode(kp.init_key.as_slice()),
        "leaf_node": {
            "encryption_key": hex::encode(leaf.encryption_key.as_slice()),
            "signature_key": hex::encode(leaf.signature_key.as_slice()),
            "credential": credential_json(&leaf.credential),
            "capabilities": {
                "versions": codes(caps.versions.iter().map(|v| cp!(*v)).collect()),
                "cipher_suites": codes(caps.cipher_suites.iter().map(|v| cp!(*v)).collect()),
                "extensions": codes(caps.extensions.iter().map(|v| cp!(*v)).collect()),
                "proposals": codes(caps.proposals.iter().map(|v| cp!(*v)).collect()),
                "credentials": codes(caps.credentials.iter().map(|v| cp!(*v)).collect()),
            },
            "leaf_node_source": source_json(&leaf.leaf_node_source),
            "lifetime": lifetime,
            "parent_hash": parent_hash,
            "extensions": extensions_json(&leaf.extensions),
            "signature": hex::encode(leaf.signature.as_slice()),
        },
        "extensions": extensions_json(&kp.extensions),
        "last_resort": kp.is_last_resort(),
        "signature": hex::encode(kp.signature.as_slice()),
    })
}
