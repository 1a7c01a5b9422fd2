//! Find customer: the term table and the trigram index (see `domain::search`).

use super::Result;
use super::sql::{Db, Engine, Value};
use crate::domain::search::{Indexed, MatchKind, QueryKeys};

pub fn index(db: &mut dyn Db, contract_id: i64, ix: &Indexed) -> Result<()> {
    for t in &ix.terms {
        add_term(db, contract_id, t)?;
    }
    let sql = match db.engine() {
        Engine::Sqlite => "INSERT INTO search_text (rowid, body) VALUES (?1, ?2)",
        Engine::Postgres => "INSERT INTO search_text (contract_id, body) VALUES (?1, ?2)",
    };
    db.execute(sql, &[&contract_id, &ix.body])?;
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

/// Appends (term, contract id) pairs in bulk (a generated ledger; each pair new).
pub fn terms_in(db: &mut dyn Db, terms: &mut dyn Iterator<Item = (String, i64)>) -> Result<u64> {
    db.copy_in("search_terms", "term, contract_id", &mut |push| {
        for (term, id) in &mut *terms {
            push(&[Value::Text(term), Value::Int(id)])?;
        }
        Ok(())
    })
}

/// Puts contracts' search bodies (id, body) into the trigram index in bulk.
pub fn bodies_in(db: &mut dyn Db, bodies: &mut dyn Iterator<Item = (i64, String)>) -> Result<u64> {
    let columns = match db.engine() {
        Engine::Sqlite => "rowid, body",
        Engine::Postgres => "contract_id, body",
    };
    db.copy_in("search_text", columns, &mut |push| {
        for (id, body) in &mut *bodies {
            push(&[Value::Int(id), Value::Text(body)])?;
        }
        Ok(())
    })
}

/// Merges the trigram index into one segment. After a bulk load this halves the time of
/// a contains search (each trigram's list is read from one place, not dozens).
pub fn optimize(db: &mut dyn Db) -> Result<()> {
    match db.engine() {
        Engine::Sqlite => {
            db.execute("INSERT INTO search_text (search_text) VALUES ('optimize')", &[])?;
        }
        // The trigram index's pending list moved into the index proper (a bulk load leaves
        // it there, and every contains search would read it whole), then the planner's
        // statistics of every table: a table loaded in bulk and not yet analysed is
        // planned as if empty (a user's tokens were looked for by walking all of them).
        // The sample is made as fine as a new ledger's (a ledger created before that).
        Engine::Postgres => db.batch(&format!(
            "SELECT gin_clean_pending_list('search_text_trigrams'::regclass); {} ANALYZE;",
            super::migrations::SEARCH_TEXT_STATISTICS
        ))?,
    }
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

/// Contracts whose indexed text contains `key` (three characters or more, normalized),
/// by contract id, `limit` from `offset`: SQLite's trigram index takes it as one phrase,
/// PostgreSQL's `pg_trgm` index as a `LIKE` pattern; both find the same contracts.
pub fn contains(db: &mut dyn Db, key: &str, offset: usize, limit: usize) -> Result<Vec<i64>> {
    match db.engine() {
        Engine::Sqlite => db.column(
            "SELECT rowid FROM search_text WHERE search_text MATCH ?1 ORDER BY rowid LIMIT ?2 OFFSET ?3",
            &[&crate::domain::search::fts_phrase(key), &limit, &offset],
        ),
        Engine::Postgres => db.column(
            &format!(
                "{}SELECT contract_id FROM search_text WHERE body LIKE ?1 ESCAPE '\\' ORDER BY contract_id LIMIT ?2 OFFSET ?3",
                super::pg::PLANNED_EACH_TIME
            ),
            &[&like_pattern(key), &limit, &offset],
        ),
    }
}

/// `%key%` with the characters `LIKE` gives a meaning escaped.
fn like_pattern(key: &str) -> String {
    let mut p = String::from("%");
    for c in key.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
