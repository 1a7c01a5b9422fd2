//! Typed errors of the use cases, each with a message in the UI language.

use std::path::PathBuf;

use crate::domain::permission::Denied;
use crate::i18n::{Lang, t, tf};
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
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A value typed by a person or a script that cannot be used; `key` is the catalog key
    /// of the message, `field` what it was about.
    #[error("invalid {field}: {key}")]
    Invalid { field: &'static str, key: &'static str },
    #[error("not found: {0}")]
    NotFound(&'static str),
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
    /// Someone else changed it first (two terminals): who did it.
    #[error("already done by {by}")]
    AlreadyDone { by: String },
}

impl ServiceError {
    /// A value that cannot be used: which field, and the catalog key of the message.
    pub fn invalid(field: &'static str, key: &'static str) -> Self {
        Self::Invalid { field, key }
    }

    /// The message a person reads, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Self::Store(e) => match e {
                StoreError::Missing => t(lang, "err.ledger_missing").into(),
                StoreError::ReadOnly => t(lang, "err.ledger_read_only").into(),
                StoreError::Busy => t(lang, "err.ledger_busy").into(),
                StoreError::Corrupt(d) => tf(lang, "err.ledger_corrupt", &[("detail", d)]),
                StoreError::TooNew { found, known } => {
                    tf(lang, "err.ledger_too_new", &[("found", &found.to_string()), ("known", &known.to_string())])
                }
                StoreError::Duplicate => t(lang, "err.duplicate").into(),
                StoreError::Other(d) => tf(lang, "err.ledger_other", &[("detail", d)]),
            },
            Self::Key(e) => match e {
                KeyError::Missing(p) => tf(lang, "err.key_missing", &[("path", &p.display().to_string())]),
                KeyError::Malformed(p) => tf(lang, "err.key_malformed", &[("path", &p.display().to_string())]),
                KeyError::Exists(p) => tf(lang, "err.exists", &[("path", &p.display().to_string())]),
                KeyError::Unreadable { path, message } => {
                    tf(lang, "err.key_unreadable", &[("path", &path.display().to_string()), ("detail", message)])
                }
            },
            Self::WrongKey(p) => tf(lang, "err.key_wrong", &[("path", &p.display().to_string())]),
            Self::Exists(p) => tf(lang, "err.exists", &[("path", &p.display().to_string())]),
            Self::Io(d) => tf(lang, "err.io", &[("detail", d)]),
            Self::Denied(d) => match d {
                Denied::Role => t(lang, "err.denied_role").into(),
                Denied::OtherBranch { customer_branch } => tf(
                    lang,
                    "err.denied_other_branch",
                    &[("branch", &tf(lang, "msg.branch_code", &[("code", customer_branch)]))],
                ),
                Denied::CounterOnly { customer_branch } => tf(
                    lang,
                    "err.denied_counter_only",
                    &[("branch", &tf(lang, "msg.branch_code", &[("code", customer_branch)]))],
                ),
            },
            Self::Secret(SecretError::Hash) => t(lang, "err.hash").into(),
            Self::Secret(SecretError::Decrypt) => t(lang, "err.decrypt").into(),
            Self::Invalid { key, .. } => t(lang, key).into(),
            Self::NotFound(what) => tf(lang, "err.not_found", &[("what", t(lang, what))]),
            Self::BadLogin { remaining } => tf(lang, "err.bad_login", &[("remaining", &remaining.to_string())]),
            Self::StaffLocked => t(lang, "err.staff_locked").into(),
            Self::StaffDisabled => t(lang, "err.staff_disabled").into(),
            Self::DemoOnly => t(lang, "err.demo_only").into(),
            Self::AlreadyDone { by } => tf(lang, "err.already_done", &[("by", by)]),
        }
    }
}
