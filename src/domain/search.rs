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

/// The first of the hundred characters that stand for two digits in the trigram index
/// (U+3300, `㌀`, + 10 × first + second). They are CJK compatibility squares, which NFKC
/// always decomposes: no normalized name, kana or query holds one, so a key can never
/// match into the pairs of a body.
pub const DIGIT_PAIRS_FROM: u32 = 0x3300;

/// From this many digits on, a run of digits is also indexed as pairs.
pub const PAIRED_RUN: usize = 4;

/// A run of ASCII digits written as its overlapping pairs, one character each: a trigram
/// of them stands for four digits (one of 10,000, where a trigram of digits is one of
/// 1,000 and each is in ~1% of bodies).
fn digit_pairs(run: &[char]) -> String {
    run.windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].to_digit(10)?, w[1].to_digit(10)?);
            char::from_u32(DIGIT_PAIRS_FROM + 10 * a + b)
        })
        .collect()
}

/// The runs of [`PAIRED_RUN`] ASCII digits or more in a text.
fn digit_runs(chars: &[char]) -> impl Iterator<Item = &[char]> {
    chars.split(|c| !c.is_ascii_digit()).filter(|run| run.len() >= PAIRED_RUN)
}

/// What the trigram index holds for a body: the body, then each of its long runs of
/// digits (a phone number) as pairs, after a space. A six-digit piece of a phone number is
/// then found by two rare grams, not three common ones.
pub fn index_text(body: &str) -> String {
    let chars: Vec<char> = body.chars().collect();
    let mut text = body.to_string();
    for run in digit_runs(&chars) {
        text.push(' ');
        text.push_str(&digit_pairs(run));
    }
    text
}

/// The grams of a contains key that every body holding it has in its index text: the
/// key's own trigrams, then those of its long runs of digits as pairs.
pub fn key_grams(key: &str) -> Vec<String> {
    key_windows(key).into_iter().map(|w| w.gram).collect()
}

/// One gram of a key and the characters of the key it stands for.
#[derive(Debug, Clone)]
struct KeyWindow {
    gram: String,
    from: usize,
    to: usize,
}

/// The key's distinct grams with what each covers: its trigrams (three characters), and
/// for each long run of digits the trigrams of its pairs (four digits each) in place of
/// the trigrams of its digits.
fn key_windows(key: &str) -> Vec<KeyWindow> {
    let chars: Vec<char> = key.chars().collect();
    let mut out: Vec<KeyWindow> =
        chars.windows(3).enumerate().map(|(i, w)| KeyWindow { gram: w.iter().collect(), from: i, to: i + 3 }).collect();
    let mut start = 0;
    for run in chars.split(|c| !c.is_ascii_digit()) {
        if run.len() >= PAIRED_RUN {
            // A trigram of the run's digits says less than the pairs over the same digits
            // (every body holding those holds it), and its list is ten times as long.
            let run_at = start..start + run.len();
            out.retain(|w| !(run_at.contains(&w.from) && run_at.contains(&(w.to - 1))));
            let pairs: Vec<char> = digit_pairs(run).chars().collect();
            out.extend(pairs.windows(3).enumerate().map(|(i, w)| KeyWindow {
                gram: w.iter().collect(),
                from: start + i,
                to: start + i + 4,
            }));
        }
        start += run.len() + 1;
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|w| seen.insert(w.gram.clone()));
    out
}

/// The gram whose count is the number of bodies indexed: the empty string is in every one.
pub const EVERY_BODY: &str = "";

/// How many search bodies hold each gram (and, under [`EVERY_BODY`], how many there are):
/// the statistics a contains search picks its index keys by.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GramCounts(std::collections::HashMap<String, i64>);

