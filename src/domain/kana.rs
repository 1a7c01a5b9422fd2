//! Search keys for Japanese company names, kana readings and what staff type.
//!
//! A clerk may type `ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ`, `やまだせいさくしょ` or `山田製作所（株）`; the ledger
//! stores `株式会社山田製作所` and its 全銀 kana. [`normalize`] turns each side into a key
//! so that spelling differences which carry no meaning (width, hiragana / katakana, small
//! kana, long-vowel marks, 中点, spaces, legal-entity words) do not stop a match.
//! Kanji and kana are never made equal: that needs a dictionary, and the ledger keeps
//! both spellings of every name anyway.

use unicode_normalization::{UnicodeNormalization, is_nfkc};

/// The one character every long-vowel mark and hyphen-like character becomes.
const LONG_VOWEL: char = 'ー';

/// Legal-entity words as they appear in a key (katakana, large kana, ASCII lowercase):
/// the kanji forms and the readings people type. Stripped at either end of a name.
const LEGAL_WORDS: &[&str] = &[
    // Kanji.
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "相互会社",
    "医療法人社団",
    "医療法人財団",
    "社会医療法人",
    "医療法人",
    "社会福祉法人",
    "一般社団法人",
    "公益社団法人",
    "社団法人",
    "一般財団法人",
    "公益財団法人",
    "財団法人",
    "特定非営利活動法人",
    "npo法人",
    "学校法人",
    "宗教法人",
    "独立行政法人",
    "地方独立行政法人",
    "国立大学法人",
    "公立大学法人",
    "弁護士法人",
    "税理士法人",
    "司法書士法人",
    "行政書士法人",
    "社会保険労務士法人",
    "監査法人",
    "農事組合法人",
    "管理組合法人",
    "更生保護法人",
    "有限責任事業組合",
    // Readings, with small kana already made large (カブシキガイシャ → カブシキガイシヤ).
    "カブシキガイシヤ",
    "カブシキカイシヤ",
    "ユウゲンガイシヤ",
    "ユウゲンカイシヤ",
    "ゴウドウガイシヤ",
    "ゴウドウカイシヤ",
    "ゴウシガイシヤ",
    "ゴウメイガイシヤ",
    "ソウゴガイシヤ",
    "イリヨウホウジンシヤダン",
    "イリヨウホウジンザイダン",
    "シヤカイイリヨウホウジン",
    "イリヨウホウジン",
    "シヤカイフクシホウジン",
    "イツパンシヤダンホウジン",
    "コウエキシヤダンホウジン",
    "シヤダンホウジン",
    "イツパンザイダンホウジン",
    "コウエキザイダンホウジン",
    "ザイダンホウジン",
    "トクテイヒエイリカツドウホウジン",
    "エヌピーオーホウジン",
    "ガツコウホウジン",
    "シユウキヨウホウジン",
    "ドクリツギヨウセイホウジン",
    "チホウドクリツギヨウセイホウジン",
    "コクリツダイガクホウジン",
    "コウリツダイガクホウジン",
    "ベンゴシホウジン",
    "ゼイリシホウジン",
    "シホウシヨシホウジン",
    "ギヨウセイシヨシホウジン",
    "シヤカイホケンロウムシホウジン",
    "カンサホウジン",
    "ノウジクミアイホウジン",
    "カンリクミアイホウジン",
    "コウセイホゴホウジン",
];

/// One-character (or short) kanji marks written in parentheses: (株), ㈱ (NFKC gives
/// "(株)"), (一社) … Stripped as `(mark)` at either end.
const KANJI_MARKS: &[&str] = &[
    "株", "有", "同", "資", "名", "医", "財", "社", "宗", "学", "福", "特非", "npo", "一社", "公社", "一財", "公財",
    "社福", "独", "弁", "税", "監", "相", "農",
];

