//! Use cases: one function per thing staff or a customer does. Each checks the role,
//! applies the rules, and writes in one transaction that appends its audit entry.

pub mod api_keys;
pub mod approvals;
pub mod audit;
pub mod bench;
mod copy;
pub mod customers;
pub mod demo;
pub mod error;
pub mod fees;
pub mod forms;
pub mod ib;
pub mod import;
mod integrity;
mod prints;
mod sealer;
pub mod staff;
#[cfg(test)]
mod testkit;
pub mod tokens;
pub mod unlock;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use copy::Copied;
pub use error::{Missing, Problem, ServiceError};

use crate::config::Config;
use crate::domain::audit::{Seal, SealedHead};
use crate::format::stamp;
use crate::headfile::{Durable, HeadFile};
use crate::keyfile::Keys;
use crate::store::integrity::RowKey;
use crate::store::{self, Db, audit::NewEntry};
use crate::store::{Conn, Tx, pg, sqlite};

pub type Result<T> = std::result::Result<T, ServiceError>;

/// Where time comes from, so tests can set it.
pub trait Clock: Send {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock moved by a fixed offset.
pub struct OffsetClock(pub chrono::Duration);

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

/// The clock a ledger opens with: the system's. A debug build (the binary the tests run)
/// also reads `MADOGUCHI_TEST_CLOCK_OFFSET_S`, seconds added to it, so that a workflow test
/// runs every process it starts at one chosen time of the business day and never across
/// midnight in Japan; a release build ignores the variable.
pub fn default_clock() -> Box<dyn Clock> {
    #[cfg(debug_assertions)]
    if let Some(secs) = std::env::var("MADOGUCHI_TEST_CLOCK_OFFSET_S").ok().and_then(|v| v.parse::<i64>().ok()) {
        return Box::new(OffsetClock(chrono::Duration::seconds(secs)));
    }
    Box::new(SystemClock)
}

/// A clock the tests move by hand.
#[derive(Clone)]
pub struct ManualClock(pub std::sync::Arc<std::sync::Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|_| Utc::now())
    }
}

/// Who is acting, as written in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in staff member at a terminal.
    Staff(String),
    /// A staff member who signed in to a command (`--as`); the entry also names the OS
    /// user that ran it.
    Command(String),
    /// A command that needs no sign-in (`init`, the demo, the upgrade), by OS user.
    Cli,
    /// The customer channel (`ib`), by login ID.
    Customer(String),
    /// The customer channel with a login ID that is no customer's: by the first digits of
    /// its keyed hash, never the ID typed.
    UnknownCustomer(String),
    /// The demo generator.
    Demo,
}

/// The OS user running this process, as the kernel says (`uid:1000`): unlike `$USER`,
/// nobody sets it by hand.
pub fn os_user() -> String {
    #[cfg(unix)]
    {
        format!("uid:{}", rustix::process::getuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        "uid:?".into()
    }
}

impl Actor {
    /// A logged-in staff member.
    pub fn staff(session: &crate::domain::permission::Session) -> Self {
        Self::Staff(session.id.clone())
    }

    /// A command run on this machine without signing in.
    pub fn cli() -> Self {
        Self::Cli
    }

    pub fn label(&self) -> String {
        match self {
            Self::Staff(id) | Self::Command(id) => id.clone(),
            Self::Cli => format!("cli:{}", os_user()),
            Self::Customer(login) => format!("ib:{login}"),
            Self::UnknownCustomer(hash) => format!("ib:?{hash}"),
            Self::Demo => "demo".into(),
        }
    }
}

/// An open ledger with its key, its config and its clock. Only the use cases of this
/// module reach its connection.
pub struct Ledger {
    conn: Conn,
    keys: Keys,
    cfg: Config,
    clock: Box<dyn Clock>,
    /// Where the chain's head is sealed and anchored; `None` in memory.
    heads: Option<audit::Heads>,
    /// The break found when opened or at a write since: nothing is written while set.
    refusal: Option<crate::domain::audit::Break>,
    /// Writes each confirmed head, synced, after the write that made it returned.
    sealer: sealer::Sealer,
    demo: bool,
    /// The caller of the customer channel's HTTP service an attempt came through, named in
    /// every entry it writes (`serve` sets it per request).
    via: Option<String>,
}

/// A write in progress: the transaction, and the audit entries it appends.
pub struct Writer<'a> {
    tx: Tx<'a>,
    keys: &'a Keys,
    pub at: DateTime<Utc>,
    pub stamp: String,
    actor: String,
    /// Added to every entry's details: the OS user behind a signed-in command.
    os_user: Option<String>,
    /// Added to every entry's details: the API caller an attempt came through.
    via: Option<String>,
    /// The head before this write (read once, under the write lock), and after its entries.
    before: Seal,
    head: Option<Seal>,
}

