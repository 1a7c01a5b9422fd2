//! Screen 9, Approvals (検印): the branch's queue, oldest first, what each request will
//! change, and approval with a TOTP code or rejection with a reason.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::TableState;

use crate::app::{App, ApprovalFocus, ApprovalsState};
use crate::domain::approval::RequestDetail;
use crate::domain::view::QueueItem;
use crate::format;
use crate::i18n::{Lang, t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

fn age(lang: Lang, requested_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - requested_at).num_minutes().max(0);
    match minutes {
        m if m < 60 => tf(lang, "ui.approvals.age_min", &[("n", &m.to_string())]),
        m if m < 60 * 24 => tf(lang, "ui.approvals.age_hour", &[("n", &(m / 60).to_string())]),
        m => tf(lang, "ui.approvals.age_day", &[("n", &(m / 60 / 24).to_string())]),
    }
}

/// What approving this request will change, in words.
fn effect(lang: Lang, item: &QueueItem) -> Vec<String> {
    let r = &item.request;
    let credential = r.credential.map(|c| t(lang, &format!("ui.credential.{}", c.code()))).unwrap_or_default();
    let fee = |what: &str, f: &crate::domain::approval::FeeDetail| {
        tf(
            lang,
            "ui.approvals.effect_fee",
            &[
                ("receipt", &f.receipt.to_string()),
                ("yen", &item.fee_total.map(format::yen).unwrap_or_default()),
                ("what", t(lang, what)),
                ("reason", &inert(&f.reason)),
            ],
        )
    };
    let mut out = vec![match &r.detail {
        RequestDetail::FormPassword(_) => tf(lang, "ui.approvals.effect_password", &[("credential", credential)]),
        RequestDetail::FormPin(_) => tf(lang, "ui.approvals.effect_pin", &[("credential", credential)]),
        RequestDetail::FormCancel(f) => {
            tf(lang, "ui.approvals.effect_cancel", &[("login", &inert(f.new_login_id.as_deref().unwrap_or_default()))])
        }
        RequestDetail::Unlock { reason, .. } => {
            tf(lang, "ui.approvals.effect_unlock", &[("credential", credential), ("reason", &inert(reason))])
        }
        RequestDetail::TokenReissue { serial, lost_serial, .. } => {
            tf(lang, "ui.approvals.effect_reissue", &[("serial", &inert(serial)), ("lost", &inert(lost_serial))])
        }
        RequestDetail::FeeReversal(f) => fee("ui.fee_kind.reversal", f),
        RequestDetail::FeeWaiver(f) => fee("ui.fee_kind.waiver", f),
    }];
    if let Some(f) = &item.form {
        out.push(tf(
            lang,
            "ui.approvals.form_detail",
            &[
                ("no", &inert(&f.form_no)),
                ("received", &format::date(f.received_on)),
                ("by", &inert(&f.brought_by)),
                ("document", t(lang, &format!("ui.document.{}", f.id_document.code()))),
                ("seal", t(lang, if f.seal_checked { "ui.approvals.seal_ok" } else { "ui.approvals.seal_missing" })),
            ],
        ));
    }
    out
}

pub fn render(app: &App, s: &ApprovalsState, frame: &mut Frame<'_>, area: Rect) -> Option<crate::ui::RowsHit> {
    let lang = app.lang;
    let now = app.now;
    let list_h = (s.items.len() as u16 + 3).clamp(4, area.height / 2);
    let [list_area, detail_area] = Layout::vertical([Constraint::Length(list_h), Constraint::Min(6)]).areas(area);
    let header =
        ["ui.approvals.col_age", "ui.approvals.col_kind", "ui.col.company", "ui.col.login_id", "ui.approvals.col_by"];
    let rows: Vec<widgets::FitRow> = s
        .items
        .iter()
        .map(|i| {
            widgets::plain([
                age(lang, i.request.requested_at, now),
                widgets::request_name(lang, &i.request),
                i.contract.as_ref().map(|c| inert(&c.company).into_owned()).unwrap_or_default(),
                i.user.as_ref().map(|u| inert(&u.login_id).into_owned()).unwrap_or_default(),
                inert(&i.request.requested_by).into_owned(),
            ])
        })
        .collect();
    let title = if s.items.is_empty() {
        t(lang, "ui.approvals.empty").to_string()
    } else {
        tf(lang, "ui.approvals.title", &[("n", &s.items.len().to_string())])
    };
    let focused = s.focus.is(ApprovalFocus::Queue);
    let table =
        widgets::fitted_table(lang, &header, rows, &[false, true, true, true, true], list_area.width.saturating_sub(2))
            .row_highlight_style(theme::selected())
            .block(widgets::titled(&title, focused));
    let mut ts = TableState::default().with_selected((!s.items.is_empty()).then_some(s.selected));
    frame.render_stateful_widget(table, list_area, &mut ts);
    let rows = Some(crate::ui::RowsHit::of_table(list_area, ts.offset(), s.items.len()));

    let mut lines = Vec::new();
    if let Some(item) = s.current() {
        let r = &item.request;
        if let Some(c) = &item.contract {
            lines.push(Line::from(vec![
                Span::styled(inert(&c.company).into_owned(), theme::title()),
                Span::raw(format!("  {} {}", t(lang, "ui.col.cif"), format::cif(&c.cif))),
            ]));
        }
        for e in effect(lang, item) {
            lines.push(Line::from(e));
        }
        lines.push(Line::from(tf(
            lang,
            "ui.approvals.asked",
            &[("by", &inert(&r.requested_by)), ("at", &format::time(r.requested_at))],
        )));
        lines.push(Line::from(""));
        lines.push(widgets::input_line(t(lang, "ui.approvals.code"), &s.code, s.focus.is(ApprovalFocus::Code)));
        lines.push(widgets::input_line(t(lang, "ui.approvals.reason"), &s.reason, s.focus.is(ApprovalFocus::Reason)));
        lines.push(Line::from(Span::styled(t(lang, "ui.approvals.how"), theme::label())));
    }
    widgets::prose(frame, detail_area, lines, Some(widgets::titled(t(lang, "ui.approvals.detail"), false)));
    rows
}
