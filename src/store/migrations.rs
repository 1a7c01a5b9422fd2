//! Migrations: an append-only list; `PRAGMA user_version` holds how many are applied.
//! All pending ones apply in one transaction, so a ledger is never half-migrated.
//! Never edit a migration that has shipped: add a new one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the ledger.
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE branches (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('branch', 'telephone_center', 'head_office')),
    address TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'operator', 'supervisor', 'admin')),
    branch TEXT NOT NULL REFERENCES branches(code),
    password_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_at TEXT,
    disabled_at TEXT,
    totp_secret BLOB,
    totp_last_step INTEGER,
    created_at TEXT NOT NULL
);

-- argon2id PHC strings. Users point at them, so that generated demo users can share one
-- precomputed hash per public demo secret.
CREATE TABLE secret_hashes (id INTEGER PRIMARY KEY, phc TEXT NOT NULL);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    cif TEXT NOT NULL UNIQUE CHECK (length(cif) = 10),
    branch TEXT NOT NULL REFERENCES branches(code),
    company TEXT NOT NULL,
    company_kana TEXT NOT NULL,
    phone TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'cancelled')),
    replaces INTEGER REFERENCES contracts(id),
    created_at TEXT NOT NULL,
    cancelled_at TEXT
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts(id),
    login_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('master', 'admin', 'general')),
    login_method TEXT NOT NULL CHECK (login_method IN ('password', 'certificate')),
    login_secret INTEGER NOT NULL REFERENCES secret_hashes(id),
    confirm_secret INTEGER NOT NULL REFERENCES secret_hashes(id),
    pin_secret INTEGER NOT NULL REFERENCES secret_hashes(id),
    approval_pin_secret INTEGER NOT NULL REFERENCES secret_hashes(id),
    login_must_change INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX users_contract ON users(contract_id);

-- R1: consecutive failures per user and credential kind.
CREATE TABLE failure_counts (
    user_id INTEGER NOT NULL REFERENCES users(id),
    credential TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (user_id, credential)
) WITHOUT ROWID;

-- R1/R7: a lock is opened by failures and cleared by an unlock, a form or a reissue.
CREATE TABLE locks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    credential TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('service', 'otp')),
    failures INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    cleared_at TEXT,
    cleared_by TEXT,
    clear_kind TEXT,
    clear_reason TEXT,
    identity_check TEXT
);
CREATE UNIQUE INDEX locks_one_open ON locks(user_id, credential) WHERE cleared_at IS NULL;
CREATE INDEX locks_user ON locks(user_id);

CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    issued_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE INDEX certificates_user ON certificates(user_id);

-- Hard tokens: stock of a branch, then bound to a user at hand-over. `seed` is encrypted
-- with the key file (nonce || ciphertext).
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE,
    branch TEXT NOT NULL REFERENCES branches(code),
    seed BLOB NOT NULL,
    algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits INTEGER NOT NULL,
    period INTEGER NOT NULL,
    expires TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_stock', 'reserved', 'issued', 'lost', 'retired', 'mailed')),
    user_id INTEGER REFERENCES users(id),
    last_step INTEGER,
    replaces INTEGER REFERENCES tokens(id),
    imported_at TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX tokens_expiry ON tokens(state, expires);

-- R13: fees are never edited; a reversal is a new row pointing at the one it reverses.
CREATE TABLE fees (
    id INTEGER PRIMARY KEY,
    branch TEXT NOT NULL REFERENCES branches(code),
    receipt_no INTEGER NOT NULL,
    business_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    contract_id INTEGER REFERENCES contracts(id),
    user_id INTEGER REFERENCES users(id),
    amount INTEGER NOT NULL,
    tax INTEGER NOT NULL,
    reverses INTEGER REFERENCES fees(id),
    token_id INTEGER REFERENCES tokens(id),
    staff TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (branch, receipt_no)
);
CREATE INDEX fees_day ON fees(branch, business_date);

