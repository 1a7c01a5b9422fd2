//! The workers that check secrets: argon2 is the cost of every call, so a fixed number of
//! threads (one per core by default), each with its own connection to the ledger, take
//! attempts from a bounded queue. A request that finds the queue full is told so at once
//! (503) instead of waiting behind everyone; one that finds room waits its turn.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use secrecy::SecretString;
use tokio::sync::oneshot;

use crate::domain::credential::CredentialKind;
use crate::service::ib::IbOutcome;
use crate::service::{Ledger, ServiceError};

/// One attempt, as the channel's endpoints ask it.
pub enum Job {
    Attempt { login_id: String, kind: CredentialKind, secret: SecretString },
    ChangePassword { login_id: String, kind: CredentialKind, old: SecretString, new: SecretString },
}

/// What a worker answers.
pub enum Reply {
    Done(IbOutcome),
    /// The ledger cannot be reached now (503, try again).
    Unavailable,
    /// Anything else (500); the detail goes to the log, not to the caller.
    Failed(String),
}

struct Envelope {
    job: Job,
    caller: String,
    reply: oneshot::Sender<Reply>,
}

pub struct Pool {
    tx: Mutex<Option<SyncSender<Envelope>>>,
    depth: Arc<AtomicI64>,
}

/// The worker threads, joined at shutdown.
pub struct Workers(Vec<JoinHandle<()>>);

impl Workers {
    /// Waits until every worker has finished what was queued.
    pub fn join(self) {
        for w in self.0 {
            let _ = w.join();
        }
    }
}

/// The queue is full: answer 503 now.
pub struct Busy;

impl Pool {
    /// Starts one worker per ledger, with room for `queue` waiting requests.
    pub fn start(ledgers: Vec<Ledger>, queue: usize) -> std::io::Result<(Self, Workers)> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Envelope>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let depth = Arc::new(AtomicI64::new(0));
        let workers = ledgers
            .into_iter()
            .enumerate()
            .map(|(i, ledger)| {
                let (rx, depth) = (rx.clone(), depth.clone());
                std::thread::Builder::new().name(format!("serve-worker-{i}")).spawn(move || work(ledger, &rx, &depth))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok((Self { tx: Mutex::new(Some(tx)), depth }, Workers(workers)))
    }

    /// Hands `job` to a worker, or says at once that none will take it soon.
    pub fn submit(&self, job: Job, caller: &str) -> Result<oneshot::Receiver<Reply>, Busy> {
        let Ok(tx) = self.tx.lock() else { return Err(Busy) };
        let Some(tx) = tx.as_ref() else { return Err(Busy) };
        let (reply, answer) = oneshot::channel();
        // Counted before it is queued, so a worker never takes the count below zero.
        self.depth.fetch_add(1, Ordering::SeqCst);
        match tx.try_send(Envelope { job, caller: caller.to_string(), reply }) {
            Ok(()) => Ok(answer),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.depth.fetch_sub(1, Ordering::SeqCst);
                Err(Busy)
            }
        }
    }

    /// Requests queued or being checked now.
    pub fn depth(&self) -> i64 {
        self.depth.load(Ordering::SeqCst)
    }

    /// Takes no more work: the workers finish what was queued, then stop.
    pub fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            *tx = None;
        }
    }
}

fn work(mut ledger: Ledger, rx: &Mutex<Receiver<Envelope>>, depth: &AtomicI64) {
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(Envelope { job, caller, reply }) = next else { return };
        ledger.set_via(Some(format!("api:{caller}")));
        let done = match job {
            Job::Attempt { login_id, kind, secret } => ledger.ib_attempt(&login_id, kind, &secret),
            Job::ChangePassword { login_id, kind, old, new } => ledger.ib_change_password(&login_id, kind, &old, &new),
        };
        ledger.set_via(None);
        depth.fetch_sub(1, Ordering::SeqCst);
        let answer = match done {
            Ok(o) => Reply::Done(o),
            Err(e) if e.is_unreachable() => Reply::Unavailable,
            Err(e) => Reply::Failed(describe(&e)),
        };
        // The caller may have gone (its connection closed): the attempt stands anyway.
        let _ = reply.send(answer);
    }
}

fn describe(e: &ServiceError) -> String {
    crate::text::without_passwords(&format!("{e:?}"))
}
