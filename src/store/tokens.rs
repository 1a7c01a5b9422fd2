//! Hard tokens: stock, assignment, the last accepted step.

use chrono::{DateTime, NaiveDate, Utc};

use super::Result;
use super::integrity::{self, TOKENS};
use super::sql::{Db, FromRow, Row};
use crate::domain::token::{Algorithm, Expiring, Token, TokenState};

pub struct NewToken<'a> {
    pub serial: &'a str,
    pub branch: &'a str,
    pub seed: &'a [u8],
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u32,
    pub expires: NaiveDate,
    pub state: TokenState,
    pub user_id: Option<i64>,
    pub at: DateTime<Utc>,
}

pub fn insert(db: &mut dyn Db, t: &NewToken<'_>) -> Result<i64> {
    let row = integrity::insert_sealed(
        db,
        &TOKENS,
        "INSERT INTO tokens (serial, branch, seed, algorithm, digits, period, expires, state, user_id, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[&t.serial, &t.branch, &t.seed, &t.algorithm, &t.digits, &t.period, &t.expires, &t.state, &t.user_id, &t.at],
    )?;
    super::customers::identity(&row)
}

/// Tokens matching `filter`, each read through its MAC.
fn select(db: &mut dyn Db, filter: &str, args: &[&dyn super::sql::ToSql]) -> Result<Vec<Token>> {
    db.sealed(&TOKENS, &format!("SELECT {}, mac FROM tokens WHERE {filter}", TOKENS.columns), args)
}

impl FromRow for Token {
    /// From the covered columns of `tokens`.
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
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
            code_failures: r.get(17)?,
        })
    }
}

/// The token a user holds (issued or lost; not retired), newest first.
pub fn of_user(db: &mut dyn Db, user_id: i64) -> Result<Vec<Token>> {
    select(db, "user_id = ?1 AND state IN ('issued', 'lost') ORDER BY id DESC", &[&user_id])
}

pub fn by_serial(db: &mut dyn Db, serial: &str) -> Result<Option<Token>> {
    Ok(select(db, "serial = ?1", &[&serial])?.into_iter().next())
}

/// Records an accepted step; false when that step was used meanwhile.
pub fn use_step(db: &mut dyn Db, id: i64, step: i64) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET last_step = ?2, code_failures = 0 WHERE id = ?1 AND (last_step IS NULL OR last_step < ?2)",
        &[&id, &step],
    )?;
    Ok(n == 1)
}

/// Counts a wrong code read off a token at hand-over; returns the count.
pub fn count_code_failure(db: &mut dyn Db, id: i64) -> Result<u32> {
    integrity::update_row_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET code_failures = code_failures + 1 WHERE id = ?1",
        &[&id],
    )?;
    db.value("SELECT code_failures FROM tokens WHERE id = ?1", &[&id])
}

/// A supervisor lets the hand-over of a token be tried again.
pub fn clear_code_failures(db: &mut dyn Db, id: i64) -> Result<()> {
    integrity::update_row_sealed(db, &TOKENS, "UPDATE tokens SET code_failures = 0 WHERE id = ?1", &[&id])
}

pub fn set_state(db: &mut dyn Db, id: i64, state: TokenState) -> Result<()> {
    integrity::update_row_sealed(db, &TOKENS, "UPDATE tokens SET state = ?2 WHERE id = ?1", &[&id, &state])
}

/// Moves a token from one state to another; false when it was no longer in `from` (another
/// terminal moved it first).
pub fn change_state(db: &mut dyn Db, id: i64, from: TokenState, to: TokenState) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET state = ?3 WHERE id = ?1 AND state = ?2",
        &[&id, &from, &to],
    )?;
    Ok(n == 1)
}

/// Retires the replacements mailed to a user and not used yet; returns their serials.
pub fn retire_mailed(db: &mut dyn Db, user_id: i64) -> Result<Vec<String>> {
    let mailed = select(db, "reserved_for = ?1 AND state = 'mailed'", &[&user_id])?;
    for t in &mailed {
        integrity::update_row_sealed(
            db,
            &TOKENS,
            "UPDATE tokens SET state = 'retired', reserved_for = NULL WHERE id = ?1",
            &[&t.id],
        )?;
    }
    Ok(mailed.into_iter().map(|t| t.serial).collect())
}

/// Puts the token set aside for a rejected reissue back in stock; returns its serial.
pub fn release_for_request(db: &mut dyn Db, request_id: i64) -> Result<Option<String>> {
    let Some(t) = select(db, "request_id = ?1 AND state = 'reserved'", &[&request_id])?.into_iter().next() else {
        return Ok(None);
    };
    integrity::update_row_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET state = 'in_stock', reserved_for = NULL, replaces = NULL, request_id = NULL WHERE id = ?1",
        &[&t.id],
    )?;
    Ok(Some(t.serial))
}

