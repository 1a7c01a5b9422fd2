//! The Hard token screen (R9–R12) and the list of tokens nearing expiry.

use crate::action::Action;
use crate::i18n::tf;
use crate::service::tokens::{Receipt, TokenView};
use crate::store::customers::{ContractRow, UserRow};
use crate::store::tokens::Expiring;

use super::{App, Level, Modal, Question, Screen, TextInput};

/// What staff do with the token of the selected user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOp {
    /// 追加発行, with the fee.
    Add,
    /// 受け渡し: the customer reads a code off the device.
    HandOver,
    /// 紛失届: disabled at once.
    ReportLost,
    /// 再発行, with the fee, after approval.
    Reissue,
    /// 期限前交換: mailed, no fee.
    Mail,
}

impl TokenOp {
    pub const ALL: [Self; 5] = [Self::Add, Self::HandOver, Self::ReportLost, Self::Reissue, Self::Mail];

    pub fn code(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::HandOver => "hand_over",
            Self::ReportLost => "report_lost",
            Self::Reissue => "reissue",
            Self::Mail => "mail",
        }
    }

    pub fn needs_serial(self) -> bool {
        matches!(self, Self::Add | Self::Reissue | Self::Mail)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenField {
    Op,
    Serial,
    Code,
    Tracking,
}

pub struct TokenState {
    pub contract: ContractRow,
    pub user: UserRow,
    pub view: TokenView,
    pub op: usize,
    pub focus: TokenField,
    pub serial: TextInput,
    pub code: TextInput,
    pub tracking: TextInput,
}

impl TokenState {
    pub fn op(&self) -> TokenOp {
        TokenOp::ALL[self.op.min(TokenOp::ALL.len() - 1)]
    }

    pub fn fields(&self) -> Vec<TokenField> {
        let mut f = vec![TokenField::Op];
        match self.op() {
            TokenOp::Add | TokenOp::Reissue => f.push(TokenField::Serial),
            TokenOp::Mail => f.extend([TokenField::Serial, TokenField::Tracking]),
            TokenOp::HandOver => f.push(TokenField::Code),
            TokenOp::ReportLost => {}
        }
        f
    }

    fn step(&mut self, forward: bool) {
        self.focus = super::cycle(&self.fields(), self.focus, forward);
    }

    pub fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focus {
            TokenField::Serial => Some(&mut self.serial),
            TokenField::Code => Some(&mut self.code),
            TokenField::Tracking => Some(&mut self.tracking),
            TokenField::Op => None,
        }
    }

    /// The stock serial offered by default for a step that needs one.
    fn suggest_serial(&mut self) {
        if self.op().needs_serial()
            && self.serial.is_empty()
            && let Some(s) = &self.view.first_in_stock
        {
            for c in s.chars() {
                self.serial.push(c);
            }
        }
    }
}

/// Where the Hard token screen starts: the step the user's situation calls for. Never the
/// loss report, which disables a token and must be chosen on purpose.
fn default_step(view: &TokenView) -> usize {
    let index = |op: TokenOp| TokenOp::ALL.iter().position(|o| *o == op).unwrap_or(0);
    if view.waiting.iter().any(|t| t.state == "reserved") {
        index(TokenOp::HandOver)
    } else if view.held.iter().any(|t| t.state == "lost") {
        index(TokenOp::Reissue)
    } else if view.held.iter().any(|t| t.state == "issued") {
        index(TokenOp::Mail)
    } else {
        index(TokenOp::Add)
    }
}

pub struct ExpiringState {
    pub rows: Vec<Expiring>,
    pub selected: usize,
    pub within_days: u32,
}

