//! The audit chain: each entry's hash covers its fields and the previous entry's hash, and
//! a keyed MAC over the hash proves the entry was written by someone holding the key.
//! Pure functions: the store reads rows, this module judges them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Every action the ledger records, for finding entries by their label: the audit trail's
/// action filter matches these labels in both languages.
pub const ACTIONS: &[&str] = &[
    "api_key.add",
    "api_key.revoke",
    "audit.accept",
    "bench.fill",
    "contract.cancel",
    "contract.create",
    "credential.reset",
    "demo.generate",
    "demo.secrets",
    "fee.record",
    "form.submit",
    "guidance.given",
    "ib.change_password",
    "ib.failure",
    "ib.otp",
    "ib.reset",
    "ib.unknown_id",
    "journal.print",
    "ledger.copy",
    "ledger.create",
    "ledger.integrity",
    "lock.already_clear",
    "lock.clear",
    "lock.open",
    "receipt.print",
    "request.approve",
    "request.create",
    "request.own_refused",
    "request.reject",
    "request.withdraw",
    "staff.add",
    "staff.code_failed",
    "staff.denied",
    "staff.disable",
    "staff.enroll_totp",
    "staff.locked",
    "staff.login",
    "staff.login_failed",
    "staff.unlock",
    "token.add",
    "token.code_failed",
    "token.first_use",
    "token.handover",
    "token.handover_locked",
    "token.handover_unlocked",
    "token.issue",
    "token.lost",
    "token.mail",
    "token.reissue",
    "token.release",
    "tokens.import",
];

/// What a stored subject names, by id (`contract:3/user:7`, `staff:clerk101`,
/// `branch:101`, `ledger`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRef {
    Contract {
        contract: i64,
        user: Option<i64>,
    },
    Staff(String),
    Branch(String),
    Ledger,
    /// Anything else, shown as stored.
    Raw(String),
}

pub fn parse_subject(s: &str) -> SubjectRef {
    if s == "ledger" {
        return SubjectRef::Ledger;
    }
    if let Some(rest) = s.strip_prefix("contract:") {
        let (c, user) = rest.split_once('/').unwrap_or((rest, ""));
        let user = user.strip_prefix("user:").and_then(|u| u.parse().ok());
        if let Ok(contract) = c.parse() {
            return SubjectRef::Contract { contract, user };
        }
    }
    if let Some(id) = s.strip_prefix("staff:") {
        return SubjectRef::Staff(id.to_string());
    }
    if let Some(code) = s.strip_prefix("branch:") {
        return SubjectRef::Branch(code.to_string());
    }
    SubjectRef::Raw(s.to_string())
}

/// What an entry is about, named as branch staff know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Customer {
        company: String,
        cif: String,
        login_id: Option<String>,
    },
    Staff(String),
    Branch(String),
    Ledger,
    /// A subject that names nothing the ledger holds (shown as stored).
    Raw(String),
}

/// An audit entry with its subject named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEntry {
    pub entry: Entry,
    pub subject: Subject,
}

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

/// What an acknowledged break of an entry is recognised by: every field of the entry as
/// stored, so that the same entry edited once more is a new break.
pub fn fingerprint(e: &Entry) -> [u8; 32] {
    let content = entry_hash(&e.prev_hash, e.seq, &e.at, &e.actor, &e.action, &e.subject, &e.details);
    let mut h = Sha256::new();
    h.update(b"madoguchi-break-v1");
    for part in [&content, &e.prev_hash, &e.hash, &e.mac] {
        h.update(part);
    }
    h.finalize().into()
}

/// Whether two MACs are equal, in time that does not depend on where they differ.
pub fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn entry_mac(key: &[u8; 32], hash: &[u8; 32]) -> [u8; 32] {
    mac(key, &[b"entry", hash])
}

/// A point of the chain: an entry's sequence number and hash (sequence 0 is the empty
/// chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    pub seq: i64,
    pub hash: [u8; 32],
}

impl Seal {
    /// The empty chain.
    pub const EMPTY: Self = Self { seq: 0, hash: GENESIS };

