//! The customer channel (`madoguchi ib`): R1 and R5 exactly as the internet-banking
//! service applies them, so that locks arise from real failed attempts.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;

use crate::domain::credential::CredentialKind;
use crate::domain::customer::User;
use crate::domain::lockout::{self, Suspension};
use crate::domain::password_change::{self, ChangeRefusal};
use crate::domain::token::{self, CodeCheck, TokenParams};
use crate::domain::token::{Token, TokenState};
use crate::format::business_date;
use crate::secret;
use crate::store;

use super::{Actor, Ledger, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IbResult {
    Accepted,
    /// Wrong secret, or an unknown login ID (indistinguishable).
    Rejected,
    /// The service (or the OTP services) is suspended.
    Suspended,
    /// Another rule refuses it.
    Refused,
}

/// Why an attempt was refused by a rule other than suspension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The login password was re-registered by the bank: change it first (R14).
    MustChange,
    /// R5: only the master user changes the confirmation password.
    OnlyMasterChangesConfirm,
    /// R4: PINs change only by the paper form.
    PaperFormOnly,
    /// The user holds no usable hard token.
    NoToken,
    /// The new secret breaks the policy.
    Policy,
}

/// What the channel answers, and the `--json` document of `ib`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IbOutcome {
    pub result: IbResult,
    pub credential: &'static str,
    pub failures: u32,
    pub threshold: u32,
    pub suspended: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

impl IbOutcome {
    /// The exit code of docs/spec.md §6.
    pub fn exit_code(&self) -> i32 {
        match self.result {
            IbResult::Accepted => 0,
            IbResult::Rejected => 10,
            IbResult::Suspended => 11,
            IbResult::Refused => 12,
        }
    }
}

/// Whether a new secret meets the policy: passwords 8–32 printable ASCII with a letter
/// and a digit; PINs exactly 4 digits (R14 forms use the same check).
pub fn meets_policy(kind: CredentialKind, s: &SecretString) -> bool {
    let s = s.expose_secret();
    match kind {
        CredentialKind::LoginPassword | CredentialKind::ConfirmPassword => {
            (8..=32).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_graphic())
                && s.bytes().any(|b| b.is_ascii_alphabetic())
                && s.bytes().any(|b| b.is_ascii_digit())
        }
        CredentialKind::Pin | CredentialKind::ApprovalPin => s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()),
        CredentialKind::OneTimePassword => false,
    }
}

enum Check {
    Right,
    Wrong,
    /// OTP: an accepted step to record; a mailed replacement is bound on first use.
    RightAtStep {
        token_id: i64,
        step: i64,
        replacement: Option<Box<Token>>,
    },
    NoToken,
}

impl Ledger {
    fn outcome(&self, result: IbResult, kind: CredentialKind, failures: u32, suspended: Suspension) -> IbOutcome {
        IbOutcome {
            result,
            credential: kind.code(),
            failures,
            threshold: self.cfg.threshold(kind),
            suspended: suspended.code(),
            refusal: None,
        }
    }

    /// A live user of an active contract; cancelled contracts answer like unknown IDs.
    fn ib_user(&mut self, login_id: &str) -> Result<Option<User>> {
        let Some(user) = store::customers::user_by_login_id(&mut self.conn, login_id)? else { return Ok(None) };
        let active = store::customers::contract(&mut self.conn, user.contract_id)?.is_some_and(|c| !c.cancelled);
        Ok(active.then_some(user))
    }

    fn check_secret(&mut self, user: &User, kind: CredentialKind, secret: &SecretString) -> Result<Check> {
        if kind != CredentialKind::OneTimePassword {
            let Some((id, stored)) = store::customers::secret_hash(&mut self.conn, user.id, kind)? else {
                secret::verify_dummy(secret);
                return Ok(Check::Wrong);
            };
            let right = secret::verify(self.keys.enc_key(), &stored, &secret::Place::secret_hash(id), secret);
            return Ok(if right { Check::Right } else { Check::Wrong });
        }
        let tokens = store::tokens::of_user(&mut self.conn, user.id)?;
        let Some(t) = tokens.into_iter().find(|t| t.state == TokenState::Issued) else {
            self.dummy_code_check(secret);
            return Ok(Check::NoToken);
        };
        if let Some(step) = self.otp_step(&t, secret)? {
            return Ok(Check::RightAtStep { token_id: t.id, step, replacement: None });
        }
        // R12: a replacement mailed to the user becomes their token when first used.
        for m in
            store::tokens::reserved_for(&mut self.conn, user.id)?.into_iter().filter(|m| m.state == TokenState::Mailed)
        {
            if let Some(step) = self.otp_step(&m, secret)? {
                return Ok(Check::RightAtStep { token_id: m.id, step, replacement: Some(Box::new(m)) });
            }
        }
        Ok(Check::Wrong)
    }

