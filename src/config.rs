//! The configuration file: every key of docs/spec.md §9 with its default.
//!
//! Unknown keys and bad values stop start-up with a message naming the key; `toml` names
//! the key for unknown fields and type errors, and [`Config::validate`] for ranges.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::branch::{Branch, BranchKind};
use crate::i18n::Lang;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub service_name: String,
    /// The bank's name as receipts and journals print it.
    pub bank_name: String,
    pub contact_center_name: String,
    pub language: Lang,
    pub key_file: Option<PathBuf>,
    pub telephone_center: String,
    pub lockout: Lockout,
    pub unlock: Unlock,
    pub fees: Fees,
    pub token: Token,
    pub staff: Staff,
    pub audit: Audit,
    pub export: Export,
    pub print: Print,
    pub serve: Serve,
    pub ui: Ui,
    pub ledger: LedgerAt,
    pub branches: Vec<Branch>,
}

/// Consecutive failures that suspend a customer user (R1).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lockout {
    pub password: u32,
    pub confirm: u32,
    pub otp: u32,
    pub pin: u32,
}

/// R7: how many unlocks within how many days before the next one needs approval.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Unlock {
    pub approval_after: u32,
    pub window_days: u32,
}

/// R13: fee amounts in yen before tax.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fees {
    pub token_add: i64,
    pub token_reissue: i64,
    pub tax_rate_percent: u32,
    pub invoice_number: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Token {
    pub period: u32,
    pub digits: u32,
    pub window_steps: u32,
    pub life_years: u32,
    pub expiry_notice_days: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerAt {
    /// The ledger when `--db` and `MADOGUCHI_DB` name none: a SQLite file's path or a
    /// `postgres://…` URL. Unset: the SQLite file in the platform data directory.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Audit {
    /// Where the head of the audit chain is anchored outside the ledger's folder. Unset:
    /// one file per ledger in the platform state directory, named by the ledger's id.
    pub anchor_file: Option<PathBuf>,
}

/// The terminal's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ui {
    /// Click to pick a row, the wheel to scroll. Off for terminals (or people) that want
    /// the mouse to select text as usual.
    pub mouse: bool,
}

impl Default for Ui {
    fn default() -> Self {
        Self { mouse: true }
    }
}

/// Where files made at the terminal go (the fee journal's CSV).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Export {
    /// Unset: `madoguchi-exports` in the user's documents folder (the home folder when
    /// there is none).
    pub dir: Option<PathBuf>,
}

impl Export {
    /// The folder exports are written to.
    pub fn folder(&self) -> PathBuf {
        if let Some(d) = &self.dir {
            return d.clone();
        }
        let dirs = directories::UserDirs::new();
        let base = dirs.as_ref().and_then(|d| d.document_dir().map(Path::to_path_buf));
        let home = dirs.as_ref().map(|d| d.home_dir().to_path_buf());
        base.or(home).unwrap_or_else(|| PathBuf::from(".")).join("madoguchi-exports")
    }
}

/// Receipts and journals on paper: where the PDF is kept, how it reaches the printer,
/// and the Japanese font it is set in.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Print {
    /// A command the saved PDF's path is appended to (`lp -d counter1`); run without a
    /// shell. Unset: the PDF is saved and its path shown.
    pub command: Option<String>,
    /// Unset: `prints` in the platform data directory.
    pub folder: Option<PathBuf>,
    /// A TrueType/OpenType font with Japanese glyphs. Unset: the IPAex Gothic font that
    /// ships inside the program.
    pub font: Option<PathBuf>,
}

impl Print {
    /// The folder printed documents are kept in.
    pub fn folder(&self) -> PathBuf {
        if let Some(d) = &self.folder {
            return d.clone();
        }
        directories::BaseDirs::new()
            .map(|d| d.data_dir().join("madoguchi").join("prints"))
            .unwrap_or_else(|| PathBuf::from("madoguchi-prints"))
    }
}

