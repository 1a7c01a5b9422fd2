//! The Audit trail screen: filters, pages of entries (newest first), the detail of one,
//! and the chain check on demand.

use crate::action::Action;
use crate::domain::audit::Entry;
use crate::service::audit::{TrailQuery, VerifyReport};

use super::{App, Screen, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFocus {
    Customer,
    Staff,
    Action,
    From,
    To,
    Rows,
    Verify,
}

/// Tab order, as the screen is drawn: filters, the tamper check, then the rows.
const ORDER: [AuditFocus; 7] = [
    AuditFocus::Customer,
    AuditFocus::Staff,
    AuditFocus::Action,
    AuditFocus::From,
    AuditFocus::To,
    AuditFocus::Verify,
    AuditFocus::Rows,
];

/// Entries per page.
pub const AUDIT_PAGE: u32 = 100;

pub struct AuditState {
    pub customer: TextInput,
    pub staff: TextInput,
    pub action: TextInput,
    pub from: TextInput,
    pub to: TextInput,
    pub focus: AuditFocus,
    pub entries: Vec<Entry>,
    pub selected: usize,
    /// The `before` cursor of each page shown so far (the first is `None`).
    pub pages: Vec<Option<i64>>,
    pub verify: Option<VerifyReport>,
}

impl AuditState {
    pub fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focus {
            AuditFocus::Customer => Some(&mut self.customer),
            AuditFocus::Staff => Some(&mut self.staff),
            AuditFocus::Action => Some(&mut self.action),
            AuditFocus::From => Some(&mut self.from),
            AuditFocus::To => Some(&mut self.to),
            AuditFocus::Rows | AuditFocus::Verify => None,
        }
    }

    fn query(&self) -> TrailQuery {
        TrailQuery {
            customer: self.customer.value().into(),
            staff: self.staff.value().into(),
            action: self.action.value().into(),
            from: self.from.value().into(),
            to: self.to.value().into(),
        }
    }

    fn step(&mut self, forward: bool) {
        self.focus = super::cycle(&ORDER, self.focus, forward);
    }
}

impl App {
    pub(super) fn open_audit(&mut self) {
        let s = AuditState {
            customer: TextInput::new(20),
            staff: TextInput::new(32),
            action: TextInput::new(32),
            from: TextInput::new(10),
            to: TextInput::new(10),
            focus: AuditFocus::Rows,
            entries: Vec::new(),
            selected: 0,
            pages: vec![None],
            verify: None,
        };
        self.screens.push(Screen::Audit(Box::new(s)));
        self.load_audit(None);
    }

    /// Loads the page older than `before`.
    fn load_audit(&mut self, before: Option<i64>) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Audit(s)) = self.screens.last_mut() else { return };
        match self.ledger.audit_trail(&session, &s.query(), before, AUDIT_PAGE) {
            Ok(entries) => {
                s.entries = entries;
                s.selected = 0;
                self.status = None;
            }
            Err(e) => self.error(&e),
        }
    }

    pub(super) fn on_audit(&mut self, action: Action) {
        let Some(Screen::Audit(s)) = self.screens.last_mut() else { return };
        if super::type_into(s.text_mut(), action) {
            return;
        }
        match (action, s.focus) {
            (Action::Down, AuditFocus::Rows) if s.selected + 1 < s.entries.len() => s.selected += 1,
            (Action::Up, AuditFocus::Rows) if s.selected > 0 => s.selected -= 1,
            (Action::NextField, _) => s.step(true),
            (Action::PrevField, _) => s.step(false),
            (Action::PageDown, _) if s.entries.len() == AUDIT_PAGE as usize => {
                let before = s.entries.last().map(|e| e.seq);
                s.pages.push(before);
                self.load_audit(before);
            }
            (Action::PageUp, _) if s.pages.len() > 1 => {
                s.pages.pop();
                let before = s.pages.last().copied().flatten();
                self.load_audit(before);
            }
            (Action::Enter, AuditFocus::Verify) => match self.ledger.verify_audit() {
                Ok(report) => {
                    if let Some(Screen::Audit(s)) = self.screens.last_mut() {
                        s.verify = Some(report);
                    }
                }
                Err(e) => self.error(&e),
            },
            (Action::Enter, _) => {
                s.pages = vec![None];
                s.focus = AuditFocus::Rows;
                self.load_audit(None);
            }
            _ => {}
        }
    }
}
