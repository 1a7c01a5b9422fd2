//! Contracts (CIF), their users and the users' secret hashes.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Result;
use crate::domain::credential::{CredentialKind, LoginMethod, UserRole};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRow {
    pub id: i64,
    /// 10 digits: 店番 (3) + 顧客番号 (7).
    pub cif: String,
    pub branch: String,
    pub company: String,
    pub company_kana: String,
    pub phone: String,
    pub address: String,
    pub cancelled: bool,
    pub replaces: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub contract_id: i64,
    pub login_id: String,
    pub name: String,
    pub role: UserRole,
    pub login_method: LoginMethod,
    pub login_must_change: bool,
    pub has_certificate: bool,
}

pub struct NewContract<'a> {
    pub cif: &'a str,
    pub branch: &'a str,
    pub company: &'a str,
    pub company_kana: &'a str,
    pub phone: &'a str,
    pub address: &'a str,
    pub at: &'a str,
}

pub fn insert_contract(tx: &Transaction<'_>, c: &NewContract<'_>) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO contracts (cif, branch, company, company_kana, phone, address, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![c.cif, c.branch, c.company, c.company_kana, c.phone, c.address, c.at])?;
    Ok(tx.last_insert_rowid())
}

/// The four stored secrets of a user, as ids into `secret_hashes`.
#[derive(Debug, Clone, Copy)]
pub struct SecretIds {
    pub login: i64,
    pub confirm: i64,
    pub pin: i64,
    pub approval_pin: i64,
}

pub struct NewUser<'a> {
    pub contract_id: i64,
    pub login_id: &'a str,
    pub name: &'a str,
    pub role: UserRole,
    pub login_method: LoginMethod,
    pub secrets: SecretIds,
    pub at: &'a str,
}

pub fn insert_user(tx: &Transaction<'_>, u: &NewUser<'_>) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO users (contract_id, login_id, name, role, login_method, login_secret, confirm_secret,
                            pin_secret, approval_pin_secret, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        u.contract_id,
        u.login_id,
        u.name,
        u.role.code(),
        u.login_method.code(),
        u.secrets.login,
        u.secrets.confirm,
        u.secrets.pin,
        u.secrets.approval_pin,
        u.at
    ])?;
    Ok(tx.last_insert_rowid())
}

pub fn insert_certificate(tx: &Transaction<'_>, user_id: i64, at: &str) -> Result<()> {
    tx.prepare_cached("INSERT INTO certificates (user_id, issued_at) VALUES (?1, ?2)")?
        .execute(params![user_id, at])?;
    Ok(())
}

/// Stores an argon2id PHC string and returns its id.
pub fn insert_secret_hash(tx: &Transaction<'_>, phc: &str) -> Result<i64> {
    tx.prepare_cached("INSERT INTO secret_hashes (phc) VALUES (?1)")?.execute([phc])?;
    Ok(tx.last_insert_rowid())
}

const CONTRACT_COLUMNS: &str = "id, cif, branch, company, company_kana, phone, address, state = 'cancelled', replaces";

fn contract_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContractRow> {
    Ok(ContractRow {
        id: r.get(0)?,
        cif: r.get(1)?,
        branch: r.get(2)?,
        company: r.get(3)?,
        company_kana: r.get(4)?,
        phone: r.get(5)?,
        address: r.get(6)?,
        cancelled: r.get(7)?,
        replaces: r.get(8)?,
    })
}

pub fn contract(conn: &Connection, id: i64) -> Result<Option<ContractRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = ?1"))?
        .query_row([id], contract_row)
        .optional()?)
}

pub fn contract_by_cif(conn: &Connection, cif: &str) -> Result<Option<ContractRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE cif = ?1"))?
        .query_row([cif], contract_row)
        .optional()?)
}

const USER_COLUMNS: &str = "u.id, u.contract_id, u.login_id, u.name, u.role, u.login_method, u.login_must_change,
     EXISTS (SELECT 1 FROM certificates c WHERE c.user_id = u.id AND c.revoked_at IS NULL)";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    let role: String = r.get(4)?;
    let method: String = r.get(5)?;
    Ok(UserRow {
        id: r.get(0)?,
        contract_id: r.get(1)?,
        login_id: r.get(2)?,
        name: r.get(3)?,
        role: UserRole::from_code(&role).unwrap_or(UserRole::General),
        login_method: LoginMethod::from_code(&method).unwrap_or(LoginMethod::Password),
        login_must_change: r.get(6)?,
        has_certificate: r.get(7)?,
    })
}

