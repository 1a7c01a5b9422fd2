//! `App::update` without a terminal: navigation and form state on a demo ledger in memory.

#![allow(clippy::expect_used)]

use std::time::Instant;

use chrono::{TimeZone, Utc};

use crate::domain::credential::CredentialKind;

use super::*;
use crate::config::Config;
use crate::service::ManualClock;

fn app() -> App {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).single().expect("date"));
    let mut ledger = Ledger::in_memory_demo(Config::default(), Box::new(clock)).expect("ledger");
    crate::service::demo::populate(&mut ledger, 0, 1, &mut |_, _| {}).expect("demo");
    App::new(ledger, Lang::Ja)
}

fn keys(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for a in actions {
        app.update(a, Instant::now());
    }
}

fn typed(app: &mut App, text: &str) {
    keys(app, text.chars().map(Action::Input));
}

fn log_in(app: &mut App, id: &str) {
    typed(app, id);
    keys(app, [Action::NextField]);
    typed(app, crate::service::demo::STAFF_PASSWORD);
    keys(app, [Action::Enter]);
    assert_eq!(app.place(), Place::Home, "{:?}", app.status);
}

#[test]
fn login_goes_home_and_a_wrong_password_stays_with_a_message() {
    let mut a = app();
    typed(&mut a, "clerk101");
    keys(&mut a, [Action::Enter]);
    // Enter on the ID with no password moves to the password.
    assert_eq!(a.field(), Some(Field::Secret));
    typed(&mut a, "wrong-pass-9");
    keys(&mut a, [Action::Enter]);
    assert_eq!(a.place(), Place::Login);
    assert!(matches!(a.status, Some((Level::Error, _))));
    typed(&mut a, crate::service::demo::STAFF_PASSWORD);
    keys(&mut a, [Action::Enter]);
    assert_eq!(a.place(), Place::Home);
    assert_eq!(a.session.as_ref().map(|s| s.id.as_str()), Some("clerk101"));
}

#[test]
fn find_a_customer_open_it_and_come_back() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    keys(&mut a, [Action::FindCustomer]);
    assert_eq!((a.place(), a.field()), (Place::Find, Some(Field::Plain)));
    typed(&mut a, "yamada-g1");
    keys(&mut a, [Action::Enter]);
    let Screen::Customer(c) = a.screen() else { panic!("customer screen, got {:?}", a.place()) };
    assert_eq!(c.view.contract.cif, "1010000001");
    // Found by login ID: that user is selected.
    assert_eq!(c.view.users[c.selected_user].user.login_id, "yamada-g1");
    keys(&mut a, [Action::Back, Action::Back]);
    assert_eq!(a.place(), Place::Home);
    // Home is the bottom: Esc there stays.
    keys(&mut a, [Action::Back]);
    assert_eq!((a.place(), a.depth()), (Place::Home, 1));
}

#[test]
fn a_typed_form_asks_before_it_is_left_and_keeps_its_fields_typed() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    keys(&mut a, [Action::FindCustomer]);
    typed(&mut a, "yamada-m");
    keys(&mut a, [Action::Enter, Action::PaperForm]);
    assert_eq!(a.place(), Place::Form);
    let Screen::Form(f) = a.screen() else { panic!("form") };
    // The master of a contract without an admin: the password form is the first that applies.
    assert_eq!(f.request(), crate::domain::forms::FormRequest::PasswordReRegistration(CredentialKind::LoginPassword));
    keys(&mut a, [Action::NextField]);
    typed(&mut a, "1234x5678");
    let Screen::Form(f) = a.screen() else { panic!("form") };
    // A form number is eight characters at most; what was typed stays typed.
    assert_eq!(f.form_no.value(), "1234x567");
    keys(&mut a, [Action::Back]);
    assert_eq!(a.place(), Place::Confirm);
    keys(&mut a, [Action::No]);
    assert_eq!(a.place(), Place::Form);
    keys(&mut a, [Action::Back, Action::Yes]);
    assert_eq!(a.place(), Place::Customer);
}

