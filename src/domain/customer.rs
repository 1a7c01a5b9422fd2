//! The customer's world (docs/spec.md §2): a contract (契約) of one corporate customer, its users,
//! and the views of them that staff read.

use super::approval::Request;
use super::audit::Entry;
use super::credential::{CredentialKind, LoginMethod, UserRole};
use super::lockout::Lock;
use super::search::MatchKind;
use super::token::Token;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: i64,
    /// 10 digits: 店番 (3) + 顧客番号 (7).
    pub cif: String,
    /// お取引店.
    pub branch: String,
    pub company: String,
    pub company_kana: String,
    pub phone: String,
    pub address: String,
    /// 解約済: nothing is deleted, the contract is marked.
    pub cancelled: bool,
    /// The contract this one replaced (解約・再申込).
    pub replaces: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub contract_id: i64,
    pub login_id: String,
    pub name: String,
    pub role: UserRole,
    pub login_method: LoginMethod,
    /// R14: a login password re-registered by the bank must be changed at the next login.
    pub login_must_change: bool,
    pub has_certificate: bool,
}

/// One row of Find customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub contract: Contract,
    pub matched: MatchKind,
}

/// A user as the customer screen shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub user: User,
    pub open_locks: Vec<Lock>,
    /// Consecutive failures per credential kind, where not zero.
    pub failures: Vec<(CredentialKind, u32)>,
    /// Tokens held, set aside or mailed.
    pub tokens: Vec<Token>,
    /// Requests pending, or decided in the last 30 days (a rejection shows its reason).
    pub requests: Vec<Request>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerView {
    pub contract: Contract,
    pub users: Vec<UserView>,
    pub history: Vec<Entry>,
}

/// What Home shows for the staff member's branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HomeStats {
    pub pending_approvals: i64,
    pub fees_today: i64,
    pub fees_today_yen: i64,
    pub tokens_expiring: i64,
}
