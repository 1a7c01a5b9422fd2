//! Staff accounts.

use chrono::{DateTime, Utc};

use super::Result;
use super::integrity::{self, STAFF};
use super::sql::{Db, FromRow, Row};
use crate::domain::permission::StaffRole;
use crate::domain::staff::StaffAccount;

impl FromRow for StaffAccount {
    /// From the covered columns of `staff`.
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            name: r.get(1)?,
            role: r.get(2)?,
            branch: r.get(3)?,
            password_hash: r.get(4)?,
            failures: r.get(5)?,
            locked_at: r.get(6)?,
            disabled_at: r.get(7)?,
            totp_secret: r.get(8)?,
            totp_last_step: r.get(9)?,
            totp_failures: r.get(11)?,
        })
    }
}

pub struct NewStaff<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: StaffRole,
    pub branch: &'a str,
    pub password_hash: &'a str,
    pub at: DateTime<Utc>,
}

pub fn insert(db: &mut dyn Db, s: &NewStaff<'_>) -> Result<()> {
    db.execute(
        "INSERT INTO staff (id, name, role, branch, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[&s.id, &s.name, &s.role, &s.branch, &s.password_hash, &s.at],
    )?;
    integrity::inserted(db, &STAFF, &[&s.id])
}

pub fn get(db: &mut dyn Db, id: &str) -> Result<Option<StaffAccount>> {
    db.sealed_first(&STAFF, &format!("SELECT {}, mac FROM staff WHERE id = ?1", STAFF.columns), &[&id])
}

pub fn list(db: &mut dyn Db) -> Result<Vec<StaffAccount>> {
    db.sealed(&STAFF, &format!("SELECT {}, mac FROM staff ORDER BY branch, id", STAFF.columns), &[])
}

pub fn set_failures(db: &mut dyn Db, id: &str, failures: u32, locked_at: Option<DateTime<Utc>>) -> Result<()> {
    integrity::update_row_sealed(
        db,
        &STAFF,
        "UPDATE staff SET failures = ?2, locked_at = coalesce(?3, locked_at) WHERE id = ?1",
        &[&id, &failures, &locked_at],
    )
}

/// A successful login resets the count, but only of an account that is neither locked
/// nor disabled; false otherwise.
pub fn reset_failures_if_open(db: &mut dyn Db, id: &str) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &STAFF,
        "UPDATE staff SET failures = 0 WHERE id = ?1 AND locked_at IS NULL AND disabled_at IS NULL",
        &[&id],
    )?;
    Ok(n == 1)
}

/// An administrator lifts a staff lock: the login and the code counts start again.
pub fn unlock(db: &mut dyn Db, id: &str) -> Result<()> {
    integrity::update_row_sealed(
        db,
        &STAFF,
        "UPDATE staff SET failures = 0, totp_failures = 0, locked_at = NULL WHERE id = ?1",
        &[&id],
    )
}

pub fn disable(db: &mut dyn Db, id: &str, at: DateTime<Utc>) -> Result<()> {
    db.execute("UPDATE staff SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL", &[&id, &at])?;
    integrity::seal(db, &STAFF, &[&id])
}

pub fn set_totp(db: &mut dyn Db, id: &str, secret: &[u8]) -> Result<()> {
    integrity::update_row_sealed(
        db,
        &STAFF,
        "UPDATE staff SET totp_secret = ?2, totp_last_step = NULL WHERE id = ?1",
        &[&id, &secret],
    )
}

/// Counts a wrong step-up code; at `lockout` the account is locked like at login.
/// Returns the count.
pub fn count_totp_failure(db: &mut dyn Db, id: &str, lockout: u32, at: DateTime<Utc>) -> Result<u32> {
    integrity::update_row_sealed(
        db,
        &STAFF,
        "UPDATE staff SET totp_failures = totp_failures + 1,
                          locked_at = CASE WHEN totp_failures + 1 >= ?2 THEN coalesce(locked_at, ?3) ELSE locked_at END
         WHERE id = ?1",
        &[&id, &lockout, &at],
    )?;
    db.value("SELECT totp_failures FROM staff WHERE id = ?1", &[&id])
}

/// Records the TOTP step just used; returns false when that step (or a later one) was
/// already used, so that no code is accepted twice.
pub fn use_totp_step(db: &mut dyn Db, id: &str, step: i64) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &STAFF,
        "UPDATE staff SET totp_last_step = ?2, totp_failures = 0
         WHERE id = ?1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
        &[&id, &step],
    )?;
    Ok(n == 1)
}

/// Replaces a staff member's stored password hash (the upgrade that peppers it).
pub fn set_password_hash(db: &mut dyn Db, id: &str, stored: &str) -> Result<()> {
    integrity::update_row_sealed(db, &STAFF, "UPDATE staff SET password_hash = ?2 WHERE id = ?1", &[&id, &stored])
}
