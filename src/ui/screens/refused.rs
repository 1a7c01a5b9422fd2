//! The blocking notice of a ledger that failed its integrity check.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::app::{App, RefusedState};
use crate::i18n::t;
use crate::ui::{theme, widgets};

pub fn render(app: &App, s: &RefusedState, frame: &mut Frame<'_>, area: Rect) {
    let lang = app.lang;
    let lines = vec![
        Line::from(Span::styled(s.problem_in(lang).to_string(), theme::error())),
        Line::from(""),
        Line::from(t(lang, "ui.refused.body")),
        Line::from(""),
        Line::from(vec![
            Span::styled(" l ", theme::hint_key()),
            Span::raw(format!(" {}", t(lang, "ui.key.audit"))),
            Span::raw("    "),
            Span::styled(" Ctrl-Q ", theme::hint_key()),
            Span::raw(format!(" {}", t(lang, "ui.refused.logout"))),
        ]),
    ];
    let block = widgets::titled(t(lang, "ui.refused.title"), true).border_style(theme::error());
    widgets::prose(frame, area, lines, Some(block));
}
