//! Paper (R13): the receipt and the day's fee journal as documents, and the record of
//! every print in the audit chain. A receipt's first print is the original; every later
//! one is a reprint (再発行) and says so. The service only fills in the documents and
//! records the print: drawing them is the caller's (the PDF renderer), done between the
//! two so that a document that cannot be drawn is never recorded as printed.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::paper::{self, Issuer, JournalDoc, Print, ReceiptDoc};
use crate::domain::permission::{Operation, Session};
use crate::store;

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError};

const RECEIPT_PRINT: &str = "receipt.print";
const JOURNAL_PRINT: &str = "journal.print";

/// How often a print is drawn again when another terminal printed the same document
/// between drawing and recording (the copy number it carries would be wrong).
const ATTEMPTS: usize = 3;

impl Ledger {
    fn issuer(&self, branch: &str) -> Issuer {
        let b = self.cfg.branch(branch);
        Issuer {
            bank_name: self.cfg.bank_name.clone(),
            invoice_number: self.cfg.fees.invoice_number.clone(),
            branch_code: branch.to_string(),
            branch_name: b.map(|b| b.name.clone()).unwrap_or_default(),
            branch_address: b.map(|b| b.address.clone()).unwrap_or_default(),
        }
    }

    /// A branch's receipt as it would print now: the copy number is one more than the
    /// prints recorded so far.
    pub fn receipt_doc(&mut self, session: &Session, branch: &str, receipt_no: i64) -> Result<ReceiptDoc> {
        self.allowed(session, Operation::CounterProcedure, Some(branch))?;
        let fee = store::fees::by_receipt(&mut self.conn, branch, receipt_no)?
            .ok_or(ServiceError::NotFound(Missing::Receipt))?;
        let prints =
            store::audit::count_of(&mut self.conn, &paper::receipt_subject(branch, receipt_no), RECEIPT_PRINT)?;
        Ok(ReceiptDoc {
            issuer: self.issuer(branch),
            tax_rate: paper::rate_of(fee.amount, fee.tax, self.cfg.fees.tax_rate_percent),
            fee,
            print: Print { copy: prints + 1, at: self.now(), staff: session.id.clone() },
        })
    }

    /// A branch's journal of `date` as it would print now (staff print their own
    /// branch's), with the audit chain's head as of now (the print's own record comes
    /// after it).
    pub fn journal_doc(&mut self, session: &Session, branch: &str, date: NaiveDate) -> Result<JournalDoc> {
        self.allowed(session, Operation::ViewFeeJournal, Some(branch))?;
        let journal = self.fee_journal(None, date, Some(branch))?;
        let prints = store::audit::count_of(
            &mut self.conn,
            &paper::journal_subject(branch, &crate::format::date(date)),
            JOURNAL_PRINT,
        )?;
        Ok(JournalDoc {
            issuer: self.issuer(branch),
            journal,
            print: Print { copy: prints + 1, at: self.now(), staff: session.id.clone() },
        })
    }

    /// Prints a receipt: fills it in, has `draw` make it, and records the print when it
    /// was made. `draw`'s own failure is handed back as it is, with nothing recorded.
    pub fn print_receipt<T, E>(
        &mut self,
        session: &Session,
        branch: &str,
        receipt_no: i64,
        draw: impl FnMut(&ReceiptDoc) -> std::result::Result<T, E>,
    ) -> Result<std::result::Result<(ReceiptDoc, T), E>> {
        let facts = |doc: &ReceiptDoc| {
            let details = json!({ "branch": branch, "receipt": receipt_no, "fee": doc.fee.id, "copy": doc.print.copy });
            (doc.subject(), doc.print.copy, details)
        };
        self.print(session, RECEIPT_PRINT, |l| l.receipt_doc(session, branch, receipt_no), facts, draw)
    }

    /// Prints a branch's journal of `date`, as [`print_receipt`] does.
    ///
    /// [`print_receipt`]: Self::print_receipt
    pub fn print_journal<T, E>(
        &mut self,
        session: &Session,
        branch: &str,
        date: NaiveDate,
        draw: impl FnMut(&JournalDoc) -> std::result::Result<T, E>,
    ) -> Result<std::result::Result<(JournalDoc, T), E>> {
        let facts = |doc: &JournalDoc| {
            let details = json!({
                "branch": doc.issuer.branch_code,
                "date": crate::format::date(date),
                "entries": doc.journal.totals.entries,
                "total": doc.journal.totals.total,
                "chain_head": doc.journal.chain_head,
                "copy": doc.print.copy,
            });
            (doc.subject(), doc.print.copy, details)
        };
        self.print(session, JOURNAL_PRINT, |l| l.journal_doc(session, branch, date), facts, draw)
    }

    /// A document filled in, drawn, and its print recorded; drawn again when another
    /// terminal printed it in between (its copy number would be wrong).
    fn print<D, T, E>(
        &mut self,
        session: &Session,
        action: &str,
        mut fill: impl FnMut(&mut Self) -> Result<D>,
        facts: impl Fn(&D) -> (String, i64, serde_json::Value),
        mut draw: impl FnMut(&D) -> std::result::Result<T, E>,
    ) -> Result<std::result::Result<(D, T), E>> {
        // A ledger that refuses writes refuses the print before anything is drawn.
        if let Some(found) = self.refusal {
            let head = store::audit::head(&mut self.conn)?.map_or(0, |h| h.seq);
            return Err(ServiceError::Tampered { found, head });
        }
        for _ in 0..ATTEMPTS {
            let doc = fill(self)?;
            let made = match draw(&doc) {
                Ok(made) => made,
                Err(e) => return Ok(Err(e)),
            };
            let (subject, copy, details) = facts(&doc);
            if self.record_print(session, &subject, action, copy, details)? {
                return Ok(Ok((doc, made)));
            }
        }
        Err(ServiceError::Invalid(Problem::PrintedMeanwhile))
    }

    /// Records print `copy` of `subject`, unless another print of it was recorded since
    /// the document was filled in (then `false`: the caller draws it again).
    fn record_print(
        &mut self,
        session: &Session,
        subject: &str,
        action: &str,
        copy: i64,
        details: serde_json::Value,
    ) -> Result<bool> {
        self.write(&Actor::staff(session), |w| {
            if store::audit::count_of(&mut w.tx, subject, action)? + 1 != copy {
                return Ok(false);
            }
            w.audit(action, subject, details.clone())?;
            Ok(true)
        })
    }
}