#[test]
fn the_identity_document_is_never_chosen_for_the_clerk() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    keys(&mut a, [Action::FindCustomer]);
    typed(&mut a, "yamada-m");
    keys(&mut a, [Action::Enter, Action::Unlock]);
    let Screen::Unlock(u) = a.screen() else { panic!("unlock, got {:?} {:?}", a.place(), a.status) };
    assert_eq!(u.document.get(), None);
    assert!(!u.dirty());
    // Enter without the checks: refused with a message, nothing asked.
    keys(&mut a, [Action::Enter]);
    assert_eq!(a.place(), Place::Unlock);
    assert!(matches!(a.status, Some((Level::Error, _))));
    // Lock → cause → document: ↓ picks the first document.
    keys(&mut a, [Action::NextField, Action::NextField, Action::Down]);
    let Screen::Unlock(u) = a.screen() else { panic!("unlock") };
    assert_eq!(u.document.get(), Some(crate::domain::unlock::IdDocument::DriversLicense));
    assert!(u.dirty());
}

#[test]
fn the_telephone_center_cannot_open_a_counter_form() {
    let mut a = app();
    log_in(&mut a, "tel900");
    keys(&mut a, [Action::FindCustomer]);
    typed(&mut a, "yamada-m");
    keys(&mut a, [Action::Enter, Action::PaperForm]);
    assert_eq!(a.place(), Place::Customer);
    let (_, text) = a.status.clone().expect("a refusal");
    assert!(text.contains("窓口でのお手続きが必要です") && text.contains("101 本店営業部"), "{text}");
}

#[test]
fn f2_switches_the_language_of_what_is_said_next() {
    let mut a = app();
    keys(&mut a, [Action::ToggleLang]);
    assert_eq!(a.lang, Lang::En);
    typed(&mut a, "nobody");
    keys(&mut a, [Action::NextField]);
    typed(&mut a, "wrong-pass-9");
    keys(&mut a, [Action::Enter]);
    let (_, text) = a.status.clone().expect("refused");
    assert!(text.is_ascii(), "{text}");
}

/// Opens the customer found by `query` from wherever the clerk is.
fn open_customer(a: &mut App, query: &str) {
    keys(a, [Action::FindCustomer]);
    typed(a, query);
    keys(a, [Action::Enter]);
    assert_eq!(a.place(), Place::Customer, "{query}: {:?}", a.status);
}

#[test]
fn screens_of_a_kind_replace_each_other_and_home_is_never_more_than_three_esc_away() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    // Customer after customer, procedure after procedure: the stack does not grow.
    for query in ["yamada-m", "yamada-g1", "yamada-m", "yamada-g1"] {
        open_customer(&mut a, query);
        keys(&mut a, [Action::HardToken]);
        assert_eq!(a.place(), Place::Token);
        keys(&mut a, [Action::Guidance]);
        keys(&mut a, [Action::Back]);
        keys(&mut a, [Action::Guidance]);
        assert!(a.depth() <= 4, "depth {} after {query}", a.depth());
    }
    assert_eq!(a.place(), Place::Guidance);
    keys(&mut a, [Action::Back, Action::Back, Action::Back]);
    assert_eq!((a.place(), a.depth()), (Place::Home, 1));
    // A list opened from Home, a customer from it, a procedure: three Esc as well.
    keys(&mut a, [Action::ExpiringTokens]);
    open_customer(&mut a, "yamada-m");
    keys(&mut a, [Action::Unlock]);
    assert_eq!(a.place(), Place::Unlock);
    keys(&mut a, [Action::Back, Action::Back, Action::Back]);
    assert_eq!(a.place(), Place::Home);
}

