//! 手続き案内: the decision table of R2–R4, R6–R8, R10–R12. Given who is asking, what
//! happened and the facts of this contract, it returns the procedure staff should follow.

use super::credential::{CredentialKind, LoginMethod, UserRole};
use super::lockout::LockScope;

/// What the customer says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Situation {
    ForgotLoginId,
    /// Login or confirmation password forgotten.
    ForgotPassword,
    /// PIN or approval PIN forgotten.
    ForgotPin,
    WantsPinChange,
    WantsLoginIdChange,
    /// Mistyped a secret and is now refused.
    Mistyped,
    /// Wants to log in with a certificate on another PC.
    #[strum(serialize = "certificate_other_pc")]
    CertificateOnAnotherPc,
    LostToken,
    AddToken,
    TokenExpiring,
}

impl Situation {
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// What a customer locked out on `kind` is in when they say they forgot it: a password
    /// (login or confirmation) is re-registered (R3), a PIN re-registered (R4); a one-time
    /// password is never known by heart, so forgetting it means the token is not at hand.
    pub fn forgotten(kind: CredentialKind) -> Self {
        match kind {
            CredentialKind::LoginPassword | CredentialKind::ConfirmPassword => Self::ForgotPassword,
            CredentialKind::Pin | CredentialKind::ApprovalPin => Self::ForgotPin,
            CredentialKind::OneTimePassword => Self::LostToken,
        }
    }
}

/// Where the staff member is, relative to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// At a counter; `own_branch` when it is the customer's お取引店.
    Counter { own_branch: bool },
    /// The telephone center.
    Phone,
}

/// The facts of this contract and user that decide the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub asker: UserRole,
    pub contract_has_admin: bool,
    pub login_method: LoginMethod,
    pub has_certificate: bool,
    /// The widest open lock of the asking user, if any.
    pub open_lock: Option<LockScope>,
    pub has_token: bool,
    pub channel: Channel,
}

/// Who does it in the service, under 「管理」→「利用者管理」→「利用者情報の管理」.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InServiceBy {
    /// The master user or an admin user.
    MasterOrAdmin,
    /// An admin user (the master asking, when the contract has one).
    Admin,
}

/// The paper forms of R14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormKind {
    /// パスワード再登録 (login and/or confirmation password).
    PasswordReRegistration,
    /// 暗証番号・承認暗証番号変更
    PinChange,
    /// 解約・再申込
    CancelAndReapply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Procedure {
    /// R2: someone in the contract looks the login ID up; the bank does not reveal it.
    LookUpLoginId(InServiceBy),
    /// R3: someone in the contract re-registers the password.
    ReRegisterInService(InServiceBy),
    /// R2–R4, R14: the prescribed paper form at the counter.
    PaperForm(FormKind),
    /// R6 for ID・パスワード方式.
    ChangeLoginIdInService,
    /// R6: not possible after a certificate.
    LoginIdFixed,
    /// R1/R7: lift this lock after the identity check.
    Unlock(LockScope),
    /// Mistyped but nothing is locked: the customer can simply try again.
    NothingLocked,
    /// R8: create a general user and download that user's certificate on the other PC.
    GeneralUserForOtherPc,
    /// R10: disable the token now; reissue later at the counter.
    ReportLostToken,
    /// R9: add a hard token at the counter, with the fee.
    AddToken,
    /// R12: a replacement is mailed before expiry, at no fee.
    ReplacementByMail,
    /// The user holds no hard token to lose or replace.
    NoToken,
}

impl Procedure {
    /// A stable name for the ledger and the catalogs.
    pub fn code(self) -> &'static str {
        match self {
            Self::LookUpLoginId(InServiceBy::MasterOrAdmin) => "look_up_login_id_master_or_admin",
            Self::LookUpLoginId(InServiceBy::Admin) => "look_up_login_id_admin",
            Self::ReRegisterInService(InServiceBy::MasterOrAdmin) => "re_register_master_or_admin",
            Self::ReRegisterInService(InServiceBy::Admin) => "re_register_admin",
            Self::PaperForm(FormKind::PasswordReRegistration) => "form_password",
            Self::PaperForm(FormKind::PinChange) => "form_pin",
            Self::PaperForm(FormKind::CancelAndReapply) => "form_cancel_reapply",
            Self::ChangeLoginIdInService => "change_login_id_in_service",
            Self::LoginIdFixed => "login_id_fixed",
            Self::Unlock(LockScope::Service) => "unlock_service",
            Self::Unlock(LockScope::OtpServices) => "unlock_otp",
            Self::NothingLocked => "nothing_locked",
            Self::GeneralUserForOtherPc => "general_user_other_pc",
            Self::ReportLostToken => "report_lost_token",
            Self::AddToken => "add_token",
            Self::ReplacementByMail => "replacement_by_mail",
            Self::NoToken => "no_token",
        }
    }

    /// Procedures that only the customer's branch can carry out at its counter.
    pub fn needs_own_counter(self) -> bool {
        matches!(self, Self::PaperForm(_) | Self::AddToken)
    }

    /// Fee-bearing procedures (R9, R10 reissue, R13).
    pub fn has_fee(self) -> bool {
        matches!(self, Self::AddToken | Self::ReportLostToken)
    }
}

