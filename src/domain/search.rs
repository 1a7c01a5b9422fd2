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
    // A 全銀 mark being typed after a kana name (`ﾔﾏﾀﾞ(` on the way to `ﾔﾏﾀﾞ(ｶ`, `(ﾄ` to
    // `(ﾄﾞ`): the name as stored has no mark, so the half-typed one would find nothing.
    let norm = match super::kana::without_half_typed_mark(&norm) {
        Some(name) => name.to_string(),
        None => norm,
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

/// The distinct trigrams (windows of three characters) of a text, in the order they first
/// appear: what the trigram indexes hold for a body and look up for a contains key.
pub fn grams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut seen = std::collections::HashSet::new();
    chars.windows(3).map(|w| w.iter().collect::<String>()).filter(|g| seen.insert(g.clone())).collect()
}

/// The gram whose count is the number of bodies indexed: the empty string is in every one.
pub const EVERY_BODY: &str = "";

/// How many search bodies hold each gram (and, under [`EVERY_BODY`], how many there are):
/// the statistics a contains search picks its index keys by.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GramCounts(std::collections::HashMap<String, i64>);

impl GramCounts {
    /// Counts one more body.
    pub fn add(&mut self, body: &str) {
        for g in grams(body).into_iter().chain([EVERY_BODY.to_string()]) {
            *self.0.entry(g).or_insert(0) += 1;
        }
    }

    /// (gram, bodies) in gram order.
    pub fn rows(&self) -> Vec<(String, i64)> {
        let mut rows: Vec<(String, i64)> = self.0.iter().map(|(g, n)| (g.clone(), *n)).collect();
        rows.sort_unstable();
        rows
    }
}

/// At most this many of a key's grams are looked up in the index: each more narrows the
/// candidates less than the one before.
pub const INDEX_GRAMS: usize = 4;

/// Candidates few enough to check one by one against the whole key: walking one more
/// gram's list in the index would cost more than it saves.
pub const FEW_CANDIDATES: f64 = 64.0;

/// How a contains search finds its contracts, in contract order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainsPlan {
    /// How many contracts to walk in order first, keeping those whose body holds the key,
    /// when the key is estimated to be in so many bodies that a page is met among them
    /// (twice the contracts that estimate needs). A walk that falls short is followed by
    /// the index: the walk only ever saves time, and what it costs at most is bounded.
    pub walk: Option<u64>,
    /// The grams to look up in the trigram index (every gram of the key, or the few that
    /// narrow it most); each candidate is then checked against the whole key.
    pub grams: Vec<String>,
}

