//! Find customer: the term table and the trigram index (see `domain::search`).

use std::collections::HashMap;

use super::Result;
use super::sql::{Db, Engine, Value};
use crate::domain::search::{
    EVERY_BODY, GramCounts, Indexed, MatchKind, QueryKeys, body, fts_phrase, index_text, key_grams, plan_contains,
};

pub fn index(db: &mut dyn Db, contract_id: i64, ix: &Indexed) -> Result<()> {
    for t in &ix.terms {
        add_term(db, contract_id, t)?;
    }
    put_body(db, contract_id, &ix.body)?;
    let mut counts = GramCounts::default();
    counts.add(&ix.body);
    count_grams(db, &counts)
}

/// SQLite's trigram index takes a contract's index text, and the table beside it its body
/// (one contract at a time, and when a migration fills them).
const SQLITE_INDEX_TEXT_IN: &str = "INSERT INTO search_text (rowid, body) VALUES (?1, ?2)";
const SQLITE_BODY_IN: &str = "INSERT INTO search_bodies (contract_id, body) VALUES (?1, ?2)";

/// Puts one contract's body into the trigram index, as its [`index_text`]. SQLite keeps
/// the body beside its contentless index, which cannot give it back to check a candidate
/// against; PostgreSQL keeps the index text, whose index is made of its grams (a key, never
/// holding a digit pair, finds in it only what it finds in the body).
fn put_body(db: &mut dyn Db, contract_id: i64, body: &str) -> Result<()> {
    let text = index_text(body);
    match db.engine() {
        Engine::Sqlite => {
            db.execute(SQLITE_INDEX_TEXT_IN, &[&contract_id, &text])?;
            db.execute(SQLITE_BODY_IN, &[&contract_id, &body])?;
        }
        Engine::Postgres => {
            db.execute("INSERT INTO search_text (contract_id, body) VALUES (?1, ?2)", &[&contract_id, &text])?;
        }
    }
    Ok(())
}

/// Adds `counts` to the ledger's gram counts, a few hundred grams a statement.
pub fn count_grams(db: &mut dyn Db, counts: &GramCounts) -> Result<()> {
    for chunk in counts.rows().chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2)).collect();
        let args: Vec<&dyn super::sql::ToSql> =
            chunk.iter().flat_map(|(g, n)| [g as &dyn super::sql::ToSql, n as &dyn super::sql::ToSql]).collect();
        db.execute(
            &format!(
                "INSERT INTO search_grams (gram, docs) VALUES {} ON CONFLICT (gram) DO UPDATE SET docs = search_grams.docs + excluded.docs",
                marks.join(", ")
            ),
            &args,
        )?;
    }
    Ok(())
}

/// Fills the gram counts, the bodies and the trigram index of a SQLite ledger migrated
/// from before they were kept as they are now (migrations 8 and 9 leave them empty), from
/// its contracts, in the migration's transaction.
pub(super) fn fill_grams_and_bodies(conn: &rusqlite::Connection) -> Result<()> {
    let mut counts = GramCounts::default();
    {
        let mut read = conn.prepare("SELECT id, company, company_kana, phone FROM contracts ORDER BY id")?;
        let mut body_in = conn.prepare(SQLITE_BODY_IN)?;
        let mut text_in = conn.prepare(SQLITE_INDEX_TEXT_IN)?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let (id, company, kana, phone): (i64, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let b = body(&company, &kana, &phone);
            counts.add(&b);
            body_in.execute(rusqlite::params![id, b])?;
            text_in.execute(rusqlite::params![id, index_text(&b)])?;
        }
    }
    let mut write = conn.prepare("INSERT INTO search_grams (gram, docs) VALUES (?1, ?2)")?;
    for (gram, docs) in counts.rows() {
        write.execute(rusqlite::params![gram, docs])?;
    }
    conn.execute_batch("INSERT INTO search_text (search_text) VALUES ('optimize');")?;
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

/// Puts contracts' search bodies (id, body) into the trigram index in bulk, counting their
/// grams into `counts` (written once at the end of the load, by [`count_grams`]).
pub fn bodies_in(
    db: &mut dyn Db,
    bodies: &mut dyn Iterator<Item = (i64, String)>,
    counts: &mut GramCounts,
) -> Result<u64> {
    match db.engine() {
        Engine::Sqlite => {
            let mut n = 0;
            for (id, body) in bodies {
                counts.add(&body);
                put_body(db, id, &body)?;
                n += 1;
            }
            Ok(n)
        }
        Engine::Postgres => db.copy_in("search_text", "contract_id, body", &mut |push| {
            for (id, body) in &mut *bodies {
                counts.add(&body);
                push(&[Value::Int(id), Value::Text(index_text(&body))])?;
            }
            Ok(())
        }),
    }
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
        Engine::Postgres => db.batch("SELECT gin_clean_pending_list('search_text_grams'::regclass); ANALYZE;")?,
    }
    Ok(())
}

