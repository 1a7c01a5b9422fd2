//! Use cases: one function per thing staff or a customer does. Each checks the role,
//! applies the rules, and writes in one transaction that appends its audit entry.

pub mod approvals;
pub mod audit;
pub mod bench;
pub mod customers;
pub mod demo;
pub mod error;
pub mod fees;
pub mod forms;
pub mod ib;
pub mod import;
mod integrity;
pub mod staff;
#[cfg(test)]
mod testkit;
pub mod tokens;
pub mod unlock;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use error::{Missing, Problem, ServiceError};

use crate::config::Config;
use crate::domain::audit::Seal;
use crate::format::stamp;
use crate::keyfile::Keys;
use crate::store::integrity::RowKey;
use crate::store::sqlite::{Conn, Tx};
use crate::store::{self, Db, audit::NewEntry};

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
    /// A logged-in staff member.
    Staff(String),
    /// A command run on the machine: `cli:<os user>`.
    Cli(String),
    /// The customer channel (`ib`), by login ID.
    Customer(String),
    /// The demo generator.
    Demo,
}

impl Actor {
    /// A logged-in staff member.
    pub fn staff(session: &crate::domain::permission::Session) -> Self {
        Self::Staff(session.id.clone())
    }

    /// The OS user running a command: `$USER`, `$LOGNAME`, else the numeric uid.
    pub fn cli() -> Self {
        let uid = || {
            std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(|u| format!("uid{u}")))
            })
        };
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(uid)
            .unwrap_or_else(|| "unknown".into());
        Self::Cli(user)
    }

    pub fn label(&self) -> String {
        match self {
            Self::Staff(id) => id.clone(),
            Self::Cli(user) => format!("cli:{user}"),
            Self::Customer(login) => format!("ib:{login}"),
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
    seal_path: Option<PathBuf>,
    demo: bool,
}

/// A write in progress: the transaction, and the audit entries it appends.
pub struct Writer<'a> {
    tx: Tx<'a>,
    keys: &'a Keys,
    pub at: DateTime<Utc>,
    pub stamp: String,
    actor: String,
    head: Option<Seal>,
}

impl Writer<'_> {
    /// Appends an audit entry in this transaction. `subject` names what changed:
    /// `contract:<id>/user:<id>`, `staff:<id>`, `ledger`.
    pub fn audit(&mut self, action: &str, subject: &str, details: serde_json::Value) -> Result<()> {
        let details = details.to_string();
        let seal = store::audit::append(
            &mut self.tx,
            self.keys.mac_key(),
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

/// The seal file sits beside the key file: `ledger.key` → `ledger.seal`.
pub fn seal_path(key_path: &Path) -> PathBuf {
    key_path.with_extension("seal")
}

impl Ledger {
    /// Opens an existing ledger and checks that the key file belongs to it.
    pub fn open(db: &Path, cfg: Config) -> Result<Self> {
        Self::open_with(db, cfg, store::open, false)
    }

    /// Opens a ledger for reading only: `audit verify` on read-only media.
    pub fn open_read_only(db: &Path, cfg: Config) -> Result<Self> {
        Self::open_with(db, cfg, store::open_read_only, true)
    }

    fn open_with(
        db: &Path,
        cfg: Config,
        open: fn(&Path) -> store::Result<rusqlite::Connection>,
        read_only: bool,
    ) -> Result<Self> {
        let key_path = crate::keyfile::key_path(db, cfg.key_file.as_deref());
        let conn = open(db)?;
        let keys = Keys::load(&key_path)?;
        let mut conn = Conn::new(conn, RowKey::new(*keys.row_key()));
        match store::meta::key_check(&mut conn)? {
            Some(v) if v == keys.check_value() => {}
            Some(_) => return Err(ServiceError::WrongKey(key_path)),
            None => return Err(ServiceError::Store(store::StoreError::Corrupt("no key check value".into()))),
        }
        let seal = seal_path(&key_path);
        audit::clean_stale_seal_temps(&seal);
        let mut ledger = Self { conn, keys, cfg, clock: default_clock(), seal_path: Some(seal), demo: false };
        if !read_only {
            ledger.seal_rows_once()?;
        }
        ledger.demo = store::meta::get(&mut ledger.conn, "demo")?.as_deref() == Some("1");
        Ok(ledger)
    }

    /// Creates a new ledger file and its key; refuses to touch existing ones.
    pub fn create(db: &Path, cfg: Config, demo: bool) -> Result<Self> {
        let key_path = crate::keyfile::key_path(db, cfg.key_file.as_deref());
        if db.exists() {
            return Err(ServiceError::Exists(db.to_path_buf()));
        }
        if key_path.exists() {
            return Err(ServiceError::Exists(key_path));
        }
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ServiceError::Io { path: dir.to_path_buf(), source })?;
        }
        let conn = store::create(db)?;
        let keys = match Keys::create(&key_path) {
            Ok(k) => k,
            Err(e) => {
                drop(conn);
                let _ = std::fs::remove_file(db);
                return Err(e.into());
            }
        };
        let conn = Conn::new(conn, RowKey::new(*keys.row_key()));
        let _ = std::fs::remove_file(seal_path(&key_path));
        let mut ledger = Self { conn, keys, cfg, clock: default_clock(), seal_path: Some(seal_path(&key_path)), demo };
        ledger.initialise(demo)?;
        Ok(ledger)
    }

    /// A ledger in memory with a fixed key, for tests and benchmarks.
    pub fn in_memory(cfg: Config, clock: Box<dyn Clock>) -> Result<Self> {
        let keys = Keys::from_bytes([9; 32]);
        let conn = Conn::new(store::memory()?, RowKey::new(*keys.row_key()));
        let mut ledger = Self { conn, keys, cfg, clock, seal_path: None, demo: false };
        ledger.initialise(false)?;
        Ok(ledger)
    }

    /// A demo ledger in memory (for screen snapshots and tests), not yet populated.
    pub fn in_memory_demo(cfg: Config, clock: Box<dyn Clock>) -> Result<Self> {
        let keys = Keys::from_bytes([9; 32]);
        let conn = Conn::new(store::memory()?, RowKey::new(*keys.row_key()));
        let mut ledger = Self { conn, keys, cfg, clock, seal_path: None, demo: true };
        ledger.initialise(true)?;
        Ok(ledger)
    }

    fn initialise(&mut self, demo: bool) -> Result<()> {
        let check = self.keys.check_value();
        let branches = self.cfg.branches.clone();
        self.write(&Actor::cli(), |w| {
            integrity::seal_rows(w)?;
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

    /// Runs `f` in one write transaction as `actor`, then seals the new head outside the
    /// database. Nothing is written when `f` fails.
    pub(crate) fn write<T>(&mut self, actor: &Actor, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let at = self.clock.now();
        let tx = self.conn.begin()?;
        let mut w = Writer { tx, keys: &self.keys, at, stamp: stamp(at), actor: actor.label(), head: None };
        let out = f(&mut w)?;
        let head = w.head;
        let inserted = w.tx.inserted().clone();
        store::meta::add_row_counts(&mut w.tx, &inserted)?;
        w.tx.commit()?;
        if let (Some(head), Some(path)) = (head, &self.seal_path) {
            // The commit stands even if the seal cannot be written; verify then reports
            // the seal as older than the head, which is allowed.
            let _ = audit::write_seal(path, &head, self.keys.mac_key());
        }
        Ok(out)
    }
}
