//! Who may call: the bank's front end, by the API key an administrator gave it
//! (`Authorization: Bearer mdg_…`). A key is checked once with argon2 against the
//! ledger; the check is then remembered by the key's SHA-256 while the key stays active.
//! The list of active keys is read again every two seconds, so a revoked key is refused
//! within that time by every server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::service::Ledger;

/// How often the active keys are read again.
pub const REFRESH: Duration = Duration::from_secs(2);

pub struct Callers {
    ledger: Mutex<Ledger>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// SHA-256 of a checked key → (its id, the caller's name).
    checked: HashMap<[u8; 32], (i64, String)>,
    active: Vec<i64>,
    read_at: Option<Instant>,
}

impl Callers {
    pub fn new(ledger: Ledger) -> Arc<Self> {
        Arc::new(Self { ledger: Mutex::new(ledger), state: Mutex::new(State::default()) })
    }

    /// The caller of a key checked before and still active, without blocking: the path of
    /// nearly every request. `None` when the key must be checked ([`identify`]).
    ///
    /// [`identify`]: Self::identify
    pub fn remembered(&self, presented: &str) -> Option<String> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let state = self.state.lock().ok()?;
        let fresh = state.read_at.is_some_and(|t| t.elapsed() < REFRESH);
        match state.checked.get(&digest) {
            Some((id, name)) if fresh && state.active.contains(id) => Some(name.clone()),
            _ => None,
        }
    }

    /// The caller's name for a presented key, or `None`. Blocking (argon2 on a first
    /// sight, a ledger read every two seconds): called off the async threads.
    pub fn identify(&self, presented: &str) -> Option<String> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.refresh_if_due();
        if let Ok(state) = self.state.lock()
            && let Some((id, name)) = state.checked.get(&digest)
            && state.active.contains(id)
        {
            return Some(name.clone());
        }
        let key = {
            let mut ledger = self.ledger.lock().ok()?;
            ledger.api_key_caller(&SecretString::from(presented.to_string())).ok()??
        };
        if let Ok(mut state) = self.state.lock() {
            state.checked.insert(digest, (key.id, key.name.clone()));
            if !state.active.contains(&key.id) {
                state.active.push(key.id);
            }
        }
        Some(key.name)
    }

    /// Reads the active keys when the last read is older than [`REFRESH`], forgetting the
    /// checks of keys revoked since.
    fn refresh_if_due(&self) {
        let due = self.state.lock().map(|s| s.read_at.is_none_or(|t| t.elapsed() >= REFRESH)).unwrap_or(false);
        if !due {
            return;
        }
        let Ok(active) = self.ledger.lock().map(|mut l| l.api_keys_active()) else { return };
        let Ok(mut state) = self.state.lock() else { return };
        state.read_at = Some(Instant::now());
        match active {
            Ok(ids) => {
                state.checked.retain(|_, (id, _)| ids.contains(id));
                state.active = ids;
            }
            // Unreadable: trust nothing remembered until the ledger answers again.
            Err(_) => {
                state.checked.clear();
                state.active.clear();
            }
        }
    }
}

/// The key in an `Authorization: Bearer …` header.
pub fn bearer(header: Option<&str>) -> Option<SecretString> {
    let h = header?.trim();
    let (scheme, key) = h.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty())
        .then(|| SecretString::from(key.trim().to_string()))
}

/// Exposes a presented key for hashing (kept in one place).
pub fn expose(key: &SecretString) -> &str {
    key.expose_secret()
}
