//! R14: the prescribed paper forms as keyed at the counter.

use chrono::{Duration, NaiveDate};

use super::credential::{CredentialKind, UserRole};

/// What a paper form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormRequest {
    /// パスワード再登録: the login or the confirmation password (R3).
    PasswordReRegistration(CredentialKind),
    /// 暗証番号・承認暗証番号変更 (R4).
    PinChange(CredentialKind),
    /// 解約・再申込 (R2): the contract is cancelled and a new one opened.
    CancelAndReapply,
}

impl FormRequest {
    pub const ALL: [Self; 5] = [
        Self::PasswordReRegistration(CredentialKind::LoginPassword),
        Self::PasswordReRegistration(CredentialKind::ConfirmPassword),
        Self::PinChange(CredentialKind::Pin),
        Self::PinChange(CredentialKind::ApprovalPin),
        Self::CancelAndReapply,
    ];

    /// The request kind in the approval queue.
    pub fn request_kind(self) -> &'static str {
        match self {
            Self::PasswordReRegistration(_) => "form_password",
            Self::PinChange(_) => "form_pin",
            Self::CancelAndReapply => "form_cancel",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::PasswordReRegistration(CredentialKind::ConfirmPassword) => "password_confirm",
            Self::PasswordReRegistration(_) => "password_login",
            Self::PinChange(CredentialKind::ApprovalPin) => "approval_pin",
            Self::PinChange(_) => "pin",
            Self::CancelAndReapply => "cancel_reapply",
        }
    }

    /// The secret the form sets, if it sets one.
    pub fn credential(self) -> Option<CredentialKind> {
        match self {
            Self::PasswordReRegistration(k) | Self::PinChange(k) => Some(k),
            Self::CancelAndReapply => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    /// Not the printed format: eight digits.
    FormNumber,
    /// Received in the future.
    FutureDate,
    /// Received more than [`MAX_AGE_DAYS`] ago: a stale form is not keyed.
    StaleDate,
    /// R3: this user's password is re-registered in the service by the master or an admin.
    NotForThisUser,
    /// R2: a contract is cancelled and re-applied for only when its master forgot the login
    /// ID and there is no admin user.
    CancelNotNeeded,
}

/// How old a received form may be when it is keyed.
pub const MAX_AGE_DAYS: i64 = 90;

/// Form numbers are the eight digits printed on the form.
pub fn valid_form_number(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The date received: not in the future, not older than [`MAX_AGE_DAYS`].
pub fn check_received(received: NaiveDate, today: NaiveDate) -> Result<(), FormProblem> {
    if received > today {
        Err(FormProblem::FutureDate)
    } else if received < today - Duration::days(MAX_AGE_DAYS) {
        Err(FormProblem::StaleDate)
    } else {
        Ok(())
    }
}

/// Whether this form applies to this user of this contract (R2–R4).
pub fn applies(form: FormRequest, role: UserRole, contract_has_admin: bool) -> Result<(), FormProblem> {
    match form {
        // Only the master of a contract without an admin user needs the bank (R3).
        FormRequest::PasswordReRegistration(_) if role == UserRole::Master && !contract_has_admin => Ok(()),
        FormRequest::PasswordReRegistration(_) => Err(FormProblem::NotForThisUser),
        FormRequest::PinChange(_) => Ok(()),
        FormRequest::CancelAndReapply if role == UserRole::Master && !contract_has_admin => Ok(()),
        FormRequest::CancelAndReapply => Err(FormProblem::CancelNotNeeded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialKind as K;
    use FormRequest as F;
    use UserRole as R;

    #[test]
    fn form_numbers_and_dates() {
        for (s, ok) in [
            ("12345678", true),
            ("1234567", false),
            ("123456789", false),
            ("1234567a", false),
            ("１２３４５６７８", false),
        ] {
            assert_eq!(valid_form_number(s), ok, "{s}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(check_received(today, today), Ok(()));
        assert_eq!(check_received(d(2026, 11, 26), today), Err(FormProblem::FutureDate));
        assert_eq!(check_received(d(2026, 8, 27), today), Ok(()));
        assert_eq!(check_received(d(2026, 8, 26), today), Err(FormProblem::StaleDate));
    }

    #[test]
    fn which_forms_apply_to_whom() {
        let table = [
            (F::PasswordReRegistration(K::LoginPassword), R::Master, false, Ok(())),
            (F::PasswordReRegistration(K::ConfirmPassword), R::Master, false, Ok(())),
            (F::PasswordReRegistration(K::LoginPassword), R::Master, true, Err(FormProblem::NotForThisUser)),
            (F::PasswordReRegistration(K::LoginPassword), R::General, false, Err(FormProblem::NotForThisUser)),
            (F::PasswordReRegistration(K::LoginPassword), R::Admin, true, Err(FormProblem::NotForThisUser)),
            (F::PinChange(K::Pin), R::General, true, Ok(())),
            (F::PinChange(K::ApprovalPin), R::Master, false, Ok(())),
            (F::CancelAndReapply, R::Master, false, Ok(())),
            (F::CancelAndReapply, R::Master, true, Err(FormProblem::CancelNotNeeded)),
            (F::CancelAndReapply, R::General, false, Err(FormProblem::CancelNotNeeded)),
        ];
        for (form, role, admin, expected) in table {
            assert_eq!(applies(form, role, admin), expected, "{form:?} {role:?} admin={admin}");
        }
    }
}
