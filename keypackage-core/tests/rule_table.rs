//! `Rule` against the rule tables the project publishes: the README's (ID
//! and RFC 9420 sections) and docs/DESIGN.md §4's (IDs, in order). The
//! tables are written by hand; the CLI prints `Rule::id`, and applications
//! look rules up by ID, so a rule whose ID or sections drift from the
//! documents fails here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use keypackage_core::{CredentialRejection, Rule};

fn read(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of the first Markdown table after the line `header`, split
/// into trimmed cells.
fn table_after(text: &str, header: &str) -> Vec<Vec<String>> {
    let start = text
        .lines()
        .position(|l| l == header)
        .unwrap_or_else(|| panic!("no table headed {header:?}"));
    text.lines()
        .skip(start + 2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn rule_ids_and_sections_are_the_readmes() {
    let rows = table_after(&read("README.md"), "| ID | rule | RFC 9420 | test |");
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let ours: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ours, "the README's rule table, in order");
    for (rule, row) in Rule::ALL.iter().zip(&rows) {
        let sections = &row[2];
        match rule.rfc_section() {
            Some(s) => assert_eq!(s, sections, "{rule}"),
            None => assert!(sections.starts_with("none"), "{rule}: {sections}"),
        }
    }
}

#[test]
fn rule_ids_are_design_section_4s_in_order() {
    let design = read("docs/DESIGN.md");
    let (_, section) = design
        .split_once("\n## 4. Validation rules\n")
        .expect("docs/DESIGN.md §4 is missing");
    let rows = table_after(section, "| ID | what is checked | what it rests on |");
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let ours: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ours);
}

#[test]
fn a_rule_is_found_by_its_id_and_displays_as_it() {
    for rule in Rule::ALL {
        assert_eq!(Rule::from_id(rule.id()), Some(rule));
        assert_eq!(rule.to_string(), rule.id());
    }
    for unknown in ["", "KP-", "kp-sig", "KP-SIG ", "KP-INTERNAL"] {
        assert_eq!(Rule::from_id(unknown), None, "{unknown:?}");
    }
}

/// `kp validate` prints `CredentialRejection::name`; scripts parse it, and
/// the CLI README lists the names in the order of the enum.
#[test]
fn credential_rejection_names_are_the_cli_readmes() {
    let readme = read("keypackage-cli/README.md");
    let (list, _) = readme
        .split_once("where `<kind>` is one of")
        .and_then(|(_, rest)| rest.split_once("(`keypackage_core::CredentialRejection::name`)"))
        .expect("keypackage-cli/README.md lists the credential refusal kinds");
    let documented: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    let names: Vec<&str> = CredentialRejection::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names, documented);
    for kind in CredentialRejection::ALL {
        assert_eq!(kind.to_string(), kind.name());
    }
}
