//! Staff accounts: login with lockout, administration, TOTP enrolment and step-up.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use zeroize::Zeroizing;

use crate::domain::permission::{Operation, Session, StaffRole};
use crate::domain::staff::StaffAccount;
use crate::domain::token::{self, Algorithm, CodeCheck, TokenParams};
use crate::secret::{self, Place};
use crate::store::{self, staff::NewStaff};

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError};

/// A staff ID: 1–32 of ASCII letters, digits, `-`, `_`, `.`.
pub fn valid_staff_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Staff passwords: at least 10 characters, letters and digits.
pub fn valid_staff_password(p: &SecretString) -> bool {
    let s = p.expose_secret();
    s.chars().count() >= 10 && s.chars().any(|c| c.is_alphabetic()) && s.chars().any(|c| c.is_ascii_digit())
}

/// Who may administer staff accounts: a signed-in administrator, or nobody yet (the first
/// administrator of a new ledger, the demo generator), which the ledger allows only in
/// those two cases.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Admin(&'a Session),
    /// `init`: allowed while the ledger has no staff at all.
    FirstAdmin,
    /// The demo generator, on a demo ledger.
    Demo,
}

impl Ledger {
    /// Staff login. Unknown IDs and wrong passwords answer alike; the configured number of
    /// consecutive failures locks the account until an admin unlocks it. A ledger found
    /// tampered is not written: the password is checked and nothing is counted.
    pub fn staff_login(&mut self, id: &str, password: &SecretString) -> Result<Session> {
        self.staff_password(id, password, &Actor::Staff(id.to_string()))
    }

    /// A staff member signs in to a command (`--as`): the password, counted like a login,
    /// then, where an authenticator is enrolled, a current code from it (asked for only
    /// after the password is right), counted too.
    pub fn sign_in(
        &mut self,
        id: &str,
        password: &SecretString,
        code: &mut dyn FnMut() -> Option<SecretString>,
    ) -> Result<Session> {
        let session = self.staff_password(id, password, &Actor::Command(id.to_string()))?;
        let enrolled = self.existing_staff(id)?.totp_secret.is_some();
        if enrolled {
            let code = code().ok_or(ServiceError::Invalid(Problem::TotpWrong))?;
            let step = self.check_staff_code(id, code.expose_secret(), "sign_in")?;
            if self.refusal().is_none() {
                self.write(&Actor::Command(id.to_string()), |w| {
                    if !store::staff::use_totp_step(&mut w.tx, id, step)? {
                        return Err(ServiceError::Invalid(Problem::TotpReplayed));
                    }
                    Ok(())
                })?;
            }
        }
        Ok(session)
    }

    fn staff_password(&mut self, id: &str, password: &SecretString, actor: &Actor) -> Result<Session> {
        let row = store::staff::get(&mut self.conn, id)?;
        let Some(row) = row else {
            secret::verify_dummy(password);
            return Err(ServiceError::BadLogin { remaining: self.cfg.staff.lockout });
        };
        let ok = secret::verify(self.keys.enc_key(), &row.password_hash, &Place::staff_password(&row.id), password);
        // Whether the account is disabled or locked is said only to whoever knows its
        // password: to anyone else it answers like an unknown ID, and counts nothing more.
        if row.disabled_at.is_some() || row.locked_at.is_some() {
            return Err(match (ok, row.disabled_at.is_some()) {
                (false, _) => ServiceError::BadLogin { remaining: self.cfg.staff.lockout },
                (true, true) => ServiceError::StaffDisabled,
                (true, false) => ServiceError::StaffLocked,
            });
        }
        let session =
            Session { id: row.id.clone(), name: row.name.clone(), role: row.role, branch: row.branch.clone() };
        if self.refusal().is_some() {
            return if ok { Ok(session) } else { Err(ServiceError::BadLogin { remaining: self.cfg.staff.lockout }) };
        }
        let threshold = self.cfg.staff.lockout;
        let subject = format!("staff:{}", row.id);
        if ok {
            // Re-checked under the write lock: a wrong password on another terminal may
            // have locked the account meanwhile, and only an admin unlocks it.
            let admitted = self.write(actor, |w| {
                if !store::staff::reset_failures_if_open(&mut w.tx, &row.id)? {
                    return Ok(false);
                }
                w.audit("staff.login", &subject, json!({}))?;
                Ok(true)
            })?;
            if !admitted {
                return Err(ServiceError::StaffLocked);
            }
            return Ok(session);
        }
        let locked = self.write(actor, |w| {
            // Re-read inside the transaction: another terminal may have failed meanwhile.
            let current = store::staff::get(&mut w.tx, &row.id)?.map_or(0, |r| r.failures);
            let failures = current + 1;
            let locked = failures >= threshold;
            let at = w.at;
            store::staff::set_failures(&mut w.tx, &row.id, failures, locked.then_some(at))?;
            w.audit("staff.login_failed", &subject, json!({ "failures": failures, "threshold": threshold }))?;
            if locked {
                w.audit("staff.locked", &subject, json!({ "failures": failures }))?;
            }
            Ok(if locked { None } else { Some(threshold - failures) })
        })?;
        match locked {
            None => Err(ServiceError::StaffLocked),
            Some(remaining) => Err(ServiceError::BadLogin { remaining }),
        }
    }

