//! The guide's relative links (`[text](chapter.md#anchor)`) in `docs/*.md` and the README point
//! at files that exist and headings that exist in them, so the table of contents cannot rot.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// GitHub's anchor for a heading: lower case, spaces to dashes, punctuation other than `-`
/// and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a markdown file's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// `(target)` of every `[text](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                found.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    found
}

#[test]
fn every_relative_link_of_the_guide_resolves() {
    let root = root();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.push(root.join("README.md"));
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("readable");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("in a directory").join(file)
            };
            let Ok(target_text) = std::fs::read_to_string(&target) else {
                if !target.is_dir() {
                    broken.push(format!("{}: {link} (no such file)", page.display()));
                }
                continue;
            };
            if !fragment.is_empty() && !anchors(&target_text).iter().any(|a| a == fragment) {
                broken.push(format!("{}: {link} (no such heading)", page.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken guide links:\n{}",
        broken.join("\n")
    );
}

#[test]
fn anchors_follow_github() {
    assert_eq!(anchor(" Proxies and transports"), "proxies-and-transports");
    assert_eq!(
        anchor(" Importing a Telethon `.session` file"),
        "importing-a-telethon-session-file"
    );
    assert_eq!(anchor(" Bot API vs MTProto"), "bot-api-vs-mtproto");
    assert_eq!(
        links("see [a](b.md#c) and [d](https://e) `[f](g)`"),
        ["b.md#c", "https://e", "g"]
    );
}