#[test]
fn one_key_goes_home_and_asks_first_when_typed_work_would_be_lost() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    open_customer(&mut a, "yamada-m");
    keys(&mut a, [Action::HardToken, Action::GoHome]);
    assert_eq!((a.place(), a.depth()), (Place::Home, 1));
    // A half-typed form: GoHome and `/` ask, and Enter alone keeps the form.
    open_customer(&mut a, "yamada-m");
    keys(&mut a, [Action::PaperForm, Action::NextField]);
    typed(&mut a, "1234");
    for leave in [Action::GoHome, Action::FindCustomer, Action::Back] {
        keys(&mut a, [leave]);
        assert_eq!(a.place(), Place::Confirm, "{leave:?}");
        keys(&mut a, [Action::Enter]);
        assert_eq!(a.place(), Place::Form, "Enter after {leave:?} keeps the form");
        let Screen::Form(f) = a.screen() else { panic!("form") };
        assert_eq!(f.form_no.value(), "1234");
    }
    keys(&mut a, [Action::GoHome, Action::Yes]);
    assert_eq!((a.place(), a.depth()), (Place::Home, 1));
    // Logging out and quitting default to no as well.
    keys(&mut a, [Action::Quit, Action::Enter]);
    assert!(a.session.is_some());
    keys(&mut a, [Action::Quit, Action::Yes]);
    assert!(a.session.is_none());
    keys(&mut a, [Action::Quit, Action::Enter]);
    assert!(!a.quit);
}

#[test]
fn find_from_a_typed_form_asks_then_opens_an_empty_search() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    open_customer(&mut a, "yamada-m");
    keys(&mut a, [Action::Unlock, Action::NextField, Action::NextField, Action::Down]);
    assert!(a.screen().state().dirty());
    keys(&mut a, [Action::FindCustomer, Action::Yes]);
    assert_eq!((a.place(), a.field(), a.depth()), (Place::Find, Some(Field::Plain), 2));
}

#[test]
fn forgot_on_unlock_opens_guidance_on_what_was_forgotten_for_every_lock_kind() {
    use crate::domain::credential::{LoginMethod, UserRole};
    use crate::domain::guidance::Situation;
    use crate::service::customers::{NewCustomer, NewCustomerUser};
    use strum::VariantArray;
    let mut a = app();
    for (n, kind) in CredentialKind::VARIANTS.iter().copied().enumerate() {
        // A customer of its own, locked the honest way: wrong secrets up to the threshold.
        let login = format!("lockcase{n}");
        let users = [NewCustomerUser {
            login_id: &login,
            name: "鈴木一郎",
            role: UserRole::Master,
            method: LoginMethod::Password,
        }];
        let cif = format!("10199900{n:02}");
        crate::service::demo::add_contract(
            &mut a.ledger,
            &NewCustomer {
                cif: &cif,
                branch: "101",
                company: "株式会社テスト商事",
                company_kana: "カ)テストシヨウジ",
                phone: "03-0000-0000",
                address: "東京都千代田区1-1-1",
                users: &users,
            },
        )
        .expect("contract");
        let user = a.ledger.find_user(&login).expect("read").expect("user");
        for _ in 0..a.ledger.config().threshold(kind) {
            a.ledger.ib_record_failure(&user, kind).expect("failure");
        }
    }
    log_in(&mut a, "clerk101");
    for (n, kind) in CredentialKind::VARIANTS.iter().copied().enumerate() {
        for forgot in [false, true] {
            open_customer(&mut a, &format!("lockcase{n}"));
            keys(&mut a, [Action::Unlock]);
            let Screen::Unlock(u) = a.screen() else { panic!("unlock for {kind:?}: {:?}", a.status) };
            assert_eq!(u.locks.iter().map(|l| l.credential).collect::<Vec<_>>(), [kind]);
            keys(&mut a, [Action::NextField]);
            if forgot {
                keys(&mut a, [Action::Down]);
            }
            keys(&mut a, [Action::Enter]);
            if forgot {
                let Screen::Guidance(g) = a.screen() else { panic!("guidance for {kind:?}, got {:?}", a.place()) };
                assert_eq!(g.situation.get(), Some(Situation::forgotten(kind)), "{kind:?}");
                assert_ne!(g.situation.get(), Some(Situation::ForgotLoginId), "{kind:?}");
            } else {
                // Mistyped: the lock is lifted here, once the identity is checked.
                assert_eq!(a.place(), Place::Unlock, "{kind:?}");
            }
            keys(&mut a, [Action::GoHome]);
            if a.place() == Place::Confirm {
                keys(&mut a, [Action::Yes]);
            }
        }
    }
}

