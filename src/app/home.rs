//! Screen 2, Home: what waits today, and the way to every other screen.

use crate::action::Action;
use crate::domain::view::HomeStats;
use crate::keys::Place;

use super::screen::{Ctx, Screen, ScreenState};
use super::{ApprovalsState, AuditState, ExpiringState, JournalState};

/// Home's counts, read when it is shown (see `refresh`).
#[derive(Default)]
pub struct HomeState {
    pub stats: HomeStats,
}

impl ScreenState for HomeState {
    fn place(&self) -> Place {
        Place::Home
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        // A screen this role may not open (the key is not offered to it) is refused, and
        // the attempt recorded, like any other.
        if let Some(op) = crate::keys::needs(action)
            && let Err(e) = ctx.ledger.allowed(ctx.session, op, None)
        {
            return ctx.fail(e);
        }
        let screen = match action {
            Action::Approvals => ApprovalsState::open(ctx).map(|s| Screen::Approvals(Box::new(s))),
            Action::FeeJournal => Ok(Screen::Journal(Box::new(JournalState::open(ctx)))),
            Action::AuditTrail => Ok(Screen::Audit(Box::new(AuditState::open(ctx)))),
            Action::ExpiringTokens => ExpiringState::open(ctx).map(|s| Screen::Expiring(Box::new(s))),
            _ => return,
        };
        match screen {
            Ok(s) => ctx.open(s),
            Err(e) => ctx.fail(e),
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        match ctx.ledger.home_stats(ctx.session) {
            Ok(stats) => self.stats = stats,
            Err(e) => ctx.fail(e),
        }
    }
}
