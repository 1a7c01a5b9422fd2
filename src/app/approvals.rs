//! Screen 9, Approvals (検印): the branch's queue, approval with a TOTP code, rejection with a
//! reason.

use crate::action::Action;
use crate::domain::view::QueueItem;
use crate::keys::{Field, Place};
use crate::service::ServiceError;

use super::screen::{Ctx, ScreenState};
use super::{FocusRing, Question, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalFocus {
    Queue,
    Code,
    Reason,
}

const ORDER: [ApprovalFocus; 3] = [ApprovalFocus::Queue, ApprovalFocus::Code, ApprovalFocus::Reason];

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, ApprovalFocus); 2] =
    [("ui.approvals.code", ApprovalFocus::Code), ("ui.approvals.reason", ApprovalFocus::Reason)];

pub struct ApprovalsState {
    pub items: Vec<QueueItem>,
    pub selected: usize,
    pub focus: FocusRing<ApprovalFocus>,
    pub code: TextInput,
    pub reason: TextInput,
}

impl ApprovalsState {
    pub fn open(ctx: &mut Ctx<'_>) -> Result<Self, ServiceError> {
        Ok(Self {
            items: ctx.ledger.approval_queue(ctx.session)?,
            selected: 0,
            focus: FocusRing::new(ApprovalFocus::Queue),
            code: TextInput::new(8),
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        })
    }

    pub fn current(&self) -> Option<&QueueItem> {
        self.items.get(self.selected)
    }

    fn select(&mut self, i: usize) {
        self.selected = i;
        self.code.clear();
        self.reason.clear();
    }

    /// Reads the queue again, staying on the request shown. Should it have been decided
    /// at another terminal meanwhile, what was typed for it is dropped and the supervisor
    /// told: a code typed for one request never approves another.
    fn reload(&mut self, ctx: &mut Ctx<'_>) {
        let shown = self.current().map(|i| i.request.id);
        match ctx.ledger.approval_queue(ctx.session) {
            Ok(items) => {
                self.items = items;
                match shown.and_then(|id| self.items.iter().position(|i| i.request.id == id)) {
                    Some(i) => self.selected = i,
                    None => {
                        let typing = !self.focus.is(ApprovalFocus::Queue);
                        self.select(self.selected.min(self.items.len().saturating_sub(1)));
                        self.focus.set(ApprovalFocus::Queue);
                        if shown.is_some() && typing {
                            ctx.info(ctx.t("ui.approvals.gone").into());
                        }
                    }
                }
            }
            Err(e) => ctx.fail(e),
        }
    }
}

impl ScreenState for ApprovalsState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Approvals
    }

    fn field(&self) -> Option<Field> {
        match self.focus.get() {
            ApprovalFocus::Queue => None,
            ApprovalFocus::Code => Some(Field::Plain),
            ApprovalFocus::Reason => Some(Field::Secret),
        }
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        use ApprovalFocus as F;
        let typed = match self.focus.get() {
            F::Code => self.code.edit(action),
            F::Reason => self.reason.edit(action),
            F::Queue => false,
        };
        if typed || self.focus.pick(&LABELS, &ORDER, action) {
            return;
        }
        match (action, self.focus.get()) {
            (Action::PickRow(i), _) if i < self.items.len() => {
                self.select(i);
                self.focus.set(F::Queue);
            }
            (Action::Down, F::Queue) if self.selected + 1 < self.items.len() => self.select(self.selected + 1),
            (Action::Up, F::Queue) if self.selected > 0 => self.select(self.selected - 1),
            (Action::NextField | Action::Down, _) | (Action::Enter, F::Queue) if !self.items.is_empty() => {
                self.focus.step(&ORDER, true);
            }
            (Action::PrevField | Action::Up, _) => self.focus.step(&ORDER, false),
            (Action::Enter, F::Code) => ctx.ask(Question::Approve),
            (Action::Enter, F::Reason) => ctx.ask(Question::Reject),
            _ => {}
        }
    }

    /// Approves (with the code) or rejects (with the reason) the request shown.
    fn confirmed(&mut self, q: Question, ctx: &mut Ctx<'_>) {
        let Some(id) = self.current().map(|i| i.request.id) else { return };
        let (result, done) = match q {
            Question::Approve => {
                let code = self.code.value().to_string();
                self.code.clear();
                (ctx.ledger.approve(ctx.session, id, &code), "ui.approvals.approved")
            }
            Question::Reject => (ctx.ledger.reject(ctx.session, id, self.reason.value()), "ui.approvals.rejected"),
            _ => return,
        };
        match result {
            Ok(()) => {
                self.reload(ctx);
                self.focus.set(ApprovalFocus::Queue);
                self.code.clear();
                self.reason.clear();
                ctx.info(ctx.t(done).into());
            }
            Err(e) => ctx.fail(e),
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        self.reload(ctx);
    }
}
