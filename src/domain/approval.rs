//! 検印: the life of a request that needs a second pair of eyes. Pending, then approved or
//! rejected, once; never by the person who asked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use super::credential::CredentialKind;
use super::forms::FormRequest;
use super::unlock::IdentityCheck;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
    /// Withdrawn by its maker or a supervisor of the branch before a decision.
    Withdrawn,
}

impl RequestState {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// What a request asks a supervisor to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum RequestKind {
    /// R7: an unlock beyond the allowance of the window.
    Unlock,
    /// R14: パスワード再登録.
    FormPassword,
    /// R14: 暗証番号・承認暗証番号変更.
    FormPin,
    /// R14: 解約・再申込.
    FormCancel,
    /// R10: the new token of a reissue is handed over only after approval.
    TokenReissue,
    /// R13: a fee corrected by a reversing entry.
    FeeReversal,
    /// R13: a fee forgiven.
    FeeWaiver,
}

impl RequestKind {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// What a request carries, by kind: stored as JSON beside the request's kind, read back
/// whole or refused as damaged (never a default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RequestDetail {
    Unlock { lock: i64, identity: IdentityCheck, reason: String },
    FormPassword(FormDetail),
    FormPin(FormDetail),
    FormCancel(FormDetail),
    TokenReissue { token: i64, serial: String, lost_serial: String },
    FeeReversal(FeeDetail),
    FeeWaiver(FeeDetail),
}

/// A keyed paper form waiting for approval: the new secrets are stored hashed already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDetail {
    pub form_no: String,
    /// The form as printed (`password_login`, `pin`, `cancel_reapply`…).
    pub form: FormRequest,
    /// The stored hash of each new secret.
    pub secret_ids: BTreeMap<CredentialKind, i64>,
    /// Re-application: the new master's login ID.
    pub new_login_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeDetail {
    pub fee: i64,
    pub receipt: i64,
    pub reason: String,
}

impl RequestDetail {
    /// The request's kind.
    pub fn kind(&self) -> RequestKind {
        match self {
            Self::Unlock { .. } => RequestKind::Unlock,
            Self::FormPassword(_) => RequestKind::FormPassword,
            Self::FormPin(_) => RequestKind::FormPin,
            Self::FormCancel(_) => RequestKind::FormCancel,
            Self::TokenReissue { .. } => RequestKind::TokenReissue,
            Self::FeeReversal(_) => RequestKind::FeeReversal,
            Self::FeeWaiver(_) => RequestKind::FeeWaiver,
        }
    }
}

