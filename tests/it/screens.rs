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
    demo_app_in(Lang::Ja)
}

/// The app started in `lang` (`--lang`), on the demo ledger with the clock fixed.
fn demo_app_in(lang: Lang) -> App {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).single().expect("time");
    let mut ledger = Ledger::in_memory_demo(Config::default(), Box::new(ManualClock::new(at))).expect("ledger");
    madoguchi::service::demo::populate(&mut ledger, 0, 1, &mut |_, _| {}).expect("demo");
    App::new(ledger, lang)
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
    terminal
        .draw(|f| {
            madoguchi::ui::render(app, f);
        })
        .expect("draw");
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

/// Draws the app in both languages and both sizes, one snapshot each. The language is
/// switched as staff switch it, with F2 (which clears the message line).
fn snap_all(app: &mut App, name: &str) {
    for lang in [Lang::Ja, Lang::En] {
        if app.lang != lang {
            app.update(Action::ToggleLang, Instant::now());
        }
        snap(app, name);
    }
    if app.lang != Lang::Ja {
        app.update(Action::ToggleLang, Instant::now());
    }
}

/// Draws the app in its language at both sizes.
fn snap(app: &App, name: &str) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{}_{w}x{h}", app.lang.code()), draw(app, w, h));
    }
}

#[test]
fn login_screen() {
    let mut app = demo_app();
    type_text(&mut app, "clerk101");
    snap_all(&mut app, "login");
}

#[test]
fn login_refused_shows_why() {
    // The message is in the language the app runs in: each language is played through.
    for lang in [Lang::Ja, Lang::En] {
        let mut app = demo_app_in(lang);
        type_text(&mut app, "clerk101");
        app.update(Action::NextField, Instant::now());
        type_text(&mut app, "wrong-pass-9");
        app.update(Action::Enter, Instant::now());
        assert!(app.session.is_none());
        snap(&app, "login_refused");
    }
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
    app.update(Action::ToggleLang, Instant::now());
    let text = draw(&app, 20, 5);
    assert!(text.split_whitespace().collect::<Vec<_>>().join(" ").contains("too small"), "{text}");
    app.update(Action::ToggleLang, Instant::now());
    // And back to full size, the screen is whole again.
    assert!(draw(&app, 80, 24).contains("ホーム"));
}

fn open_customer(app: &mut App, query: &str) {
    app.update(Action::FindCustomer, Instant::now());
    type_text(app, query);
    app.update(Action::Enter, Instant::now());
}

#[test]
fn guidance_screen_for_a_master_without_admin() {
    let mut app = demo_app();
    log_in(&mut app, "tel900");
    open_customer(&mut app, "101-0000001");
    app.update(Action::Guidance, Instant::now());
    app.update(Action::Down, Instant::now());
    snap_all(&mut app, "guidance_forgot_password_phone");
    for _ in 0..4 {
        app.update(Action::Down, Instant::now());
    }
    snap_all(&mut app, "guidance_mistyped");
}

#[test]
fn unlock_screen_at_the_counter_and_by_phone() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    open_customer(&mut app, "101-0000001");
    app.update(Action::Unlock, Instant::now());
    for a in [Action::NextField, Action::NextField, Action::Down, Action::NextField, Action::Down, Action::NextField] {
        app.update(a, Instant::now());
    }
    type_text(&mut app, "本人来店");
    snap_all(&mut app, "unlock_counter");
    let mut app = demo_app();
    log_in(&mut app, "tel900");
    open_customer(&mut app, "minato-m");
    app.update(Action::Unlock, Instant::now());
    snap_all(&mut app, "unlock_phone");
}

/// Keys built at run time (procedures, situations, documents) exist in both catalogs.
#[test]
fn every_dynamic_catalog_key_exists() {
    use madoguchi::domain::credential::{LoginMethod, UserRole};
    use madoguchi::domain::guidance::{Channel, Facts, Situation, advise};
    use madoguchi::domain::lockout::LockScope;
    use madoguchi::i18n::t;
    let mut keys = Vec::new();
    for s in <Situation as strum::VariantArray>::VARIANTS {
        keys.push(format!("ui.situation.{}", s.code()));
        for asker in [UserRole::Master, UserRole::Admin, UserRole::General] {
            for admin in [false, true] {
                for lock in [None, Some(LockScope::Service), Some(LockScope::OtpServices)] {
                    for token in [false, true] {
                        for cert in [false, true] {
                            let f = Facts {
                                asker,
                                contract_has_admin: admin,
                                login_method: LoginMethod::Password,
                                has_certificate: cert,
                                open_lock: lock,
                                has_token: token,
                                channel: Channel::Phone,
                            };
                            let code = advise(*s, f).procedure.code();
                            keys.push(format!("ui.procedure.{code}.title"));
                            keys.push(format!("ui.procedure.{code}.say"));
                        }
                    }
                }
            }
        }
    }
    for d in <madoguchi::domain::unlock::IdDocument as strum::VariantArray>::VARIANTS {
        keys.push(format!("ui.document.{}", d.code()));
    }
    for k in <madoguchi::domain::credential::CredentialKind as strum::VariantArray>::VARIANTS {
        keys.push(format!("ui.credential.{}", k.code()));
    }
    for lang in [Lang::Ja, Lang::En] {
        for k in &keys {
            assert_ne!(t(lang, k), k.as_str(), "{} lacks {k}", lang.code());
        }
    }
}

