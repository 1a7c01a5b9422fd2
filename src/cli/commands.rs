//! The subcommands other than `ib`.

use std::io::Write;

use serde_json::json;

use super::{
    AuditCommand, Command, Context, Failure, Outcome, ReportCommand, StaffCommand, TokensCommand, read_secret,
};
use crate::i18n::{t, tf};
use crate::service::staff::By;
use crate::service::{Ledger, ServiceError};

pub fn run(ctx: &Context, command: Command) -> Result<Outcome, Failure> {
    let lang = ctx.lang;
    match command {
        Command::Init { admin, password_stdin: _ } => {
            let password = read_secret(&mut std::io::stdin().lock(), lang)?;
            if !crate::service::staff::valid_staff_password(&password) {
                return Err(Failure::say(t(lang, "err.staff_password_policy")));
            }
            if !crate::service::staff::valid_staff_id(&admin) {
                return Err(Failure::say(t(lang, "err.staff_id")));
            }
            let mut ledger = Ledger::create(&ctx.db, ctx.cfg.clone(), false).map_err(|e| ctx.fail(e))?;
            let head = ctx.cfg.head_office().to_string();
            let added = ledger.staff_add(
                By::FirstAdmin,
                &admin,
                &admin,
                crate::domain::permission::StaffRole::Admin,
                &head,
                &password,
            );
            if let Err(e) = added {
                drop(ledger);
                remove_ledger_files(ctx);
                return Err(ctx.fail(e));
            }
            let key = crate::service::key_path(&ctx.db, &ctx.cfg);
            eprintln!(
                "{}",
                tf(
                    lang,
                    "msg.init_done",
                    &[
                        ("path", &crate::text::without_passwords(&ctx.db.display().to_string())),
                        ("key", &key.display().to_string())
                    ]
                )
            );
            Ok(Outcome::Done)
        }
        Command::Demo { customers, seed, force } => {
            if customers > 10_000_000 {
                return Err(Failure::say(t(lang, "err.customers_range")));
            }
            if force && ctx.db.exists() {
                // --force replaces a demo ledger only: a real ledger and its key are never
                // thrown away by a command meant for training.
                match Ledger::open_read_only(&ctx.db, ctx.cfg.clone()) {
                    Ok(l) if l.is_demo() => {}
                    _ => return Err(Failure::say(t(lang, "err.force_not_demo"))),
                }
                remove_ledger_files(ctx);
            }
            create_demo(ctx, customers, seed)?;
            eprintln!(
                "{}",
                tf(
                    lang,
                    "msg.demo_done",
                    &[
                        ("path", &crate::text::without_passwords(&ctx.db.display().to_string())),
                        ("count", &(customers + 6).to_string())
                    ]
                )
            );
            Ok(Outcome::Done)
        }
        Command::Staff(cmd) => staff(ctx, cmd),
        Command::Tokens(TokensCommand::Code { serial }) => {
            let mut ledger = ctx.open()?;
            match crate::service::demo::current_code(&mut ledger, &serial).map_err(|e| ctx.fail(e))? {
                Some(code) => {
                    println!("{code}");
                    Ok(Outcome::Done)
                }
                None => Err(ctx.fail(ServiceError::NotFound(crate::service::Missing::Token))),
            }
        }
        Command::Tokens(TokensCommand::Import { file, format, branch, key_file, json }) => {
            import(ctx, &file, format, branch.as_deref(), key_file.as_deref(), json)
        }
        Command::Tokens(TokensCommand::Expiring { within, branch, json, csv }) => {
            super::reports::expiring(ctx, within, branch.as_deref(), json, csv)
        }
        Command::Report(ReportCommand::Fees { date, branch, pdf: Some(pdf), .. }) => {
            super::reports::journal_pdf(ctx, &date, branch.as_deref(), &pdf)
        }
        Command::Report(ReportCommand::Fees { date, branch, json, csv, pdf: None }) => {
            super::reports::fees(ctx, &date, branch.as_deref(), json, csv)
        }
        Command::Report(ReportCommand::Receipt { branch, number, pdf }) => {
            super::reports::receipt_pdf(ctx, &branch, number, &pdf)
        }
        Command::Audit(AuditCommand::Verify { json, anchor, expect }) => verify(ctx, json, anchor, expect),
        Command::Audit(AuditCommand::Accept { reason }) => {
            let mut ledger = ctx.open()?;
            let session = ctx.sign_in(&mut ledger)?;
            let n = ledger.accept_breaks(&session, &reason).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.accept_done", &[("count", &n.to_string())]));
            Ok(Outcome::Done)
        }
        Command::Serve { listen } => {
            let listen = listen.unwrap_or_else(|| ctx.cfg.serve.listen.clone());
            if listen.parse::<std::net::SocketAddr>().is_err() && !listen.contains(':') {
                return Err(Failure::say(tf(lang, "err.listen_format", &[("addr", &crate::text::inert(&listen))])));
            }
            let scheme = if ctx.cfg.serve.tls_cert.is_some() { "https" } else { "http" };
            crate::serve::run(&ctx.db, ctx.cfg.clone(), &listen, |addr| {
                eprintln!("{}", tf(lang, "msg.serving", &[("url", &format!("{scheme}://{addr}"))]));
            })
            .map_err(|e| match e {
                crate::serve::ServeError::Ledger(e) => ctx.fail(e),
                other => Failure::say(tf(lang, "err.serve", &[("detail", &other.to_string())])),
            })?;
            eprintln!("{}", t(lang, "msg.serve_stopped"));
            Ok(Outcome::Done)
        }
        Command::ApiKey(cmd) => api_key(ctx, cmd),
        Command::Backup { dest } => {
            let mut ledger = ctx.open()?;
            let session = ctx.sign_in(&mut ledger)?;
            let report = ledger.backup(&session, &dest).map_err(|e| ctx.fail(e))?;
            let head = report.head.map_or(0, |h| h.seq);
            if let Some(b) = report.first_bad {
                let _ = std::fs::remove_file(&dest);
                return Err(Failure { message: crate::messages::verify_break(lang, b, head), code: 3 });
            }
            eprintln!(
                "{}",
                tf(
                    lang,
                    "msg.backup_ok",
                    &[("path", &dest.display().to_string()), ("count", &report.entries.to_string())]
                )
            );
            Ok(Outcome::Done)
        }
        Command::Ledger(super::LedgerCommand::Copy { dest }) => {
            let mut ledger = ctx.open()?;
            let key = crate::service::key_path(&ctx.db, &ctx.cfg);
            let copied = ledger.copy_ledger(&dest, &ctx.cfg, &key).map_err(|e| ctx.fail(e))?;
            eprintln!(
                "{}",
                tf(
                    lang,
                    "msg.copy_done",
                    &[
                        ("dest", &crate::text::without_passwords(&dest.display().to_string())),
                        ("rows", &copied.rows.to_string()),
                        ("head", &copied.head.short()),
                        ("key", &copied.key.display().to_string()),
                    ]
                )
            );
            Ok(Outcome::Done)
        }
        Command::Ib(cmd) => super::ib::run(ctx, cmd),
        Command::Bench { customers, json, pg, serve } => super::bench::run(ctx, customers, json, pg.as_deref(), serve),
    }
}