/// The customer channel's HTTP service (`madoguchi serve`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Serve {
    /// Address and port to listen on; `--listen` overrides it.
    pub listen: String,
    /// PEM certificate chain and private key: with both, the service speaks TLS only.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM certificate authorities of the callers: with it, a caller must also present a
    /// client certificate they issued (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// Threads that check secrets (argon2). Unset: one per core.
    pub workers: Option<u32>,
    /// Requests that may wait for a worker; beyond it the answer is 503 at once. Unset:
    /// one per worker, so that a request taken waits at most about one check.
    pub queue: Option<u32>,
    /// Attempts a minute for one login ID, and from one source address (the customer's,
    /// as the front end forwards it in `X-Forwarded-For`, else the caller's); beyond them
    /// the answer is 429. Locks still follow R1 exactly.
    pub per_login_id_per_minute: u32,
    pub per_source_per_minute: u32,
}

impl Default for Serve {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8700".into(),
            tls_cert: None,
            tls_key: None,
            client_ca: None,
            workers: None,
            queue: None,
            per_login_id_per_minute: 20,
            per_source_per_minute: 600,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Staff {
    pub lockout: u32,
    pub idle_lock_minutes: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            service_name: "OKメイト・WEB".into(),
            bank_name: "OK銀行".into(),
            contact_center_name: "OKメイトテレホンセンター".into(),
            language: Lang::Ja,
            key_file: None,
            telephone_center: "900".into(),
            lockout: Lockout::default(),
            unlock: Unlock::default(),
            fees: Fees::default(),
            token: Token::default(),
            staff: Staff::default(),
            audit: Audit::default(),
            export: Export::default(),
            print: Print::default(),
            serve: Serve::default(),
            ui: Ui::default(),
            ledger: LedgerAt::default(),
            branches: crate::domain::branch::demo_branches(),
        }
    }
}

impl Default for Lockout {
    fn default() -> Self {
        Self { password: 6, confirm: 6, otp: 6, pin: 6 }
    }
}

impl Default for Unlock {
    fn default() -> Self {
        Self { approval_after: 2, window_days: 30 }
    }
}

impl Default for Fees {
    fn default() -> Self {
        Self { token_add: 2000, token_reissue: 2000, tax_rate_percent: 10, invoice_number: "T0000000000000".into() }
    }
}

impl Default for Token {
    fn default() -> Self {
        Self { period: 30, digits: 6, window_steps: 1, life_years: 5, expiry_notice_days: 90 }
    }
}

impl Default for Staff {
    fn default() -> Self {
        Self { lockout: 5, idle_lock_minutes: 5 }
    }
}

