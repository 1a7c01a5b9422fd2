//! Audit chain verification, the head sealed beside the ledger and anchored outside its
//! folder, the check made whenever a ledger is opened or written, acknowledged breaks,
//! and verified backups.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::domain::audit::{
    AcceptedBreak, Break, Breakage, CountMismatch, Entry, HeadCheck, Seal, SealedHead, TrailEntry, Verifier,
    VerifyReport, check_head,
};
use crate::domain::permission::{Operation, Session};
use crate::headfile::{Durable, HeadFile, Read};
use crate::store::{self, Db};

use super::{Actor, Ledger, Problem, Result, ServiceError};

/// How many of the last entries opening a ledger verifies (besides any after the sealed
/// head): enough to catch an edited tail at once, cheap on a million entries.
pub const OPEN_CHECK_ENTRIES: i64 = 64;

/// The seal sits beside the key file: `ledger.key` → `ledger.seal`.
pub fn seal_path(key_path: &Path) -> PathBuf {
    key_path.with_extension("seal")
}

/// The default anchor of a ledger: one file per ledger id in the platform's state
/// directory (`$XDG_STATE_HOME/madoguchi/`, usually `~/.local/state/madoguchi/`).
pub fn default_anchor(ledger_id: &str) -> Option<PathBuf> {
    let dirs = directories::BaseDirs::new()?;
    let state = dirs.state_dir().map(Path::to_path_buf).unwrap_or_else(|| dirs.data_local_dir().join("state"));
    Some(state.join("madoguchi").join(format!("{ledger_id}.anchor")))
}

/// The files a ledger's head is kept in, and the id they are written for.
#[derive(Debug, Clone)]
pub(crate) struct Heads {
    pub seal: HeadFile,
    pub anchor: Option<HeadFile>,
    /// `None` until the ledger's rows are first sealed (an earlier version's ledger).
    pub ledger: Option<String>,
}

/// What a head file says about a chain.
enum Standing {
    /// No file: nothing to hold the chain to.
    Missing,
    Holds,
    Broken(Break),
}