pub fn user_by_login_id(conn: &Connection, login_id: &str) -> Result<Option<UserRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.login_id = ?1"))?
        .query_row([login_id], user_row)
        .optional()?)
}

pub fn user(conn: &Connection, id: i64) -> Result<Option<UserRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"))?
        .query_row([id], user_row)
        .optional()?)
}

/// The users of a contract, master first.
pub fn users_of(conn: &Connection, contract_id: i64) -> Result<Vec<UserRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.contract_id = ?1
         ORDER BY CASE u.role WHEN 'master' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.id"
    ))?;
    let rows = stmt.query_map([contract_id], user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn secret_column(kind: CredentialKind) -> Option<&'static str> {
    match kind {
        CredentialKind::LoginPassword => Some("login_secret"),
        CredentialKind::ConfirmPassword => Some("confirm_secret"),
        CredentialKind::Pin => Some("pin_secret"),
        CredentialKind::ApprovalPin => Some("approval_pin_secret"),
        CredentialKind::OneTimePassword => None,
    }
}

/// The PHC hash of one of a user's stored secrets.
pub fn secret_hash(conn: &Connection, user_id: i64, kind: CredentialKind) -> Result<Option<String>> {
    let Some(col) = secret_column(kind) else { return Ok(None) };
    Ok(conn
        .prepare_cached(&format!("SELECT h.phc FROM users u JOIN secret_hashes h ON h.id = u.{col} WHERE u.id = ?1"))?
        .query_row([user_id], |r| r.get(0))
        .optional()?)
}

/// Replaces one stored secret with a new hash.
pub fn set_secret(
    tx: &Transaction<'_>,
    user_id: i64,
    kind: CredentialKind,
    phc: &str,
    must_change: bool,
) -> Result<()> {
    let id = insert_secret_hash(tx, phc)?;
    set_secret_id(tx, user_id, kind, id, must_change)
}

/// Points one of a user's secrets at an already stored hash (a form's new secret, hashed
/// when it was keyed, takes effect when approved).
pub fn set_secret_id(
    tx: &Transaction<'_>,
    user_id: i64,
    kind: CredentialKind,
    hash_id: i64,
    must_change: bool,
) -> Result<()> {
    let Some(col) = secret_column(kind) else { return Ok(()) };
    tx.execute(&format!("UPDATE users SET {col} = ?2 WHERE id = ?1"), params![user_id, hash_id])?;
    if kind == CredentialKind::LoginPassword {
        tx.execute("UPDATE users SET login_must_change = ?2 WHERE id = ?1", params![user_id, must_change])?;
    }
    Ok(())
}

/// Marks a contract cancelled (解約); nothing is deleted.
pub fn cancel_contract(tx: &Transaction<'_>, contract_id: i64, at: &str) -> Result<bool> {
    let n = tx.execute(
        "UPDATE contracts SET state = 'cancelled', cancelled_at = ?2 WHERE id = ?1 AND state = 'active'",
        params![contract_id, at],
    )?;
    Ok(n == 1)
}

/// Links a re-applied contract to the one it replaces.
pub fn set_replaces(tx: &Transaction<'_>, contract_id: i64, replaces: i64) -> Result<()> {
    tx.execute("UPDATE contracts SET replaces = ?2 WHERE id = ?1", params![contract_id, replaces])?;
    Ok(())
}

/// The next free 顧客番号 (7 digits) of a branch.
pub fn next_customer_no(tx: &Transaction<'_>, branch: &str) -> Result<i64> {
    let max: Option<String> = tx.query_row(
        "SELECT max(cif) FROM contracts WHERE cif >= ?1 AND cif < ?2",
        params![format!("{branch}0000000"), format!("{branch}9999999~")],
        |r| r.get(0),
    )?;
    Ok(max.and_then(|c| c.get(3..).and_then(|n| n.parse::<i64>().ok())).unwrap_or(0) + 1)
}

pub fn login_id_taken(conn: &Connection, login_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE login_id = ?1)")?
        .query_row([login_id], |r| r.get(0))?)
}

pub fn contract_has_admin(conn: &Connection, contract_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE contract_id = ?1 AND role = 'admin')")?
        .query_row([contract_id], |r| r.get(0))?)
}

pub fn count_contracts(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM contracts", [], |r| r.get(0))?)
}
