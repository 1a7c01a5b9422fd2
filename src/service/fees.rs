//! R13: the fee journal (日計), and reversals and waivers, which need a supervisor.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::fees::{self, Totals};
use crate::domain::permission::Operation;
use crate::store::{self, fees::FeeRow, requests::NewRequest};

use super::staff::Session;
use super::{Ledger, Result, ServiceError};

/// A branch's business day: its entries and their totals.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Journal {
    pub date: String,
    pub branch: Option<String>,
    pub entries: Vec<FeeRow>,
    pub totals: Totals,
    pub invoice_number: String,
}

impl Ledger {
    /// The journal of a business day: the staff member's branch (the CLI passes `None`
    /// session and any branch).
    pub fn fee_journal(&self, session: Option<&Session>, date: NaiveDate, branch: Option<&str>) -> Result<Journal> {
        let branch = match session {
            Some(s) => {
                s.authorize(Operation::ViewFeeJournal, Some(&s.branch))?;
                Some(s.branch.clone())
            }
            None => branch.map(str::to_string),
        };
        let day = date.format("%Y-%m-%d").to_string();
        let entries = store::fees::day(&self.conn, &day, branch.as_deref())?;
        let totals = fees::totals(entries.iter().map(|e| (e.kind.as_str(), e.amount, e.tax)));
        Ok(Journal { date: day, branch, entries, totals, invoice_number: self.cfg.fees.invoice_number.clone() })
    }

    /// Files a reversal (a mistake) or a waiver (the fee forgiven) of a fee; it takes effect
    /// as a new, negative entry when a supervisor approves it. Nothing is edited.
    pub fn request_reversal(&mut self, session: &Session, fee_id: i64, waiver: bool, reason: &str) -> Result<i64> {
        let fee = store::fees::get(&self.conn, fee_id)?.ok_or(ServiceError::NotFound("msg.fee"))?;
        session.authorize(Operation::CounterProcedure, Some(&fee.branch))?;
        if fee.reverses.is_some() || fee.amount <= 0 {
            return Err(ServiceError::invalid("fee", "err.fee_not_reversible"));
        }
        if fee.reversed || fee.reversal_pending {
            return Err(ServiceError::invalid("fee", "err.fee_already_reversed"));
        }
        if !crate::domain::unlock::valid_reason(reason) {
            return Err(ServiceError::invalid("reason", "err.reason"));
        }
        let kind = if waiver { "fee_waiver" } else { "fee_reversal" };
        let reason = reason.trim().to_string();
        let staff = session.id.clone();
        let user = match &fee.login_id {
            Some(l) => store::customers::user_by_login_id(&self.conn, l)?,
            None => None,
        };
        self.write(&session.actor(), |w| {
            let at = w.stamp.clone();
            let payload = json!({ "fee": fee.id, "receipt": fee.receipt_no, "reason": reason }).to_string();
            let id = store::requests::insert(
                &w.tx,
                &NewRequest {
                    kind,
                    branch: &fee.branch,
                    contract_id: user.as_ref().map(|u| u.contract_id),
                    user_id: user.as_ref().map(|u| u.id),
                    credential: Some(&format!("fee:{}", fee.id)),
                    payload: &payload,
                    requested_by: &staff,
                    at: &at,
                },
            )
            .map_err(|e| match e {
                store::StoreError::Duplicate => ServiceError::invalid("request", "err.fee_already_reversed"),
                other => other.into(),
            })?;
            w.audit(
                "request.create",
                &format!("branch:{}", fee.branch),
                json!({ "request": id, "kind": kind, "fee": fee.id, "receipt": fee.receipt_no }),
            )?;
            Ok(id)
        })
    }
}
