//! R7: when an unlock needs a supervisor's approval.

use chrono::{DateTime, Duration, Utc};

/// True when the user was already unlocked `approval_after` times within the last
/// `window_days` days, so the next unlock waits for a supervisor (default: the third
/// unlock within 30 days).
pub fn needs_approval(
    earlier_unlocks: &[DateTime<Utc>],
    now: DateTime<Utc>,
    approval_after: u32,
    window_days: u32,
) -> bool {
    let since = now - Duration::days(i64::from(window_days));
    let recent = earlier_unlocks.iter().filter(|t| **t > since && **t <= now).count();
    recent >= approval_after as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().expect("valid date")
    }

    #[test]
    fn third_unlock_within_the_window_needs_approval() {
        let now = at(31, 12);
        // (earlier unlocks, needs approval)
        let table: [(&[DateTime<Utc>], bool); 6] = [
            (&[], false),
            (&[at(30, 9)], false),
            (&[at(30, 9), at(31, 9)], true),
            // 30 days back to the hour falls out of the window
            (&[at(1, 12), at(31, 9)], false),
            (&[at(1, 13), at(31, 9)], true),
            (&[at(2, 0), at(3, 0), at(4, 0)], true),
        ];
        for (earlier, expected) in table {
            assert_eq!(needs_approval(earlier, now, 2, 30), expected, "{earlier:?}");
        }
    }

    #[test]
    fn the_clock_moving_past_the_window_frees_the_user() {
        let unlocks = [at(1, 12), at(2, 12)];
        assert!(needs_approval(&unlocks, at(3, 12), 2, 30));
        assert!(needs_approval(&unlocks, at(31, 11), 2, 30));
        // 30 days after the first unlock only one remains in the window.
        assert!(!needs_approval(&unlocks, at(31, 12), 2, 30));
        assert!(!needs_approval(&unlocks, at(31, 12), 3, 30));
        // approval_after = 0 means every unlock needs approval.
        assert!(needs_approval(&[], at(31, 12), 0, 30));
    }
}

/// The identity documents staff record at the counter: the kind only, never the number.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IdDocument {
    /// 運転免許証
    DriversLicense,
    /// マイナンバーカード
    MyNumberCard,
    /// パスポート
    Passport,
    /// 健康保険証
    HealthInsurance,
    /// 在留カード
    ResidenceCard,
    /// その他（官公庁発行の顔写真付き書類）
    OtherPhotoId,
}

impl IdDocument {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// R7: what staff checked before lifting a lock. Recorded on the ledger as
/// `{"channel": "counter", "document": …, "seal_matched": …}` or
/// `{"channel": "phone", "called_back": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum IdentityCheck {
    /// At the counter: an identity document and the registered seal (届出印照合).
    Counter { document: Option<IdDocument>, seal_matched: bool },
    /// By phone: a call back to the registered number.
    Phone { called_back: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityProblem {
    NoDocument,
    SealNotMatched,
    NoCallBack,
    /// A counter check recorded by phone staff or the other way round.
    WrongChannel,
}

/// Whether the recorded check is complete for the channel the staff member works on.
pub fn identity_complete(by_phone: bool, check: IdentityCheck) -> Result<(), IdentityProblem> {
    match (by_phone, check) {
        (false, IdentityCheck::Counter { document: None, .. }) => Err(IdentityProblem::NoDocument),
        (false, IdentityCheck::Counter { seal_matched: false, .. }) => Err(IdentityProblem::SealNotMatched),
        (false, IdentityCheck::Counter { .. }) => Ok(()),
        (true, IdentityCheck::Phone { called_back: false }) => Err(IdentityProblem::NoCallBack),
        (true, IdentityCheck::Phone { called_back: true }) => Ok(()),
        _ => Err(IdentityProblem::WrongChannel),
    }
}

/// Longest reason kept, in characters.
pub const REASON_MAX: usize = 200;

/// A reason is required, readable and short.
pub fn valid_reason(reason: &str) -> bool {
    let r = reason.trim();
    !r.is_empty() && r.chars().count() <= REASON_MAX && !r.chars().any(char::is_control)
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    #[test]
    fn identity_checks_by_channel() {
        let doc = Some(IdDocument::DriversLicense);
        let table = [
            (false, IdentityCheck::Counter { document: doc, seal_matched: true }, Ok(())),
            (false, IdentityCheck::Counter { document: None, seal_matched: true }, Err(IdentityProblem::NoDocument)),
            (
                false,
                IdentityCheck::Counter { document: doc, seal_matched: false },
                Err(IdentityProblem::SealNotMatched),
            ),
            (false, IdentityCheck::Phone { called_back: true }, Err(IdentityProblem::WrongChannel)),
            (true, IdentityCheck::Phone { called_back: true }, Ok(())),
            (true, IdentityCheck::Phone { called_back: false }, Err(IdentityProblem::NoCallBack)),
            (true, IdentityCheck::Counter { document: doc, seal_matched: true }, Err(IdentityProblem::WrongChannel)),
        ];
        for (phone, check, expected) in table {
            assert_eq!(identity_complete(phone, check), expected, "{phone} {check:?}");
        }
    }

    #[test]
    fn reasons() {
        assert!(valid_reason("本人来店、誤入力のため"));
        assert!(!valid_reason("   "));
        assert!(!valid_reason("a\x1bb"));
        assert!(!valid_reason(&"長".repeat(REASON_MAX + 1)));
        assert!(valid_reason(&"長".repeat(REASON_MAX)));
    }
}
