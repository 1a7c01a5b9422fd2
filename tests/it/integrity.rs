//! The ledger under attack by someone who can write its files but does not hold the key:
//! they cut the audit trail's tail, put back an older copy, edit a row, move an encrypted
//! value, or run administration without signing in. Each is found, before and after any
//! later write, and nothing is written on the strength of it.

use std::path::{Path, PathBuf};

use madoguchi::config::Config;
use madoguchi::service::{Ledger, ServiceError};
use rusqlite::Connection;
use secrecy::SecretString;
use serde_json::Value;

use crate::support::run::{as_admin, demo_ledger, madoguchi, state_home};

/// A connection that writes the file behind the program's back.
fn sql(db: &Path) -> Connection {
    Connection::open(db).expect("open the file for writing")
}

fn count(db: &Path, query: &str) -> i64 {
    sql(db).query_row(query, [], |r| r.get(0)).expect(query)
}

fn audit_count(db: &Path) -> i64 {
    count(db, "SELECT count(*) FROM audit")
}

fn seal(db: &Path) -> PathBuf {
    db.with_file_name("ledger.seal")
}

/// `audit verify --json` in English: (exit code, report, stderr).
fn verify(db: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--lang", "en", "audit", "verify", "--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = madoguchi(db, &args, "");
    let report = serde_json::from_str(out.trim()).unwrap_or(Value::Null);
    (code, report, err)
}

/// One wrong login password through the customer channel: a write (the failure count).
fn wrong_login(db: &Path) -> (i32, String) {
    let (code, _, err) = madoguchi(db, &["--lang", "en", "ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n");
    (code, err)
}

fn a_demo(dir: &Path) -> PathBuf {
    demo_ledger(dir, 0)
}

// ---------------------------------------------------------------------------------------
// Finding 1: a cut tail, laundered by the next write
// ---------------------------------------------------------------------------------------

#[test]
fn a_cut_tail_with_its_seal_removed_stays_detected_after_every_later_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let head = audit_count(&db);
    sql(&db).execute("DELETE FROM audit WHERE seq > ?1", [head - 3]).expect("cut");
    std::fs::remove_file(seal(&db)).expect("remove the seal");
    let cut = audit_count(&db);
    assert_eq!(verify(&db, &[]).0, 3);

    // The next write is refused, with the same exit code and words as verify.
    let (code, err) = wrong_login(&db);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("tampering detected") && err.contains("cannot be written"), "{err}");
    assert_eq!(audit_count(&db), cut, "nothing appended");
    // A staff login in the app writes nothing either, and the verdict stands.
    let mut l = Ledger::open(&db, Config::default()).expect("open");
    assert!(l.refusal().is_some());
    l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("the password is still checked");
    assert!(matches!(
        l.staff_login("clerk101", &SecretString::from("wrong-pass-1")),
        Err(ServiceError::BadLogin { .. })
    ));
    drop(l);
    assert_eq!(audit_count(&db), cut, "a login on a refused ledger writes nothing");
    assert_eq!(count(&db, "SELECT failures FROM staff WHERE id = 'clerk101'"), 0, "and counts nothing");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!((code, report["intact"].as_bool()), (3, Some(false)), "{report}");
}

#[test]
fn an_emptied_audit_table_is_not_an_intact_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    sql(&db).execute("DELETE FROM audit", []).expect("empty it");
    let (code, report, err) = verify(&db, &[]);
    assert_eq!(code, 3, "{report} {err}");
    assert_eq!(report["first_bad"]["reason"], "tail_cut", "{report}");
    std::fs::remove_file(seal(&db)).expect("and the seal");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!((code, report["intact"].as_bool()), (3, Some(false)), "{report}");
    assert_eq!(report["first_bad"]["reason"], "rollback", "the anchor outside the folder still knows: {report}");
}

#[test]
fn a_cut_tail_names_where_the_ledger_ends_and_where_the_seal_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let head = audit_count(&db);
    sql(&db).execute("DELETE FROM audit WHERE seq > ?1", [head - 2]).expect("cut");
    let (code, report, err) = verify(&db, &[]);
    assert_eq!(code, 3);
    assert_eq!(report["first_bad"]["reason"], "tail_cut", "{report}");
    assert_eq!(report["first_bad"]["seq"].as_i64(), Some(head), "{report}");
    assert!(err.contains(&format!("#{}", head - 2)) && err.contains(&format!("#{head}")), "{err}");
}

// ---------------------------------------------------------------------------------------
// Finding 2: an older copy put back
// ---------------------------------------------------------------------------------------

/// The anchor file of the ledger at `db`, where the tests' processes keep it.
fn anchor_of(db: &Path) -> PathBuf {
    let id: String =
        sql(db).query_row("SELECT value FROM meta WHERE key = 'ledger_id'", [], |r| r.get(0)).expect("ledger id");
    state_home().join("madoguchi").join(format!("{id}.anchor"))
}

