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