#[test]
fn paper_form_and_approvals_screens() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    open_customer(&mut app, "101-0000001");
    app.update(Action::PaperForm, Instant::now());
    app.update(Action::NextField, Instant::now());
    type_text(&mut app, "12345678");
    for a in [Action::NextField, Action::NextField] {
        app.update(a, Instant::now());
    }
    type_text(&mut app, "山田 太郎");
    for a in [Action::NextField, Action::Down, Action::NextField, Action::Down, Action::NextField] {
        app.update(a, Instant::now());
    }
    type_text(&mut app, "New-pass123");
    snap_all(&mut app, "form_password");
    // The re-application variant lists the new master's fields.
    for _ in 0..6 {
        app.update(Action::PrevField, Instant::now());
    }
    for _ in 0..4 {
        app.update(Action::Down, Instant::now());
    }
    snap_all(&mut app, "form_reapply");

    let mut app = demo_app();
    log_in(&mut app, "super205");
    app.update(Action::Approvals, Instant::now());
    snap_all(&mut app, "approvals_token_reissue");
}

#[test]
fn hard_token_journal_expiring_and_audit_screens() {
    let mut app = demo_app();
    log_in(&mut app, "clerk205");
    // ひかりソフト: token lost, reissue waiting for approval.
    open_customer(&mut app, "hikari-m");
    app.update(Action::HardToken, Instant::now());
    snap_all(&mut app, "token_reissue_waiting");
    for _ in 0..12 {
        app.update(Action::Back, Instant::now());
    }
    app.update(Action::FeeJournal, Instant::now());
    snap_all(&mut app, "journal");
    app.update(Action::Back, Instant::now());

    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    app.update(Action::ExpiringTokens, Instant::now());
    snap_all(&mut app, "expiring");
    app.update(Action::Back, Instant::now());
    app.update(Action::AuditTrail, Instant::now());
    // From the first filter (where the focus opens) back past the rows to the tamper
    // check (Shift-Tab twice), and run it.
    app.update(Action::PrevField, Instant::now());
    app.update(Action::PrevField, Instant::now());
    app.update(Action::Enter, Instant::now());
    let text = draw(&app, 160, 48);
    assert!(
        text.contains("監査証跡は正常です（44 件、改ざんなし）"),
        "the check ran and found the chain intact: {text}"
    );
    snap_all(&mut app, "audit");
}

#[test]
fn the_receipt_dialog_offers_to_print() {
    let mut app = demo_app();
    log_in(&mut app, "clerk101");
    open_customer(&mut app, "yamada-g1");
    app.update(Action::HardToken, Instant::now());
    app.update(Action::Enter, Instant::now());
    app.update(Action::Yes, Instant::now());
    assert!(matches!(app.modal, Some(madoguchi::app::Modal::Receipt(_))));
    assert_eq!(app.place(), madoguchi::keys::Place::Receipt);
    snap_all(&mut app, "receipt");
}

/// The app of `clerk101` on Find customer, left idle until it locks.
fn idle_app(lang: Lang) -> (App, Instant) {
    let mut app = demo_app_in(lang);
    log_in(&mut app, "clerk101");
    app.update(Action::FindCustomer, Instant::now());
    type_text(&mut app, "ﾔﾏﾀﾞ");
    let later = Instant::now() + std::time::Duration::from_secs(5 * 60 + 1);
    app.tick(Instant::now());
    assert!(app.modal.is_none(), "not idle yet");
    app.tick(later);
    assert!(matches!(app.modal, Some(madoguchi::app::Modal::IdleLock(_))));
    (app, later)
}

#[test]
fn idle_lock_asks_for_the_password_and_keeps_the_screen() {
    let (app, _) = idle_app(Lang::En);
    snap(&app, "idle_lock");
    let (mut app, later) = idle_app(Lang::Ja);
    snap(&app, "idle_lock");
    // A wrong password keeps the lock; the right one lifts it; what was typed is still there.
    type_text(&mut app, "wrong-pass-9");
    app.update(Action::Enter, later);
    assert!(matches!(app.modal, Some(madoguchi::app::Modal::IdleLock(_))));
    type_text(&mut app, "demo-pass-1");
    app.update(Action::Enter, later);
    assert!(app.modal.is_none());
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("[ヤマダ"), "{screen}");
    assert!(screen.contains("株式会社山田製作所"), "{screen}");
}

