//! The rules that need neither crypto nor the application: structure,
//! policy and the clock (docs/DESIGN.md §4). Each check cites its rule ID
//! and the RFC 9420 text it rests on.

use std::collections::HashSet;
use std::hash::Hash;

use keypackage_traits::{CredentialType, ExtensionType};

use crate::credential::Credential;
use crate::extensions::{ListProblem, SHORT_LIST, check_list};
use crate::key_package::KeyPackageIn;
use crate::leaf_node::LeafNodeSource;
use crate::validate::context::{CredentialRejected, CredentialRejection, ValidationContext};
use crate::validate::error::ValidationError;
use keypackage_traits::ExtensionLocation;

/// Membership in a list, linear in the list's length whatever its content:
/// a scan for short lists, a hash set for long ones, so that a 100,000-entry
/// hostile list costs no quadratic work.
enum Members<'a, T> {
    Short(&'a [T]),
    Long(HashSet<T>),
}

impl<'a, T: Copy + Eq + Hash> Members<'a, T> {
    fn of(list: &'a [T]) -> Self {
        if list.len() <= SHORT_LIST {
            Self::Short(list)
        } else {
            Self::Long(list.iter().copied().collect())
        }
    }

    fn contains(&self, value: &T) -> bool {
        match self {
            Self::Short(list) => list.contains(value),
            Self::Long(set) => set.contains(value),
        }
    }
}

/// Key package extension types we recognise without registration (KP-EXT).
const RECOGNISED_KP_EXTENSIONS: [ExtensionType; 2] = [
    ExtensionType::LAST_RESORT,
    ExtensionType::APP_DATA_DICTIONARY,
];

impl ListProblem {
    pub(crate) fn into_validation_error(self, location: ExtensionLocation) -> ValidationError {
        match self {
            Self::Duplicate(extension_type) => ValidationError::DuplicateExtension {
                extension_type,
                location,
            },
            Self::Misplaced(extension_type) => ValidationError::MisplacedExtension {
                extension_type,
                location,
            },
            Self::Body(extension_type, reason) => ValidationError::ExtensionBody {
                extension_type,
                location,
                reason: reason.to_owned(),
            },
        }
    }
}

/// The structural part of KP-CREDENTIAL, which holds whatever the
/// application's validator says: RFC 9420 §13.5 never sends GREASE in
/// `Credential.credential_type` and 0x0000 is reserved (§17.5); an `x509`
/// credential carries its end-entity certificate first (§5.3), so it has at
/// least one certificate, and none of them is empty.
pub(crate) fn check_credential_structure(
    credential: &Credential,
) -> Result<(), CredentialRejected> {
    let malformed = |detail: &str| CredentialRejected::new(CredentialRejection::Malformed, detail);
    let credential_type = credential.credential_type();
    if credential_type == CredentialType(0) {
        return Err(malformed("credential type 0x0000 is reserved"));
    }
    if credential_type.is_grease() {
        return Err(malformed(
            "a GREASE value is never a credential's type (RFC 9420 §13.5)",
        ));
    }
    if let Credential::X509 { certificates } = credential {
        if certificates.is_empty() {
            return Err(malformed("an x509 credential without a certificate"));
        }
        if certificates
            .iter()
            .any(|c| c.cert_data.as_slice().is_empty())
        {
            return Err(malformed("an x509 credential with an empty certificate"));
        }
    }
    Ok(())
}

