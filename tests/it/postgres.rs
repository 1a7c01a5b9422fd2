//! The same ledger on PostgreSQL (`MADOGUCHI_TEST_PG`; see `support::pg`): every kind of
//! write through the use cases, the command line, a terminal, the audit chain and its
//! tampering, and search giving exactly SQLite's results.

use std::path::Path;

use chrono::TimeZone;
use madoguchi::config::Config;
use madoguchi::service::{Ledger, ManualClock};
use secrecy::SecretString;
use serde_json::Value;

use crate::support::pg::ScratchDb;
use crate::support::pty::{Term, key};
use crate::support::run::{as_admin, madoguchi, madoguchi_at_noon};

/// A config whose key and anchor stay in `dir` (an in-process ledger does not use the
/// tests' data directory).
fn config_in(dir: &Path) -> Config {
    Config {
        key_file: Some(dir.join("ledger.key")),
        audit: madoguchi::config::Audit { anchor_file: Some(dir.join("ledger.anchor")) },
        ..Config::default()
    }
}

/// A demo ledger of `customers` generated contracts at `db`, its key and anchor in `dir`.
fn demo_in(db: &Path, dir: &Path, customers: u64) {
    drop(madoguchi::service::demo::create(db, config_in(dir), customers, 1, &mut |_, _| {}).expect("demo"));
}

/// A demo ledger of `customers` generated contracts, made in-process at a fixed time.
fn demo_at(db: &Path, cfg: Config, customers: u64, seed: u64) -> Ledger {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).single().expect("time");
    let mut l = Ledger::create(db, cfg, true).expect("create");
    l.set_clock(Box::new(ManualClock::new(at)));
    madoguchi::service::demo::populate(&mut l, customers, seed, &mut |_, _| {}).expect("demo");
    l
}

#[test]
fn every_kind_of_write_works_on_postgresql() {
    let Some(pg) = ScratchDb::new("every_kind_of_write_works_on_postgresql") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Path::new(&pg.url);
    demo_in(db, dir.path(), 10);
    for write in crate::failpoints::WRITES {
        let mut l = Ledger::open(db, config_in(dir.path())).expect("open");
        crate::failpoints::lead_up_and_write(&mut l, write, &mut |_| {}).unwrap_or_else(|e| panic!("{write}: {e}"));
        let report = l.verify_audit().expect("verify");
        assert!(report.intact(), "{write}: {report:?}");
        // Each write leaves its effects; the next scenario starts from a fresh ledger.
        drop(l);
        pg.client().batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;").expect("reset");
        std::fs::remove_file(dir.path().join("ledger.key")).expect("key");
        let _ = std::fs::remove_file(dir.path().join("ledger.anchor"));
        demo_in(db, dir.path(), 10);
    }
}

#[test]
fn the_command_line_on_postgresql() {
    let Some(pg) = ScratchDb::new("the_command_line_on_postgresql") else { return };
    let db = Path::new(&pg.url);
    let (code, _, err) = madoguchi_at_noon(db, &["demo", "--customers", "20"], "");
    assert_eq!(code, 0, "{err}");
    // A second demo into the same database is refused.
    let (code, _, err) =
        madoguchi(db, &["--lang", "en", "init", "--admin", "root", "--password-stdin"], "Root-pass-123\n");
    assert_eq!(code, 1, "{err}");
    // The customer channel locks, the counts are those of SQLite.
    for n in 1..=6u64 {
        let (code, out, _) =
            madoguchi_at_noon(db, &["ib", "login", "--login-id", "tozai-g1", "--json"], "Wrong-pass9\n");
        let json: Value = serde_json::from_str(out.trim()).expect("json");
        assert_eq!((code, json["failures"].as_u64()), (10, Some(n)), "{json}");
    }
    let (code, _, _) = madoguchi_at_noon(db, &["ib", "login", "--login-id", "tozai-g1"], "Login-pass1\n");
    assert_eq!(code, 11, "suspended");
    // An unknown ID answers exactly as a wrong secret.
    let (code, out, _) =
        madoguchi_at_noon(db, &["ib", "login", "--login-id", "nobody-here", "--json"], "Wrong-pass9\n");
    assert_eq!(code, 10);
    assert_eq!(serde_json::from_str::<Value>(out.trim()).expect("json")["failures"], 1);
    // Administration signs in; reports and the chain read the same.
    let (code, _, err) = as_admin(db, &["staff", "disable", "clerk205"], "");
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = madoguchi(db, &["staff", "list", "--json"], "");
    assert_eq!(code, 0);
    assert!(out.contains("\"disabled\":true"), "{out}");
    let (code, out, err) = madoguchi_at_noon(db, &["tokens", "expiring", "--json"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("HT10000005"), "{out}");
    let (code, out, err) = madoguchi(db, &["audit", "verify", "--json"], "");
    assert_eq!(code, 0, "{out} {err}");
    let report: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(report["intact"], true);
    assert!(report["rows"].as_i64() > Some(100));
}

#[test]
fn tampering_on_postgresql_is_found_like_on_a_file() {
    let Some(pg) = ScratchDb::new("tampering_on_postgresql_is_found_like_on_a_file") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi(db, &["demo", "--customers", "0"], "").0, 0);
    let before = pg.i64("SELECT count(*) FROM audit");
    // Whoever has the database password, not the key: a clerk made supervisor.
    pg.client().batch_execute("UPDATE staff SET role = 'supervisor' WHERE id = 'clerk101'").expect("promote");
    let (code, out, _) = madoguchi(db, &["audit", "verify", "--json"], "");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("\"table\":\"staff\""), "{out}");
    // The tail cut by the database's owner, who first turns the append-only trigger off:
    // every write refused all the same.
    pg.client().batch_execute("UPDATE staff SET role = 'clerk' WHERE id = 'clerk101'").expect("back");
    let mut owner = pg.client();
    owner.batch_execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only").expect("disable");
    owner.execute("DELETE FROM audit WHERE seq > $1", &[&(before - 2)]).expect("cut");
    let (code, _, err) = madoguchi(db, &["--lang", "en", "ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n");
    assert_eq!(code, 3, "{err}");
    assert_eq!(pg.i64("SELECT count(*) FROM audit"), before - 2, "nothing written");
}

