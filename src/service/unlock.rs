//! Guidance (手続き案内) and unlock (R7), as use cases.

use chrono::Duration;
use serde_json::json;

use crate::domain::approval::RequestDetail;
use crate::domain::customer::{Contract, User};
use crate::domain::guidance::{self, Answer, Channel, Facts, Situation};
use crate::domain::lockout::{ClearKind, LockScope};
use crate::domain::permission::{Operation, Session, StaffRole};
use crate::domain::unlock::{self, IdentityCheck, IdentityProblem};
use crate::domain::view::UnlockView;
use crate::store::{self, locks::Clearing, requests::NewRequest};

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError};

/// What an unlock did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockOutcome {
    /// The lock and its counter are cleared.
    Lifted,
    /// R7: too many unlocks in the window; a supervisor must approve this one.
    AwaitingApproval { request_id: i64 },
}

/// The identity check and reason of an unlock, checked before anything else (the screen
/// asks this before its confirmation too).
pub fn check_input(by_phone: bool, check: IdentityCheck, reason: &str) -> Result<()> {
    unlock::identity_complete(by_phone, check).map_err(|p| {
        ServiceError::Invalid(match p {
            IdentityProblem::NoDocument => Problem::IdentityDocument,
            IdentityProblem::SealNotMatched => Problem::IdentitySeal,
            IdentityProblem::NoCallBack => Problem::IdentityCallback,
            IdentityProblem::WrongChannel => Problem::IdentityChannel,
        })
    })?;
    if !unlock::valid_reason(reason) {
        return Err(ServiceError::Invalid(Problem::Reason));
    }
    Ok(())
}

impl Ledger {
    fn user_with_contract(&mut self, user_id: i64) -> Result<(User, Contract)> {
        let user =
            store::customers::user(&mut self.conn, user_id)?.ok_or(ServiceError::NotFound(Missing::CustomerUser))?;
        let contract = store::customers::contract(&mut self.conn, user.contract_id)?
            .ok_or(ServiceError::NotFound(Missing::Contract))?;
        Ok((user, contract))
    }

    /// The users of a contract, master first (who may be asking, on Guidance).
    pub fn contract_users(&mut self, session: &Session, contract_id: i64) -> Result<Vec<User>> {
        self.allowed(session, Operation::SearchCustomers, None)?;
        Ok(store::customers::users_of(&mut self.conn, contract_id)?)
    }

    /// The facts of the guidance table for one user of a contract, as `session` sees them.
    pub fn guidance_facts(&mut self, session: &Session, user_id: i64) -> Result<Facts> {
        self.allowed(session, Operation::Guidance, None)?;
        let (user, contract) = self.user_with_contract(user_id)?;
        let locks = store::locks::open_locks(&mut self.conn, user.id)?;
        let open_lock = if locks.iter().any(|l| l.scope == LockScope::Service) {
            Some(LockScope::Service)
        } else if locks.iter().any(|l| l.scope == LockScope::OtpServices) {
            Some(LockScope::OtpServices)
        } else {
            None
        };
        let channel = if session.role == StaffRole::Operator {
            Channel::Phone
        } else {
            Channel::Counter { own_branch: session.branch == contract.branch }
        };
        Ok(Facts {
            asker: user.role,
            contract_has_admin: store::customers::contract_has_admin(&mut self.conn, contract.id)?,
            login_method: user.login_method,
            has_certificate: user.has_certificate,
            open_lock,
            has_token: !store::tokens::of_user(&mut self.conn, user.id)?.is_empty(),
            channel,
        })
    }

    /// Decides the answer and records that it was given, so that a later call sees what
    /// the customer was told.
    pub fn give_guidance(&mut self, session: &Session, user_id: i64, situation: Situation) -> Result<Answer> {
        let facts = self.guidance_facts(session, user_id)?;
        let answer = guidance::advise(situation, facts);
        let (user, _) = self.user_with_contract(user_id)?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        self.write(&Actor::staff(session), |w| {
            w.audit(
                "guidance.given",
                &subject,
                json!({
                    "situation": situation.code(),
                    "asker": user.role.code(),
                    "procedure": answer.procedure.code(),
                    "send_to_branch": answer.send_to_branch,
                }),
            )
        })?;
        Ok(answer)
    }