impl GramCounts {
    /// Counts one more body (the grams of its [`index_text`]).
    pub fn add(&mut self, body: &str) {
        for g in grams(&index_text(body)).into_iter().chain([EVERY_BODY.to_string()]) {
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
    let total = bodies.max(1) as f64;
    // Each gram of the key, with how many bodies hold it and the characters it covers.
    let mut windows: Vec<(i64, KeyWindow)> =
        key_windows(key).into_iter().map(|w| (docs.get(&w.gram).copied().unwrap_or(0), w)).collect();
    // The rarest gram, then the rarest that shares no character of the key with those
    // taken, and so on: grams that overlap say much the same (a body with `ABC` mostly has
    // `BCD` too). Rarest first, not the most grams: a common gram costs a long list, and
    // grams side by side in names are often found together (`ジギヨ` and `ウダン` in 4,104
    // bodies each, and together in the same 4,104: `…ジギヨウダン`).
    windows.sort_by_key(|(n, w)| (*n, w.from));
    let mut taken: Vec<&KeyWindow> = Vec::new();
    let mut apart: Vec<(i64, String)> = Vec::new();
    for (n, w) in &windows {
        if !taken.iter().any(|t| w.from < t.to && t.from < w.to) {
            taken.push(w);
            apart.push((*n, w.gram.clone()));
        }
    }
    let windows: Vec<(i64, String)> = windows.into_iter().map(|(n, w)| (n, w.gram)).collect();
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

    #[test]
    fn long_runs_of_digits_are_indexed_as_pairs_too() {
        let pair = |a: u32, b: u32| char::from_u32(DIGIT_PAIRS_FROM + 10 * a + b).unwrap_or('?');
        let body = body("第3商事", "ﾀﾞｲ3ｼﾖｳｼﾞ", "03-1234");
        let pairs: String = [(0, 3), (3, 1), (1, 2), (2, 3), (3, 4)].iter().map(|&(a, b)| pair(a, b)).collect();
        assert_eq!(index_text(&body), format!("{body} {pairs}"));
        // A run of three digits is not paired; each run of four or more is, on its own.
        assert_eq!(index_text("ab 123"), "ab 123");
        assert_eq!(
            index_text("1234x56789"),
            format!(
                "1234x56789 {}{}{} {}{}{}{}",
                pair(1, 2),
                pair(2, 3),
                pair(3, 4),
                pair(5, 6),
                pair(6, 7),
                pair(7, 8),
                pair(8, 9)
            )
        );
        // A key's pair grams are those of its own long runs.
        assert_eq!(key_grams("ab123"), ["ab1", "b12", "123"]);
        let paired = |digits: &[u32]| digits.windows(2).map(|w| pair(w[0], w[1])).collect::<String>();
        // The digits' own trigrams give way to their pairs'; one that reaches past the
        // run stays.
        assert_eq!(key_grams("x31234"), ["x31".to_string(), paired(&[3, 1, 2, 3]), paired(&[1, 2, 3, 4])]);
    }

    #[test]
    fn no_name_or_query_holds_a_digit_pair() {
        for code in DIGIT_PAIRS_FROM..DIGIT_PAIRS_FROM + 100 {
            let c = char::from_u32(code).unwrap_or('?');
            let typed = format!("ｶ){c}ﾔﾏﾀﾞ{c}{c}12{c}");
            let norm = normalize(&typed);
            assert!(!norm.contains(c), "{c} stays in {norm}");
            let keys = query_keys(&typed);
            assert!(keys.prefixes.iter().chain(&keys.contains).all(|k| !k.contains(c)), "{c}: {keys:?}");
        }
    }

    proptest::proptest! {
        /// Every body that holds a key holds every gram the index is asked for, so no
        /// contract is missed however the plan picks its grams.
        #[test]
        fn a_body_holding_a_key_holds_its_grams(
            text in "[0-9ｱｲ-]{0,24}",
            from in 0usize..24,
            len in 3usize..14,
        ) {
            let b = body(&text, "ﾔﾏﾀﾞ", &text);
            let chars: Vec<char> = b.chars().collect();
            let from = from.min(chars.len());
            let key: String = chars[from..(from + len).min(chars.len())].iter().collect();
            let held = grams(&index_text(&b));
            for g in key_grams(&key) {
                proptest::prop_assert!(held.contains(&g), "{key} in {b}: {g} missing");
            }
        }
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
        // A gram no body holds (the first of two): the index answers at once.
        assert_eq!(plan_contains("シヨウZZ", &docs, m, 51), index(vec!["ヨウZ".into()]));
        // The rarest gram, then the rarest apart from it: not the two rarest, which
        // overlap (`モトフ` says little more than `トフク`).
        let docs = counts(&[
            ("マツモ", 8_098),
            ("ツモト", 7_970),
            ("モトフ", 1_073),
            ("トフク", 615),
            ("フクシ", 8_201),
            ("クシジ", 4_104),
        ]);
        assert_eq!(plan_contains("マツモトフクシジ", &docs, m, 51), index(vec!["トフク".into(), "マツモ".into()]));
        // Many grams apart are not worth one rare one: `ヨダフ` first, not the four of 4,104
        // to 8,201 bodies that together would "narrow" more if they were independent.
        let docs = counts(&[
            ("チヨダ", 8_131),
            ("ヨダフ", 184),
            ("ダフク", 853),
            ("フクシ", 8_201),
            ("クシジ", 4_104),
            ("シジギ", 4_104),
            ("ジギヨ", 4_104),
            ("ギヨウ", 41_538),
            ("ヨウダ", 4_104),
            ("ウダン", 4_104),
        ]);
        assert_eq!(
            plan_contains("チヨダフクシジギヨウダン", &docs, m, 51),
            index(vec!["ヨダフ".into(), "クシジ".into()])
        );
        // Digits: each trigram is common and is not asked for; their pairs (four digits a
        // gram) are rare. Six digits hold one apart: the one that narrows most, then the
        // rarest of the rest.
        let pairs = key_grams("038559");
        assert_eq!(pairs.len(), 3);
        let docs = counts(&[
            ("038", 17_263),
            ("385", 8_362),
            ("855", 8_304),
            ("559", 8_498),
            (&pairs[0], 700),
            (&pairs[1], 650),
            (&pairs[2], 720),
        ]);
        assert_eq!(plan_contains("038559", &docs, m, 51), index(vec![pairs[1].clone(), pairs[0].clone()]));
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
