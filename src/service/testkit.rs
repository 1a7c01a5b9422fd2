//! What the service tests share: a demo ledger in memory on a clock they move, and logins.

#![allow(clippy::expect_used)]

use chrono::{TimeZone, Utc};
use secrecy::SecretString;

use super::{Ledger, ManualClock};
use crate::config::Config;
use crate::domain::permission::Session;

/// The demo ledger (scenarios only) on `clock`.
pub fn demo_on(clock: &ManualClock) -> Ledger {
    let mut l = Ledger::in_memory_demo(Config::default(), Box::new(clock.clone())).expect("ledger");
    crate::service::demo::populate(&mut l, 0, 1, &mut |_, _| {}).expect("demo");
    l
}

/// The demo ledger on a clock set to 2026-04-01 00:00 UTC.
pub fn demo() -> (Ledger, ManualClock) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).single().expect("date"));
    (demo_on(&clock), clock)
}

/// A demo staff member's session.
pub fn login(l: &mut Ledger, id: &str) -> Session {
    l.staff_login(id, &SecretString::from(crate::service::demo::STAFF_PASSWORD)).expect("login")
}
