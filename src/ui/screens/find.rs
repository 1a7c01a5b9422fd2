//! 3. Find customer: one box, results as you type.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, TableState};

use crate::app::{App, FindState};
use crate::domain::search::MatchKind;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &FindState, frame: &mut Frame<'_>, area: Rect) -> Option<crate::ui::RowsHit> {
    let lang = app.lang;
    let [boxed, results] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    let block = widgets::titled(t(lang, "ui.find.title"), false);
    let input = widgets::input_line(t(lang, "ui.find.label"), &s.query, s.selected.is_none());
    frame.render_widget(Paragraph::new(input).block(block), boxed);

    // The rows that fit under the header, and the first one shown (the selected row kept
    // in view): the title counts these, not the whole page.
    let visible = usize::from(results.height.saturating_sub(3)).max(1);
    let offset = s.selected.map_or(0, |i| (i + 1).saturating_sub(visible));
    let shown_to = (offset + visible).min(s.hits.len());
    let title = if s.query.is_empty() {
        t(lang, "ui.find.hint").to_string()
    } else if s.hits.is_empty() {
        t(lang, "ui.find.none").to_string()
    } else {
        tf(
            lang,
            "ui.find.count",
            &[
                ("from", &(s.page_start + offset + 1).to_string()),
                ("to", &(s.page_start + shown_to).to_string()),
                ("more", if s.more || shown_to < s.hits.len() { t(lang, "ui.find.more") } else { "" }),
            ],
        )
    };
    let header = ["ui.col.cif", "ui.col.company", "ui.col.kana", "ui.col.phone", "ui.col.match"];
    let plain = ratatui::style::Style::default();
    let rows: Vec<widgets::FitRow> = s
        .hits
        .iter()
        .map(|h| {
            let c = &h.contract;
            let mut company = inert(&c.company).into_owned();
            if c.cancelled {
                // First, so that a narrow column cannot cut it off.
                company = format!("{}{company}", t(lang, "ui.customer.cancelled"));
            }
            let matched = match h.matched {
                MatchKind::Exact => t(lang, "ui.match.exact"),
                MatchKind::Prefix => t(lang, "ui.match.prefix"),
                MatchKind::Contains => t(lang, "ui.match.contains"),
            };
            vec![
                (crate::format::cif(&c.cif), plain),
                (company, plain),
                (inert(&c.company_kana).into_owned(), plain),
                (inert(&c.phone).into_owned(), plain),
                (matched.to_string(), plain),
            ]
        })
        .collect();
    let table =
        widgets::fitted_table(lang, &header, rows, &[false, true, true, true, false], results.width.saturating_sub(2))
            .row_highlight_style(theme::selected())
            .block(Block::default().borders(Borders::ALL).title(Line::from(format!(" {title} "))));
    let mut state = TableState::default().with_offset(offset).with_selected(s.selected);
    frame.render_stateful_widget(table, results, &mut state);
    Some(crate::ui::RowsHit::of_table(results, state.offset(), s.hits.len()))
}
