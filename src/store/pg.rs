//! The shared engine: [`Db`] over a PostgreSQL connection or transaction (the synchronous
//! `postgres` crate). The store's statements are written once with `?N` parameters; here
//! they become `$N`, are prepared once per connection and kept, and their parameters are
//! bound to whatever type PostgreSQL infers for them.

use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql as PgToSql, Type, to_sql_checked};
use postgres::{Client, SimpleQueryMessage, Statement};

use crate::domain::audit::Seal;

use super::integrity::{RowKey, Tally};
use super::sql::{Arg, Db, Engine, Row, RowFeed, ToSql, Value};
use super::{Result, StoreError};

/// Every writer of a PostgreSQL ledger takes this advisory lock for its transaction: one
/// writer at a time, as with SQLite's write lock, so that the audit chain stays one chain,
/// receipts stay gapless and every race has one winner, across terminals and machines.
pub const WRITE_LOCK: i64 = 0x6d61_646f_6775_6368; // "madoguch"

/// The store's `?N` parameters as PostgreSQL's `$N`; text in quotes is left alone.
pub fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// A value bound to whatever type the statement's parameter has.
struct Param<'a>(Arg<'a>);

impl std::fmt::Debug for Param<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Param(..)")
    }
}

impl Param<'_> {
    /// The type a value is sent as when the statement is not prepared first (so the
    /// server has not said what it expects).
    fn natural_type(&self) -> Type {
        match &self.0 {
            Arg::Int(_) => Type::INT8,
            Arg::Blob(_) => Type::BYTEA,
            Arg::Null | Arg::Text(_) => Type::TEXT,
        }
    }
}

