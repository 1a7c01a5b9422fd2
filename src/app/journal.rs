//! Screen 10, Fee journal (日計): a branch's business day, and reversal or waiver requests.

use crate::action::Action;
use crate::domain::fees::Journal;
use crate::format::{business_date, date, parse_date};
use crate::keys::{Field, Place};

use super::screen::{Ctx, ScreenState};
use super::{Choice, FocusRing, Question, TextInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFocus {
    Date,
    Rows,
    /// Reversal (a mistake) or waiver (fee forgiven).
    Kind,
    Reason,
}

const ORDER: [JournalFocus; 4] = [JournalFocus::Date, JournalFocus::Rows, JournalFocus::Kind, JournalFocus::Reason];

/// How a fee is corrected (R13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// 取消: the fee was a mistake.
    Reversal,
    /// 免除: the fee is forgiven.
    Waiver,
}

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, JournalFocus); 3] = [
    ("ui.journal.date", JournalFocus::Date),
    ("ui.journal.request", JournalFocus::Kind),
    ("ui.journal.reason", JournalFocus::Reason),
];

pub struct JournalState {
    pub date: TextInput,
    pub journal: Option<Journal>,
    pub selected: usize,
    pub focus: FocusRing<JournalFocus>,
    pub remedy: Choice<Remedy>,
    pub reason: TextInput,
}

impl JournalState {
    /// Today's journal of the staff member's branch.
    pub fn open(ctx: &mut Ctx<'_>) -> Self {
        let mut s = Self {
            date: TextInput::with(10, &date(business_date(ctx.now))),
            journal: None,
            selected: 0,
            // The first input has the focus: a date typed at once is not lost.
            focus: FocusRing::new(JournalFocus::Date),
            remedy: Choice::first([Remedy::Reversal, Remedy::Waiver]),
            reason: TextInput::new(crate::domain::unlock::REASON_MAX),
        };
        s.load(ctx);
        s
    }

    /// Shows the day typed in the date field.
    fn load(&mut self, ctx: &mut Ctx<'_>) {
        let Some(day) = parse_date(self.date.value()) else {
            return ctx.refuse(ctx.t("ui.journal.bad_date").into());
        };
        if self.read(day, ctx) {
            ctx.clear();
        }
    }

    /// Reads the journal of `day`, staying on the fee shown; true when it was read.
    fn read(&mut self, day: chrono::NaiveDate, ctx: &mut Ctx<'_>) -> bool {
        let shown = self.journal.as_ref().and_then(|j| j.entries.get(self.selected)).map(|f| f.id);
        match ctx.ledger.fee_journal(Some(ctx.session), day, None) {
            Ok(j) => {
                self.selected = shown
                    .and_then(|id| j.entries.iter().position(|f| f.id == id))
                    .unwrap_or(self.selected)
                    .min(j.entries.len().saturating_sub(1));
                self.journal = Some(j);
                true
            }
            Err(e) => {
                ctx.fail(e);
                false
            }
        }
    }

    /// Writes the day shown as CSV (what `report fees --csv` prints, the kinds also named
    /// in the staff's language) into the export folder, and says where.
    fn export(&mut self, ctx: &mut Ctx<'_>) {
        let Some(j) = &self.journal else { return };
        let folder = ctx.ledger.config().export.folder();
        match crate::export::write_journal(&folder, ctx.lang, j) {
            Ok(path) => {
                ctx.info(crate::i18n::tf(ctx.lang, "ui.journal.exported", &[("path", &path.display().to_string())]))
            }
            Err(e) => ctx.refuse(crate::i18n::tf(
                ctx.lang,
                "ui.journal.export_failed",
                &[("path", &folder.display().to_string()), ("why", &e.to_string())],
            )),
        }
    }

    /// Prints the day shown (not a date half typed) as the branch's 日計表.
    fn print(&mut self, ctx: &mut Ctx<'_>) {
        let Some(day) = self.journal.as_ref().map(|j| j.date) else { return };
        let printed = super::print::Printer { ledger: ctx.ledger, session: ctx.session, lang: ctx.lang }.journal(day);
        match printed {
            Ok(said) => ctx.info(said),
            Err(said) => ctx.refuse(said),
        }
        // The print is a write: the screen reads the day again with it.
        self.read(day, ctx);
    }

