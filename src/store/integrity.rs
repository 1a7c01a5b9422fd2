//! Row MACs: every row that decides who may do what carries a MAC under the ledger key
//! over its table, its identity, its whole content and its version. A row edited, moved
//! or forged without the key fails its MAC. Every write raises the row's version, and the
//! ledger's sealed state holds each table's row count and version sum: a row deleted, or
//! an older version of a row copied back from an older copy of the ledger (its MAC was
//! valid once), leaves its table short. The use cases read rows through [`check`] and
//! refuse to act on one that fails; `audit verify` walks them all.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::sql::{Db, Row, ToSql, Value};
use super::{Result, StoreError};

/// The key of the row MACs (derived from the ledger key, never the key itself).
#[derive(Clone)]
pub struct RowKey([u8; 32]);

impl RowKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }
}

impl std::fmt::Debug for RowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowKey(..)")
    }
}

/// A table whose rows carry a MAC: its name, the columns that identify a row, and the
/// columns the MAC covers (identity first), in the order they are read.
#[derive(Debug)]
pub struct Covered {
    pub table: &'static str,
    pub key: &'static [&'static str],
    pub columns: &'static str,
}

impl Covered {
    /// How many columns the MAC covers: a sealed read has the MAC right after them.
    pub fn width(&self) -> usize {
        self.columns.split(',').count()
    }

    fn condition(&self) -> String {
        self.key.iter().enumerate().map(|(i, k)| format!("{k} = ?{}", i + 1)).collect::<Vec<_>>().join(" AND ")
    }
}

pub const STAFF: Covered = Covered {
    table: "staff",
    key: &["id"],
    columns: "id, name, role, branch, password_hash, failures, locked_at, disabled_at, totp_secret, totp_last_step, \
              created_at, totp_failures, version",
};
pub const SECRET_HASHES: Covered = Covered { table: "secret_hashes", key: &["id"], columns: "id, phc, version" };
pub const CONTRACTS: Covered = Covered {
    table: "contracts",
    key: &["id"],
    columns: "id, cif, branch, company, company_kana, phone, address, state, replaces, created_at, cancelled_at, version",
};
pub const USERS: Covered = Covered {
    table: "users",
    key: &["id"],
    columns: "id, contract_id, login_id, name, role, login_method, login_must_change, login_secret, confirm_secret, \
              pin_secret, approval_pin_secret, created_at, version",
};
pub const FAILURES: Covered = Covered {
    table: "failure_counts",
    key: &["user_id", "credential"],
    columns: "user_id, credential, failures, last_at, version",
};
pub const LOCKS: Covered = Covered {
    table: "locks",
    key: &["id"],
    columns: "id, user_id, credential, scope, failures, opened_at, cleared_at, cleared_by, clear_kind, clear_reason, \
              identity_check, version",
};
pub const CERTIFICATES: Covered =
    Covered { table: "certificates", key: &["id"], columns: "id, user_id, issued_at, revoked_at, revoked_by, version" };
pub const TOKENS: Covered = Covered {
    table: "tokens",
    key: &["id"],
    columns: "id, serial, branch, seed, algorithm, digits, period, expires, state, user_id, last_step, reserved_for, \
              replaces, request_id, tracking_no, mailed_at, imported_at, code_failures, version",
};
pub const FEES: Covered = Covered {
    table: "fees",
    key: &["id"],
    columns: "id, branch, receipt_no, business_date, kind, contract_id, user_id, amount, tax, reverses, token_id, \
              staff, at, reason, version",
};
pub const RECEIPT_COUNTERS: Covered =
    Covered { table: "receipt_counters", key: &["branch"], columns: "branch, last, version" };
pub const REQUESTS: Covered = Covered {
    table: "requests",
    key: &["id"],
    columns: "id, kind, branch, contract_id, user_id, payload, state, requested_by, requested_at, decided_by, \
              decided_at, reason, credential, version",
};
pub const FORMS: Covered = Covered {
    table: "forms",
    key: &["id"],
    columns: "id, branch, form_no, kind, contract_id, user_id, received_on, brought_by, id_document, seal_checked, \
              request_id, keyed_by, at, version",
};
pub const META: Covered = Covered { table: "meta", key: &["key"], columns: "key, value, version" };
pub const BRANCHES: Covered =
    Covered { table: "branches", key: &["code"], columns: "code, name, name_en, kind, address, version" };
