//! Find customer: the term table and the trigram index (see `domain::search`).

use rusqlite::{Connection, Transaction, params};

use super::Result;
use crate::domain::search::{Indexed, QueryKeys, fts_phrase};

pub fn index(tx: &Transaction<'_>, contract_id: i64, ix: &Indexed) -> Result<()> {
    let mut term = tx.prepare_cached("INSERT OR IGNORE INTO search_terms (term, contract_id) VALUES (?1, ?2)")?;
    for t in &ix.terms {
        term.execute(params![t, contract_id])?;
    }
    tx.prepare_cached("INSERT INTO search_text (rowid, body) VALUES (?1, ?2)")?.execute(params![contract_id, ix.body])?;
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

/// Up to `limit` contract ids for the query, ranked exact, prefix, contains, skipping
/// the first `offset`. Never reads more than `offset + limit` rows from each index.
pub fn find(conn: &Connection, keys: &QueryKeys, offset: usize, limit: usize) -> Result<Vec<(i64, MatchKind)>> {
    let want = offset + limit;
    let mut out: Vec<(i64, MatchKind)> = Vec::with_capacity(want.min(256));
    let mut seen = std::collections::HashSet::new();
    let mut push = |out: &mut Vec<(i64, MatchKind)>, id: i64, kind: MatchKind| {
        if seen.insert(id) {
            out.push((id, kind));
        }
    };
    let mut stmt = conn.prepare_cached(
        "SELECT contract_id, term = ?1 FROM search_terms WHERE term >= ?1 AND term < ?2 ORDER BY term, contract_id LIMIT ?3",
    )?;
    // Exact matches of every key come first, then prefixes.
    let mut prefix_hits = Vec::new();
    for key in &keys.prefixes {
        let rows = stmt.query_map(params![key, prefix_end(key), want as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)))?;
        for row in rows {
            let (id, exact) = row?;
            if exact {
                push(&mut out, id, MatchKind::Exact);
            } else {
                prefix_hits.push(id);
            }
        }
    }
    for id in prefix_hits {
        push(&mut out, id, MatchKind::Prefix);
    }
    if out.len() < want
        && let Some(sub) = &keys.contains
    {
        let mut fts = conn.prepare_cached("SELECT rowid FROM search_text WHERE search_text MATCH ?1 LIMIT ?2")?;
        let extra = (want + out.len()) as i64;
        let rows = fts.query_map(params![fts_phrase(sub), extra], |r| r.get::<_, i64>(0))?;
        for row in rows {
            push(&mut out, row?, MatchKind::Contains);
        }
    }
    Ok(out.into_iter().skip(offset).take(limit).collect())
}