/// Judges the chain in `db` (whose last entry is `head`) against what a head file held
/// when it was read.
fn stand(
    db: &mut dyn Db,
    file: &std::result::Result<Read, crate::headfile::Forged>,
    ledger: Option<&str>,
    head: Seal,
    rollback: bool,
) -> Result<Standing> {
    let (ends, differs) =
        if rollback { (Breakage::Rollback, Breakage::Rollback) } else { (Breakage::TailCut, Breakage::Seal) };
    let sealed = match file.clone() {
        Ok(Read::Missing) => return Ok(Standing::Missing),
        Ok(Read::Head(h)) if ledger.is_some_and(|id| id != h.ledger) => {
            return Ok(Standing::Broken(Break { seq: h.confirmed.seq, why: differs }));
        }
        Ok(Read::Head(h)) => h,
        // The earlier version's seal holds only until the ledger has an id of its own.
        Ok(Read::Legacy(seal)) if ledger.is_none() => SealedHead::confirmed("", seal),
        Ok(Read::Legacy(seal)) => return Ok(Standing::Broken(Break { seq: seal.seq, why: differs })),
        Err(_) => return Ok(Standing::Broken(Break { seq: 0, why: differs })),
    };
    let mut failed = None;
    // The head's own hash is known already: asked of the database only for older entries.
    let verdict = check_head(&sealed, head.seq, &mut |seq| {
        if seq == head.seq {
            return Some(head.hash);
        }
        store::audit::hash_at(db, seq).unwrap_or_else(|e| {
            failed = Some(e);
            None
        })
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(match verdict {
        HeadCheck::Holds => Standing::Holds,
        HeadCheck::Ends { sealed, .. } => Standing::Broken(Break { seq: sealed, why: ends }),
        HeadCheck::Differs { seq } => Standing::Broken(Break { seq, why: differs }),
    })
}

/// The seal and the anchor as read at one moment. Read *before* the chain is: a head
/// file is written before its entries are committed or after, so the chain read later
/// holds it (another terminal's commit in between only adds entries after it).
#[derive(Debug, Clone)]
pub(crate) struct HeadsNow {
    /// `None` when the chain is held to an anchor given instead.
    seal: Option<std::result::Result<Read, crate::headfile::Forged>>,
    anchor: Option<std::result::Result<Read, crate::headfile::Forged>>,
    ledger: Option<String>,
}

impl HeadsNow {
    /// The chain against the seal and the anchor: the first break, if any. A missing seal
    /// is a break once the chain has entries; a missing anchor is not (a new machine, a
    /// new OS user: it is written at the next commit).
    pub fn check(&self, db: &mut dyn Db) -> Result<Option<Break>> {
        let head = store::audit::head(db)?.unwrap_or(Seal::EMPTY);
        self.check_at(db, head)
    }

    /// [`HeadsNow::check`] of a chain whose head, read in the same transaction, is `head`.
    pub fn check_at(&self, db: &mut dyn Db, head: Seal) -> Result<Option<Break>> {
        if let Some(seal) = &self.seal {
            match stand(db, seal, self.ledger.as_deref(), head, false)? {
                Standing::Broken(b) => return Ok(Some(b)),
                Standing::Missing if head.seq > 0 => {
                    return Ok(Some(Break { seq: head.seq, why: Breakage::SealMissing }));
                }
                Standing::Missing | Standing::Holds => {}
            }
        }
        if let Some(anchor) = &self.anchor
            && let Standing::Broken(b) = stand(db, anchor, self.ledger.as_deref(), head, true)?
        {
            return Ok(Some(b));
        }
        Ok(None)
    }

    /// The sequence number the seal names (its confirmed head), if it reads.
    fn sealed_seq(&self) -> Option<i64> {
        self.seal.as_ref().and_then(seq_of)
    }

    fn anchored_seq(&self) -> Option<i64> {
        self.anchor.as_ref().and_then(seq_of)
    }
}

fn seq_of(read: &std::result::Result<Read, crate::headfile::Forged>) -> Option<i64> {
    match read {
        Ok(Read::Head(h)) => Some(h.newest().seq),
        Ok(Read::Legacy(s)) => Some(s.seq),
        _ => None,
    }
}

impl Heads {
    /// Reads the seal and the anchor now.
    pub fn read_now(&self, key: &[u8; 32]) -> HeadsNow {
        HeadsNow {
            seal: Some(self.seal.read(key)),
            anchor: self.anchor.as_ref().map(|a| a.read(key)),
            ledger: self.ledger.clone(),
        }
    }

    /// The chain in `db`, whose head (read in the same transaction) is `head`, against the
    /// seal and the anchor as they are now.
    pub fn check_at(&self, db: &mut dyn Db, key: &[u8; 32], head: Seal) -> Result<Option<Break>> {
        self.read_now(key).check_at(db, head)
    }

    /// Writes `head` to the seal and the anchor.
    pub fn write(&self, head: &SealedHead, key: &[u8; 32], durable: Durable) -> std::io::Result<()> {
        self.seal.write(head, key, durable)?;
        if let Some(anchor) = &self.anchor {
            anchor.write(head, key, durable)?;
        }
        Ok(())
    }
}

/// Removes temporary head files (`.ledger.seal.<pid>.<random>`) older than a minute: a
/// process killed between writing one and renaming it leaves it behind.
pub fn clean_stale_seal_temps(seal: &Path) {
    let (Some(dir), Some(name)) = (seal.parent(), seal.file_name().and_then(|n| n.to_str())) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 60);
        if file.starts_with(&prefix) && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// What `audit verify` holds the chain to besides the seal and the default anchor.
#[derive(Debug, Clone, Default)]
pub struct VerifyAgainst {
    /// An anchor file kept elsewhere (instead of the seal and the default anchor).
    pub anchor: Option<PathBuf>,
    /// `SEQ:HASH` as printed on a journal: the chain must hold that entry.
    pub expect: Option<(i64, String)>,
}

/// Why a walk of the chain stopped early: the ledger could not be read.
struct Stop(store::StoreError);

impl From<store::StoreError> for Stop {
    fn from(e: store::StoreError) -> Self {
        Self(e)
    }
}

/// A break of the chain and the fingerprint of the entry it was found at.
type FoundBreak = (Break, [u8; 32]);

/// Every break of the chain from `from_seq` on (picking up after each), with the count
/// of entries walked and the last entry.
fn walk_chain(
    db: &mut dyn Db,
    key: &[u8; 32],
    from: Option<Seal>,
    accepted: &[AcceptedBreak],
    all: bool,
) -> Result<(Vec<FoundBreak>, Option<Seal>)> {
    let acknowledged = accepted
        .iter()
        .filter_map(|a| {
            let why = a.what.parse::<Breakage>().ok().filter(|w| w.is_entry())?;
            let mut hash = [0u8; 32];
            hex::decode_to_slice(a.row_key.as_deref()?, &mut hash).ok()?;
            Some((a.seq?, why, hash))
        })
        .collect();
    let mut verifier = match from {
        Some(start) => Verifier::resuming(key, start),
        None => Verifier::new(key),
    }
    .accepting(acknowledged);
    let mut breaks = Vec::new();
    let mut last = None;
    let from_seq = from.map_or(1, |s| s.seq + 1);
    let walked = store::audit::for_each(db, from_seq, |e: &Entry| {
        last = Some(Seal { seq: e.seq, hash: e.hash });
        if let Err(b) = verifier.check(e) {
            breaks.push((b, crate::domain::audit::fingerprint(e)));
            if !all {
                return Err(Stop(store::StoreError::Damaged("stop".into())));
            }
        }
        Ok(())
    });
    match walked {
        Ok(()) => {}
        Err(Stop(_)) if !breaks.is_empty() => {}
        Err(Stop(e)) => return Err(e.into()),
    }
    Ok((breaks, last))
}

/// The findings of a full check, for `audit verify` and `audit accept`.
struct Findings {
    chain: Vec<FoundBreak>,
    head_break: Option<Break>,
    report: VerifyReport,
}

impl Ledger {
    /// How many entries the audit trail holds.
    pub fn audit_count(&mut self) -> Result<i64> {
        Ok(store::audit::count(&mut self.conn)?)
    }

    /// The chain's head now: what the daily journal prints for the supervisor's 検印.
    pub fn chain_head(&mut self) -> Result<Seal> {
        Ok(store::audit::head(&mut self.conn)?.unwrap_or(Seal::EMPTY))
    }

    /// The break found when the ledger was opened (or at a write since), if any: the
    /// ledger is then refused for writing until an administrator accepts it.
    pub fn refusal(&self) -> Option<Break> {
        self.refusal
    }

    /// The check made when a ledger is opened: its chain holds the sealed and anchored
    /// heads, its last entries (and any written after the seal) verify, and the sealed
    /// state matches the chain and the tables that decide who may do or try what. The head
    /// files are read first, then everything else at one instant of the ledger.
    pub(crate) fn check_on_open(&mut self) -> Result<Option<Break>> {
        let Some(heads) = self.heads.clone() else { return Ok(None) };
        let key = *self.keys.mac_key();
        let now = heads.read_now(&key);
        let mut snap = self.conn.snapshot()?;
        let found = open_check(&mut snap, &key, &now)?;
        snap.commit()?;
        Ok(found)
    }

    /// The check of [`Ledger::check_on_open`] made again now (`serve`'s health): the
    /// chain holds its sealed and anchored heads and the sealed state matches.
    pub fn check_now(&mut self) -> Result<Option<Break>> {
        self.check_on_open()
    }

    /// Walks the whole chain, holds it to the seal and the anchor (or to what is given),
    /// and checks every covered row and the tables' row counts.
    pub fn verify_against(&mut self, against: &VerifyAgainst) -> Result<VerifyReport> {
        Ok(self.findings(against, false)?.report)
    }

    /// The chain alone, walked whole: entries walked and whether every one verified (the
    /// part of `audit verify` whose rate the bench reports).
    pub fn verify_chain_only(&mut self) -> Result<(i64, bool)> {
        let key = *self.keys.mac_key();
        let accepted = accepted_breaks(&mut self.conn)?;
        let (breaks, last) = walk_chain(&mut self.conn, &key, None, &accepted, false)?;
        Ok((last.map_or(0, |h| h.seq), breaks.is_empty()))
    }

    /// [`Ledger::verify_against`] the seal and the default anchor.
    pub fn verify_audit(&mut self) -> Result<VerifyReport> {
        self.verify_against(&VerifyAgainst::default())
    }

    /// Everything found wrong. The head files (the seal and the anchor, or the anchor
    /// given) are read first, then the ledger at one instant.
    fn findings(&mut self, against: &VerifyAgainst, all: bool) -> Result<Findings> {
        let key = *self.keys.mac_key();
        let given = against.anchor.is_some() || against.expect.is_some();
        let now = match (&self.heads, &against.anchor) {
            (_, Some(path)) => Some(HeadsNow {
                seal: None,
                anchor: Some(HeadFile::new(path.clone()).read(&key)),
                ledger: self.heads.as_ref().and_then(|h| h.ledger.clone()),
            }),
            (Some(heads), None) if !given => Some(heads.read_now(&key)),
            _ => None,
        };
        let mut snap = self.conn.snapshot()?;
        let found = findings_in(&mut snap, &key, now.as_ref(), against, all)?;
        snap.commit()?;
        Ok(found)
    }

    /// An administrator acknowledges every break found after investigating it: each is
    /// recorded for good (and listed by every verification after), the rows that failed
    /// their MAC and the row counts are sealed as they are now, and the seal and the anchor
    /// name the head again. Refused when nothing is broken.
    pub fn accept_breaks(&mut self, session: &Session, reason: &str) -> Result<usize> {
        self.allowed(session, Operation::Administer, None)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(Problem::AcceptReason));
        }
        let found = self.findings(&VerifyAgainst::default(), true)?;
        let report = &found.report;
        if found.chain.is_empty()
            && found.head_break.is_none()
            && report.bad_rows.is_empty()
            && report.counts.is_empty()
        {
            return Err(ServiceError::Invalid(Problem::NothingToAccept));
        }
        let head = report.head.map_or(0, |h| h.seq);
        let os_user = super::os_user();
        let by = session.id.clone();
        let mut tables: Vec<String> = report.bad_rows.iter().map(|(t, _)| t.clone()).collect();
        tables.sort();
        tables.dedup();
        let counts = report.counts.clone();
        let rows = report.bad_rows.clone();
        let chain = found.chain.clone();
        let head_break = found.head_break;
        let n = chain.len() + usize::from(head_break.is_some()) + rows.len() + counts.len();
        self.write_unchecked(&Actor::staff(session), |w| {
            let at = w.at;
            let record =
                |w: &mut super::Writer<'_>, what: &str, seq, table: Option<&str>, key: Option<&str>, detail: &str| {
                    let b = store::breaks::NewAccepted {
                        what,
                        seq,
                        row_table: table,
                        row_key: key,
                        detail,
                        reason,
                        accepted_by: &by,
                        os_user: &os_user,
                        at,
                    };
                    store::breaks::insert(&mut w.tx, &b).map(|_| ())
                };
            for (b, hash) in &chain {
                record(w, b.why.code(), Some(b.seq), None, Some(&hex::encode(hash)), "")?;
            }
            if let Some(b) = head_break {
                let detail = format!("the ledger ends at {head}, the head kept was {}", b.seq);
                record(w, b.why.code(), Some(b.seq), None, None, &detail)?;
            }
            for (table, key) in &rows {
                record(w, "row", None, Some(table), Some(key), "")?;
            }
            for c in &counts {
                let detail = format!("sealed {}, found {}", c.sealed, c.found);
                record(w, "count", None, Some(&c.table), None, &detail)?;
            }
            for t in store::integrity::tables().filter(|t| tables.iter().any(|b| b == t.table)) {
                store::integrity::seal_all(&mut w.tx, t)?;
            }
            // From here the state is what the tables hold; the head is noted at COMMIT.
            store::meta::set_state_to_tables(&mut w.tx, 0)?;
            w.audit("audit.accept", "ledger", json!({ "reason": reason, "breaks": n, "os_user": os_user }))
        })?;
        self.refusal = None;
        Ok(n)
    }

    /// An online, consistent copy through SQLite's backup API into one private file,
    /// verified after writing: SQLite's integrity check, the whole chain, every row, and
    /// the copy's head is the source's. A source that fails its own check is refused. The
    /// key file is not copied: keep it apart from the backups.
    pub fn backup(&mut self, session: &Session, dest: &Path) -> Result<VerifyReport> {
        self.allowed(session, Operation::Administer, None)?;
        if dest.exists() {
            return Err(ServiceError::Exists(dest.to_path_buf()));
        }
        let source = self.verified_source()?;
        let copy = match self.conn.sqlite() {
            Some(sqlite) => store::backup_to(sqlite, dest)?,
            // From PostgreSQL: row by row into a new private file, then one file.
            None => {
                let row_key = store::integrity::RowKey::new(*self.keys.row_key());
                let mut conn = store::sqlite::Conn::new(store::create(dest)?, row_key);
                let mut tx = conn.begin()?;
                self.copy_rows_into(&mut tx)?;
                tx.commit()?;
                store::close_as_one_file(conn.into_inner())?;
                store::open_read_only(dest)?
            }
        };
        let mut copy = crate::store::sqlite::Conn::new(copy, self.conn.row_key().clone());
        let key = *self.keys.mac_key();
        let accepted = store::breaks::all(&mut copy)?;
        let (breaks, last) = walk_chain(&mut copy, &key, None, &accepted, false)?;
        let entries = store::audit::count(&mut copy)?;
        let mut report = VerifyReport { entries, head: last, accepted, ..VerifyReport::default() };
        report.first_bad = breaks.first().map(|(b, _)| *b);
        // The copy is the source at one instant: it holds the head the source had when
        // verified, or a later one.
        let copied_head = source.head.map_or(0, |h| h.seq);
        let held = match source.head {
            Some(h) => store::audit::hash_at(&mut copy, h.seq)? == Some(h.hash),
            None => true,
        };
        if !held && report.first_bad.is_none() {
            report.first_bad = Some(Break { seq: copied_head, why: Breakage::Rollback });
        }
        walk_rows(&mut copy, &mut report)?;
        Ok(report)
    }
}

