//! Token inventory import: the vendor's PSKC (RFC 6030) or CSV file, validated whole.
//!
//! Pure: bytes in, records or a list of errors out. No database, no file system, no clock
//! (the caller passes `today`). The whole file is checked before anything is returned, so
//! either every record is good ([`parse`] gives them all) or every problem found is listed
//! (each with its CSV line or PSKC key). Duplicates against the ledger are the caller's
//! check; duplicates within the file are found here.
//!
//! Hostile input is expected: files over [`MAX_FILE_BYTES`], non-UTF-8 text, DTDs and entity
//! declarations, malformed XML or CSV all end in an [`ImportError`], never a panic.

mod csv_file;
mod pskc;

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use zeroize::Zeroizing;

/// Files larger than this are refused unread (64 MiB).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// A token secret needs at least this many bytes (128 bits).
pub const MIN_SECRET_BYTES: usize = 16;
/// And at most this many (HMAC-SHA512's block size is 128 bytes; more is never a real seed).
pub const MAX_SECRET_BYTES: usize = 128;
/// A serial is 1 to this many ASCII letters, digits, `-` or `_`.
pub const MAX_SERIAL_CHARS: usize = 32;
/// At most this many problems are listed; past it reading stops and [`Problem::TooManyErrors`]
/// ends the list (a hostile file of empty rows would otherwise cost gigabytes of errors).
pub const MAX_ERRORS: usize = 1000;
/// Where an error about the file as a whole is placed.
pub const LOCATION_FILE: &str = "file";

/// The file's format (`--format pskc|csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Format {
    Pskc,
    Csv,
}

impl Format {
    /// The `--format` flag's value: `pskc` or `csv`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The format of a file without `--format`: by extension (`.xml`/`.pskc` → PSKC, `.csv` →
/// CSV, case-insensitive), otherwise by content (first non-blank character, after a BOM,
/// is `<` → PSKC, else CSV).
pub fn detect_format(file_name: &str, bytes: &[u8]) -> Format {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xml") || lower.ends_with(".pskc") || lower.ends_with(".pskcxml") {
        return Format::Pskc;
    }
    if lower.ends_with(".csv") {
        return Format::Csv;
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Format::Pskc,
        _ => Format::Csv,
    }
}

pub use crate::domain::token::Algorithm;

/// One validated token from the file.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// 1–32 ASCII letters, digits, `-`, `_`, as written in the file.
    pub serial: String,
    /// The TOTP seed, 16–128 bytes. Never printed by `Debug`.
    pub secret: Zeroizing<Vec<u8>>,
    pub algorithm: Algorithm,
    /// 6 to 8.
    pub digits: u32,
    /// 1 to 300 seconds.
    pub period: u32,
    /// Strictly after the `today` given to [`parse`].
    pub expires: NaiveDate,
    /// Whether the file gave no expiry (PSKC vendors often omit `ExpiryDate`) and
    /// `expires` is the default the caller gave: the import says so for each such key.
    pub expiry_defaulted: bool,
    /// Where the record is in the file, as [`ImportError::location`] would name it (`line 7`,
    /// `key HT0001`): for reporting a later problem with it, such as a serial already in the
    /// ledger.
    pub location: String,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("serial", &self.serial)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("expires", &self.expires)
            .field("location", &self.location)
            .finish()
    }
}

/// One reason the file is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// `"line 7"` (CSV: the physical line where the record starts, the header being line 1;
    /// also for malformed XML and non-UTF-8 bytes), `"key HT0001"` (PSKC: the key's serial),
    /// `"key id 12345678"` (PSKC: the Key's Id when the serial is missing or unusable),
    /// `"key #3"` (the third KeyPackage, when it has neither), or `"file"` ([`LOCATION_FILE`]:
    /// the file as a whole). Always printable ASCII: any other character is escaped.
    pub location: String,
    pub problem: Problem,
}

impl ImportError {
    fn new(location: impl Into<String>, problem: Problem) -> Self {
        Self { location: location.into(), problem }
    }

    fn file(problem: Problem) -> Self {
        Self::new(LOCATION_FILE, problem)
    }

    fn line(line: u64, problem: Problem) -> Self {
        Self::new(format!("line {line}"), problem)
    }
}

