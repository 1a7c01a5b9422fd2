//! The drawing pieces every screen shares, each written once: a labelled input, a label
//! that shows the focus, radio marks, a titled block, a popup.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

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

/// Prose in `area` (inside `block` when given), wrapped by the Unicode line-breaking
/// rules (see [`fit::wrap`](super::fit::wrap)) so that nothing runs over the border.
pub fn prose(frame: &mut Frame<'_>, area: Rect, lines: Vec<Line<'_>>, block: Option<Block<'_>>) {
    let inner = block.as_ref().map_or(area, |b| b.inner(area));
    let wrapped = super::fit::wrap_all(&lines, usize::from(inner.width));
    let mut p = Paragraph::new(wrapped);
    if let Some(b) = block {
        p = p.block(b);
    }
    frame.render_widget(p, area);
}

/// A request as staff name it: its kind and, for a form or an unlock, the secret it is
/// about (「パスワード再登録（確認用パスワード）」), so that two pending forms of one user are
/// told apart.
pub fn request_name(lang: crate::i18n::Lang, r: &crate::domain::approval::Request) -> String {
    let kind = crate::i18n::t(lang, &format!("ui.request.{}", r.kind().code()));
    match r.credential {
        Some(c) => crate::i18n::tf(
            lang,
            "ui.request.with_credential",
            &[("kind", kind), ("credential", crate::i18n::t(lang, &format!("ui.credential.{}", c.code())))],
        ),
        None => kind.to_string(),
    }
}

/// The space between a fitted table's columns.
const COLUMN_GAP: u16 = 2;

/// One row of a fitted table: each cell's text and style.
pub type FitRow = Vec<(String, Style)>;

/// A row of unstyled cells.
pub fn plain(cells: impl IntoIterator<Item = String>) -> FitRow {
    cells.into_iter().map(|c| (c, Style::default())).collect()
}

/// A table whose columns are as wide as what they hold; when the `width` (inside the
/// borders) is not enough, the `shrink`able columns are cut, each cut value ending in `…`.
/// Each cell is its text and style; the header is drawn as labels.
pub fn fitted_table(
    lang: crate::i18n::Lang,
    header_keys: &[&str],
    rows: Vec<FitRow>,
    shrink: &[bool],
    width: u16,
) -> ratatui::widgets::Table<'static> {
    use ratatui::widgets::{Cell, Row, Table};
    let header: Vec<String> = header_keys.iter().map(|k| crate::i18n::t(lang, k).to_string()).collect();
    let mut cells: Vec<Vec<String>> = vec![header.clone()];
    cells.extend(rows.iter().map(|r| r.iter().map(|(t, _)| t.clone()).collect()));
    // Two columns between columns: Japanese values side by side stay apart.
    let widths = super::fit::column_widths(&cells, width, COLUMN_GAP, shrink, 4);
    let cut = |text: &str, i: usize| super::fit::ellipsize(text, usize::from(widths.get(i).copied().unwrap_or(0)));
    let header = Row::new(header.iter().enumerate().map(|(i, h)| Cell::from(cut(h, i))).collect::<Vec<_>>())
        .style(theme::label());
    let body: Vec<Row<'static>> = rows
        .iter()
        .map(|r| {
            Row::new(
                r.iter()
                    .enumerate()
                    .map(|(i, (text, style))| Cell::from(Span::styled(cut(text, i), *style)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Table::new(body, widths.iter().map(|w| Constraint::Length(*w)).collect::<Vec<_>>())
        .header(header)
        .column_spacing(COLUMN_GAP)
}

/// A bordered popup with text lines.
pub fn popup(frame: &mut Frame<'_>, area: Rect, title: &str, lines: Vec<Line<'_>>) {
    let h = (lines.len() as u16).saturating_add(2);
    let w = lines.iter().map(Line::width).max().unwrap_or(0).max(title.len()) as u16 + 4;
    let rect = centered(area, w.max(30), h);
    // One column more on each side is cleared: a wide (Japanese) character of the screen
    // beneath cut in half by the popup's border would otherwise break the border.
    let left = rect.x.saturating_sub(1).max(area.x);
    let right = (rect.x + rect.width + 1).min(area.x + area.width);
    frame.render_widget(Clear, Rect { x: left, y: rect.y, width: right - left, height: rect.height });
    prose(frame, rect, lines, Some(titled(title, false)));
}

/// Where the labels of `keys` are drawn in `area` of `buf`: each as the rectangle from the
/// label to the end of its field (`]`) on that row, for a click to focus it. A label is
/// found where it starts a field (after a border, a space or the focus mark) and is
/// followed by a space, as `label` and `input_line` draw it.
pub fn label_hits(
    buf: &ratatui::buffer::Buffer,
    area: Rect,
    lang: crate::i18n::Lang,
    keys: &[&'static str],
) -> Vec<(Rect, &'static str)> {
    let mut out = Vec::new();
    for y in area.top()..area.bottom() {
        // The row as characters with their columns (a wide character's second cell skipped).
        let mut cells: Vec<(u16, String)> = Vec::new();
        let mut x = area.left();
        while x < area.right() {
            let sym = buf[(x, y)].symbol().to_string();
            let w = unicode_width::UnicodeWidthStr::width(sym.as_str()).max(1) as u16;
            cells.push((x, sym));
            x += w;
        }
        let row: Vec<&str> = cells.iter().map(|(_, s)| s.as_str()).collect();
        for key in keys {
            let label: Vec<String> = crate::i18n::t(lang, key).chars().map(String::from).collect();
            if label.is_empty() || label.len() >= row.len() {
                continue;
            }
            for start in 0..=row.len() - label.len() {
                let before_ok = start == 0 || matches!(row[start - 1], " " | "▶" | "│");
                let after_ok = row.get(start + label.len()).is_some_and(|c| *c == " ");
                if before_ok && after_ok && row[start..start + label.len()].iter().zip(&label).all(|(a, b)| *a == b) {
                    let from = cells[start].0;
                    let end =
                        row[start..].iter().position(|c| *c == "]").map_or(start + label.len(), |i| start + i + 1);
                    let to = cells.get(end).map_or(area.right(), |(x, _)| *x);
                    out.push((Rect { x: from, y, width: to.saturating_sub(from), height: 1 }, *key));
                    break;
                }
            }
        }
    }
    out
}
