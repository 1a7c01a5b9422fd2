//! The front end's API keys (see `domain::api_key`): added, listed, revoked; never
//! deleted.

use chrono::{DateTime, Utc};

use super::Result;
use super::integrity::{self, API_KEYS};
use super::sql::{Db, FromRow, Row};
use crate::domain::api_key::ApiKey;

/// Adds a key; its hash is stored by [`set_hash`] once the row's id is known.
pub fn insert(db: &mut dyn Db, name: &str, created_by: &str, at: DateTime<Utc>) -> Result<i64> {
    let id: i64 = db.value(
        "INSERT INTO api_keys (name, hash, created_by, created_at) VALUES (?1, '', ?2, ?3) RETURNING id",
        &[&name, &created_by, &at],
    )?;
    integrity::inserted(db, &API_KEYS, &[&id])?;
    Ok(id)
}

pub fn set_hash(db: &mut dyn Db, id: i64, hash: &str) -> Result<()> {
    integrity::update_row_sealed(db, &API_KEYS, "UPDATE api_keys SET hash = ?2 WHERE id = ?1", &[&id, &hash])
}

pub fn exists(db: &mut dyn Db, name: &str) -> Result<bool> {
    db.value("SELECT EXISTS (SELECT 1 FROM api_keys WHERE name = ?1)", &[&name])
}

impl FromRow for ApiKey {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            name: r.get(1)?,
            created_by: r.get(3)?,
            created_at: r.get(4)?,
            revoked_at: r.get(5)?,
            revoked_by: r.get(6)?,
        })
    }
}

/// Every key, checked against its MAC (a key row forged without the ledger key is
/// refused, not trusted).
pub fn all(db: &mut dyn Db) -> Result<Vec<ApiKey>> {
    db.sealed(&API_KEYS, &format!("SELECT {}, mac FROM api_keys ORDER BY id", API_KEYS.columns), &[])
}

/// A key that is not revoked, with its stored hash, checked against its MAC.
pub fn active(db: &mut dyn Db, id: i64) -> Result<Option<(ApiKey, String)>> {
    let found: Option<HashedKey> = db.sealed_first(
        &API_KEYS,
        &format!("SELECT {}, mac FROM api_keys WHERE id = ?1 AND revoked_at IS NULL", API_KEYS.columns),
        &[&id],
    )?;
    Ok(found.map(|k| (k.0, k.1)))
}

struct HashedKey(ApiKey, String);

impl FromRow for HashedKey {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self(ApiKey::from_row(r)?, r.get(2)?))
    }
}

/// Revokes a key by name; false when there is no active key of that name.
pub fn revoke(db: &mut dyn Db, name: &str, by: &str, at: &str) -> Result<Option<i64>> {
    let id: Option<i64> = db.scalar("SELECT id FROM api_keys WHERE name = ?1 AND revoked_at IS NULL", &[&name])?;
    let Some(id) = id else { return Ok(None) };
    integrity::update_row_sealed(
        db,
        &API_KEYS,
        "UPDATE api_keys SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
        &[&id, &at, &by],
    )?;
    Ok(Some(id))
}
