//! R1 failure counters and the locks they open.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Result;
use crate::domain::credential::CredentialKind;
use crate::domain::lockout::{LockScope, Standing};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRow {
    pub id: i64,
    pub user_id: i64,
    pub credential: CredentialKind,
    pub scope: LockScope,
    pub failures: u32,
    pub opened_at: String,
    pub cleared_at: Option<String>,
    pub cleared_by: Option<String>,
    pub clear_kind: Option<String>,
}

pub fn failures(conn: &Connection, user_id: i64, kind: CredentialKind) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT failures FROM failure_counts WHERE user_id = ?1 AND credential = ?2")?
        .query_row(params![user_id, kind.code()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

pub fn set_failures(tx: &Transaction<'_>, user_id: i64, kind: CredentialKind, failures: u32, at: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO failure_counts (user_id, credential, failures, last_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, credential) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at",
    )?
    .execute(params![user_id, kind.code(), failures, at])?;
    Ok(())
}

/// A success resets the count; returns whether there was one to reset.
pub fn reset_failures(tx: &Transaction<'_>, user_id: i64, kind: CredentialKind) -> Result<bool> {
    let n = tx
        .prepare_cached("DELETE FROM failure_counts WHERE user_id = ?1 AND credential = ?2 AND failures > 0")?
        .execute(params![user_id, kind.code()])?;
    Ok(n > 0)
}

pub fn open_lock(
    tx: &Transaction<'_>,
    user_id: i64,
    kind: CredentialKind,
    scope: LockScope,
    failures: u32,
    at: &str,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO locks (user_id, credential, scope, failures, opened_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, kind.code(), scope.code(), failures, at])?;
    Ok(tx.last_insert_rowid())
}

const COLUMNS: &str = "id, user_id, credential, scope, failures, opened_at, cleared_at, cleared_by, clear_kind";

fn lock_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LockRow> {
    let credential: String = r.get(2)?;
    let scope: String = r.get(3)?;
    Ok(LockRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        credential: CredentialKind::from_code(&credential).unwrap_or(CredentialKind::LoginPassword),
        scope: LockScope::from_code(&scope).unwrap_or(LockScope::Service),
        failures: r.get(4)?,
        opened_at: r.get(5)?,
        cleared_at: r.get(6)?,
        cleared_by: r.get(7)?,
        clear_kind: r.get(8)?,
    })
}

pub fn open_locks(conn: &Connection, user_id: i64) -> Result<Vec<LockRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM locks WHERE user_id = ?1 AND cleared_at IS NULL ORDER BY id"
    ))?;
    let rows = stmt.query_map([user_id], lock_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn lock(conn: &Connection, id: i64) -> Result<Option<LockRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM locks WHERE id = ?1"))?
        .query_row([id], lock_row)
        .optional()?)
}

/// What the user may do, from their open locks and a lost token (R10).
pub fn standing(conn: &Connection, user_id: i64) -> Result<Standing> {
    let (service, otp): (bool, bool) = conn
        .prepare_cached(
            "SELECT
               EXISTS (SELECT 1 FROM locks WHERE user_id = ?1 AND cleared_at IS NULL AND scope = 'service'),
               EXISTS (SELECT 1 FROM locks WHERE user_id = ?1 AND cleared_at IS NULL AND scope = 'otp')
               OR EXISTS (SELECT 1 FROM tokens WHERE user_id = ?1 AND state = 'lost')",
        )?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Standing { service_suspended: service, otp_suspended: otp })
}

/// Clears an open lock and its counter. Returns false when it was already cleared
/// (by another terminal), so that nothing is written twice.
pub fn clear_lock(
    tx: &Transaction<'_>,
    lock_id: i64,
    at: &str,
    by: &str,
    kind: &str,
    reason: &str,
    identity_check: &str,
) -> Result<bool> {
    let n = tx.execute(
        "UPDATE locks SET cleared_at = ?2, cleared_by = ?3, clear_kind = ?4, clear_reason = ?5, identity_check = ?6
         WHERE id = ?1 AND cleared_at IS NULL",
        params![lock_id, at, by, kind, reason, identity_check],
    )?;
    if n == 1 {
        tx.execute(
            "DELETE FROM failure_counts WHERE (user_id, credential) IN (SELECT user_id, credential FROM locks WHERE id = ?1)",
            [lock_id],
        )?;
    }
    Ok(n == 1)
}

/// When the user's locks were lifted by staff (R7 counts them).
pub fn unlock_times(conn: &Connection, user_id: i64, since: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT cleared_at FROM locks WHERE user_id = ?1 AND clear_kind = 'unlock' AND cleared_at > ?2 ORDER BY cleared_at",
    )?;
    let rows = stmt.query_map(params![user_id, since], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
