//! Tokens nearing expiry (R12), for mailing replacements.

use crate::action::Action;
use crate::domain::token::Expiring;
use crate::keys::Place;
use crate::service::ServiceError;

use super::CustomerState;
use super::screen::{Ctx, Screen, ScreenState};

pub struct ExpiringState {
    pub rows: Vec<Expiring>,
    pub selected: usize,
    pub within_days: u32,
}

impl ExpiringState {
    pub fn open(ctx: &mut Ctx<'_>) -> Result<Self, ServiceError> {
        let within_days = ctx.ledger.config().token.expiry_notice_days;
        Ok(Self { rows: ctx.ledger.expiring_tokens(Some(ctx.session), None, None)?, selected: 0, within_days })
    }
}

impl ScreenState for ExpiringState {
    fn place(&self) -> Place {
        Place::Expiring
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        match action {
            Action::Down | Action::NextField if self.selected + 1 < self.rows.len() => self.selected += 1,
            Action::Up | Action::PrevField if self.selected > 0 => self.selected -= 1,
            Action::PickRow(i) if i < self.rows.len() => self.selected = i,
            Action::Enter => {
                let Some(r) = self.rows.get(self.selected) else { return };
                let user = r.user_id;
                match CustomerState::open(ctx, r.contract_id) {
                    Ok(mut c) => {
                        c.select_where(|u| u.id == user);
                        ctx.open(Screen::Customer(Box::new(c)));
                    }
                    Err(e) => ctx.fail(e),
                }
            }
            _ => {}
        }
    }

    /// Read again, staying on the token shown.
    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        let shown = self.rows.get(self.selected).map(|r| r.serial.clone());
        match ctx.ledger.expiring_tokens(Some(ctx.session), None, None) {
            Ok(rows) => {
                self.selected = shown
                    .and_then(|s| rows.iter().position(|r| r.serial == s))
                    .unwrap_or(self.selected)
                    .min(rows.len().saturating_sub(1));
                self.rows = rows;
            }
            Err(e) => ctx.fail(e),
        }
    }
}
