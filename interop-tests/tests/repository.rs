//! The repository stands on its own: every citation of the design document
//! names a section that exists in `docs/DESIGN.md`, relative links in the
//! Markdown files resolve, and no file refers to a place outside the
//! repository.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Directories whose contents are not ours to cite from (build output,
/// third-party data, fuzz inputs).
const SKIPPED_DIRS: [&str; 6] = [
    "target",
    ".git",
    "testdata",
    "corpus",
    "artifacts",
    "regressions",
];

/// Every text file we write: sources, manifests, docs, scripts.
fn text_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) {
                    stack.push(path);
                }
                continue;
            }
            let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
            let wanted = matches!(ext.as_deref(), Some("rs" | "md" | "toml" | "py" | "sh"))
                || path.ends_with(".ci/run");
            if wanted {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(out.len() > 50, "the walk found only {} files", out.len());
    out
}

/// The section numbers (`3`, `5.1`, …), GitHub anchors and principle labels
/// (`P1`, …) of docs/DESIGN.md.
struct Design {
    sections: BTreeSet<String>,
    anchors: BTreeSet<String>,
    principles: BTreeSet<String>,
}

fn design() -> Design {
    let text = fs::read_to_string(root().join("docs/DESIGN.md")).unwrap();
    let mut design = Design {
        sections: BTreeSet::new(),
        anchors: BTreeSet::new(),
        principles: BTreeSet::new(),
    };
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ").or(line.strip_prefix("### ")) {
            let number = heading
                .split(". ")
                .next()
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            design
                .sections
                .insert(number.trim_end_matches('.').to_owned());
            design.anchors.insert(anchor(heading));
        }
        if let Some(rest) = line.strip_prefix("* **P") {
            let label: String = rest.chars().take_while(char::is_ascii_digit).collect();
            design.principles.insert(format!("P{label}"));
        }
    }
    assert!(
        design.sections.contains("4"),
        "no section 4 in docs/DESIGN.md"
    );
    assert!(
        design.principles.contains("P1"),
        "no principle P1 in docs/DESIGN.md"
    );
    design
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Checks one citation of the design document that starts at `at` in
/// `text`; returns a complaint, if any.
fn check_citation(design: &Design, text: &str, at: usize) -> Option<String> {
    let before = text.get(..at).unwrap_or("");
    if !before.ends_with("docs/") {
        return Some("cites DESIGN.md, not docs/DESIGN.md".to_owned());
    }
    let after = text.get(at + "DESIGN.md".len()..).unwrap_or("");
    // The path as a string literal, for code that reads the file, is not a
    // citation.
    if before.ends_with("\"docs/") && after.starts_with('"') {
        return None;
    }
    if let Some(rest) = after.strip_prefix('#') {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-')
            .collect();
        return (!design.anchors.contains(&name)).then(|| format!("no heading #{name}"));
    }
    let Some(rest) = after.strip_prefix(" §") else {
        return Some("names no section (docs/DESIGN.md §N or #anchor)".to_owned());
    };
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let number = number.trim_end_matches('.');
    if !design.sections.contains(number) {
        return Some(format!("no section §{number}"));
    }
    // "§3 P7", "§3 P2 and P9": each principle must exist.
    let tail = rest.get(number.len()..).unwrap_or("");
    for word in tail.split_whitespace().take(3) {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.len() > 1
            && word.starts_with('P')
            && word[1..].chars().all(|c| c.is_ascii_digit())
            && !design.principles.contains(word)
        {
            return Some(format!("no principle {word}"));
        }
    }
    None
}

#[test]
fn every_design_citation_names_an_existing_section() {
    let design = design();
    let mut problems = Vec::new();
    let mut citations = 0;
    for path in text_files() {
        // The document itself, and this file's own examples.
        if path.ends_with("docs/DESIGN.md") || path.ends_with(file!()) {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("DESIGN.md") {
            citations += 1;
            if let Some(problem) = check_citation(&design, &text, at) {
                let line = text[..at].lines().count();
                problems.push(format!("{}:{line}: {problem}", relative(&path)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(citations >= 20, "only {citations} citations found");
}

#[test]
fn the_citation_checker_refuses_what_it_must() {
    let design = design();
    let check = |text: &str| check_citation(&design, text, text.find("DESIGN.md").unwrap());
    assert_eq!(check("see docs/DESIGN.md §4."), None);
    assert_eq!(check("(docs/DESIGN.md §5.1)"), None);
    assert_eq!(check("docs/DESIGN.md §3 P7"), None);
    assert_eq!(check("read(\"docs/DESIGN.md\")"), None);
    assert!(check("see DESIGN.md §4").is_some());
    assert!(check("read(\"DESIGN.md\")").is_some());
    assert!(check("\"docs/DESIGN.md has §4\"").is_some());
    assert!(check("see docs/DESIGN.md.").is_some());
    assert!(check("docs/DESIGN.md §99").is_some());
    assert!(check("docs/DESIGN.md §3 P99").is_some());
    assert!(check("[x](docs/DESIGN.md#no-such-heading)").is_some());
}

#[test]
fn markdown_links_resolve_inside_the_repository() {
    let mut problems = Vec::new();
    for path in text_files() {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("](") {
            let target: String = text[at + 2..].chars().take_while(|c| *c != ')').collect();
            let file = target.split('#').next().unwrap_or("");
            if file.is_empty() || file.contains("://") || file.starts_with("mailto:") {
                continue;
            }
            let resolved = path.parent().unwrap().join(file);
            let inside = resolved
                .canonicalize()
                .is_ok_and(|p| p.starts_with(root().canonicalize().unwrap()));
            if !inside {
                problems.push(format!("{}: broken link {target}", relative(&path)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn nothing_refers_to_a_file_outside_the_repository() {
    // Built from pieces so that this file does not match itself.
    let outside = [["..", "/shared"].concat(), ["shared", "/vectors"].concat()];
    let mut problems = Vec::new();
    for path in text_files() {
        let text = fs::read_to_string(&path).unwrap();
        for needle in &outside {
            if text.contains(needle.as_str()) {
                problems.push(format!("{} mentions {needle}", relative(&path)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