/// What a ledger's open checks, in one snapshot `db`.
fn open_check(db: &mut dyn Db, key: &[u8; 32], now: &HeadsNow) -> Result<Option<Break>> {
    if let Some(b) = now.check(db)? {
        return Ok(Some(b));
    }
    let head = store::audit::head(db)?.map_or(0, |h| h.seq);
    let sealed = now.sealed_seq().unwrap_or(head).min(head);
    let from_seq = (head - OPEN_CHECK_ENTRIES).min(sealed).max(0);
    let start = match from_seq {
        0 => None,
        n => store::audit::hash_at(db, n)?.map(|hash| Seal { seq: n, hash }),
    };
    let accepted = accepted_breaks(db)?;
    let (breaks, _) = walk_chain(db, key, start, &accepted, false)?;
    if let Some((b, _)) = breaks.first() {
        return Ok(Some(*b));
    }
    check_state(db, head)
}

/// Whether the ledger's rows were ever sealed (a ledger of the earlier version, opened
/// only to read, has neither MACs nor a sealed state yet).
fn rows_sealed(db: &mut dyn Db) -> Result<bool> {
    Ok(store::schema_version_of(db)? == store::migrations::MIGRATIONS.len() as i64 && store::upgrade::was_sealed(db)?)
}

/// The sealed state against the chain's head and against the tables checked at open: a
/// state row copied back from an older copy names an older head; a staff row or a failure
/// count copied back leaves its table's versions short.
fn check_state(db: &mut dyn Db, head: i64) -> Result<Option<Break>> {
    if !rows_sealed(db)? {
        return Ok(None);
    }
    let state = match store::meta::state(db) {
        Ok(Some(s)) => s,
        Ok(None) | Err(store::StoreError::Tampered(_)) => return Ok(Some(Break { seq: head, why: Breakage::State })),
        Err(e) => return Err(e.into()),
    };
    if state.head != head {
        return Ok(Some(Break { seq: state.head, why: Breakage::State }));
    }
    let mismatches = state_mismatches(db, &state, CHECKED_AT_OPEN.into_iter())?;
    Ok((!mismatches.is_empty()).then_some(Break { seq: head, why: Breakage::State }))
}

