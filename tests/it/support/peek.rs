//! Reading a ledger from the side, as an auditor with a SQL prompt would: a connection of
//! its own and the few rows the tests check, on either backend (a SQLite file opened
//! read-only, or a PostgreSQL URL). The product reads its ledger only through its use
//! cases; the tests look underneath to prove what those wrote.
//!
//! Queries are written once, in the SQL both engines speak, with `?N` parameters (turned
//! into `$N` for PostgreSQL); where the engines differ, [`Peek::pick`] chooses the text.
//! A failing query panics: these are tests.

#![allow(dead_code)]

use std::cell::RefCell;
use std::path::Path;

/// A side connection to a ledger.
pub struct Peek {
    inner: Inner,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<postgres::Client>>),
}

/// A parameter of a query.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<&i64> for Arg {
    fn from(v: &i64) -> Self {
        Self::Int(*v)
    }
}
impl From<u32> for Arg {
    fn from(v: u32) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<usize> for Arg {
    fn from(v: usize) -> Self {
        Self::Int(i64::try_from(v).expect("a count that fits"))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(v.to_string())
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

/// The parameters of a query: `args![a, b]`.
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::support::peek::Arg::from($a)),*][..] };
}
pub use crate::args;

/// One value read.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A value of a Rust type, from a [`Val`].
pub trait FromVal: Sized {
    fn from_val(v: &Val) -> Self;
}

impl FromVal for i64 {
    fn from_val(v: &Val) -> Self {
        match v {
            Val::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }
}
impl FromVal for u32 {
    fn from_val(v: &Val) -> Self {
        u32::try_from(i64::from_val(v)).expect("a u32")
    }
}
impl FromVal for String {
    fn from_val(v: &Val) -> Self {
        match v {
            Val::Text(s) => s.clone(),
            other => panic!("not text: {other:?}"),
        }
    }
}
impl FromVal for Vec<u8> {
    fn from_val(v: &Val) -> Self {
        match v {
            Val::Bytes(b) => b.clone(),
            other => panic!("not bytes: {other:?}"),
        }
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: &Val) -> Self {
        match v {
            Val::Null => None,
            v => Some(T::from_val(v)),
        }
    }
}

/// One row read.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Val>);

impl Row {
    /// Column `i`, as `T`.
    pub fn get<T: FromVal>(&self, i: usize) -> T {
        T::from_val(&self.0[i])
    }
}

/// `?N` parameters as PostgreSQL's `$N`.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_val(row: &postgres::Row, i: usize) -> Val {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    let int = |v: Option<i64>| v.map_or(Val::Null, Val::Int);
    match ty {
        Type::INT8 => int(row.get(i)),
        Type::INT4 => int(row.get::<_, Option<i32>>(i).map(i64::from)),
        Type::INT2 => int(row.get::<_, Option<i16>>(i).map(i64::from)),
        Type::BOOL => int(row.get::<_, Option<bool>>(i).map(i64::from)),
        Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map_or(Val::Null, Val::Bytes),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.get::<_, Option<String>>(i).map_or(Val::Null, Val::Text)
        }
        other => panic!("column {i} is {other}: cast it in the query"),
    }
}

fn sqlite_val(v: rusqlite::types::ValueRef<'_>) -> Val {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(r) => panic!("a real number {r} in the ledger"),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Bytes(b.to_vec()),
    }
}