/// `madoguchi` alone: the terminal app, on the ledger at the context's path. With no ledger
/// at the default path, the demo ledger is made first so a new user can try everything.
pub fn terminal_app(ctx: &Context) -> Result<Outcome, Failure> {
    let ledger = match Ledger::open(&ctx.db, ctx.cfg.clone()) {
        Err(e) if e.is_missing_ledger() && ctx.default_db => {
            // In a child process, so that the dozens of argon2 hashes of the demo scenarios
            // do not leave their memory behind in the app that runs all day.
            let exe = std::env::current_exe().map_err(|e| Failure::say(e.to_string()))?;
            let mut cmd = std::process::Command::new(exe);
            cmd.arg("--db").arg(&ctx.db).args(["--lang", ctx.lang.code()]);
            if let Some(config) = &ctx.config_path {
                cmd.arg("--config").arg(config);
            }
            let status = cmd.args(["demo", "--customers", "2000"]).status().map_err(|e| Failure::say(e.to_string()))?;
            if !status.success() {
                return Err(Failure::say(t(ctx.lang, "err.demo_failed")));
            }
            ctx.open()?
        }
        other => other.map_err(|e| ctx.fail(e))?,
    };
    crate::tui::run(ledger, ctx.lang).map_err(|e| Failure::say(e.to_string()))?;
    Ok(Outcome::Done)
}