/// Rules that need neither crypto nor the clock: leaf source, extension
/// lists, credential structure, capabilities. Called by
/// [`KeyPackageIn::check_before_signatures`], which single and batch
/// validation both run.
pub(crate) fn check_structure(
    kp: &KeyPackageIn,
    ctx: &ValidationContext<'_>,
) -> Result<(), ValidationError> {
    let leaf = &kp.leaf_node;
    let caps = &leaf.capabilities;

    // KP-LEAF-SOURCE (§7.3): a key package's leaf has source key_package.
    if !matches!(leaf.leaf_node_source, LeafNodeSource::KeyPackage(_)) {
        return Err(ValidationError::LeafNodeSource {
            leaf_node_source: leaf.leaf_node_source.value(),
        });
    }

    // KP-DUP-EXT (§13.4), KP-EXT-PLACEMENT (§17.3), KP-EXT-BODY, one list at
    // a time: the same checks the builder runs on what it makes.
    for (list, location) in [
        (&kp.extensions, ExtensionLocation::KeyPackage),
        (&leaf.extensions, ExtensionLocation::LeafNode),
    ] {
        check_list(list.as_slice(), location).map_err(|p| p.into_validation_error(location))?;
    }

    // KP-NO-DEFAULTS (§7.2): "MUST NOT list" the default types; nor the
    // reserved value 0x0000 (§17.3, §17.4), which no client can support
    // (mls-rs counts it among the defaults; docs/DESIGN.md §5.4).
    if ctx.refuse_listed_defaults {
        if let Some(t) = caps.extensions.iter().find(|t| t.is_default() || t.0 == 0) {
            return Err(ValidationError::ListedDefaultExtension { extension_type: *t });
        }
        if let Some(t) = caps.proposals.iter().find(|t| t.is_default() || t.0 == 0) {
            return Err(ValidationError::ListedDefaultProposal { proposal_type: *t });
        }
    }

    // KP-CREDENTIAL, structural part (§5.3, §13.5): before capabilities, so
    // that a GREASE credential type is named as what it is.
    check_credential_structure(&leaf.credential).map_err(ValidationError::Credential)?;

    // KP-CRED-CAP (§7.2): the credential's type is among the supported ones.
    let credential_type = leaf.credential.credential_type();
    if !caps.credentials.as_slice().contains(&credential_type) {
        return Err(ValidationError::UnlistedCredentialType { credential_type });
    }

    // KP-OWN-CAPS (§7.2: capabilities list the versions and suites the
    // client supports; a key package in a suite or version it does not list
    // contradicts itself). A policy switch turns it off (docs/DESIGN.md §5.8).
    if ctx.require_own_capabilities {
        if !caps.versions.as_slice().contains(&kp.version) {
            return Err(ValidationError::UnlistedOwnVersion {
                version: kp.version,
            });
        }
        if !caps.cipher_suites.as_slice().contains(&kp.cipher_suite) {
            return Err(ValidationError::UnlistedOwnCipherSuite {
                cipher_suite: kp.cipher_suite,
            });
        }
    }

    let listed = Members::of(caps.extensions.as_slice());

    // KP-LEAF-EXT (§7.2, §7.3): every non-default leaf extension, known or
    // unknown (GREASE too), is listed.
    if let Some(e) = leaf
        .extensions
        .iter()
        .find(|e| !e.extension_type.is_default() && !listed.contains(&e.extension_type))
    {
        return Err(ValidationError::UnlistedLeafExtension {
            extension_type: e.extension_type,
        });
    }

    // KP-EXT (§10, §13.4): recognised key package extensions are listed;
    // unknown ones (GREASE among them) are ignored (docs/DESIGN.md §5.1).
    let recognised = |t: ExtensionType| RECOGNISED_KP_EXTENSIONS.contains(&t) || ctx.recognises(t);
    if let Some(e) = kp
        .extensions
        .iter()
        .find(|e| recognised(e.extension_type) && !listed.contains(&e.extension_type))
    {
        return Err(ValidationError::UnlistedExtension {
            extension_type: e.extension_type,
        });
    }

    // KP-REQUIRED-CAPS (§7.3, §11.1): supported means listed, or a default type.
    if let Some(required) = &ctx.required_capabilities {
        if let Some(t) = required
            .extension_types
            .iter()
            .find(|t| !t.is_default() && !listed.contains(t))
        {
            return Err(ValidationError::MissingRequiredExtension { extension_type: *t });
        }
        let proposals = Members::of(caps.proposals.as_slice());
        if let Some(t) = required
            .proposal_types
            .iter()
            .find(|t| !t.is_default() && !proposals.contains(t))
        {
            return Err(ValidationError::MissingRequiredProposal { proposal_type: *t });
        }
        let credentials = Members::of(caps.credentials.as_slice());
        if let Some(t) = required
            .credential_types
            .iter()
            .find(|t| !credentials.contains(t))
        {
            return Err(ValidationError::MissingRequiredCredential {
                credential_type: *t,
            });
        }
    }
    Ok(())
}

/// KP-LIFETIME and KP-MAX-LIFETIME (§7.2, §7.3), with saturating arithmetic.
pub(crate) fn check_lifetime(
    kp: &KeyPackageIn,
    ctx: &ValidationContext<'_>,
) -> Result<(), ValidationError> {
    let Some(lifetime) = kp.leaf_node.leaf_node_source.lifetime() else {
        return Err(ValidationError::LeafNodeSource {
            leaf_node_source: kp.leaf_node.leaf_node_source.value(),
        });
    };
    let (not_before, not_after, now) = (lifetime.not_before, lifetime.not_after, ctx.now);
    let not_yet = not_before > now.saturating_add(ctx.clock_skew);
    let expired = now > not_after;
    // `duration()` is `None` for an inverted lifetime (not_after < not_before).
    let duration = match lifetime.duration() {
        Some(duration) if !not_yet && !expired => duration,
        _ => {
            return Err(ValidationError::Lifetime {
                not_before,
                not_after,
                now,
            });
        }
    };
    if let Some(max) = ctx.max_lifetime
        && duration > max
    {
        return Err(ValidationError::LifetimeTooLong { duration, max });
    }
    Ok(())
}

/// KP-EXT-BODY for the types the application registered with a body check,
/// wherever they appear. Runs after the signatures, like the credential
/// validator: application code sees authenticated input only.
pub(crate) fn check_registered_bodies(
    kp: &KeyPackageIn,
    ctx: &ValidationContext<'_>,
) -> Result<(), ValidationError> {
    for registered in &ctx.recognised_extensions {
        let Some(check) = registered.body else {
            continue;
        };
        for (list, location) in [
            (&kp.extensions, ExtensionLocation::KeyPackage),
            (&kp.leaf_node.extensions, ExtensionLocation::LeafNode),
        ] {
            for e in list
                .iter()
                .filter(|e| e.extension_type == registered.extension_type)
            {
                check
                    .validate(e.extension_type, location, e.extension_data.as_slice())
                    .map_err(|reason| ValidationError::ExtensionBody {
                        extension_type: e.extension_type,
                        location,
                        reason,
                    })?;
            }
        }
    }
    Ok(())
}
