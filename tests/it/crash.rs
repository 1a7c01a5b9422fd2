//! Crash safety: a worker process runs counter workflows in a loop on a demo ledger and
//! reports each operation once it has committed; the test kills it with SIGKILL at random
//! points and starts a new one on the same ledger, again and again. Afterwards every
//! reported operation must be in the ledger, no operation may be half-written, the
//! database must pass `PRAGMA integrity_check` and the audit chain must verify.
//!
//! `MADOGUCHI_CRASH_KILLS` (default 200) sets the number of kills, `MADOGUCHI_CRASH_SEED`
//! the seed of the kill schedule and of the workers' choices (printed by every run).
//!
//! Not covered yet: hard-token workflows (add / lost / reissue / hand-over) and fees
//! (receipts, reversals, waivers). When they are part of the counter's workflows, add them
//! to `crash_worker` with an identifiable effect (a token serial, a receipt number) and
//! check in `check_ledger` that each fee row has its audit entry and that receipt numbers
//! stay gapless per branch after the kills.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::peek::{self, args};
use crate::support::pg::ScratchDb;
use crate::support::procs;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use madoguchi::domain::credential::CredentialKind;
use madoguchi::domain::forms::FormRequest;
use madoguchi::domain::guidance::Situation;
use madoguchi::domain::permission::Session;
use madoguchi::domain::permission::StaffRole;
use madoguchi::domain::unlock::{IdDocument, IdentityCheck};
use madoguchi::format::business_date;
use madoguchi::service::Ledger;
use madoguchi::service::forms::{DoubleKeyed, FormInput};
use madoguchi::service::ib::IbResult;
use madoguchi::service::staff::By;
use madoguchi::service::unlock::UnlockOutcome;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::Value;
use strum::VariantArray;

use procs::{AuditRow, Worker};

/// Generated users of branch 101 the workers work on; few, so that each goes through
/// several lock → unlock cycles and reaches the third unlock that needs approval.
const POOL: usize = 14;
/// Supervisors of branch 101 with the demo authenticator secret: each can approve about
/// once per 30-second step, so a few of them give the workers some approvals to do.
const SUPERVISORS: [&str; 4] = ["super101", "crashsup1", "crashsup2", "crashsup3"];
const THRESHOLD: u64 = 6;
const COUNTER: IdentityCheck = IdentityCheck::Counter { document: Some(IdDocument::Passport), seal_matched: true };

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

// ---------------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------------

/// The worker process: returns at once unless `MADOGUCHI_CRASH_WORKER` names a ledger.
#[test]
#[ignore = "worker process of killed_workers_leave_a_consistent_ledger, started by it"]
fn worker_entry() {
    let Ok(db) = std::env::var("MADOGUCHI_CRASH_WORKER") else { return };
    if let Err(e) = crash_worker(Path::new(&db)) {
        procs::say(&format!("error {e}"));
        std::process::exit(3);
    }
}