/// Creates the demo ledger at the context's path, with a progress bar (drawn only when
/// standard error is a terminal).
fn create_demo(ctx: &Context, customers: u64, seed: u64) -> Result<Ledger, Failure> {
    let bar = indicatif::ProgressBar::new(customers);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(t(ctx.lang, "msg.demo_progress").to_string());
    let mut progress = |done: u64, _total: u64| bar.set_position(done);
    let result = crate::service::demo::create(&ctx.db, ctx.cfg.clone(), customers, seed, &mut progress);
    bar.finish_and_clear();
    result.map_err(|e| {
        // A half-made demo ledger is of no use to anyone; the files it made go.
        if !matches!(e, ServiceError::Exists(_)) {
            remove_ledger_files(ctx);
        }
        ctx.fail(e)
    })
}

/// Removes a ledger and the files that belong to it (key, seal, WAL).
fn remove_ledger_files(ctx: &Context) {
    let key = crate::service::key_path(&ctx.db, &ctx.cfg);
    let seal = crate::service::seal_path(&key);
    let mut wal = ctx.db.clone().into_os_string();
    wal.push("-wal");
    let mut shm = ctx.db.clone().into_os_string();
    shm.push("-shm");
    for p in [ctx.db.clone(), key, seal, wal.into(), shm.into()] {
        let _ = std::fs::remove_file(p);
    }
}

fn staff(ctx: &Context, cmd: StaffCommand) -> Result<Outcome, Failure> {
    let lang = ctx.lang;
    let mut ledger = ctx.open()?;
    // Listing is a read-only report; everything else is administration.
    let session = match cmd {
        StaffCommand::List { .. } => None,
        _ => Some(ctx.sign_in(&mut ledger)?),
    };
    let by = || session.as_ref().map_or(By::FirstAdmin, By::Admin);
    match cmd {
        StaffCommand::Add { id, name, role, branch, password_stdin: _ } => {
            let password = read_secret(&mut std::io::stdin().lock(), lang)?;
            ledger.staff_add(by(), &id, &name, role, &branch, &password).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.staff_added", &[("id", &id)]));
        }
        StaffCommand::List { json } => {
            let rows = ledger.staff_list().map_err(|e| ctx.fail(e))?;
            let mut out = std::io::stdout().lock();
            if json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.id, "name": r.name, "role": r.role.code(), "branch": r.branch,
                            "locked": r.locked_at.is_some(), "disabled": r.disabled_at.is_some(),
                            "failures": r.failures, "totp": r.totp_secret.is_some(),
                        })
                    })
                    .collect();
                let _ = writeln!(out, "{}", serde_json::Value::Array(list));
            } else {
                for r in &rows {
                    let state = if r.disabled_at.is_some() {
                        t(lang, "msg.state_disabled")
                    } else if r.locked_at.is_some() {
                        t(lang, "msg.state_locked")
                    } else {
                        t(lang, "msg.state_active")
                    };
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        r.id,
                        crate::text::inert(&r.name),
                        t(lang, &format!("msg.role_{}", r.role.code())),
                        r.branch,
                        state
                    );
                }
            }
        }
        StaffCommand::Unlock { id } => {
            ledger.staff_unlock(by(), &id).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.staff_unlocked", &[("id", &id)]));
        }
        StaffCommand::Disable { id } => {
            ledger.staff_disable(by(), &id).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.staff_disabled", &[("id", &id)]));
        }
        StaffCommand::EnrollTotp { id } => {
            let uri = ledger.staff_enroll_totp(by(), &id, None).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.totp_enrolled", &[("id", &id)]));
            println!("{uri}");
            if let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) {
                let qr = code.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build();
                eprintln!("{qr}");
            }
        }
    }
    Ok(Outcome::Done)
}

