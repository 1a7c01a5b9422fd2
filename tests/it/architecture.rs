//! Who may import whom (the map of the code in the README): a forbidden import, or a
//! cycle between the program's parts, fails this test. Read from the sources themselves,
//! so the rule cannot drift from the code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// For each part of `src/`, the parts it may import (`crate::<part>`). Anything not listed
/// is forbidden. The layers, bottom up: plain helpers, the domain's rules, the store (the
/// only SQL), the use cases, the words, the app's state, the drawing, the terminal, the
/// command line.
const ALLOWED: &[(&str, &[&str])] = &[
    ("text", &[]),
    ("action", &[]),
    ("secret", &[]),
    ("format", &["text"]),
    ("domain", &["format", "text"]),
    ("i18n", &["domain", "text"]),
    ("keyfile", &["domain"]),
    ("headfile", &["domain"]),
    ("config", &["domain", "i18n"]),
    ("import", &["domain"]),
    ("keys", &["action", "domain", "i18n"]),
    ("export", &["domain", "format", "i18n", "text"]),
    ("store", &["domain", "format"]),
    // Receipts and journals drawn as PDF from the domain's documents, and handed over.
    ("paper", &["config", "domain", "format", "text"]),
    // The customer channel over HTTP: a thin edge over the use cases, as the terminal is.
    ("serve", &["config", "domain", "service", "text"]),
    ("service", &["config", "domain", "format", "headfile", "import", "keyfile", "secret", "store", "text"]),
    // The words of errors: they name the store's and the key file's failures too.
    ("messages", &["domain", "i18n", "keyfile", "paper", "secret", "service", "store", "text"]),
    (
        "app",
        &["action", "config", "domain", "export", "format", "i18n", "keys", "messages", "paper", "service", "text"],
    ),
    ("ui", &["action", "app", "domain", "format", "i18n", "keys", "text"]),
    ("tui", &["action", "app", "i18n", "keys", "service", "ui"]),
    (
        "cli",
        &[
            "app", "config", "domain", "export", "format", "i18n", "import", "keyfile", "messages", "paper", "serve",
            "service", "text", "tui", "ui",
        ],
    ),
    ("main", &["cli"]),
    ("lib", &[]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The part of `src/` a file belongs to: its first folder, or its file name.
fn part_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// The parts a file names as `crate::<part>`, comments left out.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let part = part_of(&src, &f);
        let text = std::fs::read_to_string(&f).expect("source readable");
        let entry = g.entry(part.clone()).or_default();
        entry.extend(imports(&text).into_iter().filter(|p| *p != part));
    }
    g
}

#[test]
fn every_import_follows_the_layers() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (part, uses) in graph() {
        let Some(ok) = allowed.get(part.as_str()) else {
            wrong.push(format!("{part}: a new part of src/ — add it to ALLOWED and to the README's map"));
            continue;
        };
        for u in uses {
            if !ok.contains(&u.as_str()) {
                wrong.push(format!("{part} imports crate::{u}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn no_two_parts_import_each_other() {
    let g = graph();
    // Depth-first search for a path back to where it started.
    fn reaches(g: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
        let Some(next) = g.get(from) else { return false };
        next.iter().any(|n| n == to || (seen.insert(n.clone()) && reaches(g, n, to, seen)))
    }
    let circles: Vec<&String> = g.keys().filter(|p| reaches(&g, p, p, &mut BTreeSet::new())).collect();
    assert!(circles.is_empty(), "parts in an import circle: {circles:?}");
}

#[test]
fn the_check_sees_a_forbidden_import() {
    // The reader itself: a screen naming the store is caught, a comment is not.
    let found = imports("use crate::store::tokens;\n// crate::cli in a comment\nlet x = crate::format::yen(1);");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["format", "store"]);
}
