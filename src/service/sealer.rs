//! The confirmed head, written off the write path. A write returns once its entries are
//! committed (the database synced) and its head is sealed as pending; the confirmed head —
//! synced with its folder, so that it survives a power cut — follows a moment later on a
//! thread of its own, and always before the process ends (the ledger waits for it when it
//! is dropped). Never backwards: a head file that already names a later head (another
//! terminal's, or this one's next) is left as it is.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::domain::audit::SealedHead;
use crate::headfile::{Durable, HeadFile, Read};

use super::audit::Heads;

struct Job {
    heads: Heads,
    head: SealedHead,
    key: Zeroizing<[u8; 32]>,
}

/// The thread that writes confirmed heads, started at the first one.
#[derive(Default)]
pub(crate) struct Sealer {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Sealer {
    /// Queues `head` to be written, synced, to the seal and the anchor of `heads`.
    pub fn submit(&mut self, heads: Heads, head: SealedHead, key: &[u8; 32]) {
        let mut job = Job { heads, head, key: Zeroizing::new(*key) };
        if let Some(jobs) = &self.jobs {
            match jobs.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        // No thread yet (or it ended): start one; if none can start, write it here.
        let (tx, rx) = mpsc::channel();
        match std::thread::Builder::new().name("sealer".into()).spawn(move || run(&rx)) {
            Ok(thread) => {
                let _ = tx.send(job);
                self.jobs = Some(tx);
                self.thread = Some(thread);
            }
            Err(_) => write_confirmed(&job.heads, &job.head, &job.key),
        }
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has written what is queued.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How long the thread gathers heads before writing the newest: a burst of writes costs
/// one synced write, not one each, and leaves the disk to the writes' own commits.
const GATHER: Duration = Duration::from_millis(10);

fn run(jobs: &Receiver<Job>) {
    while let Ok(mut newest) = jobs.recv() {
        // Only the newest of what comes in meanwhile matters; a closed queue (the ledger
        // dropped) writes it at once.
        let until = Instant::now() + GATHER;
        while let Ok(next) = jobs.recv_timeout(until.saturating_duration_since(Instant::now())) {
            newest = next;
        }
        write_confirmed(&newest.heads, &newest.head, &newest.key);
    }
}

/// Writes the confirmed head, synced, to each file that does not already name a later
/// one; under the seal's lock, like every writer.
fn write_confirmed(heads: &Heads, head: &SealedHead, key: &[u8; 32]) {
    let Ok(_turn) = heads.seal.lock() else { return };
    let files = std::iter::once(&heads.seal).chain(heads.anchor.as_ref());
    for file in files {
        if !names_later(file, head, key) {
            // Should this fail, the pending head still holds; the next write seals again.
            let _ = file.write(head, key, Durable::Synced);
        }
    }
}

fn names_later(file: &HeadFile, head: &SealedHead, key: &[u8; 32]) -> bool {
    match file.read(key) {
        Ok(Read::Head(h)) => h.newest().seq > head.newest().seq,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::Seal;

    #[test]
    fn the_newest_head_is_written_by_the_time_the_ledger_is_gone_and_never_an_older_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let heads = Heads {
            seal: HeadFile::new(dir.path().join("ledger.seal")),
            anchor: Some(HeadFile::new(dir.path().join("elsewhere").join("l.anchor"))),
            ledger: Some("L".into()),
        };
        let key = [5u8; 32];
        let at = |seq: i64| SealedHead::confirmed("L", Seal { seq, hash: [seq as u8; 32] });
        let mut sealer = Sealer::default();
        for seq in 1..=20 {
            sealer.submit(heads.clone(), at(seq), &key);
        }
        drop(sealer);
        for file in [&heads.seal, heads.anchor.as_ref().expect("anchor")] {
            assert_eq!(file.read(&key), Ok(Read::Head(at(20))), "{}", file.path().display());
        }
        // Another terminal sealed a later head meanwhile: an older one does not replace it.
        heads.seal.write(&at(30), &key, Durable::Renamed).expect("later");
        let mut sealer = Sealer::default();
        sealer.submit(heads.clone(), at(21), &key);
        drop(sealer);
        assert_eq!(heads.seal.read(&key), Ok(Read::Head(at(30))));
        assert_eq!(heads.anchor.as_ref().expect("anchor").read(&key), Ok(Read::Head(at(21))));
    }
}