    /// `SEQ:HASH`, the hash as hex (whole or a prefix of at least 16 digits): what the
    /// daily journal prints and `audit verify --expect` takes.
    pub fn parse_expected(text: &str) -> Option<(i64, String)> {
        let (seq, hash) = text.trim().split_once(':')?;
        let seq = seq.parse::<i64>().ok().filter(|s| *s > 0)?;
        let hash = hash.to_ascii_lowercase();
        (hash.len() >= 16 && hash.len() <= 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some((seq, hash))
    }

    /// The head as printed for a supervisor's 検印: sequence and the first 16 hex digits.
    pub fn short(&self) -> String {
        format!("{}:{}", self.seq, &hex::encode(self.hash)[..16])
    }
}

/// The head of the chain as kept in a file outside the database after every commit: the
/// seal beside the ledger, and the anchor outside its folder.
///
/// A write seals `pending` (the head it is about to commit, and the head before it)
/// before COMMIT and seals it as `confirmed` after: a crash at any instant leaves a file
/// that names the head the ledger really has, while a ledger whose entries were cut, or
/// copied back from before the sealed head, names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedHead {
    /// The ledger's id (random, kept in its `meta`): a head sealed for another ledger
    /// proves nothing about this one.
    pub ledger: String,
    pub confirmed: Seal,
    pub pending: Option<Seal>,
}

impl SealedHead {
    pub fn confirmed(ledger: &str, head: Seal) -> Self {
        Self { ledger: ledger.to_string(), confirmed: head, pending: None }
    }

    /// The MAC that makes the file authentic: only the key's holder writes a valid one.
    pub fn mac(&self, key: &[u8; 32]) -> [u8; 32] {
        let (flag, p) = match self.pending {
            Some(p) => (1u8, p),
            None => (0u8, Seal::EMPTY),
        };
        mac(
            key,
            &[
                b"head-v2",
                &(self.ledger.len() as u64).to_be_bytes(),
                self.ledger.as_bytes(),
                &self.confirmed.seq.to_be_bytes(),
                &self.confirmed.hash,
                &[flag],
                &p.seq.to_be_bytes(),
                &p.hash,
            ],
        )
    }

    /// The newest head it names.
    pub fn newest(&self) -> Seal {
        self.pending.unwrap_or(self.confirmed)
    }
}

/// How a chain stands against a sealed head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadCheck {
    /// The chain holds the sealed head (entries after it are the next writes').
    Holds,
    /// The chain ends at `head`, before the sealed entry `sealed`: its tail was cut, or the
    /// ledger is an older copy.
    Ends { head: i64, sealed: i64 },
    /// The chain has an entry at `seq`, but not the sealed one: rewritten from there.
    Differs { seq: i64 },
}

/// Judges a chain whose last sequence number is `head` against a sealed head;
/// `hash_at(seq)` is the stored hash of the entry at `seq`, if there is one.
pub fn check_head(sealed: &SealedHead, head: i64, hash_at: &mut dyn FnMut(i64) -> Option<[u8; 32]>) -> HeadCheck {
    let mut holds = |s: Seal| s.seq == 0 || (s.seq <= head && hash_at(s.seq) == Some(s.hash));
    if holds(sealed.confirmed) || sealed.pending.is_some_and(&mut holds) {
        return HeadCheck::Holds;
    }
    // A pending head that was never committed is no evidence: judge by the confirmed one.
    let target = sealed.confirmed;
    if head < target.seq {
        HeadCheck::Ends { head, sealed: target.seq }
    } else {
        HeadCheck::Differs { seq: target.seq }
    }
}

