//! Small drawing helpers shared by the screens.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme;
use crate::app::TextInput;

/// A labelled input line: `label [value▏]`, highlighted when focused.
pub fn input_line<'a>(label: &'a str, input: &TextInput, focused: bool) -> Line<'a> {
    let value = input.shown();
    let style = if focused { theme::focused() } else { ratatui::style::Style::default() };
    let cursor = if focused { "▏" } else { " " };
    Line::from(vec![
        Span::styled(format!("{label} "), theme::label()),
        Span::styled(format!("[{}{cursor}]", crate::text::inert(&value)), style),
    ])
}

/// A radio mark for a choice on a form.
pub fn marker(on: bool) -> &'static str {
    if on { "(●)" } else { "( )" }
}

/// A token's expiry as the device prints it (MM/DD/YYYY) and as a date.
pub fn expiry(ymd: &str) -> String {
    match chrono::NaiveDate::parse_from_str(ymd, "%Y-%m-%d") {
        Ok(d) => format!("{} ({})", d.format("%m/%d/%Y"), d.format("%Y-%m-%d")),
        Err(_) => crate::text::inert(ymd).into_owned(),
    }
}

/// `s` padded with spaces to `width` display columns (Japanese characters count two).
pub fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(w.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

/// A bordered popup with text lines.
pub fn popup(frame: &mut Frame<'_>, area: Rect, title: &str, lines: Vec<Line<'_>>) {
    let h = (lines.len() as u16).saturating_add(2);
    let w = lines.iter().map(Line::width).max().unwrap_or(0).max(title.len()) as u16 + 4;
    let rect = centered(area, w.max(30), h);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(format!(" {title} "), theme::title()));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), rect);
}

/// A stored UTC time shown in Japan time.
pub fn jst(stamp: &str) -> String {
    DateTime::parse_from_rfc3339(stamp)
        .map(|t| t.with_timezone(&Utc).with_timezone(&crate::service::jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| crate::text::inert(stamp).into_owned())
}

/// CIF as staff read it: `101-0000001`.
pub fn cif(c: &str) -> String {
    if c.len() == 10 { format!("{}-{}", &c[..3], &c[3..]) } else { crate::text::inert(c).into_owned() }
}

/// Yen with thousands separators.
pub fn yen(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::yen(2200), "2,200");
        assert_eq!(super::yen(-1234567), "-1,234,567");
        assert_eq!(super::cif("1010000001"), "101-0000001");
        assert_eq!(super::jst("2026-11-25T15:30:00.000Z"), "2026-11-26 00:30");
    }
}