    /// The step at which `secret` is a fresh code of the token; expired tokens never verify.
    fn otp_step(&self, t: &Token, secret: &SecretString) -> Result<Option<i64>> {
        let now = self.clock.now();
        if t.expires < business_date(now) {
            return Ok(None);
        }
        let seed = secret::open(self.keys.enc_key(), &t.seed, &secret::Place::token_seed(&t.serial))?;
        let p = TokenParams { seed: &seed, algorithm: t.algorithm, digits: t.digits, period: t.period };
        let unix = u64::try_from(now.timestamp()).unwrap_or(0);
        Ok(match token::check(&p, secret.expose_secret(), unix, self.cfg.token.window_steps, t.last_step) {
            CodeCheck::Accepted { step } => Some(step),
            CodeCheck::Wrong | CodeCheck::Replayed => None,
        })
    }

    /// One attempt with one secret (`ib login` is the login password, `ib verify` the
    /// others). Applies R1: suspension first, then the secret, then the counter.
    pub fn ib_attempt(&mut self, login_id: &str, kind: CredentialKind, secret: &SecretString) -> Result<IbOutcome> {
        let Some(user) = self.ib_user(login_id)? else {
            return self.ib_unknown(login_id, kind, secret);
        };
        let standing = store::locks::standing(&mut self.conn, user.id)?;
        if !lockout::may_attempt(kind, standing) {
            let failures = store::locks::failures(&mut self.conn, user.id, kind)?;
            return Ok(self.outcome(IbResult::Suspended, kind, failures, standing.suspension()));
        }
        // The slow hash is checked before the write lock is taken.
        let check = self.check_secret(&user, kind, secret)?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let actor = Actor::Customer(user.login_id.clone());
        match check {
            Check::Right | Check::RightAtStep { .. } => {
                let must_change = kind == CredentialKind::LoginPassword && user.login_must_change;
                /// What the write found once it held the write lock.
                enum Verdict {
                    Accepted,
                    /// The code was used meanwhile by another attempt: it counts as wrong.
                    Replayed,
                    /// A lock was opened meanwhile (a wrong attempt on another terminal
                    /// reached the threshold): the right secret no longer gets in.
                    Suspended(u32, Suspension),
                }
                let verdict = self.write(&actor, |w| {
                    let standing = store::locks::standing(&mut w.tx, user.id)?;
                    if !lockout::may_attempt(kind, standing) {
                        let failures = store::locks::failures(&mut w.tx, user.id, kind)?;
                        return Ok(Verdict::Suspended(failures, standing.suspension()));
                    }
                    match &check {
                        Check::RightAtStep { replacement: Some(token), step, .. } => {
                            if !super::tokens::bind_token(w, token, user.id, *step)? {
                                return Ok(Verdict::Replayed);
                            }
                            w.audit("token.first_use", &subject, json!({ "serial": token.serial }))?;
                        }
                        // The step is recorded so that no code is accepted twice: a change of
                        // state, audited like any other.
                        Check::RightAtStep { token_id, step, .. } => {
                            if !store::tokens::use_step(&mut w.tx, *token_id, *step)? {
                                return Ok(Verdict::Replayed);
                            }
                            w.audit("ib.otp", &subject, json!({ "step": step }))?;
                        }
                        _ => {}
                    }
                    if store::locks::reset_failures(&mut w.tx, user.id, kind, w.at)? {
                        w.audit("ib.reset", &subject, json!({ "credential": kind.code() }))?;
                    }
                    Ok(Verdict::Accepted)
                })?;
                match verdict {
                    Verdict::Accepted => {}
                    Verdict::Suspended(failures, suspension) => {
                        return Ok(self.outcome(IbResult::Suspended, kind, failures, suspension));
                    }
                    Verdict::Replayed => {
                        let (failures, (was, suspension)) = self.ib_record_failure(&user, kind)?;
                        let result = if was { IbResult::Suspended } else { IbResult::Rejected };
                        return Ok(self.outcome(result, kind, failures, suspension));
                    }
                }
                let standing = store::locks::standing(&mut self.conn, user.id)?;
                let mut o = self.outcome(IbResult::Accepted, kind, 0, standing.suspension());
                if must_change {
                    o.result = IbResult::Refused;
                    o.refusal = Some(Refusal::MustChange);
                }
                Ok(o)
            }
            // A user without a token answers like a wrong code: whether someone holds a
            // token is theirs to know.
            Check::Wrong | Check::NoToken => {
                let (failures, suspension) = self.ib_record_failure(&user, kind)?;
                Ok(self.outcome(
                    if suspension.0 { IbResult::Suspended } else { IbResult::Rejected },
                    kind,
                    failures,
                    suspension.1,
                ))
            }
        }
    }

