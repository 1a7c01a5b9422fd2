//! 検印: the life of a request that needs a second pair of eyes. Pending, then approved or
//! rejected, once; never by the person who asked.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
}

impl RequestState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected].into_iter().find(|r| r.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    Approve,
    Reject { reason: &'a str },
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
    if requested_by == decided_by {
        return Err(DecisionError::OwnRequest);
    }
    match decision {
        Decision::Approve => Ok(RequestState::Approved),
        Decision::Reject { reason } if super::unlock::valid_reason(reason) => Ok(RequestState::Rejected),
        Decision::Reject { .. } => Err(DecisionError::ReasonRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestState as S;

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
        for s in [S::Pending, S::Approved, S::Rejected] {
            assert_eq!(S::from_code(s.code()), Some(s));
        }
    }
}