impl Writer<'_> {
    /// Appends an audit entry in this transaction. `subject` names what changed:
    /// `contract:<id>/user:<id>`, `staff:<id>`, `ledger`.
    pub fn audit(&mut self, action: &str, subject: &str, mut details: serde_json::Value) -> Result<()> {
        if let (Some(user), Some(map)) = (&self.os_user, details.as_object_mut()) {
            map.insert("os_user".into(), serde_json::Value::String(user.clone()));
        }
        if let (Some(via), Some(map)) = (&self.via, details.as_object_mut()) {
            map.insert("via".into(), serde_json::Value::String(via.clone()));
        }
        let details = details.to_string();
        let seal = store::audit::append_after(
            &mut self.tx,
            self.keys.mac_key(),
            self.head.unwrap_or(self.before),
            &NewEntry { at: &self.stamp, actor: &self.actor, action, subject, details: &details },
        )?;
        self.head = Some(seal);
        Ok(())
    }

    /// Stores a secret's argon2 PHC string, peppered for the row it is kept in, and
    /// returns that row's id.
    pub fn insert_secret_hash(&mut self, phc: &str) -> Result<i64> {
        let key = self.keys.enc_key();
        Ok(store::customers::insert_secret_hash(&mut self.tx, &|id| {
            crate::secret::pepper(key, phc, &crate::secret::Place::secret_hash(id))
        })?)
    }
}

pub use audit::seal_path;

impl Ledger {
    /// Opens an existing ledger, checks that the key file belongs to it, and checks its
    /// chain against the sealed and anchored heads (see [`Ledger::refusal`]).
    pub fn open(db: &Path, cfg: Config) -> Result<Self> {
        Self::open_with(db, cfg, false)
    }

    /// Opens a ledger for reading only: `audit verify` on read-only media.
    pub fn open_read_only(db: &Path, cfg: Config) -> Result<Self> {
        Self::open_with(db, cfg, true)
    }

    /// A ledger on `conn`, on the system clock, before its head files are known.
    fn assemble(conn: Conn, keys: Keys, cfg: Config, demo: bool) -> Self {
        Self {
            conn,
            keys,
            cfg,
            clock: default_clock(),
            heads: None,
            refusal: None,
            sealer: Default::default(),
            demo,
            via: None,
        }
    }