fn dbg_err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn crash_worker(db: &Path) -> Result<(), String> {
    let started = Instant::now();
    let round: u64 = var("MADOGUCHI_CRASH_ROUND").parse().map_err(dbg_err)?;
    let seed: u64 = var("MADOGUCHI_CRASH_WORKER_SEED").parse().map_err(dbg_err)?;
    let users: Vec<String> = var("MADOGUCHI_CRASH_USERS").split(',').map(str::to_string).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut l = Ledger::open(db, crate::support::run::config_for(db)).map_err(dbg_err)?;
    let pk = peek::open(db);
    let clerk = l.staff_login("clerk101", &pw("demo-pass-1")).map_err(dbg_err)?;
    procs::say("ready");
    let mut sessions: HashMap<String, Session> = HashMap::new();
    let wrong = pw("Wrong-pass9");
    let right = pw(madoguchi::service::demo::LOGIN_PASSWORD);
    let secret = procs::demo_totp_secret();
    for n in 1..=999u32 {
        if started.elapsed() > Duration::from_secs(30) {
            return Err("alive for 30 s: the parent should have killed it long ago".into());
        }
        let login = users[rng.gen_range(0..users.len())].clone();
        let user = peek::user_by_login_id(&pk, &login).ok_or("no such user")?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        // A pending request of this user is decided first: approved when a supervisor has
        // a fresh authenticator step, else rejected.
        let pending: Option<(i64, String)> = pk
            .row(
                "SELECT id, kind FROM requests WHERE user_id = ?1 AND state = 'pending' ORDER BY id LIMIT 1",
                args![user.id],
            )
            .map(|r| (r.get(0), r.get(1)));
        if let Some((request, kind)) = pending {
            if let Some((sup, step)) = fresh_supervisor(&pk) {
                let s = session(&mut l, &mut sessions, &sup)?;
                l.approve(&s, request, &procs::totp_code(&secret, step)).map_err(dbg_err)?;
                procs::say(&format!("done approve {request} {kind} {sup}"));
            } else {
                let s = session(&mut l, &mut sessions, "super101")?;
                let reason = format!("crash-rej-{round}-{n}");
                l.reject(&s, request, &reason).map_err(dbg_err)?;
                procs::say(&format!("done reject {request} {reason}"));
            }
            continue;
        }
        // An open lock is lifted at the counter, or goes to the queue (third unlock).
        if let Some(lock) = peek::open_locks(&pk, user.id).first() {
            let reason = format!("crash-unl-{round}-{n}");
            match l.unlock(&clerk, lock.id, COUNTER, &reason).map_err(dbg_err)? {
                UnlockOutcome::Lifted => procs::say(&format!("done unlock {} {reason}", lock.id)),
                UnlockOutcome::AwaitingApproval { request_id } => {
                    procs::say(&format!("done unlock-request {} {request_id} {reason}", lock.id));
                }
            }
            continue;
        }
        let x = rng.gen_range(0..100);
        if x < 55 {
            let o = l.ib_attempt(&login, CredentialKind::LoginPassword, &wrong).map_err(dbg_err)?;
            if o.result != IbResult::Rejected {
                return Err(format!("wrong password of {login} without a lock: {o:?}"));
            }
            let seq: i64 =
                pk.one("SELECT max(seq) FROM audit WHERE action = 'ib.failure' AND subject = ?1", args![&subject]);
            procs::say(&format!("done ibfail {login} {} {seq}", o.failures));
        } else if x < 65 {
            let before = peek::failures(&pk, user.id, "login");
            let o = l.ib_attempt(&login, CredentialKind::LoginPassword, &right).map_err(dbg_err)?;
            if o.result != IbResult::Accepted {
                return Err(format!("right password of {login} without a lock: {o:?}"));
            }
            let seq: i64 = if before > 0 {
                pk.one("SELECT max(seq) FROM audit WHERE action = 'ib.reset' AND subject = ?1", args![&subject])
            } else {
                0
            };
            procs::say(&format!("done ibok {login} {seq}"));
        } else if x < 80 {
            let situation = Situation::VARIANTS[rng.gen_range(0..Situation::VARIANTS.len())];
            l.give_guidance(&clerk, user.id, situation).map_err(dbg_err)?;
            // One writer at a time: the newest entry is this guidance.
            let seq: i64 = peek::head_seq(&pk);
            procs::say(&format!("done guidance {} {seq}", user.id));
        } else {
            let kind = if rng.gen_bool(0.5) { CredentialKind::Pin } else { CredentialKind::ApprovalPin };
            let pin = format!("{:04}", rng.gen_range(0..10_000));
            let form_no = format!("{:05}{n:03}", round % 100_000);
            let input = FormInput {
                request: FormRequest::PinChange(kind),
                user_id: user.id,
                form_no: &form_no,
                received: business_date(l.now()),
                brought_by: "山田 太郎",
                document: Some(IdDocument::DriversLicense),
                seal_matched: true,
                secrets: vec![DoubleKeyed { kind, first: pw(&pin), second: pw(&pin) }],
                new_login_id: None,
            };
            let request = l.submit_form(&clerk, &input).map_err(dbg_err)?;
            procs::say(&format!("done form {form_no} {request}"));
        }
    }
    procs::say("exhausted");
    while started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("exhausted its form numbers and was never killed".into())
}

/// A supervisor whose authenticator has a step not used yet within the ±1 window, and
/// that step. Only one worker runs at a time, so the ledger's last step is exact.
fn fresh_supervisor(pk: &peek::Peek) -> Option<(String, i64)> {
    let now = procs::now_step();
    for sup in SUPERVISORS {
        let last: Option<i64> = pk.one("SELECT totp_last_step FROM staff WHERE id = ?1", args![sup]);
        let step = last.map_or(now, |last| (last + 1).max(now));
        if step <= now + 1 {
            return Some((sup.to_string(), step));
        }
    }
    None
}

