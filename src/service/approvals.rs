//! 検印: the branch's approval queue, approval with a supervisor's TOTP code (step-up),
//! and rejection with a reason. What a request changes happens in the same transaction
//! as its approval.

use chrono::Duration;
use serde_json::{Value, json};

use crate::domain::approval::{self, Decision, DecisionError, RequestState};
use crate::domain::credential::{CredentialKind, LoginMethod, UserRole};
use crate::domain::permission::Operation;
use crate::domain::token::{self, CodeCheck, TokenParams};
use crate::secret;
use crate::store::{self, customers::SecretIds, requests::RequestRow};

use super::customers::{NewCustomer, NewCustomerUser, insert_customer};
use super::staff::Session;
use super::{Ledger, Result, ServiceError, Writer, stamp};

fn decision_error(e: DecisionError, request: &RequestRow) -> ServiceError {
    match e {
        DecisionError::NotPending => ServiceError::AlreadyDone { by: request.decided_by.clone().unwrap_or_default() },
        DecisionError::OwnRequest => ServiceError::invalid("request", "err.own_request"),
        DecisionError::ReasonRequired => ServiceError::invalid("reason", "err.reason"),
    }
}

impl Ledger {
    /// The pending requests of the staff member's branch, oldest first.
    pub fn approval_queue(&self, session: &Session) -> Result<Vec<RequestRow>> {
        session.authorize(Operation::SearchCustomers, None)?;
        Ok(store::requests::pending_for_branch(&self.conn, &session.branch, 200)?)
    }

    /// A user's pending requests and those decided in the last 30 days.
    pub fn recent_requests(&self, user_id: i64) -> Result<Vec<RequestRow>> {
        let since = stamp(self.now() - Duration::days(30));
        Ok(store::requests::recent_for_user(&self.conn, user_id, &since)?)
    }

    fn pending_request(&self, session: &Session, request_id: i64, decision: &Decision<'_>) -> Result<RequestRow> {
        let request = store::requests::get(&self.conn, request_id)?.ok_or(ServiceError::NotFound("msg.request"))?;
        session.authorize(Operation::Approve, Some(&request.branch))?;
        let state = RequestState::from_code(&request.state).unwrap_or(RequestState::Pending);
        approval::decide(state, &request.requested_by, &session.id, decision)
            .map_err(|e| decision_error(e, &request))?;
        Ok(request)
    }

    /// Step-up: a current code from the supervisor's own authenticator, never one twice.
    /// Returns the time step to record.
    fn check_step_up(&self, session: &Session, code: &str) -> Result<i64> {
        let staff = store::staff::get(&self.conn, &session.id)?.ok_or(ServiceError::NotFound("msg.staff_account"))?;
        // A supervisor disabled or locked since logging in decides nothing.
        if staff.disabled_at.is_some() {
            return Err(ServiceError::StaffDisabled);
        }
        if staff.locked_at.is_some() {
            return Err(ServiceError::StaffLocked);
        }
        let Some(sealed) = staff.totp_secret else {
            return Err(ServiceError::invalid("code", "err.totp_not_enrolled"));
        };
        let seed = secret::open(self.keys.enc_key(), &sealed)?;
        let p = TokenParams { seed: &seed, algorithm: "SHA1", digits: 6, period: 30 };
        let now = u64::try_from(self.now().timestamp()).unwrap_or(0);
        match token::check(&p, code.trim(), now, self.cfg.token.window_steps, staff.totp_last_step) {
            CodeCheck::Accepted { step } => Ok(step),
            CodeCheck::Replayed => Err(ServiceError::invalid("code", "err.totp_replayed")),
            CodeCheck::Wrong => Err(ServiceError::invalid("code", "err.totp_wrong")),
        }
    }

