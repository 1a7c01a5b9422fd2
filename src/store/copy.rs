//! A whole ledger copied row by row from one engine to another (or the same): every
//! covered table with its MACs and versions, the audit chain, the search terms. The
//! trigram index is rebuilt from the contracts (SQLite's is contentless: it cannot be read
//! back). Nothing is recomputed that a MAC covers, so the copy verifies with the same key.

use super::Result;
use super::integrity::{self, Covered};
use super::sql::{Db, Engine, Row};

/// The tables in an order that satisfies their foreign keys.
const ORDER: [&Covered; 17] = [
    &integrity::META,
    &integrity::BRANCHES,
    &integrity::STAFF,
    &integrity::SECRET_HASHES,
    &integrity::CONTRACTS,
    &integrity::USERS,
    &integrity::CERTIFICATES,
    &integrity::FAILURES,
    &integrity::LOCKS,
    &integrity::REQUESTS,
    &integrity::TOKENS,
    &integrity::FEES,
    &integrity::RECEIPT_COUNTERS,
    &integrity::FORMS,
    &integrity::SHADOW,
    &integrity::ACCEPTED,
    &integrity::API_KEYS,
];

/// Whether the destination holds no ledger rows at all.
pub fn is_empty(dst: &mut dyn Db) -> Result<bool> {
    for t in ORDER {
        let n: i64 = dst.value(&format!("SELECT count(*) FROM {}", t.table), &[])?;
        if n > 0 {
            return Ok(false);
        }
    }
    let n: i64 = dst.value("SELECT count(*) FROM audit", &[])?;
    Ok(n == 0)
}

/// Copies every row of `table` (`columns` in this order) from `src` to `dst`, in the order
/// of `key` (a row that refers to another of its table comes after it: a reissued token
/// after the one it replaces).
fn table(src: &mut dyn Db, dst: &mut dyn Db, table: &str, columns: &str, key: &str) -> Result<u64> {
    let select = format!("SELECT {columns} FROM {table} ORDER BY {key}");
    dst.copy_in(table, columns, &mut |push| src.each(&select, &[], &mut |row: Row| push(row.values())))
}

/// Copies the whole ledger, and puts the contracts' search `bodies` (id, body) into the
/// trigram index; returns how many rows. `dst` is an empty ledger of the same schema, in
/// one transaction.
pub fn ledger(src: &mut dyn Db, dst: &mut dyn Db, bodies: &mut dyn Iterator<Item = (i64, String)>) -> Result<u64> {
    // Rows that refer to one copied after them (a reissued token, a reversal) are checked
    // at COMMIT.
    match dst.engine() {
        Engine::Sqlite => dst.batch("PRAGMA defer_foreign_keys = ON")?,
        Engine::Postgres => dst.batch("SET CONSTRAINTS ALL DEFERRED")?,
    }
    let aside = super::bulk::set_aside(dst)?;
    let mut rows = 0;
    for t in ORDER {
        rows += table(src, dst, t.table, &format!("{}, mac", t.columns), &t.key.join(", "))?;
    }
    rows += table(src, dst, "audit", "seq, at, actor, action, subject, details, prev_hash, hash, mac", "seq")?;
    rows += table(src, dst, "search_terms", "term, contract_id", "term, contract_id")?;
    let mut grams = crate::domain::search::GramCounts::default();
    super::search::bodies_in(dst, bodies, &mut grams)?;
    super::search::count_grams(dst, &grams)?;
    super::bulk::put_back(dst, aside)?;
    // Ids were copied as they are.
    super::bulk::continue_identities(dst)?;
    Ok(rows)
}

/// Every contract with what its search body is made of: (id, cif, company, kana, phone,
/// login IDs).
pub type ContractText = (i64, String, String, String, String, Vec<String>);

pub fn contract_texts(db: &mut dyn Db) -> Result<Vec<ContractText>> {
    let contracts: Vec<(i64, String, String, String, String)> =
        db.all("SELECT id, cif, company, company_kana, phone FROM contracts ORDER BY id", &[])?;
    let logins: Vec<(i64, String)> = db.all("SELECT contract_id, login_id FROM users ORDER BY id", &[])?;
    let mut by_contract: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for (c, l) in logins {
        by_contract.entry(c).or_default().push(l);
    }
    Ok(contracts
        .into_iter()
        .map(|(id, cif, company, kana, phone)| {
            let l = by_contract.remove(&id).unwrap_or_default();
            (id, cif, company, kana, phone, l)
        })
        .collect())
}
