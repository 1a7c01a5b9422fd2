//! Reading a ledger file from the side, as an auditor with a SQL prompt would: a read-only
//! connection of its own and the few rows the tests check. The product reads its ledger
//! only through its use cases; the tests look underneath to prove what those wrote.

#![allow(dead_code)]

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Result};

/// A read-only connection to the ledger at `db`.
pub fn open(db: &Path) -> Connection {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open the ledger read-only");
    c.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    c
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub contract_id: i64,
    pub login_id: String,
}

pub fn user_by_login_id(c: &Connection, login: &str) -> Result<Option<User>> {
    c.query_row("SELECT id, contract_id, login_id FROM users WHERE login_id = ?1", [login], |r| {
        Ok(User { id: r.get(0)?, contract_id: r.get(1)?, login_id: r.get(2)? })
    })
    .optional()
}

#[derive(Debug, Clone)]
pub struct Lock {
    pub id: i64,
    pub user_id: i64,
    pub credential: String,
    pub cleared_at: Option<String>,
    pub cleared_by: Option<String>,
}

fn lock_row(r: &rusqlite::Row<'_>) -> Result<Lock> {
    Ok(Lock { id: r.get(0)?, user_id: r.get(1)?, credential: r.get(2)?, cleared_at: r.get(3)?, cleared_by: r.get(4)? })
}

pub fn open_locks(c: &Connection, user_id: i64) -> Result<Vec<Lock>> {
    c.prepare(
        "SELECT id, user_id, credential, cleared_at, cleared_by FROM locks
         WHERE user_id = ?1 AND cleared_at IS NULL ORDER BY id",
    )?
    .query_map([user_id], lock_row)?
    .collect()
}

pub fn lock(c: &Connection, id: i64) -> Result<Option<Lock>> {
    c.query_row("SELECT id, user_id, credential, cleared_at, cleared_by FROM locks WHERE id = ?1", [id], lock_row)
        .optional()
}

/// The consecutive failures of a user's credential (`login`, `pin`…).
pub fn failures(c: &Connection, user_id: i64, credential: &str) -> Result<u32> {
    Ok(c.query_row(
        "SELECT failures FROM failure_counts WHERE user_id = ?1 AND credential = ?2",
        rusqlite::params![user_id, credential],
        |r| r.get(0),
    )
    .optional()?
    .unwrap_or(0))
}

#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub decided_by: Option<String>,
}

pub fn request(c: &Connection, id: i64) -> Result<Option<Request>> {
    c.query_row("SELECT id, kind, state, decided_by FROM requests WHERE id = ?1", [id], |r| {
        Ok(Request { id: r.get(0)?, kind: r.get(1)?, state: r.get(2)?, decided_by: r.get(3)? })
    })
    .optional()
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub failures: u32,
    pub locked_at: Option<String>,
    pub disabled_at: Option<String>,
}

pub fn staff(c: &Connection, id: &str) -> Result<Option<Staff>> {
    c.query_row("SELECT failures, locked_at, disabled_at FROM staff WHERE id = ?1", [id], |r| {
        Ok(Staff { failures: r.get(0)?, locked_at: r.get(1)?, disabled_at: r.get(2)? })
    })
    .optional()
}

/// How many audit entries the ledger holds.
pub fn audit_count(c: &Connection) -> i64 {
    c.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).expect("count")
}
