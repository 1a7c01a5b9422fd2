//! One file per screen; each draws its state and nothing else.

pub mod approvals;
pub mod audit;
pub mod customer;
pub mod expiring;
pub mod find;
pub mod form;
pub mod guidance;
pub mod home;
pub mod journal;
pub mod login;
pub mod refused;
pub mod token;
pub mod unlock;

use crate::keys::Place;

/// The catalog suffix of a place's help text (`ui.help.<suffix>`).
pub fn help_key(place: Place) -> &'static str {
    match place {
        Place::Login => "login",
        Place::Home => "home",
        Place::Find => "find",
        Place::Customer => "customer",
        Place::Guidance => "guidance",
        Place::Unlock => "unlock",
        Place::Form => "form",
        Place::Approvals => "approvals",
        Place::Token => "token",
        Place::Journal => "journal",
        Place::Expiring => "expiring",
        Place::Audit => "audit",
        Place::Refused => "refused",
        Place::Confirm | Place::Help | Place::Receipt | Place::IdleLock | Place::Withdraw => "other",
    }
}
