//! Every string the user reads, from `assets/locales/{ja,en}.toml`.
//!
//! A small table rather than an i18n framework: the two catalogs are embedded at build
//! time, parsed once, and a test proves they hold the same keys and that every key the
//! code names exists. Placeholders are `{name}`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// F2: the other language.
    pub fn toggled(self) -> Self {
        match self {
            Self::Ja => Self::En,
            Self::En => Self::Ja,
        }
    }
}

const JA: &str = include_str!("../assets/locales/ja.toml");
const EN: &str = include_str!("../assets/locales/en.toml");

type Catalog = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

fn parse(text: &str) -> Catalog {
    let mut out = Catalog::new();
    // The catalogs are part of the binary; a test proves they parse.
    if let Ok(table) = text.parse::<toml::Table>() {
        flatten("", &table, &mut out);
    }
    out
}

fn catalog(lang: Lang) -> &'static Catalog {
    static JA_CAT: OnceLock<Catalog> = OnceLock::new();
    static EN_CAT: OnceLock<Catalog> = OnceLock::new();
    match lang {
        Lang::Ja => JA_CAT.get_or_init(|| parse(JA)),
        Lang::En => EN_CAT.get_or_init(|| parse(EN)),
    }
}

/// The text of `key`; a missing key shows itself so that it is noticed, never panics.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match catalog(lang).get(key) {
        Some(s) => s.as_str(),
        None => missing(key),
    }
}

/// The text of `key` when the catalog has one (an optional line, such as a procedure's
/// rule).
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    catalog(lang).get(key).map(String::as_str)
}

/// Missing keys are interned once, so that showing one in a draw loop does not leak.
fn missing(key: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static MISSING: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let Ok(mut set) = MISSING.get_or_init(|| Mutex::new(HashSet::new())).lock() else { return "?" };
    if let Some(k) = set.get(key) {
        return k;
    }
    let leaked: &'static str = Box::leak(key.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// A branch as staff call it, in `lang`: `205 港支店`, or its code when it is not one
/// of `branches`.
pub fn branch_label(lang: Lang, branches: &[crate::domain::branch::Branch], code: &str) -> String {
    match branches.iter().find(|b| b.code == code) {
        Some(b) => format!(
            "{code} {}",
            match lang {
                Lang::Ja => &b.name,
                Lang::En => &b.name_en,
            }
        ),
        None => crate::text::inert(code).into_owned(),
    }
}

/// The text of `key` with `{name}` placeholders filled. When the count (`{n}` or
/// `{count}`) is one and the catalog has a `key_one`, that is used: "1 failure", not
/// "1 failures".
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let one = args.iter().any(|(name, value)| matches!(*name, "n" | "count") && *value == "1");
    let singular = format!("{key}_one");
    let key = if one && catalog(lang).contains_key(&singular) { singular.as_str() } else { key };
    let mut s = t(lang, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_staff_read_aloud_carries_no_rule_codes() {
        for lang in [Lang::Ja, Lang::En] {
            for (key, text) in catalog(lang) {
                let spoken = key.starts_with("ui.procedure.") && (key.ends_with(".title") || key.ends_with(".say"));
                let code = text
                    .char_indices()
                    .any(|(i, c)| c == 'R' && text[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
                assert!(!(spoken && code), "{key}: {text}");
            }
        }
    }

    #[test]
    fn one_of_a_count_is_said_in_the_singular() {
        let one = tf(Lang::En, "ui.state.failures", &[("n", "1")]);
        assert_eq!(one, "1 failure");
        assert_eq!(tf(Lang::En, "ui.state.failures", &[("n", "2")]), "2 failures");
        assert_eq!(tf(Lang::Ja, "ui.state.failures", &[("n", "1")]), "誤り 1 回");
        let line = tf(Lang::En, "ui.customer.lock_line", &[("credential", "PIN"), ("count", "1"), ("at", "09:00")]);
        assert_eq!(line, "PIN, 1 failure in a row, 09:00");
    }

    #[test]
    fn both_catalogs_parse_and_hold_the_same_keys() {
        let ja = JA.parse::<toml::Table>().expect("ja.toml parses");
        let en = EN.parse::<toml::Table>().expect("en.toml parses");
        let (mut a, mut b) = (Catalog::new(), Catalog::new());
        flatten("", &ja, &mut a);
        flatten("", &en, &mut b);
        let mut only_ja: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
        // English has singular forms (`key_one`) where Japanese needs none; each stands
        // beside its plural.
        let mut only_en: Vec<_> = b
            .keys()
            .filter(|k| !a.contains_key(*k) && !k.strip_suffix("_one").is_some_and(|plural| a.contains_key(plural)))
            .collect();
        only_ja.sort();
        only_en.sort();
        assert!(only_ja.is_empty() && only_en.is_empty(), "only ja: {only_ja:?}, only en: {only_en:?}");
        for (k, v) in &a {
            assert!(!v.trim().is_empty(), "empty ja text for {k}");
            assert!(!b[k].trim().is_empty(), "empty en text for {k}");
        }
    }

    /// Every string literal in the sources that looks like a catalog key exists.
    #[test]
    fn every_key_named_in_the_code_exists() {
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src readable") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("source readable");
                for literal in text.split('"').skip(1).step_by(2) {
                    let is_key = ["msg.", "err.", "ui.", "cli."].iter().any(|p| literal.starts_with(p))
                        && literal
                            .bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'_')
                        && !literal.ends_with('.')
                        && !literal.ends_with('_');
                    if is_key && !catalog(Lang::Ja).contains_key(literal) {
                        missing.push(format!("{}: {literal}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from the catalogs: {missing:#?}");
    }

    #[test]
    fn placeholders_fill() {
        assert_eq!(tf(Lang::En, "no.such.key", &[]), "no.such.key");
        assert_eq!(Lang::Ja.toggled(), Lang::En);
    }
}
