//! 1. Login: staff ID and password; demo accounts listed on a demo ledger only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, LoginFocus, LoginState};
use crate::i18n::t;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &LoginState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let mut lines = vec![
        Line::from(Span::styled(app.info.service_name.clone(), theme::title())),
        Line::from(t(lang, "ui.login.subtitle")),
        Line::from(""),
        widgets::input_line(t(lang, "ui.login.staff_id"), &s.id, s.focus.is(LoginFocus::Id)),
        widgets::input_line(t(lang, "ui.login.password"), &s.password, s.focus.is(LoginFocus::Password)),
    ];
    if app.ledger_refused() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(t(lang, "ui.refused.title"), theme::error())));
    }
    if app.info.demo {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(t(lang, "ui.login.demo_accounts"), theme::warn())));
        for a in &app.info.demo_accounts {
            let role = widgets::pad(t(lang, &format!("msg.role_{}", a.role.code())), 22);
            lines.push(Line::from(format!("  {:<9} {role} {}  {}", a.id, a.branch, a.name)));
        }
        lines.push(Line::from(format!("  {}", t(lang, "ui.login.demo_password"))));
    }
    let h = lines.len() as u16 + 2;
    let rect = widgets::centered(area, 64, h);
    frame.render_widget(Paragraph::new(lines).block(widgets::titled(t(lang, "ui.login.title"), false)), rect);
}