/// Find customer gives exactly the same contracts, in the same order, on both engines, for
/// a few hundred queries: kana, kanji, digits, login IDs, serials, one to twenty
/// characters, and no hit.
#[test]
fn search_on_postgresql_finds_exactly_what_sqlite_finds() {
    const PAGES: [usize; 5] = [1, 2, 3, 5, 8];
    let Some(pg) = ScratchDb::new("search_on_postgresql_finds_exactly_what_sqlite_finds") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).expect("a");
    std::fs::create_dir_all(&b).expect("b");
    let mut lite = demo_at(&a.join("ledger.sqlite3"), config_in(&a), 400, 9);
    let mut post = demo_at(Path::new(&pg.url), config_in(&b), 400, 9);
    let pw = SecretString::from("demo-pass-1");
    let (s1, s2) =
        (lite.staff_login("clerk101", &pw).expect("login"), post.staff_login("clerk101", &pw).expect("login"));
    // The queries: pieces of what the ledger holds, and things it does not.
    let c = rusqlite::Connection::open(a.join("ledger.sqlite3")).expect("peek");
    let mut texts: Vec<String> = Vec::new();
    for sql in [
        "SELECT company FROM contracts ORDER BY id LIMIT 60",
        "SELECT company_kana FROM contracts ORDER BY id DESC LIMIT 40",
        "SELECT phone FROM contracts ORDER BY id LIMIT 20",
        "SELECT cif FROM contracts ORDER BY id LIMIT 20",
        "SELECT login_id FROM users ORDER BY id LIMIT 30",
        "SELECT serial FROM tokens ORDER BY id LIMIT 15",
    ] {
        let mut stmt = c.prepare(sql).expect(sql);
        texts.extend(stmt.query_map([], |r| r.get::<_, String>(0)).expect(sql).map(|r| r.expect("row")));
    }
    let mut queries: Vec<String> = Vec::new();
    for t in &texts {
        let chars: Vec<char> = t.chars().collect();
        for (from, len) in [(0, 1), (0, 2), (0, 3), (1, 3), (2, 4), (0, 6), (1, 8), (0, 20)] {
            if from < chars.len() {
                queries.push(chars[from..(from + len).min(chars.len())].iter().collect());
            }
        }
    }
    queries.extend(
        ["ｶ)ﾔﾏﾀﾞ", "やまだ", "ヤマダセイサクシヨ", "zzzz", "ありえない会社", "999-9999999", "03-", "c000", "ht"]
            .map(String::from),
    );
    queries.sort();
    queries.dedup();
    assert!(queries.len() >= 300, "{} queries", queries.len());
    // Every way a contains search goes in a ledger of real names is among them, for pages
    // of a few: a walk that finds its page, the index asked for every gram, and for the
    // few that narrow most.
    let bodies: Vec<String> = {
        let mut stmt = c.prepare("SELECT body FROM search_bodies ORDER BY contract_id").expect("bodies");
        stmt.query_map([], |r| r.get::<_, String>(0)).expect("bodies").map(|r| r.expect("body")).collect()
    };
    let mut counts = madoguchi::domain::search::GramCounts::default();
    bodies.iter().for_each(|b| counts.add(b));
    let docs: std::collections::HashMap<String, i64> = counts.rows().into_iter().collect();
    let way = |key: &str, want: usize| {
        let plan = madoguchi::domain::search::plan_contains(key, &docs, bodies.len() as i64, want);
        let met = |rows: u64| bodies.iter().take(rows as usize).filter(|b| b.contains(key)).count() >= want;
        match plan.walk {
            Some(rows) if met(rows) => "walk",
            Some(_) => "walk, then index",
            None if plan.grams.len() == madoguchi::domain::search::grams(key).len() => "every gram",
            None => "rarest grams",
        }
    };
    // One key of each way from the pieces of the bodies, besides those above.
    let mut ways = std::collections::BTreeMap::new();
    for b in &bodies {
        let chars: Vec<char> = b.chars().collect();
        for len in 3..=12 {
            for piece in chars.windows(len).filter(|w| !w.contains(&' ')) {
                let key: String = piece.iter().collect();
                for want in PAGES {
                    ways.entry(way(&key, want)).or_insert((key.clone(), want));
                }
            }
        }
    }
    queries.extend(ways.values().map(|(key, _)| key.clone()));
    // (A walk that falls short is not met in these names: see
    // `contains_finds_exactly_the_bodies_that_hold_the_key_on_both_engines`.)
    for w in ["walk", "every gram", "rarest grams"] {
        assert!(ways.contains_key(w), "{w}: {ways:?}");
    }
    queries.sort();
    queries.dedup();
    let mut differ = Vec::new();
    for q in &queries {
        for (offset, limit) in PAGES.into_iter().map(|n| (0, n)).chain([(0, 51), (5, 5)]) {
            let x = lite.find_customers(&s1, q, offset, limit).expect("sqlite");
            let y = post.find_customers(&s2, q, offset, limit).expect("postgres");
            let ids = |hits: &[madoguchi::domain::view::Hit]| {
                hits.iter().map(|h| (h.contract.id, format!("{:?}", h.matched))).collect::<Vec<_>>()
            };
            if ids(&x) != ids(&y) {
                differ.push(format!("{q:?} {offset}+{limit}: sqlite {:?} postgres {:?}", ids(&x), ids(&y)));
            }
        }
    }
    assert!(differ.is_empty(), "{} of {} queries differ:\n{}", differ.len(), queries.len(), differ.join("\n"));
}

/// The counter on PostgreSQL, in a terminal: log in, find the locked customer, open it.
#[test]
fn a_clerk_works_on_postgresql_in_the_terminal() {
    let Some(pg) = ScratchDb::new("a_clerk_works_on_postgresql_in_the_terminal") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi_at_noon(db, &["demo", "--customers", "20"], "").0, 0);
    let mut t = Term::start(db, &["--lang", "en"], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("Home");
    t.send("/").wait_for("Find customer");
    t.type_text("ｶ)ﾔﾏﾀﾞ").wait_for("株式会社山田製作所");
    t.send(key::DOWN).send(key::ENTER).wait_for("Details of");
    t.wait_for("Suspended");
    drop(t);
    assert!(pg.i64("SELECT count(*) FROM audit WHERE action = 'staff.login' AND actor = 'clerk101'") >= 1);
}