/// A request on the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: i64,
    pub branch: String,
    pub contract_id: Option<i64>,
    pub user_id: Option<i64>,
    /// The secret it concerns: the one an unlock lifts the lock of, or a form sets.
    pub credential: Option<CredentialKind>,
    pub detail: RequestDetail,
    pub state: RequestState,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl Request {
    pub fn kind(&self) -> RequestKind {
        self.detail.kind()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    Approve,
    Reject {
        reason: &'a str,
    },
    /// Taken back before a decision (a form keyed by mistake, a customer who changed
    /// their mind): by its maker, or by a supervisor of the branch.
    Withdraw {
        reason: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionError {
    /// Already approved or rejected (by someone else, perhaps on another terminal).
    NotPending,
    /// Maker-checker: nobody approves or rejects their own request.
    OwnRequest,
    /// A rejection says why, so the clerk can tell the customer.
    ReasonRequired,
}

/// The next state of a request, or why the decision is refused.
pub fn decide(
    state: RequestState,
    requested_by: &str,
    decided_by: &str,
    decision: &Decision<'_>,
) -> Result<RequestState, DecisionError> {
    if state != RequestState::Pending {
        return Err(DecisionError::NotPending);
    }
    if let Decision::Withdraw { reason } = decision {
        // The maker may take back their own request; a reason is kept either way.
        return if super::unlock::valid_reason(reason) {
            Ok(RequestState::Withdrawn)
        } else {
            Err(DecisionError::ReasonRequired)
        };
    }
    if requested_by == decided_by {
        return Err(DecisionError::OwnRequest);
    }
    match decision {
        Decision::Approve => Ok(RequestState::Approved),
        Decision::Reject { reason } if super::unlock::valid_reason(reason) => Ok(RequestState::Rejected),
        Decision::Reject { .. } => Err(DecisionError::ReasonRequired),
        Decision::Withdraw { .. } => Err(DecisionError::ReasonRequired),
    }
}

#[cfg(test)]
mod withdraw_tests {
    use super::*;

    #[test]
    fn a_pending_request_is_withdrawn_with_a_reason_by_its_maker_or_another() {
        let w = |reason| Decision::Withdraw { reason };
        assert_eq!(decide(RequestState::Pending, "clerk101", "clerk101", &w("記入誤り")), Ok(RequestState::Withdrawn));
        assert_eq!(decide(RequestState::Pending, "clerk101", "super101", &w("来店取消")), Ok(RequestState::Withdrawn));
        assert_eq!(decide(RequestState::Pending, "clerk101", "clerk101", &w("  ")), Err(DecisionError::ReasonRequired));
        for done in [RequestState::Approved, RequestState::Rejected, RequestState::Withdrawn] {
            assert_eq!(decide(done, "clerk101", "clerk101", &w("x")), Err(DecisionError::NotPending));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestState as S;

    #[test]
    fn a_request_detail_round_trips_and_a_damaged_one_is_refused() {
        let detail = RequestDetail::Unlock {
            lock: 7,
            identity: IdentityCheck::Phone { called_back: true },
            reason: "本人確認済み".into(),
        };
        let json = serde_json::to_string(&detail).expect("json");
        assert_eq!(
            json,
            r#"{"kind":"unlock","lock":7,"identity":{"channel":"phone","called_back":true},"reason":"本人確認済み"}"#
        );
        assert_eq!(serde_json::from_str::<RequestDetail>(&json).ok(), Some(detail));
        for damaged in [
            r#"{"kind":"unlock","identity":{"channel":"phone","called_back":true},"reason":"x"}"#,
            r#"{"kind":"unlock","lock":"7","identity":{"channel":"phone","called_back":true},"reason":"x"}"#,
            r#"{"kind":"unlok","lock":7}"#,
            r#"{"kind":"fee_waiver","fee":1,"receipt":2}"#,
        ] {
            assert!(serde_json::from_str::<RequestDetail>(damaged).is_err(), "{damaged}");
        }
    }

    #[test]
    fn every_edge() {
        let approve = Decision::Approve;
        let reject = Decision::Reject { reason: "記入漏れ" };
        let blank = Decision::Reject { reason: "  " };
        // (state, requested by, decided by, decision) → result
        let table = [
            (S::Pending, "clerk101", "super101", &approve, Ok(S::Approved)),
            (S::Pending, "clerk101", "super101", &reject, Ok(S::Rejected)),
            (S::Pending, "clerk101", "super101", &blank, Err(DecisionError::ReasonRequired)),
            (S::Pending, "super101", "super101", &approve, Err(DecisionError::OwnRequest)),
            (S::Pending, "super101", "super101", &reject, Err(DecisionError::OwnRequest)),
            (S::Approved, "clerk101", "super101", &approve, Err(DecisionError::NotPending)),
            (S::Approved, "clerk101", "super101", &reject, Err(DecisionError::NotPending)),
            (S::Rejected, "clerk101", "super101", &approve, Err(DecisionError::NotPending)),
            (S::Rejected, "clerk101", "super101", &reject, Err(DecisionError::NotPending)),
        ];
        for (state, by, decider, decision, expected) in table {
            assert_eq!(decide(state, by, decider, decision), expected, "{state:?} {by} {decider} {decision:?}");
        }
        for s in S::VARIANTS {
            assert_eq!(s.code().parse::<S>().ok(), Some(*s));
        }
    }
}
