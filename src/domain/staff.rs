//! Staff accounts (docs/spec.md §1): who may log in, with what role, at which branch.

use chrono::{DateTime, Utc};

use super::permission::StaffRole;

#[derive(Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub branch: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub failures: u32,
    pub locked_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Encrypted TOTP secret for supervisor step-up.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    /// Wrong step-up codes since the last right one (counted toward the staff lockout).
    pub totp_failures: u32,
}

// The hash and the encrypted secret stay out of logs.
impl std::fmt::Debug for StaffAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffAccount")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("branch", &self.branch)
            .field("failures", &self.failures)
            .field("locked_at", &self.locked_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}