fn session(l: &mut Ledger, sessions: &mut HashMap<String, Session>, id: &str) -> Result<Session, String> {
    if let Some(s) = sessions.get(id) {
        return Ok(s.clone());
    }
    let s = l.staff_login(id, &pw("demo-pass-1")).map_err(dbg_err)?;
    sessions.insert(id.to_string(), s.clone());
    Ok(s)
}

// ---------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------

/// Picks the pool (clean generated users of branch 101) and adds the extra supervisors.
fn setup(db: &Path) -> Vec<String> {
    let mut l = Ledger::open(db, crate::support::run::config_for(db)).expect("open");
    let secret = procs::demo_totp_secret();
    let admin = l.staff_login("admin", &pw("demo-pass-1")).expect("admin");
    for sup in &SUPERVISORS[1..] {
        l.staff_add(By::Admin(&admin), sup, "検印 予備", StaffRole::Supervisor, "101", &pw("demo-pass-1"))
            .expect("add supervisor");
        l.staff_enroll_totp(By::Admin(&admin), sup, Some(&secret)).expect("enrol");
    }
    let users: Vec<String> = peek::open(db).column(
        "SELECT u.login_id FROM users u JOIN contracts c ON c.id = u.contract_id
         WHERE c.branch = '101' AND c.state = 'active' AND u.login_id LIKE 'c%'
           AND NOT EXISTS (SELECT 1 FROM locks k WHERE k.user_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM failure_counts f WHERE f.user_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.user_id = u.id)
         ORDER BY u.id LIMIT ?1",
        args![POOL],
    );
    assert_eq!(users.len(), POOL, "the demo ledger has enough clean users in branch 101");
    users
}

#[test]
fn killed_workers_leave_a_consistent_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = procs::demo_ledger(dir.path(), 150);
    kill_workers_again_and_again(&db, dir.path(), procs::env_num("MADOGUCHI_CRASH_KILLS", 200));
}

/// The same on a PostgreSQL ledger: a killed process's connection dies with it, and the
/// server rolls back whatever it had not committed. Fewer kills: each worker's
/// connection costs more than opening a file.
#[test]
fn killed_workers_leave_a_consistent_postgres_ledger() {
    let Some(pg) = ScratchDb::new("killed_workers_leave_a_consistent_postgres_ledger") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Path::new(&pg.url);
    let (code, _, err) = crate::support::run::madoguchi(db, &["demo", "--customers", "150"], "");
    assert_eq!(code, 0, "demo: {err}");
    kill_workers_again_and_again(db, dir.path(), procs::env_num("MADOGUCHI_CRASH_KILLS_PG", 80));
}

/// The workflows every crash run must have seen done at least once.
const KINDS: [&str; 5] = ["ibfail", "unlock", "guidance", "form", "reject"];