/// Why a configuration was refused; always names the key (or the file).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{key}: {message}")]
    BadValue { key: String, message: String },
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Unreadable { path: path.display().to_string(), message: e.to_string() })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax { path: path.display().to_string(), message },
            other => other,
        })
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: String::new(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Range checks that the types alone do not express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::BadValue { key: key.into(), message };
        let range = |key: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) { Ok(()) } else { Err(bad(key, format!("{v} is outside {lo}..={hi}"))) }
        };
        range("lockout.password", self.lockout.password, 1, 20)?;
        range("lockout.confirm", self.lockout.confirm, 1, 20)?;
        range("lockout.otp", self.lockout.otp, 1, 20)?;
        range("lockout.pin", self.lockout.pin, 1, 20)?;
        range("unlock.approval_after", self.unlock.approval_after, 0, 100)?;
        range("unlock.window_days", self.unlock.window_days, 1, 3660)?;
        range("fees.tax_rate_percent", self.fees.tax_rate_percent, 0, 100)?;
        range("token.period", self.token.period, 1, 300)?;
        range("token.digits", self.token.digits, 6, 8)?;
        range("token.window_steps", self.token.window_steps, 0, 10)?;
        range("token.life_years", self.token.life_years, 1, 20)?;
        range("token.expiry_notice_days", self.token.expiry_notice_days, 1, 3660)?;
        range("staff.lockout", self.staff.lockout, 1, 100)?;
        range("staff.idle_lock_minutes", self.staff.idle_lock_minutes, 1, 1440)?;
        range("serve.queue", self.serve.queue.unwrap_or(0), 0, 100_000)?;
        range("serve.workers", self.serve.workers.unwrap_or(1), 1, 1024)?;
        range("serve.per_login_id_per_minute", self.serve.per_login_id_per_minute, 1, 1_000_000)?;
        range("serve.per_source_per_minute", self.serve.per_source_per_minute, 1, 1_000_000)?;
        if self.serve.tls_cert.is_some() != self.serve.tls_key.is_some() {
            return Err(bad("serve.tls_cert", "tls_cert and tls_key go together".into()));
        }
        if self.serve.client_ca.is_some() && self.serve.tls_cert.is_none() {
            return Err(bad("serve.client_ca", "mutual TLS needs tls_cert and tls_key".into()));
        }
        for (key, v) in [("fees.token_add", self.fees.token_add), ("fees.token_reissue", self.fees.token_reissue)] {
            if !(0..=1_000_000).contains(&v) {
                return Err(bad(key, format!("{v} is outside 0..=1000000")));
            }
        }
        let inv = &self.fees.invoice_number;
        if !(inv.len() == 14 && inv.starts_with('T') && inv[1..].bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad("fees.invoice_number", "expected T followed by 13 digits".into()));
        }
        if self.service_name.trim().is_empty() {
            return Err(bad("service_name", "must not be empty".into()));
        }
        if self.branches.is_empty() {
            return Err(bad("branches", "at least one branch is needed".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for b in &self.branches {
            if !crate::domain::branch::is_branch_code(&b.code) {
                return Err(bad("branches.code", format!("{:?} is not a 3-digit branch code", b.code)));
            }
            if !seen.insert(b.code.clone()) {
                return Err(bad("branches.code", format!("{} appears twice", b.code)));
            }
        }
        match self.branch(&self.telephone_center) {
            Some(b) if b.kind == BranchKind::TelephoneCenter => {}
            _ => {
                return Err(bad(
                    "telephone_center",
                    format!("{} is not a branch of kind telephone_center", self.telephone_center),
                ));
            }
        }
        if !self.branches.iter().any(|b| b.kind == BranchKind::HeadOffice) {
            return Err(bad("branches", "one branch of kind head_office is needed".into()));
        }
        Ok(())
    }

    pub fn branch(&self, code: &str) -> Option<&Branch> {
        self.branches.iter().find(|b| b.code == code)
    }

    pub fn head_office(&self) -> &str {
        self.branches.iter().find(|b| b.kind == BranchKind::HeadOffice).map_or("000", |b| b.code.as_str())
    }

    /// The lockout threshold of one credential kind.
    pub fn threshold(&self, kind: crate::domain::credential::CredentialKind) -> u32 {
        use crate::domain::credential::CredentialKind as K;
        match kind {
            K::LoginPassword => self.lockout.password,
            K::ConfirmPassword => self.lockout.confirm,
            K::OneTimePassword => self.lockout.otp,
            K::Pin | K::ApprovalPin => self.lockout.pin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_the_defaults() {
        let text = include_str!("../config.example.toml");
        let parsed = Config::parse(text).expect("example parses");
        let d = Config::default();
        assert_eq!(parsed.lockout.password, d.lockout.password);
        assert_eq!(parsed.fees.invoice_number, d.fees.invoice_number);
        assert_eq!(parsed.branches, d.branches);
        assert_eq!(parsed.staff.idle_lock_minutes, 5);
        assert_eq!(parsed.token.expiry_notice_days, 90);
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let c = Config::parse("").expect("empty parses");
        assert_eq!(c.lockout.otp, 6);
        assert_eq!(c.unlock.approval_after, 2);
        assert_eq!(c.fees.token_add, 2000);
    }

    #[test]
    fn unknown_and_bad_keys_are_named() {
        let cases = [
            ("colour = 1", "colour"),
            ("[lockout]\npasword = 3", "pasword"),
            ("[lockout]\notp = 0", "lockout.otp"),
            ("[lockout]\notp = \"six\"", "otp"),
            ("[token]\ndigits = 5", "token.digits"),
            ("[token]\nperiod = 0", "token.period"),
            ("[fees]\ninvoice_number = \"X1\"", "fees.invoice_number"),
            ("telephone_center = \"101\"", "telephone_center"),
            ("language = \"fr\"", "language"),
        ];
        for (text, key) in cases {
            let err = Config::parse(text).expect_err(text).to_string();
            assert!(err.contains(key), "{text:?} gave {err:?}, expected it to name {key}");
        }
    }
}
