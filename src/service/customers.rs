//! Contracts and their users: creation (with the search index) and what the customer
//! screen shows.

use serde_json::json;

use crate::domain::credential::{LoginMethod, UserRole};
use crate::domain::search;
use crate::store::{self, customers::NewContract, customers::NewUser, customers::SecretIds};

use super::{Result, Writer};

pub struct NewCustomerUser<'a> {
    pub login_id: &'a str,
    pub name: &'a str,
    pub role: UserRole,
    pub method: LoginMethod,
}

pub struct NewCustomer<'a> {
    pub cif: &'a str,
    pub branch: &'a str,
    pub company: &'a str,
    pub company_kana: &'a str,
    pub phone: &'a str,
    pub address: &'a str,
    pub users: &'a [NewCustomerUser<'a>],
}

/// Writes a contract, its users (a certificate for certificate users) and its search
/// entries in the caller's transaction. `audit` false is the bulk demo path, which
/// records one entry for the whole batch instead.
pub fn insert_customer(
    w: &mut Writer<'_>,
    c: &NewCustomer<'_>,
    secrets: SecretIds,
    created_at: &str,
    audit: bool,
) -> Result<(i64, Vec<i64>)> {
    let contract_id = store::customers::insert_contract(
        &w.tx,
        &NewContract {
            cif: c.cif,
            branch: c.branch,
            company: c.company,
            company_kana: c.company_kana,
            phone: c.phone,
            address: c.address,
            at: created_at,
        },
    )?;
    let mut ids = Vec::with_capacity(c.users.len());
    for u in c.users {
        let id = store::customers::insert_user(
            &w.tx,
            &NewUser {
                contract_id,
                login_id: u.login_id,
                name: u.name,
                role: u.role,
                login_method: u.method,
                secrets,
                at: created_at,
            },
        )?;
        if u.method == LoginMethod::Certificate {
            store::customers::insert_certificate(&w.tx, id, created_at)?;
        }
        ids.push(id);
    }
    let logins: Vec<&str> = c.users.iter().map(|u| u.login_id).collect();
    let ix = search::index_contract(contract_id, c.cif, c.company, c.company_kana, c.phone, &logins, &[]);
    store::search::index(&w.tx, contract_id, &ix)?;
    if audit {
        w.audit(
            "contract.create",
            &format!("contract:{contract_id}/"),
            json!({ "cif": c.cif, "branch": c.branch, "users": logins }),
        )?;
    }
    Ok((contract_id, ids))
}