    /// Checks a current code of a staff member's own authenticator (step-up approval,
    /// signing in to a command) and returns its time step, to be recorded so that no code
    /// is accepted twice. A wrong code is counted and audited; as many wrong codes in a row
    /// as the staff lockout lock the account, like wrong passwords.
    pub(crate) fn check_staff_code(&mut self, staff_id: &str, code: &str, purpose: &str) -> Result<i64> {
        let staff = self.existing_staff(staff_id)?;
        // Someone disabled or locked since logging in decides nothing.
        if staff.disabled_at.is_some() {
            return Err(ServiceError::StaffDisabled);
        }
        if staff.locked_at.is_some() {
            return Err(ServiceError::StaffLocked);
        }
        let Some(sealed) = staff.totp_secret else {
            return Err(ServiceError::Invalid(Problem::TotpNotEnrolled));
        };
        let seed = secret::open(self.keys().enc_key(), &sealed, &Place::staff_totp(&staff.id))?;
        let p = TokenParams { seed: &seed, algorithm: Algorithm::Sha1, digits: 6, period: 30 };
        let now = u64::try_from(self.now().timestamp()).unwrap_or(0);
        match token::check(&p, code.trim(), now, self.cfg.token.window_steps, staff.totp_last_step) {
            CodeCheck::Accepted { step } => Ok(step),
            CodeCheck::Replayed => Err(ServiceError::Invalid(Problem::TotpReplayed)),
            CodeCheck::Wrong => {
                if self.refusal().is_some() {
                    return Err(ServiceError::Invalid(Problem::TotpWrong));
                }
                let lockout = self.cfg.staff.lockout;
                let subject = format!("staff:{staff_id}");
                let locked = self.write(&Actor::Staff(staff_id.to_string()), |w| {
                    let at = w.at;
                    let failures = store::staff::count_totp_failure(&mut w.tx, staff_id, lockout, at)?;
                    w.audit("staff.code_failed", &subject, json!({ "purpose": purpose, "failures": failures }))?;
                    if failures >= lockout {
                        w.audit("staff.locked", &subject, json!({ "code_failures": failures }))?;
                    }
                    Ok(failures >= lockout)
                })?;
                Err(if locked { ServiceError::StaffLocked } else { ServiceError::Invalid(Problem::TotpWrong) })
            }
        }
    }

    /// Checks the password of the staff member already logged in (idle lock), with the same
    /// lockout as the login.
    pub fn staff_reauth(&mut self, session: &Session, password: &SecretString) -> Result<()> {
        self.staff_login(&session.id, password).map(|_| ())
    }

    /// Who acts for an administrative step, once it is allowed.
    fn administrator(&mut self, by: By<'_>) -> Result<Actor> {
        match by {
            By::Admin(session) => {
                self.allowed(session, Operation::Administer, None)?;
                Ok(Actor::Command(session.id.clone()))
            }
            By::FirstAdmin if store::staff::list(&mut self.conn)?.is_empty() => Ok(Actor::cli()),
            By::Demo if self.is_demo() => Ok(Actor::Demo),
            By::FirstAdmin | By::Demo => Err(ServiceError::Denied(crate::domain::permission::Denied::Role)),
        }
    }