/// The breaks acknowledged so far (none on a ledger of the earlier version, opened only
/// to read: it has no table for them yet).
fn accepted_breaks(db: &mut dyn Db) -> Result<Vec<AcceptedBreak>> {
    if store::schema_version_of(db)? < store::migrations::MIGRATIONS.len() as i64 {
        return Ok(Vec::new());
    }
    Ok(store::breaks::all(db)?)
}

/// Everything `audit verify` finds, in one snapshot `db`; `now` the head files read
/// before it (none when only `--expect` is given, or in memory).
fn findings_in(
    db: &mut dyn Db,
    key: &[u8; 32],
    now: Option<&HeadsNow>,
    against: &VerifyAgainst,
    all: bool,
) -> Result<Findings> {
    let accepted = accepted_breaks(db)?;
    let (chain, _) = walk_chain(db, key, None, &accepted, all)?;
    let entries = store::audit::count(db)?;
    let head = store::audit::head(db)?;
    let head_seq = head.map_or(0, |h| h.seq);
    let mut report = VerifyReport { entries, head, accepted, ..VerifyReport::default() };
    let mut head_break = None;
    if let Some(now) = now {
        report.sealed = now.sealed_seq();
        report.anchored = now.anchored_seq();
        head_break = now.check(db)?;
        if against.anchor.is_some() && matches!(now.anchor, Some(Ok(Read::Missing))) {
            let path = against.anchor.clone().unwrap_or_default();
            return Err(ServiceError::Io { path, source: std::io::Error::from(std::io::ErrorKind::NotFound) });
        }
    }
    if let Some((seq, prefix)) = &against.expect {
        report.anchored = Some(*seq);
        let stored = store::audit::hash_at(db, *seq)?;
        let holds = matches!(stored, Some(h) if hex::encode(h).starts_with(prefix.as_str()));
        if !holds && head_break.is_none() {
            head_break = Some(Break { seq: *seq, why: Breakage::Rollback });
        }
    }
    if rows_sealed(db)? {
        report.file_check = store::file_check(db)?;
        walk_rows(db, &mut report)?;
        let state = match store::meta::state(db) {
            Ok(s) => s,
            Err(store::StoreError::Tampered(_)) => None,
            Err(e) => return Err(e.into()),
        };
        report.counts = state_mismatches(db, &state.clone().unwrap_or_default(), store::integrity::tables())?;
        // The state row copied back from an older copy names an older head.
        if head_break.is_none() && state.as_ref().is_some_and(|s| s.head != head_seq) {
            head_break = state.map(|s| Break { seq: s.head, why: Breakage::State });
        }
    }
    report.first_bad = chain.first().map(|(b, _)| *b).or(head_break);
    Ok(Findings { chain, head_break, report })
}

