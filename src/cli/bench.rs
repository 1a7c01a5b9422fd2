//! `madoguchi bench`: the figures the issues name, measured on a generated ledger.
//!
//! The ledger is generated once (as a child `madoguchi demo` process, so that its memory
//! does not count) into a cache folder and reused; it is a scratch ledger, and the commit
//! measurement adds failures to it. A figure that cannot be measured yet is `null`.

use std::path::PathBuf;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use super::{Context, Failure, Outcome};
use crate::config::Config;
use crate::domain::credential::CredentialKind;
use crate::service::{Actor, Ledger};
use crate::store;

/// The p-th percentile (0–100) of samples in microseconds.
fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn cache_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.cache_dir().join("madoguchi").join("bench"))
        .unwrap_or_else(|| std::env::temp_dir().join("madoguchi-bench"))
}

fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(round2(kb / 1024.0))
}

pub fn run(ctx: &Context, customers: u64, json_out: bool) -> Result<Outcome, Failure> {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    // A folder per size: each ledger has its key (`ledger.key`) beside it.
    let dir = dir.join(format!("{customers}"));
    std::fs::create_dir_all(&dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    let db = dir.join("ledger.sqlite3");
    if !db.exists() {
        eprintln!("generating {customers} contracts in {} …", db.display());
        let exe = std::env::current_exe().map_err(|e| Failure(e.to_string()))?;
        let status = std::process::Command::new(exe)
            .arg("--db")
            .arg(&db)
            .args(["demo", "--customers", &customers.to_string(), "--seed", "7"])
            .status()
            .map_err(|e| Failure(e.to_string()))?;
        if !status.success() {
            return Err(Failure("demo generation failed".into()));
        }
    }

    // First frame: open the ledger, build the app, draw Home once.
    let started = Instant::now();
    let mut ledger = Ledger::open(&db, Config::default()).map_err(|e| ctx.fail(e))?;
    let session =
        ledger.staff_login("clerk101", &SecretString::from(crate::demo::STAFF_PASSWORD)).map_err(|e| ctx.fail(e))?;
    let login_ms = started.elapsed().as_secs_f64() * 1000.0;
    let frame_start = Instant::now();
    let first_frame_ms = {
        let app = crate::app::App::new(Ledger::open(&db, Config::default()).map_err(|e| ctx.fail(e))?, ctx.lang);
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).map_err(|e| Failure(e.to_string()))?;
        terminal.draw(|f| crate::ui::render(&app, f)).map_err(|e| Failure(e.to_string()))?;
        frame_start.elapsed().as_secs_f64() * 1000.0
    };

    // Search: prefixes of real names, kana, CIFs and phones, and queries with no hit.
    let mut rng = StdRng::seed_from_u64(42);
    let n = store::customers::count_contracts(ledger.conn()).map_err(|e| ctx.fail(e.into()))?;
    let mut samples: Vec<String> = Vec::new();
    for _ in 0..400 {
        let id = rng.gen_range(1..=n.max(1));
        if let Ok(Some(c)) = store::customers::contract(ledger.conn(), id) {
            samples.push(match rng.gen_range(0..4) {
                0 => c.company,
                1 => c.company_kana,
                2 => c.cif,
                _ => c.phone,
            });
        }
    }
    let mut by_len = Map::new();
    let mut worst: f64 = 0.0;
    for len in 1..=20usize {
        let mut times = Vec::new();
        for s in &samples {
            let q: String = s.chars().take(len).collect();
            if q.chars().count() < len {
                continue;
            }
            let t = Instant::now();
            let _ = ledger.find_customers(&session, &q, 0, 51);
            let us = t.elapsed().as_secs_f64() * 1e6;
            if std::env::var_os("MADOGUCHI_BENCH_SLOW").is_some() && us > 1500.0 {
                eprintln!("slow {len}: {us:.0} µs {q:?}");
            }
            times.push(us);
        }
        let p99 = percentile(&mut times, 99.0);
        worst = worst.max(p99);
        by_len.insert(len.to_string(), json!(round2(p99)));
    }
    let mut no_hit = Vec::new();
    for len in 1..=20usize {
        for _ in 0..20 {
            let q: String = (0..len).map(|_| char::from(b'q' + rng.gen_range(0..8u8))).collect::<String>() + "ヴ";
            let t = Instant::now();
            let _ = ledger.find_customers(&session, &q, 0, 51);
            no_hit.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let no_hit_p99 = percentile(&mut no_hit, 99.0);
    worst = worst.max(no_hit_p99);
    by_len.insert("no_hit".into(), json!(round2(no_hit_p99)));
    by_len.insert("max".into(), json!(round2(worst)));
    let rss = rss_mb();

    // Token lookup by serial.
    let serials: Vec<String> =
        (0..2000).map(|_| format!("HT{:08}", 20_000_000 + rng.gen_range(0..customers.max(1)))).collect();
    let mut serial_times = Vec::new();
    for s in &serials {
        let t = Instant::now();
        let _ = store::tokens::by_serial(ledger.conn(), s);
        serial_times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let serial_lookup_us = percentile(&mut serial_times, 50.0);

    // One hand-over verification: decrypt the seed, check the code across the window.
    let some_token = (0..1000u64)
        .find_map(|k| store::tokens::by_serial(ledger.conn(), &format!("HT{:08}", 20_000_000 + k)).ok().flatten());
    let handover_verify_us = match some_token {
        Some(token) => {
            let mut times = Vec::new();
            for _ in 0..1000 {
                let t = Instant::now();
                let _ = ledger.check_token_code(&token, "000000");
                times.push(t.elapsed().as_secs_f64() * 1e6);
            }
            json!(round2(percentile(&mut times, 99.0)))
        }
        None => Value::Null,
    };

    // The lockout write path (rule + write + audit), excluding argon2.
    // Users drawn afresh each run: the scratch ledger keeps what earlier runs wrote, and a
    // user locked by then would be refused before any write.
    let mut fresh = rand::thread_rng();
    let mut commit_times = Vec::new();
    for _ in 0..500 {
        let login = format!("c{:07}m", 1000 + fresh.gen_range(0..customers.max(1)));
        let Ok(Some(user)) = store::customers::user_by_login_id(ledger.conn(), &login) else { continue };
        let t = Instant::now();
        let _ = ledger.ib_record_failure(&user, CredentialKind::Pin);
        commit_times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let commit_p99_us = percentile(&mut commit_times, 99.0);

    // Audit verification rate, on at least 200,000 entries.
    let have = store::audit::count(ledger.conn()).map_err(|e| ctx.fail(e.into()))?;
    if have < 200_000 {
        ledger
            .write(&Actor::cli(), |w| {
                for i in have..200_000 {
                    w.audit("bench.fill", "ledger", json!({ "i": i }))?;
                }
                Ok(())
            })
            .map_err(|e| ctx.fail(e))?;
    }
    let t = Instant::now();
    let report = ledger.verify_audit().map_err(|e| ctx.fail(e))?;
    let verify_s = t.elapsed().as_secs_f64();
    let audit_verify_per_s = (report.entries as f64 / verify_s).round();

    // Import of 10,000 tokens (CSV and PSKC), encryption at rest included, into a fresh
    // scratch ledger so that the serials never collide across runs.
    let import_10k_s = import_10k(ctx)?;

    let out = json!({
        "customers": n,
        "search_p99_us": Value::Object(by_len),
        "first_frame_ms": round2(first_frame_ms),
        "login_ms": round2(login_ms),
        "rss_mb": rss,
        "import_10k_s": import_10k_s,
        "serial_lookup_us": round2(serial_lookup_us),
        "handover_verify_p99_us": handover_verify_us,
        "commit_p99_us": round2(commit_p99_us),
        "audit_verify_per_s": audit_verify_per_s,
        "audit_intact": report.intact(),
    });
    if json_out {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    Ok(Outcome::Done)
}

/// Seconds to import 10,000 tokens from CSV and from plain PSKC (the slower of the two).
fn import_10k(ctx: &Context) -> Result<Value, Failure> {
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Failure(e.to_string()))?;
    let expires = (chrono::Utc::now() + chrono::Duration::days(1000)).format("%Y-%m-%d").to_string();
    let mut csv = String::from("serial,secret,algorithm,digits,period,expires\n");
    let mut pskc = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">"#,
    );
    use base64::Engine as _;
    for i in 0..10_000u32 {
        let seed: Vec<u8> = (0..20u32).map(|b| ((i.wrapping_mul(31) + b * 7) % 251) as u8).collect();
        csv.push_str(&format!("CSV{i:06},hex:{},SHA1,6,30,{expires}\n", hex::encode(&seed)));
        pskc.push_str(&format!(
            r#"<KeyPackage><DeviceInfo><SerialNo>XML{i:06}</SerialNo></DeviceInfo><Key Id="{i}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters><Data><Secret><PlainValue>{}</PlainValue></Secret><TimeInterval><PlainValue>30</PlainValue></TimeInterval></Data><Policy><ExpiryDate>{expires}T00:00:00Z</ExpiryDate></Policy></Key></KeyPackage>"#,
            base64::engine::general_purpose::STANDARD.encode(&seed)
        ));
    }
    pskc.push_str("</KeyContainer>");
    let mut worst: f64 = 0.0;
    for (name, bytes) in [("tokens.csv", csv.into_bytes()), ("tokens.xml", pskc.into_bytes())] {
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).map_err(|e| Failure(e.to_string()))?;
        let db = sub.join("ledger.sqlite3");
        let mut ledger = Ledger::create(&db, Config::default(), false).map_err(|e| ctx.fail(e))?;
        let t = Instant::now();
        let outcome = ledger.import_tokens(&Actor::cli(), name, &bytes, None, None, None).map_err(|e| ctx.fail(e))?;
        let secs = t.elapsed().as_secs_f64();
        match outcome {
            crate::service::import::ImportOutcome::Imported { count: 10_000, .. } => worst = worst.max(secs),
            other => return Err(Failure(format!("bench import failed: {other:?}"))),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!(round2(worst)))
}