impl fmt::Display for ImportError {
    /// English-free technical form, for logs: `line 7: err.import_bad_digits (5)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.problem.key())?;
        if let Some(d) = self.problem.detail() {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

/// Why a file or a record is refused. Each has a catalog key ([`Problem::key`]); some carry a
/// detail ([`Problem::detail`]) for the message's `{detail}` placeholder. Details never
/// contain a secret, and values copied from the file are escaped and cut to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is over 64 MiB. Detail: the limit in MiB.
    TooLarge,
    /// The file is not UTF-8 text (location: the line of the first bad byte).
    NotUtf8,
    /// The file holds no token records (empty, header only, or a PSKC without KeyPackage).
    NoRecords,
    /// The file refers to a DTD or declares entities (`<!DOCTYPE`, `<!ENTITY`).
    DtdRefused,
    /// Broken XML, or a PSKC structure that cannot be read. Detail: what is wrong (technical).
    Malformed(String),
    /// The CSV header is not `serial,secret,algorithm,digits,period,expires`. Detail: the header found.
    BadHeader(String),
    /// A CSV row does not have 6 fields. Detail: how many it has.
    FieldCount(usize),
    /// A required field is empty or absent. Detail: its name (`secret`, `SerialNo`, `ExpiryDate`…).
    MissingField(&'static str),
    /// The serial is not 1–32 ASCII letters, digits, `-`, `_`. Detail: the serial, escaped.
    BadSerial(String),
    /// The secret is not valid base32, `hex:…` (CSV) or base64 (PSKC). No detail.
    BadSecret,
    /// The secret has fewer than 16 bytes. Detail: how many it has.
    SecretTooShort(usize),
    /// The secret has more than 128 bytes. Detail: how many it has.
    SecretTooLong(usize),
    /// The hash is not SHA1, SHA256 or SHA512. Detail: the value found.
    BadAlgorithm(String),
    /// The PSKC key is not TOTP (HOTP, OCRA, …). Detail: its Algorithm URI.
    NotTotp(String),
    /// Digits are not 6 to 8. Detail: the value found.
    BadDigits(String),
    /// The PSKC ResponseFormat Encoding is not DECIMAL. Detail: the value found.
    NotDecimal(String),
    /// The period is not 1 to 300 seconds. Detail: the value found.
    BadPeriod(String),
    /// The expiry date is not a date (`YYYY-MM-DD`, or an xs:dateTime in PSKC). Detail: the value.
    BadDate(String),
    /// The token expires today or earlier. Detail: its expiry date.
    Expired(NaiveDate),
    /// The serial appears earlier in the same file (compared ignoring ASCII case). Detail:
    /// where it appears first (`line 3`, `key #2`).
    DuplicateInFile(String),
    /// An encrypted value has no MAC (no ValueMAC, or the file has no MACMethod/MACKey).
    /// Detail: which is missing.
    EncryptedWithoutMac(&'static str),
    /// An encrypted value's MAC does not match: the file was altered, or the key is wrong.
    MacMismatch,
    /// The file is encrypted and no key file was given.
    MissingKey,
    /// The key file is not what this PSKC needs: a hex AES key of the right length, or a
    /// non-empty UTF-8 passphrase. Detail: the key length expected in bytes, if that is the issue.
    BadKeyFile(Option<usize>),
    /// The key (or passphrase) does not decrypt the file.
    WrongKey,
    /// An encryption method other than AES-128/192/256-CBC with a pre-shared or PBKDF2 key.
    /// Detail: the method.
    UnsupportedEncryption(String),
    /// A MAC method other than HMAC-SHA1/224/256/384/512. Detail: the method.
    UnsupportedMac(String),
    /// A key derivation other than PBKDF2 with a specified salt, or out-of-range parameters.
    /// Detail: what is unsupported.
    UnsupportedKdf(String),
    /// The serial is already in the ledger (checked after the file itself is valid).
    DuplicateInLedger,
    /// More than [`MAX_ERRORS`] problems: the first ones are listed, then this (at `file`).
    /// Detail: the limit.
    TooManyErrors,
}

impl Problem {
    /// The message catalog key (`[err]` table of `assets/locales/*.toml`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::TooLarge => "err.import_too_large",
            Self::NotUtf8 => "err.import_not_utf8",
            Self::NoRecords => "err.import_no_records",
            Self::DtdRefused => "err.import_dtd_refused",
            Self::Malformed(_) => "err.import_malformed",
            Self::BadHeader(_) => "err.import_bad_header",
            Self::FieldCount(_) => "err.import_field_count",
            Self::MissingField(_) => "err.import_missing_field",
            Self::BadSerial(_) => "err.import_bad_serial",
            Self::BadSecret => "err.import_bad_secret",
            Self::SecretTooShort(_) => "err.import_secret_too_short",
            Self::SecretTooLong(_) => "err.import_secret_too_long",
            Self::BadAlgorithm(_) => "err.import_bad_algorithm",
            Self::NotTotp(_) => "err.import_not_totp",
            Self::BadDigits(_) => "err.import_bad_digits",
            Self::NotDecimal(_) => "err.import_not_decimal",
            Self::BadPeriod(_) => "err.import_bad_period",
            Self::BadDate(_) => "err.import_bad_date",
            Self::Expired(_) => "err.import_expired",
            Self::DuplicateInFile(_) => "err.import_duplicate_in_file",
            Self::EncryptedWithoutMac(_) => "err.import_encrypted_without_mac",
            Self::MacMismatch => "err.import_mac_mismatch",
            Self::MissingKey => "err.import_missing_key",
            Self::BadKeyFile(_) => "err.import_bad_key_file",
            Self::WrongKey => "err.import_wrong_key",
            Self::UnsupportedEncryption(_) => "err.import_unsupported_encryption",
            Self::UnsupportedMac(_) => "err.import_unsupported_mac",
            Self::UnsupportedKdf(_) => "err.import_unsupported_kdf",
            Self::TooManyErrors => "err.import_too_many_errors",
            Self::DuplicateInLedger => "err.import_duplicate_in_ledger",
        }
    }

    /// The value for the message's `{detail}` placeholder, if this problem has one.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::TooLarge => Some((MAX_FILE_BYTES / (1024 * 1024)).to_string()),
            Self::NotUtf8 | Self::NoRecords | Self::DtdRefused | Self::BadSecret => None,
            Self::MacMismatch | Self::MissingKey | Self::WrongKey | Self::DuplicateInLedger => None,
            Self::Malformed(s)
            | Self::BadHeader(s)
            | Self::BadSerial(s)
            | Self::BadAlgorithm(s)
            | Self::NotTotp(s)
            | Self::BadDigits(s)
            | Self::NotDecimal(s)
            | Self::BadPeriod(s)
            | Self::BadDate(s)
            | Self::DuplicateInFile(s)
            | Self::UnsupportedEncryption(s)
            | Self::UnsupportedMac(s)
            | Self::UnsupportedKdf(s) => Some(s.clone()),
            Self::FieldCount(n) | Self::SecretTooShort(n) | Self::SecretTooLong(n) => Some(n.to_string()),
            Self::MissingField(s) | Self::EncryptedWithoutMac(s) => Some((*s).to_string()),
            Self::Expired(d) => Some(d.format("%Y-%m-%d").to_string()),
            Self::BadKeyFile(n) => n.map(|n| n.to_string()),
            Self::TooManyErrors => Some(MAX_ERRORS.to_string()),
        }
    }
}

