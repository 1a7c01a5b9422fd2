//! Staff accounts.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Result, StoreError};
use crate::domain::permission::StaffRole;

#[derive(Clone)]
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub branch: String,
    pub password_hash: String,
    pub failures: u32,
    pub locked_at: Option<String>,
    pub disabled_at: Option<String>,
    /// Encrypted TOTP secret for supervisor step-up.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
}

// The hash and the encrypted secret stay out of logs.
impl std::fmt::Debug for StaffRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRow")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("branch", &self.branch)
            .field("failures", &self.failures)
            .field("locked_at", &self.locked_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "id, name, role, branch, password_hash, failures, locked_at, disabled_at, totp_secret, totp_last_step";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffRow> {
    let role: String = r.get(2)?;
    Ok(StaffRow {
        id: r.get(0)?,
        name: r.get(1)?,
        role: StaffRole::from_code(&role).unwrap_or(StaffRole::Clerk),
        branch: r.get(3)?,
        password_hash: r.get(4)?,
        failures: r.get(5)?,
        locked_at: r.get(6)?,
        disabled_at: r.get(7)?,
        totp_secret: r.get(8)?,
        totp_last_step: r.get(9)?,
    })
}

pub struct NewStaff<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: StaffRole,
    pub branch: &'a str,
    pub password_hash: &'a str,
    pub at: &'a str,
}

pub fn insert(tx: &Transaction<'_>, s: &NewStaff<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO staff (id, name, role, branch, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.id, s.name, s.role.code(), s.branch, s.password_hash, s.at],
    )
    .map_err(|e| match StoreError::from(e) {
        StoreError::Other(m) if m.contains("FOREIGN KEY") => StoreError::Other(format!("unknown branch {}", s.branch)),
        other => other,
    })?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<StaffRow>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM staff WHERE id = ?1"), [id], row).optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<StaffRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM staff ORDER BY branch, id"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn set_failures(tx: &Transaction<'_>, id: &str, failures: u32, locked_at: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE staff SET failures = ?2, locked_at = coalesce(?3, locked_at) WHERE id = ?1",
        params![id, failures, locked_at],
    )?;
    Ok(())
}

/// A successful login resets the count, but only of an account that is neither locked
/// nor disabled; false otherwise.
pub fn reset_failures_if_open(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    let n =
        tx.execute("UPDATE staff SET failures = 0 WHERE id = ?1 AND locked_at IS NULL AND disabled_at IS NULL", [id])?;
    Ok(n == 1)
}

pub fn unlock(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.execute("UPDATE staff SET failures = 0, locked_at = NULL WHERE id = ?1", [id])?;
    Ok(())
}

pub fn disable(tx: &Transaction<'_>, id: &str, at: &str) -> Result<()> {
    tx.execute("UPDATE staff SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL", params![id, at])?;
    Ok(())
}

pub fn set_totp(tx: &Transaction<'_>, id: &str, secret: &[u8]) -> Result<()> {
    tx.execute("UPDATE staff SET totp_secret = ?2, totp_last_step = NULL WHERE id = ?1", params![id, secret])?;
    Ok(())
}

/// Records the TOTP step just used; returns false when that step (or a later one) was
/// already used, so that no code is accepted twice.
pub fn use_totp_step(tx: &Transaction<'_>, id: &str, step: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE staff SET totp_last_step = ?2 WHERE id = ?1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
        params![id, step],
    )?;
    Ok(n == 1)
}