/// The upper bound of a prefix range: every string that starts with `p` sorts below it.
fn prefix_end(p: &str) -> String {
    let mut s = p.to_string();
    s.push('\u{10FFFF}');
    s
}

/// What Find customer reads first, in one statement (one round trip to a shared server):
/// the exact and prefix matches of a query's keys, and how many bodies hold each gram of
/// its contains key, which plan the contains search when the matches do not fill the page.
#[derive(Debug, Default)]
pub struct FirstLook {
    /// Exact and prefix matches, exact ones first, at most the page asked for.
    pub matches: Vec<(i64, MatchKind)>,
    /// How many bodies hold each gram of the contains key, and how many there are (under
    /// [`EVERY_BODY`]); a gram no body holds is absent.
    pub docs: HashMap<String, i64>,
}

/// The exact and prefix matches of `keys` (at most `want`, exact ones first) and the gram
/// counts of its contains key, read together.
pub fn first_look(db: &mut dyn Db, keys: &QueryKeys, want: usize) -> Result<FirstLook> {
    let ends: Vec<String> = keys.prefixes.iter().map(|k| prefix_end(k)).collect();
    let wanted = keys.contains.as_deref().map(key_grams).unwrap_or_default();
    let every = EVERY_BODY.to_string();
    let mut args: Vec<&dyn super::sql::ToSql> = vec![&want];
    let mut parts = Vec::new();
    for (i, (key, end)) in keys.prefixes.iter().zip(&ends).enumerate() {
        args.extend([key as &dyn super::sql::ToSql, end as &dyn super::sql::ToSql]);
        let (k, e) = (args.len() - 1, args.len());
        parts.push(format!(
            "SELECT * FROM (SELECT {i} AS part, contract_id, term FROM search_terms
             WHERE term >= ?{k} AND term < ?{e} ORDER BY term, contract_id LIMIT ?1) AS key{i}"
        ));
    }
    if keys.contains.is_some() {
        let first = args.len() + 1;
        args.extend(wanted.iter().chain([&every]).map(|g| g as &dyn super::sql::ToSql));
        let marks: Vec<String> = (first..=args.len()).map(|i| format!("?{i}")).collect();
        parts.push(format!("SELECT -1, docs, gram FROM search_grams WHERE gram IN ({})", marks.join(", ")));
    }
    if parts.is_empty() {
        return Ok(FirstLook::default());
    }
    let rows: Vec<(i64, i64, String)> = db.all(&parts.join(" UNION ALL "), &args)?;
    let mut look = FirstLook::default();
    // (key, term, contract) as each key's own statement would have listed them.
    let mut terms: Vec<(usize, String, i64)> = Vec::new();
    for (part, n, text) in rows {
        match usize::try_from(part) {
            Ok(key) => terms.push((key, text, n)),
            Err(_) => {
                look.docs.insert(text, n);
            }
        }
    }
    terms.sort_unstable();
    let mut exact = Vec::new();
    let mut prefix = Vec::new();
    for (key, term, id) in terms {
        if term == keys.prefixes[key] { exact.push(id) } else { prefix.push(id) }
    }
    let mut seen = std::collections::HashSet::new();
    look.matches = exact
        .into_iter()
        .map(|id| (id, MatchKind::Exact))
        .chain(prefix.into_iter().map(|id| (id, MatchKind::Prefix)))
        .filter(|(id, _)| seen.insert(*id))
        .take(want)
        .collect();
    Ok(look)
}

