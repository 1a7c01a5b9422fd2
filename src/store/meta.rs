//! Ledger-wide facts: the key check value, the DEMO mark, the sealed row counts, the
//! branches. Every one is a sealed row.

use std::collections::BTreeMap;

use super::integrity::{self, BRANCHES, META, Tally};
use super::sql::{Db, Value};
use super::{Result, StoreError};
use crate::domain::branch::Branch;

pub fn get(db: &mut dyn Db, key: &str) -> Result<Option<String>> {
    let row: Option<(String, String)> =
        db.sealed_first(&META, "SELECT key, value, version, mac FROM meta WHERE key = ?1", &[&key])?;
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
    if integrity::update_sealed(db, &META, "UPDATE meta SET value = ?2 WHERE key = ?1", &[&key, &value])? == 0 {
        integrity::insert_sealed(db, &META, "INSERT INTO meta (key, value) VALUES (?1, ?2)", &[&key, &value])?;
    }
    Ok(())
}

pub fn upsert_branch(db: &mut dyn Db, b: &Branch) -> Result<()> {
    let n = integrity::update_sealed(
        db,
        &BRANCHES,
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
    Ok(())
}

/// Sets a fact before the rows are counted (the upgrade counts every row after).
pub fn set_uncounted(db: &mut dyn Db, key: &str, value: &str) -> Result<()> {
    if db.execute("UPDATE meta SET value = ?2 WHERE key = ?1", &[&key, &value])? == 0 {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", &[&key, &value])?;
    }
    integrity::seal(db, &META, &[&key])
}

/// Where the ledger's sealed state is kept.
const STATE: &str = "state";

/// The ledger's sealed state, rewritten by every write: how many rows each covered table
/// holds and the sum of their versions, and the audit entry the last write ended at. A row
/// deleted, or copied back from an older copy, leaves its table short of it; the state row
/// itself copied back names an older head than the chain's.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub rows: BTreeMap<String, i64>,
    pub versions: BTreeMap<String, i64>,
    pub head: i64,
}

/// A table as it is now: its row count and version sum.
pub fn table_now(db: &mut dyn Db, table: &str) -> Result<(i64, i64)> {
    let (rows, versions): (i64, Option<i64>) =
        db.first(&format!("SELECT count(*), CAST(sum(version) AS BIGINT) FROM {table}"), &[])?.unwrap_or((0, None));
    Ok((rows, versions.unwrap_or(0)))
}

pub fn state(db: &mut dyn Db) -> Result<Option<State>> {
    get(db, STATE)?.map(|text| parse_state(&text)).transpose()
}

fn parse_state(text: &str) -> Result<State> {
    serde_json::from_str(text).map_err(|e| StoreError::Damaged(format!("state: {e}")))
}

fn write_state(db: &mut dyn Db, state: &State) -> Result<()> {
    let text = serde_json::to_string(state).map_err(|e| StoreError::Damaged(format!("state: {e}")))?;
    if integrity::update_sealed(db, &META, "UPDATE meta SET value = ?2 WHERE key = ?1", &[&STATE, &text])? == 0 {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", &[&STATE, &text])?;
        integrity::seal(db, &META, &[&STATE])?;
    }
    // Its own write is in the state already.
    db.take_tally();
    Ok(())
}

/// Adds what a transaction wrote to the state and notes the head it ended at. The state
/// row's own new version is counted in.
pub fn record_state(db: &mut dyn Db, tally: &Tally, head: i64) -> Result<()> {
    let row: Option<(String, String, i64)> =
        db.sealed_first(&META, "SELECT key, value, version, mac FROM meta WHERE key = ?1", &[&STATE])?;
    let Some((_, text, version)) = row else {
        return Err(StoreError::Damaged("the sealed state of the ledger is missing".into()));
    };
    let mut s = parse_state(&text)?;
    for (table, n) in &tally.inserted {
        *s.rows.entry((*table).to_string()).or_default() += n;
    }
    for (table, n) in &tally.versions {
        *s.versions.entry((*table).to_string()).or_default() += n;
    }
    *s.versions.entry(META.table.to_string()).or_default() += 1;
    s.head = head;
    // Written from what was just read (under the write lock): one statement, not an
    // update, a read and a seal.
    let text = serde_json::to_string(&s).map_err(|e| StoreError::Damaged(format!("state: {e}")))?;
    if !integrity::rewrite(db, &META, vec![Value::Text(STATE.into()), Value::Text(text), Value::Int(version)])? {
        return Err(StoreError::Damaged("the sealed state of the ledger changed under the write lock".into()));
    }
    // Its own write is in the state already.
    db.take_tally();
    Ok(())
}

/// Sets the state to what the tables hold now (the upgrade that first seals a ledger, and
/// an administrator accepting a break); what this transaction wrote before is in it.
pub fn set_state_to_tables(db: &mut dyn Db, head: i64) -> Result<()> {
    // The state row exists first, so that it counts itself.
    let exists: bool = db.value("SELECT EXISTS (SELECT 1 FROM meta WHERE key = ?1)", &[&STATE])?;
    if !exists {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, '{}')", &[&STATE])?;
        integrity::seal(db, &META, &[&STATE])?;
    }
    let mut s = State { head, ..State::default() };
    for t in integrity::tables() {
        let (rows, versions) = table_now(db, t.table)?;
        s.rows.insert(t.table.to_string(), rows);
        s.versions.insert(t.table.to_string(), versions);
    }
    *s.versions.entry(META.table.to_string()).or_default() += 1;
    write_state(db, &s)
}

/// How many rows `table` holds now.
pub fn count_rows(db: &mut dyn Db, table: &str) -> Result<i64> {
    db.value(&format!("SELECT count(*) FROM {table}"), &[])
}
