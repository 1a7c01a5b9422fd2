//! The ledger: the only module that speaks SQL. Free functions over a [`Db`] (a
//! connection or a transaction of the engine), grouped by what they hold; they take and
//! return the domain's records, typed.

pub mod api_keys;
pub mod audit;
pub mod breaks;
pub mod bulk;
pub mod conn;
pub mod copy;
pub mod customers;
pub mod fees;
pub mod forms;
pub mod integrity;
pub mod locks;
pub mod meta;
pub mod migrations;
pub mod pg;
pub mod pgtls;
pub mod requests;
pub mod search;
pub mod shadow;
pub mod sql;
pub mod sqlite;
pub mod staff;
pub mod tokens;
pub mod upgrade;

pub use conn::{Conn, Tx};
pub use sql::Db;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

/// What went wrong with the ledger, sorted into what a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ledger not found")]
    Missing,
    #[error("ledger is read-only")]
    ReadOnly,
    #[error("ledger is locked by another process")]
    Busy,
    #[error("not a madoguchi ledger, or damaged: {0}")]
    Corrupt(String),
    #[error("ledger version {found} is newer than this program (knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("a record with that key already exists")]
    Duplicate,
    /// A row that does not read as what the program wrote: a damaged or edited ledger.
    #[error("a ledger row cannot be read: {0}")]
    Damaged(String),
    /// A row whose MAC does not match what it holds: edited, moved or forged without the key.
    #[error("a ledger row fails its MAC: {0}")]
    Tampered(integrity::BadRow),
    /// A schema object the migrations did not make (a trigger, an index, a view…), or one
    /// of theirs changed: planted to act inside the program's own writes.
    #[error("the ledger's schema was changed: {0}")]
    Schema(String),
    #[error("migration {number} failed: {detail}")]
    Migration { number: usize, detail: String },
    #[error("{}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("ledger error")]
    Sqlite(#[source] rusqlite::Error),
    /// The shared ledger cannot be reached (the server down, the connection cut): nothing
    /// of the step in flight was committed, unless it says so.
    #[error("the ledger database cannot be reached")]
    Unreachable(#[source] postgres::Error),
    /// The shared ledger's server answered and turned the connection down: no database of
    /// that name, or a user or password it does not take. Trying again will not help.
    #[error("the ledger database refused the connection")]
    Refused(#[source] postgres::Error),
    /// The shared ledger's server ended this transaction to break a deadlock or keep
    /// transactions serializable: nothing of it was committed, and it is run again.
    #[error("the ledger database ended the step to let another one through")]
    Conflict(#[source] postgres::Error),
    /// TLS for the shared ledger cannot be set up as its URL asks (an unknown `sslmode`,
    /// an unreadable `sslrootcert`): nothing was tried.
    #[error("TLS for the ledger database: {0}")]
    Tls(String),
    #[error("ledger database error")]
    Postgres(#[source] postgres::Error),
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        match e.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION => Self::Duplicate,
            Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => Self::ReadOnly,
            Some(c) if *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CANNOT_CONNECT_NOW => Self::Unreachable(e),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED => {
                Self::Conflict(e)
            }
            None if e.is_closed() || e.as_db_error().is_none() => Self::Unreachable(e),
            _ => Self::Postgres(e),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                C::ReadOnly => Self::ReadOnly,
                C::DatabaseBusy | C::DatabaseLocked => Self::Busy,
                C::NotADatabase | C::DatabaseCorrupt => Self::Corrupt(e.to_string()),
                C::CannotOpen => Self::Missing,
                C::ConstraintViolation
                    if matches!(f.extended_code, SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY) =>
                {
                    Self::Duplicate
                }
                _ => Self::Sqlite(e),
            },
            _ => Self::Sqlite(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Opens an existing ledger, sets its pragmas and applies pending migrations. A file
/// that is not a madoguchi ledger is refused before anything is written to it.
pub fn open(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(StoreError::Missing);
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    harden(&conn)?;
    check_is_ledger(&conn)?;
    if conn.is_readonly(rusqlite::DatabaseName::Main)? {
        return Err(StoreError::ReadOnly);
    }
    let conn = prepare(conn)?;
    check_schema(&conn)?;
    Ok(conn)
}

/// Nothing stored in the file runs inside the program's writes: triggers never fire, the
/// schema is not trusted to call functions, and the connection is defensive (no
/// `writable_schema`, no raw page writes).
fn harden(conn: &Connection) -> Result<()> {
    use rusqlite::config::DbConfig;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.execute_batch("PRAGMA trusted_schema = OFF;")?;
    Ok(())
}

/// One schema object as SQLite keeps it: (type, name, table, SQL).
type SchemaObject = (String, String, String, Option<String>);

/// The schema objects of a database.
fn schema_of(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Refuses a ledger whose schema is not exactly what its migrations make: an object
/// planted by hand (a trigger that rewrites rows inside the program's writes, an index that
/// hides rows from a count) is named.
pub fn check_schema(conn: &Connection) -> Result<()> {
    let version = schema_version(conn)?;
    let mut expected = Connection::open_in_memory()?;
    migrate_to(&mut expected, usize::try_from(version).unwrap_or(0))?;
    let want = schema_of(&expected)?;
    let have = schema_of(conn)?;
    if let Some((kind, name, _, _)) = have.iter().find(|o| !want.contains(o)) {
        return Err(StoreError::Schema(format!("{kind} {name}")));
    }
    if let Some((kind, name, _, _)) = want.iter().find(|o| !have.contains(o)) {
        return Err(StoreError::Schema(format!("{kind} {name} missing")));
    }
    Ok(())
}

/// Opens an existing ledger for reading only (verifying a ledger or a backup on
/// read-only media); nothing is migrated or written.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(StoreError::Missing);
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(sqlite::STATEMENT_CACHE);
    harden(&conn)?;
    check_is_ledger(&conn)?;
    check_schema(&conn)?;
    Ok(conn)
}

/// A madoguchi ledger has a known schema version and its key check value.
fn check_is_ledger(conn: &Connection) -> Result<()> {
    let found = schema_version(conn)?;
    let known = migrations::MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    let has_key_check = found >= 1
        && conn
            .query_row("SELECT count(*) FROM meta WHERE key = 'key_check'", [], |r| r.get::<_, i64>(0))
            .is_ok_and(|n| n == 1);
    if !has_key_check {
        return Err(StoreError::Corrupt("not a madoguchi ledger".into()));
    }
    Ok(())
}

/// Creates a new ledger file; refuses to touch an existing one.
pub fn create(path: &Path) -> Result<Connection> {
    if path.exists() {
        return Err(StoreError::Duplicate);
    }
    // Made private before SQLite opens it: SQLite gives the WAL and SHM files the mode of
    // the database file, so they are private too, whatever the process umask.
    private_new_file(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    prepare(conn)
}

/// An in-memory ledger, for tests and benchmarks.
pub fn memory() -> Result<Connection> {
    prepare(Connection::open_in_memory()?)
}

fn prepare(mut conn: Connection) -> Result<Connection> {
    conn.busy_timeout(Duration::from_secs(10))?;
    harden(&conn)?;
    conn.set_prepared_statement_cache_capacity(sqlite::STATEMENT_CACHE);
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" && mode != "memory" {
        return Err(StoreError::Corrupt(format!("journal mode {mode}")));
    }
    // FULL: a receipt that was handed out is on disk even after a power cut.
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
    if conn.is_readonly(rusqlite::DatabaseName::Main)? {
        return Err(StoreError::ReadOnly);
    }
    migrate(&mut conn)?;
    Ok(conn)
}

/// SQLite's own check of the file (every page, every index against its table): `None`
/// when it finds nothing.
pub fn file_check(db: &mut dyn Db) -> Result<Option<String>> {
    match db.engine() {
        sql::Engine::Sqlite => {
            let found: Vec<String> = db.column("PRAGMA quick_check", &[])?;
            Ok((found != ["ok"]).then(|| found.join("; ")))
        }
        // The server keeps its own pages; amcheck is an extension a bank may not have.
        sql::Engine::Postgres => Ok(None),
    }
}

/// The schema version, through the engine-neutral seam.
pub fn schema_version_of(db: &mut dyn Db) -> Result<i64> {
    match db.engine() {
        sql::Engine::Sqlite => db.value("PRAGMA user_version", &[]),
        sql::Engine::Postgres => db.value("SELECT coalesce(max(version), 0) FROM schema_version", &[]),
    }
}

pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies every migration after the ledger's version, in one transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, migrations::MIGRATIONS.len())
}

/// Applies migrations up to `target` (for the test that each applies on its predecessor).
pub fn migrate_to(conn: &mut Connection, target: usize) -> Result<()> {
    let known = migrations::MIGRATIONS.len() as i64;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, sql) in migrations::MIGRATIONS.iter().enumerate().take(target).skip(found as usize) {
        tx.execute_batch(sql).map_err(|source| StoreError::Migration { number: i + 1, detail: source.to_string() })?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    // Migrations 8 and 9 leave Find customer's bodies, counts and index empty: they are
    // made once, from the contracts, by the program's own normalization.
    if (found as usize) < migrations::DIGIT_PAIRS && target >= migrations::SEARCH_GRAMS {
        search::fill_grams_and_bodies(&tx)?;
    }
    tx.commit()?;
    Ok(())
}

/// An online, consistent copy of the ledger into a new private file through SQLite's
/// backup API: one file (rollback journal, no WAL or SHM beside it), checked by SQLite's
/// own integrity check; returns the copy opened read-only.
pub fn backup_to(conn: &Connection, dest: &Path) -> Result<Connection> {
    private_new_file(dest)?;
    {
        let mut copy =
            Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        rusqlite::backup::Backup::new(conn, &mut copy)?.run_to_completion(256, Duration::ZERO, None)?;
        let mode: String = copy.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if mode != "delete" {
            return Err(StoreError::Corrupt(format!("journal mode {mode}")));
        }
    }
    let copy = Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let ok: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(StoreError::Corrupt(ok));
    }
    Ok(copy)
}

/// After a copy into a new SQLite file: one file (rollback journal, no WAL or SHM beside
/// it), checked by SQLite.
pub fn close_as_one_file(conn: Connection) -> Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if mode != "delete" {
        return Err(StoreError::Corrupt(format!("journal mode {mode}")));
    }
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(StoreError::Corrupt(ok));
    }
    Ok(())
}

/// Creates an empty file only its owner can read and write; refuses one already there.
fn private_new_file(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Duplicate),
        Err(source) => Err(StoreError::Io { path: path.to_path_buf(), source }),
    }
}

