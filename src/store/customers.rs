//! Contracts (CIF), their users and the users' secret hashes.

use chrono::{DateTime, Utc};

use super::Result;
use super::integrity::{self, CERTIFICATES, CONTRACTS, SECRET_HASHES, USERS};
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

/// The integer identity of an inserted row (its first covered value).
pub(crate) fn identity(row: &[super::sql::Value]) -> Result<i64> {
    match row.first() {
        Some(super::sql::Value::Int(id)) => Ok(*id),
        _ => Err(super::StoreError::Damaged("an inserted row without its id".into())),
    }
}

pub fn insert_contract(db: &mut dyn Db, c: &NewContract<'_>) -> Result<i64> {
    let row = integrity::insert_sealed(
        db,
        &CONTRACTS,
        "INSERT INTO contracts (cif, branch, company, company_kana, phone, address, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[&c.cif, &c.branch, &c.company, &c.company_kana, &c.phone, &c.address, &c.at],
    )?;
    identity(&row)
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
    let row = integrity::insert_sealed(
        db,
        &USERS,
        "INSERT INTO users (contract_id, login_id, name, role, login_method, login_secret, confirm_secret,
                            pin_secret, approval_pin_secret, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
    )?;
    identity(&row)
}

pub fn insert_certificate(db: &mut dyn Db, user_id: i64, at: DateTime<Utc>) -> Result<()> {
    let id: i64 =
        db.value("INSERT INTO certificates (user_id, issued_at) VALUES (?1, ?2) RETURNING id", &[&user_id, &at])?;
    integrity::inserted(db, &CERTIFICATES, &[&id])
}

/// Stores a secret's hash and returns its id. `stored` makes what is stored from the id:
/// the hash is encrypted for its row (see `secret::pepper`), so the id comes first.
pub fn insert_secret_hash(db: &mut dyn Db, stored: &dyn Fn(i64) -> String) -> Result<i64> {
    let id: i64 = db.value("INSERT INTO secret_hashes (phc) VALUES ('') RETURNING id", &[])?;
    db.execute("UPDATE secret_hashes SET phc = ?2 WHERE id = ?1", &[&id, &stored(id)])?;
    integrity::inserted(db, &SECRET_HASHES, &[&id])?;
    Ok(id)
}

impl FromRow for Contract {
    /// From the covered columns of `contracts`.
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            cif: r.get(1)?,
            branch: r.get(2)?,
            company: r.get(3)?,
            company_kana: r.get(4)?,
            phone: r.get(5)?,
            address: r.get(6)?,
            cancelled: r.get::<String>(7)? == "cancelled",
            replaces: r.get(8)?,
        })
    }
}

pub fn contract(db: &mut dyn Db, id: i64) -> Result<Option<Contract>> {
    db.sealed_first(&CONTRACTS, &format!("SELECT {}, mac FROM contracts WHERE id = ?1", CONTRACTS.columns), &[&id])
}

/// The contracts `ids` names, in one statement (a page of search results: one round trip
/// to a shared ledger, not one per row), in no particular order.
pub fn contracts(db: &mut dyn Db, ids: &[i64]) -> Result<Vec<Contract>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("?{i}")).collect();
    let args: Vec<&dyn super::sql::ToSql> = ids.iter().map(|id| id as &dyn super::sql::ToSql).collect();
    db.sealed(
        &CONTRACTS,
        &format!("SELECT {}, mac FROM contracts WHERE id IN ({})", CONTRACTS.columns, marks.join(", ")),
        &args,
    )
}

pub fn contract_by_cif(db: &mut dyn Db, cif: &str) -> Result<Option<Contract>> {
    db.sealed_first(&CONTRACTS, &format!("SELECT {}, mac FROM contracts WHERE cif = ?1", CONTRACTS.columns), &[&cif])
}