impl PgToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        match &self.0 {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) => match *ty {
                Type::INT8 => PgToSql::to_sql(i, ty, out),
                Type::INT4 => PgToSql::to_sql(&i32::try_from(*i)?, ty, out),
                Type::INT2 => PgToSql::to_sql(&i16::try_from(*i)?, ty, out),
                Type::BOOL => PgToSql::to_sql(&(*i != 0), ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    PgToSql::to_sql(&i.to_string(), ty, out)
                }
                _ => Err(format!("an integer bound to a {ty} parameter").into()),
            },
            Arg::Text(s) => match *ty {
                Type::INT8 => PgToSql::to_sql(&s.parse::<i64>()?, ty, out),
                _ => PgToSql::to_sql(&s.as_ref(), ty, out),
            },
            Arg::Blob(b) => PgToSql::to_sql(&b.as_ref(), ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn value(row: &postgres::Row, i: usize) -> Result<Value> {
    let ty = row.columns().get(i).map(|c| c.type_().clone()).unwrap_or(Type::TEXT);
    let damaged = |e: postgres::Error| StoreError::Damaged(format!("column {i} ({ty}): {e}"));
    Ok(match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(damaged)?.map_or(Value::Null, Value::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(damaged)?.map_or(Value::Null, |v| Value::Int(v.into())),
        Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(damaged)?.map_or(Value::Null, |v| Value::Int(v.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(damaged)?.map_or(Value::Null, |v| Value::Int(v.into())),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map_err(damaged)?.map_or(Value::Null, Value::Blob),
        _ => row.try_get::<_, Option<String>>(i).map_err(damaged)?.map_or(Value::Null, Value::Text),
    })
}

/// Begins a query that is planned afresh at each execution, for its own parameters,
/// instead of prepared and kept: a kept statement may fall back on a generic plan, which
/// does not know that a contains pattern is rare and walks the whole table in key order.
/// It is sent unnamed, typed by its values, in one round trip (parse, bind and execute
/// together) rather than three (prepare, execute, close).
pub const PLANNED_EACH_TIME: &str = "/* planned each time */ ";

fn statement(
    client: &mut impl postgres::GenericClient,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
) -> Result<Statement> {
    if let Some(s) = cache.get(sql) {
        return Ok(s.clone());
    }
    let s = client.prepare(&dollar_params(sql))?;
    if !sql.starts_with(PLANNED_EACH_TIME) {
        cache.insert(sql.to_string(), s.clone());
    }
    Ok(s)
}

fn params<'a>(args: &'a [&'a dyn ToSql]) -> Vec<Param<'a>> {
    args.iter().map(|a| Param(a.to_sql())).collect()
}

fn execute(
    client: &mut impl postgres::GenericClient,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
    args: &[&dyn ToSql],
) -> Result<usize> {
    let s = statement(client, cache, sql)?;
    let p = params(args);
    let refs: Vec<&(dyn PgToSql + Sync)> = p.iter().map(|p| p as &(dyn PgToSql + Sync)).collect();
    Ok(usize::try_from(client.execute(&s, &refs)?).unwrap_or(usize::MAX))
}

fn each(
    client: &mut impl postgres::GenericClient,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
    args: &[&dyn ToSql],
    f: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator as _;
    let p = params(args);
    let each_row = |r: &postgres::Row, f: &mut dyn FnMut(Row) -> Result<()>| {
        let values = (0..r.len()).map(|i| value(r, i)).collect::<Result<Vec<_>>>()?;
        f(Row::new(values))
    };
    if sql.starts_with(PLANNED_EACH_TIME) {
        let typed: Vec<(&(dyn PgToSql + Sync), Type)> =
            p.iter().map(|p| (p as &(dyn PgToSql + Sync), p.natural_type())).collect();
        for r in client.query_typed(&dollar_params(sql), &typed)? {
            each_row(&r, f)?;
        }
    } else {
        let s = statement(client, cache, sql)?;
        let refs: Vec<&(dyn PgToSql + Sync)> = p.iter().map(|p| p as &(dyn PgToSql + Sync)).collect();
        // Streamed as the server sends them: a whole table walked (`audit verify`, a copy,
        // a backup) is never held in memory at once.
        let mut rows = client.query_raw(&s, refs)?;
        while let Some(r) = rows.next()? {
            each_row(&r, f)?;
        }
    }
    Ok(())
}

/// A PostgreSQL ledger's connection, with the key of its row MACs.
pub struct PgConn {
    client: Client,
    cache: HashMap<String, Statement>,
    key: RowKey,
    /// Where to connect again when the connection is lost.
    url: String,
}

impl PgConn {
    pub fn new(client: Client, key: RowKey, url: &str) -> Self {
        Self { client, cache: HashMap::new(), key, url: url.to_string() }
    }

    /// After the server restarted or the connection was cut, a new one (the statements
    /// prepared on the old one are gone with it). An error when the server is still away.
    fn reconnect_if_lost(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.client = connect(&self.url)?;
            self.cache.clear();
        }
        Ok(())
    }

    /// Whether the server answers (a lost connection is made again first).
    pub fn ping(&mut self) -> Result<()> {
        self.reconnect_if_lost()?;
        self.client.simple_query("SELECT 1")?;
        Ok(())
    }

    /// A write transaction: the ledger's one write lock is taken first.
    pub fn begin(&mut self) -> Result<PgTx<'_>> {
        Ok(self.begin_at_head()?.0)
    }

    /// A write transaction and the chain's head read under its write lock, in one round
    /// trip: `BEGIN`, the lock and the head go as one message (each statement of it reads
    /// what is committed when it starts, so the head is read after the lock is held).
    pub fn begin_at_head(&mut self) -> Result<(PgTx<'_>, Option<Seal>)> {
        self.reconnect_if_lost()?;
        let sent = self
            .client
            .simple_query(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}); {}", super::audit::HEAD));
        let tx = PgTx::opened(&mut self.client, &mut self.cache, &self.key);
        // On an error the transaction is rolled back as `tx` is dropped.
        let mut head = None;
        for message in sent? {
            if let SimpleQueryMessage::Row(row) = message
                && row.len() == 2
                && let (Some(seq), Some(hash)) = (row.get(0), row.get(1))
            {
                let seq = seq.parse::<i64>().map_err(|e| StoreError::Damaged(format!("audit head: {e}")))?;
                let hash = hash
                    .strip_prefix("\\x")
                    .and_then(|h| hex::decode(h).ok())
                    .ok_or_else(|| StoreError::Damaged("audit head: a hash that is not bytes".into()))?;
                head = Some(super::audit::seal_of(seq, &hash));
            }
        }
        Ok((tx, head))
    }

    /// A read transaction that sees the ledger at one instant.
    pub fn snapshot(&mut self) -> Result<PgTx<'_>> {
        self.reconnect_if_lost()?;
        let sent = self.client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        let tx = PgTx::opened(&mut self.client, &mut self.cache, &self.key);
        sent?;
        Ok(tx)
    }

    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// A transaction on a PostgreSQL ledger, counting the covered rows it writes. It is begun
/// and ended by statements of its own (not the client's transaction type), so that its
/// `BEGIN` can share a round trip with what follows it; dropped without `commit`, it is
/// rolled back.
pub struct PgTx<'a> {
    tx: &'a mut Client,
    open: bool,
    cache: &'a mut HashMap<String, Statement>,
    key: &'a RowKey,
    tally: Tally,
}

