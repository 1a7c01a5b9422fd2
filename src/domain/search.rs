//! What Find customer indexes for a contract and how a typed query is turned into keys.
//!
//! Two indexes serve every query length: a sorted table of whole terms (CIF, contract
//! number, phone, login IDs, token serials, the normalized name and kana) answers exact
//! and prefix matches from the first character; a trigram full-text index answers
//! "contains" for queries of three characters or more. One- and two-character queries
//! match by prefix only: a single kana is inside a third of all names, and a list that
//! long helps nobody at a counter.

use super::kana::{digits_only, normalize};

/// What one contract contributes to the indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    pub terms: Vec<String>,
    /// Text for the trigram index (names and phone).
    pub body: String,
}

/// Contract number shown to staff: the internal id, eight digits.
pub fn contract_number(id: i64) -> String {
    format!("{id:08}")
}

/// The terms and body of a contract.
pub fn index_contract(
    id: i64,
    cif: &str,
    company: &str,
    company_kana: &str,
    phone: &str,
    login_ids: &[&str],
    serials: &[&str],
) -> Indexed {
    let name = normalize(company);
    let kana = normalize(company_kana);
    let digits = digits_only(phone);
    let mut terms = vec![cif.to_string(), contract_number(id), digits, name, kana];
    terms.extend(login_ids.iter().map(|l| normalize(l)));
    terms.extend(serials.iter().map(|s| serial_term(s)));
    terms.retain(|t| !t.is_empty());
    terms.sort();
    terms.dedup();
    Indexed { terms, body: body(company, company_kana, phone) }
}

/// The text a contains match looks in: normalized name, kana and phone digits.
pub fn body(company: &str, company_kana: &str, phone: &str) -> String {
    format!("{} {} {}", normalize(company), normalize(company_kana), digits_only(phone))
}

/// The term under which a token serial finds its holder.
pub fn serial_term(serial: &str) -> String {
    normalize(serial)
}

/// The keys a typed query searches with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryKeys {
    /// Prefix keys, most specific first.
    pub prefixes: Vec<String>,
    /// A substring for the trigram index, when long enough.
    pub contains: Option<String>,
}

/// Minimum characters for a contains match (the trigram index needs three).
pub const CONTAINS_MIN: usize = 3;

/// From this many digits on, a numeric query matches by prefix only.
pub const NUMBER_CONTAINS_MAX: usize = 7;

pub fn query_keys(query: &str) -> QueryKeys {
    let norm = normalize(query);
    // A 全銀 mark being typed after a kana name (`ﾔﾏﾀﾞ(` on the way to `ﾔﾏﾀﾞ(ｶ`): the
    // name as stored has no mark, so the open parenthesis alone would find nothing.
    let norm = match norm.strip_suffix('(') {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => norm,
    };
    let mut prefixes = Vec::new();
    // Digits with hyphens or spaces (a CIF as `101-0000001`, a phone as `03-1234-5678`).
    let looks_numeric = !query.trim().is_empty()
        && query.chars().all(|c| c.is_ascii_digit() || "-‐－ 　()（）".contains(c) || ('０'..='９').contains(&c));
    if looks_numeric {
        let d = digits_only(query);
        if !d.is_empty() {
            prefixes.push(d);
        }
    }
    if !norm.is_empty() && !prefixes.contains(&norm) {
        prefixes.push(norm.clone());
    }
    let key = prefixes.first().cloned().unwrap_or_default();
    // A long run of digits is a whole phone number or CIF: prefix and exact matches are
    // what staff mean, and a trigram search over digits is the slowest there is (every
    // digit trigram is common). Short digit runs ("the last four digits") stay.
    let whole_number = looks_numeric && key.len() >= NUMBER_CONTAINS_MAX;
    let contains = (key.chars().count() >= CONTAINS_MIN && !whole_number).then_some(key);
    QueryKeys { prefixes, contains }
}

/// The trigram MATCH expression for a substring: one quoted phrase, quotes doubled.
pub fn fts_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legal_mark_half_typed_after_the_name_finds_the_name() {
        let whole = query_keys("ｶﾝﾄｳｼﾞﾄﾞｳｼﾔ");
        assert_eq!(query_keys("ｶﾝﾄｳｼﾞﾄﾞｳｼﾔ("), whole);
        assert_eq!(query_keys("ｶﾝﾄｳｼﾞﾄﾞｳｼﾔ(ｶ"), whole);
        assert_eq!(query_keys("関東自動車（"), query_keys("関東自動車"));
        // A parenthesis alone is still what was typed.
        assert_eq!(query_keys("(").prefixes, vec!["(".to_string()]);
    }

    #[test]
    fn a_contract_is_found_by_every_handle() {
        let ix = index_contract(
            7,
            "1010000001",
            "株式会社山田製作所",
            "ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ",
            "03-1234-5678",
            &["yamada-m", "Yamada-G1"],
            &["HT00000001"],
        );
        for q in [
            "101-0000001",
            "1010000001",
            "00000007",
            "03-1234-5678",
            "山田製作所",
            "㈱山田",
            "ﾔﾏﾀﾞ",
            "やまだせいさくしょ",
            "yamada-m",
            "YAMADA-G1",
            "ht00000001",
        ] {
            let keys = query_keys(q);
            assert!(
                keys.prefixes.iter().any(|k| ix.terms.iter().any(|t| t.starts_with(k.as_str()))),
                "{q:?} → {keys:?} finds nothing in {:?}",
                ix.terms
            );
        }
        assert!(ix.body.contains("セイサク"));
    }

    #[test]
    fn short_queries_do_not_ask_the_trigram_index() {
        assert_eq!(query_keys("ﾔﾏ").contains, None);
        assert_eq!(query_keys("製作所").contains.as_deref(), Some("製作所"));
        assert_eq!(query_keys("  ").prefixes, Vec::<String>::new());
        assert_eq!(query_keys("5678").contains.as_deref(), Some("5678"));
        assert_eq!(query_keys("03-1234-5678").contains, None);
        assert_eq!(fts_phrase("a\"b"), "\"a\"\"b\"");
    }
}

/// How a result matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    Exact,
    Prefix,
    Contains,
}
