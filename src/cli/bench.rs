//! `madoguchi bench`: the figures the issues name, measured on a generated ledger.
//!
//! The ledger is generated once (as a child `madoguchi demo` process, so that its memory
//! does not count) into a cache folder and reused; it is a scratch ledger, and the commit
//! measurement adds failures to it. A figure that cannot be measured yet is `null`.

use std::path::PathBuf;
use std::time::Instant;

use secrecy::SecretString;
use serde_json::{Value, json};

use super::{Context, Failure, Outcome};
use crate::config::Config;
use crate::domain::permission::StaffRole;
use crate::service::Ledger;
use crate::service::bench::round2;
use crate::service::staff::By;

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

pub fn run(ctx: &Context, customers: u64, json_out: bool, pg: Option<&str>, serve: bool) -> Result<Outcome, Failure> {
    let (db, generate) = match pg {
        Some(url) => {
            crate::service::bench::ensure_database(url).map_err(|e| ctx.fail(e))?;
            let db = PathBuf::from(url);
            let empty = match Ledger::open(&db, Config::default()) {
                Ok(_) => false,
                Err(e) if e.is_missing_ledger() => true,
                Err(e) => return Err(ctx.fail(e)),
            };
            (db, empty)
        }
        None => {
            let dir = cache_dir();
            std::fs::create_dir_all(&dir).map_err(|e| Failure::say(format!("{}: {e}", dir.display())))?;
            // A folder per size: each ledger has its key (`ledger.key`) beside it.
            let dir = dir.join(format!("{customers}"));
            std::fs::create_dir_all(&dir).map_err(|e| Failure::say(format!("{}: {e}", dir.display())))?;
            let db = dir.join("ledger.sqlite3");
            let generate = !db.exists();
            (db, generate)
        }
    };
    if generate {
        let shown = match pg {
            Some(url) => crate::text::without_passwords(url),
            None => db.display().to_string(),
        };
        eprintln!("generating {customers} contracts in {shown} …");
        let started = Instant::now();
        let exe = std::env::current_exe().map_err(|e| Failure::say(e.to_string()))?;
        let status = std::process::Command::new(exe)
            .arg("--db")
            .arg(&db)
            .args(["demo", "--customers", &customers.to_string(), "--seed", "7"])
            .status()
            .map_err(|e| Failure::say(e.to_string()))?;
        if !status.success() {
            return Err(Failure::say("demo generation failed"));
        }
        eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    }
    if serve {
        let backend = if pg.is_some() { "postgresql" } else { "sqlite" };
        let out = json!({ "serve": super::bench_serve::run(ctx, &db, customers, backend)? });
        if json_out {
            println!("{out}");
        } else {
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        return Ok(Outcome::Done);
    }

    // First frame: open the ledger, build the app, draw Home once.
    let started = Instant::now();
    let mut ledger = Ledger::open(&db, Config::default()).map_err(|e| ctx.fail(e))?;
    let session = ledger
        .staff_login("clerk101", &SecretString::from(crate::service::demo::STAFF_PASSWORD))
        .map_err(|e| ctx.fail(e))?;
    let login_ms = started.elapsed().as_secs_f64() * 1000.0;
    let frame_start = Instant::now();
    let first_frame_ms = {
        let app = crate::app::App::new(Ledger::open(&db, Config::default()).map_err(|e| ctx.fail(e))?, ctx.lang);
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24))
            .map_err(|e| Failure::say(e.to_string()))?;
        terminal
            .draw(|f| {
                crate::ui::render(&app, f);
            })
            .map_err(|e| Failure::say(e.to_string()))?;
        frame_start.elapsed().as_secs_f64() * 1000.0
    };

    let figures = ledger.measure(&session, customers).map_err(|e| ctx.fail(e))?;
    let rss = rss_mb();

    // Import of 10,000 tokens (CSV and PSKC), encryption at rest included, into a fresh
    // scratch ledger so that the serials never collide across runs.
    let import_10k_s = import_10k(ctx)?;

    let paper = paper_figures(ctx)?;

    let out = json!({
        "customers": figures.customers,
        "search_p99_us": Value::Object(figures.search_p99_us),
        "search_first_us": figures.search_first_us,
        "first_frame_ms": round2(first_frame_ms),
        "login_ms": round2(login_ms),
        "rss_mb": rss,
        "import_10k_s": import_10k_s,
        "serial_lookup_us": figures.serial_lookup_us,
        "handover_verify_p99_us": figures.handover_verify_p99_us,
        "commit_p99_us": figures.commit_p99_us,
        "audit_verify_per_s": figures.audit_verify_per_s,
        "audit_intact": figures.audit_intact,
        "ledger_verify_s": figures.ledger_verify_s,
        "rows_checked": figures.rows_checked,
        "receipt_pdf_ms": paper.0,
        "receipt_pdf_kb": paper.1,
        "journal_1000_pdf_ms": paper.2,
    });
    if json_out {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    Ok(Outcome::Done)
}

/// Paper: the median of 20 receipts drawn (ms), a receipt's size (KB), and the median of
/// 5 journals of 1,000 receipts (ms).
fn paper_figures(ctx: &Context) -> Result<(Value, Value, Value), Failure> {
    use crate::paper::{PaperFont, journal_pdf, receipt_pdf, sample};
    let fail = |e: crate::paper::PaperError| Failure::say(crate::messages::paper(ctx.lang, &e));
    let font = PaperFont::load(ctx.cfg.print.font.as_deref()).map_err(fail)?;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let receipt = sample::receipt();
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..20 {
        let t = Instant::now();
        bytes = receipt_pdf(&receipt, &font).map_err(fail)?.len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let receipt_ms = median(times);
    let journal = sample::journal(1000);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        journal_pdf(&journal, &font).map_err(fail)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((json!(round2(receipt_ms)), json!(round2(bytes as f64 / 1024.0)), json!(round2(median(times)))))
}

/// Seconds to import 10,000 tokens from CSV and from plain PSKC (the slower of the two).
fn import_10k(ctx: &Context) -> Result<Value, Failure> {
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-import-{}", std::process::id()));
    // A scratch folder of an earlier run that was cut short.
    let _stale = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Failure::say(e.to_string()))?;
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
        std::fs::create_dir_all(&sub).map_err(|e| Failure::say(e.to_string()))?;
        let db = sub.join("ledger.sqlite3");
        // A throwaway ledger: its anchor stays in its own folder, removed with it.
        let mut cfg = Config::default();
        cfg.audit.anchor_file = Some(sub.join("ledger.anchor"));
        let mut ledger = Ledger::create(&db, cfg, false).map_err(|e| ctx.fail(e))?;
        let password = SecretString::from("bench-admin-1");
        let head = ledger.config().head_office().to_string();
        ledger
            .staff_add(By::FirstAdmin, "bench", "bench", StaffRole::Admin, &head, &password)
            .map_err(|e| ctx.fail(e))?;
        let admin = ledger.staff_login("bench", &password).map_err(|e| ctx.fail(e))?;
        let t = Instant::now();
        let outcome = ledger.import_tokens(&admin, name, &bytes, None, None, None).map_err(|e| ctx.fail(e))?;
        let secs = t.elapsed().as_secs_f64();
        match outcome {
            crate::service::import::ImportOutcome::Imported { count: 10_000, .. } => worst = worst.max(secs),
            other => return Err(Failure::say(format!("bench import failed: {other:?}"))),
        }
    }
    std::fs::remove_dir_all(&dir).map_err(|e| Failure::say(format!("{}: {e}", dir.display())))?;
    Ok(json!(round2(worst)))
}
