//! A ledger's connection, whichever engine holds it: the embedded SQLite file or a shared
//! PostgreSQL database. The use cases see only [`Db`]; this is where the two meet.

use super::integrity::{RowKey, Tally};
use super::sql::{Db, Engine, Row, RowFeed, ToSql};
use super::{Result, pg, sqlite};
use crate::domain::audit::Seal;

pub enum Conn {
    Sqlite(sqlite::Conn),
    Postgres(Box<pg::PgConn>),
}

/// A transaction of either engine.
pub enum Tx<'a> {
    Sqlite(sqlite::Tx<'a>),
    Postgres(pg::PgTx<'a>),
}

impl Conn {
    /// A write transaction that holds the ledger's one write lock from its first statement.
    pub fn begin(&mut self) -> Result<Tx<'_>> {
        Ok(match self {
            Self::Sqlite(c) => Tx::Sqlite(c.begin()?),
            Self::Postgres(c) => Tx::Postgres(c.begin()?),
        })
    }

    /// A write transaction and the chain's head as it reads under the write lock (one
    /// round trip on PostgreSQL for the three).
    pub fn begin_at_head(&mut self) -> Result<(Tx<'_>, Option<Seal>)> {
        Ok(match self {
            Self::Sqlite(c) => {
                let mut tx = Tx::Sqlite(c.begin()?);
                let head = super::audit::head(&mut tx)?;
                (tx, head)
            }
            Self::Postgres(c) => {
                let (tx, head) = c.begin_at_head()?;
                (Tx::Postgres(tx), head)
            }
        })
    }

    /// A read transaction: every read through it sees the ledger at one instant.
    pub fn snapshot(&mut self) -> Result<Tx<'_>> {
        Ok(match self {
            Self::Sqlite(c) => Tx::Sqlite(c.snapshot()?),
            Self::Postgres(c) => Tx::Postgres(c.snapshot()?),
        })
    }

    /// The SQLite connection, for what only SQLite does (the online backup).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Self::Sqlite(c) => Some(c.raw()),
            Self::Postgres(_) => None,
        }
    }
}

impl Tx<'_> {
    pub fn commit(self) -> Result<()> {
        match self {
            Self::Sqlite(t) => t.commit(),
            Self::Postgres(t) => t.commit(),
        }
    }
}

/// Both enums speak [`Db`] by handing each call to the engine they hold.
macro_rules! delegate_db {
    ($t:ty, $($v:ident),+) => {
        impl Db for $t {
            fn engine(&self) -> Engine {
                match self { $(Self::$v(c) => c.engine(),)+ }
            }
            fn row_key(&self) -> &RowKey {
                match self { $(Self::$v(c) => c.row_key(),)+ }
            }
            fn note_write(&mut self, table: &'static str, inserted: bool) {
                match self { $(Self::$v(c) => c.note_write(table, inserted),)+ }
            }
            fn take_tally(&mut self) -> Tally {
                match self { $(Self::$v(c) => c.take_tally(),)+ }
            }
            fn execute(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<usize> {
                match self { $(Self::$v(c) => c.execute(sql, args),)+ }
            }
            fn each(&mut self, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
                match self { $(Self::$v(c) => c.each(sql, args, f),)+ }
            }
            fn batch(&mut self, sql: &str) -> Result<()> {
                match self { $(Self::$v(c) => c.batch(sql),)+ }
            }
            fn copy_in(&mut self, table: &str, columns: &str, feed: &mut RowFeed<'_>) -> Result<u64> {
                match self { $(Self::$v(c) => c.copy_in(table, columns, feed),)+ }
            }
        }
    };
}

delegate_db!(Conn, Sqlite, Postgres);
delegate_db!(Tx<'_>, Sqlite, Postgres);
