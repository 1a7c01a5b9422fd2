//! The ledger's SQL, spoken one way whatever the engine. Store modules write their
//! statements once, with numbered parameters (`?1`), and read typed values out of rows;
//! each engine turns that into its own calls. This is also the one place where the
//! bank's states (token, request, fee, role…) become the words stored in the ledger:
//! see [`sql_text_enum!`](crate::sql_text_enum) and the impls at the bottom.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Result, StoreError};

/// A value as it goes into a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    Null,
    Int(i64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

/// A value as it comes out of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// A statement parameter as the value it is stored as (a row made in memory, sealed
    /// before it is written).
    pub fn of(x: &dyn ToSql) -> Self {
        match x.to_sql() {
            Arg::Null => Self::Null,
            Arg::Int(i) => Self::Int(i),
            Arg::Text(s) => Self::Text(s.into_owned()),
            Arg::Blob(b) => Self::Blob(b.into_owned()),
        }
    }
}

/// Which engine holds the ledger, for the few statements that must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A value that can be a statement parameter.
pub trait ToSql {
    fn to_sql(&self) -> Arg<'_>;
}

/// A value that can be read from a column; a value of the wrong shape is a damaged row.
pub trait FromSql: Sized {
    fn from_sql(v: &Value) -> std::result::Result<Self, String>;
}

/// A record read from one row.
pub trait FromRow: Sized {
    fn from_row(r: &Row) -> Result<Self>;
}

