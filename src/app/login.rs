//! Screen 1, Login: staff ID, then password.

use crate::action::Action;
use crate::domain::permission::Session;
use crate::keys::{Field, Place};
use crate::service::{Ledger, ServiceError};

use super::screen::{Ctx, ScreenState};
use super::{FocusRing, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFocus {
    Id,
    Password,
}

const ORDER: [LoginFocus; 2] = [LoginFocus::Id, LoginFocus::Password];

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, LoginFocus); 2] =
    [("ui.login.staff_id", LoginFocus::Id), ("ui.login.password", LoginFocus::Password)];

pub struct LoginState {
    pub id: TextInput,
    pub password: TextInput,
    pub focus: FocusRing<LoginFocus>,
}

/// What a key on the login screen led to.
pub enum LoginOutcome {
    /// Nothing for the app to do.
    Typing,
    LoggedIn(Session),
    /// Enter with no staff ID.
    NeedId,
    Refused(ServiceError),
}

impl LoginState {
    pub fn new() -> Self {
        Self { id: TextInput::new(32), password: TextInput::secret(64), focus: FocusRing::new(LoginFocus::Id) }
    }

    fn input(&mut self) -> &mut TextInput {
        match self.focus.get() {
            LoginFocus::Id => &mut self.id,
            LoginFocus::Password => &mut self.password,
        }
    }

    /// Login happens before there is a session, so the app calls this directly.
    pub fn handle(&mut self, action: Action, ledger: &mut Ledger) -> LoginOutcome {
        if self.input().edit(action) || self.focus.tab(&ORDER, action) || self.focus.pick(&LABELS, &ORDER, action) {
            return LoginOutcome::Typing;
        }
        match action {
            Action::Down | Action::Up => self.focus.step(&ORDER, action == Action::Down),
            Action::Enter if self.focus.is(LoginFocus::Id) && self.password.is_empty() => {
                self.focus.set(LoginFocus::Password);
            }
            Action::Enter => return self.log_in(ledger),
            _ => {}
        }
        LoginOutcome::Typing
    }

    fn log_in(&mut self, ledger: &mut Ledger) -> LoginOutcome {
        let id = self.id.value().trim().to_string();
        let password = self.password.take_secret();
        if id.is_empty() {
            self.focus.set(LoginFocus::Id);
            return LoginOutcome::NeedId;
        }
        match ledger.staff_login(&id, &password) {
            Ok(session) => LoginOutcome::LoggedIn(session),
            Err(e) => {
                self.focus.set(LoginFocus::Password);
                LoginOutcome::Refused(e)
            }
        }
    }
}

impl Default for LoginState {
    fn default() -> Self {
        Self::new()
    }
}

impl ScreenState for LoginState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Login
    }

    fn field(&self) -> Option<Field> {
        Some(if self.focus.is(LoginFocus::Password) { Field::Secret } else { Field::Plain })
    }

    /// Keys reach the login screen through [`LoginState::handle`]: there is no session yet.
    fn handle(&mut self, _action: Action, _ctx: &mut Ctx<'_>) {}
}