pub const SHADOW: Covered = Covered {
    table: "shadow_failures",
    key: &["id_hash", "credential"],
    columns: "id_hash, credential, failures, last_at, version",
};
pub const ACCEPTED: Covered = Covered {
    table: "accepted_breaks",
    key: &["id"],
    columns: "id, what, seq, row_table, row_key, detail, reason, accepted_by, os_user, at, version",
};
pub const API_KEYS: Covered = Covered {
    table: "api_keys",
    key: &["id"],
    columns: "id, name, hash, created_by, created_at, revoked_at, revoked_by, version",
};

/// Every covered table, in the order `audit verify` walks them.
pub const ALL: [&Covered; 17] = [
    &META,
    &BRANCHES,
    &STAFF,
    &SECRET_HASHES,
    &CONTRACTS,
    &USERS,
    &CERTIFICATES,
    &FAILURES,
    &LOCKS,
    &TOKENS,
    &FEES,
    &RECEIPT_COUNTERS,
    &REQUESTS,
    &FORMS,
    &SHADOW,
    &ACCEPTED,
    &API_KEYS,
];

/// The tables whose rows are MAC'ed.
pub fn tables() -> impl Iterator<Item = &'static Covered> {
    ALL.into_iter()
}

/// The MAC of a row: the table's name and every covered value, each tagged and
/// length-prefixed so that no two rows encode alike.
pub fn mac(key: &RowKey, table: &str, values: &[Value]) -> [u8; 32] {
    // HMAC takes a key of any length; were it to fail, the MAC would match nothing.
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&key.0) else { return [0; 32] };
    m.update(b"madoguchi-row-v1");
    m.update(&(table.len() as u64).to_be_bytes());
    m.update(table.as_bytes());
    for v in values {
        match v {
            Value::Null => m.update(&[0]),
            Value::Int(i) => {
                m.update(&[1]);
                m.update(&i.to_be_bytes());
            }
            Value::Text(s) => {
                m.update(&[2]);
                m.update(&(s.len() as u64).to_be_bytes());
                m.update(s.as_bytes());
            }
            Value::Blob(b) => {
                m.update(&[3]);
                m.update(&(b.len() as u64).to_be_bytes());
                m.update(b);
            }
        }
    }
    m.finalize().into_bytes().into()
}

/// A row whose MAC does not match what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub table: &'static str,
    /// The row's identity, as text (`12`, `105/login`).
    pub key: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.table, self.key)
    }
}

impl BadRow {
    /// The bad row of a covered table named `table` (as a report lists it).
    pub fn named(table: &str, key: &str) -> Self {
        let table = tables().find(|t| t.table == table).map_or("?", |t| t.table);
        Self { table, key: key.to_string() }
    }
}