    /// Prints again the receipt of the selected fee (a customer who lost theirs): the copy
    /// says 再発行.
    fn print_receipt(&mut self, ctx: &mut Ctx<'_>) {
        let Some((branch, no)) =
            self.journal.as_ref().and_then(|j| j.entries.get(self.selected)).map(|f| (f.branch.clone(), f.receipt_no))
        else {
            return;
        };
        let printed =
            super::print::Printer { ledger: ctx.ledger, session: ctx.session, lang: ctx.lang }.receipt(&branch, no);
        match printed {
            Ok(said) => ctx.info(said),
            Err(said) => ctx.refuse(said),
        }
    }

    fn rows(&self) -> usize {
        self.journal.as_ref().map_or(0, |j| j.entries.len())
    }
}

impl ScreenState for JournalState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Journal
    }

    fn field(&self) -> Option<Field> {
        match self.focus.get() {
            // Dates take `/` as typed (2026/12/01), not as the Find key; `?` is help.
            JournalFocus::Date => Some(Field::Date),
            JournalFocus::Reason => Some(Field::Secret),
            JournalFocus::Rows | JournalFocus::Kind => None,
        }
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        use JournalFocus as F;
        let typed = match self.focus.get() {
            F::Date => self.date.edit(action),
            F::Reason => self.reason.edit(action),
            F::Rows | F::Kind => false,
        };
        if typed || self.focus.tab(&ORDER, action) || self.focus.pick(&LABELS, &ORDER, action) {
            return;
        }
        match (action, self.focus.get()) {
            (Action::Export, _) => self.export(ctx),
            (Action::Print, _) => self.print(ctx),
            // The receipt is named in the question: a hurried F8 never prints another's.
            (Action::PrintReceipt, _) if self.rows() > 0 => ctx.ask(Question::Reprint),
            (Action::PickRow(i), _) if i < self.rows() => {
                self.selected = i;
                self.focus.set(F::Rows);
            }
            (Action::Down, F::Rows) if self.selected + 1 < self.rows() => self.selected += 1,
            (Action::Up, F::Rows) if self.selected > 0 => self.selected -= 1,
            (Action::Down | Action::Up | Action::Left | Action::Right, F::Kind) => {
                self.remedy.steer(action);
            }
            // ↓ from the date goes into the rows, as from the search box on Find.
            (Action::Down, F::Date) => self.focus.set(F::Rows),
            (Action::Up, F::Rows) if self.selected == 0 => self.focus.set(F::Date),
            (Action::Enter, F::Date) => self.load(ctx),
            (Action::Enter, F::Reason) if self.rows() > 0 => {
                // The fee and the reason are checked before the question.
                let Some(fee) = self.journal.as_ref().and_then(|j| j.entries.get(self.selected)) else { return };
                match ctx.ledger.check_reversal(ctx.session, fee.id, self.reason.value()) {
                    Ok(()) => ctx.ask(Question::Reversal),
                    Err(e) => ctx.fail(e),
                }
            }
            _ => {}
        }
    }

    /// The day shown, read again (another terminal may have taken a fee): the day on
    /// screen, not a date half typed.
    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(day) = self.journal.as_ref().map(|j| j.date) {
            self.read(day, ctx);
        }
    }

    /// Files the reversal or waiver of the selected fee for approval.
    fn confirmed(&mut self, q: Question, ctx: &mut Ctx<'_>) {
        if q == Question::Reprint {
            return self.print_receipt(ctx);
        }
        let Some(fee) = self.journal.as_ref().and_then(|j| j.entries.get(self.selected)) else { return };
        if q != Question::Reversal {
            return;
        }
        let (fee_id, receipt) = (fee.id, fee.receipt_no);
        let waiver = self.remedy.get() == Some(Remedy::Waiver);
        match ctx.ledger.request_reversal(ctx.session, fee_id, waiver, self.reason.value()) {
            Ok(id) => {
                self.reason.clear();
                self.focus.set(JournalFocus::Rows);
                let what = ctx.t(if waiver { "ui.fee_kind.waiver" } else { "ui.fee_kind.reversal" });
                ctx.info(crate::i18n::tf(
                    ctx.lang,
                    "ui.journal.filed",
                    &[("id", &id.to_string()), ("receipt", &receipt.to_string()), ("what", what)],
                ));
            }
            Err(e) => ctx.fail(e),
        }
    }
}
