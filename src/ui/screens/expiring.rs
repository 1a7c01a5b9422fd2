//! Tokens nearing expiry (R12), for mailing replacements.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::app::{App, ExpiringState};
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &ExpiringState, frame: &mut Frame<'_>, area: Rect) -> Option<crate::ui::RowsHit> {
    let lang = app.lang;
    let header = [
        "ui.token.serial",
        "ui.expiring.expires",
        "ui.col.cif",
        "ui.col.company",
        "ui.col.login_id",
        "ui.expiring.mailed",
    ];
    let rows: Vec<widgets::FitRow> = s
        .rows
        .iter()
        .map(|r| {
            widgets::plain([
                inert(&r.serial).into_owned(),
                crate::format::expiry(r.expires),
                crate::format::cif(&r.cif),
                inert(&r.company).into_owned(),
                inert(&r.login_id).into_owned(),
                if r.replacement_mailed { t(lang, "ui.expiring.yes").to_string() } else { String::new() },
            ])
        })
        .collect();
    let title =
        tf(lang, "ui.expiring.title", &[("days", &s.within_days.to_string()), ("n", &s.rows.len().to_string())]);
    let table = widgets::fitted_table(
        lang,
        &header,
        rows,
        &[true, false, false, true, true, false],
        area.width.saturating_sub(2),
    )
    .row_highlight_style(theme::selected())
    .block(widgets::titled(&title, false));
    let mut ts = TableState::default().with_selected((!s.rows.is_empty()).then_some(s.selected));
    frame.render_stateful_widget(table, area, &mut ts);
    Some(crate::ui::RowsHit::of_table(area, ts.offset(), s.rows.len()))
}
