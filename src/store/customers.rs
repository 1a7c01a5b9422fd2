//! Contracts (CIF), their users and the users' secret hashes.

use chrono::{DateTime, Utc};

use super::Result;
use super::sql::{Db, FromRow, Row};
use crate::domain::credential::{CredentialKind, LoginMethod, UserRole};
use crate::domain::customer::{Contract, User};

pub struct NewContract<'a> {
    pub cif: &'a str,
    pub branch: &'a str,
    pub company: &'a str,
    pub company_kana: &'a str,
    pub phone: &'a str,
    pub address: &'a str,
    pub at: DateTime<Utc>,
}

pub fn insert_contract(db: &mut dyn Db, c: &NewContract<'_>) -> Result<i64> {
    db.value(
        "INSERT INTO contracts (cif, branch, company, company_kana, phone, address, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        &[&c.cif, &c.branch, &c.company, &c.company_kana, &c.phone, &c.address, &c.at],
    )
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
    pub at: DateTime<Utc>,
}

pub fn insert_user(db: &mut dyn Db, u: &NewUser<'_>) -> Result<i64> {
    db.value(
        "INSERT INTO users (contract_id, login_id, name, role, login_method, login_secret, confirm_secret,
                            pin_secret, approval_pin_secret, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        &[
            &u.contract_id,
            &u.login_id,
            &u.name,
            &u.role,
            &u.login_method,
            &u.secrets.login,
            &u.secrets.confirm,
            &u.secrets.pin,
            &u.secrets.approval_pin,
            &u.at,
        ],
    )
}

pub fn insert_certificate(db: &mut dyn Db, user_id: i64, at: DateTime<Utc>) -> Result<()> {
    db.execute("INSERT INTO certificates (user_id, issued_at) VALUES (?1, ?2)", &[&user_id, &at])?;
    Ok(())
}

/// Stores an argon2id PHC string and returns its id.
pub fn insert_secret_hash(db: &mut dyn Db, phc: &str) -> Result<i64> {
    db.value("INSERT INTO secret_hashes (phc) VALUES (?1) RETURNING id", &[&phc])
}

const CONTRACT_COLUMNS: &str = "id, cif, branch, company, company_kana, phone, address, state = 'cancelled', replaces";

impl FromRow for Contract {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
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
}

pub fn contract(db: &mut dyn Db, id: i64) -> Result<Option<Contract>> {
    db.first(&format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = ?1"), &[&id])
}

pub fn contract_by_cif(db: &mut dyn Db, cif: &str) -> Result<Option<Contract>> {
    db.first(&format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE cif = ?1"), &[&cif])
}

const USER_COLUMNS: &str = "u.id, u.contract_id, u.login_id, u.name, u.role, u.login_method, u.login_must_change,
     EXISTS (SELECT 1 FROM certificates c WHERE c.user_id = u.id AND c.revoked_at IS NULL)";

impl FromRow for User {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            contract_id: r.get(1)?,
            login_id: r.get(2)?,
            name: r.get(3)?,
            role: r.get(4)?,
            login_method: r.get(5)?,
            login_must_change: r.get(6)?,
            has_certificate: r.get(7)?,
        })
    }
}

pub fn user_by_login_id(db: &mut dyn Db, login_id: &str) -> Result<Option<User>> {
    db.first(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.login_id = ?1"), &[&login_id])
}

pub fn user(db: &mut dyn Db, id: i64) -> Result<Option<User>> {
    db.first(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"), &[&id])
}

/// The users of a contract, master first.
pub fn users_of(db: &mut dyn Db, contract_id: i64) -> Result<Vec<User>> {
    db.all(
        &format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.contract_id = ?1
             ORDER BY CASE u.role WHEN 'master' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.id"
        ),
        &[&contract_id],
    )
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
pub fn secret_hash(db: &mut dyn Db, user_id: i64, kind: CredentialKind) -> Result<Option<String>> {
    let Some(col) = secret_column(kind) else { return Ok(None) };
    db.scalar(&format!("SELECT h.phc FROM users u JOIN secret_hashes h ON h.id = u.{col} WHERE u.id = ?1"), &[&user_id])
}

/// Replaces one stored secret with a new hash.
pub fn set_secret(db: &mut dyn Db, user_id: i64, kind: CredentialKind, phc: &str, must_change: bool) -> Result<()> {
    let id = insert_secret_hash(db, phc)?;
    set_secret_id(db, user_id, kind, id, must_change)
}

/// Points one of a user's secrets at an already stored hash (a form's new secret, hashed
/// when it was keyed, takes effect when approved).
pub fn set_secret_id(
    db: &mut dyn Db,
    user_id: i64,
    kind: CredentialKind,
    hash_id: i64,
    must_change: bool,
) -> Result<()> {
    let Some(col) = secret_column(kind) else { return Ok(()) };
    db.execute(&format!("UPDATE users SET {col} = ?2 WHERE id = ?1"), &[&user_id, &hash_id])?;
    if kind == CredentialKind::LoginPassword {
        db.execute("UPDATE users SET login_must_change = ?2 WHERE id = ?1", &[&user_id, &must_change])?;
    }
    Ok(())
}

/// Marks a contract cancelled (解約); nothing is deleted.
pub fn cancel_contract(db: &mut dyn Db, contract_id: i64, at: DateTime<Utc>) -> Result<bool> {
    let n = db.execute(
        "UPDATE contracts SET state = 'cancelled', cancelled_at = ?2 WHERE id = ?1 AND state = 'active'",
        &[&contract_id, &at],
    )?;
    Ok(n == 1)
}

/// Links a re-applied contract to the one it replaces.
pub fn set_replaces(db: &mut dyn Db, contract_id: i64, replaces: i64) -> Result<()> {
    db.execute("UPDATE contracts SET replaces = ?2 WHERE id = ?1", &[&contract_id, &replaces])?;
    Ok(())
}

/// The next free 顧客番号 (7 digits) of a branch.
pub fn next_customer_no(db: &mut dyn Db, branch: &str) -> Result<i64> {
    let max: Option<String> = db.value(
        "SELECT max(cif) FROM contracts WHERE cif >= ?1 AND cif < ?2",
        &[&format!("{branch}0000000"), &format!("{branch}9999999~")],
    )?;
    Ok(max.and_then(|c| c.get(3..).and_then(|n| n.parse::<i64>().ok())).unwrap_or(0) + 1)
}

pub fn login_id_taken(db: &mut dyn Db, login_id: &str) -> Result<bool> {
    db.value("SELECT EXISTS (SELECT 1 FROM users WHERE login_id = ?1)", &[&login_id])
}

pub fn contract_has_admin(db: &mut dyn Db, contract_id: i64) -> Result<bool> {
    db.value("SELECT EXISTS (SELECT 1 FROM users WHERE contract_id = ?1 AND role = 'admin')", &[&contract_id])
}

pub fn count_contracts(db: &mut dyn Db) -> Result<i64> {
    db.value("SELECT count(*) FROM contracts", &[])
}
