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
