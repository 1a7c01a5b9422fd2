//! Fees and receipts (R13).

use rusqlite::{Connection, params};

use super::Result;

/// (entries, total with tax) of a branch's business day; reversals count negative.
pub fn day_totals(conn: &Connection, branch: &str, business_date: &str) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(amount + tax), 0) FROM fees WHERE branch = ?1 AND business_date = ?2",
        )?
        .query_row(params![branch, business_date], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
