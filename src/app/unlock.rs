//! Screen 6, Unlock (R7): the open locks, the identity check, the reason.

use crate::action::Action;
use crate::domain::customer::{Contract, User};
use crate::domain::lockout::Lock;
use crate::domain::unlock::{IdDocument, IdentityCheck};
use crate::domain::view::UnlockView;
use crate::keys::{Field, Place};
use crate::service::unlock::UnlockOutcome;
use crate::service::{Problem, ServiceError};
use strum::VariantArray;

use super::screen::{Ctx, Screen, ScreenState};
use crate::domain::guidance::Situation;

use super::{Check, Choice, FocusRing, GuidanceState, Question, TextInput};

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

/// Why the customer is locked out, as they tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Mistyped: lifting the lock helps.
    Mistyped,
    /// Forgot the secret: lifting the lock does not help (R2–R4 instead).
    Forgot,
}

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, UnlockField); 6] = [
    ("ui.unlock.locks", UnlockField::Lock),
    ("ui.unlock.cause", UnlockField::Cause),
    ("ui.unlock.document", UnlockField::Document),
    ("ui.unlock.seal", UnlockField::Seal),
    ("ui.unlock.callback", UnlockField::CallBack),
    ("ui.unlock.reason", UnlockField::Reason),
];

pub struct UnlockState {
    pub contract: Contract,
    pub user: User,
    pub locks: Vec<Lock>,
    pub by_phone: bool,
    pub focus: FocusRing<UnlockField>,
    /// The lock to lift, by id.
    pub lock: Choice<i64>,
    pub cause: Choice<Cause>,
    /// Chosen by staff: never suggested.
    pub document: Choice<IdDocument>,
    pub seal_matched: Check,
    pub called_back: Check,
    pub reason: TextInput,
}

impl UnlockState {
    /// The Unlock screen for a user; refused at once when this staff member cannot lift a
    /// lock of this customer, or when there is nothing locked.
    pub fn open(ctx: &mut Ctx<'_>, user_id: i64) -> Result<Self, ServiceError> {
        let UnlockView { contract, user, locks, by_phone } = ctx.ledger.unlock_view(ctx.session, user_id)?;
        if locks.is_empty() {
            return Err(ServiceError::Invalid(Problem::NothingLocked));
        }
        let ids: Vec<i64> = locks.iter().map(|l| l.id).collect();
        Ok(Self {
            contract,
            user,
            by_phone,
            focus: FocusRing::new(UnlockField::Lock),
            lock: Choice::first(ids),
            locks,
            cause: Choice::first([Cause::Mistyped, Cause::Forgot]),
            document: Choice::new(IdDocument::VARIANTS, None),
            seal_matched: Check::default(),
            called_back: Check::default(),
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        })
    }

    /// The fields in order for this channel.
    pub fn fields(&self) -> &'static [UnlockField] {
        use UnlockField as F;
        if self.by_phone {
            &[F::Lock, F::Cause, F::CallBack, F::Reason]
        } else {
            &[F::Lock, F::Cause, F::Document, F::Seal, F::Reason]
        }
    }

    pub fn check(&self) -> IdentityCheck {
        if self.by_phone {
            IdentityCheck::Phone { called_back: self.called_back.is_on() }
        } else {
            IdentityCheck::Counter { document: self.document.get(), seal_matched: self.seal_matched.is_on() }
        }
    }

    pub fn forgot(&self) -> bool {
        self.cause.get() == Some(Cause::Forgot)
    }

    /// Unlocking does not help someone who forgot the secret: R2–R4, on Guidance.
    fn route_to_guidance(&self, ctx: &mut Ctx<'_>) {
        let users = match ctx.ledger.contract_users(ctx.session, self.contract.id) {
            Ok(u) => u,
            Err(e) => return ctx.fail(e),
        };
        let asker = users.iter().position(|u| u.id == self.user.id).unwrap_or(0);
        let lock = self.lock.get().and_then(|id| self.locks.iter().find(|l| l.id == id));
        let situation = lock.map(|l| Situation::forgotten(l.credential));
        match GuidanceState::open_on(ctx, self.contract.clone(), users, asker, situation) {
            Ok(g) => {
                ctx.close();
                ctx.open(Screen::Guidance(Box::new(g)));
                ctx.info(ctx.t("ui.unlock.forgot_routed").into());
            }
            Err(e) => ctx.fail(e),
        }
    }
}

impl ScreenState for UnlockState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Unlock
    }

    fn field(&self) -> Option<Field> {
        self.focus.is(UnlockField::Reason).then_some(Field::Secret)
    }

    fn dirty(&self) -> bool {
        !self.reason.is_empty()
            || self.document.is_chosen()
            || self.seal_matched.is_on()
            || self.called_back.is_on()
            || self.forgot()
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        use UnlockField as F;
        let fields = self.fields();
        if (self.focus.is(F::Reason) && self.reason.edit(action))
            || self.focus.tab(fields, action)
            || self.focus.pick(&LABELS, fields, action)
        {
            return;
        }
        let steered = match self.focus.get() {
            F::Lock => self.lock.steer(action),
            F::Cause => self.cause.steer(action),
            F::Document => self.document.steer(action),
            F::Seal => self.seal_matched.steer(action),
            F::CallBack => self.called_back.steer(action),
            F::Reason => {
                if matches!(action, Action::Down | Action::Up) {
                    self.focus.step(fields, action == Action::Down);
                    true
                } else {
                    false
                }
            }
        };
        if steered || action != Action::Enter {
            return;
        }
        if self.forgot() {
            return self.route_to_guidance(ctx);
        }
        // What can be checked without the ledger is checked before the question.
        match crate::service::unlock::check_input(self.by_phone, self.check(), self.reason.value()) {
            Ok(()) => ctx.ask(Question::Unlock),
            Err(e) => ctx.fail(e),
        }
    }

    /// Lifts the lock (or files the request) and goes back to the customer.
    fn confirmed(&mut self, q: Question, ctx: &mut Ctx<'_>) {
        let (Question::Unlock, Some(lock)) = (q, self.lock.get()) else { return };
        match ctx.ledger.unlock(ctx.session, lock, self.check(), self.reason.value()) {
            Ok(outcome) => {
                ctx.close_to(Place::Customer);
                let key = match outcome {
                    UnlockOutcome::Lifted => "ui.unlock.lifted",
                    UnlockOutcome::AwaitingApproval { .. } => "ui.unlock.awaiting",
                };
                ctx.info(ctx.t(key).into());
            }
            Err(e) => ctx.fail(e),
        }
    }
}