fn import(
    ctx: &Context,
    file: &std::path::Path,
    format: Option<crate::import::Format>,
    branch: Option<&str>,
    key_file: Option<&std::path::Path>,
    json_out: bool,
) -> Result<Outcome, Failure> {
    use crate::service::import::ImportOutcome;
    let lang = ctx.lang;
    // Read through a bound: a file that grows while read, or a device that never ends
    // (`/dev/zero`), stops at one byte past the limit.
    let read = |p: &std::path::Path| {
        let io = |e: std::io::Error| Failure::say(tf(lang, "err.io", &[("detail", &format!("{}: {e}", p.display()))]));
        let limit = crate::import::MAX_FILE_BYTES as u64;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(p).map_err(io)?, limit + 1),
            &mut bytes,
        )
        .map_err(io)?;
        if bytes.len() as u64 > limit {
            return Err(Failure::say(t(lang, "err.import_too_large")));
        }
        Ok(bytes)
    };
    let mut ledger = ctx.open()?;
    let session = ctx.sign_in(&mut ledger)?;
    let bytes = read(file)?;
    let key = match key_file {
        Some(k) => Some(zeroize::Zeroizing::new(read(k)?)),
        None => None,
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let outcome = ledger
        .import_tokens(&session, &name, &bytes, format, branch, key.as_deref().map(|k| k.as_slice()))
        .map_err(|e| ctx.fail(e))?;
    match outcome {
        ImportOutcome::Imported { count, branch, defaulted } => {
            if json_out {
                let defaulted: Vec<_> = defaulted
                    .iter()
                    .map(|(serial, expires)| json!({ "serial": serial, "expires": crate::format::date(*expires) }))
                    .collect();
                println!(
                    "{}",
                    json!({ "imported": count, "branch": branch, "errors": [], "expiry_defaulted": defaulted })
                );
            }
            let years = ctx.cfg.token.life_years.to_string();
            for (serial, expires) in &defaulted {
                let expires = crate::format::date(*expires);
                eprintln!(
                    "{}",
                    tf(
                        lang,
                        "msg.import_expiry_defaulted",
                        &[("serial", serial), ("expires", &expires), ("years", &years)]
                    )
                );
            }
            eprintln!("{}", tf(lang, "msg.import_done", &[("count", &count.to_string()), ("branch", &branch)]));
            Ok(Outcome::Done)
        }
        ImportOutcome::Refused { branch, errors } => {
            let reason = |e: &crate::service::import::Refusal| match e.problem.detail() {
                Some(d) => format!("{} ({})", t(lang, e.problem.key()), crate::text::inert(&d)),
                None => t(lang, e.problem.key()).to_string(),
            };
            if json_out {
                let list: Vec<_> = errors.iter().map(|e| json!({ "where": e.location, "reason": reason(e) })).collect();
                println!("{}", json!({ "imported": 0, "branch": branch, "errors": list }));
            }
            eprintln!("{}", tf(lang, "msg.import_refused", &[("count", &errors.len().to_string())]));
            for e in &errors {
                eprintln!("  {}: {}", e.location, reason(e));
            }
            Ok(Outcome::Code(1))
        }
    }
}

/// `audit verify`: the whole chain, the seal and the anchor (or what is given), every row.
fn api_key(ctx: &Context, cmd: super::ApiKeyCommand) -> Result<Outcome, Failure> {
    use super::ApiKeyCommand as A;
    let lang = ctx.lang;
    let mut ledger = ctx.open()?;
    let session = ctx.sign_in(&mut ledger)?;
    match cmd {
        A::Add { name } => {
            let key = ledger.api_key_add(&session, &name).map_err(|e| ctx.fail(e))?;
            println!("{}", secrecy::ExposeSecret::expose_secret(&key));
            eprintln!("{}", tf(lang, "msg.api_key_added", &[("name", &name)]));
        }
        A::List { json } => {
            let keys = ledger.api_keys(&session).map_err(|e| ctx.fail(e))?;
            if json {
                println!("{}", serde_json::to_string(&keys).unwrap_or_default());
            } else {
                println!("{}", t(lang, "msg.api_key_columns"));
                for k in &keys {
                    let state = match &k.revoked_at {
                        Some(at) => tf(
                            lang,
                            "msg.api_key_revoked_at",
                            &[("at", at), ("by", k.revoked_by.as_deref().unwrap_or(""))],
                        ),
                        None => t(lang, "msg.state_active").to_string(),
                    };
                    println!("{}\t{}\t{}\t{}", k.name, crate::format::time(k.created_at), k.created_by, state);
                }
            }
        }
        A::Revoke { name } => {
            ledger.api_key_revoke(&session, &name).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.api_key_revoked", &[("name", &name)]));
        }
    }
    Ok(Outcome::Done)
}

