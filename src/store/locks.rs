//! R1 failure counters and the locks they open. Both decide whether a customer gets in,
//! so both are sealed rows and read through their MACs.

use chrono::{DateTime, Utc};

use super::Result;
use super::integrity::{self, FAILURES, LOCKS};
use super::sql::{Db, FromRow, Row};
use crate::domain::credential::CredentialKind;
use crate::domain::lockout::{ClearKind, Lock, LockScope, Standing};
use crate::domain::token::TokenState;

/// The consecutive failures of one credential, as read through the row's MAC, and the
/// version of the row read (none before the first failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub failures: u32,
    version: Option<i64>,
}

impl FromRow for Counted {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self { failures: r.get(2)?, version: Some(r.get(4)?) })
    }
}

pub fn counted(db: &mut dyn Db, user_id: i64, kind: CredentialKind) -> Result<Counted> {
    let found: Option<Counted> = db.sealed_first(
        &FAILURES,
        &format!("SELECT {}, mac FROM failure_counts WHERE user_id = ?1 AND credential = ?2", FAILURES.columns),
        &[&user_id, &kind],
    )?;
    Ok(found.unwrap_or(Counted { failures: 0, version: None }))
}

pub fn failures(db: &mut dyn Db, user_id: i64, kind: CredentialKind) -> Result<u32> {
    Ok(counted(db, user_id, kind)?.failures)
}

/// Writes the count that follows one just `read` under the write lock (a failure through
/// the customer channel, the hot path): the row is rewritten from what was read, in one
/// statement, or made on the first failure.
pub fn count_after(
    db: &mut dyn Db,
    user_id: i64,
    kind: CredentialKind,
    read: Counted,
    failures: u32,
    at: DateTime<Utc>,
) -> Result<()> {
    use super::sql::Value;
    match read.version {
        Some(version) => {
            let row =
                vec![Value::Int(user_id), Value::of(&kind), Value::of(&failures), Value::of(&at), Value::Int(version)];
            if integrity::rewrite(db, &FAILURES, row)? {
                Ok(())
            } else {
                Err(super::StoreError::Damaged("failure_counts: the row changed under the write lock".into()))
            }
        }
        None => first_count(db, user_id, kind, failures, at),
    }
}

/// Sets the count, creating its row on the first failure.
pub fn set_failures(
    db: &mut dyn Db,
    user_id: i64,
    kind: CredentialKind,
    failures: u32,
    at: DateTime<Utc>,
) -> Result<()> {
    let n = integrity::update_sealed(
        db,
        &FAILURES,
        "UPDATE failure_counts SET failures = ?3, last_at = ?4 WHERE user_id = ?1 AND credential = ?2",
        &[&user_id, &kind, &failures, &at],
    )?;
    if n == 0 {
        first_count(db, user_id, kind, failures, at)?;
    }
    Ok(())
}

/// The row of a credential's first failure.
fn first_count(db: &mut dyn Db, user_id: i64, kind: CredentialKind, failures: u32, at: DateTime<Utc>) -> Result<()> {
    integrity::insert_sealed(
        db,
        &FAILURES,
        "INSERT INTO failure_counts (user_id, credential, failures, last_at) VALUES (?1, ?2, ?3, ?4)",
        &[&user_id, &kind, &failures, &at],
    )?;
    Ok(())
}

/// A success resets the count to zero (nothing is deleted); returns whether there was one
/// to reset.
pub fn reset_failures(db: &mut dyn Db, user_id: i64, kind: CredentialKind, at: DateTime<Utc>) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &FAILURES,
        "UPDATE failure_counts SET failures = 0, last_at = ?3 WHERE user_id = ?1 AND credential = ?2 AND failures > 0",
        &[&user_id, &kind, &at],
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
    let id: i64 = db.value(
        "INSERT INTO locks (user_id, credential, scope, failures, opened_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        &[&user_id, &kind, &scope, &failures, &at],
    )?;
    integrity::inserted(db, &LOCKS, &[&id])?;
    Ok(id)
}

impl FromRow for Lock {
    /// From the covered columns of `locks`.
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

/// Every lock of a user, open and lifted, oldest first.
pub fn all_locks(db: &mut dyn Db, user_id: i64) -> Result<Vec<Lock>> {
    db.sealed(&LOCKS, &format!("SELECT {}, mac FROM locks WHERE user_id = ?1 ORDER BY id", LOCKS.columns), &[&user_id])
}

pub fn open_locks(db: &mut dyn Db, user_id: i64) -> Result<Vec<Lock>> {
    Ok(all_locks(db, user_id)?.into_iter().filter(|l| l.cleared_at.is_none()).collect())
}

pub fn lock(db: &mut dyn Db, id: i64) -> Result<Option<Lock>> {
    db.sealed_first(&LOCKS, &format!("SELECT {}, mac FROM locks WHERE id = ?1", LOCKS.columns), &[&id])
}

/// What the user may do, from their open locks and a lost token (R10), read from sealed
/// rows: a lock lifted by editing the ledger stops the customer instead of letting them in.
pub fn standing(db: &mut dyn Db, user_id: i64) -> Result<Standing> {
    let locks = open_locks(db, user_id)?;
    let lost = super::tokens::of_user(db, user_id)?.iter().any(|t| t.state == TokenState::Lost);
    Ok(Standing {
        service_suspended: locks.iter().any(|l| l.scope == LockScope::Service),
        otp_suspended: lost || locks.iter().any(|l| l.scope == LockScope::OtpServices),
    })
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
    let Some(lock) = lock(db, lock_id)? else { return Ok(false) };
    let n = integrity::update_sealed(
        db,
        &LOCKS,
        "UPDATE locks SET cleared_at = ?2, cleared_by = ?3, clear_kind = ?4, clear_reason = ?5, identity_check = ?6
         WHERE id = ?1 AND cleared_at IS NULL",
        &[&lock_id, &c.at, &c.by, &c.kind, &c.reason, &c.identity_check],
    )?;
    if n == 1 {
        reset_failures(db, lock.user_id, lock.credential, c.at)?;
    }
    Ok(n == 1)
}

/// When the user's locks were lifted by staff since `since` (R7 counts them).
pub fn unlock_times(db: &mut dyn Db, user_id: i64, since: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
    let mut times: Vec<DateTime<Utc>> = all_locks(db, user_id)?
        .into_iter()
        .filter(|l| l.clear_kind == Some(ClearKind::Unlock))
        .filter_map(|l| l.cleared_at)
        .filter(|t| *t > since)
        .collect();
    times.sort();
    Ok(times)
}
