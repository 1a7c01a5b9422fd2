//! The customer's secrets and the user roles of a contract (SPEC §2).

use serde::Serialize;

/// One kind of secret a customer user types into the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// ログインパスワード
    LoginPassword,
    /// 確認用パスワード
    ConfirmPassword,
    /// ワンタイムパスワード (from the hard token)
    OneTimePassword,
    /// 暗証番号
    Pin,
    /// 承認暗証番号
    ApprovalPin,
}

impl CredentialKind {
    pub const ALL: [Self; 5] =
        [Self::LoginPassword, Self::ConfirmPassword, Self::OneTimePassword, Self::Pin, Self::ApprovalPin];

    /// The name stored in the ledger and used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Self::LoginPassword => "login",
            Self::ConfirmPassword => "confirm",
            Self::OneTimePassword => "otp",
            Self::Pin => "pin",
            Self::ApprovalPin => "approval-pin",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Secrets kept as an argon2id hash (the OTP is checked against the token instead).
    pub fn is_stored_secret(self) -> bool {
        !matches!(self, Self::OneTimePassword)
    }
}

/// A user's role within the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// マスターユーザ: exactly one per contract.
    Master,
    /// 管理者ユーザ
    Admin,
    /// 一般ユーザ
    General,
}

impl UserRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Master => "master",
            Self::Admin => "admin",
            Self::General => "general",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [Self::Master, Self::Admin, Self::General].into_iter().find(|r| r.code() == s)
    }
}

/// How a user logs in to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    /// ID・パスワード方式
    Password,
    /// 電子証明書方式
    Certificate,
}

impl LoginMethod {
    pub fn code(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Certificate => "certificate",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [Self::Password, Self::Certificate].into_iter().find(|m| m.code() == s)
    }
}
