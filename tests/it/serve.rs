//! `madoguchi serve` on the real binary over loopback: every endpoint and outcome with
//! the JSON of `ib --json`, an unknown login ID answered byte for byte as a known one,
//! the API keys, the OpenAPI contract, a flood turned away with 503 at once, SIGTERM in the
//! middle of a load with nothing lost, and a terminal seeing a lock the API made.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::flows::query_i64;
use crate::support::http::{Answer, Served, api_key, post, request, request_with};
use crate::support::pty::{Term, demo_ledger, key, madoguchi};

fn login(addr: &str, key: &str, id: &str, password: &str) -> Answer {
    post(addr, "/v1/login", Some(key), json!({ "login_id": id, "password": password }))
}

fn outcome(a: &Answer) -> Value {
    assert_eq!(a.status, 200, "{a:?}");
    a.json()
}

/// What `ib --json` prints for the same attempt.
fn ib_json(db: &Path, args: &[&str], stdin: &str) -> Value {
    let mut all = vec!["ib"];
    all.extend_from_slice(args);
    all.push("--json");
    let (_, out, err) = madoguchi(db, &all, stdin);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
}

/// The endpoints and outcomes of R1, R5 and R11 on `db` (a demo ledger, SQLite or
/// PostgreSQL): the same answers as `ib`.
pub(crate) fn every_rule_outcome(db: &Path) {
    let key = api_key(db, "frontend1");
    let s = Served::start(db, &[]);
    let a = s.addr.as_str();

    // Accepted, and the same JSON as `ib login --json` for the same user and secret.
    let accepted = outcome(&login(a, &key, "tozai-g1", "Login-pass1"));
    assert_eq!(accepted, ib_json(db, &["login", "--login-id", "tozai-g1"], "Login-pass1\n"));
    assert_eq!(accepted["result"], "accepted");

    // A wrong password of a known user and any password of an unknown ID: the same bytes.
    let known = login(a, &key, "tozai-g2", "Wrong-pass9");
    let unknown = login(a, &key, "nobody-at-all", "Wrong-pass9");
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(outcome(&known)["result"], "rejected");
    assert_eq!(outcome(&known)["failures"], 1);

    // R1: the sixth wrong password suspends the service; then even the right one is refused.
    for n in 2..=6 {
        let o = outcome(&login(a, &key, "tozai-g2", "Wrong-pass9"));
        assert_eq!(o["failures"], n, "{o}");
        if n == 6 {
            assert_eq!((o["result"].as_str(), o["suspended"].as_str()), (Some("rejected"), Some("service")), "{o}");
        }
    }
    let o = outcome(&login(a, &key, "tozai-g2", "Login-pass1"));
    assert_eq!((o["result"].as_str(), o["suspended"].as_str()), (Some("suspended"), Some("service")), "{o}");

    // Verify: the confirmation password; an OTP of a user with no token is a wrong code.
    let v = |id: &str, secret: &str, value: &str| {
        post(a, "/v1/verify", Some(&key), json!({ "login_id": id, "secret": secret, "value": value }))
    };
    assert_eq!(outcome(&v("tozai-m", "confirm", "Confirm-pass1"))["result"], "accepted");
    let otp = outcome(&v("tozai-m", "otp", "123456"));
    assert_eq!((otp["result"].as_str(), otp["credential"].as_str()), (Some("rejected"), Some("otp")), "{otp}");
    // minato-m's OTP services are suspended (R11's scope): the OTP is refused, not counted…
    assert_eq!(outcome(&v("minato-m", "otp", "123456"))["result"], "suspended");
    // …while the login password still works.
    assert_eq!(outcome(&login(a, &key, "minato-m", "Login-pass1"))["result"], "accepted");

    // R5: only the master changes the confirmation password.
    let change = |id: &str, kind: &str, old: &str, new: &str| {
        post(a, "/v1/change-password", Some(&key), json!({ "login_id": id, "kind": kind, "old": old, "new": new }))
    };
    let r = outcome(&change("tozai-g1", "confirm", "Confirm-pass1", "Confirm-pass2"));
    assert_eq!((r["result"].as_str(), r["refusal"].as_str()), (Some("refused"), Some("only_master_changes_confirm")));
    assert_eq!(outcome(&change("tozai-g1", "login", "Login-pass1", "Login-pass2"))["result"], "accepted");
    assert_eq!(outcome(&login(a, &key, "tozai-g1", "Login-pass2"))["result"], "accepted");

    // Every attempt is in the audit trail, naming the caller.
    let (code, out, _) = madoguchi(db, &["audit", "verify", "--json"], "");
    assert_eq!(code, 0, "{out}");
    let stopped = s.stop();
    assert!(stopped.0, "{}", stopped.1);
}

