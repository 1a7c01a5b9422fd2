//! Maker-checker requests (検印): the generic approval queue. What a request carries is
//! stored as JSON beside its kind and read back whole: a detail that does not parse is a
//! damaged row, never a default.

use chrono::{DateTime, Utc};

use super::integrity::{self, REQUESTS};
use super::sql::{Db, FromRow, Row};
use super::{Result, StoreError};
use crate::domain::approval::{Request, RequestDetail, RequestKind, RequestState};

pub struct NewRequest<'a> {
    pub branch: &'a str,
    pub contract_id: Option<i64>,
    pub user_id: Option<i64>,
    /// What makes two pending requests the same one (at most one is pending): the
    /// credential a form sets, or `fee:<id>` for a fee's reversal or waiver.
    pub dedupe: Option<&'a str>,
    pub detail: &'a RequestDetail,
    pub requested_by: &'a str,
    pub at: DateTime<Utc>,
}

pub fn insert(db: &mut dyn Db, r: &NewRequest<'_>) -> Result<i64> {
    let payload = serde_json::to_string(r.detail).map_err(|e| StoreError::Damaged(format!("request detail: {e}")))?;
    let id: i64 = db.value(
        "INSERT INTO requests (kind, branch, contract_id, user_id, credential, payload, requested_by, requested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        &[&r.detail.kind(), &r.branch, &r.contract_id, &r.user_id, &r.dedupe, &payload, &r.requested_by, &r.at],
    )?;
    integrity::inserted(db, &REQUESTS, &[&id])?;
    Ok(id)
}

/// Whether the user already has a pending request of this kind (for this credential): a
/// second would be refused by the one-pending rule.
pub fn pending_like(db: &mut dyn Db, kind: RequestKind, user_id: i64, dedupe: Option<&str>) -> Result<bool> {
    db.value(
        "SELECT EXISTS (SELECT 1 FROM requests WHERE kind = ?1 AND user_id = ?2 AND coalesce(credential, '') = ?3
                        AND state = 'pending')",
        &[&kind, &user_id, &dedupe.unwrap_or("")],
    )
}

/// Pending requests of a branch (all branches with `None`).
pub fn count_pending(db: &mut dyn Db, branch: Option<&str>) -> Result<i64> {
    db.value(
        "SELECT count(*) FROM requests WHERE state = 'pending' AND (CAST(?1 AS TEXT) IS NULL OR branch = ?1)",
        &[&branch],
    )
}

/// Requests matching `filter`, each read through its MAC.
fn select(db: &mut dyn Db, filter: &str, args: &[&dyn super::sql::ToSql]) -> Result<Vec<Request>> {
    db.sealed(&REQUESTS, &format!("SELECT {}, mac FROM requests WHERE {filter}", REQUESTS.columns), args)
}

/// How a withdrawal is kept: the state column's check predates withdrawal (widening it
/// means rebuilding the table in SQLite), so a withdrawn request is stored as closed
/// (`rejected`) with this mark in its payload, which its MAC covers. It is read back as
/// [`RequestState::Withdrawn`] and never shown as a rejection.
const WITHDRAWN: &str = "withdrawn";

/// The stored JSON with the row's kind as its tag, and whether it carries the withdrawal
/// mark: rows written before the tag was part of the JSON read the same, and a JSON that
/// names another kind is damage.
fn detail(kind: RequestKind, payload: &str) -> Result<(RequestDetail, bool)> {
    let damaged = |why: String| StoreError::Damaged(format!("request detail: {why}"));
    let mut v: serde_json::Value = serde_json::from_str(payload).map_err(|e| damaged(e.to_string()))?;
    let obj = v.as_object_mut().ok_or_else(|| damaged("not an object".into()))?;
    let withdrawn = match obj.remove(WITHDRAWN) {
        None => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(other) => return Err(damaged(format!("withdrawn mark {other}"))),
    };
    match obj.insert("kind".into(), serde_json::Value::from(kind.code())) {
        Some(serde_json::Value::String(k)) if k != kind.code() => {
            return Err(damaged(format!("kind {k} in a {kind:?} row")));
        }
        _ => {}
    }
    Ok((serde_json::from_value(v).map_err(|e| damaged(e.to_string()))?, withdrawn))
}

