//! The terminal: set-up, the event loop, and restoring the terminal on every exit path
//! (`ratatui::init` also restores it when a panic unwinds).

use std::time::{Duration, Instant};

use crossterm::event::{self, Event};

use crate::app::App;
use crate::cli::{Context, Failure, Outcome};
use crate::service::Ledger;
use crate::service::ServiceError;
use crate::store::StoreError;

/// Opens the ledger (creating the demo ledger at the default path on first start) and
/// runs the app until the user quits.
pub fn run(ctx: &Context) -> Result<Outcome, Failure> {
    let ledger = open_or_create(ctx)?;
    let mut app = App::new(ledger, ctx.lang);
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &mut app);
    ratatui::restore();
    result.map(|()| Outcome::Done).map_err(|e| Failure(e.to_string()))
}

fn open_or_create(ctx: &Context) -> Result<Ledger, Failure> {
    match Ledger::open(&ctx.db, ctx.cfg.clone()) {
        Err(ServiceError::Store(StoreError::Missing)) if ctx.default_db => {
            // In a child process, so that the dozens of argon2 hashes of the demo scenarios
            // do not leave their memory behind in the app that runs all day.
            let exe = std::env::current_exe().map_err(|e| Failure(e.to_string()))?;
            let mut cmd = std::process::Command::new(exe);
            cmd.arg("--db").arg(&ctx.db).args(["--lang", ctx.lang.code()]);
            if let Some(config) = &ctx.config_path {
                cmd.arg("--config").arg(config);
            }
            let status = cmd.args(["demo", "--customers", "2000"]).status().map_err(|e| Failure(e.to_string()))?;
            if !status.success() {
                return Err(Failure(crate::i18n::t(ctx.lang, "err.demo_failed").into()));
            }
            ctx.open()
        }
        other => other.map_err(|e| ctx.fail(e)),
    }
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> std::io::Result<()> {
    let tick = Duration::from_millis(250);
    while !app.quit {
        terminal.draw(|f| crate::ui::render(app, f))?;
        if event::poll(tick)? {
            match event::read()? {
                Event::Key(key) => {
                    if let Some(action) = crate::keys::action_for(key, app.place(), app.field()) {
                        app.update(action, Instant::now());
                    }
                }
                // The next draw uses the new size.
                Event::Resize(..) => {}
                _ => {}
            }
        }
        app.tick(Instant::now());
    }
    Ok(())
}