#[test]
fn every_endpoint_answers_as_ib_does_and_names_its_caller() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    every_rule_outcome(&db);
    let via = query_i64(&db, "SELECT count(*) FROM audit WHERE details LIKE '%\"via\":\"api:frontend1\"%'");
    // Six failures and the lock of tozai-g2, the unknown ID, the OTP failure, the password
    // change at least.
    assert!(via >= 9, "{via}");
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'lock.open' AND details LIKE '%api:frontend1%'"),
        1
    );
}

#[test]
fn malformed_requests_and_bad_keys_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let s = Served::start(&db, &[]);
    let a = s.addr.as_str();
    let before = query_i64(&db, "SELECT count(*) FROM audit");
    let body = json!({ "login_id": "tozai-g1", "password": "Wrong-pass9" }).to_string();

    // No key, a malformed one, a right id with a wrong secret, another scheme.
    let (id, _) = key.rsplit_once('_').expect("a key");
    let wrong = format!("{id}_{}", "A".repeat(52));
    for k in [None, Some("nonsense"), Some(wrong.as_str())] {
        let r = request(a, "POST", "/v1/login", k, &body).expect("answer");
        assert_eq!(r.status, 401, "{k:?}: {r:?}");
        assert_eq!(r.headers.get("www-authenticate").map(String::as_str), Some("Bearer"));
        assert_eq!(r.json(), json!({ "error": "unauthorized" }));
    }
    let basic = request_with(a, "POST", "/v1/login", None, &[("Authorization", &format!("Basic {key}"))], &body)
        .expect("answer");
    assert_eq!(basic.status, 401);

    // Not JSON, a field missing, a field unknown, a value out of its set: 400, named.
    for bad in [
        "{".to_string(),
        json!({ "login_id": "tozai-g1" }).to_string(),
        json!({ "login_id": "tozai-g1", "password": "x", "extra": 1 }).to_string(),
    ] {
        let r = request(a, "POST", "/v1/login", Some(&key), &bad).expect("answer");
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert_eq!(r.json()["error"], "bad_request");
    }
    for (path, bad) in [
        ("/v1/verify", json!({ "login_id": "tozai-g1", "secret": "login", "value": "x" })),
        ("/v1/verify", json!({ "login_id": "tozai-g1", "secret": "retina", "value": "x" })),
        ("/v1/change-password", json!({ "login_id": "tozai-g1", "kind": "pin", "old": "1234", "new": "4321" })),
    ] {
        let r = post(a, path, Some(&key), bad.clone());
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }
    // A body past the limit, a wrong method, an unknown path.
    let huge = json!({ "login_id": "x".repeat(20_000), "password": "x" }).to_string();
    assert_eq!(request(a, "POST", "/v1/login", Some(&key), &huge).expect("answer").status, 413);
    assert_eq!(request(a, "GET", "/v1/login", Some(&key), "").expect("answer").status, 405);
    assert_eq!(request(a, "POST", "/v1/nothing", Some(&key), &body).expect("answer").status, 404);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit"), before, "nothing was written");

    // A revoked key is refused within seconds.
    assert_eq!(login(a, &key, "tozai-g1", "Login-pass1").status, 200);
    let (code, _, err) = crate::support::run::as_admin(&db, &["api-key", "revoke", "frontend1"], "");
    assert_eq!(code, 0, "{err}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = login(a, &key, "tozai-g1", "Login-pass1");
        if r.status == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "a revoked key still works: {r:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, out, _) = crate::support::run::as_admin(&db, &["api-key", "list", "--json"], "");
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(list[0]["name"], "frontend1");
    assert!(list[0]["revoked_at"].is_string(), "{list}");
    assert!(!out.contains(key.rsplit_once('_').expect("key").1), "the list never shows a key");
}