/// Every covered row against its MAC, into the report.
fn walk_rows(db: &mut dyn Db, report: &mut VerifyReport) -> Result<()> {
    for t in store::integrity::tables() {
        let mut bad = Vec::new();
        report.rows += store::integrity::walk(db, t, &mut |b| bad.push(b))?;
        report.bad_rows.extend(bad.into_iter().map(|b| (b.table.to_string(), b.key)));
    }
    Ok(())
}

/// Where `tables` differ from the sealed state: a row deleted or copied back from an older
/// copy (its version lower than the one sealed).
fn state_mismatches(
    db: &mut dyn Db,
    state: &store::meta::State,
    tables: impl Iterator<Item = &'static store::integrity::Covered>,
) -> Result<Vec<CountMismatch>> {
    let mut out = Vec::new();
    for t in tables {
        let (rows, versions) = store::meta::table_now(db, t.table)?;
        let sealed_rows = state.rows.get(t.table).copied().unwrap_or(0);
        let sealed_versions = state.versions.get(t.table).copied().unwrap_or(0);
        if rows != sealed_rows {
            out.push(CountMismatch {
                table: t.table.to_string(),
                what: "rows".into(),
                sealed: sealed_rows,
                found: rows,
            });
        }
        if versions != sealed_versions {
            out.push(CountMismatch {
                table: t.table.to_string(),
                what: "versions".into(),
                sealed: sealed_versions,
                found: versions,
            });
        }
    }
    Ok(out)
}

