//! Hostile input: no panic, a clear refusal, nothing written. (The kana normalizer and the
//! token importers have their own property tests next to them.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeZone;
use madoguchi::config::Config;
use madoguchi::domain::credential::CredentialKind;
use madoguchi::domain::forms::FormRequest;
use madoguchi::domain::unlock::IdDocument;
use madoguchi::service::forms::{DoubleKeyed, FormInput};
use madoguchi::service::{Ledger, ManualClock, ServiceError};
use proptest::prelude::*;
use secrecy::SecretString;
use strum::VariantArray;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any text as a config file: parsed or refused with a message, never a panic.
    #[test]
    fn config_never_panics(text in "\\PC{0,200}") {
        let _ = Config::parse(&text);
    }

    /// Config-shaped text with hostile values: a refusal names a key.
    #[test]
    fn config_values_are_checked(key in "(password|confirm|otp|pin)", value in any::<i64>()) {
        let text = format!("[lockout]\n{key} = {value}\n");
        match Config::parse(&text) {
            Ok(c) => {
                // Accepted: the value is in range and is the one set, on the key it was set on.
                let set = match key.as_str() {
                    "password" => c.lockout.password,
                    "confirm" => c.lockout.confirm,
                    "otp" => c.lockout.otp,
                    _ => c.lockout.pin,
                };
                prop_assert!((1..=20).contains(&value), "{key} = {value} accepted");
                prop_assert_eq!(i64::from(set), value);
            }
            Err(e) => prop_assert!(e.to_string().contains(&key), "{e}"),
        }
    }
}

fn ledger() -> Ledger {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).single().expect("time");
    let mut l = Ledger::in_memory_demo(Config::default(), Box::new(ManualClock::new(at))).expect("ledger");
    madoguchi::service::demo::populate(&mut l, 0, 1, &mut |_, _| {}).expect("demo");
    l
}

/// Every form field with arbitrary text: refused with a typed, translated error and nothing
/// written, or (rarely, when everything happens to be valid) filed.
#[test]
fn paper_form_fields_never_panic_and_refusals_write_nothing() {
    let mut ledger = ledger();
    let clerk = ledger.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
    let user = ledger.find_user("yamada-g1").expect("q").expect("user").id;
    // The property runner takes a `Fn`; the ledger is borrowed mutably inside.
    let cell = std::cell::RefCell::new(ledger);
    let strategy = (
        "\\PC{0,12}",
        "\\PC{0,70}",
        "[0-9a-zA-Z\\x00-\\x1f!-~あ-ん]{0,12}",
        "[0-9a-zA-Z\\x00-\\x1f!-~あ-ん]{0,12}",
        0usize..5,
        proptest::option::of(0usize..6),
        any::<bool>(),
        "\\PC{0,24}",
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&strategy, |(form_no, brought_by, first, second, kind, doc, seal, login)| {
            let mut l = cell.borrow_mut();
            let request = FormRequest::ALL[kind];
            let secrets = [
                CredentialKind::LoginPassword,
                CredentialKind::ConfirmPassword,
                CredentialKind::Pin,
                CredentialKind::ApprovalPin,
            ]
            .into_iter()
            .map(|k| DoubleKeyed {
                kind: k,
                first: SecretString::from(first.clone()),
                second: SecretString::from(second.clone()),
            })
            .collect();
            let input = FormInput {
                request,
                user_id: user,
                form_no: &form_no,
                received: madoguchi::format::business_date(l.now()),
                brought_by: &brought_by,
                document: doc.map(|i| IdDocument::VARIANTS[i]),
                seal_matched: seal,
                secrets,
                new_login_id: Some(&login),
            };
            let before = l.audit_count().expect("count");
            let branches = madoguchi::domain::branch::demo_branches();
            match l.submit_form(&clerk, &input) {
                Ok(request) => {
                    // Accepted only when every field was valid: then it is one pending
                    // request and one audit entry, and the same form number is not taken again.
                    prop_assert_eq!(l.audit_count().expect("count"), before + 1);
                    prop_assert!(matches!(
                        l.submit_form(&clerk, &input),
                        Err(ServiceError::Invalid(
                            madoguchi::service::Problem::FormNumberUsed | madoguchi::service::Problem::FormPending
                        ))
                    ));
                    prop_assert!(request > 0);
                }
                Err(e) => {
                    prop_assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
                    let ja = madoguchi::messages::error(madoguchi::i18n::Lang::Ja, &branches, &e);
                    let en = madoguchi::messages::error(madoguchi::i18n::Lang::En, &branches, &e);
                    prop_assert!(!ja.starts_with("err.") && !en.starts_with("err."), "{ja} / {en}");
                    prop_assert_eq!(l.audit_count().expect("count"), before);
                }
            }
            Ok(())
        })
        .expect("property");
    assert!(cell.borrow_mut().verify_audit().expect("verify").intact());
}

/// Unlock reasons and identity checks with arbitrary text.
#[test]
fn unlock_reasons_never_panic() {
    let mut ledger = ledger();
    let clerk = ledger.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
    let yamada = ledger.find_user("yamada-m").expect("q").expect("user").id;
    let lock = ledger.unlock_view(&clerk, yamada).expect("locks").locks[0].id;
    let cell = std::cell::RefCell::new(ledger);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&("[\\x00-\\x1f ]{0,3}|[a-zあ-ん]{201,210}", any::<bool>()), |(reason, seal)| {
            let mut l = cell.borrow_mut();
            let check = madoguchi::domain::unlock::IdentityCheck::Counter {
                document: Some(IdDocument::Passport),
                seal_matched: seal,
            };
            let before = l.audit_count().expect("count");
            let r = l.unlock(&clerk, lock, check, &reason);
            prop_assert!(matches!(r, Err(ServiceError::Invalid(_))), "{r:?}");
            prop_assert_eq!(l.audit_count().expect("count"), before);
            Ok(())
        })
        .expect("property");
}
