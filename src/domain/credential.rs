//! The customer's secrets and the user roles of a contract (docs/spec.md §2).

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

/// One kind of secret a customer user types into the service. Its name (`login`,
/// `confirm`, `otp`, `pin`, `approval-pin`) is stored in the ledger and used on the
/// command line and in `ib --json`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
pub enum CredentialKind {
    /// ログインパスワード
    #[strum(serialize = "login")]
    #[serde(rename = "login")]
    LoginPassword,
    /// 確認用パスワード
    #[strum(serialize = "confirm")]
    #[serde(rename = "confirm")]
    ConfirmPassword,
    /// ワンタイムパスワード (from the hard token)
    #[strum(serialize = "otp")]
    #[serde(rename = "otp")]
    OneTimePassword,
    /// 暗証番号
    #[strum(serialize = "pin")]
    #[serde(rename = "pin")]
    Pin,
    /// 承認暗証番号
    #[strum(serialize = "approval-pin")]
    #[serde(rename = "approval-pin")]
    ApprovalPin,
}

impl CredentialKind {
    /// The name stored in the ledger and used on the command line.
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// Secrets kept as an argon2id hash (the OTP is checked against the token instead).
    pub fn is_stored_secret(self) -> bool {
        !matches!(self, Self::OneTimePassword)
    }
}

/// A user's role within the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumString, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
        self.into()
    }
}

/// How a user logs in to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LoginMethod {
    /// ID・パスワード方式
    Password,
    /// 電子証明書方式
    Certificate,
}

impl LoginMethod {
    pub fn code(self) -> &'static str {
        self.into()
    }
}