#[test]
fn an_older_copy_put_back_with_its_seal_is_reported_as_rolled_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let old = dir.path().join("old");
    std::fs::create_dir(&old).expect("mkdir");
    for f in ["ledger.sqlite3", "ledger.seal"] {
        std::fs::copy(dir.path().join(f), old.join(f)).expect("copy");
    }
    let old_head = audit_count(&db);
    for _ in 0..2 {
        assert_eq!(wrong_login(&db).0, 10);
    }
    let (code, live, _) = verify(&db, &[]);
    assert_eq!(code, 0, "{live}");
    let new_head = live["head"]["seq"].as_i64().expect("head");
    let new_hash = live["head"]["hash"].as_str().expect("hash").to_string();
    assert!(new_head > old_head);
    let anchor_copy = dir.path().join("anchor-kept-elsewhere");
    std::fs::copy(anchor_of(&db), &anchor_copy).expect("keep the anchor");
    // The journal's paper anchor (the first 16 hex digits) holds on the live ledger.
    let expect = format!("{new_head}:{}", &new_hash[..16]);
    assert_eq!(verify(&db, &["--expect", &expect]).0, 0);

    for f in ["ledger.sqlite3", "ledger.seal"] {
        std::fs::copy(old.join(f), dir.path().join(f)).expect("put back");
    }
    let (code, report, err) = verify(&db, &[]);
    assert_eq!(code, 3, "{report}");
    assert_eq!(report["first_bad"]["reason"], "rollback", "{report}");
    assert!(err.contains(&format!("#{old_head}")) && err.contains(&format!("#{new_head}")), "both ends named: {err}");
    // Every write is refused; verify against the paper anchor or a kept anchor says so too.
    assert_eq!(wrong_login(&db).0, 3);
    assert_eq!(audit_count(&db), old_head, "nothing written on the old copy");
    assert_eq!(verify(&db, &["--expect", &expect]).0, 3);
    let (code, report, _) = verify(&db, &["--anchor", anchor_copy.to_str().expect("utf-8")]);
    assert_eq!((code, report["first_bad"]["reason"].as_str()), (3, Some("rollback")), "{report}");
}

#[test]
fn verify_takes_only_a_well_formed_expected_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    for bad in ["12", "x:abcdefabcdefabcd", "12:abcd", "12:zzzzzzzzzzzzzzzz"] {
        let (code, _, err) = madoguchi(&db, &["--lang", "en", "audit", "verify", "--expect", bad], "");
        assert_eq!(code, 2, "{bad}: {err}");
    }
    // A head the ledger does not hold: an entry that differs.
    let (code, report, _) = verify(&db, &["--expect", "3:0000000000000000"]);
    assert_eq!((code, report["first_bad"]["seq"].as_i64()), (3, Some(3)), "{report}");
}

// ---------------------------------------------------------------------------------------
// Finding 3: rows edited behind the program's back
// ---------------------------------------------------------------------------------------

#[track_caller]
fn assert_bad_row(report: &Value, table: &str, key: &str) {
    let rows = report["bad_rows"].as_array().cloned().unwrap_or_default();
    assert!(rows.iter().any(|r| r["table"] == table && r["key"] == key), "{table} {key} not in {report}");
}

#[test]
fn a_clerk_made_supervisor_by_hand_cannot_log_in_and_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    sql(&db).execute("UPDATE staff SET role = 'supervisor' WHERE id = 'clerk101'", []).expect("promote");
    let mut l = Ledger::open(&db, Config::default()).expect("open");
    let err = l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect_err("refused");
    assert!(err.is_tampering(), "{err:?}");
    let text = madoguchi::messages::error(madoguchi::i18n::Lang::En, &[], &err);
    assert!(text.contains("staff clerk101") && text.contains("tampered"), "{text}");
    drop(l);
    let (code, report, err) = verify(&db, &[]);
    assert_eq!(code, 3, "{report}");
    assert_bad_row(&report, "staff", "clerk101");
    assert!(err.contains("staff clerk101"), "{err}");
}

#[test]
fn edited_fees_locks_and_counts_are_each_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let fee: i64 = count(&db, "SELECT min(id) FROM fees");
    sql(&db).execute("UPDATE fees SET amount = 1 WHERE id = ?1", [fee]).expect("cheaper");
    // yamada-m's service is suspended in the demo: a lock cleared by hand is no unlock.
    let lock: i64 = count(
        &db,
        "SELECT l.id FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'yamada-m' AND l.cleared_at IS NULL",
    );
    sql(&db)
        .execute(
            "UPDATE locks SET cleared_at = '2026-01-01T00:00:00.000Z', cleared_by = 'clerk101' WHERE id = ?1",
            [lock],
        )
        .expect("clear by hand");
    let (code, _, err) = madoguchi(&db, &["--lang", "en", "ib", "login", "--login-id", "yamada-m"], "Login-pass1\n");
    assert_eq!(code, 3, "the customer channel refuses to act on the edited lock: {err}");
    assert!(err.contains(&format!("locks {lock}")), "{err}");
    // A row deleted leaves its table one short of the sealed count.
    sql(&db).execute("DELETE FROM certificates WHERE id = (SELECT max(id) FROM certificates)", []).expect("delete");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 3, "{report}");
    assert_bad_row(&report, "fees", &fee.to_string());
    assert_bad_row(&report, "locks", &lock.to_string());
    let counts = report["counts"].as_array().cloned().unwrap_or_default();
    assert!(
        counts.iter().any(|c| c["table"] == "certificates" && c["found"].as_i64() < c["sealed"].as_i64()),
        "{report}"
    );
}

