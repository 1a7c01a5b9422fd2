//! The command line of docs/spec.md §6. `madoguchi` alone opens the terminal app.
//!
//! Exit codes: 0 success, 1 error with a message, 2 usage error; `audit verify` 3 when the
//! chain is broken; `ib` 10 rejected, 11 suspended, 12 refused by another rule.

mod bench;
mod bench_serve;
mod commands;
mod ib;
mod reports;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::domain::credential::CredentialKind;
use crate::domain::permission::StaffRole;
use crate::i18n::{Lang, t, tf};
use crate::import::Format;
use crate::service::{Ledger, ServiceError};

/// A clap parser for one of a fixed set of the bank's words (a role, a secret kind…):
/// the words are listed in `--help` and anything else is a usage error.
fn one_of<T>(words: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(words)
        .try_map(move |s: String| s.parse::<T>().map_err(|_| format!("not one of {words:?}")))
}

const ROLES: &[&str] = &["clerk", "operator", "supervisor", "admin"];
const FORMATS: &[&str] = &["pskc", "csv"];
const VERIFY_SECRETS: &[&str] = &["confirm", "otp", "pin", "approval-pin"];
const PASSWORD_KINDS: &[&str] = &["login", "confirm"];

#[derive(Parser, Debug)]
#[command(name = "madoguchi", version, about = "窓口: counter terminal for corporate internet-banking support", long_about = None)]
pub struct Cli {
    /// The ledger file [default: the platform data directory, madoguchi/ledger.sqlite3]
    #[arg(long, env = "MADOGUCHI_DB", global = true)]
    pub db: Option<PathBuf>,
    /// The configuration file (TOML; see config.example.toml)
    #[arg(long, env = "MADOGUCHI_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Language of screens and messages
    #[arg(long, value_enum, global = true)]
    pub lang: Option<Lang>,
    /// The staff member an administrative command acts as (password from
    /// MADOGUCHI_PASSWORD, else asked without echo; a TOTP code, where enrolled, from
    /// MADOGUCHI_TOTP, else asked)
    #[arg(long = "as", value_name = "STAFF_ID", env = "MADOGUCHI_AS", global = true)]
    pub as_staff: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an empty ledger with one admin; refuses to touch an existing file
    Init {
        #[arg(long)]
        admin: String,
        /// Read the admin's password from one line of standard input
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create the demo ledger: the demo bank's staff, branches, token stock and scenario
    /// customers, plus N generated contracts; same seed, same ledger
    Demo {
        #[arg(long, default_value_t = 2000)]
        customers: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace an existing ledger at the path
        #[arg(long)]
        force: bool,
    },
    /// Staff accounts
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Hard tokens: import the vendor's file, list those nearing expiry, show a demo code
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Reports
    #[command(subcommand)]
    Report(ReportCommand),
    /// The audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// (admin) Online, consistent copy of the ledger into one private file, verified
    /// against the source's head; refused if the source is tampered
    Backup { dest: PathBuf },
    /// Measure search, first frame, memory, commits and audit verification on a generated ledger
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        #[arg(long)]
        json: bool,
        /// Measure on a PostgreSQL ledger in this (scratch) database: created if the server
        /// has none of that name, generated if it is empty, reused if it holds one
        #[arg(long, value_name = "URL")]
        pg: Option<String>,
        /// Measure the customer channel's HTTP service instead (`serve`: sustained logins
        /// at a p99 of 100 ms, known against unknown IDs, an overload); needs
        /// --customers 20000 or more
        #[arg(long)]
        serve: bool,
    },
    /// The whole ledger
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Customer channel: applies R1 and R5 as the internet-banking service does
    #[command(subcommand)]
    Ib(IbCommand),
    /// The customer channel as an HTTP API for the internet-banking front end (POST
    /// /v1/login, /v1/verify, /v1/change-password; GET /healthz, /metrics); callers need
    /// an API key. Runs until SIGTERM or Ctrl-C
    Serve {
        /// Address and port [default: serve.listen, 127.0.0.1:8700]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// (admin) The front end's API keys for `serve`
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Add a caller's key and print it (the only time it is shown)
    Add { name: String },
    /// List the keys (never the keys themselves)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a caller's key: `serve` refuses it within seconds
    Revoke { name: String },
}

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Add a staff account (password from standard input)
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = one_of::<StaffRole>(ROLES))]
        role: StaffRole,
        #[arg(long)]
        branch: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List staff accounts
    List {
        #[arg(long)]
        json: bool,
    },
    /// Unlock a staff account locked by failed logins
    Unlock { id: String },
    /// Disable a staff account
    Disable { id: String },
    /// Enrol a supervisor's authenticator; prints the otpauth URI and a QR code
    EnrollTotp { id: String },
}