/// 全銀 abbreviations (法人略語) in key form. At the front they are written `ｶ)`, at the
/// back `(ｶ`; a full `(ｶ)` is accepted at either end too.
const ZENGIN_MARKS: &[&str] = &[
    "カ",     // 株式会社
    "ユ",     // 有限会社
    "ド",     // 合同会社
    "シ",     // 合資会社
    "メ",     // 合名会社
    "ソ",     // 相互会社
    "イ",     // 医療法人 (社団・財団), 社会医療法人
    "フク",   // 社会福祉法人
    "シヤ",   // (一般・公益) 社団法人
    "ザイ",   // (一般・公益) 財団法人
    "トクヒ", // 特定非営利活動法人
    "ガク",   // 学校法人
    "シユウ", // 宗教法人
    "ドク",   // 独立行政法人
    "チドク", // 地方独立行政法人
    "ダイ",   // 国立・公立大学法人
    "ベン",   // 弁護士法人
    "ゼイ",   // 税理士法人
    "シホウ", // 司法書士法人
    "ギヨ",   // 行政書士法人
    "ロウム", // 社会保険労務士法人
    "カンサ", // 監査法人
    "ノウ",   // 農事組合法人
    "カンリ", // 管理組合法人
    "ホゴ",   // 更生保護法人
    "チユウ", // 中間法人
];

/// The search key of a company name, a kana reading or a staff member's query.
///
/// Both sides of a comparison go through this function, so a stored `株式会社山田製作所`
/// and a typed `山田製作所（株）` give the same key, and so do `ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ` and
/// `やまだせいさくしょ`. Steps:
///
/// - NFKC: half-width kana → full-width (with `ｶﾞ` → `ガ`, `ｳﾞ` → `ヴ`), full-width ASCII →
///   ASCII, `㈱` → `(株)`, `㍿` → `株式会社`;
/// - hiragana → katakana; small kana → large (`ァ` → `ア`, `ッ` → `ツ`, `ヶ` → `ケ`, …),
///   which is also the 全銀 convention (`ｼﾖ` for ショ); `ヰ` `ヱ` → `イ` `エ`;
/// - long-vowel marks, hyphens, dashes and tildes → `ー`;
/// - 中点, whitespace (incl. U+3000), control and invisible format characters, variation
///   selectors → dropped;
/// - ASCII → lowercase;
/// - legal-entity words, their readings and their marks (`株式会社`, `カブシキガイシャ`,
///   `(株)`, `ｶ)`, `(ｶ`, …) removed at either end, repeatedly.
///
/// A name that is *only* legal-entity words keeps what is left when one more strip would
/// leave nothing (`株式会社` → `株式会社`, `ｶ)` → `カ)`): an empty key would match every
/// customer, which is never what someone who typed something meant.
///
/// The result is a fixed point: `normalize(&normalize(s)) == normalize(s)`.
pub fn normalize(s: &str) -> String {
    let mut key = fold(s);
    // Dropping a separator can put a combining mark right after a kana it composes with
    // (`ウ゛` is ウ, space, U+3099 after NFKC), and making a small kana large can do the
    // same (ゥ + U+3099 → ウ + U+3099 → ヴ). Fold again until NFKC has nothing left to do;
    // after the first round NFKC can only reorder or compose, so one more round suffices
    // in practice and the bound is only a guard.
    for _ in 0..8 {
        if is_nfkc(&key) {
            break;
        }
        key = fold(&key);
    }
    let kept = strip_legal_forms(&key);
    if kept.len() == key.len() { key } else { kept.to_owned() }
}

/// The ASCII digits of `s` after NFKC (so `０３−１２３４` gives `031234`): the key for
/// CIF, contract number and telephone queries.
pub fn digits_only(s: &str) -> String {
    s.nfkc().filter(char::is_ascii_digit).collect()
}

/// NFKC, then the per-character rules of [`normalize`].
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(s.nfkc().filter_map(fold_char));
    out
}

/// One character of the key, or `None` to drop it. Every output is its own fold
/// (`fold_char(fold_char(c)) == fold_char(c)`), which keeps [`normalize`] idempotent.
fn fold_char(c: char) -> Option<char> {
    if c.is_whitespace() || c.is_control() || is_invisible(c) {
        return None;
    }
    let c = match c {
        // 中点 (・ and NFKC's result for ･), and the Latin middle dots people use for it.
        '・' | '·' | '‧' => return None,
        // Hyphen-like and long-vowel characters (ｰ, －, ～ reach here as ー, -, ~).
        '-' | '\u{2010}'..='\u{2015}' | '\u{2043}' | '\u{2212}' | '~' | '〜' | '─' | '━' => LONG_VOWEL,
        // Hiragana ぁ..ゖ sit exactly 0x60 below their katakana.
        'ぁ'..='ゖ' => shift(c, 0x60),
        'ゝ' => 'ヽ',
        'ゞ' => 'ヾ',
        'A'..='Z' => c.to_ascii_lowercase(),
        _ => c,
    };
    Some(large_kana(c))
}

