//! Snapshot tests of every screen, in Japanese and English, at 80×24 and 160×48, drawn
//! from a demo ledger in memory with the clock fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::TimeZone;
use madoguchi::action::Action;
use madoguchi::app::App;
use madoguchi::config::Config;
use madoguchi::i18n::Lang;
use madoguchi::service::{Ledger, ManualClock};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn demo_app() -> App {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).single().expect("time");
    let mut ledger = Ledger::in_memory_demo(Config::default(), Box::new(ManualClock::new(at))).expect("ledger");
    madoguchi::demo::populate(&mut ledger, 0, 1, &mut |_, _| {}).expect("demo");
    App::new(ledger, Lang::Ja)
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(Action::Input(c), Instant::now());
    }
}

fn log_in(app: &mut App, id: &str) {
    type_text(app, id);
    app.update(Action::NextField, Instant::now());
    type_text(app, "demo-pass-1");
    app.update(Action::Enter, Instant::now());
    assert!(app.session.is_some(), "{id} logged in");
}

fn draw(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| madoguchi::ui::render(app, f)).expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut skip = 0;
        for x in 0..w {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

/// Draws the app in both languages and both sizes, one snapshot each.
fn snap_all(app: &mut App, name: &str) {
    for lang in [Lang::Ja, Lang::En] {
        app.lang = lang;
        for (w, h) in SIZES {
            insta::assert_snapshot!(format!("{name}_{}_{w}x{h}", lang.code()), draw(app, w, h));
        }
    }
    app.lang = Lang::Ja;
}

#[test]
fn login_screen() {
    let mut app = demo_app();
    type_text(&mut app, "clerk101");
    snap_all(&mut app, "login");
}

#[test]
fn login_refused_shows_why() {
    let mut app = demo_app();
    type_text(&mut app, "clerk101");
    app.update(Action::NextField, Instant::now());
    type_text(&mut app, "wrong-pass-9");
    app.update(Action::Enter, Instant::now());
    assert!(app.session.is_none());
    snap_all(&mut app, "login_refused");
}

#[test]
fn home_screen() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    snap_all(&mut app, "home");
}

#[test]
fn find_screen_with_results() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    app.update(Action::FindCustomer, Instant::now());
    type_text(&mut app, "ｶ)ﾔﾏﾀﾞ");
    snap_all(&mut app, "find");
}

#[test]
fn customer_screen_shows_the_lock() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    app.update(Action::FindCustomer, Instant::now());
    type_text(&mut app, "101-0000001");
    app.update(Action::Enter, Instant::now());
    snap_all(&mut app, "customer");
    let text = draw(&app, 80, 24);
    assert!(text.contains("株式会社山田製作所") && text.contains("サービス停止"), "{text}");
}

#[test]
fn customer_screen_with_token_and_pending_reissue() {
    let mut app = demo_app();
    log_in(&mut app, "clerk205");
    app.update(Action::FindCustomer, Instant::now());
    type_text(&mut app, "hikari-m");
    app.update(Action::Enter, Instant::now());
    snap_all(&mut app, "customer_token_lost");
}

#[test]
fn help_and_confirm_overlays() {
    let mut app = demo_app();
    log_in(&mut app, "super101");
    app.update(Action::Help, Instant::now());
    snap_all(&mut app, "help_home");
    app.update(Action::Back, Instant::now());
    app.update(Action::Quit, Instant::now());
    snap_all(&mut app, "confirm_logout");
}

#[test]
fn tiny_terminal_stays_readable() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    let text = draw(&app, 20, 5);
    assert!(text.contains("画面が小さすぎ"), "{text}");
    app.lang = Lang::En;
    let text = draw(&app, 20, 5);
    assert!(text.split_whitespace().collect::<Vec<_>>().join(" ").contains("too small"), "{text}");
    app.lang = Lang::Ja;
    // And back to full size, the screen is whole again.
    assert!(draw(&app, 80, 24).contains("ホーム"));
}
