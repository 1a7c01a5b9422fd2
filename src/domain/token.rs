//! Hard tokens: their life (stock, set aside, mailed, issued, lost, retired) and R11/R12,
//! verifying a code read off one.

use chrono::NaiveDate;
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};
use totp_rs::TOTP;

/// The hash of a token's TOTP, as vendors' files and the ledger name it (`SHA1`…); read
/// ignoring case, as token files write it either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(ascii_case_insensitive)]
pub enum Algorithm {
    #[strum(serialize = "SHA1")]
    Sha1,
    #[strum(serialize = "SHA256")]
    Sha256,
    #[strum(serialize = "SHA512")]
    Sha512,
}

impl Algorithm {
    pub fn code(self) -> &'static str {
        self.into()
    }

    fn totp(self) -> totp_rs::Algorithm {
        match self {
            Self::Sha1 => totp_rs::Algorithm::SHA1,
            Self::Sha256 => totp_rs::Algorithm::SHA256,
            Self::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

/// Where a token is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, EnumString, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TokenState {
    /// 在庫: in a branch's stock.
    InStock,
    /// Set aside for a user (add, reissue) until the hand-over.
    Reserved,
    /// Mailed to the user as a replacement before expiry (R12), bound on first use.
    Mailed,
    /// The user's token in use.
    Issued,
    /// Reported lost (R10): disabled.
    Lost,
    /// Replaced; never verifies again.
    Retired,
}

impl TokenState {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// A hard token on the ledger. The seed stays encrypted until the moment of checking.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub id: i64,
    pub serial: String,
    pub branch: String,
    /// Encrypted seed (nonce || ciphertext).
    pub seed: Vec<u8>,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u32,
    pub expires: NaiveDate,
    pub state: TokenState,
    pub user_id: Option<i64>,
    pub last_step: Option<i64>,
    /// The user a token is set aside for, before hand-over (add, reissue, mailing).
    pub reserved_for: Option<i64>,
    pub replaces: Option<i64>,
    pub request_id: Option<i64>,
    pub tracking_no: Option<String>,
    /// Wrong codes read off it at hand-over since the last right one.
    pub code_failures: u32,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("serial", &self.serial)
            .field("state", &self.state)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// An issued token expiring on or before a day, with its holder (R12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expiring {
    pub serial: String,
    #[serde(serialize_with = "crate::format::serialize_date")]
    pub expires: NaiveDate,
    pub branch: String,
    pub cif: String,
    pub company: String,
    pub login_id: String,
    pub user_id: i64,
    pub contract_id: i64,
    /// Whether a replacement has been mailed already.
    pub replacement_mailed: bool,
}

/// A fee as quoted before it is collected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeQuote {
    pub amount: i64,
    pub tax: i64,
}

impl FeeQuote {
    pub fn new(amount: i64, rate_percent: u32) -> Self {
        Self { amount, tax: super::fees::tax(amount, rate_percent) }
    }

    pub fn total(self) -> i64 {
        self.amount + self.tax
    }
}

/// A token's TOTP parameters, with its seed decrypted for the moment of checking.
pub struct TokenParams<'a> {
    pub seed: &'a [u8],
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Accepted at this time step; record it so it is never accepted again.
    Accepted {
        step: i64,
    },
    Wrong,
    /// Right code, but its step was already used (a replay).
    Replayed,
}

/// The code the token shows at `unix_time`.
pub fn code_at(p: &TokenParams<'_>, unix_time: u64) -> String {
    let totp = TOTP::new_unchecked(
        p.algorithm.totp(),
        p.digits as usize,
        0,
        u64::from(p.period),
        p.seed.to_vec(),
        None,
        String::new(),
    );
    totp.generate(unix_time)
}

/// Checks `code` at `unix_time`, accepting `window` steps either side, and refusing a
/// step at or before `last_step` (no code accepted twice).
pub fn check(p: &TokenParams<'_>, code: &str, unix_time: u64, window: u32, last_step: Option<i64>) -> CodeCheck {
    if code.len() != p.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) || p.period == 0 {
        return CodeCheck::Wrong;
    }
    let now_step = (unix_time / u64::from(p.period)) as i64;
    let mut replayed = false;
    for delta in -i64::from(window)..=i64::from(window) {
        let step = now_step + delta;
        if step < 0 {
            continue;
        }
        let expected = code_at(p, step as u64 * u64::from(p.period));
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            if last_step.is_some_and(|last| step <= last) {
                replayed = true;
                continue;
            }
            return CodeCheck::Accepted { step };
        }
    }
    if replayed { CodeCheck::Replayed } else { CodeCheck::Wrong }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B.
    #[test]
    fn rfc6238_vectors() {
        let sha1 = b"12345678901234567890".as_slice();
        let sha256 = b"12345678901234567890123456789012".as_slice();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
        let table = [
            (59u64, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, c1, c256, c512) in table {
            for (seed, alg, code) in
                [(sha1, Algorithm::Sha1, c1), (sha256, Algorithm::Sha256, c256), (sha512, Algorithm::Sha512, c512)]
            {
                let p = TokenParams { seed, algorithm: alg, digits: 8, period: 30 };
                assert_eq!(code_at(&p, t), code, "{alg:?} at {t}");
                assert_eq!(check(&p, code, t, 0, None), CodeCheck::Accepted { step: (t / 30) as i64 });
            }
        }
    }

    #[test]
    fn window_and_replay() {
        let p = TokenParams { seed: b"12345678901234567890", algorithm: Algorithm::Sha1, digits: 6, period: 60 };
        let t = 1_800_000_000u64;
        let code = code_at(&p, t);
        let step = (t / 60) as i64;
        assert_eq!(check(&p, &code, t + 60, 1, None), CodeCheck::Accepted { step });
        assert_eq!(check(&p, &code, t + 120, 1, None), CodeCheck::Wrong);
        assert_eq!(check(&p, &code, t, 1, Some(step)), CodeCheck::Replayed);
        assert_eq!(check(&p, &code, t, 1, Some(step - 1)), CodeCheck::Accepted { step });
        assert_eq!(check(&p, "12345", t, 1, None), CodeCheck::Wrong);
        assert_eq!(check(&p, "abcdef", t, 1, None), CodeCheck::Wrong);
    }

    #[test]
    fn algorithm_names_are_read_in_either_case() {
        assert_eq!("sha256".parse::<Algorithm>().ok(), Some(Algorithm::Sha256));
        assert_eq!("SHA1".parse::<Algorithm>().ok(), Some(Algorithm::Sha1));
        assert_eq!(Algorithm::Sha512.code(), "SHA512");
        assert!("MD5".parse::<Algorithm>().is_err());
    }
}
