//! The Guidance screen's state and keys.

use crate::action::Action;
use crate::domain::guidance::{self, Answer, Facts, Situation};
use crate::store::customers::{ContractRow, UserRow};

use super::{App, Level, Modal, Question, Screen};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidanceFocus {
    Asker,
    Situation,
}

pub struct GuidanceState {
    pub contract: ContractRow,
    pub users: Vec<UserRow>,
    pub asker: usize,
    pub situation: usize,
    pub focus: GuidanceFocus,
    /// The facts of the current asker, read when the asker changes.
    pub facts: Option<Facts>,
    /// The answer of the decision table for the current choice.
    pub answer: Option<Answer>,
    /// Whether the current answer has been recorded on the ledger.
    pub recorded: bool,
}

impl GuidanceState {
    pub fn situation(&self) -> Situation {
        Situation::ALL[self.situation.min(Situation::ALL.len() - 1)]
    }

    fn decide(&mut self) {
        self.answer = self.facts.map(|f| guidance::advise(self.situation(), f));
        self.recorded = false;
    }
}

impl App {
    /// Opens Guidance for the contract on screen, asked by its selected user.
    pub(super) fn open_guidance(&mut self, contract: ContractRow, users: Vec<UserRow>, asker: usize) {
        let mut s = GuidanceState {
            contract,
            users,
            asker,
            situation: 0,
            focus: GuidanceFocus::Situation,
            facts: None,
            answer: None,
            recorded: false,
        };
        self.read_facts(&mut s);
        self.screens.push(Screen::Guidance(Box::new(s)));
    }

    fn read_facts(&mut self, s: &mut GuidanceState) {
        let (Some(session), Some(user)) = (self.session.clone(), s.users.get(s.asker)) else { return };
        match self.ledger.guidance_facts(&session, user.id) {
            Ok(f) => s.facts = Some(f),
            Err(e) => self.error(&e),
        }
        s.decide();
    }

    pub(super) fn on_guidance(&mut self, action: Action) {
        let Some(Screen::Guidance(mut s)) = self.screens.pop() else { return };
        match (action, s.focus) {
            (Action::NextField | Action::PrevField, GuidanceFocus::Asker) => s.focus = GuidanceFocus::Situation,
            (Action::NextField | Action::PrevField, GuidanceFocus::Situation) => s.focus = GuidanceFocus::Asker,
            (Action::Down, GuidanceFocus::Asker) if s.asker + 1 < s.users.len() => {
                s.asker += 1;
                self.read_facts(&mut s);
            }
            (Action::Up, GuidanceFocus::Asker) if s.asker > 0 => {
                s.asker -= 1;
                self.read_facts(&mut s);
            }
            (Action::Down, GuidanceFocus::Situation) if s.situation + 1 < Situation::ALL.len() => {
                s.situation += 1;
                s.decide();
            }
            (Action::Up, GuidanceFocus::Situation) if s.situation > 0 => {
                s.situation -= 1;
                s.decide();
            }
            (Action::Enter, _) if s.answer.is_some() => self.modal = Some(Modal::Confirm(Question::RecordGuidance)),
            _ => {}
        }
        self.screens.push(Screen::Guidance(s));
    }

    /// After the confirmation: record the answer, then start the workflow it names.
    pub(super) fn record_guidance(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Guidance(s)) = self.screens.last() else { return };
        let Some(user) = s.users.get(s.asker).cloned() else { return };
        let (situation, contract) = (s.situation(), s.contract.clone());
        match self.ledger.give_guidance(&session, user.id, situation) {
            Ok(answer) => {
                if let Some(Screen::Guidance(s)) = self.screens.last_mut() {
                    s.answer = Some(answer);
                    s.recorded = true;
                }
                self.say(Level::Info, crate::i18n::t(self.lang, "ui.guidance.recorded").into());
                // Then the workflow the answer names, when this staff member can do it here.
                if answer.send_to_branch {
                    return;
                }
                use crate::app::TokenOp;
                use crate::domain::credential::CredentialKind as K;
                use crate::domain::forms::FormRequest as F;
                use guidance::{FormKind, Procedure as P};
                match answer.procedure {
                    P::Unlock(_) => self.open_unlock(contract, user),
                    P::PaperForm(FormKind::PasswordReRegistration) => {
                        self.start_form(contract, user, Some(F::PasswordReRegistration(K::LoginPassword)))
                    }
                    P::PaperForm(FormKind::PinChange) => self.start_form(contract, user, Some(F::PinChange(K::Pin))),
                    P::PaperForm(FormKind::CancelAndReapply) => {
                        self.start_form(contract, user, Some(F::CancelAndReapply))
                    }
                    P::AddToken => self.open_token(contract, user, Some(TokenOp::Add)),
                    P::ReportLostToken => self.open_token(contract, user, Some(TokenOp::ReportLost)),
                    P::ReplacementByMail => self.open_token(contract, user, Some(TokenOp::Mail)),
                    _ => {}
                }
            }
            Err(e) => self.error(&e),
        }
    }
}
