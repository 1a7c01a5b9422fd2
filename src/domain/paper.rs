//! What goes on paper (R13): the receipt handed over the desk (領収書, a qualified
//! simplified invoice) and the branch's daily fee journal (日計表) that the supervisor
//! stamps. Plain data the ledger fills in and the PDF renderer draws; every date on them
//! comes from the ledger, so the same document printed twice differs only in its print
//! time and its 再発行 mark.

use chrono::{DateTime, Utc};

use super::fees::{FeeKind, FeeLine, Journal, tax};

/// Who issues the document: the bank, its invoice registration number and the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub bank_name: String,
    /// 適格請求書発行事業者登録番号: `T` and 13 digits.
    pub invoice_number: String,
    pub branch_code: String,
    pub branch_name: String,
    pub branch_address: String,
}

/// One print of a document: which copy it is, when and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Print {
    /// 1 for the first print; 2 and on are reprints, marked 再発行.
    pub copy: i64,
    pub at: DateTime<Utc>,
    pub staff: String,
}

impl Print {
    pub fn is_reprint(&self) -> bool {
        self.copy > 1
    }
}

/// A receipt as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptDoc {
    pub issuer: Issuer,
    pub fee: FeeLine,
    /// The tax rate the stored tax was computed at (10 % 対象).
    pub tax_rate: u32,
    pub print: Print,
}

impl ReceiptDoc {
    /// The document's own name in the ledger's record of prints.
    pub fn subject(&self) -> String {
        receipt_subject(&self.fee.branch, self.fee.receipt_no)
    }

    /// A reversal or waiver: it prints as 取消 and names the receipt it cancels.
    pub fn is_cancellation(&self) -> bool {
        matches!(self.fee.kind, FeeKind::Reversal | FeeKind::Waiver)
    }

    pub fn total(&self) -> i64 {
        self.fee.amount + self.fee.tax
    }
}

/// A branch's journal of one business day as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDoc {
    pub issuer: Issuer,
    pub journal: Journal,
    pub print: Print,
}

impl JournalDoc {
    pub fn subject(&self) -> String {
        journal_subject(&self.issuer.branch_code, &crate::format::date(self.journal.date))
    }

    /// The first and last receipt numbers of the day (a gap between them shows as a count
    /// that does not match).
    pub fn number_range(&self) -> Option<(i64, i64)> {
        let numbers = self.journal.entries.iter().map(|e| e.receipt_no);
        Some((numbers.clone().min()?, numbers.max()?))
    }
}

/// The audit subject under which prints of a receipt are recorded.
pub fn receipt_subject(branch: &str, receipt_no: i64) -> String {
    format!("receipt:{branch}:{receipt_no}")
}

/// The audit subject under which prints of a day's journal are recorded.
pub fn journal_subject(branch: &str, date: &str) -> String {
    format!("journal:{branch}:{date}")
}

/// The tax rate a stored (amount, tax) pair was computed at: the configured rate when it
/// gives that tax, else the lowest whole rate that does (a receipt reprinted after the
/// rate changed keeps the rate it was paid at); the configured rate when none does.
pub fn rate_of(amount: i64, stored_tax: i64, configured: u32) -> u32 {
    let (amount, stored_tax) = (amount.abs(), stored_tax.abs());
    if tax(amount, configured) == stored_tax {
        return configured;
    }
    (0..=100).find(|r| tax(amount, *r) == stored_tax).unwrap_or(configured)
}

/// What a fee was for, as the receipt's 但し line says it.
pub fn purpose_ja(kind: FeeKind) -> &'static str {
    match kind {
        FeeKind::TokenAdd => "ハードトークン追加発行手数料",
        FeeKind::TokenReissue => "ハードトークン再発行手数料",
        FeeKind::Reversal => "手数料の取消",
        FeeKind::Waiver => "手数料の免除（取消）",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_the_one_the_tax_was_paid_at() {
        let table = [
            (2000, 200, 10, 10),
            (-2000, -200, 10, 10),
            (2000, 160, 10, 8),
            (1999, 199, 10, 10),
            (0, 0, 10, 10),
            (2000, 7, 10, 10), // no whole rate gives it: the configured one
        ];
        for (amount, t, configured, want) in table {
            assert_eq!(rate_of(amount, t, configured), want, "{amount} {t}");
        }
    }

    #[test]
    fn subjects_name_the_branch_and_number() {
        assert_eq!(receipt_subject("101", 42), "receipt:101:42");
        assert_eq!(journal_subject("101", "2026-12-01"), "journal:101:2026-12-01");
    }
}
