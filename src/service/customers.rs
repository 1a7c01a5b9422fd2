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

use crate::domain::audit::Entry;
use crate::domain::permission::Operation;
use crate::store::customers::{ContractRow, UserRow};
use crate::store::locks::LockRow;
use crate::store::search::MatchKind;

use super::{Ledger, staff::Session};

/// One row of Find customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub contract: ContractRow,
    pub matched: MatchKind,
}

/// A user as the customer screen shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub user: UserRow,
    pub open_locks: Vec<LockRow>,
    /// Consecutive failures per credential kind, where not zero.
    pub failures: Vec<(crate::domain::credential::CredentialKind, u32)>,
    /// (serial, state, expires YYYY-MM-DD)
    pub tokens: Vec<(String, String, String)>,
    /// Requests pending, or decided in the last 30 days (a rejection shows its reason).
    pub requests: Vec<crate::store::requests::RequestRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerView {
    pub contract: ContractRow,
    pub users: Vec<UserView>,
    pub history: Vec<Entry>,
}

/// What Home shows for the staff member's branch, from real queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HomeStats {
    pub pending_approvals: i64,
    pub fees_today: i64,
    pub fees_today_yen: i64,
    pub tokens_expiring: i64,
}

impl Ledger {
    /// Find customer: a page of contracts for what was typed, best matches first (exact,
    /// prefix, then contains). Reads at most what the page needs from each index.
    pub fn find_customers(&self, session: &Session, query: &str, offset: usize, limit: usize) -> Result<Vec<Hit>> {
        session.authorize(Operation::SearchCustomers, None)?;
        let keys = search::query_keys(query);
        if keys.prefixes.is_empty() {
            return Ok(Vec::new());
        }
        let want = offset + limit;
        let mut found = store::search::prefix_matches(&self.conn, &keys, want)?;
        if found.len() < want
            && let Some(key) = &keys.contains
        {
            let mut seen: std::collections::HashSet<i64> = found.iter().map(|(id, _)| *id).collect();
            let more = store::search::contains(&self.conn, &search::fts_phrase(key), 0, want)?;
            found.extend(more.into_iter().filter(|id| seen.insert(*id)).map(|id| (id, MatchKind::Contains)));
        }
        let mut hits = Vec::with_capacity(limit);
        for (id, matched) in found.into_iter().skip(offset).take(limit) {
            if let Some(contract) = store::customers::contract(&self.conn, id)? {
                hits.push(Hit { contract, matched });
            }
        }
        Ok(hits)
    }

    pub fn customer_view(&self, session: &Session, contract_id: i64) -> Result<CustomerView> {
        session.authorize(Operation::SearchCustomers, None)?;
        let contract = store::customers::contract(&self.conn, contract_id)?
            .ok_or(super::ServiceError::NotFound("msg.contract"))?;
        let mut users = Vec::new();
        for user in store::customers::users_of(&self.conn, contract_id)? {
            let open_locks = store::locks::open_locks(&self.conn, user.id)?;
            let failures = crate::domain::credential::CredentialKind::ALL
                .into_iter()
                .map(|k| Ok((k, store::locks::failures(&self.conn, user.id, k)?)))
                .filter(|r: &Result<_>| r.as_ref().map_or(true, |(_, n)| *n > 0))
                .collect::<Result<Vec<_>>>()?;
            let tokens = store::tokens::of_user(&self.conn, user.id)?
                .into_iter()
                .chain(store::tokens::reserved_for(&self.conn, user.id)?)
                .map(|t| (t.serial, t.state, t.expires))
                .collect();
            let requests = self.recent_requests(user.id)?;
            users.push(UserView { user, open_locks, failures, tokens, requests });
        }
        let history = store::audit::recent_for_subject(&self.conn, &format!("contract:{contract_id}/"), 50)?;
        Ok(CustomerView { contract, users, history })
    }

    pub fn home_stats(&self, session: &Session) -> Result<HomeStats> {
        let today = super::business_date(self.now());
        let until = today + chrono::Duration::days(i64::from(self.cfg.token.expiry_notice_days));
        let branch = session.branch.as_str();
        let (fees_today, fees_today_yen) =
            store::fees::day_totals(&self.conn, branch, &today.format("%Y-%m-%d").to_string())?;
        Ok(HomeStats {
            pending_approvals: store::requests::count_pending(&self.conn, Some(branch))?,
            fees_today,
            fees_today_yen,
            tokens_expiring: store::tokens::count_expiring(
                &self.conn,
                &until.format("%Y-%m-%d").to_string(),
                Some(branch),
            )?,
        })
    }
}
