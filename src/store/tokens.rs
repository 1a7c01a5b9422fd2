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
    /// The user a token is set aside for, before hand-over (add, reissue, mailing).
    pub reserved_for: Option<i64>,
    pub replaces: Option<i64>,
    pub request_id: Option<i64>,
    pub tracking_no: Option<String>,
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

const COLUMNS: &str = "id, serial, branch, seed, algorithm, digits, period, expires, state, user_id, last_step,
     reserved_for, replaces, request_id, tracking_no";

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
        reserved_for: r.get(11)?,
        replaces: r.get(12)?,
        request_id: r.get(13)?,
        tracking_no: r.get(14)?,
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

/// Moves a token from one state to another; false when it was no longer in `from` (another
/// terminal moved it first).
pub fn change_state(tx: &Transaction<'_>, id: i64, from: &str, to: &str) -> Result<bool> {
    let n = tx
        .prepare_cached("UPDATE tokens SET state = ?3 WHERE id = ?1 AND state = ?2")?
        .execute(params![id, from, to])?;
    Ok(n == 1)
}

/// Retires the replacements mailed to a user and not used yet; returns their serials.
pub fn retire_mailed(tx: &Transaction<'_>, user_id: i64) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached("SELECT serial FROM tokens WHERE reserved_for = ?1 AND state = 'mailed'")?;
    let serials: Vec<String> = stmt.query_map([user_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    tx.prepare_cached(
        "UPDATE tokens SET state = 'retired', reserved_for = NULL WHERE reserved_for = ?1 AND state = 'mailed'",
    )?
    .execute([user_id])?;
    Ok(serials)
}

/// Puts the token set aside for a rejected reissue back in stock; returns its serial.
pub fn release_for_request(tx: &Transaction<'_>, request_id: i64) -> Result<Option<String>> {
    let serial: Option<String> = tx
        .prepare_cached("SELECT serial FROM tokens WHERE request_id = ?1 AND state = 'reserved'")?
        .query_row([request_id], |r| r.get(0))
        .optional()?;
    tx.prepare_cached(
        "UPDATE tokens SET state = 'in_stock', reserved_for = NULL, replaces = NULL, request_id = NULL
         WHERE request_id = ?1 AND state = 'reserved'",
    )?
    .execute([request_id])?;
    Ok(serial)
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

/// Tokens set aside for a user and not yet handed over (added, reissued or mailed).
pub fn reserved_for(conn: &Connection, user_id: i64) -> Result<Vec<TokenRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tokens WHERE reserved_for = ?1 AND state IN ('reserved', 'mailed') ORDER BY id"
    ))?;
    let rows = stmt.query_map([user_id], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets a stock token aside for a user (add, reissue) or mails it (R12).
pub fn reserve(tx: &Transaction<'_>, id: i64, user_id: i64, state: &str, replaces: Option<i64>) -> Result<bool> {
    let n = tx.execute(
        "UPDATE tokens SET state = ?3, reserved_for = ?2, replaces = ?4 WHERE id = ?1 AND state = 'in_stock'",
        params![id, user_id, state, replaces],
    )?;
    Ok(n == 1)
}

pub fn set_request(tx: &Transaction<'_>, id: i64, request_id: i64) -> Result<()> {
    tx.execute("UPDATE tokens SET request_id = ?2 WHERE id = ?1", params![id, request_id])?;
    Ok(())
}

pub fn set_mailed(tx: &Transaction<'_>, id: i64, at: &str, tracking_no: &str) -> Result<()> {
    tx.execute("UPDATE tokens SET mailed_at = ?2, tracking_no = ?3 WHERE id = ?1", params![id, at, tracking_no])?;
    Ok(())
}

/// Binds a token to its user (hand-over, or a mailed one first used) and records the step
/// its first code was accepted at.
pub fn bind(tx: &Transaction<'_>, id: i64, user_id: i64, step: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE tokens SET state = 'issued', user_id = ?2, reserved_for = NULL, last_step = ?3
         WHERE id = ?1 AND state IN ('reserved', 'mailed') AND (last_step IS NULL OR last_step < ?3)",
        params![id, user_id, step],
    )?;
    Ok(n == 1)
}

/// Stock of a branch by state: (state, count).
pub fn stock(conn: &Connection, branch: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT state, count(*) FROM tokens WHERE branch = ?1 GROUP BY state ORDER BY state")?;
    let rows = stmt.query_map([branch], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The first token in stock at a branch, for the clerk to hand out.
pub fn first_in_stock(conn: &Connection, branch: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT serial FROM tokens WHERE branch = ?1 AND state = 'in_stock' ORDER BY serial LIMIT 1")?
        .query_row([branch], |r| r.get(0))
        .optional()?)
}

/// An issued token expiring on or before `until`, with its holder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expiring {
    pub serial: String,
    pub expires: String,
    pub branch: String,
    pub cif: String,
    pub company: String,
    pub login_id: String,
    pub user_id: i64,
    pub contract_id: i64,
    /// Whether a replacement has been mailed already.
    pub replacement_mailed: bool,
}

pub fn expiring(conn: &Connection, until: &str, branch: Option<&str>, limit: u32) -> Result<Vec<Expiring>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.serial, t.expires, c.branch, c.cif, c.company, u.login_id, u.id, c.id,
                EXISTS (SELECT 1 FROM tokens m WHERE m.reserved_for = u.id AND m.state = 'mailed')
         FROM tokens t JOIN users u ON u.id = t.user_id JOIN contracts c ON c.id = u.contract_id
         WHERE t.state = 'issued' AND t.expires <= ?1 AND (?2 IS NULL OR c.branch = ?2)
         ORDER BY t.expires, t.serial LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![until, branch, limit], |r| {
        Ok(Expiring {
            serial: r.get(0)?,
            expires: r.get(1)?,
            branch: r.get(2)?,
            cif: r.get(3)?,
            company: r.get(4)?,
            login_id: r.get(5)?,
            user_id: r.get(6)?,
            contract_id: r.get(7)?,
            replacement_mailed: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Serials of the list that are already in the ledger (import checks the whole file).
pub fn existing_serials(conn: &Connection, serials: &[&str]) -> Result<Vec<String>> {
    // Serials are compared ignoring ASCII case, as the importer does within a file.
    let mut stmt = conn.prepare_cached("SELECT serial FROM tokens WHERE serial = ?1 COLLATE NOCASE")?;
    let mut out = Vec::new();
    for s in serials {
        if let Some(found) = stmt.query_row([s], |r| r.get::<_, String>(0)).optional()? {
            out.push(found);
        }
    }
    Ok(out)
}