/// Format characters that render as nothing: zero-width spaces and joiners, bidi
/// controls (a hostile name could reorder the screen with them), BOM, soft hyphen, and
/// variation selectors (渡邉 with an IVS is the same name as 渡邉 without).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Small katakana → the large one (the 全銀 convention writes ｼﾖ for ショ).
fn large_kana(c: char) -> char {
    match c {
        // ァィゥェォ are one below アイウエオ; ャュョ one below ヤユヨ.
        'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ャ' | 'ュ' | 'ョ' => shift(c, 1),
        'ッ' => 'ツ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        // Old kana people no longer type (ヱビス is typed エビス).
        'ヰ' => 'イ',
        'ヱ' => 'エ',
        // Katakana Phonetic Extensions (Ainu small kana).
        'ㇰ' => 'ク',
        'ㇱ' => 'シ',
        'ㇲ' => 'ス',
        'ㇳ' => 'ト',
        'ㇴ' => 'ヌ',
        'ㇵ' => 'ハ',
        'ㇶ' => 'ヒ',
        'ㇷ' => 'フ',
        'ㇸ' => 'ヘ',
        'ㇹ' => 'ホ',
        'ㇺ' => 'ム',
        'ㇻ' => 'ラ',
        'ㇼ' => 'リ',
        'ㇽ' => 'ル',
        'ㇾ' => 'レ',
        'ㇿ' => 'ロ',
        _ => c,
    }
}

/// `c` moved up by `by` code points; only called on ranges where the target is a
/// katakana, so the fallback to `c` is never taken.
fn shift(c: char, by: u32) -> char {
    char::from_u32(u32::from(c) + by).unwrap_or(c)
}

/// `key` without legal-entity words and marks at either end. Strips as long as something
/// would remain, so `株式会社(株)山田` and `ｶ)ﾔﾏﾀﾞ(ｶ` lose both marks.
fn strip_legal_forms(key: &str) -> &str {
    let mut rest = key;
    loop {
        let front = front_form_len(rest);
        if front > 0 && front < rest.len() {
            rest = &rest[front..];
            continue;
        }
        let back = back_form_len(rest);
        if back > 0 && back < rest.len() {
            rest = &rest[..rest.len() - back];
            continue;
        }
        return rest;
    }
}

/// Byte length of the longest legal form `s` starts with, 0 if none. Longest, so that
/// `一般社団法人` is not cut as `一般` + `社団法人`.
fn front_form_len(s: &str) -> usize {
    let mut best = 0;
    for word in LEGAL_WORDS {
        if s.starts_with(word) {
            best = best.max(word.len());
        }
    }
    // (mark) — both tables; 全銀 also as `mark)`.
    if let Some(inner) = s.strip_prefix('(') {
        for mark in KANJI_MARKS.iter().chain(ZENGIN_MARKS) {
            if inner.strip_prefix(mark).is_some_and(|r| r.starts_with(')')) {
                best = best.max(mark.len() + 2);
            }
        }
    }
    for mark in ZENGIN_MARKS {
        if s.strip_prefix(mark).is_some_and(|r| r.starts_with(')')) {
            best = best.max(mark.len() + 1);
        }
    }
    best
}

/// `key` (normalized) without a 全銀 mark being typed at its end: an open parenthesis, or
/// one and the first characters of a mark (`(ﾄ` on the way to `(ﾄﾞ`, whose dakuten is a
/// keystroke of its own). `None` when the end is no such thing or nothing would remain.
/// A whole mark is not this function's: `normalize` drops it.
pub fn without_half_typed_mark(key: &str) -> Option<&str> {
    let (name, typed) = key.rsplit_once('(')?;
    if name.is_empty() {
        return None;
    }
    let typed: String = typed.nfd().collect();
    let begins_a_mark = ZENGIN_MARKS.iter().any(|m| {
        let mark: String = m.nfd().collect();
        mark.starts_with(&typed) && mark != typed
    });
    begins_a_mark.then_some(name)
}