/// The answer staff give: the procedure, and whether this staff member can carry it out
/// or must send the customer to their branch (「窓口でのお手続きが必要です」).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub procedure: Procedure,
    pub send_to_branch: bool,
}

/// The decision table.
pub fn advise(situation: Situation, f: Facts) -> Answer {
    use Procedure as P;
    let in_service_by = match f.asker {
        UserRole::Admin | UserRole::General => Some(InServiceBy::MasterOrAdmin),
        UserRole::Master if f.contract_has_admin => Some(InServiceBy::Admin),
        UserRole::Master => None,
    };
    let procedure = match situation {
        Situation::ForgotLoginId => match in_service_by {
            Some(by) => P::LookUpLoginId(by),
            None => P::PaperForm(FormKind::CancelAndReapply),
        },
        Situation::ForgotPassword => match in_service_by {
            Some(by) => P::ReRegisterInService(by),
            None => P::PaperForm(FormKind::PasswordReRegistration),
        },
        Situation::ForgotPin | Situation::WantsPinChange => P::PaperForm(FormKind::PinChange),
        Situation::WantsLoginIdChange => {
            if f.has_certificate || f.login_method == LoginMethod::Certificate {
                P::LoginIdFixed
            } else {
                P::ChangeLoginIdInService
            }
        }
        Situation::Mistyped => match f.open_lock {
            Some(scope) => P::Unlock(scope),
            None => P::NothingLocked,
        },
        Situation::CertificateOnAnotherPc => P::GeneralUserForOtherPc,
        Situation::LostToken if f.has_token => P::ReportLostToken,
        Situation::TokenExpiring if f.has_token => P::ReplacementByMail,
        Situation::LostToken | Situation::TokenExpiring => P::NoToken,
        Situation::AddToken => P::AddToken,
    };
    let at_own_counter = f.channel == Channel::Counter { own_branch: true };
    let send_to_branch = match procedure {
        p if p.needs_own_counter() => !at_own_counter,
        // Unlock: at the customer's counter, or by phone from the telephone center.
        P::Unlock(_) => f.channel == Channel::Counter { own_branch: false },
        _ => false,
    };
    Answer { procedure, send_to_branch }
}