#[test]
fn a_guessing_storm_on_one_id_is_held_back_and_others_still_get_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[serve]\nper_login_id_per_minute = 3\nper_source_per_minute = 8\n").expect("config");
    let s = Served::start(&db, &["--config", config.to_str().expect("utf-8")]);
    let a = s.addr.as_str();
    for _ in 0..3 {
        assert_eq!(login(a, &key, "tozai-g2", "Wrong-pass9").status, 200);
    }
    let held = login(a, &key, "tozai-g2", "Wrong-pass9");
    assert_eq!(held.status, 429, "{held:?}");
    assert_eq!(held.json()["error"], "too_many_requests");
    let wait: u64 = held.headers["retry-after"].parse().expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    // The same storm on an unknown ID is held back the same way.
    for _ in 0..3 {
        assert_eq!(login(a, &key, "nobody-here", "Wrong-pass9").status, 200);
    }
    assert_eq!(login(a, &key, "nobody-here", "Wrong-pass9").status, 429);
    // R1 counted the three that were checked, not the one held back.
    let c = rusqlite::Connection::open(&db).expect("open");
    let failures: i64 = c
        .query_row(
            "SELECT f.failures FROM failure_counts f JOIN users u ON u.id = f.user_id WHERE u.login_id = 'tozai-g2' AND f.credential = 'login'",
            [],
            |r| r.get(0),
        )
        .expect("counted");
    assert_eq!(failures, 3);
    // Another customer still gets in; from another address too, once this one has used
    // its share (the front end forwards each customer's address).
    assert_eq!(login(a, &key, "tozai-g1", "Login-pass1").json()["result"], "accepted");
    let from = |ip: &str, id: &str| {
        request_with(
            a,
            "POST",
            "/v1/login",
            Some(&key),
            &[("X-Forwarded-For", ip)],
            &json!({ "login_id": id, "password": "Wrong-pass9" }).to_string(),
        )
        .expect("answer")
    };
    for id in ["aozora-m", "aozora-a", "aozora-g1", "minato-g1", "sakura-m", "hikari-m", "yamada-g1", "tozai-m"] {
        assert_eq!(from("203.0.113.7", id).status, 200, "{id}");
    }
    assert_eq!(from("203.0.113.7", "minato-m").status, 429, "this address used its eight");
    assert_eq!(from("198.51.100.9", "minato-m").status, 200, "another customer's address is not held back");
}

#[test]
fn health_and_metrics_tell_the_state_of_the_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let s = Served::start(&db, &[]);
    let a = s.addr.as_str();
    let h = request(a, "GET", "/healthz", None, "").expect("health");
    assert_eq!((h.status, &h.json()["status"], &h.json()["intact"]), (200, &json!("ok"), &json!(true)));
    for _ in 0..6 {
        login(a, &key, "tozai-g2", "Wrong-pass9");
    }
    let m = request(a, "GET", "/metrics", None, "").expect("metrics");
    assert_eq!(m.status, 200);
    for line in [
        "madoguchi_requests_total{endpoint=\"login\",result=\"rejected\"} 6",
        "madoguchi_locks_made_total 1",
        "madoguchi_queue_depth 0",
        "madoguchi_request_duration_seconds_count{endpoint=\"login\"} 6",
    ] {
        assert!(m.body.contains(line), "{line} missing:\n{}", m.body);
    }
    // Someone edits the ledger behind its back: the health check says so.
    let c = rusqlite::Connection::open(&db).expect("open");
    c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = (SELECT max(seq) FROM audit)", []).expect("tamper");
    let h = request(a, "GET", "/healthz", None, "").expect("health");
    assert_eq!(h.status, 503, "{h:?}");
    assert_eq!(h.json()["status"], "tampered");
}

/// Every schema a response of `path`/`method` with `status` may have, from the OpenAPI
/// document (references followed).
fn schema_of<'a>(doc: &'a Value, path: &str, method: &str, status: u16) -> &'a Value {
    let resolve = |v: &'a Value| -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => r.trim_start_matches("#/").split('/').fold(doc, |at, part| &at[part]),
            None => v,
        }
    };
    let response = resolve(&doc["paths"][path][method]["responses"][status.to_string()]);
    assert!(!response.is_null(), "{method} {path} {status} is not documented");
    resolve(&response["content"]["application/json"]["schema"])
}

