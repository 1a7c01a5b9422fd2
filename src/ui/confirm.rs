//! The yes/no question, naming what it is about: the customer, the user, the serial, the
//! receipt and the amount, so that a hurried yes is a yes to the right thing.

use ratatui::text::{Line, Span};

use crate::app::{App, Leave, Question, Screen};
use crate::i18n::{Lang, t, tf};
use crate::text::inert;
use crate::ui::theme;

/// The lines of the question `q`, asked from the screen in front.
pub fn lines(app: &App, q: Question) -> Vec<Line<'static>> {
    let lang = app.lang;
    let mut lines = vec![Line::from(t(lang, key(q)).to_string())];
    if let Some(object) = object(app, q) {
        lines.push(Line::from(Span::styled(object, theme::title())));
    }
    // Logging out of a half-filled form loses it: say so.
    if q == Question::Logout && app.has_unsaved_work() {
        lines.push(Line::from(Span::styled(t(lang, "ui.confirm.unsaved").to_string(), theme::warn())));
    }
    let keys = if q.defaults_to_no() { "ui.confirm.keys_no" } else { "ui.confirm.keys" };
    lines.extend([Line::from(""), Line::from(t(lang, keys).to_string())]);
    lines
}

fn key(q: Question) -> &'static str {
    match q {
        Question::Logout => "ui.confirm.logout",
        Question::Quit => "ui.confirm.quit",
        Question::Discard(Leave::Back) => "ui.confirm.discard",
        Question::Discard(Leave::Home) => "ui.confirm.discard_home",
        Question::Discard(Leave::Find) => "ui.confirm.discard_find",
        Question::RecordGuidance => "ui.confirm.guidance",
        Question::Unlock => "ui.confirm.unlock",
        Question::SubmitForm => "ui.confirm.form",
        Question::Approve => "ui.confirm.approve",
        Question::Reject => "ui.confirm.reject",
        Question::TokenStep => "ui.confirm.token",
        Question::Reversal => "ui.confirm.reversal",
        Question::Reprint => "ui.confirm.reprint",
    }
}

/// `company・login`, the customer a question is about.
fn customer(company: &str, login: &str) -> String {
    format!("{}・{}", inert(company), inert(login))
}

/// What the question is about, in one line, from the screen that asks it.
fn object(app: &App, q: Question) -> Option<String> {
    let lang = app.lang;
    let parts: Vec<String> = match (q, app.screen()) {
        (Question::SubmitForm, Screen::Form(s)) => vec![
            customer(&s.contract.company, &s.user.login_id),
            t(lang, &format!("ui.form_request.{}", s.request().code())).to_string(),
            tf(lang, "ui.confirm.form_no", &[("no", &inert(s.form_no.value()))]),
        ],
        (Question::Unlock, Screen::Unlock(s)) => {
            let lock = s.lock.get().and_then(|id| s.locks.iter().find(|l| l.id == id));
            let mut p = vec![customer(&s.contract.company, &s.user.login_id)];
            p.extend(lock.map(|l| t(lang, &format!("ui.credential.{}", l.credential.code())).to_string()));
            p
        }
        (Question::TokenStep, Screen::Token(s)) => {
            let mut p = vec![
                customer(&s.contract.company, &s.user.login_id),
                t(lang, &format!("ui.token.op_{}", s.op().code())).to_string(),
            ];
            if s.op().needs_serial() {
                p.push(inert(s.serial.value()).into_owned());
            }
            p.extend(s.fee().map(|f| yen(lang, f.total())));
            p
        }
        (Question::Reversal, Screen::Journal(s)) => {
            let fee = s.journal.as_ref().and_then(|j| j.entries.get(s.selected))?;
            let what = match s.remedy.get() {
                Some(crate::app::Remedy::Waiver) => "ui.fee_kind.waiver",
                _ => "ui.fee_kind.reversal",
            };
            vec![
                tf(lang, "ui.confirm.receipt", &[("no", &fee.receipt_no.to_string())]),
                yen(lang, fee.amount + fee.tax),
                t(lang, what).to_string(),
            ]
        }
        (Question::Reprint, Screen::Journal(s)) => {
            let fee = s.journal.as_ref().and_then(|j| j.entries.get(s.selected))?;
            vec![
                tf(lang, "ui.confirm.receipt", &[("no", &fee.receipt_no.to_string())]),
                inert(fee.company.as_deref().unwrap_or_default()).into_owned(),
                yen(lang, fee.amount + fee.tax),
            ]
        }
        (Question::Approve | Question::Reject, Screen::Approvals(s)) => {
            let item = s.current()?;
            let mut p = vec![crate::ui::widgets::request_name(lang, &item.request)];
            if let (Some(c), Some(u)) = (&item.contract, &item.user) {
                p.push(customer(&c.company, &u.login_id));
            }
            p.extend(item.fee_total.map(|y| yen(lang, y)));
            p
        }
        (Question::RecordGuidance, Screen::Guidance(s)) => {
            let asker = s.asker.get().and_then(|id| s.users.iter().find(|u| u.id == id));
            let mut p = vec![customer(&s.contract.company, asker.map_or("", |u| u.login_id.as_str()))];
            p.extend(s.answer.map(|a| t(lang, &format!("ui.procedure.{}.title", a.procedure.code())).to_string()));
            p
        }
        _ => return None,
    };
    Some(parts.join("・"))
}

fn yen(lang: Lang, amount: i64) -> String {
    tf(lang, "ui.confirm.yen", &[("yen", &crate::format::yen(amount))])
}
