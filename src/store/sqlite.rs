//! The embedded engine: [`Db`] over a rusqlite connection or transaction. Statements are
//! prepared once per connection and kept (the cache is sized for every statement the
//! store has), parameters are bound by number.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::integrity::{RowKey, Tally};
use super::sql::{Arg, Db, Engine, Row, ToSql, Value};
use super::{Result, StoreError};

/// Every distinct statement of the store fits, so none is prepared twice.
pub const STATEMENT_CACHE: usize = 256;

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[&dyn ToSql]) -> Result<()> {
    if stmt.parameter_count() != args.len() {
        return Err(StoreError::Damaged(format!(
            "statement takes {} parameters, given {}",
            stmt.parameter_count(),
            args.len()
        )));
    }
    for (i, a) in args.iter().enumerate() {
        let arg = a.to_sql();
        let v = match &arg {
            Arg::Null => ValueRef::Null,
            Arg::Int(i) => ValueRef::Integer(*i),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
            Arg::Blob(b) => ValueRef::Blob(b),
        };
        stmt.raw_bind_parameter(i + 1, ToSqlOutput::Borrowed(v))?;
    }
    Ok(())
}

fn value(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => {
            Value::Text(std::str::from_utf8(t).map_err(|_| StoreError::Damaged("text is not UTF-8".into()))?.to_owned())
        }
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        ValueRef::Real(_) => return Err(StoreError::Damaged("a real number where none belongs".into())),
    })
}

fn execute(conn: &Connection, sql: &str, args: &[&dyn ToSql]) -> Result<usize> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, args)?;
    Ok(stmt.raw_execute()?)
}

fn each(conn: &Connection, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, args)?;
    let n = stmt.column_count();
    let mut rows = stmt.raw_query();
    while let Some(r) = rows.next()? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(value(r.get_ref(i)?)?);
        }
        f(Row::new(values))?;
    }
    Ok(())
}

/// The ledger's connection, with the key of its row MACs.
pub struct Conn {
    conn: Connection,
    key: RowKey,
}

impl Conn {
    pub fn new(conn: Connection, key: RowKey) -> Self {
        Self { conn, key }
    }

    /// Starts a write transaction that takes the write lock at once, so that two terminals
    /// never deadlock upgrading a read lock.
    pub fn begin(&mut self) -> Result<Tx<'_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Tx { tx, key: &self.key, tally: Tally::default() })
    }

    /// A read transaction: every read through it sees the ledger at one instant, whatever
    /// other terminals commit meanwhile (checks that compare the chain's head with the
    /// sealed state must not see a write land between the two).
    pub fn snapshot(&mut self) -> Result<Tx<'_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        Ok(Tx { tx, key: &self.key, tally: Tally::default() })
    }

    /// The connection itself, the ledger's key let go.
    pub fn into_inner(self) -> Connection {
        self.conn
    }

    /// The raw connection, for what only SQLite does (the online backup).
    pub fn raw(&self) -> &Connection {
        &self.conn
    }
}

/// A write transaction, counting the covered rows it writes.
pub struct Tx<'a> {
    tx: Transaction<'a>,
    key: &'a RowKey,
    tally: Tally,
}

impl Tx<'_> {
    /// The covered rows written so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

impl Db for Conn {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn row_key(&self) -> &RowKey {
        &self.key
    }

    fn note_write(&mut self, _table: &'static str, _inserted: bool) {}

    fn take_tally(&mut self) -> Tally {
        Tally::default()
    }

    fn execute(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<usize> {
        execute(&self.conn, sql, args)
    }

    fn each(&mut self, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
        each(&self.conn, sql, args, f)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }
}

impl Db for Tx<'_> {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn row_key(&self) -> &RowKey {
        self.key
    }

    fn note_write(&mut self, table: &'static str, inserted: bool) {
        self.tally.note(table, inserted);
    }

    fn take_tally(&mut self) -> Tally {
        std::mem::take(&mut self.tally)
    }

    fn execute(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<usize> {
        execute(&self.tx, sql, args)
    }

    fn each(&mut self, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
        each(&self.tx, sql, args, f)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.tx.execute_batch(sql)?)
    }
}
