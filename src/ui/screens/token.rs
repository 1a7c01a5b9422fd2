//! Screen 8, Hard token: the user's tokens, the branch's stock, and the step to take.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::{App, TokenField, TokenOp, TokenState};
use crate::domain::fees;
use crate::i18n::{Lang, t, tf};
use crate::store::tokens::TokenRow;
use crate::text::inert;
use crate::ui::{theme, widgets};

fn token_line(lang: Lang, tok: &TokenRow) -> String {
    let mut s = tf(
        lang,
        "ui.customer.token_line",
        &[
            ("serial", &inert(&tok.serial)),
            ("state", t(lang, &format!("ui.token_state.{}", tok.state))),
            ("expires", &widgets::expiry(&tok.expires)),
        ],
    );
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
        info.push(Line::from(token_line(lang, tok)));
    }
    for tok in &s.view.waiting {
        info.push(Line::from(Span::styled(token_line(lang, tok), theme::warn())));
    }
    if let Some(state) = &s.view.reissue_state {
        info.push(Line::from(Span::styled(t(lang, &format!("ui.token.reissue_{state}")), theme::warn())));
    }
    if info.is_empty() {
        info.push(Line::from(t(lang, "ui.token.none")));
    }
    let stock: Vec<String> =
        s.view.stock.iter().map(|(state, n)| format!("{} {n}", t(lang, &format!("ui.token_state.{state}")))).collect();
    info.push(Line::from(vec![
        Span::styled(
            format!(
                "{} ",
                tf(lang, "ui.token.stock", &[("branch", &crate::ui::branch_label(app, &s.contract.branch))])
            ),
            theme::label(),
        ),
        Span::raw(stock.join("  ")),
    ]));
    frame.render_widget(
        Paragraph::new(info)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(Span::styled(format!(" {title} "), theme::title()))),
        top,
    );

    let label = |field: TokenField, key: &str| {
        let style = if s.focus == field { theme::focused() } else { theme::label() };
        Span::styled(format!("{} ", t(lang, key)), style)
    };
    let mut lines = Vec::new();
    if let Some(session) = &app.session
        && session.authorize(crate::domain::permission::Operation::CounterProcedure, Some(&s.contract.branch)).is_err()
    {
        lines.push(Line::from(Span::styled(
            tf(lang, "ui.token.counter_only", &[("branch", &crate::ui::branch_label(app, &s.contract.branch))]),
            theme::warn(),
        )));
    }
    lines.push(Line::from(label(TokenField::Op, "ui.token.op")));
    let ops: Vec<String> = TokenOp::ALL
        .iter()
        .enumerate()
        .map(|(i, op)| format!("{} {}", widgets::marker(i == s.op), t(lang, &format!("ui.token.op_{}", op.code()))))
        .collect();
    for chunk in ops.chunks(3) {
        lines.push(Line::from(format!("  {}", chunk.join("  "))));
    }
    lines.push(Line::from(Span::styled(t(lang, &format!("ui.token.explain_{}", s.op().code())), theme::label())));
    let cfg = &app.ledger.config().fees;
    let fee = match s.op() {
        TokenOp::Add => Some(cfg.token_add),
        TokenOp::Reissue => Some(cfg.token_reissue),
        _ => None,
    };
    if let Some(amount) = fee {
        lines.push(Line::from(tf(
            lang,
            "ui.token.fee",
            &[
                ("amount", &widgets::yen(amount)),
                ("tax", &widgets::yen(fees::tax(amount, cfg.tax_rate_percent))),
                ("total", &widgets::yen(fees::with_tax(amount, cfg.tax_rate_percent))),
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
        lines.push(widgets::input_line(t(lang, key), input, s.focus == field));
    }
    lines.push(Line::from(Span::styled(t(lang, "ui.token.how"), theme::label())));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::default().borders(Borders::ALL)),
        bottom,
    );
}