/// The page cache of this connection, in MiB: large while the demo generator bulk-loads a
/// million contracts, small again for the app that runs all day.
pub fn set_cache_mib(db: &mut dyn Db, mib: u32) -> Result<()> {
    match db.engine() {
        sql::Engine::Sqlite => db.batch(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024)),
        sql::Engine::Postgres => Ok(()),
    }
}

/// Starts a write transaction that takes the write lock at once, so that two terminals
/// never deadlock upgrading a read lock.
pub fn begin(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_applies_on_the_previous_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        for n in 1..=migrations::MIGRATIONS.len() {
            let path = dir.path().join(format!("m{n}.sqlite3"));
            let mut conn = Connection::open(&path).expect("open");
            migrate_to(&mut conn, n - 1).expect("previous version");
            assert_eq!(schema_version(&conn).expect("version"), (n - 1) as i64);
            if n == 1 {
                // Version 0 is only ever migrated by `create`.
                migrate(&mut conn).expect("migrate from nothing");
            }
            conn.execute("INSERT INTO meta (key, value) VALUES ('key_check', 'x')", []).expect("meta");
            drop(conn);
            let conn = open(&path).expect("open migrates");
            assert_eq!(schema_version(&conn).expect("version"), migrations::MIGRATIONS.len() as i64);
            let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("pragma");
            assert_eq!(fk, 1);
            let problems: i64 =
                conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).expect("fk check");
            assert_eq!(problems, 0);
        }
    }

    #[test]
    fn a_foreign_database_is_refused_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("other.sqlite3");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1;").expect("foreign schema");
        drop(conn);
        let before = std::fs::read(&path).expect("read");
        assert!(matches!(open(&path), Err(StoreError::Corrupt(_))));
        assert_eq!(std::fs::read(&path).expect("read"), before);
        std::fs::write(&path, b"").expect("empty file");
        assert!(matches!(open(&path), Err(StoreError::Corrupt(_))));
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 0);
    }

    /// Whatever the schema check would miss, a trigger stored in the file never fires on
    /// the program's connection.
    #[test]
    fn triggers_never_fire_on_a_hardened_connection() {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch(
            "CREATE TABLE t (x); CREATE TABLE tripwire (n);
             CREATE TRIGGER tw AFTER INSERT ON t BEGIN INSERT INTO tripwire VALUES (1); END;",
        )
        .expect("schema");
        harden(&conn).expect("harden");
        conn.execute("INSERT INTO t VALUES (1)", []).expect("insert");
        let fired: i64 = conn.query_row("SELECT count(*) FROM tripwire", [], |r| r.get(0)).expect("count");
        assert_eq!(fired, 0);
        // And the schema cannot be written through the back door.
        assert!(
            conn.execute_batch("PRAGMA writable_schema = ON; DELETE FROM sqlite_schema WHERE name = 't';").is_err()
        );
    }

    #[test]
    fn a_newer_ledger_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.sqlite3");
        let conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", 999).expect("set version");
        drop(conn);
        assert!(matches!(open(&path), Err(StoreError::TooNew { found: 999, .. })));
    }

    #[test]
    fn garbage_and_missing_files_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("junk.sqlite3");
        std::fs::write(&path, b"this is not a database, just some text that is long enough to matter....")
            .expect("write");
        assert!(matches!(open(&path), Err(StoreError::Corrupt(_))), "{:?}", open(&path).err());
        assert!(matches!(open(&dir.path().join("none")), Err(StoreError::Missing)));
    }
}