/// An open customer screen on PostgreSQL shows, without a key pressed, the lock the
/// customer channel made meanwhile.
#[test]
fn an_open_screen_on_postgresql_follows_the_customer_channel() {
    let Some(pg) = ScratchDb::new("an_open_screen_on_postgresql_follows_the_customer_channel") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi_at_noon(db, &["demo", "--customers", "0"], "").0, 0);
    let mut t = Term::start(db, &["--lang", "en"], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("Home");
    t.send("/").type_text("tozai-g1").wait_for("CIF").send(key::ENTER).wait_for("Details of tozai-g1");
    assert!(!t.screen().contains("Suspended"), "{}", t.screen());
    for _ in 0..6 {
        assert_eq!(madoguchi_at_noon(db, &["ib", "login", "--login-id", "tozai-g1"], "Wrong-pass9\n").0, 10);
    }
    t.wait_for("Suspended");
    drop(t);
    assert_eq!(
        pg.i64(
            "SELECT count(*) FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'tozai-g1' AND l.cleared_at IS NULL"
        ),
        1
    );
}

/// Even with the database password of the terminals' role, the audit trail only grows:
/// the role may not update, delete or truncate it, and the trigger refuses those to the
/// owner too.
#[test]
fn the_audit_trail_on_postgresql_only_grows() {
    let Some(pg) = ScratchDb::new("the_audit_trail_on_postgresql_only_grows") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi(db, &["demo", "--customers", "0"], "").0, 0);
    let mut owner = pg.client();
    for sql in ["UPDATE audit SET actor = 'mallory' WHERE seq = 3", "DELETE FROM audit WHERE seq = 3", "TRUNCATE audit"]
    {
        let e = owner.batch_execute(sql).expect_err(sql);
        assert!(e.to_string().contains("append-only") || format!("{e:?}").contains("append-only"), "{sql}: {e:?}");
    }
    // A terminal's login role, a member of the application role.
    let login = format!("counter_{}", std::process::id());
    owner
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {login}; CREATE ROLE {login} LOGIN IN ROLE {};",
            madoguchi::store::pg::APP_ROLE
        ))
        .expect("a login role");
    let as_app = pg.url.replacen("://", &format!("://{login}@"), 1);
    let mut app = postgres::Client::connect(&as_app, postgres::NoTls).expect("connect as the application role");
    app.batch_execute("SET ROLE NONE").expect("role");
    let n: i64 = app.query_one("SELECT count(*) FROM audit", &[]).expect("read").get(0);
    assert!(n > 10);
    for sql in [
        "UPDATE audit SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM audit WHERE seq = 3",
        "TRUNCATE audit",
        "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
    ] {
        let e = app.batch_execute(sql).expect_err(sql);
        assert!(
            format!("{e:?}").contains("permission denied") || format!("{e:?}").contains("must be owner"),
            "{sql}: {e:?}"
        );
    }
    // The ledger works through that role.
    let (code, _, err) =
        madoguchi(Path::new(&as_app), &["--lang", "en", "ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n");
    drop(app);
    owner.batch_execute(&format!("DROP OWNED BY {login}; DROP ROLE {login};")).expect("drop the role");
    assert_eq!(code, 10, "{err}");
}

/// A branch's SQLite ledger moves to the central database and back to a file for an
/// auditor: every row, MAC and entry arrives, both ends verify, at the same head; a
/// destination that holds a ledger is refused; a PostgreSQL ledger backs up to a file.
#[test]
fn a_ledger_copied_between_engines_verifies_at_both_ends() {
    let Some(pg) = ScratchDb::new("a_ledger_copied_between_engines_verifies_at_both_ends") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = crate::support::run::demo_ledger(dir.path(), 30);
    assert_eq!(madoguchi(&file, &["ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n").0, 10);
    let (_, before, _) = madoguchi(&file, &["audit", "verify", "--json"], "");
    let before: Value = serde_json::from_str(before.trim()).expect("json");

    let (code, _, err) = madoguchi(&file, &["--lang", "en", "ledger", "copy", &pg.url], "");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("both ends verified"), "{err}");
    let central = Path::new(&pg.url);
    let (code, out, _) = madoguchi(central, &["audit", "verify", "--json"], "");
    let after: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(code, 0, "{after}");
    // The copy is a ledger of its own: the source's chain, then one entry saying so.
    assert_eq!(after["entries"].as_i64(), before["entries"].as_i64().map(|n| n + 1), "{after}");
    let source_head = format!("{}:{}", before["head"]["seq"], &before["head"]["hash"].as_str().expect("hash")[..16]);
    assert_eq!(madoguchi(central, &["audit", "verify", "--expect", &source_head], "").0, 0);
    assert_eq!(pg.i64("SELECT count(*) FROM audit WHERE action = 'ledger.copy'"), 1);
    // The two go on apart: the file is not taken for a rollback of the copy, nor the copy
    // of the file.
    assert_eq!(madoguchi(&file, &["ib", "login", "--login-id", "aozora-g1"], "Wrong-pass9\n").0, 10);
    // The central ledger works: the same customer, the same count, the same search.
    let (code, out, _) = madoguchi(central, &["ib", "login", "--login-id", "yamada-g1", "--json"], "Wrong-pass9\n");
    assert_eq!(code, 10);
    assert!(out.contains("\"failures\":2"), "{out}");
    // Not over a ledger.
    let (code, _, err) = madoguchi(&file, &["--lang", "en", "ledger", "copy", &pg.url], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already exists"), "{err}");

    // Back to a file, and a backup of the central ledger.
    let auditor = dir.path().join("auditor").join("ledger.sqlite3");
    std::fs::create_dir_all(auditor.parent().expect("folder")).expect("mkdir");
    let (code, _, err) = madoguchi(central, &["ledger", "copy", auditor.to_str().expect("utf-8")], "");
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = madoguchi(&auditor, &["audit", "verify", "--json"], "");
    assert_eq!(code, 0, "{out}");
    let backup = dir.path().join("central-backup.sqlite3");
    let (code, _, err) = as_admin(central, &["backup", backup.to_str().expect("utf-8")], "");
    assert_eq!(code, 0, "{err}");
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).expect("ls").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().starts_with("central-backup.sqlite3-")), "one file: {names:?}");
}

