//! Screen 7, Paper form: password re-registration, PIN change, cancellation and
//! re-application, keyed from the prescribed form. New secrets are masked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::{App, FormField, FormState};
use crate::domain::forms::FormRequest;
use crate::domain::unlock::IdDocument;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &FormState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let title =
        tf(lang, "ui.form.title", &[("company", &inert(&s.contract.company)), ("login", &inert(&s.user.login_id))]);
    let label = |field: FormField, key: &str| {
        let style = if s.focus == field { theme::focused() } else { theme::label() };
        Span::styled(format!("{} ", t(lang, key)), style)
    };
    let mut lines = vec![Line::from(label(FormField::Kind, "ui.form.kind"))];
    let kinds: Vec<String> = FormRequest::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} {}", widgets::marker(i == s.kind), t(lang, &format!("ui.form_request.{}", k.code()))))
        .collect();
    for chunk in kinds.chunks(if lang == crate::i18n::Lang::En { 2 } else { 3 }) {
        lines.push(Line::from(format!("  {}", chunk.join("  "))));
    }
    if let Err(p) = crate::domain::forms::applies(s.request(), s.user.role, s.has_admin) {
        let key = match p {
            crate::domain::forms::FormProblem::CancelNotNeeded => "err.form_cancel_not_needed",
            _ => "err.form_not_for_user",
        };
        lines.push(Line::from(Span::styled(format!("  {}", t(lang, key)), theme::error())));
    }
    let mut row = vec![];
    row.extend(widgets::input_line(t(lang, "ui.form.form_no"), &s.form_no, s.focus == FormField::FormNo).spans);
    row.push(Span::raw("  "));
    row.extend(widgets::input_line(t(lang, "ui.form.received"), &s.received, s.focus == FormField::Received).spans);
    lines.push(Line::from(row));
    lines.push(widgets::input_line(t(lang, "ui.form.brought_by"), &s.brought_by, s.focus == FormField::BroughtBy));
    lines.push(Line::from(label(FormField::Document, "ui.unlock.document")));
    let docs: Vec<String> = IdDocument::ALL
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!("{} {}", widgets::marker(s.document == Some(i)), t(lang, &format!("ui.document.{}", d.code())))
        })
        .collect();
    for chunk in docs.chunks(3) {
        lines.push(Line::from(format!("  {}", chunk.join("  "))));
    }
    lines.push(Line::from(vec![
        label(FormField::Seal, "ui.unlock.seal"),
        Span::raw(format!("{} {}", widgets::marker(s.seal_matched), t(lang, "ui.unlock.seal_done"))),
    ]));
    if s.request() == FormRequest::CancelAndReapply {
        lines.push(Line::from(Span::styled(t(lang, "ui.form.reapply_note"), theme::warn())));
        lines.push(widgets::input_line(
            t(lang, "ui.form.new_login_id"),
            &s.new_login_id,
            s.focus == FormField::NewLoginId,
        ));
    }
    for field in s.fields() {
        if let FormField::Secret(kind, false) = field {
            let name = t(lang, &format!("ui.credential.{}", kind.code()));
            let mut row = vec![];
            let first = tf(lang, "ui.form.new_secret", &[("what", name)]);
            row.extend(
                widgets::input_line(&first, s.secret(kind, false), s.focus == FormField::Secret(kind, false)).spans,
            );
            row.push(Span::raw("  "));
            row.extend(
                widgets::input_line(
                    t(lang, "ui.form.again"),
                    s.secret(kind, true),
                    s.focus == FormField::Secret(kind, true),
                )
                .spans,
            );
            lines.push(Line::from(row).to_owned_line());
        }
    }
    lines.push(Line::from(Span::styled(t(lang, "ui.form.how"), theme::label())));
    let block = Block::default().borders(Borders::ALL).title(Span::styled(format!(" {title} "), theme::title()));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

trait Owned {
    fn to_owned_line(self) -> Line<'static>;
}

impl Owned for Line<'_> {
    /// The secret labels are built per row; the line keeps its own copies.
    fn to_owned_line(self) -> Line<'static> {
        Line::from(self.spans.into_iter().map(|s| Span::styled(s.content.into_owned(), s.style)).collect::<Vec<_>>())
    }
}