/// Byte length of the longest legal form `s` ends with, 0 if none.
fn back_form_len(s: &str) -> usize {
    let mut best = 0;
    for word in LEGAL_WORDS {
        if s.ends_with(word) {
            best = best.max(word.len());
        }
    }
    if let Some(inner) = s.strip_suffix(')') {
        for mark in KANJI_MARKS.iter().chain(ZENGIN_MARKS) {
            if inner.strip_suffix(mark).is_some_and(|r| r.ends_with('(')) {
                best = best.max(mark.len() + 2);
            }
        }
    }
    // 全銀 at the back: `(ｶ` with no closing parenthesis.
    for mark in ZENGIN_MARKS {
        if s.strip_suffix(mark).is_some_and(|r| r.ends_with('(')) {
            best = best.max(mark.len() + 1);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same name written two ways: each pair must give one key.
    const SAME: &[(&str, &str)] = &[
        // Kanji legal words and marks, front or back, any width.
        ("株式会社山田製作所", "㈱山田製作所"),
        ("株式会社山田製作所", "山田製作所(株)"),
        ("株式会社山田製作所", "（株）山田製作所"),
        ("株式会社山田製作所", "山田製作所株式会社"),
        ("株式会社山田製作所", "株式会社　山田製作所"),
        ("株式会社山田製作所", "㍿山田製作所"),
        ("株式会社山田製作所", "( 株 ) 山田製作所"),
        ("株式会社山田製作所", " 株式会社 山田製作所 \t\n"),
        ("株式会社山田製作所", "株式会社山田製作所\u{200B}"),
        ("株式会社山田製作所", "山田製作所"),
        ("有限会社青空商事", "㈲青空商事"),
        ("有限会社青空商事", "青空商事（有）"),
        ("医療法人さくら会", "さくら会（医）"),
        ("医療法人さくら会", "医療法人社団さくら会"),
        ("合同会社ひかりソフト", "ひかりソフト合同会社"),
        ("合同会社ひかりソフト", "(同)ひかりソフト"),
        ("合資会社丸井酒店", "丸井酒店(資)"),
        ("合名会社北辰組", "㈴北辰組"),
        ("一般社団法人日本窓口協会", "(一社)日本窓口協会"),
        ("社会福祉法人みどり福祉会", "みどり福祉会"),
        ("特定非営利活動法人まちづくり", "NPO法人まちづくり"),
        ("学校法人桜学園", "桜学園"),
        ("ABC商事株式会社", "ａｂｃ商事"),
        // 全銀 kana against what people type.
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ヤマダセイサクショ"),
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "やまだせいさくしょ"),
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ｶﾌﾞｼｷｶﾞｲｼｬ ﾔﾏﾀﾞｾｲｻｸｼｮ"),
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "カブシキガイシャヤマダセイサクショ"),
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "（カ）ヤマダセイサクショ"),
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ｶ) ﾔﾏﾀﾞ ｾｲｻｸｼﾖ"),
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ヤマダセイサクショ　カブシキカイシャ"),
        ("ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ", "ヤマダセイサクショ カブシキガイシャ"),
        ("ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ)", "ﾔﾏﾀﾞｾｲｻｸｼﾖ（ｶ）"),
        ("ﾕ)ｱｵｿﾞﾗｼﾖｳｼﾞ", "アオゾラショウジ"),
        ("ﾕ)ｱｵｿﾞﾗｼﾖｳｼﾞ", "ゆうげんがいしゃあおぞらしょうじ"),
        ("ｲ)ｻｸﾗｶｲ", "さくらかい"),
        ("ｲ)ｻｸﾗｶｲ", "イリョウホウジン サクラカイ"),
        ("ﾄﾞ)ﾋｶﾘｿﾌﾄ", "ひかりそふと"),
        ("ﾄﾞ)ﾋｶﾘｿﾌﾄ", "ゴウドウガイシャ ヒカリソフト"),
        ("ｶ)ﾐﾅﾄﾌﾞﾂﾘﾕｳ", "みなとぶつりゅう"),
        ("ｶ)ﾄｳｻﾞｲﾄﾚｰﾃﾞｲﾝｸﾞ", "トウザイトレーディング"),
        ("ｶ)ﾄｳｻﾞｲﾄﾚ-ﾃﾞｲﾝｸﾞ", "トウザイトレーディング"),
        ("ｼﾔ)ﾆﾂﾎﾟﾝﾏﾄﾞｸﾞﾁｷﾖｳｶｲ", "にっぽんまどぐちきょうかい"),
        ("ﾌｸ)ﾐﾄﾞﾘﾌｸｼｶｲ", "シャカイフクシホウジン ミドリフクシカイ"),
        ("ﾄｸﾋ)ﾏﾁﾂﾞｸﾘ", "まちづくり"),
        ("ｶﾞｸ)ｻｸﾗｶﾞｸｴﾝ", "ガッコウホウジン サクラガクエン"),
        ("ｼ)ﾏﾙｲｻｹﾃﾝ", "マルイサケテン"),
        ("ﾒ)ﾎｸｼﾝｸﾞﾐ", "ほくしんぐみ"),
        ("株式会社キャッツ", "ｶ)ｷﾔﾂﾂ"),
        ("ｶ)ﾜｲｴﾑｼｰ", "ワイエムシー"),
        // ヴ and dakuten written apart.
        ("ｳﾞｨﾚｯｼﾞｺｰﾎﾟﾚｰｼｮﾝ", "ヴィレッジコーポレーション"),
        ("ヴィレッジ", "ゔぃれっじ"),
        ("ｳﾞｨﾚｯｼﾞ", "ウ゛ィレッジ"),
        ("ガス", "か\u{3099}す"),
        // ヶ / ケ / ヵ as a counter or place-name particle.
        ("一ヶ谷工業", "一ケ谷工業"),
        ("一ヶ谷工業", "一ｹ谷工業"),
        ("ヱビス食品", "エビス食品"),
        // Long-vowel marks and hyphen look-alikes.
        ("ｺｰﾋｰｼﾖｳｼﾞ", "コーヒーショウジ"),
        ("コーヒー商事", "コ-ヒ-商事"),
        ("コーヒー商事", "コ－ヒ－商事"),
        ("コーヒー商事", "コ〜ヒ〜商事"),
        ("コーヒー商事", "コ～ヒ～商事"),
        ("コーヒー商事", "コ−ヒ−商事"),
        ("コーヒー商事", "コ―ヒ―商事"),
        ("コーヒー商事", "コ‐ヒ‐商事"),
        ("コーヒー商事", "コ–ヒ–商事"),
        // 中点 and spaces.
        ("ジョン・スミス商会", "ジョンスミス商会"),
        ("ｼﾞﾖﾝ･ｽﾐｽｼﾖｳｶｲ", "ジョン・スミスショウカイ"),
        ("ジョン・スミス商会", "ジョン スミス 商会"),
        // Digits and Latin letters.
        ("第1ビル管理", "第１ビル管理"),
        ("サンライズ２１", "ｻﾝﾗｲｽﾞ21"),
        ("ABCホールディングス", "abc ホールディングス"),
        ("ＡＢＣホールディングス", "ABCﾎｰﾙﾃﾞｨﾝｸﾞｽ"),
        // Invisible characters.
        ("渡邉工務店", "渡邉\u{E0100}工務店"),
        ("山田商店", "\u{FEFF}山田\u{202E}商店"),
    ];

    /// Different names: must stay apart.
    const DIFFERENT: &[(&str, &str)] = &[
        ("山田製作所", "山口製作所"),
        ("ヤマダ", "ヤマタ"),
        ("ハンバ", "パンバ"),
        ("ヴ", "ブ"),
        ("ビル", "ヴィル"),
        ("カヤマダ", "ヤマダ"),
        ("ｶ)ﾔﾏﾀﾞ", "ｶﾔﾏﾀﾞ"),
        ("株式会社山田", "株式会社山田商事"),
        ("セイサクシヨ", "セイサクジヨ"),
        ("シヨウジ", "シヨジ"),
        ("コーヒー", "コヒ"),
        ("トウザイ", "トウサイ"),
        ("大和", "大輪"),
        ("ABC", "ABD"),
        ("1", "2"),
        ("株式会社", "有限会社"),
        ("ｱｲ", "ｱｲｲ"),
        ("東京", "京東"),
    ];

    #[test]
    fn same_names_give_one_key() {
        assert!(SAME.len() >= 40);
        for (stored, typed) in SAME {
            let (a, b) = (normalize(stored), normalize(typed));
            assert_eq!(a, b, "{stored:?} vs {typed:?}");
            assert!(!a.is_empty(), "{stored:?}");
        }
    }

    #[test]
    fn different_names_stay_apart() {
        for (x, y) in DIFFERENT {
            assert_ne!(normalize(x), normalize(y), "{x:?} vs {y:?}");
        }
    }

    #[test]
    fn keys_look_as_documented() {
        assert_eq!(normalize("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ"), "ヤマダセイサクシヨ");
        assert_eq!(normalize("セイサクショ"), "セイサクシヨ");
        assert_eq!(normalize("株式会社山田製作所"), "山田製作所");
        assert_eq!(normalize("ｳﾞｧｲｵﾘﾝ"), "ヴアイオリン");
        assert_eq!(normalize("ﾄﾚ-ﾃﾞｨﾝｸﾞ"), "トレーデイング");
        assert_eq!(normalize("ABC"), "abc");
    }

    #[test]
    fn legal_forms_only_at_the_ends() {
        assert_eq!(normalize("山田株式会社東京"), "山田株式会社東京");
        assert_eq!(normalize("ｶ)ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳ"), "ヤマダ(カ)トウキヨウ");
        assert_eq!(normalize("株式会社(株)山田"), "山田");
        assert_eq!(normalize("ｶ)ﾔﾏﾀﾞ(ｶ"), "ヤマダ");
        // 一般社団法人 is one word, not 一般 + 社団法人.
        assert_eq!(normalize("日本協会一般社団法人"), "日本協会");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \u{3000}\t"), "");
        assert_eq!(normalize("・"), "");
        // Only a legal form: kept rather than emptied (an empty key matches everyone).
        assert_eq!(normalize("株式会社"), "株式会社");
        assert_eq!(normalize("㈱"), "(株)");
        assert_eq!(normalize("ｶ)"), "カ)");
        assert_eq!(normalize("かぶしきがいしゃ"), "カブシキガイシヤ");
        assert!(!normalize("株式会社(株)").is_empty());
        assert!(!normalize("ｶ)(ｶ").is_empty());
        // Control and escape characters are dropped, never passed to the screen.
        let hostile = normalize("\u{1b}[31m山田\u{7}\u{0}製作所\u{9b}2J\r\n");
        assert_eq!(hostile, "[31m山田製作所2j");
        assert!(!hostile.chars().any(char::is_control));
    }

    #[test]
    fn table_entries_are_in_key_form() {
        // A table entry not in key form could never match.
        for word in LEGAL_WORDS.iter().chain(KANJI_MARKS).chain(ZENGIN_MARKS) {
            assert_eq!(&fold(word), word);
        }
    }

    #[test]
    fn digits() {
        assert_eq!(digits_only("１０１-０００００01"), "1010000001");
        assert_eq!(digits_only("03-1234-5678"), "0312345678");
        assert_eq!(digits_only("（０３）１２３４−５６７８"), "0312345678");
        assert_eq!(digits_only("abc"), "");
        assert_eq!(digits_only(""), "");
    }

    /// Pieces that interact: marks, combining dakuten, separators, small kana.
    fn tricky() -> impl Strategy<Value = String> {
        let pieces = vec![
            "株式会社",
            "㈱",
            "(株)",
            "（株）",
            "株",
            "ｶ)",
            "(ｶ",
            "ｶ",
            "ｶﾌﾞｼｷｶﾞｲｼｬ",
            "ﾕ)",
            "一般",
            "社団法人",
            "一般社団法人",
            "(",
            ")",
            "（",
            "）",
            "ﾞ",
            "ﾟ",
            "゛",
            "\u{3099}",
            "\u{309A}",
            "\u{301}",
            "\u{323}",
            "ゥ",
            "ぅ",
            "ウ",
            "ｳ",
            "ヮ",
            "ワ",
            "ヵ",
            "ツ",
            "ｯ",
            " ",
            "\u{3000}",
            "\u{200B}",
            "\u{FE00}",
            "・",
            "･",
            "a",
            "Ａ",
            "ー",
            "ｰ",
            "-",
            "～",
            "\u{1b}",
            "\n",
            "山田",
            "ヤマダ",
            "やまだ",
            "ｼﾖ",
            "ｼｮ",
            "한",
            "\u{11A8}",
        ];
        prop::collection::vec(prop::sample::select(pieces), 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn normalize_is_idempotent(s in any::<String>()) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once.clone());
            prop_assert!(!once.chars().any(char::is_control));
        }

        #[test]
        fn normalize_is_idempotent_on_tricky_input(s in tricky()) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalize_is_idempotent_on_japanese_ranges(
            s in "[\u{3000}-\u{30FF}\u{31F0}-\u{31FF}\u{FF00}-\u{FFEF}\u{0300}-\u{036F}\u{2000}-\u{206F}()a-zA-Z株式会社有限]{0,16}"
        ) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn digits_only_keeps_only_digits(s in any::<String>()) {
            prop_assert!(digits_only(&s).chars().all(|c| c.is_ascii_digit()));
        }
    }
}