    /// What the Unlock screen needs: the user's open locks and how this staff member
    /// checks identity. Refused at once when this staff member cannot lift a lock of this
    /// customer, before anything is typed.
    pub fn unlock_view(&mut self, session: &Session, user_id: i64) -> Result<UnlockView> {
        let (user, contract) = self.user_with_contract(user_id)?;
        let by_phone = session.role == StaffRole::Operator;
        let op = if by_phone { Operation::UnlockByPhone } else { Operation::UnlockAtCounter };
        self.allowed(session, op, Some(contract.branch.as_str()))?;
        let locks = store::locks::open_locks(&mut self.conn, user.id)?;
        Ok(UnlockView { contract, user, locks, by_phone })
    }

    /// R7: lifts one lock after the identity check, or files the request that waits for
    /// a supervisor when the user was unlocked too often in the window.
    pub fn unlock(
        &mut self,
        session: &Session,
        lock_id: i64,
        check: IdentityCheck,
        reason: &str,
    ) -> Result<UnlockOutcome> {
        let lock = store::locks::lock(&mut self.conn, lock_id)?.ok_or(ServiceError::NotFound(Missing::Lock))?;
        let (user, contract) = self.user_with_contract(lock.user_id)?;
        let by_phone = session.role == StaffRole::Operator;
        let op = if by_phone { Operation::UnlockByPhone } else { Operation::UnlockAtCounter };
        self.allowed(session, op, Some(contract.branch.as_str()))?;
        if lock.cleared_at.is_some() {
            return Err(ServiceError::AlreadyDone { by: lock.cleared_by.unwrap_or_default() });
        }
        check_input(by_phone, check, reason)?;
        let reason = reason.trim().to_string();
        let identity = serde_json::to_value(check).map_err(|e| store::StoreError::Damaged(e.to_string()))?;
        let subject = format!("contract:{}/user:{}", contract.id, user.id);
        let (approval_after, window_days) = (self.cfg.unlock.approval_after, self.cfg.unlock.window_days);
        let staff_id = session.id.clone();
        let branch = contract.branch.clone();
        self.write(&Actor::staff(session), |w| {
            // Re-read inside the transaction: another terminal may have lifted it.
            let current = store::locks::lock(&mut w.tx, lock_id)?.ok_or(ServiceError::NotFound(Missing::Lock))?;
            if current.cleared_at.is_some() {
                return Err(ServiceError::AlreadyDone { by: current.cleared_by.unwrap_or_default() });
            }
            let since = w.at - Duration::days(i64::from(window_days));
            let earlier = store::locks::unlock_times(&mut w.tx, user.id, since)?;
            if unlock::needs_approval(&earlier, w.at, approval_after, window_days) {
                let detail = RequestDetail::Unlock { lock: lock_id, identity: check, reason: reason.clone() };
                let request_id = store::requests::insert(
                    &mut w.tx,
                    &NewRequest {
                        branch: &branch,
                        contract_id: Some(contract.id),
                        user_id: Some(user.id),
                        dedupe: Some(current.credential.code()),
                        detail: &detail,
                        requested_by: &staff_id,
                        at: w.at,
                    },
                )
                .map_err(|e| match e {
                    store::StoreError::Duplicate => ServiceError::Invalid(Problem::UnlockPending),
                    other => other.into(),
                })?;
                w.audit(
                    "request.create",
                    &subject,
                    json!({ "request": request_id, "kind": "unlock", "lock": lock_id, "unlocks_in_window": earlier.len() }),
                )?;
                return Ok(UnlockOutcome::AwaitingApproval { request_id });
            }
            let identity_text = identity.to_string();
            let clearing = Clearing {
                at: w.at,
                by: &staff_id,
                kind: ClearKind::Unlock,
                reason: &reason,
                identity_check: &identity_text,
            };
            if !store::locks::clear_lock(&mut w.tx, lock_id, &clearing)? {
                return Err(ServiceError::AlreadyDone { by: String::new() });
            }
            w.audit(
                "lock.clear",
                &subject,
                json!({
                    "lock": lock_id,
                    "credential": current.credential.code(),
                    "scope": current.scope.code(),
                    "failures": current.failures,
                    "identity": identity,
                    "reason": reason,
                }),
            )?;
            Ok(UnlockOutcome::Lifted)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::credential::CredentialKind;
    use crate::domain::unlock::IdDocument;

    use chrono::{TimeZone, Utc};
    use secrecy::SecretString;

    use crate::service::testkit::{demo, login};

    fn lock_out(l: &mut Ledger, login_id: &str) -> i64 {
        let wrong = SecretString::from("Wrong-pass9");
        for _ in 0..6 {
            l.ib_attempt(login_id, CredentialKind::LoginPassword, &wrong).expect("attempt");
        }
        let user = store::customers::user_by_login_id(l.db(), login_id).expect("q").expect("user");
        store::locks::open_locks(l.db(), user.id).expect("locks")[0].id
    }

    const COUNTER: IdentityCheck =
        IdentityCheck::Counter { document: Some(IdDocument::DriversLicense), seal_matched: true };

    #[test]
    fn a_third_unlock_within_the_window_waits_for_a_supervisor() {
        let (mut l, clock) = demo();
        let clerk = login(&mut l, "clerk101");
        for day in [1, 10] {
            clock.set(Utc.with_ymd_and_hms(2026, 4, day, 1, 0, 0).single().expect("date"));
            let lock = lock_out(&mut l, "yamada-g1");
            assert_eq!(l.unlock(&clerk, lock, COUNTER, "誤入力").expect("unlock"), UnlockOutcome::Lifted);
        }
        clock.set(Utc.with_ymd_and_hms(2026, 4, 20, 1, 0, 0).single().expect("date"));
        let lock = lock_out(&mut l, "yamada-g1");
        let out = l.unlock(&clerk, lock, COUNTER, "誤入力").expect("unlock");
        assert!(matches!(out, UnlockOutcome::AwaitingApproval { .. }), "{out:?}");
        // Still locked; a second request for the same lock is refused while one is pending.
        let user = store::customers::user_by_login_id(l.db(), "yamada-g1").expect("q").expect("user");
        assert!(store::locks::standing(l.db(), user.id).expect("standing").service_suspended);
        assert!(matches!(
            l.unlock(&clerk, lock, COUNTER, "誤入力"),
            Err(ServiceError::Invalid(Problem::UnlockPending))
        ));
        // Thirty days after the first unlock, the window has moved on.
        clock.set(Utc.with_ymd_and_hms(2026, 5, 1, 2, 0, 0).single().expect("date"));
        let (mut l2, clock2) = demo();
        let clerk2 = login(&mut l2, "clerk101");
        for day in [1, 10] {
            clock2.set(Utc.with_ymd_and_hms(2026, 4, day, 1, 0, 0).single().expect("date"));
            let lock = lock_out(&mut l2, "yamada-g1");
            l2.unlock(&clerk2, lock, COUNTER, "誤入力").expect("unlock");
        }
        clock2.set(Utc.with_ymd_and_hms(2026, 5, 1, 2, 0, 0).single().expect("date"));
        let lock = lock_out(&mut l2, "yamada-g1");
        assert_eq!(l2.unlock(&clerk2, lock, COUNTER, "誤入力").expect("unlock"), UnlockOutcome::Lifted);
    }

    /// R7 at the edge of its window, to the hour: an unlock 29 days 23 hours back still
    /// counts, one 30 days 1 hour back no longer does.
    #[test]
    fn the_unlock_window_is_thirty_days_to_the_hour() {
        let t0 = Utc.with_ymd_and_hms(2026, 4, 1, 1, 0, 0).single().expect("date");
        for (third_after, expected_waits) in
            [(chrono::Duration::hours(30 * 24 - 1), true), (chrono::Duration::hours(30 * 24 + 1), false)]
        {
            let (mut l, clock) = demo();
            let clerk = login(&mut l, "clerk101");
            // The first unlock at t0, the second a day before the third.
            for at in [t0, t0 + third_after - chrono::Duration::days(1)] {
                clock.set(at);
                let lock = lock_out(&mut l, "yamada-g1");
                assert_eq!(l.unlock(&clerk, lock, COUNTER, "誤入力").expect("unlock"), UnlockOutcome::Lifted);
            }
            clock.set(t0 + third_after);
            let lock = lock_out(&mut l, "yamada-g1");
            let out = l.unlock(&clerk, lock, COUNTER, "誤入力").expect("unlock");
            assert_eq!(matches!(out, UnlockOutcome::AwaitingApproval { .. }), expected_waits, "{third_after}: {out:?}");
        }
    }

    #[test]
    fn unlock_refusals_write_nothing_but_the_record_of_a_denial() {
        let (mut l, _) = demo();
        let lock = lock_out(&mut l, "yamada-g1");
        let before = store::audit::count(l.db()).expect("count");
        let clerk = login(&mut l, "clerk101");
        let clerk205 = login(&mut l, "clerk205");
        let tel = login(&mut l, "tel900");
        let admin = login(&mut l, "admin");
        let after_logins = store::audit::count(l.db()).expect("count");
        assert_eq!(after_logins, before + 4);
        let no_doc = IdentityCheck::Counter { document: None, seal_matched: true };
        let no_seal = IdentityCheck::Counter { document: Some(IdDocument::Passport), seal_matched: false };
        let phone = IdentityCheck::Phone { called_back: true };
        let cases: [(&Session, IdentityCheck, &str, &str); 7] = [
            (&clerk, no_doc, "r", "err.identity_document"),
            (&clerk, no_seal, "r", "err.identity_seal"),
            (&clerk, phone, "r", "err.identity_channel"),
            (&clerk, COUNTER, "  ", "err.reason"),
            (&tel, IdentityCheck::Phone { called_back: false }, "r", "err.identity_callback"),
            (&clerk205, COUNTER, "r", "other_branch"),
            (&admin, COUNTER, "r", "role"),
        ];
        for (who, check, reason, expected) in cases {
            let err = l.unlock(who, lock, check, reason).expect_err("refused");
            let got = match &err {
                ServiceError::Invalid(p) => p.key(),
                ServiceError::Denied(crate::domain::permission::Denied::OtherBranch { .. }) => "other_branch".into(),
                ServiceError::Denied(crate::domain::permission::Denied::Role) => "role".into(),
                other => format!("{other:?}"),
            };
            assert_eq!(got, expected, "{} {check:?}", who.id);
        }
        // Bad input writes nothing; the two refusals of permission are recorded, and only they.
        assert_eq!(store::audit::count(l.db()).expect("count"), after_logins + 2);
        let denied: i64 = l.db().value("SELECT count(*) FROM audit WHERE action = 'staff.denied'", &[]).expect("count");
        assert_eq!(denied, 2);
        // By phone, after the call back: lifted; a second terminal sees who did it.
        assert_eq!(l.unlock(&tel, lock, phone, "折り返し確認済").expect("unlock"), UnlockOutcome::Lifted);
        assert!(
            matches!(l.unlock(&clerk, lock, COUNTER, "r"), Err(ServiceError::AlreadyDone { by }) if by == "tel900")
        );
        assert!(l.verify_audit().expect("verify").intact());
    }

    #[test]
    fn guidance_is_recorded_and_sees_the_contract() {
        let (mut l, _) = demo();
        let tel = login(&mut l, "tel900");
        let yamada = store::customers::user_by_login_id(l.db(), "yamada-m").expect("q").expect("user");
        let answer = l.give_guidance(&tel, yamada.id, Situation::ForgotPassword).expect("guidance");
        assert_eq!(answer.procedure, guidance::Procedure::PaperForm(guidance::FormKind::PasswordReRegistration));
        assert!(answer.send_to_branch);
        let mistyped = l.give_guidance(&tel, yamada.id, Situation::Mistyped).expect("guidance");
        assert_eq!(mistyped.procedure, guidance::Procedure::Unlock(LockScope::Service));
        let history =
            store::audit::recent_for_subject(l.db(), &format!("contract:{}/", yamada.contract_id), 5).expect("history");
        assert_eq!(history[0].action, "guidance.given");
        assert!(history[0].details.contains("unlock_service"), "{}", history[0].details);
    }
}