impl FromRow for Request {
    /// From the covered columns of `requests`.
    fn from_row(r: &Row) -> Result<Self> {
        let kind: RequestKind = r.get(1)?;
        let payload: String = r.get(5)?;
        // The secret of an unlock or a form is its dedupe key; a fee's key names the fee.
        let credential = match kind {
            RequestKind::FeeReversal | RequestKind::FeeWaiver | RequestKind::TokenReissue => None,
            _ => r.get(12)?,
        };
        let (detail, withdrawn) = detail(kind, &payload)?;
        let state: RequestState = r.get(6)?;
        let state = match (state, withdrawn) {
            (RequestState::Rejected, true) => RequestState::Withdrawn,
            (state, false) => state,
            (other, true) => {
                return Err(StoreError::Damaged(format!("request {}: withdrawn yet {other:?}", r.get::<i64>(0)?)));
            }
        };
        Ok(Self {
            id: r.get(0)?,
            branch: r.get(2)?,
            contract_id: r.get(3)?,
            user_id: r.get(4)?,
            credential,
            detail,
            state,
            requested_by: r.get(7)?,
            requested_at: r.get(8)?,
            decided_by: r.get(9)?,
            decided_at: r.get(10)?,
            reason: r.get(11)?,
        })
    }
}

pub fn get(db: &mut dyn Db, id: i64) -> Result<Option<Request>> {
    Ok(select(db, "id = ?1", &[&id])?.into_iter().next())
}

/// The pending queue of a branch, oldest first.
pub fn pending_for_branch(db: &mut dyn Db, branch: &str, limit: u32) -> Result<Vec<Request>> {
    select(db, "branch = ?1 AND state = 'pending' ORDER BY requested_at, id LIMIT ?2", &[&branch, &limit])
}

/// A user's requests that are pending or were decided since `since`, newest first.
pub fn recent_for_user(db: &mut dyn Db, user_id: i64, since: DateTime<Utc>) -> Result<Vec<Request>> {
    select(db, "user_id = ?1 AND (state = 'pending' OR decided_at >= ?2) ORDER BY id DESC", &[&user_id, &since])
}

/// A decision on a pending request.
pub struct Decided<'a> {
    pub state: RequestState,
    pub by: &'a str,
    pub at: DateTime<Utc>,
    pub reason: Option<&'a str>,
}

/// Records a decision; false when the request was no longer pending (decided meanwhile
/// on another terminal), so that exactly one decision wins.
pub fn decide(db: &mut dyn Db, id: i64, d: &Decided<'_>) -> Result<bool> {
    // A withdrawal is stored as closed with its mark in the payload (see `WITHDRAWN`).
    let (state, payload) = if d.state == RequestState::Withdrawn {
        let payload: Option<String> = db.scalar("SELECT payload FROM requests WHERE id = ?1", &[&id])?;
        let mut v: serde_json::Value = serde_json::from_str(payload.as_deref().unwrap_or("{}"))
            .map_err(|e| StoreError::Damaged(format!("request detail: {e}")))?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert(WITHDRAWN.into(), serde_json::Value::Bool(true));
        }
        (RequestState::Rejected, Some(v.to_string()))
    } else {
        (d.state, None)
    };
    let n = integrity::update_sealed(
        db,
        &REQUESTS,
        "UPDATE requests SET state = ?2, decided_by = ?3, decided_at = ?4, reason = ?5,
                             payload = coalesce(CAST(?6 AS TEXT), payload)
         WHERE id = ?1 AND state = 'pending'",
        &[&id, &state, &d.by, &d.at, &d.reason, &payload],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_is_read_as_its_rows_kind_or_refused() {
        let stored = r#"{"fee": 3, "receipt": 12, "reason": "二重入力"}"#;
        assert!(
            matches!(detail(RequestKind::FeeWaiver, stored), Ok((RequestDetail::FeeWaiver(f), false)) if f.receipt == 12)
        );
        assert!(matches!(detail(RequestKind::FeeReversal, stored), Ok((RequestDetail::FeeReversal(_), false))));
        let withdrawn = r#"{"fee": 3, "receipt": 12, "reason": "二重入力", "withdrawn": true}"#;
        assert!(matches!(detail(RequestKind::FeeWaiver, withdrawn), Ok((_, true))));
        assert!(detail(RequestKind::FeeWaiver, r#"{"fee": 3, "receipt": 12, "reason": "x", "withdrawn": 1}"#).is_err());
        // The JSON of another kind, a missing field, not JSON: damaged, never a default.
        assert!(detail(RequestKind::Unlock, stored).is_err());
        assert!(
            detail(RequestKind::FeeWaiver, r#"{"kind":"fee_reversal","fee":3,"receipt":12,"reason":"x"}"#).is_err()
        );
        assert!(detail(RequestKind::FeeWaiver, r#"{"fee": 3, "reason": "x"}"#).is_err());
        assert!(detail(RequestKind::FeeWaiver, "[]").is_err());
        assert!(detail(RequestKind::FeeWaiver, "").is_err());
    }
}