/// Starts a worker on the ledger at `db` (a file in `dir`, or a URL), kills it at a random
/// instant, `kills` times; then checks the ledger.
fn kill_workers_again_and_again(db: &Path, dir: &Path, kills: u32) {
    let seed = procs::seed_from_env("MADOGUCHI_CRASH_SEED");
    println!("crash test: {kills} kills, seed {seed} (MADOGUCHI_CRASH_SEED={seed} repeats this schedule)");
    let started = Instant::now();
    let users = setup(db);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut done: Vec<(u32, String)> = Vec::new();
    let mut killed_before_ready = 0;
    // Every kind of workflow must have been seen done at least once: past `kills`, rounds
    // go on (up to three times as many) until each has.
    let covered = |done: &[(u32, String)]| {
        KINDS.iter().all(|kind| done.iter().any(|(_, op)| op.split_whitespace().next() == Some(*kind)))
    };
    let mut rounds = 0;
    for round in 0..kills * 3 {
        if round >= kills && covered(&done) {
            break;
        }
        rounds += 1;
        let worker_seed: u64 = rng.r#gen();
        let before_ready = rng.gen_bool(0.15);
        // Long enough for a few writes: each now syncs the seal and the anchor too.
        let delay = Duration::from_millis(rng.gen_range(0..=250));
        let mut w = Worker::spawn(
            "crash::worker_entry",
            &[
                ("MADOGUCHI_CRASH_WORKER", db.display().to_string()),
                ("MADOGUCHI_CRASH_ROUND", round.to_string()),
                ("MADOGUCHI_CRASH_WORKER_SEED", worker_seed.to_string()),
                ("MADOGUCHI_CRASH_USERS", users.join(",")),
            ],
        );
        if before_ready {
            killed_before_ready += 1;
        } else if !w.wait_for(Duration::from_secs(30), |l| l == "ready") {
            let status = w.kill();
            let (lines, stderr) = w.finish();
            panic!("seed {seed} round {round}: worker never got ready ({status}): {lines:?}\n{stderr}");
        }
        std::thread::sleep(delay);
        if let Ok(Some(status)) = w.child.try_wait() {
            let (lines, stderr) = w.finish();
            panic!("seed {seed} round {round}: worker ended by itself ({status}): {lines:?}\n{stderr}");
        }
        w.kill();
        let (lines, _) = w.finish();
        for line in lines {
            if line.starts_with("error") || line == "exhausted" {
                panic!("seed {seed} round {round}: worker reported {line}");
            }
            if let Some(op) = line.strip_prefix("done ") {
                done.push((round, op.to_string()));
            }
        }
        if round % 50 == 49 {
            // Between workers: the ledger a new process finds must already be sound.
            let mut l = Ledger::open(db, crate::support::run::config_for(db)).expect("open between kills");
            let report = l.verify_audit().expect("verify");
            assert!(report.intact(), "seed {seed} after round {round}: {report:?}");
            assert_eq!(peek::open(db).integrity_problems(), Vec::<String>::new(), "seed {seed} round {round}");
        }
    }
    let stats = check_ledger(db, &users, &done, seed);
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with(".ledger.seal."))
        .collect();
    println!(
        "crash test: {rounds} kills ({killed_before_ready} before the worker was ready) in {:.1} s; reported \
         operations: {stats:?}; seal temp files left by killed workers: {}",
        started.elapsed().as_secs_f64(),
        leftovers.len()
    );
    for kind in KINDS {
        assert!(stats.get(kind).copied().unwrap_or(0) > 0, "seed {seed}: no {kind} was ever reported: {stats:?}");
    }
}

/// id, user, credential, cleared_at, clear_kind
type LockFacts = (i64, i64, String, Option<String>, Option<String>);
/// id, user, kind, state, payload, decided_by
type RequestFacts = (i64, i64, String, String, String, Option<String>);

/// The ledger after the last kill, as the invariants below read it.
struct Seen<'a> {
    conn: &'a peek::Peek,
    audit: &'a [AuditRow],
    by_seq: HashMap<i64, &'a AuditRow>,
    /// login → (user id, audit subject)
    pool: HashMap<String, (i64, String)>,
    subject_of_id: HashMap<i64, String>,
}

impl Seen<'_> {
    /// The request an entry is about.
    fn request_of(&self, a: &AuditRow) -> Option<i64> {
        a.details["request"].as_i64()
    }

    /// How many entries of `action` satisfy `f`.
    fn entries(&self, action: &str, f: &dyn Fn(&AuditRow) -> bool) -> usize {
        self.audit.iter().filter(|a| a.action == action && f(a)).count()
    }
}

