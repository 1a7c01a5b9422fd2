//! The permission matrix of docs/spec.md §1, through the service layer: every role × use case is
//! either let through (whatever the use case then says about its input) or refused with a
//! typed `Denied`, whatever front end asks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeZone;
use madoguchi::config::Config;
use madoguchi::domain::credential::CredentialKind;
use madoguchi::domain::forms::FormRequest;
use madoguchi::domain::guidance::Situation;
use madoguchi::domain::permission::Denied;
use madoguchi::domain::permission::Session;
use madoguchi::domain::unlock::{IdDocument, IdentityCheck};
use madoguchi::service::forms::{DoubleKeyed, FormInput};
use madoguchi::service::{Ledger, ManualClock, ServiceError};
use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Not refused for permission (the use case may still refuse the input).
    Allowed,
    Role,
    OtherBranch,
    CounterOnly,
}

fn verdict<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> Want {
    match r {
        Err(ServiceError::Denied(Denied::Role)) => Want::Role,
        Err(ServiceError::Denied(Denied::OtherBranch { .. })) => Want::OtherBranch,
        Err(ServiceError::Denied(Denied::CounterOnly { .. })) => Want::CounterOnly,
        _ => Want::Allowed,
    }
}

fn ledger() -> Ledger {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).single().expect("time");
    let mut l = Ledger::in_memory_demo(Config::default(), Box::new(ManualClock::new(at))).expect("ledger");
    madoguchi::service::demo::populate(&mut l, 0, 1, &mut |_, _| {}).expect("demo");
    l
}

fn user(l: &mut Ledger, login: &str) -> i64 {
    l.find_user(login).expect("q").expect("user").id
}

/// A PIN change form for a user, as keyed at the counter.
fn pin_form<'a>(l: &Ledger, user_id: i64, form_no: &'a str) -> FormInput<'a> {
    FormInput {
        request: FormRequest::PinChange(CredentialKind::Pin),
        user_id,
        form_no,
        received: madoguchi::format::business_date(l.now()),
        brought_by: "x",
        document: Some(IdDocument::Passport),
        seal_matched: true,
        secrets: vec![DoubleKeyed {
            kind: CredentialKind::Pin,
            first: SecretString::from("4321"),
            second: SecretString::from("4321"),
        }],
        new_login_id: None,
    }
}

/// The id of a user's open lock, as the clerk of the branch sees it.
fn lock_of(l: &mut Ledger, user_id: i64) -> i64 {
    let clerk = l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
    l.unlock_view(&clerk, user_id).expect("unlock view").locks[0].id
}

/// Runs one use case as `s` on a customer of branch 101 (yamada-m / yamada-g1).
fn run(l: &mut Ledger, s: &Session, op: &str) -> Want {
    let yamada = user(l, "yamada-m");
    let lock = lock_of(l, yamada);
    let counter = IdentityCheck::Counter { document: Some(IdDocument::Passport), seal_matched: true };
    let phone = IdentityCheck::Phone { called_back: true };
    match op {
        "search" => verdict(l.find_customers(s, "ﾔﾏﾀﾞ", 0, 10)),
        "guidance" => verdict(l.give_guidance(s, yamada, Situation::ForgotPin)),
        "unlock_counter" => verdict(l.unlock(s, lock, counter, "r")),
        "unlock_phone" => verdict(l.unlock(s, lock, phone, "r")),
        "form" => {
            let input = pin_form(l, yamada, "99999999");
            verdict(l.submit_form(s, &input))
        }
        "token_add" => {
            let g1 = user(l, "yamada-g1");
            verdict(l.add_token(s, g1, "HT91010001"))
        }
        "report_lost" => verdict(l.report_lost(s, yamada)),
        "approve" => {
            // A request of branch 101 keyed by its clerk, to decide on.
            let clerk = l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
            let input = pin_form(l, yamada, "88888888");
            let id = l.submit_form(&clerk, &input).expect("request");
            verdict(l.approve(s, id, "000000"))
        }
        "journal" => verdict(l.fee_journal(Some(s), madoguchi::format::business_date(l.now()), None)),
        "audit" => verdict(l.audit_trail(s, &Default::default(), None, 10)),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn every_role_and_use_case() {
    use Want::*;
    // Rows: use case; columns: clerk101 (own branch), clerk205 (other branch), tel900,
    // super101, super205 (other branch), admin. docs/spec.md §1.
    let table: [(&str, [Want; 6]); 10] = [
        ("search", [Allowed, Allowed, Allowed, Allowed, Allowed, Role]),
        ("guidance", [Allowed, Allowed, Allowed, Allowed, Allowed, Role]),
        ("unlock_counter", [Allowed, OtherBranch, Allowed, Allowed, OtherBranch, Role]),
        ("unlock_phone", [Allowed, OtherBranch, Allowed, Allowed, OtherBranch, Role]),
        ("form", [Allowed, OtherBranch, CounterOnly, Allowed, OtherBranch, Role]),
        ("token_add", [Allowed, OtherBranch, CounterOnly, Allowed, OtherBranch, Role]),
        ("report_lost", [Allowed, Allowed, Allowed, Allowed, Allowed, Role]),
        ("approve", [Role, Role, Role, Allowed, OtherBranch, Role]),
        ("journal", [Allowed, Allowed, Role, Allowed, Allowed, Role]),
        ("audit", [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed]),
    ];
    let staff = ["clerk101", "clerk205", "tel900", "super101", "super205", "admin"];
    let mut failures = Vec::new();
    for (op, wants) in table {
        for (id, want) in staff.iter().zip(wants) {
            // A fresh ledger each time: an allowed call may change what the next one sees.
            let mut l = ledger();
            let s = l.staff_login(id, &SecretString::from("demo-pass-1")).expect("login");
            let got = run(&mut l, &s, op);
            if got != want {
                failures.push(format!("{id} {op}: got {got:?}, want {want:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
