//! R1: consecutive failures per credential kind, and what a lock suspends.

use chrono::{DateTime, Utc};
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

use super::credential::CredentialKind;

/// What an open lock suspends (サービスのご利用を停止).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumString, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
pub enum LockScope {
    /// The user's whole service.
    #[strum(serialize = "service")]
    Service,
    /// Only the services that need a one-time password.
    #[strum(serialize = "otp")]
    #[serde(rename = "otp")]
    OtpServices,
}

impl LockScope {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// How a lock was lifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum ClearKind {
    /// R7: by staff after the identity check.
    Unlock,
    /// R14: the approved paper form set a new secret.
    Form,
}

/// A lock opened by consecutive failures (R1), and how it was lifted (R7, R14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub id: i64,
    pub user_id: i64,
    pub credential: CredentialKind,
    pub scope: LockScope,
    pub failures: u32,
    pub opened_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub cleared_by: Option<String>,
    pub clear_kind: Option<ClearKind>,
}

/// The scope a credential's lock suspends: only the OTP leaves the rest working.
pub fn scope_of(kind: CredentialKind) -> LockScope {
    match kind {
        CredentialKind::OneTimePassword => LockScope::OtpServices,
        _ => LockScope::Service,
    }
}

/// What a user may still do, derived from their open locks and token state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    pub service_suspended: bool,
    /// OTP services suspended by a lock or because the token is reported lost (R10).
    pub otp_suspended: bool,
}

impl Standing {
    /// The suspension reported to the customer channel: the wider one wins.
    pub fn suspension(self) -> Suspension {
        if self.service_suspended {
            Suspension::Service
        } else if self.otp_suspended {
            Suspension::Otp
        } else {
            Suspension::None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Suspension {
    None,
    Service,
    Otp,
}

impl Suspension {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// Whether the service accepts an attempt with this credential at all. A suspended user
/// is refused before the secret is checked, and the refusal does not count as a failure.
pub fn may_attempt(kind: CredentialKind, standing: Standing) -> bool {
    match kind {
        CredentialKind::OneTimePassword => !standing.service_suspended && !standing.otp_suspended,
        _ => !standing.service_suspended,
    }
}

/// The standing of a login ID known only by its failure counts (an ID that is not a
/// customer's, answered as if it were one): each count at its threshold has opened its
/// lock.
pub fn standing_from_counts(counts: &[(CredentialKind, u32)], threshold: impl Fn(CredentialKind) -> u32) -> Standing {
    let mut s = Standing::default();
    for (kind, failures) in counts {
        if *failures >= threshold(*kind) {
            match scope_of(*kind) {
                LockScope::Service => s.service_suspended = true,
                LockScope::OtpServices => s.otp_suspended = true,
            }
        }
    }
    s
}

/// The result of one wrong secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Consecutive failures of this kind after this attempt.
    pub failures: u32,
    /// The lock this failure opens, if it reached the threshold.
    pub opens: Option<LockScope>,
}

/// One more consecutive failure of `kind`. The lock opens exactly when the count reaches
/// the threshold; later failures cannot happen because the attempt is refused first.
pub fn after_failure(kind: CredentialKind, failures_before: u32, threshold: u32) -> Failure {
    let failures = failures_before.saturating_add(1);
    let opens = (failures >= threshold).then_some(scope_of(kind));
    Failure { failures, opens }
}

#[cfg(test)]
mod tests {

    #[test]
    fn counts_alone_give_the_standing_their_locks_would() {
        let threshold = |k: CredentialKind| if k == K::Pin { 3 } else { 6 };
        assert_eq!(standing_from_counts(&[], threshold), Standing::default());
        assert_eq!(standing_from_counts(&[(K::LoginPassword, 5), (K::Pin, 2)], threshold), Standing::default());
        let s = standing_from_counts(&[(K::Pin, 3)], threshold);
        assert!(s.service_suspended && !s.otp_suspended);
        let s = standing_from_counts(&[(K::OneTimePassword, 6)], threshold);
        assert!(!s.service_suspended && s.otp_suspended);
        assert_eq!(s.suspension(), Suspension::Otp);
        // Exactly as the failures that reached the threshold would have left a known user.
        for kind in [K::LoginPassword, K::ConfirmPassword, K::Pin, K::ApprovalPin, K::OneTimePassword] {
            let step = after_failure(kind, threshold(kind) - 1, threshold(kind));
            let s = standing_from_counts(&[(kind, step.failures)], threshold);
            assert_eq!(step.opens.map(|_| scope_of(kind)), Some(scope_of(kind)));
            assert_eq!(s.suspension() != Suspension::None, step.opens.is_some(), "{kind:?}");
        }
    }
    use super::*;
    use CredentialKind as K;

    #[test]
    fn failures_count_up_and_lock_at_the_threshold() {
        // (kind, failures before, threshold) -> (failures after, lock opened)
        let table = [
            (K::LoginPassword, 0, 6, 1, None),
            (K::LoginPassword, 4, 6, 5, None),
            (K::LoginPassword, 5, 6, 6, Some(LockScope::Service)),
            (K::ConfirmPassword, 5, 6, 6, Some(LockScope::Service)),
            (K::OneTimePassword, 5, 6, 6, Some(LockScope::OtpServices)),
            (K::OneTimePassword, 1, 6, 2, None),
            (K::Pin, 2, 3, 3, Some(LockScope::Service)),
            (K::ApprovalPin, 2, 3, 3, Some(LockScope::Service)),
            (K::ApprovalPin, 1, 3, 2, None),
            (K::Pin, 0, 1, 1, Some(LockScope::Service)),
        ];
        for (kind, before, threshold, after, opens) in table {
            assert_eq!(
                after_failure(kind, before, threshold),
                Failure { failures: after, opens },
                "{kind:?} {before}/{threshold}"
            );
        }
    }

    #[test]
    fn suspension_gates_attempts() {
        let free = Standing::default();
        let service = Standing { service_suspended: true, otp_suspended: false };
        let otp = Standing { service_suspended: false, otp_suspended: true };
        // (kind, standing, may attempt)
        let table = [
            (K::LoginPassword, free, true),
            (K::LoginPassword, service, false),
            (K::LoginPassword, otp, true),
            (K::ConfirmPassword, otp, true),
            (K::Pin, otp, true),
            (K::ApprovalPin, service, false),
            (K::OneTimePassword, free, true),
            (K::OneTimePassword, otp, false),
            (K::OneTimePassword, service, false),
        ];
        for (kind, standing, expected) in table {
            assert_eq!(may_attempt(kind, standing), expected, "{kind:?} {standing:?}");
        }
        assert_eq!(service.suspension(), Suspension::Service);
        assert_eq!(otp.suspension(), Suspension::Otp);
        assert_eq!(free.suspension(), Suspension::None);
    }
}
