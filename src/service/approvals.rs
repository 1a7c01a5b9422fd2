//! 検印: the branch's approval queue, approval with a supervisor's TOTP code (step-up),
//! and rejection with a reason. What a request changes happens in the same transaction
//! as its approval.

use chrono::Duration;
use serde_json::json;

use crate::domain::approval::{
    self, Decision, DecisionError, FeeDetail, FormDetail, Request, RequestDetail, RequestState,
};
use crate::domain::credential::{CredentialKind, LoginMethod, UserRole};
use crate::domain::fees::FeeKind;
use crate::domain::lockout::ClearKind;
use crate::domain::permission::{Operation, Session};
use crate::domain::view::QueueItem;
use crate::store::{self, customers::SecretIds, locks::Clearing, requests::Decided};

use super::customers::{NewCustomer, NewCustomerUser, insert_customer};
use super::{Actor, Ledger, Missing, Problem, Result, ServiceError, Writer};

fn decision_error(e: DecisionError, request: &Request) -> ServiceError {
    match e {
        DecisionError::NotPending => ServiceError::AlreadyDone { by: request.decided_by.clone().unwrap_or_default() },
        DecisionError::OwnRequest => ServiceError::Invalid(Problem::OwnRequest),
        DecisionError::ReasonRequired => ServiceError::Invalid(Problem::Reason),
    }
}

impl Ledger {
    /// The pending requests of the staff member's branch, oldest first, each with the
    /// customer, the paper form and the amount the approver checks.
    pub fn approval_queue(&mut self, session: &Session) -> Result<Vec<QueueItem>> {
        self.allowed(session, Operation::SearchCustomers, None)?;
        let requests = store::requests::pending_for_branch(&mut self.conn, &session.branch, 200)?;
        let mut items = Vec::with_capacity(requests.len());
        for request in requests {
            let contract = match request.contract_id {
                Some(id) => store::customers::contract(&mut self.conn, id)?,
                None => None,
            };
            let user = match request.user_id {
                Some(id) => store::customers::user(&mut self.conn, id)?,
                None => None,
            };
            let form = store::forms::for_request(&mut self.conn, request.id)?;
            let fee_total = match &request.detail {
                RequestDetail::FeeReversal(f) | RequestDetail::FeeWaiver(f) => {
                    store::fees::get(&mut self.conn, f.fee)?.map(|fee| fee.amount + fee.tax)
                }
                _ => None,
            };
            items.push(QueueItem { request, contract, user, form, fee_total });
        }
        Ok(items)
    }

    /// A user's pending requests and those decided in the last 30 days.
    pub fn recent_requests(&mut self, user_id: i64) -> Result<Vec<Request>> {
        let since = self.now() - Duration::days(30);
        Ok(store::requests::recent_for_user(&mut self.conn, user_id, since)?)
    }

    fn pending_request(&mut self, session: &Session, request_id: i64, decision: &Decision<'_>) -> Result<Request> {
        let request =
            store::requests::get(&mut self.conn, request_id)?.ok_or(ServiceError::NotFound(Missing::Request))?;
        self.allowed(session, Operation::Approve, Some(request.branch.as_str()))?;
        if let Err(e) = approval::decide(request.state, &request.requested_by, &session.id, decision) {
            // Deciding one's own request is refused, and the attempt recorded.
            if e == approval::DecisionError::OwnRequest {
                let subject = subject_of(&request);
                let details = json!({ "request": request.id, "kind": request.kind().code() });
                let _recorded =
                    self.write(&Actor::staff(session), |w| w.audit("request.own_refused", &subject, details.clone()));
            }
            return Err(decision_error(e, &request));
        }
        Ok(request)
    }

    /// Approves a pending request of the branch with a current TOTP code, and carries it
    /// out in the same transaction.
    pub fn approve(&mut self, session: &Session, request_id: i64, code: &str) -> Result<()> {
        let request = self.pending_request(session, request_id, &Decision::Approve)?;
        let step = self.check_staff_code(&session.id, code, "approve")?;
        let staff_id = session.id.clone();
        self.write(&Actor::staff(session), |w| {
            if !store::staff::use_totp_step(&mut w.tx, &staff_id, step)? {
                return Err(ServiceError::Invalid(Problem::TotpReplayed));
            }
            let decided = Decided { state: RequestState::Approved, by: &staff_id, at: w.at, reason: None };
            if !store::requests::decide(&mut w.tx, request.id, &decided)? {
                let now = store::requests::get(&mut w.tx, request.id)?;
                return Err(ServiceError::AlreadyDone { by: now.and_then(|r| r.decided_by).unwrap_or_default() });
            }
            let subject = subject_of(&request);
            w.audit("request.approve", &subject, json!({ "request": request.id, "kind": request.kind().code() }))?;
            carry_out(w, &request, &staff_id, &subject)
        })
    }

