//! The customer's world (docs/spec.md §2): a contract (契約) of one corporate customer and its
//! users.

use super::credential::{LoginMethod, UserRole};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: i64,
    /// 10 digits: 店番 (3) + 顧客番号 (7).
    pub cif: String,
    /// お取引店.
    pub branch: String,
    pub company: String,
    pub company_kana: String,
    pub phone: String,
    pub address: String,
    /// 解約済: nothing is deleted, the contract is marked.
    pub cancelled: bool,
    /// The contract this one replaced (解約・再申込).
    pub replaces: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub contract_id: i64,
    pub login_id: String,
    pub name: String,
    pub role: UserRole,
    pub login_method: LoginMethod,
    /// R14: a login password re-registered by the bank must be changed at the next login.
    pub login_must_change: bool,
    pub has_certificate: bool,
}
