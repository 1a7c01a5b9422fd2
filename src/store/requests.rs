//! Maker-checker requests (検印): the generic approval queue.

use rusqlite::{Connection, Transaction, params};

use super::Result;

pub struct NewRequest<'a> {
    pub kind: &'a str,
    pub branch: &'a str,
    pub contract_id: Option<i64>,
    pub user_id: Option<i64>,
    pub credential: Option<&'a str>,
    pub payload: &'a str,
    pub requested_by: &'a str,
    pub at: &'a str,
}

pub fn insert(tx: &Transaction<'_>, r: &NewRequest<'_>) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO requests (kind, branch, contract_id, user_id, credential, payload, requested_by, requested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        r.kind,
        r.branch,
        r.contract_id,
        r.user_id,
        r.credential,
        r.payload,
        r.requested_by,
        r.at
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Pending requests of a branch (all branches with `None`).
pub fn count_pending(conn: &Connection, branch: Option<&str>) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM requests WHERE state = 'pending' AND (?1 IS NULL OR branch = ?1)")?
        .query_row([branch], |r| r.get(0))?)
}

/// Pending requests concerning one user, as (kind, requested_by, requested_at).
pub fn pending_for_user(conn: &Connection, user_id: i64) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, requested_by, requested_at FROM requests WHERE user_id = ?1 AND state = 'pending' ORDER BY id",
    )?;
    let rows = stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
