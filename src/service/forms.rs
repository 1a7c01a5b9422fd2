//! R14: keying a paper form. Nothing changes for the customer until a supervisor of the
//! branch approves it (see `approvals`).

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use std::collections::BTreeMap;

use crate::domain::approval::{FormDetail, RequestDetail, RequestKind};
use crate::domain::credential::CredentialKind;
use crate::domain::forms::{self, FormProblem, FormRequest};
use crate::domain::permission::{Operation, Session};
use crate::domain::unlock::IdDocument;
use crate::domain::view::FormContext;
use crate::format::business_date;
use crate::secret;
use crate::service::ib::meets_policy;
use crate::store::{self, forms::NewForm, requests::NewRequest};

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError};

/// A new secret as keyed twice, masked.
pub struct DoubleKeyed {
    pub kind: CredentialKind,
    pub first: SecretString,
    pub second: SecretString,
}

/// A paper form as keyed at the counter.
pub struct FormInput<'a> {
    pub request: FormRequest,
    /// The user concerned (the master, for a cancellation).
    pub user_id: i64,
    pub form_no: &'a str,
    pub received: NaiveDate,
    /// Who brought the form (name as written).
    pub brought_by: &'a str,
    pub document: Option<IdDocument>,
    pub seal_matched: bool,
    /// The new secrets: one for a password or PIN form, all four for a re-application.
    pub secrets: Vec<DoubleKeyed>,
    /// The login ID of the new contract's master (re-application only).
    pub new_login_id: Option<&'a str>,
}

/// A login ID: 4–20 of lower-case letters, digits, `.`, `_`, `-`, starting with a letter
/// or digit.
pub fn valid_login_id(s: &str) -> bool {
    (4..=20).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// The secrets a form sets: one, or all four for a re-application.
fn needed_secrets(request: FormRequest) -> Vec<CredentialKind> {
    match request.credential() {
        Some(k) => vec![k],
        None => vec![
            CredentialKind::LoginPassword,
            CredentialKind::ConfirmPassword,
            CredentialKind::Pin,
            CredentialKind::ApprovalPin,
        ],
    }
}

/// Every check of a keyed form that needs no ledger: the screen asks it before its
/// confirmation, and `submit_form` again before writing.
pub fn check_input(
    f: &FormInput<'_>,
    today: NaiveDate,
    role: crate::domain::credential::UserRole,
    has_admin: bool,
) -> Result<()> {
    if !forms::valid_form_number(f.form_no) {
        return Err(ServiceError::Invalid(Problem::FormNumber));
    }
    forms::check_received(f.received, today).map_err(|p| match p {
        FormProblem::FutureDate => ServiceError::Invalid(Problem::FormFutureDate),
        _ => ServiceError::Invalid(Problem::FormStaleDate),
    })?;
    let brought_by = f.brought_by.trim();
    if brought_by.is_empty() || brought_by.chars().count() > 60 || brought_by.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(Problem::FormBroughtBy));
    }
    if f.document.is_none() {
        return Err(ServiceError::Invalid(Problem::IdentityDocument));
    }
    if !f.seal_matched {
        return Err(ServiceError::Invalid(Problem::IdentitySeal));
    }
    forms::applies(f.request, role, has_admin).map_err(|p| match p {
        FormProblem::CancelNotNeeded => ServiceError::Invalid(Problem::FormCancelNotNeeded),
        _ => ServiceError::Invalid(Problem::FormNotForUser),
    })?;
    let needed = needed_secrets(f.request);
    for kind in &needed {
        let Some(s) = f.secrets.iter().find(|s| s.kind == *kind) else {
            return Err(ServiceError::Invalid(Problem::FormSecretMissing));
        };
        if s.first.expose_secret() != s.second.expose_secret() {
            return Err(ServiceError::Invalid(Problem::FormSecretMismatch));
        }
        if !meets_policy(*kind, &s.first) {
            return Err(ServiceError::Invalid(if matches!(kind, CredentialKind::Pin | CredentialKind::ApprovalPin) {
                Problem::FormPinPolicy
            } else {
                Problem::FormPasswordPolicy
            }));
        }
    }
    if f.request == FormRequest::CancelAndReapply && !f.new_login_id.is_some_and(valid_login_id) {
        return Err(ServiceError::Invalid(Problem::LoginIdFormat));
    }
    Ok(())
}

impl Ledger {
    /// What the Paper form screen needs for a user: the contract, and whether it has an
    /// admin user (R2–R4 decide which forms apply). Refused at once when this staff member
    /// may not take a form for this customer, before anything is typed.
    pub fn form_context(&mut self, session: &Session, user_id: i64) -> Result<FormContext> {
        let user =
            store::customers::user(&mut self.conn, user_id)?.ok_or(ServiceError::NotFound(Missing::CustomerUser))?;
        let contract = store::customers::contract(&mut self.conn, user.contract_id)?
            .ok_or(ServiceError::NotFound(Missing::Contract))?;
        self.allowed(session, Operation::CounterProcedure, Some(contract.branch.as_str()))?;
        let has_admin = store::customers::contract_has_admin(&mut self.conn, contract.id)?;
        Ok(FormContext { contract, user, has_admin })
    }

    /// Keys a paper form: validates every field, hashes the new secrets, and files the
    /// request for approval, in one transaction with its audit entry.
    /// Everything that would refuse `f`, checked without writing anything: the form
    /// screen asks it before 「登録しますか？」, so that a refusal is never the answer to a
    /// yes (a form number already used, a request already pending, a date in the future).
    pub fn check_form(&mut self, session: &Session, f: &FormInput<'_>) -> Result<()> {
        self.form_checked(session, f).map(|_| ())
    }

