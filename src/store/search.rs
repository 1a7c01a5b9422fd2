//! Find customer: the term table and the trigram index (see `domain::search`).

use rusqlite::{Connection, Transaction, params};

use super::Result;
use crate::domain::search::{Indexed, QueryKeys};

pub fn index(tx: &Transaction<'_>, contract_id: i64, ix: &Indexed) -> Result<()> {
    let mut term = tx.prepare_cached("INSERT OR IGNORE INTO search_terms (term, contract_id) VALUES (?1, ?2)")?;
    for t in &ix.terms {
        term.execute(params![t, contract_id])?;
    }
    tx.prepare_cached("INSERT INTO search_text (rowid, body) VALUES (?1, ?2)")?
        .execute(params![contract_id, ix.body])?;
    Ok(())
}

/// Adds one more term for a contract (a token serial, when a token reaches the user).
pub fn add_term(tx: &Transaction<'_>, contract_id: i64, term: &str) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO search_terms (term, contract_id) VALUES (?1, ?2)")?
        .execute(params![term, contract_id])?;
    Ok(())
}

/// Merges the trigram index into one segment. After a bulk load this halves the time of
/// a contains search (each trigram's list is read from one place, not dozens).
pub fn optimize(conn: &Connection) -> Result<()> {
    conn.execute("INSERT INTO search_text (search_text) VALUES ('optimize')", [])?;
    Ok(())
}

/// Replaces a contract's entries: `old` is what was indexed before the change.
pub fn reindex(tx: &Transaction<'_>, contract_id: i64, old: &Indexed, new: &Indexed) -> Result<()> {
    let mut del = tx.prepare_cached("DELETE FROM search_terms WHERE term = ?1 AND contract_id = ?2")?;
    for t in &old.terms {
        del.execute(params![t, contract_id])?;
    }
    tx.prepare_cached("DELETE FROM search_text WHERE rowid = ?1")?.execute([contract_id])?;
    index(tx, contract_id, new)
}

/// How a result matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    Exact,
    Prefix,
    Contains,
}

/// The upper bound of a prefix range: every string that starts with `p` sorts below it.
fn prefix_end(p: &str) -> String {
    let mut s = p.to_string();
    s.push('\u{10FFFF}');
    s
}

/// Exact and prefix matches of the keys, exact ones first, at most `want` of them.
pub fn prefix_matches(conn: &Connection, keys: &QueryKeys, want: usize) -> Result<Vec<(i64, MatchKind)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT contract_id, term = ?1 FROM search_terms WHERE term >= ?1 AND term < ?2 ORDER BY term, contract_id LIMIT ?3",
    )?;
    let mut exact = Vec::new();
    let mut prefix = Vec::new();
    for key in &keys.prefixes {
        let rows = stmt.query_map(params![key, prefix_end(key), want as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
        })?;
        for row in rows {
            let (id, is_exact) = row?;
            if is_exact { exact.push(id) } else { prefix.push(id) }
        }
    }
    let mut seen = std::collections::HashSet::new();
    Ok(exact
        .into_iter()
        .map(|id| (id, MatchKind::Exact))
        .chain(prefix.into_iter().map(|id| (id, MatchKind::Prefix)))
        .filter(|(id, _)| seen.insert(*id))
        .take(want)
        .collect())
}

/// Contracts whose indexed text matches the trigram MATCH expression (one phrase, see
/// `domain::search::fts_phrase`), in index order, `limit` from `offset`.
pub fn contains(conn: &Connection, expression: &str, offset: usize, limit: usize) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT rowid FROM search_text WHERE search_text MATCH ?1 LIMIT ?2 OFFSET ?3")?;
    let rows = stmt.query_map(params![expression, limit as i64, offset as i64], |r| r.get::<_, i64>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