    fn open_with(db: &Path, cfg: Config, read_only: bool) -> Result<Self> {
        let key_path = key_path(db, &cfg);
        // The database first: a missing or foreign ledger is said before a missing key.
        let url = db.to_str().filter(|s| pg::is_url(s));
        let opened = match url {
            Some(url) => Opened::Postgres(Box::new(pg::open(url, read_only)?), url.to_string()),
            None if read_only => Opened::Sqlite(store::open_read_only(db)?),
            None => Opened::Sqlite(store::open(db)?),
        };
        let keys = Keys::load(&key_path)?;
        let mut conn = opened.with_key(&keys);
        match store::meta::key_check(&mut conn)? {
            Some(v) if v == keys.check_value() => {}
            Some(_) => return Err(ServiceError::WrongKey(key_path)),
            None => return Err(ServiceError::Store(store::StoreError::Corrupt("no key check value".into()))),
        }
        let seal = seal_path(&key_path);
        audit::clean_stale_seal_temps(&seal);
        let mut ledger = Self::assemble(conn, keys, cfg, false);
        // A ledger of an earlier schema, opened only to read: its chain is checked against
        // its seal; it has no row MACs, no id and no anchor yet.
        if store::schema_version_of(&mut ledger.conn)? < store::migrations::MIGRATIONS.len() as i64 {
            ledger.heads = Some(ledger.heads_for(seal, None));
            ledger.refusal = ledger.check_on_open()?;
            ledger.demo = store::meta::earlier_demo_mark(&mut ledger.conn)?;
            return Ok(ledger);
        }
        // The ledger's id names its anchor. A ledger whose rows were sealed always has
        // one; without it (or with one that fails its MAC) the anchor cannot be found, and
        // that is itself a break.
        let sealed = store::upgrade::was_sealed(&mut ledger.conn)?;
        let (id, id_lost) = match store::meta::get(&mut ledger.conn, LEDGER_ID) {
            Ok(Some(id)) => (Some(id), false),
            Ok(None) => (None, sealed),
            Err(store::StoreError::Tampered(_)) => (None, true),
            Err(e) => return Err(e.into()),
        };
        let earlier_version = id.is_none() && !sealed;
        ledger.heads = Some(ledger.heads_for(seal.clone(), id));
        if let Some(anchor) = ledger.heads.as_ref().and_then(|h| h.anchor.as_ref()) {
            audit::clean_stale_seal_temps(anchor.path());
        }
        ledger.refusal = ledger.check_on_open()?;
        if id_lost && ledger.refusal.is_none() {
            ledger.refusal = Some(crate::domain::audit::Break { seq: 0, why: crate::domain::audit::Breakage::Seal });
        }
        if earlier_version && !read_only && ledger.refusal.is_none() {
            // Only a ledger that still has the earlier version's seal is sealed as it is:
            // one whose id and whose sealing were removed to have edited rows sealed as
            // good is not.
            if !matches!(HeadFile::new(seal.clone()).read(ledger.keys.mac_key()), Ok(crate::headfile::Read::Legacy(_)))
            {
                ledger.refusal =
                    Some(crate::domain::audit::Break { seq: 0, why: crate::domain::audit::Breakage::Seal });
            } else {
                ledger.seal_rows_once()?;
                let id = store::meta::get(&mut ledger.conn, LEDGER_ID)?;
                ledger.heads = Some(ledger.heads_for(seal, id));
            }
        }
        // A DEMO mark that fails its MAC is no mark: the ledger is treated as a real one
        // (and `audit verify` names the row).
        ledger.demo = match store::meta::get(&mut ledger.conn, "demo") {
            Ok(v) => v.as_deref() == Some("1"),
            Err(store::StoreError::Tampered(_)) => false,
            Err(e) => return Err(e.into()),
        };
        Ok(ledger)
    }

    /// The seal beside the key, and the anchor: the configured file, else one named by the
    /// ledger's id in the state directory.
    fn heads_for(&self, seal: PathBuf, ledger: Option<String>) -> audit::Heads {
        let anchor = match (&self.cfg.audit.anchor_file, &ledger) {
            (Some(path), _) => Some(path.clone()),
            (None, Some(id)) => audit::default_anchor(id),
            (None, None) => None,
        };
        audit::Heads { seal: HeadFile::new(seal), anchor: anchor.map(HeadFile::new), ledger }
    }

