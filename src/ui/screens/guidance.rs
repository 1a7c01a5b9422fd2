//! Screen 5, Guidance (手続き案内): who is asking, what happened, and the procedure
//! that applies to this contract.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use crate::app::{App, GuidanceFocus, GuidanceState};
use crate::domain::fees;
use crate::domain::guidance::{Procedure, Situation};
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

fn boxed(title: String, focused: bool) -> Block<'static> {
    let style = if focused { theme::focused() } else { theme::title() };
    Block::default().borders(Borders::ALL).title(Span::styled(format!(" {title} "), style))
}

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
    let mut state = ListState::default().with_selected(Some(s.asker));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(theme::selected())
            .highlight_symbol("▶")
            .block(boxed(t(lang, "ui.guidance.asker").into(), s.focus == GuidanceFocus::Asker)),
        askers,
        &mut state,
    );
    let items: Vec<ListItem<'_>> =
        Situation::ALL.iter().map(|sit| ListItem::new(t(lang, &format!("ui.situation.{}", sit.code())))).collect();
    let mut state = ListState::default().with_selected(Some(s.situation));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(theme::selected())
            .highlight_symbol("▶")
            .block(boxed(t(lang, "ui.guidance.situation").into(), s.focus == GuidanceFocus::Situation)),
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
            let cfg = &app.ledger.config().fees;
            let (key, amount) = match p {
                Procedure::AddToken => ("ui.guidance.fee_add", cfg.token_add),
                _ => ("ui.guidance.fee_reissue", cfg.token_reissue),
            };
            let total = fees::with_tax(amount, cfg.tax_rate_percent);
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", t(lang, "ui.guidance.fee")), theme::label()),
                Span::raw(tf(lang, key, &[("yen", &widgets::yen(total))])),
            ]));
        }
        if answer.send_to_branch {
            let branch = app.ledger.config().branch(&s.contract.branch);
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(t(lang, "ui.guidance.counter_needed"), theme::warn())));
            lines.push(Line::from(tf(
                lang,
                "ui.guidance.customer_branch",
                &[
                    ("branch", &crate::ui::branch_label(app, &s.contract.branch)),
                    ("address", &branch.map(|b| inert(&b.address).into_owned()).unwrap_or_default()),
                ],
            )));
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
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(boxed(title, false)), right);
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
