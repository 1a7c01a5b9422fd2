//! The drawing pieces every screen shares, each written once: a labelled input, a label
//! that shows the focus, radio marks, a titled block, a popup.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme;
use crate::app::TextInput;

/// How many columns an input shows at most; longer input scrolls inside them.
const INPUT_WINDOW: usize = 40;

/// A labelled input line: `▶label [value▏]`, the focused field marked and highlighted,
/// its cursor drawn as `▏` at the end or the character under it in reverse video.
pub fn input_line<'a>(label_text: &'a str, input: &TextInput, focused: bool) -> Line<'a> {
    let style = if focused { theme::focused() } else { Style::default() };
    let view = input.view(INPUT_WINDOW);
    let inert = |s: &str| crate::text::inert(s).into_owned();
    let mut spans = vec![label(label_text, focused), Span::styled(format!("[{}", inert(&view.before)), style)];
    match (focused, view.at) {
        (true, Some(c)) => {
            spans.push(Span::styled(inert(&c.to_string()), style.add_modifier(Modifier::REVERSED)));
            spans.push(Span::styled(format!("{}]", inert(&view.after)), style));
        }
        (true, None) => spans.push(Span::styled("▏]", style)),
        (false, Some(c)) => {
            spans.push(Span::styled(format!("{}{}]", inert(&c.to_string()), inert(&view.after)), style))
        }
        (false, None) => spans.push(Span::styled(" ]", style)),
    }
    Line::from(spans)
}

/// A field's label, marked with `▶` and highlighted when the field has the focus (the
/// mark shows it without colour).
pub fn label(text: &str, focused: bool) -> Span<'static> {
    if focused {
        Span::styled(format!("▶{text} "), theme::focused())
    } else {
        Span::styled(format!(" {text} "), theme::label())
    }
}

/// A check box: `[x]` ticked, `[ ]` not (Space turns it over).
pub fn check(on: bool) -> &'static str {
    if on { "[x]" } else { "[ ]" }
}

/// A radio mark for a choice on a form.
pub fn marker(on: bool) -> &'static str {
    if on { "(●)" } else { "( )" }
}

/// Options of a choice as `(●) a  ( ) b`, `per_line` to a line, indented.
pub fn choices(options: impl Iterator<Item = (String, bool)>, per_line: usize) -> Vec<Line<'static>> {
    let items: Vec<String> = options.map(|(text, on)| format!("{} {text}", marker(on))).collect();
    items.chunks(per_line.max(1)).map(|chunk| Line::from(format!("  {}", chunk.join("  ")))).collect()
}

/// A bordered block with a bold title, yellow when its content has the focus.
pub fn titled(title: &str, focused: bool) -> Block<'static> {
    let style = if focused { theme::focused() } else { theme::title() };
    Block::default().borders(Borders::ALL).title(Span::styled(format!(" {title} "), style))
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
    frame.render_widget(Paragraph::new(lines).block(titled(title, false)).wrap(Wrap { trim: false }), rect);
}
