//! Ledger-wide facts: the key check value, the DEMO mark, the branches.

use super::Result;
use super::sql::Db;
use crate::domain::branch::Branch;

pub fn get(db: &mut dyn Db, key: &str) -> Result<Option<String>> {
    db.scalar("SELECT value FROM meta WHERE key = ?1", &[&key])
}

pub fn set(db: &mut dyn Db, key: &str, value: &str) -> Result<()> {
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}

pub fn upsert_branch(db: &mut dyn Db, b: &Branch) -> Result<()> {
    db.execute(
        "INSERT INTO branches (code, name, name_en, kind, address) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
             kind = excluded.kind, address = excluded.address",
        &[&b.code, &b.name, &b.name_en, &b.kind, &b.address],
    )?;
    Ok(())
}