#[test]
fn a_demo_mark_written_into_a_real_ledger_is_no_mark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ledger.sqlite3");
    let (code, _, err) = madoguchi(&db, &["init", "--admin", "root", "--password-stdin"], "Root-pass-1234\n");
    assert_eq!(code, 0, "{err}");
    sql(&db).execute("INSERT INTO meta (key, value) VALUES ('demo', '1')", []).expect("forge the mark");
    let (code, out, err) = madoguchi(&db, &["--lang", "en", "tokens", "code", "HT91010001"], "");
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("demo ledgers only"), "refused as a real ledger: {err}");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 3);
    assert_bad_row(&report, "meta", "demo");
}

// ---------------------------------------------------------------------------------------
// Finding 4: an encrypted value moved to another row
// ---------------------------------------------------------------------------------------

#[test]
fn a_supervisor_secret_copied_into_a_token_gives_no_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    sql(&db)
        .execute(
            "UPDATE tokens SET seed = (SELECT totp_secret FROM staff WHERE id = 'super101') WHERE serial = 'HT91010001'",
            [],
        )
        .expect("move the secret");
    let (code, out, err) = madoguchi(&db, &["--lang", "en", "tokens", "code", "HT91010001"], "");
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.trim().is_empty(), "no code printed: {out}");
    let (_, report, _) = verify(&db, &[]);
    assert_bad_row(&report, "tokens", &count(&db, "SELECT id FROM tokens WHERE serial = 'HT91010001'").to_string());
}

// ---------------------------------------------------------------------------------------
// Finding 5: administration without signing in
// ---------------------------------------------------------------------------------------

#[test]
fn administration_needs_an_administrator_signed_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let before = audit_count(&db);
    let file = dir.path().join("t.csv");
    std::fs::write(&file, "serial,secret,algorithm,digits,period,expires\n").expect("csv");
    let backup = dir.path().join("b.sqlite3");
    for args in [
        vec!["staff", "unlock", "clerk101"],
        vec!["staff", "disable", "clerk205"],
        vec!["staff", "enroll-totp", "super101"],
        vec!["tokens", "import", file.to_str().expect("utf-8")],
        vec!["backup", backup.to_str().expect("utf-8")],
        vec!["audit", "accept", "--reason", "x"],
    ] {
        let mut all = vec!["--lang", "en"];
        all.extend(&args);
        let (code, _, err) = madoguchi(&db, &all, "");
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("--as STAFF_ID"), "{args:?}: {err}");
    }
    assert!(!backup.exists());
    assert_eq!(audit_count(&db), before, "nothing written");

    // A clerk is signed in but may not administer.
    let mut c = crate::support::run::command();
    c.env("MADOGUCHI_PASSWORD", "demo-pass-1");
    let out = c.args([
        "--db",
        db.to_str().expect("utf-8"),
        "--lang",
        "en",
        "--as",
        "clerk101",
        "staff",
        "disable",
        "clerk205",
    ]);
    let out = out.output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&db, "SELECT disabled_at IS NULL FROM staff WHERE id = 'clerk205'"), 1);

    // A wrong password counts toward the administrator's lockout.
    for n in 1..=5 {
        let mut c = crate::support::run::command();
        c.env("MADOGUCHI_PASSWORD", "not-the-pass1");
        let out = c
            .args(["--db", db.to_str().expect("utf-8"), "--lang", "en", "--as", "admin", "staff", "unlock", "clerk101"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        let locked = count(&db, "SELECT locked_at IS NOT NULL FROM staff WHERE id = 'admin'");
        assert_eq!(locked, i64::from(n == 5), "after {n}");
    }
    // The right password no longer gets in until unlocked.
    let (code, _, err) = as_admin(&db, &["--lang", "en", "staff", "unlock", "clerk101"], "");
    assert_eq!(code, 1);
    assert!(err.contains("locked"), "{err}");
}

#[test]
fn an_administrators_command_is_recorded_with_the_staff_id_and_the_os_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let (code, _, err) = as_admin(&db, &["staff", "disable", "clerk205"], "");
    assert_eq!(code, 0, "{err}");
    let (actor, details): (String, String) = sql(&db)
        .query_row("SELECT actor, details FROM audit WHERE action = 'staff.disable' ORDER BY seq DESC", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("entry");
    assert_eq!(actor, "admin");
    let uid = rustix::process::getuid().as_raw();
    assert!(details.contains(&format!("\"os_user\":\"uid:{uid}\"")), "{details}");
    // `$USER` is not believed.
    let mut c = crate::support::run::command();
    c.env("MADOGUCHI_PASSWORD", "demo-pass-1").env("USER", "somebody-else");
    let out = c.args(["--db", db.to_str().expect("utf-8"), "--as", "admin", "staff", "unlock", "clerk205"]);
    assert!(out.output().expect("run").status.success());
    let details: String = sql(&db)
        .query_row("SELECT details FROM audit WHERE action = 'staff.unlock' ORDER BY seq DESC", [], |r| r.get(0))
        .expect("entry");
    assert!(!details.contains("somebody-else") && details.contains(&format!("uid:{uid}")), "{details}");
}

#[test]
fn an_administrator_with_an_authenticator_also_gives_its_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let (code, uri, err) = as_admin(&db, &["staff", "enroll-totp", "admin"], "");
    assert_eq!(code, 0, "{err}");
    let secret = crate::support::procs::otpauth_secret(uri.trim());
    let secret = crate::support::run::totp::base32(&secret);
    let run = |code: Option<&str>| {
        let mut c = crate::support::run::command();
        c.env("MADOGUCHI_PASSWORD", "demo-pass-1").stdin(std::process::Stdio::null());
        if let Some(code) = code {
            c.env("MADOGUCHI_TOTP", code);
        }
        // In a session of its own, without a controlling terminal: nothing to ask on.
        // SAFETY: setsid is async-signal-safe and touches no memory of this process.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut c, || {
                rustix::process::setsid().map(|_| ()).map_err(std::io::Error::from)
            });
        }
        c.args(["--db", db.to_str().expect("utf-8"), "--lang", "en", "--as", "admin", "staff", "unlock", "clerk101"]);
        c.output().expect("run")
    };
    // No code (and no terminal to ask on), or a wrong one: refused; the wrong one counted.
    assert_eq!(run(None).status.code(), Some(1));
    let wrong = run(Some("000000"));
    assert_eq!(wrong.status.code(), Some(1), "{}", String::from_utf8_lossy(&wrong.stderr));
    assert_eq!(count(&db, "SELECT totp_failures FROM staff WHERE id = 'admin'"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE action = 'staff.code_failed'"), 1);
    let right = run(Some(&crate::support::run::totp::code_in(&secret, 0)));
    assert!(right.status.success(), "{}", String::from_utf8_lossy(&right.stderr));
}

// ---------------------------------------------------------------------------------------
// Peppered hashes, and the upgrade of a ledger of the earlier version
// ---------------------------------------------------------------------------------------

#[test]
fn a_copied_ledger_holds_no_hash_to_guess_against() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let plain = count(
        &db,
        "SELECT (SELECT count(*) FROM secret_hashes WHERE phc NOT LIKE 'sealed1:%')
              + (SELECT count(*) FROM staff WHERE password_hash NOT LIKE 'sealed1:%')",
    );
    assert_eq!(plain, 0);
    drop(sql(&db).execute_batch("PRAGMA wal_checkpoint(TRUNCATE)"));
    let bytes = std::fs::read(&db).expect("read");
    assert!(!bytes.windows(9).any(|w| w == b"$argon2id"), "an argon2 hash in the file");
}