/// Checks the ledger after the last kill, one named invariant after another; returns how
/// many operations of each kind were reported.
fn check_ledger(db: &Path, users: &[String], done: &[(u32, String)], seed: u64) -> BTreeMap<String, usize> {
    let mut l = Ledger::open(db, crate::support::run::config_for(db)).expect("open after the kills");
    let report = l.verify_audit().expect("verify");
    let head = report.head.map(|h| h.seq);
    assert!(report.intact() && report.sealed >= head, "seed {seed}: audit chain {report:?}");
    if report.sealed != head {
        // A worker killed between sealing its head as pending and its COMMIT landing: the
        // chain holds the confirmed head, and the next write seals over the pending one.
        let clerk = l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("a write after the kills");
        drop(clerk);
        let report = l.verify_audit().expect("verify");
        assert!(report.intact() && report.sealed == report.head.map(|h| h.seq), "seed {seed}: resealed {report:?}");
    }
    let pk = peek::open(db);
    assert_eq!(pk.integrity_problems(), Vec::<String>::new(), "seed {seed}: integrity");
    let audit = procs::audit_rows(&pk);
    let mut pool: HashMap<String, (i64, String)> = HashMap::new();
    for login in users {
        let u = peek::user_by_login_id(&pk, login).expect("user");
        pool.insert(login.clone(), (u.id, format!("contract:{}/user:{}", u.contract_id, u.id)));
    }
    let v = Seen {
        conn: &pk,
        audit: &audit,
        by_seq: audit.iter().map(|a| (a.seq, a)).collect(),
        subject_of_id: pool.values().map(|(id, s)| (*id, s.clone())).collect(),
        pool,
    };
    let (stats, reported) = every_reported_operation_is_on_the_ledger(&v, done);
    for (name, problems) in [
        ("every reported operation is on the ledger", reported),
        ("nothing is half-written", nothing_is_half_written(&v)),
        ("R1 and R7 replayed from the trail agree with the rows", lockout_replayed_from_the_trail(&v)),
    ] {
        assert!(problems.is_empty(), "seed {seed}: {name}: {} problems:\n{}", problems.len(), problems.join("\n"));
    }
    stats
}

/// Each operation a worker reported before it was killed is in the ledger, with the
/// entries and rows it wrote. Returns the operations by kind, and the problems.
fn every_reported_operation_is_on_the_ledger(
    v: &Seen<'_>,
    done: &[(u32, String)],
) -> (BTreeMap<String, usize>, Vec<String>) {
    let mut problems: Vec<String> = Vec::new();
    let mut stats: BTreeMap<String, usize> = BTreeMap::new();
    for (round, op) in done {
        let f: Vec<&str> = op.split(' ').collect();
        *stats.entry(f[0].to_string()).or_default() += 1;
        let mut fail = |what: String| problems.push(format!("round {round} `{op}`: {what}"));
        match f.as_slice() {
            ["ibfail", login, failures, seq] => {
                let e = v.by_seq.get(&seq.parse::<i64>().unwrap());
                let ok = e.is_some_and(|e| {
                    e.action == "ib.failure"
                        && e.subject == v.pool[*login].1
                        && e.details["failures"].as_u64() == Some(failures.parse().unwrap())
                });
                if !ok {
                    fail(format!("entry is {e:?}"));
                }
            }
            ["ibok", login, seq] => {
                let seq: i64 = seq.parse().unwrap();
                if seq > 0
                    && !v.by_seq.get(&seq).is_some_and(|e| e.action == "ib.reset" && e.subject == v.pool[*login].1)
                {
                    fail(format!("entry is {:?}", v.by_seq.get(&seq)));
                }
            }
            ["guidance", user_id, seq] => {
                let e = v.by_seq.get(&seq.parse::<i64>().unwrap());
                let subject = &v.subject_of_id[&user_id.parse::<i64>().unwrap()];
                if !e.is_some_and(|e| e.action == "guidance.given" && &e.subject == subject && e.actor == "clerk101") {
                    fail(format!("entry is {e:?}"));
                }
            }
            ["unlock", lock, reason] => {
                let lock: i64 = lock.parse().unwrap();
                let row: Option<(Option<String>, Option<String>, Option<String>)> = v
                    .conn
                    .row("SELECT cleared_by, clear_kind, clear_reason FROM locks WHERE id = ?1", args![lock])
                    .map(|r| (r.get(0), r.get(1), r.get(2)));
                let want = (Some("clerk101".to_string()), Some("unlock".to_string()), Some(reason.to_string()));
                if row.as_ref() != Some(&want) {
                    fail(format!("lock row is {row:?}"));
                }
                let n = v.entries("lock.clear", &|a| {
                    a.details["lock"].as_i64() == Some(lock) && a.details["reason"].as_str() == Some(reason)
                });
                if n != 1 {
                    fail(format!("{n} lock.clear entries"));
                }
            }
            ["unlock-request", lock, request, reason] => {
                let (lock, request): (i64, i64) = (lock.parse().unwrap(), request.parse().unwrap());
                let row: Option<(String, String)> = v
                    .conn
                    .row("SELECT kind, payload FROM requests WHERE id = ?1", args![request])
                    .map(|r| (r.get(0), r.get(1)));
                let ok = row.as_ref().is_some_and(|(kind, payload)| {
                    let p: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
                    kind == "unlock" && p["lock"].as_i64() == Some(lock) && p["reason"].as_str() == Some(reason)
                });
                if !ok {
                    fail(format!("request row is {row:?}"));
                }
                if v.entries("request.create", &|a| v.request_of(a) == Some(request)) != 1 {
                    fail("no single request.create entry".into());
                }
            }
            ["form", form_no, request] => {
                let request: i64 = request.parse().unwrap();
                let row: Option<i64> =
                    v.conn.opt("SELECT request_id FROM forms WHERE branch = '101' AND form_no = ?1", args![*form_no]);
                if row != Some(request) {
                    fail(format!("form row points at {row:?}"));
                }
                let n = v.entries("form.submit", &|a| {
                    v.request_of(a) == Some(request) && a.details["form_no"].as_str() == Some(form_no)
                });
                if n != 1 {
                    fail(format!("{n} form.submit entries"));
                }
            }
            ["approve", request, _kind, sup] => {
                let request: i64 = request.parse().unwrap();
                let row: Option<(String, Option<String>)> = v
                    .conn
                    .row("SELECT state, decided_by FROM requests WHERE id = ?1", args![request])
                    .map(|r| (r.get(0), r.get(1)));
                if row != Some(("approved".into(), Some(sup.to_string()))) {
                    fail(format!("request row is {row:?}"));
                }
            }
            ["reject", request, reason] => {
                let request: i64 = request.parse().unwrap();
                let row: Option<(String, Option<String>)> = v
                    .conn
                    .row("SELECT state, reason FROM requests WHERE id = ?1", args![request])
                    .map(|r| (r.get(0), r.get(1)));
                if row != Some(("rejected".into(), Some(reason.to_string()))) {
                    fail(format!("request row is {row:?}"));
                }
            }
            _ => fail("unknown report".into()),
        }
    }

    (stats, problems)
}

