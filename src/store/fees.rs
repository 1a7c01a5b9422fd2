//! Fees and receipts (R13): entries are only ever added; a reversal points at its original.

use chrono::{DateTime, NaiveDate, Utc};

use super::Result;
use super::integrity::{self, FEES, RECEIPT_COUNTERS};
use super::sql::{Db, FromRow, Row};
use crate::domain::fees::{FeeKind, FeeLine};

/// The next receipt number of a branch, taken inside the caller's transaction so that a
/// rolled-back fee gives its number back: receipt numbers have no gaps.
pub fn next_receipt(db: &mut dyn Db, branch: &str) -> Result<i64> {
    // The counter is read through its MAC: a counter set back by hand would hand out a
    // receipt number twice.
    let last = last_receipt(db, branch)?;
    let next = last.unwrap_or(0) + 1;
    store_last(db, branch, next, last.is_some())?;
    Ok(next)
}

/// The last receipt number of a branch, as it stands (`None` before its first receipt),
/// read through its MAC.
pub fn last_receipt(db: &mut dyn Db, branch: &str) -> Result<Option<i64>> {
    let current: Option<(String, i64)> = db.sealed_first(
        &RECEIPT_COUNTERS,
        "SELECT branch, last, version, mac FROM receipt_counters WHERE branch = ?1",
        &[&branch],
    )?;
    Ok(current.map(|(_, last)| last))
}

/// Moves a branch's counter on to `last` after a bulk load numbered its receipts up to it
/// (the demo's generated fees), in one write instead of one per receipt.
pub fn set_last_receipt(db: &mut dyn Db, branch: &str, last: i64) -> Result<()> {
    let existed = last_receipt(db, branch)?.is_some();
    store_last(db, branch, last, existed)
}

fn store_last(db: &mut dyn Db, branch: &str, last: i64, existed: bool) -> Result<()> {
    if existed {
        db.execute("UPDATE receipt_counters SET last = ?2 WHERE branch = ?1", &[&branch, &last])?;
        integrity::seal(db, &RECEIPT_COUNTERS, &[&branch])
    } else {
        db.execute("INSERT INTO receipt_counters (branch, last) VALUES (?1, ?2)", &[&branch, &last])?;
        integrity::inserted(db, &RECEIPT_COUNTERS, &[&branch])
    }
}

pub struct NewFee<'a> {
    pub branch: &'a str,
    pub receipt_no: i64,
    pub business_date: NaiveDate,
    pub kind: FeeKind,
    pub contract_id: Option<i64>,
    pub user_id: Option<i64>,
    pub amount: i64,
    pub tax: i64,
    pub reverses: Option<i64>,
    pub token_id: Option<i64>,
    pub staff: &'a str,
    pub at: DateTime<Utc>,
    pub reason: Option<&'a str>,
}

pub fn insert(db: &mut dyn Db, f: &NewFee<'_>) -> Result<i64> {
    let row = integrity::insert_sealed(
        db,
        &FEES,
        "INSERT INTO fees (branch, receipt_no, business_date, kind, contract_id, user_id, amount, tax, reverses,
                           token_id, staff, at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        &[
            &f.branch,
            &f.receipt_no,
            &f.business_date,
            &f.kind,
            &f.contract_id,
            &f.user_id,
            &f.amount,
            &f.tax,
            &f.reverses,
            &f.token_id,
            &f.staff,
            &f.at,
            &f.reason,
        ],
    )?;
    super::customers::identity(&row)
}

const SELECT: &str = "SELECT f.id, f.branch, f.receipt_no, f.business_date, f.kind, c.cif, c.company, u.login_id,
        f.amount, f.tax, f.reverses, o.receipt_no, t.serial, f.staff, f.at, f.reason,
        EXISTS (SELECT 1 FROM fees r WHERE r.reverses = f.id),
        EXISTS (SELECT 1 FROM requests q WHERE q.credential = 'fee:' || f.id AND q.state = 'pending')
     FROM fees f
     LEFT JOIN contracts c ON c.id = f.contract_id
     LEFT JOIN users u ON u.id = f.user_id
     LEFT JOIN fees o ON o.id = f.reverses
     LEFT JOIN tokens t ON t.id = f.token_id";

impl FromRow for FeeLine {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            branch: r.get(1)?,
            receipt_no: r.get(2)?,
            business_date: r.get(3)?,
            kind: r.get(4)?,
            cif: r.get(5)?,
            company: r.get(6)?,
            login_id: r.get(7)?,
            amount: r.get(8)?,
            tax: r.get(9)?,
            reverses: r.get(10)?,
            reverses_receipt: r.get(11)?,
            serial: r.get(12)?,
            staff: r.get(13)?,
            at: r.get(14)?,
            reason: r.get(15)?,
            reversed: r.get(16)?,
            reversal_pending: r.get(17)?,
        })
    }
}

/// A business day's entries, for one branch or all, in receipt order.
pub fn day(db: &mut dyn Db, business_date: NaiveDate, branch: Option<&str>) -> Result<Vec<FeeLine>> {
    db.all(
        &format!(
            "{SELECT} WHERE f.business_date = ?1 AND (CAST(?2 AS TEXT) IS NULL OR f.branch = ?2) ORDER BY f.branch, f.receipt_no"
        ),
        &[&business_date, &branch],
    )
}

/// One fee, its own row checked against its MAC (a reversal acts on its amounts).
pub fn get(db: &mut dyn Db, id: i64) -> Result<Option<FeeLine>> {
    let own: Option<(i64, String)> =
        db.sealed_first(&FEES, &format!("SELECT {}, mac FROM fees WHERE id = ?1", FEES.columns), &[&id])?;
    if own.is_none() {
        return Ok(None);
    }
    db.first(&format!("{SELECT} WHERE f.id = ?1"), &[&id])
}

/// A branch's receipt by its number, its own row checked against its MAC.
pub fn by_receipt(db: &mut dyn Db, branch: &str, receipt_no: i64) -> Result<Option<FeeLine>> {
    let id: Option<i64> =
        db.scalar("SELECT id FROM fees WHERE branch = ?1 AND receipt_no = ?2", &[&branch, &receipt_no])?;
    match id {
        Some(id) => get(db, id),
        None => Ok(None),
    }
}

/// (entries, total with tax) of a branch's business day; reversals count negative.
pub fn day_totals(db: &mut dyn Db, branch: &str, business_date: NaiveDate) -> Result<(i64, i64)> {
    Ok(db
        .first(
            "SELECT count(*), CAST(coalesce(sum(amount + tax), 0) AS BIGINT) FROM fees WHERE branch = ?1 AND business_date = ?2",
            &[&branch, &business_date],
        )?
        .unwrap_or_default())
}
