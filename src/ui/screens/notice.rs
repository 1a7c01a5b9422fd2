//! A workflow that is not built yet says so, instead of pretending.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::app::App;
use crate::i18n::t;
use crate::ui::widgets;

pub fn render(app: &App, title: &str, frame: &mut Frame<'_>, area: Rect) {
    widgets::popup(
        frame,
        area,
        t(app.lang, title),
        vec![Line::from(t(app.lang, "ui.notice.not_yet")), Line::from(""), Line::from(t(app.lang, "ui.notice.back"))],
    );
}
