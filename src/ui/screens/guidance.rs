//! Screen 5, Guidance (手続き案内): who is asking, what happened, and the procedure
//! that applies to this contract.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState};

use crate::app::{App, GuidanceFocus, GuidanceState};
use crate::domain::guidance::Procedure;
use crate::format;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &GuidanceState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let [left, right] = Layout::horizontal([Constraint::Length(40), Constraint::Min(20)]).areas(area);
    let askers_h = (s.users.len() as u16 + 2).min(left.height / 3).max(3);
    let [askers, situations] = Layout::vertical([Constraint::Length(askers_h), Constraint::Min(3)]).areas(left);

    let items: Vec<ListItem<'_>> = s
        .users
        .iter()
        .map(|u| {
            ListItem::new(format!(
                "{} {} {}",
                t(lang, &format!("ui.user_role.{}", u.role.code())),
                inert(&u.login_id),
                inert(&u.name)
            ))
        })
        .collect();
    let asker = s.users.iter().position(|u| Some(u.id) == s.asker.get());
    let mut state = ListState::default().with_selected(asker);
    // The list with the focus shows its choice as ▶ in reverse video; the other, as • only.
    let mark = |focused: bool| if focused { ("▶", theme::selected()) } else { ("•", theme::title()) };
    let (symbol, style) = mark(s.focus.is(GuidanceFocus::Asker));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(style)
            .highlight_symbol(symbol)
            .block(widgets::titled(t(lang, "ui.guidance.asker"), s.focus.is(GuidanceFocus::Asker))),
        askers,
        &mut state,
    );
    let (items, chosen): (Vec<ListItem<'_>>, Vec<bool>) = s
        .situation
        .options()
        .map(|(sit, on)| (ListItem::new(t(lang, &format!("ui.situation.{}", sit.code()))), on))
        .unzip();
    let mut state = ListState::default().with_selected(chosen.iter().position(|on| *on));
    let (symbol, style) = mark(s.focus.is(GuidanceFocus::Situation));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(style)
            .highlight_symbol(symbol)
            .block(widgets::titled(t(lang, "ui.guidance.situation"), s.focus.is(GuidanceFocus::Situation))),
        situations,
        &mut state,
    );

    let mut lines = Vec::new();
    if let Some(answer) = s.answer {
        let p = answer.procedure;
        lines.push(Line::from(Span::styled(t(lang, &format!("ui.procedure.{}.title", p.code())), theme::title())));
        lines.push(Line::from(""));
        lines.push(Line::from(t(lang, &format!("ui.procedure.{}.say", p.code()))));
        if let Some(form) = form_name(p) {
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", t(lang, "ui.guidance.form")), theme::label()),
                Span::raw(t(lang, form)),
            ]));
        }
        if p.has_fee() {
            let (key, fee) = match p {
                Procedure::AddToken => ("ui.guidance.fee_add", s.fee_add),
                _ => ("ui.guidance.fee_reissue", s.fee_reissue),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", t(lang, "ui.guidance.fee")), theme::label()),
                Span::raw(tf(lang, key, &[("yen", &format::yen(fee.total()))])),
            ]));
        }
        if answer.send_to_branch {
            let branch = app.info.branches.iter().find(|b| b.code == s.contract.branch);
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(t(lang, "ui.guidance.counter_needed"), theme::warn())));
            lines.push(Line::from(tf(
                lang,
                "ui.guidance.customer_branch",
                &[
                    ("branch", &app.branch_label(&s.contract.branch)),
                    ("address", &branch.map(|b| inert(&b.address).into_owned()).unwrap_or_default()),
                ],
            )));
        }
        // The rule behind the answer, for the clerk who wants it: not part of what is said.
        if let Some(rule) = crate::i18n::lookup(lang, &format!("ui.procedure.{}.rule", p.code())) {
            lines.push(Line::from(Span::styled(tf(lang, "ui.guidance.basis", &[("rule", rule)]), theme::label())));
        }
        lines.push(Line::from(""));
        let next = match p {
            Procedure::Unlock(_) if !answer.send_to_branch => "ui.guidance.next_unlock",
            _ => "ui.guidance.next_record",
        };
        lines.push(Line::from(Span::styled(t(lang, next), theme::label())));
        if s.recorded {
            lines.push(Line::from(Span::styled(t(lang, "ui.guidance.recorded"), theme::info())));
        }
    }
    let title = tf(lang, "ui.guidance.title", &[("company", &inert(&s.contract.company))]);
    widgets::prose(frame, right, lines, Some(widgets::titled(&title, false)));
}

fn form_name(p: Procedure) -> Option<&'static str> {
    use crate::domain::guidance::FormKind;
    match p {
        Procedure::PaperForm(FormKind::PasswordReRegistration) => Some("ui.form_kind.password"),
        Procedure::PaperForm(FormKind::PinChange) => Some("ui.form_kind.pin"),
        Procedure::PaperForm(FormKind::CancelAndReapply) => Some("ui.form_kind.cancel"),
        Procedure::AddToken => Some("ui.form_kind.token_add"),
        Procedure::ReportLostToken => Some("ui.form_kind.token_reissue"),
        _ => None,
    }
}
