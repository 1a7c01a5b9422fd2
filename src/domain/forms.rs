//! R14: the prescribed paper forms as keyed at the counter.

use chrono::{Duration, NaiveDate};

use super::credential::{CredentialKind, UserRole};
use super::unlock::IdDocument;

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

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
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

/// Stored by its printed name (`password_login`, `pin`, `cancel_reapply`…).
impl serde::Serialize for FormRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for FormRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Self::from_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown form {code:?}")))
    }
}

/// A paper form as keyed, for the approver to check against the paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedForm {
    pub form_no: String,
    pub received_on: NaiveDate,
    pub brought_by: String,
    pub id_document: IdDocument,
    pub seal_checked: bool,
    pub keyed_by: String,
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