/// Contracts whose body contains `key` (three characters or more, normalized), by
/// contract id, `limit` from `offset`, found as [`plan_contains`] says from its gram
/// counts `docs` (read by [`first_look`]): when the key is everywhere, the first
/// contracts in order (PostgreSQL walks a bounded number, SQLite's index lists those with
/// every gram); else (or when the walk falls short) the trigram index asked for the
/// key's rarest grams. Every candidate is checked against the whole key, so both engines
/// find exactly the bodies that hold it.
pub fn contains(
    db: &mut dyn Db,
    key: &str,
    docs: &HashMap<String, i64>,
    offset: usize,
    limit: usize,
) -> Result<Vec<i64>> {
    let all = key_grams(key);
    let bodies = docs.get(EVERY_BODY).copied().unwrap_or(0);
    let want = offset + limit;
    let plan = plan_contains(key, docs, bodies, want);
    match db.engine() {
        Engine::Sqlite => {
            // FTS5 lists its matches in rowid order and stops at the page: for a key
            // everywhere, every gram is asked for and the first contracts that have them
            // all are checked.
            let asked = if plan.walk.is_some() { &all } else { &plan.grams };
            if asked.is_empty() {
                return Ok(Vec::new());
            }
            let query = asked.iter().map(|g| fts_phrase(g)).collect::<Vec<_>>().join(" AND ");
            db.column(
                "SELECT s.rowid FROM search_text s JOIN search_bodies b ON b.contract_id = s.rowid
                 WHERE search_text MATCH ?1 AND instr(b.body, ?2) > 0 ORDER BY s.rowid LIMIT ?3 OFFSET ?4",
                &[&query, &key, &limit, &offset],
            )
        }
        Engine::Postgres => {
            if let Some(rows) = plan.walk {
                let walked: Vec<i64> = db.column(
                    &format!(
                        "{}SELECT contract_id FROM (SELECT contract_id, body FROM search_text ORDER BY contract_id LIMIT ?2) AS first
                         WHERE strpos(body, ?1) > 0 ORDER BY contract_id LIMIT ?3",
                        super::pg::PLANNED_EACH_TIME
                    ),
                    &[&key, &(rows as i64), &want],
                )?;
                if walked.len() >= want {
                    return Ok(walked.into_iter().skip(offset).collect());
                }
            }
            // Every candidate first (the planner would otherwise walk the contracts in
            // order hoping to meet a page soon, and a rare key is met late or never),
            // then the page of them. The server's own `@>`: one planted for `text[]`
            // exactly would be preferred to it, and run inside the search.
            let marks: Vec<String> = (4..4 + plan.grams.len()).map(|i| format!("?{i}")).collect();
            let mut args: Vec<&dyn super::sql::ToSql> = vec![&key, &limit, &offset];
            args.extend(plan.grams.iter().map(|g| g as &dyn super::sql::ToSql));
            db.column(
                &format!(
                    "{}WITH found AS MATERIALIZED (SELECT contract_id FROM search_text
                         WHERE search_grams_of(body) OPERATOR(pg_catalog.@>) ARRAY[{}]::text[] AND strpos(body, ?1) > 0)
                     SELECT contract_id FROM found ORDER BY contract_id LIMIT ?2 OFFSET ?3",
                    super::pg::PLANNED_EACH_TIME,
                    marks.join(", ")
                ),
                &args,
            )
        }
    }
}