/// Checks `value` against the subset of JSON Schema the document uses.
fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r.trim_start_matches("#/").split('/').fold(doc, |at, part| &at[part]),
        None => schema,
    };
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{value} not in {allowed:?}"));
    }
    match schema["type"].as_str() {
        Some("object") => {
            let obj = value.as_object().ok_or(format!("{value} is not an object"))?;
            for r in schema["required"].as_array().into_iter().flatten() {
                if !obj.contains_key(r.as_str().unwrap_or_default()) {
                    return Err(format!("{r} missing from {value}"));
                }
            }
            for (k, v) in obj {
                match schema["properties"].get(k) {
                    Some(p) => conforms(doc, p, v)?,
                    None if schema["additionalProperties"] == json!(false) => {
                        return Err(format!("{k} is not in the schema"));
                    }
                    None => {}
                }
            }
            Ok(())
        }
        Some("string") if !value.is_string() => Err(format!("{value} is not a string")),
        Some("integer") if !value.is_i64() && !value.is_u64() => Err(format!("{value} is not an integer")),
        Some("boolean") if !value.is_boolean() => Err(format!("{value} is not a boolean")),
        _ => Ok(()),
    }
}

#[test]
fn the_server_keeps_its_openapi_contract() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.yaml")).expect("doc");
    let doc: Value = serde_norway::from_str(&text).expect("the OpenAPI document parses");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let documented: Vec<String> = doc["paths"].as_object().expect("paths").keys().cloned().collect();
    assert_eq!(documented, ["/healthz", "/metrics", "/v1/change-password", "/v1/login", "/v1/verify"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let s = Served::start(&db, &[]);
    let a = s.addr.as_str();
    let cases: Vec<(&str, Option<&str>, Value)> = vec![
        ("/v1/login", Some(&key), json!({ "login_id": "tozai-g1", "password": "Login-pass1" })),
        ("/v1/login", Some(&key), json!({ "login_id": "nobody", "password": "x" })),
        ("/v1/login", Some(&key), json!({ "login_id": "yamada-m", "password": "Login-pass1" })),
        ("/v1/login", None, json!({ "login_id": "tozai-g1", "password": "x" })),
        ("/v1/login", Some(&key), json!({ "login": "tozai-g1" })),
        ("/v1/verify", Some(&key), json!({ "login_id": "tozai-m", "secret": "pin", "value": "1234" })),
        ("/v1/verify", Some(&key), json!({ "login_id": "tozai-m", "secret": "approval-pin", "value": "0000" })),
        (
            "/v1/change-password",
            Some(&key),
            json!({ "login_id": "tozai-g2", "kind": "login", "old": "Login-pass1", "new": "short" }),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (path, k, body) in cases {
        let r = post(a, path, k, body.clone());
        let schema = schema_of(&doc, path, "post", r.status);
        conforms(&doc, schema, &r.json()).unwrap_or_else(|e| panic!("{path} {body} → {}: {e}", r.status));
        seen.insert(r.status);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [200, 400, 401]);
    let h = request(a, "GET", "/healthz", None, "").expect("health");
    conforms(&doc, schema_of(&doc, "/healthz", "get", h.status), &h.json()).expect("health conforms");
    let m = request(a, "GET", "/metrics", None, "").expect("metrics");
    assert!(doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]["application/openmetrics-text"].is_object());
    assert!(m.headers["content-type"].starts_with("application/openmetrics-text"));
}

#[test]
fn a_flood_is_turned_away_at_once_and_what_was_taken_is_answered_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 300);
    let key = Arc::new(api_key(&db, "frontend1"));
    let failures =
        || query_i64(&db, "SELECT coalesce(sum(failures), 0) FROM failure_counts WHERE credential = 'login'");
    let before = failures();
    let config = dir.path().join("config.toml");
    // One source, few IDs: the limits out of the way, so that what turns the flood away is
    // the queue.
    std::fs::write(
        &config,
        "[serve]\nworkers = 1\nqueue = 1\nper_source_per_minute = 1000000\nper_login_id_per_minute = 1000000\n",
    )
    .expect("config");
    // Each answer taken is then a plain rejection, however far through them the flood gets.
    let users = Arc::new(fresh_users(&db));
    let s = Served::start(&db, &["--config", config.to_str().expect("utf-8")]);
    let addr = Arc::new(s.addr.clone());
    // Twelve clients at once, each a wrong password for a user of its own, for two seconds.
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..12)
        .map(|_| {
            let (addr, key, next, users) = (addr.clone(), key.clone(), next.clone(), users.clone());
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let id = users[n % users.len()].clone();
                    let r = login(&addr, &key, &id, "Wrong-pass9");
                    answers.push((id, r));
                }
                answers
            })
        })
        .collect();
    let answers: Vec<(String, Answer)> = clients.into_iter().flat_map(|c| c.join().expect("client")).collect();
    let busy: Vec<&Answer> = answers.iter().map(|(_, r)| r).filter(|r| r.status == 503).collect();
    let taken: Vec<&(String, Answer)> = answers.iter().filter(|(_, r)| r.status == 200).collect();
    assert!(!busy.is_empty(), "one worker and one place in the queue: twelve clients are too many");
    assert!(!taken.is_empty());
    assert_eq!(busy.len() + taken.len(), answers.len(), "only 200 and 503");
    for r in &busy {
        assert_eq!(r.json()["error"], "busy");
        assert_eq!(r.headers.get("retry-after").map(String::as_str), Some("1"));
    }
    // Every 200 was checked and counted: the failures recorded add up to the answers.
    for (_, r) in &taken {
        assert_eq!(r.json()["result"], "rejected", "{r:?}");
    }
    assert_eq!(failures() - before, taken.len() as i64);
    let stopped = s.stop();
    assert!(stopped.0, "{}", stopped.1);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

