//! The terminal: set-up, the event loop, and restoring the terminal on every exit path.
//! `ratatui::init` restores it when a panic unwinds too (see also `cli::install_hooks`).

use std::time::{Duration, Instant};

use crossterm::event::{self, Event, MouseButton, MouseEventKind};

use crate::app::App;
use crate::i18n::Lang;
use crate::service::Ledger;

/// Runs the app on `ledger` until the user quits.
pub fn run(ledger: Ledger, lang: Lang) -> std::io::Result<()> {
    let mouse = ledger.config().ui.mouse;
    let mut app = App::new(ledger, lang);
    let mut terminal = ratatui::init();
    if mouse {
        let _on = crossterm::execute!(std::io::stdout(), event::EnableMouseCapture);
    }
    let result = event_loop(&mut terminal, &mut app);
    // The panic hook turns it off too (`cli::restore_terminal`).
    let _off = crossterm::execute!(std::io::stdout(), event::DisableMouseCapture);
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> std::io::Result<()> {
    let tick = Duration::from_millis(250);
    while !app.quit {
        let mut hits = crate::ui::Hits::default();
        terminal.draw(|f| hits = crate::ui::render(app, f))?;
        if let Some(page) = hits.page {
            app.shown_page(page);
        }
        // The test of the panic hook: a debug build panics after its first frame when asked,
        // so a test can prove the terminal comes back usable. Release builds have no such path.
        #[cfg(debug_assertions)]
        if std::env::var_os("MADOGUCHI_TEST_PANIC").is_some() {
            panic!("MADOGUCHI_TEST_PANIC was set");
        }
        if event::poll(tick)? {
            let action = match event::read()? {
                Event::Key(key) => crate::keys::action_for(key, app.place(), app.field()),
                // The wheel moves as ↑↓ do; a click picks the row or the field under it.
                Event::Mouse(m) => match m.kind {
                    MouseEventKind::ScrollDown => Some(crate::action::Action::Down),
                    MouseEventKind::ScrollUp => Some(crate::action::Action::Up),
                    MouseEventKind::Down(MouseButton::Left) => hits.action_at(m.column, m.row),
                    _ => None,
                },
                _ => None,
            };
            if let Some(action) = action {
                app.update(action, Instant::now());
            }
        }
        // A resize needs nothing: the next draw uses the new size.
        app.tick(Instant::now());
    }
    Ok(())
}
