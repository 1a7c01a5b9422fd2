//! Screen 5, Guidance (手続き案内): who is asking, what happened, and the procedure that applies
//! to this contract; recording the answer starts the workflow it names.

use strum::VariantArray;

use crate::action::Action;
use crate::domain::credential::CredentialKind as K;
use crate::domain::customer::{Contract, User};
use crate::domain::forms::FormRequest as F;
use crate::domain::guidance::{self, Answer, Facts, FormKind, Procedure as P, Situation};
use crate::domain::token::FeeQuote;
use crate::keys::Place;
use crate::service::ServiceError;

use super::screen::{Ctx, Screen, ScreenState};
use super::{Choice, FocusRing, FormState, Question, TokenOp, TokenState, UnlockState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidanceFocus {
    Asker,
    Situation,
}

const ORDER: [GuidanceFocus; 2] = [GuidanceFocus::Asker, GuidanceFocus::Situation];

pub struct GuidanceState {
    pub contract: Contract,
    pub users: Vec<User>,
    /// Who is asking, by user id.
    pub asker: Choice<i64>,
    pub situation: Choice<Situation>,
    pub focus: FocusRing<GuidanceFocus>,
    /// The facts of the current asker, read when the asker changes.
    pub facts: Option<Facts>,
    /// The answer of the decision table for the current choice.
    pub answer: Option<Answer>,
    /// Whether the current answer has been recorded on the ledger.
    pub recorded: bool,
    /// The fees an answer may quote: a token added, a token reissued.
    pub fee_add: FeeQuote,
    pub fee_reissue: FeeQuote,
}

impl GuidanceState {
    /// Guidance for the contract, asked by `users[asker]`, on the first situation.
    pub fn open(ctx: &mut Ctx<'_>, contract: Contract, users: Vec<User>, asker: usize) -> Result<Self, ServiceError> {
        Self::open_on(ctx, contract, users, asker, None)
    }

    /// Guidance opened on `situation` (the unlock screen knows what the customer forgot).
    pub fn open_on(
        ctx: &mut Ctx<'_>,
        contract: Contract,
        users: Vec<User>,
        asker: usize,
        situation: Option<Situation>,
    ) -> Result<Self, ServiceError> {
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        let first = ids.get(asker).copied();
        let (fee_add, fee_reissue) = ctx.ledger.token_fees();
        let mut s = Self {
            contract,
            users,
            asker: Choice::new(ids, first),
            situation: match situation {
                Some(_) => Choice::new(Situation::VARIANTS, situation),
                None => Choice::first(Situation::VARIANTS),
            },
            focus: FocusRing::new(GuidanceFocus::Situation),
            facts: None,
            answer: None,
            recorded: false,
            fee_add,
            fee_reissue,
        };
        s.read_facts(ctx)?;
        Ok(s)
    }

    fn read_facts(&mut self, ctx: &mut Ctx<'_>) -> Result<(), ServiceError> {
        if let Some(user) = self.asker.get() {
            self.facts = Some(ctx.ledger.guidance_facts(ctx.session, user)?);
        }
        self.decide();
        Ok(())
    }

    fn decide(&mut self) {
        self.answer = match (self.facts, self.situation.get()) {
            (Some(f), Some(s)) => Some(guidance::advise(s, f)),
            _ => None,
        };
        self.recorded = false;
    }

    /// The workflow screen an answer names, when this staff member can do it here.
    fn workflow(&self, answer: Answer, ctx: &mut Ctx<'_>) -> Option<Result<Screen, ServiceError>> {
        if answer.send_to_branch {
            return None;
        }
        let user = self.users.iter().find(|u| Some(u.id) == self.asker.get())?.clone();
        let form =
            |ctx: &mut Ctx<'_>, kind| FormState::open(ctx, user.id, Some(kind)).map(|s| Screen::Form(Box::new(s)));
        let token = |ctx: &mut Ctx<'_>, op| {
            TokenState::open(ctx, self.contract.clone(), user.clone(), Some(op)).map(|s| Screen::Token(Box::new(s)))
        };
        Some(match answer.procedure {
            P::Unlock(_) => UnlockState::open(ctx, user.id).map(|s| Screen::Unlock(Box::new(s))),
            P::PaperForm(FormKind::PasswordReRegistration) => form(ctx, F::PasswordReRegistration(K::LoginPassword)),
            P::PaperForm(FormKind::PinChange) => form(ctx, F::PinChange(K::Pin)),
            P::PaperForm(FormKind::CancelAndReapply) => form(ctx, F::CancelAndReapply),
            P::AddToken => token(ctx, TokenOp::Add),
            P::ReportLostToken => token(ctx, TokenOp::ReportLost),
            P::ReplacementByMail => token(ctx, TokenOp::Mail),
            _ => return None,
        })
    }
}

impl ScreenState for GuidanceState {
    fn place(&self) -> Place {
        Place::Guidance
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        if self.focus.tab(&ORDER, action) {
            return;
        }
        match (action, self.focus.get()) {
            (Action::Down | Action::Up, GuidanceFocus::Asker) => {
                self.asker.steer(action);
                if let Err(e) = self.read_facts(ctx) {
                    ctx.fail(e);
                }
            }
            (Action::Down | Action::Up, GuidanceFocus::Situation) => {
                self.situation.steer(action);
                self.decide();
            }
            (Action::Enter, _) if self.answer.is_some() => ctx.ask(Question::RecordGuidance),
            _ => {}
        }
    }

    /// Records the answer, then starts the workflow it names.
    fn confirmed(&mut self, q: Question, ctx: &mut Ctx<'_>) {
        let (Question::RecordGuidance, Some(user), Some(situation)) = (q, self.asker.get(), self.situation.get())
        else {
            return;
        };
        match ctx.ledger.give_guidance(ctx.session, user, situation) {
            Ok(answer) => {
                self.answer = Some(answer);
                self.recorded = true;
                ctx.info(ctx.t("ui.guidance.recorded").into());
                match self.workflow(answer, ctx) {
                    Some(Ok(screen)) => ctx.open(screen),
                    Some(Err(e)) => ctx.fail(e),
                    None => {}
                }
            }
            Err(e) => ctx.fail(e),
        }
    }
}
