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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub kind: String,
    pub branch: String,
    pub contract_id: Option<i64>,
    pub user_id: Option<i64>,
    pub credential: Option<String>,
    pub payload: String,
    pub state: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

const COLUMNS: &str = "id, kind, branch, contract_id, user_id, credential, payload, state, requested_by, requested_at,
     decided_by, decided_at, reason";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        branch: r.get(2)?,
        contract_id: r.get(3)?,
        user_id: r.get(4)?,
        credential: r.get(5)?,
        payload: r.get(6)?,
        state: r.get(7)?,
        requested_by: r.get(8)?,
        requested_at: r.get(9)?,
        decided_by: r.get(10)?,
        decided_at: r.get(11)?,
        reason: r.get(12)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<RequestRow>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM requests WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// The pending queue of a branch, oldest first.
pub fn pending_for_branch(conn: &Connection, branch: &str, limit: u32) -> Result<Vec<RequestRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE branch = ?1 AND state = 'pending' ORDER BY requested_at, id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![branch, limit], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A user's requests that are pending or were decided since `since`, newest first.
pub fn recent_for_user(conn: &Connection, user_id: i64, since: &str) -> Result<Vec<RequestRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE user_id = ?1 AND (state = 'pending' OR decided_at >= ?2) ORDER BY id DESC"
    ))?;
    let rows = stmt.query_map(params![user_id, since], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records a decision; false when the request was no longer pending (decided meanwhile
/// on another terminal), so that exactly one decision wins.
pub fn decide(tx: &Transaction<'_>, id: i64, state: &str, by: &str, at: &str, reason: Option<&str>) -> Result<bool> {
    let n = tx.execute(
        "UPDATE requests SET state = ?2, decided_by = ?3, decided_at = ?4, reason = ?5 WHERE id = ?1 AND state = 'pending'",
        params![id, state, by, at, reason],
    )?;
    Ok(n == 1)
}
