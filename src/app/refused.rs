//! The blocking notice of a ledger that failed its integrity check: what was found, and
//! the two ways on — the audit trail (to investigate) and logging out. Nothing else opens
//! until an administrator accepts the break.

use crate::action::Action;
use crate::i18n::Lang;
use crate::keys::Place;

use super::AuditState;
use super::screen::{Ctx, Screen, ScreenState};

pub struct RefusedState {
    /// What was found, in Japanese and in English (F2 switches).
    problem: [String; 2],
}

impl RefusedState {
    pub fn new(ctx: &mut Ctx<'_>) -> Self {
        Self { problem: Self::problem(ctx) }
    }

    /// What was found, in the UI language.
    pub fn problem_in(&self, lang: Lang) -> &str {
        &self.problem[usize::from(lang == Lang::En)]
    }

    fn problem(ctx: &mut Ctx<'_>) -> [String; 2] {
        match ctx.ledger.refusal() {
            Some(found) => {
                let head = ctx.ledger.chain_head().map_or(0, |h| h.seq);
                [Lang::Ja, Lang::En].map(|lang| crate::messages::verify_break(lang, found, head))
            }
            None => Default::default(),
        }
    }
}

impl ScreenState for RefusedState {
    fn place(&self) -> Place {
        Place::Refused
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        if action == Action::AuditTrail {
            let audit = AuditState::open(ctx);
            ctx.open(Screen::Audit(Box::new(audit)));
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        self.problem = Self::problem(ctx);
    }
}