impl Peek {
    /// A connection to the ledger at `db` (a file, opened read-only, or a PostgreSQL URL).
    pub fn open(db: &Path) -> Self {
        let name = db.to_string_lossy();
        if name.starts_with("postgres://") || name.starts_with("postgresql://") {
            let client = postgres::Client::connect(&name, postgres::NoTls).expect("connect to the ledger's database");
            return Self { inner: Inner::Postgres(Box::new(RefCell::new(client))) };
        }
        let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the ledger read-only");
        c.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
        Self { inner: Inner::Sqlite(c) }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.inner, Inner::Postgres(_))
    }

    /// The text for this backend, where the two engines' SQL differs.
    pub fn pick<'a>(&self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        if self.is_postgres() { postgres } else { sqlite }
    }

    /// Every row of `sql`.
    pub fn rows(&self, sql: &str, args: &[Arg]) -> Vec<Row> {
        match &self.inner {
            Inner::Sqlite(c) => {
                let params: Vec<rusqlite::types::Value> = args
                    .iter()
                    .map(|a| match a {
                        Arg::Int(i) => rusqlite::types::Value::Integer(*i),
                        Arg::Text(s) => rusqlite::types::Value::Text(s.clone()),
                    })
                    .collect();
                let mut stmt = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = stmt.column_count();
                stmt.query_map(rusqlite::params_from_iter(params), |r| {
                    Ok(Row((0..n).map(|i| r.get_ref(i).map(sqlite_val)).collect::<rusqlite::Result<_>>()?))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            Inner::Postgres(c) => {
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
                    .iter()
                    .map(|a| match a {
                        Arg::Int(i) => i as &(dyn postgres::types::ToSql + Sync),
                        Arg::Text(s) => s as &(dyn postgres::types::ToSql + Sync),
                    })
                    .collect();
                let sql = dollar_params(sql);
                let rows = c.borrow_mut().query(&sql, &params).unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.iter().map(|r| Row((0..r.len()).map(|i| pg_val(r, i)).collect())).collect()
            }
        }
    }

    /// The first row of `sql`, if any.
    pub fn row(&self, sql: &str, args: &[Arg]) -> Option<Row> {
        self.rows(sql, args).into_iter().next()
    }

    /// The first column of the one row `sql` must return.
    pub fn one<T: FromVal>(&self, sql: &str, args: &[Arg]) -> T {
        self.row(sql, args).unwrap_or_else(|| panic!("{sql}: no row")).get(0)
    }

    /// The first column of the first row, if there is one.
    pub fn opt<T: FromVal>(&self, sql: &str, args: &[Arg]) -> Option<T> {
        self.row(sql, args).map(|r| r.get(0))
    }

    /// The first column of every row.
    pub fn column<T: FromVal>(&self, sql: &str, args: &[Arg]) -> Vec<T> {
        self.rows(sql, args).iter().map(|r| r.get(0)).collect()
    }

    /// What the engine finds wrong with the stored data: SQLite's `integrity_check` and
    /// `foreign_key_check`. PostgreSQL checks its foreign keys at every COMMIT and has no
    /// cheap whole-file check; there the list is of transactions a killed process left
    /// open (none may outlive their connection).
    pub fn integrity_problems(&self) -> Vec<String> {
        if self.is_postgres() {
            return self.column(
                "SELECT 'open transaction of pid ' || pid::text FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND state LIKE 'idle in transaction%'",
                &[],
            );
        }
        let mut problems: Vec<String> =
            self.column::<String>("PRAGMA integrity_check", &[]).into_iter().filter(|s| s != "ok").collect();
        let fk: Vec<String> = self.column(
            "SELECT \"table\" || ' row ' || ifnull(rowid, '?') || ' -> ' || parent FROM pragma_foreign_key_check",
            &[],
        );
        problems.extend(fk.into_iter().map(|p| format!("foreign key: {p}")));
        problems
    }
}

/// A read-only connection to the ledger at `db`.
pub fn open(db: &Path) -> Peek {
    Peek::open(db)
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub contract_id: i64,
    pub login_id: String,
}

pub fn user_by_login_id(c: &Peek, login: &str) -> Option<User> {
    c.row("SELECT id, contract_id, login_id FROM users WHERE login_id = ?1", args![login]).map(|r| User {
        id: r.get(0),
        contract_id: r.get(1),
        login_id: r.get(2),
    })
}

#[derive(Debug, Clone)]
pub struct Lock {
    pub id: i64,
    pub user_id: i64,
    pub credential: String,
    pub cleared_at: Option<String>,
    pub cleared_by: Option<String>,
}

fn lock_row(r: &Row) -> Lock {
    Lock { id: r.get(0), user_id: r.get(1), credential: r.get(2), cleared_at: r.get(3), cleared_by: r.get(4) }
}

pub fn open_locks(c: &Peek, user_id: i64) -> Vec<Lock> {
    c.rows(
        "SELECT id, user_id, credential, cleared_at, cleared_by FROM locks
         WHERE user_id = ?1 AND cleared_at IS NULL ORDER BY id",
        args![user_id],
    )
    .iter()
    .map(lock_row)
    .collect()
}

pub fn lock(c: &Peek, id: i64) -> Option<Lock> {
    c.row("SELECT id, user_id, credential, cleared_at, cleared_by FROM locks WHERE id = ?1", args![id])
        .as_ref()
        .map(lock_row)
}

/// The consecutive failures of a user's credential (`login`, `pin`…).
pub fn failures(c: &Peek, user_id: i64, credential: &str) -> u32 {
    c.opt("SELECT failures FROM failure_counts WHERE user_id = ?1 AND credential = ?2", args![user_id, credential])
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub decided_by: Option<String>,
}

pub fn request(c: &Peek, id: i64) -> Option<Request> {
    c.row("SELECT id, kind, state, decided_by FROM requests WHERE id = ?1", args![id]).map(|r| Request {
        id: r.get(0),
        kind: r.get(1),
        state: r.get(2),
        decided_by: r.get(3),
    })
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub failures: u32,
    pub locked_at: Option<String>,
    pub disabled_at: Option<String>,
}

pub fn staff(c: &Peek, id: &str) -> Option<Staff> {
    c.row("SELECT failures, locked_at, disabled_at FROM staff WHERE id = ?1", args![id]).map(|r| Staff {
        failures: r.get(0),
        locked_at: r.get(1),
        disabled_at: r.get(2),
    })
}

/// How many audit entries the ledger holds.
pub fn audit_count(c: &Peek) -> i64 {
    c.one("SELECT count(*) FROM audit", &[])
}

/// The last audit entry's number (0 on an empty trail).
pub fn head_seq(c: &Peek) -> i64 {
    c.one("SELECT coalesce(max(seq), 0) FROM audit", &[])
}

/// One audit entry, with its details parsed.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: serde_json::Value,
}

pub fn audit_rows(c: &Peek) -> Vec<AuditRow> {
    c.rows("SELECT seq, actor, action, subject, details FROM audit ORDER BY seq", &[])
        .iter()
        .map(|r| AuditRow {
            seq: r.get(0),
            actor: r.get(1),
            action: r.get(2),
            subject: r.get(3),
            details: serde_json::from_str(&r.get::<String>(4)).unwrap_or(serde_json::Value::Null),
        })
        .collect()
}

/// Whether receipts are numbered 1, 2, 3… per branch with each branch's counter at its
/// last one.
pub fn receipts_gapless(c: &Peek) -> Result<(), String> {
    let mut expected: std::collections::BTreeMap<String, i64> = Default::default();
    for r in c.rows("SELECT branch, receipt_no FROM fees ORDER BY branch, receipt_no", &[]) {
        let (branch, no): (String, i64) = (r.get(0), r.get(1));
        let next = expected.entry(branch.clone()).or_insert(1);
        if no != *next {
            return Err(format!("branch {branch}: receipt {no} where {next} was due"));
        }
        *next += 1;
    }
    for (branch, next) in expected {
        let last: i64 = c.one("SELECT last FROM receipt_counters WHERE branch = ?1", args![&branch]);
        if last != next - 1 {
            return Err(format!("branch {branch}: counter at {last}, last receipt {}", next - 1));
        }
    }
    Ok(())
}