    pub fn staff_add(
        &mut self,
        by: By<'_>,
        id: &str,
        name: &str,
        role: StaffRole,
        branch: &str,
        password: &SecretString,
    ) -> Result<()> {
        let actor = self.administrator(by)?;
        if !valid_staff_id(id) {
            return Err(ServiceError::Invalid(Problem::StaffId));
        }
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(Problem::StaffName));
        }
        if self.cfg.branch(branch).is_none() {
            return Err(ServiceError::Invalid(Problem::UnknownBranch));
        }
        if !valid_staff_password(password) {
            return Err(ServiceError::Invalid(Problem::StaffPasswordPolicy));
        }
        if store::staff::get(&mut self.conn, id)?.is_some() {
            return Err(ServiceError::Invalid(Problem::StaffExists));
        }
        let hash = secret::hash(self.keys.enc_key(), password, &Place::staff_password(id))?;
        self.write(&actor, |w| {
            let at = w.at;
            store::staff::insert(&mut w.tx, &NewStaff { id, name, role, branch, password_hash: &hash, at })?;
            w.audit("staff.add", &format!("staff:{id}"), json!({ "role": role.code(), "branch": branch, "name": name }))
        })
    }

    pub fn staff_list(&mut self) -> Result<Vec<StaffAccount>> {
        Ok(store::staff::list(&mut self.conn)?)
    }

    fn existing_staff(&mut self, id: &str) -> Result<StaffAccount> {
        store::staff::get(&mut self.conn, id)?.ok_or(ServiceError::NotFound(Missing::StaffAccount))
    }

    pub fn staff_unlock(&mut self, by: By<'_>, id: &str) -> Result<()> {
        let actor = self.administrator(by)?;
        let row = self.existing_staff(id)?;
        self.write(&actor, |w| {
            store::staff::unlock(&mut w.tx, id)?;
            w.audit(
                "staff.unlock",
                &format!("staff:{id}"),
                json!({ "failures": row.failures, "code_failures": row.totp_failures }),
            )
        })
    }

    pub fn staff_disable(&mut self, by: By<'_>, id: &str) -> Result<()> {
        let actor = self.administrator(by)?;
        let row = self.existing_staff(id)?;
        if row.disabled_at.is_some() {
            return Err(ServiceError::AlreadyDone { by: row.disabled_at.map(crate::format::time).unwrap_or_default() });
        }
        self.write(&actor, |w| {
            let at = w.at;
            store::staff::disable(&mut w.tx, id, at)?;
            w.audit("staff.disable", &format!("staff:{id}"), json!({}))
        })
    }

    /// Enrols a TOTP authenticator (supervisors' step-up approval; administrators' sign-in
    /// to commands); returns the otpauth URI. The secret is stored encrypted for its row.
    /// `fixed` is for the demo supervisors.
    pub fn staff_enroll_totp(&mut self, by: By<'_>, id: &str, fixed: Option<&[u8]>) -> Result<String> {
        let actor = self.administrator(by)?;
        let row = self.existing_staff(id)?;
        if !matches!(row.role, StaffRole::Supervisor | StaffRole::Admin) {
            return Err(ServiceError::Invalid(Problem::TotpSupervisorsOnly));
        }
        let secret_bytes = Zeroizing::new(match fixed {
            Some(b) => b.to_vec(),
            None => {
                let mut b = vec![0u8; 20];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
                b
            }
        });
        let sealed = secret::seal(self.keys().enc_key(), &secret_bytes, &Place::staff_totp(id));
        self.write(&actor, |w| {
            store::staff::set_totp(&mut w.tx, id, &sealed)?;
            w.audit("staff.enroll_totp", &format!("staff:{id}"), json!({}))
        })?;
        // totp-rs zeroizes its copy of the secret when dropped.
        let totp = totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            secret_bytes.to_vec(),
            Some("madoguchi".into()),
            id.to_string(),
        );
        Ok(totp.get_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::service::ManualClock;
    use chrono::TimeZone;

    /// An empty ledger with its first administrator signed in.
    fn ledger() -> (Ledger, Session) {
        let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).single().expect("date"));
        let mut l = Ledger::in_memory(Config::default(), Box::new(clock)).expect("ledger");
        let pw = SecretString::from("admin-pass-1");
        l.staff_add(By::FirstAdmin, "root", "管理", StaffRole::Admin, "101", &pw).expect("first admin");
        let admin = l.staff_login("root", &pw).expect("admin");
        (l, admin)
    }

    #[test]
    fn five_failures_lock_a_staff_account_until_an_admin_unlocks_it() {
        let (mut l, admin) = ledger();
        let pw = SecretString::from("demo-pass-1");
        l.staff_add(By::Admin(&admin), "clerk101", "窓口 花子", StaffRole::Clerk, "101", &pw).expect("add");
        let wrong = SecretString::from("wrong-pass-1");
        for remaining in (1..=4).rev() {
            assert!(
                matches!(l.staff_login("clerk101", &wrong), Err(ServiceError::BadLogin { remaining: r }) if r == remaining)
            );
        }
        assert!(matches!(l.staff_login("clerk101", &wrong), Err(ServiceError::StaffLocked)));
        // Locked: even the right password is refused.
        assert!(matches!(l.staff_login("clerk101", &pw), Err(ServiceError::StaffLocked)));
        l.staff_unlock(By::Admin(&admin), "clerk101").expect("unlock");
        let s = l.staff_login("clerk101", &pw).expect("login");
        assert_eq!((s.role, s.branch.as_str()), (StaffRole::Clerk, "101"));
        // Unknown IDs answer like wrong passwords.
        assert!(matches!(l.staff_login("nobody", &pw), Err(ServiceError::BadLogin { .. })));
        assert!(l.verify_audit().expect("verify").intact());
    }

    /// Whether an account is disabled or locked is told only to whoever gives its password:
    /// anyone else hears what an unknown ID hears, and nothing is counted.
    #[test]
    fn a_disabled_or_locked_account_says_so_only_after_the_right_password() {
        let (mut l, admin) = ledger();
        let pw = SecretString::from("demo-pass-1");
        let wrong = SecretString::from("wrong-pass-1");
        for id in ["gone", "stuck"] {
            l.staff_add(By::Admin(&admin), id, "職員", StaffRole::Clerk, "101", &pw).expect("add");
        }
        l.staff_disable(By::Admin(&admin), "gone").expect("disable");
        for _ in 0..5 {
            let _ = l.staff_login("stuck", &wrong);
        }
        let unknown = l.staff_login("nobody", &wrong).expect_err("unknown");
        for id in ["gone", "stuck"] {
            let before = l.existing_staff(id).expect("row").failures;
            let e = l.staff_login(id, &wrong).expect_err("refused");
            assert_eq!(format!("{e:?}"), format!("{unknown:?}"), "{id}: like an unknown ID");
            assert_eq!(l.existing_staff(id).expect("row").failures, before, "{id}: nothing counted");
        }
        assert!(matches!(l.staff_login("gone", &pw), Err(ServiceError::StaffDisabled)));
        assert!(matches!(l.staff_login("stuck", &pw), Err(ServiceError::StaffLocked)));
    }

    #[test]
    fn bad_staff_input_is_refused_and_nothing_is_written() {
        let (mut l, admin) = ledger();
        let before = store::audit::count(l.db()).expect("count");
        let good = SecretString::from("demo-pass-1");
        let cases = [
            ("bad id!", "n", "101", "demo-pass-1", Problem::StaffId),
            ("ok", "", "101", "demo-pass-1", Problem::StaffName),
            ("ok", "n", "999", "demo-pass-1", Problem::UnknownBranch),
            ("ok", "n", "101", "short1", Problem::StaffPasswordPolicy),
        ];
        for (id, name, branch, pw, problem) in cases {
            let err = l
                .staff_add(By::Admin(&admin), id, name, StaffRole::Clerk, branch, &SecretString::from(pw))
                .expect_err("refused");
            assert!(matches!(err, ServiceError::Invalid(p) if p == problem), "{id} {name} {branch}: {err:?}");
        }
        assert_eq!(store::audit::count(l.db()).expect("count"), before);
        l.staff_add(By::Admin(&admin), "ok", "n", StaffRole::Clerk, "101", &good).expect("add");
        assert!(matches!(
            l.staff_add(By::Admin(&admin), "ok", "n", StaffRole::Clerk, "101", &good),
            Err(ServiceError::Invalid(Problem::StaffExists))
        ));
    }
}
