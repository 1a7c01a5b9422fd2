//! 3. Find customer: one box, results as you type.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use crate::app::{App, FindState};
use crate::domain::search::MatchKind;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &FindState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let [boxed, results] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    let block = widgets::titled(t(lang, "ui.find.title"), false);
    let input = widgets::input_line(t(lang, "ui.find.label"), &s.query, s.selected.is_none());
    frame.render_widget(Paragraph::new(input).block(block), boxed);

    let title = if s.query.is_empty() {
        t(lang, "ui.find.hint").to_string()
    } else if s.hits.is_empty() {
        t(lang, "ui.find.none").to_string()
    } else {
        tf(
            lang,
            "ui.find.count",
            &[
                ("from", &(s.page_start + 1).to_string()),
                ("to", &(s.page_start + s.hits.len()).to_string()),
                ("more", if s.more { t(lang, "ui.find.more") } else { "" }),
            ],
        )
    };
    let header =
        Row::new(["ui.col.cif", "ui.col.company", "ui.col.kana", "ui.col.phone", "ui.col.match"].map(|k| t(lang, k)))
            .style(theme::label());
    let rows = s.hits.iter().map(|h| {
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
        Row::new(vec![
            Cell::from(crate::format::cif(&c.cif)),
            Cell::from(company),
            Cell::from(inert(&c.company_kana).into_owned()),
            Cell::from(inert(&c.phone).into_owned()),
            Cell::from(matched),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(11),
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Length(13),
            Constraint::Length(6),
        ],
    )
    .header(header)
    .row_highlight_style(theme::selected())
    .block(Block::default().borders(Borders::ALL).title(Line::from(format!(" {title} "))));
    let mut state = TableState::default().with_selected(s.selected);
    frame.render_stateful_widget(table, results, &mut state);
}