/// Why the chain is broken at an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Breakage {
    /// A sequence number is missing or out of order (deleted or reordered rows).
    Sequence,
    /// The entry does not chain from the one before it.
    Link,
    /// The entry's content does not match its hash (edited).
    Content,
    /// The MAC is wrong: written without the key.
    Mac,
    /// The chain ends before the head sealed beside it (the tail was cut).
    TailCut,
    /// The seal of the head is not authentic (at sequence 0), or the chain does not hold
    /// it.
    Seal,
    /// The chain has entries but no seal beside it.
    SealMissing,
    /// The chain ends before the head anchored outside the ledger's folder, or does not
    /// hold it: an older copy of the ledger was put back.
    Rollback,
    /// The ledger's sealed state does not match its chain or its tables: a row deleted, or
    /// copied back from an older copy of the ledger.
    State,
}

impl Breakage {
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// A break of one entry, that later entries can be checked past.
    pub fn is_entry(self) -> bool {
        matches!(self, Self::Sequence | Self::Link | Self::Content | Self::Mac)
    }
}

/// The first break of the chain, at an entry (or, for the head, at the sealed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub why: Breakage,
}

/// A break an administrator acknowledged after investigating it (`audit accept`): kept
/// for good and listed by every verification after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AcceptedBreak {
    /// What broke: a [`Breakage`] code, `row` (a row whose MAC failed) or `count` (a
    /// table holding fewer rows than sealed).
    pub what: String,
    /// The audit sequence number concerned, for a break of the chain.
    pub seq: Option<i64>,
    pub row_table: Option<String>,
    /// The row's identity, or for an entry of the chain its stored hash when accepted.
    pub row_key: Option<String>,
    pub detail: String,
    pub reason: String,
    pub accepted_by: String,
    /// UTC, as stored.
    pub at: String,
}

/// A table holding another number of rows than its sealed count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CountMismatch {
    pub table: String,
    /// `rows` (a row deleted or added) or `versions` (a row copied back from an older copy).
    pub what: String,
    pub sealed: i64,
    pub found: i64,
}

/// The outcome of verifying a ledger: its chain against the seal and the anchor, and every
/// covered row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    pub entries: i64,
    /// The last entry, as stored.
    pub head: Option<Seal>,
    /// The first break not acknowledged.
    pub first_bad: Option<Break>,
    /// The head as sealed beside the ledger, if a seal was found.
    pub sealed: Option<i64>,
    /// The head as anchored outside the ledger's folder (or given), if checked.
    pub anchored: Option<i64>,
    /// How many covered rows were checked, and which failed their MAC.
    pub rows: i64,
    pub bad_rows: Vec<(String, String)>,
    pub counts: Vec<CountMismatch>,
    /// Breaks acknowledged earlier, listed every time.
    pub accepted: Vec<AcceptedBreak>,
    /// What SQLite's own check of the file found, when it is not `ok` (a damaged page, an
    /// index that no longer matches its table).
    pub file_check: Option<String>,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.first_bad.is_none() && self.bad_rows.is_empty() && self.counts.is_empty() && self.file_check.is_none()
    }
}

/// Walks entries in stored order. After a break it picks up again from the broken entry's
/// stored hash, so that a walk can list every break; an acknowledged break (same place,
/// same kind, same stored hash) is passed over.
pub struct Verifier<'k> {
    key: &'k [u8; 32],
    expected_seq: i64,
    prev: [u8; 32],
    accepted: Vec<(i64, Breakage, [u8; 32])>,
}

impl<'k> Verifier<'k> {
    pub fn new(key: &'k [u8; 32]) -> Self {
        Self { key, expected_seq: 1, prev: GENESIS, accepted: Vec::new() }
    }

    /// Walks on from a point of the chain taken as good (the check made at open starts a
    /// few entries before the head).
    pub fn resuming(key: &'k [u8; 32], after: Seal) -> Self {
        Self { key, expected_seq: after.seq + 1, prev: after.hash, accepted: Vec::new() }
    }

    /// Breaks acknowledged earlier: `(seq, kind, fingerprint of the entry)`.
    pub fn accepting(mut self, accepted: Vec<(i64, Breakage, [u8; 32])>) -> Self {
        self.accepted = accepted;
        self
    }

    /// Checks the next entry.
    pub fn check(&mut self, e: &Entry) -> Result<(), Break> {
        let found = self.judge(e);
        self.expected_seq = e.seq + 1;
        self.prev = e.hash;
        match found {
            Some(b) if !self.accepted.contains(&(b.seq, b.why, fingerprint(e))) => Err(b),
            _ => Ok(()),
        }
    }

