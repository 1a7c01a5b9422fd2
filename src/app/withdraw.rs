//! Withdrawing a pending request (a form keyed by mistake, a customer who changed their
//! mind): its maker, or a supervisor of the branch, picks it and gives a reason. A popup
//! over the Customer screen, which it leaves as it was.

use crate::action::Action;
use crate::domain::approval::{Request, RequestState};
use crate::service::ServiceError;

use super::{Choice, TextInput};

pub struct WithdrawState {
    /// The user's login ID, for the title.
    pub login_id: String,
    /// The user's pending requests.
    pub requests: Vec<Request>,
    pub chosen: Choice<i64>,
    pub reason: TextInput,
}

/// What the popup asks the app to do after a key.
pub enum WithdrawStep {
    Stay,
    Cancel,
    /// Withdraw this request with this reason.
    Withdraw(i64, String),
}

impl WithdrawState {
    /// The popup for a user's pending requests; refused when there is none.
    pub fn new(login_id: &str, requests: &[Request]) -> Result<Self, ServiceError> {
        let pending: Vec<Request> = requests.iter().filter(|r| r.state == RequestState::Pending).cloned().collect();
        if pending.is_empty() {
            return Err(ServiceError::Invalid(crate::service::Problem::NothingToWithdraw));
        }
        let ids: Vec<i64> = pending.iter().map(|r| r.id).collect();
        Ok(Self {
            login_id: login_id.to_string(),
            chosen: Choice::first(ids),
            requests: pending,
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        })
    }

    pub fn handle(&mut self, action: Action) -> WithdrawStep {
        if self.reason.edit(action) || self.chosen.steer(action) {
            return WithdrawStep::Stay;
        }
        match (action, self.chosen.get()) {
            (Action::Back, _) => WithdrawStep::Cancel,
            (Action::Enter, Some(id)) => WithdrawStep::Withdraw(id, self.reason.value().to_string()),
            _ => WithdrawStep::Stay,
        }
    }
}