    /// Approves a pending request of the branch with a current TOTP code, and carries it
    /// out in the same transaction.
    pub fn approve(&mut self, session: &Session, request_id: i64, code: &str) -> Result<()> {
        let request = self.pending_request(session, request_id, &Decision::Approve)?;
        let step = self.check_step_up(session, code)?;
        let payload: Value = serde_json::from_str(&request.payload).unwrap_or(Value::Null);
        let staff_id = session.id.clone();
        self.write(&session.actor(), |w| {
            if !store::staff::use_totp_step(&w.tx, &staff_id, step)? {
                return Err(ServiceError::invalid("code", "err.totp_replayed"));
            }
            let at = w.stamp.clone();
            if !store::requests::decide(&w.tx, request.id, RequestState::Approved.code(), &staff_id, &at, None)? {
                let now = store::requests::get(&w.tx, request.id)?;
                return Err(ServiceError::AlreadyDone { by: now.and_then(|r| r.decided_by).unwrap_or_default() });
            }
            let subject = subject_of(&request);
            w.audit("request.approve", &subject, json!({ "request": request.id, "kind": request.kind }))?;
            carry_out(w, &request, &payload, &staff_id, &subject)
        })
    }

    /// Rejects a pending request of the branch; the reason is shown to the clerk.
    pub fn reject(&mut self, session: &Session, request_id: i64, reason: &str) -> Result<()> {
        let request = self.pending_request(session, request_id, &Decision::Reject { reason })?;
        let reason = reason.trim().to_string();
        let staff_id = session.id.clone();
        self.write(&session.actor(), |w| {
            let at = w.stamp.clone();
            if !store::requests::decide(
                &w.tx,
                request.id,
                RequestState::Rejected.code(),
                &staff_id,
                &at,
                Some(&reason),
            )? {
                let now = store::requests::get(&w.tx, request.id)?;
                return Err(ServiceError::AlreadyDone { by: now.and_then(|r| r.decided_by).unwrap_or_default() });
            }
            let subject = subject_of(&request);
            w.audit(
                "request.reject",
                &subject,
                json!({ "request": request.id, "kind": request.kind, "reason": reason }),
            )?;
            // A rejected reissue gives its token back to stock; the fee is reversed by a
            // reversal request from the journal, like any other.
            if request.kind == "token_reissue"
                && let Some(serial) = store::tokens::release_for_request(&w.tx, request.id)?
            {
                w.audit("token.release", &subject, json!({ "serial": serial, "request": request.id }))?;
            }
            Ok(())
        })
    }
}

/// The audit subject of a request: its user, else its contract, else the ledger.
fn subject_of(request: &RequestRow) -> String {
    match (request.contract_id, request.user_id) {
        (Some(c), Some(u)) => format!("contract:{c}/user:{u}"),
        (Some(c), None) => format!("contract:{c}/"),
        _ => "ledger".into(),
    }
}

