//! 6. Unlock: the open locks, the identity check, the reason.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::{App, Cause, UnlockField, UnlockState};
use crate::domain::lockout::LockScope;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::screens::customer::lock_line;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &UnlockState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let title = tf(lang, "ui.unlock.title", &[("login", &inert(&s.user.login_id)), ("name", &inert(&s.user.name))]);
    let label = |field: UnlockField, key: &str| widgets::label(t(lang, key), s.focus.is(field));
    let mut lines = vec![Line::from(label(UnlockField::Lock, "ui.unlock.locks"))];
    for l in &s.locks {
        let chosen = s.lock.get() == Some(l.id);
        let scope = if l.scope == LockScope::Service { "ui.state.service_locked" } else { "ui.state.otp_locked" };
        let text = format!("  {} {} {}", widgets::marker(chosen), t(lang, scope), lock_line(lang, l));
        let style = if chosen && s.focus.is(UnlockField::Lock) { theme::selected() } else { theme::locked() };
        lines.push(Line::from(Span::styled(text, style)));
    }
    let mut cause = vec![label(UnlockField::Cause, "ui.unlock.cause")];
    for (c, on) in s.cause.options() {
        let key = match c {
            Cause::Mistyped => "ui.unlock.mistyped",
            Cause::Forgot => "ui.unlock.forgot",
        };
        cause.push(Span::raw(format!("{} {}  ", widgets::marker(on), t(lang, key))));
    }
    if let Some(last) = cause.last_mut() {
        *last = Span::raw(last.content.trim_end().to_string());
    }
    lines.push(Line::from(cause));
    if s.forgot() {
        lines.push(Line::from(Span::styled(format!("  {}", t(lang, "ui.unlock.forgot_hint")), theme::warn())));
    }
    if s.by_phone {
        lines.push(Line::from(vec![
            label(UnlockField::CallBack, "ui.unlock.callback"),
            Span::raw(format!(
                "{} {}",
                widgets::check(s.called_back.is_on()),
                tf(lang, "ui.unlock.callback_done", &[("phone", &inert(&s.contract.phone))])
            )),
        ]));
    } else {
        lines.push(Line::from(label(UnlockField::Document, "ui.unlock.document")));
        lines.extend(widgets::choices(
            s.document.options().map(|(d, on)| (t(lang, &format!("ui.document.{}", d.code())).to_string(), on)),
            3,
        ));
        lines.push(Line::from(vec![
            label(UnlockField::Seal, "ui.unlock.seal"),
            Span::raw(format!("{} {}", widgets::check(s.seal_matched.is_on()), t(lang, "ui.unlock.seal_done"))),
        ]));
    }
    lines.push(widgets::input_line(t(lang, "ui.unlock.reason"), &s.reason, s.focus.is(UnlockField::Reason)));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(t(lang, "ui.unlock.how"), theme::label())));
    widgets::prose(frame, area, lines, Some(widgets::titled(&title, false)));
}