/// The plan for a contains `key` (three characters or more), from how many bodies hold
/// each of its grams (`docs`; a gram missing is held by none) among `bodies`, when a page
/// of `want` contracts is asked for.
///
/// A common gram costs a long list to walk in the index, however few bodies hold the
/// whole key, so the index is asked for the rarest grams only, and only until the
/// candidates they leave are [`FEW_CANDIDATES`]. Grams that overlap say much the same (a
/// body with `ABC` mostly has `BCD` too): those that share no character come first, and
/// the bodies holding the key are estimated from them as if independent. When that
/// estimate is more than √(want × bodies), walking the contracts in order is expected to
/// meet a page sooner than the index would list every candidate: the plan walks first.
pub fn plan_contains(
    key: &str,
    docs: &std::collections::HashMap<String, i64>,
    bodies: i64,
    want: usize,
) -> ContainsPlan {
    let chars: Vec<char> = key.chars().collect();
    let total = bodies.max(1) as f64;
    // Each window of the key, with how many bodies hold it.
    let windows: Vec<(i64, String)> = chars
        .windows(3)
        .map(|w| {
            let g: String = w.iter().collect();
            (docs.get(&g).copied().unwrap_or(0), g)
        })
        .collect();
    // The windows that share no character and narrow the most together (each narrows by
    // the share of bodies that hold it): best[i] is the most windows from i on can do.
    let narrows = |n: i64| (total / (n as f64).max(0.5)).ln();
    let mut best = vec![0.0f64; windows.len() + 3];
    for i in (0..windows.len()).rev() {
        best[i] = best[i + 1].max(narrows(windows[i].0) + best[i + 3]);
    }
    let mut apart: Vec<(i64, String)> = Vec::new();
    let mut i = 0;
    while i < windows.len() {
        if best[i] > best[i + 1] {
            if !apart.iter().any(|a| a.1 == windows[i].1) {
                apart.push(windows[i].clone());
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    apart.sort();
    let mut rest: Vec<(i64, String)> = windows.iter().filter(|w| !apart.iter().any(|a| a.1 == w.1)).cloned().collect();
    rest.sort();
    rest.dedup();
    let in_bodies = apart.iter().fold(total, |est, (n, _)| est * (*n as f64) / total);
    let want = want.max(1) as f64;
    let walk = (in_bodies > (want * total).sqrt()).then(|| (2.0 * want * total / in_bodies).ceil() as u64);
    let mut picked = Vec::new();
    let mut candidates = total;
    for (n, g) in apart.iter().chain(&rest) {
        if picked.len() == INDEX_GRAMS || (!picked.is_empty() && candidates <= FEW_CANDIDATES) {
            break;
        }
        picked.push(g.clone());
        candidates = candidates * (*n as f64) / total;
    }
    ContainsPlan { walk, grams: picked }
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
        // A two-character mark is typed in steps, and a dakuten is a keystroke of its own.
        for half in ["ﾅｶﾑﾗｼﾖｸﾋﾝ(ﾄ", "ﾅｶﾑﾗｼﾖｸﾋﾝ(ﾄﾞ", "ﾅｶﾑﾗｼﾖｸﾋﾝ(ﾌ", "ﾅｶﾑﾗｼﾖｸﾋﾝ(ﾄｸ", "ﾅｶﾑﾗｼﾖｸﾋﾝ(ｼﾔ"]
        {
            assert_eq!(query_keys(half), query_keys("ﾅｶﾑﾗｼﾖｸﾋﾝ"), "{half}");
        }
        // What begins no mark is what was typed.
        assert_ne!(query_keys("ﾅｶﾑﾗｼﾖｸﾋﾝ(ﾏ"), query_keys("ﾅｶﾑﾗｼﾖｸﾋﾝ"));
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
    fn grams_are_the_distinct_windows_of_three() {
        assert_eq!(grams("ヤマダヤマダ"), ["ヤマダ", "マダヤ", "ダヤマ"]);
        assert_eq!(grams("ab"), Vec::<String>::new());
        let mut counts = GramCounts::default();
        counts.add("abcab");
        counts.add("abx");
        assert_eq!(
            counts.rows(),
            [("".into(), 2), ("abc".into(), 1), ("abx".into(), 1), ("bca".into(), 1), ("cab".into(), 1)]
        );
    }

    fn index(grams: Vec<String>) -> ContainsPlan {
        ContainsPlan { walk: None, grams }
    }

    fn walks(plan: ContainsPlan) -> Option<u64> {
        plan.walk
    }

    fn counts(pairs: &[(&str, i64)]) -> std::collections::HashMap<String, i64> {
        pairs.iter().map(|(g, n)| (g.to_string(), *n)).collect()
    }

    #[test]
    fn a_contains_search_asks_the_index_for_the_grams_that_narrow_it_most() {
        let m = 1_000_000;
        // One gram in 20 bodies leaves 20 candidates: nothing more is worth asking.
        let docs = counts(&[
            ("シヨウ", 300_000),
            ("ヨウジ", 90_000),
            ("ウジカ", 40),
            ("ジカイ", 700),
            ("カイハ", 5_000),
            ("イハツ", 20),
        ]);
        assert_eq!(plan_contains("シヨウジカイハツ", &docs, m, 51), index(vec!["イハツ".into()]));
        // However few the bodies, the index is asked for one gram at least.
        assert_eq!(plan_contains("セイサ", &counts(&[("セイサ", 1)]), 16, 51), index(vec!["セイサ".into()]));
        // A gram no body holds: the index answers at once.
        assert_eq!(plan_contains("シヨウZZ", &docs, m, 51), index(vec!["ウZZ".into()]));
        // Two grams apart narrow more than the two rarest, which overlap.
        let docs = counts(&[
            ("マツモ", 8_098),
            ("ツモト", 7_970),
            ("モトフ", 1_073),
            ("トフク", 615),
            ("フクシ", 8_201),
            ("クシジ", 4_104),
        ]);
        assert_eq!(plan_contains("マツモトフクシジ", &docs, m, 51), index(vec!["モトフ".into(), "クシジ".into()]));
        // Digits, each gram common: three lists before the candidates are few.
        let docs = counts(&[("038", 17_263), ("385", 8_362), ("855", 8_304), ("559", 8_498)]);
        assert_eq!(plan_contains("038559", &docs, m, 51), index(vec!["559".into(), "038".into(), "855".into()]));
        // Never more than four lists, even while candidates are many.
        let key = "アイウエオカキクケコサシ";
        let docs: std::collections::HashMap<String, i64> = grams(key).into_iter().map(|g| (g, 100_000)).collect();
        assert_eq!(
            plan_contains(key, &docs, m, 51),
            index(vec!["アイウ".into(), "エオカ".into(), "キクケ".into(), "コサシ".into()])
        );
    }

    #[test]
    fn a_key_in_most_bodies_walks_the_contracts_first() {
        let docs = counts(&[("シヨウ", 300_000), ("ヨウジ", 90_000), ("カイハ", 5_000)]);
        // In 300,000 of a million bodies: a page is met after ~170 contracts; twice that
        // is walked before the index is asked.
        let plan = plan_contains("シヨウ", &docs, 1_000_000, 51);
        assert_eq!(plan.walk, Some(340));
        assert_eq!(plan.grams, ["シヨウ"]);
        // The line moves with the ledger: √(51 × 600,000) ≈ 5,532 bodies.
        assert_eq!(walks(plan_contains("ヨウジ", &docs, 600_000, 51)), Some(680));
        assert_eq!(plan_contains("カイハ", &docs, 600_000, 51), index(vec!["カイハ".into()]));
        // Two common grams apart are rarely together: the index, not the walk.
        let docs = counts(&[("セイサ", 30_000), ("イサク", 30_000), ("サクシ", 30_000), ("クシヨ", 30_000)]);
        assert_eq!(walks(plan_contains("セイサクシヨ", &docs, 1_000_000, 51)), None);
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
