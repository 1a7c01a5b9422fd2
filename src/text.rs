//! Text from the ledger made inert before it reaches a terminal.

/// Replaces control characters (ESC, BEL, C1 controls, bidi overrides…) with visible
/// placeholders, so that a company name can never move the cursor or clear the screen.
pub fn inert(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            // Control Pictures block: ␛ for ESC, ␀ for NUL, …
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            '\u{7f}' => out.push('␡'),
            c if is_hostile(c) => out.push('�'),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(inert("株式会社\x1b[2J山田"), "株式会社␛[2J山田");
        assert_eq!(inert("a\u{7}b\u{9b}c\u{202e}d"), "a␇b�c�d");
        assert_eq!(inert("普通の名前"), "普通の名前");
    }
}