-- Maker-checker requests: pending, then approved or rejected, never both.
CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    branch TEXT NOT NULL REFERENCES branches(code),
    contract_id INTEGER REFERENCES contracts(id),
    user_id INTEGER REFERENCES users(id),
    credential TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    reason TEXT
);
CREATE UNIQUE INDEX requests_one_pending ON requests(kind, user_id, ifnull(credential, '')) WHERE state = 'pending';
CREATE INDEX requests_queue ON requests(branch, state, requested_at);

-- R14: paper forms as keyed.
CREATE TABLE forms (
    id INTEGER PRIMARY KEY,
    branch TEXT NOT NULL REFERENCES branches(code),
    form_no TEXT NOT NULL,
    kind TEXT NOT NULL,
    contract_id INTEGER NOT NULL REFERENCES contracts(id),
    user_id INTEGER REFERENCES users(id),
    received_on TEXT NOT NULL,
    brought_by TEXT NOT NULL,
    id_document TEXT NOT NULL,
    seal_checked INTEGER NOT NULL,
    request_id INTEGER REFERENCES requests(id),
    keyed_by TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (branch, form_no)
);

-- The audit chain (see domain::audit). Rows are only ever appended.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    mac BLOB NOT NULL
);
CREATE INDEX audit_subject ON audit(subject, seq);
"#,
    // 2: Find customer. Whole terms for exact and prefix matches; a contentless trigram
    // index (rowid = contract id) for contains matches of three characters or more.
    r#"
CREATE TABLE search_terms (
    term TEXT NOT NULL,
    contract_id INTEGER NOT NULL,
    PRIMARY KEY (term, contract_id)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE search_text USING fts5(body, content = '', contentless_delete = 1, tokenize = 'trigram');
"#,
    // 3: hard tokens and fees. A token waits for its user (reserved) until hand-over; a
    // replacement is mailed with a tracking number; receipts are numbered per branch
    // without gaps (the counter moves in the same transaction as the fee).
    r#"
ALTER TABLE tokens ADD COLUMN reserved_for INTEGER REFERENCES users(id);
ALTER TABLE tokens ADD COLUMN mailed_at TEXT;
ALTER TABLE tokens ADD COLUMN tracking_no TEXT;
ALTER TABLE tokens ADD COLUMN request_id INTEGER REFERENCES requests(id);
CREATE INDEX tokens_reserved ON tokens(reserved_for) WHERE reserved_for IS NOT NULL;
CREATE INDEX tokens_stock ON tokens(branch, state);
CREATE TABLE receipt_counters (branch TEXT PRIMARY KEY REFERENCES branches(code), last INTEGER NOT NULL) WITHOUT ROWID;
ALTER TABLE fees ADD COLUMN reason TEXT;
CREATE INDEX fees_reverses ON fees(reverses) WHERE reverses IS NOT NULL;
"#,
    // 4: the audit trail screen filters by staff and by action on a million entries.
    r#"
CREATE INDEX audit_actor ON audit(actor, seq);
CREATE INDEX audit_action ON audit(action, seq);
"#,
    // 5: serials compare ignoring ASCII case (the import checks a whole file against them).
    r#"
CREATE INDEX tokens_serial_nocase ON tokens(serial COLLATE NOCASE);
"#,
    // 6: every row that decides who may do what carries a MAC and a version (see
    // `store::integrity`);
    // wrong step-up and hand-over codes are counted; unknown login IDs get a bounded shadow
    // count; breaks an administrator accepted after an investigation are kept. The MACs of
    // existing rows are computed by the key-aware upgrade when the ledger is next opened.
    r#"
ALTER TABLE meta ADD COLUMN mac BLOB;
ALTER TABLE meta ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE branches ADD COLUMN mac BLOB;
ALTER TABLE branches ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN mac BLOB;
ALTER TABLE staff ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE secret_hashes ADD COLUMN mac BLOB;
ALTER TABLE secret_hashes ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN mac BLOB;
ALTER TABLE contracts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mac BLOB;
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certificates ADD COLUMN mac BLOB;
ALTER TABLE certificates ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE failure_counts ADD COLUMN mac BLOB;
ALTER TABLE failure_counts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locks ADD COLUMN mac BLOB;
ALTER TABLE locks ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN code_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN mac BLOB;
ALTER TABLE tokens ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fees ADD COLUMN mac BLOB;
ALTER TABLE fees ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receipt_counters ADD COLUMN mac BLOB;
ALTER TABLE receipt_counters ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN mac BLOB;
ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE forms ADD COLUMN mac BLOB;
ALTER TABLE forms ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE shadow_failures (
    id_hash BLOB NOT NULL,
    credential TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    mac BLOB,
    PRIMARY KEY (id_hash, credential)
) WITHOUT ROWID;
CREATE INDEX shadow_failures_age ON shadow_failures(last_at);
CREATE TABLE accepted_breaks (
    id INTEGER PRIMARY KEY,
    what TEXT NOT NULL,
    seq INTEGER,
    row_table TEXT,
    row_key TEXT,
    detail TEXT NOT NULL,
    reason TEXT NOT NULL,
    accepted_by TEXT NOT NULL,
    os_user TEXT NOT NULL,
    at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    mac BLOB
);
"#,
    // 7: the keys of the internet-banking front end that calls `serve` (argon2 hashes of
    // the secret part; a revoked key stays, for the audit trail's sake).
    r#"
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    mac BLOB
);
"#,
    // 8: contains searches look up only a key's rarest trigrams and check each candidate
    // against the whole key: how many bodies hold each trigram (the empty one: how many
    // bodies there are), and the bodies themselves (PostgreSQL keeps them in search_text
    // already). Checked against the body, the index needs no positions: SQLite's is made
    // again without them (half the size). A ledger of an earlier version has all three
    // filled as it is migrated.
    r#"