#[test]
fn the_token_screen_offers_each_role_only_the_steps_it_may_take() {
    let ops = |a: &App| -> (Vec<TokenOp>, Option<TokenOp>) {
        let Screen::Token(t) = a.screen() else { panic!("token screen, got {:?} {:?}", a.place(), a.status) };
        (t.op.options().map(|(op, _)| op).collect(), t.op.get())
    };
    let every = <TokenOp as strum::VariantArray>::VARIANTS.to_vec();
    let counter: Vec<TokenOp> = every.iter().copied().filter(|o| *o != TokenOp::ClearHandOver).collect();
    // (staff, customer, steps offered, step preselected)
    let table = [
        // The telephone center: the loss report only, even where a reissue is the next step.
        ("tel900", "minato-m", vec![TokenOp::ReportLost], Some(TokenOp::ReportLost)),
        ("tel900", "hikari-m", vec![TokenOp::ReportLost], Some(TokenOp::ReportLost)),
        // Another branch's customer: the same.
        ("clerk101", "tozai-m", vec![TokenOp::ReportLost], Some(TokenOp::ReportLost)),
        ("super205", "minato-m", vec![TokenOp::ReportLost], Some(TokenOp::ReportLost)),
        // The customer's own branch: every counter step; the supervisor also releases a
        // stopped hand-over.
        ("clerk205", "hikari-m", counter.clone(), Some(TokenOp::HandOver)),
        // A token in use, far from expiry: nothing is due, nothing preselected.
        ("clerk101", "minato-m", counter, None),
        ("super101", "minato-m", every, None),
    ];
    for (staff, customer, offered, chosen) in table {
        let mut a = app();
        log_in(&mut a, staff);
        open_customer(&mut a, customer);
        keys(&mut a, [Action::HardToken]);
        assert_eq!(ops(&a), (offered, chosen), "{staff} on {customer}");
    }
}

#[test]
fn keys_for_screens_a_role_may_not_open_are_not_offered() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    assert!(!a.may(Action::Approvals) && a.may(Action::FeeJournal) && a.may(Action::AuditTrail));
    let mut a = app();
    log_in(&mut a, "tel900");
    assert!(!a.may(Action::Approvals) && !a.may(Action::FeeJournal));
    let mut a = app();
    log_in(&mut a, "super101");
    assert!(a.may(Action::Approvals) && a.may(Action::FeeJournal));
}

/// Keys a password form for `login` up to Enter: form number, received date as
/// prefilled (or `received` typed over it), who brought it, the licence, the seal and
/// the new password twice.
fn key_form(a: &mut App, login: &str, form_no: &str, received: Option<&str>, secret: &str) {
    open_customer(a, login);
    keys(a, [Action::PaperForm, Action::NextField]);
    typed(a, form_no);
    keys(a, [Action::NextField]);
    if let Some(day) = received {
        keys(a, [Action::ClearField]);
        typed(a, day);
    }
    keys(a, [Action::NextField]);
    typed(a, "山田 太郎");
    keys(a, [Action::NextField, Action::Down, Action::NextField, Action::Toggle, Action::NextField]);
    typed(a, secret);
    keys(a, [Action::NextField]);
    typed(a, secret);
    keys(a, [Action::Enter]);
}