impl App {
    /// Opens the Hard token screen; `op` preselects a step (from guidance).
    pub(super) fn open_token(&mut self, contract: ContractRow, user: UserRow, op: Option<TokenOp>) {
        let Some(session) = self.session.clone() else { return };
        match self.ledger.token_view(&session, user.id) {
            Ok(view) => {
                let mut s = TokenState {
                    contract,
                    user,
                    view,
                    op: 0,
                    focus: TokenField::Op,
                    serial: TextInput::new(32),
                    code: TextInput::new(8),
                    tracking: TextInput::new(20),
                };
                s.op =
                    op.and_then(|o| TokenOp::ALL.iter().position(|x| *x == o)).unwrap_or_else(|| default_step(&s.view));
                s.suggest_serial();
                self.screens.push(Screen::Token(Box::new(s)));
            }
            Err(e) => self.error(&e),
        }
    }

    pub(super) fn on_token(&mut self, action: Action) {
        let Some(Screen::Token(s)) = self.screens.last_mut() else { return };
        if super::type_into(s.text_mut(), action) {
            return;
        }
        match (action, s.focus) {
            (Action::Down, TokenField::Op) => {
                s.op = (s.op + 1).min(TokenOp::ALL.len() - 1);
                s.suggest_serial();
            }
            (Action::Up, TokenField::Op) => {
                s.op = s.op.saturating_sub(1);
                s.suggest_serial();
            }
            (Action::NextField | Action::Down, _) => s.step(true),
            (Action::PrevField | Action::Up, _) => s.step(false),
            (Action::Enter, _) => self.modal = Some(Modal::Confirm(Question::TokenStep)),
            _ => {}
        }
    }

    /// After the confirmation: carry out the chosen step.
    pub(super) fn commit_token(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Token(s)) = self.screens.last_mut() else { return };
        let (user_id, serial, code, tracking, op) = (
            s.user.id,
            s.serial.value().to_string(),
            s.code.value().to_string(),
            s.tracking.value().to_string(),
            s.op(),
        );
        s.code.clear();
        let result: Result<(String, Option<Receipt>), crate::service::ServiceError> = match op {
            TokenOp::Add => self.ledger.add_token(&session, user_id, &serial).map(|r| (String::new(), Some(r))),
            TokenOp::Reissue => {
                self.ledger.reissue_token(&session, user_id, &serial).map(|(r, _)| (String::new(), Some(r)))
            }
            TokenOp::HandOver => self.ledger.hand_over(&session, user_id, &code).map(|s| (s, None)),
            TokenOp::ReportLost => self.ledger.report_lost(&session, user_id).map(|s| (s, None)),
            TokenOp::Mail => {
                self.ledger.mail_replacement(&session, user_id, &serial, &tracking).map(|()| (serial, None))
            }
        };
        match result {
            Ok((serial, receipt)) => {
                let (contract, user) = match self.screens.pop() {
                    Some(Screen::Token(s)) => (s.contract, s.user),
                    _ => return,
                };
                self.open_token(contract, user, None);
                let text = tf(self.lang, &format!("ui.token.done_{}", op.code()), &[("serial", &serial)]);
                self.say(Level::Info, text);
                if let Some(r) = receipt {
                    self.modal = Some(Modal::Receipt(Box::new(r)));
                }
            }
            Err(e) => self.error(&e),
        }
    }

    pub(super) fn open_expiring(&mut self) {
        let Some(session) = self.session.clone() else { return };
        match self.ledger.expiring_tokens(Some(&session), None, None) {
            Ok(rows) => self.screens.push(Screen::Expiring(Box::new(ExpiringState {
                rows,
                selected: 0,
                within_days: self.ledger.config().token.expiry_notice_days,
            }))),
            Err(e) => self.error(&e),
        }
    }

    pub(super) fn on_expiring(&mut self, action: Action) {
        let Some(Screen::Expiring(s)) = self.screens.last_mut() else { return };
        match action {
            Action::Down | Action::NextField if s.selected + 1 < s.rows.len() => s.selected += 1,
            Action::Up | Action::PrevField if s.selected > 0 => s.selected -= 1,
            Action::Enter => {
                if let Some(r) = s.rows.get(s.selected) {
                    let (contract_id, user_id) = (r.contract_id, r.user_id);
                    self.open_customer_user(contract_id, user_id);
                }
            }
            _ => {}
        }
    }
}