impl<'a> PgTx<'a> {
    /// The transaction just begun on `client` (or being begun: dropped, it rolls back).
    fn opened(client: &'a mut Client, cache: &'a mut HashMap<String, Statement>, key: &'a RowKey) -> Self {
        Self { tx: client, open: true, cache, key, tally: Tally::default() }
    }

    pub fn commit(mut self) -> Result<()> {
        // Whatever COMMIT answers, the transaction is over (PostgreSQL rolls back one that
        // cannot commit).
        self.open = false;
        Ok(self.tx.batch_execute("COMMIT")?)
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open && !self.tx.is_closed() {
            // A connection that fails here is found lost and made again at its next use.
            let _ = self.tx.batch_execute("ROLLBACK");
        }
    }
}

impl Db for PgConn {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn row_key(&self) -> &RowKey {
        &self.key
    }

    fn note_write(&mut self, _table: &'static str, _inserted: bool) {}

    fn take_tally(&mut self) -> Tally {
        Tally::default()
    }

    fn execute(&mut self, sql: &str, args: &[&dyn ToSql]) -> Result<usize> {
        self.reconnect_if_lost()?;
        execute(&mut self.client, &mut self.cache, sql, args)
    }

    fn each(&mut self, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
        self.reconnect_if_lost()?;
        each(&mut self.client, &mut self.cache, sql, args, f)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.reconnect_if_lost()?;
        Ok(self.client.batch_execute(sql)?)
    }
}

impl Db for PgTx<'_> {
    fn engine(&self) -> Engine {
        Engine::Postgres
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
        execute(&mut *self.tx, self.cache, sql, args)
    }

    fn each(&mut self, sql: &str, args: &[&dyn ToSql], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
        each(&mut *self.tx, self.cache, sql, args, f)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.tx.batch_execute(sql)?)
    }

    fn copy_in(&mut self, table: &str, columns: &str, feed: &mut RowFeed<'_>) -> Result<u64> {
        use std::io::Write as _;
        let mut writer = self.tx.copy_in(&format!("COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"))?;
        let (mut line, mut copied) = (Vec::with_capacity(512), 0u64);
        let io = |e: std::io::Error| StoreError::Damaged(format!("COPY {table}: {e}"));
        feed(&mut |values: &[Value]| {
            line.clear();
            csv_line(&mut line, values);
            writer.write_all(&line).map_err(io)?;
            copied += 1;
            Ok(())
        })?;
        writer.finish()?;
        Ok(copied)
    }
}