/// A database the server does not have (a mistyped name in the URL) is said to be refused
/// by the server, in the clerk's language, not blamed on the network: trying again, which
/// the network message invites, would not help.
#[test]
fn a_database_the_server_does_not_have_is_not_called_a_network_fault() {
    let Some(pg) = ScratchDb::new("a_database_the_server_does_not_have_is_not_called_a_network_fault") else {
        return;
    };
    let missing = madoguchi::store::pg::with_database(&pg.url, "madoguchi_no_such_ledger");
    let (code, _, err) = madoguchi(Path::new(&missing), &["--lang", "en", "audit", "verify"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("refused") && err.contains("madoguchi_no_such_ledger"), "{err}");
    assert!(!err.contains("network"), "{err}");
    let (code, _, err) = madoguchi(Path::new(&missing), &["--lang", "ja", "audit", "verify"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("データベース名") && !err.contains("ネットワーク"), "{err}");
}

/// Several hosts with `target_session_attrs=read-write`: a dead host listed first is
/// passed over and the ledger reached; the config's `ledger.url` names it when `--db` does
/// not; a password in the URL never shows in a message.
#[test]
fn a_url_with_a_dead_host_first_still_reaches_the_ledger() {
    let Some(pg) = ScratchDb::new("a_url_with_a_dead_host_first_still_reaches_the_ledger") else { return };
    assert_eq!(madoguchi(Path::new(&pg.url), &["demo", "--customers", "0"], "").0, 0);
    let (scheme, rest) = pg.url.split_once("://").expect("url");
    let (authority, path) = rest.split_once('/').expect("path");
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let sep = if path.contains('?') { "&" } else { "?" };
    let failover = format!("{scheme}://{user}127.0.0.1:1,{hosts}/{path}{sep}target_session_attrs=read-write");
    let (code, _, err) = madoguchi(Path::new(&failover), &["ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n");
    assert_eq!(code, 10, "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("bank.toml");
    std::fs::write(&cfg, format!("[ledger]\nurl = \"{failover}\"\n")).expect("config");
    let out = crate::support::run::command()
        .args(["--config", cfg.to_str().expect("utf-8"), "audit", "verify", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Nobody listens there: the message names the problem, never the password.
    let secret = format!("{scheme}://someone:S3cret-pw@127.0.0.1:1/{path}");
    let (code, _, err) = madoguchi(Path::new(&secret), &["--lang", "en", "audit", "verify"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unreachable") && !err.contains("S3cret-pw"), "{err}");
}

/// Connections cut in the middle of many customers' attempts (`pg_terminate_backend`, as
/// a server restart does): every attempt either committed and said so, or did not and
/// said the ledger was unreachable; nothing committed is lost, nothing half-written, and
/// the chain verifies.
#[test]
fn cut_connections_lose_nothing_committed_and_half_write_nothing() {
    let Some(pg) = ScratchDb::new("cut_connections_lose_nothing_committed_and_half_write_nothing") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi(db, &["demo", "--customers", "0"], "").0, 0);
    let before = pg.i64("SELECT count(*) FROM audit WHERE action = 'ib.unknown_id'");
    let name: String = pg.client().query_one("SELECT current_database()", &[]).expect("name").get(0);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (stop, url) = (stop.clone(), pg.url.clone());
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("killer");
            let (mut cuts, mut rounds) = (0, 0usize);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let n: i64 = c
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                         WHERE datname = $1 AND pid <> pg_backend_pid()",
                        &[&name],
                    )
                    .expect("terminate")
                    .get(0);
                cuts += n;
                // Pauses short and long, so that some attempts are cut and some finish
                // however long an attempt takes on a loaded machine.
                let pause = [150, 400, 900, 1600][(cuts as usize + rounds) % 4];
                rounds += 1;
                std::thread::sleep(std::time::Duration::from_millis(pause));
            }
            cuts
        })
    };
    let mut outcomes: Vec<(Option<i32>, String)> = Vec::new();
    // Waves until attempts both landed and were cut (or twenty waves).
    for wave in 0..20 {
        let seen = |code: i32| outcomes.iter().any(|(c, _)| *c == Some(code));
        if wave >= 4 && seen(10) && seen(1) {
            break;
        }
        let children: Vec<_> = (0..8)
            .map(|i| {
                let mut c = crate::support::run::command();
                c.args(["--db", &pg.url, "--lang", "en", "ib", "login", "--login-id", &format!("cut-{wave}-{i}")])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = c.spawn().expect("spawn");
                std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"Wrong-pass9\n").expect("stdin");
                child
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("wait");
            outcomes.push((out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned()));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let cuts = killer.join().expect("killer");
    assert!(cuts > 0, "connections were cut");
    let committed = outcomes.iter().filter(|(c, _)| *c == Some(10)).count() as i64;
    let refused = outcomes.iter().filter(|(c, e)| *c == Some(1) && e.contains("unreachable")).count();
    let odd: Vec<_> =
        outcomes.iter().filter(|(c, e)| !(*c == Some(10) || (*c == Some(1) && e.contains("unreachable")))).collect();
    assert!(odd.is_empty(), "every attempt says done or unreachable: {odd:?}");
    assert!(committed > 0 && refused > 0, "some of each ({committed} done, {refused} cut): {:?}", outcomes.first());
    assert_eq!(
        pg.i64("SELECT count(*) FROM audit WHERE action = 'ib.unknown_id'") - before,
        committed,
        "what was said done is there, and nothing else"
    );
    let (code, out, _) = madoguchi(db, &["audit", "verify", "--json"], "");
    assert_eq!(code, 0, "{out}");
}

/// The terminal keeps its screen while the ledger is unreachable, says so, and carries on
/// when it is back.
#[test]
fn the_terminal_waits_out_a_lost_connection() {
    let Some(pg) = ScratchDb::new("the_terminal_waits_out_a_lost_connection") else { return };
    assert_eq!(madoguchi_at_noon(Path::new(&pg.url), &["demo", "--customers", "20"], "").0, 0);
    // The terminal reaches the server through a relay the test can cut.
    let relay = crate::support::pg::Relay::to(&pg.url);
    let url = relay.url_for(&pg.url);
    let mut t = Term::start(Path::new(&url), &["--lang", "en"], 100, 30);
    t.log_in("clerk101", "demo-pass-1").wait_for("Home");
    t.send("/").wait_for("Find customer");
    relay.cut();
    t.type_text("ｶ)ﾔﾏﾀﾞ").wait_for("Ledger unreachable, retrying");
    assert!(
        t.screen().contains("Find customer") && t.screen().contains("カ)ヤマダ"),
        "the screen and the query stay: {}",
        t.screen()
    );
    relay.restore();
    t.wait_for("The ledger is back");
    // What was typed is still there; one key more searches again.
    t.send(key::BACKSPACE).type_text("ﾞ").wait_for("株式会社山田製作所");
}

/// The server ends a write to break a deadlock (another session holds a row the write
/// needs and waits for the writers' lock): the write is run again and succeeds, and the
/// clerk never sees the deadlock. Before the retry, the login failed with it.
#[test]
fn a_write_ended_by_a_deadlock_is_run_again() {
    let Some(pg) = ScratchDb::new("a_write_ended_by_a_deadlock_is_run_again") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Path::new(&pg.url);
    demo_in(db, dir.path(), 0);
    let logins_before = pg.i64("SELECT count(*) FROM audit WHERE action = 'staff.login'");
    // The other session: it holds the row every write updates, and gives the writer's
    // session the first deadlock check (its own waits 10 s before checking).
    let mut other = pg.client();
    let mut tx = other.transaction().expect("begin");
    tx.batch_execute("SET LOCAL deadlock_timeout = '10s'").expect("timeout");
    tx.query("SELECT 1 FROM meta WHERE key = 'state' FOR UPDATE", &[]).expect("hold the row");
    let cfg = config_in(dir.path());
    let writer = std::thread::spawn({
        let db = db.to_path_buf();
        move || {
            let mut l = Ledger::open(&db, cfg).expect("open");
            l.staff_login("clerk101", &SecretString::from("demo-pass-1")).map(|_| ()).map_err(|e| e.to_string())
        }
    });
    // Once the writer holds the writers' lock and waits for the row, wait for the lock.
    let mut watch = pg.client();
    let waiting = (0..600).any(|_| {
        let n: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                &[],
            )
            .expect("watch")
            .get(0);
        n > 0 || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            false
        }
    });
    assert!(waiting, "the writer came to wait for the row");
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&madoguchi::store::pg::WRITE_LOCK]).expect("the writers' lock");
    // Granted only because the server ended the writer's first try, which held it.
    tx.rollback().expect("let go");
    assert_eq!(writer.join().expect("writer"), Ok(()), "the login went through");
    assert_eq!(pg.i64("SELECT count(*) FROM audit WHERE action = 'staff.login'"), logins_before + 1);
    let mut l = Ledger::open(db, config_in(dir.path())).expect("open");
    assert!(l.verify_audit().expect("verify").intact());
}