/// The tables held against the sealed state at every open: who may do what (staff), the
/// ledger's own facts, branches, receipt counters and accepted breaks, and what decides
/// whether a login may be tried at all (failure counts, locks, the unknown IDs' counts), so
/// that a count wound back from an older copy never buys more guesses. The large tables
/// (contracts, users, tokens, fees…) are held by `audit verify`.
const CHECKED_AT_OPEN: [&store::integrity::Covered; 9] = [
    &store::integrity::STAFF,
    &store::integrity::API_KEYS,
    &store::integrity::META,
    &store::integrity::BRANCHES,
    &store::integrity::RECEIPT_COUNTERS,
    &store::integrity::ACCEPTED,
    &store::integrity::FAILURES,
    &store::integrity::LOCKS,
    &store::integrity::SHADOW,
];

/// What staff type into the audit trail's filters.
#[derive(Debug, Clone, Default)]
pub struct TrailQuery {
    /// CIF (`101-0000001` or ten digits) or a login ID.
    pub customer: String,
    pub staff: String,
    /// The start of an action's code (`lock.`), as typed.
    pub action: String,
    /// Actions whose label matched what was typed (the screen matches the labels).
    pub actions: Vec<String>,
    /// Japan dates, YYYY-MM-DD, inclusive.
    pub from: String,
    pub to: String,
}

