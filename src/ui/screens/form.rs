//! Screen 7, Paper form: password re-registration, PIN change, cancellation and
//! re-application, keyed from the prescribed form. New secrets are masked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::{App, FormField, FormState};
use crate::domain::forms::{FormProblem, FormRequest};
use crate::i18n::{Lang, t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &FormState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let title =
        tf(lang, "ui.form.title", &[("company", &inert(&s.contract.company)), ("login", &inert(&s.user.login_id))]);
    let label = |field: FormField, key: &str| widgets::label(t(lang, key), s.focus.is(field));
    let mut lines = vec![Line::from(label(FormField::Kind, "ui.form.kind"))];
    lines.extend(widgets::choices(
        s.kind.options().map(|(k, on)| (t(lang, &format!("ui.form_request.{}", k.code())).to_string(), on)),
        if lang == Lang::En { 2 } else { 3 },
    ));
    if let Some(p) = s.not_applicable() {
        let key = match p {
            FormProblem::CancelNotNeeded => "err.form_cancel_not_needed",
            _ => "err.form_not_for_user",
        };
        lines.push(Line::from(Span::styled(format!("  {}", t(lang, key)), theme::error())));
    }
    let input = |key: &str, field: FormField, value| widgets::input_line(t(lang, key), value, s.focus.is(field)).spans;
    lines.push(Line::from(
        [
            input("ui.form.form_no", FormField::FormNo, &s.form_no),
            vec![Span::raw("  ")],
            input("ui.form.received", FormField::Received, &s.received),
        ]
        .concat(),
    ));
    lines.push(Line::from(input("ui.form.brought_by", FormField::BroughtBy, &s.brought_by)));
    lines.push(Line::from(label(FormField::Document, "ui.unlock.document")));
    lines.extend(widgets::choices(
        s.document.options().map(|(d, on)| (t(lang, &format!("ui.document.{}", d.code())).to_string(), on)),
        3,
    ));
    lines.push(Line::from(vec![
        label(FormField::Seal, "ui.unlock.seal"),
        Span::raw(format!("{} {}", widgets::check(s.seal_matched.is_on()), t(lang, "ui.unlock.seal_done"))),
    ]));
    if s.request() == FormRequest::CancelAndReapply {
        lines.push(Line::from(Span::styled(t(lang, "ui.form.reapply_note"), theme::warn())));
        lines.push(Line::from(input("ui.form.new_login_id", FormField::NewLoginId, &s.new_login_id)));
    }
    for field in s.fields() {
        if let FormField::Secret(kind, false) = field {
            let name = t(lang, &format!("ui.credential.{}", kind.code()));
            let first = tf(lang, "ui.form.new_secret", &[("what", name)]);
            let mut row: Vec<Span<'static>> =
                widgets::input_line(&first, s.secret(kind, false), s.focus.is(FormField::Secret(kind, false)))
                    .spans
                    .into_iter()
                    .map(|sp| Span::styled(sp.content.into_owned(), sp.style))
                    .collect();
            row.push(Span::raw("  "));
            row.extend(input("ui.form.again", FormField::Secret(kind, true), s.secret(kind, true)));
            lines.push(Line::from(row));
        }
    }
    lines.push(Line::from(Span::styled(t(lang, "ui.form.how"), theme::label())));
    widgets::prose(frame, area, lines, Some(widgets::titled(&title, false)));
}