/// The fixture: a demo ledger written by the version before rows were sealed.
fn earlier_version(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger-v5");
    for f in ["ledger.sqlite3", "ledger.key", "ledger.seal"] {
        std::fs::copy(fixture.join(f), dir.join(f)).expect("copy the fixture");
    }
    // git checks files out with the umask's mode; a key must be its owner's alone.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("ledger.key"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    dir.join("ledger.sqlite3")
}

#[test]
fn a_ledger_of_the_earlier_version_is_sealed_once_and_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = earlier_version(dir.path());
    assert!(count(&db, "SELECT count(*) FROM secret_hashes WHERE phc LIKE '$argon2id$%'") > 0, "plain hashes");
    // Verifying it read-only checks the chain against the old seal, and changes nothing.
    let (code, report, err) = verify(&db, &[]);
    assert_eq!(code, 0, "{report} {err}");
    // The first open for writing seals it: a customer logs in with the same password.
    let (code, _, err) =
        madoguchi(&db, &["--lang", "en", "ib", "login", "--login-id", "yamada-g1", "--json"], "Login-pass1\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE action = 'ledger.integrity'"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM secret_hashes WHERE phc NOT LIKE 'sealed1:%'"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM staff WHERE mac IS NULL"), 0);
    // Token seeds opened and bound to their place: the demo token still shows its code.
    let (code, out, err) = madoguchi(&db, &["tokens", "code", "HT91010001"], "");
    assert_eq!((code, out.trim().len()), (0, 6), "{err}");
    let mut l = Ledger::open(&db, Config::default()).expect("open");
    let clerk = l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("staff log in as before");
    // Find customer's counts and bodies were made from its contracts: the middle of a
    // name finds it.
    assert_eq!(
        count(&db, "SELECT docs FROM search_grams WHERE gram = ''"),
        count(&db, "SELECT count(*) FROM contracts")
    );
    let hits = l.find_customers(&clerk, "セイサクシヨ", 0, 51).expect("search");
    assert!(hits.iter().any(|h| h.contract.company == "株式会社山田製作所"), "{hits:?}");
    // …and the digits of a phone number in the middle, by their pairs (migration 9).
    let hits = l.find_customers(&clerk, "3211-00", 0, 51).expect("search");
    assert!(hits.iter().any(|h| h.contract.company == "株式会社山田製作所"), "{hits:?}");
    assert!(count(&db, "SELECT count(*) FROM search_grams WHERE unicode(gram) BETWEEN 13056 AND 13155") > 0);
    drop(l);
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 0, "{report}");
    assert!(report["rows"].as_i64() > Some(50), "{report}");
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE action = 'ledger.integrity'"), 1, "once");
}

