//! The one way the tests run the real binary. A test never inherits the developer's own
//! `MADOGUCHI_*` variables (their ledger, config, key file, staff sign-in): each run names
//! its ledger and sees nothing else.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

/// The `MADOGUCHI_*` variables set in this process, which no run may inherit.
pub fn inherited() -> Vec<String> {
    std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("MADOGUCHI_")).collect()
}

/// The binary, with no `MADOGUCHI_*` variable of the caller's, and the tests' own state
/// directory (where each ledger's anchor is kept).
pub fn command() -> Command {
    let mut c = Command::new(BIN);
    for k in inherited() {
        c.env_remove(k);
    }
    c.env("XDG_STATE_HOME", state_home()).env("XDG_DATA_HOME", data_home());
    c
}

/// The data directory of the binaries the tests run (`$XDG_DATA_HOME`): the keys of
/// PostgreSQL ledgers go there, named after their (scratch) databases.
pub fn data_home() -> PathBuf {
    state_home().join("data")
}

/// Hands [`state_home`] down to worker processes (see `procs::Worker`).
pub const STATE_HOME_VAR: &str = "MADOGUCHI_IT_STATE_HOME";

/// The state directory of the binaries the tests run (`$XDG_STATE_HOME`): the anchors of
/// their ledgers go there, not into the home of whoever runs the tests. One per test run.
pub fn state_home() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        // A worker process (this binary started again by a test) shares its parent's.
        if let Some(dir) = std::env::var_os(STATE_HOME_VAR) {
            return PathBuf::from(dir);
        }
        let dir = std::env::temp_dir().join(format!("madoguchi-test-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test state directory");
        dir
    })
    .clone()
}

/// The config an in-process [`madoguchi::service::Ledger`] needs to open a ledger the
/// binary made: a PostgreSQL ledger's key is where the binaries the tests run keep it
/// (under [`data_home`]), not under the data directory of whoever runs the tests.
pub fn config_for(db: &Path) -> madoguchi::config::Config {
    let key_file = db
        .to_str()
        .filter(|s| madoguchi::store::pg::is_url(s))
        .map(|url| data_home().join("madoguchi").join(format!("{}.key", madoguchi::store::pg::database_name(url))));
    madoguchi::config::Config { key_file, ..madoguchi::config::Config::default() }
}

/// The ledger at `db`, opened in this process (see [`config_for`]).
pub fn open_ledger(db: &Path) -> madoguchi::service::Ledger {
    madoguchi::service::Ledger::open(db, config_for(db)).expect("open the ledger")
}

/// The variable that moves the clock of the (debug) binary, for workflow tests.
pub const CLOCK_VAR: &str = "MADOGUCHI_TEST_CLOCK_OFFSET_S";

/// Seconds that move today's real time to 12:00 in Japan of the same Japan date: a
/// workflow test then runs mid-day in every process it starts, never across midnight,
/// whatever the hour it is started at.
pub fn noon_offset() -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(|| {
        let now = chrono::Utc::now();
        let noon = madoguchi::format::business_date(now)
            .and_hms_opt(12, 0, 0)
            .and_then(|t| t.and_local_timezone(madoguchi::format::JST).single())
            .expect("noon in Japan");
        (noon.with_timezone(&chrono::Utc) - now).num_seconds()
    })
}

/// Now as the workflow tests' processes see it (see [`noon_offset`]).
pub fn noon_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::seconds(noon_offset())
}

/// Runs `madoguchi --db <db> <args…>` with `stdin`: (exit code, stdout, stderr).
pub fn madoguchi(db: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    run(command(), db, args, stdin)
}

/// As [`madoguchi`], signed in as the demo ledger's administrator (`--as admin`, the
/// password in `MADOGUCHI_PASSWORD`): for the commands that need it.
pub fn as_admin(db: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut c = command();
    c.env("MADOGUCHI_PASSWORD", "demo-pass-1").args(["--as", "admin"]);
    run(c, db, args, stdin)
}

/// As [`madoguchi`] at the workflow tests' mid-day clock, signed in as the demo staff
/// member `staff` (`--as`, the demo password in `MADOGUCHI_PASSWORD`).
pub fn as_staff_at_noon(db: &Path, staff: &str, args: &[&str]) -> (i32, String, String) {
    let mut c = command();
    c.env(CLOCK_VAR, noon_offset().to_string()).env("MADOGUCHI_PASSWORD", "demo-pass-1").args(["--as", staff]);
    run(c, db, args, "")
}

/// As [`madoguchi`], at the workflow tests' mid-day clock.
pub fn madoguchi_at_noon(db: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut c = command();
    c.env(CLOCK_VAR, noon_offset().to_string());
    run(c, db, args, stdin)
}

fn run(mut cmd: Command, db: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = cmd
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run madoguchi");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Creates a demo ledger with `customers` generated contracts in `dir`; returns its path.
pub fn demo_ledger(dir: &Path, customers: u32) -> PathBuf {
    let db = dir.join("ledger.sqlite3");
    let (code, _, err) = madoguchi(&db, &["demo", "--customers", &customers.to_string()], "");
    assert_eq!(code, 0, "demo ledger: {err}");
    db
}

/// As [`demo_ledger`], at the workflow tests' mid-day clock.
pub fn demo_ledger_at_noon(dir: &Path, customers: u32) -> PathBuf {
    let db = dir.join("ledger.sqlite3");
    let (code, _, err) = madoguchi_at_noon(&db, &["demo", "--customers", &customers.to_string()], "");
    assert_eq!(code, 0, "demo ledger: {err}");
    db
}

/// Authenticator codes (RFC 6238, SHA1, 6 digits, 30 s), as a supervisor's app shows them.
pub mod totp {
    /// The 30-second step of now.
    pub fn now_step() -> i64 {
        chrono::Utc::now().timestamp() / 30
    }

    /// The code of `secret` at `step`.
    pub fn code(secret: &[u8], step: i64) -> String {
        let p = madoguchi::domain::token::TokenParams {
            seed: secret,
            algorithm: madoguchi::domain::token::Algorithm::Sha1,
            digits: 6,
            period: 30,
        };
        madoguchi::domain::token::code_at(&p, u64::try_from(step * 30).expect("positive time"))
    }

    /// The code of `secret`, `steps` periods from now.
    pub fn code_in(secret: &[u8], steps: i64) -> String {
        code(secret, now_step() + steps)
    }

    /// The code of `secret`, `steps` periods from now at the workflow tests' clock.
    pub fn code_at_noon(secret: &[u8], steps: i64) -> String {
        code(secret, super::noon_now().timestamp() / 30 + steps)
    }

    /// The demo supervisors' secret as bytes.
    pub fn demo_secret() -> Vec<u8> {
        base32(madoguchi::service::demo::SUPERVISOR_TOTP)
    }

    pub fn base32(s: &str) -> Vec<u8> {
        data_encoding::BASE32_NOPAD.decode(s.trim_end_matches('=').as_bytes()).expect("base32 secret")
    }
}
