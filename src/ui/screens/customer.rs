//! 4. Customer: the contract, its users with their locks and tokens, and history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, TableState};

use crate::app::{App, CustomerState};
use crate::domain::approval::RequestState;
use crate::domain::lockout::{Lock, LockScope};
use crate::domain::token::{Token, TokenState};
use crate::domain::view::UserView;
use crate::format;
use crate::i18n::{Lang, t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

fn boxed(title: &str) -> Block<'static> {
    widgets::titled(title, false)
}

/// Draws the customer; returns where the users' rows are and how many history entries
/// fit (a page of PgDn).
pub fn render(app: &App, s: &CustomerState, frame: &mut Frame<'_>, area: Rect) -> (Option<crate::ui::RowsHit>, usize) {
    let lang = app.lang;
    let v = &s.view;
    let c = &v.contract;
    let mut name = vec![Span::styled(inert(&c.company).into_owned(), theme::title())];
    if c.cancelled {
        name.push(Span::styled(format!(" {}", t(lang, "ui.customer.cancelled")), theme::locked()));
    }
    name.push(Span::raw(format!("  {}", inert(&c.company_kana))));
    let contract = vec![
        Line::from(name),
        Line::from(vec![
            Span::styled(format!("{} ", t(lang, "ui.col.cif")), theme::label()),
            Span::raw(format!("{}  ", format::cif(&c.cif))),
            Span::styled(format!("{} ", t(lang, "ui.customer.contract_no")), theme::label()),
            Span::raw(format!("{}  ", crate::domain::search::contract_number(c.id))),
            Span::styled(format!("{} ", t(lang, "ui.customer.branch")), theme::label()),
            Span::raw(format!("{}  ", app.branch_label(&c.branch))),
            Span::styled(format!("{} ", t(lang, "ui.col.phone")), theme::label()),
            Span::raw(inert(&c.phone).into_owned()),
        ]),
    ];
    // As tall as the contract's lines wrapped at this width: the phone is never cut off.
    let contract_h = crate::ui::fit::wrap_all(&contract, usize::from(area.width.saturating_sub(2))).len() as u16 + 2;
    let users_h = v.users.len() as u16 + 3;
    let [contract_area, users_area, rest] =
        Layout::vertical([Constraint::Length(contract_h), Constraint::Length(users_h), Constraint::Min(3)]).areas(area);
    let wide = rest.width >= 120;
    let (detail_area, history_area) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(rest);
        (a, b)
    } else {
        let [a, b] = Layout::vertical([Constraint::Length(6), Constraint::Min(2)]).areas(rest);
        (a, b)
    };

    widgets::prose(frame, contract_area, contract, Some(boxed(t(lang, "ui.customer.contract"))));

    let header = ["ui.col.role", "ui.col.login_id", "ui.col.name", "ui.col.method", "ui.col.state", "ui.col.token"];
    let plain = ratatui::style::Style::default();
    let rows: Vec<widgets::FitRow> = v
        .users
        .iter()
        .map(|u| {
            let (state, style) = state_of(lang, u);
            vec![
                (t(lang, &format!("ui.user_role.{}", u.user.role.code())).to_string(), plain),
                (inert(&u.user.login_id).into_owned(), plain),
                (inert(&u.user.name).into_owned(), plain),
                (
                    t(lang, if u.user.has_certificate { "ui.method.certificate" } else { "ui.method.password" })
                        .to_string(),
                    plain,
                ),
                (state.to_string(), style),
                (u.tokens.first().map(|t| inert(&t.serial).into_owned()).unwrap_or_else(|| "-".into()), plain),
            ]
        })
        .collect();
    let table = widgets::fitted_table(
        lang,
        &header,
        rows,
        &[false, true, true, false, true, false],
        users_area.width.saturating_sub(2),
    )
    .row_highlight_style(theme::selected())
    .block(boxed(t(lang, "ui.customer.users")));
    let mut ts = TableState::default().with_selected(Some(s.selected_user));
    frame.render_stateful_widget(table, users_area, &mut ts);
    let rows = Some(crate::ui::RowsHit::of_table(users_area, ts.offset(), v.users.len()));

    if let Some(u) = v.users.get(s.selected_user) {
        let title = tf(lang, "ui.customer.detail", &[("login", &inert(&u.user.login_id))]);
        widgets::prose(frame, detail_area, detail_lines(lang, u), Some(boxed(&title)));
    }

    let lines: Vec<Line<'_>> = v
        .history
        .iter()
        .skip(s.history_scroll)
        .map(|e| {
            Line::from(vec![
                Span::styled(format!("{} ", stamp_shown(&e.at)), theme::label()),
                Span::raw(format!("{} ", widgets::pad(&inert(&e.actor), 12))),
                Span::raw(crate::ui::trail::action_label(lang, &e.action, &e.details)),
                Span::styled(format!(" {}", details_summary(lang, &e.details)), theme::label()),
            ])
        })
        .collect();
    // The entries that fit whole, wrapped as drawn: PgDn moves by these, never past one.
    let inner = history_area.height.saturating_sub(2) as usize;
    let width = usize::from(history_area.width.saturating_sub(2));
    let mut used = 0;
    let shown = lines
        .iter()
        .take_while(|l| {
            used += crate::ui::fit::wrap(l, width).len();
            used <= inner
        })
        .count();
    widgets::prose(frame, history_area, lines, Some(boxed(t(lang, "ui.customer.history"))));
    (rows, shown.max(1))
}