#[cfg(test)]
mod forgotten_tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn a_forgotten_secret_leads_to_its_own_procedure_never_to_the_login_id() {
        use CredentialKind as K;
        let table = [
            (K::LoginPassword, Situation::ForgotPassword),
            (K::ConfirmPassword, Situation::ForgotPassword),
            (K::Pin, Situation::ForgotPin),
            (K::ApprovalPin, Situation::ForgotPin),
            (K::OneTimePassword, Situation::LostToken),
        ];
        assert_eq!(table.len(), K::VARIANTS.len(), "every kind");
        for (kind, situation) in table {
            assert_eq!(Situation::forgotten(kind), situation, "{kind:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FormKind as F;
    use InServiceBy as By;
    use Procedure as P;
    use Situation as S;
    use UserRole as R;

    fn facts(asker: R, contract_has_admin: bool) -> Facts {
        Facts {
            asker,
            contract_has_admin,
            login_method: LoginMethod::Password,
            has_certificate: false,
            open_lock: None,
            has_token: true,
            channel: Channel::Counter { own_branch: true },
        }
    }

    /// Every row of the FAQ: (situation, asker, has admin) → procedure.
    #[test]
    fn faq_rows() {
        let table = [
            // マスターユーザ, 管理者ユーザを設定している場合
            (S::ForgotLoginId, R::Master, true, P::LookUpLoginId(By::Admin)),
            (S::ForgotPassword, R::Master, true, P::ReRegisterInService(By::Admin)),
            // マスターユーザ, 管理者ユーザを設定していない場合
            (S::ForgotLoginId, R::Master, false, P::PaperForm(F::CancelAndReapply)),
            (S::ForgotPassword, R::Master, false, P::PaperForm(F::PasswordReRegistration)),
            // 管理者ユーザ、一般ユーザ
            (S::ForgotLoginId, R::Admin, true, P::LookUpLoginId(By::MasterOrAdmin)),
            (S::ForgotLoginId, R::General, true, P::LookUpLoginId(By::MasterOrAdmin)),
            (S::ForgotLoginId, R::General, false, P::LookUpLoginId(By::MasterOrAdmin)),
            (S::ForgotPassword, R::Admin, true, P::ReRegisterInService(By::MasterOrAdmin)),
            (S::ForgotPassword, R::General, false, P::ReRegisterInService(By::MasterOrAdmin)),
            // 暗証番号・承認暗証番号: always the paper form
            (S::ForgotPin, R::Master, true, P::PaperForm(F::PinChange)),
            (S::ForgotPin, R::General, false, P::PaperForm(F::PinChange)),
            (S::WantsPinChange, R::Admin, true, P::PaperForm(F::PinChange)),
            // 電子証明書方式で複数のパソコン
            (S::CertificateOnAnotherPc, R::Master, false, P::GeneralUserForOtherPc),
            (S::CertificateOnAnotherPc, R::General, true, P::GeneralUserForOtherPc),
            // ログイン ID 変更 (ID・パスワード方式)
            (S::WantsLoginIdChange, R::General, true, P::ChangeLoginIdInService),
            // ハードトークン
            (S::AddToken, R::Master, false, P::AddToken),
            (S::LostToken, R::General, true, P::ReportLostToken),
            (S::TokenExpiring, R::Master, false, P::ReplacementByMail),
            // 間違えて入力 with nothing locked
            (S::Mistyped, R::Master, false, P::NothingLocked),
        ];
        for (situation, asker, has_admin, expected) in table {
            let answer = advise(situation, facts(asker, has_admin));
            assert_eq!(answer.procedure, expected, "{situation:?} {asker:?} admin={has_admin}");
            assert!(!answer.send_to_branch, "own counter can do {expected:?}");
        }
    }

    #[test]
    fn certificate_fixes_the_login_id() {
        for (method, cert, expected) in [
            (LoginMethod::Password, false, P::ChangeLoginIdInService),
            (LoginMethod::Password, true, P::LoginIdFixed),
            (LoginMethod::Certificate, true, P::LoginIdFixed),
        ] {
            let f = Facts { login_method: method, has_certificate: cert, ..facts(R::General, true) };
            assert_eq!(advise(S::WantsLoginIdChange, f).procedure, expected);
        }
    }

    #[test]
    fn mistyped_routes_to_the_open_lock() {
        for scope in [LockScope::Service, LockScope::OtpServices] {
            let f = Facts { open_lock: Some(scope), ..facts(R::Master, false) };
            assert_eq!(advise(S::Mistyped, f).procedure, P::Unlock(scope));
        }
    }

    #[test]
    fn no_token_means_nothing_to_lose_or_replace() {
        let f = Facts { has_token: false, ..facts(R::General, false) };
        assert_eq!(advise(S::LostToken, f).procedure, P::NoToken);
        assert_eq!(advise(S::TokenExpiring, f).procedure, P::NoToken);
        assert_eq!(advise(S::AddToken, f).procedure, P::AddToken);
    }

    #[test]
    fn counter_procedures_send_phone_and_other_branches_to_the_branch() {
        let locked = Facts { open_lock: Some(LockScope::Service), ..facts(R::Master, false) };
        // (situation, channel, send to branch)
        let table = [
            (S::ForgotPassword, Channel::Phone, true),
            (S::ForgotPassword, Channel::Counter { own_branch: false }, true),
            (S::ForgotPin, Channel::Phone, true),
            (S::ForgotLoginId, Channel::Phone, true),
            (S::AddToken, Channel::Phone, true),
            (S::AddToken, Channel::Counter { own_branch: false }, true),
            // Lost tokens are reported anywhere; unlocking works by phone too.
            (S::LostToken, Channel::Phone, false),
            (S::LostToken, Channel::Counter { own_branch: false }, false),
            (S::Mistyped, Channel::Phone, false),
            (S::Mistyped, Channel::Counter { own_branch: false }, true),
            (S::CertificateOnAnotherPc, Channel::Phone, false),
        ];
        for (situation, channel, expected) in table {
            let f = Facts { channel, ..locked };
            assert_eq!(advise(situation, f).send_to_branch, expected, "{situation:?} {channel:?}");
        }
    }
}
