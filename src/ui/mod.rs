//! Drawing: `render` reads the app state and draws a frame. It never writes state and
//! never touches the ledger.

mod confirm;
pub mod fit;
pub mod screens;
pub mod theme;
pub mod trail;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Level, Modal, Screen};
use crate::domain::fees::Receipt;
use crate::format;
use crate::i18n::{t, tf};
use crate::keys;

/// The smallest terminal the screens are laid out for; below it a notice is shown.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Where the rows of the screen's list are, as drawn: a click there picks a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsHit {
    /// The rows below the header, inside the borders.
    pub area: Rect,
    /// The index of the first row shown.
    pub offset: usize,
    /// How many rows there are.
    pub rows: usize,
}

impl RowsHit {
    /// The rows of a bordered table with a header drawn in `table_area`.
    pub fn of_table(table_area: Rect, offset: usize, rows: usize) -> Self {
        let area = Rect {
            x: table_area.x.saturating_add(1),
            y: table_area.y.saturating_add(2),
            width: table_area.width.saturating_sub(2),
            height: table_area.height.saturating_sub(3),
        };
        Self { area, offset, rows }
    }

    /// The row at a terminal cell, if one is there.
    pub fn pick(&self, column: u16, row: u16) -> Option<usize> {
        let inside = column >= self.area.x
            && column < self.area.x + self.area.width
            && row >= self.area.y
            && row < self.area.y + self.area.height;
        let i = self.offset + usize::from(row.saturating_sub(self.area.y));
        (inside && i < self.rows).then_some(i)
    }
}

/// What a click can reach on the frame just drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    /// The rows of the screen's list.
    pub rows: Option<RowsHit>,
    /// The labels of its fields, by catalog key.
    pub fields: Vec<(Rect, &'static str)>,
    /// How many entries of a scrolled list fit (the customer's history): a page.
    pub page: Option<usize>,
}

impl Hits {
    /// What a click at a terminal cell means.
    pub fn action_at(&self, column: u16, row: u16) -> Option<crate::action::Action> {
        let inside = |r: &Rect| column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height;
        if let Some((_, key)) = self.fields.iter().find(|(r, _)| inside(r)) {
            return Some(crate::action::Action::PickField(key));
        }
        self.rows.and_then(|r| r.pick(column, row)).map(crate::action::Action::PickRow)
    }
}

/// Draws the app; returns what a click can reach.
pub fn render(app: &App, frame: &mut Frame<'_>) -> Hits {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Too small for the screens: say so, readably, instead of drawing a mangled one.
        let text = format!("{} ({}×{})", t(app.lang, "ui.too_small"), MIN_WIDTH, MIN_HEIGHT);
        widgets::prose(frame, area, vec![Line::from(text)], None);
        return Hits::default();
    }
    // The hints take as many lines as they need (two or three at 80 columns, Japanese),
    // each key kept with its label.
    let hint_lines = hint_lines(app, area.width as usize);
    let hint_rows = hint_lines.len().max(1) as u16;
    // A message takes the lines it needs (a saved file's whole path), up to three.
    let status_text = status_lines(app, area.width as usize);
    let status_rows = status_text.len().clamp(1, 3) as u16;
    let [top, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(status_rows),
        Constraint::Length(hint_rows),
    ])
    .areas(area);
    top_bar(app, frame, top);
    // A locked terminal shows no customer data to whoever walks past; the state beneath is
    // kept and comes back once the password is given.
    let locked = matches!(app.modal, Some(Modal::IdleLock(_)));
    let mut rows = None;
    let mut page = None;
    if !locked {
        rows = match app.screen() {
            Screen::Login(s) => {
                screens::login::render(app, s, frame, body);
                None
            }
            Screen::Home(s) => {
                screens::home::render(app, &s.stats, frame, body);
                None
            }
            Screen::Find(s) => screens::find::render(app, s, frame, body),
            Screen::Customer(s) => {
                let (r, p) = screens::customer::render(app, s, frame, body);
                page = Some(p);
                r
            }
            Screen::Guidance(s) => {
                screens::guidance::render(app, s, frame, body);
                None
            }
            Screen::Unlock(s) => {
                screens::unlock::render(app, s, frame, body);
                None
            }
            Screen::Form(s) => {
                screens::form::render(app, s, frame, body);
                None
            }
            Screen::Approvals(s) => screens::approvals::render(app, s, frame, body),
            Screen::Token(s) => {
                screens::token::render(app, s, frame, body);
                None
            }
            Screen::Journal(s) => screens::journal::render(app, s, frame, body),
            Screen::Expiring(s) => screens::expiring::render(app, s, frame, body),
            Screen::Audit(s) => screens::audit::render(app, s, frame, body),
            Screen::Refused(s) => {
                screens::refused::render(app, s, frame, body);
                None
            }
        };
    }
    frame.render_widget(Paragraph::new(status_text), status);
    frame.render_widget(Paragraph::new(hint_lines), hints);
    match &app.modal {
        Some(Modal::Help) => help(app, frame, body),
        Some(Modal::Confirm(q)) => {
            widgets::popup(frame, body, t(app.lang, "ui.confirm.title"), confirm::lines(app, *q));
        }
        Some(Modal::IdleLock(input)) => {
            let who = app.session.as_ref().map(|s| s.id.as_str()).unwrap_or_default();
            widgets::popup(
                frame,
                body,
                t(app.lang, "ui.idle.title"),
                vec![
                    Line::from(t(app.lang, "ui.idle.body")),
                    Line::from(""),
                    Line::from(format!("{} {who}", t(app.lang, "ui.login.staff_id"))),
                    widgets::input_line(t(app.lang, "ui.login.password"), input, true),
                ],
            );
        }
        Some(Modal::Receipt(r)) => receipt(app, r, frame, body),
        Some(Modal::Withdraw(w)) => withdraw(app, w, frame, body),
        None => {}
    }
    // Under a popup, a click picks nothing.
    if app.modal.is_some() {
        return Hits::default();
    }
    let labels = app.screen().state().labels();
    Hits { rows, fields: widgets::label_hits(frame.buffer_mut(), body, app.lang, &labels), page }
}