    /// An attempt with a login ID that is no customer's (or whose contract was cancelled):
    /// answered exactly as a customer's wrong secret would be — the same work (one argon2
    /// run, or one code check), the same counting toward a lock, kept under a keyed hash
    /// of the ID, and the same answer.
    fn ib_unknown(&mut self, login_id: &str, kind: CredentialKind, secret: &SecretString) -> Result<IbOutcome> {
        let id_hash = self.keys.login_id_hash(login_id);
        let threshold = |k: CredentialKind| self.cfg.threshold(k);
        let counts = store::shadow::all_for(&mut self.conn, &id_hash)?;
        let standing = lockout::standing_from_counts(&counts, threshold);
        let failures_of = |counts: &[(CredentialKind, u32)]| counts.iter().find(|(k, _)| *k == kind).map_or(0, |c| c.1);
        if !lockout::may_attempt(kind, standing) {
            return Ok(self.outcome(IbResult::Suspended, kind, failures_of(&counts), standing.suspension()));
        }
        if kind == CredentialKind::OneTimePassword {
            self.dummy_code_check(secret);
        } else {
            secret::verify_dummy(secret);
        }
        let cfg = self.cfg.clone();
        let short = hex::encode(&id_hash[..8]);
        let (failures, (was, suspension)) = self.write(&Actor::UnknownCustomer(short.clone()), |w| {
            // Re-read inside the transaction, as for a customer: another attempt may have
            // reached the lock meanwhile.
            let mut counts = store::shadow::all_for(&mut w.tx, &id_hash)?;
            let standing = lockout::standing_from_counts(&counts, |k| cfg.threshold(k));
            if !lockout::may_attempt(kind, standing) {
                return Ok((failures_of(&counts), (true, standing.suspension())));
            }
            let step = lockout::after_failure(kind, failures_of(&counts), cfg.threshold(kind));
            store::shadow::set_failures(&mut w.tx, &id_hash, kind, step.failures, w.at)?;
            w.audit(
                "ib.unknown_id",
                &format!("login:?{short}"),
                json!({ "credential": kind.code(), "failures": step.failures, "threshold": cfg.threshold(kind) }),
            )?;
            counts.retain(|(k, _)| *k != kind);
            counts.push((kind, step.failures));
            Ok((step.failures, (false, lockout::standing_from_counts(&counts, |k| cfg.threshold(k)).suspension())))
        })?;
        let result = if was { IbResult::Suspended } else { IbResult::Rejected };
        Ok(self.outcome(result, kind, failures, suspension))
    }

    /// The work of checking a code against a token that is not there: open an encrypted
    /// seed and compute the window's codes, as for a real token.
    fn dummy_code_check(&self, secret: &SecretString) {
        let place = secret::Place::token_seed("");
        let sealed = secret::seal(self.keys.enc_key(), &[0u8; 20], &place);
        if let Ok(seed) = secret::open(self.keys.enc_key(), &sealed, &place) {
            let p =
                TokenParams { seed: &seed, algorithm: crate::domain::token::Algorithm::Sha1, digits: 6, period: 30 };
            let unix = u64::try_from(self.clock.now().timestamp()).unwrap_or(0);
            let _never = token::check(&p, secret.expose_secret(), unix, self.cfg.token.window_steps, None);
        }
    }

    /// The write half of a wrong secret (R1): count it, open the lock at the threshold,
    /// audit both, in one transaction. Returns the count and (already suspended before
    /// this attempt, the suspension now). Public for the benchmark of the lockout path.
    pub fn ib_record_failure(&mut self, user: &User, kind: CredentialKind) -> Result<(u32, (bool, Suspension))> {
        let threshold = self.cfg.threshold(kind);
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let user_id = user.id;
        self.write(&Actor::Customer(user.login_id.clone()), |w| {
            // Re-read inside the transaction: a second terminal may have counted.
            let standing = store::locks::standing(&mut w.tx, user_id)?;
            if !lockout::may_attempt(kind, standing) {
                let failures = store::locks::failures(&mut w.tx, user_id, kind)?;
                return Ok((failures, (true, standing.suspension())));
            }
            let before = store::locks::counted(&mut w.tx, user_id, kind)?;
            let step = lockout::after_failure(kind, before.failures, threshold);
            let at = w.at;
            store::locks::count_after(&mut w.tx, user_id, kind, before, step.failures, at)?;
            w.audit(
                "ib.failure",
                &subject,
                json!({ "credential": kind.code(), "failures": step.failures, "threshold": threshold }),
            )?;
            let mut standing = standing;
            if let Some(scope) = step.opens {
                let lock_id = store::locks::open_lock(&mut w.tx, user_id, kind, scope, step.failures, at)?;
                w.audit(
                    "lock.open",
                    &subject,
                    json!({ "lock": lock_id, "credential": kind.code(), "scope": scope.code(), "failures": step.failures }),
                )?;
                match scope {
                    crate::domain::lockout::LockScope::Service => standing.service_suspended = true,
                    crate::domain::lockout::LockScope::OtpServices => standing.otp_suspended = true,
                }
            }
            Ok((step.failures, (false, standing.suspension())))
        })
    }

