//! R1 failure counters and the locks they open.

use chrono::{DateTime, Utc};

use super::Result;
use super::sql::{Db, FromRow, Row};
use crate::domain::credential::CredentialKind;
use crate::domain::lockout::{ClearKind, Lock, LockScope, Standing};

pub fn failures(db: &mut dyn Db, user_id: i64, kind: CredentialKind) -> Result<u32> {
    Ok(db
        .scalar("SELECT failures FROM failure_counts WHERE user_id = ?1 AND credential = ?2", &[&user_id, &kind])?
        .unwrap_or(0))
}

pub fn set_failures(
    db: &mut dyn Db,
    user_id: i64,
    kind: CredentialKind,
    failures: u32,
    at: DateTime<Utc>,
) -> Result<()> {
    db.execute(
        "INSERT INTO failure_counts (user_id, credential, failures, last_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, credential) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at",
        &[&user_id, &kind, &failures, &at],
    )?;
    Ok(())
}

/// A success resets the count; returns whether there was one to reset.
pub fn reset_failures(db: &mut dyn Db, user_id: i64, kind: CredentialKind) -> Result<bool> {
    let n = db.execute(
        "DELETE FROM failure_counts WHERE user_id = ?1 AND credential = ?2 AND failures > 0",
        &[&user_id, &kind],
    )?;
    Ok(n > 0)
}

pub fn open_lock(
    db: &mut dyn Db,
    user_id: i64,
    kind: CredentialKind,
    scope: LockScope,
    failures: u32,
    at: DateTime<Utc>,
) -> Result<i64> {
    db.value(
        "INSERT INTO locks (user_id, credential, scope, failures, opened_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        &[&user_id, &kind, &scope, &failures, &at],
    )
}

const COLUMNS: &str = "id, user_id, credential, scope, failures, opened_at, cleared_at, cleared_by, clear_kind";

impl FromRow for Lock {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            user_id: r.get(1)?,
            credential: r.get(2)?,
            scope: r.get(3)?,
            failures: r.get(4)?,
            opened_at: r.get(5)?,
            cleared_at: r.get(6)?,
            cleared_by: r.get(7)?,
            clear_kind: r.get(8)?,
        })
    }
}

pub fn open_locks(db: &mut dyn Db, user_id: i64) -> Result<Vec<Lock>> {
    db.all(&format!("SELECT {COLUMNS} FROM locks WHERE user_id = ?1 AND cleared_at IS NULL ORDER BY id"), &[&user_id])
}

pub fn lock(db: &mut dyn Db, id: i64) -> Result<Option<Lock>> {
    db.first(&format!("SELECT {COLUMNS} FROM locks WHERE id = ?1"), &[&id])
}

/// What the user may do, from their open locks and a lost token (R10).
pub fn standing(db: &mut dyn Db, user_id: i64) -> Result<Standing> {
    let (service, otp): (bool, bool) = db
        .first(
            "SELECT
               EXISTS (SELECT 1 FROM locks WHERE user_id = ?1 AND cleared_at IS NULL AND scope = 'service'),
               EXISTS (SELECT 1 FROM locks WHERE user_id = ?1 AND cleared_at IS NULL AND scope = 'otp')
               OR EXISTS (SELECT 1 FROM tokens WHERE user_id = ?1 AND state = 'lost')",
            &[&user_id],
        )?
        .unwrap_or_default();
    Ok(Standing { service_suspended: service, otp_suspended: otp })
}

/// How a lock is lifted, as recorded on it.
pub struct Clearing<'a> {
    pub at: DateTime<Utc>,
    pub by: &'a str,
    pub kind: ClearKind,
    pub reason: &'a str,
    /// The identity check as recorded (JSON), `{}` for a form.
    pub identity_check: &'a str,
}

/// Clears an open lock and its counter. Returns false when it was already cleared
/// (by another terminal), so that nothing is written twice.
pub fn clear_lock(db: &mut dyn Db, lock_id: i64, c: &Clearing<'_>) -> Result<bool> {
    let n = db.execute(
        "UPDATE locks SET cleared_at = ?2, cleared_by = ?3, clear_kind = ?4, clear_reason = ?5, identity_check = ?6
         WHERE id = ?1 AND cleared_at IS NULL",
        &[&lock_id, &c.at, &c.by, &c.kind, &c.reason, &c.identity_check],
    )?;
    if n == 1 {
        db.execute(
            "DELETE FROM failure_counts WHERE (user_id, credential) IN (SELECT user_id, credential FROM locks WHERE id = ?1)",
            &[&lock_id],
        )?;
    }
    Ok(n == 1)
}

/// When the user's locks were lifted by staff since `since` (R7 counts them).
pub fn unlock_times(db: &mut dyn Db, user_id: i64, since: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
    db.column(
        "SELECT cleared_at FROM locks WHERE user_id = ?1 AND clear_kind = 'unlock' AND cleared_at > ?2 ORDER BY cleared_at",
        &[&user_id, &since],
    )
}
