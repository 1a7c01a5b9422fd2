//! The Approvals (検印) screen's state and keys.

use crate::action::Action;
use crate::i18n::t;
use crate::store::customers::{ContractRow, UserRow};
use crate::store::requests::RequestRow;

use super::{App, Level, Modal, Question, Screen, TextInput};

/// A request with the customer it concerns, for the queue.
pub struct QueueItem {
    pub request: RequestRow,
    pub contract: Option<ContractRow>,
    pub user: Option<UserRow>,
    /// The paper form behind it, for the approver to check.
    pub form: Option<crate::store::forms::FormRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalFocus {
    Queue,
    Code,
    Reason,
}

pub struct ApprovalsState {
    pub items: Vec<QueueItem>,
    pub selected: usize,
    pub focus: ApprovalFocus,
    pub code: TextInput,
    pub reason: TextInput,
}

impl ApprovalsState {
    pub fn current(&self) -> Option<&QueueItem> {
        self.items.get(self.selected)
    }
}

impl App {
    fn load_queue(&mut self) -> Option<Vec<QueueItem>> {
        let session = self.session.clone()?;
        match self.ledger.approval_queue(&session) {
            Ok(rows) => Some(
                rows.into_iter()
                    .map(|request| {
                        let conn = self.ledger.conn();
                        let contract = request
                            .contract_id
                            .and_then(|id| crate::store::customers::contract(conn, id).ok().flatten());
                        let user =
                            request.user_id.and_then(|id| crate::store::customers::user(conn, id).ok().flatten());
                        let form = crate::store::forms::for_request(conn, request.id).ok().flatten();
                        QueueItem { request, contract, user, form }
                    })
                    .collect(),
            ),
            Err(e) => {
                self.error(&e);
                None
            }
        }
    }

    pub(super) fn open_approvals(&mut self) {
        let Some(items) = self.load_queue() else { return };
        self.screens.push(Screen::Approvals(Box::new(ApprovalsState {
            items,
            selected: 0,
            focus: ApprovalFocus::Queue,
            code: TextInput::new(8),
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        })));
    }

    pub(super) fn on_approvals(&mut self, action: Action) {
        let Some(Screen::Approvals(s)) = self.screens.last_mut() else { return };
        use ApprovalFocus as F;
        match (action, s.focus) {
            (Action::Down, F::Queue) if s.selected + 1 < s.items.len() => {
                s.selected += 1;
                s.code.clear();
                s.reason.clear();
            }
            (Action::Up, F::Queue) if s.selected > 0 => {
                s.selected -= 1;
                s.code.clear();
                s.reason.clear();
            }
            (Action::Input(c), F::Code) => s.code.push(c),
            (Action::Input(c), F::Reason) => s.reason.push(c),
            (Action::Backspace, F::Code) => s.code.pop(),
            (Action::Backspace, F::Reason) => s.reason.pop(),
            (Action::NextField | Action::Down, _) | (Action::Enter, F::Queue) if !s.items.is_empty() => {
                s.focus = match s.focus {
                    F::Queue => F::Code,
                    F::Code => F::Reason,
                    F::Reason => F::Queue,
                };
            }
            (Action::PrevField | Action::Up, _) => {
                s.focus = match s.focus {
                    F::Queue => F::Reason,
                    F::Code => F::Queue,
                    F::Reason => F::Code,
                };
            }
            (Action::Enter, F::Code) => self.modal = Some(Modal::Confirm(Question::Approve)),
            (Action::Enter, F::Reason) => self.modal = Some(Modal::Confirm(Question::Reject)),
            _ => {}
        }
    }

    /// After the confirmation: approve (with the code) or reject (with the reason).
    pub(super) fn decide(&mut self, approve: bool) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Approvals(s)) = self.screens.last_mut() else { return };
        let Some(item) = s.current() else { return };
        let id = item.request.id;
        let result = if approve {
            let code = s.code.value().to_string();
            s.code.clear();
            self.ledger.approve(&session, id, &code)
        } else {
            let reason = s.reason.value().to_string();
            self.ledger.reject(&session, id, &reason)
        };
        match result {
            Ok(()) => {
                let items = self.load_queue().unwrap_or_default();
                if let Some(Screen::Approvals(s)) = self.screens.last_mut() {
                    s.items = items;
                    s.selected = s.selected.min(s.items.len().saturating_sub(1));
                    s.focus = ApprovalFocus::Queue;
                    s.code.clear();
                    s.reason.clear();
                }
                let key = if approve { "ui.approvals.approved" } else { "ui.approvals.rejected" };
                self.say(Level::Info, t(self.lang, key).into());
            }
            Err(e) => self.error(&e),
        }
    }
}
