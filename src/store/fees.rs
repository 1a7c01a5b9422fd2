//! Fees and receipts (R13): entries are only ever added; a reversal points at its original.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Result;

/// The next receipt number of a branch, taken inside the caller's transaction so that a
/// rolled-back fee gives its number back: receipt numbers have no gaps.
pub fn next_receipt(tx: &Transaction<'_>, branch: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO receipt_counters (branch, last) VALUES (?1, 1)
         ON CONFLICT (branch) DO UPDATE SET last = last + 1",
        [branch],
    )?;
    Ok(tx.query_row("SELECT last FROM receipt_counters WHERE branch = ?1", [branch], |r| r.get(0))?)
}

pub struct NewFee<'a> {
    pub branch: &'a str,
    pub receipt_no: i64,
    pub business_date: &'a str,
    pub kind: &'a str,
    pub contract_id: Option<i64>,
    pub user_id: Option<i64>,
    pub amount: i64,
    pub tax: i64,
    pub reverses: Option<i64>,
    pub token_id: Option<i64>,
    pub staff: &'a str,
    pub at: &'a str,
    pub reason: Option<&'a str>,
}

pub fn insert(tx: &Transaction<'_>, f: &NewFee<'_>) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO fees (branch, receipt_no, business_date, kind, contract_id, user_id, amount, tax, reverses,
                           token_id, staff, at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        f.branch,
        f.receipt_no,
        f.business_date,
        f.kind,
        f.contract_id,
        f.user_id,
        f.amount,
        f.tax,
        f.reverses,
        f.token_id,
        f.staff,
        f.at,
        f.reason
    ])?;
    Ok(tx.last_insert_rowid())
}

/// One line of the fee journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeeRow {
    pub id: i64,
    pub branch: String,
    pub receipt_no: i64,
    pub business_date: String,
    pub kind: String,
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
    pub at: String,
    pub reason: Option<String>,
    /// Whether a later entry reverses this one.
    pub reversed: bool,
    /// Whether a reversal or waiver of it waits for approval.
    pub reversal_pending: bool,
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

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FeeRow> {
    Ok(FeeRow {
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

/// A business day's entries, for one branch or all, in receipt order.
pub fn day(conn: &Connection, business_date: &str, branch: Option<&str>) -> Result<Vec<FeeRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE f.business_date = ?1 AND (?2 IS NULL OR f.branch = ?2) ORDER BY f.branch, f.receipt_no"
    ))?;
    let rows = stmt.query_map(params![business_date, branch], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<FeeRow>> {
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE f.id = ?1"))?.query_row([id], row).optional()?)
}

/// (entries, total with tax) of a branch's business day; reversals count negative.
pub fn day_totals(conn: &Connection, branch: &str, business_date: &str) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(amount + tax), 0) FROM fees WHERE branch = ?1 AND business_date = ?2",
        )?
        .query_row(params![branch, business_date], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