/// The database's owner plants what would act inside the program's own statements — a
/// trigger that promotes a clerk as the program writes, the append-only trigger turned
/// off or its function made to let changes through, a rule, row-level security that hides
/// locks: the ledger is refused, naming what was changed, and nothing is written.
#[test]
fn a_trigger_or_rule_planted_in_the_database_is_refused() {
    let Some(pg) = ScratchDb::new("a_trigger_or_rule_planted_in_the_database_is_refused") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi(db, &["demo", "--customers", "0"], "").0, 0);
    let plants = [
        (
            "CREATE FUNCTION zz() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.role := 'admin'; RETURN NEW; END $$;
          CREATE TRIGGER zz BEFORE UPDATE ON staff FOR EACH ROW EXECUTE FUNCTION zz();",
            "DROP TRIGGER zz ON staff; DROP FUNCTION zz();",
        ),
        ("ALTER TABLE audit DISABLE TRIGGER audit_append_only", "ALTER TABLE audit ENABLE TRIGGER audit_append_only"),
        (
            "CREATE OR REPLACE FUNCTION madoguchi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RETURN NULL; END $$",
            "CREATE OR REPLACE FUNCTION madoguchi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
        ),
        (
            "CREATE OR REPLACE FUNCTION search_grams_of(body TEXT) RETURNS TEXT[] LANGUAGE plpgsql IMMUTABLE AS
          $$ BEGIN UPDATE staff SET role = 'admin'; RETURN ARRAY[]::text[]; END $$",
            &madoguchi::store::migrations::search_grams_of(),
        ),
        (
            "ALTER FUNCTION search_grams_of(text) SET search_path = public, pg_catalog",
            "ALTER FUNCTION search_grams_of(text) SET search_path = pg_catalog, pg_temp",
        ),
        (
            "ALTER FUNCTION search_grams_of(text) SECURITY DEFINER",
            "ALTER FUNCTION search_grams_of(text) SECURITY INVOKER",
        ),
        (
            "CREATE FUNCTION search_grams_of(body varchar) RETURNS TEXT[] LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY[]::text[] $$",
            "DROP FUNCTION search_grams_of(varchar)",
        ),
        (
            "CREATE FUNCTION zz(s bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN s; END $$;
          CREATE INDEX zz ON audit (zz(seq));",
            "DROP INDEX zz; DROP FUNCTION zz(bigint);",
        ),
        (
            "CREATE FUNCTION zz() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'x'; END $$;
          ALTER TABLE branches ALTER COLUMN address SET DEFAULT zz();",
            "ALTER TABLE branches ALTER COLUMN address SET DEFAULT ''; DROP FUNCTION zz();",
        ),
        (
            // The program's function's name, in another schema.
            "CREATE SCHEMA zz;
          CREATE FUNCTION zz.search_grams_of(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN t; END $$;
          CREATE INDEX zz ON audit (zz.search_grams_of(details));",
            "DROP INDEX zz; DROP SCHEMA zz CASCADE;",
        ),
        (
            // A domain's check runs on every write of the column.
            "CREATE SCHEMA zz;
          CREATE FUNCTION zz.f(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN true; END $$;
          CREATE DOMAIN zz.d AS text CHECK (zz.f(VALUE));
          ALTER TABLE failure_counts ALTER COLUMN last_at TYPE zz.d;",
            "ALTER TABLE failure_counts ALTER COLUMN last_at TYPE text COLLATE \"C\"; DROP SCHEMA zz CASCADE;",
        ),
        (
            "CREATE DOMAIN zzd AS text CHECK (length(VALUE) < 1000000);
          CREATE INDEX zz ON audit ((lower(details::zzd)));",
            "DROP INDEX zz; DROP DOMAIN zzd;",
        ),
        ("CREATE RULE zz AS ON INSERT TO locks DO INSTEAD NOTHING", "DROP RULE zz ON locks"),
        ("ALTER TABLE locks ENABLE ROW LEVEL SECURITY", "ALTER TABLE locks DISABLE ROW LEVEL SECURITY"),
        (
            "DROP TRIGGER audit_append_only ON audit",
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
          FOR EACH STATEMENT EXECUTE FUNCTION madoguchi_audit_append_only()",
        ),
    ];
    for (plant, undo) in plants {
        let before = pg.i64("SELECT count(*) FROM audit");
        pg.client().batch_execute(plant).expect(plant);
        let (code, _, err) =
            madoguchi(db, &["--lang", "en", "ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n");
        assert_eq!(code, 3, "{plant}: {err}");
        assert!(err.contains("structure was changed"), "{plant}: {err}");
        let (code, _, _) = madoguchi(db, &["audit", "verify"], "");
        assert_eq!(code, 3, "{plant}");
        assert_eq!(pg.i64("SELECT count(*) FROM audit"), before, "{plant}: nothing written");
        pg.client().batch_execute(undo).expect(undo);
        // Put back as the migrations made it, the ledger opens and works again (a right
        // password, so that the refused attempts never add up to a lock).
        let (code, _, err) =
            madoguchi(db, &["--lang", "en", "ib", "login", "--login-id", "yamada-g1"], "Login-pass1\n");
        assert_eq!(code, 0, "{plant} undone: {err}");
    }
}

/// A ledger loaded in bulk (a demo, generated straight into the database with `COPY`, the keys
/// and the trigram index set aside during the load) ends with exactly the schema of one
/// made statement by statement (`init`): every key, index and trigger put back as it was.
#[test]
fn a_bulk_loaded_ledger_has_the_schema_of_a_new_one() {
    let Some(made) = ScratchDb::new("a_bulk_loaded_ledger_has_the_schema_of_a_new_one_init") else { return };
    let Some(loaded) = ScratchDb::new("a_bulk_loaded_ledger_has_the_schema_of_a_new_one_demo") else { return };
    let (code, _, err) = madoguchi(
        Path::new(&made.url),
        &["--lang", "en", "init", "--admin", "root", "--password-stdin"],
        "Root-pass-123\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(madoguchi(Path::new(&loaded.url), &["demo", "--customers", "50"], "").0, 0);
    let schema = |db: &ScratchDb| -> Vec<String> {
        let mut c = db.client();
        let mut out: Vec<String> = c
            .query(
                "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE connamespace = 'public'::regnamespace
                 UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
                 UNION ALL SELECT tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal",
                &[],
            )
            .expect("schema")
            .iter()
            .map(|r| r.get(0))
            .collect();
        out.sort();
        out
    };
    // A demo into a database that holds a ledger is refused before anything is generated,
    // even on a machine without its key; the ledger is left as it was.
    let key = crate::support::run::data_home().join("madoguchi").join(format!("{}.key", loaded.name));
    let aside = key.with_extension("aside");
    std::fs::rename(&key, &aside).expect("key aside");
    let before = loaded.i64("SELECT count(*) FROM audit");
    // With a password in the URL (the server trusts local users and ignores it), which no
    // message shows.
    let with_password = loaded.url.replacen("://", "://postgres:Sekr1t-pw9@", 1);
    let (code, _, err) = madoguchi(Path::new(&with_password), &["--lang", "en", "demo", "--customers", "50"], "");
    std::fs::rename(&aside, &key).expect("key back");
    assert!(!err.contains("Sekr1t-pw9"), "{err}");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(loaded.i64("SELECT count(*) FROM audit"), before);
    let (a, b) = (schema(&made), schema(&loaded));
    assert!(
        a.iter().any(|d| d.contains("FOREIGN KEY")) && a.iter().any(|d| d.contains("search_grams_of(body)")),
        "{a:?}"
    );
    assert_eq!(a, b);
    // Both plan contains searches from the finer sample of the search texts.
    for db in [&made, &loaded] {
        let target = db.i64(
            "SELECT attstattarget::bigint FROM pg_attribute WHERE attrelid = 'search_text'::regclass AND attname = 'body'",
        );
        assert_eq!(target, 250, "{}", db.name);
    }
}

/// Paper on the shared ledger: a receipt and a journal printed from PostgreSQL are the
/// same documents, and their prints are recorded there.
#[test]
fn receipts_and_journals_print_from_postgresql() {
    let Some(pg) = crate::support::pg::demo("receipts_and_journals_print_from_postgresql", 300) else { return };
    let db = Path::new(&pg.url);
    let dir = tempfile::tempdir().expect("tempdir");
    let (no, day): (i64, String) = {
        let row = pg
            .client()
            .query_one(
                "SELECT receipt_no, business_date::text FROM fees WHERE branch = '101' ORDER BY receipt_no LIMIT 1",
                &[],
            )
            .expect("a receipt");
        (row.get(0), row.get(1))
    };
    let receipt = dir.path().join("r.pdf");
    let journal = dir.path().join("j.pdf");
    for args in [
        vec![
            "report",
            "receipt",
            "--branch",
            "101",
            "--number",
            &no.to_string(),
            "--pdf",
            receipt.to_str().expect("utf-8"),
        ],
        vec!["report", "fees", "--date", &day, "--pdf", journal.to_str().expect("utf-8")],
    ] {
        let (code, _, err) = crate::support::run::as_staff_at_noon(db, "clerk101", &args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let r = pdf_extract::extract_text(&receipt).expect("receipt text");
    assert!(r.contains("領収書") && r.contains(&format!("101-{no:06}")), "{r}");
    let j = pdf_extract::extract_text(&journal).expect("journal text");
    assert!(j.contains("手数料日計表") && j.contains(&day), "{j}");
    assert_eq!(pg.i64("SELECT count(*) FROM audit WHERE action IN ('receipt.print', 'journal.print')"), 2);
    assert_eq!(madoguchi(db, &["audit", "verify"], "").0, 0);
}

/// The customer channel's HTTP service on the shared ledger: the same answers as `ib`.
#[test]
fn the_http_channel_serves_from_postgresql() {
    let Some(pg) = crate::support::pg::demo("the_http_channel_serves_from_postgresql", 0) else { return };
    let db = Path::new(&pg.url);
    crate::serve::every_rule_outcome(db);
    assert_eq!(pg.i64("SELECT count(*) FROM audit WHERE action = 'lock.open' AND details LIKE '%api:frontend1%'"), 1);
}

/// The counter prints from a PostgreSQL ledger as from a file: the receipt on the fee
/// dialog and the day's journal, through the print command.
#[test]
fn the_counter_prints_from_postgresql() {
    let Some(pg) = ScratchDb::new("the_counter_prints_from_postgresql") else { return };
    let db = Path::new(&pg.url);
    assert_eq!(madoguchi_at_noon(db, &["demo", "--customers", "0"], "").0, 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, printer) = crate::paper::printing_config(dir.path());
    let mut t = Term::start(db, &["--config", &config], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    crate::flows::open_user(&mut t, "yamada-g1");
    t.send("t").wait_for("ハードトークン").wait_for("(●) 追加発行");
    t.send(key::ENTER).wait_for("実行しますか").send("y").wait_for("F7: 印刷");
    t.send(key::F7).wait_for("を印刷に回しました");
    t.send(key::ENTER).send(key::CTRL_T).wait_for("検印待ち");
    t.send("j").wait_for("日計（1 件）").send(key::F7).wait_for("の日計表を印刷に回しました");
    drop(t);
    let receipts = crate::paper::printed(&printer, "receipt-101-");
    assert_eq!(receipts.len(), 1);
    assert!(crate::paper::text_of(&receipts[0]).contains("ハードトークン追加発行手数料"));
    assert_eq!(crate::paper::printed(&printer, "journal-101-").len(), 1);
    assert_eq!(pg.i64("SELECT count(*) FROM audit WHERE action IN ('receipt.print', 'journal.print')"), 2);
}

/// Bodies made of a few syllables, some in most bodies and some in a handful; the first
/// half hold `セイセ` and `イセイ` apart, the second `セイセイ` now and then: a key the
/// grams call common that the first contracts do not hold.
fn synthetic_bodies(n: usize) -> Vec<String> {
    use rand::{Rng, SeedableRng};
    const COMMON: &[&str] = &["セイ", "サク", "シヨ", "コウ", "カイ"];
    const RARE: &[&str] = &["ヴア", "ヂユ", "ヲヰ", "ゑ", "ヱン", "ﾟ"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    (0..n)
        .map(|i| {
            let mut b = String::new();
            for _ in 0..rng.gen_range(3..9) {
                let table = if rng.gen_bool(0.9) { COMMON } else { RARE };
                b.push_str(table[rng.gen_range(0..table.len())]);
            }
            let tail = if i < n / 2 {
                "セイセカイセイ"
            } else if i % 10 == 0 {
                "セイセイ"
            } else {
                ""
            };
            format!("{b}{tail} {} 03{:04}", &b[..3], rng.gen_range(0..10_000))
        })
        .collect()
}

/// Whatever the plan (a walk that finds its page, one that falls short and asks the
/// index, a phrase of every gram, the rarest grams and a check), a contains search finds
/// the contracts whose body holds the key, in order, a page at a time: the same as
/// looking at every body, on both engines. The gram counts a bulk load leaves are those
/// the one-by-one path leaves.
#[test]
fn contains_finds_exactly_the_bodies_that_hold_the_key_on_both_engines() {
    use madoguchi::domain::search::{GramCounts, Indexed, key_grams, plan_contains};
    use madoguchi::store::{self, Db, integrity::RowKey, search};
    let texts = synthetic_bodies(2_000);
    let check = |db: &mut dyn Db, engine: &str| {
        let half = texts.len() / 2;
        for (i, body) in texts[..half].iter().enumerate() {
            search::index(db, i as i64 + 1, &Indexed { terms: Vec::new(), body: body.clone() }).expect("index");
        }
        let mut counts = GramCounts::default();
        let mut rest = texts[half..].iter().enumerate().map(|(i, b)| ((half + i) as i64 + 1, b.clone()));
        search::bodies_in(db, &mut rest, &mut counts).expect("bulk");
        search::count_grams(db, &counts).expect("counts");
        search::optimize(db).expect("optimize");
        let kept: Vec<(String, i64)> = db.all("SELECT gram, docs FROM search_grams ORDER BY gram", &[]).expect("kept");
        let mut recount = GramCounts::default();
        texts.iter().for_each(|b| recount.add(b));
        assert_eq!(kept, recount.rows(), "{engine}");
        let docs: std::collections::HashMap<String, i64> = recount.rows().into_iter().collect();

        let mut keys: Vec<String> =
            vec!["セイセイ".into(), "セイセイセイセイ".into(), "ゑゑゑ".into(), "ヴアヴアヴア".into(), "0300".into()];
        for (i, b) in texts.iter().enumerate().step_by(7) {
            let chars: Vec<char> = b.chars().collect();
            let (from, len) = (i % 3, 3 + i % 10);
            if from + len <= chars.len() && !chars[from..from + len].contains(&' ') {
                keys.push(chars[from..from + len].iter().collect());
            }
        }
        let mut ways = std::collections::BTreeSet::new();
        for key in &keys {
            let holding: Vec<i64> =
                texts.iter().enumerate().filter(|(_, b)| b.contains(key.as_str())).map(|(i, _)| i as i64 + 1).collect();
            let plan = plan_contains(key, &docs, texts.len() as i64, 51);
            ways.insert(match plan.walk {
                Some(rows) if holding.iter().filter(|id| **id <= rows as i64).count() >= 51 => "walk",
                Some(_) => "walk, then index",
                None if plan.grams.len() == key_grams(key).len() => "every gram",
                None => "rarest grams",
            });
            let page =
                |offset: usize, limit: usize| holding.iter().skip(offset).take(limit).copied().collect::<Vec<_>>();
            assert_eq!(search::contains(db, key, &docs, 0, 51).expect("contains"), page(0, 51), "{engine} {key}");
            assert_eq!(search::contains(db, key, &docs, 10, 5).expect("page"), page(10, 5), "{engine} {key} from 10");
        }
        assert_eq!(ways.len(), 4, "{engine}: {ways:?}");
    };
    let mut lite = store::sqlite::Conn::new(store::memory().expect("memory"), RowKey::new([1; 32]));
    check(&mut lite, "sqlite");
    let Some(pg) = ScratchDb::new("contains_finds_exactly_the_bodies_that_hold_the_key_on_both_engines") else {
        return;
    };
    let client = store::pg::create(&pg.url).expect("create");
    let mut post = store::pg::PgConn::new(client, RowKey::new([1; 32]), &pg.url);
    check(&mut post, "postgresql");
}

/// Functions and operators planted beside the server's own, in the ledger's schema or one a
/// changed search path puts first, are never taken for them: Find customer's `@>` (one for
/// `text[]` exactly would be preferred to the server's generic one) and the functions the
/// trigram index is built of run as the server's.
#[test]
fn operators_and_functions_planted_beside_the_servers_are_not_run() {
    let Some(pg) = ScratchDb::new("operators_and_functions_planted_beside_the_servers_are_not_run") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = demo_at(Path::new(&pg.url), config_in(dir.path()), 300, 3);
    let clerk = ledger.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
    let before: Vec<i64> =
        ledger.find_customers(&clerk, "セイサクシヨ", 0, 51).expect("search").iter().map(|h| h.contract.id).collect();
    assert!(!before.is_empty());
    drop(ledger);
    pg.client()
        .batch_execute(&format!(
            "CREATE TABLE planted_ran (what text);
             CREATE FUNCTION public.planted_contains(a text[], b text[]) RETURNS boolean LANGUAGE plpgsql AS
               $$ BEGIN INSERT INTO planted_ran VALUES ('@>'); RETURN a OPERATOR(pg_catalog.@>) b; END $$;
             CREATE OPERATOR public.@> (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.planted_contains);
             CREATE FUNCTION public.substr(s text, f int, n int) RETURNS text LANGUAGE plpgsql AS
               $$ BEGIN INSERT INTO planted_ran VALUES ('substr'); RETURN pg_catalog.substr(s, f, n); END $$;
             ALTER DATABASE {} SET search_path = public, pg_catalog;",
            pg.name
        ))
        .expect("plant");
    let mut ledger = Ledger::open(Path::new(&pg.url), config_in(dir.path())).expect("open");
    let clerk = ledger.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
    let after: Vec<i64> =
        ledger.find_customers(&clerk, "セイサクシヨ", 0, 51).expect("search").iter().map(|h| h.contract.id).collect();
    assert_eq!(after, before);
    // The index's function, run by an insert into the search texts on a connection of the
    // program's (the program's own statements are the only ones that matter here).
    let mut conn = madoguchi::store::pg::connect(&pg.url).expect("connect");
    conn.batch_execute("INSERT INTO search_text (contract_id, body) VALUES (999999, 'テストボディ')").expect("insert");
    assert_eq!(pg.i64("SELECT count(*) FROM planted_ran"), 0, "a planted operator or function ran");
}

/// A PostgreSQL ledger of schema 8 gains its digit pairs in SQL as it is migrated: every
/// body becomes the index text the program writes for it, and the gram counts those of the
/// program, so a piece of a phone number is found the same way as on a new ledger.
#[test]
fn a_postgresql_ledger_of_schema_8_gains_the_digit_pairs_the_program_writes() {
    use madoguchi::domain::search::{GramCounts, index_text};
    use madoguchi::store;
    let Some(pg) = ScratchDb::new("a_postgresql_ledger_of_schema_8_gains_the_digit_pairs_the_program_writes") else {
        return;
    };
    let mut client = store::pg::connect(&pg.url).expect("connect");
    store::pg::migrate_to(&mut client, store::migrations::DIGIT_PAIRS - 1).expect("schema 8");
    let mut bodies = synthetic_bodies(300);
    bodies.extend(["ABC1234X56 エー 0312345678".to_string(), "12 34 567".into(), "9999".into(), "".into()]);
    let mut counts = GramCounts::default();
    for (i, b) in bodies.iter().enumerate() {
        client
            .execute("INSERT INTO search_text (contract_id, body) VALUES ($1, $2)", &[&(i as i64 + 1), b])
            .expect("a schema-8 body");
        counts.add(b);
    }
    store::pg::migrate_to(&mut client, store::migrations::MIGRATIONS.len()).expect("migrate");
    for (i, b) in bodies.iter().enumerate() {
        let text: String = client
            .query_one("SELECT body FROM search_text WHERE contract_id = $1", &[&(i as i64 + 1)])
            .expect("body")
            .get(0);
        assert_eq!(text, index_text(b), "{b}");
    }
    let kept: Vec<(String, i64)> = client
        .query("SELECT gram, docs FROM search_grams ORDER BY gram", &[])
        .expect("counts")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(kept, counts.rows());
}