fn key_text(t: &Covered, values: &[Value]) -> String {
    values
        .iter()
        .take(t.key.len())
        .map(|v| match v {
            Value::Int(i) => i.to_string(),
            Value::Text(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Blob(b) => hex::encode(b),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a row read as `[covered columns…, mac, …]` holds what its MAC says.
pub fn holds(key: &RowKey, t: &Covered, row: &Row) -> std::result::Result<(), BadRow> {
    let n = t.width();
    let values = row.values();
    let ok = match (values.get(..n), values.get(n)) {
        (Some(content), Some(Value::Blob(stored))) => {
            let expected = mac(key, t.table, content);
            stored.len() == 32 && stored.iter().zip(expected.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(BadRow { table: t.table, key: key_text(t, values) }) }
}

/// Refuses a row read as `[covered columns…, mac, …]` whose MAC fails.
pub fn check(db: &dyn Db, t: &Covered, row: &Row) -> Result<()> {
    holds(db.row_key(), t, row).map_err(StoreError::Tampered)
}

/// Raises the version of the row of `t` whose key columns are `key` and stores its MAC,
/// after the caller wrote it.
pub fn seal(db: &mut dyn Db, t: &Covered, key: &[&dyn ToSql]) -> Result<()> {
    seal_as(db, t, key, false)
}

fn seal_as(db: &mut dyn Db, t: &Covered, key: &[&dyn ToSql], inserted: bool) -> Result<()> {
    let cond = t.condition();
    let values: Option<ValuesRow> = db.first(&format!("SELECT {} FROM {} WHERE {cond}", t.columns, t.table), key)?;
    let Some(ValuesRow(mut values)) = values else {
        return Err(StoreError::Damaged(format!("{}: the row to seal is not there", t.table)));
    };
    store_seal(db, t, &mut values, inserted)
}

/// Raises the version in a row's covered `values` (identity first, version last) and
/// stores the row's new version and MAC.
fn store_seal(db: &mut dyn Db, t: &Covered, values: &mut [Value], inserted: bool) -> Result<()> {
    let version = match values.last() {
        Some(Value::Int(v)) => v + 1,
        _ => return Err(StoreError::Damaged(format!("{}: a row without a version", t.table))),
    };
    if let Some(last) = values.last_mut() {
        *last = Value::Int(version);
    }
    let m = mac(db.row_key(), t.table, values);
    let mut args: Vec<&dyn ToSql> = vec![&version, &m];
    args.extend(values.iter().take(t.key.len()).map(|v| v as &dyn ToSql));
    let cond = t.key.iter().enumerate().map(|(i, k)| format!("{k} = ?{}", i + 3)).collect::<Vec<_>>().join(" AND ");
    db.execute(&format!("UPDATE {} SET version = ?1, mac = ?2 WHERE {cond}", t.table), &args)?;
    db.note_write(t.table, inserted);
    Ok(())
}

/// A row written for the first time: sealed (version 1) and counted.
pub fn inserted(db: &mut dyn Db, t: &Covered, key: &[&dyn ToSql]) -> Result<()> {
    seal_as(db, t, key, true)
}

/// Inserts a row with `insert` (an `INSERT … VALUES …` without `RETURNING`) and seals it
/// from the values the insert returns: one statement fewer than inserting and then
/// sealing (the bulk of a generated ledger). Returns the row's covered values, identity
/// first.
pub fn insert_sealed(db: &mut dyn Db, t: &Covered, insert: &str, args: &[&dyn ToSql]) -> Result<Vec<Value>> {
    let row: Option<ValuesRow> = db.first(&format!("{insert} RETURNING {}", t.columns), args)?;
    let Some(ValuesRow(mut values)) = row else {
        return Err(StoreError::Damaged(format!("{}: the inserted row was not returned", t.table)));
    };
    store_seal(db, t, &mut values, true)?;
    Ok(values)
}

/// Runs `update` (an `UPDATE … SET … WHERE …` without `RETURNING`) and seals every row it
/// changed from the values the update returns: one statement fewer a row than updating
/// and then sealing (a round trip, on PostgreSQL). Returns how many rows it changed.
pub fn update_sealed(db: &mut dyn Db, t: &Covered, update: &str, args: &[&dyn ToSql]) -> Result<usize> {
    let rows: Vec<ValuesRow> = db.all(&format!("{update} RETURNING {}", t.columns), args)?;
    let changed = rows.len();
    for ValuesRow(mut values) in rows {
        store_seal(db, t, &mut values, false)?;
    }
    Ok(changed)
}

/// Writes a row the caller has just read through its MAC, with new content: `values` are
/// its covered values (identity first, the version as read last), the new version and
/// MAC are made here, and the row is written in one statement, only if it is still at the
/// version read. Returns whether it was.
pub fn rewrite(db: &mut dyn Db, t: &Covered, mut values: Vec<Value>) -> Result<bool> {
    let read = match values.last() {
        Some(Value::Int(v)) => *v,
        _ => return Err(StoreError::Damaged(format!("{}: a row without a version", t.table))),
    };
    if let Some(last) = values.last_mut() {
        *last = Value::Int(read + 1);
    }
    let m = Value::Blob(mac(db.row_key(), t.table, &values).to_vec());
    let columns: Vec<&str> = t.columns.split(',').map(str::trim).collect();
    let keys = t.key.len();
    // SET every column after the identity (the version among them) and the MAC; WHERE the
    // identity and the version read.
    let mut args: Vec<&dyn ToSql> = values[keys..].iter().map(|v| v as &dyn ToSql).collect();
    args.push(&m);
    let set: Vec<String> =
        columns[keys..].iter().chain(["mac"].iter()).enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
    let mut cond: Vec<String> = Vec::new();
    for (i, k) in t.key.iter().enumerate() {
        args.push(&values[i]);
        cond.push(format!("{k} = ?{}", args.len()));
    }
    let version = Value::Int(read);
    args.push(&version);
    cond.push(format!("version = ?{}", args.len()));
    let n = db.execute(&format!("UPDATE {} SET {} WHERE {}", t.table, set.join(", "), cond.join(" AND ")), &args)?;
    if n == 1 {
        db.note_write(t.table, false);
    }
    Ok(n == 1)
}

/// [`update_sealed`] of one row that must be there (its key in the `WHERE`).
pub fn update_row_sealed(db: &mut dyn Db, t: &Covered, update: &str, args: &[&dyn ToSql]) -> Result<()> {
    match update_sealed(db, t, update, args)? {
        0 => Err(StoreError::Damaged(format!("{}: the row to seal is not there", t.table))),
        _ => Ok(()),
    }
}

/// What a transaction wrote to covered tables: rows inserted, and versions raised (one per
/// seal, an insert included), per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub inserted: std::collections::BTreeMap<&'static str, i64>,
    pub versions: std::collections::BTreeMap<&'static str, i64>,
}

impl Tally {
    pub fn note(&mut self, table: &'static str, inserted: bool) {
        *self.versions.entry(table).or_default() += 1;
        if inserted {
            *self.inserted.entry(table).or_default() += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }
}

/// Every value of a row, for sealing.
struct ValuesRow(Vec<Value>);

impl super::sql::FromRow for ValuesRow {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self(r.values().to_vec()))
    }
}

/// Walks every row of `t`, calling `bad` for each whose MAC fails; returns how many rows
/// there are.
pub fn walk(db: &mut dyn Db, t: &Covered, bad: &mut dyn FnMut(BadRow)) -> Result<i64> {
    let key = db.row_key().clone();
    let mut n = 0i64;
    db.each(&format!("SELECT {}, mac FROM {}", t.columns, t.table), &[], &mut |row| {
        n += 1;
        if let Err(b) = holds(&key, t, &row) {
            bad(b);
        }
        Ok(())
    })?;
    Ok(n)
}

/// Seals every row of `t` as it is now (the upgrade of a ledger written before rows were
/// sealed, and what an administrator accepts after an investigation).
pub fn seal_all(db: &mut dyn Db, t: &Covered) -> Result<i64> {
    let keys: Vec<ValuesRow> = db.all(&format!("SELECT {} FROM {}", t.key.join(", "), t.table), &[])?;
    for ValuesRow(k) in &keys {
        let args: Vec<&dyn ToSql> = k.iter().map(|v| v as &dyn ToSql).collect();
        seal(db, t, &args)?;
    }
    Ok(keys.len() as i64)
}

impl ToSql for Value {
    fn to_sql(&self) -> super::sql::Arg<'_> {
        use std::borrow::Cow;
        match self {
            Value::Null => super::sql::Arg::Null,
            Value::Int(i) => super::sql::Arg::Int(*i),
            Value::Text(s) => super::sql::Arg::Text(Cow::Borrowed(s)),
            Value::Blob(b) => super::sql::Arg::Blob(Cow::Borrowed(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_binds_the_table_the_identity_and_every_value() {
        let key = RowKey::new([5; 32]);
        let row = [Value::Int(7), Value::Text("clerk".into()), Value::Null];
        let m = mac(&key, "staff", &row);
        assert_ne!(m, mac(&RowKey::new([6; 32]), "staff", &row), "another key");
        assert_ne!(m, mac(&key, "users", &row), "another table");
        assert_ne!(m, mac(&key, "staff", &[Value::Int(8), Value::Text("clerk".into()), Value::Null]), "another row");
        assert_ne!(m, mac(&key, "staff", &[Value::Int(7), Value::Text("supervisor".into()), Value::Null]), "edited");
        assert_ne!(m, mac(&key, "staff", &[Value::Int(7), Value::Text("clerk".into()), Value::Text(String::new())]));
        // Moving a character from one value to the next changes the MAC.
        let a = [Value::Text("ab".into()), Value::Text("c".into())];
        let b = [Value::Text("a".into()), Value::Text("bc".into())];
        assert_ne!(mac(&key, "t", &a), mac(&key, "t", &b));
    }

    #[test]
    fn every_covered_list_starts_with_its_identity_and_ends_with_the_version() {
        for t in tables() {
            let cols: Vec<&str> = t.columns.split(',').map(str::trim).collect();
            assert_eq!(&cols[..t.key.len()], t.key, "{}", t.table);
            assert_eq!(cols.last(), Some(&"version"), "{}", t.table);
        }
    }
}
