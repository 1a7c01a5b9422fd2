//! Ledger-wide facts: the key check value, the DEMO mark, the branches.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Result;
use crate::domain::branch::Branch;

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn set(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn upsert_branch(tx: &Transaction<'_>, b: &Branch) -> Result<()> {
    tx.execute(
        "INSERT INTO branches (code, name, name_en, kind, address) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
             kind = excluded.kind, address = excluded.address",
        params![b.code, b.name, b.name_en, b.kind.as_str(), b.address],
    )?;
    Ok(())
}