/// What an approved request changes.
fn carry_out(w: &mut Writer<'_>, request: &RequestRow, payload: &Value, by: &str, subject: &str) -> Result<()> {
    let at = w.stamp.clone();
    let user_id = request.user_id.unwrap_or_default();
    let secret_id = |kind: CredentialKind| payload["secret_ids"][kind.code()].as_i64();
    match request.kind.as_str() {
        "unlock" => {
            let lock_id = payload["lock"].as_i64().unwrap_or_default();
            let reason = payload["reason"].as_str().unwrap_or_default();
            let identity = payload["identity"].to_string();
            if !store::locks::clear_lock(&w.tx, lock_id, &at, by, "unlock", reason, &identity)? {
                // Lifted meanwhile another way (an approved form, say): the request's purpose
                // is met; the approval stands and says so.
                let cleared_by = store::locks::lock(&w.tx, lock_id)?.and_then(|l| l.cleared_by).unwrap_or_default();
                return w.audit(
                    "lock.already_clear",
                    subject,
                    json!({ "lock": lock_id, "request": request.id, "cleared_by": cleared_by }),
                );
            }
            w.audit("lock.clear", subject, json!({ "lock": lock_id, "request": request.id, "approved_by": by }))
        }
        "form_password" | "form_pin" => {
            let kind = request
                .credential
                .as_deref()
                .and_then(CredentialKind::from_code)
                .ok_or(ServiceError::invalid("request", "err.request_damaged"))?;
            let hash_id = secret_id(kind).ok_or(ServiceError::invalid("request", "err.request_damaged"))?;
            // R14: a re-registered login password must be changed at the next login.
            let must_change = kind == CredentialKind::LoginPassword;
            store::customers::set_secret_id(&w.tx, user_id, kind, hash_id, must_change)?;
            // Approval also clears that credential's lock and counter.
            for lock in store::locks::open_locks(&w.tx, user_id)? {
                if lock.credential == kind {
                    store::locks::clear_lock(&w.tx, lock.id, &at, by, "form", "paper form approved", "{}")?;
                }
            }
            store::locks::reset_failures(&w.tx, user_id, kind)?;
            w.audit(
                "credential.reset",
                subject,
                json!({ "credential": kind.code(), "request": request.id, "must_change": must_change }),
            )
        }
        "form_cancel" => reapply(w, request, payload, subject),
        // The new token may now be handed over (see `hand_over`).
        "token_reissue" => Ok(()),
        "fee_reversal" | "fee_waiver" => {
            let fee_id = payload["fee"].as_i64().ok_or(ServiceError::invalid("request", "err.request_damaged"))?;
            let fee = store::fees::get(&w.tx, fee_id)?.ok_or(ServiceError::NotFound("msg.fee"))?;
            if fee.reversed {
                return Err(ServiceError::invalid("fee", "err.fee_already_reversed"));
            }
            let user = match &fee.login_id {
                Some(l) => store::customers::user_by_login_id(&w.tx, l)?,
                None => None,
            };
            let kind = if request.kind == "fee_waiver" { "waiver" } else { "reversal" };
            let reason = payload["reason"].as_str().unwrap_or_default().to_string();
            // The reversal is the exact negative of the receipt it reverses, tax included.
            super::tokens::collect_fee(
                w,
                &fee.branch,
                &request.requested_by,
                kind,
                user.as_ref(),
                -fee.amount,
                -fee.tax,
                None,
                Some(fee.id),
                Some(&reason),
            )?;
            Ok(())
        }
        _ => Err(ServiceError::invalid("request", "err.request_kind_not_ready")),
    }
}