#[test]
fn an_earlier_ledger_tampered_before_its_upgrade_is_refused_not_sealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = earlier_version(dir.path());
    sql(&db).execute("UPDATE audit SET details = '{}' WHERE seq = 5", []).expect("edit");
    assert_eq!(verify(&db, &[]).0, 3);
    assert_eq!(wrong_login(&db).0, 3);
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE action = 'ledger.integrity'"), 0, "not sealed as good");
    // Removing the record of an upgrade does not bring it back to seal edited rows.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    sql(&db).execute("UPDATE staff SET role = 'admin' WHERE id = 'clerk101'", []).expect("promote");
    sql(&db).execute("UPDATE audit SET action = 'x' WHERE action = 'ledger.integrity'", []).expect("hide it");
    assert_eq!(wrong_login(&db).0, 3);
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE action = 'ledger.integrity'"), 0);
    let (_, report, _) = verify(&db, &[]);
    assert_bad_row(&report, "staff", "clerk101");
}

// ---------------------------------------------------------------------------------------
// Acknowledging a break
// ---------------------------------------------------------------------------------------

#[test]
fn an_acknowledged_break_is_listed_for_good_and_a_new_one_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    sql(&db).execute("UPDATE audit SET details = '{\"edited\":1}' WHERE seq = 5", []).expect("edit an entry");
    sql(&db).execute("UPDATE fees SET reason = 'x' WHERE id = (SELECT min(id) FROM fees)", []).expect("edit a fee");
    assert_eq!(verify(&db, &[]).0, 3);
    let (code, _, err) = madoguchi(&db, &["--lang", "en", "audit", "accept", "--reason", "investigated"], "");
    assert_eq!(code, 1, "not without signing in: {err}");
    let (code, _, err) = as_admin(&db, &["--lang", "en", "audit", "accept", "--reason", "  "], "");
    assert_eq!(code, 1, "a reason is needed: {err}");
    let (code, _, err) = as_admin(&db, &["--lang", "en", "audit", "accept", "--reason", "ticket 42: test data"], "");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 breaks"), "{err}");

    let (code, report, err) = verify(&db, &[]);
    assert_eq!(code, 0, "{report} {err}");
    let accepted = report["accepted"].as_array().cloned().unwrap_or_default();
    assert_eq!(accepted.len(), 2, "{report}");
    assert!(accepted.iter().any(|a| a["what"] == "content" && a["seq"] == 5), "{report}");
    assert!(accepted.iter().all(|a| a["reason"] == "ticket 42: test data" && a["accepted_by"] == "admin"));
    assert!(err.contains("Acknowledged breaks (2)") && err.contains("ticket 42"), "{err}");
    // Writes go on.
    assert_eq!(wrong_login(&db).0, 10);
    // The same entry edited once more, or another one, is a new break.
    sql(&db).execute("UPDATE audit SET details = '{\"edited\":2}' WHERE seq = 5", []).expect("again");
    assert_eq!(verify(&db, &[]).0, 3);
    let (code, _, err) = as_admin(&db, &["--lang", "en", "audit", "accept", "--reason", "second look"], "");
    assert_eq!(code, 0, "{err}");
    sql(&db).execute("UPDATE audit SET actor = 'mallory' WHERE seq = 7", []).expect("another");
    assert_eq!(verify(&db, &[]).0, 3);
    // Deleting an acknowledgement is itself found.
    let (code, _, _) = as_admin(&db, &["audit", "accept", "--reason", "third"], "");
    assert_eq!(code, 0);
    sql(&db).execute("DELETE FROM accepted_breaks WHERE id = 1", []).expect("hide the record");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 3, "{report}");
}

#[test]
fn accepting_a_cut_tail_lets_the_ledger_be_written_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let head = audit_count(&db);
    sql(&db).execute("DELETE FROM audit WHERE seq > ?1", [head - 2]).expect("cut");
    assert_eq!(wrong_login(&db).0, 3);
    let (code, _, err) = as_admin(&db, &["--lang", "en", "audit", "accept", "--reason", "restored from tape"], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(wrong_login(&db).0, 10);
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["accepted"][0]["what"], "tail_cut", "{report}");
    assert_eq!(report["sealed"], report["head"]["seq"], "{report}");
}

#[test]
fn nothing_to_accept_on_an_intact_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let (code, _, err) = as_admin(&db, &["--lang", "en", "audit", "accept", "--reason", "just in case"], "");
    assert_eq!(code, 1);
    assert!(err.contains("intact"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Finding 8: what the product writes for a spreadsheet
// ---------------------------------------------------------------------------------------

#[test]
fn a_formula_typed_as_a_reason_reaches_the_spreadsheet_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let (fee, date): (i64, String) = sql(&db)
        .query_row("SELECT id, business_date FROM fees WHERE branch = '205' ORDER BY id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the demo's fee");
    let formula = "=HYPERLINK(\"http://evil.example/\",\"詳細\")";
    let mut l = Ledger::open(&db, Config::default()).expect("open");
    let clerk = l.staff_login("clerk205", &SecretString::from("demo-pass-1")).expect("clerk");
    let request = l.request_reversal(&clerk, fee, false, formula).expect("the reason is free text");
    let sup = l.staff_login("super205", &SecretString::from("demo-pass-1")).expect("supervisor");
    let code = crate::support::run::totp::code_in(&crate::support::run::totp::demo_secret(), 0);
    l.approve(&sup, request, &code).expect("approve");
    drop(l);
    let (code, out, err) = madoguchi(&db, &["report", "fees", "--date", &date, "--branch", "205", "--csv"], "");
    assert_eq!(code, 0, "{err}");
    let body = out.trim_start_matches('\u{feff}');
    let cells: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("csv").iter().map(str::to_string).collect())
        .collect();
    assert!(cells.iter().flatten().all(|c| !c.starts_with(['=', '+', '@', '\t', '\r'])), "{out}");
    assert!(cells.iter().flatten().any(|c| c == &format!("'{formula}")), "the reason kept, as text: {out}");
    // A reversal's negative amount is still a number.
    assert!(cells.iter().flatten().any(|c| c.starts_with('-') && c[1..].parse::<i64>().is_ok()), "{out}");
}