#[test]
fn a_token_serial_finds_its_holder() {
    let mut app = demo_app();
    log_in(&mut app, "tel900");
    for q in ["HT10000005", "ht10000005", "HT1000000"] {
        app.update(Action::FindCustomer, Instant::now());
        type_text(&mut app, q);
        let screen = draw(&app, 80, 24);
        assert!(screen.contains("医療法人さくら会"), "{q}: {screen}");
        app.update(Action::Back, Instant::now());
    }
}

/// A demo ledger in a file whose last three audit entries were cut behind the program's
/// back, opened again: the app on it, refused.
fn refused_app(dir: &std::path::Path) -> App {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).single().expect("time");
    let db = dir.join("ledger.sqlite3");
    let mut cfg = Config::default();
    cfg.audit.anchor_file = Some(dir.join("anchor").join("ledger.anchor"));
    {
        let mut ledger = Ledger::create(&db, cfg.clone(), true).expect("create");
        ledger.set_clock(Box::new(ManualClock::new(at)));
        madoguchi::service::demo::populate(&mut ledger, 0, 1, &mut |_, _| {}).expect("demo");
    }
    let conn = rusqlite::Connection::open(&db).expect("open the file");
    conn.execute("DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit)", []).expect("cut the tail");
    drop(conn);
    let mut ledger = Ledger::open(&db, cfg).expect("open");
    ledger.set_clock(Box::new(ManualClock::new(at)));
    assert!(ledger.refusal().is_some());
    App::new(ledger, Lang::Ja)
}

#[test]
fn a_tampered_ledger_shows_only_its_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = refused_app(dir.path());
    let login = draw(&app, 80, 24);
    assert!(login.contains("台帳の改ざんを検出しました"), "{login}");
    log_in(&mut app, "clerk101");
    snap_all(&mut app, "refused");
    // Home's keys lead nowhere; the audit trail opens, and Esc comes back to the notice.
    for a in [Action::FindCustomer, Action::Approvals, Action::FeeJournal, Action::Back] {
        app.update(a, Instant::now());
        assert_eq!(app.place(), madoguchi::keys::Place::Refused, "{a:?}");
    }
    app.update(Action::AuditTrail, Instant::now());
    assert_eq!(app.place(), madoguchi::keys::Place::Audit);
    app.update(Action::Back, Instant::now());
    assert_eq!(app.place(), madoguchi::keys::Place::Refused);
}

/// Every key the hint bar names is on screen at 80×24 in both languages, however many
/// there are: the bar takes the lines it needs.
#[test]
fn the_whole_hint_bar_fits_at_80_columns() {
    let mut app = demo_app();
    let check = |app: &mut App| {
        for lang in [Lang::Ja, Lang::En] {
            if app.lang != lang {
                app.update(Action::ToggleLang, Instant::now());
            }
            let screen = draw(app, 80, 24);
            for b in madoguchi::keys::bindings(app.place(), true).filter(|b| app.may(b.action)) {
                let hint = madoguchi::i18n::t(lang, b.hint);
                assert!(
                    screen.contains(&format!("{} {hint}", b.label)),
                    "{:?} {lang:?}: {} {hint}\n{screen}",
                    app.place(),
                    b.label
                );
            }
        }
    };
    check(&mut app);
    log_in(&mut app, "clerk101");
    check(&mut app);
    open_customer(&mut app, "101-0000001");
    check(&mut app);
    for a in [Action::Unlock, Action::Back, Action::PaperForm, Action::Back, Action::HardToken] {
        app.update(a, Instant::now());
        check(&mut app);
    }
}

