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

/// A cell of a CSV file that a spreadsheet will open: text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return would be read as a formula (and could run one), so it
/// gets a leading `'` and stays text. Numbers (a reversal's `-2200`) stay numbers.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<i64>().is_ok() || cell.parse::<f64>().is_ok_and(f64::is_finite);
    if risky && !number { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// Text with the password of any `scheme://user:password@host` URL, and of any
/// `password=…` setting, replaced by `***`: for messages and logs that may quote a ledger's
/// address.
pub fn without_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after.find(|c: char| c.is_whitespace() || c == '/' || c == '?').unwrap_or(after.len());
        let authority = &after[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(a), Some(c)) if c < a => {
                out.push_str(&authority[..=c]);
                out.push_str("***");
                out.push_str(&authority[a..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    let mut masked = String::with_capacity(out.len());
    for w in out.split_inclusive(|c: char| c.is_whitespace() || c == '&' || c == '?') {
        match w.to_ascii_lowercase().find("password=") {
            Some(p) => {
                let value_end =
                    w.len() - w.chars().rev().take_while(|c| c.is_whitespace() || *c == '&' || *c == '?').count();
                masked.push_str(&w[..p + "password=".len()]);
                masked.push_str("***");
                masked.push_str(&w[value_end..]);
            }
            None => masked.push_str(w),
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_a_message() {
        for (text, out) in [
            ("postgres://madoguchi:s3cret@db1,db2/bank", "postgres://madoguchi:***@db1,db2/bank"),
            (
                "connect postgresql://u:p%40ss@h:5432/l?sslmode=require failed",
                "connect postgresql://u:***@h:5432/l?sslmode=require failed",
            ),
            ("postgres://u@h/l", "postgres://u@h/l"),
            ("host=h password=s3cret dbname=l", "host=h password=*** dbname=l"),
            ("postgres://u@h/l?password=s3cret&sslmode=require", "postgres://u@h/l?password=***&sslmode=require"),
            ("no url here", "no url here"),
        ] {
            assert_eq!(without_passwords(text), out, "{text}");
        }
    }

    #[test]
    fn formulas_stay_text_in_a_spreadsheet_and_numbers_stay_numbers() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+81-3-0000", "'+81-3-0000"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-2200", "-2200"),
            ("+10", "+10"),
            ("-1.5", "-1.5"),
            ("株式会社山田製作所", "株式会社山田製作所"),
            ("a=b", "a=b"),
            ("", ""),
            ("-inf", "'-inf"),
            ("-NaN", "'-NaN"),
        ] {
            assert_eq!(spreadsheet_safe(cell), out, "{cell:?}");
        }
    }

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
