//! Hard tokens: stock, assignment, the last accepted step.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Result;

#[derive(Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    pub serial: String,
    pub branch: String,
    /// Encrypted seed (nonce || ciphertext).
    pub seed: Vec<u8>,
    pub algorithm: String,
    pub digits: u32,
    pub period: u32,
    /// YYYY-MM-DD
    pub expires: String,
    pub state: String,
    pub user_id: Option<i64>,
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for TokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRow")
            .field("serial", &self.serial)
            .field("state", &self.state)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

pub struct NewToken<'a> {
    pub serial: &'a str,
    pub branch: &'a str,
    pub seed: &'a [u8],
    pub algorithm: &'a str,
    pub digits: u32,
    pub period: u32,
    pub expires: &'a str,
    pub state: &'a str,
    pub user_id: Option<i64>,
    pub at: &'a str,
}

pub fn insert(tx: &Transaction<'_>, t: &NewToken<'_>) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO tokens (serial, branch, seed, algorithm, digits, period, expires, state, user_id, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        t.serial,
        t.branch,
        t.seed,
        t.algorithm,
        t.digits,
        t.period,
        t.expires,
        t.state,
        t.user_id,
        t.at
    ])?;
    Ok(tx.last_insert_rowid())
}

const COLUMNS: &str = "id, serial, branch, seed, algorithm, digits, period, expires, state, user_id, last_step";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        serial: r.get(1)?,
        branch: r.get(2)?,
        seed: r.get(3)?,
        algorithm: r.get(4)?,
        digits: r.get(5)?,
        period: r.get(6)?,
        expires: r.get(7)?,
        state: r.get(8)?,
        user_id: r.get(9)?,
        last_step: r.get(10)?,
    })
}

/// The token a user holds (issued or lost; not retired), newest first.
pub fn of_user(conn: &Connection, user_id: i64) -> Result<Vec<TokenRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tokens WHERE user_id = ?1 AND state IN ('issued', 'lost') ORDER BY id DESC"
    ))?;
    let rows = stmt.query_map([user_id], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn by_serial(conn: &Connection, serial: &str) -> Result<Option<TokenRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tokens WHERE serial = ?1"))?
        .query_row([serial], row)
        .optional()?)
}

/// Records an accepted step; false when that step was used meanwhile.
pub fn use_step(tx: &Transaction<'_>, id: i64, step: i64) -> Result<bool> {
    let n = tx
        .prepare_cached("UPDATE tokens SET last_step = ?2 WHERE id = ?1 AND (last_step IS NULL OR last_step < ?2)")?
        .execute(params![id, step])?;
    Ok(n == 1)
}

pub fn set_state(tx: &Transaction<'_>, id: i64, state: &str) -> Result<()> {
    tx.prepare_cached("UPDATE tokens SET state = ?2 WHERE id = ?1")?.execute(params![id, state])?;
    Ok(())
}

/// Issued tokens expiring on or before `until` (YYYY-MM-DD), for a branch or all.
pub fn count_expiring(conn: &Connection, until: &str, branch: Option<&str>) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM tokens t WHERE t.state = 'issued' AND t.expires <= ?1
           AND (?2 IS NULL OR t.user_id IN (SELECT u.id FROM users u JOIN contracts c ON c.id = u.contract_id WHERE c.branch = ?2))",
        params![until, branch],
        |r| r.get(0),
    )?)
}
