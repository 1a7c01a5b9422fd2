//! Text from the ledger made safe for any terminal before it is drawn.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// Makes `s` safe to draw:
/// - control characters (ESC, BEL, C1 controls, bidi overrides…) become visible
///   placeholders, so that a company name can never move the cursor or clear the screen;
/// - half-width katakana (全銀 kana such as `ﾔﾏﾀﾞ`) are shown full-width (`ヤマダ`):
///   terminals disagree on whether a half-width dakuten takes a column of its own, and a
///   disagreement leaves stale characters on screen. Full-width kana are two columns
///   everywhere. The ledger keeps the 全銀 form.
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hostile(c) || is_halfwidth_kana(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut run = String::new();
    for c in s.chars() {
        if is_halfwidth_kana(c) {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            out.extend(run.nfkc());
            run.clear();
        }
        match c {
            // Control Pictures block: ␛ for ESC, ␀ for NUL, …
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            '\u{7f}' => out.push('␡'),
            c if is_hostile(c) => out.push('�'),
            c => out.push(c),
        }
    }
    out.extend(run.nfkc());
    Cow::Owned(out)
}

fn is_halfwidth_kana(c: char) -> bool {
    ('\u{ff61}'..='\u{ff9f}').contains(&c)
}

fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(inert("株式会社\x1b[2J山田"), "株式会社␛[2J山田");
        assert_eq!(inert("a\u{7}b\u{9b}c\u{202e}d"), "a␇b�c�d");
        assert_eq!(inert("普通の名前"), "普通の名前");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn halfwidth_kana_are_widened() {
        assert_eq!(inert("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ"), "カ)ヤマダセイサクシヨ");
        assert_eq!(inert("ﾄﾞ)ﾋｶﾘｿﾌﾄ\x1b"), "ド)ヒカリソフト␛");
        assert_eq!(inert("ﾊﾟｰﾄﾅｰｽﾞ"), "パートナーズ");
    }
}
