//! What the key-aware upgrade of a ledger reads and rewrites: the values an earlier version
//! stored unbound (token seeds and TOTP secrets encrypted without their place, plain
//! argon2 hashes), read without MAC checks because they carry none yet. Only the upgrade
//! uses this module, once per ledger.

use std::collections::BTreeMap;

use super::Result;
use super::integrity::{self, ALL, STAFF, TOKENS};
use super::sql::Db;

/// Whether the ledger's rows were ever sealed, by any of the marks sealing leaves: its
/// audit entry (which cannot be removed or edited unnoticed), the ledger's id and sealed
/// state, a MAC on any staff or meta row. An intruder would have to remove every one to
/// pass a sealed ledger off as one of the earlier version, and the earlier version's seal
/// would still be missing (see `Ledger::open`).
pub fn was_sealed(db: &mut dyn Db) -> Result<bool> {
    db.value(
        "SELECT EXISTS (SELECT 1 FROM audit WHERE action = 'ledger.integrity')
             OR EXISTS (SELECT 1 FROM meta WHERE key IN ('ledger_id', 'state') OR mac IS NOT NULL)
             OR EXISTS (SELECT 1 FROM staff WHERE mac IS NOT NULL)",
        &[],
    )
}

/// Token seeds as stored: id, serial, encrypted seed.
pub fn token_seeds(db: &mut dyn Db) -> Result<Vec<(i64, String, Vec<u8>)>> {
    db.all("SELECT id, serial, seed FROM tokens ORDER BY id", &[])
}

pub fn set_token_seed(db: &mut dyn Db, id: i64, seed: &[u8]) -> Result<()> {
    db.execute("UPDATE tokens SET seed = ?2 WHERE id = ?1", &[&id, &seed])?;
    integrity::seal(db, &TOKENS, &[&id])
}

/// A staff member's secrets as stored: id, password hash, encrypted TOTP secret.
pub type StaffSecrets = (String, String, Option<Vec<u8>>);

pub fn staff_secrets(db: &mut dyn Db) -> Result<Vec<StaffSecrets>> {
    db.all("SELECT id, password_hash, totp_secret FROM staff ORDER BY id", &[])
}

pub fn set_staff_secrets(db: &mut dyn Db, id: &str, password_hash: &str, totp: Option<&[u8]>) -> Result<()> {
    db.execute("UPDATE staff SET password_hash = ?2, totp_secret = ?3 WHERE id = ?1", &[&id, &password_hash, &totp])?;
    integrity::seal(db, &STAFF, &[&id])
}

/// Customers' secret hashes as stored: id, PHC.
pub fn secret_hashes(db: &mut dyn Db) -> Result<Vec<(i64, String)>> {
    db.all("SELECT id, phc FROM secret_hashes ORDER BY id", &[])
}

pub fn set_secret_hash(db: &mut dyn Db, id: i64, stored: &str) -> Result<()> {
    db.execute("UPDATE secret_hashes SET phc = ?2 WHERE id = ?1", &[&id, &stored])?;
    Ok(())
}

/// Seals every covered row as it is now and returns how many rows each table holds.
pub fn seal_everything(db: &mut dyn Db) -> Result<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    for t in ALL {
        counts.insert(t.table.to_string(), integrity::seal_all(db, t)?);
    }
    Ok(counts)
}