/// An audit entry's stored time in Japan time (the text itself when it is not a time).
pub fn stamp_shown(at: &str) -> String {
    format::parse_stamp(at).map_or_else(|| inert(at).into_owned(), format::time)
}

/// A lock as one line: the credential, the failures and when it was opened.
pub fn lock_line(lang: Lang, l: &Lock) -> String {
    tf(
        lang,
        "ui.customer.lock_line",
        &[
            ("credential", t(lang, &format!("ui.credential.{}", l.credential.code()))),
            ("count", &l.failures.to_string()),
            ("at", &format::time(l.opened_at)),
        ],
    )
}

/// A token as one line: serial, state, expiry as printed on it.
pub fn token_line(lang: Lang, tok: &Token) -> String {
    tf(
        lang,
        "ui.customer.token_line",
        &[
            ("serial", &inert(&tok.serial)),
            ("state", t(lang, &format!("ui.token_state.{}", tok.state.code()))),
            ("expires", &format::expiry(tok.expires)),
        ],
    )
}

/// The user's state in one cell: the widest suspension, else the failures so far.
fn state_of(lang: Lang, u: &UserView) -> (String, ratatui::style::Style) {
    if u.open_locks.iter().any(|l| l.scope == LockScope::Service) {
        (t(lang, "ui.state.service_locked").into(), theme::locked())
    } else if u.open_locks.iter().any(|l| l.scope == LockScope::OtpServices) {
        (t(lang, "ui.state.otp_locked").into(), theme::locked())
    } else if u.tokens.iter().any(|t| t.state == TokenState::Lost) {
        (t(lang, "ui.state.token_lost").into(), theme::warn())
    } else if !u.failures.is_empty() {
        let n: u32 = u.failures.iter().map(|(_, n)| n).max().copied().unwrap_or(0);
        (tf(lang, "ui.state.failures", &[("n", &n.to_string())]), theme::warn())
    } else {
        (t(lang, "ui.state.ok").into(), ratatui::style::Style::default())
    }
}

fn detail_lines(lang: Lang, u: &UserView) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for l in &u.open_locks {
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} ",
                    t(
                        lang,
                        if l.scope == LockScope::Service { "ui.state.service_locked" } else { "ui.state.otp_locked" }
                    )
                ),
                theme::locked(),
            ),
            Span::raw(lock_line(lang, l)),
        ]));
    }
    for (kind, n) in &u.failures {
        if !u.open_locks.iter().any(|l| l.credential == *kind) {
            lines.push(Line::from(tf(
                lang,
                "ui.customer.failure_line",
                &[("credential", t(lang, &format!("ui.credential.{}", kind.code()))), ("count", &n.to_string())],
            )));
        }
    }
    for tok in &u.tokens {
        lines.push(Line::from(token_line(lang, tok)));
    }
    for r in &u.requests {
        let kind = widgets::request_name(lang, r);
        let kind = kind.as_str();
        let line = match (r.state, &r.decided_by, r.decided_at) {
            (RequestState::Pending, ..) => tf(
                lang,
                "ui.customer.pending_line",
                &[("kind", kind), ("by", &inert(&r.requested_by)), ("at", &format::time(r.requested_at))],
            ),
            (state, Some(by), Some(at)) => tf(
                lang,
                &format!("ui.customer.{}_line", state.code()),
                &[
                    ("kind", kind),
                    ("by", &inert(by)),
                    ("at", &format::time(at)),
                    ("reason", &inert(r.reason.as_deref().unwrap_or_default())),
                ],
            ),
            _ => continue,
        };
        let style = match r.state {
            RequestState::Rejected => theme::locked(),
            RequestState::Withdrawn => theme::label(),
            _ => theme::warn(),
        };
        lines.push(Line::from(Span::styled(line, style)));
    }
    if lines.is_empty() {
        lines.push(Line::from(t(lang, "ui.customer.nothing")));
    }
    lines
}

/// A short, inert rendering of an entry's details, in the staff's words: the secret, the
/// count, the token, the receipt, the reason; internal ids are left to the audit trail.
fn details_summary(lang: Lang, details: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(details) else {
        return String::new();
    };
    let text = |k: &str| map.get(k).and_then(|v| v.as_str()).map(|s| inert(s).into_owned());
    let mut parts = Vec::new();
    if let Some(c) = text("credential") {
        parts.push(t(lang, &format!("ui.credential.{c}")).to_string());
    }
    if let Some(n) = map.get("failures").and_then(serde_json::Value::as_i64) {
        parts.push(tf(lang, "ui.customer.times", &[("n", &n.to_string())]));
    }
    if let Some(s) = text("situation") {
        parts.push(t(lang, &format!("ui.situation.{s}")).to_string());
    }
    if let Some(k) = text("kind") {
        let key = format!("ui.request.{k}");
        let label = t(lang, &key);
        parts.push(if label == key { t(lang, &format!("ui.fee_kind.{k}")).to_string() } else { label.to_string() });
    }
    for key in ["serial", "form_no", "reason"] {
        if let Some(v) = text(key) {
            parts.push(v);
        }
    }
    if let Some(r) = map.get("receipt").and_then(serde_json::Value::as_i64) {
        parts.push(format!("No.{r}"));
    }
    parts.join(" ")
}
