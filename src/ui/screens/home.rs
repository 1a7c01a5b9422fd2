//! 2. Home: who is logged in, the branch, and what waits today.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::domain::view::HomeStats;
use crate::i18n::t;
use crate::ui::{theme, widgets};

pub fn render(app: &App, stats: &HomeStats, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let row = |key: &str, value: String, hint: &str| {
        Line::from(vec![
            Span::styled(format!(" {:<2} ", hint), theme::hint_key()),
            Span::raw(format!(" {}  ", t(lang, key))),
            Span::styled(value, theme::title()),
        ])
    };
    // The telephone center neither approves nor takes fees: those rows are for branches.
    let counter = app.session.as_ref().is_some_and(|s| s.role != crate::domain::permission::StaffRole::Operator);
    let mut lines = vec![Line::from(Span::styled(app.who(), theme::title())), Line::from("")];
    if counter {
        lines.push(row("ui.home.pending", stats.pending_approvals.to_string(), "a"));
        lines.push(row(
            "ui.home.fees",
            format!("{} / {} {}", stats.fees_today, crate::format::yen(stats.fees_today_yen), t(lang, "ui.yen")),
            "j",
        ));
    }
    lines.extend([
        row("ui.home.audit", String::new(), "l"),
        row("ui.home.expiring", stats.tokens_expiring.to_string(), "e"),
        Line::from(""),
        Line::from(vec![Span::styled(" / ", theme::hint_key()), Span::raw(format!(" {}", t(lang, "ui.home.find")))]),
    ]);
    frame.render_widget(Paragraph::new(lines).block(widgets::titled(t(lang, "ui.home.title"), false)), area);
}
