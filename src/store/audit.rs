//! The audit table: append inside the caller's transaction, read for verification and
//! for the history of a customer or a staff member.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Result;
use crate::domain::audit::{Entry, GENESIS, Seal, entry_hash, entry_mac};

/// What a use case records; the store assigns the sequence and the chain.
pub struct NewEntry<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub details: &'a str,
}

/// Appends one entry chained to the current head, in the caller's transaction.
pub fn append(tx: &Transaction<'_>, mac_key: &[u8; 32], e: &NewEntry<'_>) -> Result<Seal> {
    let head: Option<(i64, Vec<u8>)> = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match head {
        Some((seq, hash)) => (seq + 1, to32(&hash)),
        None => (1, GENESIS),
    };
    let hash = entry_hash(&prev, seq, e.at, e.actor, e.action, e.subject, e.details);
    let mac = entry_mac(mac_key, &hash);
    tx.prepare_cached(
        "INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![seq, e.at, e.actor, e.action, e.subject, e.details, &prev[..], &hash[..], &mac[..]])?;
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

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        details: r.get(5)?,
        prev_hash: to32(&r.get::<_, Vec<u8>>(6)?),
        hash: to32(&r.get::<_, Vec<u8>>(7)?),
        mac: to32(&r.get::<_, Vec<u8>>(8)?),
    })
}

const COLUMNS: &str = "seq, at, actor, action, subject, details, prev_hash, hash, mac";

/// Calls `f` on every entry in sequence order, stopping at the first error it returns.
pub fn for_each<E: From<super::StoreError>>(
    conn: &Connection,
    mut f: impl FnMut(&Entry) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY seq")).map_err(super::StoreError::from)?;
    let mut rows = stmt.query([]).map_err(super::StoreError::from)?;
    while let Some(row) = rows.next().map_err(super::StoreError::from)? {
        let entry = row_to_entry(row).map_err(super::StoreError::from)?;
        f(&entry)?;
    }
    Ok(())
}

/// The newest entries whose subject starts with `prefix` (e.g. `contract:12/`).
pub fn recent_for_subject(conn: &Connection, prefix: &str, limit: u32) -> Result<Vec<Entry>> {
    let mut upper = prefix.to_string();
    upper.push('\u{10FFFF}');
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit WHERE subject >= ?1 AND subject < ?2 ORDER BY seq DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![prefix, upper, limit], row_to_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?)
}

/// Filters of the audit trail screen; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Subject prefix, e.g. `contract:12/`.
    pub subject_prefix: Option<String>,
    pub actor: Option<String>,
    /// Action prefix, e.g. `lock.` or `fee.record`.
    pub action_prefix: Option<String>,
    /// Stored UTC stamps, inclusive from, exclusive to.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Newest first, `limit` entries older than `before` (keyset paging: fast on any size).
pub fn search(conn: &Connection, f: &Filter, before: Option<i64>, limit: u32) -> Result<Vec<Entry>> {
    let upper = |p: &str| format!("{p}\u{10FFFF}");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit
         WHERE seq < ?1
           AND (?2 IS NULL OR (subject >= ?2 AND subject < ?3))
           AND (?4 IS NULL OR actor = ?4)
           AND (?5 IS NULL OR (action >= ?5 AND action < ?6))
           AND (?7 IS NULL OR at >= ?7)
           AND (?8 IS NULL OR at < ?8)
         ORDER BY seq DESC LIMIT ?9"
    ))?;
    let rows = stmt.query_map(
        params![
            before.unwrap_or(i64::MAX),
            f.subject_prefix,
            f.subject_prefix.as_deref().map(upper),
            f.actor,
            f.action_prefix,
            f.action_prefix.as_deref().map(upper),
            f.from,
            f.to,
            limit
        ],
        row_to_entry,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