    /// Creates a new ledger (a SQLite file, or the tables of an empty PostgreSQL
    /// database) and its key; refuses to touch existing ones.
    pub fn create(db: &Path, cfg: Config, demo: bool) -> Result<Self> {
        let key_path = key_path(db, &cfg);
        let url = db.to_str().filter(|s| pg::is_url(s));
        if url.is_none() && db.exists() {
            return Err(ServiceError::Exists(db.to_path_buf()));
        }
        if key_path.exists() {
            return Err(ServiceError::Exists(key_path));
        }
        for dir in [db.parent(), key_path.parent()].into_iter().flatten().filter(|d| !d.as_os_str().is_empty()) {
            if url.is_some() && Some(dir) == db.parent() {
                continue;
            }
            std::fs::create_dir_all(dir).map_err(|source| ServiceError::Io { path: dir.to_path_buf(), source })?;
        }
        let opened = match url {
            Some(url) => Opened::Postgres(Box::new(pg::create(url)?), url.to_string()),
            None => Opened::Sqlite(store::create(db)?),
        };
        let keys = match Keys::create(&key_path) {
            Ok(k) => k,
            Err(e) => {
                drop(opened);
                if url.is_none() {
                    let _ = std::fs::remove_file(db);
                }
                return Err(e.into());
            }
        };
        let conn = opened.with_key(&keys);
        let seal = seal_path(&key_path);
        let _ = std::fs::remove_file(&seal);
        let id = hex::encode(rand::random::<[u8; 16]>());
        let mut ledger = Self::assemble(conn, keys, cfg, demo);
        ledger.heads = Some(ledger.heads_for(seal, Some(id.clone())));
        ledger.initialise(demo, Some(&id))?;
        Ok(ledger)
    }

    /// A ledger in memory with a fixed key, for tests and benchmarks.
    pub fn in_memory(cfg: Config, clock: Box<dyn Clock>) -> Result<Self> {
        Self::memory(cfg, clock, false)
    }

    /// A demo ledger in memory (for screen snapshots and tests), not yet populated.
    pub fn in_memory_demo(cfg: Config, clock: Box<dyn Clock>) -> Result<Self> {
        Self::memory(cfg, clock, true)
    }

    fn memory(cfg: Config, clock: Box<dyn Clock>, demo: bool) -> Result<Self> {
        let keys = Keys::from_bytes([9; 32]);
        let conn = Opened::Sqlite(store::memory()?).with_key(&keys);
        let mut ledger =
            Self { conn, keys, cfg, clock, heads: None, refusal: None, sealer: Default::default(), demo, via: None };
        ledger.initialise(demo, None)?;
        Ok(ledger)
    }

    fn initialise(&mut self, demo: bool, id: Option<&str>) -> Result<()> {
        let check = self.keys.check_value();
        let branches = self.cfg.branches.clone();
        // The demo generator writes a demo ledger from its first entry on: the same demo,
        // the same entries, whoever makes it.
        let actor = if demo { Actor::Demo } else { Actor::cli() };
        // In memory there is no anchor, but the rows are sealed all the same.
        let id = id.map_or_else(|| hex::encode(rand::random::<[u8; 16]>()), str::to_string);
        self.write(&actor, |w| {
            integrity::seal_rows(w, &id)?;
            store::meta::set(&mut w.tx, "key_check", &check)?;
            if demo {
                store::meta::set(&mut w.tx, "demo", "1")?;
            }
            for b in &branches {
                store::meta::upsert_branch(&mut w.tx, b)?;
            }
            let codes: Vec<&str> = branches.iter().map(|b| b.code.as_str()).collect();
            w.audit("ledger.create", "ledger", serde_json::json!({ "demo": demo, "branches": codes }))
        })
    }

    /// Whether the ledger answers (a shared ledger's lost connection is made again).
    /// Whether `session` may do `op` (for a customer of `branch`); a refusal is recorded
    /// on the audit trail (who tried what, for which branch) before it is returned, so
    /// that attempts beyond one's role are seen. Recording is best effort: a ledger that
    /// cannot be written still refuses.
    pub(crate) fn allowed(
        &mut self,
        session: &crate::domain::permission::Session,
        op: crate::domain::permission::Operation,
        branch: Option<&str>,
    ) -> Result<()> {
        let Err(denied) = session.authorize(op, branch) else { return Ok(()) };
        let subject = format!("staff:{}", session.id);
        let details = serde_json::json!({ "operation": op.code(), "branch": branch });
        let _recorded = self.write(&Actor::staff(session), |w| w.audit("staff.denied", &subject, details.clone()));
        Err(denied.into())
    }

    /// A mark that moves whenever anything is written to the ledger, by any terminal or by
    /// the customer channel: the number of the newest audit entry (every write appends
    /// one). Open screens compare it to know when to read again; one indexed read, the
    /// same on both backends.
    pub fn change_mark(&mut self) -> Result<i64> {
        Ok(store::audit::head(self.db())?.map_or(0, |s| s.seq))
    }

