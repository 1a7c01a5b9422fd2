//! Typed errors of the use cases: facts about what went wrong. The words a person reads
//! are made at the edges (`crate::messages`), in their language.

use std::path::PathBuf;

use strum::{IntoStaticStr, VariantArray};

use crate::domain::permission::Denied;
use crate::keyfile::KeyError;
use crate::secret::SecretError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("key file {0} does not belong to this ledger")]
    WrongKey(PathBuf),
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A value typed by a person or a script that cannot be used, or a step the rules
    /// refuse; nothing was written.
    #[error("refused: {0:?}")]
    Invalid(Problem),
    #[error("not found: {0:?}")]
    NotFound(Missing),
    /// Staff login refused: unknown ID and wrong password look the same.
    #[error("wrong staff ID or password")]
    BadLogin { remaining: u32 },
    #[error("staff account locked")]
    StaffLocked,
    #[error("staff account disabled")]
    StaffDisabled,
    /// Refused because the ledger is not a demo ledger (e.g. `tokens code`).
    #[error("demo ledgers only")]
    DemoOnly,
    /// The ledger failed its integrity check when opened or about to be written: its chain
    /// does not hold the sealed or anchored head, or an entry is broken. Nothing is written
    /// until an administrator accepts the break. `head` is the ledger's last entry.
    #[error("the ledger failed its integrity check")]
    Tampered { found: crate::domain::audit::Break, head: i64 },
    /// Someone else changed it first (two terminals): who did it.
    #[error("already done by {by}")]
    AlreadyDone { by: String },
}

impl ServiceError {
    /// No ledger at the path (a first start creates the demo ledger there).
    pub fn is_missing_ledger(&self) -> bool {
        matches!(self, Self::Store(StoreError::Missing))
    }

    /// The shared ledger's server cannot be reached (the step was not recorded).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Store(StoreError::Unreachable(_)))
    }

    /// The ledger failed an integrity check (exit code 3).
    pub fn is_tampering(&self) -> bool {
        matches!(self, Self::Tampered { .. } | Self::Store(StoreError::Tampered(_) | StoreError::Schema(_)))
    }
}

impl From<Problem> for ServiceError {
    fn from(p: Problem) -> Self {
        Self::Invalid(p)
    }
}

/// What was wrong with the input, or which rule refused the step. Each has a message in
/// both languages under `err.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Problem {
    // The ledger's integrity.
    AcceptReason,
    NothingToAccept,
    // Hand-over of a token.
    TokenHandOverLocked,
    TokenHandOverNotLocked,
    // Staff accounts.
    StaffId,
    StaffName,
    StaffPasswordPolicy,
    StaffExists,
    UnknownBranch,
    TotpSupervisorsOnly,
    TotpNotEnrolled,
    TotpWrong,
    TotpReplayed,
    // Unlock (R7) and requests.
    IdentityDocument,
    IdentitySeal,
    IdentityCallback,
    IdentityChannel,
    Reason,
    NothingLocked,
    UnlockPending,
    OwnRequest,
    /// A date not typed as YYYY-MM-DD.
    BadDate,
    // Paper forms (R14).
    FormBadDate,
    FormNumber,
    FormNumberUsed,
    FormFutureDate,
    FormStaleDate,
    FormBroughtBy,
    FormSecretMissing,
    FormSecretMismatch,
    FormPasswordPolicy,
    FormPinPolicy,
    FormPending,
    FormNotForUser,
    FormCancelNotNeeded,
    LoginIdFormat,
    LoginIdTaken,
    ContractCancelled,
    // Hard tokens (R9–R12).
    TokenUnknown,
    TokenOtherBranch,
    TokenNotInStock,
    TokenNone,
    TokenNotLost,
    TokenLostReissue,
    TokenAlreadyHeld,
    TokenWaiting,
    TokenNothingToHandOver,
    TokenReissueNotApproved,
    TokenExpired,
    TokenCodeWrong,
    /// No code typed for a hand-over.
    TokenCodeMissing,
    /// The user has no pending request to withdraw.
    NothingToWithdraw,
    /// No step chosen on the Hard token screen.
    TokenStepNotChosen,
    TokenCodeReplayed,
    TrackingNo,
    WithinDays,
    ImportDuplicateInLedger,
    // Fees (R13).
    FeeNotReversible,
    FeeAlreadyReversed,
    /// Another terminal kept printing the same document while this one drew it.
    PrintedMeanwhile,
    // The channel service's callers.
    ApiKeyName,
    ApiKeyExists,
}

impl Problem {
    /// The catalog key of its message.
    pub fn key(self) -> String {
        format!("err.{}", <&'static str>::from(self))
    }
}

/// What was looked for and not found. Each is named under `msg.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Missing {
    ApiKey,
    Contract,
    CustomerUser,
    Fee,
    Lock,
    Receipt,
    Request,
    StaffAccount,
    Token,
}

impl Missing {
    pub fn key(self) -> String {
        format!("msg.{}", <&'static str>::from(self))
    }
}
