//! Tokens nearing expiry (R12), for mailing replacements.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::app::{App, ExpiringState};
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &ExpiringState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let header = Row::new(
        [
            "ui.token.serial",
            "ui.expiring.expires",
            "ui.col.cif",
            "ui.col.company",
            "ui.col.login_id",
            "ui.expiring.mailed",
        ]
        .map(|k| t(lang, k)),
    )
    .style(theme::label());
    let rows = s.rows.iter().map(|r| {
        Row::new(vec![
            Cell::from(inert(&r.serial).into_owned()),
            Cell::from(crate::format::expiry(r.expires)),
            Cell::from(crate::format::cif(&r.cif)),
            Cell::from(inert(&r.company).into_owned()),
            Cell::from(inert(&r.login_id).into_owned()),
            Cell::from(if r.replacement_mailed { t(lang, "ui.expiring.yes") } else { "" }),
        ])
    });
    let title =
        tf(lang, "ui.expiring.title", &[("days", &s.within_days.to_string()), ("n", &s.rows.len().to_string())]);
    let table = Table::new(
        rows,
        [
            Constraint::Length(11),
            Constraint::Length(24),
            Constraint::Length(11),
            Constraint::Fill(2),
            Constraint::Length(11),
            Constraint::Length(6),
        ],
    )
    .header(header)
    .row_highlight_style(theme::selected())
    .block(widgets::titled(&title, false));
    let mut ts = TableState::default().with_selected((!s.rows.is_empty()).then_some(s.selected));
    frame.render_stateful_widget(table, area, &mut ts);
}
