//! Bulk loads of new rows (a generated demo ledger). The loader assigns each row its id,
//! the row's covered values are made here exactly as the table's own insert would leave
//! them (defaults included, version 1) and sealed in memory, so that a row costs one line
//! of a `COPY` (PostgreSQL) or one prepared insert (SQLite) instead of an insert and a
//! seal. `tests::a_bulk_row_is_the_row_its_insert_makes` holds each builder to its insert.

use chrono::{DateTime, Utc};

use super::Result;
use super::customers::{NewContract, NewUser};
use super::fees::NewFee;
use super::integrity::{self, Covered};
use super::sql::{Db, Engine, Value};
use super::tokens::NewToken;
use crate::domain::credential::CredentialKind;
use crate::domain::lockout::LockScope;

/// The version of a row written once.
const FIRST: Value = Value::Int(1);

pub fn contract(id: i64, c: &NewContract<'_>) -> Vec<Value> {
    vec![
        Value::of(&id),
        Value::of(&c.cif),
        Value::of(&c.branch),
        Value::of(&c.company),
        Value::of(&c.company_kana),
        Value::of(&c.phone),
        Value::of(&c.address),
        Value::Text("active".into()),
        Value::Null,
        Value::of(&c.at),
        Value::Null,
        FIRST,
    ]
}

pub fn user(id: i64, u: &NewUser<'_>) -> Vec<Value> {
    vec![
        Value::of(&id),
        Value::of(&u.contract_id),
        Value::of(&u.login_id),
        Value::of(&u.name),
        Value::of(&u.role),
        Value::of(&u.login_method),
        Value::Int(0),
        Value::of(&u.secrets.login),
        Value::of(&u.secrets.confirm),
        Value::of(&u.secrets.pin),
        Value::of(&u.secrets.approval_pin),
        Value::of(&u.at),
        FIRST,
    ]
}

pub fn certificate(id: i64, user_id: i64, at: DateTime<Utc>) -> Vec<Value> {
    vec![Value::of(&id), Value::of(&user_id), Value::of(&at), Value::Null, Value::Null, FIRST]
}

pub fn failures(user_id: i64, kind: CredentialKind, failures: u32, at: DateTime<Utc>) -> Vec<Value> {
    vec![Value::of(&user_id), Value::of(&kind), Value::of(&failures), Value::of(&at), FIRST]
}

pub fn lock(
    id: i64,
    user_id: i64,
    kind: CredentialKind,
    scope: LockScope,
    failures: u32,
    at: DateTime<Utc>,
) -> Vec<Value> {
    let mut row = vec![
        Value::of(&id),
        Value::of(&user_id),
        Value::of(&kind),
        Value::of(&scope),
        Value::of(&failures),
        Value::of(&at),
    ];
    row.extend([Value::Null, Value::Null, Value::Null, Value::Null, Value::Null, FIRST]);
    row
}

pub fn token(id: i64, t: &NewToken<'_>) -> Vec<Value> {
    let mut row = vec![
        Value::of(&id),
        Value::of(&t.serial),
        Value::of(&t.branch),
        Value::of(&t.seed),
        Value::of(&t.algorithm),
        Value::of(&t.digits),
        Value::of(&t.period),
        Value::of(&t.expires),
        Value::of(&t.state),
        Value::of(&t.user_id),
    ];
    // last_step, reserved_for, replaces, request_id, tracking_no, mailed_at
    row.extend(std::iter::repeat_n(Value::Null, 6));
    row.extend([Value::of(&t.at), Value::Int(0), FIRST]);
    row
}

pub fn fee(id: i64, f: &NewFee<'_>) -> Vec<Value> {
    vec![
        Value::of(&id),
        Value::of(&f.branch),
        Value::of(&f.receipt_no),
        Value::of(&f.business_date),
        Value::of(&f.kind),
        Value::of(&f.contract_id),
        Value::of(&f.user_id),
        Value::of(&f.amount),
        Value::of(&f.tax),
        Value::of(&f.reverses),
        Value::of(&f.token_id),
        Value::of(&f.staff),
        Value::of(&f.at),
        Value::of(&f.reason),
        FIRST,
    ]
}

/// New rows of one covered table, sealed as they are added, waiting to be loaded.
pub struct Sealed {
    table: &'static Covered,
    rows: Vec<Vec<Value>>,
}

impl Sealed {
    pub fn new(table: &'static Covered) -> Self {
        Self { table, rows: Vec::new() }
    }