/// Text fits: Japanese wraps inside its box (the branch address in guidance does not run
/// over the border, no line starts with closing punctuation), a cut value ends in `…`, and
/// the result title counts the rows on screen.
#[test]
fn text_fits_its_place_at_80_columns() {
    let mut app = demo_app();
    log_in(&mut app, "tel900");
    open_customer(&mut app, "101-0000001");
    app.update(Action::Guidance, Instant::now());
    app.update(Action::Down, Instant::now());
    let screen = draw(&app, 80, 24);
    for line in screen.lines().skip(1).take(20) {
        assert!(line.ends_with('│') || line.ends_with('┐') || line.ends_with('┘'), "drawn over the border: {line:?}");
        let right = line.rsplit("││").next().unwrap_or(line);
        assert!(!right.starts_with(['。', '、', '）', '」']), "{line:?}");
    }
    // The contract's phone stays on screen: the box grows a line rather than cut it.
    let mut app = demo_app_in(Lang::En);
    log_in(&mut app, "clerk101");
    open_customer(&mut app, "101-0000001");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("03-"), "the phone: {screen}");
    // The audit trail cuts long subjects with an ellipsis, never mid-name silently.
    let mut app = demo_app();
    log_in(&mut app, "super101");
    app.update(Action::AuditTrail, Instant::now());
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("合同会社ひかりソフト…"), "{screen}");
    // Find: a page of hits in a box with room for fewer says which rows are shown.
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).single().expect("time");
    let mut ledger = Ledger::in_memory_demo(Config::default(), Box::new(ManualClock::new(at))).expect("ledger");
    madoguchi::service::demo::populate(&mut ledger, 300, 1, &mut |_, _| {}).expect("demo");
    let mut app = App::new(ledger, Lang::Ja);
    log_in(&mut app, "clerk101");
    app.update(Action::FindCustomer, Instant::now());
    type_text(&mut app, "101");
    let screen = draw(&app, 80, 24);
    let title =
        screen.lines().find(|l| l.contains("件目")).unwrap_or_else(|| panic!("a result title:\n{screen}")).to_string();
    let rows = screen.lines().filter(|l| l.contains("101-") || l.contains("102-") || l.contains("205-")).count();
    assert!(title.contains(&format!("1〜{rows} 件目")), "{title} for {rows} rows\n{screen}");
}

/// A click on a field's label focuses that field, in both languages; a click on a row
/// picks it.
#[test]
fn a_click_on_a_label_focuses_its_field() {
    let hits = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let mut hits = madoguchi::ui::Hits::default();
        terminal
            .draw(|f| {
                hits = madoguchi::ui::render(app, f);
            })
            .expect("draw");
        hits
    };
    for lang in [Lang::Ja, Lang::En] {
        let mut app = demo_app_in(lang);
        log_in(&mut app, "clerk101");
        open_customer(&mut app, "101-0000001");
        app.update(Action::Unlock, Instant::now());
        assert_eq!(app.field(), None, "the lock list has the focus");
        let h = hits(&app);
        let (rect, _) = h.fields.iter().find(|(_, k)| *k == "ui.unlock.reason").expect("the reason's label is drawn");
        let click = h.action_at(rect.x + 1, rect.y).expect("a click there means something");
        app.update(click, Instant::now());
        type_text(&mut app, "本人来店");
        let madoguchi::app::Screen::Unlock(u) = app.screen() else { panic!("unlock") };
        assert_eq!(u.reason.value(), "本人来店", "{lang:?}");
        // The audit trail: a click on the staff filter, then on a row.
        app.update(Action::GoHome, Instant::now());
        if app.place() == madoguchi::keys::Place::Confirm {
            app.update(Action::Yes, Instant::now());
        }
        app.update(Action::AuditTrail, Instant::now());
        let h = hits(&app);
        let (rect, _) = h.fields.iter().find(|(_, k)| *k == "ui.audit.staff").expect("the staff filter");
        app.update(h.action_at(rect.x, rect.y).expect("click"), Instant::now());
        type_text(&mut app, "tel900");
        let madoguchi::app::Screen::Audit(a) = app.screen() else { panic!("audit") };
        assert_eq!((a.staff.value(), a.customer.value()), ("tel900", ""));
        let rows = h.rows.expect("the trail's rows");
        app.update(h.action_at(rows.area.x + 2, rows.area.y + 2).expect("a row"), Instant::now());
        let madoguchi::app::Screen::Audit(a) = app.screen() else { panic!("audit") };
        assert_eq!(a.selected, 2);
    }
}

/// The help lists every key of the screen at 80×24, in two columns when one does not fit.
#[test]
fn help_shows_every_key_at_80_by_24() {
    for lang in [Lang::Ja, Lang::En] {
        let mut app = demo_app_in(lang);
        log_in(&mut app, "clerk101");
        open_customer(&mut app, "101-0000001");
        app.update(Action::Help, Instant::now());
        let screen = draw(&app, 80, 24);
        // Only the popup: the hint bar below shows some of the same keys.
        let title = madoguchi::i18n::t(lang, "ui.help.title");
        let popup: String = screen
            .lines()
            .skip_while(|l| !l.contains(&format!("┌ {title} ")))
            .take_while(|l| !l.contains('└'))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!popup.is_empty(), "{screen}");
        let place = madoguchi::keys::Place::Customer;
        for b in madoguchi::keys::bindings(place, false).filter(|b| app.may(b.action)) {
            let hint = madoguchi::i18n::t(lang, b.hint);
            let shown = popup.contains(&format!("{} {}", b.label, hint.chars().take(2).collect::<String>()));
            assert!(shown, "{lang:?}: {} {hint} missing\n{screen}", b.label);
        }
    }
}
