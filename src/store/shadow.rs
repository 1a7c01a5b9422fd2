//! Failure counts of login IDs that are not customers', kept so that an unknown ID
//! answers exactly as a known one with a wrong secret would. Keyed by a keyed hash of the
//! ID (the ID itself is never stored) and bounded: the oldest go first.

use chrono::{DateTime, Utc};

use super::Result;
use super::integrity::{self, SHADOW};
use super::sql::Db;
use crate::domain::credential::CredentialKind;

/// At most this many unknown IDs are remembered.
pub const CAPACITY: i64 = 10_000;

pub fn failures(db: &mut dyn Db, id_hash: &[u8; 32], kind: CredentialKind) -> Result<u32> {
    let row: Option<(Vec<u8>, String, u32)> = db.sealed_first(
        &SHADOW,
        &format!("SELECT {}, mac FROM shadow_failures WHERE id_hash = ?1 AND credential = ?2", SHADOW.columns),
        &[id_hash, &kind],
    )?;
    Ok(row.map_or(0, |r| r.2))
}

/// Every count kept for an unknown ID, by credential.
pub fn all_for(db: &mut dyn Db, id_hash: &[u8; 32]) -> Result<Vec<(CredentialKind, u32)>> {
    let rows: Vec<(Vec<u8>, CredentialKind, u32)> = db.sealed(
        &SHADOW,
        &format!("SELECT {}, mac FROM shadow_failures WHERE id_hash = ?1", SHADOW.columns),
        &[id_hash],
    )?;
    Ok(rows.into_iter().map(|(_, k, n)| (k, n)).collect())
}

/// Sets the count of an unknown ID, making room when the table is full.
pub fn set_failures(
    db: &mut dyn Db,
    id_hash: &[u8; 32],
    kind: CredentialKind,
    failures: u32,
    at: DateTime<Utc>,
) -> Result<()> {
    set_failures_within(db, id_hash, kind, failures, at, CAPACITY)
}

fn set_failures_within(
    db: &mut dyn Db,
    id_hash: &[u8; 32],
    kind: CredentialKind,
    failures: u32,
    at: DateTime<Utc>,
    capacity: i64,
) -> Result<()> {
    let n = integrity::update_sealed(
        db,
        &SHADOW,
        "UPDATE shadow_failures SET failures = ?3, last_at = ?4 WHERE id_hash = ?1 AND credential = ?2",
        &[id_hash, &kind, &failures, &at],
    )?;
    if n > 0 {
        return Ok(());
    }
    // Full: the oldest one is overwritten in place, so the table never grows past its
    // bound and no row is deleted (the sealed row counts stay true).
    let held: i64 = db.value("SELECT count(*) FROM shadow_failures", &[])?;
    if held >= capacity {
        let oldest: Option<(Vec<u8>, String)> =
            db.first("SELECT id_hash, credential FROM shadow_failures ORDER BY last_at, id_hash LIMIT 1", &[])?;
        if let Some((old_hash, old_kind)) = oldest {
            return integrity::update_row_sealed(
                db,
                &SHADOW,
                "UPDATE shadow_failures SET id_hash = ?3, credential = ?4, failures = ?5, last_at = ?6
                 WHERE id_hash = ?1 AND credential = ?2",
                &[&old_hash, &old_kind, id_hash, &kind, &failures, &at],
            );
        }
    }
    db.execute(
        "INSERT INTO shadow_failures (id_hash, credential, failures, last_at) VALUES (?1, ?2, ?3, ?4)",
        &[id_hash, &kind, &failures, &at],
    )?;
    integrity::inserted(db, &SHADOW, &[id_hash, &kind])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::integrity::{ALL, RowKey, walk};
    use crate::store::sqlite::Conn;
    use chrono::TimeZone;

    #[test]
    fn the_shadow_counts_stay_within_their_bound_oldest_first_and_sealed() {
        let mut conn = Conn::new(crate::store::memory().expect("memory"), RowKey::new([1; 32]));
        let at = |s: i64| Utc.timestamp_opt(1_700_000_000 + s, 0).single().expect("time");
        let kind = CredentialKind::LoginPassword;
        for i in 0..5u8 {
            set_failures_within(&mut conn, &[i; 32], kind, 1, at(i64::from(i)), 3).expect("set");
        }
        let db: &mut dyn Db = &mut conn;
        let held: i64 = db.value("SELECT count(*) FROM shadow_failures", &[]).expect("count");
        assert_eq!(held, 3);
        // The two oldest gave their places; the newest are there with their counts.
        for i in 0..2u8 {
            assert_eq!(failures(&mut conn, &[i; 32], kind).expect("read"), 0, "{i}");
        }
        for i in 2..5u8 {
            assert_eq!(failures(&mut conn, &[i; 32], kind).expect("read"), 1, "{i}");
        }
        // Every row moved in place is sealed again.
        let shadow = ALL.iter().find(|t| t.table == "shadow_failures").expect("covered");
        let mut bad = 0;
        walk(&mut conn, shadow, &mut |_| bad += 1).expect("walk");
        assert_eq!(bad, 0);
    }
}