/// A user's covered columns, the MAC, then whether they hold a certificate.
fn user_select(filter: &str) -> String {
    format!(
        "SELECT {}, mac, EXISTS (SELECT 1 FROM certificates c WHERE c.user_id = users.id AND c.revoked_at IS NULL)
         FROM users WHERE {filter}",
        USERS.columns
    )
}

impl FromRow for User {
    /// From the covered columns of `users`, the MAC, and the certificate flag.
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            contract_id: r.get(1)?,
            login_id: r.get(2)?,
            name: r.get(3)?,
            role: r.get(4)?,
            login_method: r.get(5)?,
            login_must_change: r.get(6)?,
            has_certificate: r.get(USERS.width() + 1)?,
        })
    }
}

pub fn user_by_login_id(db: &mut dyn Db, login_id: &str) -> Result<Option<User>> {
    db.sealed_first(&USERS, &user_select("login_id = ?1"), &[&login_id])
}

pub fn user(db: &mut dyn Db, id: i64) -> Result<Option<User>> {
    db.sealed_first(&USERS, &user_select("id = ?1"), &[&id])
}

/// The users of a contract, master first.
pub fn users_of(db: &mut dyn Db, contract_id: i64) -> Result<Vec<User>> {
    db.sealed(
        &USERS,
        &format!(
            "{} ORDER BY CASE role WHEN 'master' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, id",
            user_select("contract_id = ?1")
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

/// The stored hash of one of a user's secrets, with its id (the place it is sealed for).
/// Both the user's row (which points at the hash) and the hash's row are checked.
pub fn secret_hash(db: &mut dyn Db, user_id: i64, kind: CredentialKind) -> Result<Option<(i64, String)>> {
    let Some(col) = secret_column(kind) else { return Ok(None) };
    let pointer: Option<ColumnOf> = db.sealed_first(
        &USERS,
        &format!("SELECT {}, mac, {col} FROM users WHERE id = ?1", USERS.columns),
        &[&user_id],
    )?;
    let Some(ColumnOf(Some(hash_id))) = pointer else { return Ok(None) };
    db.sealed_first(&SECRET_HASHES, "SELECT id, phc, version, mac FROM secret_hashes WHERE id = ?1", &[&hash_id])
}

/// The one column read after a sealed row's covered columns and MAC.
struct ColumnOf(Option<i64>);

impl FromRow for ColumnOf {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self(r.get(USERS.width() + 1)?))
    }
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
    // The login password alone also says whether it must be changed at the next login.
    let must_change = (kind == CredentialKind::LoginPassword).then_some(must_change);
    integrity::update_row_sealed(
        db,
        &USERS,
        &format!("UPDATE users SET {col} = ?2, login_must_change = coalesce(?3, login_must_change) WHERE id = ?1"),
        &[&user_id, &hash_id, &must_change],
    )
}

/// Marks a contract cancelled (解約); nothing is deleted.
pub fn cancel_contract(db: &mut dyn Db, contract_id: i64, at: DateTime<Utc>) -> Result<bool> {
    let n = integrity::update_sealed(
        db,
        &CONTRACTS,
        "UPDATE contracts SET state = 'cancelled', cancelled_at = ?2 WHERE id = ?1 AND state = 'active'",
        &[&contract_id, &at],
    )?;
    Ok(n == 1)
}

/// Links a re-applied contract to the one it replaces.
pub fn set_replaces(db: &mut dyn Db, contract_id: i64, replaces: i64) -> Result<()> {
    integrity::update_row_sealed(
        db,
        &CONTRACTS,
        "UPDATE contracts SET replaces = ?2 WHERE id = ?1",
        &[&contract_id, &replaces],
    )
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

/// Whether the contract has an admin user (R2, R3): read from its sealed user rows.
pub fn contract_has_admin(db: &mut dyn Db, contract_id: i64) -> Result<bool> {
    Ok(users_of(db, contract_id)?.iter().any(|u| u.role == UserRole::Admin))
}

pub fn count_contracts(db: &mut dyn Db) -> Result<i64> {
    db.value("SELECT count(*) FROM contracts", &[])
}
