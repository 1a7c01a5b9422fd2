//! Screen 10, Fee journal (日計): a branch's business day with reversals and totals.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, TableState};

use crate::app::{App, JournalFocus, JournalState, Remedy};
use crate::format;
use crate::i18n::{t, tf};
use crate::text::inert;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &JournalState, frame: &mut Frame<'_>, area: Rect) -> Option<crate::ui::RowsHit> {
    let lang = app.lang;
    let Some(j) = &s.journal else {
        frame.render_widget(Paragraph::new(widgets::input_line(t(lang, "ui.journal.date"), &s.date, true)), area);
        return None;
    };
    let totals_h = j.totals.by_kind.len() as u16 + 4;
    let [head, table_area, totals_area, form_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(totals_h),
        Constraint::Length(3),
    ])
    .areas(area);
    let branch = j.branch.as_deref().map(|b| app.branch_label(b)).unwrap_or_default();
    frame.render_widget(
        Paragraph::new(Line::from(
            [
                widgets::input_line(t(lang, "ui.journal.date"), &s.date, s.focus.is(JournalFocus::Date)).spans,
                vec![Span::raw(format!("  {branch}  {} {}", t(lang, "ui.journal.invoice"), j.invoice_number))],
            ]
            .concat(),
        )),
        head,
    );
    let header = [
        "ui.journal.col_receipt",
        "ui.journal.col_time",
        "ui.journal.col_kind",
        "ui.col.company",
        "ui.journal.col_amount",
        "ui.journal.col_tax",
        "ui.journal.col_total",
        "ui.journal.col_note",
    ];
    let rows: Vec<widgets::FitRow> = j
        .entries
        .iter()
        .map(|e| {
            let note = match (e.reverses_receipt, e.reversed) {
                (Some(no), _) => tf(lang, "ui.journal.reverses", &[("no", &no.to_string())]),
                (None, true) => t(lang, "ui.journal.reversed").to_string(),
                (None, false) if e.reversal_pending => t(lang, "ui.journal.reversal_pending").to_string(),
                _ => e.serial.as_deref().map(|s| inert(s).into_owned()).unwrap_or_default(),
            };
            widgets::plain([
                format!("{:>5}", e.receipt_no),
                format::clock(e.at),
                t(lang, &format!("ui.fee_kind.{}", e.kind.code())).to_string(),
                e.company.as_deref().map(|c| inert(c).into_owned()).unwrap_or_default(),
                format!("{:>8}", format::yen(e.amount)),
                format!("{:>6}", format::yen(e.tax)),
                format!("{:>8}", format::yen(e.amount + e.tax)),
                note,
            ])
        })
        .collect();
    let shrink = [false, false, false, true, false, false, false, true];
    let table = widgets::fitted_table(lang, &header, rows, &shrink, table_area.width.saturating_sub(2))
        .row_highlight_style(theme::selected())
        .block(widgets::titled(
            &tf(lang, "ui.journal.title", &[("n", &j.entries.len().to_string())]),
            s.focus.is(JournalFocus::Rows),
        ));
    let mut ts = TableState::default().with_selected((!j.entries.is_empty()).then_some(s.selected));
    frame.render_stateful_widget(table, table_area, &mut ts);
    let rows = Some(crate::ui::RowsHit::of_table(table_area, ts.offset(), j.entries.len()));

    let mut totals: Vec<Line<'_>> = j
        .totals
        .by_kind
        .iter()
        .map(|(kind, k)| {
            Line::from(format!(
                "{}  {} {}  {} {}  {} {}  {} {}",
                widgets::pad(t(lang, &format!("ui.fee_kind.{}", kind.code())), 12),
                t(lang, "ui.journal.entries"),
                k.entries,
                t(lang, "ui.journal.col_amount"),
                format::yen(k.amount),
                t(lang, "ui.journal.col_tax"),
                format::yen(k.tax),
                t(lang, "ui.journal.col_total"),
                format::yen(k.total)
            ))
        })
        .collect();
    totals.push(Line::from(Span::styled(
        tf(
            lang,
            "ui.journal.grand",
            &[
                ("n", &j.totals.entries.to_string()),
                ("amount", &format::yen(j.totals.amount)),
                ("tax", &format::yen(j.totals.tax)),
                ("total", &format::yen(j.totals.total)),
            ],
        ),
        theme::title(),
    )));
    totals.push(Line::from(tf(lang, "ui.journal.chain_head", &[("head", &j.chain_head)])));
    frame
        .render_widget(Paragraph::new(totals).block(widgets::titled(t(lang, "ui.journal.totals"), false)), totals_area);
    let remedies: Vec<String> = s
        .remedy
        .options()
        .map(|(r, on)| {
            let key = match r {
                Remedy::Reversal => "ui.fee_kind.reversal",
                Remedy::Waiver => "ui.fee_kind.waiver",
            };
            format!("{} {}", widgets::marker(on), t(lang, key))
        })
        .collect();
    let form = vec![
        Line::from(vec![
            widgets::label(t(lang, "ui.journal.request"), s.focus.is(JournalFocus::Kind)),
            Span::raw(remedies.join("  ")),
        ]),
        widgets::input_line(t(lang, "ui.journal.reason"), &s.reason, s.focus.is(JournalFocus::Reason)),
        Line::from(Span::styled(t(lang, "ui.journal.how"), theme::label())),
    ];
    widgets::prose(frame, form_area, form, None);
    rows
}