// ---------------------------------------------------------------------------------------
// Finding 7: private files
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn every_file_of_a_ledger_is_its_owners_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let with = |suffix: &str| {
        let mut p = db.clone().into_os_string();
        p.push(suffix);
        PathBuf::from(p)
    };
    for p in [db.clone(), dir.path().join("ledger.key"), seal(&db), anchor_of(&db)] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    assert_eq!(mode(anchor_of(&db).parent().expect("folder")), 0o700, "the anchors' folder");
    // Opened by this test process (whose umask lets others read), the WAL and SHM that
    // SQLite makes are private all the same.
    let mut l = Ledger::open(&db, Config::default()).expect("open");
    l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("a write");
    for p in [with("-wal"), with("-shm")] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    let admin = l.staff_login("admin", &SecretString::from("demo-pass-1")).expect("admin");
    let copy = dir.path().join("copy.sqlite3");
    let report = l.backup(&admin, &copy).expect("backup");
    assert!(report.intact(), "{report:?}");
    assert_eq!(mode(&copy), 0o600);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("copy"))
        .collect();
    names.sort();
    assert_eq!(names, ["copy.sqlite3"], "one file, no WAL or SHM beside it");
    drop(l);
    // A ledger created by this process (umask 022) is private too.
    let other = dir.path().join("new");
    std::fs::create_dir(&other).expect("mkdir");
    let mut cfg = Config::default();
    cfg.audit.anchor_file = Some(other.join("anchor"));
    drop(Ledger::create(&other.join("ledger.sqlite3"), cfg, false).expect("create"));
    for f in ["ledger.sqlite3", "ledger.key", "ledger.seal", "anchor"] {
        assert_eq!(mode(&other.join(f)), 0o600, "{f}");
    }
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused_with_the_way_to_fix_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let before = audit_count(&db);
    let key = dir.path().join("ledger.key");
    for m in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(m)).expect("chmod");
        let (code, err) = wrong_login(&db);
        assert_eq!(code, 1, "{m:o}: {err}");
        let (_, _, err) = madoguchi(&db, &["--lang", "en", "audit", "verify"], "");
        assert!(err.contains("chmod 600") && err.contains("ledger.key"), "{m:o}: {err}");
    }
    assert_eq!(audit_count(&db), before, "nothing written with a key others can read");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(wrong_login(&db).0, 10);
}

// ---------------------------------------------------------------------------------------
// Finding 9: what an import reads
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn an_endless_file_is_read_only_up_to_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let before = audit_count(&db);
    let imports = count(&db, "SELECT count(*) FROM audit WHERE action = 'tokens.import'");
    // `metadata().len()` says 0 for a device; reading it whole would never end.
    let (code, _, err) = as_admin(&db, &["--lang", "en", "tokens", "import", "/dev/zero", "--format", "pskc"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("too large"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM audit WHERE action = 'tokens.import'"), imports);
    assert!(audit_count(&db) <= before + 1, "at most the sign-in is recorded");
}

#[test]
fn a_pskc_key_without_an_expiry_lasts_the_tokens_life_and_the_import_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let seed = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"12345678901234567890");
    let key = |serial: &str, policy: &str| {
        format!(
            r#"<KeyPackage><DeviceInfo><SerialNo>{serial}</SerialNo></DeviceInfo><Key Id="{serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters><Data><Secret><PlainValue>{seed}</PlainValue></Secret></Data>{policy}</Key></KeyPackage>"#
        )
    };
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">{}{}</KeyContainer>"#,
        key("NOEXP001", ""),
        key("WITHEXP1", "<Policy><ExpiryDate>2031-03-31T00:00:00Z</ExpiryDate></Policy>")
    );
    let file = dir.path().join("vendor.xml");
    std::fs::write(&file, xml).expect("write");
    let (code, out, err) =
        as_admin(&db, &["--lang", "en", "tokens", "import", file.to_str().expect("utf-8"), "--json"], "");
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(out.trim()).expect("json");
    let today = madoguchi::format::business_date(chrono::Utc::now());
    let expected = today.checked_add_months(chrono::Months::new(60)).expect("date");
    let expected = madoguchi::format::date(expected);
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(report["expiry_defaulted"], serde_json::json!([{ "serial": "NOEXP001", "expires": expected }]));
    assert!(err.contains("NOEXP001") && err.contains(&expected) && err.contains("5 years"), "{err}");
    assert!(!err.contains("WITHEXP1"), "{err}");
    let stored: String =
        sql(&db).query_row("SELECT expires FROM tokens WHERE serial = 'NOEXP001'", [], |r| r.get(0)).expect("token");
    assert_eq!(stored, expected);
}

// ---------------------------------------------------------------------------------------
// Finding 10: backups
// ---------------------------------------------------------------------------------------

