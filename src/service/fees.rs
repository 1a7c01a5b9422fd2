//! R13: the fee journal (日計), and reversals and waivers, which need a supervisor.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::approval::{FeeDetail, RequestDetail};
use crate::domain::fees::{self, Journal};
use crate::domain::permission::{Operation, Session};
use crate::store::{self, requests::NewRequest};

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError};

impl Ledger {
    /// The journal of a business day: the staff member's branch (the CLI passes `None`
    /// session and any branch).
    pub fn fee_journal(&mut self, session: Option<&Session>, date: NaiveDate, branch: Option<&str>) -> Result<Journal> {
        let branch = match session {
            Some(s) => {
                s.authorize(Operation::ViewFeeJournal, Some(&s.branch))?;
                Some(s.branch.clone())
            }
            None => branch.map(str::to_string),
        };
        let entries = store::fees::day(&mut self.conn, date, branch.as_deref())?;
        let totals = fees::totals(entries.iter().map(|e| (e.kind, e.amount, e.tax)));
        let chain_head = self.chain_head()?.short();
        Ok(Journal { date, branch, entries, totals, invoice_number: self.cfg.fees.invoice_number.clone(), chain_head })
    }

    /// Files a reversal (a mistake) or a waiver (the fee forgiven) of a fee; it takes effect
    /// as a new, negative entry when a supervisor approves it. Nothing is edited.
    /// Whether a reversal or waiver of `fee_id` with `reason` would be filed, checked
    /// without writing (the journal asks it before 「依頼しますか？」).
    pub fn check_reversal(&mut self, session: &Session, fee_id: i64, reason: &str) -> Result<()> {
        self.reversible(session, fee_id, reason).map(|_| ())
    }

    fn reversible(&mut self, session: &Session, fee_id: i64, reason: &str) -> Result<crate::domain::fees::FeeLine> {
        let fee = store::fees::get(&mut self.conn, fee_id)?.ok_or(ServiceError::NotFound(Missing::Fee))?;
        self.allowed(session, Operation::CounterProcedure, Some(fee.branch.as_str()))?;
        if fee.reverses.is_some() || fee.amount <= 0 {
            return Err(ServiceError::Invalid(Problem::FeeNotReversible));
        }
        if fee.reversed || fee.reversal_pending {
            return Err(ServiceError::Invalid(Problem::FeeAlreadyReversed));
        }
        if !crate::domain::unlock::valid_reason(reason) {
            return Err(ServiceError::Invalid(Problem::Reason));
        }
        Ok(fee)
    }

    pub fn request_reversal(&mut self, session: &Session, fee_id: i64, waiver: bool, reason: &str) -> Result<i64> {
        let fee = self.reversible(session, fee_id, reason)?;
        let reason = reason.trim().to_string();
        let detail = FeeDetail { fee: fee.id, receipt: fee.receipt_no, reason };
        let detail = if waiver { RequestDetail::FeeWaiver(detail) } else { RequestDetail::FeeReversal(detail) };
        let staff = session.id.clone();
        let user = match &fee.login_id {
            Some(l) => store::customers::user_by_login_id(&mut self.conn, l)?,
            None => None,
        };
        self.write(&Actor::staff(session), |w| {
            let dedupe = format!("fee:{}", fee.id);
            let id = store::requests::insert(
                &mut w.tx,
                &NewRequest {
                    branch: &fee.branch,
                    contract_id: user.as_ref().map(|u| u.contract_id),
                    user_id: user.as_ref().map(|u| u.id),
                    dedupe: Some(&dedupe),
                    detail: &detail,
                    requested_by: &staff,
                    at: w.at,
                },
            )
            .map_err(|e| match e {
                store::StoreError::Duplicate => ServiceError::Invalid(Problem::FeeAlreadyReversed),
                other => other.into(),
            })?;
            // About the customer whose fee it is, when there is one: the audit trail's
            // customer filter then finds it.
            let subject = match &user {
                Some(u) => format!("contract:{}/user:{}", u.contract_id, u.id),
                None => format!("branch:{}", fee.branch),
            };
            w.audit(
                "request.create",
                &subject,
                json!({ "request": id, "kind": detail.kind().code(), "fee": fee.id, "receipt": fee.receipt_no }),
            )?;
            Ok(id)
        })
    }
}
