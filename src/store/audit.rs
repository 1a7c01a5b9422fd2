//! The audit table: append inside the caller's transaction, read for verification and
//! for the history of a customer or a staff member.

use super::sql::{Db, FromRow, Row};
use super::{Result, StoreError};
use crate::domain::audit::{Entry, Seal, entry_hash, entry_mac};

/// What a use case records; the store assigns the sequence and the chain.
pub struct NewEntry<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub details: &'a str,
}

/// The query of the chain's head (also sent by PostgreSQL's write transaction with its
/// `BEGIN`, see `pg::PgConn::begin_at_head`).
pub const HEAD: &str = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";

/// The last entry's sequence number and hash; `None` for an empty chain.
pub fn head(db: &mut dyn Db) -> Result<Option<Seal>> {
    let row: Option<(i64, Vec<u8>)> = db.first(HEAD, &[])?;
    Ok(row.map(|(seq, hash)| Seal { seq, hash: to32(&hash) }))
}

/// A head as read (sequence and stored hash).
pub fn seal_of(seq: i64, hash: &[u8]) -> Seal {
    Seal { seq, hash: to32(hash) }
}

/// The stored hash of the entry at `seq`.
pub fn hash_at(db: &mut dyn Db, seq: i64) -> Result<Option<[u8; 32]>> {
    let hash: Option<Vec<u8>> = db.scalar("SELECT hash FROM audit WHERE seq = ?1", &[&seq])?;
    Ok(hash.map(|h| to32(&h)))
}

/// Appends one entry chained to the current head, in the caller's transaction.
pub fn append(db: &mut dyn Db, mac_key: &[u8; 32], e: &NewEntry<'_>) -> Result<Seal> {
    let prev = head(db)?.unwrap_or(Seal::EMPTY);
    append_after(db, mac_key, prev, e)
}

/// Appends one entry chained to `prev`, the head the caller read in this transaction (a
/// writer holding the write lock knows it: one statement fewer per entry).
pub fn append_after(db: &mut dyn Db, mac_key: &[u8; 32], prev: Seal, e: &NewEntry<'_>) -> Result<Seal> {
    let (seq, prev) = (prev.seq + 1, prev.hash);
    let hash = entry_hash(&prev, seq, e.at, e.actor, e.action, e.subject, e.details);
    let mac = entry_mac(mac_key, &hash);
    db.execute(
        "INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[&seq, &e.at, &e.actor, &e.action, &e.subject, &e.details, &prev, &hash, &mac],
    )?;
    Ok(Seal { seq, hash })
}

fn to32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // A short or long blob is tampering; it yields a hash that cannot match.
    let n = bytes.len().min(32);
    out[..n].copy_from_slice(&bytes[..n]);
    if bytes.len() != 32 {
        out[0] ^= 0xff;
    }
    out
}

impl FromRow for Entry {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            subject: r.get(4)?,
            details: r.get(5)?,
            prev_hash: to32(&r.get::<Vec<u8>>(6)?),
            hash: to32(&r.get::<Vec<u8>>(7)?),
            mac: to32(&r.get::<Vec<u8>>(8)?),
        })
    }
}

const COLUMNS: &str = "seq, at, actor, action, subject, details, prev_hash, hash, mac";

/// Calls `f` on every entry from `from_seq` on, in sequence order, stopping at the first
/// error it returns.
pub fn for_each<E: From<StoreError>>(
    db: &mut dyn Db,
    from_seq: i64,
    mut f: impl FnMut(&Entry) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    // The caller's error is kept aside while the rows stream, then given back as it was.
    let mut failed: Option<E> = None;
    let walked =
        db.each(&format!("SELECT {COLUMNS} FROM audit WHERE seq >= ?1 ORDER BY seq"), &[&from_seq], &mut |row| {
            let entry = Entry::from_row(&row)?;
            match f(&entry) {
                Ok(()) => Ok(()),
                Err(e) => {
                    failed = Some(e);
                    Err(StoreError::Damaged("stopped".into()))
                }
            }
        });
    match (failed, walked) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(e.into()),
        (None, Ok(())) => Ok(()),
    }
}

/// The newest entries whose subject starts with `prefix` (e.g. `contract:12/`).
pub fn recent_for_subject(db: &mut dyn Db, prefix: &str, limit: u32) -> Result<Vec<Entry>> {
    let mut upper = prefix.to_string();
    upper.push('\u{10FFFF}');
    db.all(
        &format!("SELECT {COLUMNS} FROM audit WHERE subject >= ?1 AND subject < ?2 ORDER BY seq DESC LIMIT ?3"),
        &[&prefix, &upper, &limit],
    )
}

/// How many entries of `action` name exactly `subject` (how often a receipt was printed).
/// The rows are chained, so a print record taken out breaks the chain.
pub fn count_of(db: &mut dyn Db, subject: &str, action: &str) -> Result<i64> {
    db.value("SELECT count(*) FROM audit WHERE subject = ?1 AND action = ?2", &[&subject, &action])
}

pub fn count(db: &mut dyn Db) -> Result<i64> {
    db.value("SELECT count(*) FROM audit", &[])
}

/// Filters of the audit trail screen; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Subject prefix, e.g. `contract:12/`.
    pub subject_prefix: Option<String>,
    pub actor: Option<String>,
    /// Action prefix, e.g. `lock.` or `fee.record`.
    pub action_prefix: Option<String>,
    /// Actions, comma-separated: an entry of any of them matches too.
    pub actions: Option<String>,
    /// Stored UTC stamps, inclusive from, exclusive to.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Newest first, `limit` entries older than `before` (keyset paging: fast on any size).
pub fn search(db: &mut dyn Db, f: &Filter, before: Option<i64>, limit: u32) -> Result<Vec<Entry>> {
    let upper = |p: &str| format!("{p}\u{10FFFF}");
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM audit
             WHERE seq < ?1
               AND (CAST(?2 AS TEXT) IS NULL OR (subject >= ?2 AND subject < ?3))
               AND (CAST(?4 AS TEXT) IS NULL OR actor = ?4)
               AND ((CAST(?5 AS TEXT) IS NULL AND CAST(?10 AS TEXT) IS NULL)
                    OR (action >= ?5 AND action < ?6)
                    OR (',' || ?10 || ',') LIKE ('%,' || action || ',%'))
               AND (CAST(?7 AS TEXT) IS NULL OR at >= ?7)
               AND (CAST(?8 AS TEXT) IS NULL OR at < ?8)
             ORDER BY seq DESC LIMIT ?9"
        ),
        &[
            &before.unwrap_or(i64::MAX),
            &f.subject_prefix,
            &f.subject_prefix.as_deref().map(upper),
            &f.actor,
            &f.action_prefix,
            &f.action_prefix.as_deref().map(upper),
            &f.from,
            &f.to,
            &limit,
            &f.actions,
        ],
    )
}