    pub fn ping(&mut self) -> Result<()> {
        match &mut self.conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(c) => Ok(c.ping()?),
        }
    }

    pub fn set_clock(&mut self, clock: Box<dyn Clock>) {
        self.clock = clock;
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// The connection, for the use cases (and their tests).
    pub(crate) fn db(&mut self) -> &mut dyn Db {
        &mut self.conn
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Runs `f` in one write transaction as `actor`, and seals the new head beside the
    /// ledger and at its anchor. Nothing is written when `f` fails, when the ledger was
    /// found tampered, or when the head cannot be sealed.
    pub(crate) fn write<T>(&mut self, actor: &Actor, f: impl FnMut(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        if let Some(found) = self.refusal {
            let head = store::audit::head(&mut self.conn)?.map_or(0, |h| h.seq);
            return Err(ServiceError::Tampered { found, head });
        }
        self.write_inner(actor, true, f)
    }

    /// A write that does not hold the chain to the sealed head first: the one that
    /// acknowledges a break (`audit accept`).
    pub(crate) fn write_unchecked<T>(
        &mut self,
        actor: &Actor,
        f: impl FnMut(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        self.write_inner(actor, false, f)
    }

    /// [`Ledger::write_once`], run again when the shared ledger's server ended it to break a
    /// deadlock or a serialization conflict (nothing of it committed): a clerk never sees
    /// one. Bounded, with a short growing pause; the last one is reported as it is.
    fn write_inner<T>(
        &mut self,
        actor: &Actor,
        check: bool,
        mut f: impl FnMut(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut attempt = 1;
        loop {
            match self.write_once(actor, check, &mut f) {
                Err(ServiceError::Store(store::StoreError::Conflict(_))) if attempt < CONFLICT_ATTEMPTS => {
                    std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    fn write_once<T>(
        &mut self,
        actor: &Actor,
        check: bool,
        f: &mut impl FnMut(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let at = self.clock.now();
        let heads = self.heads.clone();
        let key = *self.keys.mac_key();
        // Writers of this ledger take turns on the seal first, then on the database, so
        // that each seals the head it committed and none seals over a newer one.
        let _turn = match &heads {
            Some(h) => Some(h.seal.lock().map_err(|source| ServiceError::Io { path: h.seal.path().into(), source })?),
            None => None,
        };
        let (mut tx, before) = self.conn.begin_at_head()?;
        let before = before.unwrap_or(Seal::EMPTY);
        // The chain may have been cut or rolled back since the ledger was opened: this
        // write would append to it and seal it as good.
        if check
            && let Some(h) = &heads
            && let Some(found) = h.check_at(&mut tx, &key, before)?
        {
            drop(tx);
            self.refusal = Some(found);
            let head = store::audit::head(&mut self.conn)?.map_or(0, |h| h.seq);
            return Err(ServiceError::Tampered { found, head });
        }
        // Everything that holds the transaction lives in this block, so that after COMMIT
        // the connection is free to be asked whether a lost COMMIT landed.
        let (out, sealed, head, committed) = {
            let os_user = matches!(actor, Actor::Command(_)).then(os_user);
            let mut w = Writer {
                tx,
                keys: &self.keys,
                at,
                stamp: stamp(at),
                actor: actor.label(),
                os_user,
                via: self.via.clone(),
                before,
                head: None,
            };
            let out = f(&mut w)?;
            let head = w.head;
            // The sealed state takes in what this write changed, and the head it ends at.
            let tally = w.tx.take_tally();
            if head.is_some() || !tally.is_empty() {
                store::meta::record_state(&mut w.tx, &tally, head.map_or(before.seq, |h| h.seq))?;
            }
            let sealed = match (heads, head) {
                (Some(h), Some(new)) => {
                    let id = match &h.ledger {
                        Some(id) => id.clone(),
                        None => store::meta::get(&mut w.tx, LEDGER_ID)?.unwrap_or_default(),
                    };
                    // Sealed as pending before COMMIT: a crash before or after it leaves a
                    // seal that names the head the ledger has, and a seal or an anchor that
                    // cannot be written fails the write before anything is committed.
                    let pending = SealedHead { ledger: id.clone(), confirmed: before, pending: Some(new) };
                    h.write(&pending, &key, Durable::Renamed)
                        .map_err(|source| ServiceError::Io { path: h.seal.path().into(), source })?;
                    Some((h, SealedHead::confirmed(&id, new)))
                }
                _ => None,
            };
            failpoint::reached(failpoint::Point::BeforeCommit);
            (out, sealed, head, w.tx.commit())
        };
        match (committed, head) {
            (Ok(()), _) => {}
            // The connection to the shared ledger went during COMMIT: whether the write
            // landed is asked of the ledger again, so the clerk is told the truth — done,
            // or not done and to be done again.
            (Err(store::StoreError::Unreachable(e)), Some(new)) => {
                let landed = store::audit::hash_at(&mut self.conn, new.seq).ok().flatten() == Some(new.hash);
                if !landed {
                    return Err(store::StoreError::Unreachable(e).into());
                }
            }
            (Err(e), _) => return Err(e.into()),
        }
        failpoint::reached(failpoint::Point::AfterCommit);
        if let Some((h, confirmed)) = sealed {
            // Synced off the write path; until then the pending head names this one.
            self.sealer.submit(h.clone(), confirmed, &key);
        }
        Ok(out)
    }
}

/// How many times a write ended by the server for a deadlock or a serialization conflict
/// is tried in all.
const CONFLICT_ATTEMPTS: u32 = 5;

/// Where a test can make this process die in the middle of a write, to prove that a crash
/// at that instant leaves a ledger that opens normally (debug builds only: a release build
/// has no failpoint at all).
pub mod failpoint {
    /// The instants of a write a test may stop the process at.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Point {
        /// The head sealed as pending, the transaction not committed.
        BeforeCommit,
        /// Committed, the head not yet sealed as confirmed.
        AfterCommit,
    }

    #[cfg(debug_assertions)]
    static ARMED: std::sync::Mutex<Option<Point>> = std::sync::Mutex::new(None);

    /// The next write that reaches `point` aborts the process there.
    #[cfg(debug_assertions)]
    pub fn arm(point: Point) {
        if let Ok(mut armed) = ARMED.lock() {
            *armed = Some(point);
        }
    }

    pub(super) fn reached(point: Point) {
        #[cfg(debug_assertions)]
        if ARMED.lock().is_ok_and(|armed| *armed == Some(point)) {
            // As a power cut would: no unwinding, no destructors, no rollback.
            std::process::abort();
        }
        let _ = point;
    }
}

/// A database opened, before its key is known.
pub(crate) enum Opened {
    Sqlite(rusqlite::Connection),
    /// The client, and the URL to connect again with.
    Postgres(Box<postgres::Client>, String),
}

impl Opened {
    pub(crate) fn with_key(self, keys: &Keys) -> Conn {
        let row = RowKey::new(*keys.row_key());
        match self {
            Self::Sqlite(c) => Conn::Sqlite(sqlite::Conn::new(c, row)),
            Self::Postgres(c, url) => Conn::Postgres(Box::new(pg::PgConn::new(*c, row, &url))),
        }
    }
}

/// Where a ledger's key lives: the configured path; else, for a SQLite file, `ledger.key`
/// beside it (docs/spec.md §6), and for a PostgreSQL ledger a file named after the database
/// in the platform data directory (`madoguchi/<database>.key`).
pub fn key_path(db: &Path, cfg: &Config) -> PathBuf {
    if let Some(k) = &cfg.key_file {
        return k.clone();
    }
    match db.to_str().filter(|s| pg::is_url(s)) {
        Some(url) => directories::BaseDirs::new()
            .map(|d| d.data_dir().join("madoguchi"))
            .unwrap_or_else(|| PathBuf::from("."))
            .join(format!("{}.key", pg::database_name(url))),
        None => crate::keyfile::key_path(db, None),
    }
}

/// The meta key of the ledger's id (random; names its anchor file).
const LEDGER_ID: &str = "ledger_id";
