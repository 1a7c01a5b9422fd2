//! R13: fee amounts with consumption tax, in whole yen; the journal (日計) and receipts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

/// What a fee entry is. Declared in the order of their stored names, which is the order
/// of the journal's totals.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, EnumString, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FeeKind {
    /// 取消: the exact negative of a receipt, after approval.
    Reversal,
    /// ハードトークン追加発行手数料 (R9).
    TokenAdd,
    /// ハードトークン再発行手数料 (R10).
    TokenReissue,
    /// 免除: a fee forgiven, after approval.
    Waiver,
}

impl FeeKind {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// One line of the fee journal, with the customer and token it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeLine {
    pub id: i64,
    pub branch: String,
    pub receipt_no: i64,
    #[serde(serialize_with = "crate::format::serialize_date")]
    pub business_date: NaiveDate,
    pub kind: FeeKind,
    pub cif: Option<String>,
    pub company: Option<String>,
    pub login_id: Option<String>,
    pub amount: i64,
    pub tax: i64,
    pub reverses: Option<i64>,
    /// The receipt number of the entry this one reverses.
    pub reverses_receipt: Option<i64>,
    pub serial: Option<String>,
    pub staff: String,
    #[serde(serialize_with = "crate::format::serialize_stamp")]
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    /// Whether a later entry reverses this one.
    pub reversed: bool,
    /// Whether a reversal or waiver of it waits for approval.
    pub reversal_pending: bool,
}

/// A branch's business day: its entries and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Journal {
    #[serde(serialize_with = "crate::format::serialize_date")]
    pub date: NaiveDate,
    pub branch: Option<String>,
    pub entries: Vec<FeeLine>,
    pub totals: Totals,
    pub invoice_number: String,
    /// The audit chain's head when the journal was made (`SEQ:` and the first 16 hex
    /// digits of its hash): printed for the supervisor's 検印, a paper anchor that
    /// `audit verify --expect` checks the ledger against later.
    pub chain_head: String,
}

/// A receipt as handed to the customer (領収書).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub branch: String,
    pub receipt_no: i64,
    pub kind: FeeKind,
    pub amount: i64,
    pub tax: i64,
    pub invoice_number: String,
    pub at: DateTime<Utc>,
    pub serial: Option<String>,
}

impl Receipt {
    pub fn total(&self) -> i64 {
        self.amount + self.tax
    }
}

/// Consumption tax on `amount` yen at `rate_percent`, rounded down (one rounding per
/// receipt).
pub fn tax(amount: i64, rate_percent: u32) -> i64 {
    (amount * i64::from(rate_percent)).div_euclid(100)
}

/// The amount with tax.
pub fn with_tax(amount: i64, rate_percent: u32) -> i64 {
    amount + tax(amount, rate_percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_rounded_down() {
        let table = [(2000, 10, 200, 2200), (1999, 10, 199, 2198), (1, 10, 0, 1), (105, 8, 8, 113), (0, 10, 0, 0)];
        for (amount, rate, t, total) in table {
            assert_eq!(tax(amount, rate), t, "{amount} at {rate}%");
            assert_eq!(with_tax(amount, rate), total);
        }
    }
}

/// Totals of a journal: per kind (entries, amount, tax) and overall, reversals negative.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub by_kind: std::collections::BTreeMap<FeeKind, KindTotal>,
    pub entries: i64,
    pub amount: i64,
    pub tax: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindTotal {
    pub entries: i64,
    pub amount: i64,
    pub tax: i64,
    pub total: i64,
}

/// Adds up (kind, amount, tax) entries.
pub fn totals(entries: impl IntoIterator<Item = (FeeKind, i64, i64)>) -> Totals {
    let mut t = Totals::default();
    for (kind, amount, tax) in entries {
        let k = t.by_kind.entry(kind).or_default();
        k.entries += 1;
        k.amount += amount;
        k.tax += tax;
        k.total += amount + tax;
        t.entries += 1;
        t.amount += amount;
        t.tax += tax;
        t.total += amount + tax;
    }
    t
}

#[cfg(test)]
mod totals_tests {
    use super::*;

    #[test]
    fn totals_by_kind_with_reversals() {
        let t = totals([
            (FeeKind::TokenAdd, 2000, 200),
            (FeeKind::TokenAdd, 2000, 200),
            (FeeKind::TokenReissue, 2000, 200),
            (FeeKind::Reversal, -2000, -200),
        ]);
        assert_eq!((t.entries, t.amount, t.tax, t.total), (4, 4000, 400, 4400));
        assert_eq!(t.by_kind[&FeeKind::TokenAdd], KindTotal { entries: 2, amount: 4000, tax: 400, total: 4400 });
        assert_eq!(t.by_kind[&FeeKind::Reversal].total, -2200);
        // The totals come in the order of the stored names, as the journal prints them.
        let names: Vec<&str> = t.by_kind.keys().map(|k| k.code()).collect();
        assert_eq!(names, ["reversal", "token_add", "token_reissue"]);
        assert_eq!(totals([]).total, 0);
    }
}