/// One row in `COPY`'s CSV: text quoted (quotes doubled), bytes as `\x` hex, NULL as
/// nothing at all (an empty text is `""`).
fn csv_line(out: &mut Vec<u8>, values: &[Value]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match v {
            Value::Null => {}
            Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Text(t) => {
                out.push(b'"');
                for b in t.bytes() {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
            Value::Blob(b) => {
                out.extend_from_slice(b"\\x");
                out.extend_from_slice(hex::encode(b).as_bytes());
            }
        }
    }
    out.push(b'\n');
}

/// Whether `db` names a PostgreSQL ledger (`postgres://…` or `postgresql://…`) rather
/// than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The database a URL names (the last path segment), for naming its key file.
pub fn database_name(url: &str) -> String {
    let after = url.split_once("://").map_or(url, |(_, a)| a);
    let path = after.split_once('/').map_or("", |(_, p)| p);
    let name = path.split(['?', '#']).next().unwrap_or_default();
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    if clean.is_empty() { "postgres".into() } else { clean }
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    format!("{scheme}://{authority}/{name}{query}")
}

/// Creates the database `url` names when the server has none of that name (through the
/// server's `postgres` database; the user must be allowed to create databases). For
/// scratch ledgers (`bench --pg`).
pub fn ensure_database(url: &str) -> Result<()> {
    match connect(url) {
        Ok(_) => Ok(()),
        Err(StoreError::Refused(e)) if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) => {
            let name = database_name(url);
            let mut server = connect(&with_database(url, "postgres"))?;
            server.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Connects as libpq would to the URL: its hosts in turn, its password or the one found
/// for it, and TLS as its `sslmode` asks (see [`super::pgtls`]).
pub fn connect(url: &str) -> Result<Client> {
    let (rest, tls) = super::pgtls::split_url(url).map_err(|e| StoreError::Tls(e.to_string()))?;
    let mut config: postgres::Config = rest.parse().map_err(|e: postgres::Error| StoreError::Unreachable(e))?;
    if config.get_password().is_none()
        && let Some(password) = password_for(&config)
    {
        config.password(password.as_bytes());
    }
    config.ssl_mode(tls.library_mode());
    let client_config = tls.client_config().map_err(|e| StoreError::Tls(e.to_string()))?;
    let mut client =
        config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(client_config)).map_err(connect_failed)?;
    // The ledger's schema alone on the search path, so the server's own functions and
    // operators come first (as they do unless a changed search path puts a schema before
    // them) and none planted elsewhere is taken for one of the program's.
    client.batch_execute("SELECT pg_catalog.set_config('search_path', coalesce(pg_catalog.quote_ident(pg_catalog.current_schema()), 'public'), false)")?;
    Ok(client)
}

/// Why a connection was not made: the server turned it down for what the URL says (its
/// database, user or password), or it could not be reached or is not taking connections
/// yet (which may pass).
fn connect_failed(e: postgres::Error) -> StoreError {
    use postgres::error::SqlState;
    let refused =
        [SqlState::INVALID_CATALOG_NAME, SqlState::INVALID_PASSWORD, SqlState::INVALID_AUTHORIZATION_SPECIFICATION];
    match e.code() {
        Some(code) if refused.contains(code) => StoreError::Refused(e),
        _ => StoreError::Unreachable(e),
    }
}

/// The password the URL leaves out, as libpq would find it: `PGPASSWORD`, else the
/// passfile (`PGPASSFILE`, else `~/.pgpass`), whose first line matching the first host,
/// port, database and user wins (`*` matches anything).
fn password_for(config: &postgres::Config) -> Option<zeroize::Zeroizing<String>> {
    if let Some(p) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
        return Some(zeroize::Zeroizing::new(p));
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".pgpass")))?;
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(file).ok()?);
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let db = config.get_dbname().unwrap_or_default().to_string();
    let user = config.get_user().unwrap_or_default().to_string();
    pgpass_lookup(&text, &[&host, &port, &db, &user]).map(zeroize::Zeroizing::new)
}

/// The password of the first passfile line whose four fields match (`*` matches
/// anything; `\:` and `\\` are a colon and a backslash).
fn pgpass_lookup(text: &str, want: &[&str; 4]) -> Option<String> {
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5 && fields[..4].iter().zip(want).all(|(f, w)| f == "*" || f == w) {
            return fields.pop();
        }
    }
    None
}