    /// Adds a row made by one of the builders above, with its MAC.
    pub fn push(&mut self, key: &integrity::RowKey, mut row: Vec<Value>) {
        let m = integrity::mac(key, self.table.table, &row);
        row.push(Value::Blob(m.to_vec()));
        self.rows.push(row);
    }

    /// Loads the rows waiting and counts them into the transaction's sealed state.
    pub fn load(&mut self, db: &mut dyn Db) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let n = rows.len();
        rows_in(db, self.table.table, &format!("{}, mac", self.table.columns), rows)?;
        for _ in 0..n {
            db.note_write(self.table.table, true);
        }
        Ok(())
    }
}

/// Appends `rows` (values in the order of `columns`) to `table`.
pub fn rows_in(db: &mut dyn Db, table: &str, columns: &str, rows: Vec<Vec<Value>>) -> Result<u64> {
    db.copy_in(table, columns, &mut |push| {
        for row in &rows {
            push(row)?;
        }
        Ok(())
    })
}

/// The id the next row of `table` takes when the loader assigns them (its `id` column).
pub fn next_id(db: &mut dyn Db, table: &str) -> Result<i64> {
    db.value(&format!("SELECT coalesce(max(id), 0) + 1 FROM {table}"), &[])
}

/// The tables whose integer key is an identity on PostgreSQL (`INTEGER PRIMARY KEY` in
/// the migrations).
const IDENTITIES: [(&str, &str); 12] = [
    ("secret_hashes", "id"),
    ("contracts", "id"),
    ("users", "id"),
    ("locks", "id"),
    ("certificates", "id"),
    ("tokens", "id"),
    ("fees", "id"),
    ("requests", "id"),
    ("forms", "id"),
    ("accepted_breaks", "id"),
    ("api_keys", "id"),
    ("audit", "seq"),
];

/// After rows were loaded with the ids they were given: each PostgreSQL identity goes on
/// from the largest (SQLite's integer keys always do).
pub fn continue_identities(db: &mut dyn Db) -> Result<()> {
    if db.engine() == Engine::Postgres {
        for (t, id) in IDENTITIES {
            db.batch(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', '{id}'), coalesce((SELECT max({id}) FROM {t}), 0) + 1, false)"
            ))?;
        }
    }
    Ok(())
}

/// On PostgreSQL, drops the foreign keys, the search terms' key and the trigram index
/// before a bulk load, so that they are checked and built once over the whole load (one
/// join per key, one index build each) rather than once per row; [`put_back`] makes them
/// again, in the same transaction, exactly as they were (their definitions as the server
/// gives them). SQLite checks a key as cheaply as it writes the row: nothing is set aside
/// there.
pub fn set_aside(dst: &mut dyn Db) -> Result<SetAside> {
    if dst.engine() == Engine::Sqlite {
        return Ok(SetAside(Vec::new()));
    }
    let keys: Vec<(String, String, String)> = dst.all(
        "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1, 2",
        &[],
    )?;
    let trigrams: Vec<String> = dst.column(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'search_text_grams'",
        &[],
    )?;
    // The search terms' own key too (millions of rows, each a term of its own: built once
    // from sorted rows it takes a third of the time of keeping it while they arrive). No
    // bulk load reads the terms, and each (term, contract) it writes is new.
    let terms_key: Vec<(String, String, String)> = dst.all(
        "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE contype = 'p' AND conrelid = 'search_terms'::regclass",
        &[],
    )?;
    let mut restore = Vec::new();
    for (table, name, definition) in keys.into_iter().chain(terms_key) {
        dst.batch(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))?;
        restore.push(format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}"));
    }
    if !trigrams.is_empty() {
        dst.batch("DROP INDEX search_text_grams")?;
        restore.extend(trigrams);
    }
    Ok(SetAside(restore))
}

/// What [`set_aside`] dropped: the statements that make it again.
#[must_use = "what was set aside must be put back"]
pub struct SetAside(Vec<String>);