impl Ledger {
    /// The audit trail, newest first, a page older than `before`.
    pub fn audit_trail(
        &mut self,
        session: &Session,
        q: &TrailQuery,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<TrailEntry>> {
        self.allowed(session, Operation::ViewAudit, None)?;
        let bad_date = || ServiceError::Invalid(Problem::BadDate);
        let day_start = |s: &str, plus: i64| -> Result<Option<String>> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            let d = crate::format::parse_date(s).ok_or_else(bad_date)?;
            let local = (d + chrono::Duration::days(plus)).and_hms_opt(0, 0, 0).ok_or_else(bad_date)?;
            let utc = local.and_local_timezone(crate::format::JST).single().ok_or_else(bad_date)?;
            Ok(Some(crate::format::stamp(utc.with_timezone(&chrono::Utc))))
        };
        let customer = q.customer.trim();
        let subject_prefix = if customer.is_empty() {
            None
        } else {
            let digits = crate::domain::kana::digits_only(customer);
            let contract = match store::customers::contract_by_cif(&mut self.conn, &digits)? {
                Some(c) => Some(c.id),
                None => store::customers::user_by_login_id(&mut self.conn, customer)?.map(|u| u.contract_id),
            };
            match contract {
                Some(id) => Some(format!("contract:{id}/")),
                None => return Ok(Vec::new()),
            }
        };
        let filter = store::audit::Filter {
            subject_prefix,
            actor: Some(q.staff.trim().to_string()).filter(|s| !s.is_empty()),
            action_prefix: Some(q.action.trim().to_string()).filter(|s| !s.is_empty()),
            actions: (!q.actions.is_empty()).then(|| q.actions.join(",")),
            from: day_start(&q.from, 0)?,
            to: day_start(&q.to, 1)?,
        };
        let entries = store::audit::search(&mut self.conn, &filter, before, limit)?;
        self.named(entries)
    }