CREATE TABLE search_grams (gram TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE search_bodies (contract_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
DROP TABLE search_text; -- sqlite only
CREATE VIRTUAL TABLE search_text USING fts5(body, content = '', contentless_delete = 1, tokenize = 'trigram', detail = 'none'); -- sqlite only
"#,
    // 9: long runs of digits (phone numbers) are also indexed as pairs of digits, one
    // character a pair, so that a piece of a phone number is found by rare grams of four
    // digits (see `domain::search::index_text`). SQLite's index and counts are made again
    // from the contracts; PostgreSQL's bodies gain their pairs in SQL.
    r#"
DELETE FROM search_grams;
DELETE FROM search_bodies; -- sqlite only
DROP TABLE search_text; -- sqlite only
CREATE VIRTUAL TABLE search_text USING fts5(body, content = '', contentless_delete = 1, tokenize = 'trigram', detail = 'none'); -- sqlite only
-- postgresql: digit pairs
"#,
];

/// The migration that indexes long runs of digits as pairs too.
pub const DIGIT_PAIRS: usize = 9;

/// The migration that makes `search_grams` and `search_bodies`: a SQLite ledger migrated
/// across it has them filled from its contracts (the bodies are made by the program's own
/// normalization, which SQL cannot do).
pub const SEARCH_GRAMS: usize = 8;

/// A migration as PostgreSQL takes it: the same tables, columns, keys and indexes, in
/// PostgreSQL's types (integers 64-bit, text compared byte by byte as SQLite does, blobs as
/// `bytea`, ids from an identity); the contentless FTS5 index becomes a table with a
/// `pg_trgm` index (from migration 8 one on the program's own trigrams, the bodies being in
/// that table), lines marked [`SQLITE_ONLY`] are left out, and the case-blind serial index
/// becomes one on `lower(serial)`.
pub fn for_postgres(sqlite: &str) -> String {
    let translated: Vec<String> = sqlite
        .lines()
        .map(|line| {
            if line.ends_with(SQLITE_ONLY) {
                return String::new();
            }
            if line.starts_with("CREATE VIRTUAL TABLE search_text") {
                return "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
                        CREATE TABLE search_text (contract_id BIGINT PRIMARY KEY, body TEXT COLLATE \"C\" NOT NULL);\n\
                        CREATE INDEX search_text_trigrams ON search_text USING gin (body gin_trgm_ops) \
                        WITH (gin_pending_list_limit = 256);\n"
                    .to_string()
                    + SEARCH_TEXT_STATISTICS;
            }
            if line.starts_with("CREATE INDEX audit_subject") {
                // The audit trail refuses every change but an append, whoever asks (the
                // application role may not even disable this: it does not own the table).
                return "CREATE INDEX audit_subject ON audit(subject, seq);\n\
                        CREATE FUNCTION madoguchi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                        $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;\n\
                        CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit \
                        FOR EACH STATEMENT EXECUTE FUNCTION madoguchi_audit_append_only();"
                    .to_string();
            }
            if line.starts_with("CREATE TABLE search_bodies") {
                // The bodies are in search_text; its index becomes one of the same trigrams
                // the program counts (pg_trgm's split words at punctuation and spaces), so
                // that a key's rarest grams can be asked for alone. A function the index is
                // built on must be immutable; plpgsql is never inlined into the index.
                return format!(
                    "CREATE FUNCTION search_grams_of(body TEXT) RETURNS TEXT[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE \
                        SET {SEARCH_GRAMS_OF_CONFIG} AS $${SEARCH_GRAMS_OF_BODY}$$;\n\
                        DROP INDEX search_text_trigrams;\n\
                        CREATE INDEX search_text_grams ON search_text USING gin (search_grams_of(body)) WITH (gin_pending_list_limit = 256);\n\
                        INSERT INTO search_grams (gram, docs) SELECT g, count(*) FROM search_text, pg_catalog.unnest(search_grams_of(body)) AS g GROUP BY g;\n\
                        INSERT INTO search_grams (gram, docs) SELECT '', count(*) FROM search_text;"
                );
            }
            if line == "-- postgresql: digit pairs" {
                // Each body gains, after a space, its runs of four digits or more as pairs
                // (U+3300 + 10 × first + second), as `domain::search::index_text` writes
                // them; the index is made again from them once, and the counts with it. Its
                // function becomes one plain SQL statement that leaves repeated grams to the
                // index (which keeps each once): the index of a million bodies is built in
                // 40 s instead of 63 here. The planner's statistics are taken again (every
                // body changed); the old rows are left to autovacuum (VACUUM cannot run in
                // the migration's transaction).
                return "DROP INDEX search_text_grams;\n".to_string()
                    + &search_grams_of()
                    + ";\n\
                        UPDATE search_text SET body = search_text.body || runs.pairs FROM (\n\
                            SELECT t.contract_id, string_agg(' ' || (\n\
                                SELECT string_agg(chr(13056 + 10 * (ascii(substr(r.m[1], i, 1)) - 48) + ascii(substr(r.m[1], i + 1, 1)) - 48), '' ORDER BY i)\n\
                                FROM generate_series(1, length(r.m[1]) - 1) AS i), '' ORDER BY r.n) AS pairs\n\
                            FROM search_text t, regexp_matches(t.body, '[0-9]{4,}', 'g') WITH ORDINALITY AS r(m, n)\n\
                            GROUP BY t.contract_id) AS runs\n\
                        WHERE search_text.contract_id = runs.contract_id;\n\
                        CREATE INDEX search_text_grams ON search_text USING gin (search_grams_of(body)) WITH (gin_pending_list_limit = 256);\n\
                        INSERT INTO search_grams (gram, docs) SELECT g, count(*) FROM search_text,\n\
                            LATERAL (SELECT DISTINCT g FROM pg_catalog.unnest(search_grams_of(body)) AS g) AS each_body GROUP BY g;\n\
                        INSERT INTO search_grams (gram, docs) SELECT '', count(*) FROM search_text;\n\
                        ANALYZE search_text;";
            }
            if line.starts_with("CREATE INDEX tokens_serial_nocase") {
                return "CREATE INDEX tokens_serial_nocase ON tokens (lower(serial));".to_string();
            }
            // Foreign keys may wait for the end of a transaction (a whole ledger copied in,
            // a token that replaces one inserted after it).
            let line = deferrable(line);
            line.replace(") WITHOUT ROWID;", ");")
                .replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                .replace(" INTEGER", " BIGINT")
                .replace(" BLOB", " BYTEA")
                .replace(" TEXT", " TEXT COLLATE \"C\"")
                .replace("ifnull(", "coalesce(")
        })
        .collect();
    translated.join("\n")
}

/// The body of the PostgreSQL function the trigram index is built on, as migration 8
/// writes it (every open of a ledger of schema 8 checks it is still this: the function
/// runs inside the program's inserts); migration 9 replaces it by [`SEARCH_GRAMS_OF_SQL`].
pub const SEARCH_GRAMS_OF_BODY: &str = " BEGIN RETURN ARRAY(SELECT DISTINCT pg_catalog.substr(body, i, 3) \
     FROM pg_catalog.generate_series(1, pg_catalog.length(body) - 2) AS i); END ";

/// The PostgreSQL function the trigram index is built on, as migration 9 makes it (every
/// open checks it is still this: it runs inside the program's inserts): a body's trigrams,
/// one for each of its windows of three characters (repeated ones the index keeps once).
pub const SEARCH_GRAMS_OF_SQL: &str = " SELECT ARRAY(SELECT pg_catalog.substr(body, i, 3) \
     FROM pg_catalog.generate_series(1, pg_catalog.length(body) - 2) AS i) ";

/// The statement that makes `search_grams_of` as migration 9 does.
pub fn search_grams_of() -> String {
    format!(
        "CREATE OR REPLACE FUNCTION search_grams_of(body TEXT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE \
         SET {SEARCH_GRAMS_OF_CONFIG} AS $${SEARCH_GRAMS_OF_SQL}$$"
    )
}

/// The setting the function runs under: only the server's own functions and operators, so
/// that none planted in another schema (or earlier on a changed search path) runs instead.
pub const SEARCH_GRAMS_OF_CONFIG: &str = "search_path = pg_catalog, pg_temp";

/// Marks a line of a migration that PostgreSQL skips (SQLite's own search index).
const SQLITE_ONLY: &str = "-- sqlite only";

/// How finely PostgreSQL's planner samples the search texts (migration 2). It decided how a
/// `LIKE` contains search was planned; since migration 8 the program plans them from its
/// own gram counts and this only stays as migration 2 made it (a shipped migration is
/// never edited).
pub const SEARCH_TEXT_STATISTICS: &str = "ALTER TABLE search_text ALTER COLUMN body SET STATISTICS 250;";

/// `REFERENCES table(column)` made `DEFERRABLE INITIALLY IMMEDIATE`.
fn deferrable(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 32);
    let mut rest = line;
    while let Some(at) = rest.find("REFERENCES ") {
        let Some(close) = rest[at..].find(')') else { break };
        let end = at + close + 1;
        out.push_str(&rest[..end]);
        out.push_str(" DEFERRABLE INITIALLY IMMEDIATE");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postgres_schema_speaks_postgres() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            let pg = for_postgres(m);
            for sqlite_only in ["WITHOUT ROWID", " BLOB", "INTEGER", "VIRTUAL TABLE", "NOCASE", "ifnull("] {
                assert!(!pg.contains(sqlite_only), "migration {}: {sqlite_only}", i + 1);
            }
        }
        assert!(for_postgres(MIGRATIONS[1]).contains("gin_trgm_ops"));
        assert!(for_postgres(MIGRATIONS[1]).contains(SEARCH_TEXT_STATISTICS));
        assert!(for_postgres(MIGRATIONS[0]).contains("REFERENCES tokens(id) DEFERRABLE INITIALLY IMMEDIATE,"));
        assert!(for_postgres(MIGRATIONS[0]).contains("seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
    }
}