/// The schema version of the database's ledger (0 for none).
fn version(client: &mut Client) -> Result<i64> {
    let exists: bool = client
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_version')", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client.query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])?.get(0))
}

/// Applies every migration after the database's version in one transaction, under the
/// write lock (two terminals starting at once migrate once).
fn migrate(client: &mut Client) -> Result<()> {
    migrate_to(client, super::migrations::MIGRATIONS.len())
}

/// Applies migrations up to `target`, in one transaction (`target` below the newest: for
/// the tests that a migration applies on a ledger of the version before).
pub fn migrate_to(client: &mut Client, target: usize) -> Result<()> {
    let known = super::migrations::MIGRATIONS.len() as i64;
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY)")?;
    let found: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])?.get(0);
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, m) in
        super::migrations::MIGRATIONS.iter().enumerate().take(target).skip(usize::try_from(found).unwrap_or(0))
    {
        tx.batch_execute(&super::migrations::for_postgres(m))
            .map_err(|source| StoreError::Migration { number: i + 1, detail: source.to_string() })?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&((i + 1) as i64)])?;
    }
    if found > 0 && found < known {
        tx.batch_execute(&app_role_regrant_sql())?;
    }
    tx.commit()?;
    Ok(())
}

/// Opens the PostgreSQL ledger a URL names and applies pending migrations. A database
/// without a ledger is refused before anything is written to it.
pub fn open(url: &str, read_only: bool) -> Result<Client> {
    let mut client = connect(url)?;
    let found = version(&mut client)?;
    if found == 0 {
        return Err(StoreError::Missing);
    }
    let known = super::migrations::MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    let has_key_check: bool =
        client.query_one("SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'key_check')", &[])?.get(0);
    if !has_key_check {
        return Err(StoreError::Corrupt("not a madoguchi ledger".into()));
    }
    // Only a ledger behind this program's schema is migrated (which needs the owner's
    // rights; the application role never does it).
    if !read_only && found < known {
        migrate(&mut client)?;
    }
    check_schema(&mut client)?;
    Ok(client)
}

/// The body of the function behind the audit trail's append-only trigger, as the
/// migrations write it.
const APPEND_ONLY_BODY: &str = " BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END ";

