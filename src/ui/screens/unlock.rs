//! 6. Unlock: the open locks, the identity check, the reason.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::{App, UnlockField, UnlockState};
use crate::domain::lockout::LockScope;
use crate::domain::unlock::IdDocument;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &UnlockState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let title = tf(lang, "ui.unlock.title", &[("login", &inert(&s.user.login_id)), ("name", &inert(&s.user.name))]);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(format!(" {title} "), theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label = |field: UnlockField, key: &str| {
        let style = if s.focus == field { theme::focused() } else { theme::label() };
        Span::styled(format!("{} ", t(lang, key)), style)
    };
    let mut lines = Vec::new();
    lines.push(Line::from(label(UnlockField::Lock, "ui.unlock.locks")));
    for (i, l) in s.locks.iter().enumerate() {
        let scope = if l.scope == LockScope::Service { "ui.state.service_locked" } else { "ui.state.otp_locked" };
        let text = format!(
            "  {} {} {}",
            widgets::marker(i == s.lock),
            t(lang, scope),
            tf(
                lang,
                "ui.customer.lock_line",
                &[
                    ("credential", t(lang, &format!("ui.credential.{}", l.credential.code()))),
                    ("count", &l.failures.to_string()),
                    ("at", &widgets::jst(&l.opened_at)),
                ],
            )
        );
        let style = if i == s.lock && s.focus == UnlockField::Lock { theme::selected() } else { theme::locked() };
        lines.push(Line::from(Span::styled(text, style)));
    }
    lines.push(Line::from(vec![
        label(UnlockField::Cause, "ui.unlock.cause"),
        Span::raw(format!("{} {}  ", widgets::marker(s.cause == 0), t(lang, "ui.unlock.mistyped"))),
        Span::raw(format!("{} {}", widgets::marker(s.cause == 1), t(lang, "ui.unlock.forgot"))),
    ]));
    if s.forgot() {
        lines.push(Line::from(Span::styled(format!("  {}", t(lang, "ui.unlock.forgot_hint")), theme::warn())));
    }
    if s.by_phone {
        lines.push(Line::from(vec![
            label(UnlockField::CallBack, "ui.unlock.callback"),
            Span::raw(format!(
                "{} {}",
                widgets::marker(s.called_back),
                tf(lang, "ui.unlock.callback_done", &[("phone", &inert(&s.contract.phone))])
            )),
        ]));
    } else {
        lines.push(Line::from(label(UnlockField::Document, "ui.unlock.document")));
        let docs: Vec<String> = IdDocument::ALL
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!("{} {}", widgets::marker(s.document == Some(i)), t(lang, &format!("ui.document.{}", d.code())))
            })
            .collect();
        for pair in docs.chunks(3) {
            lines.push(Line::from(format!("  {}", pair.join("  "))));
        }
        lines.push(Line::from(vec![
            label(UnlockField::Seal, "ui.unlock.seal"),
            Span::raw(format!("{} {}", widgets::marker(s.seal_matched), t(lang, "ui.unlock.seal_done"))),
        ]));
    }
    lines.push(widgets::input_line(t(lang, "ui.unlock.reason"), &s.reason, s.focus == UnlockField::Reason));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(t(lang, "ui.unlock.how"), theme::label())));
    let [body] = Layout::vertical([Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}