fn verify(
    ctx: &Context,
    json_out: bool,
    anchor: Option<std::path::PathBuf>,
    expect: Option<(i64, String)>,
) -> Result<Outcome, Failure> {
    let lang = ctx.lang;
    // Read-only: a ledger or a backup on read-only media can be verified too.
    let mut ledger = Ledger::open_read_only(&ctx.db, ctx.cfg.clone()).map_err(|e| ctx.fail(e))?;
    let against_default = anchor.is_none() && expect.is_none();
    let against = crate::service::audit::VerifyAgainst { anchor, expect };
    let report = ledger.verify_against(&against).map_err(|e| ctx.fail(e))?;
    let head = report.head.map_or(0, |h| h.seq);
    if json_out {
        let bad = report.first_bad.map(|b| json!({ "seq": b.seq, "reason": b.why.code() }));
        let rows: Vec<_> = report.bad_rows.iter().map(|(t, k)| json!({ "table": t, "key": k })).collect();
        println!(
            "{}",
            json!({
                "intact": report.intact(),
                "entries": report.entries,
                "first_bad": bad,
                "head": report.head.map(|h| json!({ "seq": h.seq, "hash": hex::encode(h.hash) })),
                "sealed": report.sealed,
                "anchored": report.anchored,
                "rows": report.rows,
                "bad_rows": rows,
                "counts": report.counts,
                "accepted": report.accepted,
                "file_check": report.file_check,
            })
        );
    }
    if !report.accepted.is_empty() {
        eprintln!("{}", tf(lang, "msg.audit_accepted_list", &[("count", &report.accepted.len().to_string())]));
        for a in &report.accepted {
            let place = match (a.seq, &a.row_table, &a.row_key) {
                (Some(seq), _, _) => format!("#{seq}"),
                (None, Some(t), Some(k)) => format!("{t} {}", crate::text::inert(k)),
                (None, Some(t), None) => t.clone(),
                _ => String::new(),
            };
            eprintln!(
                "  {} {} {place} {} — {} ({})",
                crate::format::time(crate::format::parse_stamp(&a.at).unwrap_or_default()),
                a.what,
                crate::text::inert(&a.detail),
                crate::text::inert(&a.reason),
                crate::text::inert(&a.accepted_by)
            );
        }
    }
    if against_default && report.anchored.is_none() && report.entries > 0 {
        eprintln!("{}", t(lang, "msg.audit_no_anchor"));
    }
    if let Some(found) = &report.file_check {
        eprintln!("{}", tf(lang, "msg.audit_file_check", &[("detail", &crate::text::inert(found))]));
    }
    if report.intact() {
        eprintln!("{}", tf(lang, "msg.audit_ok", &[("count", &report.entries.to_string())]));
        return Ok(Outcome::Done);
    }
    if let Some(b) = report.first_bad {
        eprintln!("{}", crate::messages::verify_break(lang, b, head));
    }
    if !report.bad_rows.is_empty() {
        let rows: Vec<String> =
            report.bad_rows.iter().take(20).map(|(t, k)| format!("{t} {}", crate::text::inert(k))).collect();
        eprintln!("{}", tf(lang, "msg.audit_rows_bad", &[("rows", &rows.join(", "))]));
    }
    if !report.counts.is_empty() {
        let tables: Vec<String> =
            report.counts.iter().map(|c| format!("{} {} ({} → {})", c.table, c.what, c.sealed, c.found)).collect();
        eprintln!("{}", tf(lang, "msg.audit_counts_bad", &[("tables", &tables.join(", "))]));
    }
    Ok(Outcome::Code(3))
}