#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Add tokens to a branch's stock (default: head office) from a PSKC or CSV file
    Import {
        file: PathBuf,
        #[arg(long, value_parser = one_of::<Format>(FORMATS))]
        format: Option<Format>,
        #[arg(long)]
        branch: Option<String>,
        /// The pre-shared AES key (hex) or the PBKDF2 passphrase of an encrypted PSKC
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// DEMO ledgers only: print a token's current code
    Code { serial: String },
    /// Issued tokens whose expiry falls within DAYS (default from the config)
    Expiring {
        #[arg(long)]
        within: Option<u32>,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The fee journal of a business day, reversals included, with totals; with --pdf the
    /// daily fee journal (日計表) of the branch to print, recorded (needs --as)
    Fees {
        #[arg(long)]
        date: String,
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, conflicts_with_all = ["csv", "pdf"])]
        json: bool,
        #[arg(long, conflicts_with = "pdf")]
        csv: bool,
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
    },
    /// A receipt (領収書) as PDF, recorded; a second print is marked 再発行 (needs --as)
    Receipt {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        number: i64,
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the whole chain and every covered row: exit 0 if intact (listing acknowledged
    /// breaks), 3 with the first bad entry, or the rollback, if not
    Verify {
        #[arg(long)]
        json: bool,
        /// Hold the chain to this anchor file (kept elsewhere) instead of the seal and the
        /// default anchor
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
        /// Hold the chain to this head, as printed on a daily journal (the hash whole or
        /// its first 16 hex digits)
        #[arg(long, value_name = "SEQ:HASH", value_parser = parse_expect)]
        expect: Option<(i64, String)>,
    },
    /// (admin) Acknowledge the breaks found, after investigating them: recorded for good and
    /// listed by every verification; a later break is exit 3 again
    Accept {
        #[arg(long)]
        reason: String,
    },
}

fn parse_expect(s: &str) -> Result<(i64, String), String> {
    crate::domain::audit::Seal::parse_expected(s).ok_or_else(|| "expected SEQ:HASH (16 to 64 hex digits)".to_string())
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Copy the whole ledger (--db) into an empty SQLite file or PostgreSQL database
    /// (postgres://…), verified at both ends; the copy uses the same key
    Copy { dest: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum IbCommand {
    /// Log in with the login password (from standard input)
    Login {
        #[arg(long)]
        login_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Check one more secret of the user (from standard input)
    Verify {
        #[arg(long)]
        login_id: String,
        #[arg(long, value_parser = one_of::<CredentialKind>(VERIFY_SECRETS))]
        secret: CredentialKind,
        #[arg(long)]
        json: bool,
    },
    /// Change the login or confirmation password: old, then new, from standard input
    ChangePassword {
        #[arg(long)]
        login_id: String,
        #[arg(long, value_parser = one_of::<CredentialKind>(PASSWORD_KINDS))]
        kind: CredentialKind,
        #[arg(long)]
        json: bool,
    },
}

/// What a command ends with.
pub enum Outcome {
    Done,
    Code(u8),
}

/// A failure with its message already in the UI language.
pub struct Failure {
    pub message: String,
    /// 1, or 3 when the ledger failed its integrity check.
    pub code: u8,
}

impl Failure {
    pub fn say(message: impl Into<String>) -> Self {
        Self { message: message.into(), code: 1 }
    }
}

/// Everything a command needs to run.
pub struct Context {
    pub lang: Lang,
    pub cfg: Config,
    pub db: PathBuf,
    /// Whether `db` is the default path (the TUI creates the demo ledger there).
    pub default_db: bool,
    /// The config file given, if any (passed on to child processes).
    pub config_path: Option<PathBuf>,
    /// `--as`: who an administrative command acts as.
    pub as_staff: Option<String>,
}

impl Context {
    pub fn open(&self) -> Result<Ledger, Failure> {
        Ledger::open(&self.db, self.cfg.clone()).map_err(|e| self.fail(e))
    }

    /// Signs in the staff member named by `--as`: the password from `MADOGUCHI_PASSWORD`,
    /// else asked on the terminal without echo; a TOTP code where one is enrolled, from
    /// `MADOGUCHI_TOTP`, else asked. Wrong answers count toward the staff lockout.
    pub fn sign_in(&self, ledger: &mut Ledger) -> Result<crate::domain::permission::Session, Failure> {
        let Some(id) = self.as_staff.as_deref().filter(|s| !s.is_empty()) else {
            return Err(Failure::say(t(self.lang, "err.sign_in_required")));
        };
        let password = secret_from("MADOGUCHI_PASSWORD", &tf(self.lang, "msg.ask_password", &[("id", id)]))
            .ok_or_else(|| Failure::say(t(self.lang, "err.sign_in_no_password")))?;
        let prompt = tf(self.lang, "msg.ask_totp", &[("id", id)]);
        let mut code = || secret_from("MADOGUCHI_TOTP", &prompt);
        ledger.sign_in(id, &password, &mut code).map_err(|e| self.fail(e))
    }

    /// The failure for a use case's error, in the UI language.
    pub fn fail(&self, e: ServiceError) -> Failure {
        let code = if e.is_tampering() { 3 } else { 1 };
        Failure { message: crate::messages::error(self.lang, &self.cfg.branches, &e), code }
    }
}

/// Reads one secret line from standard input.
pub fn read_secret(stdin: &mut impl BufRead, lang: Lang) -> Result<SecretString, Failure> {
    let mut line = Zeroizing::new(String::new());
    match stdin.read_line(&mut line) {
        Ok(n) if n > 0 => {
            let s = line.trim_end_matches(['\r', '\n']);
            if s.is_empty() {
                Err(Failure::say(t(lang, "err.stdin_empty")))
            } else {
                Ok(SecretString::from(s.to_string()))
            }
        }
        _ => Err(Failure::say(t(lang, "err.stdin_empty"))),
    }
}

/// A secret from the environment, else asked on the terminal without echo; `None` when
/// neither gives one.
fn secret_from(var: &str, prompt: &str) -> Option<SecretString> {
    if let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        return Some(SecretString::from(v));
    }
    let typed = Zeroizing::new(rpassword::prompt_password(format!("{prompt}: ")).ok()?);
    (!typed.is_empty()).then(|| SecretString::from(typed.to_string()))
}

fn default_db() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_dir().join("madoguchi").join("ledger.sqlite3"))
}

/// The report of an unexpected failure, and a panic hook that gives the terminal back
/// first (raw mode off, the alternate screen left, the cursor shown) and then says where
/// the details are; color-eyre prints them (`RUST_BACKTRACE=1` for the backtrace).
pub fn install_hooks() {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default().into_hooks();
    // Only one report hook per process; a second install (tests) keeps the first.
    let _first_install = eyre_hook.install();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        eprintln!("{}", panic_hook.panic_report(info));
        eprintln!(
            "madoguchi stopped unexpectedly; nothing half-written was kept. Run again with RUST_BACKTRACE=1 for details."
        );
    }));
}