#[test]
fn a_backup_is_one_verified_file_and_a_tampered_source_gives_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let copy = dir.path().join("backup").join("copy.sqlite3");
    std::fs::create_dir(copy.parent().expect("folder")).expect("mkdir");
    let (code, _, err) = as_admin(&db, &["--lang", "en", "backup", copy.to_str().expect("utf-8")], "");
    assert_eq!(code, 0, "{err}");
    let names: Vec<_> = std::fs::read_dir(copy.parent().expect("folder")).expect("ls").collect();
    assert_eq!(names.len(), 1, "one file, no WAL or SHM beside it");
    // Verified elsewhere, with the key named and the head the journal printed.
    let (_, live, _) = verify(&db, &[]);
    let head = format!("{}:{}", live["head"]["seq"], &live["head"]["hash"].as_str().expect("hash")[..16]);
    let key = dir.path().join("ledger.key");
    let mut c = crate::support::run::command();
    c.env("MADOGUCHI_KEY_FILE", &key);
    let out = c
        .args(["--db", copy.to_str().expect("utf-8"), "audit", "verify", "--json", "--expect", &head])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A source edited behind the program's back is not copied as good.
    sql(&db).execute("UPDATE fees SET amount = 1", []).expect("edit");
    let bad = dir.path().join("bad.sqlite3");
    let (code, _, err) = as_admin(&db, &["--lang", "en", "backup", bad.to_str().expect("utf-8")], "");
    assert_eq!(code, 3, "{err}");
    assert!(!bad.exists());
}

// ---------------------------------------------------------------------------------------
// An older version of a row (its MAC valid once) copied back from an older copy
// ---------------------------------------------------------------------------------------

/// Copies `table`'s row `cond` of the ledger copy at `old` over the current one: every
/// column, MAC and version included.
fn copy_row_back(db: &Path, old: &Path, table: &str, cond: &str) {
    let c = sql(db);
    c.execute("ATTACH DATABASE ?1 AS old", [old.to_str().expect("utf-8")]).expect("attach");
    c.execute(&format!("DELETE FROM main.{table} WHERE {cond}"), []).expect("delete");
    c.execute(&format!("INSERT INTO main.{table} SELECT * FROM old.{table} WHERE {cond}"), []).expect("copy back");
}

#[test]
fn an_older_version_of_a_row_copied_back_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let old = dir.path().join("old.sqlite3");
    std::fs::copy(&db, &old).expect("an older copy");
    // clerk205 is disabled, and a customer's failures are counted.
    assert_eq!(as_admin(&db, &["staff", "disable", "clerk205"], "").0, 0);
    assert_eq!(wrong_login(&db).0, 10);
    // The disabled account's row of the older copy, put back: its MAC holds.
    copy_row_back(&db, &old, "staff", "id = 'clerk205'");
    assert_eq!(count(&db, "SELECT disabled_at IS NULL FROM staff WHERE id = 'clerk205'"), 1);
    let l = Ledger::open(&db, Config::default()).expect("open");
    assert!(l.refusal().is_some(), "refused at open: the staff table is short of its sealed versions");
    drop(l);
    let (code, err) = wrong_login(&db);
    assert_eq!(code, 3, "{err}");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 3);
    let counts = report["counts"].as_array().cloned().unwrap_or_default();
    assert!(counts.iter().any(|c| c["table"] == "staff" && c["what"] == "versions"), "{report}");
    assert!(report["bad_rows"].as_array().is_some_and(Vec::is_empty), "every MAC holds: {report}");
}

#[test]
fn a_failure_count_wound_back_and_the_state_itself_copied_back_are_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let old = dir.path().join("old.sqlite3");
    assert_eq!(wrong_login(&db).0, 10);
    std::fs::copy(&db, &old).expect("an older copy");
    for _ in 0..3 {
        assert_eq!(wrong_login(&db).0, 10);
    }
    // yamada-g1's count back to 1 of 6: three more guesses for whoever does it.
    copy_row_back(&db, &old, "failure_counts", "user_id = (SELECT id FROM users WHERE login_id = 'yamada-g1')");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!(code, 3, "{report}");
    let counts = report["counts"].as_array().cloned().unwrap_or_default();
    assert!(counts.iter().any(|c| c["table"] == "failure_counts" && c["what"] == "versions"), "{report}");
    // With the sealed state copied back too, the state names an older head than the chain.
    copy_row_back(&db, &old, "meta", "key = 'state'");
    let (code, report, _) = verify(&db, &[]);
    assert_eq!((code, report["first_bad"]["reason"].as_str()), (3, Some("state")), "{report}");
    assert_eq!(wrong_login(&db).0, 3, "refused at open");
}

/// The daily journal prints the chain's head for the supervisor's 検印; that paper anchor
/// checks the ledger (or a backup) later.
#[test]
fn the_journal_prints_the_head_that_verify_takes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let date: String = sql(&db).query_row("SELECT business_date FROM fees LIMIT 1", [], |r| r.get(0)).expect("day");
    let (code, out, err) = madoguchi(&db, &["report", "fees", "--date", &date, "--json"], "");
    assert_eq!(code, 0, "{err}");
    let journal: Value = serde_json::from_str(out.trim()).expect("json");
    let head = journal["chain_head"].as_str().expect("chain_head").to_string();
    let (_, report, _) = verify(&db, &[]);
    let expected = format!("{}:{}", report["head"]["seq"], &report["head"]["hash"].as_str().expect("hash")[..16]);
    assert_eq!(head, expected);
    assert_eq!(verify(&db, &["--expect", &head]).0, 0);
    let (code, csv, _) = madoguchi(&db, &["report", "fees", "--date", &date, "--csv"], "");
    assert_eq!(code, 0);
    assert!(csv.contains(&format!("chain_head,{head}")), "{csv}");
}