/// Issued tokens expiring on or before `until`, for a branch or all.
pub fn count_expiring(db: &mut dyn Db, until: NaiveDate, branch: Option<&str>) -> Result<i64> {
    db.value(
        "SELECT count(*) FROM tokens t WHERE t.state = 'issued' AND t.expires <= ?1
           AND (CAST(?2 AS TEXT) IS NULL OR t.user_id IN (SELECT u.id FROM users u JOIN contracts c ON c.id = u.contract_id WHERE c.branch = ?2))",
        &[&until, &branch],
    )
}

/// Tokens set aside for a user and not yet handed over (added, reissued or mailed).
pub fn reserved_for(db: &mut dyn Db, user_id: i64) -> Result<Vec<Token>> {
    select(db, "reserved_for = ?1 AND state IN ('reserved', 'mailed') ORDER BY id", &[&user_id])
}

/// Sets a stock token aside for a user (add, reissue: `Reserved`) or mails it (R12:
/// `Mailed`); false when it is no longer in stock.
pub fn reserve(db: &mut dyn Db, id: i64, user_id: i64, state: TokenState, replaces: Option<i64>) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET state = ?3, reserved_for = ?2, replaces = ?4 WHERE id = ?1 AND state = 'in_stock'",
        &[&id, &user_id, &state, &replaces],
    )?;
    Ok(n == 1)
}

pub fn set_request(db: &mut dyn Db, id: i64, request_id: i64) -> Result<()> {
    integrity::update_row_sealed(db, &TOKENS, "UPDATE tokens SET request_id = ?2 WHERE id = ?1", &[&id, &request_id])
}

pub fn set_mailed(db: &mut dyn Db, id: i64, at: DateTime<Utc>, tracking_no: &str) -> Result<()> {
    integrity::update_row_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET mailed_at = ?2, tracking_no = ?3 WHERE id = ?1",
        &[&id, &at, &tracking_no],
    )
}

/// Binds a token to its user (hand-over, or a mailed one first used) and records the step
/// its first code was accepted at.
pub fn bind(db: &mut dyn Db, id: i64, user_id: i64, step: i64) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &TOKENS,
        "UPDATE tokens SET state = 'issued', user_id = ?2, reserved_for = NULL, last_step = ?3
         WHERE id = ?1 AND state IN ('reserved', 'mailed') AND (last_step IS NULL OR last_step < ?3)",
        &[&id, &user_id, &step],
    )?;
    Ok(n == 1)
}

/// Stock of a branch by state.
pub fn stock(db: &mut dyn Db, branch: &str) -> Result<Vec<(TokenState, i64)>> {
    db.all("SELECT state, count(*) FROM tokens WHERE branch = ?1 GROUP BY state ORDER BY state", &[&branch])
}

/// The first token in stock at a branch, for the clerk to hand out.
pub fn first_in_stock(db: &mut dyn Db, branch: &str) -> Result<Option<String>> {
    db.scalar("SELECT serial FROM tokens WHERE branch = ?1 AND state = 'in_stock' ORDER BY serial LIMIT 1", &[&branch])
}

impl FromRow for Expiring {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
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
    }
}

pub fn expiring(db: &mut dyn Db, until: NaiveDate, branch: Option<&str>, limit: u32) -> Result<Vec<Expiring>> {
    db.all(
        "SELECT t.serial, t.expires, c.branch, c.cif, c.company, u.login_id, u.id, c.id,
                EXISTS (SELECT 1 FROM tokens m WHERE m.reserved_for = u.id AND m.state = 'mailed')
         FROM tokens t JOIN users u ON u.id = t.user_id JOIN contracts c ON c.id = u.contract_id
         WHERE t.state = 'issued' AND t.expires <= ?1 AND (CAST(?2 AS TEXT) IS NULL OR c.branch = ?2)
         ORDER BY t.expires, t.serial LIMIT ?3",
        &[&until, &branch, &limit],
    )
}

/// Serials of the list that are already in the ledger (import checks the whole file).
pub fn existing_serials(db: &mut dyn Db, serials: &[&str]) -> Result<Vec<String>> {
    // Serials are compared ignoring ASCII case, as the importer does within a file.
    let mut out = Vec::new();
    for s in serials {
        let sql = match db.engine() {
            super::sql::Engine::Sqlite => "SELECT serial FROM tokens WHERE serial = ?1 COLLATE NOCASE",
            super::sql::Engine::Postgres => "SELECT serial FROM tokens WHERE lower(serial) = lower(?1)",
        };
        if let Some(found) = db.scalar(sql, &[s])? {
            out.push(found);
        }
    }
    Ok(out)
}