/// Every lock, request and form of the pool has exactly the entries its transaction
/// writes, and the entries agree with the rows.
fn nothing_is_half_written(v: &Seen<'_>) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    // The pool's ids, written into the query (numbers only).
    let pool_ids = v.subject_of_id.keys().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let locks: Vec<LockFacts> = v
        .conn
        .rows(
            &format!("SELECT id, user_id, credential, cleared_at, clear_kind FROM locks WHERE user_id IN ({pool_ids})"),
            &[],
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    for (id, user_id, credential, cleared_at, clear_kind) in &locks {
        let subject = &v.subject_of_id[user_id];
        let opened = v.entries("lock.open", &|a| a.details["lock"].as_i64() == Some(*id) && &a.subject == subject);
        let cleared = v.entries("lock.clear", &|a| a.details["lock"].as_i64() == Some(*id) && &a.subject == subject);
        if opened != 1 || credential != "login" {
            problems.push(format!("lock {id} ({credential}): {opened} lock.open entries"));
        }
        match (cleared_at, clear_kind.as_deref()) {
            (None, _) if cleared != 0 => problems.push(format!("open lock {id} has {cleared} lock.clear entries")),
            (Some(_), Some("unlock")) if cleared != 1 => {
                problems.push(format!("lifted lock {id} has {cleared} lock.clear entries"));
            }
            (Some(_), kind) if kind != Some("unlock") => problems.push(format!("lock {id} cleared as {kind:?}")),
            _ => {}
        }
    }
    let requests: Vec<RequestFacts> = v
        .conn
        .rows(
            &format!(
                "SELECT id, user_id, kind, state, payload, decided_by FROM requests WHERE user_id IN ({pool_ids})"
            ),
            &[],
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    for (id, user_id, kind, state, payload, decided_by) in &requests {
        let subject = &v.subject_of_id[user_id];
        let p: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
        let mine = |a: &AuditRow| v.request_of(a) == Some(*id) && &a.subject == subject;
        let created = match kind.as_str() {
            "unlock" => v.entries("request.create", &mine),
            "form_pin" => {
                let forms: i64 = v.conn.one("SELECT count(*) FROM forms WHERE request_id = ?1", args![id]);
                if forms != 1 {
                    problems.push(format!("request {id} has {forms} form rows"));
                }
                for (_, secret_id) in p["secret_ids"].as_object().into_iter().flatten() {
                    let hashes: i64 = v.conn.one(
                        "SELECT count(*) FROM secret_hashes WHERE id = ?1",
                        args![secret_id.as_i64().unwrap_or(-1)],
                    );
                    if hashes != 1 {
                        problems.push(format!("request {id}: secret hash {secret_id} missing"));
                    }
                }
                v.entries("form.submit", &mine)
            }
            other => {
                problems.push(format!("request {id} of unexpected kind {other}"));
                0
            }
        };
        if created != 1 {
            problems.push(format!("request {id} ({kind}) has {created} creation entries"));
        }
        let approvals = v.entries("request.approve", &mine);
        let rejections = v.entries("request.reject", &mine);
        let expected = match state.as_str() {
            "pending" => (0, 0),
            "approved" => (1, 0),
            _ => (0, 1),
        };
        if (approvals, rejections) != expected {
            problems.push(format!("{state} request {id}: {approvals} approvals, {rejections} rejections"));
        }
        if state == "approved" {
            let effect = match kind.as_str() {
                "unlock" => {
                    let lock = p["lock"].as_i64().unwrap_or_default();
                    let row: Option<Option<String>> =
                        v.conn.row("SELECT cleared_by FROM locks WHERE id = ?1", args![lock]).map(|r| r.get(0));
                    if row != Some(decided_by.clone()) {
                        problems.push(format!("approved unlock request {id}: lock {lock} cleared by {row:?}"));
                    }
                    v.entries("lock.clear", &|a| mine(a) && a.details["lock"].as_i64() == Some(lock))
                }
                _ => v.entries("credential.reset", &mine),
            };
            if effect != 1 {
                problems.push(format!("approved {kind} request {id}: {effect} effect entries"));
            }
        }
    }
    let orphan_forms: i64 = v.conn.one(
        "SELECT count(*) FROM forms f WHERE request_id IS NULL OR NOT EXISTS (SELECT 1 FROM requests q WHERE q.id = f.request_id)",
        &[],
    );
    if orphan_forms != 0 {
        problems.push(format!("{orphan_forms} forms without their request"));
    }

    problems
}

/// R1 and R7 replayed from each pool user's trail agree with the rows: counts go up one
/// by one, the sixth opens the lock, nothing counts while locked, an unlock clears the
/// count, the third unlock in the window is a request.
fn lockout_replayed_from_the_trail(v: &Seen<'_>) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    for (login, (user_id, subject)) in &v.pool {
        let (mut count, mut open, mut unlocks) = (0u64, None::<i64>, 0usize);
        for a in v.audit.iter().filter(|a| &a.subject == subject) {
            let mut bad = |what: &str| problems.push(format!("{login} seq {}: {what} ({:?})", a.seq, a.details));
            match a.action.as_str() {
                "ib.failure" => {
                    let n = a.details["failures"].as_u64().unwrap_or(0);
                    if open.is_some() || n != count + 1 {
                        bad(&format!("failure counted as {n} after {count}, lock {open:?}"));
                    }
                    count = n;
                }
                "lock.open" => {
                    if open.is_some() || count != THRESHOLD {
                        bad(&format!("lock opened at count {count}, lock {open:?}"));
                    }
                    open = a.details["lock"].as_i64();
                }
                "lock.clear" => {
                    if open != a.details["lock"].as_i64() {
                        bad(&format!("cleared a lock that is not the open one {open:?}"));
                    }
                    let direct = a.details["request"].is_null();
                    if direct && unlocks >= 2 {
                        bad(&format!("lifted directly after {unlocks} unlocks in the window"));
                    }
                    open = None;
                    count = 0;
                    unlocks += 1;
                }
                "request.create" if unlocks < 2 => {
                    bad(&format!("unlock request after only {unlocks} unlocks"));
                }
                "ib.reset" => {
                    if open.is_some() || count == 0 {
                        bad(&format!("reset at count {count}, lock {open:?}"));
                    }
                    count = 0;
                }
                _ => {}
            }
        }
        let stored = peek::failures(v.conn, *user_id, "login");
        if u64::from(stored) != count {
            problems.push(format!("{login}: failure_counts says {stored}, the audit trail {count}"));
        }
        let open_now: Vec<i64> = peek::open_locks(v.conn, *user_id).iter().map(|k| k.id).collect();
        if open_now != open.into_iter().collect::<Vec<_>>() {
            problems.push(format!("{login}: open locks {open_now:?}, the audit trail {open:?}"));
        }
    }
    problems
}
