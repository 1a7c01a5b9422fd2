//! The Unlock screen's state and keys.

use crate::action::Action;
use crate::domain::permission::StaffRole;
use crate::domain::unlock::{IdDocument, IdentityCheck};
use crate::i18n::t;
use crate::service::unlock::UnlockOutcome;
use crate::store::customers::{ContractRow, UserRow};
use crate::store::locks::LockRow;

use super::{App, Level, Modal, Question, Screen, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockField {
    /// Which open lock to lift.
    Lock,
    /// Mistyped, or forgot the secret.
    Cause,
    /// Counter: the identity document kind.
    Document,
    /// Counter: 届出印照合.
    Seal,
    /// Phone: the call back to the registered number.
    CallBack,
    Reason,
}

pub struct UnlockState {
    pub contract: ContractRow,
    pub user: UserRow,
    pub locks: Vec<LockRow>,
    pub by_phone: bool,
    pub focus: UnlockField,
    pub lock: usize,
    /// 0 = mistyped, 1 = forgot.
    pub cause: usize,
    /// Index into `IdDocument::ALL`, or `None` before one is chosen.
    pub document: Option<usize>,
    pub seal_matched: bool,
    pub called_back: bool,
    pub reason: TextInput,
}

impl UnlockState {
    /// The fields in order for this channel.
    pub fn fields(&self) -> &'static [UnlockField] {
        use UnlockField as F;
        if self.by_phone {
            &[F::Lock, F::Cause, F::CallBack, F::Reason]
        } else {
            &[F::Lock, F::Cause, F::Document, F::Seal, F::Reason]
        }
    }

    fn step(&mut self, forward: bool) {
        self.focus = super::cycle(self.fields(), self.focus, forward);
    }

    /// Whether anything was entered (Esc asks before throwing it away).
    pub fn dirty(&self) -> bool {
        !self.reason.is_empty() || self.document.is_some() || self.seal_matched || self.called_back || self.cause != 0
    }

    pub fn check(&self) -> IdentityCheck {
        if self.by_phone {
            IdentityCheck::Phone { called_back: self.called_back }
        } else {
            IdentityCheck::Counter {
                document: self.document.and_then(|i| IdDocument::ALL.get(i).copied()),
                seal_matched: self.seal_matched,
            }
        }
    }

    pub fn forgot(&self) -> bool {
        self.cause == 1
    }
}

impl App {
    pub(super) fn open_unlock(&mut self, contract: ContractRow, user: UserRow) {
        let Some(session) = self.session.clone() else { return };
        // Say at once when this staff member cannot lift it, not after the form is filled.
        let op = if session.role == StaffRole::Operator {
            crate::domain::permission::Operation::UnlockByPhone
        } else {
            crate::domain::permission::Operation::UnlockAtCounter
        };
        if let Err(e) = session.authorize(op, Some(&contract.branch)) {
            return self.error(&e);
        }
        let locks = match crate::store::locks::open_locks(self.ledger.conn(), user.id) {
            Ok(l) => l,
            Err(e) => return self.error(&e.into()),
        };
        if locks.is_empty() {
            self.say(Level::Error, t(self.lang, "ui.unlock.no_lock").into());
            return;
        }
        let by_phone = session.role == StaffRole::Operator;
        self.screens.push(Screen::Unlock(Box::new(UnlockState {
            contract,
            user,
            locks,
            by_phone,
            focus: UnlockField::Lock,
            lock: 0,
            cause: 0,
            document: None,
            seal_matched: false,
            called_back: false,
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        })));
    }

    pub(super) fn on_unlock(&mut self, action: Action) {
        let Some(Screen::Unlock(s)) = self.screens.last_mut() else { return };
        use UnlockField as F;
        match (action, s.focus) {
            (Action::Input(c), F::Reason) => s.reason.push(c),
            (Action::Backspace, F::Reason) => s.reason.pop(),
            (Action::NextField, _) | (Action::Down | Action::Up, F::Reason) => s.step(action != Action::Up),
            (Action::PrevField, _) => s.step(false),
            (Action::Down, F::Lock) => s.lock = (s.lock + 1).min(s.locks.len().saturating_sub(1)),
            (Action::Up, F::Lock) => s.lock = s.lock.saturating_sub(1),
            (Action::Down | Action::Up, F::Cause) => s.cause = usize::from(action == Action::Down),
            (Action::Down, F::Document) => {
                s.document = Some(s.document.map_or(0, |i| (i + 1).min(IdDocument::ALL.len() - 1)));
            }
            (Action::Up, F::Document) => s.document = Some(s.document.map_or(0, |i| i.saturating_sub(1))),
            (Action::Down | Action::Up, F::Seal) => s.seal_matched = action == Action::Down,
            (Action::Down | Action::Up, F::CallBack) => s.called_back = action == Action::Down,
            (Action::Enter, _) if s.forgot() => {
                // Unlocking does not help someone who forgot the secret: R2–R4 instead.
                let (contract, user) = (s.contract.clone(), s.user.clone());
                self.screens.pop();
                let users = crate::store::customers::users_of(self.ledger.conn(), contract.id).unwrap_or_default();
                let asker = users.iter().position(|u| u.id == user.id).unwrap_or(0);
                self.open_guidance(contract, users, asker);
                self.say(Level::Info, t(self.lang, "ui.unlock.forgot_routed").into());
            }
            (Action::Enter, _) => {
                // What can be checked without the ledger is checked before the question.
                match crate::service::unlock::check_input(s.by_phone, s.check(), s.reason.value()) {
                    Ok(()) => self.modal = Some(Modal::Confirm(Question::Unlock)),
                    Err(e) => self.error(&e),
                }
            }
            _ => {}
        }
    }

    /// After the confirmation: lift the lock (or file the request) and go back.
    pub(super) fn commit_unlock(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Unlock(s)) = self.screens.last() else { return };
        let Some(lock) = s.locks.get(s.lock) else { return };
        let (lock_id, check, reason) = (lock.id, s.check(), s.reason.value().to_string());
        match self.ledger.unlock(&session, lock_id, check, &reason) {
            Ok(outcome) => {
                // Back to the customer, whose screen now shows the lock gone (or pending).
                self.screens.pop();
                if matches!(self.screens.last(), Some(Screen::Guidance(_))) {
                    self.screens.pop();
                }
                self.refresh_top();
                let key = match outcome {
                    UnlockOutcome::Lifted => "ui.unlock.lifted",
                    UnlockOutcome::AwaitingApproval { .. } => "ui.unlock.awaiting",
                };
                self.say(Level::Info, t(self.lang, key).into());
            }
            Err(e) => self.error(&e),
        }
    }
}
