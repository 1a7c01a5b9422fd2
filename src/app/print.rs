//! Printing from the counter: the receipt after a collection (F7 on its dialog), a
//! receipt again from the Fee journal (F8), and the day shown there (F7). The document is
//! drawn and staged beside its place in the print folder before the print is recorded,
//! so a font or a disk that fails records nothing; once recorded it is put in place and
//! goes to `print.command`, or stays saved with its path shown.

use chrono::NaiveDate;

use crate::domain::permission::Session;
use crate::i18n::{Lang, tf};
use crate::paper::{self, PaperError, PaperFont};
use crate::service::Ledger;

/// Who prints, and in which language they are told how it went.
pub struct Printer<'a> {
    pub ledger: &'a mut Ledger,
    pub session: &'a Session,
    pub lang: Lang,
}

/// What a print ended with: the sentence for the status line.
pub type Printed = Result<String, String>;

impl Printer<'_> {
    pub fn receipt(&mut self, branch: &str, receipt_no: i64) -> Printed {
        let cfg = self.ledger.config().print.clone();
        let font = self.font()?;
        let made = self.ledger.print_receipt(self.session, branch, receipt_no, |doc| {
            let name = format!("receipt-{branch}-{receipt_no:06}-{}.pdf", doc.print.copy);
            paper::stage_in(&cfg, &name, &paper::receipt_pdf(doc, &font)?)
        });
        let what = tf(self.lang, "ui.print.receipt", &[("no", &format!("{branch}-{receipt_no}"))]);
        self.finish(made.map(|r| r.map(|(doc, staged)| (doc.print.copy, staged))), &what, "ui.print.again")
    }

    pub fn journal(&mut self, date: NaiveDate) -> Printed {
        let cfg = self.ledger.config().print.clone();
        let font = self.font()?;
        let branch = self.session.branch.clone();
        let day = crate::format::date(date);
        let made = self.ledger.print_journal(self.session, &branch, date, |doc| {
            let name = format!("journal-{branch}-{day}-{}.pdf", doc.print.copy);
            paper::stage_in(&cfg, &name, &paper::journal_pdf(doc, &font)?)
        });
        let what = tf(self.lang, "ui.print.journal", &[("date", &day)]);
        self.finish(made.map(|r| r.map(|(doc, staged)| (doc.print.copy, staged))), &what, "ui.print.again_journal")
    }

    fn font(&self) -> Result<PaperFont, String> {
        PaperFont::load(self.ledger.config().print.font.as_deref()).map_err(|e| crate::messages::paper(self.lang, &e))
    }

    /// Hands the saved document to the printer and says what became of it.
    fn finish(
        &mut self,
        made: crate::service::Result<Result<(i64, paper::Staged), PaperError>>,
        what: &str,
        again_key: &str,
    ) -> Printed {
        let (copy, staged) = made
            .map_err(|e| crate::messages::error(self.lang, &self.ledger.config().branches, &e))?
            .map_err(|e| crate::messages::paper(self.lang, &e))?;
        let path = staged.keep().map_err(|e| crate::messages::paper(self.lang, &e))?;
        let shown = path.display().to_string();
        let again = if copy > 1 { tf(self.lang, again_key, &[("copy", &copy.to_string())]) } else { String::new() };
        match paper::send(&self.ledger.config().print, &path) {
            Ok(true) => Ok(tf(self.lang, "ui.print.sent", &[("what", what), ("again", &again), ("path", &shown)])),
            Ok(false) => Ok(tf(self.lang, "ui.print.saved", &[("what", what), ("again", &again), ("path", &shown)])),
            Err(e) => Err(crate::messages::paper(self.lang, &e)),
        }
    }
}
