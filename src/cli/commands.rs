//! The subcommands other than `ib`.

use std::io::Write;

use serde_json::json;

use super::{
    AuditCommand, Command, Context, Failure, Outcome, ReportCommand, StaffCommand, TokensCommand, read_secret,
};
use crate::i18n::{t, tf};
use crate::service::{Actor, Ledger, ServiceError};

pub fn run(ctx: &Context, command: Command) -> Result<Outcome, Failure> {
    let lang = ctx.lang;
    match command {
        Command::Init { admin, password_stdin: _ } => {
            let password = read_secret(&mut std::io::stdin().lock(), lang)?;
            if !crate::service::staff::valid_staff_password(&password) {
                return Err(Failure(t(lang, "err.staff_password_policy").into()));
            }
            if !crate::service::staff::valid_staff_id(&admin) {
                return Err(Failure(t(lang, "err.staff_id").into()));
            }
            let mut ledger = Ledger::create(&ctx.db, ctx.cfg.clone(), false).map_err(|e| ctx.fail(e))?;
            let head = ctx.cfg.head_office().to_string();
            let added = ledger.staff_add(
                &Actor::cli(),
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
            let key = crate::keyfile::key_path(&ctx.db, ctx.cfg.key_file.as_deref());
            eprintln!(
                "{}",
                tf(
                    lang,
                    "msg.init_done",
                    &[("path", &ctx.db.display().to_string()), ("key", &key.display().to_string())]
                )
            );
            Ok(Outcome::Done)
        }
        Command::Demo { customers, seed, force } => {
            if customers > 10_000_000 {
                return Err(Failure(t(lang, "err.customers_range").into()));
            }
            if force && ctx.db.exists() {
                // --force replaces a demo ledger only: a real ledger and its key are never
                // thrown away by a command meant for training.
                match Ledger::open_read_only(&ctx.db, ctx.cfg.clone()) {
                    Ok(l) if l.is_demo() => {}
                    _ => return Err(Failure(t(lang, "err.force_not_demo").into())),
                }
                remove_ledger_files(ctx);
            }
            create_demo(ctx, customers, seed)?;
            eprintln!(
                "{}",
                tf(
                    lang,
                    "msg.demo_done",
                    &[("path", &ctx.db.display().to_string()), ("count", &(customers + 6).to_string())]
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
        Command::Report(ReportCommand::Fees { date, branch, json, csv }) => {
            super::reports::fees(ctx, &date, branch.as_deref(), json, csv)
        }
        Command::Audit(AuditCommand::Verify { json }) => {
            // Read-only: a ledger or a backup on read-only media can be verified too.
            let mut ledger = Ledger::open_read_only(&ctx.db, ctx.cfg.clone()).map_err(|e| ctx.fail(e))?;
            let report = ledger.verify_audit().map_err(|e| ctx.fail(e))?;
            if json {
                let bad = report.first_bad.map(|b| json!({ "seq": b.seq, "reason": b.why.code() }));
                println!("{}", json!({ "intact": report.intact(), "entries": report.entries, "first_bad": bad }));
            }
            match report.first_bad {
                None => {
                    eprintln!("{}", tf(lang, "msg.audit_ok", &[("count", &report.entries.to_string())]));
                    Ok(Outcome::Done)
                }
                Some(b) => {
                    eprintln!(
                        "{}",
                        tf(
                            lang,
                            "msg.audit_bad",
                            &[("seq", &b.seq.to_string()), ("why", t(lang, &format!("msg.break_{}", b.why.code())))]
                        )
                    );
                    Ok(Outcome::Code(3))
                }
            }
        }
        Command::Backup { dest } => {
            let mut ledger = ctx.open()?;
            let report = ledger.backup(&dest).map_err(|e| ctx.fail(e))?;
            if !report.intact() {
                return Err(Failure(tf(
                    lang,
                    "msg.audit_bad",
                    &[("seq", &report.first_bad.map_or(0, |b| b.seq).to_string()), ("why", "backup")],
                )));
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
        Command::Ib(cmd) => super::ib::run(ctx, cmd),
        Command::Bench { customers, json } => super::bench::run(ctx, customers, json),
    }
}

/// `madoguchi` alone: the terminal app, on the ledger at the context's path. With no ledger
/// at the default path, the demo ledger is made first so a new user can try everything.
pub fn terminal_app(ctx: &Context) -> Result<Outcome, Failure> {
    let ledger = match Ledger::open(&ctx.db, ctx.cfg.clone()) {
        Err(e) if e.is_missing_ledger() && ctx.default_db => {
            // In a child process, so that the dozens of argon2 hashes of the demo scenarios
            // do not leave their memory behind in the app that runs all day.
            let exe = std::env::current_exe().map_err(|e| Failure(e.to_string()))?;
            let mut cmd = std::process::Command::new(exe);
            cmd.arg("--db").arg(&ctx.db).args(["--lang", ctx.lang.code()]);
            if let Some(config) = &ctx.config_path {
                cmd.arg("--config").arg(config);
            }
            let status = cmd.args(["demo", "--customers", "2000"]).status().map_err(|e| Failure(e.to_string()))?;
            if !status.success() {
                return Err(Failure(t(ctx.lang, "err.demo_failed").into()));
            }
            ctx.open()?
        }
        other => other.map_err(|e| ctx.fail(e))?,
    };
    crate::tui::run(ledger, ctx.lang).map_err(|e| Failure(e.to_string()))?;
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
    let key = crate::keyfile::key_path(&ctx.db, ctx.cfg.key_file.as_deref());
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
    let actor = Actor::cli();
    match cmd {
        StaffCommand::Add { id, name, role, branch, password_stdin: _ } => {
            let password = read_secret(&mut std::io::stdin().lock(), lang)?;
            ledger.staff_add(&actor, &id, &name, role, &branch, &password).map_err(|e| ctx.fail(e))?;
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
            ledger.staff_unlock(&actor, &id).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.staff_unlocked", &[("id", &id)]));
        }
        StaffCommand::Disable { id } => {
            ledger.staff_disable(&actor, &id).map_err(|e| ctx.fail(e))?;
            eprintln!("{}", tf(lang, "msg.staff_disabled", &[("id", &id)]));
        }
        StaffCommand::EnrollTotp { id } => {
            let uri = ledger.staff_enroll_totp(&actor, &id, None).map_err(|e| ctx.fail(e))?;
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
    let read = |p: &std::path::Path| {
        let meta = std::fs::metadata(p)
            .map_err(|e| Failure(tf(lang, "err.io", &[("detail", &format!("{}: {e}", p.display()))])))?;
        if meta.len() > crate::import::MAX_FILE_BYTES as u64 {
            return Err(Failure(t(lang, "err.import_too_large").into()));
        }
        std::fs::read(p).map_err(|e| Failure(tf(lang, "err.io", &[("detail", &format!("{}: {e}", p.display()))])))
    };
    let bytes = read(file)?;
    let key = match key_file {
        Some(k) => Some(zeroize::Zeroizing::new(read(k)?)),
        None => None,
    };
    let mut ledger = ctx.open()?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let outcome = ledger
        .import_tokens(&Actor::cli(), &name, &bytes, format, branch, key.as_deref().map(|k| k.as_slice()))
        .map_err(|e| ctx.fail(e))?;
    match outcome {
        ImportOutcome::Imported { count, branch } => {
            if json_out {
                println!("{}", json!({ "imported": count, "branch": branch, "errors": [] }));
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
