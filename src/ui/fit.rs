//! Text that fits its place: table columns sized from what they hold and cut, when there
//! is no room, with `…`; prose wrapped by the Unicode line-breaking rules (UAX #14), so
//! that Japanese never starts a line with 。、）」 and nothing runs over a border.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `s` cut to `width` display columns, its end replaced by `…` when it was cut.
pub fn ellipsize(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Column widths for a table of `cells` (the header first) in `avail` columns with
/// `spacing` between columns: each column as wide as its widest cell; when they do not
/// all fit, the `shrink`able columns give up room, the widest first, down to `min`.
pub fn column_widths(cells: &[Vec<String>], avail: u16, spacing: u16, shrink: &[bool], min: u16) -> Vec<u16> {
    let n = shrink.len();
    let mut widths: Vec<u16> =
        (0..n).map(|i| cells.iter().filter_map(|r| r.get(i)).map(|c| c.width() as u16).max().unwrap_or(0)).collect();
    let total = |w: &[u16]| w.iter().sum::<u16>() + spacing * (n.saturating_sub(1) as u16);
    while total(&widths) > avail {
        let widest = (0..n).filter(|&i| shrink[i] && widths[i] > min).max_by_key(|&i| widths[i]);
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
    widths
}

/// `line` wrapped to `width` columns at the places UAX #14 allows a break, each piece
/// keeping its styles; a run with no allowed break that is wider than a line is cut.
pub fn wrap(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let styled: Vec<(char, Style)> =
        line.spans.iter().flat_map(|s| s.content.chars().map(move |c| (c, line.style.patch(s.style)))).collect();
    let text: String = styled.iter().map(|(c, _)| *c).collect();
    if width == 0 || text.width() <= width {
        return vec![to_line(&styled)];
    }
    // Break opportunities as char indexes (the crate gives byte offsets).
    let byte_to_char: std::collections::HashMap<usize, usize> =
        text.char_indices().enumerate().map(|(ci, (bi, _))| (bi, ci)).chain([(text.len(), styled.len())]).collect();
    let breaks: Vec<usize> =
        unicode_linebreak::linebreaks(&text).filter_map(|(b, _)| byte_to_char.get(&b).copied()).collect();
    let w =
        |range: std::ops::Range<usize>| -> usize { styled[range].iter().map(|(c, _)| c.width().unwrap_or(0)).sum() };
    let mut out = Vec::new();
    let mut start = 0;
    while start < styled.len() {
        // The furthest break that keeps the line within width (trailing spaces are free).
        let fits = |end: usize| {
            let mut e = end;
            while e > start && styled[e - 1].0 == ' ' {
                e -= 1;
            }
            w(start..e) <= width
        };
        let end = match breaks.iter().copied().rev().find(|&b| b > start && fits(b)) {
            Some(b) => b,
            None => {
                // No break fits: cut the run where the width runs out.
                let mut e = start;
                while e < styled.len() && w(start..e + 1) <= width {
                    e += 1;
                }
                e.max(start + 1)
            }
        };
        let mut e = end;
        while e > start && styled[e - 1].0 == ' ' {
            e -= 1;
        }
        out.push(to_line(&styled[start..e]));
        start = end;
    }
    out
}

/// Every line of `lines` wrapped to `width`.
pub fn wrap_all(lines: &[Line<'_>], width: usize) -> Vec<Line<'static>> {
    lines.iter().flat_map(|l| wrap(l, width)).collect()
}

fn to_line(chars: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut style: Option<Style> = None;
    for (c, s) in chars {
        if style.is_some_and(|st| st != *s) {
            spans.push(Span::styled(std::mem::take(&mut run), style.unwrap_or_default()));
        }
        style = Some(*s);
        run.push(*c);
    }
    if !run.is_empty() || spans.is_empty() {
        spans.push(Span::styled(run, style.unwrap_or_default()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn japanese_wraps_by_its_own_rules_and_never_past_the_width() {
        let say = "管理者ユーザが設定されていないため、所定の申込書にてパスワードを再登録していただきます。申込書は窓口にご用意しています。";
        for width in [10, 17, 20, 33, 38] {
            let lines = text(&wrap(&Line::from(say), width));
            assert_eq!(lines.concat(), say, "nothing lost at {width}");
            for l in &lines {
                assert!(l.width() <= width, "{l:?} wider than {width}");
                assert!(!l.starts_with(['。', '、', '）', '」']), "{l:?} starts with closing punctuation at {width}");
            }
        }
        // An address in brackets stays inside: no line wider than the box.
        let addr = "お取引店: 101 本店営業部（東京都千代田区丸の内1-1-1）";
        assert!(text(&wrap(&Line::from(addr), 38)).iter().all(|l| l.width() <= 38));
        // English breaks at spaces.
        assert_eq!(text(&wrap(&Line::from("one two three"), 8)), ["one two", "three"]);
    }

    #[test]
    fn a_cut_value_ends_in_an_ellipsis_and_columns_shrink_only_when_needed() {
        assert_eq!(ellipsize("医療法人さくら会", 10), "医療法人…");
        assert_eq!(ellipsize("医療法人さくら会", 16), "医療法人さくら会");
        assert_eq!(ellipsize("Serial number", 8), "Serial …");
        let cells =
            vec![vec!["CIF".to_string(), "会社名".into()], vec!["101-0000001".into(), "医療法人さくら会".into()]];
        assert_eq!(column_widths(&cells, 80, 1, &[false, true], 4), [11, 16], "room: nothing cut");
        assert_eq!(column_widths(&cells, 22, 1, &[false, true], 4), [11, 10]);
    }
}