#[test]
fn refusals_that_can_be_known_come_before_the_question() {
    let mut a = app();
    log_in(&mut a, "clerk101");
    key_form(&mut a, "yamada-m", "12345678", None, "New-pass123");
    assert_eq!(a.place(), Place::Confirm, "{:?}", a.status);
    keys(&mut a, [Action::Yes]);
    assert!(matches!(a.status, Some((Level::Info, _))), "{:?}", a.status);
    // The same form number again, for another user (a PIN form): refused on Enter,
    // nothing asked.
    key_form(&mut a, "yamada-g1", "12345678", None, "4321");
    assert_eq!(a.place(), Place::Form);
    let said = |a: &App| a.status.clone().map(|(_, text)| text).unwrap_or_default();
    assert!(said(&a).contains("この申込書番号はこの店ですでに使われています"), "{:?}", a.status);
    // A second request for the same user and secret: refused before the question too.
    keys(&mut a, [Action::GoHome, Action::Yes]);
    key_form(&mut a, "yamada-m", "12345679", None, "New-pass123");
    assert_eq!(a.place(), Place::Form, "{:?}", a.status);
    assert!(said(&a).contains("すでに承認待ち"), "{:?}", a.status);
    // A date in the future.
    keys(&mut a, [Action::GoHome, Action::Yes]);
    key_form(&mut a, "yamada-g1", "12345670", Some("2099-01-01"), "4321");
    assert_eq!(a.place(), Place::Form);
    assert!(said(&a).contains("受付日が未来の日付です"), "{:?}", a.status);
    // A replacement mailed with a malformed tracking number.
    keys(&mut a, [Action::GoHome, Action::Yes]);
    open_customer(&mut a, "minato-m");
    keys(&mut a, [Action::HardToken]);
    // Nothing is due for a token far from expiry: Enter asks to choose a step first.
    keys(&mut a, [Action::Enter]);
    assert_eq!(a.place(), Place::Token, "{:?}", a.status);
    assert!(said(&a).contains("手続きを"), "{:?}", a.status);
    keys(&mut a, [Action::Down, Action::Down, Action::Down, Action::Down, Action::Down]);
    let Screen::Token(t) = a.screen() else { panic!("token") };
    assert_eq!(t.op(), TokenOp::Mail);
    keys(&mut a, [Action::NextField, Action::NextField]);
    typed(&mut a, "no");
    keys(&mut a, [Action::Enter]);
    assert_eq!(a.place(), Place::Token, "{:?}", a.status);
    assert!(said(&a).contains("追跡番号"), "{:?}", a.status);
}

#[test]
fn dates_take_slashes_and_a_bad_date_shows_no_stale_rows() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut a = app();
    log_in(&mut a, "super101");
    keys(&mut a, [Action::AuditTrail, Action::PickField("ui.audit.from")]);
    // `/` in a date is a character, not the Find key.
    let slash = crate::keys::action_for(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE), a.place(), a.field());
    assert_eq!(slash, Some(Action::Input('/')));
    typed(&mut a, "2026/04/01");
    keys(&mut a, [Action::Enter]);
    assert_eq!(a.place(), Place::Audit);
    let Screen::Audit(s) = a.screen() else { panic!("audit") };
    assert!(!s.entries.is_empty(), "{:?}", a.status);
    // A date that does not parse: refused, the rows emptied, the focus left on the filter.
    keys(&mut a, [Action::PickField("ui.audit.from"), Action::ClearField]);
    typed(&mut a, "20260401");
    keys(&mut a, [Action::Enter]);
    let Screen::Audit(s) = a.screen() else { panic!("audit") };
    assert!(s.entries.is_empty());
    assert!(matches!(a.status, Some((Level::Error, _))));
    assert_eq!(a.field(), Some(Field::Date));
}

#[test]
fn a_key_a_role_is_not_offered_is_refused_and_recorded() {
    let mut a = app();
    log_in(&mut a, "tel900");
    keys(&mut a, [Action::Approvals]);
    assert_eq!(a.place(), Place::Home);
    assert!(matches!(a.status, Some((Level::Error, _))), "{:?}", a.status);
    let denied: i64 =
        a.ledger.db().value("SELECT count(*) FROM audit WHERE action = 'staff.denied'", &[]).expect("count");
    assert_eq!(denied, 1);
}