/// Parses and validates a whole token file.
///
/// `key_file` is the content of `--key-file`, needed only by an encrypted PSKC and read as the
/// PSKC says: with `EncryptionKey/KeyName` (a pre-shared key) it is the AES key in hex (ASCII
/// whitespace anywhere is ignored; 16, 24 or 32 bytes as the EncryptionMethod needs); with
/// `EncryptionKey/DerivedKey` (PBKDF2, RFC 6030 §6.2) it is the passphrase as UTF-8, less its
/// trailing line end (CR/LF characters at the very end are dropped; nothing else is trimmed).
/// A key file given for a plain PSKC or a CSV is ignored.
///
/// Every record is good, or every error found is returned: each record's problems all
/// listed, in file order. A file-level problem (too large, not UTF-8, DTD, broken XML, bad CSV
/// header, missing key…) may stop the reading, and is then the only, or last, error.
/// `default_expiry` is given to a PSKC key without `ExpiryDate` (the token's usual life
/// after the import date).
pub fn parse(
    bytes: &[u8],
    format: Format,
    key_file: Option<&[u8]>,
    today: NaiveDate,
    default_expiry: NaiveDate,
) -> Result<Vec<TokenRecord>, Vec<ImportError>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![ImportError::file(Problem::TooLarge)]);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return Err(vec![ImportError::line(line_of(bytes, e.valid_up_to()), Problem::NotUtf8)]),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(vec![ImportError::file(Problem::NoRecords)]);
    }
    let (records, mut errors) = match format {
        Format::Csv => csv_file::parse(text, today),
        Format::Pskc => pskc::parse(text, key_file, today, default_expiry),
    };
    if errors.is_empty() && records.is_empty() {
        errors.push(ImportError::file(Problem::NoRecords));
    }
    if errors.is_empty() { Ok(records) } else { Err(errors) }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The 1-based line holding byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64
}

