//! Screen 11, Audit trail: filterable history, the detail of an entry, and the chain check.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, TableState};

use crate::app::{App, AuditFocus, AuditState};
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::screens::customer::stamp_shown;
use crate::ui::{theme, trail, widgets};

pub fn render(app: &App, s: &AuditState, frame: &mut Frame<'_>, area: Rect) -> Option<crate::ui::RowsHit> {
    let lang = app.lang;
    let [filters, table_area, detail_area] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(5), Constraint::Length(6)]).areas(area);
    let f = |key: &str, input, focus| widgets::input_line(t(lang, key), input, s.focus.is(focus)).spans;
    let verify = match &s.verify {
        None => Span::styled(t(lang, "ui.audit.verify_hint"), theme::label()),
        Some(r) => match r.first_bad {
            None => Span::styled(tf(lang, "msg.audit_ok", &[("count", &r.entries.to_string())]), theme::info()),
            Some(b) => Span::styled(
                tf(
                    lang,
                    "msg.audit_bad",
                    &[("seq", &b.seq.to_string()), ("why", t(lang, &format!("msg.break_{}", b.why.code())))],
                ),
                theme::error(),
            ),
        },
    };
    let verify_label = widgets::label(t(lang, "ui.audit.verify"), s.focus.is(AuditFocus::Verify));
    let lines = vec![
        Line::from(
            [
                f("ui.audit.customer", &s.customer, AuditFocus::Customer),
                vec![Span::raw(" ")],
                f("ui.audit.staff", &s.staff, AuditFocus::Staff),
            ]
            .concat(),
        ),
        Line::from(
            [
                f("ui.audit.action", &s.action, AuditFocus::Action),
                vec![Span::raw(" ")],
                f("ui.audit.from", &s.from, AuditFocus::From),
                f("ui.audit.to", &s.to, AuditFocus::To),
            ]
            .concat(),
        ),
        Line::from(vec![verify_label, verify]),
        Line::from(Span::styled(t(lang, "ui.audit.how"), theme::label())),
    ];
    frame.render_widget(Paragraph::new(lines), filters);

    let header =
        ["ui.audit.col_seq", "ui.audit.col_at", "ui.audit.col_actor", "ui.audit.col_action", "ui.audit.col_subject"];
    let rows: Vec<widgets::FitRow> = s
        .entries
        .iter()
        .map(|te| {
            let e = &te.entry;
            widgets::plain([
                e.seq.to_string(),
                stamp_shown(&e.at),
                inert(&e.actor).into_owned(),
                trail::action_label(lang, &e.action, &e.details),
                trail::subject_label(lang, &app.info.branches, &te.subject),
            ])
        })
        .collect();
    let page = s.pages.len();
    let title = tf(lang, "ui.audit.title", &[("page", &page.to_string()), ("n", &s.entries.len().to_string())]);
    let table = widgets::fitted_table(
        lang,
        &header,
        rows,
        &[false, false, true, true, true],
        table_area.width.saturating_sub(2),
    )
    .row_highlight_style(theme::selected())
    .block(widgets::titled(&title, s.focus.is(AuditFocus::Rows)));
    let mut ts = TableState::default().with_selected((!s.entries.is_empty()).then_some(s.selected));
    frame.render_stateful_widget(table, table_area, &mut ts);
    let rows = Some(crate::ui::RowsHit::of_table(table_area, ts.offset(), s.entries.len()));

    let detail = match s.entries.get(s.selected) {
        Some(te) => {
            let e = &te.entry;
            let mut fields = vec![Span::raw(trail::subject_label(lang, &app.info.branches, &te.subject))];
            for (label, value) in trail::detail_fields(lang, &e.details) {
                fields.push(Span::raw("　"));
                if !label.is_empty() {
                    fields.push(Span::styled(format!("{label}: "), theme::label()));
                }
                fields.push(Span::raw(value));
            }
            vec![
                Line::from(format!(
                    "#{} {} {} {}",
                    e.seq,
                    stamp_shown(&e.at),
                    inert(&e.actor),
                    trail::action_label(lang, &e.action, &e.details)
                )),
                Line::from(fields),
                Line::from(Span::styled(
                    format!("{}  hash {}", inert(&e.action), hex::encode(&e.hash[..8])),
                    theme::label(),
                )),
            ]
        }
        None => vec![Line::from(t(lang, "ui.audit.none"))],
    };
    widgets::prose(frame, detail_area, detail, Some(widgets::titled(t(lang, "ui.audit.detail"), false)));
    rows
}
