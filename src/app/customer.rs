//! Screen 4, Customer: the contract, its users, and the procedures for the selected user.

use crate::action::Action;
use crate::domain::customer::User;
use crate::domain::view::CustomerView;
use crate::keys::Place;
use crate::service::ServiceError;

use super::screen::{Ctx, Screen, ScreenState};
use super::{FormState, GuidanceState, TokenState, UnlockState};

/// A page of history until the screen has been drawn once.
const HISTORY_PAGE: usize = 5;

pub struct CustomerState {
    pub view: CustomerView,
    pub selected_user: usize,
    /// First history entry shown.
    pub history_scroll: usize,
    /// How many history entries the screen last showed: what PgDn moves by.
    pub history_page: usize,
}

impl CustomerState {
    pub fn open(ctx: &mut Ctx<'_>, contract_id: i64) -> Result<Self, ServiceError> {
        let view = ctx.ledger.customer_view(ctx.session, contract_id)?;
        Ok(Self { view, selected_user: 0, history_scroll: 0, history_page: HISTORY_PAGE })
    }

    /// Selects the first user that `pick` accepts (the one found by login ID, say).
    pub fn select_where(&mut self, pick: impl Fn(&User) -> bool) {
        if let Some(i) = self.view.users.iter().position(|u| pick(&u.user)) {
            self.selected_user = i;
        }
    }

    fn user(&self) -> Option<&User> {
        self.view.users.get(self.selected_user).map(|u| &u.user)
    }

    fn users(&self) -> Vec<User> {
        self.view.users.iter().map(|u| u.user.clone()).collect()
    }
}

impl ScreenState for CustomerState {
    fn place(&self) -> Place {
        Place::Customer
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        let users = self.view.users.len();
        let screen = match action {
            Action::Down | Action::NextField if self.selected_user + 1 < users => {
                self.selected_user += 1;
                return;
            }
            Action::Up | Action::PrevField if self.selected_user > 0 => {
                self.selected_user -= 1;
                return;
            }
            Action::PickRow(i) if i < users => {
                self.selected_user = i;
                return;
            }
            Action::PageDown => {
                self.history_scroll =
                    (self.history_scroll + self.history_page).min(self.view.history.len().saturating_sub(1));
                return;
            }
            Action::PageUp => {
                self.history_scroll = self.history_scroll.saturating_sub(self.history_page);
                return;
            }
            Action::Guidance => GuidanceState::open(ctx, self.view.contract.clone(), self.users(), self.selected_user)
                .map(|s| Screen::Guidance(Box::new(s))),
            Action::Unlock => match self.user() {
                Some(u) => UnlockState::open(ctx, u.id).map(|s| Screen::Unlock(Box::new(s))),
                None => return,
            },
            Action::PaperForm => match self.user() {
                Some(u) => FormState::open(ctx, u.id, None).map(|s| Screen::Form(Box::new(s))),
                None => return,
            },
            Action::Withdraw => {
                if let Some(u) = self.view.users.get(self.selected_user) {
                    match super::WithdrawState::new(&u.user.login_id, &u.requests) {
                        Ok(w) => ctx.ask_withdraw(w),
                        Err(e) => ctx.fail(e),
                    }
                }
                return;
            }
            Action::HardToken => match self.user() {
                Some(u) => TokenState::open(ctx, self.view.contract.clone(), u.clone(), None)
                    .map(|s| Screen::Token(Box::new(s))),
                None => return,
            },
            _ => return,
        };
        match screen {
            Ok(s) => ctx.open(s),
            Err(e) => ctx.fail(e),
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        match ctx.ledger.customer_view(ctx.session, self.view.contract.id) {
            Ok(view) => {
                self.selected_user = self.selected_user.min(view.users.len().saturating_sub(1));
                self.history_scroll = 0;
                self.view = view;
            }
            Err(e) => ctx.fail(e),
        }
    }
}
