//! Staff accounts: login with lockout, administration, TOTP enrolment and step-up.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::domain::permission::{Session, StaffRole};
use crate::domain::staff::StaffAccount;
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

impl Ledger {
    /// Staff login. Unknown IDs and wrong passwords answer alike; the configured number of
    /// consecutive failures locks the account until an admin unlocks it.
    pub fn staff_login(&mut self, id: &str, password: &SecretString) -> Result<Session> {
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
        let threshold = self.cfg.staff.lockout;
        let subject = format!("staff:{}", row.id);
        let actor = Actor::Staff(row.id.clone());
        if ok {
            // Re-checked under the write lock: a wrong password on another terminal may
            // have locked the account meanwhile, and only an admin unlocks it.
            let admitted = self.write(&actor, |w| {
                if !store::staff::reset_failures_if_open(&mut w.tx, &row.id)? {
                    return Ok(false);
                }
                w.audit("staff.login", &subject, json!({}))?;
                Ok(true)
            })?;
            if !admitted {
                return Err(ServiceError::StaffLocked);
            }
            return Ok(Session { id: row.id, name: row.name, role: row.role, branch: row.branch });
        }
        let locked = self.write(&actor, |w| {
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

    /// Checks the password of the staff member already logged in (idle lock), with the same
    /// lockout as the login.
    pub fn staff_reauth(&mut self, session: &Session, password: &SecretString) -> Result<()> {
        self.staff_login(&session.id, password).map(|_| ())
    }

    pub fn staff_add(
        &mut self,
        actor: &Actor,
        id: &str,
        name: &str,
        role: StaffRole,
        branch: &str,
        password: &SecretString,
    ) -> Result<()> {
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
        self.write(actor, |w| {
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

    pub fn staff_unlock(&mut self, actor: &Actor, id: &str) -> Result<()> {
        let row = self.existing_staff(id)?;
        self.write(actor, |w| {
            store::staff::unlock(&mut w.tx, id)?;
            w.audit("staff.unlock", &format!("staff:{id}"), json!({ "failures": row.failures }))
        })
    }

    pub fn staff_disable(&mut self, actor: &Actor, id: &str) -> Result<()> {
        let row = self.existing_staff(id)?;
        if row.disabled_at.is_some() {
            return Err(ServiceError::AlreadyDone { by: row.disabled_at.map(crate::format::time).unwrap_or_default() });
        }
        self.write(actor, |w| {
            let at = w.at;
            store::staff::disable(&mut w.tx, id, at)?;
            w.audit("staff.disable", &format!("staff:{id}"), json!({}))
        })
    }

    /// Enrols a TOTP authenticator for step-up approval; returns the otpauth URI. The
    /// secret is stored encrypted with the key file. `fixed` is for the demo supervisors.
    pub fn staff_enroll_totp(&mut self, actor: &Actor, id: &str, fixed: Option<&[u8]>) -> Result<String> {
        let row = self.existing_staff(id)?;
        if row.role != StaffRole::Supervisor {
            return Err(ServiceError::Invalid(Problem::TotpSupervisorsOnly));
        }
        let secret_bytes = match fixed {
            Some(b) => b.to_vec(),
            None => {
                let mut b = vec![0u8; 20];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
                b
            }
        };
        let sealed = secret::seal(self.keys().enc_key(), &secret_bytes, &Place::staff_totp(id));
        self.write(actor, |w| {
            store::staff::set_totp(&mut w.tx, id, &sealed)?;
            w.audit("staff.enroll_totp", &format!("staff:{id}"), json!({}))
        })?;
        let totp = totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            secret_bytes,
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

    fn ledger() -> Ledger {
        let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).single().expect("date"));
        Ledger::in_memory(Config::default(), Box::new(clock)).expect("ledger")
    }

    #[test]
    fn five_failures_lock_a_staff_account_until_an_admin_unlocks_it() {
        let mut l = ledger();
        let pw = SecretString::from("demo-pass-1");
        l.staff_add(&Actor::cli(), "clerk101", "窓口 花子", StaffRole::Clerk, "101", &pw).expect("add");
        let wrong = SecretString::from("wrong-pass-1");
        for remaining in (1..=4).rev() {
            assert!(
                matches!(l.staff_login("clerk101", &wrong), Err(ServiceError::BadLogin { remaining: r }) if r == remaining)
            );
        }
        assert!(matches!(l.staff_login("clerk101", &wrong), Err(ServiceError::StaffLocked)));
        // Locked: even the right password is refused.
        assert!(matches!(l.staff_login("clerk101", &pw), Err(ServiceError::StaffLocked)));
        l.staff_unlock(&Actor::cli(), "clerk101").expect("unlock");
        let s = l.staff_login("clerk101", &pw).expect("login");
        assert_eq!((s.role, s.branch.as_str()), (StaffRole::Clerk, "101"));
        // Unknown IDs answer like wrong passwords.
        assert!(matches!(l.staff_login("nobody", &pw), Err(ServiceError::BadLogin { .. })));
        assert!(l.verify_audit().expect("verify").intact());
    }

    #[test]
    fn bad_staff_input_is_refused_and_nothing_is_written() {
        let mut l = ledger();
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
                .staff_add(&Actor::cli(), id, name, StaffRole::Clerk, branch, &SecretString::from(pw))
                .expect_err("refused");
            assert!(matches!(err, ServiceError::Invalid(p) if p == problem), "{id} {name} {branch}: {err:?}");
        }
        assert_eq!(store::audit::count(l.db()).expect("count"), before);
        l.staff_add(&Actor::cli(), "ok", "n", StaffRole::Clerk, "101", &good).expect("add");
        assert!(matches!(
            l.staff_add(&Actor::cli(), "ok", "n", StaffRole::Clerk, "101", &good),
            Err(ServiceError::Invalid(Problem::StaffExists))
        ));
    }
}
