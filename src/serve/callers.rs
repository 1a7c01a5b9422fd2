//! Who may call: the bank's front end, by the API key an administrator gave it
//! (`Authorization: Bearer mdg_…`). A key is checked once with argon2 against the ledger
//! and then remembered by its SHA-256 while it stays active, so argon2 is paid once per
//! key, not per call. A thread of its own reads the active keys every second, and checks
//! the ledger as a write would: a revoked key is refused within two seconds, and no key is
//! taken from a ledger that fails its check (a key row copied back from an old copy).
//!
//! A key not seen before costs an argon2 run, so that path is guarded: one check at a
//! time (another caller is told 503 at once, not queued behind it), and an address whose
//! keys failed ten times in a minute is refused without a check.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::limits::Limiter;
use crate::service::Ledger;

/// How often the active keys are read again, and how old a reading may be.
const READ_EVERY: Duration = Duration::from_secs(1);
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Failed key checks a minute from one address before it is refused unchecked.
const FAILED_PER_MINUTE: u32 = 10;

/// What a presented key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An active key: its name.
    Known(String),
    /// Malformed, unknown, revoked or wrong.
    Wrong,
    /// Another key is being checked: come back in a moment (503).
    Busy,
    /// The ledger failed its integrity check or cannot be read (503).
    Refused,
}

pub struct Callers {
    check: Mutex<Ledger>,
    state: Mutex<State>,
    failed: Mutex<Limiter>,
    stop: AtomicBool,
}

#[derive(Default)]
struct State {
    /// SHA-256 of a checked key → (its id, the caller's name).
    checked: HashMap<[u8; 32], (i64, String)>,
    active: Vec<i64>,
    read_at: Option<Instant>,
    /// The ledger failed its check at the last reading.
    refused: bool,
}

impl Callers {
    /// Callers checked on `check`, the active keys read on `reader` by a thread of its
    /// own (stopped by [`Callers::stop`]).
    pub fn start(check: Ledger, mut reader: Ledger) -> std::io::Result<(Arc<Self>, JoinHandle<()>)> {
        let me = Arc::new(Self {
            check: Mutex::new(check),
            state: Mutex::new(State::default()),
            failed: Mutex::new(Limiter::new(FAILED_PER_MINUTE)),
            stop: AtomicBool::new(false),
        });
        me.read(&mut reader);
        let them = me.clone();
        let thread = std::thread::Builder::new().name("serve-keys".into()).spawn(move || {
            while !them.stop.load(Ordering::SeqCst) {
                std::thread::sleep(READ_EVERY);
                them.read(&mut reader);
            }
        })?;
        Ok((me, thread))
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Reads the ledger's state and its active keys, forgetting the checks of keys revoked
    /// since.
    fn read(&self, ledger: &mut Ledger) {
        let intact = matches!(ledger.check_now(), Ok(None));
        let active = ledger.api_keys_active();
        let Ok(mut state) = self.state.lock() else { return };
        match (intact, active) {
            (true, Ok(ids)) => {
                state.checked.retain(|_, (id, _)| ids.contains(id));
                state.active = ids;
                state.refused = false;
                state.read_at = Some(Instant::now());
            }
            // Tampered or unreadable: trust nothing remembered until it reads well again.
            _ => {
                state.checked.clear();
                state.active.clear();
                state.refused = true;
                state.read_at = Some(Instant::now());
            }
        }
    }

    /// What a key is, when it can be told without a check (nearly every request): a key
    /// remembered and still active, or a ledger that is refused. `None`: [`check`] it.
    ///
    /// [`check`]: Self::check
    pub fn remembered(&self, presented: &SecretString) -> Option<Caller> {
        let digest = digest(presented);
        let state = self.state.lock().ok()?;
        // A reading too old (the reader is stuck on an unreachable ledger) is no reading.
        if state.refused || state.read_at.is_none_or(|t| t.elapsed() >= FRESH_FOR) {
            return Some(Caller::Refused);
        }
        match state.checked.get(&digest) {
            Some((id, name)) if state.active.contains(id) => Some(Caller::Known(name.clone())),
            _ => None,
        }
    }

    /// Checks a key not remembered (blocking: one argon2 run), for a request from `peer`.
    pub fn check(&self, presented: &SecretString, peer: IpAddr) -> Caller {
        let peer = peer.to_string();
        let now = Instant::now();
        if self.failed.lock().map(|l| l.exhausted(&peer, now)).unwrap_or(true) {
            return Caller::Wrong;
        }
        let Ok(mut ledger) = self.check.try_lock() else { return Caller::Busy };
        match ledger.api_key_caller(presented) {
            Ok(Some(key)) => {
                drop(ledger);
                if let Ok(mut state) = self.state.lock()
                    && state.active.contains(&key.id)
                {
                    state.checked.insert(digest(presented), (key.id, key.name.clone()));
                }
                Caller::Known(key.name)
            }
            Ok(None) => {
                if let Ok(mut l) = self.failed.lock() {
                    let _ = l.take(&peer, now);
                }
                Caller::Wrong
            }
            Err(_) => Caller::Refused,
        }
    }
}

fn digest(key: &SecretString) -> [u8; 32] {
    Sha256::digest(key.expose_secret().as_bytes()).into()
}

/// The key in an `Authorization: Bearer …` header.
pub fn bearer(header: Option<&str>) -> Option<SecretString> {
    let h = header?.trim();
    let (scheme, key) = h.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty())
        .then(|| SecretString::from(key.trim().to_string()))
}