    /// Withdraws a pending request, with a reason: its maker may, and so may a supervisor
    /// of its branch. Nothing it asked for happens; a reissue's token goes back to stock,
    /// and the user is free for a new form.
    pub fn withdraw(&mut self, session: &Session, request_id: i64, reason: &str) -> Result<()> {
        let request =
            store::requests::get(&mut self.conn, request_id)?.ok_or(ServiceError::NotFound(Missing::Request))?;
        if request.requested_by != session.id {
            self.allowed(session, Operation::Approve, Some(request.branch.as_str()))?;
        }
        approval::decide(request.state, &request.requested_by, &session.id, &Decision::Withdraw { reason })
            .map_err(|e| decision_error(e, &request))?;
        self.close(session, &request, RequestState::Withdrawn, reason)
    }

    /// Rejects a pending request of the branch; the reason is shown to the clerk.
    pub fn reject(&mut self, session: &Session, request_id: i64, reason: &str) -> Result<()> {
        let request = self.pending_request(session, request_id, &Decision::Reject { reason })?;
        self.close(session, &request, RequestState::Rejected, reason)
    }

    /// Closes a pending request without carrying it out (rejected, or withdrawn), with
    /// the reason; a reissue's token goes back to stock (its fee is reversed by a reversal
    /// request from the journal, like any other). Exactly one decision wins.
    fn close(&mut self, session: &Session, request: &Request, state: RequestState, reason: &str) -> Result<()> {
        let reason = reason.trim().to_string();
        let staff_id = session.id.clone();
        let action = if state == RequestState::Withdrawn { "request.withdraw" } else { "request.reject" };
        self.write(&Actor::staff(session), |w| {
            let decided = Decided { state, by: &staff_id, at: w.at, reason: Some(&reason) };
            if !store::requests::decide(&mut w.tx, request.id, &decided)? {
                let now = store::requests::get(&mut w.tx, request.id)?;
                return Err(ServiceError::AlreadyDone { by: now.and_then(|r| r.decided_by).unwrap_or_default() });
            }
            let subject = subject_of(request);
            w.audit(
                action,
                &subject,
                json!({ "request": request.id, "kind": request.kind().code(), "reason": reason }),
            )?;
            if matches!(request.detail, RequestDetail::TokenReissue { .. })
                && let Some(serial) = store::tokens::release_for_request(&mut w.tx, request.id)?
            {
                w.audit("token.release", &subject, json!({ "serial": serial, "request": request.id }))?;
            }
            Ok(())
        })
    }
}

/// The audit subject of a request: its user, else its contract, else the ledger.
fn subject_of(request: &Request) -> String {
    match (request.contract_id, request.user_id) {
        (Some(c), Some(u)) => format!("contract:{c}/user:{u}"),
        (Some(c), None) => format!("contract:{c}/"),
        _ => "ledger".into(),
    }
}