/// Refuses a ledger whose schema acts inside the program's own statements in a way the
/// migrations did not make it: a trigger or a rule planted (rewriting or copying rows as
/// they are written), an index, column, default or check on a function or type of
/// someone's own (run as rows are written), the trigram index's function changed, the
/// audit trail's append-only trigger disabled, dropped or its function rewritten to let
/// changes through, or row-level security hiding rows. Only the database's owner can do
/// any of these; each is named.
pub fn check_schema(client: &mut Client) -> Result<()> {
    let triggers: Vec<String> = client
        .query(
            "SELECT c.relname || '.' || t.tgname || ' -> ' || t.tgfoid::regproc::text
                    || CASE WHEN t.tgenabled = 'O' THEN '' ELSE ' (disabled)' END
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
             ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let want = "audit.audit_append_only -> madoguchi_audit_append_only";
    if let Some(other) = triggers.iter().find(|t| t.as_str() != want) {
        return Err(StoreError::Schema(format!("trigger {other}")));
    }
    if triggers.is_empty() {
        return Err(StoreError::Schema("trigger audit.audit_append_only missing".into()));
    }
    let body: Option<String> = client
        .query_opt(
            "SELECT prosrc FROM pg_proc
             WHERE proname = 'madoguchi_audit_append_only' AND pronamespace = current_schema()::regnamespace",
            &[],
        )?
        .map(|r| r.get(0));
    if body.as_deref() != Some(APPEND_ONLY_BODY) {
        return Err(StoreError::Schema("function madoguchi_audit_append_only changed".into()));
    }
    // The trigram index's function runs inside every insert of a contract: rewritten,
    // run as another role, under another search path or beside an overload, it could run
    // anything there. (From schema 8 on; schema 9 made it plain SQL.)
    let schema = version(client)?;
    if schema >= super::migrations::SEARCH_GRAMS as i64 {
        let found: Vec<(String, String, String, bool, String, String)> = client
            .query(
                "SELECT p.prosrc, l.lanname::text, coalesce(array_to_string(p.proconfig, ';'), ''), p.prosecdef,
                        p.provolatile::text, pg_get_function_identity_arguments(p.oid)
                 FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                 WHERE p.proname = 'search_grams_of' AND p.pronamespace = current_schema()::regnamespace",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            .collect();
        let config = super::migrations::SEARCH_GRAMS_OF_CONFIG.replace(" = ", "=");
        let (source, language) = if schema >= super::migrations::DIGIT_PAIRS as i64 {
            (super::migrations::SEARCH_GRAMS_OF_SQL, "sql")
        } else {
            (super::migrations::SEARCH_GRAMS_OF_BODY, "plpgsql")
        };
        let want = (source, language, config.as_str(), false, "i", "body text");
        let as_made = |f: &(String, String, String, bool, String, String)| {
            (f.0.as_str(), f.1.as_str(), f.2.as_str(), f.3, f.4.as_str(), f.5.as_str()) == want
        };
        if found.len() != 1 || !found.iter().all(as_made) {
            return Err(StoreError::Schema("function search_grams_of changed".into()));
        }
    }
    let others: Option<String> = client
        .query_opt(
            "WITH planted AS (
                 SELECT 'pg_proc'::regclass AS kind, p.oid, p.oid::regprocedure::text AS what FROM pg_proc p
                 WHERE p.pronamespace <> 'pg_catalog'::regnamespace
                   AND NOT (p.proname = 'search_grams_of' AND p.pronamespace = current_schema()::regnamespace)
                 UNION ALL
                 SELECT 'pg_type'::regclass, t.oid, 'type ' || t.oid::regtype::text FROM pg_type t
                 WHERE t.typnamespace <> 'pg_catalog'::regnamespace),
             uses AS (
                 SELECT d.classid, d.objid, x.what FROM pg_depend d JOIN planted x ON x.kind = d.refclassid AND x.oid = d.refobjid)
             SELECT 'rule ' || tablename || '.' || rulename FROM pg_rules WHERE schemaname = current_schema()
             UNION ALL
             SELECT 'index or column of ' || o.relname || ' on ' || u.what
             FROM uses u JOIN pg_class o ON o.oid = u.objid AND u.classid = 'pg_class'::regclass
             WHERE o.relnamespace = current_schema()::regnamespace
             UNION ALL
             SELECT 'default or check ' || c.relname || ' on ' || u.what
             FROM uses u JOIN pg_attrdef a ON a.oid = u.objid AND u.classid = 'pg_attrdef'::regclass
                  JOIN pg_class c ON c.oid = a.adrelid
             WHERE c.relnamespace = current_schema()::regnamespace
             UNION ALL
             SELECT 'constraint ' || k.conname || ' on ' || u.what
             FROM uses u JOIN pg_constraint k ON k.oid = u.objid AND u.classid = 'pg_constraint'::regclass
             WHERE k.connamespace = current_schema()::regnamespace
             UNION ALL
             SELECT 'column ' || c.relname || '.' || a.attname || ' of type ' || a.atttypid::regtype::text
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
             WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
               AND t.typnamespace <> 'pg_catalog'::regnamespace AND c.relkind IN ('r', 'p', 'i', 'I')
             UNION ALL
             SELECT 'row-level security on ' || relname FROM pg_class
             WHERE relnamespace = current_schema()::regnamespace AND relrowsecurity
             LIMIT 1",
            &[],
        )?
        .map(|r| r.get(0));
    match others {
        Some(what) => Err(StoreError::Schema(what)),
        None => Ok(()),
    }
}

/// Creates a ledger in an empty database; refuses one that has a ledger already. When the
/// creator may create roles, the application role is made too (see [`APP_ROLE`]).
pub fn create(url: &str) -> Result<Client> {
    let mut client = connect(url)?;
    if version(&mut client)? > 0 {
        return Err(StoreError::Duplicate);
    }
    migrate(&mut client)?;
    let may_create_roles: bool =
        client.query_one("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user", &[])?.get(0);
    if may_create_roles {
        client.batch_execute(&app_role_sql())?;
    }
    Ok(client)
}

/// The role the terminals and the internet-banking service log in through (as members of
/// it): it reads and writes the ledger but may only append to the audit trail — no
/// update, no delete, no truncate, and, not owning the table, no disabling the trigger that
/// refuses them too.
pub const APP_ROLE: &str = "madoguchi_app";

/// Creates (or brings up to date) the application role's grants in the current schema.
pub fn app_role_sql() -> String {
    format!(
        "DO $$ DECLARE s text := current_schema(); BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                 CREATE ROLE {APP_ROLE} NOLOGIN;
             END IF;
             {}
         END $$;",
        app_role_grants()
    )
}

/// The application role's grants again after a migration (its tables are new), when the
/// ledger has the role.
fn app_role_regrant_sql() -> String {
    format!(
        "DO $$ DECLARE s text := current_schema(); BEGIN
             IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                 {}
             END IF;
         END $$;",
        app_role_grants()
    )
}

/// The grants themselves (inside a `DO` block that has the schema in `s`).
fn app_role_grants() -> String {
    format!(
        "EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', s);
         EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA %I TO {APP_ROLE}', s);
         EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.audit FROM {APP_ROLE}', s);
         EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', s);"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_scratch_database() {
        assert_eq!(with_database("postgres://localhost/postgres", "x"), "postgres://localhost/x");
        assert_eq!(
            with_database("postgres://u@h:5432/db?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
    }

    #[test]
    fn parameters_are_numbered_the_postgres_way_outside_quotes() {
        assert_eq!(
            dollar_params("SELECT ?1, ?12 FROM t WHERE a = '?3' AND b = ?2"),
            "SELECT $1, $12 FROM t WHERE a = '?3' AND b = $2"
        );
        assert_eq!(dollar_params("SELECT 'it''s ?1' || ?1"), "SELECT 'it''s ?1' || $1");
        assert_eq!(dollar_params("SELECT ? FROM t"), "SELECT ? FROM t");
    }

    #[test]
    fn a_passfile_line_matches_field_by_field() {
        let text = "# comment\nother:5432:*:*:no\nlocalhost:5432:bank:counter:s3cr\\:et\n*:*:*:*:fallback\n";
        assert_eq!(pgpass_lookup(text, &["localhost", "5432", "bank", "counter"]).as_deref(), Some("s3cr:et"));
        assert_eq!(pgpass_lookup(text, &["db9", "5432", "bank", "x"]).as_deref(), Some("fallback"));
        assert_eq!(pgpass_lookup("h:1:d:u:p\n", &["h", "2", "d", "u"]), None);
    }

    #[test]
    fn urls_and_their_database_names() {
        assert!(is_url("postgres://h/l") && is_url("postgresql://u@h1,h2/bank?target_session_attrs=read-write"));
        assert!(!is_url("/srv/ledger.sqlite3") && !is_url("postgres.sqlite3"));
        assert_eq!(database_name("postgresql://u:p@h1:5432,h2:5432/bank_ledger?sslmode=require"), "bank_ledger");
        assert_eq!(database_name("postgres://h"), "postgres");
        assert_eq!(database_name("postgres://h/../../etc"), "....etc", "no folder separators survive");
    }
}

#[cfg(test)]
mod copy_tests {
    use super::*;

    #[test]
    fn a_copy_row_quotes_text_and_writes_bytes_as_hex() {
        let mut out = Vec::new();
        csv_line(
            &mut out,
            &[
                Value::Null,
                Value::Int(-5),
                Value::Text("a\"b,\nc\\".into()),
                Value::Text(String::new()),
                Value::Blob(vec![0, 255]),
            ],
        );
        assert_eq!(String::from_utf8(out).expect("utf-8"), ",-5,\"a\"\"b,\nc\\\",\"\",\\x00ff\n");
    }
}