/// The master users of the 300 generated contracts that start with nothing counted or
/// locked (the demo locks about one contract in a hundred), in order.
fn fresh_users(db: &Path) -> Vec<String> {
    let users: Vec<String> = (1000..1300)
        .map(|n| format!("c{n:07}m"))
        .filter(|id| {
            query_i64(
                db,
                &format!(
                    "SELECT (SELECT count(*) FROM failure_counts f JOIN users u ON u.id = f.user_id
                              WHERE u.login_id = '{id}' AND f.failures > 0)
                          + (SELECT count(*) FROM locks l JOIN users u ON u.id = l.user_id
                              WHERE u.login_id = '{id}' AND l.cleared_at IS NULL)"
                ),
            ) == 0
        })
        .collect();
    assert!(users.len() > 250, "{}", users.len());
    users
}

/// Generated users (`c0001000m`…) with a wrong login password counted (the demo ledger
/// has some of its own).
fn generated_users_with_failures(db: &Path) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM failure_counts f JOIN users u ON u.id = f.user_id WHERE u.login_id LIKE 'c%m' AND f.credential = 'login' AND f.failures > 0",
    )
}

#[test]
fn sigterm_in_the_middle_of_a_load_finishes_what_it_took_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 300);
    let key = Arc::new(api_key(&db, "frontend1"));
    let counted_before = generated_users_with_failures(&db);
    let users = Arc::new(fresh_users(&db));
    let s = Served::start(&db, &[]);
    let addr = Arc::new(s.addr.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, key, next, users) = (addr.clone(), key.clone(), next.clone(), users.clone());
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                let mut failed = 0;
                let until = Instant::now() + Duration::from_secs(4);
                while Instant::now() < until && failed < 20 {
                    // Each attempt a user of its own: its answer can be found in the ledger.
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Some(id) = users.get(n).cloned() else { break };
                    let body = json!({ "login_id": id, "password": "Wrong-pass9" }).to_string();
                    match request(&addr, "POST", "/v1/login", Some(&key), &body) {
                        Ok(r) => answered.push((id, r)),
                        Err(_) => {
                            failed += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                answered
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1200));
    let (stopped_ok, said) = s.stop();
    let answered: Vec<(String, Answer)> = clients.into_iter().flat_map(|c| c.join().expect("client")).collect();
    assert!(stopped_ok, "exits cleanly on SIGTERM: {said}");
    assert!(said.contains("Stopped"), "{said}");
    let ok: Vec<&(String, Answer)> = answered.iter().filter(|(_, r)| r.status == 200).collect();
    assert!(ok.len() > 2, "the load ran: {}", ok.len());
    // The rest were turned away whole (the queue was full): nothing of them was checked.
    let other: Vec<String> = answered
        .iter()
        .filter(|(_, r)| r.status != 200 && !(r.status == 503 && r.json()["error"] == "busy"))
        .map(|(id, r)| format!("{id} {r:?}"))
        .collect();
    assert!(other.is_empty(), "{other:?}");
    let c = rusqlite::Connection::open(&db).expect("open");
    for (id, r) in &ok {
        assert_eq!(r.json()["failures"], 1);
        let failures: i64 = c
            .query_row(
                "SELECT f.failures FROM failure_counts f JOIN users u ON u.id = f.user_id WHERE u.login_id = ?1 AND f.credential = 'login'",
                [id],
                |row| row.get(0),
            )
            .unwrap_or_else(|e| panic!("{id} answered 200 but is not in the ledger: {e}"));
        assert_eq!(failures, 1, "{id}");
    }
    // Nothing more was counted than was answered (nothing half done, nothing twice).
    assert_eq!(generated_users_with_failures(&db) - counted_before, ok.len() as i64);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn a_lock_made_through_the_api_shows_on_the_open_customer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let s = Served::start(&db, &[]);
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("Home");
    t.send("/").type_text("tozai-g1").wait_for("CIF").send(key::ENTER).wait_for("Details of tozai-g1");
    assert!(!t.screen().contains("Suspended"), "{}", t.screen());
    for _ in 0..6 {
        assert_eq!(login(&s.addr, &key, "tozai-g1", "Wrong-pass9").status, 200);
    }
    // The open screen reads the ledger again within a second of a change (no key pressed).
    t.wait_for("Suspended");
    drop(t);
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'tozai-g1' AND l.cleared_at IS NULL"
        ),
        1
    );
}