/// What an approved request changes.
fn carry_out(w: &mut Writer<'_>, request: &Request, by: &str, subject: &str) -> Result<()> {
    let at = w.at;
    let user_id = request.user_id.ok_or_else(|| damaged(request, "no user"));
    match &request.detail {
        RequestDetail::Unlock { lock, identity, reason } => {
            let identity = serde_json::to_string(identity).map_err(|e| damaged(request, &e.to_string()))?;
            let clearing = Clearing { at, by, kind: ClearKind::Unlock, reason, identity_check: &identity };
            if !store::locks::clear_lock(&mut w.tx, *lock, &clearing)? {
                // Lifted meanwhile another way (an approved form, say): the request's purpose
                // is met; the approval stands and says so.
                let cleared_by = store::locks::lock(&mut w.tx, *lock)?.and_then(|l| l.cleared_by).unwrap_or_default();
                return w.audit(
                    "lock.already_clear",
                    subject,
                    json!({ "lock": lock, "request": request.id, "cleared_by": cleared_by }),
                );
            }
            w.audit("lock.clear", subject, json!({ "lock": lock, "request": request.id, "approved_by": by }))
        }
        RequestDetail::FormPassword(form) | RequestDetail::FormPin(form) => {
            let user_id = user_id?;
            let kind = form.form.credential().ok_or_else(|| damaged(request, "no secret"))?;
            if request.credential != Some(kind) {
                return Err(damaged(request, "the form and its request name different secrets"));
            }
            let hash_id = *form.secret_ids.get(&kind).ok_or_else(|| damaged(request, "no new secret"))?;
            // R14: a re-registered login password must be changed at the next login.
            let must_change = kind == CredentialKind::LoginPassword;
            store::customers::set_secret_id(&mut w.tx, user_id, kind, hash_id, must_change)?;
            // Approval also clears that credential's lock and counter.
            for lock in store::locks::open_locks(&mut w.tx, user_id)? {
                if lock.credential == kind {
                    let clearing =
                        Clearing { at, by, kind: ClearKind::Form, reason: "paper form approved", identity_check: "{}" };
                    store::locks::clear_lock(&mut w.tx, lock.id, &clearing)?;
                }
            }
            store::locks::reset_failures(&mut w.tx, user_id, kind, at)?;
            w.audit(
                "credential.reset",
                subject,
                json!({ "credential": kind.code(), "request": request.id, "must_change": must_change }),
            )
        }
        RequestDetail::FormCancel(form) => reapply(w, request, form, subject),
        // The new token may now be handed over (see `hand_over`).
        RequestDetail::TokenReissue { .. } => Ok(()),
        RequestDetail::FeeReversal(f) => reverse_fee(w, request, f, FeeKind::Reversal),
        RequestDetail::FeeWaiver(f) => reverse_fee(w, request, f, FeeKind::Waiver),
    }
}

fn damaged(request: &Request, why: &str) -> ServiceError {
    ServiceError::Store(store::StoreError::Damaged(format!("request {}: {why}", request.id)))
}

/// R13: the exact negative of the receipt, tax included, with its own receipt number.
fn reverse_fee(w: &mut Writer<'_>, request: &Request, f: &FeeDetail, kind: FeeKind) -> Result<()> {
    let fee = store::fees::get(&mut w.tx, f.fee)?.ok_or(ServiceError::NotFound(Missing::Fee))?;
    if fee.reversed {
        return Err(ServiceError::Invalid(Problem::FeeAlreadyReversed));
    }
    let user = match &fee.login_id {
        Some(l) => store::customers::user_by_login_id(&mut w.tx, l)?,
        None => None,
    };
    super::tokens::collect_fee(
        w,
        &super::tokens::NewFeeEntry {
            branch: &fee.branch,
            staff: &request.requested_by,
            kind,
            user: user.as_ref(),
            amount: -fee.amount,
            tax: -fee.tax,
            token_id: None,
            reverses: Some(fee.id),
            reason: Some(&f.reason),
        },
    )?;
    Ok(())
}

