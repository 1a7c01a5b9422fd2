//! Screen 11, Audit trail: filters, pages of entries (newest first), the detail of one, and the
//! chain check on demand.

use crate::action::Action;
use crate::domain::audit::{ACTIONS, TrailEntry, VerifyReport};
use crate::i18n::Lang;
use crate::keys::{Field, Place};
use crate::service::audit::TrailQuery;

use super::screen::{Ctx, ScreenState};
use super::{FocusRing, TextInput};

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

/// The actions whose label, in either language, contains `typed` (what staff see in the
/// trail is the label, so that is what they type), a reversal or waiver included.
pub fn actions_labelled(typed: &str) -> Vec<String> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for code in ACTIONS.iter().chain(["fee.reversal", "fee.waiver"].iter()) {
        let hit = [Lang::Ja, Lang::En].into_iter().any(|lang| {
            crate::i18n::lookup(lang, &format!("ui.audit_action.{code}"))
                .is_some_and(|label| label.to_lowercase().contains(&typed))
        });
        // A reversal or waiver is stored as a fee entry of that kind.
        let stored = if code.starts_with("fee.") { "fee.record" } else { code };
        if hit && !out.iter().any(|c| c == stored) {
            out.push(stored.to_string());
        }
    }
    out
}

/// Entries per page.
pub const AUDIT_PAGE: u32 = 100;

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, AuditFocus); 6] = [
    ("ui.audit.customer", AuditFocus::Customer),
    ("ui.audit.staff", AuditFocus::Staff),
    ("ui.audit.action", AuditFocus::Action),
    ("ui.audit.from", AuditFocus::From),
    ("ui.audit.to", AuditFocus::To),
    ("ui.audit.verify", AuditFocus::Verify),
];

pub struct AuditState {
    pub customer: TextInput,
    pub staff: TextInput,
    pub action: TextInput,
    pub from: TextInput,
    pub to: TextInput,
    pub focus: FocusRing<AuditFocus>,
    pub entries: Vec<TrailEntry>,
    pub selected: usize,
    /// The `before` cursor of each page shown so far (the first is `None`).
    pub pages: Vec<Option<i64>>,
    pub verify: Option<VerifyReport>,
}

impl AuditState {
    pub fn open(ctx: &mut Ctx<'_>) -> Self {
        let mut s = Self {
            customer: TextInput::new(20),
            staff: TextInput::new(32),
            action: TextInput::new(32),
            from: TextInput::new(10),
            to: TextInput::new(10),
            // The first filter has the focus: what is typed at once is not lost.
            focus: FocusRing::new(AuditFocus::Customer),
            entries: Vec::new(),
            selected: 0,
            pages: vec![None],
            verify: None,
        };
        s.load(None, ctx);
        s
    }

    fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focus.get() {
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
            actions: actions_labelled(self.action.value()),
            customer: self.customer.value().into(),
            staff: self.staff.value().into(),
            action: self.action.value().into(),
            from: self.from.value().into(),
            to: self.to.value().into(),
        }
    }

    /// The first page read again with the same filters, staying on the entry shown (later
    /// pages stay as they are: their place is fixed by the entry before them).
    fn reread(&mut self, ctx: &mut Ctx<'_>) {
        if self.pages.len() != 1 {
            return;
        }
        let shown = self.entries.get(self.selected).map(|e| e.entry.seq);
        match ctx.ledger.audit_trail(ctx.session, &self.query(), None, AUDIT_PAGE) {
            Ok(entries) => {
                self.selected = shown
                    .and_then(|seq| entries.iter().position(|e| e.entry.seq == seq))
                    .unwrap_or(0)
                    .min(entries.len().saturating_sub(1));
                self.entries = entries;
            }
            Err(e) => ctx.fail(e),
        }
    }

    /// Loads the page older than `before`.
    /// True when the page was read. A query that cannot be run (a date that does not
    /// parse) shows no entries rather than the last ones, which the filters no longer
    /// describe.
    fn load(&mut self, before: Option<i64>, ctx: &mut Ctx<'_>) -> bool {
        match ctx.ledger.audit_trail(ctx.session, &self.query(), before, AUDIT_PAGE) {
            Ok(entries) => {
                self.entries = entries;
                self.selected = 0;
                ctx.clear();
                true
            }
            Err(e) => {
                self.entries.clear();
                self.selected = 0;
                ctx.fail(e);
                false
            }
        }
    }
}

impl ScreenState for AuditState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Audit
    }

    fn field(&self) -> Option<Field> {
        match self.focus.get() {
            AuditFocus::Rows | AuditFocus::Verify => None,
            // Dates take `/` as typed (2026/12/01), not as the Find key; `?` is help.
            AuditFocus::From | AuditFocus::To => Some(Field::Date),
            _ => Some(Field::Plain),
        }
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        if self.text_mut().is_some_and(|f| f.edit(action))
            || self.focus.tab(&ORDER, action)
            || self.focus.pick(&LABELS, &ORDER, action)
        {
            return;
        }
        match (action, self.focus.get()) {
            (Action::PickRow(i), _) if i < self.entries.len() => {
                self.selected = i;
                self.focus.set(AuditFocus::Rows);
            }
            (Action::Down, AuditFocus::Rows) if self.selected + 1 < self.entries.len() => self.selected += 1,
            // ↓ from a filter goes into the rows.
            (Action::Down, f) if f != AuditFocus::Verify && f != AuditFocus::Rows => self.focus.set(AuditFocus::Rows),
            (Action::Up, AuditFocus::Rows) if self.selected > 0 => self.selected -= 1,
            (Action::PageDown, _) if self.entries.len() == AUDIT_PAGE as usize => {
                let before = self.entries.last().map(|e| e.entry.seq);
                self.pages.push(before);
                self.load(before, ctx);
            }
            (Action::PageUp, _) if self.pages.len() > 1 => {
                self.pages.pop();
                let before = self.pages.last().copied().flatten();
                self.load(before, ctx);
            }
            (Action::Enter, AuditFocus::Verify) => match ctx.ledger.verify_audit() {
                Ok(report) => self.verify = Some(report),
                Err(e) => ctx.fail(e),
            },
            (Action::Enter, _) => {
                self.pages = vec![None];
                // The rows take the focus once there are rows for this query; a refused
                // query leaves it on the filter to mend.
                if self.load(None, ctx) {
                    self.focus.set(AuditFocus::Rows);
                }
            }
            _ => {}
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        self.reread(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_filter_matches_labels_in_both_languages() {
        assert!(actions_labelled("ロック解除").contains(&"lock.clear".to_string()));
        assert!(actions_labelled("lock lifted").contains(&"lock.clear".to_string()));
        // A reversal is found by its own label, stored as a fee entry.
        assert_eq!(actions_labelled("手数料取消"), ["fee.record"]);
        assert!(actions_labelled("Refused").contains(&"staff.denied".to_string()));
        assert!(actions_labelled("").is_empty());
        assert!(actions_labelled("zzz").is_empty());
    }
}