/// Makes again what [`set_aside`] dropped (checking every foreign key over the rows now
/// there).
pub fn put_back(dst: &mut dyn Db, aside: SetAside) -> Result<()> {
    if !aside.0.is_empty() {
        // The index is built once over every row: room to sort them in memory.
        dst.batch("SET LOCAL maintenance_work_mem = '256MB'")?;
    }
    for statement in aside.0 {
        dst.batch(&statement)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credential::{LoginMethod, UserRole};
    use crate::domain::fees::FeeKind;
    use crate::domain::token::{Algorithm, TokenState};
    use crate::store::customers::SecretIds;
    use crate::store::integrity::{CERTIFICATES, CONTRACTS, FAILURES, FEES, LOCKS, TOKENS, USERS};

    /// The covered values and MAC of one stored row.
    fn stored(db: &mut dyn Db, t: &Covered, cond: &str) -> Vec<Value> {
        let rows: Vec<Vec<Value>> = {
            let mut out = Vec::new();
            db.each(&format!("SELECT {}, mac FROM {} WHERE {cond}", t.columns, t.table), &[], &mut |r| {
                out.push(r.values().to_vec());
                Ok(())
            })
            .expect("read");
            out
        };
        assert_eq!(rows.len(), 1, "{} {cond}", t.table);
        rows.into_iter().next().unwrap_or_default()
    }

    fn sealed(db: &dyn Db, t: &'static Covered, row: Vec<Value>) -> Vec<Value> {
        let mut s = Sealed::new(t);
        s.push(db.row_key(), row);
        s.rows.pop().unwrap_or_default()
    }

    /// Each builder makes, value for value and MAC for MAC, the row that the table's own
    /// insert leaves: a default added to the schema or a column moved fails here, not in a
    /// demo ledger that no longer verifies.
    #[test]
    fn a_bulk_row_is_the_row_its_insert_makes() {
        let mut conn =
            super::super::sqlite::Conn::new(super::super::memory().expect("memory"), integrity::RowKey::new([7; 32]));
        let db: &mut dyn Db = &mut conn;
        let at: DateTime<Utc> = "2026-11-30T01:02:03.456Z".parse().expect("time");
        db.batch("INSERT INTO branches (code, name, name_en, kind, address) VALUES ('777', 'b', 'b', 'branch', 'a')")
            .expect("branch");
        let c = NewContract {
            cif: "7770000001",
            branch: "777",
            company: "株式会社テスト",
            company_kana: "ｶ)ﾃｽﾄ",
            phone: "03-0000-0000",
            address: "東京都",
            at,
        };
        let cid = super::super::customers::insert_contract(db, &c).expect("contract");
        assert_eq!(stored(db, &CONTRACTS, &format!("id = {cid}")), sealed(db, &CONTRACTS, contract(cid, &c)));

        let secret = super::super::customers::insert_secret_hash(db, &|_| "x".into()).expect("secret");
        let secrets = SecretIds { login: secret, confirm: secret, pin: secret, approval_pin: secret };
        let u = NewUser {
            contract_id: cid,
            login_id: "bulk-m",
            name: "試験 太郎",
            role: UserRole::Master,
            login_method: LoginMethod::Certificate,
            secrets,
            at,
        };
        let uid = super::super::customers::insert_user(db, &u).expect("user");
        assert_eq!(stored(db, &USERS, &format!("id = {uid}")), sealed(db, &USERS, user(uid, &u)));

        super::super::customers::insert_certificate(db, uid, at).expect("certificate");
        let cert: i64 = db.value("SELECT max(id) FROM certificates", &[]).expect("id");
        assert_eq!(
            stored(db, &CERTIFICATES, &format!("id = {cert}")),
            sealed(db, &CERTIFICATES, certificate(cert, uid, at))
        );

        let kind = CredentialKind::Pin;
        super::super::locks::set_failures(db, uid, kind, 4, at).expect("failures");
        assert_eq!(
            stored(db, &FAILURES, &format!("user_id = {uid}")),
            sealed(db, &FAILURES, failures(uid, kind, 4, at))
        );
        let lid = super::super::locks::open_lock(db, uid, kind, LockScope::Service, 4, at).expect("lock");
        assert_eq!(
            stored(db, &LOCKS, &format!("id = {lid}")),
            sealed(db, &LOCKS, lock(lid, uid, kind, LockScope::Service, 4, at))
        );

        let t = NewToken {
            serial: "HT77700001",
            branch: "777",
            seed: &[1, 2, 3],
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            expires: at.date_naive(),
            state: TokenState::Issued,
            user_id: Some(uid),
            at,
        };
        let tid = super::super::tokens::insert(db, &t).expect("token");
        assert_eq!(stored(db, &TOKENS, &format!("id = {tid}")), sealed(db, &TOKENS, token(tid, &t)));

        let f = NewFee {
            branch: "777",
            receipt_no: 1,
            business_date: at.date_naive(),
            kind: FeeKind::TokenAdd,
            contract_id: Some(cid),
            user_id: Some(uid),
            amount: 2200,
            tax: 200,
            reverses: None,
            token_id: Some(tid),
            staff: "demo",
            at,
            reason: None,
        };
        let fid = super::super::fees::insert(db, &f).expect("fee");
        assert_eq!(stored(db, &FEES, &format!("id = {fid}")), sealed(db, &FEES, fee(fid, &f)));
    }
}
