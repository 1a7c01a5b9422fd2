//! The audit chain: each entry's hash covers its fields and the previous entry's hash, and
//! a keyed MAC over the hash proves the entry was written by someone holding the key.
//! Pure functions: the store reads rows, this module judges them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The hash the first entry chains from.
pub const GENESIS: [u8; 32] = [0; 32];

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    /// UTC, RFC 3339 with milliseconds, assigned by the system.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON object text.
    pub details: String,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub mac: [u8; 32],
}

/// The hash of an entry's content chained to `prev_hash`. Fields are length-prefixed so
/// that moving a character from one field to the next changes the hash.
pub fn entry_hash(
    prev_hash: &[u8; 32],
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    details: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"madoguchi-audit-v1");
    h.update(prev_hash);
    h.update(seq.to_be_bytes());
    for field in [at, actor, action, subject, details] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// HMAC-SHA256 of `parts` under `key`.
pub fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length, so this never fails; were it to, the MAC would
    // match nothing (fail closed).
    let Ok(mut m) = <HmacSha256 as Mac>::new_from_slice(key) else { return [0; 32] };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

pub fn entry_mac(key: &[u8; 32], hash: &[u8; 32]) -> [u8; 32] {
    mac(key, &[b"entry", hash])
}

/// The head of the chain as sealed outside the database after each commit, so that cutting
/// the tail of the table is detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    pub seq: i64,
    pub hash: [u8; 32],
}

impl Seal {
    pub fn mac(&self, key: &[u8; 32]) -> [u8; 32] {
        mac(key, &[b"seal", &self.seq.to_be_bytes(), &self.hash])
    }
}

/// Why the chain is broken at an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// A sequence number is missing or out of order (deleted or reordered rows).
    Sequence,
    /// The entry does not chain from the one before it.
    Link,
    /// The entry's content does not match its hash (edited).
    Content,
    /// The MAC is wrong: written without the key.
    Mac,
    /// The chain ends before the sealed head (the tail was cut).
    TailCut,
    /// The seal of the head is missing or not authentic.
    Seal,
}

impl Breakage {
    pub fn code(self) -> &'static str {
        match self {
            Self::Sequence => "sequence",
            Self::Link => "link",
            Self::Content => "content",
            Self::Mac => "mac",
            Self::TailCut => "tail_cut",
            Self::Seal => "seal",
        }
    }
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: i64,
    pub first_bad: Option<Break>,
    /// Whether a seal of the head was found outside the database.
    pub sealed: bool,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// A break an administrator acknowledged after investigating it (`audit accept`): kept
/// for good and listed by every verification after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AcceptedBreak {
    /// What broke: a chain entry (`sequence`, `link`, `content`, `mac`), the head
    /// (`tail_cut`, `seal`, `rollback`), a row (`row`) or a table's row count (`count`).
    pub what: String,
    /// The audit sequence number concerned, for a break of the chain.
    pub seq: Option<i64>,
    pub row_table: Option<String>,
    pub row_key: Option<String>,
    pub detail: String,
    pub reason: String,
    pub accepted_by: String,
    /// UTC, as stored.
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub why: Breakage,
}

/// Walks entries in stored order and stops at the first break.
pub struct Verifier<'k> {
    key: &'k [u8; 32],
    expected_seq: i64,
    prev: [u8; 32],
    seal: Option<Seal>,
    seal_matched: bool,
}

impl<'k> Verifier<'k> {
    pub fn new(key: &'k [u8; 32], seal: Option<Seal>) -> Self {
        Self { key, expected_seq: 1, prev: GENESIS, seal, seal_matched: false }
    }

    /// Checks the next entry.
    pub fn check(&mut self, e: &Entry) -> Result<(), Break> {
        let fail = |why| Err(Break { seq: e.seq, why });
        if e.seq != self.expected_seq {
            return Err(Break { seq: self.expected_seq.min(e.seq), why: Breakage::Sequence });
        }
        if e.prev_hash != self.prev {
            return fail(Breakage::Link);
        }
        let hash = entry_hash(&e.prev_hash, e.seq, &e.at, &e.actor, &e.action, &e.subject, &e.details);
        if hash != e.hash {
            return fail(Breakage::Content);
        }
        if entry_mac(self.key, &hash) != e.mac {
            return fail(Breakage::Mac);
        }
        if let Some(seal) = self.seal
            && seal.seq == e.seq
        {
            if seal.hash != e.hash {
                return fail(Breakage::Content);
            }
            self.seal_matched = true;
        }
        self.expected_seq += 1;
        self.prev = hash;
        Ok(())
    }

    /// After the last entry: the chain must reach the sealed head.
    pub fn finish(self) -> Result<i64, Break> {
        let count = self.expected_seq - 1;
        match self.seal {
            Some(seal) if !self.seal_matched && seal.seq > 0 => Err(Break { seq: count + 1, why: Breakage::TailCut }),
            _ => Ok(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let (at, actor, action, subject, details) =
                    ("2026-01-01T00:00:00.000Z", "clerk101", "unlock", "user:1", "{}");
                let hash = entry_hash(&prev, seq, at, actor, action, subject, details);
                let e = Entry {
                    seq,
                    at: at.into(),
                    actor: actor.into(),
                    action: action.into(),
                    subject: subject.into(),
                    details: details.into(),
                    prev_hash: prev,
                    hash,
                    mac: entry_mac(&KEY, &hash),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry], seal: Option<Seal>) -> Result<i64, Break> {
        let mut v = Verifier::new(&KEY, seal);
        for e in entries {
            v.check(e)?;
        }
        v.finish()
    }

    fn seal_of(entries: &[Entry]) -> Option<Seal> {
        entries.last().map(|e| Seal { seq: e.seq, hash: e.hash })
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, seal_of(&c)), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
        // A seal older than the head is fine (a commit whose seal write was interrupted).
        assert_eq!(verify(&c, seal_of(&c[..3])), Ok(5));
    }

    #[test]
    fn every_kind_of_tampering_is_found() {
        let c = chain(5);
        let seal = seal_of(&c);

        let mut edited = c.clone();
        edited[2].details = "{\"x\":1}".into();
        assert_eq!(verify(&edited, seal), Err(Break { seq: 3, why: Breakage::Content }));

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted, seal), Err(Break { seq: 2, why: Breakage::Sequence }));

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped, seal).map_err(|b| b.seq), Err(2));

        // Swapping content but keeping the sequence numbers breaks the links.
        let mut reseq = c.clone();
        reseq.swap(1, 2);
        reseq[1].seq = 2;
        reseq[2].seq = 3;
        assert_eq!(verify(&reseq, seal), Err(Break { seq: 2, why: Breakage::Link }));

        let cut = &c[..4];
        assert_eq!(verify(cut, seal), Err(Break { seq: 5, why: Breakage::TailCut }));

        // Rewriting an entry and recomputing its hash still fails the MAC.
        let mut forged = c.clone();
        forged[4].actor = "mallory".into();
        forged[4].hash = entry_hash(&forged[4].prev_hash, 5, &forged[4].at, "mallory", "unlock", "user:1", "{}");
        assert_eq!(verify(&forged, None), Err(Break { seq: 5, why: Breakage::Mac }));
    }
}