/// The popup that withdraws a pending request: which one, and why.
fn withdraw(app: &App, w: &crate::app::WithdrawState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let mut lines = vec![Line::from(t(lang, "ui.withdraw.which"))];
    for (id, on) in w.chosen.options() {
        let Some(r) = w.requests.iter().find(|r| r.id == id) else { continue };
        lines.push(Line::from(format!(
            "  {} {}（{}　{}）",
            widgets::marker(on),
            widgets::request_name(lang, r),
            crate::text::inert(&r.requested_by),
            format::time(r.requested_at)
        )));
    }
    lines.push(widgets::input_line(t(lang, "ui.withdraw.reason"), &w.reason, true));
    lines.push(Line::from(""));
    lines.push(Line::from(t(lang, "ui.withdraw.how")));
    let title = tf(lang, "ui.withdraw.title", &[("login", &crate::text::inert(&w.login_id))]);
    widgets::popup(frame, area, &title, lines);
}

/// The receipt handed to the customer (領収書), with the bank's invoice number.
fn receipt(app: &App, r: &Receipt, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let y = format::yen;
    let mut lines = vec![
        Line::from(format!("{} {}", t(lang, "ui.receipt.no"), r.receipt_no)),
        Line::from(app.branch_label(&r.branch)),
        Line::from(format::time(r.at)),
        Line::from(""),
        Line::from(t(lang, &format!("ui.fee_kind.{}", r.kind.code()))),
    ];
    if let Some(serial) = &r.serial {
        lines.push(Line::from(format!("{} {}", t(lang, "ui.token.serial"), crate::text::inert(serial))));
    }
    lines.extend([
        Line::from(tf(lang, "ui.receipt.fee", &[("yen", &y(r.amount))])),
        Line::from(tf(lang, "ui.receipt.tax", &[("yen", &y(r.tax))])),
        Line::from(Span::styled(tf(lang, "ui.receipt.total", &[("yen", &y(r.total()))]), theme::title())),
        Line::from(format!("{} {}", t(lang, "ui.journal.invoice"), r.invoice_number)),
        Line::from(""),
        Line::from(t(lang, "ui.receipt.close")),
    ]);
    widgets::popup(frame, area, t(lang, "ui.receipt.title"), lines);
}

fn top_bar(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let mut spans = vec![Span::styled(format!(" {} ", t(app.lang, "ui.app_name")), theme::top_bar())];
    if app.info.demo {
        spans.push(Span::styled(" DEMO ", theme::demo_badge()));
    }
    if let Some(s) = &app.session {
        spans.push(Span::raw(format!(" {} {} │ {}", s.id, crate::text::inert(&s.name), app.branch_label(&s.branch))));
    }
    spans.push(Span::raw(format!(" │ {}", format::date(format::business_date(app.now)))));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme::top_bar()), area);
}

/// The message line, wrapped to `width` (a long path breaks where UAX #14 allows, or
/// anywhere when it has no break).
fn status_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some((level, text)) = &app.status else { return Vec::new() };
    let style = match level {
        Level::Info => theme::info(),
        Level::Error => theme::error(),
    };
    fit::wrap(&Line::from(Span::styled(format!(" {text}"), style)), width)
}

/// The hint bar, from the keymap table, packed into lines of `width` columns.
fn hint_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for b in keys::bindings(app.place(), true).filter(|b| app.may(b.action)) {
        let key = Span::styled(b.label, theme::hint_key());
        let text = Span::styled(format!(" {}  ", t(app.lang, b.hint)), theme::hint_text());
        let w = key.width() + text.width();
        if used > 0 && used + w > width + 2 {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        used += w;
        current.extend([key, text]);
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

fn help(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let place = app.screen().state().place();
    let intro = Line::from(t(app.lang, &format!("ui.help.{}", screens::help_key(place))));
    let inner = usize::from(area.width.saturating_sub(4));
    let keys: Vec<(String, &str)> = keys::bindings(place, false)
        .filter(|b| app.may(b.action))
        .map(|b| (format!("{:>9} ", b.label), t(app.lang, b.hint)))
        .collect();
    // One key a line when they fit under the text; else two a line, so that none is cut
    // off at 80×24.
    let room = usize::from(area.height.saturating_sub(2));
    let text_rows = fit::wrap(&intro, inner).len() + 3;
    let per_line = if text_rows + keys.len() <= room { 1 } else { 2 };
    let column = inner / per_line;
    let mut lines = vec![intro, Line::from("")];
    for chunk in keys.chunks(per_line) {
        let mut spans = Vec::new();
        for (label, hint) in chunk {
            spans.push(Span::styled(label.clone(), theme::focused()));
            if per_line == 1 {
                spans.push(Span::raw(hint.to_string()));
            } else {
                let room_for_hint = column.saturating_sub(unicode_width::UnicodeWidthStr::width(label.as_str()) + 1);
                spans.push(Span::raw(widgets::pad(&fit::ellipsize(hint, room_for_hint), room_for_hint + 1)));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(t(app.lang, "ui.help.close")));
    widgets::popup(frame, area, t(app.lang, "ui.help.title"), lines);
}