/// One request over TLS to `addr`, trusting `ca`, presenting `client` when given.
fn tls_request(
    addr: &str,
    ca: &crate::support::tls_relay::Authority,
    client: Option<&crate::support::tls_relay::Authority>,
    request: &str,
) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der()).expect("root");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match client {
        Some(issuer) => {
            let (chain, key) = issuer.issue_der(&[]);
            builder.with_client_auth_cert(chain, key).expect("client cert")
        }
        None => builder.with_no_client_auth(),
    };
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, std::net::TcpStream::connect(addr)?);
    tls.write_all(request.as_bytes())?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        // A server that closes without close_notify after a whole answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn over_tls_only_callers_with_a_certificate_of_the_banks_authority_get_in() {
    use crate::support::tls_relay::Authority;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let ca = Authority::new("madoguchi test CA");
    let frontends = Authority::new("the front end's CA");
    let strangers = Authority::new("someone else's CA");
    let (cert, private) = ca.issue_pem(&["localhost"]);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    };
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[serve]\ntls_cert = {:?}\ntls_key = {:?}\nclient_ca = {:?}\n",
            write("serve.crt", &cert),
            write("serve.key", &private),
            write("frontends.crt", &frontends.pem())
        ),
    )
    .expect("config");
    let s = Served::start(&db, &["--config", config.to_str().expect("utf-8")]);
    let body = json!({ "login_id": "tozai-g1", "password": "Login-pass1" }).to_string();
    let req = format!(
        "POST /v1/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = tls_request(&s.addr, &ca, Some(&frontends), &req).expect("the front end gets in");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"result\":\"accepted\""), "{answer}");
    // No client certificate, or one of another authority: no handshake, no request.
    assert!(tls_request(&s.addr, &ca, None, &req).is_err(), "a caller without a certificate");
    assert!(tls_request(&s.addr, &ca, Some(&strangers), &req).is_err(), "a certificate of another authority");
    // Plain HTTP to the TLS port gets no answer.
    assert!(request(&s.addr, "POST", "/v1/login", Some(&key), &body).map(|r| r.status).is_err());
}