/// Gives the terminal back to the shell: safe to call when it was never taken.
pub fn restore_terminal() {
    use crossterm::ExecutableCommand;
    let _raw = crossterm::terminal::disable_raw_mode();
    let mut out = std::io::stderr();
    let _mouse = out.execute(crossterm::event::DisableMouseCapture);
    let _screen = out.execute(crossterm::terminal::LeaveAlternateScreen);
    let _cursor = out.execute(crossterm::cursor::Show);
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    install_hooks();
    // Everything this process creates (the ledger, its WAL and SHM, the seal, the anchor,
    // backups, exports) is its owner's alone.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The config decides the default language, so it is read before anything is said;
    // its own errors are reported in the language asked for, or Japanese.
    let early_lang = cli.lang.unwrap_or_default();
    let cfg = match &cli.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{}", tf(early_lang, "err.config", &[("detail", &e.to_string())]));
                return ExitCode::from(1);
            }
        },
        None => Config::default(),
    };
    let mut cfg = cfg;
    // The key file may be named in the environment (a backup verified on another machine).
    if let Some(key) = std::env::var_os("MADOGUCHI_KEY_FILE").filter(|k| !k.is_empty()) {
        cfg.key_file = Some(PathBuf::from(key));
    }
    let lang = cli.lang.unwrap_or(cfg.language);
    let (db, default_db) = match cli.db.clone().or_else(|| cfg.ledger.url.clone().map(PathBuf::from)) {
        Some(p) => (p, false),
        None => match default_db() {
            Some(p) => (p, true),
            None => {
                eprintln!("{}", t(lang, "err.no_data_dir"));
                return ExitCode::from(1);
            }
        },
    };
    let ctx = Context { lang, cfg, db, default_db, config_path: cli.config.clone(), as_staff: cli.as_staff.clone() };
    let result = match cli.command {
        None => commands::terminal_app(&ctx),
        Some(command) => commands::run(&ctx, command),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Code(c)) => ExitCode::from(c),
        Err(Failure { message, code }) => {
            eprintln!("{message}");
            ExitCode::from(code)
        }
    }
}