// ---------------------------------------------------------------------------------------
// From the intruder's review: the file's own schema as a weapon, and the open-time check
// ---------------------------------------------------------------------------------------

/// A trigger planted in the file would run inside the program's own writes, before it
/// reads a row back to seal it: the program's key would seal the intruder's edit. A ledger
/// whose schema is not exactly the migrations' is refused, naming the object.
#[test]
fn a_trigger_or_an_index_planted_in_the_file_is_refused() {
    for plant in [
        "CREATE TRIGGER zz AFTER UPDATE ON staff WHEN new.id = 'clerk101' AND new.role <> 'admin'
         BEGIN UPDATE staff SET role = 'admin' WHERE id = 'clerk101'; END",
        "CREATE INDEX staff_v ON staff(version)",
        "CREATE VIEW v AS SELECT * FROM staff",
        "DROP INDEX audit_action",
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = a_demo(dir.path());
        let before = audit_count(&db);
        sql(&db).execute_batch(plant).expect("plant");
        let (code, err) = wrong_login(&db);
        assert_eq!(code, 3, "{plant}: {err}");
        assert!(err.contains("structure was changed"), "{plant}: {err}");
        let (code, _, err) = madoguchi(&db, &["--lang", "en", "audit", "verify"], "");
        assert_eq!(code, 3, "{plant}: {err}");
        let (code, _, _) = as_admin(&db, &["staff", "unlock", "clerk101"], "");
        assert_eq!(code, 3, "{plant}");
        assert_eq!(audit_count(&db), before, "{plant}: nothing written");
    }
}

/// A staff row copied back is refused at open even when the audit entry of the sealing
/// was edited to make the ledger look like one never sealed, on a ledger with more entries
/// than the open walks.
#[test]
fn hiding_the_record_of_sealing_does_not_switch_the_open_check_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    for i in 0..70 {
        let (code, _, _) = madoguchi(&db, &["ib", "login", "--login-id", &format!("nobody{i}")], "x\n");
        assert_eq!(code, 10);
    }
    let old = dir.path().join("old.sqlite3");
    std::fs::copy(&db, &old).expect("copy");
    assert_eq!(as_admin(&db, &["staff", "disable", "clerk205"], "").0, 0);
    copy_row_back(&db, &old, "staff", "id = 'clerk205'");
    sql(&db)
        .execute("UPDATE audit SET action = 'ledger.integrityX' WHERE action = 'ledger.integrity'", [])
        .expect("hide");
    let (code, err) = wrong_login(&db);
    assert_eq!(code, 3, "{err}");
    let mut c = crate::support::run::command();
    let out = c
        .env("MADOGUCHI_PASSWORD", "demo-pass-1")
        .args(["--db", db.to_str().expect("utf-8"), "--as", "clerk205", "staff", "list"])
        .output()
        .expect("run");
    assert!(out.status.success(), "reading still works");
}

/// A customer's failure count wound back from an older copy buys no more guesses: the
/// tables that decide whether a login may be tried are held to the sealed state at open.
#[test]
fn a_failure_count_wound_back_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    assert_eq!(wrong_login(&db).0, 10);
    let old = dir.path().join("old.sqlite3");
    std::fs::copy(&db, &old).expect("copy");
    for _ in 0..4 {
        assert_eq!(wrong_login(&db).0, 10);
    }
    copy_row_back(&db, &old, "failure_counts", "user_id = (SELECT id FROM users WHERE login_id = 'yamada-g1')");
    let (code, err) = wrong_login(&db);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn verify_says_so_when_no_anchor_is_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    std::fs::remove_file(anchor_of(&db)).expect("remove the anchor");
    let (code, report, err) = verify(&db, &[]);
    assert_eq!((code, report["anchored"].clone()), (0, Value::Null), "{report}");
    assert!(err.contains("anchor") && err.contains("--expect"), "{err}");
}

/// Opening the ledger while other terminals write never mistakes a commit landing between
/// two reads for tampering: the open reads the seal first and the ledger at one instant.
#[test]
fn opening_while_others_write_is_never_a_false_alarm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = a_demo(dir.path());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut l = Ledger::open(&db, Config::default()).expect("open");
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let login = format!("nobody-{w}-{n}");
                    l.ib_attempt(
                        &login,
                        madoguchi::domain::credential::CredentialKind::LoginPassword,
                        &SecretString::from("x"),
                    )
                    .expect("write");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut refused = Vec::new();
    for _ in 0..150 {
        let l = Ledger::open(&db, Config::default()).expect("open");
        if let Some(b) = l.refusal() {
            refused.push(b);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes: i32 = writers.into_iter().map(|h| h.join().expect("writer")).sum();
    assert!(writes > 10, "the writers wrote while the ledger was opened ({writes})");
    assert!(refused.is_empty(), "false alarms: {refused:?}");
}
