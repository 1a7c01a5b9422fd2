//! R5: who may change which password in the service, and when it takes effect;
//! R6: whether a login ID can be changed.

use super::credential::{CredentialKind, LoginMethod, UserRole};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakesEffect {
    /// 次回ログイン時から (the login password).
    NextLogin,
    /// リアルタイム (the confirmation password).
    Immediately,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// Only the master user may change the confirmation password.
    OnlyMasterChangesConfirm,
    /// PINs change only by the prescribed paper form (R4); the OTP is not a stored secret.
    PaperFormOnly,
}

/// R5. The FAQ names master and general users for the login password; an admin user is
/// a user of the service too and changes their own login password the same way.
pub fn self_change(role: UserRole, kind: CredentialKind) -> Result<TakesEffect, ChangeRefusal> {
    match (kind, role) {
        (CredentialKind::LoginPassword, _) => Ok(TakesEffect::NextLogin),
        (CredentialKind::ConfirmPassword, UserRole::Master) => Ok(TakesEffect::Immediately),
        (CredentialKind::ConfirmPassword, _) => Err(ChangeRefusal::OnlyMasterChangesConfirm),
        (CredentialKind::Pin | CredentialKind::ApprovalPin | CredentialKind::OneTimePassword, _) => {
            Err(ChangeRefusal::PaperFormOnly)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginIdChange {
    /// ID・パスワード方式: the contract's admin changes it under 「利用者情報の管理」.
    ByAdminInService,
    /// 電子証明書の取得後は変更できません.
    NotAfterCertificate,
}

/// R6: once a certificate has been obtained, the login ID is fixed.
pub fn login_id_change(method: LoginMethod, has_certificate: bool) -> LoginIdChange {
    if has_certificate || method == LoginMethod::Certificate {
        LoginIdChange::NotAfterCertificate
    } else {
        LoginIdChange::ByAdminInService
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialKind as K;
    use UserRole as R;

    #[test]
    fn r5_table() {
        let table = [
            (R::Master, K::LoginPassword, Ok(TakesEffect::NextLogin)),
            (R::General, K::LoginPassword, Ok(TakesEffect::NextLogin)),
            (R::Admin, K::LoginPassword, Ok(TakesEffect::NextLogin)),
            (R::Master, K::ConfirmPassword, Ok(TakesEffect::Immediately)),
            (R::General, K::ConfirmPassword, Err(ChangeRefusal::OnlyMasterChangesConfirm)),
            (R::Admin, K::ConfirmPassword, Err(ChangeRefusal::OnlyMasterChangesConfirm)),
            (R::Master, K::Pin, Err(ChangeRefusal::PaperFormOnly)),
            (R::General, K::ApprovalPin, Err(ChangeRefusal::PaperFormOnly)),
            (R::Master, K::OneTimePassword, Err(ChangeRefusal::PaperFormOnly)),
        ];
        for (role, kind, expected) in table {
            assert_eq!(self_change(role, kind), expected, "{role:?} {kind:?}");
        }
    }

    #[test]
    fn r6_table() {
        let table = [
            (LoginMethod::Password, false, LoginIdChange::ByAdminInService),
            (LoginMethod::Password, true, LoginIdChange::NotAfterCertificate),
            (LoginMethod::Certificate, true, LoginIdChange::NotAfterCertificate),
            (LoginMethod::Certificate, false, LoginIdChange::NotAfterCertificate),
        ];
        for (method, cert, expected) in table {
            assert_eq!(login_id_change(method, cert), expected, "{method:?} {cert}");
        }
    }
}
