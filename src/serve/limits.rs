//! Per-login-ID and per-source limits: a guessing storm against one ID, or from one
//! address, is turned away (429) before it takes a worker, so that other customers keep
//! theirs. The limits count attempts, not failures: R1 still counts every wrong secret
//! that is checked, and an unknown ID is limited exactly like a known one.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A fixed window per key: at most `per_minute` in any window of a minute that starts at
/// a key's first attempt.
pub struct Limiter {
    per_minute: u32,
    seen: HashMap<String, (Instant, u32)>,
    swept: Instant,
}

const WINDOW: Duration = Duration::from_secs(60);

impl Limiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, seen: HashMap::new(), swept: Instant::now() }
    }

    /// Counts an attempt for `key`: `Ok` when within the limit, else how long until the
    /// window ends.
    pub fn take(&mut self, key: &str, now: Instant) -> Result<(), Duration> {
        if now.duration_since(self.swept) > WINDOW {
            // Old windows are dropped now and then, so the map stays the size of a minute.
            self.seen.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            self.swept = now;
        }
        let entry = self.seen.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            return Err(WINDOW.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Whether `key` has used its share of the current minute (nothing is counted).
    pub fn exhausted(&self, key: &str, now: Instant) -> bool {
        self.seen.get(key).is_some_and(|(start, n)| now.duration_since(*start) < WINDOW && *n >= self.per_minute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_share_a_minute_and_others_are_untouched() {
        let mut l = Limiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take("yamada-m", t0).is_ok());
        }
        let wait = l.take("yamada-m", t0 + Duration::from_secs(10)).expect_err("over the limit");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(l.take("aozora-m", t0 + Duration::from_secs(10)).is_ok(), "another ID is not held back");
        assert!(l.take("yamada-m", t0 + Duration::from_secs(61)).is_ok(), "a new minute");
    }
}
