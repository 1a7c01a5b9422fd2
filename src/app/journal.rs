//! The Fee journal (日計) screen: a branch's business day, and reversal or waiver requests.

use chrono::NaiveDate;

use crate::action::Action;
use crate::i18n::{t, tf};
use crate::service::fees::Journal;

use super::{App, Level, Modal, Question, Screen, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFocus {
    Date,
    Rows,
    /// Reversal (a mistake) or waiver (fee forgiven).
    Kind,
    Reason,
}

pub struct JournalState {
    pub date: TextInput,
    pub journal: Option<Journal>,
    pub selected: usize,
    pub focus: JournalFocus,
    pub waiver: bool,
    pub reason: TextInput,
}

impl App {
    pub(super) fn open_journal(&mut self) {
        let today = crate::service::business_date(self.ledger.now());
        let mut date = TextInput::new(10);
        for c in today.format("%Y-%m-%d").to_string().chars() {
            date.push(c);
        }
        self.screens.push(Screen::Journal(Box::new(JournalState {
            date,
            journal: None,
            selected: 0,
            focus: JournalFocus::Rows,
            waiver: false,
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        })));
        self.load_journal();
    }

    fn load_journal(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Journal(s)) = self.screens.last_mut() else { return };
        let Ok(date) = NaiveDate::parse_from_str(s.date.value().trim(), "%Y-%m-%d") else {
            self.say(Level::Error, t(self.lang, "ui.journal.bad_date").into());
            return;
        };
        match self.ledger.fee_journal(Some(&session), date, None) {
            Ok(j) => {
                s.selected = s.selected.min(j.entries.len().saturating_sub(1));
                s.journal = Some(j);
                self.status = None;
            }
            Err(e) => self.error(&e),
        }
    }

    pub(super) fn on_journal(&mut self, action: Action) {
        let Some(Screen::Journal(s)) = self.screens.last_mut() else { return };
        use JournalFocus as F;
        let rows = s.journal.as_ref().map_or(0, |j| j.entries.len());
        match (action, s.focus) {
            (Action::Input(c), F::Date) => s.date.push(c),
            (Action::Backspace, F::Date) => s.date.pop(),
            (Action::Input(c), F::Reason) => s.reason.push(c),
            (Action::Backspace, F::Reason) => s.reason.pop(),
            (Action::Down, F::Rows) if s.selected + 1 < rows => s.selected += 1,
            (Action::Up, F::Rows) if s.selected > 0 => s.selected -= 1,
            (Action::Down | Action::Up, F::Kind) => s.waiver = action == Action::Down,
            (Action::NextField, _) => {
                s.focus = match s.focus {
                    F::Date => F::Rows,
                    F::Rows => F::Kind,
                    F::Kind => F::Reason,
                    F::Reason => F::Date,
                }
            }
            (Action::PrevField, _) => {
                s.focus = match s.focus {
                    F::Date => F::Reason,
                    F::Rows => F::Date,
                    F::Kind => F::Rows,
                    F::Reason => F::Kind,
                }
            }
            (Action::Enter, F::Date) => self.load_journal(),
            (Action::Enter, F::Reason) if rows > 0 => self.modal = Some(Modal::Confirm(Question::Reversal)),
            _ => {}
        }
    }

    /// After the confirmation: file the reversal or waiver for approval.
    pub(super) fn commit_reversal(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Journal(s)) = self.screens.last_mut() else { return };
        let Some(fee) = s.journal.as_ref().and_then(|j| j.entries.get(s.selected)) else { return };
        let (fee_id, receipt, waiver, reason) = (fee.id, fee.receipt_no, s.waiver, s.reason.value().to_string());
        match self.ledger.request_reversal(&session, fee_id, waiver, &reason) {
            Ok(id) => {
                if let Some(Screen::Journal(s)) = self.screens.last_mut() {
                    s.reason.clear();
                    s.focus = JournalFocus::Rows;
                }
                let what = t(self.lang, if waiver { "ui.fee_kind.waiver" } else { "ui.fee_kind.reversal" });
                let text = tf(
                    self.lang,
                    "ui.journal.filed",
                    &[("id", &id.to_string()), ("receipt", &receipt.to_string()), ("what", what)],
                );
                self.say(Level::Info, text);
            }
            Err(e) => self.error(&e),
        }
    }
}