/// 解約・再申込: the old contract is cancelled, a new one opened with a new master and
/// linked to it. Nothing is deleted.
fn reapply(w: &mut Writer<'_>, request: &Request, form: &FormDetail, subject: &str) -> Result<()> {
    let at = w.at;
    let old_id = request.contract_id.ok_or_else(|| damaged(request, "no contract"))?;
    let old = store::customers::contract(&mut w.tx, old_id)?.ok_or(ServiceError::NotFound(Missing::Contract))?;
    if !store::customers::cancel_contract(&mut w.tx, old_id, at)? {
        return Err(ServiceError::Invalid(Problem::ContractCancelled));
    }
    let id = |k: CredentialKind| form.secret_ids.get(&k).copied().ok_or_else(|| damaged(request, "no new secret"));
    let secrets = SecretIds {
        login: id(CredentialKind::LoginPassword)?,
        confirm: id(CredentialKind::ConfirmPassword)?,
        pin: id(CredentialKind::Pin)?,
        approval_pin: id(CredentialKind::ApprovalPin)?,
    };
    let login_id = form.new_login_id.clone().ok_or_else(|| damaged(request, "no login ID"))?;
    let master_name = store::customers::users_of(&mut w.tx, old_id)?
        .into_iter()
        .find(|u| u.role == UserRole::Master)
        .map(|u| u.name)
        .unwrap_or_default();
    let no = store::customers::next_customer_no(&mut w.tx, &old.branch)?;
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
        at,
    )?;
    store::customers::set_replaces(&mut w.tx, new_id, old_id)?;
    // The bank keyed the first login password: the new master changes it at first login.
    for u in new_users {
        store::customers::set_secret_id(&mut w.tx, u, CredentialKind::LoginPassword, secrets.login, true)?;
    }
    w.audit("contract.cancel", subject, json!({ "request": request.id, "replaced_by": new_id, "new_cif": cif }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::forms::FormRequest;
    use crate::domain::unlock::IdDocument;
    use crate::format::business_date;
    use crate::service::forms::{DoubleKeyed, FormInput};
    use crate::service::ib::{IbResult, Refusal};
    use secrecy::SecretString;

    use crate::domain::token::{self, Algorithm, TokenParams};
    use crate::service::testkit::{demo, login};

    fn code(l: &Ledger, offset_steps: i64) -> String {
        let seed =
            data_encoding::BASE32_NOPAD.decode(crate::service::demo::SUPERVISOR_TOTP.as_bytes()).expect("base32");
        let p = TokenParams { seed: &seed, algorithm: Algorithm::Sha1, digits: 6, period: 30 };
        let t = l.now().timestamp() + offset_steps * 30;
        token::code_at(&p, u64::try_from(t).expect("positive"))
    }

    /// How many refusals of permission the trail holds.
    fn denials(l: &mut Ledger) -> i64 {
        l.db().value("SELECT count(*) FROM audit WHERE action = 'staff.denied'", &[]).expect("count")
    }

    fn user_id(l: &mut Ledger, login_id: &str) -> i64 {
        store::customers::user_by_login_id(l.db(), login_id).expect("q").expect("user").id
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
        let yamada = user_id(&mut l, "yamada-m");
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
        assert!(matches!(l.approve(&sup, request, "000000"), Err(ServiceError::Invalid(Problem::TotpWrong))));
        assert!(matches!(l.approve(&sup, request, &code(&l, -3)), Err(ServiceError::Invalid(Problem::TotpWrong))));
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
        assert!(matches!(again, Err(ServiceError::Invalid(Problem::TotpReplayed))), "{again:?}");
        assert!(l.verify_audit().expect("verify").intact());
    }

    /// The step-up code is no free guess: each wrong one is counted and audited, and as many
    /// in a row as lock a staff account lock the supervisor's; a right one resets the count.
    /// The window is ±1 step (the config's `token.window_steps`): ±2 is refused.
    #[test]
    fn wrong_step_up_codes_are_counted_and_lock_the_supervisor() {
        let (mut l, _) = demo();
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let yamada = user_id(&mut l, "yamada-m");
        let pw = FormRequest::PasswordReRegistration(CredentialKind::LoginPassword);
        let request = l.submit_form(&clerk, &form(&l, pw, yamada, "10000011", "New-pass123")).expect("submit");
        let count = |l: &mut Ledger, sql: &str| -> i64 { l.db().value(sql, &[]).expect(sql) };
        for wrong in [code(&l, 2), code(&l, -2), "000000".to_string()] {
            assert!(matches!(l.approve(&sup, request, &wrong), Err(ServiceError::Invalid(Problem::TotpWrong))));
        }
        assert_eq!(count(&mut l, "SELECT totp_failures FROM staff WHERE id = 'super101'"), 3);
        // A code one step either side is accepted (the device's clock may be a little off).
        l.approve(&sup, request, &code(&l, 1)).expect("+1 step");
        assert_eq!(count(&mut l, "SELECT totp_failures FROM staff WHERE id = 'super101'"), 0, "reset");
        let request = l.submit_form(&clerk, &form(&l, pw, yamada, "10000012", "New-pass124")).expect("submit");
        for n in 1..=5 {
            let r = l.approve(&sup, request, "999999");
            if n < 5 {
                assert!(matches!(r, Err(ServiceError::Invalid(Problem::TotpWrong))), "{n}: {r:?}");
            } else {
                assert!(matches!(r, Err(ServiceError::StaffLocked)), "{n}: {r:?}");
            }
        }
        assert_eq!(count(&mut l, "SELECT count(*) FROM audit WHERE action = 'staff.code_failed'"), 8);
        assert_eq!(count(&mut l, "SELECT locked_at IS NOT NULL FROM staff WHERE id = 'super101'"), 1);
        // Locked: the right code decides nothing, and the supervisor cannot log in.
        assert!(matches!(l.approve(&sup, request, &code(&l, 0)), Err(ServiceError::StaffLocked)));
        assert!(matches!(
            l.staff_login("super101", &SecretString::from(crate::service::demo::STAFF_PASSWORD)),
            Err(ServiceError::StaffLocked)
        ));
        assert!(l.verify_audit().expect("verify").intact());
    }

    /// With `token.window_steps = 0` only the current step's code is accepted.
    #[test]
    fn a_window_of_zero_accepts_only_the_current_code() {
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 4, 1, 0, 0, 0).single().expect("t");
        let clock = crate::service::ManualClock::new(at);
        let mut cfg = crate::config::Config::default();
        cfg.token.window_steps = 0;
        let mut l = Ledger::in_memory_demo(cfg, Box::new(clock.clone())).expect("ledger");
        crate::service::demo::populate(&mut l, 0, 1, &mut |_, _| {}).expect("demo");
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let yamada = user_id(&mut l, "yamada-m");
        let pw = FormRequest::PasswordReRegistration(CredentialKind::LoginPassword);
        let request = l.submit_form(&clerk, &form(&l, pw, yamada, "10000021", "New-pass123")).expect("submit");
        for off in [-1, 1] {
            assert!(matches!(l.approve(&sup, request, &code(&l, off)), Err(ServiceError::Invalid(Problem::TotpWrong))));
        }
        l.approve(&sup, request, &code(&l, 0)).expect("the current code");
    }

    #[test]
    fn bad_forms_are_refused_and_nothing_is_written() {
        let (mut l, _) = demo();
        let clerk = login(&mut l, "clerk101");
        let clerk205 = login(&mut l, "clerk205");
        let tel = login(&mut l, "tel900");
        let yamada = user_id(&mut l, "yamada-m");
        let aozora_m = user_id(&mut l, "aozora-m");
        let before = store::audit::count(l.db()).expect("count");
        let pw = FormRequest::PasswordReRegistration(CredentialKind::LoginPassword);
        let pin = FormRequest::PinChange(CredentialKind::Pin);
        let mut mismatch = form(&l, pw, yamada, "20000001", "New-pass123");
        mismatch.secrets[0].second = SecretString::from("New-pass124");
        let mut future = form(&l, pw, yamada, "20000002", "New-pass123");
        future.received = business_date(l.now()) + Duration::days(1);
        let mut no_seal = form(&l, pw, yamada, "20000003", "New-pass123");
        no_seal.seal_matched = false;
        let cases: Vec<(&Session, FormInput<'_>, Problem)> = vec![
            (&clerk, form(&l, pw, yamada, "2000000", "New-pass123"), Problem::FormNumber),
            (&clerk, mismatch, Problem::FormSecretMismatch),
            (&clerk, future, Problem::FormFutureDate),
            (&clerk, no_seal, Problem::IdentitySeal),
            (&clerk, form(&l, pw, yamada, "20000004", "short"), Problem::FormPasswordPolicy),
            (&clerk, form(&l, pin, yamada, "20000005", "12a4"), Problem::FormPinPolicy),
            // The contract has an admin user: the admin re-registers it in the service.
            (&clerk, form(&l, pw, aozora_m, "20000006", "New-pass123"), Problem::FormNotForUser),
        ];
        for (who, input, problem) in cases {
            let err = l.submit_form(who, &input).expect_err("refused");
            assert!(matches!(err, ServiceError::Invalid(p) if p == problem), "{problem:?}: {err:?}");
        }
        assert!(matches!(
            l.submit_form(&clerk205, &form(&l, pin, yamada, "20000007", "4321")),
            Err(ServiceError::Denied(_))
        ));
        assert!(matches!(
            l.submit_form(&tel, &form(&l, pin, yamada, "20000008", "4321")),
            Err(ServiceError::Denied(_))
        ));
        // Bad input writes nothing; the two attempts beyond the staff members' permission
        // are recorded, and only they.
        assert_eq!(store::audit::count(l.db()).expect("count"), before + 2);
        assert_eq!(denials(&mut l), 2);
        // A form number is used once per branch; one pending request per user and secret.
        l.submit_form(&clerk, &form(&l, pin, yamada, "30000001", "4321")).expect("first");
        let reused = l.submit_form(
            &clerk,
            &form(&l, FormRequest::PinChange(CredentialKind::ApprovalPin), yamada, "30000001", "4321"),
        );
        assert!(matches!(reused, Err(ServiceError::Invalid(Problem::FormNumberUsed))), "{reused:?}");
        let twice = l.submit_form(&clerk, &form(&l, pin, yamada, "30000002", "4321"));
        assert!(matches!(twice, Err(ServiceError::Invalid(Problem::FormPending))), "{twice:?}");
    }

    #[test]
    fn a_request_is_withdrawn_by_its_maker_or_a_supervisor_and_frees_the_user() {
        let (mut l, _) = demo();
        let clerk = login(&mut l, "clerk101");
        let other_branch = login(&mut l, "clerk205");
        let sup = login(&mut l, "super101");
        let second = login(&mut l, "super101b");
        let g1 = user_id(&mut l, "yamada-g1");
        let pin = FormRequest::PinChange(CredentialKind::Pin);
        let r = l.submit_form(&clerk, &form(&l, pin, g1, "50000001", "4321")).expect("submit");
        // Another branch's clerk may not; a reason is required; the maker may.
        assert!(matches!(l.withdraw(&other_branch, r, "違う"), Err(ServiceError::Denied(_))));
        assert!(matches!(l.withdraw(&clerk, r, " "), Err(ServiceError::Invalid(Problem::Reason))));
        l.withdraw(&clerk, r, "記入誤り").expect("withdraw");
        let recent = l.recent_requests(g1).expect("recent");
        let mine = recent.iter().find(|q| q.id == r).expect("the request");
        assert_eq!((mine.state, mine.reason.as_deref()), (RequestState::Withdrawn, Some("記入誤り")));
        // Nothing it asked for happened; it cannot be decided now; the user is free again.
        assert!(matches!(l.approve(&sup, r, &code(&l, 0)), Err(ServiceError::AlreadyDone { .. })));
        let again = l.submit_form(&clerk, &form(&l, pin, g1, "50000002", "4321")).expect("a new form");
        // A supervisor of the branch may withdraw someone else's request.
        l.withdraw(&sup, again, "来店取消").expect("withdraw by a supervisor");
        // A supervisor's own request is decided by the branch's second supervisor.
        let own = l.submit_form(&sup, &form(&l, pin, g1, "50000003", "4321")).expect("submit");
        l.approve(&second, own, &code(&l, 0)).expect("approved by super101b");
        let count = |l: &mut Ledger, action: &str| -> i64 {
            l.db().value("SELECT count(*) FROM audit WHERE action = ?1", &[&action]).expect("count")
        };
        assert_eq!(count(&mut l, "request.withdraw"), 2);
        assert_eq!(count(&mut l, "staff.denied"), 1, "the other branch's attempt");
        assert!(l.verify_audit().expect("verify").intact());
    }

    #[test]
    fn own_requests_rejections_and_a_single_winner() {
        let (mut l, _) = demo();
        let sup = login(&mut l, "super101");
        let clerk = login(&mut l, "clerk101");
        let tozai = user_id(&mut l, "tozai-g1");
        // 102's customer: super101 cannot approve it (another branch), nor key it.
        assert!(
            l.submit_form(&sup, &form(&l, FormRequest::PinChange(CredentialKind::Pin), tozai, "40000001", "4321"))
                .is_err()
        );
        let yamada_g = user_id(&mut l, "yamada-g1");
        let own = l
            .submit_form(&sup, &form(&l, FormRequest::PinChange(CredentialKind::Pin), yamada_g, "40000002", "4321"))
            .expect("submit");
        assert!(matches!(l.approve(&sup, own, &code(&l, 0)), Err(ServiceError::Invalid(Problem::OwnRequest))));
        assert!(matches!(l.reject(&sup, own, "no"), Err(ServiceError::Invalid(Problem::OwnRequest))));
        let r = l
            .submit_form(
                &clerk,
                &form(&l, FormRequest::PinChange(CredentialKind::ApprovalPin), yamada_g, "40000003", "8765"),
            )
            .expect("submit");
        assert!(matches!(l.reject(&sup, r, "  "), Err(ServiceError::Invalid(Problem::Reason))));
        l.reject(&sup, r, "記入漏れ").expect("reject");
        assert!(matches!(l.approve(&sup, r, &code(&l, 0)), Err(ServiceError::AlreadyDone { by }) if by == "super101"));
        let recent = l.recent_requests(yamada_g).expect("recent");
        assert!(recent.iter().any(|q| q.state == RequestState::Rejected && q.reason.as_deref() == Some("記入漏れ")));
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
        let yamada = user_id(&mut l, "yamada-m");
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
        let new = store::customers::user_by_login_id(l.db(), "yamada-new").expect("q").expect("user");
        let c = store::customers::contract(l.db(), new.contract_id).expect("q").expect("contract");
        let old = store::customers::contract_by_cif(l.db(), "1010000001").expect("q").expect("old");
        assert!(old.cancelled && !c.cancelled);
        assert_eq!(c.replaces, Some(old.id));
        assert_eq!(c.company, "株式会社山田製作所");
        assert!(l.verify_audit().expect("verify").intact());
    }
}