/// One row of a result.
#[derive(Debug, Clone, Default)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn new(values: Vec<Value>) -> Self {
        Self { values }
    }

    /// Column `i` as `T`; a missing column or a value of the wrong shape is an error that
    /// names the column, never a default.
    pub fn get<T: FromSql>(&self, i: usize) -> Result<T> {
        let v = self.values.get(i).ok_or_else(|| StoreError::Damaged(format!("no column {i}")))?;
        T::from_sql(v).map_err(|why| StoreError::Damaged(format!("column {i}: {why}")))
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

/// A connection or a transaction of either engine, with the key of the row MACs.
pub trait Db {
    fn engine(&self) -> Engine;
    /// The key rows are sealed and checked with (see `integrity`).
    fn row_key(&self) -> &super::integrity::RowKey;
    /// A covered row was sealed (`inserted` when it is new): the transaction adds it to the
    /// ledger's sealed state (row counts and version sums) when it commits. A read
    /// connection never writes.
    fn note_write(&mut self, table: &'static str, inserted: bool);
    /// What the transaction has written so far, emptied (the sealed state then starts
    /// from it, or is set whole).
    fn take_tally(&mut self) -> super::integrity::Tally;
    /// Runs one statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<usize>;
    /// Runs a query and calls `f` with each row, in order, stopping at its first error.
    fn each(&mut self, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()>;
    /// Runs several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Appends the rows `feed` gives (through the function it is handed) to `table`'s
    /// `columns`; returns how many. Row by row here; PostgreSQL streams them with `COPY`
    /// (a whole ledger copied, a demo loaded: one statement, not millions of round trips).
    fn copy_in(&mut self, table: &str, columns: &str, feed: &mut RowFeed<'_>) -> Result<u64> {
        let n = columns.split(',').count();
        let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {table} ({columns}) VALUES ({})", marks.join(", "));
        let mut copied = 0u64;
        feed(&mut |values: &[Value]| {
            let args: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
            self.execute(&insert, &args)?;
            copied += 1;
            Ok(())
        })?;
        Ok(copied)
    }
}

/// What [`Db::copy_in`] is given: it calls the function it is handed once per row.
pub type RowFeed<'a> = dyn FnMut(&mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> + 'a;

impl dyn Db + '_ {
    /// Every row of a query as a record.
    pub fn all<T: FromRow>(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, args, &mut |r| {
            out.push(T::from_row(&r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Every row of a query of a covered table as a record, each checked against its MAC:
    /// the query reads the table's covered columns, then `mac`, then anything else.
    pub fn sealed<T: FromRow>(
        &mut self,
        t: &super::integrity::Covered,
        sql: &str,
        args: &[&dyn ToSql],
    ) -> Result<Vec<T>> {
        let key = self.row_key().clone();
        let mut out = Vec::new();
        self.each(sql, args, &mut |r| {
            super::integrity::holds(&key, t, &r).map_err(StoreError::Tampered)?;
            out.push(T::from_row(&r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a sealed query (see [`sealed`](Self::sealed)).
    pub fn sealed_first<T: FromRow>(
        &mut self,
        t: &super::integrity::Covered,
        sql: &str,
        args: &[&dyn ToSql],
    ) -> Result<Option<T>> {
        Ok(self.sealed(t, sql, args)?.into_iter().next())
    }

    /// The first row of a query as a record, if there is one.
    pub fn first<T: FromRow>(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<Option<T>> {
        let mut out = None;
        self.each(sql, args, &mut |r| {
            if out.is_none() {
                out = Some(T::from_row(&r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first column of the first row, if there is a row.
    pub fn scalar<T: FromSql>(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<Option<T>> {
        Ok(self.first::<One<T>>(sql, args)?.map(|o| o.0))
    }

    /// The first column of the one row a query always returns (`count(*)`, `EXISTS`).
    pub fn value<T: FromSql>(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<T> {
        self.scalar(sql, args)?.ok_or_else(|| StoreError::Damaged("query returned no row".into()))
    }

    /// The first column of every row.
    pub fn column<T: FromSql>(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<Vec<T>> {
        Ok(self.all::<One<T>>(sql, args)?.into_iter().map(|o| o.0).collect())
    }
}

/// A row read for its first column only.
struct One<T>(T);

impl<T: FromSql> FromRow for One<T> {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self(r.get(0)?))
    }
}

macro_rules! tuple_rows {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromSql),+> FromRow for ($($t,)+) {
            fn from_row(r: &Row) -> Result<Self> {
                Ok(($(r.get::<$t>($i)?,)+))
            }
        }
    };
}
tuple_rows!(A 0, B 1);
tuple_rows!(A 0, B 1, C 2);
tuple_rows!(A 0, B 1, C 2, D 3);
tuple_rows!(A 0, B 1, C 2, D 3, E 4);

// ---- plain values ----

impl ToSql for i64 {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Int(*self)
    }
}

impl ToSql for u32 {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToSql for usize {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToSql for bool {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToSql for str {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Text(Cow::Borrowed(self))
    }
}

impl ToSql for String {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Text(Cow::Borrowed(self))
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Blob(Cow::Borrowed(self))
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Blob(Cow::Borrowed(self))
    }
}

impl<const N: usize> ToSql for [u8; N] {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Blob(Cow::Borrowed(self))
    }
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Arg<'_> {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Arg<'_> {
        match self {
            Some(v) => v.to_sql(),
            None => Arg::Null,
        }
    }
}

/// Times are stored as UTC RFC 3339 text with milliseconds: the audit chain hashes
/// that text, so its form never changes.
impl ToSql for DateTime<Utc> {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Text(Cow::Owned(crate::format::stamp(*self)))
    }
}

/// Dates (business days, expiry) are `YYYY-MM-DD`, which sorts as dates do.
impl ToSql for NaiveDate {
    fn to_sql(&self) -> Arg<'_> {
        Arg::Text(Cow::Owned(self.format("%Y-%m-%d").to_string()))
    }
}

fn shape(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Int(_) => "an integer",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    }
}

impl FromSql for i64 {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i),
            other => Err(format!("expected an integer, found {}", shape(other))),
        }
    }
}

impl FromSql for u32 {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        let i = i64::from_sql(v)?;
        u32::try_from(i).map_err(|_| format!("{i} is out of range"))
    }
}

impl FromSql for bool {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        match i64::from_sql(v)? {
            0 => Ok(false),
            1 => Ok(true),
            i => Err(format!("{i} is not a truth value")),
        }
    }
}

impl FromSql for String {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {}", shape(other))),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(format!("expected a blob, found {}", shape(other))),
        }
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => T::from_sql(other).map(Some),
        }
    }
}

impl FromSql for DateTime<Utc> {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        let s = String::from_sql(v)?;
        DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|_| format!("{s:?} is not a time"))
    }
}

impl FromSql for NaiveDate {
    fn from_sql(v: &Value) -> std::result::Result<Self, String> {
        let s = String::from_sql(v)?;
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date"))
    }
}

/// Maps an enum of the bank's states to the word stored in the ledger, through its
/// `strum` names: one table per enum, checked both ways. A word the program does not
/// know is a damaged row.
#[macro_export]
macro_rules! sql_text_enum {
    ($($t:ty),+ $(,)?) => {
        $(
            impl $crate::store::sql::ToSql for $t {
                fn to_sql(&self) -> $crate::store::sql::Arg<'_> {
                    $crate::store::sql::Arg::Text(::std::borrow::Cow::Borrowed(<&'static str>::from(*self)))
                }
            }
            impl $crate::store::sql::FromSql for $t {
                fn from_sql(v: &$crate::store::sql::Value) -> ::std::result::Result<Self, String> {
                    let s = String::from_sql(v)?;
                    s.parse().map_err(|_| format!("{s:?} is not a {}", stringify!($t)))
                }
            }
        )+
    };
}

use crate::domain;
sql_text_enum!(
    domain::approval::RequestKind,
    domain::approval::RequestState,
    domain::branch::BranchKind,
    domain::credential::CredentialKind,
    domain::credential::LoginMethod,
    domain::credential::UserRole,
    domain::fees::FeeKind,
    domain::lockout::ClearKind,
    domain::lockout::LockScope,
    domain::permission::StaffRole,
    domain::token::Algorithm,
    domain::token::TokenState,
    domain::unlock::IdDocument,
);

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    fn round_trip<T: ToSql + FromSql + PartialEq + std::fmt::Debug + Copy>(all: &[T]) {
        for v in all {
            let stored = match v.to_sql() {
                Arg::Text(s) => Value::Text(s.into_owned()),
                other => panic!("{other:?}"),
            };
            assert_eq!(T::from_sql(&stored).as_ref(), Ok(v));
        }
    }

    #[test]
    fn every_state_round_trips_and_unknown_words_are_refused() {
        round_trip(domain::token::TokenState::VARIANTS);
        round_trip(domain::approval::RequestKind::VARIANTS);
        round_trip(domain::approval::RequestState::VARIANTS);
        round_trip(domain::fees::FeeKind::VARIANTS);
        round_trip(domain::credential::CredentialKind::VARIANTS);
        round_trip(domain::permission::StaffRole::VARIANTS);
        round_trip(domain::lockout::LockScope::VARIANTS);
        round_trip(domain::unlock::IdDocument::VARIANTS);
        assert!(domain::token::TokenState::from_sql(&Value::Text("isued".into())).is_err());
        assert!(domain::token::TokenState::from_sql(&Value::Int(1)).is_err());
    }

    #[test]
    fn the_stored_words_do_not_change() {
        // Ledgers on disk hold these words: renaming a variant must not change them.
        let words = |v: Arg<'_>| match v {
            Arg::Text(s) => s.into_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(words(domain::token::TokenState::InStock.to_sql()), "in_stock");
        assert_eq!(words(domain::credential::CredentialKind::ApprovalPin.to_sql()), "approval-pin");
        assert_eq!(words(domain::credential::CredentialKind::OneTimePassword.to_sql()), "otp");
        assert_eq!(words(domain::approval::RequestKind::FeeWaiver.to_sql()), "fee_waiver");
        assert_eq!(words(domain::lockout::LockScope::OtpServices.to_sql()), "otp");
        assert_eq!(words(domain::fees::FeeKind::TokenAdd.to_sql()), "token_add");
    }
}