    fn judge(&self, e: &Entry) -> Option<Break> {
        let at = |why| Some(Break { seq: e.seq, why });
        if e.seq != self.expected_seq {
            return Some(Break { seq: self.expected_seq.min(e.seq), why: Breakage::Sequence });
        }
        if e.prev_hash != self.prev {
            return at(Breakage::Link);
        }
        let hash = entry_hash(&e.prev_hash, e.seq, &e.at, &e.actor, &e.action, &e.subject, &e.details);
        if hash != e.hash {
            return at(Breakage::Content);
        }
        if entry_mac(self.key, &hash) != e.mac {
            return at(Breakage::Mac);
        }
        None
    }

    /// How many entries were walked.
    pub fn walked(&self) -> i64 {
        self.expected_seq - 1
    }
}

#[cfg(test)]
mod subject_tests {
    use super::*;

    #[test]
    fn stored_subjects_parse_to_what_they_name() {
        assert_eq!(parse_subject("contract:3/user:7"), SubjectRef::Contract { contract: 3, user: Some(7) });
        assert_eq!(parse_subject("contract:12/"), SubjectRef::Contract { contract: 12, user: None });
        assert_eq!(parse_subject("staff:clerk101"), SubjectRef::Staff("clerk101".into()));
        assert_eq!(parse_subject("branch:101"), SubjectRef::Branch("101".into()));
        assert_eq!(parse_subject("ledger"), SubjectRef::Ledger);
        assert_eq!(parse_subject("contract:x/user:1"), SubjectRef::Raw("contract:x/user:1".into()));
        assert_eq!(parse_subject("fee:9"), SubjectRef::Raw("fee:9".into()));
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

    fn verify(entries: &[Entry]) -> Result<i64, Break> {
        let mut v = Verifier::new(&KEY);
        for e in entries {
            v.check(e)?;
        }
        Ok(v.walked())
    }

    fn sealed(entries: &[Entry]) -> SealedHead {
        let head = entries.last().map_or(Seal::EMPTY, |e| Seal { seq: e.seq, hash: e.hash });
        SealedHead::confirmed("L", head)
    }

    fn check(entries: &[Entry], s: &SealedHead) -> HeadCheck {
        let head = entries.last().map_or(0, |e| e.seq);
        check_head(s, head, &mut |seq| entries.iter().find(|e| e.seq == seq).map(|e| e.hash))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
        assert_eq!(check(&c, &sealed(&c)), HeadCheck::Holds);
        assert_eq!(check(&[], &sealed(&[])), HeadCheck::Holds);
        // Entries written after the sealed head (the next writers') are the chain's own.
        assert_eq!(check(&c, &sealed(&c[..3])), HeadCheck::Holds);
    }

    #[test]
    fn every_kind_of_tampering_is_found() {
        let c = chain(5);

        let mut edited = c.clone();
        edited[2].details = "{\"x\":1}".into();
        assert_eq!(verify(&edited), Err(Break { seq: 3, why: Breakage::Content }));

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted), Err(Break { seq: 2, why: Breakage::Sequence }));

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped).map_err(|b| b.seq), Err(2));

        // Swapping content but keeping the sequence numbers breaks the links.
        let mut reseq = c.clone();
        reseq.swap(1, 2);
        reseq[1].seq = 2;
        reseq[2].seq = 3;
        assert_eq!(verify(&reseq), Err(Break { seq: 2, why: Breakage::Link }));

        // Rewriting an entry and recomputing its hash still fails the MAC.
        let mut forged = c.clone();
        forged[4].actor = "mallory".into();
        forged[4].hash = entry_hash(&forged[4].prev_hash, 5, &forged[4].at, "mallory", "unlock", "user:1", "{}");
        assert_eq!(verify(&forged), Err(Break { seq: 5, why: Breakage::Mac }));
    }

    #[test]
    fn a_cut_or_rewritten_tail_does_not_hold_the_sealed_head() {
        let c = chain(5);
        let s = sealed(&c);
        assert_eq!(check(&c[..4], &s), HeadCheck::Ends { head: 4, sealed: 5 });
        assert_eq!(check(&[], &s), HeadCheck::Ends { head: 0, sealed: 5 });
        // Cut, then written again to the same length: another entry 5.
        let other = chain(4);
        let mut rewritten = c[..4].to_vec();
        let mut e = c[4].clone();
        e.hash = [1; 32];
        rewritten.push(e);
        assert_eq!(check(&rewritten, &s), HeadCheck::Differs { seq: 5 });
        assert_eq!(check(&other, &s), HeadCheck::Ends { head: 4, sealed: 5 });
    }

    #[test]
    fn a_write_interrupted_either_side_of_commit_still_holds() {
        let c = chain(5);
        // Sealed as pending 4 -> 5 before COMMIT.
        let pending = SealedHead {
            ledger: "L".into(),
            confirmed: Seal { seq: 4, hash: c[3].hash },
            pending: Some(Seal { seq: 5, hash: c[4].hash }),
        };
        assert_eq!(check(&c[..4], &pending), HeadCheck::Holds, "crashed before COMMIT");
        assert_eq!(check(&c, &pending), HeadCheck::Holds, "crashed after COMMIT");
        // Without the pending mark, one entry short is a cut tail.
        assert_eq!(check(&c[..4], &sealed(&c)), HeadCheck::Ends { head: 4, sealed: 5 });
        assert_eq!(check(&c[..3], &pending), HeadCheck::Ends { head: 3, sealed: 4 });
    }

    #[test]
    fn the_seal_mac_covers_the_ledger_and_both_heads() {
        let c = chain(3);
        let s = sealed(&c);
        let m = s.mac(&KEY);
        assert_ne!(m, SealedHead { ledger: "M".into(), ..s.clone() }.mac(&KEY));
        assert_ne!(m, SealedHead { pending: Some(Seal::EMPTY), ..s.clone() }.mac(&KEY));
        assert_ne!(m, SealedHead { confirmed: Seal { seq: 2, hash: c[2].hash }, ..s.clone() }.mac(&KEY));
        assert_ne!(m, s.mac(&[8; 32]));
    }

    #[test]
    fn an_accepted_break_is_passed_over_and_a_new_one_is_not() {
        let mut c = chain(6);
        c[2].details = "{\"edited\":1}".into();
        let accepted = vec![(3, Breakage::Content, fingerprint(&c[2]))];
        let walk = |entries: &[Entry], acc: Vec<(i64, Breakage, [u8; 32])>| {
            let mut v = Verifier::new(&KEY).accepting(acc);
            entries.iter().try_for_each(|e| v.check(e)).map(|()| v.walked())
        };
        assert_eq!(walk(&c, accepted.clone()), Ok(6));
        let mut again = c.clone();
        again[4].actor = "mallory".into();
        assert_eq!(walk(&again, accepted.clone()), Err(Break { seq: 5, why: Breakage::Content }));
        // The same entry edited once more is a new break.
        let mut twice = c.clone();
        twice[2].details = "{\"edited\":2}".into();
        assert!(walk(&twice, accepted).is_err());
    }

    #[test]
    fn the_expected_head_parses_as_the_journal_prints_it() {
        let s = Seal { seq: 1234, hash: [0xab; 32] };
        assert_eq!(s.short(), "1234:abababababababab");
        assert_eq!(Seal::parse_expected(&s.short()), Some((1234, "abababababababab".into())));
        assert_eq!(Seal::parse_expected("12:ABABABABABABABAB"), Some((12, "abababababababab".into())));
        for bad in [
            "",
            "12",
            ":abababababababab",
            "0:abababababababab",
            "12:abab",
            "x:abababababababab",
            "12:zzzzzzzzzzzzzzzz",
        ] {
            assert_eq!(Seal::parse_expected(bad), None, "{bad}");
        }
    }
}
