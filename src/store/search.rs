//! Find customer: the term table and the trigram index (see `domain::search`).

use super::Result;
use super::sql::Db;
use crate::domain::search::{Indexed, MatchKind, QueryKeys};

pub fn index(db: &mut dyn Db, contract_id: i64, ix: &Indexed) -> Result<()> {
    for t in &ix.terms {
        add_term(db, contract_id, t)?;
    }
    db.execute("INSERT INTO search_text (rowid, body) VALUES (?1, ?2)", &[&contract_id, &ix.body])?;
    Ok(())
}

/// Adds one more term for a contract (a token serial, when a token reaches the user).
pub fn add_term(db: &mut dyn Db, contract_id: i64, term: &str) -> Result<()> {
    db.execute(
        "INSERT INTO search_terms (term, contract_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        &[&term, &contract_id],
    )?;
    Ok(())
}

/// Merges the trigram index into one segment. After a bulk load this halves the time of
/// a contains search (each trigram's list is read from one place, not dozens).
pub fn optimize(db: &mut dyn Db) -> Result<()> {
    db.execute("INSERT INTO search_text (search_text) VALUES ('optimize')", &[])?;
    Ok(())
}

/// The upper bound of a prefix range: every string that starts with `p` sorts below it.
fn prefix_end(p: &str) -> String {
    let mut s = p.to_string();
    s.push('\u{10FFFF}');
    s
}

/// Exact and prefix matches of the keys, exact ones first, at most `want` of them.
pub fn prefix_matches(db: &mut dyn Db, keys: &QueryKeys, want: usize) -> Result<Vec<(i64, MatchKind)>> {
    let mut exact = Vec::new();
    let mut prefix = Vec::new();
    for key in &keys.prefixes {
        let rows: Vec<(i64, bool)> = db.all(
            "SELECT contract_id, term = ?1 FROM search_terms WHERE term >= ?1 AND term < ?2 ORDER BY term, contract_id LIMIT ?3",
            &[key, &prefix_end(key), &want],
        )?;
        for (id, is_exact) in rows {
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
pub fn contains(db: &mut dyn Db, expression: &str, offset: usize, limit: usize) -> Result<Vec<i64>> {
    db.column(
        "SELECT rowid FROM search_text WHERE search_text MATCH ?1 LIMIT ?2 OFFSET ?3",
        &[&expression, &limit, &offset],
    )
}