    /// Entries with their subjects named: the company and login ID, the staff member, the
    /// branch. Each contract and user is read once per page.
    fn named(&mut self, entries: Vec<Entry>) -> Result<Vec<TrailEntry>> {
        use crate::domain::audit::{Subject, SubjectRef, parse_subject};
        use std::collections::HashMap;
        let mut contracts: HashMap<i64, Option<crate::domain::customer::Contract>> = HashMap::new();
        let mut users: HashMap<i64, Option<String>> = HashMap::new();
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let subject = match parse_subject(&entry.subject) {
                SubjectRef::Contract { contract, user } => {
                    if let std::collections::hash_map::Entry::Vacant(v) = contracts.entry(contract) {
                        v.insert(store::customers::contract(&mut self.conn, contract)?);
                    }
                    let login_id = match user {
                        Some(u) => {
                            if let std::collections::hash_map::Entry::Vacant(v) = users.entry(u) {
                                v.insert(store::customers::user(&mut self.conn, u)?.map(|u| u.login_id));
                            }
                            users.get(&u).cloned().flatten()
                        }
                        None => None,
                    };
                    match contracts.get(&contract).cloned().flatten() {
                        Some(c) => Subject::Customer { company: c.company, cif: c.cif, login_id },
                        None => Subject::Raw(entry.subject.clone()),
                    }
                }
                SubjectRef::Staff(id) => Subject::Staff(id),
                SubjectRef::Branch(code) => Subject::Branch(code),
                SubjectRef::Ledger => Subject::Ledger,
                SubjectRef::Raw(raw) => Subject::Raw(raw),
            };
            out.push(TrailEntry { entry, subject });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod trail_tests {
    #![allow(clippy::expect_used)]

    use super::*;
    use crate::domain::audit::Subject;
    use crate::service::testkit::{demo, login};

    fn query(customer: &str, actions: &[&str]) -> TrailQuery {
        TrailQuery {
            customer: customer.into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            ..TrailQuery::default()
        }
    }

    /// `by` adds a token for yamada-g1, taking the fee, and asks for its reversal.
    fn fee_and_reversal(l: &mut Ledger, by: &crate::domain::permission::Session) -> i64 {
        let g1 = l.find_user("yamada-g1").expect("q").expect("user").id;
        let serial = l.token_view(by, g1).expect("view").first_in_stock.expect("stock");
        let receipt = l.add_token(by, g1, &serial).expect("add");
        let today = crate::format::business_date(l.now());
        let journal = l.fee_journal(Some(by), today, None).expect("journal");
        let fee = journal.entries.into_iter().find(|f| f.receipt_no == receipt.receipt_no).expect("fee");
        l.request_reversal(by, fee.id, false, "金額誤り").expect("request")
    }

    #[test]
    fn the_trail_names_its_subjects_and_records_what_was_refused() {
        let (mut l, _clock) = demo();
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        // A fee taken, its reversal requested: the request is about the customer.
        let request = fee_and_reversal(&mut l, &clerk);
        // The clerk tries to approve it, which only a supervisor may: refused and recorded.
        assert!(matches!(l.approve(&clerk, request, "000000"), Err(ServiceError::Denied(_))));
        // The customer filter finds the reversal request, named by company and login ID.
        let found = l.audit_trail(&sup, &query("yamada-g1", &["request.create"]), None, 50).expect("trail");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].subject,
            Subject::Customer {
                company: "株式会社山田製作所".into(),
                cif: "1010000001".into(),
                login_id: Some("yamada-g1".into())
            }
        );
        // The refusal is on the trail, with what was tried.
        let denied = l.audit_trail(&sup, &query("", &["staff.denied"]), None, 50).expect("trail");
        assert_eq!(denied.len(), 1, "{denied:?}");
        assert_eq!(denied[0].entry.actor, "clerk101");
        assert!(denied[0].entry.details.contains("approve"), "{}", denied[0].entry.details);
        assert_eq!(denied[0].subject, Subject::Staff("clerk101".into()));
    }

    #[test]
    fn a_supervisor_deciding_their_own_request_is_refused_and_recorded() {
        let (mut l, _clock) = demo();
        let sup = login(&mut l, "super101");
        let request = fee_and_reversal(&mut l, &sup);
        assert!(matches!(l.reject(&sup, request, "自分で"), Err(ServiceError::Invalid(Problem::OwnRequest))));
        let tried = l.audit_trail(&sup, &query("", &["request.own_refused"]), None, 50).expect("trail");
        assert_eq!(tried.len(), 1);
        assert_eq!(tried[0].entry.actor, "super101");
    }
}