    /// The checks of [`check_form`]: the user and contract the form is for, the document,
    /// and the new login ID of a re-application.
    fn form_checked(
        &mut self,
        session: &Session,
        f: &FormInput<'_>,
    ) -> Result<(crate::domain::customer::User, crate::domain::customer::Contract, IdDocument, Option<String>)> {
        let user =
            store::customers::user(&mut self.conn, f.user_id)?.ok_or(ServiceError::NotFound(Missing::CustomerUser))?;
        let contract = store::customers::contract(&mut self.conn, user.contract_id)?
            .ok_or(ServiceError::NotFound(Missing::Contract))?;
        self.allowed(session, Operation::CounterProcedure, Some(contract.branch.as_str()))?;
        if contract.cancelled {
            return Err(ServiceError::Invalid(Problem::ContractCancelled));
        }
        let has_admin = store::customers::contract_has_admin(&mut self.conn, contract.id)?;
        check_input(f, business_date(self.now()), user.role, has_admin)?;
        let Some(document) = f.document else { return Err(ServiceError::Invalid(Problem::IdentityDocument)) };
        let new_login_id = match (f.request, f.new_login_id) {
            (FormRequest::CancelAndReapply, Some(id)) if valid_login_id(id) => {
                if store::customers::login_id_taken(&mut self.conn, id)? {
                    return Err(ServiceError::Invalid(Problem::LoginIdTaken));
                }
                Some(id.to_string())
            }
            (FormRequest::CancelAndReapply, _) => return Err(ServiceError::Invalid(Problem::LoginIdFormat)),
            _ => None,
        };
        let kind = match f.request {
            FormRequest::PasswordReRegistration(_) => RequestKind::FormPassword,
            FormRequest::PinChange(_) => RequestKind::FormPin,
            FormRequest::CancelAndReapply => RequestKind::FormCancel,
        };
        let dedupe = f.request.credential().map(CredentialKind::code);
        if store::requests::pending_like(&mut self.conn, kind, user.id, dedupe)? {
            return Err(ServiceError::Invalid(Problem::FormPending));
        }
        if store::forms::number_used(&mut self.conn, &contract.branch, f.form_no)? {
            return Err(ServiceError::Invalid(Problem::FormNumberUsed));
        }
        Ok((user, contract, document, new_login_id))
    }

    pub fn submit_form(&mut self, session: &Session, f: &FormInput<'_>) -> Result<i64> {
        // Checked again here: another terminal may have keyed the same number meanwhile
        // (the write's own constraints are the last word).
        let (user, contract, document, new_login_id) = self.form_checked(session, f)?;
        let brought_by = f.brought_by.trim();
        let needed = needed_secrets(f.request);
        // Hash before anything touches the ledger; the plain secrets end here.
        let mut hashes = Vec::new();
        for kind in &needed {
            if let Some(s) = f.secrets.iter().find(|s| s.kind == *kind) {
                hashes.push((*kind, secret::phc(&s.first)?));
            }
        }
        let subject = format!("contract:{}/user:{}", contract.id, user.id);
        let dedupe = f.request.credential().map(CredentialKind::code);
        let staff_id = session.id.clone();
        let received = f.received;
        let request = f.request;
        let form_no = f.form_no.to_string();
        self.write(&Actor::staff(session), |w| {
            let at = w.at;
            let mut secret_ids = BTreeMap::new();
            for (kind, phc) in &hashes {
                secret_ids.insert(*kind, w.insert_secret_hash(phc)?);
            }
            let form =
                FormDetail { form_no: form_no.clone(), form: request, secret_ids, new_login_id: new_login_id.clone() };
            let detail = match request {
                FormRequest::PasswordReRegistration(_) => RequestDetail::FormPassword(form),
                FormRequest::PinChange(_) => RequestDetail::FormPin(form),
                FormRequest::CancelAndReapply => RequestDetail::FormCancel(form),
            };
            let request_id = store::requests::insert(
                &mut w.tx,
                &NewRequest {
                    branch: &contract.branch,
                    contract_id: Some(contract.id),
                    user_id: Some(user.id),
                    dedupe,
                    detail: &detail,
                    requested_by: &staff_id,
                    at,
                },
            )
            .map_err(|e| match e {
                store::StoreError::Duplicate => ServiceError::Invalid(Problem::FormPending),
                other => other.into(),
            })?;
            store::forms::insert(
                &mut w.tx,
                &NewForm {
                    branch: &contract.branch,
                    form_no: &form_no,
                    kind: request,
                    contract_id: contract.id,
                    user_id: Some(user.id),
                    received_on: received,
                    brought_by,
                    id_document: document,
                    seal_checked: true,
                    request_id,
                    keyed_by: &staff_id,
                    at,
                },
            )
            .map_err(|e| match e {
                store::StoreError::Duplicate => ServiceError::Invalid(Problem::FormNumberUsed),
                other => other.into(),
            })?;
            w.audit(
                "form.submit",
                &subject,
                json!({
                    "request": request_id,
                    "form": request.code(),
                    "form_no": form_no,
                    "received": crate::format::date(received),
                    "document": document.code(),
                    "role": user.role.code(),
                }),
            )?;
            Ok(request_id)
        })
    }
}
