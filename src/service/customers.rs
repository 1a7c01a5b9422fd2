//! Contracts and their users: creation (with the search index) and what the customer
//! screen shows.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::credential::{CredentialKind, LoginMethod, UserRole};
use crate::domain::permission::{Operation, Session};
use crate::domain::search::{self, MatchKind};
use crate::domain::view::{CustomerView, Hit, HomeStats, UserView};
use crate::format::business_date;
use crate::store::{self, customers::NewContract, customers::NewUser, customers::SecretIds};
use strum::VariantArray;

use super::{Ledger, Missing, Result, ServiceError, Writer};

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

/// Writes a contract, its users (a certificate for certificate users), its search entries
/// and its audit entry in the caller's transaction. (A generated demo's contracts go in
/// bulk, see `store::bulk`.)
pub fn insert_customer(
    w: &mut Writer<'_>,
    c: &NewCustomer<'_>,
    secrets: SecretIds,
    created_at: DateTime<Utc>,
) -> Result<(i64, Vec<i64>)> {
    let contract_id = store::customers::insert_contract(
        &mut w.tx,
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
            &mut w.tx,
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
            store::customers::insert_certificate(&mut w.tx, id, created_at)?;
        }
        ids.push(id);
    }
    let logins: Vec<&str> = c.users.iter().map(|u| u.login_id).collect();
    let ix = search::index_contract(contract_id, c.cif, c.company, c.company_kana, c.phone, &logins, &[]);
    store::search::index(&mut w.tx, contract_id, &ix)?;
    w.audit(
        "contract.create",
        &format!("contract:{contract_id}/"),
        json!({ "cif": c.cif, "branch": c.branch, "users": logins }),
    )?;
    Ok((contract_id, ids))
}

impl Ledger {
    /// Find customer: a page of contracts for what was typed, best matches first (exact,
    /// prefix, then contains). Reads at most what the page needs from each index.
    pub fn find_customers(&mut self, session: &Session, query: &str, offset: usize, limit: usize) -> Result<Vec<Hit>> {
        self.allowed(session, Operation::SearchCustomers, None)?;
        let keys = search::query_keys(query);
        if keys.prefixes.is_empty() {
            return Ok(Vec::new());
        }
        let want = offset + limit;
        let look = store::search::first_look(&mut self.conn, &keys, want)?;
        let mut found = look.matches;
        if found.len() < want
            && let Some(key) = &keys.contains
        {
            let mut seen: std::collections::HashSet<i64> = found.iter().map(|(id, _)| *id).collect();
            let more = store::search::contains(&mut self.conn, key, &look.docs, 0, want)?;
            found.extend(more.into_iter().filter(|id| seen.insert(*id)).map(|id| (id, MatchKind::Contains)));
        }
        let page: Vec<(i64, MatchKind)> = found.into_iter().skip(offset).take(limit).collect();
        let ids: Vec<i64> = page.iter().map(|(id, _)| *id).collect();
        let mut contracts: std::collections::HashMap<i64, crate::domain::customer::Contract> =
            store::customers::contracts(&mut self.conn, &ids)?.into_iter().map(|c| (c.id, c)).collect();
        Ok(page
            .into_iter()
            .filter_map(|(id, matched)| contracts.remove(&id).map(|contract| Hit { contract, matched }))
            .collect())
    }

    pub fn customer_view(&mut self, session: &Session, contract_id: i64) -> Result<CustomerView> {
        self.allowed(session, Operation::SearchCustomers, None)?;
        let contract = store::customers::contract(&mut self.conn, contract_id)?
            .ok_or(ServiceError::NotFound(Missing::Contract))?;
        let mut users = Vec::new();
        for user in store::customers::users_of(&mut self.conn, contract_id)? {
            let open_locks = store::locks::open_locks(&mut self.conn, user.id)?;
            let mut failures = Vec::new();
            for &k in CredentialKind::VARIANTS {
                let n = store::locks::failures(&mut self.conn, user.id, k)?;
                if n > 0 {
                    failures.push((k, n));
                }
            }
            let mut tokens = store::tokens::of_user(&mut self.conn, user.id)?;
            tokens.extend(store::tokens::reserved_for(&mut self.conn, user.id)?);
            let requests = self.recent_requests(user.id)?;
            users.push(UserView { user, open_locks, failures, tokens, requests });
        }
        let history = store::audit::recent_for_subject(&mut self.conn, &format!("contract:{contract_id}/"), 50)?;
        Ok(CustomerView { contract, users, history })
    }

    /// A customer user by login ID (the ID the customer types into the service).
    pub fn find_user(&mut self, login_id: &str) -> Result<Option<crate::domain::customer::User>> {
        Ok(store::customers::user_by_login_id(&mut self.conn, login_id)?)
    }

    pub fn home_stats(&mut self, session: &Session) -> Result<HomeStats> {
        let today = business_date(self.now());
        let until = today + chrono::Duration::days(i64::from(self.cfg.token.expiry_notice_days));
        let branch = session.branch.as_str();
        let (fees_today, fees_today_yen) = store::fees::day_totals(&mut self.conn, branch, today)?;
        Ok(HomeStats {
            pending_approvals: store::requests::count_pending(&mut self.conn, Some(branch))?,
            fees_today,
            fees_today_yen,
            tokens_expiring: store::tokens::count_expiring(&mut self.conn, until, Some(branch))?,
        })
    }
}
