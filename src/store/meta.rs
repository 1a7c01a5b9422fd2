//! Ledger-wide facts: the key check value, the DEMO mark, the sealed row counts, the
//! branches. Every one is a sealed row.

use std::collections::BTreeMap;

use super::integrity::{self, BRANCHES, META};
use super::sql::Db;
use super::{Result, StoreError};
use crate::domain::branch::Branch;

pub fn get(db: &mut dyn Db, key: &str) -> Result<Option<String>> {
    let row: Option<(String, String)> =
        db.sealed_first(&META, "SELECT key, value, mac FROM meta WHERE key = ?1", &[&key])?;
    Ok(row.map(|(_, v)| v))
}

/// The key check value, read without its MAC: it proves itself (it is derived from the
/// key), and it is what tells whether the key may check MACs at all.
pub fn key_check(db: &mut dyn Db) -> Result<Option<String>> {
    db.scalar("SELECT value FROM meta WHERE key = 'key_check'", &[])
}

/// The DEMO mark of a ledger of an earlier schema, which has no MACs to check.
pub fn earlier_demo_mark(db: &mut dyn Db) -> Result<bool> {
    Ok(db.scalar::<String>("SELECT value FROM meta WHERE key = 'demo'", &[])?.as_deref() == Some("1"))
}

/// Sets a fact, creating its row the first time.
pub fn set(db: &mut dyn Db, key: &str, value: &str) -> Result<()> {
    if db.execute("UPDATE meta SET value = ?2 WHERE key = ?1", &[&key, &value])? == 0 {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", &[&key, &value])?;
        return integrity::inserted(db, &META, &[&key]);
    }
    integrity::seal(db, &META, &[&key])
}

pub fn upsert_branch(db: &mut dyn Db, b: &Branch) -> Result<()> {
    let n = db.execute(
        "UPDATE branches SET name = ?2, name_en = ?3, kind = ?4, address = ?5 WHERE code = ?1",
        &[&b.code, &b.name, &b.name_en, &b.kind, &b.address],
    )?;
    if n == 0 {
        db.execute(
            "INSERT INTO branches (code, name, name_en, kind, address) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[&b.code, &b.name, &b.name_en, &b.kind, &b.address],
        )?;
        return integrity::inserted(db, &BRANCHES, &[&b.code]);
    }
    integrity::seal(db, &BRANCHES, &[&b.code])
}

/// Sets a fact before the rows are counted (the upgrade counts every row after).
pub fn set_uncounted(db: &mut dyn Db, key: &str, value: &str) -> Result<()> {
    if db.execute("UPDATE meta SET value = ?2 WHERE key = ?1", &[&key, &value])? == 0 {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", &[&key, &value])?;
    }
    integrity::seal(db, &META, &[&key])
}

/// Where the sealed row counts are kept.
const ROW_COUNTS: &str = "row_counts";

/// How many rows each covered table holds, as sealed by the writes that made them. A row
/// deleted by hand leaves its table one short of this.
pub fn row_counts(db: &mut dyn Db) -> Result<BTreeMap<String, i64>> {
    match get(db, ROW_COUNTS)? {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Damaged(format!("row counts: {e}"))),
        None => Ok(BTreeMap::new()),
    }
}

/// Adds a transaction's inserts to the sealed row counts.
pub fn add_row_counts(db: &mut dyn Db, inserted: &BTreeMap<&'static str, i64>) -> Result<()> {
    if inserted.is_empty() {
        return Ok(());
    }
    let Some(text) = get(db, ROW_COUNTS)? else {
        return Err(StoreError::Damaged("the sealed row counts are missing".into()));
    };
    let mut counts: BTreeMap<String, i64> =
        serde_json::from_str(&text).map_err(|e| StoreError::Damaged(format!("row counts: {e}")))?;
    for (table, n) in inserted {
        *counts.entry((*table).to_string()).or_default() += n;
    }
    reset_row_counts(db, &counts)
}

/// Sets the row counts (the upgrade, and an accepted break, set them to what the tables
/// hold). The counts row is itself a meta row, which the counts include.
pub fn reset_row_counts(db: &mut dyn Db, counts: &BTreeMap<String, i64>) -> Result<()> {
    let text = serde_json::to_string(counts).map_err(|e| StoreError::Damaged(format!("row counts: {e}")))?;
    if db.execute("UPDATE meta SET value = ?2 WHERE key = ?1", &[&ROW_COUNTS, &text])? == 0 {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", &[&ROW_COUNTS, &text])?;
    }
    integrity::seal(db, &META, &[&ROW_COUNTS])
}

/// How many rows `table` holds now.
pub fn count_rows(db: &mut dyn Db, table: &str) -> Result<i64> {
    db.value(&format!("SELECT count(*) FROM {table}"), &[])
}