/// A value copied from the file into a message: printable ASCII kept, everything else
/// escaped (`\u{7}`), at most 40 characters (then `…`).
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    out
}

/// Enforces [`MAX_ERRORS`]: true (and the list cut and closed with
/// [`Problem::TooManyErrors`]) once there are more.
fn too_many(errors: &mut Vec<ImportError>) -> bool {
    if errors.len() <= MAX_ERRORS {
        return false;
    }
    errors.truncate(MAX_ERRORS);
    errors.push(ImportError::file(Problem::TooManyErrors));
    true
}

/// The serial rule shared by both formats.
fn check_serial(s: &str) -> Result<(), Problem> {
    let ok = !s.is_empty()
        && s.len() <= MAX_SERIAL_CHARS
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(Problem::BadSerial(shown(s))) }
}

fn check_secret_len(secret: &[u8]) -> Result<(), Problem> {
    match secret.len() {
        n if n < MIN_SECRET_BYTES => Err(Problem::SecretTooShort(n)),
        n if n > MAX_SECRET_BYTES => Err(Problem::SecretTooLong(n)),
        _ => Ok(()),
    }
}

/// A plain decimal number: ASCII digits only (no sign, no spaces), at most 9 of them.
fn small_uint(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn check_digits(s: &str) -> Result<u32, Problem> {
    small_uint(s).filter(|d| (6..=8).contains(d)).ok_or_else(|| Problem::BadDigits(shown(s)))
}

fn check_period(s: &str) -> Result<u32, Problem> {
    small_uint(s).filter(|p| (1..=300).contains(p)).ok_or_else(|| Problem::BadPeriod(shown(s)))
}

/// Exactly `YYYY-MM-DD`, a real date.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| if i == 4 || i == 7 { c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    let year = s.get(0..4)?.parse().ok()?;
    let month = s.get(5..7)?.parse().ok()?;
    let day = s.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn check_expiry(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Problem> {
    if date > today { Ok(date) } else { Err(Problem::Expired(date)) }
}

/// Adds a [`Problem::DuplicateInFile`] for every record whose serial (ignoring ASCII case)
/// was seen earlier. `serials` are (location, serial) in file order, valid serials only.
fn duplicates<'a>(serials: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<ImportError> {
    let mut first: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::new();
    for (location, serial) in serials {
        match first.get(&serial.to_ascii_uppercase()) {
            Some(earlier) => out.push(ImportError::new(location, Problem::DuplicateInFile((*earlier).to_string()))),
            None => {
                first.insert(serial.to_ascii_uppercase(), location);
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).expect("date")
    }

    pub(crate) fn problems(r: Result<Vec<TokenRecord>, Vec<ImportError>>) -> Vec<(String, Problem)> {
        match r {
            Ok(v) => panic!("expected errors, got {v:?}"),
            Err(e) => e.into_iter().map(|e| (e.location, e.problem)).collect(),
        }
    }

    #[test]
    fn detects_format() {
        assert_eq!(detect_format("tokens.CSV", b"<x"), Format::Csv);
        assert_eq!(detect_format("t.xml", b"serial"), Format::Pskc);
        assert_eq!(detect_format("t.pskc", b""), Format::Pskc);
        assert_eq!(detect_format("t.txt", b"\xEF\xBB\xBF  \n<?xml"), Format::Pskc);
        assert_eq!(detect_format("t", b"serial,secret"), Format::Csv);
        assert_eq!(detect_format("", b""), Format::Csv);
        assert_eq!("PSKC".parse::<Format>().ok(), Some(Format::Pskc));
        assert_eq!("csv".parse::<Format>().ok(), Some(Format::Csv));
        assert_eq!("json".parse::<Format>().ok(), None);
    }

    #[test]
    fn debug_hides_the_secret() {
        let r = TokenRecord {
            serial: "HT0001".into(),
            secret: Zeroizing::new(b"12345678901234567890".to_vec()),
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            expires: today(),
            expiry_defaulted: false,
            location: "line 2".into(),
        };
        let s = format!("{r:?}");
        assert!(s.contains("HT0001") && s.contains("<20 bytes>"), "{s}");
        assert!(!s.contains("49") && !s.contains("1234"), "{s}");
    }

    #[test]
    fn every_problem_has_a_key() {
        let all = [
            Problem::TooLarge,
            Problem::NotUtf8,
            Problem::NoRecords,
            Problem::DtdRefused,
            Problem::Malformed("x".into()),
            Problem::BadHeader("x".into()),
            Problem::FieldCount(5),
            Problem::MissingField("secret"),
            Problem::BadSerial("x".into()),
            Problem::BadSecret,
            Problem::SecretTooShort(10),
            Problem::SecretTooLong(200),
            Problem::BadAlgorithm("MD5".into()),
            Problem::NotTotp("hotp".into()),
            Problem::BadDigits("5".into()),
            Problem::NotDecimal("HEX".into()),
            Problem::BadPeriod("0".into()),
            Problem::BadDate("x".into()),
            Problem::Expired(today()),
            Problem::DuplicateInFile("line 2".into()),
            Problem::EncryptedWithoutMac("ValueMAC"),
            Problem::MacMismatch,
            Problem::MissingKey,
            Problem::BadKeyFile(Some(16)),
            Problem::WrongKey,
            Problem::UnsupportedEncryption("x".into()),
            Problem::UnsupportedMac("x".into()),
            Problem::UnsupportedKdf("x".into()),
            Problem::TooManyErrors,
        ];
        let keys: std::collections::HashSet<_> = all.iter().map(Problem::key).collect();
        assert_eq!(keys.len(), all.len());
        assert!(keys.iter().all(|k| k.starts_with("err.import_")));
        assert_eq!(Problem::Expired(today()).detail().as_deref(), Some("2025-06-01"));
        assert_eq!(Problem::TooLarge.detail().as_deref(), Some("64"));
    }

    #[test]
    fn shown_escapes_and_cuts() {
        assert_eq!(shown("HT\u{7}01"), "HT\\u{7}01");
        assert_eq!(shown("\u{1b}[31m"), "\\u{1b}[31m");
        assert_eq!(shown(&"a".repeat(50)), format!("{}…", "a".repeat(40)));
        assert_eq!(shown("窓"), "\\u{7a93}");
    }

    #[test]
    fn whole_file_limits() {
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        for f in [Format::Csv, Format::Pskc] {
            assert_eq!(problems(parse(&big, f, None, today(), today())), vec![("file".into(), Problem::TooLarge)]);
            assert_eq!(
                problems(parse(b"serial\nab\xff", f, None, today(), today())),
                vec![("line 2".into(), Problem::NotUtf8)]
            );
            assert_eq!(problems(parse(b"", f, None, today(), today()))[0].1.key(), "err.import_no_records".to_string());
        }
    }

    #[test]
    fn dates_and_numbers() {
        assert_eq!(iso_date("2026-02-28"), NaiveDate::from_ymd_opt(2026, 2, 28));
        for bad in ["2026-02-30", "2026-2-28", "26-02-28", "2026/02/28", "2026-02-28 ", "+026-02-28", "２０２６-02-28"]
        {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
        assert_eq!(small_uint("06"), Some(6));
        for bad in ["", "+6", "-6", " 6", "6 ", "1e3", "9999999999"] {
            assert_eq!(small_uint(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024)) {
            for format in [Format::Csv, Format::Pskc] {
                let _ = parse(&bytes, format, None, today(), today());
                let _ = parse(&bytes, format, Some(b"00112233445566778899aabbccddeeff"), today(), today());
            }
            let _ = detect_format("x", &bytes);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            for format in [Format::Csv, Format::Pskc] {
                let _ = parse(text.as_bytes(), format, Some(text.as_bytes()), today(), today());
            }
        }
    }
}
