//! Screen 8, Hard token: the user's tokens, the branch's stock, and the step to take.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use crate::app::{App, TokenField, TokenState};
use crate::domain::token::Token;
use crate::format;
use crate::i18n::{Lang, t, tf};
use crate::text::inert;
use crate::ui::screens::customer::token_line;
use crate::ui::{theme, widgets};

fn token_with_tracking(lang: Lang, tok: &Token) -> String {
    let mut s = token_line(lang, tok);
    if let Some(no) = &tok.tracking_no {
        s.push_str(&tf(lang, "ui.token.tracking_line", &[("no", &inert(no))]));
    }
    s
}

pub fn render(app: &App, s: &TokenState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let title =
        tf(lang, "ui.token.title", &[("company", &inert(&s.contract.company)), ("login", &inert(&s.user.login_id))]);
    let [top, bottom] = Layout::vertical([Constraint::Length(7), Constraint::Min(6)]).areas(area);

    let mut info = Vec::new();
    for tok in &s.view.held {
        info.push(Line::from(token_with_tracking(lang, tok)));
    }
    for tok in &s.view.waiting {
        info.push(Line::from(Span::styled(token_with_tracking(lang, tok), theme::warn())));
    }
    if let Some(state) = s.view.reissue_state {
        info.push(Line::from(Span::styled(t(lang, &format!("ui.token.reissue_{}", state.code())), theme::warn())));
    }
    if info.is_empty() {
        info.push(Line::from(t(lang, "ui.token.none")));
    }
    let stock: Vec<String> = s
        .view
        .stock
        .iter()
        .map(|(state, n)| format!("{} {n}", t(lang, &format!("ui.token_state.{}", state.code()))))
        .collect();
    info.push(Line::from(vec![
        Span::styled(
            format!("{} ", tf(lang, "ui.token.stock", &[("branch", &app.branch_label(&s.contract.branch))])),
            theme::label(),
        ),
        Span::raw(stock.join("  ")),
    ]));
    widgets::prose(frame, top, info, Some(widgets::titled(&title, false)));

    let mut lines = Vec::new();
    if s.counter_refused {
        lines.push(Line::from(Span::styled(
            tf(lang, "ui.token.counter_only", &[("branch", &app.branch_label(&s.contract.branch))]),
            theme::warn(),
        )));
    }
    lines.push(Line::from(widgets::label(t(lang, "ui.token.op"), s.focus.is(TokenField::Op))));
    lines.extend(widgets::choices(
        s.op.options().map(|(op, on)| (t(lang, &format!("ui.token.op_{}", op.code())).to_string(), on)),
        3,
    ));
    let explain = match s.op.get() {
        Some(op) => t(lang, &format!("ui.token.explain_{}", op.code())),
        None => t(lang, "err.token_step_not_chosen"),
    };
    lines.push(Line::from(Span::styled(explain, theme::label())));
    if let Some(fee) = s.fee() {
        lines.push(Line::from(tf(
            lang,
            "ui.token.fee",
            &[
                ("amount", &format::yen(fee.amount)),
                ("tax", &format::yen(fee.tax)),
                ("total", &format::yen(fee.total())),
            ],
        )));
    }
    for field in s.fields() {
        let (key, input) = match field {
            TokenField::Serial => ("ui.token.serial", &s.serial),
            TokenField::Code => ("ui.token.code", &s.code),
            TokenField::Tracking => ("ui.token.tracking", &s.tracking),
            TokenField::Op => continue,
        };
        lines.push(widgets::input_line(t(lang, key), input, s.focus.is(field)));
    }
    lines.push(Line::from(Span::styled(t(lang, "ui.token.how"), theme::label())));
    widgets::prose(
        frame,
        bottom,
        lines,
        Some(ratatui::widgets::Block::default().borders(ratatui::widgets::Borders::ALL)),
    );
}