    /// R5: a user changes their own login or confirmation password in the service. The old
    /// secret counts toward R1 like any other attempt.
    pub fn ib_change_password(
        &mut self,
        login_id: &str,
        kind: CredentialKind,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<IbOutcome> {
        let refuse = |l: &Self, refusal: Refusal| {
            let mut o = l.outcome(IbResult::Refused, kind, 0, Suspension::None);
            o.refusal = Some(refusal);
            o
        };
        // Checking the old secret goes through R1 exactly like a login (an unknown ID is
        // answered as a wrong secret); the must-change state does not stop a change (that
        // is how it is cleared). The rules speak only to whoever knows the old secret.
        let mut check = self.ib_attempt(login_id, kind, old)?;
        if check.refusal == Some(Refusal::MustChange) {
            check.result = IbResult::Accepted;
            check.refusal = None;
        }
        if check.result != IbResult::Accepted {
            return Ok(check);
        }
        let Some(user) = self.ib_user(login_id)? else { return Ok(refuse(self, Refusal::Policy)) };
        match password_change::self_change(user.role, kind) {
            Err(ChangeRefusal::OnlyMasterChangesConfirm) => return Ok(refuse(self, Refusal::OnlyMasterChangesConfirm)),
            Err(ChangeRefusal::PaperFormOnly) => return Ok(refuse(self, Refusal::PaperFormOnly)),
            Ok(_) => {}
        }
        if !meets_policy(kind, new) || new.expose_secret() == old.expose_secret() {
            return Ok(refuse(self, Refusal::Policy));
        }
        let phc = secret::phc(new)?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let role = user.role;
        self.write(&Actor::Customer(user.login_id.clone()), |w| {
            let hash_id = w.insert_secret_hash(&phc)?;
            store::customers::set_secret_id(&mut w.tx, user.id, kind, hash_id, false)?;
            w.audit("ib.change_password", &subject, json!({ "credential": kind.code(), "role": role.code() }))
        })?;
        Ok(check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The work behind an answer: one argon2 run for a wrong secret of a customer and for an
    /// unknown ID alike, and none for a code, known or not.
    #[test]
    fn an_unknown_id_costs_the_same_work_as_a_wrong_secret() {
        let (mut l, _clock) = crate::service::testkit::demo();
        let cases = [
            (CredentialKind::LoginPassword, "Wrong-pass9", 1),
            (CredentialKind::ConfirmPassword, "Wrong-pass9", 1),
            (CredentialKind::Pin, "9999", 1),
            (CredentialKind::OneTimePassword, "000000", 0),
        ];
        for (kind, wrong, runs) in cases {
            for login in ["tozai-g1", "nobody-at-all", "tozai-g2"] {
                let before = secret::argon2_runs();
                let o = l.ib_attempt(login, kind, &SecretString::from(wrong)).expect("attempt");
                assert_eq!(o.result, IbResult::Rejected, "{kind:?} {login}");
                assert_eq!(secret::argon2_runs() - before, runs, "{kind:?} {login}");
            }
        }
    }

    #[test]
    fn secret_policy() {
        let table = [
            (CredentialKind::LoginPassword, "Login-pass1", true),
            (CredentialKind::LoginPassword, "short1", false),
            (CredentialKind::LoginPassword, "onlyletters", false),
            (CredentialKind::LoginPassword, "12345678", false),
            (CredentialKind::ConfirmPassword, "Confirm-pass1", true),
            (CredentialKind::ConfirmPassword, "全角パスワード1", false),
            (CredentialKind::Pin, "1234", true),
            (CredentialKind::Pin, "12a4", false),
            (CredentialKind::ApprovalPin, "56789", false),
            (CredentialKind::OneTimePassword, "123456", false),
        ];
        for (kind, s, ok) in table {
            assert_eq!(meets_policy(kind, &SecretString::from(s)), ok, "{kind:?} {s}");
        }
    }
}