/// 解約・再申込: the old contract is cancelled, a new one opened with a new master and
/// linked to it. Nothing is deleted.
fn reapply(w: &mut Writer<'_>, request: &RequestRow, payload: &Value, subject: &str) -> Result<()> {
    let at = w.stamp.clone();
    let old_id = request.contract_id.unwrap_or_default();
    let old = store::customers::contract(&w.tx, old_id)?.ok_or(ServiceError::NotFound("msg.contract"))?;
    if !store::customers::cancel_contract(&w.tx, old_id, &at)? {
        return Err(ServiceError::invalid("contract", "err.contract_cancelled"));
    }
    let id = |k: CredentialKind| {
        payload["secret_ids"][k.code()].as_i64().ok_or(ServiceError::invalid("request", "err.request_damaged"))
    };
    let secrets = SecretIds {
        login: id(CredentialKind::LoginPassword)?,
        confirm: id(CredentialKind::ConfirmPassword)?,
        pin: id(CredentialKind::Pin)?,
        approval_pin: id(CredentialKind::ApprovalPin)?,
    };
    let login_id =
        payload["new_login_id"].as_str().ok_or(ServiceError::invalid("request", "err.request_damaged"))?.to_string();
    let master_name = store::customers::users_of(&w.tx, old_id)?
        .into_iter()
        .find(|u| u.role == UserRole::Master)
        .map(|u| u.name)
        .unwrap_or_default();
    let no = store::customers::next_customer_no(&w.tx, &old.branch)?;
    let cif = format!("{}{no:07}", old.branch);
    let users = [NewCustomerUser {
        login_id: &login_id,
        name: &master_name,
        role: UserRole::Master,
        method: LoginMethod::Password,
    }];
    let (new_id, new_users) = insert_customer(
        w,
        &NewCustomer {
            cif: &cif,
            branch: &old.branch,
            company: &old.company,
            company_kana: &old.company_kana,
            phone: &old.phone,
            address: &old.address,
            users: &users,
        },
        secrets,
        &at,
        true,
    )?;
    store::customers::set_replaces(&w.tx, new_id, old_id)?;
    // The bank keyed the first login password: the new master changes it at first login.
    for u in new_users {
        store::customers::set_secret_id(&w.tx, u, CredentialKind::LoginPassword, secrets.login, true)?;
    }
    w.audit("contract.cancel", subject, json!({ "request": request.id, "replaced_by": new_id, "new_cif": cif }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::forms::FormRequest;
    use crate::domain::unlock::IdDocument;
    use crate::service::business_date;
    use crate::service::forms::{DoubleKeyed, FormInput};
    use crate::service::ib::{IbResult, Refusal};
    use secrecy::SecretString;

    use crate::service::testkit::{demo, login};

    fn code(l: &Ledger, offset_steps: i64) -> String {
        let seed = data_encoding::BASE32_NOPAD.decode(crate::demo::SUPERVISOR_TOTP.as_bytes()).expect("base32");
        let p = TokenParams { seed: &seed, algorithm: "SHA1", digits: 6, period: 30 };
        let t = l.now().timestamp() + offset_steps * 30;
        token::code_at(&p, u64::try_from(t).expect("positive")).expect("code")
    }

    fn user_id(l: &Ledger, login_id: &str) -> i64 {
        store::customers::user_by_login_id(l.conn(), login_id).expect("q").expect("user").id
    }

    fn form<'a>(l: &Ledger, request: FormRequest, user_id: i64, form_no: &'a str, secret: &str) -> FormInput<'a> {
        FormInput {
            request,
            user_id,
            form_no,
            received: business_date(l.now()),
            brought_by: "山田 太郎",
            document: Some(IdDocument::DriversLicense),
            seal_matched: true,
            secrets: vec![DoubleKeyed {
                kind: request.credential().unwrap_or(CredentialKind::LoginPassword),
                first: SecretString::from(secret.to_string()),
                second: SecretString::from(secret.to_string()),
            }],
            new_login_id: None,
        }
    }

    #[test]
    fn password_form_takes_effect_only_when_approved_and_must_be_changed() {
        let (mut l, clock) = demo();
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let yamada = user_id(&l, "yamada-m");
        let input = form(
            &l,
            FormRequest::PasswordReRegistration(CredentialKind::LoginPassword),
            yamada,
            "10000001",
            "New-pass123",
        );
        let request = l.submit_form(&clerk, &input).expect("submit");
        let new = SecretString::from("New-pass123");
        // Pending: the old lock stands and the new password does nothing yet.
        assert_eq!(
            l.ib_attempt("yamada-m", CredentialKind::LoginPassword, &new).expect("ib").result,
            IbResult::Suspended
        );
        // Maker-checker and step-up.
        assert!(matches!(l.approve(&clerk, request, &code(&l, 0)), Err(ServiceError::Denied(_))));
        assert!(matches!(l.approve(&sup, request, "000000"), Err(ServiceError::Invalid { key: "err.totp_wrong", .. })));
        assert!(matches!(
            l.approve(&sup, request, &code(&l, -3)),
            Err(ServiceError::Invalid { key: "err.totp_wrong", .. })
        ));
        l.approve(&sup, request, &code(&l, 0)).expect("approve");
        let o = l.ib_attempt("yamada-m", CredentialKind::LoginPassword, &new).expect("ib");
        assert_eq!((o.result, o.refusal), (IbResult::Refused, Some(Refusal::MustChange)));
        let changed = l
            .ib_change_password("yamada-m", CredentialKind::LoginPassword, &new, &SecretString::from("Mine-pass456"))
            .expect("change");
        assert_eq!(changed.result, IbResult::Accepted);
        assert_eq!(
            l.ib_attempt("yamada-m", CredentialKind::LoginPassword, &SecretString::from("Mine-pass456"))
                .expect("ib")
                .result,
            IbResult::Accepted
        );
        // The same code is never accepted twice, even on another request.
        clock.set(l.now());
        let pin = form(&l, FormRequest::PinChange(CredentialKind::Pin), yamada, "10000002", "4321");
        let r2 = l.submit_form(&clerk, &pin).expect("submit pin");
        let used = code(&l, 0);
        let again = l.approve(&sup, r2, &used);
        assert!(matches!(again, Err(ServiceError::Invalid { key: "err.totp_replayed", .. })), "{again:?}");
        assert!(l.verify_audit().expect("verify").intact());
    }

    #[test]
    fn bad_forms_are_refused_and_nothing_is_written() {
        let (mut l, _) = demo();
        let clerk = login(&mut l, "clerk101");
        let clerk205 = login(&mut l, "clerk205");
        let tel = login(&mut l, "tel900");
        let yamada = user_id(&l, "yamada-m");
        let aozora_m = user_id(&l, "aozora-m");
        let before = store::audit::count(l.conn()).expect("count");
        let pw = FormRequest::PasswordReRegistration(CredentialKind::LoginPassword);
        let pin = FormRequest::PinChange(CredentialKind::Pin);
        let mut mismatch = form(&l, pw, yamada, "20000001", "New-pass123");
        mismatch.secrets[0].second = SecretString::from("New-pass124");
        let mut future = form(&l, pw, yamada, "20000002", "New-pass123");
        future.received = business_date(l.now()) + Duration::days(1);
        let mut no_seal = form(&l, pw, yamada, "20000003", "New-pass123");
        no_seal.seal_matched = false;
        let cases: Vec<(&Session, FormInput<'_>, &str)> = vec![
            (&clerk, form(&l, pw, yamada, "2000000", "New-pass123"), "err.form_number"),
            (&clerk, mismatch, "err.form_secret_mismatch"),
            (&clerk, future, "err.form_future_date"),
            (&clerk, no_seal, "err.identity_seal"),
            (&clerk, form(&l, pw, yamada, "20000004", "short"), "err.form_password_policy"),
            (&clerk, form(&l, pin, yamada, "20000005", "12a4"), "err.form_pin_policy"),
            // The contract has an admin user: the admin re-registers it in the service.
            (&clerk, form(&l, pw, aozora_m, "20000006", "New-pass123"), "err.form_not_for_user"),
        ];
        for (who, input, key) in cases {
            let err = l.submit_form(who, &input).expect_err(key);
            assert!(matches!(err, ServiceError::Invalid { key: k, .. } if k == key), "{key}: {err:?}");
        }
        assert!(matches!(
            l.submit_form(&clerk205, &form(&l, pin, yamada, "20000007", "4321")),
            Err(ServiceError::Denied(_))
        ));
        assert!(matches!(
            l.submit_form(&tel, &form(&l, pin, yamada, "20000008", "4321")),
            Err(ServiceError::Denied(_))
        ));
        assert_eq!(store::audit::count(l.conn()).expect("count"), before);
        // A form number is used once per branch; one pending request per user and secret.
        l.submit_form(&clerk, &form(&l, pin, yamada, "30000001", "4321")).expect("first");
        let reused = l.submit_form(
            &clerk,
            &form(&l, FormRequest::PinChange(CredentialKind::ApprovalPin), yamada, "30000001", "4321"),
        );
        assert!(matches!(reused, Err(ServiceError::Invalid { key: "err.form_number_used", .. })), "{reused:?}");
        let twice = l.submit_form(&clerk, &form(&l, pin, yamada, "30000002", "4321"));
        assert!(matches!(twice, Err(ServiceError::Invalid { key: "err.form_pending", .. })), "{twice:?}");
    }

    #[test]
    fn own_requests_rejections_and_a_single_winner() {
        let (mut l, _) = demo();
        let sup = login(&mut l, "super101");
        let clerk = login(&mut l, "clerk101");
        let tozai = user_id(&l, "tozai-g1");
        // 102's customer: super101 cannot approve it (another branch), nor key it.
        assert!(
            l.submit_form(&sup, &form(&l, FormRequest::PinChange(CredentialKind::Pin), tozai, "40000001", "4321"))
                .is_err()
        );
        let yamada_g = user_id(&l, "yamada-g1");
        let own = l
            .submit_form(&sup, &form(&l, FormRequest::PinChange(CredentialKind::Pin), yamada_g, "40000002", "4321"))
            .expect("submit");
        assert!(matches!(
            l.approve(&sup, own, &code(&l, 0)),
            Err(ServiceError::Invalid { key: "err.own_request", .. })
        ));
        assert!(matches!(l.reject(&sup, own, "no"), Err(ServiceError::Invalid { key: "err.own_request", .. })));
        let r = l
            .submit_form(
                &clerk,
                &form(&l, FormRequest::PinChange(CredentialKind::ApprovalPin), yamada_g, "40000003", "8765"),
            )
            .expect("submit");
        assert!(matches!(l.reject(&sup, r, "  "), Err(ServiceError::Invalid { key: "err.reason", .. })));
        l.reject(&sup, r, "記入漏れ").expect("reject");
        assert!(matches!(l.approve(&sup, r, &code(&l, 0)), Err(ServiceError::AlreadyDone { by }) if by == "super101"));
        let recent = l.recent_requests(yamada_g).expect("recent");
        assert!(recent.iter().any(|q| q.state == "rejected" && q.reason.as_deref() == Some("記入漏れ")));
        // The approval PIN was not changed.
        assert_eq!(
            l.ib_attempt("yamada-g1", CredentialKind::ApprovalPin, &SecretString::from("5678")).expect("ib").result,
            IbResult::Accepted
        );
    }

    #[test]
    fn cancellation_and_reapplication_links_a_new_contract() {
        let (mut l, _) = demo();
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let yamada = user_id(&l, "yamada-m");
        let secrets = [
            (CredentialKind::LoginPassword, "Fresh-pass1"),
            (CredentialKind::ConfirmPassword, "Fresh-conf1"),
            (CredentialKind::Pin, "2468"),
            (CredentialKind::ApprovalPin, "1357"),
        ]
        .into_iter()
        .map(|(kind, s)| DoubleKeyed { kind, first: SecretString::from(s), second: SecretString::from(s) })
        .collect();
        let input = FormInput {
            secrets,
            new_login_id: Some("yamada-new"),
            ..form(&l, FormRequest::CancelAndReapply, yamada, "50000001", "x")
        };
        let r = l.submit_form(&clerk, &input).expect("submit");
        l.approve(&sup, r, &code(&l, 0)).expect("approve");
        // The old users are gone from the channel; the new master logs in (must change).
        assert_eq!(
            l.ib_attempt("yamada-g1", CredentialKind::LoginPassword, &SecretString::from("Login-pass1"))
                .expect("ib")
                .result,
            IbResult::Rejected
        );
        let o =
            l.ib_attempt("yamada-new", CredentialKind::LoginPassword, &SecretString::from("Fresh-pass1")).expect("ib");
        assert_eq!(o.refusal, Some(Refusal::MustChange));
        let new = store::customers::user_by_login_id(l.conn(), "yamada-new").expect("q").expect("user");
        let c = store::customers::contract(l.conn(), new.contract_id).expect("q").expect("contract");
        let old = store::customers::contract_by_cif(l.conn(), "1010000001").expect("q").expect("old");
        assert!(old.cancelled && !c.cancelled);
        assert_eq!(c.replaces, Some(old.id));
        assert_eq!(c.company, "株式会社山田製作所");
        assert!(l.verify_audit().expect("verify").intact());
    }
}