#[test]
fn a_stranger_with_made_up_keys_does_not_hold_up_the_front_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let s = Served::start(&db, &[]);
    let addr = Arc::new(s.addr.clone());
    // The front end's key is checked once and remembered.
    assert_eq!(login(&s.addr, &key, "tozai-g1", "Login-pass1").status, 200);
    // Eight threads send keys of the real key id with made-up secrets for two seconds:
    // each would cost an argon2 run if it were checked.
    let (id, _) = key.rsplit_once('_').expect("a key");
    let fake = Arc::new(format!("{id}_{}", "B".repeat(52)));
    let body = json!({ "login_id": "tozai-g1", "password": "x" }).to_string();
    let strangers: Vec<_> = (0..8)
        .map(|_| {
            let (addr, fake, body) = (addr.clone(), fake.clone(), body.clone());
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until {
                    if let Ok(r) = request(&addr, "POST", "/v1/login", Some(&fake), &body) {
                        statuses.push(r.status);
                    }
                }
                statuses
            })
        })
        .collect();
    // Meanwhile the front end's calls are answered, none turned away.
    let mut ours = Vec::new();
    for _ in 0..10 {
        ours.push(login(&s.addr, &key, "tozai-g1", "Login-pass1").status);
        std::thread::sleep(Duration::from_millis(150));
    }
    let theirs: Vec<u16> = strangers.into_iter().flat_map(|t| t.join().expect("stranger")).collect();
    assert_eq!(ours, vec![200; 10]);
    assert!(!theirs.is_empty() && theirs.iter().all(|s| *s == 401 || *s == 503), "{theirs:?}");
    // Ten failed checks a minute from one address, then no more checks: most are refused
    // without one.
    assert!(theirs.len() > 30, "{}", theirs.len());
}

#[test]
fn a_revoked_key_copied_back_from_an_old_row_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let c = rusqlite::Connection::open(&db).expect("open");
    let (version, mac): (i64, Vec<u8>) = c
        .query_row("SELECT version, mac FROM api_keys WHERE name = 'frontend1'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("row");
    assert_eq!(crate::support::run::as_admin(&db, &["api-key", "revoke", "frontend1"], "").0, 0);
    let s = Served::start(&db, &[]);
    assert_eq!(login(&s.addr, &key, "tozai-g1", "Login-pass1").status, 401);
    // The old row, MAC and all, copied back while the service runs.
    c.execute(
        "UPDATE api_keys SET revoked_at = NULL, revoked_by = NULL, version = ?1, mac = ?2 WHERE name = 'frontend1'",
        rusqlite::params![version, mac],
    )
    .expect("copy back");
    std::thread::sleep(Duration::from_millis(2500));
    let r = login(&s.addr, &key, "tozai-g1", "Login-pass1");
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.json()["error"], "ledger_unavailable");
    let h = request(&s.addr, "GET", "/healthz", None, "").expect("health");
    assert_eq!((h.status, h.json()["status"].clone()), (503, json!("tampered")));
    drop(s);
    // A service started on it now refuses too, and the command line says why.
    let s = Served::start(&db, &[]);
    assert_eq!(login(&s.addr, &key, "tozai-g1", "Login-pass1").status, 503);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 3);
}

#[test]
fn a_body_past_the_limit_is_refused_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let key = api_key(&db, "frontend1");
    let s = Served::start(&db, &[]);
    let huge = json!({ "login_id": "x".repeat(20_000), "password": "x" }).to_string();
    let r = request(&s.addr, "POST", "/v1/login", Some(&key), &huge).expect("answer");
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], "payload_too_large");
    // Unknown paths and methods answer in JSON too.
    let r = request(&s.addr, "GET", "/v1/login", Some(&key), "").expect("answer");
    assert_eq!((r.status, r.json()["error"].clone()), (405, json!("method_not_allowed")));
    let r = request(&s.addr, "POST", "/v2/anything", Some(&key), "{}").expect("answer");
    assert_eq!((r.status, r.json()["error"].clone()), (404, json!("not_found")));
}

#[test]
fn a_client_that_trickles_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let s = Served::start(&db, &[]);
    let mut c = std::net::TcpStream::connect(&s.addr).expect("connect");
    c.write_all(b"POST /v1/login HTTP/1.1\r\nHost: x\r\n").expect("a first line");
    // Never the rest: the server closes the connection (after 10 s) instead of holding it.
    c.set_read_timeout(Some(Duration::from_secs(40))).expect("timeout");
    let mut buf = [0u8; 512];
    let read = c.read(&mut buf);
    assert!(
        !matches!(&read, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "still held open after 40 s: {read:?}"
    );
}

#[test]
fn a_listen_address_without_a_host_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let (code, _, err) = madoguchi(&db, &["--lang", "en", "serve", "--listen", "8798"], "");
    assert_eq!(code, 1);
    assert!(err.contains("host:port") && err.contains("127.0.0.1:8700"), "{err}");
}
