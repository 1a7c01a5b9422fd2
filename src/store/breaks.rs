//! Breaks of the ledger's integrity that an administrator accepted after investigating
//! them (`audit accept`): kept for good, listed by every verification after.

use chrono::{DateTime, Utc};

use super::Result;
use super::integrity::{self, ACCEPTED};
use super::sql::{Db, FromRow, Row};
use crate::domain::audit::AcceptedBreak;

pub struct NewAccepted<'a> {
    /// What broke: `chain`, `row`, `rollback`, `seal`, `count`.
    pub what: &'a str,
    pub seq: Option<i64>,
    pub row_table: Option<&'a str>,
    pub row_key: Option<&'a str>,
    pub detail: &'a str,
    pub reason: &'a str,
    pub accepted_by: &'a str,
    pub os_user: &'a str,
    pub at: DateTime<Utc>,
}

pub fn insert(db: &mut dyn Db, b: &NewAccepted<'_>) -> Result<i64> {
    let id: i64 = db.value(
        "INSERT INTO accepted_breaks (what, seq, row_table, row_key, detail, reason, accepted_by, os_user, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        &[&b.what, &b.seq, &b.row_table, &b.row_key, &b.detail, &b.reason, &b.accepted_by, &b.os_user, &b.at],
    )?;
    integrity::inserted(db, &ACCEPTED, &[&id])?;
    Ok(id)
}

impl FromRow for AcceptedBreak {
    /// From the covered columns of `accepted_breaks`.
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            what: r.get(1)?,
            seq: r.get(2)?,
            row_table: r.get(3)?,
            row_key: r.get(4)?,
            detail: r.get(5)?,
            reason: r.get(6)?,
            accepted_by: r.get(7)?,
            at: r.get(9)?,
        })
    }
}

/// Every accepted break, oldest first.
pub fn all(db: &mut dyn Db) -> Result<Vec<AcceptedBreak>> {
    db.sealed(&ACCEPTED, &format!("SELECT {}, mac FROM accepted_breaks ORDER BY id", ACCEPTED.columns), &[])
}
