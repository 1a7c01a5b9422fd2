//! What the screens are shown: views composed of the domain's records by the use cases,
//! plain data for the app to hold and the ui to draw.

use super::approval::{Request, RequestState};
use super::audit::Entry;
use super::credential::CredentialKind;
use super::customer::{Contract, User};
use super::forms::KeyedForm;
use super::lockout::Lock;
use super::search::MatchKind;
use super::token::{FeeQuote, Token, TokenState};

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

/// A request of the queue with what the approver needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub request: Request,
    pub contract: Option<Contract>,
    pub user: Option<User>,
    /// The paper form behind it, for the approver to check.
    pub form: Option<KeyedForm>,
    /// A fee reversal or waiver: the fee's amount with tax, as it will be reversed.
    pub fee_total: Option<i64>,
}

/// A user's tokens as the Hard token screen shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenView {
    /// Issued or lost tokens the user holds.
    pub held: Vec<Token>,
    /// Tokens set aside for the user: added or reissued and not handed over, or mailed.
    pub waiting: Vec<Token>,
    /// Whether a reissue of this user waits for approval, or was decided.
    pub reissue_state: Option<RequestState>,
    /// The branch's stock by state.
    pub stock: Vec<(TokenState, i64)>,
    pub first_in_stock: Option<String>,
    /// The fees of an add and a reissue, tax included (R13).
    pub fee_add: FeeQuote,
    pub fee_reissue: FeeQuote,
}

/// What the Unlock screen shows: the user's open locks, and whether this staff member
/// checks identity by phone (the telephone center) or at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockView {
    pub contract: Contract,
    pub user: User,
    pub locks: Vec<Lock>,
    pub by_phone: bool,
}

/// Who a paper form is for, as the form screen needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormContext {
    pub contract: Contract,
    pub user: User,
    /// Whether the contract has an admin user (R3 decides which forms apply).
    pub has_admin: bool,
}
